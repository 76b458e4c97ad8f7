/*
 * Mapping regular files (mmap of a file descriptor), as Linux's mm/filemap.c
 * and shmem do for a memory file system.
 *
 * MAP_SHARED maps the file's own pages: every process that maps the file,
 * and read(2)/write(2) on it, see one copy of each byte. Each page mapped is
 * one more share of it (kshare, kalloc.c): the file holds one share while
 * the page is in it, each mapping one until munmap, exit or exec, so a page
 * lives while either holds it. A truncate takes the page out of the file
 * (its share goes) but a mapping keeps its page and its bytes, where Linux
 * would unmap it and make the next access SIGBUS: a documented difference.
 *
 * MAP_PRIVATE copies the file's bytes into private pages at mmap time (Linux
 * copies a page at the first write, so a page not yet written would still
 * show the file's later changes: another documented difference).
 *
 * Pages of the mapping past the end of the file (rounded up to a page) are
 * supervisor-only pages marked PTE_BUS (their PTE_U kept as PTE_BUS_U): a
 * ring-3 access faults and is SIGBUS (BUS_ADRERR), as Linux's is (SIGSEGV if
 * the rights refuse it: signal.c), unless the file has grown over the page
 * since: then the fault maps the file's page (or a copy) and the access goes
 * on, as Linux's fault checks the file's size when it happens (filemap_fault).
 * mremap growing a file mapping maps the file's next pages, in place or moved
 * (filemap_grow), as Linux's vma goes on mapping its file: each record keeps
 * the file offset of its start (Linux's vm_pgoff).
 *
 * A file mapping holds its open file, as Linux's vma holds vm_file
 * (mm/mmap.c __mmap_region get_file, fput in remove_vma): the file stays open
 * after its last descriptor closes, with what an open file keeps - its
 * writecount (lease.c: a file mapped from an O_RDWR descriptor, MAP_SHARED or
 * MAP_PRIVATE, is not exec'd, -ETXTBSY), its leases, its OFD locks - until the
 * last mapping of it goes. The page tables are the only record of what is
 * mapped, so each address space keeps a record per file mapping here: [start,
 * end), the file (one reference each) and whether it is shared. A record is
 * a Linux vma as far as the file goes: munmap of its middle splits it in two,
 * each with a reference (__split_vma's get_file); mremap moves it; fork copies
 * it with a reference of the child's (dup_mmap); munmap, a MAP_FIXED mapping,
 * SHM_REMAP or brk over it trim or drop it; the address space's end (exit,
 * execve) drops every one. Each is given back exactly once: by whichever of
 * those ends its range. An address space holds at most FMAPS_PER_MM (a
 * change that would need more records is -ENOMEM before it changes anything,
 * as Linux's past vm.max_map_count). mprotect(PROT_WRITE) of a shared mapping
 * of a file not open for writing is -EACCES (no VM_MAYWRITE, mm/mprotect.c),
 * and so is MADV_REMOVE of it or of a private file mapping (mm/madvise.c
 * madvise_remove: vma_is_shared_maywrite).
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "thread.h"
#include "vm.h"

/* A file mapping: [start, end) of an address space maps f (one reference), or f NULL: free. */
struct fmap {
    struct file *f;
    uint64_t start, end;
    uint64_t off;                /* the file's byte at start (Linux's vm_pgoff, in bytes) */
    bool shared;                 /* MAP_SHARED: writes reach the file */
};

/* Indexed by the address space's slot (thread.c mms[NPROC + 1]): only a holder of its lock
   changes a row (or fork filling a new one, or its last user emptying it), so a check of free
   records holds until the change it was made for, whatever yields between. */
static struct fmap fmaps[NPROC + 1][FMAPS_PER_MM];

static struct fmap *row(struct mm *mm)
{
    return fmaps[mm_slot(mm)];
}

static int free_records(struct fmap *r)
{
    int n = 0;
    for (int i = 0; i < FMAPS_PER_MM; i++)
        n += !r[i].f;
    return n;
}

/* Is x strictly inside a record (a change at x cuts it in two)? */
static bool cuts(struct fmap *r, uint64_t x)
{
    for (int i = 0; i < FMAPS_PER_MM; i++)
        if (r[i].f && r[i].start < x && x < r[i].end)
            return true;
    return false;
}

