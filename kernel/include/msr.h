/* Model-specific registers and control-register bits (SDM Vol. 4, Vol. 3A 2.5). */
#pragma once

#define MSR_EFER           0xc0000080 /* extended feature enables */
#define MSR_STAR           0xc0000081 /* syscall/sysret segment bases */
#define MSR_LSTAR          0xc0000082 /* 64-bit syscall entry RIP */
#define MSR_FMASK          0xc0000084 /* RFLAGS bits cleared by syscall */
#define MSR_FS_BASE        0xc0000100 /* FS base */
#define MSR_GS_BASE        0xc0000101 /* GS base */
#define MSR_KERNEL_GS_BASE 0xc0000102 /* swapgs shadow */

#define EFER_SCE    (1 << 0)     /* syscall enable */
#define EFER_LME    (1 << 8)     /* long mode enable */
#define EFER_NXE    (1 << 11)    /* no-execute enable */

#define CR0_PE      (1 << 0)     /* protected mode */
#define CR0_MP      (1 << 1)     /* monitor coprocessor (with TS) */
#define CR0_EM      (1 << 2)     /* x87 emulation: must be clear for SSE */
#define CR0_WP      (1 << 16)    /* write-protect honoured in ring 0 */
#define CR0_AM      (1 << 18)    /* alignment mask (RFLAGS.AC checks at CPL 3) */
#define CR0_PG      (1 << 31)    /* paging */

#define CR4_PAE     (1 << 5)     /* physical address extension */
#define CR4_OSFXSR  (1 << 9)     /* fxsave/fxrstor and SSE enabled */
#define CR4_OSXMMEXCPT (1 << 10) /* SIMD exceptions are #XM */
#define CR4_UMIP    (1 << 11)    /* user-mode instruction prevention */
#define CR4_SMEP    (1 << 20)    /* supervisor-mode execution prevention */
#define CR4_SMAP    (1 << 21)    /* supervisor-mode access prevention */

#define RFLAGS_CF   (1 << 0)     /* carry */
#define RFLAGS_RSV1 (1 << 1)     /* reserved, always 1 */
#define RFLAGS_TF   (1 << 8)     /* trap (single step) */
#define RFLAGS_IF   (1 << 9)     /* interrupt enable */
#define RFLAGS_DF   (1 << 10)    /* direction */
#define RFLAGS_IOPL (3 << 12)    /* I/O privilege level */
#define RFLAGS_NT   (1 << 14)    /* nested task */
#define RFLAGS_RF   (1 << 16)    /* resume: suppresses an instruction breakpoint once */
#define RFLAGS_AC   (1 << 18)    /* alignment check / SMAP override */

/* syscall clears these RFLAGS bits on entry (FMASK) */
#define SYSCALL_FMASK (RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC)
