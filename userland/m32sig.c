/*
 * ia32 signal frames (a 32-bit glibc program, `gcc -m32 -static`): Linux's sigframe and
 * rt_sigframe for IA32 emulation (arch/x86/kernel/signal_32.c), their sigreturns (119, 173)
 * and the i386 signal calls with their compat structures (sigaction 67, rt_sigaction 174,
 * sigprocmask 126, sigpending 73, sigsuspend 72, sigaltstack 186). The same binary runs on the
 * host and in ringlab (tests/test_compat32.py):
 *
 *   - glibc's handlers: an SA_SIGINFO one (rt frame, glibc's __restore_rt) sees the frame as
 *     Linux lays it out (the arguments, CS 0x23, the fsave header and the fxsave area 64-byte
 *     aligned after it, the sw bytes); a plain one (sigframe, glibc's __restore) skips a ud2;
 *   - the FPU state: XMM0-1, ST0, MXCSR and FCW through a handler that clobbers them and edits
 *     XMM1 and MXCSR in the fxsave area and FCW in the fsave header;
 *   - the raw calls: old sigaction with a restorer of our own, rt_sigaction, the 32-bit
 *     masks of sigprocmask/sigpending/sigsuspend, the alternate stack;
 *   - forged frames, each in a child: a kernel CS, the 64-bit CS 0x33 (the process goes on in
 *     64-bit mode: the code there exits 42), data or null selectors as CS or SS, a huge ESP,
 *     IOPL in EFLAGS, a bad fpstate, a reserved xsave header byte (refused: the ia32 frame is
 *     checked in software), a misaligned fpstate (accepted), sigreturns with no frame.
 *
 * Lines starting "xsave" need XSAVE (the host has it, ringlab's qemu64 has not).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include "sigtest.h"

#ifndef __i386__
/* The Makefile also builds every program for x86-64 (musl): this one means only its -m32 build. */
int main(void)
{
    say("m32sig: a 32-bit program, see images/user/m32sig-m32\n");
    return 1;
}
#else
#define USER32_CS 0x23
#define USER_DS   0x2b
#define FP_XSTATE_MAGIC1 0x46505853U
#define FSAVE_HDR 112                     /* struct fregs_state before the fxsave area */
#define SA_IA32_ABI_ 0x02000000           /* kernel-internal: must never show */
#define SA_RESTORER_ 0x04000000           /* the kernel ABI's, not in glibc's header */

static int have_xsave;
static uint8_t *spare;

/* Raw int $0x80 calls (glibc -m32 would use the rt_ variants). */
static long sys3(long nr, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}
static long sys4(long nr, long a, long b, long c, long d)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(nr), "b"(a), "c"(b), "d"(c), "S"(d) : "memory");
    return r;
}

/* Restorers of our own for the raw calls, and code for 64-bit mode: exit_group(42) via
   `syscall` (in 32-bit mode the same bytes make i386 call 231 and run into hlt). */
extern char restore_old[], restore_rt[], code64[];
__asm__(".pushsection .text\n"
        "restore_old: popl %eax\n\tmovl $119, %eax\n\tint $0x80\n\thlt\n"
        "restore_rt: movl $173, %eax\n\tint $0x80\n\thlt\n"
        "code64: .byte 0xb8, 0xe7, 0, 0, 0, 0xbf, 0x2a, 0, 0, 0, 0x0f, 0x05, 0xf4\n"
        ".popsection");

/* ---- glibc's rt handler: the frame ------------------------------------------------ */

static volatile uintptr_t entry_esp, seen_si, seen_uc, seen_fp;
static volatile int seen_code, seen_pid_ok, seen_cs, seen_ss, seen_ds, seen_flags;
static volatile uint32_t seen_magic1, seen_ext, seen_size, seen_fxmagic;

