/*
 * The user's GS base belongs to the user: set with arch_prctl(ARCH_SET_GS), it must come
 * back unchanged, through %gs-relative loads and ARCH_GET_GS, after system calls, after
 * timer preemption (the program spins SPIN_MS of CLOCK_MONOTONIC time in ring 3), after a
 * child ran with a GS base of its own, after children died of faults, and after children
 * tried the privileged GS instructions at CPL 3 (swapgs; rdmsr of IA32_KERNEL_GS_BASE).
 * A new image starts with GS base 0 (execve). Same binary, same output on Linux.
 *
 * Usage: gsbase [SPIN_MS]    (default 300)
 *        gsbase exec-check   (internal: print the GS base a fresh image starts with)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001   /* asm/prctl.h */
#define ARCH_GET_GS 0x1004
#define GS_MAGIC    0x5e11ab1e600dca75UL
#define CHILD_MAGIC 0xc41dc41dc41dc41dUL
#define KERNEL_HALF 0xffffffff80000000UL
#define LAST_USER_PAGE 0x7ffffffff000UL   /* Linux's TASK_SIZE_MAX: bases from here are EPERM */
#define MSR_KERNEL_GS_BASE 0xc0000102

/* What %gs points at: word 0 its own address (as a TLS block would), word 1 a magic. */
struct gs_area {
    unsigned long self;
    unsigned long magic;
};
static struct gs_area parent_area, child_area;

static unsigned long gs_word(unsigned long offset)
{
    unsigned long v;
    __asm__ volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"(offset) : "memory");
    return v;
}

static long get_gs(unsigned long *out)
{
    return syscall(SYS_arch_prctl, ARCH_GET_GS, out);
}

/* The GS base is `area` by ARCH_GET_GS and by what %gs-relative loads see; else exit 1. */
static void check(const struct gs_area *area, const char *where)
{
    unsigned long base = 0;
    if (gs_word(0) != (unsigned long)area || gs_word(8) != area->magic) {
        printf("gsbase: FAIL %s: %%gs:0=%#lx %%gs:8=%#lx\n", where, gs_word(0), gs_word(8));
        exit(1);
    }
    if (get_gs(&base) != 0 || base != (unsigned long)area) {
        printf("gsbase: FAIL %s: ARCH_GET_GS gave %#lx\n", where, base);
        exit(1);
    }
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Spin in ring 3 for `ms` of clock time, checking %gs all along; returns the checks made. */
__attribute__((noinline)) static unsigned long spin(const struct gs_area *area, double ms, const char *where)
{
    unsigned long checks = 0;
    double end = now_ms() + ms;
    while (now_ms() < end) {
        for (int i = 0; i < 100000; i++, checks++)
            if (gs_word(0) != (unsigned long)area || gs_word(8) != area->magic) {
                printf("gsbase: FAIL %s: %%gs:0=%#lx after %lu checks\n", where, gs_word(0), checks);
                exit(1);
            }
        check(area, where);
    }
    return checks;
}

static void set_gs(struct gs_area *area, unsigned long magic)
{
    area->self = (unsigned long)area;
    area->magic = magic;
    if (syscall(SYS_arch_prctl, ARCH_SET_GS, area) != 0) {
        printf("gsbase: FAIL ARCH_SET_GS: %s\n", strerror(errno));
        exit(1);
    }
}

/* Run `body` in a child while this process spins `spin_ms` too; print how the child ended. */
static void in_child(const char *what, void (*body)(void), double spin_ms)
{
    pid_t pid = fork();
    if (pid == 0) {
        body();
        exit(0);
    }
    if (spin_ms > 0)
        spin(&parent_area, spin_ms, what);
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("gsbase: %s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("gsbase: %s: exit %d\n", what, WEXITSTATUS(st));
    check(&parent_area, what);
}

static void child_own_base(void)
{
    check(&parent_area, "child: inherited");
    printf("gsbase: child: inherited the parent's GS base\n");
    set_gs(&child_area, CHILD_MAGIC);
    spin(&child_area, 100, "child: own base");
}

static void child_swapgs(void) { __asm__ volatile("swapgs"); }
static void child_rdmsr(void)
{
    unsigned lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(MSR_KERNEL_GS_BASE));
}
static void child_ud2(void) { __asm__ volatile("ud2"); }
static void child_null(void) { *(volatile int *)0 = gs_word(0); }

static const char *self_path;
static void child_exec(void)
{
    char *argv[] = { (char *)self_path, "exec-check", NULL };
    execv(self_path, argv);
    printf("gsbase: execv: %s\n", strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    unsigned long base = 1;
    if (argc > 1 && !strcmp(argv[1], "exec-check")) {
        get_gs(&base);
        printf("gsbase: a new image starts with GS base %#lx\n", base);
        return 0;
    }
    self_path = argv[0];
    double spin_ms = argc > 1 ? atof(argv[1]) : 300;

    long r = get_gs(&base);
    printf("gsbase: ARCH_GET_GS at start: %ld, base %#lx\n", r, base);
    r = syscall(SYS_arch_prctl, ARCH_SET_GS, KERNEL_HALF);
    printf("gsbase: ARCH_SET_GS to a kernel address: %ld (%s)\n", r, strerror(errno));
    r = syscall(SYS_arch_prctl, ARCH_SET_GS, LAST_USER_PAGE);
    printf("gsbase: ARCH_SET_GS to the last user page: %ld (%s)\n", r, strerror(errno));
    r = syscall(SYS_arch_prctl, ARCH_SET_GS, LAST_USER_PAGE - 1);
    printf("gsbase: ARCH_SET_GS just below it: %ld\n", r);
    r = syscall(SYS_arch_prctl, ARCH_GET_GS, (void *)8);
    printf("gsbase: ARCH_GET_GS to a bad pointer: %ld (%s)\n", r, strerror(errno));

    set_gs(&parent_area, GS_MAGIC);
    check(&parent_area, "after ARCH_SET_GS");
    printf("gsbase: ARCH_SET_GS: ok\n");

    for (int i = 0; i < 1000; i++) {
        if (syscall(SYS_getpid) != getpid())
            exit(1);
        check(&parent_area, "after a system call");
    }
    printf("gsbase: 1000 system calls: ok\n");

    unsigned long checks = spin(&parent_area, spin_ms, "spinning");
    printf("gsbase: spun %.0f ms in ring 3: %s\n", spin_ms, checks ? "ok" : "no checks?");

    in_child("child with its own GS base", child_own_base, 100);
    in_child("swapgs at CPL 3", child_swapgs, 0);
    in_child("rdmsr IA32_KERNEL_GS_BASE at CPL 3", child_rdmsr, 0);
    in_child("ud2", child_ud2, 0);
    in_child("NULL write", child_null, 0);
    in_child("execve", child_exec, 0);
    spin(&parent_area, 50, "at the end");
    printf("gsbase: all checks passed\n");
    return 0;
}
