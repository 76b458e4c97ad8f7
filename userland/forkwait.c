/*
 * forkwait: fork, exec, wait and getppid, printing only what is the same on any Unix, so
 * its output can be compared line for line with the same binary run on the host's Linux.
 *
 *   forkwait            the parent: three children (exit 3; NULL dereference; execve of
 *                       "forkwait child ..." by a relative path), then exits 4
 *   forkwait child A B  the exec'd image: prints its argv and HOME, exits 5
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void describe(const char *what, pid_t pid)
{
    int st;
    pid_t got = waitpid(pid, &st, 0);
    if (got != pid)
        printf("forkwait: %s: waitpid failed: %s\n", what, strerror(errno));
    else if (WIFEXITED(st))
        printf("forkwait: %s: exited with %d\n", what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("forkwait: %s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("forkwait: %s: status %#x\n", what, st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "child")) {
        for (int i = 0; i < argc; i++)
            printf("forkwait: exec'd argv[%d]=%s\n", i, argv[i]);
        const char *home = getenv("HOME");
        printf("forkwait: exec'd HOME=%s\n", home ? home : "(unset)");
        return 5;
    }

    pid_t me = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        printf("forkwait: child: my parent is %s\n", getppid() == me ? "the forker" : "someone else");
        exit(3);
    }
    describe("exit child", pid);

    pid = fork();
    if (pid == 0) {
        volatile int *null = NULL;
        _exit(*null);
    }
    describe("NULL child", pid);

    pid = fork();
    if (pid == 0) {
        char *cargv[] = { "forkwait", "child", "two words", NULL };
        execve("forkwait", cargv, environ);
        printf("forkwait: execve: %s\n", strerror(errno));
        _exit(127);
    }
    describe("exec child", pid);

    errno = 0;
    pid_t none = waitpid(-1, NULL, 0);
    printf("forkwait: waitpid with no children: %d (%s)\n", (int)none, strerror(errno));
    printf("forkwait: bye\n");
    return 4;
}