static void rt_handler(int sig, siginfo_t *si, void *ctx)
{
    entry_esp = (uintptr_t)__builtin_frame_address(0) + 4;   /* where pretcode was */
    (void)sig;
    ucontext_t *uc = ctx;
    seen_si = (uintptr_t)si;
    seen_uc = (uintptr_t)ctx;
    seen_code = si->si_code;
    seen_pid_ok = si->si_pid == getpid();
    seen_cs = uc->uc_mcontext.gregs[REG_CS] & 0xffff;
    seen_ss = uc->uc_mcontext.gregs[REG_SS] & 0xffff;
    seen_ds = uc->uc_mcontext.gregs[REG_DS] & 0xffff;
    seen_flags = (int)uc->uc_flags;
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
    seen_fp = (uintptr_t)fp;
    memcpy((void *)&seen_fxmagic, fp + 108, 4);               /* status, magic */
    memcpy((void *)&seen_magic1, fp + FSAVE_HDR + 464, 4);
    memcpy((void *)&seen_ext, fp + FSAVE_HDR + 468, 4);
    memcpy((void *)&seen_size, fp + FSAVE_HDR + 480, 4);
}

static void frame_layout(void)
{
    install(SIGUSR1, rt_handler, 0);
    raise(SIGUSR1);
    say("rt frame: si_code=%d (SI_TKILL) si_pid ok=%d cs=0x%x ss=0x%x ds=0x%x\n", seen_code, seen_pid_ok,
        seen_cs, seen_ss, seen_ds);
    say("rt frame: (esp+4) 16-byte aligned=%d, info at esp+16=%d, uc at esp+144=%d\n", (entry_esp + 4) % 16 == 0,
        seen_si == entry_esp + 16, seen_uc == entry_esp + 144);
    say("rt frame: fpstate after the fsave header 64-byte aligned=%d, magic X86_FXSR_MAGIC=%d, "
        "sw magic1=%d\n", (seen_fp + FSAVE_HDR) % 64 == 0, (seen_fxmagic >> 16) == 0, seen_magic1 == FP_XSTATE_MAGIC1);
    if (have_xsave) {
        unsigned a, b, c, d;
        __cpuid_count(0xd, 0, a, b, c, d);
        say("xsave rt frame: uc_flags UC_FP_XSTATE=%d, xstate_size=cpuid=%d, extended_size=size+4+112=%d\n",
            seen_flags & 1, seen_size == b, seen_ext == seen_size + 4 + FSAVE_HDR);
    } else {
        say("xsave: none, uc_flags=%d xstate_size=%u extended_size=%u\n", seen_flags, seen_size, seen_ext);
    }
}

/* ---- glibc's plain handler: a sigframe, ud2 skipped ---------------------------------- */

static volatile int plain_trapno, plain_cs, plain_sig;
static void plain_handler(int sig)
{
    /* struct sigframe_ia32: pretcode at the entry ESP (the frame address + 4), sig, then sc */
    uintptr_t at = (uintptr_t)__builtin_frame_address(0) + 12;
    __asm__("" : "+r"(at));                                   /* not an object of C's: keep the stores */
    struct sigcontext *sc = (struct sigcontext *)at;
    plain_sig = sig;
    plain_trapno = (int)sc->trapno;
    plain_cs = sc->cs;
    sc->eip += 2;                                             /* over the ud2 */
}

static void sigframe_ud2(void)
{
    install_handler(SIGILL, plain_handler, 0);
    __asm__ volatile("ud2");
    say("sigframe: SIGILL handled, sig=%d trapno=%d cs=0x%x, ud2 skipped\n", plain_sig, plain_trapno, plain_cs);
}

/* ---- the FPU state ------------------------------------------------------------------- */

static uint8_t xin[2][16] = { "xmm0-before-sig", "xmm1-before-sig" }, xout[2][16];
static const uint8_t xnew[16] = "xmm1-from-frame";
static double st_in = 1.5, st_out;
static uint32_t mx_in = 0x5f80, mx_out;
static uint16_t cw_out;

