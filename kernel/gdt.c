/*
 * The final GDT and the 64-bit TSS (layout picture in include/gdt.h).
 * Descriptor formats: SDM Vol. 3A 3.4.5 (segment descriptors) and 8.2.3
 * (64-bit TSS descriptor, 16 bytes). The TSS lives in struct cpu (percpu.h).
 */
#include "kernel.h"
#include "gdt.h"
#include "ioperm.h"
#include "ldt.h"
#include "mmu.h"
#include "percpu.h"
#include "msr.h"
#include "x86.h"

/* Access byte and flag bits of a code/data descriptor. */
#define SEG_P      (1UL << 47)   /* present */
#define SEG_DPL3   (3UL << 45)   /* descriptor privilege level 3 */
#define SEG_S      (1UL << 44)   /* code/data (not system) */
#define SEG_CODE   (1UL << 43)   /* executable */
#define SEG_RW     (1UL << 41)   /* readable code / writable data */
#define SEG_L      (1UL << 53)   /* 64-bit code */
#define SEG_DB     (1UL << 54)   /* 32-bit default size (data: big) */
#define SEG_G      (1UL << 55)   /* 4 KiB granularity */
#define SEG_LIMIT  0x000f00000000ffffUL /* limit 0xfffff */
#define SEG_RO_EXPDOWN_ACC (5UL << 40) /* type 5: read-only data, expand-down, accessed */
#define TSS_AVAIL  (0x9UL << 40) /* type: available 64-bit TSS */
#define LDT_TYPE   (0x2UL << 40) /* type: LDT (system descriptor) */

static uint8_t df_stack[2 * PAGE_SIZE] __attribute__((aligned(16)));
/* MSR_SYSENTER_ESP (cpu.c): the stack sysenter lands on. entry_SYSENTER_compat leaves it at
   once for the process's kernel stack; only a #DB raised by a sysenter with TF set is pushed
   here (trapentry.S clears TF and returns to the entry), as on Linux's entry stack. */
uint8_t sysenter_stack[SYSENTER_STACK_BYTES] __attribute__((aligned(16)));
static uint64_t gdt[GDT_NENTRIES];

void gdt_init(void)
{
    gdt[KERNEL_CS >> 3] = SEG_P | SEG_S | SEG_CODE | SEG_RW | SEG_L | SEG_G | SEG_LIMIT;
    gdt[KERNEL_SS >> 3] = SEG_P | SEG_S | SEG_RW | SEG_DB | SEG_G | SEG_LIMIT;
    gdt[USER32_CS >> 3] = SEG_P | SEG_DPL3 | SEG_S | SEG_CODE | SEG_RW | SEG_DB | SEG_G | SEG_LIMIT;
    gdt[USER_SS >> 3] = SEG_P | SEG_DPL3 | SEG_S | SEG_RW | SEG_DB | SEG_G | SEG_LIMIT;
    gdt[USER_CS >> 3] = SEG_P | SEG_DPL3 | SEG_S | SEG_CODE | SEG_RW | SEG_L | SEG_G | SEG_LIMIT;
    /* Linux's setup_getcpu (arch/x86/kernel/cpu/common.c): the limit is (node << 12) | cpu,
       for `lsl` in user space; one CPU, node 0: limit 0. TLS entries stay null until
       set_thread_area. */
    gdt[CPUNODE_SEL >> 3] = SEG_P | SEG_DPL3 | SEG_S | SEG_RO_EXPDOWN_ACC | SEG_DB;

    struct tss *tss = &cpu0.tss;             /* per-CPU (include/percpu.h) */
    uint64_t base = (uint64_t)tss, limit = TSS_LIMIT;   /* the TSS and both I/O bitmaps */
    gdt[TSS_SEL >> 3] = SEG_P | TSS_AVAIL | (limit & 0xffff) | ((limit >> 16 & 0xf) << 48) |
                        ((base & 0xffffff) << 16) | ((base >> 24 & 0xff) << 56);
    gdt[(TSS_SEL >> 3) + 1] = base >> 32;

    tss->ist[IST_DF - 1] = (uint64_t)df_stack + sizeof df_stack;
    ioperm_init();                           /* I/O bitmaps: ioperm.c; no port for ring 3 */

    /*
     * LDTR: after reset (and the multiboot loader) it still describes a present LDT at base 0,
     * limit 0xffff (SDM Vol. 3A 10.1.3), which is user memory once a process maps it: a ring-3
     * program could write its own call gate there and far-call into ring 0. A null selector
     * makes every TI=1 selector reference fault with #GP (SDM Vol. 3A 3.5.1, "LLDT").
     */
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) gdtr = { sizeof gdt - 1, (uint64_t)gdt };
    /*
     * Segment registers: CS and SS get the kernel's selectors; DS, ES, FS and GS get the null
     * selector (GS: boot.S loaded it, and it is never reloaded: in 64-bit mode a selector load
     * would rewrite the GS base, which holds struct cpu from percpu_init() on), as Linux's user
     * processes see them (64-bit mode ignores DS/ES bases and limits,
     * SDM Vol. 3A 3.4.4; a null selector in them is never checked). sysretq leaves them as
     * they are, so ring 3 starts with all four null. FS and GS bases come from MSRs and are
     * written after the selector loads, which may change them (SDM Vol. 3A 3.4.4.1).
     */
    __asm__ volatile(
        "lgdt %0\n\t"
        "mov %5, %%ds\n\t"
        "mov %5, %%es\n\t"
        "mov %5, %%fs\n\t"
        "mov %1, %%ss\n\t"
        "pushq %2\n\t"               /* reload CS with a far return */
        "leaq 1f(%%rip), %%rax\n\t"
        "pushq %%rax\n\t"
        "lretq\n"
        "1:\n\t"
        "ltr %w3\n\t"
        "lldt %w4"
        :: "m"(gdtr), "r"((uint64_t)KERNEL_SS), "i"(KERNEL_CS), "r"((uint64_t)TSS_SEL),
           "r"((uint64_t)LDT_NULL_SEL), "r"((uint64_t)NULL_SEL)
        : "rax", "memory");
    wrmsr(MSR_FS_BASE, 0);          /* per process from here on: the scheduler loads it */
}

