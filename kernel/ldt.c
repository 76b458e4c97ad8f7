/*
 * modify_ldt and the Local Descriptor Table, as Linux's arch/x86/kernel/ldt.c.
 *
 * An LDT belongs to an address space (struct mm, Linux's mm->context.ldt): every thread of
 * it sees the same table, fork copies it (ldt_dup_context), execve's new address space has
 * none, and it goes with the address space. Its descriptors live in the address space's
 * window of LDT_AREA (mmu.h): LDT_SLOT_BYTES of kernel virtual space per struct mm slot,
 * with pages (kalloc) mapped for the entries in use, so the CPU sees one contiguous table
 * (the LDT base is a linear address, SDM Vol. 3A 3.5.1). The kernel half is shared by every
 * page table, so the windows need no switching; the scheduler loads the running process's
 * table with lldt at every switch (ldt_switch), execve at once.
 *
 * Validation is Linux's write_ldt: only code/data descriptors (fill_ldt sets S=1 and DPL 3:
 * no system descriptor, no gate, no DPL < 3), never the L bit (no 64-bit code segment), a
 * conforming code segment only if not present and only through func 0x11, 16-bit segments
 * allowed (ringlab has espfix, espfix.c: CONFIG_X86_16BIT's behaviour).
 *
 * Live selectors that name a changed entry: the current thread's DS and ES are reloaded at
 * once (Linux's refresh_ldt_segments; null when no longer loadable); FS and GS keep their
 * hidden part until the next switch, where segs_load checks them (as Linux's loadseg fixup).
 * A CS or SS in a trap frame is checked before the iretq that would load it
 * (user_segs_check): where the CPU would fault in ring 0, the process gets the signal
 * Linux's bad-iret fixup sends instead.
 */
#include "kernel.h"
#include "errno.h"
#include "gdt.h"
#include "ldt.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
#include "traps.h"
#include "userdesc.h"
#include "vm.h"
#include "x86.h"

#define LDT_PAGES   (LDT_SLOT_BYTES / PAGE_SIZE)   /* pages of a full table */
#define LDT_SLOTS   (NPROC + 1)                    /* one window per struct mm (thread.c) */
#define LDT_PTS     ((LDT_SLOTS * LDT_PAGES + PT_ENTRIES - 1) / PT_ENTRIES)
_Static_assert(LDT_ENTRIES * LDT_ENTRY_SIZE == LDT_SLOT_BYTES, "a window holds a full LDT");
_Static_assert(LDT_PTS <= PT_ENTRIES, "the windows fit one PDPT entry");

/* Descriptor bits the checks read (SDM Vol. 3A 3.4.5, Figure 3-8). */
#define D_TYPE_ACCESSED (1UL << 40)   /* type bit 0 */
#define D_TYPE_RW       (1UL << 41)   /* data: writable; code: readable */
#define D_TYPE_DC       (1UL << 42)   /* data: expand-down; code: conforming */
#define D_TYPE_CODE     (1UL << 43)
#define D_S             (1UL << 44)   /* code/data, not system */
#define D_DPL_SHIFT     45
#define D_P             (1UL << 47)
#define D_L             (1UL << 53)   /* 64-bit code */
#define D_DB            (1UL << 54)
#define D_G             (1UL << 55)

#define MODIFY_LDT_READ         0     /* read_ldt */
#define MODIFY_LDT_WRITE_OLD    1     /* write_ldt(oldmode): base 0 and limit 0 clears, AVL 0 */
#define MODIFY_LDT_READ_DEFAULT 2     /* read_default_ldt: zeroes */
#define MODIFY_LDT_WRITE        0x11  /* write_ldt */

