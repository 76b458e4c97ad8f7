/*
 * The machine-wide coverage record (include/cover.h): a bitmap over the kernel's text, one
 * bit per 4-byte grain, and the device stream that carries each newly set bit's site to the
 * harness. The coverage hook (kcov.c) calls cover_hit (cover.h) while kcov_hook.cover is set;
 * cover_record here takes a site's first hit.
 *
 * Not instrumented (kernel/Makefile): cover_record runs inside the hook.
 */
#include "kernel.h"
#include "cover.h"
#include "kcov.h"
#include "msr.h"
#include "x86.h"

#ifdef KCOV

uint64_t cover_map[COVER_MAP_WORDS];

static void cover_send(const void *p, uint64_t n)
{
    for (const uint8_t *b = p; n--; b++)
        outb(COVER_PORT, *b);
}

/*
 * kmain, first thing after the serial port, before any interrupt is enabled: turn the
 * record on when the device is there. The boot's code before this point is not recorded
 * (serial_init).
 */
void cover_init(void)
{
    if (inb(COVER_PORT) != COVER_READBACK)
        return;
    if ((uint64_t)(__text_end - __text_start) > COVER_TEXT_MAX)
        panic("cover-text-too-large size=%lu max=%lu",
              (uint64_t)(__text_end - __text_start), COVER_TEXT_MAX);
    uint64_t base = (uint64_t)__text_start;
    cover_send("RLCOVER1", 8);
    cover_send(&base, sizeof base);
    kcov_hook.cover = 1;
}

/*
 * A site reached for the first time (cover_hit saw its bit clear): set the bit and send its
 * offset. The test-and-set and the four bytes go out with interrupts off: an interrupt
 * handler reaching a new site in between would otherwise interleave its record with this
 * one, or send this one twice (one CPU: no other writer).
 */
void cover_record(uint64_t off)
{
    uint64_t grain = off >> COVER_GRAIN_SHIFT, bit = 1UL << (grain % 64);
    uint64_t rflags;
    __asm__ volatile("pushfq; popq %0; cli" : "=r"(rflags) :: "memory");
    if (!(cover_map[grain / 64] & bit)) {
        cover_map[grain / 64] |= bit;
        uint32_t rec = (uint32_t)off;
        cover_send(&rec, sizeof rec);
    }
    if (rflags & RFLAGS_IF)
        sti();
}

#endif
