/*
 * Memory system calls: brk, anonymous mmap/munmap/mprotect, madvise, mremap, sysinfo. The
 * page tables are the only record of what is mapped (every mapping is
 * populated at once), so the checks below ask them, through walks that skip
 * absent subtrees: each call costs what is mapped in its range, never the
 * range's size. The rules and errors are Linux's (mm/mmap.c, mm/mprotect.c,
 * mm/util.c): brk and mmap never overlap each other or the stack, and a
 * failed call changes nothing.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "ipc.h"
#include "kcov.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "sysfs.h"
#include "trap.h"
#include "vdso.h"
#include "vm.h"

/* Linux's values (include/uapi/asm-generic/mman-common.h, mman.h) */
#define PROT_READ     0x1          /* readable */
#define PROT_WRITE    0x2          /* writable */
#define PROT_EXEC     0x4          /* executable */
#define PROT_SEM      0x8          /* atomic ops allowed: accepted and ignored, as on x86 Linux */
#define MAP_SHARED    0x01         /* shared with forked children (not copied by fork) */
#define MAP_PRIVATE   0x02         /* copied on fork */
#define MAP_SHARED_VALIDATE 0x03   /* MAP_SHARED, unknown flags refused */
#define MAP_TYPE      0x0f         /* the bits that hold one of the three above */
#define MAP_FIXED     0x10         /* exactly at addr, replacing what is there */
#define MAP_ANONYMOUS 0x20         /* zeroed memory, no file */
#define MAP_GROWSDOWN 0x100        /* grows down on faults below it, as the stack (stackgrow.c) */
#define MAP_LOCKED    0x2000       /* locked as by mlock (mlock.c) */
#define MAP_FIXED_NOREPLACE 0x100000 /* exactly at addr, EEXIST if anything is there */

/* Leaf bits for PROT_* rights: W from PROT_WRITE, NX unless PROT_EXEC; PROT_NONE drops U/S. */
static uint64_t prot_flags(uint64_t prot)
{
    if (!(prot & (PROT_READ | PROT_WRITE | PROT_EXEC)))
        return PTE_NX;             /* supervisor-only: any ring-3 access is a #PF */
    return PTE_U | (prot & PROT_WRITE ? PTE_W : 0) | (prot & PROT_EXEC ? 0 : PTE_NX);
}

static bool range_free(uint64_t *pml4, uint64_t start, uint64_t end)
{
    return uvm_next_mapped(pml4, start, end) == end;
}

/*
 * brk (Linux mm/mmap.c): below the start or unchanged -> the current break;
 * shrinking always works; growing needs the new pages, the page above them
 * and nothing mapped there (another mapping ends a heap, it is never taken
 * over), nor a grows-down range's guard gap (Linux's vm_start_gap), and the
 * heap stays a page below MMAP_BASE. A refusal returns the
 * current break and changes nothing.
 */
