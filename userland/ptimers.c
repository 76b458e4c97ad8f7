/*
 * POSIX timers and select, the same binary on the host's Linux and in ringlab
 * (tests/test_ptimers.py): timer ids, SIGEV_SIGNAL's siginfo (SI_TIMER,
 * si_timerid, si_overrun, si_value), SIGEV_NONE, SIGEV_THREAD_ID, the C
 * library's SIGEV_THREAD, TIMER_ABSTIME, intervals and overruns, a pending
 * signal of a deleted timer, a timer deleting itself from its handler, a
 * thread that exits with a timer aimed at it, timers at exec, the
 * RLIMIT_SIGPENDING count a timer holds, hostile pointers and ids; select
 * and pselect6's sets, nfds, EBADF, the time left and the signal mask.
 * Only what both kernels give exactly is printed: times are rounded to
 * 100 ms, overruns said as "at least".
 *
 * argv[1]: "exec" (the image after execve), "many N" (N rounds of a child
 * that makes timers until EAGAIN, for the page count).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifdef __i386__
#define KADDR 0xfffff000UL                  /* above an i386 process's TASK_SIZE */
#define NR_SETTIME SYS_timer_settime64      /* the 64-bit itimerspec; 260 and 261 in compat32() */
#define NR_GETTIME SYS_timer_gettime64
#define NR_SELECT  SYS__newselect           /* i386's SYS_select (82) is old_select's struct */
#else
#define KADDR 0xffffffff81000000UL          /* a kernel address */
#define NR_SETTIME SYS_timer_settime
#define NR_GETTIME SYS_timer_gettime
#define NR_SELECT  SYS_select
#endif
#define BAD   ((void *)1)                   /* page 0 */

/* struct sigevent as the kernel reads it: 64 bytes, sigev_value a pointer's size */
struct kevent { union sigval value; int32_t signo, notify, tid; };
union kev { struct kevent e; char bytes[64]; };
struct kits { int64_t is, ins, vs, vns; };                                /* __kernel_itimerspec */

static long tc(long clock, const void *ev, void *id) { return syscall(SYS_timer_create, clock, ev, id); }
static long tset(long id, long fl, const void *n, void *o) { return syscall(NR_SETTIME, id, fl, n, o); }
static long tget(long id, void *c) { return syscall(NR_GETTIME, id, c); }
static long tdel(long id) { return syscall(SYS_timer_delete, id); }
static long tover(long id) { return syscall(SYS_timer_getoverrun, id); }

static const char *ename(int e)
{
    switch (e) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EINTR: return "EINTR";
    case EPERM: return "EPERM";
    case ENOSYS: return "ENOSYS";
    default: return "E?";
    }
}

static const char *err(long r)
{
    static char b[64];
    if (r >= 0) {
        snprintf(b, sizeof b, "%ld", r);
        return b;
    }
    snprintf(b, sizeof b, "%s", ename(errno));
    return b;
}

static int newtimer(int clock, int notify, int sig, int value)
{
    union kev ev = { .e = { .value = { .sival_int = value }, .signo = sig, .notify = notify } };
    int id = -1;
    if (tc(clock, &ev, &id))
        printf("ptimers: create failed: %s\n", err(-1));
    return id;
}

static void arm(int id, long long value_ns, long long interval_ns, int flags)
{
    struct kits s = { interval_ns / 1000000000, interval_ns % 1000000000, value_ns / 1000000000,
                      value_ns % 1000000000 };
    if (tset(id, flags, &s, NULL))
        printf("ptimers: settime failed: %s\n", err(-1));
}

static void block(int sig)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    sigprocmask(SIG_BLOCK, &s, NULL);
}

static siginfo_t waitsig(int sig)
{
    sigset_t s;
    siginfo_t si;
    sigemptyset(&s);
    sigaddset(&s, sig);
    memset(&si, 0, sizeof si);
    sigwaitinfo(&s, &si);
    return si;
}

