/*
 * f_m32gp: a 32-bit program (compatibility mode, CS 0x23) loads DS with the kernel's code
 * selector 0x10: #GP(0x10), the error code naming the selector (SDM Vol. 2A "MOV - Move",
 * protected-mode exceptions: a data-segment register loaded with a code segment whose DPL
 * is below the CPL is #GP(selector)). Linux: SIGSEGV, status 139.
 * Built only as an i386 program (images/user/f_m32gp-m32: the Makefile's f_m32* rule).
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_m32gp: about to fault");
    fflush(stdout);
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "mov $0x10, %%eax\n"
                     "fault_insn: mov %%eax, %%ds\n"
                     "fault_next:" ::: "eax", "memory");
    puts("f_m32gp: survived (wrong)");
    return 1;
}
