/*
 * f_ioperm: ioperm(0x3f8, 8, 1) opens the UART's eight ports, then `out` to port 0xf4 (QEMU's
 * isa-debug-exit), whose bit in the process's TSS I/O bitmap is still 1: #GP(0) (SDM Vol. 1
 * 19.5.2), SIGSEGV - the bitmap opens exactly the ports asked for, and 0xf4 was not among them.
 * Linux: SIGSEGV. Exits 3 (no fault) if ioperm itself fails.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include <sys/io.h>
#include "fault_witness.h"

int main(void)
{
    if (ioperm(0x3f8, 8, 1)) {
        perror("f_ioperm: ioperm");
        return 3;
    }
    puts("f_ioperm: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: outb %%al, %%dx\nfault_next:" :: "a"(0), "d"(0xf4) : "memory");
    puts("f_ioperm: survived (wrong)");
    return 1;
}
