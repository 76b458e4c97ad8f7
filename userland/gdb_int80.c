/*
 * The second system-call gate: `int $0x80` (a DPL-3 interrupt gate into the i386 system-call
 * table, as Linux's IA32 emulation: eax number, ebx, ecx, edx... even from 64-bit code).
 *
 * Unlike `syscall`, `int` makes the CPU switch to TSS.RSP0 and push SS, RSP, RFLAGS, CS, RIP
 * (SDM Vol. 3A 6.14.2). main makes write(1, "int80\n", 6) (i386 4) and getpid() (i386 20)
 * through the gate, each `int` at a global label, and exits with status 0 when both return
 * what they should. The string is in the program's data, below 4 GiB: ecx holds all of it.
 */
const char int80_msg[] = "int80\n";

int main(void)
{
    long ret;
    __asm__ volatile(".globl int80_write_insn\nint80_write_insn: int $0x80"
                     : "=a"(ret) : "a"(4L), "b"(1L), "c"(int80_msg), "d"(6L) : "memory");
    if (ret != 6)
        return 1;
    __asm__ volatile(".globl int80_getpid_insn\nint80_getpid_insn: int $0x80"
                     : "=a"(ret) : "a"(20L) : "memory");
    return ret > 0 ? 0 : 2;
}
