/* peek ADDR: read 8 bytes at ADDR (hex) and print them; faults if ADDR isn't ours to read. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: peek ADDR\n");
        return 2;
    }
    volatile unsigned long *p = (volatile unsigned long *)strtoul(argv[1], NULL, 16);
    printf("peek: reading %p\n", (void *)p);
    fflush(stdout);
    unsigned long v = *p;
    printf("peek: %p holds 0x%lx\n", (void *)p, v);
    return 0;
}
