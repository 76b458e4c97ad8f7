/*
 * The default init (pid 1): greets from ring 3 and shows a few system calls.
 *
 * It reads its own CS selector: the low two bits are the requested privilege level,
 * which for CS is the current privilege level (CPL), 3 in user mode (SDM Vol. 3A 5.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static unsigned short read_cs(void)
{
    unsigned short cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs;
}

int main(void)
{
    unsigned short cs = read_cs();
    printf("hello from ring 3: cs=%#x cpl=%d\n", cs, cs & 3);
    printf("getpid() = %d\n", (int)getpid());

    /* Small allocations come from brk, large ones (> 128 KiB) from mmap. */
    char *small = malloc(64);
    size_t big_len = 1 << 20;
    unsigned char *big = malloc(big_len);
    if (!small || !big) {
        printf("malloc failed\n");
        return 1;
    }
    strcpy(small, "a string on the heap");
    memset(big, 0xa5, big_len);
    unsigned long sum = 0;
    for (size_t i = 0; i < big_len; i += 4096)
        sum += big[i];
    printf("malloc: small %p \"%s\", large %zu KiB at %p (checksum %lu)\n",
           (void *)small, small, big_len >> 10, (void *)big, sum);
    free(big);
    free(small);

    printf("init: bye, exit status 0\n");
    return 0;
}
