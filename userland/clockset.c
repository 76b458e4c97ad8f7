/* clock_settime and settimeofday as Linux's kernel/time/: `clockset` makes only calls that
 * fail (so the host's clock is never set): bad clocks, bad timespecs and timevals, bad
 * pointers, a zone out of range, and, as a user without CAP_SYS_TIME, EPERM for a valid time.
 * `clockset set` (ringlab only, as root) sets CLOCK_REALTIME and a time zone and reads them
 * back through the vDSO (clock_gettime, gettimeofday, time) and the system calls, with
 * CLOCK_MONOTONIC unmoved and an absolute CLOCK_REALTIME sleep measured against the new time.
 * Built for x86-64 (clockset) and i386 (clockset-m32: settimeofday and clock_settime with
 * 32-bit time fields, glibc's clock_settime64). */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static long cs(long clk, const void *tp) { return syscall(SYS_clock_settime, clk, tp); }
static long stod(const void *tv, const void *tz) { return syscall(SYS_settimeofday, tv, tz); }

static void errors(void)
{
    struct timespec now, bad_ns = { 0, 1000000000 }, neg = { -1, 0 };
    struct timeval tv_big = { 0, 1000001 }, tv_edge = { 0, 1000000 }, tv_neg = { -1, 0 }, tv_usneg = { 0, -1 };
    struct timezone tz_far = { 16 * 60, 0 };
    clock_gettime(CLOCK_REALTIME, &now);
    printf("clock_settime MONOTONIC: %s\n", e(cs(CLOCK_MONOTONIC, &now)));
    printf("clock_settime BOOTTIME: %s\n", e(cs(CLOCK_BOOTTIME, &now)));
    printf("clock_settime REALTIME_COARSE: %s\n", e(cs(CLOCK_REALTIME_COARSE, &now)));
    printf("clock_settime TAI NULL: %s\n", e(cs(CLOCK_TAI, NULL)));
    printf("clock_settime clock 100: %s\n", e(cs(100, &now)));
    printf("clock_settime clock 100 NULL: %s\n", e(cs(100, NULL)));
    printf("clock_settime PROCESS_CPUTIME: %s\n", e(cs(CLOCK_PROCESS_CPUTIME_ID, &now)));
    printf("clock_settime THREAD_CPUTIME NULL: %s\n", e(cs(CLOCK_THREAD_CPUTIME_ID, NULL)));
    printf("clock_settime REALTIME NULL: %s\n", e(cs(CLOCK_REALTIME, NULL)));
    printf("clock_settime REALTIME kernel address: %s\n", e(cs(CLOCK_REALTIME, (void *)0xffffffff81000000UL)));
    printf("clock_settime REALTIME nsec 1e9: %s\n", e(cs(CLOCK_REALTIME, &bad_ns)));
    printf("clock_settime REALTIME sec -1: %s\n", e(cs(CLOCK_REALTIME, &neg)));
    printf("settimeofday usec 1000001: %s\n", e(stod(&tv_big, NULL)));
    printf("settimeofday usec 1000000: %s\n", e(stod(&tv_edge, NULL)));
    printf("settimeofday usec -1: %s\n", e(stod(&tv_usneg, NULL)));
    printf("settimeofday sec -1: %s\n", e(stod(&tv_neg, NULL)));
    printf("settimeofday tv fault: %s\n", e(stod((void *)8, NULL)));
    printf("settimeofday tz fault: %s\n", e(stod(NULL, (void *)8)));
    printf("settimeofday zone 16 h west: %s\n", e(stod(NULL, &tz_far)));
    if (geteuid() != 0) {                      /* as root these would set the host's clock */
        printf("clock_settime REALTIME now: %s\n", e(cs(CLOCK_REALTIME, &now)));
        struct timeval tv = { now.tv_sec, 0 };
        printf("settimeofday now: %s\n", e(stod(&tv, NULL)));
        printf("settimeofday nothing: %s\n", e(stod(NULL, NULL)));
    }
}

#if UINTPTR_MAX == 0xffffffffu            /* clockset-m32: the i386 vDSO is an ELF32 */
typedef Elf32_Ehdr Ehdr;
typedef Elf32_Phdr Phdr;
typedef Elf32_Dyn Dyn;
typedef Elf32_Sym Sym;
#else
typedef Elf64_Ehdr Ehdr;
typedef Elf64_Phdr Phdr;
typedef Elf64_Dyn Dyn;
typedef Elf64_Sym Sym;
#endif

