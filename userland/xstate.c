/*
 * The extended FPU state (XSAVE) in signal frames, as Linux builds and checks it
 * (arch/x86/kernel/fpu/signal.c, arch/x86/include/uapi/asm/sigcontext.h):
 *
 *   - what the CPU and the kernel enabled: CPUID.1:ECX.OSXSAVE, XCR0 (xgetbv), the XSAVE
 *     area's size (CPUID.(EAX=0DH,ECX=0):EBX), AT_MINSIGSTKSZ and AT_HWCAP2;
 *   - the frame: uc_flags.UC_FP_XSTATE, fpstate 64-byte aligned, sw_reserved
 *     (struct _fpx_sw_bytes: FP_XSTATE_MAGIC1, extended_size, xfeatures, xstate_size),
 *     FP_XSTATE_MAGIC2 right after the XSAVE area, the header's XSTATE_BV with x87|SSE;
 *   - a round trip: XMM0-15, the upper halves of YMM0-15 (AVX), x87 ST0, MXCSR set, a signal
 *     taken by a handler that clobbers them all; on return the interrupted code has its own
 *     values back, except what the handler wrote into the frame (XMM1, YMM1's upper half,
 *     MXCSR, ST0), which Linux's sigreturn applies;
 *   - a corrupted frame, each case in a child: which are SIGSEGV (the header's XSTATE_BV
 *     naming a component outside XCR0, a nonzero XCOMP_BV, reserved MXCSR bits, an
 *     unmapped, kernel or misaligned fpstate pointer) and which Linux accepts by falling back
 *     to the legacy 512-byte state (a bad magic1 or magic2, an xstate_size out of range), or
 *     restores a component's init state (xfeatures without AVX, a NULL fpstate);
 *   - the state of each process across context switches (two processes, each with its own
 *     YMM values, yielding to each other);
 *   - execve: the program execs itself with every XMM/YMM register set, and the new image
 *     starts with them in their init state (XMM8-15 and the YMM upper halves zero, MXCSR 0x1f80).
 *
 * Lines starting "xsave" need XSAVE (the host has it; ringlab's -cpu qemu64 has not, and its
 * frames are the 512-byte fxsave ones, as Linux's on such a CPU). The same binary runs on the
 * host and in ringlab (tests/test_xstate.py).
 */
#define _GNU_SOURCE
#include <cpuid.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include "sigtest.h"

#define FP_XSTATE_MAGIC1 0x46505853U   /* arch/x86/include/uapi/asm/sigcontext.h */
#define FP_XSTATE_MAGIC2 0x46505845U
#define UC_FP_XSTATE     0x1           /* arch/x86/include/uapi/asm/ucontext.h */
#define AT_MINSIGSTKSZ_  51
#define AT_HWCAP2_       26
#define HWCAP2_FSGSBASE  (1 << 1)

/* Offsets in the fxsave/xsave area (SDM Vol. 1 Table 10-2, 13.4) */
#define FX_FCW     0
#define FX_MXCSR   24
#define FX_ST0     32
#define FX_XMM0    160
#define FX_SW      464                 /* struct _fpx_sw_bytes */
#define XS_HEADER  512                 /* XSTATE_BV, XCOMP_BV, 48 reserved bytes */

struct sw_bytes {
    uint32_t magic1, extended_size;
    uint64_t xfeatures;
    uint32_t xstate_size, padding[7];
};

static int have_xsave, have_avx;
static uint32_t cpu_xstate_size, ymm_off;
static uint64_t xcr0;

/* Registers the round trip loads before the signal and reads after it (YMM: 32 bytes). */
static uint8_t yin[16][32], yout[16][32];
static double st_in = 1.5, st_out;
static uint32_t mxcsr_in = 0x5f80, mxcsr_out;   /* RC = round up */

/* What the handler changes in the frame, and what it saw there. */
static const uint8_t new_xmm1[16] = "frame-xmm1-new!";
static const uint8_t new_ymm1hi[16] = "frame-ymm1-high";
static volatile int seen_ok, seen_mxcsr_fresh;
static volatile uint32_t seen_magic1, seen_size, seen_ext, seen_magic2, seen_ucflags;
static volatile uint64_t seen_feat, seen_bv;
static volatile uintptr_t seen_fp;

static uint8_t *frame_fp(void *ctx)
{
    return (uint8_t *)((ucontext_t *)ctx)->uc_mcontext.fpregs;
}