static uint64_t ldt_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t ldt_pt[LDT_PTS][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static const struct mm *live;         /* the address space whose LDT is in LDTR, or NULL */

void ldt_init(void)
{
    for (int i = 0; i < LDT_PTS; i++)
        ldt_pd[i] = V2P(ldt_pt[i]) | PTE_P | PTE_W;
    vm_kernel_region(LDT_AREA, V2P(ldt_pd));
}

static uint64_t *table(const struct mm *mm)
{
    return (uint64_t *)(LDT_AREA + (uint64_t)mm_slot(mm) * LDT_SLOT_BYTES);
}

static uint64_t *pte(const struct mm *mm, uint32_t page)
{
    uint32_t i = (uint32_t)mm_slot(mm) * LDT_PAGES + page;
    return &ldt_pt[i / PT_ENTRIES][i % PT_ENTRIES];
}

static uint32_t pages_for(uint32_t entries)
{
    return (entries * LDT_ENTRY_SIZE + PAGE_SIZE - 1) / PAGE_SIZE;
}

/* Room for n entries (n > mm->ldt_entries): zeroed pages under the window. -ENOMEM leaves the
   table as it was (pages already added stay mapped, ldt_free takes them). */
static int grow(struct mm *mm, uint32_t n)
{
    for (uint32_t i = pages_for(mm->ldt_entries); i < pages_for(n); i++) {
        if (*pte(mm, i) & PTE_P)
            continue;
        void *pg = kalloc();
        if (!pg)
            return -ENOMEM;
        *pte(mm, i) = V2P(pg) | PTE_P | PTE_W | PTE_NX;
    }
    mm->ldt_entries = n;
    return 0;
}

void ldt_free(struct mm *mm)
{
    if (live == mm)
        ldt_switch(NULL);                   /* LDTR never points at pages given back */
    for (uint32_t i = 0; i < LDT_PAGES; i++) {
        uint64_t *e = pte(mm, i);
        if (*e & PTE_P) {
            kfree(P2V(*e & PTE_ADDR_MASK));
            *e = 0;
            invlpg((uint64_t)table(mm) + i * PAGE_SIZE);
        }
    }
    mm->ldt_entries = 0;
}

int ldt_copy(struct mm *to, const struct mm *from)
{
    if (!from->ldt_entries)
        return 0;
    if (grow(to, from->ldt_entries)) {
        ldt_free(to);
        return -ENOMEM;
    }
    memcpy(table(to), table(from), from->ldt_entries * LDT_ENTRY_SIZE);
    return 0;
}

/* Linux's load_mm_ldt: the table of the address space about to run, or none. */
void ldt_switch(const struct mm *mm)
{
    live = mm && mm->ldt_entries ? mm : NULL;
    gdt_set_ldt(live ? (uint64_t)table(live) : 0, live ? live->ldt_entries : 0);
}

uint64_t ldt_descriptor(uint32_t idx)
{
    return live && idx < live->ldt_entries ? table(live)[idx] : 0;
}

/* A user buffer of n zero bytes (Linux's clear_user). */
static int clear_user(struct proc *p, uint64_t va, uint64_t n)
{
    static const uint8_t zero[512];
    for (uint64_t done = 0; done < n; done += sizeof zero) {
        uint64_t k = n - done < sizeof zero ? n - done : sizeof zero;
        if (copyout(p->pml4, va + done, zero, k))
            return -EFAULT;
    }
    return 0;
}

static int64_t read_ldt(struct proc *p, uint64_t ptr, uint64_t bytecount)
{
    struct mm *mm = p->mm;
    if (!mm->ldt_entries)
        return 0;
    if (bytecount > LDT_ENTRIES * LDT_ENTRY_SIZE)
        bytecount = LDT_ENTRIES * LDT_ENTRY_SIZE;
    uint64_t size = (uint64_t)mm->ldt_entries * LDT_ENTRY_SIZE;
    if (size > bytecount)
        size = bytecount;
    if (copyout(p->pml4, ptr, table(mm), size))
        return -EFAULT;
    if (size != bytecount && clear_user(p, ptr + size, bytecount - size))
        return -EFAULT;                     /* the rest zero: "pretend we read bytecount bytes" */
    return (int64_t)bytecount;
}

static int64_t read_default_ldt(struct proc *p, uint64_t ptr, uint64_t bytecount)
{
    if (bytecount > LDT_DEFAULT_BYTES)
        bytecount = LDT_DEFAULT_BYTES;
    return clear_user(p, ptr, bytecount) ? -EFAULT : (int64_t)bytecount;
}

/* Linux's refresh_ldt_segments: DS and ES see the new table at once (null if they can't). */
static void refresh_ds_es(void)
{
    uint16_t seg[NSEGS];
    segs_save(seg);
    bool ldt = (seg[0] | seg[1]) & SEL_TI;
    for (int i = 0; i < 2; i++)
        if ((seg[i] & SEL_TI) && !sel_loadable(seg[i]))
            seg[i] = NULL_SEL;
    if (ldt)
        __asm__ volatile("mov %0, %%ds\n\tmov %1, %%es" ::"r"(seg[0]), "r"(seg[1]) : "memory");
}

static int64_t write_ldt(struct proc *p, uint64_t ptr, uint64_t bytecount, bool oldmode)
{
    struct user_desc u;
    if (bytecount != sizeof u)
        return -EINVAL;
    if (copyin(p->pml4, &u, ptr, sizeof u))
        return -EFAULT;
    if (u.entry_number >= LDT_ENTRIES)
        return -EINVAL;
    uint32_t contents = (u.flags >> UD_CONTENTS_SHIFT) & 3;
    if (contents == 3 && (oldmode || !(u.flags & UD_SEG_NOT_PRESENT)))
        return -EINVAL;                     /* conforming code: only new mode, only not present */
    uint64_t d = 0;                         /* the clearing forms */
    if (!((oldmode && !u.base_addr && !u.limit) || ud_empty(&u))) {
        d = ud_fill(&u);                    /* 16-bit segments too: espfix.c covers their stack */
        if (oldmode)
            d &= ~(1UL << 52);              /* AVL: write_old never sets it */
    }
    struct mm *mm = p->mm;
    uint32_t n = u.entry_number + 1 > mm->ldt_entries ? u.entry_number + 1 : mm->ldt_entries;
    if (n > mm->ldt_entries && grow(mm, n))
        return -ENOMEM;
    table(mm)[u.entry_number] = d;
    ldt_switch(mm);                         /* a longer table: a new limit */
    refresh_ds_es();
    return 0;
}

/*
 * modify_ldt(int func, void *ptr, unsigned long bytecount). Linux returns the int result
 * as an unsigned int (its comment: "the ABI for sys_modify_ldt() expects 'int'"), so from
 * the 64-bit table an error is 0xffffffea in RAX, not -22.
 */
int64_t sys_modify_ldt(struct trapframe *tf)
{
    struct proc *p = myproc();
    int func = (int)tf->rdi;
    uint64_t ptr = tf->rsi, bytecount = tf->rdx;
    int64_t r;
    switch (func) {
    case MODIFY_LDT_READ:         r = read_ldt(p, ptr, bytecount); break;
    case MODIFY_LDT_WRITE_OLD:    r = write_ldt(p, ptr, bytecount, true); break;
    case MODIFY_LDT_READ_DEFAULT: r = read_default_ldt(p, ptr, bytecount); break;
    case MODIFY_LDT_WRITE:        r = write_ldt(p, ptr, bytecount, false); break;
    default:                      r = -ENOSYS; break;
    }
    return (int64_t)(uint32_t)r;
}

static bool canonical(uint64_t va)
{
    return va < USER_TOP || va >= 0xffff800000000000UL;
}

/*
 * The exception an iretq to CPL 3 with this frame's CS, SS and RIP would raise, 0 if none
 * (SDM Vol. 2A IRET, "RETURN-FROM-PROTECTED-MODE" / "RETURN-TO-OUTER-PRIVILEGE-LEVEL" in
 * IA-32e mode), and its error code. trapentry.S comes here for any nonzero RPL: one of 1 or
 * 2 (which no path writes: ptrace, sigreturn and exec give RPL 3) would be an iretq to CPL 1
 * or 2, refused like a bad selector.
 */
static int iret_fault(const struct trapframe *tf, uint64_t *err)
{
    uint16_t cs = (uint16_t)tf->cs, ss = (uint16_t)tf->ss;
    uint64_t c = seg_descriptor(cs), s = seg_descriptor(ss);
    *err = cs & ~SEL_RPL_MASK;
    if (!(cs & ~SEL_RPL_MASK) || (cs & SEL_RPL_MASK) != 3) {
        *err = (cs & SEL_RPL_MASK) != 3 ? cs & ~SEL_RPL_MASK : 0;
        return T_GP;
    }
    if (!(c & D_S) || !(c & D_TYPE_CODE))
        return T_GP;                        /* past the table, system, or data */
    uint64_t dpl = (c >> D_DPL_SHIFT) & 3;
    if ((c & D_TYPE_DC) ? dpl > 3 : dpl != 3)
        return T_GP;
    if (!(c & D_P))
        return T_NP;
    if ((c & D_L) && (c & D_DB))
        return T_GP;
    *err = ss & ~SEL_RPL_MASK;
    if (!(ss & ~SEL_RPL_MASK)) {
        *err = 0;
        return T_GP;                        /* a null SS only for CPL < 3 in 64-bit mode */
    }
    if ((ss & SEL_RPL_MASK) != 3 || !(s & D_S) || (s & D_TYPE_CODE) || !(s & D_TYPE_RW) ||
        ((s >> D_DPL_SHIFT) & 3) != 3)
        return T_GP;
    if (!(s & D_P))
        return T_SS;
    *err = 0;
    if (c & D_L)
        return canonical(tf->rip) ? 0 : T_GP;
    uint64_t limit = (c & 0xffff) | ((c >> 48) & 0xf) << 16;
    if (c & D_G)
        limit = limit << 12 | 0xfff;
    return tf->rip > limit ? T_GP : 0;
}

/* Would an iretq to ring 3 with this frame fault in ring 0? The sanitizer kernel asks at every
   return to ring 3 (sanitize.c), whatever the selectors. */
bool user_frame_faults(const struct trapframe *tf)
{
    uint64_t err;
    return iret_fault(tf, &err) != 0;
}

/*
 * trapentry.S calls this before an iretq to ring 3 whose CS is neither user code selector or
 * whose SS is not the user data selector: an LDT segment, a TLS entry, whatever a signal
 * frame or another thread's modify_ldt left there. Where the iretq would fault (in ring 0),
 * the process gets what Linux's fixup_bad_iret gives it: the fault as if raised in ring 3
 * with this frame (#GP SIGSEGV, #NP/#SS SIGBUS), except that a frame bound for an LDT stack
 * goes through espfix, where Linux's double-fault handler turns any such fault into #GP(0)
 * (arch/x86/kernel/traps.c, exc_double_fault). The signal is delivered now, so the frame the
 * iretq loads is the handler's (GDT selectors) or the process is gone - or, traced, the
 * process stopped for the tracer, which may have suppressed the signal and left the frame as
 * it was or changed it: it is checked again until it can be returned (Linux: the iretq
 * faults again, another SIGSEGV, another stop).
 */
void user_segs_check(struct trapframe *tf)
{
    uint64_t err;
    int vec;
    while ((vec = iret_fault(tf, &err))) {
        if (tf->ss & SEL_TI) {
            vec = T_GP;
            err = 0;
        }
        kevent("bad-iret pid=%d vector=%d error=0x%lx rip=0x%lx cs=0x%lx rsp=0x%lx ss=0x%lx", myproc()->pid,
               vec, err, tf->rip, tf->cs, tf->rsp, tf->ss);
        tf->vector = (uint64_t)vec;
        tf->error = err;
        signal_fault(tf);
        signal_return(tf, -1);
    }
}
