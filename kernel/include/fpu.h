/*
 * The user's x87/SSE/AVX state (fpu.c): XSAVE where the CPU has it, else FXSAVE.
 *
 * The area of one thread, standard (non-compacted) XSAVE format, SDM Vol. 1 13.4:
 *
 *   offset  size
 *   0       512   legacy region: FCW FSW FTW ... MXCSR, ST0-7, XMM0-15 (fxsave layout);
 *                 bytes 464..511 are free for software: a signal frame puts
 *                 struct fpx_sw_bytes there (Linux's _fpx_sw_bytes)
 *   512     64    XSAVE header: XSTATE_BV (which components hold non-init values),
 *                 XCOMP_BV (0: standard form), 48 reserved bytes
 *   576     ...   each enabled component at CPUID.(EAX=0DH,ECX=i):EBX (AVX: YMM_Hi128)
 *   size          = CPUID.(EAX=0DH,ECX=0):EBX for the XCR0 set (fpu_user_size)
 *
 * In a signal frame (Linux arch/x86/kernel/fpu/signal.c) the area is followed by the
 * 4-byte FP_XSTATE_MAGIC2, and an ia32 frame puts the 112-byte fsave header in front.
 */
#pragma once
#include "types.h"

struct proc;

#define FXSAVE_BYTES      512      /* legacy region / fxsave area (SDM Vol. 1 10.5.1) */
#define FXSAVE_FCW        0        /* x87 control word */
#define FXSAVE_MXCSR      24
#define FXSAVE_MXCSR_MASK 28       /* 0 means 0xffbf (SDM Vol. 1 11.6.6) */
#define FXSAVE_SW_BYTES   464      /* struct fpx_sw_bytes in a signal frame */
#define XSAVE_HEADER      512      /* XSTATE_BV at +0, XCOMP_BV at +8, reserved +16..+63 */
#define XSAVE_HEADER_BYTES 64
#define XSAVE_MIN_BYTES   (FXSAVE_BYTES + XSAVE_HEADER_BYTES)   /* Linux's min_xstate_size */
#define FPU_AREA_MAX      4096     /* one page per process slot (fpu_area): larger XCR0 sets are trimmed */

/* XCR0 / XSTATE_BV bits (SDM Vol. 1 13.1) */
#define XFEATURE_X87      (1UL << 0)
#define XFEATURE_SSE      (1UL << 1)
#define XFEATURE_YMM      (1UL << 2)   /* AVX: upper halves of YMM0-15 */
#define XFEATURE_OPMASK   (1UL << 5)   /* AVX-512 k0-k7 */
#define XFEATURE_ZMM_HI256 (1UL << 6)  /* AVX-512 upper halves of ZMM0-15 */
#define XFEATURE_HI16_ZMM (1UL << 7)   /* AVX-512 ZMM16-31 */
#define XFEATURE_NBITS    8            /* the components above: bits 0..7 */
#define XFEATURE_FPSSE    (XFEATURE_X87 | XFEATURE_SSE)
/* The user components Linux enables when the CPU has them (XFEATURE_MASK_USER_SUPPORTED less
   PKRU, which Linux drops without CR4.PKE: ringlab leaves PKE clear; and AMX, which a program
   must request with arch_prctl(ARCH_REQ_XCOMP_PERM), not implemented). No MPX (bits 3-4):
   Linux removed it in 5.6. */
#define XFEATURE_USER     (XFEATURE_FPSSE | XFEATURE_YMM | XFEATURE_OPMASK | XFEATURE_ZMM_HI256 | XFEATURE_HI16_ZMM)

/* Signal-frame words (arch/x86/include/uapi/asm/sigcontext.h) */
#define FP_XSTATE_MAGIC1  0x46505853U  /* "SXPF": sw bytes describe an xstate frame */
#define FP_XSTATE_MAGIC2  0x46505845U  /* "EXPF": right after the XSAVE area */
#define FP_XSTATE_MAGIC2_SIZE 4
#define FREGS_STATE_BYTES 112          /* struct fregs_state: the ia32 frame's fsave header */

/* struct _fpx_sw_bytes: bytes 464..511 of the legacy region in a signal frame */
struct fpx_sw_bytes {
    /*  0 */ uint32_t magic1;          /* FP_XSTATE_MAGIC1, or 0 for a legacy frame */
    /*  4 */ uint32_t extended_size;   /* xstate_size + MAGIC2 (+ the fsave header in ia32 frames) */
    /*  8 */ uint64_t xfeatures;       /* components present in the area (XCR0) */
    /* 16 */ uint32_t xstate_size;     /* bytes of the XSAVE area */
    /* 20 */ uint32_t padding[7];
};
_Static_assert(sizeof(struct fpx_sw_bytes) == 48, "sw_reserved is bytes 464..511");

extern bool fpu_xsave;                 /* CR4.OSXSAVE set: xsave/xrstor, else fxsave/fxrstor */
extern uint64_t fpu_xfeatures;         /* XCR0 (XFEATURE_FPSSE without XSAVE) */
extern uint32_t fpu_user_size;         /* bytes of a thread's area: XSAVE size for XCR0, or 512 */

uint64_t fpu_init(void);               /* cpu_init: returns the CR4 bits it set (OSXSAVE or 0) */
void *fpu_area(int slot);              /* process slot `slot`'s area, put in the init state */
void fpu_init_state(void *area);       /* x87/SSE/AVX init state: FCW 0x37f, MXCSR 0x1f80 */
void fpu_save(void *area);             /* the live registers into area */
void fpu_restore(const void *area);    /* area into the live registers */
void fpu_load_init(void);              /* the live registers to the init state */
const void *fpu_thread_xstate(const struct proc *p, uint32_t *size);  /* for ptrace: a switched-out thread */
const uint8_t *fpu_thread_fxsave(const struct proc *p);                /* its first 512 bytes: fxsave layout */
void fpu_thread_set_fxsave(struct proc *p, const uint8_t fx[FXSAVE_BYTES]);  /* and replace them */
void fpu_thread_get_xstate(const struct proc *p, uint8_t *out);   /* NT_X86_XSTATE: fpu_user_size bytes */
int fpu_thread_set_xstate(struct proc *p, const uint8_t *in);     /* and back: 0 or -EINVAL */

uint32_t fpu_sigframe_bytes(bool ia32);        /* Linux xstate_sigframe_size (+ fsave header) */
uint64_t fpu_minsigstksz(void);                /* AT_MINSIGSTKSZ (Linux get_sigframe_size) */
int fpu_sigframe_save(uint64_t *pml4, uint64_t buf_fx, bool ia32);   /* 0 or -EFAULT */
bool fpu_sigframe_restore(uint64_t *pml4, uint64_t buf, bool ia32);  /* false: SIGSEGV */