static void nap_ms(long ms)
{
    struct timespec ts = { ms / 1000, ms % 1000 * 1000000 };
    while (nanosleep(&ts, &ts))
        ;
}

static void basics(void)
{
    int a = -1, b = -1;
    long r1 = tc(CLOCK_MONOTONIC, NULL, &a), r2 = tc(CLOCK_REALTIME, NULL, &b);
    printf("ptimers: ids with the default sigevent: %ld %d, %ld %d\n", r1, a, r2, b);
    block(SIGALRM);
    arm(b, 20000000, 0, 0);
    siginfo_t si = waitsig(SIGALRM);
    printf("ptimers: default: signo %d code %s timerid %d overrun %d value %d\n", si.si_signo,
           si.si_code == SI_TIMER ? "SI_TIMER" : "?", si.si_timerid, si.si_overrun, si.si_value.sival_int);
    struct kits c;
    tget(b, &c);
    printf("ptimers: a one-shot after it fired: %lld %lld %lld %lld\n", (long long)c.is, (long long)c.ins,
           (long long)c.vs, (long long)c.vns);
    tdel(a);
    tdel(b);

    /* SIGEV_SIGNAL with a value, a real-time signal, periodic; blocked for 100 ms: overruns */
    block(SIGRTMIN + 1);
    int t = newtimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGRTMIN + 1, 0x1234);
    arm(t, 10000000, 10000000, 0);
    nap_ms(120);
    si = waitsig(SIGRTMIN + 1);
    printf("ptimers: periodic: code %s timerid==id %d value %#x overrun>=5 %d getoverrun==si_overrun %d\n",
           si.si_code == SI_TIMER ? "SI_TIMER" : "?", si.si_timerid == t, si.si_value.sival_int,
           si.si_overrun >= 5, tover(t) == si.si_overrun);
    tget(t, &c);
    printf("ptimers: periodic gettime: interval %lld.%09lld, value below it %d\n", (long long)c.is,
           (long long)c.ins, c.vs == 0 && c.vns > 0 && c.vns <= 10000000);
    struct kits old;
    struct kits off = { 0, 0, 0, 0 };
    long r = tset(t, 0, &off, &old);
    printf("ptimers: disarm: %ld, old interval %lld.%09lld\n", r, (long long)old.is, (long long)old.ins);
    tget(t, &c);
    printf("ptimers: disarmed: %lld %lld %lld %lld\n", (long long)c.is, (long long)c.ins, (long long)c.vs,
           (long long)c.vns);
    /* a value of zero makes the interval zero too */
    struct kits ivonly = { 1, 0, 0, 0 };
    tset(t, 0, &ivonly, NULL);
    tget(t, &c);
    printf("ptimers: interval without a value: %lld %lld\n", (long long)c.is, (long long)c.ins);
    tdel(t);

    /* SIGEV_NONE: counts down, never signals */
    t = newtimer(CLOCK_BOOTTIME, SIGEV_NONE, 0, 0);
    arm(t, 2000000000, 250000000, 0);
    tget(t, &c);
    printf("ptimers: SIGEV_NONE: interval %lld.%09lld, about %.1f s left\n", (long long)c.is, (long long)c.ins,
           (double)((c.vs * 1000000000LL + c.vns + 50000000) / 100000000) / 10);
    tdel(t);

    /* TIMER_ABSTIME: 30 ms ahead on CLOCK_MONOTONIC, and a time in the past (at once) */
    block(SIGUSR1);
    t = newtimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 7);
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    long long ns = now.tv_sec * 1000000000LL + now.tv_nsec + 30000000;
    arm(t, ns, 0, TIMER_ABSTIME);
    si = waitsig(SIGUSR1);
    clock_gettime(CLOCK_MONOTONIC, &now);
    printf("ptimers: absolute: value %d, not early %d\n", si.si_value.sival_int,
           now.tv_sec * 1000000000LL + now.tv_nsec >= ns);
    arm(t, 1, 0, TIMER_ABSTIME);
    si = waitsig(SIGUSR1);
    printf("ptimers: absolute in the past: value %d\n", si.si_value.sival_int);
    clock_gettime(CLOCK_REALTIME, &now);
    arm(t, now.tv_sec * 1000000000LL + now.tv_nsec + 20000000, 0, 0);   /* no flag: relative, far away */
    tget(t, &c);
    printf("ptimers: a huge relative value: more than a year left %d\n", c.vs > 365 * 86400);
    tdel(t);
}

