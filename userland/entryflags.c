/*
 * System-call entry as Linux's (arch/x86/entry/common.c do_syscall_64, signal.c FIX_EFLAGS):
 * EAX alone selects the call (RAX's upper half is ignored); the user's RFLAGS.NT survives a
 * system call, signal delivery and rt_sigreturn. The same binary runs on the host and in
 * ringlab (tests/test_linux_parity.py).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#define RFLAGS_NT (1UL << 14)    /* nested task */

static volatile uint64_t in_handler;

static uint64_t get_flags(void)
{
    uint64_t f;
    __asm__ volatile("pushfq; popq %0" : "=r"(f));
    return f;
}

static void set_flags(uint64_t f)
{
    __asm__ volatile("pushq %0; popfq" ::"r"(f) : "cc");
}

static void handler(int sig)
{
    (void)sig;
    in_handler = get_flags();
}

int main(void)
{
    uint64_t base = get_flags(), with_nt = base | RFLAGS_NT, after;
    long r;
    __asm__ volatile("pushq %2; popfq; syscall; pushfq; popq %1"
                     : "=a"(r), "=r"(after) : "r"(with_nt), "a"(SYS_getpid) : "rcx", "r11", "memory", "cc");
    set_flags(base);
    printf("NT across syscall: %s\n", after & RFLAGS_NT ? "kept" : "cleared");
    uint64_t rax = (1UL << 32) | SYS_getpid;
    __asm__ volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
    printf("rax with high bits: %s\n", (long)rax == getpid() ? "getpid" : "other");
    signal(SIGUSR1, handler);
    set_flags(with_nt);
    raise(SIGUSR1);
    after = get_flags();
    set_flags(base);
    printf("NT in handler: %s, after sigreturn: %s\n", in_handler & RFLAGS_NT ? "set" : "clear",
           after & RFLAGS_NT ? "kept" : "cleared");
    return 0;
}