static int64_t do_brk(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t want = tf->rdi;
    if (want < p->mm->brk_start || want > MMAP_BASE - PAGE_SIZE || brk_over_rlimit(p->mm, want))
        return (int64_t)p->mm->brk;          /* RLIMIT_DATA: before a shrink too, as Linux */
    uint64_t old_end = ALIGN_UP(p->mm->brk, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
    if (new_end > old_end) {
        if (new_end + PAGE_SIZE > MMAP_BASE || !range_free(p->pml4, old_end, new_end + PAGE_SIZE) ||
            growsdown_gap_hit(p->mm, old_end, new_end + PAGE_SIZE))
            return (int64_t)p->mm->brk;          /* (nor the guard gap below a grows-down range) */
        uint64_t locked;                     /* under mlockall(MCL_FUTURE) */
        mlock_new_mapping(p->mm, false, &locked);
        if (vm_may_expand(p->mm, PTE_W | locked, new_end - old_end, 0, 0))
            return (int64_t)p->mm->brk;      /* RLIMIT_MEMLOCK, AS, DATA (Linux do_brk_flags) */
        if (uvm_replace(p->pml4, old_end, new_end - old_end, PTE_U | PTE_W | PTE_NX | locked))
            return (int64_t)p->mm->brk;
    } else if (new_end < old_end) {
        if (filemap_room(p->mm, new_end, old_end, 0))
            return (int64_t)p->mm->brk;          /* a file mapping there would be split (filemap.c) */
        uvm_unmap(p->pml4, new_end, old_end - new_end);
        filemap_unmapped(p->mm, new_end, old_end);
    }
    p->mm->brk = want;
    return (int64_t)want;
}

/*
 * Anonymous mmap, Linux's checks in Linux's order (mm/mmap.c do_mmap,
 * __get_unmapped_area; arch/x86/kernel/sys_x86_64.c). Without MAP_FIXED the
 * hint is ignored and the range is the first free one in [MMAP_BASE,
 * MMAP_END) from the process's search hint, with a guard page on each side.
 * The i386 calls (mmap2, old mmap: Linux's in_32bit_syscall() mmap) place and
 * bound their mappings below 4 GiB: [MMAP32_BASE, MMAP32_END), first fit, and
 * a MAP_FIXED range must end by USER32_STACK_TOP.
 * A file (`mf`, the caller holds a reference; NULL: the fd was not open) is mapped after
 * Linux's checks of its open mode (EACCES) and kind: a regular file's pages (filemap.c),
 * /dev/zero as anonymous memory, an open kcov node's buffer (kcov.c kcov_mmap, shared with
 * the kernel whatever the type; MAP_PRIVATE only makes fork copy it); anything else has no
 * mmap (-ENODEV).
 */
static int64_t mmap_in(struct trapframe *tf, uint64_t top, uint64_t lo, uint64_t hi, bool hint,
                       struct file *mf)
{
    struct proc *p = myproc();
    uint64_t addr = tf->rdi, len = tf->rsi, prot = tf->rdx, flags = tf->r10, off = tf->r9;
    if (off % PAGE_SIZE)
        return -EINVAL;
    if (flags & MAP_ANONYMOUS)
        mf = NULL;
    else if (!mf)
        return -EBADF;                       /* Linux ksys_mmap_pgoff: the fd first */
    if (mf && off + ALIGN_UP(len, PAGE_SIZE) < off)
        return -EOVERFLOW;                   /* the last page's offset wraps (Linux do_mmap) */
    if (len == 0)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (len == 0)
        return -ENOMEM;                      /* the length wrapped */
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (len > top)
        return -ENOMEM;
    if (fixed) {
        if (addr > top - len)
            return -ENOMEM;
        if (addr % PAGE_SIZE)
            return -EINVAL;
        if (addr < MMAP_MIN_ADDR)
            return -EPERM;                   /* vm.mmap_min_addr */
    } else {
        /* A grows-down mapping gets the guard gap below it free (Linux's stack_guard_placement). */
        uint64_t gap = flags & MAP_GROWSDOWN ? STACK_GUARD_GAP : 0;
        addr = hint ? growsdown_find_free(p->mm, p->mm->mmap_next, hi, len + gap) : 0;
        if (!addr)
            addr = growsdown_find_free(p->mm, lo, hi, len + gap);
        if (!addr)
            return -ENOMEM;
        addr += gap;
    }
    if ((flags & MAP_FIXED_NOREPLACE) && !range_free(p->pml4, addr, addr + len))
        return -EEXIST;
    uint64_t type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    uint64_t shared = type == MAP_PRIVATE ? 0 : PTE_SHARED;
    if (mf) {
        int acc = mf->flags & O_ACCMODE;     /* Linux do_mmap: the open mode, then f_op->mmap */
        if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR)
            return -EACCES;
        if (acc == O_WRONLY)
            return -EACCES;
    }
    bool regular = mf && !mf->kcov && mf->type == F_INODE && (mf->ip->mode & S_IFMT) == S_IFREG;
    bool has_mmap = regular || (mf && (mf->kcov || (mf->type == F_INODE && mf->ip->dev == DEV_ZERO)));
    if ((flags & MAP_GROWSDOWN) && (mf ? has_mmap : type != MAP_PRIVATE))
        return -EINVAL;                      /* Linux do_mmap: a file's or shared anonymous memory never
                                                grows down (a file without mmap is -ENODEV first) */
    if ((flags & MAP_GROWSDOWN) && growsdown_room(p->mm, addr, addr + len))
        return -ENOMEM;                      /* its record, and a split one's (stackgrow.c) */
    uint64_t locked;
    int r = mlock_new_mapping(p->mm, flags & MAP_LOCKED, &locked);
    if (r)
        return r;                            /* MAP_LOCKED without RLIMIT_MEMLOCK (Linux do_mmap) */
    /* a grows-down mapping is never data (Linux's is_data_mapping leaves VM_GROWSDOWN out) */
    uint64_t vflags = (prot_flags(prot) & ~((flags & MAP_GROWSDOWN) ? PTE_W : 0)) | shared | locked;
    r = vm_may_expand(p->mm, vflags, len, fixed ? addr : 0, fixed ? len : 0);
    if (r)
        return r;                            /* RLIMIT_MEMLOCK, AS, DATA (Linux do_mmap, mmap_region) */
    r = filemap_room(p->mm, addr, addr + len, regular);
    if (r)
        return r;                            /* the file mappings' records (filemap.c) */
#ifdef KCOV
    if (mf && mf->kcov) {
        int64_t k = kcov_mmap(mf, p->pml4, addr, len, off, prot_flags(prot) | shared | locked);
        if (k >= 0) {
            vdso_unmapped(p->mm, addr, addr + len);
            filemap_unmapped(p->mm, addr, addr + len);
        }
        if (k >= 0 && !fixed && hint)
            p->mm->mmap_next = addr + len + PAGE_SIZE;
        return k;
    }
#endif
    if (regular) {
        int64_t m = file_mmap(mf, p->pml4, addr, len, off, prot_flags(prot) | shared | locked, shared);
        filemap_unmapped(p->mm, addr, addr + len);   /* what was there is gone, even on a failure */
        if (m < 0)
            return m;
        filemap_hold(p->mm, addr, addr + len, mf, off, shared);   /* the mapping holds the file */
    } else if (mf && !(mf->type == F_INODE && mf->ip->dev == DEV_ZERO)) {
        return -ENODEV;                      /* pipes, directories, the console, /dev/null... */
    } else if ((r = uvm_replace(p->pml4, addr, len, prot_flags(prot) | shared | locked))) {
        return r;                            /* anonymous memory, and /dev/zero's (Linux: the same) */
    } else {
        filemap_unmapped(p->mm, addr, addr + len);   /* a file mapping there gives its file back */
    }
    vdso_unmapped(p->mm, addr, addr + len);  /* a MAP_FIXED over [vdso] or [vvar] replaced it */
    if (fixed)
        shm_unmapped(p->mm);                 /* or over a SysV shm attachment (shm.c) */
    if (flags & MAP_GROWSDOWN)
        growsdown_add(p->mm, addr, addr + len);   /* room checked above; nothing yielded since */
    if (!fixed && hint)
        p->mm->mmap_next = addr + len + PAGE_SIZE;
    return (int64_t)addr;
}