/* Records an unmapping of [start, end) adds: one if a record sticks out on both sides, less
   one for each record it ends. */
static int unmap_needs(struct fmap *r, uint64_t start, uint64_t end)
{
    int n = 0;
    for (int i = 0; start < end && i < FMAPS_PER_MM; i++) {
        if (r[i].f && r[i].start < start && end < r[i].end)
            n++;
        else if (r[i].f && start <= r[i].start && r[i].end <= end)
            n--;
    }
    return n;
}

/* Is there room to replace [start, end) and add `more` records? 0 or -ENOMEM. */
int filemap_room(struct mm *mm, uint64_t start, uint64_t end, int more)
{
    struct fmap *r = row(mm);
    return free_records(r) >= unmap_needs(r, start, end) + more ? 0 : -ENOMEM;
}

/* Is there room for mremap's move of [from, from + old_len) over [to, to + new_len)? */
int filemap_room_move(struct mm *mm, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len)
{
    struct fmap *r = row(mm);
    int need = unmap_needs(r, to, to + new_len) + cuts(r, from) + cuts(r, from + old_len);
    return free_records(r) >= need ? 0 : -ENOMEM;
}

/* A record the caller made room for: a free one (NULL only if the caller did not). */
static struct fmap *take(struct fmap *r)
{
    for (int i = 0; i < FMAPS_PER_MM; i++)
        if (!r[i].f)
            return &r[i];
    return NULL;
}

/* Cut the record around x in two, each holding the file (Linux __split_vma). */
static void cut(struct fmap *r, uint64_t x)
{
    for (int i = 0; i < FMAPS_PER_MM; i++) {
        if (!r[i].f || !(r[i].start < x && x < r[i].end))
            continue;
        struct fmap *n = take(r);
        if (!n)
            return;                          /* no room was made: it stays whole */
        *n = (struct fmap){ .f = file_dup(r[i].f), .start = x, .end = r[i].end,
                            .off = r[i].off + (x - r[i].start), .shared = r[i].shared };
        r[i].end = x;
        return;
    }
}

/* mmap put f's pages from byte off at [start, end) (the caller made room): the mapping holds f. */
void filemap_hold(struct mm *mm, uint64_t start, uint64_t end, struct file *f, uint64_t off, bool shared)
{
    struct fmap *n = take(row(mm));
    if (n)
        *n = (struct fmap){ .f = file_dup(f), .start = start, .end = end, .off = off, .shared = shared };
}

/* [start, end) was unmapped or replaced: the records there lose that part, and a record left
   with nothing gives its file back (Linux remove_vma's fput: the last one closes it). */
void filemap_unmapped(struct mm *mm, uint64_t start, uint64_t end)
{
    struct fmap *r = row(mm);
    growsdown_unmapped(mm, start, end);      /* the grows-down ranges' records too (stackgrow.c) */
    for (int i = 0; start < end && i < FMAPS_PER_MM; i++) {   /* (an empty range ends nothing) */
        if (!r[i].f || r[i].end <= start || end <= r[i].start)
            continue;
        if (r[i].start < start && end < r[i].end) {
            cut(r, end);                     /* a hole in its middle: two records (Linux's split) */
            r[i].end = start;
        } else if (r[i].start < start) {
            r[i].end = start;
        } else if (end < r[i].end) {
            r[i].off += end - r[i].start;    /* its first pages went: it starts further in */
            r[i].start = end;
        } else {
            struct file *f = r[i].f;
            r[i] = (struct fmap){ 0 };
            file_close(f);
        }
    }
}

/* mremap moved [from, from + old_len) to `to`, the tail grown to new_len: the records move
   with their file offsets (what was at the target is gone), and the one that ended the old
   range covers the growth (Linux: the vma grows, still mapping its file: filemap_grow mapped
   the file's next pages there). */
void filemap_moved(struct mm *mm, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len)
{
    struct fmap *r = row(mm);
    filemap_unmapped(mm, to, to + new_len);
    cut(r, from);
    cut(r, from + old_len);
    for (int i = 0; i < FMAPS_PER_MM; i++) {
        if (!r[i].f || r[i].start < from || r[i].end > from + old_len)
            continue;
        bool last = r[i].end == from + old_len;
        r[i].start = r[i].start - from + to;
        r[i].end = last ? to + new_len : r[i].end - from + to;
    }
    growsdown_moved(mm, from, old_len, to, new_len);   /* a grows-down range moves too (stackgrow.c) */
}

