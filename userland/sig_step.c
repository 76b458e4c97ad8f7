/*
 * sig_step: single-stepping with RFLAGS.TF set by the program itself (popf). After every
 * instruction the CPU raises #DB (SDM Vol. 3A 18.3.1.4) and the kernel delivers SIGTRAP with
 * si_code TRAP_TRACE; the handler counts the steps and, at the end label, clears TF in the
 * saved RFLAGS so rt_sigreturn resumes without it. The handler itself runs with TF clear
 * (the kernel clears it on delivery, as Linux does). A second run steps over a getppid
 * system call: syscall's FMASK clears TF in the kernel, and the trap is taken after the
 * return to ring 3. Then int3: SIGTRAP with RIP after the int3. Same counts on Linux.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "sigtest.h"

extern char loop_end[], sys_insn[], sys_end[], bp_next[], tf_sys_end[];
static volatile int steps, traced_in_handler, after_syscall;
static unsigned long stop_at;

static void on_trap(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    unsigned long f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    if (f & 0x100)
        traced_in_handler++;
    if (si->si_code != 2) {          /* not TRAP_TRACE: the int3 */
        say("int3: sig=%d code=%d rip_after_int3=%d trapno=%lld\n", sig, si->si_code,
            g[REG_RIP] == (greg_t)bp_next, g[REG_TRAPNO]);
        return;
    }
    steps++;
    if ((unsigned long)si->si_addr != (unsigned long)g[REG_RIP])
        say("step %d: si_addr differs from RIP\n", steps);
    if (g[REG_RIP] == (greg_t)sys_insn + 2)
        after_syscall = steps;
    if ((unsigned long)g[REG_RIP] == stop_at)
        g[REG_EFL] &= ~0x100L;
}

int main(void)
{
    install(SIGTRAP, on_trap, 0);

    stop_at = (unsigned long)loop_end;
    __asm__ volatile("mov $10, %%ecx\n"
                     "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
                     "1: dec %%ecx\n jnz 1b\n"
                     ".globl loop_end\nloop_end: nop"
                     ::: "rcx", "memory", "cc");
    say("loop of 10: %d steps, TF seen inside the handler: %d\n", steps, traced_in_handler);

    steps = 0;
    stop_at = (unsigned long)sys_end;
    __asm__ volatile("pushfq\n orq $0x100, (%%rsp)\n popfq\n"
                     "mov %0, %%eax\n"
                     ".globl sys_insn\nsys_insn: syscall\n"
                     "nop\n"
                     ".globl sys_end\nsys_end: nop"
                     ::"i"(SYS_getppid) : "rax", "rcx", "r11", "memory", "cc");
    say("over a syscall: %d steps, first trap after it at step %d\n", steps, after_syscall);

    /* TF set by the very instruction before the syscall: the syscall is the stepped one, and
       the trap comes after the instruction that follows it, as after every other. */
    steps = 0;
    stop_at = (unsigned long)tf_sys_end;
    __asm__ volatile("mov %0, %%eax\n"
                     "pushfq\n orq $0x100, (%%rsp)\n popfq\n"
                     "syscall\n"
                     "nop\n"
                     ".globl tf_sys_end\ntf_sys_end: nop"
                     ::"i"(SYS_getppid) : "rax", "rcx", "r11", "memory", "cc");
    say("popf then syscall: %d steps\n", steps);

    __asm__ volatile("int3\n.globl bp_next\nbp_next: nop" ::: "memory");
    return 0;
}
