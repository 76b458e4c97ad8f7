/*
 * What a fresh program sees after execve: the registers at its very first instruction and the
 * process state the kernel keeps or resets. Linux's rules (fs/exec.c begin_new_exec,
 * arch/x86/kernel/process_64.c start_thread_common, fpu__clear_user_states): every general
 * register 0 but RSP, RFLAGS 0x202, the x87/SSE state as after reset (XMM 0, MXCSR 0x1f80,
 * FCW 0x37f), DS/ES/FS/GS selectors null, FS and GS bases 0; handled signals back to SIG_DFL,
 * ignored ones stay ignored, the blocked mask and pending signals stay, no alternate stack.
 *
 *   execstate          dirties all of that (XMM, MXCSR, FCW, GS/DS/ES selectors, GS base,
 *                      handlers, a blocked pending signal, an alternate stack), then execs itself
 *   execstate dump     prints what its entry stub saw and the process state
 *
 * The program's ELF entry is `state_entry` (userland/Makefile), which stores the registers
 * before musl's _start runs any code, then jumps there. The same binary runs on the host's
 * Linux and in ringlab (tests/test_hostile.py) and must print the same.
 */
#define _GNU_SOURCE
#define ARCH_SET_GS 0x1001             /* asm/prctl.h (not in musl-gcc's headers) */
#define ARCH_GET_GS 0x1004
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct entry_state {
    uint8_t xmm[16][16];       /*   0 */
    uint32_t mxcsr;            /* 256 */
    uint16_t fcw, fsw;         /* 260, 262 */
    uint16_t ds, es, fs, gs;   /* 264 .. 270 */
    uint64_t gpr[15];          /* 272: rax rbx rcx rdx rsi rdi rbp r8..r15 */
    uint64_t rflags;           /* 392 */
};
struct entry_state entry_state;

/* Stores only: no register but RSP changes before musl's _start (RSP is restored). */
__asm__(".globl state_entry\n"
        "state_entry:\n"
        "  movdqu %xmm0, entry_state+0(%rip)\n  movdqu %xmm1, entry_state+16(%rip)\n"
        "  movdqu %xmm2, entry_state+32(%rip)\n  movdqu %xmm3, entry_state+48(%rip)\n"
        "  movdqu %xmm4, entry_state+64(%rip)\n  movdqu %xmm5, entry_state+80(%rip)\n"
        "  movdqu %xmm6, entry_state+96(%rip)\n  movdqu %xmm7, entry_state+112(%rip)\n"
        "  movdqu %xmm8, entry_state+128(%rip)\n  movdqu %xmm9, entry_state+144(%rip)\n"
        "  movdqu %xmm10, entry_state+160(%rip)\n  movdqu %xmm11, entry_state+176(%rip)\n"
        "  movdqu %xmm12, entry_state+192(%rip)\n  movdqu %xmm13, entry_state+208(%rip)\n"
        "  movdqu %xmm14, entry_state+224(%rip)\n  movdqu %xmm15, entry_state+240(%rip)\n"
        "  stmxcsr entry_state+256(%rip)\n  fnstcw entry_state+260(%rip)\n  fnstsw entry_state+262(%rip)\n"
        "  movw %ds, entry_state+264(%rip)\n  movw %es, entry_state+266(%rip)\n"
        "  movw %fs, entry_state+268(%rip)\n  movw %gs, entry_state+270(%rip)\n"
        "  movq %rax, entry_state+272(%rip)\n  movq %rbx, entry_state+280(%rip)\n"
        "  movq %rcx, entry_state+288(%rip)\n  movq %rdx, entry_state+296(%rip)\n"
        "  movq %rsi, entry_state+304(%rip)\n  movq %rdi, entry_state+312(%rip)\n"
        "  movq %rbp, entry_state+320(%rip)\n  movq %r8, entry_state+328(%rip)\n"
        "  movq %r9, entry_state+336(%rip)\n  movq %r10, entry_state+344(%rip)\n"
        "  movq %r11, entry_state+352(%rip)\n  movq %r12, entry_state+360(%rip)\n"
        "  movq %r13, entry_state+368(%rip)\n  movq %r14, entry_state+376(%rip)\n"
        "  movq %r15, entry_state+384(%rip)\n"
        "  pushfq\n  popq entry_state+392(%rip)\n"
        "  jmp _start\n");

static void handler(int sig)
{
    (void)sig;
}

static char altstack[65536];

