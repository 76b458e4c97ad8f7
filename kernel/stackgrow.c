/*
 * The user stack grows down, as Linux's stack vma (VM_GROWSDOWN): mm/mmap.c expand_downwards
 * and acct_stack_growth, reached from arch/x86/mm/fault.c do_user_addr_fault through
 * lock_mm_and_find_vma (mm/memory.c), for a ring-3 access and for the kernel's own access to
 * user memory on the process's behalf alike (copy_to_user's fault takes the same path).
 *
 * The page tables are the only record of what is mapped, so each grows-down range is kept in
 * struct mm (thread.h, grows[]): [lo, top), Linux's vm_start and vm_end of a VM_GROWSDOWN
 * vma: [0] the stack execve made (exec.c), the others mmap's MAP_GROWSDOWN mappings (sysmem.c;
 * Linux refuses it for a file or shared memory: -EINVAL, and places it with a guard gap
 * below) and the halves of a range a hole split (growsdown_unmapped); copied by fork,
 * lowered here. An access at an address below a range's lo, or in a
 * hole a munmap left in it, with nothing mapped between it and the range, grows the range
 * down to that page (fills the hole up to the next page) when Linux's would:
 *
 *   - the page is at or above vm.mmap_min_addr (expand_downwards: -EPERM);
 *   - the highest mapping below it, if it is accessible (not PROT_NONE: vma_is_accessible) and
 *     does not grow down itself, ends at least STACK_GUARD_GAP (Linux's stack_guard_gap, 256
 *     pages) below it;
 *   - the new size (top - page) is within the soft RLIMIT_STACK, read now
 *     (acct_stack_growth: rlimit(RLIMIT_STACK) at the fault);
 *   - RLIMIT_AS has room for the new pages (may_expand_vm with the stack's flags: the stack
 *     is never data, is_data_mapping excludes VM_STACK), and RLIMIT_MEMLOCK too when the
 *     range's bottom page is locked (a VM_LOCKED stack vma: mlockall(MCL_CURRENT) or mlock of
 *     its bottom; MCL_FUTURE alone does not lock the existing stack vma on Linux either).
 *
 * Otherwise the access is refused: SIGSEGV (SEGV_MAPERR at the address) for ring 3, -EFAULT
 * for a system call's buffer. Linux 6.x does not compare the address with RSP (that check
 * went in 4.20), and neither does this. The new pages get the bottom page's rights. A
 * thread's stack (an ordinary mmap) never grows.
 *
 * One difference: Linux's vma grows to the page and maps only the page touched; here every
 * page between the old bottom and the new one is mapped (zeroed), since a page of the stack
 * is only known to be the stack by being mapped. A far access costs the pages in between;
 * /proc/PID/maps, RLIMIT_AS (Linux counts the vma's size) and every other memory call see
 * the same range as Linux's.
 *
 * Growth happens under the address space's lock (thread.c mm_lock), so it never races a
 * sibling's munmap, mmap or mremap: what it looked at is read with the lock held. A fault
 * from ring 3 waits for the lock; a copy by the kernel (a system call's buffer, ptrace's
 * PEEK/POKE, /proc/PID/mem: Linux's __access_remote_vm expands the stack too) never sleeps,
 * its callers not expecting it to: while another holds the lock it is refused (a
 * difference: Linux would wait).
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "thread.h"
#include "vm.h"

#define RLIM_INFINITY (~0UL)

/* May ring 3 touch the mapped page (Linux's vma_is_accessible: anything but PROT_NONE)? */
static bool accessible(uint64_t pte)
{
    return pte & PTE_BUS ? (pte & PTE_BUS_U) != 0 : (pte & PTE_U) != 0;
}

static bool in(const struct growsdown *g, uint64_t va)
{
    return g->top && va >= g->lo && va < g->top;
}

/* Is the page at va part of the stack ([stack] in /proc/PID/maps)? */
bool stack_page(const struct mm *mm, uint64_t va)
{
    return in(&mm->grows[0], va);
}

/* Is it in a grows-down range (the stack or a MAP_GROWSDOWN mapping: Linux's VM_STACK, never
   data for RLIMIT_DATA)? */
