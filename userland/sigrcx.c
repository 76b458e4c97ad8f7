/*
 * sigrcx: RCX and R11 at a signal handler's first instruction. Linux returns to a handler
 * through IRET with the registers of the interrupted context (arch/x86/entry/syscall_64.c
 * uses SYSRET only when regs->cx == regs->ip and regs->r11 == regs->flags): after a system
 * call RCX still holds the address after the `syscall` instruction and R11 the RFLAGS it
 * saved, as the signal frame's sigcontext does; after an interrupt in ring 3 they hold the
 * program's own values. A handler entered through SYSRET would see RCX = its own address.
 * Cases: kill() to itself by a raw syscall; a blocking read interrupted by SIGALRM under
 * SA_RESTART (sigcontext's RIP goes back over the syscall, RCX does not); SIGALRM while
 * spinning in ring 3 with a marker in RCX and R11. Same output on Linux and in ringlab.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>

#include "sigtest.h"

#define MARK_RCX 0x1234567890abcdefULL
#define MARK_R11 0x0000000000000246ULL   /* IF, ZF, PF and the reserved bit: a plausible RFLAGS */

uint64_t seen_rcx, seen_r11;             /* at the handler's first instruction (the stub) */
static uint64_t ctx_rcx, ctx_r11, ctx_rip;
static volatile int fired;
static int pfd[2];

void on_signal(int sig, siginfo_t *si, void *uc_)
{
    (void)sig, (void)si;
    ucontext_t *uc = uc_;
    ctx_rcx = uc->uc_mcontext.gregs[REG_RCX];
    ctx_r11 = uc->uc_mcontext.gregs[REG_R11];
    ctx_rip = uc->uc_mcontext.gregs[REG_RIP];
    fired = 1;
    if (sig == SIGALRM)
        write(pfd[1], "x", 1);            /* the restarted read finds a byte */
}

/* The handler's first instructions: keep RCX and R11 before any C code touches them. */
__asm__(".globl stub\n"
        "stub:\n"
        "    movq %rcx, seen_rcx(%rip)\n"
        "    movq %r11, seen_r11(%rip)\n"
        "    jmp on_signal\n");
void stub(int, siginfo_t *, void *);

static void report(const char *what, uint64_t after)
{
    say("%s: handler ran %d, RCX = after the syscall %d, RCX = the handler %d, "
        "RCX = sigcontext rcx %d, R11 = sigcontext r11 %d, sigcontext rip = after %d, = after - 2 %d\n",
        what, fired, seen_rcx == after, seen_rcx == (uint64_t)stub, seen_rcx == ctx_rcx,
        seen_r11 == ctx_r11, ctx_rip == after, ctx_rip == after - 2);
    fired = 0;
    seen_rcx = seen_r11 = 0;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = stub;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGALRM, &sa, NULL);
    pipe(pfd);

    uint64_t after, ret;
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "syscall\n"
                     "1:"
                     : "=&r"(after), "=a"(ret)
                     : "a"(62L), "D"((long)getpid()), "S"((long)SIGUSR1)
                     : "rcx", "r11", "memory");
    report("kill to itself", after);

    struct itimerval it = { { 0, 0 }, { 0, 50000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    char c;
    __asm__ volatile("lea 1f(%%rip), %0\n\t"
                     "syscall\n"
                     "1:"
                     : "=&r"(after), "=a"(ret)
                     : "a"(0L), "D"((long)pfd[0]), "S"(&c), "d"(1L)
                     : "rcx", "r11", "memory");
    say("read restarted: returned %ld\n", (long)ret);
    report("read interrupted by SIGALRM (SA_RESTART)", after);

    setitimer(ITIMER_REAL, &it, NULL);
    __asm__ volatile("movabs %1, %%rcx\n\t"
                     "mov %2, %%r11\n"
                     "1:\n\t"
                     "cmpl $0, %0\n\t"
                     "je 1b"
                     :
                     : "m"(fired), "i"(MARK_RCX), "i"(MARK_R11)
                     : "rcx", "r11", "memory", "cc");
    say("spinning: handler ran %d, RCX = the marker %d, R11 = the marker %d, = sigcontext %d %d\n", fired,
        seen_rcx == MARK_RCX, seen_r11 == MARK_R11, seen_rcx == ctx_rcx, seen_r11 == ctx_r11);
    return 0;
}
