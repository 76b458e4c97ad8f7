/*
 * set_thread_area and get_thread_area: a thread's three TLS descriptors in the GDT (entries
 * TLS_ENTRY_MIN.. = selectors 0x63, 0x6b, 0x73), as Linux's arch/x86/kernel/tls.c. i386
 * glibc puts its thread pointer there (%gs = 0x63). The descriptors are the thread's own
 * (proc.tls): copied by fork and clone, cleared by execve, written into the GDT when it is
 * scheduled (proc.c) and at once when it changes them.
 */
#include "kernel.h"
#include "errno.h"
#include "gdt.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "userdesc.h"
#include "vm.h"

/* Linux's LDT_zero: everything 0, which also clears the entry. */
static bool ud_zero(const struct user_desc *u)
{
    return u->base_addr == 0 && u->limit == 0 && (u->flags & UD_FLAG_BITS) == 0;
}

/*
 * Linux's tls_desc_okay: empty is fine; otherwise only a 32-bit, present data segment (no
 * 16-bit segment: espfix does not cover the GDT; no code; no not-present DPL-3 segment).
 */
static bool ud_okay(const struct user_desc *u)
{
    if (ud_empty(u) || ud_zero(u))
        return true;
    if (!(u->flags & UD_SEG_32BIT))
        return false;
    if (((u->flags >> UD_CONTENTS_SHIFT) & 3) > 1)
        return false;
    return !(u->flags & UD_SEG_NOT_PRESENT);
}

/* set_thread_area's descriptor: 0 (not present) for the two clearing forms. */
static uint64_t ud_descriptor(const struct user_desc *u)
{
    return ud_empty(u) || ud_zero(u) ? 0 : ud_fill(u);
}

/* Linux's fill_ldt, with the accessed bit set and L never (SDM Vol. 3A 3.4.5, Figure 3-8). */
uint64_t ud_fill(const struct user_desc *u)
{
    uint64_t base = u->base_addr, limit = u->limit & 0xfffff;
    uint64_t type = 1 | (uint64_t)(!(u->flags & UD_READ_EXEC_ONLY)) << 1 |
                    (uint64_t)((u->flags >> UD_CONTENTS_SHIFT) & 3) << 2;
    return (limit & 0xffff) | (base & 0xffffff) << 16 | type << 40 | 1UL << 44 /* S */ |
           3UL << 45 /* DPL 3 */ | (uint64_t)!(u->flags & UD_SEG_NOT_PRESENT) << 47 |
           (limit >> 16) << 48 | (uint64_t)!!(u->flags & UD_USEABLE) << 52 |
           (uint64_t)!!(u->flags & UD_SEG_32BIT) << 54 | (uint64_t)!!(u->flags & UD_LIMIT_IN_PAGES) << 55 |
           (base >> 24) << 56;
}

/* Linux's fill_user_desc: a descriptor back in struct user_desc form. */
struct user_desc ud_of(uint32_t idx, uint64_t d)
{
    uint32_t type = (d >> 40) & 0xf;
    return (struct user_desc){
        .entry_number = idx,
        .base_addr = (uint32_t)(((d >> 16) & 0xffffff) | ((d >> 56) & 0xff) << 24),
        .limit = (uint32_t)((d & 0xffff) | ((d >> 48) & 0xf) << 16),
        .flags = (uint32_t)((d >> 54) & 1) | (type >> 2) << UD_CONTENTS_SHIFT |
                 (type & 2 ? 0 : UD_READ_EXEC_ONLY) | (uint32_t)((d >> 55) & 1) << 4 |
                 ((d >> 47) & 1 ? 0 : UD_SEG_NOT_PRESENT) | (uint32_t)((d >> 52) & 1) << 6 |
                 (uint32_t)((d >> 53) & 1) << 7,
    };
}

/*
 * set_thread_area(struct user_desc *u): entry_number -1 takes the first empty TLS entry and
 * writes its number back; else it must be TLS_ENTRY_MIN..+2. A live DS, ES, FS or GS naming
 * the entry is reloaded (null if the entry is now empty), as Linux's do_set_thread_area.
 */
