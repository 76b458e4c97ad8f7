/*
 * sig_timers: time and interruption. alarm() + pause(); setitimer(ITIMER_REAL) firing
 * SIGALRM at a process spinning in ring 3 (the timer interrupt becomes a handler call);
 * getitimer; nanosleep cut short by a signal (EINTR, time left written back); wait4 in a
 * parent interrupted by SIGALRM (EINTR); sigsuspend and ppoll with a temporary mask;
 * sigwaitinfo/sigtimedwait (a blocked signal taken, EAGAIN, EINTR); then a read
 * from the terminal interrupted twice: without SA_RESTART it fails with EINTR, with
 * SA_RESTART it goes on and returns the line typed afterwards ("ready for a line" is the
 * cue to type it). Same output and status on Linux and in ringlab.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sigtest.h"

static volatile int alarms;

static void on_alarm(int sig)
{
    alarms++;
    say("  SIGALRM (%d) #%d\n", sig, alarms);
}

static void on_usr1(int sig)
{
    say("  SIGUSR1 (%d)\n", sig);
}

int main(void)
{
    install_handler(SIGALRM, on_alarm, 0);

    say("alarm and pause\n");
    TRY(" alarm(1)", alarm(1));
    TRY(" alarm(1) again: seconds left", alarm(1));
    TRY(" pause", pause());

    say("setitimer while spinning in ring 3\n");
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, cur;
    TRY(" setitimer", setitimer(ITIMER_REAL, &it, NULL));
    getitimer(ITIMER_REAL, &cur);
    say(" getitimer: interval %ld.%06ld armed=%d\n", (long)cur.it_interval.tv_sec, (long)cur.it_interval.tv_usec,
        cur.it_value.tv_sec || cur.it_value.tv_usec);
    while (alarms < 4)
        __asm__ volatile("" ::: "memory");
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    say(" spun through %d alarms\n", alarms);
    struct itimerval bad = { { 0, 0 }, { 0, 1000000 } };
    TRY(" setitimer usec 1000000", setitimer(ITIMER_REAL, &bad, NULL));
    TRY(" setitimer ITIMER_REAL+9", setitimer(9, &it, NULL));

    say("nanosleep interrupted\n");
    struct timespec req = { 5, 0 }, rem = { 0, 0 };
    alarm(1);
    TRY(" nanosleep 5 s", nanosleep(&req, &rem));
    say(" time left between 3 and 5 s: %d\n", rem.tv_sec >= 3 && rem.tv_sec < 5);
    struct timespec shortreq = { 0, 30000000 };
    TRY(" nanosleep 30 ms", nanosleep(&shortreq, NULL));
    struct timespec badreq = { 0, 1000000000 };
    TRY(" nanosleep nsec 1e9", nanosleep(&badreq, NULL));

    say("wait4 interrupted\n");
    pid_t pid = fork();
    if (pid == 0) {
        for (;;)
            pause();
    }
    alarm(1);
    int st;
    TRY(" waitpid", waitpid(pid, &st, 0));
    kill(pid, SIGKILL);
    pid_t got = waitpid(pid, &st, 0);
    say(" child reaped: %d killed by %d\n", got == pid, WTERMSIG(st));

    say("sigsuspend\n");
    install_handler(SIGUSR1, on_usr1, 0);
    sigset_t block, none, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    say(" SIGUSR1 pending while blocked\n");
    sigemptyset(&none);
    TRY(" sigsuspend", sigsuspend(&none));
    sigprocmask(SIG_BLOCK, NULL, &now);
    say(" mask restored, SIGUSR1 blocked: %d\n", sigismember(&now, SIGUSR1));

    say("ppoll with a signal mask\n");
    raise(SIGUSR1);                      /* pending, blocked */
    struct timespec tmo = { 0, 50000000 };
    sigset_t all;
    sigfillset(&all);
    TRY(" ppoll 50 ms, everything blocked", ppoll(NULL, 0, &tmo, &all));
    TRY(" ppoll 50 ms, SIGUSR1 unblocked", ppoll(NULL, 0, &tmo, &none));
    sigprocmask(SIG_BLOCK, NULL, &now);
    say(" mask restored, SIGUSR1 blocked: %d\n", sigismember(&now, SIGUSR1));

    say("sigwaitinfo and sigtimedwait\n");
    siginfo_t si;
    raise(SIGUSR1);                      /* pending, blocked: taken without a handler */
    TRY(" sigwaitinfo", sigwaitinfo(&block, &si));
    say(" si_signo=%d si_code=%d from self=%d\n", si.si_signo, si.si_code, si.si_pid == getpid());
    struct timespec zero = { 0, 0 }, fifty = { 0, 50000000 }, five = { 5, 0 };
    TRY(" sigtimedwait 0 s", sigtimedwait(&block, &si, &zero));
    TRY(" sigtimedwait 50 ms", sigtimedwait(&block, &si, &fifty));
    alarm(1);                            /* SIGALRM has a handler and is not waited for */
    /* the system call itself: musl's sigtimedwait() calls it again after EINTR */
    TRY(" rt_sigtimedwait 5 s, SIGALRM comes", syscall(SYS_rt_sigtimedwait, &block, &si, &five, 8));
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    say("read interrupted\n");
    char line[64];
    alarm(1);
    TRY(" read without SA_RESTART", read(0, line, sizeof line));
    install_handler(SIGALRM, on_alarm, SA_RESTART);
    alarm(1);
    say(" ready for a line after the alarm\n");
    ssize_t n = read(0, line, sizeof line);
    say(" read with SA_RESTART: %ld \"%.*s\"\n", (long)n, n > 0 ? (int)n - 1 : 0, line);
    return alarms;
}
