/* O_ASYNC and SIGIO as Linux has them (fs/fcntl.c, fs/pipe.c, the tty): F_SETFL O_ASYNC,
 * F_SETOWN/F_GETOWN, F_SETOWN_EX/F_GETOWN_EX, F_SETSIG/F_GETSIG with si_code, si_band and
 * si_fd, pipes and FIFOs (which ends hear what), a thread, a process, a group, an owner that
 * is gone, sigio_perm between users, the terminal on stdin, and the hostile arguments. Signals
 * are blocked and collected with sigtimedwait, so the host's Linux and ringlab print the same
 * lines, as root and as a user; ids are printed relative to the caller. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RTSIG 40                 /* F_SETSIG's signal in most cases: real-time, so each one queues */

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case EAGAIN: return "EAGAIN";
    case ENOTTY: return "ENOTTY";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static const char *code_name(int code)
{
    static char buf[16];
    switch (code) {
    case POLL_IN: return "POLL_IN";
    case POLL_OUT: return "POLL_OUT";
    case POLL_MSG: return "POLL_MSG";
    case POLL_HUP: return "POLL_HUP";
    case SI_KERNEL: return "SI_KERNEL";
    case SI_SIGIO: return "SI_SIGIO";
    default: snprintf(buf, sizeof buf, "%d", code); return buf;
    }
}

static sigset_t watched;         /* SIGIO, RTSIG, SIGSEGV, SIGURG: blocked, collected by drain */

/* Print every watched signal pending now (tag: what was just done). fds[] names the fds. */
static void drain(const char *tag, const int *fds, int nfds)
{
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    int n = 0;
    while (sigtimedwait(&watched, &si, &zero) > 0) {
        char fd[16] = "-";
        if (si.si_code != SI_KERNEL) {
            snprintf(fd, sizeof fd, "%d", si.si_fd);
            for (int i = 0; i < nfds; i++)
                if (si.si_fd == fds[i])
                    snprintf(fd, sizeof fd, "fds[%d]", i);
        }
        printf("%s: sig=%d code=%s band=%#lx fd=%s\n", tag, si.si_signo, code_name(si.si_code),
               si.si_code == SI_KERNEL ? 0L : si.si_band, fd);
        n++;
    }
    if (!n)
        printf("%s: nothing\n", tag);
    fflush(stdout);
}

/* Wait (bounded: 10 s) for one watched signal and print it. */
static void wait_one(const char *tag, const int *fds, int nfds)
{
    struct timespec ten = { 10, 0 };
    siginfo_t si;
    int sig = sigtimedwait(&watched, &si, &ten);
    if (sig < 0) {
        printf("%s: none (%s)\n", tag, e(-1));
    } else {
        const char *fd = si.si_fd == (nfds ? fds[0] : -1) ? "fds[0]" : "other";
        printf("%s: sig=%d code=%s band=%#lx fd=%s\n", tag, sig, code_name(si.si_code), si.si_band, fd);
    }
    fflush(stdout);
}

/* F_GETOWN and F_GETOWN_EX, compared with what the test expects (`want`: F_GETOWN's answer). */
static void owner(const char *tag, int fd, long want)
{
    struct f_owner_ex ex = { -1, -1 };
    long o = fcntl(fd, F_GETOWN);
    long r = fcntl(fd, F_GETOWN_EX, &ex);
    printf("%s: getown%s ex=%s type=%d pid%s sig=%d\n", tag, o == want ? "==want" : o == 0 ? "=0" : "=other",
           e(r), ex.type, ex.pid == (want < 0 ? -want : want) ? "==want" : ex.pid == 0 ? "=0" : "=other",
           fcntl(fd, F_GETSIG));
    fflush(stdout);
}