static void fpu_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    uint8_t *fp = (uint8_t *)((ucontext_t *)ctx)->uc_mcontext.fpregs;
    uint32_t cw = 0xffff027f, mx = 0x3f80;
    memcpy(fp, &cw, 4);                                       /* the fsave header's cw wins */
    memcpy(fp + FSAVE_HDR + 24, &mx, 4);
    memcpy(fp + FSAVE_HDR + 160 + 16, xnew, 16);
    static const uint8_t junk[16] = "handler-junk-123";
    uint32_t m = 0x1f80 | 0x6000;
    __asm__ volatile("movdqu %0, %%xmm0\n\tmovdqu %0, %%xmm1\n\tldmxcsr %1\n\tfldz\n\tfstp %%st(0)"
                     ::"m"(junk), "m"(m));   /* i386 code without -msse never holds values in XMM */
}

static void fpu_roundtrip(void)
{
    install(SIGUSR2, fpu_handler, 0);
    long pid = getpid(), tid = syscall(SYS_gettid), nr = SYS_tgkill;
    __asm__ volatile("movdqu (%[in]), %%xmm0\n\tmovdqu 16(%[in]), %%xmm1\n\tfldl %[st]\n\tldmxcsr %[mi]\n\t"
                     "int $0x80\n\t"
                     "stmxcsr %[mo]\n\tfstpl %[so]\n\tfnstcw %[cw]\n\t"
                     "movdqu %%xmm0, (%[out])\n\tmovdqu %%xmm1, 16(%[out])"
                     : [mo] "=m"(mx_out), [so] "=m"(st_out), [cw] "=m"(cw_out), "+a"(nr)
                     : [in] "r"(xin), [out] "r"(xout), [st] "m"(st_in), [mi] "m"(mx_in),
                       "b"(pid), "c"(tid), "d"((long)SIGUSR2)
                     : "memory");
    uint32_t reset = 0x1f80;
    uint16_t cw = 0x37f;
    __asm__ volatile("ldmxcsr %0\n\tfldcw %1" ::"m"(reset), "m"(cw));
    say("fpu: xmm0 kept=%d, xmm1 from the frame=%d, st0=%g, mxcsr from the frame=0x%x, fcw from the "
        "fsave header=0x%x\n", !memcmp(xout[0], xin[0], 16), !memcmp(xout[1], xnew, 16), st_out, mx_out, cw_out);
}

/* ---- the raw i386 calls --------------------------------------------------------------- */

struct old_sa { uint32_t handler, mask, flags, restorer; };
struct rt_sa { uint32_t handler, flags, restorer, mask[2]; };

static volatile int raw_count, raw_rt_code;
static void raw_plain(int sig) { (void)sig; raw_count++; }
static void raw_rt(int sig, siginfo_t *si, void *ctx) { (void)sig, (void)ctx; raw_rt_code = si->si_code; raw_count++; }

