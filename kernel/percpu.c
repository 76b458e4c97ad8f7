/*
 * The per-CPU struct (layout and the GS invariant in include/percpu.h).
 * percpu_init() runs first thing in kmain, in ring 0, before anything calls
 * mycpu() or myproc(): GS base = &cpu0, and the user's GS base (in
 * IA32_KERNEL_GS_BASE until the first swapgs to ring 3) and FS base are 0.
 * The GS selector stays the null one boot.S loaded; the kernel never loads
 * GS again, since in 64-bit mode a selector load would rewrite the base
 * (SDM Vol. 3A 3.4.4).
 */
#include "kernel.h"
#include "msr.h"
#include "percpu.h"
#include "x86.h"

struct cpu cpu0;

void percpu_init(void)
{
    cpu0.self = &cpu0;
    wrmsr(MSR_GS_BASE, (uint64_t)&cpu0);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
    wrmsr(MSR_FS_BASE, 0);
}
