/*
 * threadgroup: process-directed signals, group stop and shared handlers, as Linux does them.
 *
 *  shared   kill() while every thread blocks the signal: it waits in the process's pending set,
 *           which sigpending shows in every thread, until one thread takes it (sigwait).
 *  unblock  a thread that unblocks a process-pending signal runs the handler itself.
 *  suspend  sigsuspend in a new thread takes a signal the process got before the thread existed.
 *  timed    sigtimedwait in one thread for a signal sent to the process while it waits.
 *  both     a thread's own (tgkill) and the process's (kill) instance of one signal are two:
 *           another thread's sigwait takes the process's, the thread itself keeps its own.
 *  queue    real-time signals queued to the process keep their order and values.
 *  kernel   SIGCHLD and SIGALRM (setitimer) are the process's: a thread's sigwait takes them.
 *  stop     SIGSTOP stops every thread of a child (a thread blocked in read, the main thread in
 *           pthread_join): one WUNTRACED report; SIGCONT continues them all: one WCONTINUED
 *           report; the reader runs its SIGCONT handler, then its interrupted read restarts. A
 *           stopped three-thread child is ended by SIGKILL.
 *  sighand  a CLONE_SIGHAND child's sigaction is the parent's; a fork child's is its own; a
 *           CLONE_SIGHAND child's execve gives it a table of its own (the parent's is untouched).
 *  fatal    a NULL dereference in a non-leader thread without a handler kills the whole child
 *           (SIGSEGV); kill(SIGTERM) to a child whose main thread blocks SIGTERM kills it too.
 * Threads are synchronised with pipes, joins and mutexes, never with sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t handled_in;        /* the thread the last handler ran in */
static volatile int handled_sig;

static pid_t gettid_(void)
{
    return (pid_t)syscall(SYS_gettid);
}

static void handler(int sig)
{
    handled_sig = sig;
    handled_in = gettid_();
}

static void on(int sig, void (*fn)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigaction(sig, &sa, NULL);
}

static void block(int sig, int how)
{
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig);
    pthread_sigmask(how, &s, NULL);
}

static int is_pending(int sig)
{
    sigset_t s;
    sigpending(&s);
    return sigismember(&s, sig);
}

static void xpipe(int fd[2])
{
    if (pipe(fd)) {
        perror("pipe");
        exit(2);
    }
}

/* ---- shared: a process-pending signal seen by every thread, taken by sigwait ---- */

static void *shared_worker(void *arg)
{
    (void)arg;
    sigset_t s;
    int sig = 0;
    printf("shared: worker sees SIGUSR1 pending: %d\n", is_pending(SIGUSR1));
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    int r = sigwait(&s, &sig);
    printf("shared: worker sigwait -> %d, signal %d\n", r, sig);
    return NULL;
}

static void test_shared(void)
{
    pthread_t t;
    block(SIGUSR1, SIG_BLOCK);
    kill(getpid(), SIGUSR1);
    printf("shared: main sees SIGUSR1 pending: %d\n", is_pending(SIGUSR1));
    pthread_create(&t, NULL, shared_worker, NULL);
    pthread_join(t, NULL);
    printf("shared: main sees SIGUSR1 pending after the worker took it: %d\n", is_pending(SIGUSR1));
    block(SIGUSR1, SIG_UNBLOCK);
}

/* ---- unblock: the thread that unblocks it runs the handler ---- */

static void *unblock_worker(void *arg)
{
    (void)arg;
    handled_in = 0;
    block(SIGUSR2, SIG_UNBLOCK);         /* delivered on the way out of this call */
    printf("unblock: handler ran %s\n", handled_in == gettid_() ? "in the worker" : "elsewhere");
    return NULL;
}

static void test_unblock(void)
{
    pthread_t t;
    on(SIGUSR2, handler);
    block(SIGUSR2, SIG_BLOCK);
    kill(getpid(), SIGUSR2);
    pthread_create(&t, NULL, unblock_worker, NULL);
    pthread_join(t, NULL);
    printf("unblock: main sees SIGUSR2 pending: %d, handled %s\n", is_pending(SIGUSR2),
           handled_sig == SIGUSR2 ? "SIGUSR2" : "nothing");
    block(SIGUSR2, SIG_UNBLOCK);
}

