/*
 * posixsurf: the parts of issue 22's list that no other program compares with the host.
 *   - setrlimit: any process lowers a soft or a hard limit, raises the soft one up to the hard
 *     one; raising a hard limit needs CAP_SYS_RESOURCE (the limits ringlab honours at any
 *     value: CPU, FSIZE, RSS, NPROC, NOFILE, LOCKS, SIGPENDING, RTTIME; CORE set to 0)
 *   - RLIMIT_FSIZE: a write across it is cut, one at it is EFBIG with SIGXFSZ, as are pwrite
 *     and a truncate growing past it; SIGXFSZ's default action ends the process
 *   - process groups as root and as user 1000: setpgid's rules, getpgid/getsid, setsid in a
 *     group leader, kill and waitpid of a group
 *   - RLIMIT_CPU: SIGXCPU at the soft limit (which then moves a second on), SIGKILL at the hard
 *   - /proc/meminfo: the fields programs read (free, ps, LTP's tst_available_mem), in the
 *     "Name:   N kB" format, in Linux's order, with MemFree and MemAvailable at most MemTotal
 *   - thread cancellation at cancellation points (read of a pipe, nanosleep, sem_wait,
 *     pthread_cond_wait, pthread_testcancel) and not while disabled: musl's and glibc's
 *     cancellation signals and their handlers' jump out of a blocked system call
 * Run as root and as user 1000 (tests/test_posixfix.py), built with musl and glibc.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r)
{
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EFBIG: return "EFBIG";
    case ESRCH: return "ESRCH";
    case EACCES: return "EACCES";
    default: return strerror(errno);
    }
}

static const struct { int res; const char *name; } limits[] = {
    { RLIMIT_CPU, "CPU" }, { RLIMIT_FSIZE, "FSIZE" }, { RLIMIT_RSS, "RSS" }, { RLIMIT_NPROC, "NPROC" },
    { RLIMIT_NOFILE, "NOFILE" }, { RLIMIT_LOCKS, "LOCKS" }, { RLIMIT_SIGPENDING, "SIGPENDING" },
    { RLIMIT_RTTIME, "RTTIME" },
};

/* Is CAP_SYS_RESOURCE (24) in the effective set? capget, version 3 (Linux capability.h). */
static int has_sys_resource(void)
{
    struct { unsigned version; int pid; } hdr = { 0x20080522, 0 };
    struct { unsigned effective, permitted, inheritable; } data[2];
    if (syscall(SYS_capget, &hdr, data))
        return -1;
    return data[0].effective >> 24 & 1;
}

static void rlimits(void)
{
    for (unsigned i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        int res = limits[i].res;
        struct rlimit old, now, want;
        getrlimit(res, &old);
        rlim_t low = old.rlim_cur < 20 ? old.rlim_cur : 20;
        want = (struct rlimit){ low, old.rlim_max };
        long r = setrlimit(res, &want);
        getrlimit(res, &now);
        printf("RLIMIT_%s: lower soft: %s, reads back: %d\n", limits[i].name, err(r),
               now.rlim_cur == low && now.rlim_max == old.rlim_max);
        want = (struct rlimit){ old.rlim_max, old.rlim_max };
        if (old.rlim_max != RLIM_INFINITY) {
            want.rlim_cur = old.rlim_max + 1;
            printf("RLIMIT_%s: soft above hard: %s\n", limits[i].name, err(setrlimit(res, &want)));
        }
        want = (struct rlimit){ old.rlim_cur, old.rlim_max };
        printf("RLIMIT_%s: raise soft back: %s\n", limits[i].name, err(setrlimit(res, &want)));
        want = (struct rlimit){ low, low };
        r = setrlimit(res, &want);
        getrlimit(res, &now);
        printf("RLIMIT_%s: lower hard: %s, reads back: %d\n", limits[i].name, err(r),
               now.rlim_cur == low && now.rlim_max == low);
        r = setrlimit(res, &old);
        /* as CAP_SYS_RESOURCE says (the host's root may run without it, in a container) */
        printf("RLIMIT_%s: raise hard back: %s\n", limits[i].name,
               (r == 0) == has_sys_resource() ? "as CAP_SYS_RESOURCE allows" : err(r));
    }
    struct rlimit core = { 0, 0 };
    printf("RLIMIT_CORE: set to 0: %s\n", err(setrlimit(RLIMIT_CORE, &core)));
    core.rlim_cur = 1;
    printf("RLIMIT_CORE: soft above a hard 0: %s\n", err(setrlimit(RLIMIT_CORE, &core)));
}

static volatile sig_atomic_t xfsz;
static void on_xfsz(int sig) { (void)sig; xfsz++; }

