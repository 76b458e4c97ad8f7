/*
 * bench_signals: how many signals a process can send itself, have delivered to a handler and
 * return from (rt_sigreturn) per second, timed with CLOCK_MONOTONIC (10 ms ticks in ringlab:
 * each figure spans at least a second or so at the default count). Three senders:
 * kill(getpid()) (a process-directed signal), raise() (musl and glibc: tgkill to the calling
 * thread, between two rt_sigprocmask calls) and tgkill itself. A signal sent to oneself and
 * not blocked is delivered before the sending call returns, so each round is one delivery and
 * one return. One `bench_signals: NAME=VALUE (what)` line per figure; exit 1 if a handler
 * count is wrong. For scale, ten times as many getpid calls (a system call and nothing
 * else) first. harness/ringlab/bench/signals.py runs it in ringlab and on the host's Linux.
 * Usage: bench_signals [N] (default 30000 signals per sender).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    (void)sig;
    handled++;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int run(const char *name, const char *what, long n)
{
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    handled = 0;
    double t0 = now();
    for (long i = 0; i < n; i++) {
        if (name[0] == 'k')
            kill(pid, SIGUSR1);
        else if (name[0] == 'r')
            raise(SIGUSR1);
        else
            syscall(SYS_tgkill, pid, tid, SIGUSR1);
    }
    double dt = now() - t0;
    if (handled != n) {
        printf("bench_signals: %s: %ld signals sent, the handler ran %ld times\n", name, n,
               (long)handled);
        return 1;
    }
    printf("bench_signals: %s_per_s=%.0f (%ld deliveries and returns in %.3f s, %s)\n", name,
           n / dt, n, dt, what);
    return 0;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 30000;
    if (n < 1) {
        printf("bench_signals: N must be at least 1\n");
        return 2;
    }
    struct sigaction sa = { .sa_handler = on_usr1 };
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, NULL)) {
        perror("bench_signals: sigaction");
        return 1;
    }
    double t0 = now();
    for (long i = 0; i < 10 * n; i++)                  /* ten times as many: a call is cheaper */
        syscall(SYS_getpid);
    double dt = now() - t0;
    printf("bench_signals: getpid_per_s=%.0f (%ld getpid system calls in %.3f s, for scale)\n",
           10 * n / dt, 10 * n, dt);
    int bad = run("kill", "kill(getpid(), SIGUSR1)", n);
    bad |= run("raise", "raise(SIGUSR1): tgkill between two rt_sigprocmask", n);
    bad |= run("tgkill", "tgkill(getpid(), gettid(), SIGUSR1)", n);
    return bad;
}
