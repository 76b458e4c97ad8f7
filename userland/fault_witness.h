/*
 * The fault catalogue's fourth witness: the program's own signal handler. Included by every
 * f_*.c program. When the environment has RINGLAB_HANDLER_WITNESS (f_all sets it), a
 * constructor installs an SA_SIGINFO handler for the fault signals, on an alternate stack
 * (so f_stack's overflow is caught too). The handler prints what the kernel told it, in one
 * line the harness parses (harness.observe.witness.from_handler):
 *     handler: pid=3 signo=11 code=128 addr=0x0 trapno=13 err=0x0 rip=0x401136 rsp=0x7ff...
 *              cs=0x33 ss=0x2b rflags=0x10246 cr2=0x0
 * then lets the default action end the program (SA_RESETHAND, and raise() again): the status
 * is the same as without a handler. Standalone, the programs behave as before. A 32-bit
 * program (f_m32*.c, i386) reads its ia32 sigcontext and prints the same line.
 */
#pragma once
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

#if defined(__i386__)
/* gregs indices of the i386 mcontext (REG_ESP... in <sys/ucontext.h>, named there only with
 * _GNU_SOURCE): an ia32 sigcontext (Linux's struct sigcontext_32); cr2 follows the gregs,
 * the FPU pointer and oldmask (mcontext_t.cr2). CS and SS are gregs of their own. */
enum { FW_ESP = 7, FW_TRAPNO = 12, FW_ERR = 13, FW_EIP = 14, FW_CS = 15, FW_EFL = 16, FW_SS = 18 };

static void fault_witness(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    char line[320];
    int n = snprintf(line, sizeof line,
                     "handler: pid=%d signo=%d code=%d addr=%#lx trapno=%lu err=%#lx rip=%#lx "
                     "rsp=%#lx cs=%#lx ss=%#lx rflags=%#lx cr2=%#lx\n",
                     (int)getpid(), si->si_signo, si->si_code, (unsigned long)si->si_addr,
                     (unsigned long)g[FW_TRAPNO], (unsigned long)g[FW_ERR],
                     (unsigned long)g[FW_EIP], (unsigned long)g[FW_ESP],
                     (unsigned long)g[FW_CS] & 0xffff, (unsigned long)g[FW_SS] & 0xffff,
                     (unsigned long)g[FW_EFL], (unsigned long)uc->uc_mcontext.cr2);
    write(1, line, n);
    raise(sig);                          /* SA_RESETHAND: the default action now */
}
#else
/* gregs indices of the x86-64 mcontext (REG_RSP... in <sys/ucontext.h>, named there only
 * with _GNU_SOURCE, which the programs including this header don't define) */
enum { FW_RSP = 15, FW_RIP = 16, FW_EFL = 17, FW_CSGSFS = 18, FW_ERR = 19, FW_TRAPNO = 20, FW_CR2 = 22 };

static void fault_witness(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    char line[320];
    unsigned long csgsfs = (unsigned long)g[FW_CSGSFS];
    int n = snprintf(line, sizeof line,
                     "handler: pid=%d signo=%d code=%d addr=%#lx trapno=%lld err=%#llx rip=%#llx "
                     "rsp=%#llx cs=%#lx ss=%#lx rflags=%#llx cr2=%#llx\n",
                     (int)getpid(), si->si_signo, si->si_code, (unsigned long)si->si_addr,
                     (long long)g[FW_TRAPNO], (unsigned long long)g[FW_ERR],
                     (unsigned long long)g[FW_RIP], (unsigned long long)g[FW_RSP],
                     csgsfs & 0xffff, csgsfs >> 48, (unsigned long long)g[FW_EFL],
                     (unsigned long long)g[FW_CR2]);
    write(1, line, n);
    raise(sig);                          /* SA_RESETHAND: the default action now */
}
#endif

__attribute__((constructor)) static void fault_witness_install(void)
{
    static char altstack[64 * 1024];
    if (!getenv("RINGLAB_HANDLER_WITNESS"))
        return;
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fault_witness;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND | SA_NODEFER;
    int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
}
