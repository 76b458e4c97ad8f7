/*
 * gdb_ac: ring 3 sets RFLAGS.AC (allowed at any CPL, SDM Vol. 1 3.4.3.3), then makes a system
 * call through `int $0x80` (a DPL-3 interrupt gate) at the global label ac_int80_insn. An
 * interrupt gate clears TF, NT and IF but not AC (SDM Vol. 3A 6.12.1.3), and with SMAP on,
 * AC=1 in ring 0 lifts SMAP (SDM Vol. 3A 4.6.1): the kernel's trap entry must clear it. The
 * test stops in trap() and reads RFLAGS. Then the same with AC, DF and NT set and `syscall`
 * at ac_syscall_insn: FMASK must clear them (and TF, IF, IOPL) on entry. Exits 0 when both
 * getpid() calls returned a pid.
 */
int main(void)
{
    long ret;
    __asm__ volatile("pushfq\n\torq $0x40000, (%%rsp)\n\tpopfq\n\t"
                     ".globl ac_int80_insn\nac_int80_insn: int $0x80\n\t"
                     "pushfq\n\tandq $~0x40000, (%%rsp)\n\tpopfq"
                     : "=a"(ret) : "a"(20L) /* i386 getpid */ : "memory", "cc");
    if (ret <= 0)
        return 1;
    __asm__ volatile("pushfq\n\torq $0x44400, (%%rsp)\n\tpopfq\n\t"    /* AC NT DF */
                     ".globl ac_syscall_insn\nac_syscall_insn: syscall\n\t"
                     "pushfq\n\tandq $~0x44400, (%%rsp)\n\tpopfq"
                     : "=a"(ret) : "a"(39L) : "rcx", "r11", "memory", "cc");
    return ret > 0 ? 0 : 2;
}