static void fsize(void)
{
    static char buf[8000];
    memset(buf, 'f', sizeof buf);
    signal(SIGXFSZ, on_xfsz);
    int fd = open("tmp/psurf", O_CREAT | O_RDWR | O_TRUNC, 0644);
    struct rlimit old, lim;
    getrlimit(RLIMIT_FSIZE, &old);
    lim = (struct rlimit){ 10000, old.rlim_max };
    printf("FSIZE 10000: %s\n", err(setrlimit(RLIMIT_FSIZE, &lim)));
    long a = write(fd, buf, sizeof buf);
    long b = write(fd, buf, sizeof buf);
    printf("FSIZE: write 8000: %ld, then across the limit: %ld, SIGXFSZ %d\n", a, b, xfsz);
    long c = write(fd, buf, 1);
    printf("FSIZE: write at the limit: %s, SIGXFSZ %d\n", err(c), xfsz);
    printf("FSIZE: write of 0 bytes at the limit: %ld, SIGXFSZ %d\n", (long)write(fd, buf, 0), xfsz);
    c = pwrite(fd, buf, 10, 20000);
    printf("FSIZE: pwrite past it: %s, SIGXFSZ %d\n", err(c), xfsz);
    c = pwrite(fd, buf, 10, 5000);
    printf("FSIZE: pwrite below it: %ld\n", c);
    c = ftruncate(fd, 10000);
    printf("FSIZE: ftruncate to the limit: %s, SIGXFSZ %d\n", err(c), xfsz);
    c = ftruncate(fd, 10001);
    printf("FSIZE: ftruncate past it: %s, SIGXFSZ %d\n", err(c), xfsz);
    c = ftruncate(fd, 100);
    printf("FSIZE: ftruncate down: %s\n", err(c));
    struct stat st;
    fstat(fd, &st);
    printf("FSIZE: size %ld\n", (long)st.st_size);
    signal(SIGXFSZ, SIG_IGN);
    lseek(fd, 10000, SEEK_SET);
    printf("FSIZE: write at it, SIGXFSZ ignored: %s\n", err(write(fd, buf, 1)));
    signal(SIGXFSZ, SIG_DFL);
    pid_t pid = fork();
    if (pid == 0) {
        write(fd, buf, 1);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    printf("FSIZE: a child writing at it: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    setrlimit(RLIMIT_FSIZE, &old);
    printf("FSIZE: after the limit is lifted: %ld\n", (long)write(fd, buf, 1));
    close(fd);
    unlink("tmp/psurf");
}

/* Process groups as an unprivileged user sees them too (no setpgid rule looks at ids). */
static void pgrp(void)
{
    printf("pgrp: leader of its session: %d, of its group: %d\n", getsid(0) == getpid(), getpgrp() == getpid());
    printf("pgrp: setpgid(0, 0): %s\n", err(setpgid(0, 0)));
    int p2c[2];
    pipe(p2c);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(p2c[0], &c, 1);                                /* until the parent has moved us */
        printf("pgrp: child: in a group of its own: %d, setsid: %s\n", getpgrp() == getpid(), err(setsid()));
        _exit(0);
    }
    printf("pgrp: setpgid(child, 0): %s\n", err(setpgid(pid, 0)));
    printf("pgrp: the child's group is its pid: %d\n", getpgid(pid) == pid);
    printf("pgrp: setpgid(child, our group): %s\n", err(setpgid(pid, getpgrp())));
    printf("pgrp: setpgid(child, child) again: %s\n", err(setpgid(pid, pid)));
    printf("pgrp: setpgid(child, no such group): %s\n", err(setpgid(pid, 999999)));
    printf("pgrp: setpgid(no such process): %s\n", err(setpgid(999999, 0)));
    printf("pgrp: setpgid(-1, 0): %s\n", err(setpgid(-1, 0)));
    printf("pgrp: setpgid(0, -1): %s\n", err(setpgid(0, -1)));
    printf("pgrp: getpgid(no such process): %s, getsid(no such process): %s\n", err(getpgid(999999)),
           err(getsid(999999)));
    printf("pgrp: kill(-child's group, 0): %s\n", err(kill(-pid, 0)));
    write(p2c[1], "x", 1);
    int status;
    waitpid(-pid, &status, 0);
    printf("pgrp: waitpid(-child's group): exit %d\n", WEXITSTATUS(status));
    printf("pgrp: kill(-the gone group, 0): %s\n", err(kill(-pid, 0)));
}

static volatile sig_atomic_t xcpu;
static void on_xcpu(int sig) { (void)sig; xcpu++; }

/* RLIMIT_CPU 1 s soft, 2 s hard, in a child that spins: SIGXCPU at 1 s (and the soft limit
   moved on to 2 s, as Linux's posix-cpu-timers do), SIGKILL at 2 s. */
static void cpu(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct rlimit lim = { 1, 2 };
        signal(SIGXCPU, on_xcpu);
        printf("CPU: limit 1 s soft, 2 s hard: %s\n", err(setrlimit(RLIMIT_CPU, &lim)));
        for (int told = 0;;) {
            if (xcpu && !told) {
                getrlimit(RLIMIT_CPU, &lim);
                printf("CPU: SIGXCPU; the soft limit is now %ld s, the hard one %ld s\n",
                       (long)lim.rlim_cur, (long)lim.rlim_max);
                told = 1;
            }
        }
    }
    int status;
    waitpid(pid, &status, 0);
    printf("CPU: the child ended by %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
}

static void meminfo(void)
{
    static const char *const want[] = { "MemTotal", "MemFree", "MemAvailable", "Buffers", "Cached",
                                        "SwapCached", "Active", "Inactive", "SwapTotal", "SwapFree",
                                        "Shmem", "Slab", "SReclaimable", "CommitLimit", "Committed_AS" };
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f) {
        printf("meminfo: %s\n", strerror(errno));
        return;
    }
    char line[256], name[64];
    unsigned long val[sizeof want / sizeof want[0]] = { 0 };
    int found[sizeof want / sizeof want[0]] = { 0 }, order = 0, ok = 1;
    while (fgets(line, sizeof line, f)) {
        unsigned long v;
        char unit[8] = "";
        if (sscanf(line, "%63[^:]: %lu %7s", name, &v, unit) < 2)
            ok = 0;
        for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
            if (strcmp(name, want[i]))
                continue;
            found[i] = 1;
            val[i] = v;
            if (strcmp(unit, "kB"))
                ok = 0;
            if ((int)i < order)
                ok = 0;                  /* out of Linux's order */
            order = (int)i;
        }
    }
    fclose(f);
    for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++)
        printf("meminfo: %s %s\n", want[i], found[i] ? "present" : "missing");
    printf("meminfo: every line \"Name: N [kB]\", in Linux's order: %d\n", ok);
    printf("meminfo: MemFree <= MemTotal: %d, MemAvailable <= MemTotal: %d, MemTotal > 0: %d\n",
           val[1] <= val[0], val[2] <= val[0], val[0] > 0);
}

