/*
 * f_invlpg: `invlpg` at CPL 3: flushing a TLB entry is privileged: #GP(0) (SDM Vol. 2A "INVLPG").
 * Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    static char page[16];
    puts("f_invlpg: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: invlpg %[m]\nfault_next:" :: [m] "m"(page[0]) : "memory");
    puts("f_invlpg: survived (wrong)");
    return 1;
}
