/*
 * The user's floating-point and vector state: XSAVE where the CPU has it, as Linux sets it up
 * (arch/x86/kernel/fpu/init.c, xstate.c), else FXSAVE.
 *
 * Boot (fpu_init, from cpu_init): CPUID.1:ECX.XSAVE says whether the CPU has XSAVE. TCG's
 * `-cpu max` (QEMU 7.2) has it, with x87, SSE and AVX in CPUID leaf 0xD (EAX 0x21f: also
 * MPX's BNDREGS/BNDCSR, which Linux no longer enables since 5.6, and PKRU, which Linux
 * enables only with CR4.PKE: ringlab leaves PKE clear, so both stay out of XCR0);
 * `-cpu qemu64` has no XSAVE (and no AVX): there ringlab keeps FXSAVE, as Linux does on such
 * a CPU, and its signal frames carry the 512-byte fxsave area. With XSAVE, CR4.OSXSAVE is
 * set (SDM Vol. 3A 2.5: it makes xgetbv/xsetbv and the XSAVE family usable, and CPUID.1:
 * ECX.OSXSAVE visible to ring 3) and XCR0 = the user components Linux supports that CPUID
 * (EAX=0DH,ECX=0):EDX:EAX lists; the area's size is then CPUID.(EAX=0DH,ECX=0):EBX.
 *
 * Per thread (struct proc's xstate): the area of its process slot, as Linux embeds the
 * fpstate in the task (arch_task_struct_size): a page per slot in the kernel's own memory,
 * owned by the slot, put in the init state by proc_alloc (fpu_area) and never freed, so a
 * fork needs no page for it and no allocation can fail there. The live registers are the running thread's own: the kernel never uses x87/SSE (-mno-sse), so
 * the state is saved only when the scheduler switches the thread out and restored when it
 * switches it in (xsave64/xrstor64 with XCR0), never on a system call or an interrupt.
 * execve puts the init state back (fpu_init_state), fork and clone copy the caller's live
 * registers. fpu_thread_xstate gives the area of a thread that is not running (ptrace).
 *
 * Signal frames: arch/x86/kernel/fpu/signal.c is the reference for the layout (the area
 * 64-byte aligned, struct _fpx_sw_bytes in bytes 464..511, FP_XSTATE_MAGIC2 after the area,
 * XSTATE_BV always with x87|SSE) and for what sigreturn accepts: sw bytes that don't
 * describe an xstate frame (magic1, a size out of range, magic2) fall back to the legacy
 * 512 bytes with every other component in its init state; a NULL fpstate is the init
 * state; a 64-bit frame is restored by xrstor/fxrstor from the user's memory on Linux, so
 * what those instructions refuse with #GP (SDM Vol. 1 13.8: XSTATE_BV outside XCR0, bytes
 * 8..23 of the header nonzero, a misaligned area, reserved MXCSR bits) is SIGSEGV; ringlab
 * copies the frame into a kernel buffer and checks exactly those conditions first, so the
 * kernel's own xrstor never faults. An ia32 frame is validated in software as Linux's
 * copy_uabi_to_xstate does (the reserved header bytes too, any alignment).
 */
#include "kernel.h"
#include "errno.h"
#include "fpu.h"
#include "gdt.h"
#include "msr.h"
#include "proc.h"
#include "vm.h"
#include "x86.h"

#define CPUID1_ECX_XSAVE   (1u << 26)   /* XSAVE/XRSTOR/XSETBV/XGETBV, XCR0 */
#define XCR_XFEATURES      0            /* XCR0 */
#define MXCSR_DEFAULT_MASK 0xffbf       /* when fxsave's MXCSR_MASK reads 0 (SDM Vol. 1 11.6.6) */
#define FCW_INIT           0x037f       /* after fninit */
#define MXCSR_INIT         0x1f80       /* every exception masked */
#define XFEATURE_AVX512    (XFEATURE_OPMASK | XFEATURE_ZMM_HI256 | XFEATURE_HI16_ZMM)
/* sizeof(struct sigframe_ia32) (arch/x86/include/asm/sigframe.h): the largest frame without
   its fpstate, which Linux's AT_MINSIGSTKSZ counts when IA32 emulation is on */
#define SIGFRAME_IA32_BYTES 732
#define FRAME_ALIGNMENT     16
#define MAX_XSAVE_PADDING   63

