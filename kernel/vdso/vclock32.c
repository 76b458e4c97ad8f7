/*
 * The 32-bit vDSO's clock functions (i386): as vclock.c, from the same [vvar] page, under
 * the names and version of Linux's vdso32 (LINUX_2.6: __vdso_clock_gettime with the old
 * 32-bit timespec, __vdso_clock_gettime64, __vdso_gettimeofday, __vdso_time,
 * __vdso_clock_getres), so i386 glibc uses them. A clock it does not keep goes to the i386
 * system call (int $0x80) and returns its result.
 *
 * i386 has no RIP-relative addressing: [vvar]'s address is this code's own (call/pop) plus
 * the link-time distance to vvar_page, so the image still needs no relocation and no GOT.
 * No 64-bit division either (no libgcc): the kernel stores seconds and nanoseconds apart.
 */
#include "vvar.h"

typedef __INT32_TYPE__ s32;
typedef __UINT32_TYPE__ u32;
typedef __INT64_TYPE__ s64;

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define NR32_CLOCK_GETTIME       265      /* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define NR32_CLOCK_GETRES        266
#define NR32_CLOCK_GETTIME64     403

struct old_timespec32 { s32 tv_sec; s32 tv_nsec; };
struct kernel_timespec { s64 tv_sec; s64 tv_nsec; };
struct old_timeval32 { s32 tv_sec; s32 tv_usec; };
struct timezone { s32 tz_minuteswest; s32 tz_dsttime; };

static const struct vvar *vvar(void)
{
    const struct vvar *v;
    __asm__("call 1f\n1:\tpopl %0\n\taddl $vvar_page - 1b, %0" : "=r"(v));
    return v;
}

static long sys2(long nr, long a, long b)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b) : "memory");
    return r;
}

/* 1 for CLOCK_REALTIME's kind, 0 for CLOCK_MONOTONIC's, -1 for a clock not kept here. */
static int kind(s32 clk)
{
    if (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE)
        return 1;
    if (clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_RAW || clk == CLOCK_MONOTONIC_COARSE ||
        clk == CLOCK_BOOTTIME)
        return 0;
    return -1;
}

/* One clock as of one tick: retried while the kernel writes (vvar.h). */
static void read_clock(int real, s64 *sec, u32 *nsec)
{
    const struct vvar *v = vvar();
    u32 seq;
    do {
        seq = v->seq;
        __asm__ volatile("" ::: "memory");
        *sec = real ? v->real_sec : v->mono_sec;
        *nsec = real ? v->real_nsec : v->mono_nsec;
        __asm__ volatile("" ::: "memory");
    } while ((seq & 1) || seq != v->seq);
}

int __vdso_clock_gettime(s32 clk, struct old_timespec32 *ts)
{
    int k = kind(clk);
    if (k < 0)
        return (int)sys2(NR32_CLOCK_GETTIME, clk, (long)ts);
    s64 sec;
    u32 nsec;
    read_clock(k, &sec, &nsec);
    ts->tv_sec = (s32)sec;
    ts->tv_nsec = (s32)nsec;
    return 0;
}

int __vdso_clock_gettime64(s32 clk, struct kernel_timespec *ts)
{
    int k = kind(clk);
    if (k < 0)
        return (int)sys2(NR32_CLOCK_GETTIME64, clk, (long)ts);
    s64 sec;
    u32 nsec;
    read_clock(k, &sec, &nsec);
    ts->tv_sec = sec;
    ts->tv_nsec = nsec;
    return 0;
}

int __vdso_clock_getres(s32 clk, struct old_timespec32 *res)
{
    if (kind(clk) < 0)
        return (int)sys2(NR32_CLOCK_GETRES, clk, (long)res);
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = (s32)vvar()->tick_ns;
    }
    return 0;
}

int __vdso_gettimeofday(struct old_timeval32 *tv, struct timezone *tz)
{
    if (tv) {
        s64 sec;
        u32 nsec;
        read_clock(1, &sec, &nsec);
        tv->tv_sec = (s32)sec;
        tv->tv_usec = (s32)(nsec / 1000);
    }
    if (tz) {
        tz->tz_minuteswest = vvar()->tz_minuteswest;   /* settimeofday's (Linux sys_tz) */
        tz->tz_dsttime = vvar()->tz_dsttime;
    }
    return 0;
}

s32 __vdso_time(s32 *t)
{
    s64 sec;
    u32 nsec;
    read_clock(1, &sec, &nsec);
    if (t)
        *t = (s32)sec;
    return (s32)sec;
}
