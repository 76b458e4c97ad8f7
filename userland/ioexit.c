/*
 * ioexit [V]: tries to stop QEMU from ring 3 through its isa-debug-exit port (0xf4, writing V,
 * default 7, would make QEMU exit with status (V << 1) | 1) and is refused: the port belongs to
 * no device ring 3 may be given (kernel/ioperm.c's port policy, a deliberate difference from
 * Linux, whose root gets any port). So ioperm(0xf4, 1, 1) is EPERM, and even after iopl(3),
 * which opens only the policy's ports, a child's `outb` to 0xf4 is a #GP and SIGSEGV kills it.
 * Prints each result; exits 0 if both were refused and the machine still runs, 1 otherwise.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>
#include <sys/wait.h>
#include <unistd.h>

#define ISA_DEBUG_EXIT 0xf4      /* QEMU -device isa-debug-exit,iobase=0xf4 */

int main(int argc, char **argv)
{
    unsigned char v = argc > 1 ? (unsigned char)atoi(argv[1]) : 7;
    int r = ioperm(ISA_DEBUG_EXIT, 1, 1);
    int e = errno;
    printf("ioexit: ioperm(0xf4, 1, 1) = %d%s\n", r, r == 0 ? "" : e == EPERM ? " EPERM" : " (another error)");
    int l = iopl(3);
    printf("ioexit: iopl(3) = %d\n", l);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        outb(v, ISA_DEBUG_EXIT);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    int status = WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
    printf("ioexit: child writing %u to 0xf4: status %d\n", v, status);
    puts("ioexit: still running");
    return r == -1 && e == EPERM && status == 139 ? 0 : 1;
}
