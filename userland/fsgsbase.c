/*
 * fsgsbase: rdfsbase/wrfsbase/rdgsbase/wrgsbase in ring 3, the same on the host's Linux and
 * in ringlab (-cpu max; qemu64 has no FSGSBASE: the first instruction is #UD, SIGILL).
 *
 * With a hostile GS base (kernel addresses: the kernel's image, its direct map, the top of the
 * address space) the program makes system calls (syscall and int $0x80), spins through timer interrupts, takes a
 * fault (ud2 -> SIGILL handler) and a signal (SIGUSR1), and checks after each that its GS base
 * is still the one it wrote, also inside the handlers; arch_prctl and the instructions agree
 * both ways; a base set by wrgsbase survives a switch with a non-zero GS selector; a
 * non-canonical base is #GP (SIGSEGV) as the instruction defines.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <ucontext.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

static volatile uint64_t in_handler[2];
static volatile int handler_runs;

static uint64_t rdgs(void) { uint64_t v; __asm__ volatile("rdgsbase %0" : "=r"(v)); return v; }
static void wrgs(uint64_t v) { __asm__ volatile("wrgsbase %0" ::"r"(v) : "memory"); }
static uint64_t rdfs(void) { uint64_t v; __asm__ volatile("rdfsbase %0" : "=r"(v)); return v; }

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)si;
    in_handler[handler_runs & 1] = rdgs();
    handler_runs++;
    if (sig == SIGILL)
        ((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP] += 2;     /* past the ud2 */
}

static void spin(void)
{
    for (volatile long i = 0; i < 30000000; i++)
        ;
}

static int child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void probe(void) { (void)rdgs(); }

static void noncanonical(void)
{
    wrgs(0x0000800000000000UL);
    printf("fsgsbase: non-canonical base accepted: %#lx\n", rdgs());
    fflush(stdout);
}

/* Called with the hostile base in place: tests/test_fsgsbase.py's gdb test stops here. */
__attribute__((noinline)) void hostile_set(uint64_t base)
{
    __asm__ volatile("" ::"r"(base) : "memory");
}

static void hostile(uint64_t base)
{
    wrgs(base);
    hostile_set(base);
    int ok = 1;
    for (int i = 0; i < 100; i++)
        ok &= syscall(SYS_getpid) == getpid() && rdgs() == base;
    long pid32;
    __asm__ volatile("int $0x80" : "=a"(pid32) : "0"(20L) /* i386 getpid */ : "memory");
    ok &= pid32 == getpid() && rdgs() == base;
    spin();                                                   /* timer ticks in ring 3 */
    ok &= rdgs() == base;
    handler_runs = 0;
    __asm__ volatile("ud2");                                  /* #UD: SIGILL's handler */
    raise(SIGUSR1);
    ok &= rdgs() == base && handler_runs == 2 && in_handler[0] == base && in_handler[1] == base;
    uint64_t got = 0;
    syscall(SYS_arch_prctl, ARCH_GET_GS, &got);
    ok &= got == base;
    int st = child(spin);                                     /* a child inherits it too */
    ok &= st == 0 && rdgs() == base;
    printf("fsgsbase: hostile gs base %#lx kept=%d\n", base, ok);
    wrgs(0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    int st = child(probe);
    if (st) {
        printf("fsgsbase: rdgsbase status=%d\n", st);        /* qemu64: SIGILL (132) */
        return 0;
    }
    struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_NODEFER };
    sigaction(SIGILL, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);

    uint64_t fs = 0;
    syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
    printf("fsgsbase: rdfsbase == ARCH_GET_FS: %d\n", rdfs() == fs && fs != 0);
    syscall(SYS_arch_prctl, ARCH_SET_GS, 0x12345000UL);
    printf("fsgsbase: ARCH_SET_GS -> rdgsbase %#lx\n", rdgs());
    wrgs(0x23456000UL);
    uint64_t got = 0;
    syscall(SYS_arch_prctl, ARCH_GET_GS, &got);
    printf("fsgsbase: wrgsbase -> ARCH_GET_GS %#lx\n", got);

    /* a non-zero GS selector, then wrgsbase: the base survives switches (Linux with FSGSBASE) */
    __asm__ volatile("mov %0, %%gs" ::"r"(0x2b));
    wrgs(0x34567000UL);
    spin();
    sched_yield();
    unsigned short gs;
    __asm__ volatile("mov %%gs, %0" : "=r"(gs));
    printf("fsgsbase: selector %#x with wrgsbase base after switches %#lx\n", gs, rdgs());
    syscall(SYS_arch_prctl, ARCH_SET_GS, 0x45678000UL);
    __asm__ volatile("mov %%gs, %0" : "=r"(gs));
    printf("fsgsbase: ARCH_SET_GS nulls the selector: gs=%#x base=%#lx\n", gs, rdgs());

    static const uint64_t bases[] = { 0xffffffff80000000UL, 0xffff888000000000UL, 0xfffffffffffff000UL,
                                      0xffffff8000000000UL, 0x00007ffffffff000UL };
    for (unsigned i = 0; i < sizeof bases / sizeof bases[0]; i++)
        hostile(bases[i]);
    printf("fsgsbase: non-canonical wrgsbase status=%d\n", child(noncanonical));
    printf("fsgsbase: done\n");
    return 0;
}
