/*
 * f_hlt: `hlt` at CPL 3: HLT is privileged (CPL must be 0), so the CPU raises #GP(0)
 * (SDM Vol. 2A "HLT"). Linux: SIGSEGV, status 139.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_hlt: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: hlt\nfault_next:");
    puts("f_hlt: survived (wrong)");
    return 1;
}
