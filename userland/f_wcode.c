/*
 * f_wcode: write to the program's own code at CPL 3: the text segment is mapped present,
 * user, read-only (R-X), so #PF with error code 0x7: P=1, W/R=1 (write), U/S=1; CR2 = the
 * address written, here fault_insn itself (SDM Vol. 3A 4.6, 4.7). Linux: SIGSEGV, 139.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_wcode: about to fault");
    __asm__ volatile("leaq fault_insn(%%rip), %%rcx\n"
                     ".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: movb $0x90, (%%rcx)\nfault_next:"
                     ::: "rcx", "memory");
    puts("f_wcode: survived (wrong)");
    return 1;
}