static void pipes(void)
{
    int p[2];
    pipe(p);
    owner("fresh pipe", p[0], 0);
    printf("getfl before: async=%d\n", !!(fcntl(p[0], F_GETFL) & O_ASYNC));
    printf("setfl O_ASYNC: %s\n", e(fcntl(p[0], F_SETFL, O_ASYNC | O_NONBLOCK)));
    printf("getfl after: async=%d nonblock=%d\n", !!(fcntl(p[0], F_GETFL) & O_ASYNC),
           !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    write(p[1], "x", 1);
    drain("write, no owner", p, 2);
    char buf[8];
    read(p[0], buf, sizeof buf);
    printf("setown self: %s\n", e(fcntl(p[0], F_SETOWN, getpid())));
    owner("owned", p[0], getpid());
    write(p[1], "x", 1);
    drain("write, plain SIGIO", p, 2);
    printf("setsig %d: %s\n", RTSIG, e(fcntl(p[0], F_SETSIG, RTSIG)));
    write(p[1], "ab", 2);
    write(p[1], "cd", 2);
    drain("two writes", p, 2);
    write(p[1], "", 0);
    drain("empty write", p, 2);
    read(p[0], buf, sizeof buf);
    drain("read (the read end is not told)", p, 2);
    read(p[0], buf, 0);
    read(p[0], buf, sizeof buf);                      /* empty, O_NONBLOCK: EAGAIN */
    drain("reads of 0 and of an empty pipe", p, 2);
    /* the write end hears reads, plain SIGIO */
    long r = fcntl(p[1], F_SETFL, O_ASYNC);
    printf("write end O_ASYNC: %s", e(r));
    printf(" %s\n", e(fcntl(p[1], F_SETOWN, getpid())));
    write(p[1], "z", 1);
    drain("write with both ends async", p, 2);
    read(p[0], buf, sizeof buf);
    drain("read with the write end async", p, 2);
    read(p[0], buf, sizeof buf);
    drain("read of an empty pipe", p, 2);
    printf("setsig SIGSEGV: %s\n", e(fcntl(p[0], F_SETSIG, SIGSEGV)));
    write(p[1], "q", 1);
    drain("write, F_SETSIG SIGSEGV", p, 2);
    fcntl(p[0], F_SETSIG, RTSIG);
    /* si_fd is the fd O_ASYNC was set through, whatever dup names the file later */
    int d = dup(p[0]);
    int fds[3] = { p[0], p[1], d };
    close(p[0]);
    write(p[1], "w", 1);
    drain("write after the async fd was closed (a dup holds the file)", fds, 3);
    close(p[1]);
    drain("last writer closed", fds, 3);
    r = fcntl(d, F_SETFL, 0);
    printf("setfl off: %s async=%d\n", e(r), !!(fcntl(d, F_GETFL) & O_ASYNC));
    close(d);
}

static void fifo(void)
{
    char dir[] = "tmp/fasyncXXXXXX", path[64];
    if (!mkdtemp(dir)) {
        printf("mkdtemp: %s\n", e(-1));
        return;
    }
    snprintf(path, sizeof path, "%s/fifo", dir);
    mkfifo(path, 0600);
    int rw = open(path, O_RDWR | O_NONBLOCK);
    int w = open(path, O_WRONLY);
    int fds[2] = { rw, w };
    printf("fifo O_RDWR async: %s %s %s\n", e(fcntl(rw, F_SETFL, O_ASYNC | O_NONBLOCK)),
           e(fcntl(rw, F_SETOWN, getpid())), e(fcntl(rw, F_SETSIG, RTSIG)));
    write(w, "a", 1);
    drain("fifo: write (O_RDWR end reads)", fds, 2);
    char buf[4];
    read(rw, buf, sizeof buf);
    drain("fifo: read (O_RDWR end writes too)", fds, 2);
    close(w);
    drain("fifo: a writer closed, O_RDWR still writes", fds, 2);
    close(rw);
    unlink(path);
    rmdir(dir);
}

static void hostile(void)
{
    int p[2];
    pipe(p);
    struct f_owner_ex ex;
    printf("setown 0: %s\n", e(fcntl(p[0], F_SETOWN, 0)));
    owner("after setown 0", p[0], 0);
    printf("setown INT_MIN: %s\n", e(fcntl(p[0], F_SETOWN, (long)-2147483647 - 1)));
    printf("setown 2147483647: %s\n", e(fcntl(p[0], F_SETOWN, 2147483647L)));
    printf("setown -2147483647: %s\n", e(fcntl(p[0], F_SETOWN, -2147483647L)));
    printf("setown 1 (init): %s\n", e(fcntl(p[0], F_SETOWN, 1)));
    owner("owned by 1", p[0], 1);
    printf("setown -1 (init's group): %s\n", e(fcntl(p[0], F_SETOWN, -1)));
    printf("setown_ex type 3: %s\n", e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ 3, getpid() })));
    printf("setown_ex type -1: %s\n", e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ -1, getpid() })));
    printf("setown_ex pid -5: %s\n", e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_PID, -5 })));
    printf("setown_ex pid 2147483647: %s\n",
           e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_PID, 2147483647 })));
    printf("setown_ex pgrp 0: %s\n", e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_PGRP, 0 })));
    owner("after pgrp 0", p[0], 0);
    printf("setown_ex NULL: %s\n", e(fcntl(p[0], F_SETOWN_EX, NULL)));
    printf("getown_ex NULL: %s\n", e(fcntl(p[0], F_GETOWN_EX, NULL)));
    printf("getown_ex kernel address: %s\n", e(fcntl(p[0], F_GETOWN_EX, (void *)0xffffffff81000000UL)));
    printf("setown_ex tid self: %s\n",
           e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_TID, (pid_t)syscall(SYS_gettid) })));
    fcntl(p[0], F_GETOWN_EX, &ex);
    printf("getown_ex: type=%d self=%d\n", ex.type, ex.pid == getpid());
    printf("setown_ex pgrp own: %s\n", e(fcntl(p[0], F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_PGRP, getpgrp() })));
    owner("owned by own group", p[0], -getpgrp());
    long sigs[] = { -1, 0, 1, 64, 65, 1000, (long)0x100000001LL };   /* i386: the last is 1 */
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        long r = fcntl(p[0], F_SETSIG, sigs[i]);
        printf("setsig %#lx: %s getsig=%d\n", sigs[i], e(r), fcntl(p[0], F_GETSIG));
    }
    printf("setfl O_ASYNC on a closed fd: %s\n", e(fcntl(1000, F_SETFL, O_ASYNC)));
    printf("setown on a closed fd: %s\n", e(fcntl(1000, F_SETOWN, getpid())));
    close(p[0]);
    close(p[1]);
    /* a regular file keeps the flag and is told nothing (tmpfs has no ->fasync) */
    int f = open("tmp", O_RDONLY | O_DIRECTORY);
    long r = fcntl(f, F_SETFL, O_ASYNC);
    printf("dir O_ASYNC: %s async=%d", e(r), !!(fcntl(f, F_GETFL) & O_ASYNC));
    printf(" setown=%s\n", e(fcntl(f, F_SETOWN, getpid())));
    close(f);
    /* ioctl FIOASYNC: a pipe takes it, a directory refuses a change (ENOTTY) */
    pipe(p);
    int on = 1, off = 0;
    r = ioctl(p[0], FIOASYNC, &on);
    printf("FIOASYNC on a pipe: %s async=%d", e(r), !!(fcntl(p[0], F_GETFL) & O_ASYNC));
    r = ioctl(p[0], FIOASYNC, &off);
    printf(" off: %s async=%d\n", e(r), !!(fcntl(p[0], F_GETFL) & O_ASYNC));
    printf("FIOASYNC bad pointer: %s\n", e(ioctl(p[0], FIOASYNC, (void *)8)));
    f = open("tmp", O_RDONLY | O_DIRECTORY);
    r = ioctl(f, FIOASYNC, &on);
    printf("FIOASYNC on a directory: %s", e(r));
    printf(" off: %s\n", e(ioctl(f, FIOASYNC, &off)));
    close(f);
    close(p[0]);
    close(p[1]);
}

