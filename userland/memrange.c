/*
 * memrange: the largest ranges the ABI allows, given to mmap, munmap, brk and
 * mprotect, each timed in guest time, while a forked child spins in ring 3.
 *
 * Guest time is the TSC (rdtsc), calibrated against CLOCK_MONOTONIC over
 * CALIBRATE_MS of ring-3 spinning (ringlab's clock counts 100 Hz timer ticks,
 * and ticks are only counted while interrupts are on: a kernel that sat in
 * one call with interrupts off would stop that clock, not the TSC). The spinner
 * prints a line each time it sees the clock move, so its lines between "begins"
 * and "returned" show it ran during a call. With the argument `int80`, an i386
 * getpid through `int $0x80` comes right before and right after the long call,
 * so QEMU's -d int log marks where it starts and ends. ringlab only: the ranges
 * use its memory map (kernel/include/mmu.h).
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE            4096UL
#define USER_LIMIT      0x7ffffffff000UL   /* TASK_SIZE: the end of user memory */
#define STACK_BOTTOM    (0x7ffffffff000UL - 32 * PAGE)   /* ringlab's stack as execve maps it (128 KiB) */
#define MMAP_BASE       0x700000000000UL   /* ringlab's mmap region */
#define CALIBRATE_MS    300
#define LONG_CALL_MAX   (64UL << 20)       /* the long mmap: at most 64 MiB */
#define LIMIT_MS        50.0
#define TRIES           3                  /* each largest-range call: the least of 3 times */

static int use_int80;
static double tsc_per_ms;

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* TSC ticks per millisecond, measured between two clock edges CALIBRATE_MS apart. */
static double calibrate(void)
{
    uint64_t t0 = now_ms(), t;
    while ((t = now_ms()) == t0)
        ;
    uint64_t c0 = rdtsc(), t1;
    while ((t1 = now_ms()) < t + CALIBRATE_MS)
        ;
    return (double)(rdtsc() - c0) / (double)(t1 - t);
}