/*
 * A process's DS, ES, FS and GS selectors. Ring 3 may load its own user data selector (or
 * null) into them; like its registers they belong to the process: saved when it is switched
 * out, loaded when it runs, null after execve (as on Linux's start_thread). Loading FS or GS
 * sets that register's base from the descriptor (SDM Vol. 3A 3.4.4.1), so the caller writes
 * MSR_FS_BASE and MSR_KERNEL_GS_BASE afterwards. In ring 0 the live GS base is the per-CPU
 * pointer (percpu.h), so GS is loaded between two swapgs, as Linux's load_gs_index does: the
 * descriptor's base lands in IA32_KERNEL_GS_BASE, the per-CPU pointer is never touched.
 * Interrupts are off in the kernel; the selectors were read from the CPU when the process last
 * ran, and only a thread's own TLS entries can change since (set_thread_area reloads the live
 * selectors that name the entry it changed); a selector no longer loadable becomes null.
 */
void segs_load(const uint16_t seg[NSEGS])
{
    /* A TLS selector whose descriptor set_thread_area has since cleared would #GP here, in
       ring 0: it becomes null, as Linux's load_gs_index fixup makes it (the process's own
       set_thread_area reloads its live selectors at once, so this is a safety net). */
    uint16_t s[NSEGS];
    for (int i = 0; i < NSEGS; i++)
        s[i] = sel_loadable(seg[i]) ? seg[i] : NULL_SEL;
    __asm__ volatile("mov %0, %%ds\n\tmov %1, %%es\n\tmov %2, %%fs\n\t"
                     "swapgs\n\tmov %3, %%gs\n\tswapgs"
                     ::"r"(s[0]), "r"(s[1]), "r"(s[2]), "r"(s[3]) : "memory");
}

/*
 * A data-segment register load of `sel` from ring 3 would succeed (SDM Vol. 2B MOV, "IF DS,
 * ES, FS, or GS is loaded with non-NULL selector"): null, or a GDT descriptor in range that is
 * present, code/data, data or readable code, with DPL 3 (so any RPL). Only the TLS entries change
 * while the kernel runs, but every selector is checked against the table itself.
 */
bool sel_loadable(uint16_t sel)
{
    if ((sel & ~SEL_RPL_MASK) == 0)
        return true;
    uint64_t d = seg_descriptor(sel);
    bool code = !!(d & SEG_CODE), readable = !!(d & SEG_RW);
    return !!(d & SEG_P) && !!(d & SEG_S) && (!code || readable) && ((d >> 45) & 3) == 3;
}

/* The descriptor a selector names: the GDT's, or (TI set) the loaded LDT's (ldt.c); 0 past
   either table's end. */
uint64_t seg_descriptor(uint16_t sel)
{
    if (sel & SEL_TI)
        return ldt_descriptor(sel >> 3);
    return (sel >> 3) < GDT_NENTRIES ? gdt[sel >> 3] : 0;
}

/*
 * Linux's set_ldt / load_LDT_nolock (arch/x86/include/asm/desc.h): the LDT's system
 * descriptor (type 2, 16 bytes in IA-32e mode: SDM Vol. 3A 3.5, Table 3-2 and 8.2.3's
 * format) in GDT entries 10-11, then lldt. No LDT: lldt of the null selector, so every TI=1
 * selector is #GP (SDM Vol. 3A 3.5.1).
 */
void gdt_set_ldt(uint64_t base, uint32_t nentries)
{
    uint16_t sel = LDT_NULL_SEL;
    if (nentries) {
        uint64_t limit = (uint64_t)nentries * 8 - 1;
        gdt[LDT_SEL >> 3] = SEG_P | LDT_TYPE | (limit & 0xffff) | ((limit >> 16 & 0xf) << 48) |
                            ((base & 0xffffff) << 16) | ((base >> 24 & 0xff) << 56);
        gdt[(LDT_SEL >> 3) + 1] = base >> 32;
        sel = LDT_SEL;
    }
    __asm__ volatile("lldt %w0" ::"r"((uint64_t)sel) : "memory");
}

/* Linux's load_TLS (arch/x86/include/asm/desc.h): the running thread's set_thread_area
   descriptors in GDT entries TLS_ENTRY_MIN.. (a zero one is not present). */
void tls_load(const uint64_t tls[TLS_ENTRIES])
{
    for (int i = 0; i < TLS_ENTRIES; i++)
        gdt[TLS_ENTRY_MIN + i] = tls[i];
}

void segs_save(uint16_t seg[NSEGS])
{
    __asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\tmov %%gs, %3"
                     : "=r"(seg[0]), "=r"(seg[1]), "=r"(seg[2]), "=r"(seg[3]));
}
