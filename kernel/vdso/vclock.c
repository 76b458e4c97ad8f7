/*
 * The vDSO's functions: the clock calls answered in ring 3 from [vvar] (vvar.h), getcpu
 * from the CPUNODE segment, each under the name and version Linux's x86-64 vDSO exports
 * (arch/x86/entry/vdso/vdso.lds.S: __vdso_NAME and a weak NAME, version LINUX_2.6), so
 * musl's and glibc's lookups find them. A clock it does not keep goes to the system call,
 * whose return (0 or -errno) it returns as Linux's vDSO does: the C libraries read it so.
 *
 * This is user code: compiled -fPIC into a shared object of its own (the Makefile), with no
 * relocation to apply (the image is copied as it is), no data but [vvar], no library.
 */
#include "types.h"
#include "gdt.h"
#include "sysnr.h"
#include "vvar.h"

#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define NS_PER_SEC               1000000000UL

struct timespec { int64_t tv_sec; int64_t tv_nsec; };
struct timeval { int64_t tv_sec; int64_t tv_usec; };
struct timezone { int32_t tz_minuteswest; int32_t tz_dsttime; };

/* [vvar], one page below the image (vdso.lds defines it): reached RIP-relative. */
extern const struct vvar vvar_page __attribute__((visibility("hidden")));

static int64_t syscall2(uint64_t nr, uint64_t a, uint64_t b)
{
    int64_t r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return r;
}

/* Both clocks as of one tick: retried while the kernel is writing or wrote meanwhile. */
static void vvar_read(uint64_t *mono, uint64_t *real)
{
    const struct vvar *v = &vvar_page;
    uint32_t seq;
    do {
        seq = v->seq;
        __asm__ volatile("" ::: "memory");   /* x86 keeps loads in order (TSO): a compiler fence */
        *mono = v->mono_ns;
        *real = v->real_ns;
        __asm__ volatile("" ::: "memory");
    } while ((seq & 1) || seq != v->seq);
}

/* The clock's nanoseconds: 0, or -1 for a clock the vDSO does not keep. */
static int clock_ns(int64_t clk, uint64_t *ns)
{
    uint64_t mono, real;
    switch (clk) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE:
        vvar_read(&mono, &real);
        *ns = real;
        return 0;
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
        vvar_read(&mono, &real);
        *ns = mono;
        return 0;
    default:
        return -1;
    }
}

int __vdso_clock_gettime(int64_t clk, struct timespec *ts)
{
    uint64_t ns;
    if (clock_ns(clk, &ns))
        return (int)syscall2(SYS_clock_gettime, (uint64_t)clk, (uint64_t)ts);
    ts->tv_sec = (int64_t)(ns / NS_PER_SEC);
    ts->tv_nsec = (int64_t)(ns % NS_PER_SEC);
    return 0;
}

int __vdso_clock_getres(int64_t clk, struct timespec *res)
{
    uint64_t ns;
    if (clock_ns(clk, &ns))
        return (int)syscall2(SYS_clock_getres, (uint64_t)clk, (uint64_t)res);
    if (res) {
        res->tv_sec = 0;
        res->tv_nsec = vvar_page.tick_ns;
    }
    return 0;
}

/* The time zone is the system call's: UTC until settimeofday sets one (time.c: Linux's sys_tz). */
int __vdso_gettimeofday(struct timeval *tv, struct timezone *tz)
{
    if (tv) {
        uint64_t mono, real;
        vvar_read(&mono, &real);
        tv->tv_sec = (int64_t)(real / NS_PER_SEC);
        tv->tv_usec = (int64_t)(real % NS_PER_SEC / 1000);
    }
    if (tz) {
        tz->tz_minuteswest = vvar_page.tz_minuteswest;   /* settimeofday's (Linux sys_tz) */
        tz->tz_dsttime = vvar_page.tz_dsttime;
    }
    return 0;
}

int64_t __vdso_time(int64_t *t)
{
    uint64_t mono, real;
    vvar_read(&mono, &real);
    int64_t s = (int64_t)(real / NS_PER_SEC);
    if (t)
        *t = s;
    return s;
}

/* The limit of the CPUNODE segment is (node << 12) | cpu (gdt.h), read with LSL as Linux's
   vdso_read_cpunode does where RDPID is missing. */
int __vdso_getcpu(uint32_t *cpu, uint32_t *node, void *unused)
{
    (void)unused;
    uint32_t p;
    __asm__("lsl %1, %0" : "=r"(p) : "r"((uint32_t)CPUNODE_SEL));
    if (cpu)
        *cpu = p & 0xfff;
    if (node)
        *node = p >> 12;
    return 0;
}

int clock_gettime(int64_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_gettime")));
int clock_getres(int64_t, struct timespec *) __attribute__((weak, alias("__vdso_clock_getres")));
int gettimeofday(struct timeval *, struct timezone *) __attribute__((weak, alias("__vdso_gettimeofday")));
int64_t time(int64_t *) __attribute__((weak, alias("__vdso_time")));
int getcpu(uint32_t *, uint32_t *, void *) __attribute__((weak, alias("__vdso_getcpu")));
