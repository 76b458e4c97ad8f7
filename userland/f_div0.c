/*
 * f_div0: `div` by zero at CPL 3: #DE, a fault (SDM Vol. 3A 6.15 "Interrupt 0"; Vol. 2A
 * "DIV": "#DE If the source operand (divisor) is 0"). The saved RIP is the div itself.
 * Linux: SIGFPE (FPE_INTDIV), status 136.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_div0: about to fault");
    unsigned q;
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: divl %[d]\nfault_next:"
                     : "=a"(q) : "a"(1), "d"(0), [d] "r"(0) : "memory");
    printf("f_div0: survived (wrong) q=%u\n", q);
    return 1;
}