/* mmap holds the file it maps (a reference, taken before anything may yield: another thread
   may close the fd meanwhile), as Linux's ksys_mmap_pgoff holds its struct file. */
static int64_t mmap_file(struct trapframe *tf, uint64_t top, uint64_t lo, uint64_t hi, bool hint)
{
    struct file *mf = NULL;
    if (!(tf->r10 & MAP_ANONYMOUS) && (mf = fd_file((int)tf->r8)))
        mf = file_dup(mf);
    int64_t r = mmap_in(tf, top, lo, hi, hint, mf);
    if (mf)
        file_close(mf);
    return r;
}

static int64_t do_mmap(struct trapframe *tf)
{
    return mmap_file(tf, USER_LIMIT, MMAP_BASE, MMAP_END, true);
}

/* i386 mmap2(addr, len, prot, flags, fd, pgoff): the offset in pages (Linux ksys_mmap_pgoff). */
static int64_t do_mmap2(struct trapframe *tf)
{
    struct trapframe t = *tf;
    t.r9 = tf->r9 << PAGE_SHIFT;                 /* a 32-bit page number: no overflow */
    return mmap_file(&t, USER32_STACK_TOP, MMAP32_BASE, MMAP32_END, false);
}

/* i386 old mmap(struct mmap_arg_struct *): six 32-bit words, the offset in bytes and
   page-aligned (Linux's old_mmap in arch/x86/kernel/sys_ia32.c: -EINVAL otherwise). The block
   is read before the address space's lock is taken, as Linux copies it before
   vm_mmap_pgoff takes mmap_lock: a block below the stack grows it (stackgrow.c), which a
   copy under the lock could not (-EFAULT). */
int64_t sys_old_mmap32(struct trapframe *tf)
{
    uint32_t a[6];
    if (copyin(myproc()->pml4, a, tf->rdi, sizeof a))
        return -EFAULT;
    if (a[5] % PAGE_SIZE)
        return -EINVAL;
    struct trapframe t = *tf;
    t.rdi = a[0], t.rsi = a[1], t.rdx = a[2], t.r10 = a[3], t.r8 = a[4], t.r9 = a[5];
    struct mm *mm = myproc()->mm;
    mm_lock(mm);
    int64_t r = mmap_file(&t, USER32_STACK_TOP, MMAP32_BASE, MMAP32_END, false);
    mm_unlock(mm);
    return r;
}

/* munmap (Linux mm/mmap.c do_vmi_munmap): unmapped parts of the range are fine. */
static int64_t do_munmap(struct trapframe *tf)
{
    uint64_t addr = tf->rdi, len = tf->rsi;
    if (addr % PAGE_SIZE || addr > USER_LIMIT || len > USER_LIMIT - addr || len == 0)
        return -EINVAL;
    if (filemap_room(myproc()->mm, addr, addr + len, 0))
        return -ENOMEM;                              /* Linux: splitting past vm.max_map_count */
    uvm_unmap(myproc()->pml4, addr, len);
    filemap_unmapped(myproc()->mm, addr, addr + len);   /* file mappings there give their files back */
    vdso_unmapped(myproc()->mm, addr, addr + len);   /* Linux allows unmapping the vDSO */
    shm_unmapped(myproc()->mm);                      /* a SysV shm attachment may have gone */
    return 0;
}

/*
 * mprotect (Linux mm/mprotect.c do_mprotect_pkey): see uvm_protect for a range with holes.
 * The vDSO's pages as Linux's special mappings: [vvar] may never become writable or
 * executable (no VM_MAYWRITE, VM_MAYEXEC: -EACCES, here before any page changes); [vdso]
 * may become writable, on pages of the process's own (vdso.c vdso_unshare).
 */
static int64_t do_mprotect(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t addr = tf->rdi, len = tf->rsi, prot = tf->rdx;
    if (addr % PAGE_SIZE)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (addr + ALIGN_UP(len, PAGE_SIZE) <= addr)
        return -ENOMEM;
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
        return -EINVAL;
    int hit = vdso_hit(p->mm, addr, addr + ALIGN_UP(len, PAGE_SIZE));
    if ((hit & VDSO_HIT_VVAR) && (prot & (PROT_WRITE | PROT_EXEC)))
        return -EACCES;
    if (shm_mprotect(p->mm, addr, ALIGN_UP(len, PAGE_SIZE), prot & PROT_WRITE))
        return -EACCES;                      /* a SHM_RDONLY attachment (Linux: no VM_MAYWRITE) */
    if ((prot & PROT_WRITE) && filemap_may_write(p->mm, addr, addr + ALIGN_UP(len, PAGE_SIZE), false))
        return -EACCES;                      /* a shared mapping of a file not open for writing */
    if ((prot & PROT_WRITE) && vm_may_write(p->mm, addr, ALIGN_UP(len, PAGE_SIZE)))
        return -ENOMEM;                      /* private memory turning into data: RLIMIT_DATA */
    if ((hit & VDSO_HIT_VDSO) && (prot & PROT_WRITE)) {
        int r = vdso_unshare(p->pml4, p->mm);
        if (r)
            return r;
    }
    return uvm_protect(p->pml4, addr, len, prot_flags(prot));
}

