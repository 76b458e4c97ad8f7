/*
 * linuxinit PROG...: pid 1 for a real Linux kernel booted in QEMU as the reference for
 * ringlab (tests/test_ioperm.py): mounts devtmpfs, puts the serial console (/dev/ttyS0) on
 * stdin/stdout/stderr, runs each /PROG in turn (fork, execve, wait) and prints
 *     linuxinit: PROG status=S
 * (exit code, or 128 + signal), then stops QEMU through isa-debug-exit (ioperm(0xf4) and
 * `outb 0x10`: QEMU exits with status 33), the evidence that it ran to the end. With no PROG
 * it runs ioprobe, then uart. Linux only: ringlab has no devtmpfs (it prints an error and exits 1).
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/io.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define DONE 0x10                /* isa-debug-exit value: QEMU exits (0x10 << 1) | 1 = 33 */

static void run(const char *name)
{
    char path[256];
    snprintf(path, sizeof path, "/%s", name);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        execl(path, name, (char *)0);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    printf("linuxinit: %s status=%d\n", name, WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    mkdir("/dev", 0755);
    if (mount("devtmpfs", "/dev", "devtmpfs", 0, 0)) {
        perror("linuxinit: mount devtmpfs");
        return 1;
    }
    int fd = open("/dev/ttyS0", O_RDWR);
    if (fd < 0)
        return 1;
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (argc > 1)
        for (int i = 1; i < argc; i++)
            run(argv[i]);
    else {
        run("ioprobe");
        run("uart");
    }
    fflush(stdout);
    if (ioperm(0xf4, 1, 1) == 0)
        outb(DONE, 0xf4);
    perror("linuxinit: isa-debug-exit");
    return 1;
}
