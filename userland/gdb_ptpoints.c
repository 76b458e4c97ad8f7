/*
 * Labelled points for the page-table audit (tests/test_pagetables.py, invoke pagetables).
 *
 * Each POINT(name) is a global label on a nop; gdb breaks there and the harness walks the
 * page tables of the stopped machine. The order in one run (`gdb_ptpoints`):
 *   pt_boot          first thing main does (pid 1, fresh from the ELF loader)
 *   pt_fork_child    in the child right after fork (pid 2, a copy of pid 1)
 *   pt_exec          the child after execve of this same program (`gdb_ptpoints exec`)
 *   pt_fork_parent   the parent after fork, while the child exists
 *   pt_mmap          three anonymous pages mapped read-write and touched
 *   pt_mprotect      the middle one made read+execute
 *   pt_munmap        all three unmapped again
 *   pt_signal        inside a SIGUSR1 handler (`gdb_ptpoints signal` only: needs signal delivery)
 * then exit 0. Any failure exits with a distinct status (see the returns).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define POINT(name) __asm__ volatile(".globl " #name "\n" #name ": nop" ::: "memory")

static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
    POINT(pt_signal);
    handled = sig;
}

static int signal_points(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL))
        return 20;
    raise(SIGUSR1);
    printf("gdb_ptpoints: handler %s\n", handled == SIGUSR1 ? "ran" : "did not run");
    return handled == SIGUSR1 ? 0 : 21;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        POINT(pt_exec);
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "signal"))
        return signal_points();
    POINT(pt_boot);

    char path[64];
    snprintf(path, sizeof path, "%s%s", argv[0][0] == '/' ? "" : "/", argv[0]);
    pid_t pid = fork();
    if (pid < 0)
        return 10;
    if (pid == 0) {
        POINT(pt_fork_child);
        char *args[] = { path, "exec", NULL };
        execve(path, args, NULL);
        _exit(11);
    }
    POINT(pt_fork_parent);
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
        return 12;

    long pg = sysconf(_SC_PAGESIZE);
    char *m = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return 13;
    memset(m, 0x5a, 3 * pg);
    POINT(pt_mmap);
    if (mprotect(m + pg, pg, PROT_READ | PROT_EXEC))
        return 14;
    POINT(pt_mprotect);
    if (munmap(m, 3 * pg))
        return 15;
    POINT(pt_munmap);
    printf("gdb_ptpoints: done\n");
    return 0;
}
