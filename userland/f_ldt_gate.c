/*
 * f_ldt_gate: a ring-3 attempt to reach CPL 0 through the LDT. A CPU whose LDTR was never
 * loaded keeps its reset LDT (base 0, limit 0xffff, SDM Vol. 3A 10.1.3), which is user memory.
 * This program maps the page at 0x1000, writes a DPL-3 64-bit call gate to the kernel's code
 * selector there (LDT index 0x200) and far-calls through selector 0x1007 (index 0x200, TI=1,
 * RPL 3). The kernel loads a null LDTR at boot (SDM Vol. 3A 3.5.1: with a null LDT every TI=1
 * reference faults), so the lcall at fault_insn is #GP with error code 0x1004 (the selector's
 * index and TI bit). On Linux the LDT is empty too (no modify_ldt) and mmap below 64 KiB is
 * refused: the same #GP, SIGSEGV, 139. Were the gate honoured, in_ring0 would run at CPL 0 and
 * the program would print "reached CPL 0" and exit 1.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include "fault_witness.h"

#define KERNEL_CS 0x10         /* Linux's and ringlab's __KERNEL_CS */
#define GATE_SEL  0x1007 /* LDT index 0x200 (byte 0x1000), TI=1, RPL 3 */
#define GATE_PAGE 0x1000

extern void in_ring0(void);
__asm__(".text\n"
        "in_ring0:\n\t"
        "movq %cs, %rax\n\t"
        "lretq\n");

int main(void)
{
    void *page = mmap((void *)GATE_PAGE, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
                      -1, 0);
    if (page != MAP_FAILED) {
        /* SDM Vol. 3A 5.8.3.1, Figure 5-9: 64-bit call gate, type 0xc, DPL 3, present. */
        uint64_t off = (uint64_t)in_ring0;
        uint64_t *ldt = page;    /* LDT entry 0x200 = byte 0x1000 of the reset LDT */
        ldt[0] = (off & 0xffff) | ((uint64_t)KERNEL_CS << 16) | (0xecULL << 40) |
                 ((off >> 16 & 0xffff) << 48);
        ldt[1] = off >> 32;
    }
    puts("f_ldt_gate: about to far-call through an LDT call gate");
    static struct { uint32_t offset; uint16_t sel; } __attribute__((packed)) far = { 0, GATE_SEL };
    uint64_t cs = 0;
    __asm__ volatile(".globl fault_insn\n.globl fault_next\nfault_insn: lcall *%[far]\nfault_next:"
                     : "=a"(cs) : [far] "m"(far) : "memory");
    printf("f_ldt_gate: reached CPL %lu (wrong)\n", cs & 3);
    return 1;
}
