/*
 * bystander: a crash kills only the process that crashed. Two children run side by side:
 * B yields the CPU 2000 times and exits 0; C dereferences NULL. The parent reaps C
 * (SIGSEGV), checks with WNOHANG that B is still running, then reaps B.
 * On ringlab's round-robin scheduler C dies long before B's 2000 yields are done.
 */
#include <sched.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#define YIELDS 2000

int main(void)
{
    pid_t b = fork();
    if (b == 0) {
        printf("bystander: B started\n");
        for (int i = 0; i < YIELDS; i++)
            sched_yield();
        printf("bystander: B finished after %d yields\n", YIELDS);
        return 0;
    }
    pid_t c = fork();
    if (c == 0) {
        volatile int *null = NULL;
        _exit(*null);
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFSIGNALED(st)) {
        printf("bystander: C was not killed by a signal (status %#x)\n", st);
        return 1;
    }
    printf("bystander: C killed by signal %d\n", WTERMSIG(st));
    pid_t r = waitpid(b, &st, WNOHANG);
    printf("bystander: B still running after C died: %s\n", r == 0 ? "yes" : "no");
    if (waitpid(b, &st, 0) != b || !WIFEXITED(st)) {
        printf("bystander: B did not exit normally (status %#x)\n", st);
        return 1;
    }
    printf("bystander: B exited with %d\n", WEXITSTATUS(st));
    return r == 0 && WEXITSTATUS(st) == 0 ? 0 : 1;
}