bool growsdown_page(const struct mm *mm, uint64_t va)
{
    for (int i = 0; i < GROWSDOWN_MAX; i++)
        if (in(&mm->grows[i], va))
            return true;
    return false;
}

/* Pages of [start, end), all mapped (a /proc region), in grows-down ranges: Linux's
   stack_vm, VmStk in /proc/PID/status (every VM_STACK vma, a MAP_GROWSDOWN one too). */
uint64_t growsdown_pages(const struct mm *mm, uint64_t start, uint64_t end)
{
    uint64_t n = 0;
    for (int i = 0; i < GROWSDOWN_MAX; i++) {
        const struct growsdown *g = &mm->grows[i];
        uint64_t lo = g->lo > start ? g->lo : start, hi = g->top < end ? g->top : end;
        if (g->top && lo < hi)
            n += (hi - lo) / PAGE_SIZE;
    }
    return n < (end - start) / PAGE_SIZE ? n : (end - start) / PAGE_SIZE;
}

/* Records for a MAP_GROWSDOWN mapping at [start, end) (never [0], the stack's): its own, and
   one more when it lands inside a range's middle, which it splits (growsdown_unmapped).
   0 or -ENOMEM. */
int growsdown_room(const struct mm *mm, uint64_t start, uint64_t end)
{
    int need = 1, free = 0;
    for (int i = 0; i < GROWSDOWN_MAX; i++) {
        const struct growsdown *g = &mm->grows[i];
        free += i > 0 && !g->top;
        need += g->top && g->lo < start && end < g->top;
    }
    return free >= need ? 0 : -ENOMEM;
}

/* mmap made [lo, top) with MAP_GROWSDOWN (the caller checked growsdown_room first). */
int growsdown_add(struct mm *mm, uint64_t lo, uint64_t top)
{
    for (int i = 1; i < GROWSDOWN_MAX; i++) {
        if (!mm->grows[i].top) {
            mm->grows[i] = (struct growsdown){ lo, top };
            return 0;
        }
    }
    return -ENOMEM;
}

/* The grows-down range whose guard gap (STACK_GUARD_GAP below its bottom: Linux's
   vm_start_gap) or bottom [start, end) reaches from below, or NULL. */
static const struct growsdown *gap_hit(const struct mm *mm, uint64_t start, uint64_t end)
{
    for (int i = 0; i < GROWSDOWN_MAX; i++) {
        const struct growsdown *g = &mm->grows[i];
        if (g->top && start < g->lo && end > (g->lo > STACK_GUARD_GAP ? g->lo - STACK_GUARD_GAP : 0))
            return g;
    }
    return NULL;
}

/* Would memory at [start, end) stand in a grows-down range's guard gap (brk: Linux refuses a
   break whose next page passes vm_start_gap of the mapping above)? */
bool growsdown_gap_hit(const struct mm *mm, uint64_t start, uint64_t end)
{
    return gap_hit(mm, start, end) != NULL;
}

/*
 * uvm_find_free for a new mapping placed by the kernel (mmap, mremap's move, shmat): the
 * lowest free [a, a + len) in [lo, hi) that also leaves the guard gap below every grows-down
 * range free (Linux's unmapped_area measures the room up to vm_start_gap of the mapping
 * above); 0 if there is none. Each range moves the search past its bottom at most once.
 */
uint64_t growsdown_find_free(const struct mm *mm, uint64_t lo, uint64_t hi, uint64_t len)
{
    uint64_t a = uvm_find_free(mm->pml4, lo, hi, len);
    const struct growsdown *g;
    while (a && (g = gap_hit(mm, a, a + len)))
        a = uvm_find_free(mm->pml4, g->lo, hi, len);
    return a;
}

/*
 * Linux's find_vma for a fault at `page`: the grows-down range the next mapped page up (*next)
 * belongs to, or NULL (nothing above, or not a grows-down one). The page may be below the
 * range, or in a hole a munmap left in it (Linux split the vma there: its upper part grows
 * down into the hole).
 */
static struct growsdown *range_above(struct mm *mm, uint64_t page, uint64_t *next)
{
    *next = uvm_next_mapped(mm->pml4, page, USER_TOP);
    for (int i = 0; *next < USER_TOP && i < GROWSDOWN_MAX; i++)
        if (in(&mm->grows[i], *next))
            return &mm->grows[i];
    return NULL;
}

