/*
 * threadsig: signals in a thread group, as Linux delivers them. Handlers are the
 * process's (one sigaction serves every thread); masks are each thread's; a
 * process-directed signal (kill) goes to a thread that does not block it; tgkill
 * reaches one thread and stays pending there while that thread blocks it; a fault in
 * a thread runs the handler in that thread; a fatal signal ends every thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile pid_t handled_in;        /* the thread the last handler ran in */
static volatile int handled_sig;

static void handler(int sig)
{
    handled_sig = sig;
    handled_in = (pid_t)syscall(SYS_gettid);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int stage;
static pid_t worker_tid;

static void wait_stage(int s)
{
    pthread_mutex_lock(&lock);
    while (stage < s)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
}

static void set_stage(int s)
{
    pthread_mutex_lock(&lock);
    stage = s;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}

/* Blocks nothing: process-directed SIGUSR2 (the main thread blocks it) must come here. */
static void *unblocked_worker(void *arg)
{
    (void)arg;
    sigset_t none;
    sigemptyset(&none);
    pthread_sigmask(SIG_SETMASK, &none, NULL);
    worker_tid = (pid_t)syscall(SYS_gettid);
    set_stage(1);
    while (handled_sig != SIGUSR2)
        sched_yield();
    return NULL;
}

/* Blocks SIGUSR1: a tgkill to it stays pending here until it takes it with sigwait. */
static void *blocking_worker(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    set_stage(3);
    wait_stage(4);                                         /* main has sent it */
    sigset_t pend, want;
    sigpending(&pend);
    sigemptyset(&want);
    sigaddset(&want, SIGUSR1);
    int sig = 0;
    sigwait(&want, &sig);
    printf("threadsig: tgkill to a thread blocking SIGUSR1: pending there %s, sigwait took %s\n",
           sigismember(&pend, SIGUSR1) ? "yes" : "no", sig == SIGUSR1 ? "SIGUSR1" : "?");
    return NULL;
}

static void *faulter(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    raise(SIGUSR1);                                        /* raise: tgkill to this thread */
    return NULL;
}

/* Blocks SIGRTMIN and takes the one rt_tgsigqueueinfo sends it, with its siginfo. */
static const char *res(long r)
{
    return r == 0 ? "0" : errno == EINVAL ? "EINVAL" : errno == EPERM ? "EPERM" : errno == ESRCH ? "ESRCH" :
           errno == EFAULT ? "EFAULT" : "other";
}

/* A thread (not the leader) may send a kernel si_code only to its own thread id. */
static void *codes_worker(void *arg)
{
    (void)arg;
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_USER;
    printf("  a thread, SI_USER to its own process: %s\n", res(syscall(SYS_rt_sigqueueinfo, getpid(), 0, &si)));
    printf("  a thread, SI_USER to its own tid: %s\n", res(syscall(SYS_rt_sigqueueinfo, syscall(SYS_gettid), 0, &si)));
    si.si_code = SI_QUEUE;
    printf("  a thread, SI_QUEUE to its own process: %s\n", res(syscall(SYS_rt_sigqueueinfo, getpid(), 0, &si)));
    return NULL;
}

static void *queued_worker(void *arg)
{
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    set_stage(5);
    sigset_t want;
    sigemptyset(&want);
    sigaddset(&want, SIGRTMIN);
    siginfo_t si;
    int sig = sigwaitinfo(&want, &si);
    printf("threadsig: rt_tgsigqueueinfo to a thread: took %s, si_code %s, si_value %d, si_pid the sender's %s\n",
           sig == SIGRTMIN ? "SIGRTMIN" : "?", si.si_code == SI_QUEUE ? "SI_QUEUE" : "?", si.si_value.sival_int,
           si.si_pid == getpid() ? "yes" : "no");
    return NULL;
}

/* rt_tgsigqueueinfo (Linux 2.6.31): rt_sigqueueinfo to one thread, in Linux's order of checks. */
static void tgsigqueue(void)
{
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    pthread_sigmask(SIG_BLOCK, &rt, NULL);                 /* the worker inherits the mask */
    pthread_t t;
    pthread_create(&t, NULL, queued_worker, NULL);
    wait_stage(5);
    siginfo_t si;
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_uid = getuid();
    si.si_value.sival_int = 42;
    long r = syscall(SYS_rt_tgsigqueueinfo, getpid(), worker_tid, SIGRTMIN, &si);
    pthread_join(t, NULL);
    sigset_t pend;
    sigpending(&pend);
    printf("threadsig: rt_tgsigqueueinfo: %s, pending in main %s\n", res(r), sigismember(&pend, SIGRTMIN) ? "yes" : "no");
    pid_t self = (pid_t)syscall(SYS_gettid);
    pid_t other = fork();                                  /* another process (init has no parent) */
    if (other == 0) {
        for (;;)
            pause();
    }
    printf("  tgid 0: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, 0, self, SIGRTMIN, &si)));
    printf("  tid -1: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, getpid(), -1, SIGRTMIN, &si)));
    printf("  tgid 0, info at page 0: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, 0, self, SIGRTMIN, (void *)8)));
    printf("  info in the kernel half: %s\n",
           res(syscall(SYS_rt_tgsigqueueinfo, getpid(), self, SIGRTMIN, (void *)0xffffffff81000000UL)));
    printf("  another group's tgid: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, other, self, SIGRTMIN, &si)));
    printf("  a tid not there: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x3ffffff0, SIGRTMIN, &si)));
    printf("  signal 99: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, getpid(), self, 99, &si)));
    printf("  signal 0: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, getpid(), self, 0, &si)));
    si.si_code = SI_USER;                                  /* the kernel's own codes: only to itself */
    printf("  SI_USER to its own thread, signal 0: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, getpid(), self, 0, &si)));
    printf("  SI_USER to another process: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, other, other, SIGRTMIN, &si)));
    si.si_code = SI_TKILL;
    printf("  SI_TKILL to a tid not there: %s\n", res(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0x3ffffff0, SIGRTMIN, &si)));
    /* the same order in rt_sigqueueinfo, tgkill and tkill: no such process before a bad signal */
    si.si_code = SI_QUEUE;
    printf("rt_sigqueueinfo: no such pid, signal 99: %s\n", res(syscall(SYS_rt_sigqueueinfo, 0x3ffffff0, 99, &si)));
    printf("  itself, signal 99: %s\n", res(syscall(SYS_rt_sigqueueinfo, getpid(), 99, &si)));
    printf("tgkill: no such tid, signal 99: %s\n", res(syscall(SYS_tgkill, getpid(), 0x3ffffff0, 99)));
    printf("tkill: no such tid, signal -1: %s\n", res(syscall(SYS_tkill, 0x3ffffff0, -1)));
    printf("tgkill: itself, signal 99: %s\n", res(syscall(SYS_tgkill, getpid(), self, 99)));
    printf("kill: no such pid, signal 99: %s\n", res(kill(0x3ffffff0, 99)));
    printf("kill: no such group, signal 99: %s\n", res(kill(-0x3ffffff0, 99)));
    printf("kill: itself, signal 99: %s\n", res(kill(getpid(), 99)));
    printf("kill: its group, signal -1: %s\n", res(kill(0, -1)));
    kill(other, SIGKILL);
    waitpid(other, NULL, 0);
    pthread_create(&t, NULL, codes_worker, NULL);
    pthread_join(t, NULL);
    pthread_sigmask(SIG_UNBLOCK, &rt, NULL);
}

static void *sleeper(void *arg)
{
    for (;;)
        pause();
    return arg;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    setvbuf(stdout, NULL, _IONBF, 0);

    pthread_t t;
    pthread_create(&t, NULL, faulter, NULL);
    pthread_join(t, NULL);
    printf("threadsig: raise in a thread: the handler ran in that thread %s\n",
           handled_sig == SIGUSR1 && handled_in == worker_tid ? "yes" : "no");

    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &usr2, NULL);
    pthread_create(&t, NULL, unblocked_worker, NULL);
    wait_stage(1);
    kill(getpid(), SIGUSR2);
    pthread_join(t, NULL);
    sigset_t pend;
    sigpending(&pend);
    printf("threadsig: kill SIGUSR2, main blocks it: handled in the worker %s, pending in main %s\n",
           handled_in == worker_tid ? "yes" : "no", sigismember(&pend, SIGUSR2) ? "yes" : "no");

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &usr1, NULL);               /* the worker inherits the mask */
    handled_sig = 0;
    pthread_create(&t, NULL, blocking_worker, NULL);
    pthread_sigmask(SIG_UNBLOCK, &usr1, NULL);
    wait_stage(3);
    syscall(SYS_tgkill, getpid(), worker_tid, SIGUSR1);
    set_stage(4);
    pthread_join(t, NULL);
    printf("threadsig: main's handler did not run for it: %s\n", handled_sig == 0 ? "yes" : "no");
    tgsigqueue();

    pid_t pid = fork();
    if (pid == 0) {
        pthread_t s[2];
        pthread_create(&s[0], NULL, sleeper, NULL);
        pthread_create(&s[1], NULL, sleeper, NULL);
        signal(SIGUSR1, SIG_DFL);
        syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGTERM);   /* default: the group ends */
        for (;;)
            pause();
    }
    int st;
    waitpid(pid, &st, 0);
    printf("threadsig: SIGTERM to one thread of three: the process %s by signal %d\n",
           WIFSIGNALED(st) ? "ended" : "did not end", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