/* mremap grew a mapping in place from old_end to new_end: the record ending there grows, and
   so does a grows-down range ending there. */
void filemap_grown(struct mm *mm, uint64_t old_end, uint64_t new_end)
{
    struct fmap *r = row(mm);
    for (int i = 0; i < FMAPS_PER_MM; i++)
        if (r[i].f && r[i].end == old_end)
            r[i].end = new_end;
    growsdown_grown(mm, old_end, new_end);   /* a grows-down range grows too (stackgrow.c) */
}

/* The record holding the page at va, or NULL. */
static struct fmap *at(struct fmap *r, uint64_t va)
{
    for (int i = 0; i < FMAPS_PER_MM; i++)
        if (r[i].f && r[i].start <= va && va < r[i].end)
            return &r[i];
    return NULL;
}

/* The leaf bits of a mapped file page's rights (PTE_U, PTE_W, PTE_NX), a page past the end of
   the file included (its PTE_U kept as PTE_BUS_U), with PTE_SHARED for a shared mapping. */
static uint64_t rights(const struct fmap *m, uint64_t pte)
{
    uint64_t u = pte & PTE_BUS ? (pte & PTE_BUS_U ? PTE_U : 0) : pte & PTE_U;
    return (pte & (PTE_W | PTE_NX)) | u | (m->shared ? PTE_SHARED : 0);
}

/* Map the page(s) [va, va + len) of record m from the file, with the rights of pte (a page of
   the same mapping), and its PTE_LOCKED when `lock` (the mapping goes on locked: Linux's
   VM_LOCKED belongs to the vma, not to a page). Returns what file_mmap does. */
static int64_t map_from(struct fmap *m, uint64_t *pml4, uint64_t va, uint64_t len, uint64_t file_va,
                        uint64_t pte, bool lock)
{
    struct file *f = file_dup(m->f);         /* file_mmap may yield: a reference of our own */
    uint64_t flags = rights(m, pte) | (lock ? pte & PTE_LOCKED : 0);
    int64_t r = file_mmap(f, pml4, va, len, m->off + (file_va - m->start), flags, m->shared);
    file_close(f);
    return r;
}

/*
 * mremap grows the mapping whose last page is below old_end by [to, to + len) (to == old_end
 * in place, else the moved mapping's new tail; the caller has checked the range and its
 * room): a file mapping gets its file's next pages there, as Linux's vma keeps mapping its
 * file (MAP_SHARED the file's own pages, MAP_PRIVATE copies, past the end of the file
 * SIGBUS pages), with the rights of its last page. 0 when mapped, FILEMAP_NOT_FILE when the
 * last page is no file mapping's (the caller maps anonymous memory), -ENOMEM/-ENOSPC with
 * none of the range mapped (what was there is gone).
 */
int filemap_grow(struct mm *mm, uint64_t *pml4, uint64_t old_end, uint64_t to, uint64_t len)
{
    struct fmap *m = at(row(mm), old_end - PAGE_SIZE);
    uint64_t *last = uvm_pte(pml4, old_end - PAGE_SIZE);
    if (!m || !last)
        return FILEMAP_NOT_FILE;
    int64_t r = map_from(m, pml4, to, len, old_end, *last, true);   /* a locked vma grows locked */
    return r < 0 ? (int)r : 0;
}

/* Is there room for mremap's MREMAP_DONTUNMAP move of [from, from + len) to `to`: the move's
   records and a copy of each record in the old range? 0 or -ENOMEM. */
int filemap_room_dontunmap(struct mm *mm, uint64_t from, uint64_t len, uint64_t to)
{
    struct fmap *r = row(mm);
    int need = unmap_needs(r, to, to + len) + cuts(r, from) + cuts(r, from + len);
    for (int i = 0; i < FMAPS_PER_MM; i++)
        need += r[i].f && r[i].start < from + len && from < r[i].end;
    return free_records(r) >= need ? 0 : -ENOMEM;
}

