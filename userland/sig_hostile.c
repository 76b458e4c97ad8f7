/*
 * sig_hostile: a handler (or a program calling rt_sigreturn itself) that forges the saved
 * context, as sigreturn-oriented programming does. rt_sigreturn must keep only what ring 3
 * may hold. Each case is one run (argv[1]):
 *   flags       saved RFLAGS with IOPL 3, IF clear, NT set: back in main, IOPL is 0, IF 1, NT 0
 *   cs          saved CS = 0x08 (a kernel code selector): SIGSEGV, status 139
 *   ss          saved SS = 0x10: SIGSEGV, status 139
 *   rip         a non-canonical RIP: SIGSEGV in ring 3, never a #GP in ring 0 (139)
 *   rip-caught  the same with a SIGSEGV handler: what it reports (SI_KERNEL, #GP)
 *   kernel-rip  RIP in the kernel half (canonical): a user page fault there (SEGV_MAPERR)
 *   mxcsr       reserved MXCSR bits in the saved FPU state: SIGSEGV (139)
 *   badframe    rt_sigreturn with RSP at an unmapped page: SIGSEGV (139)
 *   forged      rt_sigreturn from a frame built from scratch with the user selectors: it
 *               lands where the frame says, with IOPL still 0
 *   bad-handler a non-canonical handler address: SIGSEGV in ring 3 (139)
 *   kernel-altstack  an alternate stack in the kernel half: the frame can't be written,
 *               SIGSEGV (139)
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sigtest.h"

#define RF_IOPL 0x3000UL
#define RF_IF   0x200UL
#define RF_NT   0x4000UL

static const char *mode;

static unsigned long rflags(void)
{
    unsigned long f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

static void report_flags(const char *when)
{
    unsigned long f = rflags();
    say("%s: IOPL=%lu IF=%d NT=%d\n", when, (f & RF_IOPL) >> 12, !!(f & RF_IF), !!(f & RF_NT));
}

static void forge(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    say("handler: sig=%d, forging the frame (%s)\n", sig, mode);
    if (!strcmp(mode, "flags"))
        g[REG_EFL] = (g[REG_EFL] | RF_IOPL | RF_NT) & ~RF_IF;
    else if (!strcmp(mode, "cs"))
        g[REG_CSGSFS] = (g[REG_CSGSFS] & ~0xffffL) | 0x08;
    else if (!strcmp(mode, "ss"))
        g[REG_CSGSFS] = (g[REG_CSGSFS] & ~(0xffffL << 48)) | (0x10L << 48);
    else if (!strcmp(mode, "rip") || !strcmp(mode, "rip-caught"))
        g[REG_RIP] = (greg_t)0x8000000000000000UL;
    else if (!strcmp(mode, "kernel-rip"))
        g[REG_RIP] = (greg_t)0xffffffff80100000UL;
    else if (!strcmp(mode, "mxcsr"))
        uc->uc_mcontext.fpregs->mxcsr |= 0x80000000U;
}

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    say("on_segv: sig=%d code=%d addr=%#lx trapno=%lld err=%#llx\n", sig, si->si_code,
        (unsigned long)si->si_addr, g[REG_TRAPNO], g[REG_ERR]);
    _exit(3);
}

static void landing(void)
{
    report_flags("forged: landed");
    exit(0);
}

/* A whole rt_sigframe made by hand: pretcode, then the ucontext; rt_sigreturn finds it at RSP - 8. */
static void forged(void)
{
    static unsigned long stack[4096] __attribute__((aligned(16)));
    static struct { unsigned long pretcode; ucontext_t uc; } frame __attribute__((aligned(16)));
    unsigned short cs, ss;
    __asm__ volatile("mov %%cs, %0; mov %%ss, %1" : "=r"(cs), "=r"(ss));
    memset(&frame, 0, sizeof frame);
    greg_t *g = frame.uc.uc_mcontext.gregs;
    g[REG_RIP] = (greg_t)landing;
    g[REG_RSP] = (greg_t)&stack[4096 - 1];        /* RSP + 8 16-byte aligned, as after a call */
    g[REG_EFL] = 0x2 | RF_IOPL;
    g[REG_CSGSFS] = cs | ((long)ss << 48);
    frame.uc.uc_flags = 0x2 | 0x4;                /* UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS */
    __asm__ volatile("lea 8(%0), %%rsp\n mov %1, %%eax\n syscall" ::"r"(&frame), "i"(SYS_rt_sigreturn)
                     : "memory");
    __builtin_unreachable();
}

int main(int argc, char **argv)
{
    mode = argc > 1 ? argv[1] : "flags";
    install(SIGUSR1, forge, 0);
    if (!strcmp(mode, "rip-caught") || !strcmp(mode, "kernel-rip"))
        install(SIGSEGV, on_segv, 0);
    if (!strcmp(mode, "bad-handler"))
        install(SIGUSR1, (void (*)(int, siginfo_t *, void *))0x8000000000000000UL, 0);
    if (!strcmp(mode, "kernel-altstack")) {
        stack_t ss = { .ss_sp = (void *)0xffffffff80000000UL, .ss_size = 65536 };
        say("sigaltstack in the kernel half: %d\n", sigaltstack(&ss, NULL));
        install(SIGUSR1, forge, SA_ONSTACK);
    }
    report_flags("before");
    if (!strcmp(mode, "badframe")) {
        say("rt_sigreturn with RSP at an unmapped page\n");
        __asm__ volatile("mov $0x1008, %%rsp\n mov %0, %%eax\n syscall" ::"i"(SYS_rt_sigreturn) : "memory");
    }
    if (!strcmp(mode, "forged"))
        forged();
    raise(SIGUSR1);
    report_flags("after");
    return 0;
}