/*
 * Linux's expand_downwards + acct_stack_growth, mm locked: grow the grows-down range above va
 * down to va's page. True when the page is now mapped (grown here, or by another thread
 * meanwhile), false when Linux would refuse (or no memory could be had).
 */
static bool grow_locked(struct mm *mm, uint64_t va)
{
    uint64_t *pml4 = mm->pml4, page = ALIGN_DOWN(va, PAGE_SIZE);
    if (page >= USER_TOP)
        return false;
    if (uvm_pte(pml4, page))
        return true;                               /* mapped since the fault: retry */
    uint64_t next;
    struct growsdown *g = page >= MMAP_MIN_ADDR ? range_above(mm, page, &next) : NULL;
    if (!g)
        return false;                              /* the next mapping up does not grow down */

    /* stack_guard_gap: the highest mapping below, if accessible and not itself growing down,
       ends a gap or more below. */
    uint64_t gap_lo = page > STACK_GUARD_GAP ? page - STACK_GUARD_GAP : 0, prev = page, work = 0;
    for (uint64_t a = uvm_next_mapped(pml4, gap_lo, page); a < page; a = uvm_next_mapped(pml4, a + PAGE_SIZE, page)) {
        prev = a;
        uvm_charge(&work);
    }
    if (prev < page && accessible(*uvm_pte(pml4, prev)) && !growsdown_page(mm, prev))
        return false;

    uint64_t lim = rlimit_cur(myproc(), RLIMIT_STACK_K);
    if (lim != RLIM_INFINITY && g->top - page > lim)
        return false;                              /* acct_stack_growth: size > rlimit(RLIMIT_STACK) */
    uint64_t rights = *uvm_pte(pml4, next) & (PTE_U | PTE_W | PTE_NX | PTE_LOCKED), len = next - page;
    if (vm_may_expand(mm, rights & ~PTE_W, len, 0, 0))
        return false;                              /* RLIMIT_AS, RLIMIT_MEMLOCK (a locked range) */
    if (uvm_replace(pml4, page, len, rights))
        return false;
    if (page < g->lo)
        g->lo = page;
    return true;
}

/* Below a grows-down range's top, where one might grow: the common case answered without the
   lock. */
static bool below_stack(const struct mm *mm, uint64_t va)
{
    for (int i = 0; mm && va >= MMAP_MIN_ADDR && i < GROWSDOWN_MAX; i++)
        if (mm->grows[i].top && va < mm->grows[i].top)
            return true;
    return false;
}

/*
 * A not-present page fault at va in ring 3 by the current process: true when the stack grew
 * over va (or va got mapped meanwhile) and the access should be retried. May sleep for mm's
 * lock and yield while zeroing pages (nothing is held across the fault).
 */
bool stack_fault(struct mm *mm, uint64_t va)
{
    if (!below_stack(mm, va))
        return false;
    mm_lock(mm);
    bool ok = grow_locked(mm, va);
    mm_unlock(mm);
    return ok;
}

/*
 * The same for the kernel's own access to user memory, which its callers expect never to
 * sleep or yield (the copy is in the middle of their work): the lock only when it is free
 * (taken by anyone - a sibling's memory call, or fork copying the address space - the access
 * is refused: -EFAULT / -EIO, where Linux would wait; no memory call copies user memory with
 * the lock held: old mmap reads its block first, as Linux's), the preemption points off while
 * the pages are zeroed.
 */
static bool grow_atomic(struct mm *mm, uint64_t va)
{
    if (!below_stack(mm, va) || mm->busy)
        return false;
    mm_lock(mm);                                   /* free: never sleeps */
    uvm_atomic(true);
    bool ok = grow_locked(mm, va);
    uvm_atomic(false);
    mm_unlock(mm);
    return ok;
}

/* usercopy.c: no page at va while copying for a system call, in pml4. Only the caller's own
   address space grows here (another's goes through stack_fault_remote). */
bool stack_fault_copy(uint64_t *pml4, uint64_t va)
{
    struct proc *p = myproc();
    return p && p->pml4 == pml4 && p->mm && grow_atomic(p->mm, va);
}