/* A system call through `syscall`, or through `int $0x80` (a line in QEMU's -d int log). */
static long sys6(long nr, long a, long b, long c, long d, long e, long f, int marker)
{
    long ret;
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    if (marker)        /* getpid in the i386 table (20): a line in QEMU's -d int log */
        __asm__ volatile("int $0x80" : "=a"(ret) : "a"(20L) : "memory");
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static unsigned long free_ram(void)
{
    struct sysinfo si;
    return sysinfo(&si) ? 0 : si.freeram * si.mem_unit;
}

/* Where the largest munmap ends: below the vDSO's two pages ([vvar], then [vdso] at
   AT_SYSINFO_EHDR), which exec mapped before free_before was measured (unmapping them would
   also give back their page table), or at the stack without a vDSO. */
static unsigned long range_top(void)
{
    unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
    return vdso ? vdso - PAGE : STACK_BOTTOM;
}

/* A few pages far apart, so that the largest munmap has subtrees to walk and free. */
static void map_scattered(void)
{
    const unsigned long at[] = { MMAP_BASE + (1UL << 30), MMAP_BASE + (3UL << 39), range_top() - (1UL << 21) };
    for (unsigned i = 0; i < sizeof at / sizeof at[0]; i++)
        if (mmap((void *)at[i], 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
            == MAP_FAILED)
            printf("memrange: MAP_FIXED at 0x%lx failed: %s\n", at[i], strerror(errno));
}

/*
 * Time one call TRIES times (after `setup`, if any) and print its result and
 * the least time: the cost of the call itself. Guest time under TCG follows
 * the host's clock, so a try can also hold a 10 ms slice of the spinner or a
 * moment the host gave QEMU no CPU; a call that cost its range's size would be
 * slow every time.
 */
static long timed(const char *what, void (*setup)(void), long nr, long a, long b, long c, long d, long e, long f)
{
    long r = 0;
    double best = 1e9;
    for (int i = 0; i < TRIES; i++) {
        if (setup)
            setup();
        uint64_t c0 = rdtsc();
        r = sys6(nr, a, b, c, d, e, f, 0);
        double ms = (double)(rdtsc() - c0) / tsc_per_ms;
        best = ms < best ? ms : best;
    }
    char res[40];
    if (r < 0 && r > -4096)
        snprintf(res, sizeof res, "%s", strerror((int)-r));
    else
        snprintf(res, sizeof res, "0x%lx", (unsigned long)r);
    printf("memrange: %s -> %s in %.3f ms (%s)\n", what, res, best, best < LIMIT_MS ? "within 50 ms" : "TOO SLOW");
    return r;
}

/* The spinner: ring-3 work, and a line whenever the clock has moved since it last looked. */
__attribute__((noinline)) static void spinner(void)
{
    uint64_t seen = now_ms(), n = 0;
    for (;;) {
        for (volatile int i = 0; i < 20000; i++)
            ;
        uint64_t t = now_ms();
        if (t != seen) {
            seen = t;
            printf("memrange: spinner tick %lu\n", (unsigned long)++n);
            fflush(stdout);
        }
    }
}

int main(int argc, char **argv)
{
    use_int80 = argc > 1 && strcmp(argv[1], "int80") == 0;
    setvbuf(stdout, NULL, _IOLBF, 0);
    tsc_per_ms = calibrate();
    printf("memrange: free pages at start %lu\n", free_ram() / PAGE);
    printf("memrange: calibrated the TSC over %d ms of clock\n", CALIBRATE_MS);

    pid_t spin = fork();
    if (spin == 0)
        spinner();
    unsigned long heap = (unsigned long)sbrk(0);
    unsigned long free_before = free_ram();

    /* Long work that is legitimately long: zeroing tens of MiB. Preemptible. */
    unsigned long len = free_before / 2 < LONG_CALL_MAX ? (free_before / 2) & ~(PAGE - 1) : LONG_CALL_MAX;
    printf("memrange: long mmap of %lu MiB begins\n", len >> 20);
    uint64_t c0 = rdtsc();
    long big = sys6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, use_int80);
    double ms = (double)(rdtsc() - c0) / tsc_per_ms;
    sys6(SYS_getpid, 0, 0, 0, 0, 0, 0, use_int80);          /* the end marker: int $0x80 first */
    printf("memrange: long mmap of %lu MiB returned %s after %.1f ms\n", len >> 20,
           big > 0 ? "a mapping" : "an error", ms);
    if (big > 0) {
        for (unsigned long off = 0; off < len; off += PAGE)
            ((volatile char *)big)[off] = 1;
        c0 = rdtsc();
        long r = sys6(SYS_munmap, big, (long)len, 0, 0, 0, 0, 0);
        printf("memrange: munmap of the %lu MiB returned %ld after %.1f ms\n", len >> 20, r,
               (double)(rdtsc() - c0) / tsc_per_ms);
    }

    /* The largest ranges: each must answer within 50 ms of guest time. */
    timed("mmap(NULL, USER_LIMIT)", NULL, SYS_mmap, 0, (long)USER_LIMIT, PROT_READ | PROT_WRITE,
          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    timed("mmap(MAP_FIXED, 0x10000..USER_LIMIT)", NULL, SYS_mmap, 0x10000, (long)(USER_LIMIT - 0x10000),
          PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    timed("brk(MMAP_BASE - 4096)", NULL, SYS_brk, (long)(MMAP_BASE - PAGE), 0, 0, 0, 0, 0);
    timed("brk(0x100000010000)", NULL, SYS_brk, 0x100000010000L, 0, 0, 0, 0, 0);
    timed("mprotect(0x10000..USER_LIMIT)", NULL, SYS_mprotect, 0x10000, (long)(USER_LIMIT - 0x10000), PROT_READ, 0, 0, 0);
    unsigned long lo = (heap + 2 * PAGE - 1) & ~(PAGE - 1);
    timed("munmap(heap end..stack)", map_scattered, SYS_munmap, (long)lo, (long)(range_top() - lo), 0, 0, 0, 0);
    unsigned long free_after = free_ram();
    printf("memrange: free memory %s where it was before the mappings (%+ld pages)\n",
           free_after == free_before ? "back" : "NOT back", ((long)free_after - (long)free_before) / (long)PAGE);

    /* The whole user half, from a child: it loses its own code and dies on the way back. */
    pid_t whole = fork();
    if (whole == 0) {
        sys6(SYS_munmap, 0, (long)USER_LIMIT, 0, 0, 0, 0, 0);
        _exit(1);                                        /* never reached: no code left */
    }
    int st;
    waitpid(whole, &st, 0);
    printf("memrange: a child that unmapped the whole user half was %s\n",
           WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? "killed by SIGSEGV" : "NOT killed by SIGSEGV");

    kill(spin, SIGKILL);
    waitpid(spin, &st, 0);
    printf("memrange: spinner killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
