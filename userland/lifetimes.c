/*
 * Kernel object lifetimes, attacked from ring 3: each case is a way a hostile program once
 * made the kernel use a freed slot, follow a stale pointer or run out of a table (see
 * docs/lifetimes.md). Run as `lifetimes CASE`; the same static binary runs on the host's Linux
 * and in ringlab (tests/test_hostile.py) and must print the same lines and end the same way.
 *
 *   vfork-tids     clone(CLONE_VFORK ...) with CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID /
 *                  CLONE_PARENT_SETTID, the child ending at once: each flag set, many times
 *   exec-thread    a non-leader thread execs (de_thread): the pid lives on, children work after
 *   exec-thread-child   the same in a child process, then the table is checked by forking
 *   exec-full      fork until the process table is full (or 200 children), then execve
 *   chdir-rmdir    the working directory removed and entered again; another process reuses
 *                  what it can meanwhile
 *   sigchld-ign    200 children with SIGCHLD ignored (then with SA_NOCLDWAIT): none is left a
 *                  zombie, fork keeps working, wait reports ECHILD
 *   mremap         page 0 and huge old lengths through mremap
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#define FUTEX_WAIT 0                   /* linux/futex.h (not in musl-gcc's headers) */
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char *self;                       /* argv[0]: execve'd again by the exec cases */

static const char *err_name(int e)
{
    switch (e) {
    case 0: return "ok";
    case ENOENT: return "ENOENT";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case ECHILD: return "ECHILD";
    case EAGAIN: return "EAGAIN";
    case ENOMEM: return "ENOMEM";
    case ENOTEMPTY: return "ENOTEMPTY";
    case EEXIST: return "EEXIST";
    case EBUSY: return "EBUSY";
    default: return "other";
    }
}

/* "ok" or the errno's name, for a call's -1/0 result */
static const char *res(long r)
{
    return err_name(r < 0 ? errno : 0);
}

/* ---- vfork-tids ----------------------------------------------------------------------------- */

static int child_exits(void *arg)
{
    (void)arg;
    syscall(SYS_exit, 0);                /* the thread (or vfork child) alone, no atexit */
    return 0;
}

#define CTHREAD (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static int vfork_tids(void)
{
    static const struct { const char *name; int flags; } sets[] = {
        { "thread+vfork+child_settid", CTHREAD | CLONE_VFORK | CLONE_CHILD_SETTID },
        { "thread+vfork+child_cleartid", CTHREAD | CLONE_VFORK | CLONE_CHILD_CLEARTID },
        { "thread+vfork+both", CTHREAD | CLONE_VFORK | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID },
        { "thread+vfork+all", CTHREAD | CLONE_VFORK | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |
                              CLONE_PARENT_SETTID },
        { "vm+vfork+both", CLONE_VM | CLONE_VFORK | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID | SIGCHLD },
        { "vfork+child_settid (own memory)", CLONE_VFORK | CLONE_CHILD_SETTID | SIGCHLD },
        { "vm+vfork+parent_settid", CLONE_VM | CLONE_VFORK | CLONE_PARENT_SETTID | SIGCHLD },
    };
    static char stack[16384] __attribute__((aligned(16)));
    for (unsigned k = 0; k < sizeof sets / sizeof sets[0]; k++) {
        int flags = sets[k].flags, failures = 0, ctid_seen = -2, ptid_seen = -2;
        for (int i = 0; i < 100; i++) {
            static volatile pid_t ctid, ptid;
            ctid = ptid = -1;
            int tid = clone(child_exits, stack + sizeof stack, flags, NULL, &ptid, NULL, &ctid);
            if (tid <= 0) {
                failures++;
                continue;
            }
            if (!(flags & CLONE_THREAD) && waitpid(tid, NULL, __WALL) != tid)
                failures++;
            if (flags & CLONE_THREAD)    /* the vfork sleep ended at the child's exit: wait for the
                                            CLEARTID word (the kernel wakes it) before the next one */
                while ((flags & CLONE_CHILD_CLEARTID) && ctid != 0)
                    syscall(SYS_futex, &ctid, FUTEX_WAIT, ctid, NULL);
            int c = ctid == tid ? 1 : ctid == 0 ? 0 : ctid == -1 ? -1 : 9;
            int p = ptid == tid ? 1 : ptid == -1 ? -1 : 9;
            if ((ctid_seen != -2 && c != ctid_seen) || (ptid_seen != -2 && p != ptid_seen))
                failures++;
            ctid_seen = c;
            ptid_seen = p;
        }
        static const char *word[] = { [0] = "0", [1] = "tid", [2] = "unset" };
        printf("%s: 100 clones, %d failed, child tid word %s, parent tid word %s\n", sets[k].name, failures,
               ctid_seen == 9 || ctid_seen == -2 ? "?" : word[ctid_seen < 0 ? 2 : ctid_seen],
               ptid_seen == 9 || ptid_seen == -2 ? "?" : word[ptid_seen < 0 ? 2 : ptid_seen]);
    }
    int pid = fork();                    /* the table is sound: a process comes and goes */
    if (pid == 0)
        _exit(7);
    int st = 0;
    const char *how = pid > 0 && waitpid(pid, &st, 0) == pid ? "ok" : "failed";
    printf("fork after: %s, status %d\n", how, WEXITSTATUS(st));
    return 0;
}

