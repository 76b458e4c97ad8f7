/*
 * f_all [EXTRA...]: the fault catalogue's runner. For every file /f_* (except itself), in
 * name order, then for each EXTRA name: fork, execve("/NAME") in the child and reap it;
 * print one line per program in the shell's convention
 *     f_all: prog=f_hlt pid=3 status=139
 * (status = exit code, or 128 + the signal that killed it). As pid 1 it shows that init
 * outlives every fault: after the last program it prints "f_all: done ..." and exits 0.
 * A NAME of `sh` runs the shell, which reads the console like any other program.
 * It exports RINGLAB_HANDLER_WITNESS=1: each catalogue program then reports its fault from
 * its own signal handler too (userland/fault_witness.h), the catalogue's fourth witness.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_PROGS 64

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of the catalogue programs in "/": f_* except this runner. */
static int catalogue(char **names, int max)
{
    DIR *d = opendir("/");
    if (!d) {
        perror("f_all: opendir /");
        return 0;
    }
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < max)
        if (!strncmp(e->d_name, "f_", 2) && strcmp(e->d_name, "f_all"))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    return n;
}

int main(int argc, char **argv)
{
    setenv("RINGLAB_HANDLER_WITNESS", "1", 1);
    char *names[MAX_PROGS + 32];
    int n = catalogue(names, MAX_PROGS);
    for (int i = 1; i < argc && i <= 32; i++)
        names[n++] = argv[i];
    int ran = 0, failed = 0;
    for (int i = 0; i < n; i++) {
        char path[256];
        snprintf(path, sizeof path, "/%s", names[i]);
        pid_t pid = fork();
        if (pid < 0) {
            perror("f_all: fork");
            return 1;
        }
        if (pid == 0) {
            char *child_argv[] = { names[i], NULL };
            execve(path, child_argv, environ);
            fprintf(stderr, "f_all: %s: %s\n", path, strerror(errno));
            _exit(127);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid) {
            perror("f_all: waitpid");
            failed++;
            continue;
        }
        int status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
        printf("f_all: prog=%s pid=%d status=%d\n", names[i], (int)pid, status);
        ran++;
    }
    printf("f_all: done ran=%d failed=%d pid=%d alive\n", ran, failed, (int)getpid());
    return failed ? 1 : 0;
}
