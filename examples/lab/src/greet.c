/* A student's program for the example lab: greets its argument, in ring 3 of ringlab's
 * kernel exactly as on Linux. No argument: a usage line on stderr and status 3. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s NAME\n", argv[0]);
        return 3;
    }
    printf("hello, %s (pid %d)\n", argv[1], (int)getpid());
    return 0;
}
