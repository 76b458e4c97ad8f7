/*
 * sig_basic: the signal system calls a program meets first, each result printed so Linux and
 * ringlab can be compared line by line: rt_sigaction (old action written back, SIGKILL and
 * SIGSTOP refused, bad sigsetsize), raise/kill/tkill/tgkill to a handler with si_code and
 * si_pid, SA_RESETHAND, SA_NODEFER, blocked and pending sets (a blocked signal is delivered
 * when unblocked; two at once run last-first as Linux stacks their frames), SIG_IGN
 * discarding a pending signal, SIGCHLD with si_status, a handler that returns vs one that
 * siglongjmps out, real-time signals queued (sigqueue's si_value, one delivery per send),
 * SIGSTOP then SIGCONT to a child (WUNTRACED/WCONTINUED; its SIGCONT handler runs), and last
 * abort(): a SIGABRT handler that returns cannot stop it (134).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sigtest.h"

static volatile int depth, max_depth;
static sigjmp_buf jb;

static void handler(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    const char *from = si->si_pid == getpid() ? "self" : si->si_pid == 0 ? "kernel" : "other";
    say("  handler: sig=%d signo=%d code=%d from=%s depth=%d\n", sig, si->si_signo, si->si_code, from, depth);
    if (sig == SIGUSR2 && depth == 1 && max_depth == 1) {
        sigset_t cur;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        say("  handler: SIGUSR2 blocked inside its handler: %d\n", sigismember(&cur, SIGUSR2));
    }
    depth--;
}

static void nodefer(int sig)
{
    depth++;
    say("  nodefer: depth=%d\n", depth);
    if (depth < 3)
        raise(sig);
    depth--;
}

static void jumper(int sig)
{
    say("  jumper: sig=%d, siglongjmp out\n", sig);
    siglongjmp(jb, sig);
}

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    say("  on_chld: sig=%d code=%d status=%d\n", sig, si->si_code, si->si_status);
}

static void on_rt(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    say("  on_rt: SIGRTMIN+%d code=%d value=%d\n", sig - SIGRTMIN, si->si_code, si->si_value.sival_int);
}

static int cont_fd = -1;

static void on_cont(int sig)
{
    (void)sig;
    write(cont_fd, "c", 1);
}

static void on_abrt(int sig)
{
    say("  on_abrt: sig=%d, returning\n", sig);
}

int main(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);

    say("rt_sigaction\n");
    sa.sa_handler = SIG_IGN;
    TRY("  SIGKILL", sigaction(SIGKILL, &sa, NULL));
    TRY("  SIGSTOP", sigaction(SIGSTOP, &sa, NULL));
    TRY("  signal 0", sigaction(0, &sa, NULL));
    TRY("  signal 65", sigaction(65, &sa, NULL));
    say("  SIGKILL old only: %d\n", sigaction(SIGKILL, NULL, &old));
    TRY("  sigsetsize 4", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4));
    TRY("  bad act pointer", syscall(SYS_rt_sigaction, SIGUSR1, (void *)8, NULL, 8));
    install(SIGUSR1, handler, 0);
    sigaction(SIGUSR1, NULL, &old);
    say("  old action: handler=%s flags_siginfo=%d\n",
        old.sa_sigaction == handler ? "ours" : "other", !!(old.sa_flags & SA_SIGINFO));

    say("raise, kill, tkill, tgkill\n");
    say(" raise: %d\n", raise(SIGUSR1));
    say(" kill: %d\n", kill(getpid(), SIGUSR1));
    say(" tkill: %ld\n", syscall(SYS_tkill, getpid(), SIGUSR1));
    say(" tgkill: %ld\n", syscall(SYS_tgkill, getpid(), getpid(), SIGUSR1));
    TRY(" tgkill wrong tgid", syscall(SYS_tgkill, getpid() + 1000, getpid(), SIGUSR1));
    say(" kill signal 0: %d\n", kill(getpid(), 0));
    TRY(" kill bad signal", kill(getpid(), 99));
    TRY(" kill no such pid", kill(2147483000, SIGUSR1));
    TRY(" tkill tid 0", syscall(SYS_tkill, 0, SIGUSR1));

    say("blocked and pending\n");
    install(SIGUSR2, handler, 0);
    sigset_t set, pend;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR2);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pend);
    say(" pending: USR1=%d USR2=%d TERM=%d\n", sigismember(&pend, SIGUSR1), sigismember(&pend, SIGUSR2),
        sigismember(&pend, SIGTERM));
    say(" unblocking both\n");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    say(" max nesting: %d\n", max_depth);
    sigpending(&pend);
    say(" pending after: USR1=%d\n", sigismember(&pend, SIGUSR1));
    TRY(" how=7", syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8));
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, NULL);
    sigprocmask(SIG_SETMASK, NULL, &set);
    say(" SIGKILL blockable: %d SIGSTOP: %d\n", sigismember(&set, SIGKILL), sigismember(&set, SIGSTOP));
    sigemptyset(&set);
    sigprocmask(SIG_SETMASK, &set, NULL);

    say("SIG_IGN discards a pending signal\n");
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGUSR1);
    signal(SIGUSR1, SIG_IGN);
    sigpending(&pend);
    say(" pending: %d\n", sigismember(&pend, SIGUSR1));
    install(SIGUSR1, handler, 0);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    say(" nothing delivered\n");

    say("SA_RESETHAND\n");
    install(SIGUSR1, handler, SA_RESETHAND);
    raise(SIGUSR1);
    sigaction(SIGUSR1, NULL, &old);
    say(" now SIG_DFL: %d\n", old.sa_handler == SIG_DFL);

    say("SA_NODEFER\n");
    install_handler(SIGUSR2, nodefer, SA_NODEFER);
    depth = 0;
    raise(SIGUSR2);

    say("siglongjmp out of a handler\n");
    signal(SIGUSR1, jumper);
    int r = sigsetjmp(jb, 1);
    if (r == 0) {
        raise(SIGUSR1);
        say(" not reached\n");
    } else {
        sigset_t cur;
        sigprocmask(SIG_BLOCK, NULL, &cur);
        say(" back in main with %d; SIGUSR1 blocked: %d\n", r, sigismember(&cur, SIGUSR1));
    }

    say("SIGCHLD\n");
    install(SIGCHLD, on_chld, 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    int st;
    pid_t got = waitpid(pid, &st, 0);
    say(" waitpid: same=%d exited=%d status=%d\n", got == pid, WIFEXITED(st), WEXITSTATUS(st));
    pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    kill(pid, SIGTERM);
    got = waitpid(pid, &st, 0);
    say(" waitpid: same=%d signaled=%d sig=%d\n", got == pid, WIFSIGNALED(st), WTERMSIG(st));
    signal(SIGCHLD, SIG_IGN);
    pid = fork();
    if (pid == 0)
        _exit(1);
    got = waitpid(pid, &st, 0);
    TRY(" SIGCHLD ignored, waitpid", got);

    say("real-time signals queue\n");
    install(SIGRTMIN, on_rt, 0);
    install(SIGRTMIN + 1, on_rt, 0);
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    for (int v = 1; v <= 3; v++)
        TRY(" sigqueue SIGRTMIN", sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = v }));
    TRY(" kill SIGRTMIN+1", kill(getpid(), SIGRTMIN + 1));
    TRY(" sigqueue SIGRTMIN+1", sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 9 }));
    say(" unblocking\n");
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    siginfo_t forged = { .si_code = SI_USER };
    pid_t other = fork();
    if (other == 0) {
        for (;;)
            pause();
    }
    TRY(" rt_sigqueueinfo forging SI_USER to another process",
        syscall(SYS_rt_sigqueueinfo, other, SIGRTMIN, &forged));
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);

    say("SIGSTOP and SIGCONT\n");
    signal(SIGCHLD, SIG_DFL);
    int fds[2];
    pipe(fds);
    pid = fork();
    if (pid == 0) {
        signal(SIGCONT, on_cont);
        cont_fd = fds[1];
        write(fds[1], "r", 1);               /* ready */
        for (;;)
            pause();
    }
    char c;
    read(fds[0], &c, 1);
    TRY(" kill SIGSTOP", kill(pid, SIGSTOP));
    got = waitpid(pid, &st, WUNTRACED);
    say(" waitpid WUNTRACED: same=%d stopped=%d by %d\n", got == pid, WIFSTOPPED(st), WSTOPSIG(st));
    TRY(" kill SIGCONT", kill(pid, SIGCONT));
    TRY(" the child's SIGCONT handler wrote", read(fds[0], &c, 1));
    got = waitpid(pid, &st, WCONTINUED);
    say(" waitpid WCONTINUED: same=%d continued=%d\n", got == pid, WIFCONTINUED(st));
    TRY(" waitpid with option 0x100", waitpid(pid, &st, 0x100));
    kill(pid, SIGTERM);
    got = waitpid(pid, &st, 0);
    say(" child ended: same=%d by signal %d\n", got == pid, WTERMSIG(st));
    TRY(" handler for SIGSTOP", sigaction(SIGSTOP, &(struct sigaction){ .sa_handler = on_abrt }, NULL));

    say("abort with a handler that returns\n");
    signal(SIGABRT, on_abrt);
    abort();
}
