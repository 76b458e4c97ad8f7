/*
 * f_sidt: `sidt` at CPL 3 stores the IDT register (base and limit), which reveals a kernel
 * address. With CR4.UMIP=1 (-cpu max; the kernel enables it when the CPU has it) it is
 * #GP(0) at CPL > 0 (SDM Vol. 2B "SIDT", Vol. 3A 2.5 "UMIP"): Linux: SIGSEGV, status 139.
 * Without UMIP (-cpu qemu64) it succeeds: the program prints the kernel address and exits 0.
 * The faulting instruction is at the global symbol fault_insn (fault_next follows it).
 */
#include <stdio.h>
#include "fault_witness.h"

int main(void)
{
    struct { unsigned short limit; unsigned long base; } __attribute__((packed)) d = { 0, 0 };
    puts("f_sidt: sidt at CPL 3");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: sidt %[d]\nfault_next:"
                     : [d] "=m"(d) :: "memory");
    printf("f_sidt: no UMIP: IDTR base=%#lx limit=%#x\n", d.base, d.limit);
    return 0;
}