/* ---- suspend: sigsuspend in a thread created after the kill ---- */

static void *suspend_worker(void *arg)
{
    (void)arg;
    sigset_t none;
    sigemptyset(&none);
    handled_in = 0;
    int r = sigsuspend(&none);
    printf("suspend: sigsuspend -> %d (%s), handler ran %s\n", r, strerror(errno),
           handled_in == gettid_() ? "in the worker" : "elsewhere");
    return NULL;
}

static void test_suspend(void)
{
    pthread_t t;
    on(SIGHUP, handler);
    block(SIGHUP, SIG_BLOCK);
    kill(getpid(), SIGHUP);
    pthread_create(&t, NULL, suspend_worker, NULL);
    pthread_join(t, NULL);
    block(SIGHUP, SIG_UNBLOCK);
}

/* ---- timed: sigtimedwait in a thread, the signal sent to the process meanwhile ---- */

static int ready[2];

static void *timed_worker(void *arg)
{
    (void)arg;
    sigset_t s;
    siginfo_t si;
    struct timespec ts = { 30, 0 };     /* a bound, never the verdict */
    sigemptyset(&s);
    sigaddset(&s, SIGWINCH);
    (void)!write(ready[1], "r", 1);      /* the kill may come before or during the wait */
    int r = sigtimedwait(&s, &si, &ts);
    printf("timed: sigtimedwait -> %d, si_code %d, si_pid is ours: %d\n", r, si.si_code,
           si.si_pid == getpid());
    return NULL;
}

static void test_timed(void)
{
    pthread_t t;
    char c;
    block(SIGWINCH, SIG_BLOCK);
    xpipe(ready);
    pthread_create(&t, NULL, timed_worker, NULL);
    (void)!read(ready[0], &c, 1);
    kill(getpid(), SIGWINCH);
    pthread_join(t, NULL);
    close(ready[0]);
    close(ready[1]);
    block(SIGWINCH, SIG_UNBLOCK);
}

/* ---- both: a thread's own instance and the process's are two ---- */

static int take_one(int sig)
{
    sigset_t s;
    siginfo_t si;
    sigemptyset(&s);
    sigaddset(&s, sig);
    return sigwaitinfo(&s, &si) == sig ? si.si_code : 99;
}

static void *both_worker(void *arg)
{
    (void)arg;
    printf("both: worker takes si_code %d (SI_USER is 0)\n", take_one(SIGUSR1));
    printf("both: worker sees SIGUSR1 pending: %d\n", is_pending(SIGUSR1));
    return NULL;
}

static void test_both(void)
{
    pthread_t t;
    block(SIGUSR1, SIG_BLOCK);
    syscall(SYS_tgkill, getpid(), gettid_(), SIGUSR1);
    kill(getpid(), SIGUSR1);
    pthread_create(&t, NULL, both_worker, NULL);
    pthread_join(t, NULL);
    printf("both: main sees SIGUSR1 pending: %d\n", is_pending(SIGUSR1));
    printf("both: main takes si_code %d (SI_TKILL is -6)\n", take_one(SIGUSR1));
    printf("both: main sees SIGUSR1 pending after: %d\n", is_pending(SIGUSR1));
    block(SIGUSR1, SIG_UNBLOCK);
}

/* ---- queue: real-time signals to the process ---- */

static void *queue_worker(void *arg)
{
    (void)arg;
    sigset_t s;
    siginfo_t si;
    sigemptyset(&s);
    sigaddset(&s, SIGRTMIN + 1);
    sigaddset(&s, SIGRTMIN + 2);
    for (int i = 0; i < 4; i++) {
        int sig = sigwaitinfo(&s, &si);
        printf("queue: SIGRTMIN+%d value %d\n", sig - SIGRTMIN, si.si_value.sival_int);
    }
    return NULL;
}

