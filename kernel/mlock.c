/*
 * mlock, mlock2, munlock, mlockall, munlockall: memory locking, Linux's accounting and errors
 * (mm/mlock.c). Nothing is ever paged out here and every page is populated at mmap, so
 * locking changes no memory: what a program can observe is the accounting - the pages locked
 * (/proc/PID/status VmLck), RLIMIT_MEMLOCK against them (-ENOMEM past it, -EPERM at 0, both
 * unless CAP_IPC_LOCK), mlockall(MCL_FUTURE) locking later mappings (-EAGAIN past the limit,
 * Linux's mlock_future_ok) - and the errors. A locked page carries PTE_LOCKED (mmu.h), the
 * page tables being the only record of what is mapped: munmap and a MAP_FIXED over it drop
 * it, mremap moves it, mprotect keeps it, fork's copy drops it (Linux's dup_mmap clears
 * VM_LOCKED), execve's new address space has none. [vdso] and [vvar] are never locked nor
 * counted (Linux's mlock_fixup skips VM_SPECIAL mappings).
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vdso.h"
#include "vm.h"

/* Linux's flags (include/uapi/asm-generic/mman-common.h, mman.h) */
#define MLOCK_ONFAULT 0x01         /* mlock2: lock pages as they fault in (here: all are in) */
#define MCL_CURRENT   1            /* mlockall: what is mapped now */
#define MCL_FUTURE    2            /* mlockall: what is mapped from now on */
#define MCL_ONFAULT   4            /* mlockall: as MLOCK_ONFAULT */

static bool special(const struct mm *mm, uint64_t va)
{
    return vdso_hit(mm, va, va + PAGE_SIZE) != 0;
}

/* Locked pages in [lo, hi) (hi at most USER_TOP). Costs what is mapped there. */
static uint64_t locked_in(uint64_t *pml4, uint64_t lo, uint64_t hi)
{
    uint64_t n = 0, work = 0;
    for (uint64_t a = uvm_next_mapped(pml4, lo, hi); a < hi; a = uvm_next_mapped(pml4, a + PAGE_SIZE, hi)) {
        n += (*uvm_pte(pml4, a) & PTE_LOCKED) != 0;
        uvm_charge(&work);
    }
    return n;
}

/* Linux's mm->locked_vm, in pages (/proc/PID/status VmLck). */
uint64_t vm_locked_pages(const struct mm *mm)
{
    return locked_in(mm->pml4, 0, USER_TOP);
}

/* Linux's can_do_mlock: a non-zero RLIMIT_MEMLOCK or CAP_IPC_LOCK. */
static bool can_do_mlock(void)
{
    return rlimit_cur(myproc(), RLIMIT_MEMLOCK_K) != 0 || capable(CAP_IPC_LOCK);
}

/*
 * Linux's mlock_future_ok: may `bytes` more be locked (a mapping made under MCL_FUTURE or
 * MAP_LOCKED, mremap growing a locked one)? 0, or -EAGAIN past RLIMIT_MEMLOCK.
 */
int mlock_may_grow(const struct mm *mm, uint64_t bytes)
{
    uint64_t lim = rlimit_cur(myproc(), RLIMIT_MEMLOCK_K) >> PAGE_SHIFT;
    if (capable(CAP_IPC_LOCK))
        return 0;
    return vm_locked_pages(mm) + ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE > lim ? -EAGAIN : 0;
}

/*
 * The leaf bit a new mapping gets (PTE_LOCKED under mlockall(MCL_FUTURE) or with mmap's
 * MAP_LOCKED) in *pte_bit; -EPERM for MAP_LOCKED where mlock is not allowed (Linux do_mmap).
 */
int mlock_new_mapping(const struct mm *mm, bool map_locked, uint64_t *pte_bit)
{
    if (map_locked && !can_do_mlock())
        return -EPERM;
    *pte_bit = map_locked || mm->lock_future ? PTE_LOCKED : 0;
    return 0;
}

/*
 * Set or clear PTE_LOCKED on [start, end), Linux's apply_vma_lock_flags: a hole ends it with
 * -ENOMEM, the pages before the hole keep the change (as the VMAs before it do on Linux).
 */
static int apply(struct mm *mm, uint64_t start, uint64_t end, bool lock)
{
    uint64_t work = 0;
    for (uint64_t a = start; a < end; a += PAGE_SIZE) {
        uint64_t *pte = a < USER_TOP ? uvm_pte(mm->pml4, a) : NULL;
        if (!pte)
            return -ENOMEM;
        if (!special(mm, a))
            *pte = lock ? *pte | PTE_LOCKED : *pte & ~PTE_LOCKED;   /* ignored by the CPU: no invlpg */
        uvm_charge(&work);
    }
    return 0;
}

/*
 * Linux's __mm_populate after mlock (mm/gup.c populate_vma_page_range): every page is present
 * here, so what is left is what that fault-in refuses: a PROT_NONE page (no FOLL_FORCE for an
 * inaccessible vma: -EFAULT) and a page past a mapped file's end (SIGBUS to the fault:
 * -EFAULT), unless the file has grown over it since (then it is mapped now, filemap.c). The
 * first such page ends it; mlock answers ENOMEM (__mlock_posix_error_return), the range
 * locked all the same. [vdso] and [vvar] are passed over as apply does.
 */