static int dirty_and_exec(char *self)
{
    /* XMM0-15 = 0x11.., 0x22.., ...; MXCSR with round-to-zero and flush-to-zero; FCW 53-bit */
    uint8_t pattern[16][16];
    for (int i = 0; i < 16; i++)
        memset(pattern[i], 0x11 * (i + 1), 16);
    __asm__ volatile("movdqu 0(%0), %%xmm0\n movdqu 16(%0), %%xmm1\n movdqu 32(%0), %%xmm2\n"
                     "movdqu 48(%0), %%xmm3\n movdqu 64(%0), %%xmm4\n movdqu 80(%0), %%xmm5\n"
                     "movdqu 96(%0), %%xmm6\n movdqu 112(%0), %%xmm7\n movdqu 128(%0), %%xmm8\n"
                     "movdqu 144(%0), %%xmm9\n movdqu 160(%0), %%xmm10\n movdqu 176(%0), %%xmm11\n"
                     "movdqu 192(%0), %%xmm12\n movdqu 208(%0), %%xmm13\n movdqu 224(%0), %%xmm14\n"
                     "movdqu 240(%0), %%xmm15\n" ::"r"(pattern) : "memory");
    uint32_t mxcsr = 0xff80;
    uint16_t fcw = 0x027f, ss;
    __asm__ volatile("ldmxcsr %0\n fldcw %1" ::"m"(mxcsr), "m"(fcw));
    /* The user data selector (SS's) in DS, ES and GS; a GS base of our own. FS is musl's. */
    __asm__ volatile("mov %%ss, %0" : "=r"(ss));
    __asm__ volatile("mov %0, %%ds\n mov %0, %%es\n mov %0, %%gs" ::"r"(ss));
    syscall(SYS_arch_prctl, ARCH_SET_GS, 0x12345000UL);
    /* Handlers, an ignored signal, a blocked pending signal, an alternate stack */
    signal(SIGUSR1, handler);
    signal(SIGUSR2, SIG_IGN);
    signal(SIGTERM, handler);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigprocmask(SIG_BLOCK, &set, NULL);
    raise(SIGTERM);
    stack_t st = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&st, NULL);
    char *argv[] = { self, "dump", NULL };
    /* execve straight from here: no library call may clobber the XMM registers first */
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(SYS_execve), "D"(self), "S"(argv), "d"(environ)
                     : "rcx", "r11", "memory");
    printf("execve failed: %ld\n", r);
    return 1;
}

static int dump(void)
{
    static const char *names[] = { "rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
                                   "r11", "r12", "r13", "r14", "r15" };
    for (int i = 0; i < 15; i++)
        printf("%s=%#lx%s", names[i], (unsigned long)entry_state.gpr[i], i % 5 == 4 ? "\n" : " ");
    printf("rflags=%#lx\n", (unsigned long)entry_state.rflags);
    for (int i = 0; i < 16; i++) {
        int nonzero = 0;
        for (int b = 0; b < 16; b++)
            nonzero |= entry_state.xmm[i][b];
        printf("xmm%d=%s%s", i, nonzero ? "dirty" : "0", i % 8 == 7 ? "\n" : " ");
    }
    printf("mxcsr=%#x fcw=%#x fsw=%#x\n", entry_state.mxcsr, entry_state.fcw, entry_state.fsw);
    printf("ds=%#x es=%#x fs=%#x gs=%#x\n", entry_state.ds, entry_state.es, entry_state.fs, entry_state.gs);
    unsigned long gsbase = 1;
    syscall(SYS_arch_prctl, ARCH_GET_GS, &gsbase);
    printf("gs base=%#lx\n", gsbase);
    for (int sig = 1; sig < 32; sig++) {
        struct sigaction sa;
        if (sigaction(sig, NULL, &sa))
            continue;
        if (sa.sa_handler != SIG_DFL)
            printf("signal %d (%s): %s\n", sig, strsignal(sig), sa.sa_handler == SIG_IGN ? "ignored" : "handled");
    }
    sigset_t blocked, pending;
    sigprocmask(SIG_BLOCK, NULL, &blocked);
    sigpending(&pending);
    for (int sig = 1; sig < 32; sig++) {
        if (sigismember(&blocked, sig))
            printf("blocked: %d (%s)\n", sig, strsignal(sig));
        if (sigismember(&pending, sig))
            printf("pending: %d (%s)\n", sig, strsignal(sig));
    }
    stack_t st;
    sigaltstack(NULL, &st);
    printf("alternate stack: %s\n", st.ss_flags & SS_DISABLE ? "none" : "kept");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "dump"))
        return dump();
    return dirty_and_exec(argv[0]);
}
