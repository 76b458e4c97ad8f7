/* clone(CLONE_PARENT) as Linux's copy_process: a child B makes a process C with CLONE_PARENT,
 * so C's parent is this program (getppid), B cannot wait for it (ECHILD) and this program
 * reaps it; with CSIGNAL 0 in the flags C still ends with SIGCHLD (it takes the caller's exit
 * signal), so a plain waitpid sees it. `clonepar init` is for a run as init (pid 1): there
 * CLONE_PARENT is EINVAL (Linux: init is SIGNAL_UNKILLABLE and makes no siblings). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t top;

static const char *e(long r)
{
    return r >= 0 ? "ok" : errno == EINVAL ? "EINVAL" : errno == ECHILD ? "ECHILD" : errno == E2BIG ? "E2BIG"
         : errno == EFAULT ? "EFAULT" : strerror(errno);
}

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
struct cargs { uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
               set_tid_size, cgroup, extra[5]; };

static long clone3(const struct cargs *a, size_t size)
{
    return syscall(SYS_clone3, a, size);
}

/* B: make C (and C2 with exit signal 0) as our siblings; tell the parent their pids */
static int make_siblings(int fd)
{
    pid_t c[2];
    unsigned long flags[2] = { CLONE_PARENT | SIGCHLD, 0 };   /* the second: clone3 */
    for (int i = 0; i < 2; i++) {
        struct cargs a = { .flags = CLONE_PARENT };
        c[i] = i == 0 ? (pid_t)syscall(SYS_clone, flags[i], 0, 0, 0, 0) : (pid_t)clone3(&a, 88);
        if (c[i] == 0)
            _exit(getppid() == top ? 10 + i : 1);   /* C: its parent is B's parent */
        if (c[i] < 0) {
            printf("clone(CLONE_PARENT): %s\n", e(-1));
            return 2;
        }
    }
    write(fd, c, sizeof c);
    long r = waitpid(c[0], NULL, 0);
    return r < 0 && errno == ECHILD ? 20 : 3;        /* not B's child */
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "init")) {
        long r = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
        if (r == 0)
            _exit(0);
        printf("clone(CLONE_PARENT) as pid %d: %s\n", getpid(), e(r));
        return 0;
    }
    int p[2], st;
    pid_t c[2];
    top = getpid();
    pipe(p);
    pid_t b = fork();
    if (b == 0)
        _exit(make_siblings(p[1]));
    waitpid(b, &st, 0);
    printf("B: exit %d (20: its sibling was not its child)\n", WEXITSTATUS(st));
    if (read(p[0], c, sizeof c) != sizeof c)
        return 1;
    for (int i = 0; i < 2; i++) {
        pid_t r = waitpid(c[i], &st, 0);
        printf("sibling %d reaped by its new parent: %s, exit %d\n", i, r == c[i] ? "yes" : e(r), WEXITSTATUS(st));
    }
    printf("no more children: %s\n", e(waitpid(-1, NULL, WNOHANG)));

    /* clone3's checks (none of these makes a child) */
    struct cargs a = { .exit_signal = SIGCHLD };
    char page[8192] = { 0 };
    printf("clone3 size 63: %s\n", e(clone3(&a, 63)));
    printf("clone3 size 4097: %s\n", e(clone3((void *)page, 4097)));
    printf("clone3 NULL: %s\n", e(clone3(NULL, 88)));
    a.extra[0] = 1;
    printf("clone3 nonzero past the struct: %s\n", e(clone3(&a, sizeof a)));
    a.extra[0] = 0;
    a.flags = SIGCHLD;
    printf("clone3 CSIGNAL in flags: %s\n", e(clone3(&a, 88)));
    a.flags = CLONE_DETACHED;
    printf("clone3 CLONE_DETACHED: %s\n", e(clone3(&a, 88)));
    a.flags = CLONE_PARENT;
    printf("clone3 CLONE_PARENT with an exit signal: %s\n", e(clone3(&a, 88)));
    a.flags = 0;
    a.exit_signal = 65;
    printf("clone3 exit signal 65: %s\n", e(clone3(&a, 88)));
    a.exit_signal = SIGCHLD | 0x100;
    printf("clone3 exit signal 0x111: %s\n", e(clone3(&a, 88)));
    a.exit_signal = SIGCHLD;
    a.stack = (uint64_t)(uintptr_t)page;
    printf("clone3 stack without size: %s\n", e(clone3(&a, 88)));
    a.stack = 0;
    a.stack_size = 4096;
    printf("clone3 size without stack: %s\n", e(clone3(&a, 88)));
    a.stack_size = 0;
    a.set_tid_size = 1;
    printf("clone3 set_tid_size without set_tid: %s\n", e(clone3(&a, 88)));
    a.set_tid_size = 0;
    a.flags = CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    printf("clone3 CLONE_THREAD with an exit signal: %s\n", e(clone3(&a, 88)));
    a.flags = CLONE_SIGHAND;
    a.exit_signal = SIGCHLD;
    printf("clone3 CLONE_SIGHAND without CLONE_VM: %s\n", e(clone3(&a, 88)));

    /* clone3 as fork: sizes 64 and 96 (zeros past the kernel's struct are fine) */
    size_t sizes[2] = { 64, sizeof a };
    for (int i = 0; i < 2; i++) {
        struct cargs f = { .exit_signal = SIGCHLD };
        long r = clone3(&f, sizes[i]);
        if (r == 0)
            _exit(getppid() == top ? 30 + i : 1);
        pid_t w = waitpid((pid_t)r, &st, 0);
        printf("clone3 fork, size %zu: %s, reaped %s, exit %d\n", sizes[i], e(r), w == r ? "yes" : "no",
               WEXITSTATUS(st));
    }
    return 0;
}