static int populate(struct mm *mm, uint64_t start, uint64_t end)
{
    uint64_t work = 0;
    for (uint64_t a = start; a < end; a += PAGE_SIZE) {
        uint64_t *pte = uvm_pte(mm->pml4, a);
        if (!pte || special(mm, a))
            continue;
        if (*pte & PTE_BUS ? !(*pte & PTE_BUS_U) || !filemap_fault_locked(mm, mm->pml4, a) : !(*pte & PTE_U))
            return -ENOMEM;
        uvm_charge(&work);
    }
    return 0;
}

/* Linux's do_mlock: the range is page-aligned outwards; the limit counts the pages already
   locked plus the new ones (those of the range already locked once only). Then the pages are
   populated (populate) unless `onfault` (mlock2's MLOCK_ONFAULT). */
static int64_t do_mlock(uint64_t start, uint64_t len, bool onfault)
{
    struct mm *mm = myproc()->mm;
    if (!can_do_mlock())
        return -EPERM;
    len = ALIGN_UP(len + (start & (PAGE_SIZE - 1)), PAGE_SIZE);
    start = ALIGN_DOWN(start, PAGE_SIZE);
    uint64_t lim = rlimit_cur(myproc(), RLIMIT_MEMLOCK_K) >> PAGE_SHIFT;
    uint64_t locked = len / PAGE_SIZE + vm_locked_pages(mm);
    bool cap = capable(CAP_IPC_LOCK);
    if (locked > lim && !cap && start < USER_TOP)
        locked -= locked_in(mm->pml4, start, start + len < start || start + len > USER_TOP ? USER_TOP : start + len);
    if (locked > lim && !cap)
        return -ENOMEM;
    if (start + len < start)
        return -EINVAL;
    int r = apply(mm, start, start + len, true);
    return r || onfault ? r : populate(mm, start, start + len);
}

static int64_t do_munlock(uint64_t start, uint64_t len)
{
    len = ALIGN_UP(len + (start & (PAGE_SIZE - 1)), PAGE_SIZE);
    start = ALIGN_DOWN(start, PAGE_SIZE);
    if (start + len < start)
        return -EINVAL;
    return apply(myproc()->mm, start, start + len, false);
}

/* Every mapped page of mm locked or unlocked (Linux apply_mlockall_flags). */
static void apply_all(struct mm *mm, bool lock)
{
    uint64_t work = 0;
    for (uint64_t a = uvm_next_mapped(mm->pml4, 0, USER_TOP); a < USER_TOP;
         a = uvm_next_mapped(mm->pml4, a + PAGE_SIZE, USER_TOP)) {
        uint64_t *pte = uvm_pte(mm->pml4, a);
        if (!special(mm, a))
            *pte = lock ? *pte | PTE_LOCKED : *pte & ~PTE_LOCKED;
        uvm_charge(&work);
    }
}

/* The calls, each under its address space's lock (thread.c mm_lock), as sysmem.c's. */
static int64_t mlock_call(uint64_t start, uint64_t len, bool onfault)
{
    struct mm *mm = myproc()->mm;
    mm_lock(mm);
    int64_t r = do_mlock(start, len, onfault);
    mm_unlock(mm);
    return r;
}

int64_t sys_mlock(struct trapframe *tf)
{
    return mlock_call(tf->rdi, tf->rsi, false);
}

/* mlock2(start, len, flags): MLOCK_ONFAULT or nothing (-EINVAL), then as mlock. */
int64_t sys_mlock2(struct trapframe *tf)
{
    if (tf->rdx & ~(uint64_t)MLOCK_ONFAULT)
        return -EINVAL;
    return mlock_call(tf->rdi, tf->rsi, tf->rdx & MLOCK_ONFAULT);
}

int64_t sys_munlock(struct trapframe *tf)
{
    struct mm *mm = myproc()->mm;
    mm_lock(mm);
    int64_t r = do_munlock(tf->rdi, tf->rsi);
    mm_unlock(mm);
    return r;
}

/*
 * mlockall(flags), Linux's rules: no flag, an unknown one or MCL_ONFAULT alone -EINVAL; then
 * -EPERM as mlock; MCL_CURRENT needs the whole address space (total_vm) within
 * RLIMIT_MEMLOCK (-ENOMEM) without CAP_IPC_LOCK. MCL_FUTURE is set or cleared by every call;
 * without MCL_CURRENT the pages locked now stay as they are.
 */
int64_t sys_mlockall(struct trapframe *tf)
{
    uint64_t flags = tf->rdi;
    struct mm *mm = myproc()->mm;
    if (!flags || (flags & ~(uint64_t)(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
        return -EINVAL;
    if (!can_do_mlock())
        return -EPERM;
    uint64_t lim = rlimit_cur(myproc(), RLIMIT_MEMLOCK_K) >> PAGE_SHIFT;
    mm_lock(mm);
    int64_t r = 0;
    if ((flags & MCL_CURRENT) && !capable(CAP_IPC_LOCK)) {
        uint64_t total = 0, work = 0;
        for (uint64_t a = uvm_next_mapped(mm->pml4, 0, USER_TOP); a < USER_TOP;
             a = uvm_next_mapped(mm->pml4, a + PAGE_SIZE, USER_TOP), uvm_charge(&work))
            total++;
        if (total > lim)
            r = -ENOMEM;
    }
    if (!r) {
        mm->lock_future = flags & MCL_FUTURE;
        if (flags & MCL_CURRENT)
            apply_all(mm, true);
    }
    mm_unlock(mm);
    return r;
}

int64_t sys_munlockall(struct trapframe *tf)
{
    (void)tf;
    struct mm *mm = myproc()->mm;
    mm_lock(mm);
    mm->lock_future = false;
    apply_all(mm, false);
    mm_unlock(mm);
    return 0;
}
