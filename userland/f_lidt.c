/*
 * f_lidt: `lidt` at CPL 3: loading the IDT register is privileged: #GP(0) (SDM Vol. 2A
 * "LGDT/LIDT"). A user program may not replace the kernel's interrupt table. Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    static struct { unsigned short limit; unsigned long base; } __attribute__((packed)) d;
    puts("f_lidt: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: lidt %[d]\nfault_next:" :: [d] "m"(d) : "memory");
    puts("f_lidt: survived (wrong)");
    return 1;
}
