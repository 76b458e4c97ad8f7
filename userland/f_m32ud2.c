/*
 * f_m32ud2: `ud2` in a 32-bit program (CS 0x23): #UD (SDM Vol. 2B "UD"). Linux: SIGILL,
 * status 132. Built only as an i386 program. The faulting instruction is at fault_insn.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_m32ud2: about to fault");
    fflush(stdout);
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: ud2\nfault_next:");
    puts("f_m32ud2: survived (wrong)");
    return 1;
}