/* madvise advice (include/uapi/asm-generic/mman-common.h) */
#define MADV_NORMAL         0      /* hints: nothing to do here ... */
#define MADV_RANDOM         1
#define MADV_SEQUENTIAL     2
#define MADV_WILLNEED       3
#define MADV_DONTNEED       4      /* private pages read back as zeros */
#define MADV_FREE           8      /* private: may be discarded lazily (here: never) */
#define MADV_REMOVE         9      /* shared: punch a hole (zeros for every sharer) */
#define MADV_DONTFORK       10     /* not supported: -EINVAL */
#define MADV_DOFORK         11
#define MADV_MERGEABLE      12     /* KSM and THP hints */
#define MADV_UNMERGEABLE    13
#define MADV_HUGEPAGE       14
#define MADV_NOHUGEPAGE     15
#define MADV_DONTDUMP       16     /* no core dumps are written: hints */
#define MADV_DODUMP         17
#define MADV_WIPEONFORK     18     /* not supported: -EINVAL */
#define MADV_KEEPONFORK     19
#define MADV_COLD           20     /* reclaim hints: no reclaim here */
#define MADV_PAGEOUT        21
#define MADV_POPULATE_READ  22     /* every page is populated already */
#define MADV_POPULATE_WRITE 23
#define MADV_DONTNEED_LOCKED 24    /* as MADV_DONTNEED, locked pages too (Linux 5.18) */

static bool madv_hint(uint64_t advice)
{
    switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED: case MADV_DOFORK:
    case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP: case MADV_DODUMP: case MADV_KEEPONFORK: case MADV_COLD: case MADV_PAGEOUT:
    case MADV_POPULATE_READ:
        return true;
    default:
        return false;
    }
}

/*
 * madvise (Linux mm/madvise.c do_madvise): unknown or unsupported advice
 * -EINVAL, an unaligned start -EINVAL, an empty range 0; the advice applies
 * to the mapped pages and a hole in the range makes the result -ENOMEM.
 * MADV_DONTNEED zeroes private pages in place (memory is always populated
 * here; Linux frees them and maps zeros at the next touch: the same
 * contents) and keeps shared ones (their data lives on, as in Linux's shmem).
 * MADV_REMOVE zeroes shared pages for every sharer and is -EINVAL on private
 * ones; MADV_FREE is -EINVAL on shared ones and otherwise a hint (Linux may
 * keep the data until memory runs short: here it always does).
 * MADV_POPULATE_WRITE needs writable pages (-EINVAL), as on Linux 6.
 * A locked page (PTE_LOCKED) stops MADV_DONTNEED, MADV_FREE, MADV_REMOVE, MADV_COLD and
 * MADV_PAGEOUT with -EINVAL, the pages before it done (Linux's madvise_dontneed_free_valid_vma,
 * madvise_remove and can_madv_lru_vma refuse a VM_LOCKED vma, the vmas before it done);
 * MADV_DONTNEED_LOCKED zeroes it.
 */
static int64_t do_madvise(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t start = tf->rdi, len_in = tf->rsi, advice = tf->rdx;
    bool discard = advice == MADV_DONTNEED || advice == MADV_DONTNEED_LOCKED;
    if (!madv_hint(advice) && !discard && advice != MADV_FREE && advice != MADV_REMOVE &&
        advice != MADV_POPULATE_WRITE)
        return -EINVAL;
    if (start % PAGE_SIZE)
        return -EINVAL;
    uint64_t len = ALIGN_UP(len_in, PAGE_SIZE), end = start + len;
    if ((len_in && !len) || end < start)
        return -EINVAL;
    if (end == start)
        return 0;
    int r = 0;
    uint64_t work = 0;
    if (vdso_hit(p->mm, start, end) && (advice == MADV_REMOVE || advice == MADV_FREE))
        return -EINVAL;                          /* Linux: the vDSO is neither a shared file nor anonymous */
    if (advice == MADV_REMOVE && shm_mprotect(p->mm, start, len, true))
        return -EACCES;                          /* a SHM_RDONLY attachment (Linux: not VM_MAYWRITE) */
    if (advice == MADV_REMOVE && filemap_may_write(p->mm, start, end, true))
        return -EACCES;                          /* a private file mapping, or a shared one of a file
                                                    not open for writing (Linux madvise_remove) */
    for (uint64_t a = start; a < end; a += PAGE_SIZE) {
        uint64_t *pte = a < USER_LIMIT ? uvm_pte(p->pml4, a) : NULL;
        if (!pte) {
            r = -ENOMEM;
            uint64_t next = a < USER_LIMIT ? uvm_next_mapped(p->pml4, a, end < USER_LIMIT ? end : USER_LIMIT) : end;
            a = (next > a ? next : end) - PAGE_SIZE;
            continue;
        }
        bool shared = *pte & PTE_SHARED;
        if ((*pte & PTE_LOCKED) && (advice == MADV_DONTNEED || advice == MADV_FREE || advice == MADV_REMOVE ||
                                    advice == MADV_COLD || advice == MADV_PAGEOUT))
            return -EINVAL;
        if ((advice == MADV_REMOVE && !shared) || (advice == MADV_FREE && shared))
            return -EINVAL;
        /* (a [vdso] page made writable keeps its bytes: Linux would map the image's again) */
        if (advice == MADV_POPULATE_WRITE && !(*pte & PTE_W))
            return -EINVAL;                      /* what Linux 6.x answers for a read-only mapping */
        if ((discard && !shared && !vdso_hit(p->mm, a, a + PAGE_SIZE)) || advice == MADV_REMOVE) {
            if (uvm_own(pte, a))                 /* a read-only page fork shares: zero our own */
                return -ENOMEM;
            memset(P2V(*pte & PTE_ADDR_MASK), 0, PAGE_SIZE);
        }
        uvm_charge(&work);
    }
    return r;
}