/* A function of the vDSO by name (its dynamic symbols through DT_HASH's count), or NULL. */
static void *vdso_fn(const char *name)
{
    uintptr_t base = getauxval(AT_SYSINFO_EHDR), bias = 0;
    if (!base)
        return NULL;
    const Ehdr *eh = (const Ehdr *)base;
    const Dyn *dyn = NULL;
    for (int i = 0; i < eh->e_phnum; i++) {
        const Phdr *ph = (const Phdr *)(base + eh->e_phoff) + i;
        if (ph->p_type == PT_LOAD && !bias)
            bias = base + ph->p_offset - ph->p_vaddr;
        if (ph->p_type == PT_DYNAMIC)
            dyn = (const Dyn *)(base + ph->p_offset);
    }
    const Sym *sym = NULL;
    const char *str = NULL;
    const Elf32_Word *hash = NULL;
    for (; dyn && dyn->d_tag != DT_NULL; dyn++) {
        if (dyn->d_tag == DT_SYMTAB)
            sym = (const Sym *)(bias + dyn->d_un.d_ptr);
        else if (dyn->d_tag == DT_STRTAB)
            str = (const char *)(bias + dyn->d_un.d_ptr);
        else if (dyn->d_tag == DT_HASH)
            hash = (const Elf32_Word *)(bias + dyn->d_un.d_ptr);
    }
    for (Elf32_Word i = 0; sym && str && hash && i < hash[1]; i++)
        if (sym[i].st_shndx != SHN_UNDEF && !strcmp(str + sym[i].st_name, name))
            return (void *)(bias + sym[i].st_value);
    return NULL;
}

static double secs(struct timespec t) { return (double)t.tv_sec + t.tv_nsec / 1e9; }

static void set(void)
{
    struct timespec t = { 2000000000, 500000000 }, m0, m1, r;
    struct timeval tv;
    struct timezone tz = { 60, 0 }, got;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    printf("clock_settime REALTIME 2000000000.5: %s\n", e(cs(CLOCK_REALTIME, &t)));
    clock_gettime(CLOCK_REALTIME, &r);
    printf("vDSO clock_gettime: %s\n", r.tv_sec >= 2000000000 && r.tv_sec < 2000000005 ? "the new time" : "old");
    syscall(SYS_clock_gettime, CLOCK_REALTIME, &r);
    printf("syscall clock_gettime: %s\n", r.tv_sec >= 2000000000 && r.tv_sec < 2000000005 ? "the new time" : "old");
    gettimeofday(&tv, NULL);
    printf("gettimeofday: %s\n", tv.tv_sec >= 2000000000 && tv.tv_sec < 2000000005 ? "the new time" : "old");
    time_t s = time(NULL);
    printf("time: %s\n", s >= 2000000000 && s < 2000000005 ? "the new time" : "old");
    clock_gettime(CLOCK_MONOTONIC, &m1);
    printf("monotonic unmoved: %s\n", secs(m1) - secs(m0) < 5 && secs(m1) >= secs(m0) ? "yes" : "no");
#if UINTPTR_MAX != 0xffffffffu   /* i386: ringlab's table has no 32-bit clock_nanosleep nor futex yet */
    struct timespec abs;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_nsec += 300000000;
    if (abs.tv_nsec >= 1000000000)
        abs.tv_sec++, abs.tv_nsec -= 1000000000;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    int rr = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &abs, NULL);
    clock_gettime(CLOCK_MONOTONIC, &m1);
    clock_gettime(CLOCK_REALTIME, &r);
    double slept = secs(m1) - secs(m0);
    printf("absolute realtime sleep: %s, woke after the deadline %s, slept %s\n", rr ? "failed" : "ok",
           secs(r) >= secs(abs) ? "yes" : "no", slept >= 0.25 && slept < 5 ? "~0.3 s" : "wrong");
    /* futex deadlines on CLOCK_REALTIME are absolute times of the new clock */
    static volatile unsigned int word;
    clock_gettime(CLOCK_REALTIME, &abs);
    abs.tv_sec += 1;
    clock_gettime(CLOCK_MONOTONIC, &m0);
    long fr = syscall(SYS_futex, &word, 9 | 256, 0, &abs, NULL, ~0u);   /* WAIT_BITSET | CLOCK_REALTIME */
    int ferr = errno;
    clock_gettime(CLOCK_MONOTONIC, &m1);
    printf("futex realtime deadline 1 s ahead: %s, waited %s\n", fr == -1 && ferr == ETIMEDOUT ? "ETIMEDOUT" : "wrong",
           secs(m1) - secs(m0) >= 0.9 && secs(m1) - secs(m0) < 5 ? "~1 s" : "wrong");
#endif
    printf("settimeofday zone 60 west: %s\n", e(stod(NULL, &tz)));
    int (*vgtod)(struct timeval *, struct timezone *) = vdso_fn("__vdso_gettimeofday");
    memset(&got, 0xff, sizeof got);
    if (vgtod)
        vgtod(&tv, &got);                  /* musl's gettimeofday never fills the zone */
    printf("vDSO gettimeofday zone: %d %d\n", got.tz_minuteswest, got.tz_dsttime);
    memset(&got, 0xff, sizeof got);
    syscall(SYS_gettimeofday, &tv, &got);
    printf("syscall gettimeofday zone: %d %d\n", got.tz_minuteswest, got.tz_dsttime);
    tv = (struct timeval){ 1000000000, 0 };
    printf("settimeofday 1000000000: %s\n", e(stod(&tv, NULL)));
    s = time(NULL);
    printf("time: %s\n", s >= 1000000000 && s < 1000000005 ? "the new time" : "old");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "set"))
        set();
    else
        errors();
    return 0;
}
