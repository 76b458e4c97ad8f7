/*
 * hugewait: waits with timeouts too large to reach still wait. Linux turns a timespec into
 * nanoseconds saturating at KTIME_MAX (include/linux/time64.h timespec64_to_ktime) and adds
 * it to the clock with ktime_add_safe, so { INT64_MAX s, 999999999 ns } or exactly 2^64 ns
 * sleep for about 292 years instead of wrapping to "already past". The evidence: a 100 ms
 * ITIMER_REAL whose SIGALRM handler (no SA_RESTART) cuts each wait short with EINTR - a wait
 * that wrapped returns 0, ETIMEDOUT or EAGAIN first. Then the invalid timespecs (tv_nsec
 * >= 1e9 or negative, tv_sec negative): EINVAL from every call. Same output on Linux.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "sigtest.h"

/* include/uapi/linux/futex.h (musl ships no kernel headers) */
#define FUTEX_WAIT_PRIVATE        128    /* FUTEX_WAIT | FUTEX_PRIVATE_FLAG */
#define FUTEX_WAIT_BITSET_PRIVATE 137    /* FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG */
#define FUTEX_CLOCK_REALTIME      256
#define FUTEX_BITSET_MATCH_ANY    0xffffffffu

static volatile int alarms;

static void on_alarm(int sig)
{
    (void)sig;
    alarms++;
}

/* Arm a one-shot 100 ms ITIMER_REAL, so a wait that does wait ends with EINTR. */
static void arm(void)
{
    struct itimerval it = { { 0, 0 }, { 0, 100000 } };
    alarms = 0;
    setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(const char *what, long r, int err)
{
    struct itimerval off = { { 0, 0 }, { 0, 0 } };
    setitimer(ITIMER_REAL, &off, NULL);
    say("%s: %ld %s, interrupted by the timer: %s\n", what, r, r < 0 ? strerror(err) : "",
        alarms ? "yes" : "no");
}

#define WAIT(what, expr) do { arm(); errno = 0; long r_ = (long)(expr); disarm(what, r_, errno); } while (0)

static long sys_futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, ts, NULL, val3);
}

int main(void)
{
    install_handler(SIGALRM, on_alarm, 0);
    /* Two durations that wrap a 64-bit nanosecond count: to 2^64 - 1 and to exactly 2^64. */
    const struct timespec huge[] = { { INT64_MAX, 999999999 }, { 18446744073, 709551616 } };
    static uint32_t word;
    int fds[2];
    pipe(fds);
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);

    for (int i = 0; i < 2; i++) {
        const struct timespec *ts = &huge[i];
        say("timeout %lld s %ld ns\n", (long long)ts->tv_sec, ts->tv_nsec);
        struct timespec rem = { 0, 0 };
        WAIT(" nanosleep", nanosleep(ts, &rem));
        say(" nanosleep: more than 9e9 s left: %s\n", rem.tv_sec > 9000000000LL ? "yes" : "no");
        int e;
        arm();
        e = clock_nanosleep(CLOCK_MONOTONIC, 0, ts, NULL);
        disarm(" clock_nanosleep monotonic", -e, e);
        arm();
        e = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, ts, NULL);
        disarm(" clock_nanosleep realtime absolute", -e, e);
        arm();
        e = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, ts, NULL);
        disarm(" clock_nanosleep monotonic absolute", -e, e);
        WAIT(" futex wait", sys_futex(&word, FUTEX_WAIT_PRIVATE, 0, ts, 0));
        WAIT(" futex wait_bitset", sys_futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, ts, FUTEX_BITSET_MATCH_ANY));
        WAIT(" futex wait_bitset realtime",
             sys_futex(&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, ts, FUTEX_BITSET_MATCH_ANY));
        WAIT(" rt_sigtimedwait", syscall(SYS_rt_sigtimedwait, &usr1, NULL, ts, 8));
        struct pollfd pfd = { fds[0], POLLIN, 0 };
        WAIT(" ppoll", ppoll(&pfd, 1, ts, NULL));
    }
    struct pollfd pfd = { fds[0], POLLIN, 0 };
    WAIT("poll INT_MAX ms", poll(&pfd, 1, 0x7fffffff));

    const struct timespec bad[] = { { 0, 1000000000 }, { 0, -1 }, { -1, 0 }, { INT64_MIN, 0 } };
    for (int i = 0; i < 4; i++) {
        const struct timespec *ts = &bad[i];
        say("invalid timeout %lld s %ld ns\n", (long long)ts->tv_sec, ts->tv_nsec);
        TRY(" nanosleep", nanosleep(ts, NULL));
        say(" clock_nanosleep: %s\n", strerror(clock_nanosleep(CLOCK_MONOTONIC, 0, ts, NULL)));
        say(" clock_nanosleep absolute: %s\n", strerror(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, ts, NULL)));
        TRY(" futex wait", sys_futex(&word, FUTEX_WAIT_PRIVATE, 0, ts, 0));
        TRY(" futex wait_bitset", sys_futex(&word, FUTEX_WAIT_BITSET_PRIVATE, 0, ts, FUTEX_BITSET_MATCH_ANY));
        TRY(" rt_sigtimedwait", syscall(SYS_rt_sigtimedwait, &usr1, NULL, ts, 8));
        struct pollfd p2 = { fds[0], POLLIN, 0 };
        TRY(" ppoll", ppoll(&p2, 1, ts, NULL));
    }
    return 0;
}