static void raw_calls(void)
{
    struct old_sa a = { (uint32_t)raw_plain, 0, SA_RESTORER_, (uint32_t)restore_old }, o;
    say("sigaction(67): %ld\n", sys3(67, SIGUSR1, (long)&a, 0));
    kill(getpid(), SIGUSR1);
    say("sigaction(67) handler ran=%d, returned through sigreturn(119)\n", raw_count);
    memset(&o, 0xff, sizeof o);
    long r1 = sys3(67, SIGUSR1, 0, (long)&o);
    say("sigaction(67) read back: %ld handler same=%d flags=0x%x restorer same=%d ia32 bit hidden=%d\n", r1,
        o.handler == (uint32_t)raw_plain, o.flags, o.restorer == (uint32_t)restore_old, !(o.flags & SA_IA32_ABI_));
    long e1 = sys3(67, SIGKILL, (long)&a, 0), e2 = sys3(67, 99, (long)&a, 0), e3 = sys3(67, SIGUSR1, 16, 0);
    say("sigaction(67) SIGKILL: %ld, bad signal 99: %ld, bad pointer: %ld\n", e1, e2, e3);

    struct rt_sa r = { .handler = (uint32_t)raw_rt, .flags = SA_SIGINFO | SA_RESTORER_, .restorer = (uint32_t)restore_rt }, ro;
    long r2 = sys4(174, SIGUSR1, (long)&r, 0, 8), e4 = sys4(174, SIGUSR1, (long)&r, 0, 4);
    say("rt_sigaction(174): %ld, sigsetsize 4: %ld\n", r2, e4);
    kill(getpid(), SIGUSR1);
    say("rt_sigaction(174) handler ran=%d si_code=%d, returned through rt_sigreturn(173)\n", raw_count, raw_rt_code);
    memset(&ro, 0xff, sizeof ro);
    sys4(174, SIGUSR1, 0, (long)&ro, 8);
    say("rt_sigaction(174) read back: flags=0x%x mask=%x:%x\n", ro.flags, ro.mask[0], ro.mask[1]);

    /* sigprocmask(126)/sigpending(73)/sigsuspend(72): 32-bit masks */
    uint32_t set = 1u << (SIGUSR1 - 1), old = 0, pend = 0;
    say("sigprocmask(126) block: %ld\n", sys3(126, SIG_BLOCK, (long)&set, (long)&old));
    kill(getpid(), SIGUSR1);
    long r3 = sys3(73, (long)&pend, 0, 0);
    say("sigpending(73): %ld set=0x%x handler ran=%d\n", r3, pend, raw_count);
    long r4 = sys3(72, 0, 0, 0);
    say("sigsuspend(72) mask 0: %ld (handler ran=%d)\n", r4, raw_count);
    sys3(126, SIG_SETMASK, (long)&old, 0);
    uint32_t cur = 0;
    long e5 = sys3(126, 7, (long)&set, (long)&cur);
    say("sigprocmask(126) bad how: %ld, current=0x%x\n", e5, cur);
    /* a real-time signal (33..64) blocked with rt_sigprocmask survives SIG_SETMASK through 126 */
    sigset_t rt;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN + 1);
    sigprocmask(SIG_BLOCK, &rt, NULL);
    uint32_t zero = 0;
    sys3(126, SIG_SETMASK, (long)&zero, 0);
    sigset_t now;
    sigprocmask(SIG_SETMASK, NULL, &now);
    say("sigprocmask(126) SIG_SETMASK keeps signals 33-64 blocked=%d\n", sigismember(&now, SIGRTMIN + 1));
    sigprocmask(SIG_UNBLOCK, &rt, NULL);
}

/* ---- the alternate stack --------------------------------------------------------------- */

static uint8_t altstack[16384] __attribute__((aligned(16)));
static volatile uintptr_t alt_esp;
static volatile int alt_flags, alt_uc_ok;
static void alt_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    alt_esp = (uintptr_t)__builtin_frame_address(0);
    stack_t cur;
    sigaltstack(NULL, &cur);
    alt_flags = cur.ss_flags;
    ucontext_t *uc = ctx;
    alt_uc_ok = uc->uc_stack.ss_sp == altstack && uc->uc_stack.ss_size == sizeof altstack;
}

static void alternate_stack(void)
{
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack }, old;
    TRY("sigaltstack", sigaltstack(&ss, &old));
    say("sigaltstack old: flags=%d\n", old.ss_flags);
    install(SIGUSR1, alt_handler, SA_ONSTACK);
    raise(SIGUSR1);
    say("altstack: handler on it=%d, ss_flags there=%d (SS_ONSTACK), uc_stack=%d\n",
        alt_esp > (uintptr_t)altstack && alt_esp < (uintptr_t)altstack + sizeof altstack, alt_flags, alt_uc_ok);
    ss.ss_size = 1024;
    TRY("sigaltstack too small", sigaltstack(&ss, NULL));
    ss.ss_flags = SS_DISABLE;
    TRY("sigaltstack disable", sigaltstack(&ss, NULL));
}

/* ---- forged frames ----------------------------------------------------------------------- */

