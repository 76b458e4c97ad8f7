/*
 * f_in: `in` at CPL 3 with IOPL 0: CPL > IOPL, so the CPU consults the TSS I/O bitmap; this
 * kernel's TSS has none (I/O map base >= TSS limit), so every port is denied: #GP(0)
 * (SDM Vol. 1 19.5.2 "I/O Permission Bit Map"). Port 0x3f8 is COM1's data register. Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    unsigned char v;
    puts("f_in: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: inb %%dx, %[v]\nfault_next:" : [v] "=a"(v) : "d"(0x3f8) : "memory");
    puts("f_in: survived (wrong)");
    return 1;
}
