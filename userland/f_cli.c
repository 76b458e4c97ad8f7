/*
 * f_cli: `cli` at CPL 3 with IOPL 0: CLI needs CPL <= IOPL (and no VME/PVI in 64-bit mode), so
 * #GP(0) (SDM Vol. 2A "CLI"). Linux: SIGSEGV, status 139.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_cli: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: cli\nfault_next:");
    puts("f_cli: survived (wrong)");
    return 1;
}
