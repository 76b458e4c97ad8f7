/*
 * orphan: run as pid 1. A child forks a grandchild and exits at once; the grandchild,
 * orphaned, is re-parented to init: it sees getppid() == 1, and init (this program)
 * reaps it with waitpid(-1).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    pid_t c = fork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            for (int i = 0; i < 200; i++)        /* let the middle child exit first */
                sched_yield();
            printf("orphan: grandchild %d: my parent is now pid %d\n", getpid(), getppid());
            exit(7);
        }
        printf("orphan: child %d forked grandchild %d and exits\n", getpid(), g);
        exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("orphan: child exited with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    pid_t g = waitpid(-1, &st, 0);
    if (g < 0) {
        printf("orphan: waitpid(-1): %s\n", strerror(errno));
        return 1;
    }
    printf("orphan: reaped re-parented pid %d, exit status %d\n", g,
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
