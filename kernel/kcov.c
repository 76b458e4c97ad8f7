/*
 * kcov (include/kcov.h): the trace hook clang's -fsanitize-coverage=trace-pc calls at every
 * basic block, the kcov objects behind /sys/kernel/debug/kcov and their ioctls, mmap and
 * teardown, after Linux's kernel/kcov.c (the same states, checks and errors, in its order).
 *
 * This file is not instrumented (kernel/Makefile): the hook would call itself, and the
 * objects' own code is not what a program asks coverage of (Linux: KCOV_INSTRUMENT_kcov.o := n).
 *
 *   open           a kcov object, mode DISABLED, held by the file
 *   KCOV_INIT_TRACE  DISABLED -> INIT: its buffer pages allocated (Linux: vmalloc_user at once)
 *   mmap           INIT or later: the pages mapped MAP_SHARED, each mapping a share of them
 *   KCOV_ENABLE    INIT -> TRACE_PC, for the calling thread, which takes a reference
 *   KCOV_DISABLE   -> INIT (by that thread only), the thread's reference dropped
 *   thread exit    as KCOV_DISABLE (Linux kcov_task_exit); fork and clone never inherit it
 *   close          the file's reference dropped: a thread still tracing keeps the object
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "cover.h"
#include "kcov.h"
#include "mmu.h"
#include "percpu.h"
#include "proc.h"
#include "sanitize.h"
#include "vm.h"

#ifdef KCOV

enum kcov_mode { KCOV_MODE_DISABLED, KCOV_MODE_INIT, KCOV_MODE_TRACE_PC };

#define WORDS_PER_PAGE (PAGE_SIZE / sizeof(uint64_t))
#define ENOTSUPP 524   /* kernel-internal (include/linux/errno.h): what Linux's kcov answers */

struct kcov {
    int ref;                   /* its open file, and the thread tracing into it; 0: a free slot */
    enum kcov_mode mode;
    uint64_t words;            /* buffer size in 8-byte words (KCOV_INIT_TRACE) */
    uint64_t npages;           /* pages holding them */
    uint64_t **pages;          /* index page: pages[i] holds words [i*512, (i+1)*512) */
    struct proc *t;            /* the thread tracing into it, or NULL */
};

static struct kcov kcovs[NKCOV];

volatile union kcov_hook_state kcov_hook;

/*
 * Called by the compiler at the start of every basic block of instrumented code. Records
 * the caller's PC in the machine-wide record when it is on (cover.c), then for the current
 * thread if it traces and the CPU is not in an interrupt
 * (Linux check_kcov_mode: in_task()). Word 0 counts the PCs; a full buffer keeps its
 * count and drops the rest, as on Linux. The count is the user's to write (programs reset
 * it to 0): it is read once and only a position inside the buffer is written.
 */
void __sanitizer_cov_trace_pc(void)
{
    if (!kcov_hook.any)
        return;
    if (kcov_hook.cover)               /* the machine-wide record (cover.h), for any context */
        cover_hit((uint64_t)__builtin_return_address(0));
    if (!kcov_hook.tracing)
        return;
    struct cpu *c = mycpu();
    if (c->kcov_off)
        return;
    struct proc *p = c->current;
    if (!p || !p->kcov)
        return;
    struct kcov *k = p->kcov;
    uint64_t **pages = k->pages;
    uint64_t pos = *(volatile uint64_t *)&pages[0][0] + 1;
    if (pos < k->words) {
        pages[0][0] = pos;
        pages[pos / WORDS_PER_PAGE][pos % WORDS_PER_PAGE] = (uint64_t)__builtin_return_address(0);
    }
}

void kcov_off_enter(void)
{
    mycpu()->kcov_off++;
}

void kcov_off_exit(void)
{
    if (--mycpu()->kcov_off < 0)
        panic("kcov-off-unbalanced");            /* an exit without its enter: a kernel bug */
}

static struct kcov *kcov_get(struct kcov *k)
{
    SAN_LIVE(SAN_KCOV, k - kcovs, k->ref > 0);
    REF_GET(SAN_KCOV, k - kcovs, k->ref);
    return k;
}

/* The last reference frees the object and gives up its share of each buffer page (a page
   still mapped somewhere lives on until its last munmap). */
static void kcov_put(struct kcov *k)
{
    SAN_LIVE(SAN_KCOV, k - kcovs, k->ref > 0);
    if (REF_PUT(SAN_KCOV, k - kcovs, k->ref) > 0)
        return;
    if (k->pages) {
        for (uint64_t i = 0; i < k->npages; i++)
            kput(k->pages[i]);
        kfree(k->pages);
    }
    SAN_FREED(SAN_KCOV, k - kcovs, k, ref);
}

int kcov_open(struct file *f)
{
    for (int i = 0; i < NKCOV; i++) {
        struct kcov *k = &kcovs[i];
        if (k->ref)
            continue;
        *k = (struct kcov){ .ref = 1, .mode = KCOV_MODE_DISABLED };
        SAN_LIVE(SAN_KCOV, i, true);
        f->kcov = k;
        return 0;
    }
    return -ENOMEM;                                /* Linux: kzalloc failed */
}

void kcov_close(struct file *f)
{
    if (f->kcov)
        kcov_put(f->kcov);
    f->kcov = NULL;
}

