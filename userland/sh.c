/*
 * A small shell for the console: prompt "$ ", a line `NAME ARGS...` forks and
 * execs /NAME with those arguments and waits for it. A child killed by a
 * signal is reported as "NAME: killed by SIGSEGV". Built-ins: exit [N],
 * cd (there is only "/"), and help. Like an interactive shell without job
 * control, it ignores SIGINT and SIGQUIT (Ctrl-C and Ctrl-\ on the console
 * reach every process) and gives each command the default actions back.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 32

extern char **environ;

static const char *signame(int sig)
{
    static const char *const names[] = {
        [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
        [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
        [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
        [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM",
    };
    if (sig > 0 && sig < (int)(sizeof names / sizeof names[0]) && names[sig])
        return names[sig];
    return "unknown signal";
}

/* Run one command line; returns the status in the shell's convention (code, or 128+signal). */
static int run(char *line)
{
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    for (char *tok = strtok(line, " \t\n"); tok && argc < MAX_ARGS; tok = strtok(NULL, " \t\n"))
        argv[argc++] = tok;
    argv[argc] = NULL;
    if (argc == 0)
        return 0;
    if (!strcmp(argv[0], "exit"))
        exit(argc > 1 ? atoi(argv[1]) : 0);
    if (!strcmp(argv[0], "cd"))
        return 0;
    if (!strcmp(argv[0], "help")) {
        printf("type a program name from / (try: ls), or exit\n");
        return 0;
    }

    char path[256];
    snprintf(path, sizeof path, "/%s", argv[0]);
    pid_t pid = fork();
    if (pid < 0) {
        perror("sh: fork");
        return 1;
    }
    if (pid == 0) {
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        execve(path, argv, environ);
        fprintf(stderr, "sh: %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int st;
    if (waitpid(pid, &st, 0) < 0) {
        perror("sh: waitpid");
        return 1;
    }
    if (WIFSIGNALED(st)) {
        if (WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGQUIT)
            putchar('\n');    /* after the terminal's ^C echo */
        printf("%s: killed by %s\n", argv[0], signame(WTERMSIG(st)));
        return 128 + WTERMSIG(st);
    }
    return WEXITSTATUS(st);
}

int main(void)
{
    char line[512];
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    for (;;) {
        /* As pid 1 (init execs the shell) it inherits orphans: reap the ones that ended. */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;
        fputs("$ ", stdout);
        fflush(stdout);
        if (!fgets(line, sizeof line, stdin)) {
            putchar('\n');
            return 0;          /* end of input (Ctrl-D): leave like exit */
        }
        run(line);
    }
}