static int pipefd[2];
static sem_t sem;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static volatile int cleanup_ran;

static volatile long blocked_tid;

/* The cancellation handler: a cond_wait's cancel returns with the mutex held (POSIX). */
static void cleanup(void *arg)
{
    if (arg)
        pthread_mutex_unlock(arg);
    cleanup_ran++;
}

/* Wait until thread `tid` sleeps in the kernel ("S" in /proc/TID/stat): the cancel then
   interrupts a blocked call, not one about to start. */
static void wait_sleeping(void)
{
    while (!blocked_tid)
        sched_yield();
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%ld/stat", blocked_tid);
    for (;;) {
        int fd = open(path, O_RDONLY);
        long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        close(fd);
        if (n > 0) {
            buf[n] = 0;
            char *p = strrchr(buf, ')');
            if (p && p[1] == ' ' && p[2] == 'S')
                return;
        }
        sched_yield();
    }
}

static void *blocker(void *arg)
{
    long how = (long)arg;
    char c;
    pthread_cleanup_push(cleanup, how == 3 ? &mu : NULL);
    blocked_tid = syscall(SYS_gettid);
    switch (how) {
    case 0:
        read(pipefd[0], &c, 1);
        break;
    case 1: {
        struct timespec ts = { 100, 0 };
        nanosleep(&ts, NULL);
        break;
    }
    case 2:
        sem_wait(&sem);
        break;
    case 3:
        pthread_mutex_lock(&mu);
        for (;;)
            pthread_cond_wait(&cv, &mu);
    case 4:
        for (;;)
            pthread_testcancel();
    }
    pthread_cleanup_pop(0);
    return (void *)7;
}

static volatile long disabled_read;

static void *disabled(void *arg)
{
    (void)arg;
    char c;
    pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
    blocked_tid = syscall(SYS_gettid);
    disabled_read = read(pipefd[0], &c, 1);            /* the main thread writes a byte */
    pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
    pthread_testcancel();                               /* (glibc's printf would be one too) */
    return (void *)7;
}

static void cancels(void)
{
    static const char *const what[] = { "read of an empty pipe", "nanosleep", "sem_wait",
                                         "pthread_cond_wait", "pthread_testcancel" };
    pipe(pipefd);
    sem_init(&sem, 0, 0);
    for (long i = 0; i < 5; i++) {
        pthread_t t;
        void *ret;
        cleanup_ran = 0;
        blocked_tid = 0;
        pthread_create(&t, NULL, blocker, (void *)i);
        if (i != 4)
            wait_sleeping();
        int r = pthread_cancel(t);
        pthread_join(t, &ret);
        printf("cancel: %s: pthread_cancel %d, %s, cleanup ran %d\n", what[i], r,
               ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned", cleanup_ran);
    }
    pthread_t t;
    void *ret;
    blocked_tid = 0;
    pthread_create(&t, NULL, disabled, NULL);
    wait_sleeping();
    pthread_cancel(t);
    write(pipefd[1], "x", 1);
    pthread_join(t, &ret);
    printf("cancel: while disabled, the read finished: %ld\n", disabled_read);
    printf("cancel: then at pthread_testcancel: %s\n", ret == PTHREAD_CANCELED ? "PTHREAD_CANCELED" : "returned");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    fsize();
    cpu();
    pgrp();
    meminfo();
    cancels();
    rlimits();
    return 0;
}
