/*
 * The second system-call gate: `int $0x80` (a DPL-3 interrupt gate into the same 64-bit
 * system-call table as `syscall`; same registers: rax number, rdi, rsi, rdx...).
 *
 * Unlike `syscall`, `int` makes the CPU switch to TSS.RSP0 and push SS, RSP, RFLAGS, CS, RIP
 * (SDM Vol. 3A 6.14.2). main makes write(1, "int80\n", 6) and getpid() through the gate,
 * each `int` at a global label, and exits with status 0 when both return what they should.
 */
int main(void)
{
    long ret;
    __asm__ volatile(".globl int80_write_insn\nint80_write_insn: int $0x80"
                     : "=a"(ret) : "a"(1L), "D"(1L), "S"("int80\n"), "d"(6L) : "memory");
    if (ret != 6)
        return 1;
    __asm__ volatile(".globl int80_getpid_insn\nint80_getpid_insn: int $0x80"
                     : "=a"(ret) : "a"(39L) : "memory");
    return ret > 0 ? 0 : 2;
}
