/*
 * f_nxstack: execute on the stack at CPL 3. The stack is mapped NX (EFER.NXE=1), so the
 * instruction fetch at the call's target raises #PF with error code 0x15: P=1, U/S=1,
 * I/D=1 (instruction fetch); RIP = CR2 = the stack address (SDM Vol. 3A 4.6, 4.7).
 * fault_insn is the `call`; the fault is taken at its target, and the return address the
 * call pushed (fault_next) is on top of the user stack. Linux: SIGSEGV, status 139.
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    volatile unsigned char code[16] = { 0xc3 };   /* ret */
    puts("f_nxstack: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: call *%[p]\nfault_next:"
                     :: [p] "r"(code) : "memory");
    puts("f_nxstack: survived (wrong)");
    return 1;
}
