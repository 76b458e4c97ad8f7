/*
 * Page tables (SDM Vol. 3A 4.5, 4-level paging): the kernel half, and the
 * life of an address space (create, walk, copy for fork, free). Operations on
 * ranges of user memory are in uvm.c, user copies in usercopy.c.
 *
 * The kernel half is built once: PML4[KERNEL_PML4_INDEX] -> kpdpt, whose
 * entry KERNBASE_PDPT_INDEX maps physical 0-1 GiB at KERNBASE (the first
 * KPT_TABLES * 2 MiB with 4 KiB pages so that kernel text is read-only+executable, rodata
 * read-only+NX, everything else writable+NX; linker.ld keeps text and rodata there) and whose entry
 * KSTACK_PDPT_INDEX holds the kernel stacks, each under an unmapped guard
 * page. Every process PML4 copies the kernel entry, so the kernel half is
 * shared and, having no U/S bit at any level, supervisor-only. User pages
 * live only in PML4[0..USER_PML4_ENTRIES) and have U/S set at every level.
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "proc.h"
#include "sanitize.h"
#include "vm.h"
#include "x86.h"

static uint64_t kpml4[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kpdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kpd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
#define KPT_TABLES 2                  /* the first 4 MiB in 4 KiB pages (linker.ld's ASSERTs): the
                                         sanitizer build's text and rodata pass 2 MiB */
