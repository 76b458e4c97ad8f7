/*
 * System-call entry as Linux's (arch/x86/entry/common.c do_syscall_64, signal.c FIX_EFLAGS):
 * EAX alone selects the call (RAX's upper half is ignored); the user's RFLAGS.NT survives a
 * system call, signal delivery and rt_sigreturn. The same binary runs on the host and in
 * ringlab (tests/test_linux_parity.py).
 */
#include <stdio.h>
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include <sys/syscall.h>
static uint64_t getf(void){uint64_t f; __asm__ volatile("pushfq; popq %0":"=r"(f)); return f;}
static void setf(uint64_t f){__asm__ volatile("pushq %0; popfq"::"r"(f):"cc");}
static volatile uint64_t inhandler;
static void h(int s){(void)s; inhandler = getf();}
int main(void)
{
    uint64_t base = getf();
    /* NT (bit 14) + AC (bit 18) then a syscall */
    uint64_t want = base | (1<<14);
    uint64_t after;
    long r;
    __asm__ volatile("pushq %2; popfq; syscall; pushfq; popq %1" : "=a"(r), "=r"(after) : "r"(want), "a"(SYS_getpid) : "rcx","r11","memory","cc");
    printf("NT across syscall: %s\n", after & (1<<14) ? "kept" : "cleared");
    uint64_t rax = (1UL<<32) | SYS_getpid;
    __asm__ volatile("syscall" : "+a"(rax) :: "rcx","r11","memory");
    printf("rax with high bits: %s\n", (long)rax == getpid() ? "getpid" : "other");
    signal(SIGUSR1, h);
    __asm__ volatile("pushq %0; popfq" :: "r"(want) : "cc");
    raise(SIGUSR1);
    after = getf();
    setf(base);
    printf("NT in handler: %s, after sigreturn: %s\n", inhandler & (1<<14) ? "set":"clear", after & (1<<14) ? "kept":"cleared");
    return 0;
}
