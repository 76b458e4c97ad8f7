/*
 * f_noncanon: load from 0x0000800000000000, the first non-canonical address above the user
 * half (bits 63..47 not all equal). No page walk happens: #GP(0), not #PF, and CR2 is not
 * written (SDM Vol. 3A 3.3.7.1 "Canonical Addressing"; Vol. 2A "MOV": "#GP(0) If the memory
 * address is in a non-canonical form"). Linux: SIGSEGV, status 139.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_noncanon: about to fault");
    unsigned long v;
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: movq (%[p]), %[v]\nfault_next:"
                     : [v] "=r"(v) : [p] "r"(0x0000800000000000UL) : "memory");
    printf("f_noncanon: survived (wrong) %lu\n", v);
    return 1;
}
