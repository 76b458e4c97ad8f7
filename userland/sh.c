/*
 * A small shell for the console: prompt "$ ", a line is a pipeline
 * `CMD [| CMD]...`; each CMD is `NAME ARGS...` with redirections `< FILE`,
 * `> FILE`, `>> FILE`, `2> FILE` and `2>&1`, applied left to right as POSIX
 * sh does. NAME is found through PATH (a NAME with a '/' is used as is). The
 * shell waits for the whole pipeline; its status is the last command's. A
 * command killed by a signal (other than SIGPIPE, which ends pipelines
 * normally) is reported as "NAME: killed by SIGSEGV". Built-ins: exit [N],
 * cd [DIR], help. Like an interactive shell without job control, it ignores
 * SIGINT and SIGQUIT (Ctrl-C and Ctrl-\ on the console reach every process)
 * and gives each command the default actions back.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 32
#define MAX_CMDS 8

struct redir {
    int fd;                     /* the fd redirected */
    int flags;                  /* open flags; -1: dup of `dupfd` */
    int dupfd;
    const char *path;
};

struct cmd {
    char *argv[MAX_ARGS + 1];
    int argc;
    struct redir redirs[MAX_ARGS];
    int nredirs;
};

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

/* One word of a command: a redirection (with its file in this word or the next) or an argument. */
static int parse_word(struct cmd *c, char *w, char *(*next)(void))
{
    struct redir r = { .fd = -1 };
    if (!strcmp(w, "2>&1")) {
        r = (struct redir){ .fd = 2, .flags = -1, .dupfd = 1 };
    } else if (!strncmp(w, ">>", 2)) {
        r = (struct redir){ .fd = 1, .flags = O_WRONLY | O_CREAT | O_APPEND, .path = w + 2 };
    } else if (!strncmp(w, "2>", 2)) {
        r = (struct redir){ .fd = 2, .flags = O_WRONLY | O_CREAT | O_TRUNC, .path = w + 2 };
    } else if (w[0] == '>') {
        r = (struct redir){ .fd = 1, .flags = O_WRONLY | O_CREAT | O_TRUNC, .path = w + 1 };
    } else if (w[0] == '<') {
        r = (struct redir){ .fd = 0, .flags = O_RDONLY, .path = w + 1 };
    }
    if (r.fd < 0) {
        if (c->argc == MAX_ARGS)
            return -1;
        c->argv[c->argc++] = w;
        return 0;
    }
    if (r.path && !*r.path && !(r.path = next())) {
        fprintf(stderr, "sh: syntax error: redirection without a file\n");
        return -1;
    }
    c->redirs[c->nredirs++] = r;
    return 0;
}

static char *next_token(void)
{
    return strtok(NULL, " \t\n");
}

/* Split a line into commands at '|'. Returns the count, 0 for an empty line, -1 on a syntax error. */
static int parse(char *line, struct cmd *cmds)
{
    int n = 0;
    memset(&cmds[0], 0, sizeof cmds[0]);
    for (char *w = strtok(line, " \t\n"); w; w = next_token()) {
        if (!strcmp(w, "|")) {
            if (cmds[n].argc == 0 || n + 1 == MAX_CMDS) {
                fprintf(stderr, "sh: syntax error near '|'\n");
                return -1;
            }
            memset(&cmds[++n], 0, sizeof cmds[n]);
            continue;
        }
        if (parse_word(&cmds[n], w, next_token))
            return -1;
    }
    if (cmds[n].argc == 0) {
        if (n || cmds[n].nredirs)
            fprintf(stderr, "sh: syntax error: missing command\n");
        return n || cmds[n].nredirs ? -1 : 0;
    }
    return n + 1;
}

/* In the child: apply redirections, then exec through PATH. Never returns. */
static void child(struct cmd *c)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    for (int i = 0; i < c->nredirs; i++) {
        struct redir *r = &c->redirs[i];
        int fd = r->flags < 0 ? r->dupfd : open(r->path, r->flags, 0666);
        if (fd < 0) {
            fprintf(stderr, "sh: %s: %s\n", r->path, strerror(errno));
            _exit(1);
        }
        if (dup2(fd, r->fd) < 0) {
            fprintf(stderr, "sh: dup2: %s\n", strerror(errno));
            _exit(1);
        }
        if (r->flags >= 0 && fd != r->fd)
            close(fd);
    }
    execvp(c->argv[0], c->argv);
    fprintf(stderr, "sh: %s: %s\n", c->argv[0], strerror(errno));
    _exit(errno == ENOENT ? 127 : 126);
}

/* Run a pipeline; returns the status in the shell's convention (code, or 128+signal). */
static int run_pipeline(struct cmd *cmds, int n)
{
    pid_t pids[MAX_CMDS];
    int in = -1, status = 0;
    for (int i = 0; i < n; i++) {
        int p[2] = { -1, -1 };
        if (i + 1 < n && pipe2(p, O_CLOEXEC) < 0) {
            perror("sh: pipe");
            n = i;
            break;
        }
        pids[i] = fork();
        if (pids[i] == 0) {
            if (in >= 0)
                dup2(in, 0);
            if (p[1] >= 0)
                dup2(p[1], 1);
            child(&cmds[i]);
        }
        if (pids[i] < 0)
            perror("sh: fork");
        if (in >= 0)
            close(in);
        if (p[1] >= 0)
            close(p[1]);
        in = p[0];
    }
    for (int i = 0; i < n; i++) {
        int st;
        if (pids[i] < 0 || waitpid(pids[i], &st, 0) < 0)
            continue;
        if (WIFSIGNALED(st)) {
            if (WTERMSIG(st) != SIGPIPE)
                printf("%s%s: killed by %s\n", WTERMSIG(st) == SIGINT || WTERMSIG(st) == SIGQUIT ?
                       "\n" : "", cmds[i].argv[0], signame(WTERMSIG(st)));   /* after the ^C echo */
            status = 128 + WTERMSIG(st);
        } else {
            status = WEXITSTATUS(st);
        }
    }
    return status;
}

static int run(char *line)
{
    struct cmd cmds[MAX_CMDS];
    int n = parse(line, cmds);
    if (n <= 0)
        return n ? 2 : 0;
    char **argv = cmds[0].argv;
    if (n == 1 && !cmds[0].nredirs) {
        if (!strcmp(argv[0], "exit"))
            exit(cmds[0].argc > 1 ? atoi(argv[1]) : 0);
        if (!strcmp(argv[0], "cd")) {
            const char *dir = cmds[0].argc > 1 ? argv[1] : getenv("HOME");
            if (chdir(dir ? dir : "/") < 0) {
                fprintf(stderr, "sh: cd: %s: %s\n", dir, strerror(errno));
                return 1;
            }
            return 0;
        }
        if (!strcmp(argv[0], "help")) {
            printf("type a program name from / (try: ls), pipes and < > >> 2>&1 work; or exit\n");
            return 0;
        }
    }
    return run_pipeline(cmds, n);
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