/* Stop the thread tracing into k (KCOV_DISABLE, exit): Linux kcov_disable. */
static void kcov_stop(struct proc *t, struct kcov *k)
{
    t->kcov = NULL;
    k->t = NULL;
    k->mode = KCOV_MODE_INIT;
    kcov_hook.tracing--;
}

void kcov_task_exit(struct proc *p)
{
    struct kcov *k = p->kcov;
    if (!k)
        return;
    kcov_stop(p, k);
    kcov_put(k);
}

/* KCOV_INIT_TRACE: size the buffer (at least the count and one PC) and allocate it. */
static int64_t kcov_init_trace(struct kcov *k, uint64_t words)
{
    if (words < 2 || words > 0x7fffffffUL / sizeof(uint64_t))
        return -EINVAL;                            /* Linux: size < 2 || size > INT_MAX / 8 */
    if (k->mode != KCOV_MODE_DISABLED)
        return -EBUSY;
    uint64_t npages = (words + WORDS_PER_PAGE - 1) / WORDS_PER_PAGE;
    if (npages > KCOV_MAX_PAGES || npages + 1 > kalloc_free_pages())
        return -ENOMEM;                            /* Linux: vmalloc_user failed */
    uint64_t **pages = kalloc();
    if (!pages)
        return -ENOMEM;
    for (uint64_t i = 0; i < npages; i++) {
        if (!(pages[i] = kalloc())) {
            while (i--)
                kfree(pages[i]);
            kfree(pages);
            return -ENOMEM;
        }
    }
    k->pages = pages;
    k->npages = npages;
    k->words = words;
    k->mode = KCOV_MODE_INIT;
    return 0;
}

int64_t kcov_ioctl(struct file *f, uint64_t cmd, uint64_t arg)
{
    struct kcov *k = f->kcov;
    struct proc *t = myproc();
    SAN_LIVE(SAN_KCOV, k - kcovs, k->ref > 0);
    switch (cmd) {
    case KCOV_INIT_TRACE:
        return kcov_init_trace(k, arg);
    case KCOV_ENABLE:
        /* Linux kcov_ioctl_locked: INIT and a buffer; one thread per object, one object per thread. */
        if (k->mode != KCOV_MODE_INIT || !k->pages)
            return -EINVAL;
        if (k->t || t->kcov)
            return -EBUSY;
        if (arg == KCOV_TRACE_CMP)
            return -ENOTSUPP;                      /* not built: CONFIG_KCOV_ENABLE_COMPARISONS=n */
        if (arg != KCOV_TRACE_PC)
            return -EINVAL;
        k->mode = KCOV_MODE_TRACE_PC;
        k->t = t;
        t->kcov = kcov_get(k);                     /* put by KCOV_DISABLE or kcov_task_exit */
        kcov_hook.tracing++;
        return 0;
    case KCOV_DISABLE:
        if (arg != 0 || t->kcov != k)
            return -EINVAL;
        kcov_stop(t, k);
        kcov_put(k);
        return 0;
    default:
        return -ENOTTY;
    }
}

/*
 * mmap of the buffer (Linux kcov_mmap): after KCOV_INIT_TRACE, offset 0, exactly words * 8
 * bytes (the mapping's page-rounded length must equal it: -EINVAL otherwise). Each page
 * mapped is one more share of it (kshare): the object's own share keeps it while the object
 * lives, the mapping's until munmap, exit or exec. pte_flags carry PTE_SHARED (fork keeps
 * the mapping). The caller holds the file (a reference of its own) and the mm lock.
 */
int64_t kcov_mmap(struct file *f, uint64_t *pml4, uint64_t addr, uint64_t len, uint64_t off,
                  uint64_t pte_flags)
{
    struct kcov *k = f->kcov;
    SAN_LIVE(SAN_KCOV, k - kcovs, k->ref > 0);
    if (!k->pages || off != 0 || ALIGN_UP(len, PAGE_SIZE) != k->words * sizeof(uint64_t))
        return -EINVAL;
    kcov_get(k);                                   /* the pages stay while the mapping may yield */
    int r = uvm_map_pages(pml4, addr, (void *const *)k->pages, k->npages, pte_flags);
    kcov_put(k);
    return r ? r : (int64_t)addr;
}

/* /sys/kernel/debug/kcov: root's, mode 0600 as Linux's debugfs file (a character device
   here: its reads and writes are -EINVAL, as a file with neither operation on Linux). */
void kcov_fs_init(struct inode *root)
{
    static const char *const dirs[] = { "sys", "kernel", "debug" };
    struct inode *dir = root;
    for (uint64_t i = 0; i < ARRAY_SIZE(dirs); i++) {
        struct inode *sub = inode_new(S_IFDIR | (i == 2 ? 0700 : 0755));
        if (!sub || dir_link(dir, dirs[i], sub))
            panic("kcov-init name=%s", dirs[i]);
        sub->parent = inode_get(dir);
        dir = sub;
    }
    struct inode *ip = inode_new(S_IFCHR | 0600);
    if (!ip || dir_link(dir, "kcov", ip))
        panic("kcov-init name=kcov");
    ip->dev = DEV_KCOV;
}

#endif
