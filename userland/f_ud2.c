/*
 * f_ud2: `ud2` at CPL 3: the architecturally undefined instruction, #UD (SDM Vol. 2B "UD").
 * Linux: SIGILL, status 132.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_ud2: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: ud2\nfault_next:");
    puts("f_ud2: survived (wrong)");
    return 1;
}
