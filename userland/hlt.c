/*
 * `hlt` in ring 3: a privileged instruction (CPL must be 0), so the CPU raises #GP(0)
 * (SDM Vol. 2A "HLT"; Vol. 3A 6.15 "#GP"). The kernel must kill us with SIGSEGV.
 * The instruction sits at the global symbol fault_insn so tests can find its address.
 */
#include <stdio.h>

int main(void)
{
    printf("hlt: executing hlt at CPL 3\n");
    fflush(stdout);
    __asm__ volatile(".globl fault_insn\nfault_insn: hlt");
    printf("hlt: still alive after hlt (wrong!)\n");
    return 1;
}
