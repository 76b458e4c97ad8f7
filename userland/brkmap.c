/*
 * brkmap: brk and mmap never take each other's pages, and a refused call
 * changes nothing. Only results are printed (no addresses), so the same binary
 * prints the same lines on Linux (mm/mmap.c: brk must leave a free page below
 * the next mapping) and in ringlab. Raw system calls: musl's malloc stays out.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PG 4096UL

static unsigned long brk_to(unsigned long addr)
{
    return (unsigned long)syscall(SYS_brk, addr);
}

static const char *err(long r)
{
    return r == -1 ? strerror(errno) : "ok";
}

static void say(const char *what, const char *result)
{
    printf("brkmap: %s: %s\n", what, result);
}

static int filled(const char *p, int c, unsigned long n)
{
    for (unsigned long i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

int main(void)
{
    unsigned long base = (brk_to(0) + PG - 1) & ~(PG - 1);
    unsigned long end = base + 4 * PG;
    say("grow the heap by 4 pages", brk_to(end) == end ? "ok" : "refused");
    memset((void *)base, 'h', 4 * PG);

    char *map = (char *)(base + 16 * PG);
    void *m = mmap(map, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED mapping 12 pages above the heap", m == map ? "ok" : strerror(errno));
    memset(map, 'm', 2 * PG);

    say("brk across the mapping", brk_to(base + 32 * PG) == end ? "refused, break unchanged" : "MOVED");
    say("brk ending where the mapping starts", brk_to(base + 16 * PG) == end ? "refused, break unchanged" : "MOVED");
    say("brk 1 byte into the last page before the mapping",
        brk_to(base + 15 * PG + 1) == end ? "refused, break unchanged" : "MOVED");
    say("brk across the mapping to 16 TiB", brk_to(0x100000010000UL) == end ? "refused, break unchanged" : "MOVED");
    say("the mapping's data", filled(map, 'm', 2 * PG) ? "intact" : "LOST");
    say("the heap's data", filled((char *)base, 'h', 4 * PG) ? "intact" : "LOST");

    unsigned long last = base + 15 * PG;
    say("brk to a page below the mapping", brk_to(last) == last ? "ok" : "refused");
    memset((void *)end, 'g', last - end);
    say("MAP_FIXED_NOREPLACE over the heap",
        mmap((void *)base, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED
            ? strerror(errno) : "MAPPED");
    say("MAP_FIXED_NOREPLACE over the mapping",
        mmap(map, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) == MAP_FAILED
            ? strerror(errno) : "MAPPED");

    int overlap = 0;
    for (int i = 0; i < 8; i++) {
        char *a = mmap(NULL, (i + 1) * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (a == MAP_FAILED || ((unsigned long)a < last + PG && (unsigned long)a + (i + 1) * PG > base))
            overlap = 1;
        if (a != MAP_FAILED)
            memset(a, 'x', (i + 1) * PG);
    }
    say("8 mmaps without MAP_FIXED stay clear of heap and mapping", overlap ? "NO" : "yes");
    say("the mapping's data", filled(map, 'm', 2 * PG) ? "intact" : "LOST");
    say("the heap's data", filled((char *)base, 'h', 4 * PG) && filled((char *)end, 'g', last - end)
                               ? "intact" : "LOST");

    say("mprotect across the heap's end and the gap", err(mprotect((void *)base, 16 * PG, PROT_READ)));
    say("mmap of 0 bytes", mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED
                               ? strerror(errno) : "MAPPED");
    say("mmap of 2^64 - 1 bytes", mmap(NULL, ~0UL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED
                                     ? strerror(errno) : "MAPPED");
    say("MAP_FIXED at an unaligned address",
        mmap(map + 1, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED
            ? strerror(errno) : "MAPPED");
    say("munmap of 0 bytes", err(munmap(map, 0)));
    say("munmap beyond the user half", err(munmap((void *)0x7ffffffff000UL, 2 * PG)));

    /* Linux refuses MAP_FIXED below vm.mmap_min_addr (65536 by default) without CAP_SYS_RAWIO. */
    say("below 64 KiB: MAP_FIXED at 0x1000",
        mmap((void *)0x1000, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED
            ? strerror(errno) : "mapped");
    void *min = mmap((void *)0x10000, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    say("MAP_FIXED at 0x10000", min == (void *)0x10000 ? "ok" : strerror(errno));
    if (min != MAP_FAILED)
        munmap(min, PG);

    say("munmap the mapping", err(munmap(map, 2 * PG)));
    say("brk across where the mapping was", brk_to(base + 32 * PG) == base + 32 * PG ? "ok" : "refused");
    memset((void *)(last), 'n', base + 32 * PG - last);
    say("shrink the heap back to 4 pages", brk_to(end) == end ? "ok" : "refused");
    say("the heap's data", filled((char *)base, 'h', 4 * PG) ? "intact" : "LOST");
    return 0;
}