/* mremap flags (include/uapi/linux/mman.h) */
#define MREMAP_MAYMOVE   1         /* may move to a new address */
#define MREMAP_FIXED     2         /* to new_address exactly (with MAYMOVE) */
#define MREMAP_DONTUNMAP 4         /* move, and leave the old range mapped, emptied (Linux 5.7) */

static bool range_mapped(uint64_t *pml4, uint64_t start, uint64_t end)
{
    for (uint64_t a = start; a < end; a += PAGE_SIZE)
        if (!uvm_pte(pml4, a))
            return false;
    return true;
}

/* The flags vm_may_expand judges a mapping's growth by: its first page's, without PTE_W for a
   grows-down range (never data: Linux's is_data_mapping leaves VM_GROWSDOWN out). */
static uint64_t expand_flags(const struct mm *mm, uint64_t addr)
{
    uint64_t pte = *uvm_pte(mm->pml4, addr);
    return growsdown_page(mm, addr) ? pte & ~PTE_W : pte;
}

/*
 * The vDSO's pages as Linux's special mappings (mm/mremap.c vma_to_resize): an old range
 * holding [vdso] or [vvar] must be exactly that one mapping (-EFAULT: it spans more than one
 * VMA) and may not grow (VM_DONTEXPAND: -EFAULT) nor be left behind (MREMAP_DONTUNMAP:
 * -EINVAL); 0 if the move may go on.
 */
static int mremap_special(const struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
                          bool dontunmap)
{
    int hit = vdso_hit(mm, addr, addr + old_len);
    if (!hit)
        return 0;
    if (dontunmap)
        return -EINVAL;                          /* Linux: not a VM_DONTEXPAND mapping */
    uint64_t base = hit == VDSO_HIT_VVAR ? mm->vvar_base : mm->vdso_base;
    uint64_t size = hit == VDSO_HIT_VVAR ? PAGE_SIZE : VDSO_PAGES * PAGE_SIZE;
    if (hit == (VDSO_HIT_VVAR | VDSO_HIT_VDSO) || addr != base || old_len != size || new_len > old_len)
        return -EFAULT;
    return 0;
}

/*
 * The pages a mapping grows by at [to, to + len), its last page below old_end, as Linux's vma
 * goes on: a file mapping's file's next pages (filemap.c filemap_grow), and past a SysV shm
 * attachment's segment supervisor-only PTE_BUS pages, SIGBUS to ring 3 (Linux: past the end
 * of the segment's shmem file). 0 when mapped, FILEMAP_NOT_FILE for anonymous memory (the
 * caller maps fresh pages), or -ENOMEM/-ENOSPC with none of [to, to + len) mapped.
 */
static int mremap_grow(struct proc *p, uint64_t old_end, uint64_t to, uint64_t len)
{
    int r = filemap_grow(p->mm, p->pml4, old_end, to, len);
    if (r != FILEMAP_NOT_FILE || !shm_holds(p->mm, old_end - PAGE_SIZE))
        return r;
    uint64_t last = *uvm_pte(p->pml4, old_end - PAGE_SIZE);
    return uvm_replace(p->pml4, to, len, (last & (PTE_W | PTE_NX | PTE_LOCKED)) | PTE_BUS |
                       (last & PTE_U ? PTE_BUS_U : 0));   /* a locked attachment grows locked */
}

/*
 * Move [from, from + old_len) to `to`, grown to new_len. A file mapping's growth is its file's
 * next pages (mremap_grow), mapped at the new tail first so that a failure leaves the old
 * range where it was; anonymous memory grows with fresh pages (uvm_move). On a failure what
 * was at [to, to + new_len) may be gone (a MREMAP_FIXED target: Linux's mremap_to unmaps it
 * first too), so its records go with it.
 */
