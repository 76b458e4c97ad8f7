/*
 * System V shared memory as Linux's ipc/shm.c: shmget, shmat, shmdt, shmctl (IPC_STAT,
 * IPC_SET, IPC_RMID, IPC_INFO, SHM_INFO, SHM_STAT, SHM_STAT_ANY, SHM_LOCK, SHM_UNLOCK),
 * with keys, permissions (ipc.c), Linux's limits as it reports them (SHMMIN 1, SHMMAX and
 * SHMALL ULONG_MAX - 2^24, SHMMNI 4096, SHMLBA a page) and its id scheme (include/ipc.h).
 *
 * Who owns what (docs/lifetimes.md):
 * - A segment is a slot of `segs`, made by shmget with all its pages (zeroed, allocated at
 *   once: Linux's shmem allocates at the first touch). The segment holds each page once.
 * - An attachment is a slot of `atts`: (address space, segment, start, length), made by
 *   shmat, copied by fork (shm_fork), dropped by shmdt, by the address space's end (exit,
 *   execve: shm_mm_release) and when none of its pages is mapped any more (munmap, mremap,
 *   a MAP_FIXED over it: shm_unmapped). Each attachment counts once in shm_nattch, which
 *   keeps the segment; each mapped page is one share of the page (kshare), which the page
 *   tables give back when they unmap it.
 * - IPC_RMID frees the segment at once when nothing is attached, else marks it SHM_DEST
 *   (its key becomes IPC_PRIVATE) and the last detach frees it. The pages go with the
 *   segment's hold and the last mapping's share, whichever is later.
 * Linux counts VMAs: a munmap that splits an attachment in two is one attachment here, two
 * there (shm_nattch differs); an mremap moves an attachment that starts in the moved range.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "ipc.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "thread.h"
#include "vdso.h"
#include "vm.h"

#define NSEGS          64             /* segments at once: -ENOSPC past it (Linux SHMMNI 4096) */
#define NATTS          256            /* attachments of every process: -ENOMEM past it (Linux:
                                         vm.max_map_count per process) */
#define SHM_IDX_PAGES  64             /* index pages of a segment: 64 * 512 pages, 128 MiB */
#define PAGES_PER_IDX  (PAGE_SIZE / sizeof(void *))
#define SHMMIN         1UL            /* include/uapi/linux/shm.h */
#define SHMMAX         (~0UL - (1UL << 24))
#define SHMALL         (~0UL - (1UL << 24))   /* pages */
#define SHMMNI         4096UL
#define SHMSEG         SHMMNI         /* attachments a process may have, as Linux reports it */
#define SHMLBA         PAGE_SIZE      /* x86: attach addresses are page multiples */
#define SHM_RDONLY     010000         /* attach read-only */
#define SHM_RND        020000         /* round the address down to SHMLBA */
#define SHM_REMAP      040000         /* replace what is mapped there */
#define SHM_EXEC       0100000        /* executable */
#define SHM_DEST       01000          /* mode bit: removed, freed at the last detach */
#define SHM_LOCKED     02000          /* mode bit: SHM_LOCK (pages are never swapped here anyway) */
#define CAP_IPC_LOCK   14             /* include/uapi/linux/capability.h */


struct seg {
    bool used;
    uint16_t seq;
    struct shmid64_ds ds;
    uint64_t npages;
    void **idx[SHM_IDX_PAGES];        /* kalloc'd pages listing the segment's pages */
    uint32_t lock_uid;                /* SHM_LOCKED: the real uid its pages are charged to */
};

struct att {
    struct mm *mm;                    /* NULL: a free slot */
    struct seg *seg;
    uint64_t start, len;              /* where it was attached (moved by mremap) */
    int tgid;                         /* the attacher: shm_lpid when the address space ends */
    bool rdonly;                      /* SHM_RDONLY: mprotect may not make it writable */
};

/* Pages of SHM_LOCKed segments, by the real uid that locked them (Linux's per-user
   UCOUNT_RLIMIT_MEMLOCK count, user_shm_lock): charged by SHM_LOCK, given back by SHM_UNLOCK
   and when the segment is freed. At most NSEGS uids can hold a charge. */