static volatile int handled, delete_result = 99, delete_errno;

static void self_delete(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    delete_result = (int)tdel(si->si_timerid);
    delete_errno = errno;
    handled++;
}

static void count(int sig) { (void)sig; handled++; }

static void deletion(void)
{
    /* a pending signal of a deleted timer is dropped (Linux 6.13+) */
    struct sigaction sa = { .sa_handler = count };
    sigaction(SIGUSR2, &sa, NULL);
    block(SIGUSR2);
    int t = newtimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR2, 0);
    arm(t, 10000000, 0, 0);
    nap_ms(50);
    sigset_t pend;
    sigpending(&pend);
    printf("ptimers: pending before delete %d\n", sigismember(&pend, SIGUSR2));
    tdel(t);
    sigpending(&pend);
    printf("ptimers: pending after delete %d (dropped when it would be taken)\n", sigismember(&pend, SIGUSR2));
    handled = 0;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    printf("ptimers: handler ran after delete: %d\n", handled);

    /* and of a timer set again */
    block(SIGUSR2);
    t = newtimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR2, 0);
    arm(t, 10000000, 0, 0);
    nap_ms(50);
    arm(t, 0, 0, 0);
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    long w = sigtimedwait(&s, &si, &zero);
    sigpending(&pend);
    printf("ptimers: sigtimedwait after settime: %s, pending %d\n", err(w), sigismember(&pend, SIGUSR2));
    handled = 0;
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    printf("ptimers: handler ran after settime: %d\n", handled);
    tdel(t);

    /* a periodic timer deleting itself from its own handler */
    struct sigaction sd = { .sa_sigaction = self_delete, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR2, &sd, NULL);
    block(SIGUSR2);
    t = newtimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR2, 0);
    arm(t, 10000000, 1000000000, 0);        /* the next expiry a second on: never before the delete */
    sigset_t none;
    sigemptyset(&none);
    handled = 0;
    while (!handled)
        sigsuspend(&none);
    printf("ptimers: deleted from its handler: %d, then delete: %s\n", delete_result, err(tdel(t)));
    nap_ms(50);
    sigpending(&pend);
    printf("ptimers: handler runs afterwards: %d, pending %d\n", handled, sigismember(&pend, SIGUSR2));
}

static sem_t gate;

static void *idle(void *arg)
{
    __atomic_store_n((pid_t *)arg, gettid(), __ATOMIC_RELEASE);
    sem_wait(&gate);
    return NULL;
}

static sem_t thread_sem;
static volatile int thread_value;

static void notified(union sigval v)
{
    thread_value = v.sival_int;
    sem_post(&thread_sem);
}

static void *wait_timer(void *arg)
{
    (void)arg;
    siginfo_t si = waitsig(SIGUSR1);
    printf("ptimers: the leader exited, a thread took the timer's signal: code %s value %d\n",
           si.si_code == SI_TIMER ? "SI_TIMER" : "?", si.si_value.sival_int);
    exit(0);
}

/* A process-directed timer whose leader thread has ended: the other thread takes the signal. */
static void leader_gone(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        block(SIGUSR1);
        int t = newtimer(CLOCK_MONOTONIC, SIGEV_SIGNAL, SIGUSR1, 9);
        pthread_t th;
        pthread_create(&th, NULL, wait_timer, NULL);
        arm(t, 20000000, 0, 0);
        pthread_exit(NULL);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("ptimers: its status %d\n", st);
}

