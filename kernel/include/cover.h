/*
 * The machine-wide coverage record (cover.c), in the coverage build only (make SANITIZE=1,
 * -DKCOV): every kernel PC the coverage hook sees, from any thread or interrupt, whether or
 * not a program traces with kcov. kcov (kcov.h) answers "what did this thread reach"; this
 * answers "what did this whole boot reach", for the test suite's coverage report
 * (harness/ringlab/machine/coverage.py, `invoke test --coverage`).
 *
 * It is on only when the machine has the record's device: QEMU's isa-debugcon at
 * COVER_PORT (`-device isa-debugcon,iobase=0xe9,chardev=...`), found at boot by reading the
 * port back (the device answers its readback byte; an empty port reads 0xff). So no kernel
 * argument, no console line and no file a program sees changes: a test boots the same
 * machine, plus one device.
 *
 * The stream the device's file receives (all little-endian):
 *
 *   offset  size
 *   0       8     magic "RLCOVER1"
 *   8       8     __text_start, the address every offset below is from
 *   16      4*n   one u32 per code site reached, the first time it is reached: the hook's
 *                 return address - __text_start (the instruction after `call
 *                 __sanitizer_cov_trace_pc`, what kcov records)
 *
 * Written as it happens, not at power-off: a site reached is in the file at once, so a
 * machine the harness kills, a panic, a triple fault or a hang lose nothing, and no exit path
 * needs a flush. Each site is sent once per boot (a bitmap in the kernel remembers which), so
 * the file holds at most 4 bytes per instrumented site, less than the bitmap itself for a
 * typical boot, which reaches a fraction of them.
 */
#pragma once
#include "kernel.h"

#define COVER_PORT        0xe9        /* QEMU isa-debugcon's default iobase (hw/char/debugcon.c) */
#define COVER_READBACK    0xe9        /* what the device answers on a read (its readback property) */
#define COVER_TEXT_MAX    (2UL << 20) /* kernel text the bitmap covers: 2 MiB */
#define COVER_GRAIN_SHIFT 2           /* one bit per 4 bytes of text: a site's call is 5 bytes long,
                                         so two return addresses are never in one 4-byte grain */

#define COVER_MAP_WORDS   (COVER_TEXT_MAX >> COVER_GRAIN_SHIFT >> 6)

#ifdef KCOV
void cover_init(void);                 /* kmain: probe the device, start the record */
void cover_record(uint64_t off);       /* a site reached the first time: mark it, send it */
extern uint64_t cover_map[COVER_MAP_WORDS];

/* The coverage hook, while the record is on: the site whose return address is pc. Inline,
   so that a site reached before (nearly every call) costs a bit test and no call. */
static inline void cover_hit(uint64_t pc)
{
    uint64_t off = pc - (uint64_t)__text_start, grain = off >> COVER_GRAIN_SHIFT;
    if (off < COVER_TEXT_MAX && !(cover_map[grain / 64] & (1UL << (grain % 64))))
        cover_record(off);
}
#else
static inline void cover_init(void) {}
#endif