static int forge_case;
static void forge_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    uint8_t *fp = (uint8_t *)uc->uc_mcontext.fpregs;
    switch (forge_case) {
    case 0: g[REG_CS] = 0x10; break;                               /* kernel CS */
    case 1: g[REG_CS] = 0x33; g[REG_EIP] = (greg_t)code64; break;  /* 64-bit user CS */
    case 2: g[REG_SS] = 0x18; break;                               /* kernel DS as SS */
    case 3: g[REG_SS] = 0; break;                                  /* null SS */
    case 4: g[REG_CS] = USER_DS; break;                            /* a data segment as CS */
    case 5: g[REG_SS] = USER32_CS; break;                          /* a code segment as SS */
    case 6: g[REG_ESP] = (greg_t)0xfffff000; break;                /* a huge ESP */
    case 7: g[REG_EFL] |= 0x3000 | 0x200000; break;                /* IOPL 3 (and ID) */
    case 8: g[REG_CS] = 0x20; break;                               /* RPL 0: becomes 0x23 */
    case 9: uc->uc_mcontext.fpregs = (void *)0xfffff000; break;    /* an unmapped fpstate */
    case 10: uc->uc_mcontext.fpregs = NULL; break;                 /* no fpstate: init state */
    case 11: fp[FSAVE_HDR + 512 + 40] = 1; break;                  /* a reserved xsave header byte */
    case 12: fp[FSAVE_HDR + 512] |= 1 << 3; break;                 /* XSTATE_BV outside XCR0 */
    case 13: memcpy(spare + 8, fp, 1024); uc->uc_mcontext.fpregs = (void *)(spare + 8); break;
    case 14: g[REG_DS] = 0x10; g[REG_ES] = 0; break;               /* a kernel DS: becomes null */
    case 15: g[REG_UESP] = (greg_t)0xfffff000; break;              /* sp_at_signal: never read */
    }
}

static const char *const forge_names[] = {
    "kernel CS 0x10", "64-bit CS 0x33", "kernel data 0x18 as SS", "null SS", "data 0x2b as CS",
    "code 0x23 as SS", "ESP 0xfffff000", "IOPL 3 in EFLAGS", "CS with RPL 0", "unmapped fpstate",
    "null fpstate", "xsave header reserved byte", "xsave XSTATE_BV outside XCR0", "fpstate 8 bytes off",
    "kernel DS in DS", "sp_at_signal changed",
};

static void forge(int c)
{
    if ((c == 11 || c == 12) && !have_xsave)
        return;
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        forge_case = c;
        spare = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        install(SIGUSR1, forge_handler, 0);
        raise(SIGUSR1);
        uint32_t fl;
        uint16_t ds;
        __asm__ volatile("pushf\n\tpopl %0" : "=r"(fl));
        __asm__ volatile("mov %%ds, %0" : "=r"(ds));
        say("%s%s: returned, iopl=%u ds=0x%x\n", c == 11 || c == 12 ? "xsave " : "", forge_names[c],
            (fl >> 12) & 3, ds);
        _exit(0);
    }
    int st = 0;
    waitpid(k, &st, 0);
    if (WIFSIGNALED(st))
        say("%s%s: killed by %s\n", c == 11 || c == 12 ? "xsave " : "", forge_names[c], strsignal(WTERMSIG(st)));
    else if (WEXITSTATUS(st))
        say("%s: exit %d\n", forge_names[c], WEXITSTATUS(st));
}

/* sigreturn with no frame under it: ESP at an unmapped page */
static void no_frame(int nr)
{
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        __asm__ volatile("movl $0x1000, %%esp\n\tint $0x80" ::"a"(nr));
        _exit(0);
    }
    int st = 0;
    waitpid(k, &st, 0);
    say("%s with no frame: %s\n", nr == 119 ? "sigreturn" : "rt_sigreturn",
        WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "returned");
}

int main(void)
{
    unsigned a, b, c, d;
    __cpuid_count(1, 0, a, b, c, d);
    have_xsave = (c >> 27) & 1;
    frame_layout();
    sigframe_ud2();
    fpu_roundtrip();
    raw_calls();
    alternate_stack();
    for (int i = 0; i < (int)(sizeof forge_names / sizeof *forge_names); i++)
        forge(i);
    no_frame(119);
    no_frame(173);
    return 0;
}
#endif