static void threads(void)
{
    /* SIGEV_THREAD_ID: to this thread */
    block(SIGRTMIN + 2);
    union kev kv = { .e = { .value = { .sival_int = 5 }, .signo = SIGRTMIN + 2, .notify = SIGEV_THREAD_ID,
                            .tid = gettid() } };
    struct kevent *ev = &kv.e;
    int t = -1;
    long r = tc(CLOCK_MONOTONIC, &kv, &t);
    arm(t, 10000000, 0, 0);
    siginfo_t si = waitsig(SIGRTMIN + 2);
    printf("ptimers: SIGEV_THREAD_ID to myself: %ld value %d\n", r, si.si_value.sival_int);
    tdel(t);

    /* at a thread that then exits: the timer stays, its signal goes nowhere */
    pid_t tid = 0;
    pthread_t th;
    sem_init(&gate, 0, 0);
    pthread_create(&th, NULL, idle, &tid);
    while (!__atomic_load_n(&tid, __ATOMIC_ACQUIRE))
        sched_yield();
    ev->tid = tid;
    ev->signo = SIGRTMIN + 5;
    block(SIGRTMIN + 5);
    r = tc(CLOCK_MONOTONIC, &kv, &t);
    printf("ptimers: SIGEV_THREAD_ID at a live thread: %s\n", err(r));
    sem_post(&gate);
    pthread_join(th, NULL);
    while (syscall(SYS_tgkill, getpid(), tid, 0) == 0)   /* join returns before the tid is gone */
        sched_yield();
    arm(t, 10000000, 0, 0);
    struct kits c;
    do
        tget(t, &c);
    while (c.vs || c.vns);                  /* a one-shot reads 0 once it has expired */
    sigset_t pend;
    sigpending(&pend);
    printf("ptimers: its thread ended, the timer expired: signal pending %d, delete %s\n",
           sigismember(&pend, SIGRTMIN + 5), err(tdel(t)));
    r = tc(CLOCK_MONOTONIC, &kv, &t);
    printf("ptimers: SIGEV_THREAD_ID at an ended thread: %s\n", err(r));
    ev->signo = SIGRTMIN + 2;
    ev->tid = 1 << 30;
    printf("ptimers: SIGEV_THREAD_ID at no thread: %s\n", err(tc(CLOCK_MONOTONIC, &kv, &t)));
    ev->tid = getppid();
    printf("ptimers: SIGEV_THREAD_ID at another process: %s\n", err(tc(CLOCK_MONOTONIC, &kv, &t)));

    /* the C library's SIGEV_THREAD: a new thread calls the function */
    sem_init(&thread_sem, 0, 0);
    struct sigevent sev;
    memset(&sev, 0, sizeof sev);
    sev.sigev_notify = SIGEV_THREAD;
    sev.sigev_notify_function = notified;
    sev.sigev_value.sival_int = 42;
    timer_t lt;
    r = timer_create(CLOCK_MONOTONIC, &sev, &lt);
    struct itimerspec its = { { 0, 0 }, { 0, 20000000 } };
    timer_settime(lt, 0, &its, NULL);
    sem_wait(&thread_sem);
    printf("ptimers: SIGEV_THREAD: %ld, the function ran with %d\n", r, thread_value);
    timer_delete(lt);
    leader_gone();
}