int64_t sys_set_thread_area(struct trapframe *tf)
{
    struct proc *p = myproc();
    struct user_desc u;
    if (copyin(p->pml4, &u, tf->rdi, sizeof u))
        return -EFAULT;
    if (!ud_okay(&u))
        return -EINVAL;
    int64_t idx = (int32_t)u.entry_number;
    if (idx == -1) {
        for (int i = 0; i < TLS_ENTRIES && idx == -1; i++)
            if (p->tls[i] == 0)
                idx = TLS_ENTRY_MIN + i;
        if (idx == -1)
            return -ESRCH;
        uint32_t n = (uint32_t)idx;
        if (copyout(p->pml4, tf->rdi, &n, sizeof n))
            return -EFAULT;
    }
    if (idx < TLS_ENTRY_MIN || idx >= TLS_ENTRY_MIN + TLS_ENTRIES)
        return -EINVAL;
    uint64_t d = ud_descriptor(&u);
    p->tls[idx - TLS_ENTRY_MIN] = d;
    tls_load(p->tls);
    /* SS naming the entry (int $0x80 saved it in the frame): the iretq back would #GP in
       ring 0 if the entry is no longer a writable data segment. Linux takes that #GP and
       sends SIGSEGV (its bad_iret fixup); ringlab sends it before the iretq. */
    bool writable = !!(d & (1UL << 41));
    if ((p->tf->ss & ~(uint64_t)SEL_RPL_MASK) == (uint64_t)(idx << 3) && !(d && writable))
        signal_force_sigsegv(p);
    uint16_t seg[NSEGS];
    segs_save(seg);
    bool named = false;
    for (int i = 0; i < NSEGS; i++)
        named |= (seg[i] & ~SEL_RPL_MASK) == (uint16_t)(idx << 3);
    if (named)
        segs_load(seg);      /* the new base in the hidden part; null if no longer loadable */
    return 0;
}

/*
 * An i386 clone's CLONE_SETTLS (Linux set_new_tls -> do_set_thread_area with can_allocate 0):
 * the struct user_desc at `uinfo` (-EFAULT), tls_desc_okay's judgement (-EINVAL), an entry
 * number in the TLS range (-EINVAL, -1 included). The child gets the descriptor (proc_clone).
 */
int tls_clone_desc(uint64_t uinfo, struct clone_tls32 *out)
{
    struct user_desc u;
    if (copyin(myproc()->pml4, &u, uinfo, sizeof u))
        return -EFAULT;
    if (!ud_okay(&u))
        return -EINVAL;
    int64_t idx = (int32_t)u.entry_number;
    if (idx < TLS_ENTRY_MIN || idx >= TLS_ENTRY_MIN + TLS_ENTRIES)
        return -EINVAL;
    out->idx = (int)idx;
    out->desc = ud_descriptor(&u);
    out->base = out->desc ? u.base_addr : 0;
    return 0;
}

/* Linux do_get_thread_area: p's TLS entry idx as a struct user_desc at the caller's uinfo.
   -EINVAL outside the TLS entries, -EFAULT. */
int64_t tls_get_entry(const struct proc *p, int64_t idx, uint64_t uinfo)
{
    if (idx < TLS_ENTRY_MIN || idx >= TLS_ENTRY_MIN + TLS_ENTRIES)
        return -EINVAL;
    struct user_desc u = ud_of((uint32_t)idx, p->tls[idx - TLS_ENTRY_MIN]);
    return copyout(myproc()->pml4, uinfo, &u, sizeof u) ? -EFAULT : 0;
}

/* get_thread_area(struct user_desc *u): the TLS entry u->entry_number, as Linux's. */
int64_t sys_get_thread_area(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint32_t idx;
    if (copyin(p->pml4, &idx, tf->rdi, sizeof idx))
        return -EFAULT;
    return tls_get_entry(p, idx, tf->rdi);
}

/*
 * PTRACE_SET_THREAD_AREA (Linux do_set_thread_area on a task that is not current, can_allocate
 * 0): the struct user_desc at the caller's uinfo (-EFAULT; its entry_number is not read) into
 * the stopped thread p's entry idx, as tls_desc_okay allows (-EINVAL), idx a TLS entry
 * (-EINVAL). The scheduler writes it into the GDT when p runs (tls_load), where a selector of
 * p's that the entry no longer describes becomes null (segs_load) or, as CS or SS, SIGSEGV
 * before the iretq (ldt.c user_segs_check). A saved FS or GS selector naming the entry takes
 * the new descriptor's base as its saved base, as Linux's thread.fsbase/gsbase: an emptied
 * entry leaves base 0.
 */
int64_t tls_set_stopped(struct proc *p, int64_t idx, uint64_t uinfo)
{
    struct user_desc u;
    if (copyin(myproc()->pml4, &u, uinfo, sizeof u))
        return -EFAULT;
    if (!ud_okay(&u))
        return -EINVAL;
    if (idx < TLS_ENTRY_MIN || idx >= TLS_ENTRY_MIN + TLS_ENTRIES)
        return -EINVAL;
    p->tls[idx - TLS_ENTRY_MIN] = ud_descriptor(&u);
    uint16_t sel = (uint16_t)((idx << 3) | 3);
    if (p->seg[SEG_FS] == sel)
        p->fs_base = u.base_addr;
    if (p->seg[SEG_GS] == sel)
        p->gs_base = u.base_addr;
    return 0;
}
