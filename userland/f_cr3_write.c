/*
 * f_cr3_write: `mov %rax, %cr3` at CPL 3: loading a page-table base is privileged: #GP(0) (SDM Vol. 2A
 * "MOV-Move to/from Control Registers"). Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    unsigned long v = 0;
    puts("f_cr3_write: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: mov %[v], %%cr3\nfault_next:" :: [v] "r"(v) : "memory");
    puts("f_cr3_write: survived (wrong)");
    return 1;
}