static int mremap_move(struct proc *p, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len)
{
    int r = FILEMAP_NOT_FILE;
    if (new_len > old_len)
        r = mremap_grow(p, from + old_len, to + old_len, new_len - old_len);
    if (r == FILEMAP_NOT_FILE)
        return uvm_move(p->pml4, from, old_len, to, new_len);
    if (!r && (r = uvm_move(p->pml4, from, old_len, to, old_len)))
        uvm_unmap(p->pml4, to + old_len, new_len - old_len);
    if (r) {
        filemap_unmapped(p->mm, to, to + new_len);
        vdso_unmapped(p->mm, to, to + new_len);
        shm_unmapped(p->mm);
    }
    return r;
}

/*
 * After a MREMAP_DONTUNMAP move of [from, from + len) to `to`: Linux's vma stays at the old
 * range with no pages, and the next touch there maps what a fresh mapping would: a file's
 * pages again (filemap.c filemap_dontunmap), the same shared anonymous (shmem) pages, zeros
 * for private anonymous memory. Every mapping is populated at once here, so those pages are
 * mapped now, with the rights the moved pages have. 0 or -ENOMEM (the move is done; the rest
 * of the old range stays unmapped).
 */
static int mremap_refill(struct proc *p, uint64_t from, uint64_t len, uint64_t to)
{
    int r = filemap_dontunmap(p->mm, p->pml4, from, len, to);
    uint64_t work = 0;
    for (uint64_t off = 0; !r && off < len; off += PAGE_SIZE) {
        uint64_t *moved = uvm_pte(p->pml4, to + off);
        if (!moved || uvm_pte(p->pml4, from + off))
            continue;                            /* a hole, or a file's page mapped again */
        uint64_t pte = *moved & ~(uint64_t)(PTE_A | PTE_D);
        if (pte & PTE_SHARED) {                  /* the same page, one more share of it */
            uint64_t *slot = walk(p->pml4, from + off, true);
            if (!slot || !kshare(P2V(pte & PTE_ADDR_MASK)))
                r = -ENOMEM;
            else
                *slot = pte;
        } else {
            r = uvm_replace(p->pml4, from + off, PAGE_SIZE, pte & ~(PTE_ADDR_MASK | PTE_P));
        }
        uvm_charge(&work);
    }
    return r;
}

/*
 * mremap(addr, 0, new_len, flags, new_address): Linux duplicates a shared mapping there (a new
 * mapping of the same pages from addr's offset, the original untouched) and refuses a private
 * one (-EINVAL); without MREMAP_MAYMOVE the growth in place of nothing finds addr's own pages
 * above: -ENOMEM. Here a shared file mapping is duplicated (filemap.c filemap_dup); shared
 * anonymous memory and SysV shm attachments are not (-EINVAL: docs/kernel.md).
 */
static int64_t mremap_dup(struct proc *p, uint64_t addr, uint64_t new_len, uint64_t flags, uint64_t new_addr,
                          uint64_t top, uint64_t lo, uint64_t hi, bool hint)
{
    if (!filemap_shared_at(p->mm, addr))
        return -EINVAL;
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    uint64_t to = new_addr;
    if (flags & MREMAP_FIXED) {
        if (new_addr % PAGE_SIZE || new_addr > top - new_len)
            return -EINVAL;
        if (new_addr < MMAP_MIN_ADDR)
            return -EPERM;                       /* as the move's MREMAP_FIXED */
    } else {
        to = hint ? growsdown_find_free(p->mm, p->mm->mmap_next, hi, new_len) : 0;
        if (!to)
            to = growsdown_find_free(p->mm, lo, hi, new_len);
        if (!to)
            return -ENOMEM;
    }
    int r = filemap_room(p->mm, to, to + new_len, 1);
    if (r)
        return r;
    r = filemap_dup(p->mm, p->pml4, addr, to, new_len);
    vdso_unmapped(p->mm, to, to + new_len);      /* a MREMAP_FIXED target replaced, even on a failure */
    shm_unmapped(p->mm);
    if (r)
        return r;
    if (!(flags & MREMAP_FIXED) && hint)
        p->mm->mmap_next = to + new_len + PAGE_SIZE;
    return (int64_t)to;
}

/*
 * mremap(old, old_len, new_len, flags, new_address), Linux's rules
 * (mm/mremap.c): a shrink unmaps the tail; a growth extends in place when
 * the pages above are free, else moves with MREMAP_MAYMOVE (-ENOMEM
 * without); MREMAP_FIXED moves to new_address, replacing what is there.
 * The old range must be mapped (-EFAULT). Pages move, their contents are
 * never copied. Without VMAs the "one mapping" rule is "every page mapped".
 * A file mapping grows with its file's next pages and a SysV shm attachment with SIGBUS
 * pages (mremap_grow). old_len 0 duplicates a shared file mapping (mremap_dup);
 * MREMAP_DONTUNMAP moves and maps the old range again, emptied (mremap_refill). A new_len
 * past TASK_SIZE and an old range ending above the user half: -EINVAL (Linux); a MREMAP_FIXED target below MMAP_MIN_ADDR:
 * -EPERM, as for mmap (root included: see mmu.h). The i386 call (163) works below an i386
 * process's TASK_SIZE (`top`: USER32_STACK_TOP) and moves into the i386 mmap region [lo, hi)
 * as mmap2 places (Linux: TASK_SIZE and get_unmapped_area for a compat task).
 */
