/*
 * f_lgdt: `lgdt` at CPL 3: loading the GDT register is privileged, #GP(0) before the operand is
 * even read (SDM Vol. 2A "LGDT/LIDT"). Linux: SIGSEGV, status 139.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    static struct { unsigned short limit; unsigned long base; } __attribute__((packed)) d;
    puts("f_lgdt: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: lgdt %[d]\nfault_next:" :: [d] "m"(d) : "memory");
    puts("f_lgdt: survived (wrong)");
    return 1;
}