static void hostile(void)
{
    int id = -1;
    union kev kv = { .e = { .signo = SIGUSR1 } };
    struct kevent *ev = &kv.e;
    printf("ptimers: create clock 123: %s\n", err(tc(123, NULL, &id)));
    printf("ptimers: create MONOTONIC_RAW: %s\n", err(tc(CLOCK_MONOTONIC_RAW, NULL, &id)));
    printf("ptimers: create REALTIME_COARSE: %s\n", err(tc(CLOCK_REALTIME_COARSE, NULL, &id)));
    printf("ptimers: create sigevent at page 0: %s\n", err(tc(CLOCK_MONOTONIC, BAD, &id)));
    printf("ptimers: create sigevent in the kernel: %s\n", err(tc(CLOCK_MONOTONIC, (void *)KADDR, &id)));
    ev->notify = 7;
    printf("ptimers: create notify 7: %s\n", err(tc(CLOCK_MONOTONIC, &kv, &id)));
    ev->notify = SIGEV_SIGNAL;
    ev->signo = 0;
    printf("ptimers: create signal 0: %s\n", err(tc(CLOCK_MONOTONIC, &kv, &id)));
    ev->signo = 65;
    printf("ptimers: create signal 65: %s\n", err(tc(CLOCK_MONOTONIC, &kv, &id)));
    ev->notify = SIGEV_NONE;
    long r = tc(CLOCK_MONOTONIC, &kv, &id);
    printf("ptimers: SIGEV_NONE with signal 65: %s\n", err(r));
    int first = id;
    tdel(id);
    ev->signo = SIGUSR1;
    printf("ptimers: create id at page 0: %s\n", err(tc(CLOCK_MONOTONIC, &kv, BAD)));
    printf("ptimers: create id in the kernel: %s\n", err(tc(CLOCK_MONOTONIC, &kv, (void *)KADDR)));
    tc(CLOCK_MONOTONIC, &kv, &id);
    printf("ptimers: ids used up by the failures: %d\n", id - first);
    struct kits s = { 0, 0, 1, 0 }, c;
    printf("ptimers: settime NULL: %s\n", err(tset(id, 0, NULL, NULL)));
    printf("ptimers: settime at page 0: %s\n", err(tset(id, 0, BAD, NULL)));
    printf("ptimers: settime in the kernel: %s\n", err(tset(id, 0, (void *)KADDR, NULL)));
    s.vns = 1000000000;
    printf("ptimers: settime nsec 1e9: %s\n", err(tset(id, 0, &s, NULL)));
    s.vns = 0;
    s.vs = -1;
    printf("ptimers: settime negative: %s\n", err(tset(id, 0, &s, NULL)));
    s.vs = 100;
    s.ins = -1;
    printf("ptimers: settime negative interval: %s\n", err(tset(id, 0, &s, NULL)));
    s.ins = 0;
    printf("ptimers: settime id INT_MAX: %s\n", err(tset(0x7fffffff, 0, &s, NULL)));
    printf("ptimers: settime id -1: %s\n", err(tset(-1, 0, &s, NULL)));
    printf("ptimers: settime id 1<<31 + id: %s\n", err(tset((long)(0x80000000UL + (unsigned long)id), 0, &s, NULL)));
    printf("ptimers: settime flags ~0: %s\n", err(tset(id, ~0L & ~1L, &s, NULL)));
    printf("ptimers: settime old at page 0: %s\n", err(tset(id, 0, &s, BAD)));
    tget(id, &c);
    printf("ptimers: armed all the same: %d\n", c.vs >= 99);
    printf("ptimers: gettime at page 0: %s\n", err(tget(id, BAD)));
    printf("ptimers: gettime in the kernel: %s\n", err(tget(id, (void *)KADDR)));
    printf("ptimers: getoverrun: %s\n", err(tover(id)));
    printf("ptimers: delete: %s\n", err(tdel(id)));
    printf("ptimers: delete again: %s\n", err(tdel(id)));
    printf("ptimers: gettime deleted: %s\n", err(tget(id, &c)));
    printf("ptimers: getoverrun deleted: %s\n", err(tover(id)));
    printf("ptimers: delete 1<<30: %s\n", err(tdel(1 << 30)));
}

