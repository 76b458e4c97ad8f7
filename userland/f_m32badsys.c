/*
 * f_m32badsys: `int $0x80` from a 32-bit program (CS 0x23) with EAX = 1000, a number the
 * i386 system-call table does not have (Linux's arch/x86/entry/syscalls/syscall_32.tbl ends
 * far below it): no fault, the call returns -ENOSYS (-38) in EAX to ring 3, as Linux's
 * do_int80_emulation. Prints what it got and exits 0 if that is -ENOSYS, 1 otherwise: the
 * same on the host's Linux and in ringlab. The int $0x80 is at the global symbol fault_insn.
 */
#include <stdio.h>
#include "fault_witness.h"

#define BAD_NR 1000     /* not an i386 system call */

int main(void)
{
    int ret;
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: int $0x80\n"
                     "fault_next:" : "=a"(ret) : "a"(BAD_NR) : "memory");
    printf("f_m32badsys: int $0x80 eax=%d returned %d\n", BAD_NR, ret);
    return ret == -38 ? 0 : 1;
}
