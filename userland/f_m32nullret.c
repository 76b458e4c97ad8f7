/*
 * f_m32nullret: a 32-bit program (CS 0x23) does a far return (`lret`) whose return CS is the
 * null selector: #GP(0) at the lret, before anything is popped (SDM Vol. 2B "RET - Return
 * from Procedure", protected-mode exceptions: "If the return code segment selector is NULL").
 * Linux: SIGSEGV, status 139. Built only as an i386 program; the lret is at fault_insn.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_m32nullret: about to fault");
    fflush(stdout);
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "pushl $0\n"                  /* the return CS: null */
                     "pushl $fault_next\n"         /* the return EIP */
                     "fault_insn: lret\n"
                     "fault_next:" ::: "memory");
    puts("f_m32nullret: survived (wrong)");
    return 1;
}
