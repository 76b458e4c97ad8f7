/*
 * f_ac: alignment check at CPL 3. With CR0.AM=1 (this kernel sets it, as Linux does),
 * RFLAGS.AC=1 (bit 18, set here with popf) and CPL 3, a misaligned 8-byte load raises #AC(0)
 * (SDM Vol. 3A 6.15 "Interrupt 17"); Linux sends SIGBUS, status 135.
 *
 * QEMU 7.2 TCG never raises #AC (measured; tests/data/qemulog/README.md): the load at
 * fault_insn just runs, and the ud2 at fault_next decides instead (#UD, SIGILL, 132).
 * The catalogue (harness/ringlab/catalogue/faults.py) expects what QEMU does and says why.
 */
#include <stdio.h>
#include "fault_witness.h"

static unsigned char buf[32] __attribute__((aligned(16)));

int main(void)
{
    puts("f_ac: about to fault");
    unsigned long v;
    __asm__ volatile("pushfq\n"
                     "orq $0x40000, (%%rsp)\n"        /* RFLAGS.AC */
                     "popfq\n"
                     ".globl fault_insn\n.globl fault_next\n"
                     "fault_insn: movq (%[p]), %[v]\n" /* misaligned by 1 */
                     "fault_next: ud2"
                     : [v] "=r"(v) : [p] "r"(buf + 1) : "memory", "cc");
    printf("f_ac: survived (wrong) %lu\n", v);
    return 1;
}