static int64_t mremap_in(struct trapframe *tf, uint64_t top, uint64_t lo, uint64_t hi, bool hint)
{
    struct proc *p = myproc();
    uint64_t addr = tf->rdi, old_len = tf->rsi, new_len = tf->rdx, flags = tf->r10, new_addr = tf->r8;
    if (flags & ~(uint64_t)(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP))
        return -EINVAL;
    if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
        return -EINVAL;
    if (addr % PAGE_SIZE)
        return -EINVAL;
    old_len = ALIGN_UP(old_len, PAGE_SIZE);
    new_len = ALIGN_UP(new_len, PAGE_SIZE);
    bool dontunmap = flags & MREMAP_DONTUNMAP;
    if (dontunmap && (!(flags & MREMAP_MAYMOVE) || old_len != new_len))
        return -EINVAL;                          /* Linux: a move of the same size only */
    if (!new_len || new_len > top)
        return -EINVAL;                          /* Linux: nothing, or more than TASK_SIZE */
    if (addr >= top || !uvm_pte(p->pml4, addr))
        return -EFAULT;
    if (!old_len)
        return mremap_dup(p, addr, new_len, flags, new_addr, top, lo, hi, hint);
    if (old_len > top - addr)
        return -EINVAL;                          /* Linux: the old range ends above TASK_SIZE (a shrink
                                                    would unmap everything up to it, the stack too) */
    if (flags & MREMAP_FIXED) {
        if (new_addr % PAGE_SIZE || new_len > top || new_addr > top - new_len)
            return -EINVAL;
        if (new_addr < MMAP_MIN_ADDR)
            return -EPERM;                       /* as mmap's MAP_FIXED: never page 0 (Linux's
                                                    mmap_min_addr, for every process here) */
        if (addr + old_len > new_addr && new_addr + new_len > addr)
            return -EINVAL;
        if (old_len > new_len) {
            if (filemap_room(p->mm, addr + new_len, addr + old_len, 0))
                return -ENOMEM;
            uvm_unmap(p->pml4, addr + new_len, old_len - new_len);
            filemap_unmapped(p->mm, addr + new_len, addr + old_len);
            vdso_unmapped(p->mm, addr + new_len, addr + old_len);
            old_len = new_len;
        }
        if (old_len > top - addr || !range_mapped(p->pml4, addr, addr + old_len))
            return -EFAULT;
        int r = mremap_special(p->mm, addr, old_len, new_len, dontunmap);
        /* RLIMIT_AS, RLIMIT_DATA (Linux vma_to_resize), the target's; MREMAP_DONTUNMAP keeps the
           old range mapped, so the whole new one is added */
        if (!r && (dontunmap || new_len > old_len))
            r = vm_may_expand(p->mm, expand_flags(p->mm, addr), dontunmap ? new_len : new_len - old_len,
                              new_addr, new_len);
        if (!r)
            r = dontunmap ? filemap_room_dontunmap(p->mm, addr, old_len, new_addr)
                          : filemap_room_move(p->mm, addr, old_len, new_addr, new_len);
        if (!r)
            r = mremap_move(p, addr, old_len, new_addr, new_len);
        if (r)
            return r;
        filemap_moved(p->mm, addr, old_len, new_addr, new_len);   /* file mappings move with it */
        vdso_unmapped(p->mm, new_addr, new_addr + new_len);   /* what the move replaced */
        vdso_moved(p->mm, addr, new_addr);                    /* Linux's vdso_mremap: the new base */
        shm_moved(p->mm, addr, old_len, new_addr);            /* SysV shm attachments move too */
        r = dontunmap ? mremap_refill(p, addr, old_len, new_addr) : 0;
        return r ? r : (int64_t)new_addr;
    }
    if (old_len >= new_len && !dontunmap) {
        if (filemap_room(p->mm, addr + new_len, addr + old_len, 0))
            return -ENOMEM;
        uvm_unmap(p->pml4, addr + new_len, old_len - new_len);
        filemap_unmapped(p->mm, addr + new_len, addr + old_len);
        vdso_unmapped(p->mm, addr + new_len, addr + old_len);
        shm_unmapped(p->mm);
        return (int64_t)addr;
    }
    if (old_len > top - addr || !range_mapped(p->pml4, addr, addr + old_len))
        return -EFAULT;
    int special = mremap_special(p->mm, addr, old_len, new_len, dontunmap);
    if (!special)                                /* RLIMIT_AS, RLIMIT_DATA (Linux vma_to_resize); */
        special = vm_may_expand(p->mm, expand_flags(p->mm, addr),   /* DONTUNMAP keeps the old range */
                                dontunmap ? new_len : new_len - old_len, 0, 0);
    if (special)
        return special;
    uint64_t grow_end = addr + new_len;
    if (!dontunmap && grow_end > addr && grow_end <= hi && range_free(p->pml4, addr + old_len, grow_end)) {
        int r = mremap_grow(p, addr + old_len, addr + old_len, new_len - old_len);
        if (r == FILEMAP_NOT_FILE) {             /* anonymous memory grows with fresh pages */
            uint64_t flags_last = *uvm_pte(p->pml4, addr + old_len - PAGE_SIZE);
            flags_last &= ~(PTE_ADDR_MASK | PTE_A | PTE_D | PTE_P);
            r = uvm_replace(p->pml4, addr + old_len, new_len - old_len, flags_last);
        }
        if (!r)
            filemap_grown(p->mm, addr + old_len, addr + new_len);
        return r ? r : (int64_t)addr;
    }
    if (!(flags & MREMAP_MAYMOVE))
        return -ENOMEM;
    uint64_t to = hint ? growsdown_find_free(p->mm, p->mm->mmap_next, hi, new_len) : 0;
    if (!to)
        to = growsdown_find_free(p->mm, lo, hi, new_len);
    if (!to)
        return -ENOMEM;
    int r = dontunmap ? filemap_room_dontunmap(p->mm, addr, old_len, to)
                      : filemap_room_move(p->mm, addr, old_len, to, new_len);
    if (!r)
        r = mremap_move(p, addr, old_len, to, new_len);
    if (r)
        return r;
    filemap_moved(p->mm, addr, old_len, to, new_len);
    if (hint)
        p->mm->mmap_next = to + new_len + PAGE_SIZE;
    shm_moved(p->mm, addr, old_len, to);
    r = dontunmap ? mremap_refill(p, addr, old_len, to) : 0;
    return r ? r : (int64_t)to;
}