static void clobber(void)
{
    static const uint8_t junk[32] = "handler junk handler junk 12345";
    uint32_t m = 0x1f80 | 0x6000;
    if (have_avx)
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu (%0), %%ymm\\n\n\t.endr"
                         ::"r"(junk) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                           "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    else
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu (%0), %%xmm\\n\n\t.endr"
                         ::"r"(junk) : "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                           "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    __asm__ volatile("ldmxcsr %0\n\tfldz\n\tfstp %%st(0)\n\tfld1\n\tfld1\n\tfstp %%st(0)\n\tfstp %%st(0)" ::"m"(m));
}

/* The round trip's handler: reads the frame, writes XMM1, YMM1's upper half, MXCSR and ST0
   in it, then clobbers every register itself. */
static void roundtrip_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    uint32_t m;
    __asm__ volatile("stmxcsr %0" : "=m"(m));
    seen_mxcsr_fresh = m == 0x1f80;                    /* Linux: a handler starts with init state */
    uint8_t *fp = frame_fp(ctx);
    struct sw_bytes sw;
    memcpy(&sw, fp + FX_SW, sizeof sw);
    seen_fp = (uintptr_t)fp;
    seen_ucflags = (uint32_t)((ucontext_t *)ctx)->uc_flags;
    seen_magic1 = sw.magic1;
    seen_size = sw.xstate_size;
    seen_ext = sw.extended_size;
    seen_feat = sw.xfeatures;
    if (have_xsave) {
        memcpy((void *)&seen_magic2, fp + sw.xstate_size, 4);
        memcpy((void *)&seen_bv, fp + XS_HEADER, 8);
    }
    int ok = !memcmp(fp + FX_XMM0, yin[0], 16) && !memcmp(fp + FX_XMM0 + 15 * 16, yin[15], 16);
    uint32_t fmx;
    memcpy(&fmx, fp + FX_MXCSR, 4);
    ok &= fmx == mxcsr_in;
    if (have_avx)
        ok &= !memcmp(fp + ymm_off, yin[0] + 16, 16) && !memcmp(fp + ymm_off + 15 * 16, yin[15] + 16, 16);
    seen_ok = ok;
    memcpy(fp + FX_XMM0 + 16, new_xmm1, 16);
    if (have_avx)
        memcpy(fp + ymm_off + 16, new_ymm1hi, 16);
    uint32_t nm = 0x1f80 | 0x2000;                     /* RC = round down */
    memcpy(fp + FX_MXCSR, &nm, 4);
    /* ST0 as an 80-bit value: 2.5 = 1.25 * 2^1: significand 0xa000000000000000, exponent 0x4000 */
    uint64_t sig80 = 0xa000000000000000ULL;
    uint16_t exp80 = 0x4000;
    memcpy(fp + FX_ST0, &sig80, 8);
    memcpy(fp + FX_ST0 + 8, &exp80, 2);
    clobber();
}

/* Load every register from yin, fldl st_in, ldmxcsr; tgkill(self, SIGUSR1) with `syscall`
   (the handler runs on its return); then store them all to yout. */
static void roundtrip_once(void)
{
    long pid = getpid(), tid = syscall(SYS_gettid);
    if (have_avx)
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu \\n*32(%[in]), %%ymm\\n\n\t.endr\n\t"
                         "fldl %[st]\n\tldmxcsr %[mi]\n\t"
                         "syscall\n\t"
                         "stmxcsr %[mo]\n\tfstpl %[so]\n\t"
                         ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu %%ymm\\n, \\n*32(%[out])\n\t.endr\n\t"
                         "vzeroupper"
                         : [mo] "=m"(mxcsr_out), [so] "=m"(st_out), "+a"(*(long[]){ SYS_tgkill })
                         : [in] "r"(yin), [out] "r"(yout), [st] "m"(st_in), [mi] "m"(mxcsr_in),
                           "D"(pid), "S"(tid), "d"((long)SIGUSR1)
                         : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                           "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    else
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu \\n*32(%[in]), %%xmm\\n\n\t.endr\n\t"
                         "fldl %[st]\n\tldmxcsr %[mi]\n\t"
                         "syscall\n\t"
                         "stmxcsr %[mo]\n\tfstpl %[so]\n\t"
                         ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu %%xmm\\n, \\n*32(%[out])\n\t.endr"
                         : [mo] "=m"(mxcsr_out), [so] "=m"(st_out), "+a"(*(long[]){ SYS_tgkill })
                         : [in] "r"(yin), [out] "r"(yout), [st] "m"(st_in), [mi] "m"(mxcsr_in),
                           "D"(pid), "S"(tid), "d"((long)SIGUSR1)
                         : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                           "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    uint32_t reset = 0x1f80;
    __asm__ volatile("ldmxcsr %0" ::"m"(reset));
}

