/*
 * gdb_signal: one signal delivery and its return, for stepping under gdb. main installs
 * on_usr1 for SIGUSR1 and sends itself SIGUSR1 with a raw kill system call at kill_insn;
 * the kernel delivers on the way out of that call (sysretq straight into on_usr1, RSP at the
 * frame); on_usr1 makes no system call, so the next ring change is the restorer's
 * rt_sigreturn, whose iretq resumes at kill_next with the stack as it was.
 */
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

volatile int delivered;

void on_usr1(int sig)
{
    delivered = sig;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    long pid = getpid();
    __asm__ volatile("mov %1, %%rdi\n mov %2, %%esi\n mov %3, %%eax\n"
                     ".globl kill_insn\nkill_insn: syscall\n"
                     ".globl kill_next\nkill_next: nop"
                     : "+m"(delivered) : "r"(pid), "i"(SIGUSR1), "i"(SYS_kill) : "rax", "rdi", "rsi", "rcx", "r11", "memory");
    return delivered == SIGUSR1 ? 0 : 1;
}
