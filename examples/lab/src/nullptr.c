/* Reads address 0 from ring 3: the kernel reports a #PF at CPL 3 and kills it with SIGSEGV. */
#include <stdio.h>

int main(void)
{
    volatile int *p = 0;
    printf("about to read address 0\n");
    fflush(stdout);
    return *p;
}
