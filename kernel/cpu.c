/*
 * The CPU's control state, set deliberately at boot: nothing is left as reset or the
 * multiboot loader left it. The whole audit, one line per piece of state and where it is set:
 *
 *   state            value                                   set by
 *   ---------------  --------------------------------------  -----------------------------
 *   CR0              PE MP ET NE WP AM PG (EM TS CD NW clear) cpu_init (boot.S: PE WP PG)
 *   CR4              PAE OSFXSR OSXMMEXCPT, + SMEP SMAP UMIP  cpu_init
 *                    FSGSBASE when CPUID has them; OSXSAVE    (fpu_init: XCR0 too)
 *                    with XSAVE (fpu.c); no TSD, DE, PGE, PKE
 *   EFER             SCE LME LMA NXE, nothing else            cpu_init (boot.S: LME NXE SCE)
 *   RFLAGS           only bit 1 (IF, IOPL 0, NT, AC, DF, TF   cpu_init; every trap entry
 *                    clear)                                   (trapentry.S); FMASK on syscall
 *   DR0-DR3 DR6 DR7  0, 0xffff0ff0, 0x400 (no breakpoints)    cpu_init
 *   SYSENTER_CS/ESP/ KERNEL_CS, a small entry stack,          syscall_init (trap.c)
 *   EIP              entry_SYSENTER_compat
 *   GDT              Linux's: kernel CS/SS, user 32-bit CS,   gdt_init (gdt.h picture)
 *                    user DS, user 64-bit CS, TSS, TLS,
 *                    CPUNODE; no DPL-3 system descriptor
 *   LDTR             null selector; the running process's     gdt_init; scheduler (ldt.c)
 *                    modify_ldt table when it has one
 *   TR               TSS_SEL; I/O bitmap base past the limit  gdt_init
 *   CS SS            KERNEL_CS, KERNEL_SS                     gdt_init
 *   DS ES FS GS      null (64-bit mode ignores DS/ES bases)   gdt_init
 *   FS/GS/KERNEL_GS  0; FS base per process (arch_prctl),     gdt_init, scheduler (proc.c)
 *   base             GS base 0 in every process
 *   IDT              256 interrupt gates, DPL 0 except #BP,   idt_init (trap.c)
 *                    #OF, int 0x80 (DPL 3); #DF on IST1
 *   STAR/LSTAR/      selectors, syscall_entry,                syscall_init (trap.c)
 *   CSTAR/FMASK      entry_SYSCALL_compat, SYSCALL_FMASK
 *
 * CPUID leaf 7: SDM Vol. 2A CPUID, Table 3-8. Control registers: SDM Vol. 3A 2.5; SSE
 * enabling: Vol. 3A 14.1.3; debug registers: Vol. 3A 18.2; SYSENTER MSRs: Vol. 2B SYSENTER.
 *
 * CR0.WP makes read-only pages read-only for the kernel too. The kernel never writes user
 * memory through a user address: copyin/copyout (vm.c) walk the page tables, honour the
 * user page's own rights (copyout to a read-only page is -EFAULT, as on Linux) and copy
 * through the kernel's direct map. So SMAP needs no stac/clac anywhere in the kernel.
 */
#include "kernel.h"
#include "fpu.h"
#include "fsgs.h"
#include "msr.h"
#include "x86.h"

#define CPUID7_EBX_FSGSBASE (1 << 0)
#define CPUID7_EBX_SMEP (1 << 7)
#define CPUID7_EBX_SMAP (1 << 20)
#define CPUID7_ECX_UMIP (1 << 2)

/* CR0 for the rest of the kernel's life. */
#define CPU_CR0 ((uint32_t)(CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_AM | CR0_PG))
#define CPU_EFER (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE)

void cpu_init(void)
{
    uint32_t a, b, c, d;
    __asm__ volatile("pushq %0\n\tpopfq" ::"i"(RFLAGS_RSV1) : "memory", "cc");
    lcr0(CPU_CR0);
    wrmsr(MSR_EFER, CPU_EFER);
    uint64_t cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;

    cpuid(0, 0, &a, &b, &c, &d);
    uint32_t max_leaf = a;
    b = c = 0;
    if (max_leaf >= 7)
        cpuid(7, 0, &a, &b, &c, &d);
    if (b & CPUID7_EBX_SMEP)
        cr4 |= CR4_SMEP;
    if (b & CPUID7_EBX_SMAP)
        cr4 |= CR4_SMAP;
    if (c & CPUID7_ECX_UMIP)
        cr4 |= CR4_UMIP;
    if (b & CPUID7_EBX_FSGSBASE)            /* ring 3's rd/wr{fs,gs}base (fsgs.c, trapentry.S) */
        cr4 |= CR4_FSGSBASE;
    cpu_fsgsbase = !!(cr4 & CR4_FSGSBASE);
    lcr4(cr4);
    cr4 |= fpu_init();                           /* CR4.OSXSAVE and XCR0 where CPUID has XSAVE */

    uint64_t zero = 0;
    __asm__ volatile("mov %0, %%dr0\n\tmov %0, %%dr1\n\tmov %0, %%dr2\n\tmov %0, %%dr3\n\t"
                     "mov %1, %%dr6\n\tmov %2, %%dr7"
                     ::"r"(zero), "r"(DR6_INIT), "r"(DR7_INIT));
    kevent("cpu smep=%d smap=%d umip=%d nx=1 cr4=0x%lx", !!(cr4 & CR4_SMEP), !!(cr4 & CR4_SMAP),
           !!(cr4 & CR4_UMIP), cr4);
}