static void test_queue(void)
{
    pthread_t t;
    block(SIGRTMIN + 1, SIG_BLOCK);
    block(SIGRTMIN + 2, SIG_BLOCK);
    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 1 });
    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 2 });
    sigqueue(getpid(), SIGRTMIN + 2, (union sigval){ .sival_int = 3 });
    sigqueue(getpid(), SIGRTMIN + 1, (union sigval){ .sival_int = 4 });
    pthread_create(&t, NULL, queue_worker, NULL);
    pthread_join(t, NULL);
    block(SIGRTMIN + 1, SIG_UNBLOCK);
    block(SIGRTMIN + 2, SIG_UNBLOCK);
}

/* ---- kernel: SIGCHLD and SIGALRM go to the process ---- */

static void *kernel_worker(void *arg)
{
    (void)arg;
    sigset_t s;
    siginfo_t si;
    sigemptyset(&s);
    sigaddset(&s, SIGCHLD);
    int sig = sigwaitinfo(&s, &si);
    printf("kernel: worker took %d, si_code %d (CLD_EXITED is 1), si_status %d\n", sig, si.si_code, si.si_status);
    sigemptyset(&s);
    sigaddset(&s, SIGALRM);
    struct itimerval it = { { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    sig = sigwaitinfo(&s, &si);
    printf("kernel: worker took %d, si_code %d (SI_KERNEL is 128)\n", sig, si.si_code);
    return NULL;
}

static void test_kernel(void)
{
    pthread_t t;
    int st;
    block(SIGCHLD, SIG_BLOCK);
    block(SIGALRM, SIG_BLOCK);
    pid_t pid = fork();
    if (pid == 0)
        _exit(5);
    pthread_create(&t, NULL, kernel_worker, NULL);
    pthread_join(t, NULL);
    waitpid(pid, &st, 0);
    printf("kernel: main sees SIGCHLD pending: %d, SIGALRM pending: %d\n", is_pending(SIGCHLD), is_pending(SIGALRM));
    block(SIGCHLD, SIG_UNBLOCK);
    block(SIGALRM, SIG_UNBLOCK);
}

/* ---- stop: group stop and continue ---- */

static int up[2], down[2];
static volatile int continued;           /* set by the SIGCONT handler, which runs in the reader */

static void on_cont(int sig)
{
    (void)sig;
    continued = 1;
}

/*
 * The reader is the only thread not blocking SIGCONT. The parent writes its byte after the
 * group-stop report and before SIGCONT: a stopped reader reads it only after the continue,
 * when its SIGCONT handler has run (7); a reader the stop missed reads it at once (8).
 */
static void *stop_reader(void *arg)
{
    (void)arg;
    char c;
    block(SIGCONT, SIG_UNBLOCK);
    (void)!write(up[1], "t", 1);
    ssize_t n = read(down[0], &c, 1);    /* interrupted by the stop, restarted (SA_RESTART) */
    int result = n != 1 ? 9 : continued ? 7 : 8;
    (void)!read(down[0], &c, 1);         /* alive until the parent has seen the continue */
    return (void *)(long)result;
}

static void test_stop(void)
{
    int st;
    char c;
    xpipe(up);
    xpipe(down);
    pid_t pid = fork();
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_cont;
        sa.sa_flags = SA_RESTART;
        sigaction(SIGCONT, &sa, NULL);
        block(SIGCONT, SIG_BLOCK);
        pthread_t t;
        void *r;
        pthread_create(&t, NULL, stop_reader, NULL);
        pthread_join(t, &r);             /* the main thread waits in a futex */
        _exit((int)(long)r);
    }
    (void)!read(up[0], &c, 1);
    kill(pid, SIGSTOP);
    pid_t w = waitpid(pid, &st, WUNTRACED);
    printf("stop: waitpid WUNTRACED -> child: %d, stopped: %d, by %d\n", w == pid, WIFSTOPPED(st),
           WSTOPSIG(st));
    w = waitpid(pid, &st, WUNTRACED | WNOHANG);
    printf("stop: again WNOHANG -> %d (reported once)\n", (int)w);
    (void)!write(down[1], "x", 1);       /* for the reader, which must be stopped too */
    kill(pid, SIGCONT);
    w = waitpid(pid, &st, WCONTINUED);
    printf("stop: waitpid WCONTINUED -> child: %d, continued: %d\n", w == pid, WIFCONTINUED(st));
    w = waitpid(pid, &st, WCONTINUED | WNOHANG);
    printf("stop: again WNOHANG -> %d (reported once)\n", (int)w);
    (void)!write(down[1], "g", 1);       /* the child may end now */
    w = waitpid(pid, &st, 0);
    printf("stop: child exited: %d, status %d (7: the reader was stopped with the group)\n",
           WIFEXITED(st), WEXITSTATUS(st));
    close(up[0]); close(up[1]); close(down[0]); close(down[1]);
}

/* A stopped group killed: SIGKILL ends the stop of every thread, and the process. */
static void *stop_kill_reader(void *arg)
{
    (void)arg;
    char c;
    (void)!write(up[1], "t", 1);
    (void)!read(down[0], &c, 1);
    return NULL;
}

static void test_stop_kill(void)
{
    int st;
    char c;
    xpipe(up);
    xpipe(down);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t[2];
        pthread_create(&t[0], NULL, stop_kill_reader, NULL);
        pthread_create(&t[1], NULL, stop_kill_reader, NULL);
        pthread_join(t[0], NULL);
        pthread_join(t[1], NULL);
        _exit(0);
    }
    (void)!read(up[0], &c, 1);
    (void)!read(up[0], &c, 1);
    kill(pid, SIGSTOP);
    kill(pid, SIGSTOP);                  /* a second one: still one report */
    pid_t w = waitpid(pid, &st, WUNTRACED);
    printf("stopkill: stopped: %d\n", w == pid && WIFSTOPPED(st));
    kill(pid, SIGKILL);
    w = waitpid(pid, &st, WUNTRACED);
    printf("stopkill: then killed by signal %d\n", w == pid && WIFSIGNALED(st) ? WTERMSIG(st) : -1);
    close(up[0]); close(up[1]); close(down[0]); close(down[1]);
}

