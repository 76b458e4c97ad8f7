/*
 * getpid through the syscall instruction at a known address, for the system-call cost
 * benchmark (harness/ringlab/bench/syscall.py): it stops at getpid_insn and single-steps the
 * kernel until the first user instruction after sysretq.
 *
 * Usage: bench_getpid [N]   (N calls, default 10; prints the pid and exits 0)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>

static long raw_getpid(void)
{
    long ret;
    __asm__ volatile(".globl getpid_insn\n"
                     "getpid_insn:\n\t"
                     "syscall"
                     : "=a"(ret) : "a"((long)SYS_getpid) : "rcx", "r11", "memory");
    return ret;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 10, pid = 0;
    for (long i = 0; i < n; i++)
        pid = raw_getpid();
    printf("bench_getpid: pid %ld after %ld calls\n", pid, n);
    return 0;
}
