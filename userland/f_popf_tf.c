/*
 * f_popf_tf: set RFLAGS.TF (bit 8) with popf at CPL 3: single-step. The popf itself does not
 * trap (TF was clear when it began); the instruction after it (fault_insn, a nop) runs,
 * then the CPU raises #DB, a trap: the saved RIP is fault_next and the saved RFLAGS has
 * TF set (SDM Vol. 3A 18.3.1.4 "Single-Step Exception Condition"). Linux: SIGTRAP, 133.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_popf_tf: about to fault");
    __asm__ volatile("pushfq\n"
                     "orq $0x100, (%%rsp)\n"          /* RFLAGS.TF */
                     "popfq\n"
                     ".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: nop\nfault_next: nop"
                     ::: "memory", "cc");
    puts("f_popf_tf: survived (wrong)");
    return 1;
}
