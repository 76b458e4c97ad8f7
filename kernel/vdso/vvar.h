/*
 * The vDSO's data page ([vvar]): what the kernel writes at every timer tick (vdso.c) and
 * the vDSO reads (vdso/vclock.c). One struct, shared by both through this header.
 *
 * The clock is the kernel's own (time.c): CLOCK_MONOTONIC is the PIT tick count times the
 * tick's length, CLOCK_REALTIME the CMOS clock read at boot plus the same ticks. The kernel
 * stores both here right after it counts a tick, so a vDSO read gives the value the
 * clock_gettime system call gives during the same tick, to the nanosecond. Nothing in user
 * space can read a finer clock of ours: the TSC is not calibrated against the PIT here.
 *
 * seq is a sequence count (Linux's vdso_data seq): odd while the kernel writes. A reader
 * reads seq, the fields, then seq again, and retries unless both reads gave the same even
 * value. There is one CPU and the writer is the timer interrupt, so a reader can only be
 * interrupted by a whole update, never see half of one undetected.
 */
#pragma once
#include "types.h"

struct vvar {
    /*  0 */ volatile uint32_t seq;    /* even: stable; odd: being written */
    /*  4 */ uint32_t tick_ns;         /* the clocks' resolution (clock_getres), ns */
    /*  8 */ volatile uint64_t mono_ns;    /* CLOCK_MONOTONIC at the last tick */
    /* 16 */ volatile uint64_t real_ns;    /* CLOCK_REALTIME at the last tick */
};
_Static_assert(sizeof(struct vvar) == 24, "struct vvar is 24 bytes (the vDSO reads it)");