static volatile sig_atomic_t h_sig, h_code, h_fd, h_count;
static volatile long h_band;

static void on_io(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    h_sig = sig;
    h_code = si->si_code;
    h_fd = si->si_fd;
    h_band = si->si_band;
    h_count++;
}

/* An SA_SIGINFO handler of F_SETSIG's signal sees si_code, si_band and si_fd. */
static void handler(void)
{
    int p[2];
    pipe(p);
    sigaction(RTSIG + 2, &(struct sigaction){ .sa_sigaction = on_io, .sa_flags = SA_SIGINFO }, NULL);
    fcntl(p[0], F_SETFL, O_ASYNC);
    fcntl(p[0], F_SETOWN, getpid());
    fcntl(p[0], F_SETSIG, RTSIG + 2);
    write(p[1], "x", 1);
    printf("handler: %d call(s), sig=%d code=%s band=%#lx fd=%s\n", h_count, h_sig, code_name(h_code), h_band,
           h_fd == p[0] ? "the read end" : "other");
    sigaction(SIGIO, &(struct sigaction){ .sa_sigaction = on_io, .sa_flags = SA_SIGINFO }, NULL);
    sigset_t io;
    sigemptyset(&io);
    sigaddset(&io, SIGIO);
    sigprocmask(SIG_UNBLOCK, &io, NULL);
    fcntl(p[0], F_SETSIG, 0);
    write(p[1], "y", 1);
    sigprocmask(SIG_BLOCK, &io, NULL);
    printf("plain SIGIO handler: %d call(s), sig=%d code=%s\n", h_count, h_sig, code_name(h_code));
    signal(SIGIO, SIG_DFL);
    close(p[0]);
    close(p[1]);
}