/* Timers until EAGAIN with RLIMIT_SIGPENDING at `limit`: each holds a queue entry. */
static int fill(int limit, int tries)
{
    struct rlimit rl;
    getrlimit(RLIMIT_SIGPENDING, &rl);
    rl.rlim_cur = (rlim_t)limit;
    setrlimit(RLIMIT_SIGPENDING, &rl);
    union kev ev = { .e = { .signo = SIGRTMIN + 3, .notify = SIGEV_SIGNAL } };
    int n = 0, id, e = 0;
    block(SIGRTMIN + 3);
    for (int i = 0; i < tries; i++) {
        if (tc(CLOCK_MONOTONIC, &ev, &id)) {
            e = errno;
            break;
        }
        n++;
        if (i % 2)
            arm(id, 10000000, 10000000, 0);     /* half of them firing all the time */
    }
    /* the exact count is the limit less the entries the user's other processes hold (on the
       host: any of root's): said on a line of its own */
    printf("ptimers: timers with RLIMIT_SIGPENDING %d: some, at most the limit %d, then %s\n", limit,
           n > 0 && n <= limit, e ? ename(e) : "none");
    printf("ptimers: (count) %d timers\n", n);
    /* a queued signal needs its own entry: none is left */
    union sigval v = { .sival_int = 1 };
    printf("ptimers: sigqueue with every entry held by a timer: %s\n", err(sigqueue(getpid(), SIGRTMIN + 4, v)));
    return n;
}

static void limits(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        fill(16, 1000);
        exit(0);                            /* the timers go with the process */
    }
    int st;
    waitpid(pid, &st, 0);
    pid = fork();
    if (pid == 0) {
        int id = -1;
        long r = tc(CLOCK_MONOTONIC, NULL, &id);
        printf("ptimers: a child's first id: %s %d\n", err(r), id);
        exit(0);
    }
    waitpid(pid, &st, 0);
}

