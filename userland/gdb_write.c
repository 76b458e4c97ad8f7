/*
 * A known sequence of system calls for the gdb tests and `invoke trace`.
 *
 * main makes exactly: write(1, "one\n", 4), getpid(), write(1, "two\n", 4), then returns 7,
 * which musl turns into exit_group(7). Each `syscall` instruction sits at a global label
 * (write1_insn, getpid_insn, write2_insn) so tests can find its address in the symbol table
 * and check that RCX holds the address of the instruction after it.
 * musl's start-up (before main) adds its own calls (arch_prctl, set_tid_address).
 */
int main(void)
{
    long ret;
    __asm__ volatile(".globl write1_insn\nwrite1_insn: syscall"
                     : "=a"(ret) : "a"(1L), "D"(1L), "S"("one\n"), "d"(4L) : "rcx", "r11", "memory");
    if (ret != 4)
        return 1;
    __asm__ volatile(".globl getpid_insn\ngetpid_insn: syscall"
                     : "=a"(ret) : "a"(39L) : "rcx", "r11", "memory");
    if (ret <= 0)
        return 2;
    __asm__ volatile(".globl write2_insn\nwrite2_insn: syscall"
                     : "=a"(ret) : "a"(1L), "D"(1L), "S"("two\n"), "d"(4L) : "rcx", "r11", "memory");
    if (ret != 4)
        return 3;
    return 7;
}