static struct { uint32_t uid; uint64_t pages; } shm_locked[NSEGS];

static uint64_t *locked_of(uint32_t uid, bool add)
{
    for (int i = 0; i < NSEGS; i++)
        if (shm_locked[i].pages && shm_locked[i].uid == uid)
            return &shm_locked[i].pages;
    for (int i = 0; add && i < NSEGS; i++)
        if (!shm_locked[i].pages) {
            shm_locked[i].uid = uid;
            return &shm_locked[i].pages;
        }
    return NULL;
}

static void unlock_charge(struct seg *s)
{
    if (!(s->ds.perm.mode & SHM_LOCKED))
        return;
    uint64_t *n = locked_of(s->lock_uid, false);
    if (n)
        *n -= s->npages < *n ? s->npages : *n;
    s->ds.perm.mode &= ~(uint32_t)SHM_LOCKED;
}

static struct seg segs[NSEGS];
static struct att atts[NATTS];
static uint64_t shm_tot;              /* pages of every segment (SHM_INFO, SHMALL) */

static void *seg_page(const struct seg *s, uint64_t i)
{
    return s->idx[i / PAGES_PER_IDX][i % PAGES_PER_IDX];
}

static struct seg *by_id(int id)
{
    if (id < 0 || id % IPC_SEQ_MULT >= NSEGS)
        return NULL;
    struct seg *s = &segs[id % IPC_SEQ_MULT];
    return s->used && s->seq == id / IPC_SEQ_MULT ? s : NULL;
}

static int id_of(const struct seg *s) { return s->seq * IPC_SEQ_MULT + (int)(s - segs); }

/* The segment's pages go back: each page with the last of its holds (kput: a mapping may
   still hold one until it is unmapped). */
static void seg_destroy(struct seg *s)
{
    unlock_charge(s);
    for (uint64_t i = 0; i < s->npages; i++)
        kput(seg_page(s, i));
    for (int k = 0; k < SHM_IDX_PAGES && s->idx[k]; k++)
        kfree(s->idx[k]);
    shm_tot -= s->npages;
    uint16_t seq = s->seq;
    *s = (struct seg){ .seq = seq };      /* the slot's seq stays: the next segment gets another id */
}

/* Linux shm_may_destroy: removed and nothing attached. */
static void seg_maybe_destroy(struct seg *s)
{
    if (s->ds.nattch == 0 && (s->ds.perm.mode & SHM_DEST))
        seg_destroy(s);
}

static void att_drop(struct att *a, int tgid)
{
    struct seg *s = a->seg;
    *a = (struct att){ 0 };
    s->ds.nattch--;
    s->ds.lpid = tgid;
    s->ds.dtime = ipc_now_s();
    seg_maybe_destroy(s);
}

/* Does any page of the attachment's range still map its segment's page there? */
static bool att_mapped(const struct att *a)
{
    for (uint64_t i = 0; i * PAGE_SIZE < a->len; i++) {
        uint64_t *pte = uvm_pte(a->mm->pml4, a->start + i * PAGE_SIZE);
        if (pte && (*pte & PTE_ADDR_MASK) == V2P(seg_page(a->seg, i)))
            return true;
    }
    return false;
}

/* Attachments of mm none of whose pages is mapped any more are gone (munmap, mremap, a
   MAP_FIXED mapping over them). The caller holds mm's lock. */
void shm_unmapped(struct mm *mm)
{
    for (int i = 0; i < NATTS; i++)
        if (atts[i].mm == mm && !att_mapped(&atts[i]))
            att_drop(&atts[i], myproc()->tgid);
}

/* mremap moved [from, from+len) to `to`: attachments that start there move with it. */
void shm_moved(struct mm *mm, uint64_t from, uint64_t len, uint64_t to)
{
    for (int i = 0; i < NATTS; i++)
        if (atts[i].mm == mm && atts[i].start >= from && atts[i].start - from < len)
            atts[i].start = atts[i].start - from + to;
    shm_unmapped(mm);
}

/* Is va inside one of mm's attachments (mremap: what grows past it is past the segment)? */
bool shm_holds(struct mm *mm, uint64_t va)
{
    for (int i = 0; i < NATTS; i++)
        if (atts[i].mm == mm && atts[i].start <= va && va - atts[i].start < atts[i].len)
            return true;
    return false;
}

