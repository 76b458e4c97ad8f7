/*
 * f_stack: run off the end of the stack at CPL 3. This kernel gives every process a fixed
 * 128 KiB stack below USER_STACK_TOP (0x7ffffffff000, kernel/include/mmu.h) and never grows
 * it, so pushing without end reaches the unmapped page below 0x7ffffffdf000: #PF with error
 * code 0x6 (P=0 not present, W/R=1 write, U/S=1 user) and CR2 = 0x7ffffffdeff8, the slot
 * the push tried to write; RSP in the frame is still 0x7ffffffdf000 (a fault commits
 * nothing). SDM Vol. 3A 4.7. Linux: SIGSEGV, status 139 (after growing its stack to the
 * rlimit).
 * The faulting push is at the global symbol fault_insn.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_stack: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: pushq %%rax\n"
                     "jmp fault_insn\nfault_next:"
                     ::: "memory");
    puts("f_stack: survived (wrong)");
    return 1;
}
