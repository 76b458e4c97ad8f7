/*
 * f_int0e: `int $0x0e` at CPL 3: the #PF gate has DPL 0 and a software interrupt needs CPL <= DPL,
 * so the CPU raises #GP with an IDT error code: (0x0e << 3) | 2 = 0x72 per SDM Vol. 3A 6.12.1.1
 * and 6.13 (QEMU 7.2 TCG pushes 0x0e * 16 + 2 = 0xe2 in 64-bit mode: a QEMU bug fixed in
 * 8.0). A user program cannot fake a page fault. Linux: SIGSEGV.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    puts("f_int0e: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: int $0x0e\nfault_next:");
    puts("f_int0e: survived (wrong)");
    return 1;
}