/*
 * mremap MREMAP_DONTUNMAP moved [from, from + len) to `to` (filemap_moved done): Linux's vma
 * stays at the old range, emptied, and its next faults there map its file's pages again
 * (mm/mremap.c move_vma, MREMAP_DONTUNMAP): each file mapping that moved gets the old range
 * back from the same offsets (shared: the file's own pages, private: copies, past the end:
 * SIGBUS pages) with the rights its pages had, and a record holding its file once more (the
 * caller made room: filemap_room_dontunmap). 0 or -ENOMEM/-ENOSPC (the rest of the old range
 * then stays unmapped).
 */
int filemap_dontunmap(struct mm *mm, uint64_t *pml4, uint64_t from, uint64_t len, uint64_t to)
{
    struct fmap *r = row(mm);
    for (int i = 0; i < FMAPS_PER_MM; i++) {
        if (!r[i].f || r[i].start < to || r[i].end > to + len)
            continue;                        /* (the copies land in the old range: never here) */
        uint64_t *pte = uvm_pte(pml4, r[i].start);
        struct fmap *n = pte ? take(r) : NULL;
        if (!n)
            continue;
        *n = r[i];
        n->f = file_dup(r[i].f);
        n->start = from + (r[i].start - to);
        n->end = n->start + (r[i].end - r[i].start);
        /* not locked: Linux's move_vma clears VM_LOCKED on the vma left behind */
        int64_t e = map_from(n, pml4, n->start, n->end - n->start, n->start, *pte, false);
        if (e < 0)
            return (int)e;
    }
    return 0;
}

/* Is va a page of a shared file mapping (what mremap with old_size 0 duplicates)? */
bool filemap_shared_at(struct mm *mm, uint64_t va)
{
    struct fmap *m = at(row(mm), va);
    return m && m->shared;
}

/*
 * mremap with old_size 0 of a shared file mapping (Linux's duplicate of a mapping, mm/mremap.c
 * "the DOS-emu duplicate shm area thing"): a new mapping of len bytes at `to` of the same file
 * from the file offset at addr, with the rights of addr's page, replacing what was at [to, to
 * + len) (the caller checked it is a shared file mapping's page and made room for a record).
 * 0, or -ENOMEM/-ENOSPC with nothing mapped at [to, to + len).
 */
int filemap_dup(struct mm *mm, uint64_t *pml4, uint64_t addr, uint64_t to, uint64_t len)
{
    struct fmap *m = at(row(mm), addr);
    uint64_t *pte = uvm_pte(pml4, addr);
    if (!m || !pte)
        return -EINVAL;
    uint64_t off = m->off + (addr - m->start), flags = rights(m, *pte);
    struct file *f = file_dup(m->f);         /* m may go: [to, to + len) may cover the original */
    int64_t r = file_mmap(f, pml4, to, len, off, flags, true);
    filemap_unmapped(mm, to, to + len);      /* what was there is gone, even on a failure */
    if (r >= 0)
        filemap_hold(mm, to, to + len, f, off, true);
    file_close(f);
    return r < 0 ? (int)r : 0;
}

/*
 * A ring-3 page fault at va on a page past the end of a mapped file (PTE_BUS): if the file
 * has grown over it since (ftruncate, write), the page becomes the file's (shared) or a copy
 * of it (private) and the access is retried, as Linux's fault maps the page once the file
 * holds it (mm/filemap.c filemap_fault checks i_size at the fault). True when the access
 * should be retried (the page changed, here or by another thread meanwhile), false when it
 * is still past the end (SIGBUS) or no page could be had (the page is then unmapped: SIGSEGV).
 */
bool filemap_fault(struct mm *mm, uint64_t *pml4, uint64_t va)
{
    va = ALIGN_DOWN(va, PAGE_SIZE);
    uint64_t *pte = va < USER_TOP ? uvm_pte(pml4, va) : NULL;
    if (!pte || !(*pte & PTE_BUS))
        return false;
    mm_lock(mm);
    pte = uvm_pte(pml4, va);                 /* again: another thread may have changed it meanwhile */
    bool retry = !pte || !(*pte & PTE_BUS) || filemap_fault_locked(mm, pml4, va);
    mm_unlock(mm);
    return retry;
}

/* The same with mm's lock held (mlock's populate, mlock.c), for the PTE_BUS page at va (page
   aligned): true when the file now holds it and it is mapped, a locked page staying locked. */
