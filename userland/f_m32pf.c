/*
 * f_m32pf: a 32-bit program (CS 0x23) reads 0xffffe000, the first address above 32-bit
 * user space (Linux's IA32_PAGE_OFFSET, ringlab's USER32_STACK_TOP): where a native i386
 * kernel keeps its own pages, and the nearest a 32-bit address comes to the kernel (the
 * kernel half is out of reach of 32-bit addresses). Nothing is mapped there: #PF with error
 * 4 (not present, read, user), CR2 = 0xffffe000. Linux: SIGSEGV, status 139.
 * Built only as an i386 program. The faulting instruction is at fault_insn.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_m32pf: about to fault");
    fflush(stdout);
    unsigned v;
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: movl 0xffffe000, %0\n"
                     "fault_next:" : "=r"(v) :: "memory");
    printf("f_m32pf: survived (wrong) %#x\n", v);
    return 1;
}