/* mprotect: an attachment made SHM_RDONLY never becomes writable (Linux: no VM_MAYWRITE). */
int shm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, bool write)
{
    for (int i = 0; write && i < NATTS; i++) {
        struct att *a = &atts[i];
        if (a->mm == mm && a->rdonly && a->start < addr + len && addr < a->start + a->len)
            return -EACCES;
    }
    return 0;
}

/* fork: the child's address space has the parent's attachments (uvm_copy shared the pages). */
int shm_fork(struct mm *to, struct mm *from)
{
    for (int i = 0; i < NATTS; i++) {
        if (atts[i].mm != from)
            continue;
        int j = 0;
        while (j < NATTS && atts[j].mm)
            j++;
        if (j == NATTS)
            return -ENOMEM;
        atts[j] = atts[i];
        atts[j].mm = to;
        atts[j].seg->ds.nattch++;
    }
    return 0;
}

/* The address space's last user is gone (exit, execve): its attachments end (the page tables,
   freed next, give back the pages' shares). */
void shm_mm_release(struct mm *mm)
{
    for (int i = 0; i < NATTS; i++)
        if (atts[i].mm == mm)
            att_drop(&atts[i], atts[i].tgid);
}

#define KEY_RACED (-(1LL << 40))      /* newseg: the key got a segment while it allocated (no id, no errno) */

/* The segment of key `key` (not IPC_PRIVATE), or NULL. */
static struct seg *key_lookup(int32_t key)
{
    for (int i = 0; i < NSEGS; i++)
        if (segs[i].used && segs[i].ds.perm.key == key)
            return &segs[i];
    return NULL;
}

/* A new segment of `size` bytes, all its pages zeroed; -ENOMEM, -ENOSPC, or KEY_RACED when
   another call made one of the same key while the pages were allocated (nothing is made). */
static int64_t newseg(int32_t key, uint64_t size, int flg)
{
    if (size < SHMMIN || size > SHMMAX)
        return -EINVAL;
    uint64_t npages = (size + PAGE_SIZE - 1) / PAGE_SIZE;
    if (shm_tot + npages < shm_tot || shm_tot + npages > SHMALL)
        return -ENOSPC;
    uint64_t nidx = (npages + PAGES_PER_IDX - 1) / PAGES_PER_IDX;
    if (nidx > SHM_IDX_PAGES || npages + nidx > kalloc_free_pages())
        return -ENOMEM;                   /* Linux: the overcommit check of a shmem file */
    struct seg s = { .npages = npages };
    uint64_t done = 0, work = 0;
    bool ok = true;
    for (uint64_t k = 0; ok && k < nidx; k++)
        ok = (s.idx[k] = kalloc()) != NULL;
    while (ok && done < npages) {
        void *pg = kalloc();
        if (!(ok = pg != NULL))
            break;
        s.idx[done / PAGES_PER_IDX][done % PAGES_PER_IDX] = pg;
        done++;
        uvm_charge(&work);                /* may yield: nothing here is visible yet */
    }
    int slot = 0;
    while (slot < NSEGS && segs[slot].used)
        slot++;
    /* The allocation may have yielded: another shmget may have made a segment of this key
       meanwhile. Linux looks the key up and adds the segment under one ids->rwsem, so this
       call then acts as if it had found that one (the caller looks again). */
    bool raced = key != IPC_PRIVATE && key_lookup(key);
    if (!ok || slot == NSEGS || raced) {
        for (uint64_t i = 0; i < done; i++)
            kfree(seg_page(&s, i));
        for (uint64_t k = 0; k < nidx; k++)
            if (s.idx[k])
                kfree(s.idx[k]);
        return !ok ? -ENOMEM : raced ? KEY_RACED : -ENOSPC;
    }
    struct seg *n = &segs[slot];
    s.used = true;
    s.seq = (uint16_t)((n->seq + 1) % IPC_SEQ_MAX);
    s.ds.perm = ipc_perm_new(key, flg, s.seq);
    s.ds.segsz = size;
    s.ds.cpid = myproc()->tgid;
    s.ds.ctime = ipc_now_s();
    *n = s;
    shm_tot += npages;
    return id_of(n);
}

