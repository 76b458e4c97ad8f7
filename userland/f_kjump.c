/*
 * f_kjump: jump into the kernel half at CPL 3, to the kernel's first code byte
 * (0xffffffff80100000). The jmp itself is fine; fetching from a supervisor page at CPL 3
 * raises #PF with error code 0x15: P=1, U/S=1, I/D=1; RIP = CR2 = the target (SDM Vol. 3A
 * 4.6, 4.7). The privilege level does not change by jumping. Linux: SIGSEGV, status 139.
 */
#include <stdio.h>
#include "fault_witness.h"

#define KERNEL_TEXT 0xffffffff80100000UL

int main(void)
{
    puts("f_kjump: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: jmp *%[p]\nfault_next:"
                     :: [p] "r"(KERNEL_TEXT) : "memory");
    puts("f_kjump: survived (wrong)");
    return 1;
}