static void fill(uint8_t seed)
{
    for (int r = 0; r < 16; r++)
        for (int i = 0; i < 32; i++)
            yin[r][i] = (uint8_t)(seed + r * 32 + i);
    memset(yout, 0, sizeof yout);
}

static void roundtrip(void)
{
    install(SIGUSR1, roundtrip_handler, 0);
    fill(1);
    roundtrip_once();
    int kept = 1;
    for (int r = 0; r < 16; r++)
        if (r != 1)
            kept &= !memcmp(yout[r], yin[r], have_avx ? 32 : 16);
    say("roundtrip: handler saw the interrupted state in the frame=%d, started with MXCSR 0x1f80=%d\n",
        seen_ok, seen_mxcsr_fresh);
    say("roundtrip: registers the handler clobbered are back=%d\n", kept);
    say("roundtrip: frame edits applied: xmm1=%d mxcsr=0x%x st0=%g\n", !memcmp(yout[1], new_xmm1, 16),
        mxcsr_out, st_out);
    if (have_avx)
        say("xsave avx: ymm1 upper half from the frame=%d, ymm0 upper kept=%d\n",
            !memcmp(yout[1] + 16, new_ymm1hi, 16), !memcmp(yout[0] + 16, yin[0] + 16, 16));
    say("frame: fpstate 64-byte aligned=%d\n", seen_fp % 64 == 0);
    if (have_xsave)
        say("xsave frame: uc_flags UC_FP_XSTATE=%d xstate_size=cpuid=%d extended_size=size+4=%d "
            "xfeatures=xcr0=%d magic2=%d xstate_bv has x87|sse=%d\n", !!(seen_ucflags & UC_FP_XSTATE),
            seen_size == cpu_xstate_size, seen_ext == seen_size + 4, seen_feat == xcr0,
            seen_magic2 == FP_XSTATE_MAGIC2, (seen_bv & 3) == 3);
    else    /* Linux writes the sw bytes even without XSAVE (save_xstate_epilog), no MAGIC2 */
        say("xsave: none, uc_flags UC_FP_XSTATE=%d sw bytes magic1=%d xstate_size=%u extended_size=%u "
            "xfeatures=0x%lx\n", !!(seen_ucflags & UC_FP_XSTATE), seen_magic1 == FP_XSTATE_MAGIC1, seen_size,
            seen_ext, (unsigned long)seen_feat);
}

/* ---- corrupted frames -------------------------------------------------- */

static int corrupt_case;
static uint8_t *spare;                 /* a page for a moved fpstate */

static void corrupt_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    uint8_t *fp = frame_fp(ctx);
    struct sw_bytes *sw = (struct sw_bytes *)(fp + FX_SW);
    uint32_t size = sw->xstate_size + 4;
    memcpy(fp + FX_XMM0 + 16, new_xmm1, 16);
    if (have_avx)
        memcpy(fp + ymm_off + 16, new_ymm1hi, 16);
    switch (corrupt_case) {
    case 0: break;                                                   /* untouched */
    case 1: fp[XS_HEADER] |= 1 << 3; break;                          /* XSTATE_BV: BNDREGS */
    case 2: fp[XS_HEADER + 8] = 1; break;                            /* XCOMP_BV */
    case 3: fp[XS_HEADER + 40] = 1; break;                           /* a reserved header byte */
    case 4: sw->magic1 ^= 1; break;
    case 5: fp[sw->xstate_size] ^= 1; break;                         /* magic2 */
    case 6: sw->xstate_size = 0x10000; break;                        /* past the kernel's size */
    case 7: sw->xstate_size = 512; break;                            /* below legacy + header */
    case 8: sw->xfeatures = 3; break;                                /* x87|SSE only */
    case 9: sw->xfeatures |= 1ULL << 40; break;                      /* a feature nobody has */
    case 10: fp[FX_MXCSR + 2] = 1; break;                            /* MXCSR bit 16: reserved */
    case 11: uc->uc_mcontext.fpregs = NULL; break;
    case 12: uc->uc_mcontext.fpregs = (void *)spare; munmap(spare, 4096); break;
    case 13: uc->uc_mcontext.fpregs = (void *)0xffff800000001000UL; break;
    case 14: memcpy(spare + 16, fp, size); uc->uc_mcontext.fpregs = (void *)(spare + 16); break;
    case 15: memcpy(spare + 8, fp, size); uc->uc_mcontext.fpregs = (void *)(spare + 8); break;
    case 16: sw->extended_size = sw->xstate_size - 1; break;         /* smaller than the state */
    }
    clobber();
}