/* ---- sighand: CLONE_SIGHAND shares the handlers, fork copies them ---- */

static void other_handler(int sig)
{
    (void)sig;
}

static int sighand_child(void *arg)
{
    (void)arg;
    on(SIGUSR1, other_handler);
    on(SIGUSR2, SIG_IGN);
    return 3;
}

static const char *what(int sig)
{
    struct sigaction old;
    sigaction(sig, NULL, &old);
    return old.sa_handler == other_handler ? "the child's handler" : old.sa_handler == SIG_IGN ? "SIG_IGN"
           : old.sa_handler == SIG_DFL ? "SIG_DFL" : "another handler";
}

static const char *self;                 /* argv[0]: the sighand case execs it */

/* CLONE_VM|CLONE_SIGHAND|CLONE_VFORK child: execve gives the new image a table of its own. */
static int sighand_exec_child(void *arg)
{
    (void)arg;
    char *argv[] = { (char *)self, "sighand-exec", NULL };
    execve(self, argv, NULL);
    return 127;
}

/* The exec'd image: caught signals are SIG_DFL again, ignored stay ignored; its sigaction is its own. */
static int sighand_exec_main(void)
{
    struct sigaction old;
    int st = 0;
    sigaction(SIGUSR1, NULL, &old);
    st |= old.sa_handler == SIG_DFL ? 1 : 0;
    sigaction(SIGUSR2, NULL, &old);
    st |= old.sa_handler == SIG_IGN ? 2 : 0;
    on(SIGUSR2, other_handler);          /* must not reach the parent that shared the old table */
    return 40 + st;
}