static void selects(void)
{
    int p[2];
    pipe(p);
    fd_set r, w, e;
    struct timeval tv = { 0, 0 };
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    long n0 = syscall(NR_SELECT, p[0] + 1, &r, NULL, NULL, &tv);
    printf("ptimers: select empty pipe, no wait: %s, bit %d\n", err(n0), FD_ISSET(p[0], &r));
    write(p[1], "x", 1);
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&e);
    FD_SET(p[0], &r);
    FD_SET(p[1], &r);
    FD_SET(p[1], &w);
    FD_SET(p[0], &e);
    tv.tv_sec = 1;
    long n = syscall(NR_SELECT, p[1] + 1, &r, &w, &e, &tv);
    printf("ptimers: select with a byte: %s r %d %d w %d e %d, about %.1f s left\n", err(n), FD_ISSET(p[0], &r),
           FD_ISSET(p[1], &r), FD_ISSET(p[1], &w), FD_ISSET(p[0], &e),
           (double)((tv.tv_sec * 1000000 + tv.tv_usec + 50000) / 100000) / 10);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = syscall(NR_SELECT, 1 << 20, &r, NULL, NULL, NULL);
    printf("ptimers: select nfds 1<<20: %s bit %d\n", err(n), FD_ISSET(p[0], &r));
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    FD_SET(1000, &r);                       /* past the descriptor table: never looked at */
    n = syscall(NR_SELECT, 1001, &r, NULL, NULL, NULL);
    printf("ptimers: select a bit past the table: %s bits %d %d\n", err(n), FD_ISSET(p[0], &r), FD_ISSET(1000, &r));
    FD_ZERO(&r);
    FD_SET(50, &r);
    tv.tv_sec = 1;
    tv.tv_usec = 0;
    n = syscall(NR_SELECT, 51, &r, NULL, NULL, &tv);
    printf("ptimers: select a closed fd: %s, the time written back: about %.1f s\n", err(n),
           (double)((tv.tv_sec * 1000000 + tv.tv_usec + 50000) / 100000) / 10);
    printf("ptimers: select nfds -1: %s\n", err(syscall(NR_SELECT, -1, NULL, NULL, NULL, NULL)));
    printf("ptimers: select set at page 0: %s\n", err(syscall(NR_SELECT, 4, BAD, NULL, NULL, NULL)));
    printf("ptimers: select set in the kernel: %s\n", err(syscall(NR_SELECT, 4, NULL, (void *)KADDR, NULL, NULL)));
    printf("ptimers: select timeout at page 0: %s\n", err(syscall(NR_SELECT, 0, NULL, NULL, NULL, BAD)));
    tv.tv_sec = 0;
    tv.tv_usec = -1;
    printf("ptimers: select usec -1: %s\n", err(syscall(NR_SELECT, 0, NULL, NULL, NULL, &tv)));
    tv.tv_sec = -1;
    tv.tv_usec = 0;
    printf("ptimers: select sec -1: %s\n", err(syscall(NR_SELECT, 0, NULL, NULL, NULL, &tv)));
    tv.tv_sec = 0;
    tv.tv_usec = 2100000;                   /* 2.1 s in microseconds: taken as such */
    read(p[0], &n, 1);
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    struct timeval t2 = { 0, 150000 };
    n = syscall(NR_SELECT, p[0] + 1, &r, NULL, NULL, &t2);
    printf("ptimers: select waits 150 ms: %s, left %ld.%06ld\n", err(n), (long)t2.tv_sec, (long)t2.tv_usec);

    /* pselect6: timespec, and the sigmask pack */
    struct timespec ts = { 0, 0 };
    uint64_t mask = 0;
    struct { void *ss; size_t len; } pack = { &mask, 8 };
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    printf("ptimers: pselect6 writable: %s\n", err(syscall(SYS_pselect6, p[1] + 1, NULL, &w, NULL, &ts, &pack)));
    pack.len = 4;
    printf("ptimers: pselect6 sigset size 4: %s\n", err(syscall(SYS_pselect6, p[1] + 1, NULL, &w, NULL, &ts, &pack)));
    printf("ptimers: pselect6 pack at page 0: %s\n", err(syscall(SYS_pselect6, p[1] + 1, NULL, &w, NULL, &ts, BAD)));
    pack.len = 8;
    pack.ss = BAD;
    printf("ptimers: pselect6 sigset at page 0: %s\n", err(syscall(SYS_pselect6, p[1] + 1, NULL, &w, NULL, &ts, &pack)));
    ts.tv_nsec = 1000000000;
    printf("ptimers: pselect6 nsec 1e9: %s\n", err(syscall(SYS_pselect6, 0, NULL, NULL, NULL, &ts, NULL)));
    /* a blocked, pending signal the mask lets through: EINTR and the handler */
    struct sigaction sa = { .sa_handler = count };
    sigaction(SIGUSR1, &sa, NULL);
    block(SIGUSR1);
    raise(SIGUSR1);
    handled = 0;
    pack.ss = &mask;
    ts.tv_sec = 5;
    ts.tv_nsec = 0;
    FD_ZERO(&r);
    FD_SET(p[0], &r);
    n = syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, &pack);
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    printf("ptimers: pselect6 with the signal let through: %s, handler %d, blocked again %d, about %.0f s left\n",
           err(n), handled, sigismember(&cur, SIGUSR1), (double)ts.tv_sec + ts.tv_nsec / 1e9);
    close(p[0]);
    close(p[1]);
}

#ifdef __i386__
/* The i386 calls with 32-bit fields: timer_settime (260) and timer_gettime (261) take
   old_itimerspec32; pselect6_time64 (413) a 64-bit timespec with the 32-bit sigset pack. */
