/*
 * f_int3: `int3` at CPL 3: the breakpoint trap #BP (SDM Vol. 3A 6.15 "Interrupt 3"); its gate
 * has DPL 3 in Linux and here the kernel kills us with SIGTRAP, status 133, as Linux does
 * without a debugger. #BP is a trap: the saved RIP is the instruction AFTER int3
 * (fault_next), although QEMU's -d int log names the int3 itself.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_int3: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: int3\nfault_next:");
    puts("f_int3: survived (wrong)");
    return 1;
}
