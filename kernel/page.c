/*
 * Whole-page operations: fill, copy, compare with a word, find the next word with a bit set.
 * kalloc zeroes every page it hands out, fork copies every page of a process, the sanitizer
 * build poisons every freed page and checks it again when it is handed out, and page-table
 * walks look at 512 entries per table: under the fuzzers these loops are much of the
 * kernel's time.
 *
 * Eight words per loop pass. Under QEMU's TCG a `rep stosq` or `rep movsq` is not one helper
 * call: each repetition is a translation block of its own that jumps back to itself
 * (target/i386/tcg/translate.c, gen_repz), and the unrolled loops took about half the time
 * per page (1.7 against 3.0 us to zero a page, 2.0 against 3.1 to copy one, measured in a
 * guest here). The empty asm keeps clang from turning a loop back into a call of memset or
 * memcpy (byte edges and all) and says the page was written.
 *
 * Not instrumented in the sanitizer build (kernel/Makefile), as string.o: a coverage call and
 * a UBSan check split every access into a basic block of its own (over a thousand hook calls
 * per page), and what they would report - PCs inside a copy loop, the alignment of a page -
 * says nothing of the system call being made. Every caller passes a kalloc page or a page
 * table (page-aligned, in the direct map).
 */
#include "kernel.h"
#include "mmu.h"

void page_fill(void *page, uint64_t word)
{
    uint64_t *p = page;
    for (uint64_t i = 0; i < PAGE_SIZE / 8; i += 8) {
        p[i] = word, p[i + 1] = word, p[i + 2] = word, p[i + 3] = word;
        p[i + 4] = word, p[i + 5] = word, p[i + 6] = word, p[i + 7] = word;
        __asm__ volatile("" : : "r"(p) : "memory");
    }
}

void page_copy(void *dst, const void *src)
{
    uint64_t *d = dst;
    const uint64_t *s = src;
    for (uint64_t i = 0; i < PAGE_SIZE / 8; i += 8) {
        uint64_t w0 = s[i], w1 = s[i + 1], w2 = s[i + 2], w3 = s[i + 3];
        uint64_t w4 = s[i + 4], w5 = s[i + 5], w6 = s[i + 6], w7 = s[i + 7];
        d[i] = w0, d[i + 1] = w1, d[i + 2] = w2, d[i + 3] = w3;
        d[i + 4] = w4, d[i + 5] = w5, d[i + 6] = w6, d[i + 7] = w7;
        __asm__ volatile("" : : "r"(d) : "memory");
    }
}

/* One branch per eight words: a compare and branch per word costs about twice as much. */
bool page_differs(const void *page, uint64_t word)
{
    const uint64_t *w = page;
    uint64_t diff = 0;
    for (uint64_t i = 0; i < PAGE_SIZE / 8; i += 8)
        diff |= (w[i] ^ word) | (w[i + 1] ^ word) | (w[i + 2] ^ word) | (w[i + 3] ^ word) |
                (w[i + 4] ^ word) | (w[i + 5] ^ word) | (w[i + 6] ^ word) | (w[i + 7] ^ word);
    return diff != 0;
}

uint64_t page_check_fill(void *page, uint64_t expect, uint64_t word)
{
    uint64_t *w = page;
    for (uint64_t i = 0; i < PAGE_SIZE / 8; i += 8) {
        if ((w[i] ^ expect) | (w[i + 1] ^ expect) | (w[i + 2] ^ expect) | (w[i + 3] ^ expect) |
            (w[i + 4] ^ expect) | (w[i + 5] ^ expect) | (w[i + 6] ^ expect) | (w[i + 7] ^ expect))
            return i;
        w[i] = word, w[i + 1] = word, w[i + 2] = word, w[i + 3] = word;
        w[i + 4] = word, w[i + 5] = word, w[i + 6] = word, w[i + 7] = word;
        __asm__ volatile("" : : "r"(w) : "memory");
    }
    return PAGE_SIZE / 8;
}

uint64_t page_next_set(const uint64_t *words, uint64_t i, uint64_t n, uint64_t mask)
{
    while (i < n && !(words[i] & mask))
        i++;
    return i;
}