/* ---- exec from a thread -------------------------------------------------------------------- */

static void *exec_in_thread(void *arg)
{
    char pid[16];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    char *argv[] = { self, "after-exec", pid, arg, NULL };
    execv(self, argv);
    printf("execv from a thread failed: %s\n", strerror(errno));
    exit(1);
}

static int exec_thread(const char *tag)
{
    pthread_t t;
    fflush(stdout);
    pthread_create(&t, NULL, exec_in_thread, (void *)tag);
    for (;;)
        pause();                         /* ended by the exec */
    return 1;
}

/* The new image: same pid as before the exec; a child comes and goes; a thread comes and goes. */
static int after_exec(const char *pid, const char *tag)
{
    printf("%s: after exec from a thread, pid unchanged: %s\n", tag, atoi(pid) == getpid() ? "yes" : "no");
    int c = fork();
    if (c == 0)
        _exit(3);
    int st = 0;
    const char *how = c > 0 && waitpid(c, &st, 0) == c ? "ok" : "failed";
    printf("%s: child after exec: %s, status %d\n", tag, how, WEXITSTATUS(st));
    return 5;
}

static int exec_thread_child(void)
{
    for (int round = 0; round < 3; round++) {
        fflush(stdout);
        int c = fork();
        if (c == 0)
            exec_thread("child");
        int st = 0;
        waitpid(c, &st, 0);
        printf("round %d: child exited %d\n", round, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
    return 0;
}

/* ---- exec with a full process table -------------------------------------------------------- */

static int exec_full(void)
{
    int fds[2];
    if (pipe(fds))
        return 1;
    int n = 0;
    for (; n < 200; n++) {
        int c = fork();
        if (c < 0)
            break;                       /* the table is full (ringlab); Linux: never at 200 */
        if (c == 0) {
            char b;
            close(fds[1]);
            while (read(fds[0], &b, 1) > 0)
                ;
            _exit(0);                    /* EOF: the writer (the new image) closed it */
        }
    }
    close(fds[0]);
    char fd[16], count[16];
    snprintf(fd, sizeof fd, "%d", fds[1]);
    snprintf(count, sizeof count, "%d", n);
    printf("forked until full or 200\n");
    fflush(stdout);
    char *argv[] = { self, "after-full", fd, count, NULL };
    execv(self, argv);
    printf("execv with a full table failed: %s\n", strerror(errno));
    return 1;
}

static int after_full(const char *fd, const char *count)
{
    close(atoi(fd));
    int n = atoi(count), reaped = 0;
    while (wait(NULL) > 0)
        reaped++;
    printf("after exec: reaped all children: %s\n", reaped == n ? "yes" : "no");
    return 0;
}

/* ---- the working directory removed ---------------------------------------------------------- */

static void list(const char *path)
{
    DIR *d = opendir(path);
    if (!d) {
        printf("  %s: %s\n", path, err_name(errno));
        return;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            printf("  %s has %s\n", path, e->d_name), n++;
    closedir(d);
    printf("  %s: %d entries\n", path, n);
}

static int chdir_rmdir(void)
{
    char top[512], buf[512];
    if (!getcwd(top, sizeof top))
        return 1;
    mkdir("tmp/q", 0700);
    printf("chdir q: %s\n", res(chdir("tmp/q")));
    printf("rmdir ../q: %s\n", res(rmdir("../q")));
    printf("chdir .: %s\n", res(chdir(".")));
    printf("chdir . again: %s\n", res(chdir(".")));
    int fd = open("f", O_CREAT | O_WRONLY, 0600);
    printf("create in the removed cwd: %s\n", res(fd));
    printf("mkdir in the removed cwd: %s\n", res(mkdir("d", 0700)));
    printf("getcwd: %s\n", res(syscall(SYS_getcwd, buf, sizeof buf)));
    /* Another process makes private directories meanwhile: they must stay its own. */
    fflush(stdout);
    int c = fork();
    if (c == 0) {
        if (chdir(top))
            _exit(1);
        for (int i = 0; i < 8; i++) {
            char name[32];
            snprintf(name, sizeof name, "tmp/private%d", i);
            mkdir(name, 0700);
        }
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("create in the removed cwd after: %s\n", res(open("g", O_CREAT | O_WRONLY, 0600)));
    printf("chdir .. from the removed cwd: %s\n", res(chdir("..")));
    if (chdir(top))
        return 1;
    for (int i = 0; i < 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "tmp/private%d", i);
        list(name);
    }
    /* The same dance many times, with renames walking the directories in between. */
    int bad = 0;
    for (int i = 0; i < 100; i++) {
        bad |= mkdir("tmp/r", 0700) || chdir("tmp/r") || rmdir("../r") || chdir(".") || chdir(top);
        bad |= mkdir("tmp/s", 0700) || rename("tmp/s", "tmp/t") || mkdir("tmp/t/u", 0700) ||
               rename("tmp/t/u", "tmp/u") || rmdir("tmp/u") || rmdir("tmp/t");
    }
    printf("100 rounds of mkdir/chdir/rmdir/rename: %s\n", bad ? "a call failed" : "ok");
    for (int i = 0; i < 8; i++) {
        char name[32];
        snprintf(name, sizeof name, "tmp/private%d", i);
        rmdir(name);
    }
    list("tmp");
    return 0;
}

/* ---- SIGCHLD ignored ------------------------------------------------------------------------ */

static volatile int sigchld_count;
static void on_chld(int sig)
{
    (void)sig;
    sigchld_count++;
}

static int sigchld_round(const char *how)
{
    int forked = 0, echild = 0;
    for (int i = 0; i < 200; i++) {
        int c = fork();
        if (c < 0)
            break;
        if (c == 0)
            _exit(0);
        forked++;
        /* Linux: with SIGCHLD ignored, wait blocks until every child is gone, then ECHILD */
        if (wait(NULL) < 0 && errno == ECHILD)
            echild++;
    }
    printf("%s: forked %d of 200, wait said ECHILD %d times\n", how, forked, echild);
    return forked;
}

/* No wait at all: each child's end is seen as EOF on a pipe only it held open. */
static void sigchld_nowait(void)
{
    int forked = 0;
    for (int i = 0; i < 200; i++) {
        int fds[2];
        if (pipe(fds))
            break;
        int c = fork();
        if (c == 0)
            _exit(0);
        close(fds[1]);
        char b;
        while (c > 0 && read(fds[0], &b, 1) > 0)
            ;
        close(fds[0]);
        if (c < 0)
            break;
        forked++;
    }
    printf("SIG_IGN, never waiting: forked %d of 200\n", forked);
    printf("SIG_IGN, then wait: %s\n", wait(NULL) < 0 ? err_name(errno) : "a child was left");
}

static int sigchld_ign(void)
{
    signal(SIGCHLD, SIG_IGN);
    sigchld_nowait();
    sigchld_round("SIG_IGN");
    struct sigaction sa = { .sa_handler = on_chld, .sa_flags = SA_NOCLDWAIT | SA_RESTART };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, NULL);
    sigchld_round("SA_NOCLDWAIT");
    printf("SA_NOCLDWAIT: SIGCHLD still sent: %s\n", sigchld_count > 0 ? "yes" : "no");
    signal(SIGCHLD, SIG_DFL);
    int c = fork();
    if (c == 0)
        _exit(9);
    int st = 0;
    const char *how = waitpid(c, &st, 0) == c ? "yes" : "no";
    printf("default again: wait reports the child: %s, status %d\n", how, WEXITSTATUS(st));
    /* Children left as zombies by a parent that dies go to init; init must not keep them
       forever when it ignores SIGCHLD: here the parent is us, so only the count is checked. */
    return 0;
}

/* ---- mremap --------------------------------------------------------------------------------- */

static int do_mremap(void)
{
    static const uintptr_t targets[] = { 0, 0x1000, 0xf000 };
    for (unsigned i = 0; i < sizeof targets / sizeof targets[0]; i++) {
        char *a = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        void *r = mremap(a, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)targets[i]);
        printf("below 64 KiB: mremap to %#lx: %s\n", (unsigned long)targets[i],
               r == MAP_FAILED ? err_name(errno) : "mapped");
        munmap(r == MAP_FAILED ? a : r, 4096);
    }
    char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *b = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    b[0] = 1;
    uintptr_t lens[] = { 1UL << 46, 0x7fffffffffffUL, 0x800000000000UL - (uintptr_t)a,
                         0x7ffffffff000UL - (uintptr_t)a + 4096, ~0UL - 8192 };
    for (unsigned i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        void *r = mremap(a, lens[i], 4096, 0);
        printf("shrink with old_len past the user half (%u): %s\n", i, r == MAP_FAILED ? err_name(errno) : "done");
        r = mremap(a, lens[i], 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0x50000000);
        printf("fixed move with old_len past the user half (%u): %s\n", i,
               r == MAP_FAILED ? err_name(errno) : "done");
    }
    printf("the other mapping and the stack are still there: %d\n", b[0] + (lens[0] != 0));
    return 0;
}

int main(int argc, char **argv)
{
    self = argv[0];
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *c = argc > 1 ? argv[1] : "";
    if (!strcmp(c, "vfork-tids"))
        return vfork_tids();
    if (!strcmp(c, "exec-thread"))
        return exec_thread("init");
    if (!strcmp(c, "exec-thread-child"))
        return exec_thread_child();
    if (!strcmp(c, "after-exec") && argc > 3)
        return after_exec(argv[2], argv[3]);
    if (!strcmp(c, "exec-full"))
        return exec_full();
    if (!strcmp(c, "after-full") && argc > 3)
        return after_full(argv[2], argv[3]);
    if (!strcmp(c, "chdir-rmdir"))
        return chdir_rmdir();
    if (!strcmp(c, "sigchld-ign"))
        return sigchld_ign();
    if (!strcmp(c, "mremap"))
        return do_mremap();
    fprintf(stderr, "usage: lifetimes vfork-tids|exec-thread|exec-thread-child|exec-full|chdir-rmdir|"
                    "sigchld-ign|mremap\n");
    return 2;
}