bool fpu_xsave;
uint64_t fpu_xfeatures = XFEATURE_FPSSE;
uint32_t fpu_user_size = FXSAVE_BYTES;
static uint32_t mxcsr_mask = MXCSR_DEFAULT_MASK;

/* Where each extended component (XCR0 bits 2..) lies in the standard-format area, and its size:
   CPUID.(EAX=0DH,ECX=i):EBX and EAX (SDM Vol. 1 13.4.3), read at boot for the enabled ones. */
static uint32_t comp_off[XFEATURE_NBITS], comp_size[XFEATURE_NBITS];

static uint8_t init_area[FPU_AREA_MAX] __attribute__((aligned(64)));
static uint8_t areas[NPROC][FPU_AREA_MAX] __attribute__((aligned(64)));   /* one per process slot */
/* One CPU: the buffer a signal frame's state passes through (never across a sleep). */
static uint8_t scratch[FPU_AREA_MAX] __attribute__((aligned(64)));

static inline void xsetbv(uint32_t xcr, uint64_t v)
{
    __asm__ volatile("xsetbv" ::"c"(xcr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline void xsave64(void *area, uint64_t rfbm)
{
    __asm__ volatile("xsave64 (%0)" ::"r"(area), "a"((uint32_t)rfbm), "d"((uint32_t)(rfbm >> 32)) : "memory");
}

static inline void xrstor64(const void *area, uint64_t rfbm)
{
    __asm__ volatile("xrstor64 (%0)" ::"r"(area), "a"((uint32_t)rfbm), "d"((uint32_t)(rfbm >> 32)) : "memory");
}

static inline void fxsave64(void *area) { __asm__ volatile("fxsave64 (%0)" ::"r"(area) : "memory"); }
static inline void fxrstor64(const void *area) { __asm__ volatile("fxrstor64 (%0)" ::"r"(area) : "memory"); }

static uint64_t xcr0_size(uint64_t xcr0)
{
    uint32_t a, b, c, d;
    xsetbv(XCR_XFEATURES, xcr0);
    cpuid(0xd, 0, &a, &b, &c, &d);
    return b;                                   /* EBX: the area for the XCR0 now set */
}

uint64_t fpu_init(void)
{
    uint32_t a, b, c, d;
    memset(scratch, 0, FXSAVE_BYTES);
    fxsave64(scratch);
    uint32_t m = *(uint32_t *)&scratch[FXSAVE_MXCSR_MASK];
    mxcsr_mask = m ? m : MXCSR_DEFAULT_MASK;
    cpuid(1, 0, &a, &b, &c, &d);
    uint64_t cr4 = 0;
    if (c & CPUID1_ECX_XSAVE) {
        cr4 = CR4_OSXSAVE;
        lcr4(rcr4() | cr4);
        cpuid(0xd, 0, &a, &b, &c, &d);
        uint64_t xcr0 = ((uint64_t)d << 32 | a) & XFEATURE_USER;
        if ((xcr0 & XFEATURE_AVX512) != XFEATURE_AVX512)
            xcr0 &= ~XFEATURE_AVX512;           /* Linux: the three AVX-512 components or none */
        uint64_t size = xcr0_size(xcr0);
        if (size > FPU_AREA_MAX) {              /* not on any CPU QEMU models: keep to one page */
            xcr0 &= ~XFEATURE_AVX512;
            size = xcr0_size(xcr0);
        }
        fpu_xsave = true;
        fpu_xfeatures = xcr0;
        fpu_user_size = (uint32_t)size;
        for (int i = 2; i < XFEATURE_NBITS; i++) {
            if (!(xcr0 & (1UL << i)))
                continue;
            cpuid(0xd, (uint32_t)i, &a, &b, &c, &d);
            comp_size[i] = a;
            comp_off[i] = b;
        }
    }
    fpu_init_state(init_area);
    fpu_load_init();
    kevent("fpu xsave=%d xcr0=0x%lx size=%u minsigstksz=%lu", fpu_xsave, fpu_xfeatures, fpu_user_size,
           fpu_minsigstksz());
    return cr4;
}

/* Linux fpstate_init_user: every register 0, FCW and MXCSR as after reset (SDM Vol. 1 8.1.5,
   10.2.3.1); XSTATE_BV 0 puts every extended component in its init state. */
void fpu_init_state(void *area)
{
    uint8_t *a = area;
    memset(a, 0, fpu_user_size);
    *(uint16_t *)&a[FXSAVE_FCW] = FCW_INIT;
    *(uint32_t *)&a[FXSAVE_MXCSR] = MXCSR_INIT;
}

void *fpu_area(int slot)
{
    fpu_init_state(areas[slot]);
    return areas[slot];
}

void fpu_save(void *area)
{
    if (fpu_xsave)
        xsave64(area, fpu_xfeatures);
    else
        fxsave64(area);
}

void fpu_restore(const void *area)
{
    if (fpu_xsave)
        xrstor64(area, fpu_xfeatures);
    else
        fxrstor64(area);
}

void fpu_load_init(void)
{
    fpu_restore(init_area);
}

/* The saved area of a thread that is switched out (its live registers are the CPU's while it
   runs): ptrace's GETFPREGS / NT_X86_XSTATE read it. */
const void *fpu_thread_xstate(const struct proc *p, uint32_t *size)
{
    *size = fpu_user_size;
    return p->xstate;
}

/* The legacy region (x87 and SSE in fxsave's layout) of a switched-out thread's area: PTRACE_
   GETFPREGS / NT_PRFPREG. Both XSAVE and FXSAVE write it in the same layout. */
const uint8_t *fpu_thread_fxsave(const struct proc *p)
{
    return p->xstate;
}

/* SETFPREGS: the new x87/SSE values; with XSAVE the header then marks x87 and SSE present, or
   xrstor would put them in their init state instead (Linux xfpregs_set). */
void fpu_thread_set_fxsave(struct proc *p, const uint8_t fx[FXSAVE_BYTES])
{
    uint8_t *a = p->xstate;
    memcpy(a, fx, FXSAVE_BYTES);
    if (fpu_xsave)
        *(uint64_t *)&a[XSAVE_HEADER] |= XFEATURE_FPSSE;
}

/* ---- ptrace's NT_X86_XSTATE ------------------------------------------------- */

#define LEGACY_X87_BYTES 160       /* x87 component in the legacy region: bytes 0..159 (MXCSR inside) */
#define LEGACY_ST        32        /* ST0-7: 8 x 16 bytes */
#define LEGACY_XMM       160       /* XMM0-15: 16 x 16 bytes */
#define LEGACY_XMM_BYTES 256
#define LEGACY_PAD       416       /* bytes 416..463: zero in the regset */

/*
 * PTRACE_GETREGSET NT_X86_XSTATE of a switched-out thread (Linux xstateregs_get:
 * __copy_xstate_to_uabi_buf in XSTATE_COPY_XSAVE mode): fpu_user_size bytes of the standard
 * format into `out`. A component whose XSTATE_BV bit is clear reads as its init state (x87:
 * FCW 0x37f; MXCSR 0x1f80 unless SSE or AVX is present; registers 0), the padding 0, bytes
 * 464..471 XCR0 and the rest of them 0 (asm/user.h USER_XSTATE_XCR0_WORD), the header's
 * XSTATE_BV the thread's, XCOMP_BV and the reserved bytes 0. Only with XSAVE (fpu_xsave).
 */
void fpu_thread_get_xstate(const struct proc *p, uint8_t *out)
{
    const uint8_t *a = p->xstate;
    uint64_t bv = *(const uint64_t *)&a[XSAVE_HEADER] & fpu_xfeatures;
    const uint8_t *x87 = (bv & XFEATURE_X87) ? a : init_area;
    const uint8_t *mx = (bv & (XFEATURE_SSE | XFEATURE_YMM)) ? a : init_area;
    memset(out, 0, fpu_user_size);
    memcpy(out, x87, FXSAVE_MXCSR);                               /* FCW .. FDP */
    memcpy(out + FXSAVE_MXCSR, mx + FXSAVE_MXCSR, 4);
    *(uint32_t *)&out[FXSAVE_MXCSR_MASK] = mxcsr_mask;            /* as fxsave writes it */
    memcpy(out + LEGACY_ST, x87 + LEGACY_ST, LEGACY_X87_BYTES - LEGACY_ST);
    if (bv & XFEATURE_SSE)
        memcpy(out + LEGACY_XMM, a + LEGACY_XMM, LEGACY_XMM_BYTES);
    *(uint64_t *)&out[FXSAVE_SW_BYTES] = fpu_xfeatures;
    *(uint64_t *)&out[XSAVE_HEADER] = bv;
    for (int i = 2; i < XFEATURE_NBITS; i++)
        if (bv & (1UL << i))
            memcpy(out + comp_off[i], a + comp_off[i], comp_size[i]);
}

/*
 * PTRACE_SETREGSET NT_X86_XSTATE (Linux xstateregs_set: copy_uabi_to_xstate), `in` the whole
 * standard-format area: -EINVAL for XSTATE_BV outside XCR0, a nonzero XCOMP_BV or reserved
 * header byte (validate_user_xstate_header), reserved MXCSR bits when x87, SSE or AVX is
 * present (xrstor would #GP in the scheduler: SDM Vol. 1 13.8.1). The components present are
 * copied, XSTATE_BV becomes the given one (the others go to their init state at the next
 * xrstor); MXCSR comes with x87's bytes, or alone for SSE or AVX without x87.
 */
int fpu_thread_set_xstate(struct proc *p, const uint8_t *in)
{
    static const uint8_t zero[XSAVE_HEADER_BYTES - 16];
    const uint64_t *hdr = (const uint64_t *)&in[XSAVE_HEADER];
    uint64_t bv = hdr[0];
    if ((bv & ~fpu_xfeatures) || hdr[1] || memcmp(&hdr[2], zero, sizeof zero))
        return -EINVAL;
    uint8_t *a = p->xstate;
    if (bv & (XFEATURE_FPSSE | XFEATURE_YMM)) {
        if (*(const uint32_t *)&in[FXSAVE_MXCSR] & ~mxcsr_mask)
            return -EINVAL;
        if (!(bv & XFEATURE_X87))
            memcpy(a + FXSAVE_MXCSR, in + FXSAVE_MXCSR, 8);     /* MXCSR and its mask */
    }
    if (bv & XFEATURE_X87)
        memcpy(a, in, LEGACY_X87_BYTES);
    if (bv & XFEATURE_SSE)
        memcpy(a + LEGACY_XMM, in + LEGACY_XMM, LEGACY_XMM_BYTES);
    for (int i = 2; i < XFEATURE_NBITS; i++)
        if (bv & (1UL << i))
            memcpy(a + comp_off[i], in + comp_off[i], comp_size[i]);
    *(uint64_t *)&a[XSAVE_HEADER] = bv;
    return 0;
}

/* ---- signal frames -------------------------------------------------------- */

uint32_t fpu_sigframe_bytes(bool ia32)
{
    return fpu_user_size + (fpu_xsave ? FP_XSTATE_MAGIC2_SIZE : 0) + (ia32 ? FREGS_STATE_BYTES : 0);
}

/* Linux init_sigframe_size: the largest frame (the ia32 sigframe, IA32 emulation being on),
   its alignment, the fpstate with the fsave header and MAGIC2, the area's alignment. */
uint64_t fpu_minsigstksz(void)
{
    uint64_t size = SIGFRAME_IA32_BYTES + (FRAME_ALIGNMENT - 1) + fpu_sigframe_bytes(true) + MAX_XSAVE_PADDING;
    return ALIGN_UP(size, FRAME_ALIGNMENT);
}

/* Linux twd_fxsr_to_i387: the full x87 tag word from fxsave's abridged one and the registers. */
static uint32_t tag_word_i387(const uint8_t *fx)
{
    uint16_t fsw = *(const uint16_t *)&fx[2];
    uint8_t ftw = fx[4];
    int top = (fsw >> 11) & 7;
    uint32_t ret = 0xffff0000u;
    for (int i = 0; i < 8; i++) {
        uint32_t tag = 3;                                   /* empty */
        if (ftw & (1 << i)) {
            const uint8_t *st = fx + 32 + ((i - top) & 7) * 16;
            uint16_t exp = *(const uint16_t *)&st[8] & 0x7fff;
            uint64_t sig = *(const uint64_t *)st;
            if (exp == 0x7fff)
                tag = 2;                                    /* special */
            else if (exp == 0)
                tag = sig ? 2 : 1;                          /* denormal: special; zero */
            else
                tag = (sig >> 63) ? 0 : 2;                  /* valid; unnormal: special */
        }
        ret |= tag << (2 * i);
    }
    return ret;
}

/* struct _fpstate_32's first 112 bytes (struct fregs_state): Linux convert_from_fxsr, then
   status = FSW and magic = X86_FXSR_MAGIC (0). */
static void fsave_header(uint8_t hdr[FREGS_STATE_BYTES], const uint8_t *fx, uint16_t cs, uint16_t ds)
{
    uint32_t *w = (uint32_t *)hdr;
    memset(hdr, 0, FREGS_STATE_BYTES);
    w[0] = *(const uint16_t *)&fx[0] | 0xffff0000u;         /* cwd */
    w[1] = *(const uint16_t *)&fx[2] | 0xffff0000u;         /* swd */
    w[2] = tag_word_i387(fx);                               /* twd */
    w[3] = (uint32_t)*(const uint64_t *)&fx[8];             /* fip: fxsave64's RIP */
    w[4] = cs;                                              /* fcs: the user's CS (Linux: pt_regs cs) */
    w[5] = (uint32_t)*(const uint64_t *)&fx[16];            /* foo: RDP */
    w[6] = ds | 0xffff0000u;                                /* fos */
    for (int i = 0; i < 8; i++)
        memcpy(hdr + 28 + i * 10, fx + 32 + i * 16, 10);   /* st_space: 10 bytes each */
    *(uint16_t *)&hdr[108] = *(const uint16_t *)&fx[2];     /* status */
    *(uint16_t *)&hdr[110] = 0;                             /* magic: X86_FXSR_MAGIC */
}

/* Linux convert_to_fxsr: the fsave header's x87 environment and registers override the
   fxsave region's (an ia32 handler edits them there). */
static void fold_fsave_header(uint8_t *fx, const uint8_t hdr[FREGS_STATE_BYTES])
{
    const uint32_t *w = (const uint32_t *)hdr;
    *(uint16_t *)&fx[0] = (uint16_t)w[0];
    *(uint16_t *)&fx[2] = (uint16_t)w[1];
    uint8_t ftw = 0;
    for (int i = 0; i < 8; i++)
        if (((w[2] >> (2 * i)) & 3) != 3)
            ftw |= (uint8_t)(1 << i);                       /* twd_i387_to_fxsr */
    fx[4] = ftw;
    *(uint16_t *)&fx[6] = (uint16_t)(w[4] >> 16);           /* fop */
    *(uint64_t *)&fx[8] = w[3];                             /* rip = fip */
    *(uint64_t *)&fx[16] = w[5];                            /* rdp = foo */
    for (int i = 0; i < 8; i++)
        memcpy(fx + 32 + i * 16, hdr + 28 + i * 10, 10);
}

/*
 * The running thread's live state into a signal frame: the area at buf_fx (64-byte
 * aligned), the sw bytes, MAGIC2 after it; for an ia32 frame also the fsave header at
 * buf_fx - 112 (Linux copy_fpstate_to_sigframe, save_xstate_epilog, save_fsave_header).
 * Returns 0 or -EFAULT.
 */
int fpu_sigframe_save(uint64_t *pml4, uint64_t buf_fx, bool ia32)
{
    uint8_t *k = scratch;
    memset(k, 0, fpu_user_size);                /* the header's reserved bytes are 0 */
    fpu_save(k);
    struct fpx_sw_bytes sw = {
        .magic1 = FP_XSTATE_MAGIC1,
        .extended_size = fpu_user_size + FP_XSTATE_MAGIC2_SIZE + (ia32 ? FREGS_STATE_BYTES : 0),
        .xfeatures = fpu_xfeatures,
        .xstate_size = fpu_user_size,
    };
    memcpy(k + FXSAVE_SW_BYTES, &sw, sizeof sw);
    if (fpu_xsave)
        *(uint64_t *)&k[XSAVE_HEADER] |= XFEATURE_FPSSE;   /* legacy programs edit x87/SSE only */
    if (copyout(pml4, buf_fx, k, fpu_user_size))
        return -EFAULT;
    if (fpu_xsave) {
        uint32_t magic2 = FP_XSTATE_MAGIC2;
        if (copyout(pml4, buf_fx + fpu_user_size, &magic2, sizeof magic2))
            return -EFAULT;
    }
    if (ia32) {
        uint8_t hdr[FREGS_STATE_BYTES] __attribute__((aligned(8)));
        uint16_t ds;
        __asm__ volatile("mov %%ds, %0" : "=r"(ds));
        fsave_header(hdr, k, USER32_CS, ds);
        if (copyout(pml4, buf_fx - FREGS_STATE_BYTES, hdr, sizeof hdr))
            return -EFAULT;
    }
    return 0;
}

/* What xrstor (or fxrstor) would refuse with #GP, SDM Vol. 1 13.8.1 and 10.5.1. */
static bool cpu_would_refuse(const uint8_t *k, bool fx_only, uint64_t rfbm)
{
    uint32_t mxcsr = *(const uint32_t *)&k[FXSAVE_MXCSR];
    if ((fx_only || (rfbm & (XFEATURE_SSE | XFEATURE_YMM))) && (mxcsr & ~mxcsr_mask))
        return true;                                        /* reserved MXCSR bits */
    if (fx_only)
        return false;
    const uint64_t *hdr = (const uint64_t *)&k[XSAVE_HEADER];
    /* XCOMP_BV must be 0: the compacted form needs XSAVEC, which TCG (QEMU 7.2) lacks */
    return (hdr[0] & ~fpu_xfeatures) || hdr[1] || hdr[2];
}

/*
 * sigreturn's FPU half (Linux fpu__restore_sig): buf is the sigcontext's fpstate (for an
 * ia32 frame the fsave header, the fxsave/xsave area 112 bytes above). Returns false when
 * Linux sends SIGSEGV; the live state is then the init state, as Linux leaves it.
 */
bool fpu_sigframe_restore(uint64_t *pml4, uint64_t buf, bool ia32)
{
    uint8_t *k = scratch;
    if (!buf) {
        fpu_load_init();                                    /* Linux fpu__clear_user_states */
        return true;
    }
    uint64_t buf_fx = buf + (ia32 ? FREGS_STATE_BYTES : 0);
    if (!user_range_ok(buf, fpu_sigframe_bytes(ia32)))
        goto fail;                                          /* access_ok */

    /* check_xstate_in_sigframe: sw bytes that don't describe an xstate frame mean the legacy
       512 bytes only (fx_only), every other component back to init */
    bool fx_only = true;
    uint64_t xrestore = XFEATURE_FPSSE;
    uint32_t state_size = FXSAVE_BYTES;
    if (fpu_xsave) {
        struct fpx_sw_bytes sw;
        uint32_t magic2;
        if (copyin(pml4, &sw, buf_fx + FXSAVE_SW_BYTES, sizeof sw))
            goto fail;
        if (sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size >= XSAVE_MIN_BYTES &&
            sw.xstate_size <= fpu_user_size && sw.xstate_size <= sw.extended_size) {
            if (copyin(pml4, &magic2, buf_fx + sw.xstate_size, sizeof magic2))
                goto fail;
            if (magic2 == FP_XSTATE_MAGIC2) {
                fx_only = false;
                xrestore = sw.xfeatures;
                state_size = sw.xstate_size;
            }
        }
    }
    memset(k, 0, fpu_user_size);
    if (copyin(pml4, k, buf_fx, state_size))
        goto fail;
    uint64_t *xstate_bv = (uint64_t *)&k[XSAVE_HEADER];
    if (!ia32) {
        /* Linux runs xrstor/fxrstor on the user's memory: their alignment rules apply */
        if (buf_fx % (fx_only ? 16 : 64) || cpu_would_refuse(k, fx_only, xrestore & fpu_xfeatures))
            goto fail;
        if (fx_only)
            fxrstor64(k);
        else
            xrstor64(k, xrestore & fpu_xfeatures);
        if (fpu_xsave && (fpu_xfeatures & ~xrestore))
            xrstor64(init_area, fpu_xfeatures & ~xrestore); /* the rest: init state */
        return true;
    }
    /* ia32: Linux copies the frame and validates it in software (validate_user_xstate_header:
       no feature outside XCR0, XCOMP_BV 0, the 48 reserved bytes 0; MXCSR's reserved bits) */
    if (!fx_only) {
        static const uint8_t zero[XSAVE_HEADER_BYTES - 16];
        if ((xstate_bv[0] & ~fpu_xfeatures) || xstate_bv[1] || memcmp(&xstate_bv[2], zero, sizeof zero))
            goto fail;
    }
    if (*(uint32_t *)&k[FXSAVE_MXCSR] & ~mxcsr_mask)
        goto fail;
    uint8_t hdr[FREGS_STATE_BYTES] __attribute__((aligned(8)));
    if (copyin(pml4, hdr, buf, sizeof hdr))
        goto fail;
    fold_fsave_header(k, hdr);
    if (fpu_xsave) {
        if (fx_only)
            xstate_bv[0] = XFEATURE_FPSSE;
        xstate_bv[0] &= xrestore;                           /* the rest: init state */
        xrstor64(k, fpu_xfeatures);
    } else {
        fxrstor64(k);
    }
    return true;
fail:
    fpu_load_init();
    return false;
}