static void compat32(void)
{
    int id = -1;
    tc(CLOCK_MONOTONIC, NULL, &id);
    int32_t s[4] = { 0, 250000000, 3, 0 }, o[4] = { 9, 9, 9, 9 }, c[4];
    long r = syscall(SYS_timer_settime, id, 0, s, NULL);
    syscall(SYS_timer_gettime, id, c);
    printf("ptimers: i386 timer_settime %s, gettime interval %d.%09d, about %d s\n", err(r), c[0], c[1],
           c[2] + (c[3] > 500000000));
    s[1] = 1000000000;
    printf("ptimers: i386 timer_settime nsec 1e9: %s\n", err(syscall(SYS_timer_settime, id, 0, s, o)));
    s[1] = 0;
    s[2] = 0;
    r = syscall(SYS_timer_settime, id, 0, s, o);
    printf("ptimers: i386 disarm %s, old interval %d.%09d\n", err(r), o[0], o[1]);
    printf("ptimers: i386 gettime at page 0: %s\n", err(syscall(SYS_timer_gettime, id, BAD)));
    tdel(id);
    long long ts[2] = { 0, 0 };
    int p[2];
    pipe(p);
    fd_set w;
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    r = syscall(SYS_pselect6_time64, p[1] + 1, NULL, &w, NULL, ts, NULL);
    printf("ptimers: i386 pselect6_time64: %s bit %d\n", err(r), FD_ISSET(p[1], &w));
    ts[1] = 1000000000;
    printf("ptimers: i386 pselect6_time64 nsec 1e9: %s\n",
           err(syscall(SYS_pselect6_time64, 0, NULL, NULL, NULL, ts, NULL)));
    /* select (82), Linux's old_select: the five arguments in a block of 32-bit words */
    FD_ZERO(&w);
    FD_SET(p[1], &w);
    int32_t tv[2] = { 0, 0 };
    uint32_t blk[5] = { p[1] + 1, 0, (uint32_t)(uintptr_t)&w, 0, (uint32_t)(uintptr_t)tv };
    r = syscall(82, blk);
    printf("ptimers: i386 old select: %s bit %d\n", err(r), FD_ISSET(p[1], &w));
    blk[0] = (uint32_t)-1;
    printf("ptimers: i386 old select nfds -1: %s\n", err(syscall(82, blk)));
    blk[0] = 0;
    tv[1] = -1;
    printf("ptimers: i386 old select usec -1: %s\n", err(syscall(82, blk)));
    blk[4] = (uint32_t)(uintptr_t)BAD;
    printf("ptimers: i386 old select timeout at page 0: %s\n", err(syscall(82, blk)));
    printf("ptimers: i386 old select block at page 0: %s\n", err(syscall(82, BAD)));
    printf("ptimers: i386 old select block in the kernel half: %s\n", err(syscall(82, (void *)KADDR)));
    printf("ptimers: i386 old select block across the end of user space: %s\n",
           err(syscall(82, (void *)0xfffffff0)));
    close(p[0]);
    close(p[1]);
}
#endif

static void execs(char *self)
{
    int id = -1;
    for (int i = 0; i < 3; i++)
        tc(CLOCK_MONOTONIC, NULL, &id);
    arm(id, 5000000000L, 0, 0);
    fflush(stdout);
    execl(self, self, "exec", (char *)NULL);
}

static void after_exec(void)
{
    struct kits c;
    int id = -1;
    printf("ptimers: after exec, gettime of an old timer: %s\n", err(tget(0, &c)));
    long r = tc(CLOCK_MONOTONIC, NULL, &id);
    printf("ptimers: after exec, a new timer: %s id %d\n", err(r), id);
}

static void many(int rounds)
{
    for (int i = 0; i < rounds; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            fill(32, 1000);
            exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("ptimers: round %d: status %d\n", i + 1, st);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        after_exec();
        return 0;
    }
    if (argc > 2 && !strcmp(argv[1], "many")) {
        many(atoi(argv[2]));
        return 0;
    }
    basics();
    deletion();
    threads();
    hostile();
    limits();
    selects();
#ifdef __i386__
    compat32();
#endif
    execs("/proc/self/exe");
    return 1;
}
