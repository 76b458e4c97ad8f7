/*
 * sigready: says "sigready: ready (MODE)" and then waits the way MODE says, for a signal to
 * end it: "spin" loops in ring 3 (a console interrupt arrives there), "read" blocks in
 * read(0) in the kernel, "pause" sleeps in pause(). Used to test Ctrl-C and Ctrl-\ on the
 * console. Exits 0 if a read returns.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "spin";
    char buf[64];
    printf("sigready: ready (%s)\n", mode);
    fflush(stdout);
    if (!strcmp(mode, "read"))
        return read(0, buf, sizeof buf) < 0;
    if (!strcmp(mode, "pause"))
        for (;;)
            pause();
    for (;;)
        __asm__ volatile("" ::: "memory");
}