static int64_t do_mremap(struct trapframe *tf)
{
    return mremap_in(tf, USER_LIMIT, MMAP_BASE, MMAP_END, true);
}

static int64_t do_mremap32(struct trapframe *tf)
{
    return mremap_in(tf, USER32_STACK_TOP, MMAP32_BASE, MMAP32_END, false);
}

/*
 * msync(addr, len, flags) as Linux's: MS_ASYNC or MS_SYNC (not both) and MS_INVALIDATE; the
 * range must be mapped (-ENOMEM). Shared file pages are the file's own pages, so there is
 * nothing to write back: success is the truth for a memory file system.
 */
#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC       4
static int64_t do_msync(struct trapframe *tf)
{
    uint64_t addr = tf->rdi, len = ALIGN_UP(tf->rsi, PAGE_SIZE), flags = tf->rdx;
    if (flags & ~(uint64_t)(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
        return -EINVAL;
    if (addr % PAGE_SIZE || ((flags & MS_ASYNC) && (flags & MS_SYNC)))
        return -EINVAL;
    if (addr + len < addr)
        return -ENOMEM;
    if (addr + len > USER_LIMIT)
        return -ENOMEM;
    for (uint64_t a = addr; a < addr + len; a += PAGE_SIZE)
        if (!uvm_pte(myproc()->pml4, a))
            return -ENOMEM;                  /* Linux: a hole in the range */
    return 0;
}

/* The memory calls, each under its address space's lock (thread.c mm_lock): they may yield midway
   (old mmap takes it itself, after reading its argument block). */
#define LOCKED_CALL(name)                                  \
    int64_t sys_##name(struct trapframe *tf)               \
    {                                                      \
        struct mm *mm = myproc()->mm;                      \
        mm_lock(mm);                                       \
        int64_t r = do_##name(tf);                         \
        mm_unlock(mm);                                     \
        return r;                                          \
    }
LOCKED_CALL(brk)
LOCKED_CALL(mmap)
LOCKED_CALL(mmap2)
LOCKED_CALL(munmap)
LOCKED_CALL(mprotect)
LOCKED_CALL(madvise)
LOCKED_CALL(mremap)
LOCKED_CALL(mremap32)
LOCKED_CALL(msync)

/* struct sysinfo (Linux include/uapi/linux/sysinfo.h, x86-64 layout). */
struct sysinfo {
    int64_t uptime;                /* seconds since boot */
    uint64_t loads[3];             /* 1, 5, 15 minute load averages << 16 */
    uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;   /* in mem_unit */
    uint16_t procs;                /* processes */
    uint16_t pad;
    uint64_t totalhigh, freehigh;
    uint32_t mem_unit;             /* bytes per unit above */
    char reserved[4];
};
_Static_assert(sizeof(struct sysinfo) == 112, "Linux's struct sysinfo is 112 bytes on x86-64");

/*
 * sysinfo: memory in bytes from the page allocator (freeram counts every free
 * page, page-table pages included: tests use it to see a process give pages
 * back); bufferram: the pages the open-file cache keeps (file.c), which free memory does not
 * get back when files close. No load average is kept: loads are 0. No swap or shared RAM.
 */
int64_t sys_sysinfo(struct trapframe *tf)
{
    /* Zeroed as a whole first: an initializer leaves the padding after `pad` undefined, and
     * clang left kernel stack bytes there, copied out to the user (found by userland/fuzz). */
    struct sysinfo si;
    memset(&si, 0, sizeof si);
    si.uptime = (int64_t)(ticks / TIMER_HZ);
    si.totalram = kalloc_total_pages() * PAGE_SIZE;
    si.freeram = kalloc_free_pages() * PAGE_SIZE;
    si.bufferram = file_cache_pages() * PAGE_SIZE;   /* kernel caches: the open-file cache (file.c) */
    si.procs = (uint16_t)proc_count();
    si.mem_unit = 1;
    return copyout(myproc()->pml4, tf->rdi, &si, sizeof si);
}
