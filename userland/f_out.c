/*
 * f_out: `out` at CPL 3 with IOPL 0: as for `in`, #GP(0) (SDM Vol. 1 19.5.2). The port is 0xf4,
 * QEMU's isa-debug-exit: if ring 3 could write it, any program could power the machine off.
 * Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_out: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: outb %%al, %%dx\nfault_next:" :: "a"(0), "d"(0xf4) : "memory");
    puts("f_out: survived (wrong)");
    return 1;
}