int64_t sys_shmget(struct trapframe *tf)
{
    int32_t key = (int32_t)tf->rdi;
    uint64_t size = tf->rsi;
    int flg = (int)tf->rdx;
    for (;;) {
        struct seg *s = key != IPC_PRIVATE ? key_lookup(key) : NULL;
        if (s) {
            if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
                return -EEXIST;
            if (s->ds.segsz < size)
                return -EINVAL;           /* Linux shm_more_checks */
            int r = ipc_perms(&s->ds.perm, flg & 0777);
            return r ? r : id_of(s);
        }
        if (key != IPC_PRIVATE && !(flg & IPC_CREAT))
            return -ENOENT;
        int64_t r = newseg(key, size, flg);
        if (r != KEY_RACED)
            return r;                     /* else the key has a segment now: judged as found */
    }
}

/* Map the segment's pages at [addr, addr+len): -ENOMEM with none of it mapped. */
static int map_seg(struct proc *p, struct seg *s, uint64_t addr, uint64_t flags)
{
    for (uint64_t i = 0; i < s->npages; i += PAGES_PER_IDX) {
        uint64_t n = s->npages - i < PAGES_PER_IDX ? s->npages - i : PAGES_PER_IDX;
        int r = uvm_map_pages(p->pml4, addr + i * PAGE_SIZE, s->idx[i / PAGES_PER_IDX], n, flags);
        if (r) {
            uvm_unmap(p->pml4, addr, i * PAGE_SIZE);
            return r;
        }
    }
    return 0;
}

/* Linux do_shmat: the checks in its order, then a shared mapping of the whole segment; an
   i386 caller's (compat) below its TASK_SIZE, in its mmap region (as mmap2 places them). */
static int64_t do_shmat(struct proc *p, int id, uint64_t addr, int flg, bool compat)
{
    uint64_t top = compat ? USER32_STACK_TOP : USER_LIMIT;
    bool fixed = addr != 0;               /* SHM_RND may round it down to page 0: still fixed */
    if (id < 0)
        return -EINVAL;
    if (addr) {
        if (addr & (SHMLBA - 1)) {
            if (!(flg & SHM_RND))
                return -EINVAL;
            addr &= ~(SHMLBA - 1);
            if (!addr && (flg & SHM_REMAP))
                return -EINVAL;
        }
    } else if (flg & SHM_REMAP) {
        return -EINVAL;
    }
    int acc = (flg & SHM_RDONLY) ? 0444 : 0666;
    uint64_t flags = PTE_U | PTE_SHARED | ((flg & SHM_RDONLY) ? 0 : PTE_W) | PTE_NX;
    if (flg & SHM_EXEC) {
        acc |= 0111;
        flags &= ~PTE_NX;
    }
    struct seg *s = by_id(id);
    if (!s)
        return -EINVAL;
    if (ipc_perms(&s->ds.perm, acc))
        return -EACCES;
    shm_unmapped(p->mm);                  /* attachments unmapped since: gone first */
    uint64_t len = s->npages * PAGE_SIZE;
    /* Linux's mmap_region: may_expand_vm, less what a SHM_REMAP replaces (RLIMIT_AS: a shared
       mapping is never data). It may yield: an IPC_RMID meanwhile may have freed the segment
       (its slot's seq, part of the id, tells). */
    int lim = vm_may_expand(p->mm, flags, len, fixed ? addr : 0, fixed ? len : 0);
    if (by_id(id) != s)
        return -EIDRM;
    if (lim)
        return lim;
    if (fixed && !(flg & SHM_REMAP)) {
        if (addr + len < addr)
            return -EINVAL;
        uint64_t end = addr + len < USER_TOP ? addr + len : USER_TOP;
        if (addr < USER_TOP && uvm_next_mapped(p->pml4, addr, end) != end)
            return -EINVAL;               /* Linux: find_vma_intersection */
    }
    if (fixed && (len > top || addr > top - len))
        return -ENOMEM;                   /* Linux get_unmapped_area: above TASK_SIZE */
    if (fixed && addr < MMAP_MIN_ADDR)
        return -EPERM;                    /* vm.mmap_min_addr (here for root too: mmu.h) */
    if (!fixed && compat) {
        if (!(addr = growsdown_find_free(p->mm, MMAP32_BASE, MMAP32_END, len)))
            return -ENOMEM;
    } else if (!fixed) {
        addr = growsdown_find_free(p->mm, p->mm->mmap_next, MMAP_END, len);
        if (!addr)
            addr = growsdown_find_free(p->mm, MMAP_BASE, MMAP_END, len);
        if (!addr)
            return -ENOMEM;
    }
    int slot = 0;
    while (slot < NATTS && atts[slot].mm)
        slot++;
    if (slot == NATTS || (fixed && filemap_room(p->mm, addr, addr + len, 0)))
        return -ENOMEM;
    if (fixed) {
        uvm_unmap(p->pml4, addr, len);    /* SHM_REMAP: what was there goes first, attachments too */
        shm_unmapped(p->mm);
        filemap_unmapped(p->mm, addr, addr + len);   /* and file mappings (filemap.c) */
    }
    /* The attachment counts before the mapping, which may yield: an IPC_RMID meanwhile only
       marks the segment SHM_DEST, so `s` stays valid (Linux: shm_nattch++ first too). */
    struct att *a = &atts[slot];
    *a = (struct att){ .mm = p->mm, .seg = s, .start = addr, .len = len, .tgid = p->tgid,
                       .rdonly = flg & SHM_RDONLY };
    s->ds.nattch++;
    int r = map_seg(p, s, addr, flags);
    if (r) {
        *a = (struct att){ 0 };
        s->ds.nattch--;
        seg_maybe_destroy(s);
        return r;
    }
    vdso_unmapped(p->mm, addr, addr + len);   /* SHM_REMAP over [vdso] or [vvar] replaced it */
    if (!fixed && !compat)
        p->mm->mmap_next = addr + len + PAGE_SIZE;
    s->ds.atime = ipc_now_s();
    s->ds.lpid = p->tgid;
    return (int64_t)addr;
}

