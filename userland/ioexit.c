/*
 * ioexit [V]: ioperm(0xf4, 1, 1), then write V (default 7) to port 0xf4, QEMU's isa-debug-exit:
 * QEMU stops at once with status (V << 1) | 1, without the kernel's `halt` line. ringlab has no
 * port rule of its own (Linux has none): a process that asks for the port explicitly gets it,
 * as root on Linux may power the machine off. A process that did not ask faults (f_out,
 * f_ioperm). The harness must name such an end a contradiction, never a pass.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/io.h>

int main(int argc, char **argv)
{
    unsigned char v = argc > 1 ? (unsigned char)atoi(argv[1]) : 7;
    int r = ioperm(0xf4, 1, 1);
    printf("ioexit: ioperm(0xf4, 1, 1) = %d, writing %u to 0xf4\n", r, v);
    fflush(stdout);
    outb(v, 0xf4);
    puts("ioexit: still running (the write did not stop QEMU)");
    return 1;
}
