/*
 * The default init (pid 1), the first and only process the kernel starts itself:
 *
 *  1. greets from ring 3: it reads its own CS selector, whose low two bits are the
 *     current privilege level (SDM Vol. 3A 5.5), and shows a system call or two;
 *  2. runs a program in a child: fork, execve("/hello"), wait4 and report its status;
 *  3. runs a child that dereferences NULL: the kernel kills only that child with SIGSEGV,
 *     wait4 says so (WIFSIGNALED), and init carries on;
 *  4. with `--shell` among its arguments (kernel argument init.args=--shell, which
 *     `invoke boot --shell` adds), execs /sh: the shell becomes pid 1, and its `exit`
 *     ends the machine with status 0. Otherwise init exits 0.
 *
 * A program it wants that is not in "/" (booted with --init and no --file) is reported and
 * skipped; the demonstration goes on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static unsigned short read_cs(void)
{
    unsigned short cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs;
}

/* True if PATH is a file in the kernel's file system; otherwise say so. */
static int have(const char *path)
{
    struct stat st;
    if (stat(path, &st) == 0)
        return 1;
    printf("init: %s is not in the file system (%s); skipping it\n", path, strerror(errno));
    return 0;
}

/* Wait for PID and describe how it ended, with the Linux wait status macros. */
static void report(pid_t pid, const char *what)
{
    int st;
    pid_t got = waitpid(pid, &st, 0);
    if (got != pid) {
        printf("init: waitpid(%d) = %d (%s)\n", pid, got, strerror(errno));
        return;
    }
    if (WIFEXITED(st))
        printf("init: child %d (%s) exited with status %d\n", pid, what, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("init: child %d (%s) was killed by signal %d (%s)\n", pid, what, WTERMSIG(st),
               WTERMSIG(st) == 11 ? "SIGSEGV" : "other");
    else
        printf("init: child %d (%s) wait status %#x\n", pid, what, st);
}

static void run_program(const char *path, char *const argv[])
{
    if (!have(path))
        return;
    printf("init: running %s in a child\n", path);
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("init: fork");
        return;
    }
    if (pid == 0) {
        execve(path, argv, environ);
        printf("init: execve %s: %s\n", path, strerror(errno));
        _exit(127);
    }
    report(pid, path);
}

static void run_crashing_child(void)
{
    printf("init: running a child that dereferences NULL\n");
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("init: fork");
        return;
    }
    if (pid == 0) {
        volatile int *null = NULL;
        _exit(*null);                  /* #PF at CPL 3: the kernel kills this child */
    }
    report(pid, "NULL dereference");
    printf("init: only the child died; init (pid %d) is still running\n", (int)getpid());
}

int main(int argc, char **argv)
{
    int shell = 0;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--shell"))
            shell = 1;

    unsigned short cs = read_cs();
    printf("hello from ring 3: cs=%#x cpl=%d\n", cs, cs & 3);
    printf("getpid() = %d\n", (int)getpid());

    /* Small allocations come from brk, large ones (> 128 KiB) from mmap. */
    char *small = malloc(64);
    size_t big_len = 1 << 20;
    unsigned char *big = malloc(big_len);
    if (!small || !big) {
        printf("malloc failed\n");
        return 1;
    }
    strcpy(small, "a string on the heap");
    memset(big, 0xa5, big_len);
    unsigned long sum = 0;
    for (size_t i = 0; i < big_len; i += 4096)
        sum += big[i];
    printf("malloc: small %p \"%s\", large %zu KiB at %p (checksum %lu)\n",
           (void *)small, small, big_len >> 10, (void *)big, sum);
    free(big);
    free(small);

    char *hello_argv[] = { "hello", "from", "init", NULL };
    run_program("/hello", hello_argv);
    run_crashing_child();

    if (shell && have("/sh")) {
        printf("init: exec /sh: the shell is pid 1 now; `exit` ends the machine\n");
        fflush(stdout);
        char *sh_argv[] = { "sh", NULL };
        execve("/sh", sh_argv, environ);
        printf("init: execve /sh: %s\n", strerror(errno));
    }
    /* The last line through write(2) itself, after what printf buffered: a libc function
       every reader knows to break on (`invoke debug --break write`, then `step-ring`). */
    static const char bye[] = "init: bye, exit status 0\n";
    fflush(stdout);
    if (write(STDOUT_FILENO, bye, sizeof bye - 1) != (ssize_t)(sizeof bye - 1))
        return 1;
    return 0;
}
