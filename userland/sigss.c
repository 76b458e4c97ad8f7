/*
 * rt_sigreturn and the SS in the signal frame (Linux arch/x86/kernel/signal_64.c): a frame
 * carries UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS; with UC_STRICT_RESTORE_SS the saved SS is
 * restored as it is (a bad one ends in SIGSEGV), without it a bad SS is repaired to the user
 * data selector (for old DOSEMU and CRIU). Each case runs in a child that changes the frame in
 * its handler; the same binary runs on the host and in ringlab (tests/test_linux_parity.py).
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#define UC_SIGCONTEXT_SS     0x2 /* arch/x86/include/uapi/asm/ucontext.h */
#define UC_STRICT_RESTORE_SS 0x4

static uint16_t new_ss;
static int strict;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    /* gregs[REG_CSGSFS]: cs, gs, fs, ss, 16 bits each (struct sigcontext) */
    uint64_t w = uc->uc_mcontext.gregs[REG_CSGSFS];
    w = (w & 0x0000ffffffffffffUL) | ((uint64_t)new_ss << 48);
    uc->uc_mcontext.gregs[REG_CSGSFS] = w;
    if (!strict)
        uc->uc_flags &= ~UC_STRICT_RESTORE_SS;
}

static void try(const char *name, uint16_t ss, int strict_flag)
{
    fflush(stdout);
    int c = fork();
    if (c == 0) {
        new_ss = ss;
        strict = strict_flag;
        struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO };
        sigaction(SIGUSR1, &sa, NULL);
        raise(SIGUSR1);
        uint16_t now;
        __asm__ volatile("mov %%ss, %0" : "=r"(now));
        _exit(now == 0 ? 10 : 0);
    }
    int st = 0;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", name, strsignal(WTERMSIG(st)));
    else
        printf("%s: returned, exit %d\n", name, WEXITSTATUS(st));
}

static volatile uint64_t flags_seen;
static void peek(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    flags_seen = ((ucontext_t *)ctx)->uc_flags;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = { .sa_sigaction = peek, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR2, &sa, NULL);
    raise(SIGUSR2);
    printf("frame uc_flags: SIGCONTEXT_SS %s, STRICT_RESTORE_SS %s\n",
           flags_seen & UC_SIGCONTEXT_SS ? "set" : "clear", flags_seen & UC_STRICT_RESTORE_SS ? "set" : "clear");
    uint16_t ss;
    __asm__ volatile("mov %%ss, %0" : "=r"(ss));
    try("strict, the same SS", ss, 1);
    try("strict, null SS", 0, 1);
    try("strict, a kernel selector", 0x10, 1);
    try("not strict, null SS", 0, 0);
    try("not strict, a kernel selector", 0x10, 0);
    try("not strict, a selector past the GDT", 0xfff3, 0);
    return 0;
}