static const char *const corrupt_names[] = {
    "untouched", "xstate_bv names a component outside xcr0", "xcomp_bv nonzero",
    "a reserved header byte", "bad magic1", "bad magic2", "xstate_size too big",
    "xstate_size too small", "xfeatures x87|sse only", "xfeatures with an unknown bit",
    "reserved mxcsr bit", "null fpstate", "unmapped fpstate", "kernel fpstate",
    "fpstate 16-byte aligned only", "fpstate 8-byte aligned", "extended_size below xstate_size",
};

static void corrupt(int c)
{
    /* cases that only mean something with XSAVE: the sw bytes, the header, 64-byte alignment */
    int xs_only = (c >= 1 && c <= 9) || c == 14 || c == 16;
    if (xs_only && !have_xsave)
        return;
    fflush(stdout);
    pid_t k = fork();
    if (k == 0) {
        corrupt_case = c;
        spare = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        install(SIGUSR1, corrupt_handler, 0);
        fill(7);
        roundtrip_once();
        say("%s%s: returned, xmm1 from frame=%d xmm0 kept=%d mxcsr=0x%x\n", xs_only ? "xsave " : "",
            corrupt_names[c], !memcmp(yout[1], new_xmm1, 16), !memcmp(yout[0], yin[0], 16), mxcsr_out);
        if (have_avx)
            say("xsave avx, %s: ymm1 upper half %s\n", corrupt_names[c],
                !memcmp(yout[1] + 16, new_ymm1hi, 16) ? "from the frame"
                : !memcmp(yout[1] + 16, (uint8_t[16]){ 0 }, 16) ? "in its init state (zero)" : "other");
        _exit(0);
    }
    int st = 0;
    waitpid(k, &st, 0);
    if (WIFSIGNALED(st))
        say("%s%s: killed by %s\n", xs_only ? "xsave " : "", corrupt_names[c], strsignal(WTERMSIG(st)));
}

/* ---- switches ----------------------------------------------------------- */

/* Load YMM0-15 (or XMM) with a pattern of this process, yield `n` times with `syscall`, read
   them back: the state of each process survives every switch to the other. */
static int survives_switches(uint8_t seed, int n)
{
    fill(seed);
    for (int i = 0; i < n; i++) {
        if (have_avx)
            __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu \\n*32(%[in]), %%ymm\\n\n\t.endr\n\t"
                             "syscall\n\t"
                             ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu %%ymm\\n, \\n*32(%[out])\n\t.endr\n\t"
                             "vzeroupper"
                             : "+a"(*(long[]){ SYS_sched_yield })
                             : [in] "r"(yin), [out] "r"(yout)
                             : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                               "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
        else
            __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu \\n*32(%[in]), %%xmm\\n\n\t.endr\n\t"
                             "syscall\n\t"
                             ".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu %%xmm\\n, \\n*32(%[out])\n\t.endr"
                             : "+a"(*(long[]){ SYS_sched_yield })
                             : [in] "r"(yin), [out] "r"(yout)
                             : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",
                               "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
        for (int r = 0; r < 16; r++)
            if (memcmp(yout[r], yin[r], have_avx ? 32 : 16))
                return 0;
    }
    return 1;
}

static void switches(void)
{
    fflush(stdout);
    pid_t k = fork();
    if (k == 0)
        _exit(survives_switches(0x40, 200) ? 0 : 1);
    int mine = survives_switches(0x80, 200), st = 0;
    waitpid(k, &st, 0);
    say("switches: parent's registers kept=%d, child's kept=%d\n", mine, WIFEXITED(st) && !WEXITSTATUS(st));
}

/* ---- what the CPU and the kernel report --------------------------------- */

static volatile int rdfs_faulted;
static void on_sigill(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    rdfs_faulted = 1;
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_RIP] += 5;   /* f3 48 0f ae c0: rdfsbase %rax */
}

static void cpu_facts(void)
{
    unsigned a, b, c, d;
    __cpuid_count(1, 0, a, b, c, d);
    have_xsave = (c >> 27) & 1;
    if (have_xsave) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo | (uint64_t)hi << 32;
        have_avx = ((c >> 28) & 1) && (xcr0 & 6) == 6;
    }
}

static void report_quiet(void) { cpu_facts(); }

