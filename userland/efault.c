/*
 * Bad pointers to write(2) must give -EFAULT (-14), never a kernel fault and never kernel
 * bytes on the console. The raw syscall result is printed (no libc errno translation).
 */
#include <stdio.h>
#include <sys/syscall.h>

static long raw_syscall3(long nr, long a, long b, long c)
{
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "a"(nr), "D"(a), "S"(b), "d"(c)
                     : "rcx", "r11", "memory");
    return ret;
}

static char user_buf[64] = "user buffer\n";

int main(void)
{
    /* 1. A kernel-half address (where the kernel is linked). */
    long r1 = raw_syscall3(SYS_write, 1, (long)0xffffffff80100000UL, 16);
    /* 2. A pointer whose end wraps around 2^64 into the user half: -16 + 32 = 16. */
    long r2 = raw_syscall3(SYS_write, 1, (long)-16L, 32);
    /* 3. A valid user pointer with a length that wraps past the top of the address space. */
    long r3 = raw_syscall3(SYS_write, 1, (long)user_buf, (long)(-(unsigned long)user_buf + 16));
    printf("efault: kernel=%ld wrap=%ld userwrap=%ld\n", r1, r2, r3);
    return 0;
}