int64_t shm_attach(int id, uint64_t addr, int flg, bool compat)
{
    struct proc *p = myproc();
    mm_lock(p->mm);
    int64_t r = do_shmat(p, id, addr, flg, compat);
    mm_unlock(p->mm);
    return r;
}

int64_t sys_shmat(struct trapframe *tf)
{
    return shm_attach((int)tf->rdi, tf->rsi, (int)tf->rdx, false);
}

/* Linux shmdt: the attachment that starts at addr; its pages that still map the segment
   are unmapped, the rest of the range is left alone. */
int64_t sys_shmdt(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t addr = tf->rdi;
    if (addr % PAGE_SIZE)
        return -EINVAL;
    mm_lock(p->mm);
    shm_unmapped(p->mm);
    int64_t r = -EINVAL;
    for (int i = 0; i < NATTS; i++) {
        struct att *a = &atts[i];
        if (a->mm != p->mm || a->start != addr)
            continue;
        for (uint64_t k = 0; k * PAGE_SIZE < a->len; k++) {
            uint64_t va = a->start + k * PAGE_SIZE, *pte = uvm_pte(p->pml4, va);
            if (pte && (*pte & PTE_ADDR_MASK) == V2P(seg_page(a->seg, k)))
                uvm_unmap(p->pml4, va, PAGE_SIZE);
        }
        att_drop(a, p->tgid);
        r = 0;
        break;
    }
    mm_unlock(p->mm);
    return r;
}

/* The highest slot in use (Linux ipc_get_maxidx, 0 when none: shmctl's IPC_INFO/SHM_INFO). */
static int max_idx(void)
{
    int m = 0;
    for (int i = 0; i < NSEGS; i++)
        if (segs[i].used)
            m = i;
    return m;
}

/*
 * shmctl's work on kernel copies of its structures (Linux ksys_shmctl's helpers), so that the
 * x86-64 call (below) and the i386 ones (ipc32.c) differ only in how they copy: for IPC_SET
 * `b->ds` holds what the caller gave; IPC_STAT, SHM_STAT, SHM_STAT_ANY, IPC_INFO and
 * SHM_INFO fill `b`. Returns the call's result.
 */
