/*
 * f_cr0_read: `mov %cr0, %rax` at CPL 3: reading a control register is privileged (CPL 0 only):
 * #GP(0) (SDM Vol. 2A "MOV-Move to/from Control Registers"). Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    unsigned long v;
    puts("f_cr0_read: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: mov %%cr0, %[v]\nfault_next:" : [v] "=r"(v) :: "memory");
    puts("f_cr0_read: survived (wrong)");
    return 1;
}