static uint64_t kpt[KPT_TABLES][PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kstack_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kstack_pt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
_Static_assert(NPROC * KSTACK_SLOT_PAGES <= PT_ENTRIES, "kernel stacks fit one page table");
_Static_assert(KSTACK_PAGES + 1 <= KSTACK_SLOT_PAGES, "kernel stack slot holds guard + stack");
_Static_assert(PD_INDEX(KSTACK_BASE) == 0 && PT_INDEX(KSTACK_BASE) == 0, "stacks start a page table");
_Static_assert(PD_INDEX(KERNBASE) == 0 && KERNEL_MAP_SIZE == PX_SPAN(2), "the direct map is one PDPT entry");

static uint64_t kernel_page_flags(uint64_t pa)
{
    uint64_t va = (uint64_t)P2V(pa);
    if (va >= (uint64_t)__text_start && va < (uint64_t)__text_end)
        return PTE_P;                                  /* code: read-only, executable */
    if (va >= (uint64_t)__rodata_start && va < (uint64_t)__rodata_end)
        return PTE_P | PTE_NX;                         /* read-only data */
    return PTE_P | PTE_W | PTE_NX;
}

void vm_init(uint64_t mem_end_phys)
{
    for (int t = 0; t < KPT_TABLES; t++) {
        for (int i = 0; i < PT_ENTRIES; i++) {
            uint64_t pa = ((uint64_t)t * PT_ENTRIES + (uint64_t)i) * PAGE_SIZE;
            kpt[t][i] = pa | kernel_page_flags(pa);
        }
        kpd[t] = V2P(kpt[t]) | PTE_P | PTE_W;
    }
    for (uint64_t i = KPT_TABLES; i < PT_ENTRIES && i * HUGE_PAGE_SIZE < mem_end_phys; i++)
        kpd[i] = (i * HUGE_PAGE_SIZE) | PTE_P | PTE_W | PTE_PS | PTE_NX;
    kpdpt[KERNBASE_PDPT_INDEX] = V2P(kpd) | PTE_P | PTE_W;
    kpdpt[KSTACK_PDPT_INDEX] = V2P(kstack_pd) | PTE_P | PTE_W;
    kstack_pd[PD_INDEX(KSTACK_BASE)] = V2P(kstack_pt) | PTE_P | PTE_W;
    kpml4[KERNEL_PML4_INDEX] = V2P(kpdpt) | PTE_P | PTE_W;
    vm_switch_kernel();
}

/* An entry of the kernel half's PDPT (a 1 GiB region every address space shares): the
   espfix aliases and the LDT windows (espfix.c, ldt.c) hang their own tables there. */
void vm_kernel_region(uint64_t va, uint64_t pd_phys)
{
    kpdpt[PDPT_INDEX(va)] = pd_phys | PTE_P | PTE_W;
}

void vm_switch_kernel(void)
{
    lcr3(V2P(kpml4));
}

void vm_switch(uint64_t *pml4)
{
    lcr3(V2P(pml4));
}

/* Map kernel stack `slot` (fresh zeroed pages); returns its top. The page below is the guard.
   The sanitizer build puts a canary in the stack's lowest word (sanitize.c checks it). */
uint64_t kstack_map(int slot)
{
    int first = slot * KSTACK_SLOT_PAGES + 1;
    for (int i = 0; i < KSTACK_PAGES; i++) {
        void *pg = kalloc();
        if (!pg) {
            kstack_unmap(slot);
            return 0;
        }
        kstack_pt[first + i] = V2P(pg) | PTE_P | PTE_W | PTE_NX;
    }
#ifdef SANITIZE
    san_kstack_arm(KSTACK_BASE + (uint64_t)first * PAGE_SIZE);
#endif
    return KSTACK_BASE + (uint64_t)(first + KSTACK_PAGES) * PAGE_SIZE;
}

void kstack_unmap(int slot)
{
    int first = slot * KSTACK_SLOT_PAGES + 1;
    for (int i = 0; i < KSTACK_PAGES; i++) {
        uint64_t *pte = &kstack_pt[first + i];
        if (*pte & PTE_P)
            kfree(P2V(*pte & PTE_ADDR_MASK));
        *pte = 0;
        invlpg(KSTACK_BASE + (uint64_t)(first + i) * PAGE_SIZE);
    }
}

/* A new address space: empty user half, shared kernel half. */
uint64_t *uvm_create(void)
{
    uint64_t *pml4 = kalloc();
    if (pml4)
        pml4[KERNEL_PML4_INDEX] = kpml4[KERNEL_PML4_INDEX];
    return pml4;
}

/*
 * The level-0 (PT) entry for `va`. Missing tables come from `pool` when it is
 * given (uvm.c reserves them before changing anything), else the walk stops
 * and returns NULL. A new table's entry has P, W and U: the leaf decides.
 */
uint64_t *walk_pool(uint64_t *pml4, uint64_t va, struct pagepool *pool)
{
    uint64_t *table = pml4;
    for (int level = PT_LEVELS - 1; level > 0; level--) {
        uint64_t *e = &table[PX(level, va)];
        if (!(*e & PTE_P)) {
            void *next = pool ? pool_take(pool) : NULL;
            if (!next)
                return NULL;
            *e = V2P(next) | PTE_P | PTE_W | PTE_U;
        }
        table = P2V(*e & PTE_ADDR_MASK);
    }
    return &table[PT_INDEX(va)];
}

/* The PT entry for `va`, allocating intermediate tables from kalloc if `alloc`. */
uint64_t *walk(uint64_t *pml4, uint64_t va, bool alloc)
{
    struct pagepool unlimited = { .head = NULL, .count = 0, .kalloc_fallback = true };
    return walk_pool(pml4, va, alloc ? &unlimited : NULL);
}

/*
 * Is [va, va+len) inside user memory, without wrapping? User memory stops one
 * page short of the canonical boundary, as on Linux: a `syscall` in the last
 * page would leave RCX = 0x800000000000, and sysretq to a non-canonical RIP
 * raises #GP in ring 0 with the user's RSP on Intel CPUs (SDM Vol. 2B SYSRET).
 */
bool user_range_ok(uint64_t va, uint64_t len)
{
    return va + len >= va && va + len <= USER_LIMIT;
}

/* Free every user page and page table of an address space, then its PML4. The walks here
   and in copy_table step from one present entry to the next (page_next_set): most entries
   of a process's tables are empty. */
static void free_table(uint64_t *table, int level)
{
    for (uint64_t i = page_next_set(table, 0, PT_ENTRIES, PTE_P); i < PT_ENTRIES;
         i = page_next_set(table, i + 1, PT_ENTRIES, PTE_P)) {
        void *next = P2V(table[i] & PTE_ADDR_MASK);
        if (level > 0)
            free_table(next, level - 1);
        else
            kput(next);
    }
    kfree(table);
}

void uvm_free(uint64_t *pml4)
{
    for (uint64_t i = 0; i < USER_PML4_ENTRIES; i++)
        if (pml4[i] & PTE_P)
            free_table(P2V(pml4[i] & PTE_ADDR_MASK), PT_LEVELS - 2);
    kfree(pml4);
}

/*
 * Copy every user page of src into dst (fork): `level` is the level of both
 * tables. A MAP_SHARED page is not copied: dst maps the same page. Nor is a
 * private page that neither process may write (no PTE_W: program text,
 * read-only data, PROT_READ memory): both map it, kshare counting the second
 * mapping, and whatever writes into such a page later makes it its own first
 * (uvm_own: mprotect adding PROT_WRITE, ptrace and /proc/PID/mem writing with
 * FOLL_FORCE, madvise discarding it), the copy on write Linux does for every
 * private page. Besides the copy itself, under QEMU's TCG a copied text page
 * cost its code's translation again in every child (translated blocks are
 * kept by physical address) and their invalidation when the page was reused.
 * A page whose counter is full is copied.
 */
static int copy_table(uint64_t *src, uint64_t *dst, int level, uint64_t nentries, uint64_t *work)
{
    for (uint64_t i = page_next_set(src, 0, nentries, PTE_P); i < nentries;
         i = page_next_set(src, i + 1, nentries, PTE_P)) {
        if (level == 0 && (src[i] & PTE_SHARED)) {
            if (!kshare(P2V(src[i] & PTE_ADDR_MASK)))
                return -ENOMEM;              /* a kcov buffer page mapped SHARES_MAX times */
            dst[i] = src[i] & ~PTE_LOCKED;     /* Linux's dup_mmap: locks are not inherited */
            continue;
        }
        if (level == 0 && !(src[i] & PTE_W) && kshare(P2V(src[i] & PTE_ADDR_MASK))) {
            dst[i] = src[i] & ~PTE_LOCKED;
            continue;
        }
        /* a table starts empty (only present entries are copied); a page is copied whole */
        void *copy = level > 0 ? kalloc() : kalloc_dirty();
        if (!copy)
            return -ENOMEM;
        void *from = P2V(src[i] & PTE_ADDR_MASK);
        if (level == 0)
            page_copy(copy, from);
        dst[i] = V2P(copy) | (src[i] & ~(PTE_ADDR_MASK | PTE_LOCKED));
        int r = level > 0 ? copy_table(from, copy, level - 1, PT_ENTRIES, work) : 0;
        if (r)
            return r;
        uvm_charge(work);
    }
    return 0;
}

/* Copy the user half of src into dst; on -ENOMEM dst holds a partial copy for uvm_free. */
int uvm_copy(uint64_t *src, uint64_t *dst)
{
    uint64_t work = 0;
    return copy_table(src, dst, PT_LEVELS - 1, USER_PML4_ENTRIES, &work);
}