int64_t shmctl_k(int id, int cmd, union shmctl_buf *b)
{
    struct proc *p = myproc();
    if (cmd < 0 || id < 0)
        return -EINVAL;
    switch (cmd) {
    case IPC_INFO:
        b->info = (struct shminfo64){ .shmmax = SHMMAX, .shmmin = SHMMIN, .shmmni = SHMMNI,
                                      .shmseg = SHMSEG, .shmall = SHMALL };
        return max_idx();
    case SHM_INFO:
        b->si = (struct shm_info){ .shm_tot = shm_tot, .shm_rss = shm_tot };
        for (int i = 0; i < NSEGS; i++)
            b->si.used_ids += segs[i].used;
        return max_idx();
    case IPC_STAT:
    case SHM_STAT:
    case SHM_STAT_ANY: {
        struct seg *s = cmd == IPC_STAT ? by_id(id) : (id < NSEGS && segs[id].used ? &segs[id] : NULL);
        if (!s)
            return -EINVAL;
        if (cmd != SHM_STAT_ANY && ipc_perms(&s->ds.perm, 0444))
            return -EACCES;
        b->ds = s->ds;
        return cmd == IPC_STAT ? 0 : id_of(s);
    }
    case SHM_LOCK:
    case SHM_UNLOCK: {
        struct seg *s = by_id(id);
        if (!s)
            return -EINVAL;
        const struct cred *c = &p->cred;
        bool cap = capable(CAP_IPC_LOCK);
        uint64_t lim = rlimit_cur(p, RLIMIT_MEMLOCK_K);
        if (!cap && c->euid != s->ds.perm.uid && c->euid != s->ds.perm.cuid)
            return -EPERM;
        if (!cap && cmd == SHM_LOCK && lim == 0)
            return -EPERM;
        if (cmd == SHM_UNLOCK) {
            unlock_charge(s);
            return 0;
        }
        if (s->ds.perm.mode & SHM_LOCKED)
            return 0;
        /* Linux's user_shm_lock: the real uid's locked pages with these past the soft limit
           is -ENOMEM without CAP_IPC_LOCK (which still counts them) */
        uint64_t *n = locked_of(c->uid, true);
        if (!n)
            return -ENOMEM;
        if (!cap && *n + s->npages > lim >> PAGE_SHIFT)      /* RLIM_INFINITY >> 12: never */
            return -ENOMEM;
        *n += s->npages;
        s->lock_uid = c->uid;
        s->ds.perm.mode |= SHM_LOCKED;
        return 0;
    }
    case IPC_SET:
    case IPC_RMID: {
        struct seg *s = by_id(id);
        if (!s)
            return -EINVAL;
        int r = ipc_owner(&s->ds.perm);
        if (r)
            return r;
        if (cmd == IPC_SET) {
            if ((r = ipc_perm_set(&s->ds.perm, &b->ds.perm)))
                return r;
            s->ds.ctime = ipc_now_s();
            return 0;
        }
        /* Linux do_shm_rmid: the key goes at once (shmget cannot find it), the segment at
           the last detach */
        s->ds.perm.mode |= SHM_DEST;
        s->ds.perm.key = IPC_PRIVATE;
        seg_maybe_destroy(s);
        return 0;
    }
    default:
        return -EINVAL;
    }
}

/* x86-64 shmctl: the structures as they are (cmd with IPC_64 is -EINVAL, as there). */
int64_t sys_shmctl(struct trapframe *tf)
{
    struct proc *p = myproc();
    int id = (int)tf->rdi, cmd = (int)tf->rsi;
    uint64_t ubuf = tf->rdx;
    union shmctl_buf b;
    memset(&b, 0, sizeof b);
    if (cmd == IPC_SET && id >= 0 && copyin(p->pml4, &b.ds, ubuf, sizeof b.ds))
        return -EFAULT;
    int64_t r = shmctl_k(id, cmd, &b);
    uint64_t n = cmd == IPC_INFO ? sizeof b.info : cmd == SHM_INFO ? sizeof b.si :
                 cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY ? sizeof b.ds : 0;
    if (r >= 0 && n && copyout(p->pml4, ubuf, &b, n))
        return -EFAULT;
    return r;
}
