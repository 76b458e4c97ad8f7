/*
 * FS and GS of a process across context switches, as Linux's arch/x86/kernel/process_64.c
 * (save_fsgs, x86_fsgsbase_load / load_seg_legacy, do_arch_prctl_64).
 *
 * A process owns its DS, ES, FS and GS selectors (p->seg) and its FS and GS bases (p->fs_base,
 * p->gs_base). In ring 0 the user's GS base sits in IA32_KERNEL_GS_BASE (percpu.h), so that
 * is the MSR read and written for it.
 *
 * With FSGSBASE (CR4.FSGSBASE, set by cpu.c where CPUID.(EAX=7):EBX[0] says the CPU has
 * it), ring 3 writes its bases with wrfsbase/wrgsbase whatever its selectors say: a switch
 * saves the live bases and, after loading the selectors, writes them back, so a base set
 * by wrgsbase survives a switch even with a non-zero GS selector (Linux's
 * x86_fsgsbase_load). Without it (qemu64: the instructions are #UD), a base can only come
 * from the selector's descriptor or, with a null selector, from arch_prctl: a non-null
 * selector is loaded again and its descriptor gives the base (Linux's load_seg_legacy,
 * which reads the descriptor again: an LDT or TLS entry changed since is seen), a null one
 * gets the saved base.
 */
#include "kernel.h"
#include "fsgs.h"
#include "gdt.h"
#include "msr.h"
#include "proc.h"
#include "x86.h"


bool cpu_fsgsbase;

static bool null_sel(uint16_t sel)
{
    return (sel & ~SEL_RPL_MASK) == 0;
}

void fsgs_load(struct proc *p)
{
    segs_load(p->seg);                     /* null for a selector no longer loadable */
    if (cpu_fsgsbase || null_sel(p->seg[SEG_FS]))
        wrmsr(MSR_FS_BASE, p->fs_base);
    if (cpu_fsgsbase || null_sel(p->seg[SEG_GS]))
        wrmsr(MSR_KERNEL_GS_BASE, p->gs_base);
}

void fsgs_save(struct proc *p)
{
    segs_save(p->seg);
    p->fs_base = rdmsr(MSR_FS_BASE);
    p->gs_base = rdmsr(MSR_KERNEL_GS_BASE);
}

/*
 * ARCH_SET_FS / ARCH_SET_GS on the running thread: "ARCH_SET_GS has always overwritten the
 * index and the base" (Linux): the selector becomes null, then the base is written.
 */
void fsgs_set_base(struct proc *p, bool gs, uint64_t base)
{
    /* Only that register: a null selector load in 64-bit mode may change its base, so the
       other one is left alone. GS between two swapgs, as segs_load does. */
    if (gs)
        __asm__ volatile("swapgs\n\tmov %0, %%gs\n\tswapgs" ::"r"((uint16_t)NULL_SEL) : "memory");
    else
        __asm__ volatile("mov %0, %%fs" ::"r"((uint16_t)NULL_SEL) : "memory");
    if (gs) {
        p->gs_base = base;
        wrmsr(MSR_KERNEL_GS_BASE, base);
    } else {
        p->fs_base = base;
        wrmsr(MSR_FS_BASE, base);
    }
}

/*
 * The same on a thread that is switched out (PTRACE_ARCH_PRCTL, Linux do_arch_prctl_64 with
 * task != current): the saved selector becomes null too, so the scheduler loads the new base
 * whether or not the CPU has FSGSBASE (fsgs_load), and PEEKUSER reads the selector as 0.
 */
void fsgs_set_base_stopped(struct proc *p, bool gs, uint64_t base)
{
    p->seg[gs ? SEG_GS : SEG_FS] = NULL_SEL;
    *(gs ? &p->gs_base : &p->fs_base) = base;
}
