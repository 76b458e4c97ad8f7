/*
 * f_stack: run off the end of the stack at CPL 3. execve maps a 128 KiB stack below
 * USER_STACK_TOP (0x7ffffffff000, kernel/include/mmu.h), which grows on faults up to
 * RLIMIT_STACK (kernel/stackgrow.c, as Linux's); the program first sets RLIMIT_STACK to those
 * 128 KiB, so that the first fault past them is the one that ends it (not a growth the
 * witnesses would see first), and pushing without end reaches the unmapped page below
 * 0x7ffffffdf000: #PF with error
 * code 0x6 (P=0 not present, W/R=1 write, U/S=1 user) and CR2 = 0x7ffffffdeff8, the slot
 * the push tried to write; RSP in the frame is still 0x7ffffffdf000 (a fault commits
 * nothing). SDM Vol. 3A 4.7. Linux: SIGSEGV, status 139 (its stack at the rlimit).
 * The faulting push is at the global symbol fault_insn.
 */
#include <stdio.h>
#include <sys/resource.h>
#include "fault_witness.h"

#define STACK_BYTES (128 * 1024)   /* execve's stack (USER_STACK_PAGES): no growth past it */

int main(void)
{
    struct rlimit r = { STACK_BYTES, RLIM_INFINITY };
    setrlimit(RLIMIT_STACK, &r);
    puts("f_stack: about to fault");
    __asm__ volatile(".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: pushq %%rax\n"
                     "jmp fault_insn\nfault_next:"
                     ::: "memory");
    puts("f_stack: survived (wrong)");
    return 1;
}