bool filemap_fault_locked(struct mm *mm, uint64_t *pml4, uint64_t va)
{
    uint64_t *pte = uvm_pte(pml4, va);
    struct fmap *m = pte && (*pte & PTE_BUS) ? at(row(mm), va) : NULL;
    if (!m || m->off + (va - m->start) >= ALIGN_UP(m->f->ip->size, PAGE_SIZE))
        return false;                        /* still past the end: SIGBUS */
    return map_from(m, pml4, va, PAGE_SIZE, va, *pte, true) >= 0;
}

/*
 * May [start, end) become writable (mprotect PROT_WRITE; `remove`: have its file's pages
 * punched, MADV_REMOVE)? Not where a shared mapping's file is not open for writing (Linux: no
 * VM_MAYWRITE); MADV_REMOVE not on a private file mapping either. 0 or -EACCES.
 */
int filemap_may_write(struct mm *mm, uint64_t start, uint64_t end, bool remove)
{
    struct fmap *r = row(mm);
    for (int i = 0; i < FMAPS_PER_MM; i++) {
        if (!r[i].f || r[i].end <= start || end <= r[i].start)
            continue;
        if (r[i].shared ? (r[i].f->flags & O_ACCMODE) != O_RDWR : remove)
            return -EACCES;
    }
    return 0;
}

/* fork: the child's address space has the parent's file mappings, each holding the file once
   more (Linux dup_mmap's get_file). The child's row is empty and as long: nothing can fail. */
void filemap_fork(struct mm *to, struct mm *from)
{
    struct fmap *t = row(to), *f = row(from);
    for (int i = 0; i < FMAPS_PER_MM; i++) {
        t[i] = f[i];
        if (t[i].f)
            file_dup(t[i].f);
    }
}

/* The address space's last user is gone (exit, execve, a failed fork): every file mapping
   gives its file back. */
void filemap_mm_release(struct mm *mm)
{
    struct fmap *r = row(mm);
    for (int i = 0; i < FMAPS_PER_MM; i++) {
        struct file *f = r[i].f;
        r[i] = (struct fmap){ 0 };
        if (f)
            file_close(f);
    }
}

/*
 * Map `len` bytes (page-aligned) of f's file from byte `off` at `addr`,
 * replacing what is there, with leaf bits `pte_flags` (PTE_SHARED included
 * when `shared`). The caller holds f (a reference of its own: a page table
 * allocation may yield) and the address space's lock, and has checked the
 * open mode against the protection. Returns addr, or -ENOMEM/-ENOSPC with
 * none of the range mapped.
 */
int64_t file_mmap(struct file *f, uint64_t *pml4, uint64_t addr, uint64_t len, uint64_t off,
                  uint64_t pte_flags, bool shared)
{
    struct inode *ip = f->ip;
    uint64_t work = 0;
    uvm_unmap(pml4, addr, len);
    for (uint64_t done = 0; done < len; done += PAGE_SIZE) {
        uint64_t va = addr + done, pos = off + done;
        uint64_t *pte = walk(pml4, va, true);
        int err = -ENOMEM;
        void *page = NULL;
        uint64_t flags = pte_flags;
        if (pte && shared)
            page = fsdata_page(ip, pos / PAGE_SIZE, &err);
        if (pte && page && !kshare(page)) {
            page = NULL;
            err = -ENOMEM;                   /* mapped the most times a counter holds */
        }
        if (pte && !page && (!shared || err == -ENXIO)) {
            if ((page = kalloc())) {         /* a private copy, or a page past the end */
                fsdata_copy_page(ip, pos, page);
                if (pos >= ALIGN_UP(ip->size, PAGE_SIZE))
                    flags = (flags & ~(PTE_U | PTE_SHARED)) | PTE_BUS | (flags & PTE_U ? PTE_BUS_U : 0);
                else
                    flags &= ~PTE_SHARED;
            } else {
                err = -ENOMEM;
            }
        }
        if (!page) {
            uvm_unmap(pml4, addr, done);
            return err;
        }
        *pte = V2P(page) | flags | PTE_P;
        uvm_charge(&work);
    }
    ip->atime_ns = time_realtime_ns();
    return (int64_t)addr;
}
