/*
 * f_wrmsr: `wrmsr` at CPL 3: writing a model-specific register (here IA32_LSTAR, the syscall entry
 * point) is privileged: #GP(0) (SDM Vol. 2B "WRMSR"). Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_wrmsr: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: wrmsr\nfault_next:" :: "c"(0xc0000082), "a"(0), "d"(0) : "memory");
    puts("f_wrmsr: survived (wrong)");
    return 1;
}