/* An owner that is another process: it hears; once it is gone, nobody does and F_GETOWN says 0. */
static void other_process(void)
{
    int p[2], ready[2];
    pipe(p);
    pipe(ready);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        wait_one("child owner", p, 1);
        _exit(0);
    }
    char b;
    read(ready[0], &b, 1);
    fcntl(p[0], F_SETFL, O_ASYNC);
    fcntl(p[0], F_SETSIG, RTSIG);
    long r = fcntl(p[0], F_SETOWN, c);
    printf("setown child: %s getown child=%d\n", e(r), fcntl(p[0], F_GETOWN) == c);
    fflush(stdout);
    write(p[1], "x", 1);
    close(ready[1]);
    read(ready[0], &b, 1);                            /* end of file: the child has exited */
    printf("zombie owner: getown child=%d\n", fcntl(p[0], F_GETOWN) == c);
    waitpid(c, NULL, 0);
    struct f_owner_ex ex;
    fcntl(p[0], F_GETOWN_EX, &ex);
    printf("reaped owner: getown=%d ex.type=%d ex.pid=%d\n", fcntl(p[0], F_GETOWN), ex.type, ex.pid);
    write(p[1], "y", 1);
    drain("write to a gone owner", p, 2);
    close(p[0]);
    close(p[1]);
    close(ready[0]);
}

/* A group owner: every process of the group hears, each its own signal. */
static void group(void)
{
    int p[2], ready[2], done[2];
    pipe(p);
    pipe(ready);
    pipe(done);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        write(ready[1], "r", 1);
        wait_one("group member child", p, 1);
        write(done[1], "d", 1);
        _exit(0);
    }
    char b;
    read(ready[0], &b, 1);
    fcntl(p[0], F_SETFL, O_ASYNC);
    fcntl(p[0], F_SETSIG, RTSIG);
    printf("setown -pgrp: %s\n", e(fcntl(p[0], F_SETOWN, -getpgrp())));
    owner("group owner", p[0], -getpgrp());
    write(p[1], "x", 1);
    read(done[0], &b, 1);
    wait_one("group member parent", p, 1);
    waitpid(c, NULL, 0);
    close(p[0]);
    close(p[1]);
}

static int tpipe[2];

static void *thread_main(void *arg)
{
    int *ready = arg;
    pid_t tid = (pid_t)syscall(SYS_gettid);
    write(ready[1], &tid, sizeof tid);
    wait_one("owner thread", tpipe, 1);
    return NULL;
}

/* F_OWNER_TID: that thread alone; F_OWNER_PID with the same id: the process. */
static void thread_owner(void)
{
    int ready[2];
    pipe(tpipe);
    pipe(ready);
    pthread_t t;
    pthread_create(&t, NULL, thread_main, ready);
    pid_t tid;
    read(ready[0], &tid, sizeof tid);
    fcntl(tpipe[0], F_SETFL, O_ASYNC);
    fcntl(tpipe[0], F_SETSIG, RTSIG);
    printf("setown_ex tid: %s\n", e(fcntl(tpipe[0], F_SETOWN_EX, &(struct f_owner_ex){ F_OWNER_TID, tid })));
    struct f_owner_ex ex;
    fcntl(tpipe[0], F_GETOWN_EX, &ex);
    printf("getown_ex: type=%d thread=%d getown=%s\n", ex.type, ex.pid == tid,
           fcntl(tpipe[0], F_GETOWN) == tid ? "tid" : "other");
    fflush(stdout);
    write(tpipe[1], "x", 1);
    pthread_join(t, NULL);
    drain("main thread after the thread's signal", tpipe, 1);
    long r = fcntl(tpipe[0], F_SETOWN, tid), g = fcntl(tpipe[0], F_GETOWN);
    printf("setown of an ended thread's id: %s getown=%s\n", e(r), g == tid ? "tid" : g == 0 ? "0" : "other");
    close(tpipe[0]);
    close(tpipe[1]);
    close(ready[0]);
    close(ready[1]);
}

/* Hostile: threads toggle O_ASYNC, change the owner and the signal, dup and close the async
   end, while others write into a small pipe and read from it; then every end closes. Only the
   end matters (no panic, no leak on the sanitizer kernel): "race: done". */
static int rp[2];
static volatile int race_stop;

