/* Model-specific registers and control-register bits (SDM Vol. 4, Vol. 3A 2.5). */
#pragma once

#define MSR_SYSENTER_CS    0x174      /* sysenter code selector (0 would make sysenter #GP(0)) */
#define MSR_SYSENTER_ESP   0x175      /* sysenter stack */
#define MSR_SYSENTER_EIP   0x176      /* sysenter entry */
#define MSR_EFER           0xc0000080 /* extended feature enables */
#define MSR_STAR           0xc0000081 /* syscall/sysret segment bases */
#define MSR_LSTAR          0xc0000082 /* 64-bit syscall entry RIP */
#define MSR_CSTAR          0xc0000083 /* compatibility-mode syscall entry RIP (AMD; unused on Intel) */
#define MSR_FMASK          0xc0000084 /* RFLAGS bits cleared by syscall */
#define MSR_FS_BASE        0xc0000100 /* FS base */
#define MSR_GS_BASE        0xc0000101 /* GS base */
#define MSR_KERNEL_GS_BASE 0xc0000102 /* swapgs shadow */

#define EFER_SCE    (1 << 0)     /* syscall enable */
#define EFER_LME    (1 << 8)     /* long mode enable */
#define EFER_LMA    (1 << 10)    /* long mode active (set by the CPU with CR0.PG) */
#define EFER_NXE    (1 << 11)    /* no-execute enable */

#define CR0_PE      (1 << 0)     /* protected mode */
#define CR0_MP      (1 << 1)     /* monitor coprocessor (with TS) */
#define CR0_EM      (1 << 2)     /* x87 emulation: must be clear for SSE */
#define CR0_TS      (1 << 3)     /* task switched: x87/SSE use is #NM (kept clear) */
#define CR0_ET      (1 << 4)     /* extension type: hardwired 1 */
#define CR0_NE      (1 << 5)     /* numeric error: x87 errors are #MF, not IRQ 13 */
#define CR0_WP      (1 << 16)    /* write-protect honoured in ring 0 */
#define CR0_AM      (1 << 18)    /* alignment mask (RFLAGS.AC checks at CPL 3) */
#define CR0_NW      (1 << 29)    /* not write-through (kept clear) */
#define CR0_CD      (1 << 30)    /* cache disable (kept clear) */
#define CR0_PG      0x80000000   /* paging (hex: 1 << 31 overflows int, undefined in C) */

#define CR4_TSD     (1 << 2)     /* rdtsc at CPL 3 faults (kept clear: Linux allows it) */
#define CR4_DE      (1 << 3)     /* debugging extensions (kept clear) */
#define CR4_PAE     (1 << 5)     /* physical address extension */
#define CR4_PGE     (1 << 7)     /* global pages (kept clear) */
#define CR4_OSFXSR  (1 << 9)     /* fxsave/fxrstor and SSE enabled */
#define CR4_OSXMMEXCPT (1 << 10) /* SIMD exceptions are #XM */
#define CR4_UMIP    (1 << 11)    /* user-mode instruction prevention */
#define CR4_FSGSBASE (1 << 16)   /* rd/wr{fs,gs}base at CPL 3 (where CPUID has them) */
#define CR4_OSXSAVE (1 << 18)    /* XSAVE family and XCR0 enabled (fpu.c) */
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

#define DR6_INIT    0xffff0ff0UL /* DR6 with no debug condition recorded (its reset value) */
#define DR7_INIT    0x400UL      /* DR7 with every breakpoint disabled (bit 10 reads as 1) */

/* syscall clears these RFLAGS bits on entry (FMASK) */
#define SYSCALL_FMASK (RFLAGS_TF | RFLAGS_IF | RFLAGS_DF | RFLAGS_IOPL | RFLAGS_NT | RFLAGS_AC)
