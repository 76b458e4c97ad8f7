/*
 * f_kwrite: write the kernel's first code byte (0xffffffff80100000, KERNBASE + 1 MiB, where
 * linker.ld puts .text) at CPL 3. The page is present but supervisor-only (U/S=0 in the
 * kernel half), so #PF with error code 0x7: P=1 (present), W/R=1 (write), U/S=1 (user);
 * CR2 = the address (SDM Vol. 3A 4.6 "Access Rights", 4.7). Linux: SIGSEGV, status 139.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

#define KERNEL_TEXT 0xffffffff80100000UL

int main(void)
{
    puts("f_kwrite: about to fault");

    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: movq %[v], (%[p])\nfault_next:"
                     :: [v] "r"(0x4141414141414141UL), [p] "r"(KERNEL_TEXT) : "memory");
    puts("f_kwrite: survived (wrong)");
    return 1;
}
