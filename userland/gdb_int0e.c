/*
 * `int $0x0e` from ring 3. Vector 14 (#PF) has a DPL-0 gate, so the CPU does not deliver it:
 * it raises #GP with an error code naming the IDT entry, (14 << 3) | 2 = 0x72 by the SDM
 * (Vol. 3A 6.12.1.1, 6.13). QEMU 7.2's TCG pushes 14 * 16 + 2 = 0xe2 instead (see
 * harness/ringlab/observe/decode.py idt_error_code). The kernel kills us with SIGSEGV (status 139).
 */
int main(void)
{
    __asm__ volatile(".globl fault_insn\nfault_insn: int $0x0e");
    return 1;
}
