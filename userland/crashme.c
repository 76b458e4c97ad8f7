/* crashme: dereference NULL in ring 3 (#PF, SIGSEGV). The load is at the global symbol fault_insn. */
#include <stdio.h>

int main(void)
{
    printf("crashme: reading address 0\n");
    fflush(stdout);
    long v;
    __asm__ volatile(".globl fault_insn\nfault_insn: mov 0, %0" : "=r"(v));
    printf("crashme: survived?! %ld\n", v);
    return 0;
}
