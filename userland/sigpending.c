/*
 * sigpending: RLIMIT_SIGPENDING as Linux's (kernel/signal.c __send_signal_locked,
 * __sigqueue_alloc). The default limit is above 0; with the limit set to 8 and the signals
 * blocked: eight sigqueue()s of SIGRTMIN queue, the ninth is EAGAIN, so is a tgkill of a
 * real-time signal; a kill() of a real-time signal still succeeds with its information lost
 * (it arrives as SI_USER from pid 0); a standard signal from kill always queues; one sent by
 * sigqueue over the limit arrives with its information lost. Then everything is taken with
 * sigtimedwait, in Linux's order, and the queue works again. The limit at 0: no real-time
 * signal can be queued. Same output on Linux (run as uid 1000, whose count is its own) and
 * in ringlab.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "sigtest.h"

static void drain(sigset_t *set)
{
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    int sig;
    while ((sig = sigtimedwait(set, &si, &zero)) > 0) {
        say("  took %s%d code=%d from_me=%d value=%d\n", sig >= SIGRTMIN ? "SIGRTMIN+" : "",
            sig >= SIGRTMIN ? sig - SIGRTMIN : sig, si.si_code, si.si_pid == getpid(),
            si.si_code == SI_QUEUE ? si.si_value.sival_int : -1);
    }
    say("  then: %s\n", strerror(errno));
}

int main(void)
{
    /* Linux counts queued signals per user: on the host, root's other processes hold some, so
       the host run becomes uid 1000 first (ringlab: one user, and the call is ignored there). */
    syscall(SYS_setresgid, 1000, 1000, 1000);
    syscall(SYS_setresuid, 1000, 1000, 1000);
    struct rlimit rl;
    getrlimit(RLIMIT_SIGPENDING, &rl);
    say("default limit above 0: %s, soft == hard: %s\n", rl.rlim_cur > 0 ? "yes" : "no",
        rl.rlim_cur == rl.rlim_max ? "yes" : "no");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGRTMIN);
    sigaddset(&set, SIGRTMIN + 1);
    sigaddset(&set, SIGRTMIN + 2);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);

    struct rlimit eight = { 8, 8 };
    TRY("setrlimit 8", setrlimit(RLIMIT_SIGPENDING, &eight));
    getrlimit(RLIMIT_SIGPENDING, &rl);
    say("getrlimit: %lu %lu\n", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
    struct rlimit over = { 9, 8 };
    TRY("setrlimit soft above hard", setrlimit(RLIMIT_SIGPENDING, &over));

    for (int i = 0; i < 9; i++) {
        char label[32];
        snprintf(label, sizeof label, "sigqueue SIGRTMIN #%d", i);
        TRY(label, sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = i }));
    }
    TRY("tgkill SIGRTMIN+2", syscall(SYS_tgkill, getpid(), gettid(), SIGRTMIN + 2));
    TRY("kill SIGRTMIN+1", kill(getpid(), SIGRTMIN + 1));
    TRY("kill SIGUSR1", kill(getpid(), SIGUSR1));
    TRY("sigqueue SIGUSR2", sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 99 }));
    drain(&set);

    TRY("sigqueue SIGRTMIN after draining", sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 42 }));
    drain(&set);

    struct rlimit none = { 0, 0 };
    TRY("setrlimit 0", setrlimit(RLIMIT_SIGPENDING, &none));
    TRY("sigqueue SIGRTMIN at limit 0", sigqueue(getpid(), SIGRTMIN, (union sigval){ .sival_int = 7 }));
    TRY("sigqueue SIGUSR2 at limit 0", sigqueue(getpid(), SIGUSR2, (union sigval){ .sival_int = 8 }));
    drain(&set);
    return 0;
}
