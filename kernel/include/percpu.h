/*
 * Per-CPU state: one struct cpu, reached through the GS segment base.
 *
 *   ring 0:  IA32_GS_BASE = &cpu0            IA32_KERNEL_GS_BASE = current's user GS base
 *   ring 3:  IA32_GS_BASE = user's GS base   IA32_KERNEL_GS_BASE = &cpu0
 *
 * Invariant: every entry from ring 3 (syscall, an interrupt or exception whose frame CS has
 * RPL 3) and every exit to ring 3 (sysretq, iretq to RPL 3) executes swapgs exactly once
 * (SDM Vol. 2B SWAPGS), so the kernel never runs with the user's GS base and the user never
 * sees the kernel's. An entry from ring 0 (a kernel #PF, an interrupt while the scheduler
 * idles) finds the kernel's base already loaded and must not swap; NMI, #DB, #DF and #MC from
 * ring 0 write this base whatever they find and restore the old one (trapentry.S, paranoid_entry).
 * The user's GS base is per process (proc->gs_base), loaded into IA32_KERNEL_GS_BASE when the
 * scheduler switches to it. One CPU: cpu0 is the only instance.
 *
 * The entry stubs address the fields as %gs:CPU_*; the _Static_asserts below keep the
 * struct and those offsets in step.
 */
#pragma once

#define CPU_SELF        0        /* struct cpu *self: mycpu() is one %gs-relative load */
#define CPU_KSTACK_TOP  8        /* current's kernel stack top (= TSS.RSP0) */
#define CPU_USER_RSP    16       /* syscall_entry's scratch slot for the user RSP */
#define CPU_CURRENT     24       /* struct proc *current */
#define CPU_SCHEDULER   32       /* struct context *scheduler */
#define CPU_TSS         40       /* struct tss */

/*
 * The TSS's I/O permission bitmaps (SDM Vol. 1 19.5.2, Vol. 3A 8.7): one bit per port, 0 =
 * ring 3 may use it. Two of them follow the TSS, each closed by the byte of all ones the CPU
 * needs past the last bitmap byte (it always reads two bytes). TSS.iomap_base selects one:
 * IOMAP_OFF_PROC (the running process's ioperm(2) bits, copied in), IOMAP_OFF_ALL (every port
 * ring 3 may have, for iopl(3): ioperm.h's table), or IOMAP_OFF_NONE (past the limit: every port is #GP at CPL 3).
 */
#define IOMAP_PORTS     65536    /* ports 0..0xffff */
#define IOMAP_BYTES     8192     /* IOMAP_PORTS / 8 */
#define IOMAP_OFF_PROC  104      /* TSS offset of cpu.iomap: right after the 104-byte TSS */
#define IOMAP_OFF_ALL   8297     /* TSS offset of cpu.iomap_all: after iomap and its 0xff byte */
#define TSS_LIMIT       16489    /* last TSS byte: iomap_all's closing 0xff byte */
#define IOMAP_OFF_NONE  16490    /* TSS_LIMIT + 1: no bitmap, every port denied */

#ifndef __ASSEMBLER__
#include "types.h"

struct proc;
struct context;

/* The 64-bit TSS (SDM Vol. 3A 8.7, Figure 8-11). */
struct tss {
    /*   0 */ uint32_t reserved0;
    /*   4 */ uint64_t rsp[3];           /* RSP0 is loaded on a privilege change to ring 0 */
    /*  28 */ uint64_t reserved1;
    /*  36 */ uint64_t ist[7];           /* IST1..IST7: stacks chosen by the IDT gate's IST field */
    /*  92 */ uint64_t reserved2;
    /* 100 */ uint16_t reserved3;
    /* 102 */ uint16_t iomap_base;       /* IOMAP_OFF_*: which bitmap in/out at CPL 3 > IOPL consult */
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "64-bit TSS is 104 bytes");

struct cpu {
    /*   0 */ struct cpu *self;
    /*   8 */ uint64_t kstack_top;
    /*  16 */ uint64_t user_rsp;
    /*  24 */ struct proc *current;      /* NULL while the scheduler runs */
    /*  32 */ struct context *scheduler;
    /*  40 */ struct tss tss;
    /* 144 */ uint8_t iomap[IOMAP_BYTES + 1];      /* TSS + IOMAP_OFF_PROC; last byte 0xff */
    /* 8337 */ uint8_t iomap_all[IOMAP_BYTES + 1]; /* TSS + IOMAP_OFF_ALL: 0 = ioperm.h's table; last 0xff */
    int kcov_off;                        /* > 0: not the current thread's task context: a hardware
                                            interrupt (trap.c), the scheduler around a switch (proc.c) */
};
_Static_assert(__builtin_offsetof(struct cpu, self) == CPU_SELF, "CPU_SELF");
_Static_assert(__builtin_offsetof(struct cpu, kstack_top) == CPU_KSTACK_TOP, "CPU_KSTACK_TOP");
_Static_assert(__builtin_offsetof(struct cpu, user_rsp) == CPU_USER_RSP, "CPU_USER_RSP");
_Static_assert(__builtin_offsetof(struct cpu, current) == CPU_CURRENT, "CPU_CURRENT");
_Static_assert(__builtin_offsetof(struct cpu, scheduler) == CPU_SCHEDULER, "CPU_SCHEDULER");
_Static_assert(__builtin_offsetof(struct cpu, tss) == CPU_TSS, "CPU_TSS");
_Static_assert(__builtin_offsetof(struct cpu, iomap) - CPU_TSS == IOMAP_OFF_PROC, "IOMAP_OFF_PROC");
_Static_assert(__builtin_offsetof(struct cpu, iomap_all) - CPU_TSS == IOMAP_OFF_ALL, "IOMAP_OFF_ALL");
_Static_assert(__builtin_offsetof(struct cpu, iomap_all) + sizeof((struct cpu *)0)->iomap_all - CPU_TSS == TSS_LIMIT + 1,
               "TSS_LIMIT: the TSS ends with iomap_all's closing byte");
_Static_assert(__builtin_offsetof(struct cpu, iomap) % 8 == 0, "iomap: copied 8 bytes at a time");
_Static_assert(IOMAP_OFF_NONE > TSS_LIMIT && IOMAP_OFF_NONE <= 0xffff, "IOMAP_OFF_NONE past the limit");

extern struct cpu cpu0;

void percpu_init(void);

/* This CPU's struct cpu, through %gs:CPU_SELF (valid in ring 0 from percpu_init() on). */
static inline struct cpu *mycpu(void)
{
    struct cpu *c;
    __asm__("mov %%gs:%c1, %0" : "=r"(c) : "i"(CPU_SELF));
    return c;
}

/* The running process, or NULL in the scheduler: one %gs-relative load. */
static inline struct proc *myproc(void)
{
    struct proc *p;
    __asm__ volatile("mov %%gs:%c1, %0" : "=r"(p) : "i"(CPU_CURRENT));
    return p;
}
#endif
