/*
 * m32exec PROG [ARG...]: print the mode it runs in, then execve PROG with the rest of argv.
 * Built twice (images/user/m32exec, 64-bit musl; images/user/m32exec-m32, i386 glibc), it
 * shows execve switching a process between 32- and 64-bit images in both directions, the
 * same on the host's Linux and in ringlab: `m32exec-m32 /m32exec /m32hello-m32 x` runs
 * 32 -> 64 -> 32.
 */
#include <stdio.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    unsigned short cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    printf("m32exec: %d-bit, cs=%#x, argc=%d\n", (int)sizeof(void *) * 8, cs, argc);
    fflush(stdout);
    if (argc < 2)
        return 0;
    execve(argv[1], argv + 1, environ);
    perror("m32exec: execve");
    return 127;
}