static void *race_toggle(void *arg)
{
    (void)arg;
    for (int i = 0; i < 3000; i++) {
        fcntl(rp[0], F_SETFL, i & 1 ? O_ASYNC | O_NONBLOCK : O_NONBLOCK);
        fcntl(rp[0], F_SETOWN, i % 3 == 0 ? getpid() : i % 3 == 1 ? -getpgrp() : 0);
        fcntl(rp[0], F_SETSIG, i % 5 == 0 ? 0 : RTSIG);
        int d = dup(rp[0]);
        fcntl(d, F_SETFL, O_ASYNC | O_NONBLOCK);
        close(d);
    }
    return NULL;
}

static void *race_io(void *arg)
{
    (void)arg;
    char buf[512] = { 0 };
    while (!race_stop) {
        write(rp[1], buf, sizeof buf);
        read(rp[0], buf, sizeof buf);
    }
    return NULL;
}

static void race(void)
{
    pipe2(rp, O_NONBLOCK);
    fcntl(rp[1], F_SETFL, O_ASYNC | O_NONBLOCK);
    fcntl(rp[1], F_SETOWN, getpid());
    fcntl(rp[1], F_SETPIPE_SZ, 4096);
    pthread_t t[4];
    pthread_create(&t[0], NULL, race_toggle, NULL);
    pthread_create(&t[1], NULL, race_toggle, NULL);
    pthread_create(&t[2], NULL, race_io, NULL);
    pthread_create(&t[3], NULL, race_io, NULL);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    race_stop = 1;
    pthread_join(t[2], NULL);
    pthread_join(t[3], NULL);
    close(rp[0]);
    close(rp[1]);
    struct timespec zero = { 0, 0 };
    while (sigtimedwait(&watched, NULL, &zero) > 0)
        ;
    printf("race: done\n");
}

/* sigio_perm: an owner set by user 1000 may not signal root's process; root's may signal anyone. */
static void permissions(void)
{
    if (getuid() != 0) {
        printf("permissions: run as root only\n");
        return;
    }
    int p[2];
    pipe(p);
    fcntl(p[0], F_SETFL, O_ASYNC);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        printf("user sets root's process as owner: %s\n", e(fcntl(p[0], F_SETOWN, getppid())));
        fcntl(p[0], F_SETSIG, RTSIG);
        write(p[1], "x", 1);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    drain("root, owner set by user 1000", p, 1);
    char buf[4];
    read(p[0], buf, sizeof buf);
    printf("root sets itself: %s\n", e(fcntl(p[0], F_SETOWN, getpid())));
    write(p[1], "y", 1);
    drain("root, owner set by root", p, 1);
    close(p[0]);
    close(p[1]);
}

/* The terminal on stdin: O_ASYNC gives it its foreground group as owner; a typed line is POLL_IN. */
static void terminal(void)
{
    int f[1] = { 0 };
    long r = fcntl(0, F_SETFL, fcntl(0, F_GETFL) | O_ASYNC);
    printf("tty O_ASYNC: %s\n", e(r));
    owner("tty default owner (the foreground group)", 0, -tcgetpgrp(0));
    printf("stdout shares it: async=%d\n", !!(fcntl(1, F_GETFL) & O_ASYNC));
    fcntl(0, F_SETOWN, getpid());
    fcntl(0, F_SETSIG, RTSIG);
    printf("type a line\n");
    fflush(stdout);
    wait_one("tty", f, 1);
    char line[64];
    ssize_t n = read(0, line, sizeof line - 1);
    line[n > 0 ? n : 0] = 0;
    line[strcspn(line, "\n")] = 0;
    printf("read %zd: \"%s\"\n", n, line);
    drain("after the read", f, 1);
    fcntl(0, F_SETFL, fcntl(0, F_GETFL) & ~O_ASYNC);
    fcntl(0, F_SETSIG, 0);
    printf("tty async off: async=%d\n", !!(fcntl(0, F_GETFL) & O_ASYNC));
}

int main(void)
{
    sigemptyset(&watched);
    sigaddset(&watched, SIGIO);
    sigaddset(&watched, RTSIG);
    sigaddset(&watched, SIGSEGV);
    sigprocmask(SIG_BLOCK, &watched, NULL);
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The work runs in a child: in ringlab this program is pid 1, on the host it is not. The
       parent keeps the signals blocked (a group owner reaches it too) and waits. */
    pid_t worker = fork();
    if (worker > 0) {
        int status;
        waitpid(worker, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    pipes();
    fifo();
    hostile();
    handler();
    other_process();
    group();
    thread_owner();
    race();
    permissions();
    terminal();
    drain("end", NULL, 0);
    return 0;
}
