/* hello: the program init's demonstration runs in a child. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    unsigned short cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    printf("hello from pid %d (parent %d), cpl=%d, argv[0]=%s, %d args\n", getpid(), getppid(), cs & 3, argv[0],
           argc - 1);
    return 0;
}