static void test_sighand(void)
{
    static char stack[65536] __attribute__((aligned(16)));
    int st;
    on(SIGUSR1, SIG_DFL);
    on(SIGUSR2, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        sighand_child(NULL);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    printf("sighand: after a fork child's sigaction: SIGUSR1 %s, SIGUSR2 %s\n", what(SIGUSR1), what(SIGUSR2));
    pid = clone(sighand_child, stack + sizeof stack, CLONE_VM | CLONE_SIGHAND | SIGCHLD, NULL);
    if (pid < 0) {
        printf("sighand: clone: %s\n", strerror(errno));
        return;
    }
    pid_t w = waitpid(pid, &st, 0);
    printf("sighand: CLONE_SIGHAND child %d exited %d: SIGUSR1 %s, SIGUSR2 %s\n", w == pid,
           WEXITSTATUS(st), what(SIGUSR1), what(SIGUSR2));
    pid = clone(sighand_exec_child, stack + sizeof stack, CLONE_VM | CLONE_SIGHAND | CLONE_VFORK | SIGCHLD, NULL);
    w = waitpid(pid, &st, 0);
    printf("sighand: a sharer's execve: it exited %d (43: SIGUSR1 default, SIGUSR2 ignored); "
           "ours: SIGUSR1 %s, SIGUSR2 %s\n", w == pid ? WEXITSTATUS(st) : -1, what(SIGUSR1), what(SIGUSR2));
    on(SIGUSR1, SIG_DFL);
    on(SIGUSR2, SIG_DFL);
}

/* ---- fatal: default actions end the whole group ---- */

static void *faulting_thread(void *arg)
{
    (void)arg;
    *(volatile int *)0 = 1;              /* SIGSEGV, no handler: the whole process ends */
    return NULL;
}

static void *termable_thread(void *arg)
{
    (void)arg;
    (void)!write(up[1], "t", 1);
    for (;;)
        pause();
    return NULL;
}

static void report(const char *what, int st)
{
    if (WIFSIGNALED(st))
        printf("fatal: %s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("fatal: %s: exited %d\n", what, WEXITSTATUS(st));
}

static void test_fatal(void)
{
    int st;
    char c;
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, NULL, faulting_thread, NULL);
        pthread_join(t, NULL);
        _exit(0);
    }
    waitpid(pid, &st, 0);
    report("fault in a non-leader thread", st);

    xpipe(up);
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        block(SIGTERM, SIG_BLOCK);       /* the new thread inherits the block */
        pthread_create(&t, NULL, termable_thread, NULL);
        pthread_join(t, NULL);
        _exit(0);
    }
    (void)!read(up[0], &c, 1);
    kill(pid, SIGTERM);                  /* pending in the process: no thread takes it */
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    report("SIGTERM blocked everywhere, then SIGKILL", st);
    close(up[0]);
    close(up[1]);
}

static void *unblocked_term_thread(void *arg)
{
    (void)arg;
    block(SIGTERM, SIG_UNBLOCK);
    (void)!write(up[1], "t", 1);
    for (;;)
        pause();
    return NULL;
}

static void test_fatal_unblocked(void)
{
    int st;
    char c;
    xpipe(up);
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        block(SIGTERM, SIG_BLOCK);       /* the main thread blocks it, the worker does not */
        pthread_create(&t, NULL, unblocked_term_thread, NULL);
        pthread_join(t, NULL);
        _exit(0);
    }
    (void)!read(up[0], &c, 1);
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
    report("SIGTERM to a child whose main thread blocks it", st);
    close(up[0]);
    close(up[1]);
}

static const struct { const char *name; void (*run)(void); } cases[] = {
    { "shared", test_shared }, { "unblock", test_unblock }, { "suspend", test_suspend },
    { "timed", test_timed }, { "both", test_both }, { "queue", test_queue }, { "kernel", test_kernel },
    { "stop", test_stop }, { "stop", test_stop_kill }, { "sighand", test_sighand }, { "fatal", test_fatal },
    { "fatal", test_fatal_unblocked },
};

/* threadgroup [CASE]: every case in order, or only those named CASE. */
int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    self = argv[0];
    if (argc == 2 && strcmp(argv[1], "sighand-exec") == 0)
        return sighand_exec_main();
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (argc < 2 || strcmp(argv[1], cases[i].name) == 0)
            cases[i].run();
    printf("threadgroup: done\n");
    return 0;
}
