/*
 * f_null: read address 0 at CPL 3. Page 0 is never mapped, so #PF with error code 0x4:
 * P=0 (not present), W/R=0 (read), U/S=1 (user), I/D=0; CR2 = 0 (SDM Vol. 3A 4.7).
 * Linux: SIGSEGV, status 139.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_null: about to fault");
    unsigned long v;
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: movq (%[p]), %[v]\nfault_next:"
                     : [v] "=r"(v) : [p] "r"(0UL) : "memory");
    printf("f_null: survived (wrong) %lu\n", v);
    return 1;
}
