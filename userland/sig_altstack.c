/*
 * sig_altstack: sigaltstack(2) and SA_ONSTACK. The argument errors Linux gives (bad flags
 * EINVAL, a stack below MINSIGSTKSZ ENOMEM, changing the stack a handler runs on EPERM);
 * the old stack reported back (SS_DISABLE, then SS_ONSTACK inside the handler); and a stack
 * overflow - infinite recursion - caught by a SIGSEGV handler that runs on the alternate
 * stack and siglongjmps back. With the argument "nostack" the same overflow happens without
 * an alternate stack: the kernel cannot push the frame, and SIGSEGV ends the program (139).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sigtest.h"

#define ALT_SIZE (64 * 1024)

static char *alt;
static sigjmp_buf jb;
static volatile unsigned long depth;

static void on_segv(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    char here;
    stack_t cur, ss = { .ss_sp = alt, .ss_size = ALT_SIZE };
    int onalt = &here >= alt && &here < alt + ALT_SIZE;
    say("  on_segv: sig=%d code=%d on the alternate stack: %d deep: %d\n", sig, si->si_code, onalt,
        depth > 50);
    sigaltstack(NULL, &cur);
    say("  on_segv: ss_flags=%d (SS_ONSTACK=%d)\n", cur.ss_flags, SS_ONSTACK);
    TRY("  on_segv: sigaltstack while on it", syscall(SYS_sigaltstack, &ss, NULL));
    siglongjmp(jb, 1);
}

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int recurse(int n)
{
    volatile char pad[512];
    pad[0] = (char)n;
    depth++;
    return recurse(n + 1) + pad[0];
}

int main(int argc, char **argv)
{
    stack_t ss, old;
    install(SIGSEGV, on_segv, SA_ONSTACK);

    if (argc > 1 && !strcmp(argv[1], "nostack")) {
        say("overflow without an alternate stack\n");
        recurse(0);
        return 1;
    }

    alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    say("sigaltstack\n");
    TRY(" query", sigaltstack(NULL, &old));
    say(" old: flags=%d size=%lu\n", old.ss_flags, (unsigned long)old.ss_size);
    ss = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 5 };
    TRY(" flags 5", syscall(SYS_sigaltstack, &ss, NULL));   /* the kernel's checks, not musl's */
    ss = (stack_t){ .ss_sp = alt, .ss_size = 1024, .ss_flags = 0 };
    TRY(" size 1024", syscall(SYS_sigaltstack, &ss, NULL));
    TRY(" bad pointer", syscall(SYS_sigaltstack, (stack_t *)8, NULL));
    ss = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = SS_ONSTACK };
    TRY(" SS_ONSTACK", syscall(SYS_sigaltstack, &ss, NULL));
    ss = (stack_t){ .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 };
    TRY(" set 64 KiB", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    say(" now: flags=%d size=%lu same=%d\n", old.ss_flags, (unsigned long)old.ss_size, old.ss_sp == alt);

    say("stack overflow caught on the alternate stack\n");
    if (sigsetjmp(jb, 1) == 0) {
        recurse(0);
        say(" not reached\n");
    }
    say(" back in main\n");
    sigaltstack(NULL, &old);
    say(" after: flags=%d\n", old.ss_flags);
    ss.ss_flags = SS_DISABLE;
    TRY(" disable", sigaltstack(&ss, NULL));
    sigaltstack(NULL, &old);
    say(" disabled: flags=%d size=%lu\n", old.ss_flags, (unsigned long)old.ss_size);
    return 0;
}
