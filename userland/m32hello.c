/*
 * m32hello: built as a static i386 glibc program (images/user/m32hello-m32, gcc -m32; the
 * Makefile's NAME-m32 rule), it runs in compatibility mode: CS 0x23, 32-bit pointers, the
 * i386 system calls through int $0x80 (glibc's startup: brk, set_thread_area for its TLS in
 * GDT entry 12 (%gs = 0x63), set_tid_address, ...; a 1 MiB malloc: mmap2). It prints what it
 * sees and exits with 3,
 * the same on the host's Linux and in ringlab. (Every userland C file is also built as a 64-bit
 * musl program: that one prints cs=0x33, 64 bits.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

static __thread int tls_counter = 41;       /* reached through %gs (the TLS descriptor) */

int main(int argc, char **argv)
{
    unsigned short cs, gs;
    __asm__ volatile("mov %%cs, %0\n\tmov %%gs, %1" : "=r"(cs), "=r"(gs));
    struct utsname u;
    int un = uname(&u);
    tls_counter++;
    printf("m32hello: hello from a %d-bit program, cs=%#x gs_is_tls=%d tls=%d\n", (int)sizeof(void *) * 8,
           cs, gs == 0x63, tls_counter);
    printf("m32hello: uname=%d machine=%s getpid_ok=%d argc=%d\n", un, un == 0 ? u.machine : "?",
           getpid() > 0, argc);
    for (int i = 1; i < argc; i++)
        printf("m32hello: argv[%d]=%s\n", i, argv[i]);
    /* 1 MiB: above glibc's mmap threshold, so malloc asks mmap2 for it */
    size_t n = 1 << 20;
    unsigned char *big = malloc(n);
    int ok = big != NULL;
    for (size_t i = 0; ok && i < n; i += 4096)
        big[i] = (unsigned char)i;
    for (size_t i = 0; ok && i < n; i += 4096)
        ok = big[i] == (unsigned char)i;
    free(big);
    printf("m32hello: big malloc ok=%d\n", ok);
    return 3;
}
