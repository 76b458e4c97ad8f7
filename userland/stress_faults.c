/*
 * stress_faults [N] [SEED]: fork N children (default 1000), each of which takes one ring-3
 * fault chosen pseudo-randomly among rows of the fault catalogue
 * (harness/ringlab/catalogue/faults.py), and reap them. The parent checks each child died of
 * the signal Linux gives for that fault and prints one summary line:
 *     stress_faults: children=1000 expected=1000 unexpected=0 seed=1 hlt=.. cli=.. ...
 * Exit status 0 only if every child died as expected. Booted with trace=mem, the kernel
 * prints `mem free_pages=N` after every reap: the harness checks nothing leaks.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define KERNEL_TEXT 0xffffffff80100000UL

static void f_hlt(void)      { __asm__ volatile("hlt"); }
static void f_cli(void)      { __asm__ volatile("cli"); }
static void f_out(void)      { __asm__ volatile("outb %%al, %%dx" :: "a"(0), "d"(0xf4)); }
static void f_int0e(void)    { __asm__ volatile("int $0x0e"); }
static void f_int3(void)     { __asm__ volatile("int3"); }
static void f_ud2(void)      { __asm__ volatile("ud2"); }
static void f_div0(void)     { __asm__ volatile("divl %0" :: "r"(0), "a"(1), "d"(0)); }
static void f_popf_tf(void)  { __asm__ volatile("pushfq; orq $0x100, (%%rsp); popfq; nop; nop" ::: "memory", "cc"); }
static void f_null(void)     { __asm__ volatile("movq (%0), %%rax" :: "r"(0UL) : "rax"); }
static void f_kwrite(void)   { __asm__ volatile("movq %%rax, (%0)" :: "r"(KERNEL_TEXT) : "memory"); }
static void f_wcode(void)    { __asm__ volatile("leaq 0(%%rip), %%rcx; movb $0x90, (%%rcx)" ::: "rcx", "memory"); }
static void f_kjump(void)    { __asm__ volatile("jmp *%0" :: "r"(KERNEL_TEXT)); }
static void f_noncanon(void) { __asm__ volatile("movq (%0), %%rax" :: "r"(0x0000800000000000UL) : "rax"); }
/* The stack grows on faults up to RLIMIT_STACK (kernel/stackgrow.c): held to execve's 128 KiB
   first, so that the one fault past them is the child's only one (as f_stack.c). */
static void f_stack(void)
{
    struct rlimit r = { 128 * 1024, RLIM_INFINITY };
    setrlimit(RLIMIT_STACK, &r);
    __asm__ volatile("1: pushq %%rax; jmp 1b" ::: "memory");
}
static void f_nxstack(void)
{
    volatile unsigned char code[16] = { 0xc3 };
    __asm__ volatile("call *%0" :: "r"(code) : "memory");
}

static const struct row {
    const char *name;
    void (*fault)(void);
    int signal;
} rows[] = {
    { "hlt", f_hlt, SIGSEGV },         { "cli", f_cli, SIGSEGV },
    { "out", f_out, SIGSEGV },         { "int0e", f_int0e, SIGSEGV },
    { "int3", f_int3, SIGTRAP },       { "ud2", f_ud2, SIGILL },
    { "div0", f_div0, SIGFPE },        { "popf_tf", f_popf_tf, SIGTRAP },
    { "null", f_null, SIGSEGV },       { "kwrite", f_kwrite, SIGSEGV },
    { "wcode", f_wcode, SIGSEGV },     { "kjump", f_kjump, SIGSEGV },
    { "noncanon", f_noncanon, SIGSEGV }, { "stack", f_stack, SIGSEGV },
    { "nxstack", f_nxstack, SIGSEGV },
};
#define NROWS ((int)(sizeof rows / sizeof rows[0]))

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 1000;
    unsigned seed = argc > 2 ? (unsigned)atoi(argv[2]) : 1;
    int count[NROWS] = { 0 }, expected = 0, unexpected = 0;
    unsigned x = seed;
    for (int i = 0; i < n; i++) {
        x = x * 1103515245u + 12345u;          /* a fixed LCG: the same choices every run */
        int r = (int)((x >> 16) % NROWS);
        pid_t pid = fork();
        if (pid < 0) {
            perror("stress_faults: fork");
            return 1;
        }
        if (pid == 0) {
            rows[r].fault();
            _exit(100);                         /* the fault did not happen */
        }
        int st;
        if (waitpid(pid, &st, 0) == pid && WIFSIGNALED(st) && WTERMSIG(st) == rows[r].signal) {
            expected++;
        } else {
            unexpected++;
            printf("stress_faults: child %d (%s) wait status %#x, expected signal %d\n",
                   (int)pid, rows[r].name, st, rows[r].signal);
        }
        count[r]++;
    }
    printf("stress_faults: children=%d expected=%d unexpected=%d seed=%u", n, expected, unexpected, seed);
    for (int r = 0; r < NROWS; r++)
        printf(" %s=%d", rows[r].name, count[r]);
    printf("\n");
    return unexpected ? 1 : 0;
}