/*
 * ptrace's PEEK/POKE and /proc/PID/mem (kernel/ptregs.c, procpid.c): no page at va in mm,
 * another process's or the caller's own. Linux's __access_remote_vm expands the stack when
 * get_user_pages finds none there (mm/memory.c: expand_stack), with the caller's limits
 * (rlimit() is current's), as here; process_vm_readv/writev (get_user_pages alone) does not.
 */
bool stack_fault_remote(struct mm *mm, uint64_t va)
{
    return grow_atomic(mm, va);
}

/* A record no range uses (never [0], the stack's), or NULL. */
static struct growsdown *free_record(struct mm *mm)
{
    for (int i = 1; i < GROWSDOWN_MAX; i++)
        if (!mm->grows[i].top)
            return &mm->grows[i];
    return NULL;
}

/*
 * [start, end) of mm was unmapped or replaced (munmap, a MAP_FIXED mapping, mremap, brk,
 * shmat: filemap.c filemap_unmapped is told of each). A range's bottom moves up past it as
 * Linux's vma starts later, its top down when it covers the top; a range is gone when nothing
 * of it is left. A hole in its middle splits it in two records, as Linux splits the vma
 * (__split_vma: both halves stay VM_GROWSDOWN, the lower one grows below, the upper one into
 * the hole, each counted against RLIMIT_STACK by its own size; whatever is mapped into the
 * hole later is no part of either and grows nothing). The stack's half holding start_stack
 * keeps [0], the only one /proc/PID/maps calls [stack] (Linux's vma_is_initial_stack).
 * Without a free record (GROWSDOWN_MAX) the hole stays inside the one record: a difference,
 * where Linux's limit is vm.max_map_count.
 */
void growsdown_unmapped(struct mm *mm, uint64_t start, uint64_t end)
{
    for (int i = 0; start < end && i < GROWSDOWN_MAX; i++) {
        struct growsdown *g = &mm->grows[i], *other;
        if (!g->top || end <= g->lo || start >= g->top)
            continue;
        if (start <= g->lo && end >= g->top) {
            *g = (struct growsdown){ 0, 0 };
        } else if (start <= g->lo) {
            g->lo = end;
        } else if (end >= g->top) {
            g->top = start;
        } else if ((other = free_record(mm))) {  /* (disjoint from [start, end): passed over) */
            struct growsdown lower = { g->lo, start }, upper = { end, g->top };
            bool lower_keeps = i == 0 && mm->start_stack < start;
            *g = lower_keeps ? lower : upper;
            *other = lower_keeps ? upper : lower;
        }
    }
}

/* mremap moved [from, from + old_len) to `to`, grown or cut to new_len (the target's old
   records are gone: filemap_moved told growsdown_unmapped first). A range inside it moves
   with it, as Linux's vma keeps VM_GROWSDOWN; so does a part moved out of a range's middle
   or end (Linux's split vma, a record of its own when one is free), what is left behaving
   as after a munmap; one only partly inside loses the part moved. */
void growsdown_moved(struct mm *mm, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len)
{
    for (int i = 0; i < GROWSDOWN_MAX; i++) {
        struct growsdown *g = &mm->grows[i], *n;
        if (!g->top || g->top <= from || g->lo >= from + old_len)
            continue;
        if (g->lo < from || g->top > from + old_len) {
            bool part = g->lo <= from && from + old_len <= g->top;
            growsdown_unmapped(mm, from, from + old_len);
            if (part && (n = free_record(mm)))      /* (never the source: passed over) */
                *n = (struct growsdown){ to, to + new_len };
            continue;
        }
        uint64_t lo = g->lo - from + to, top = g->top == from + old_len ? to + new_len : g->top - from + to;
        if (top > to + new_len)
            top = to + new_len;
        *g = lo < top ? (struct growsdown){ lo, top } : (struct growsdown){ 0, 0 };
    }
}

/* mremap grew a mapping in place from old_end to new_end (filemap.c filemap_grown): a range
   ending there ends at new_end, as Linux's vma grows, VM_GROWSDOWN and all (its growth below
   is counted from the new top, acct_stack_growth). */
void growsdown_grown(struct mm *mm, uint64_t old_end, uint64_t new_end)
{
    for (int i = 0; i < GROWSDOWN_MAX; i++)
        if (mm->grows[i].top && mm->grows[i].top == old_end)
            mm->grows[i].top = new_end;
}