static void report(void)
{
    unsigned a, b, c, d;
    __cpuid_count(1, 0, a, b, c, d);
    have_xsave = (c >> 27) & 1;                        /* OSXSAVE: the kernel set CR4.OSXSAVE */
    if (have_xsave) {
        uint32_t lo, hi;
        __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
        xcr0 = lo | (uint64_t)hi << 32;
        have_avx = ((c >> 28) & 1) && (xcr0 & 6) == 6;
        __cpuid_count(0xd, 0, a, b, c, d);
        cpu_xstate_size = b;
        __cpuid_count(0xd, 2, a, b, c, d);
        ymm_off = b;
        say("xsave: OSXSAVE set, xcr0 has x87|sse=%d avx=%d, ymm state at %u\n", (int)(xcr0 & 3) == 3,
            have_avx, ymm_off);
    } else {
        say("xsave: none, 512-byte fxsave frames\n");
    }
    unsigned long minsig = getauxval(AT_MINSIGSTKSZ_), hwcap2 = getauxval(AT_HWCAP2_);
    /* The worst-case frame Linux computes (arch/x86/kernel/signal.c init_sigframe_size): at
       least a 64-bit frame and the fpstate of this CPU */
    unsigned long fpsize = have_xsave ? cpu_xstate_size + 4 : 512;
    say("auxv: AT_MINSIGSTKSZ holds a frame=%d (<= 4096: %d)\n", minsig >= 440 + fpsize + 64,
        minsig <= 4096);
    struct sigaction sa = { .sa_sigaction = on_sigill, .sa_flags = SA_SIGINFO };
    sigaction(SIGILL, &sa, NULL);
    uint64_t v = 0;
    __asm__ volatile(".byte 0xf3, 0x48, 0x0f, 0xae, 0xc0" : "+a"(v));   /* rdfsbase %rax */
    say("auxv: AT_HWCAP2 FSGSBASE bit=rdfsbase works: %d\n", !!(hwcap2 & HWCAP2_FSGSBASE) == !rdfs_faulted);
}

/* ---- execve: the new image starts with the init state ---------------------- */

extern char **environ;
static uint8_t at_entry[16][32];        /* the registers as main found them (upper halves: AVX only) */

/* Load every register with a pattern and call execve(self, "after-exec") with `syscall` */
static void exec_with_state(char *self)
{
    char *argv[] = { self, "after-exec", NULL };
    fill(0x33);
    fflush(stdout);
    long nr = SYS_execve;
    if (have_avx)
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu \\n*32(%[in]), %%ymm\\n\n\t.endr\n\t"
                         "syscall"
                         : "+a"(nr) : [in] "r"(yin), "D"(self), "S"(argv), "d"(environ)
                         : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                           "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    else
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu \\n*32(%[in]), %%xmm\\n\n\t.endr\n\t"
                         "syscall"
                         : "+a"(nr) : [in] "r"(yin), "D"(self), "S"(argv), "d"(environ)
                         : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
                           "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    say("exec: execve failed: %ld\n", nr);
}

static void after_exec(void)
{
    int upper_zero = 1, high_xmm_zero = 1;
    for (int r = 0; r < 16; r++) {
        for (int i = 0; i < 16; i++) {
            upper_zero &= at_entry[r][16 + i] == 0;
            high_xmm_zero &= r < 8 || at_entry[r][i] == 0;
        }
    }
    uint32_t mx;
    __asm__ volatile("stmxcsr %0" : "=m"(mx));
    say("exec: the new image has xmm8-15 zero=%d mxcsr=0x%x\n", high_xmm_zero, mx);
    if (have_avx)
        say("xsave avx exec: the upper halves of ymm0-15 zero=%d\n", upper_zero);
}

int main(int argc, char **argv)
{
    /* First, before any library code: the registers execve left (musl's startup is not AVX code
       and leaves the upper halves alone). AVX only after CPUID says so: read it without calls. */
    unsigned a, b, c, d;
    __cpuid_count(1, 0, a, b, c, d);
    if (((c >> 27) & 1) && ((c >> 28) & 1))
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tvmovdqu %%ymm\\n, \\n*32(%0)\n\t.endr"
                         ::"r"(at_entry) : "memory");
    else
        __asm__ volatile(".irp n,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\n\tmovdqu %%xmm\\n, \\n*32(%0)\n\t.endr"
                         ::"r"(at_entry) : "memory");
    if (argc > 1 && !strcmp(argv[1], "after-exec")) {
        report_quiet();
        after_exec();
        return 0;
    }
    report();
    roundtrip();
    for (int c = 0; c < (int)(sizeof corrupt_names / sizeof *corrupt_names); c++)
        corrupt(c);
    switches();
    exec_with_state(argv[0]);
    return 1;
}
