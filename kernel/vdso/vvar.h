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

/* The compiler's own fixed-width types: the same struct for the kernel, the 64-bit vDSO and
   the i386 one (where `long` has 32 bits). The seconds and nanoseconds are also stored
   apart, so that the i386 vDSO needs no 64-bit division (no libgcc there). */
struct vvar {
    /*  0 */ volatile __UINT32_TYPE__ seq;        /* even: stable; odd: being written */
    /*  4 */ __UINT32_TYPE__ tick_ns;             /* the clocks' resolution (clock_getres), ns */
    /*  8 */ volatile __UINT64_TYPE__ mono_ns;    /* CLOCK_MONOTONIC at the last tick */
    /* 16 */ volatile __UINT64_TYPE__ real_ns;    /* CLOCK_REALTIME at the last tick */
    /* 24 */ volatile __INT64_TYPE__ mono_sec;    /* mono_ns / 10^9 */
    /* 32 */ volatile __INT64_TYPE__ real_sec;    /* real_ns / 10^9 */
    /* 40 */ volatile __UINT32_TYPE__ mono_nsec;  /* mono_ns % 10^9 */
    /* 44 */ volatile __UINT32_TYPE__ real_nsec;  /* real_ns % 10^9 */
    /* 48 */ volatile __INT32_TYPE__ tz_minuteswest;   /* settimeofday's time zone (Linux sys_tz) */
    /* 52 */ volatile __INT32_TYPE__ tz_dsttime;
} __attribute__((aligned(8)));
_Static_assert(sizeof(struct vvar) == 56, "struct vvar is 56 bytes (both vDSOs read it)");
