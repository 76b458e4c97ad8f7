/* clone(CLONE_PARENT) as Linux's copy_process: a child B makes a process C with CLONE_PARENT,
 * so C's parent is this program (getppid), B cannot wait for it (ECHILD) and this program
 * reaps it; with CSIGNAL 0 in the flags C still ends with SIGCHLD (it takes the caller's exit
 * signal), so a plain waitpid sees it. `clonepar init` is for a run as init (pid 1): there
 * CLONE_PARENT is EINVAL (Linux: init is SIGNAL_UNKILLABLE and makes no siblings). */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t top;

static const char *e(long r)
{
    return r >= 0 ? "ok" : errno == EINVAL ? "EINVAL" : errno == ECHILD ? "ECHILD" : strerror(errno);
}

/* B: make C (and C2 with exit signal 0) as our siblings; tell the parent their pids */
static int make_siblings(int fd)
{
    pid_t c[2];
    unsigned long flags[2] = { CLONE_PARENT | SIGCHLD, CLONE_PARENT };
    for (int i = 0; i < 2; i++) {
        c[i] = (pid_t)syscall(SYS_clone, flags[i], 0, 0, 0, 0);
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
    return 0;
}
