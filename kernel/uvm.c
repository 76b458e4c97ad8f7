/*
 * Ranges of user memory: map, unmap, change rights, find a free range.
 *
 * Every operation costs in proportion to what is mapped, never to the size
 * of the range it is given: the walks skip absent subtrees whole (one test
 * of a PML4 entry passes over 512 GiB), unmapping frees the page-table pages
 * it leaves empty, and a change that needs new pages reserves all of them
 * (page tables included) before it touches the address space, so a call that
 * fails for lack of memory changes nothing. Long work (zeroing thousands of
 * pages, freeing them) passes a preemption point every UVM_BATCH_PAGES
 * pages: interrupts are taken there, and when the timer has ticked the
 * process yields, so another process keeps running while this one works.
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "proc.h"
#include "vm.h"
#include "x86.h"

#define UVM_BATCH_PAGES 64   /* pages of work between two preemption points */

static int atomic_depth;     /* uvm_atomic nesting: preemption points pass (one CPU) */

/* Work that must not yield (the stack's growth inside a copy to or from user memory, whose
   callers expect the copy never to sleep: stackgrow.c) turns the preemption points off. */
void uvm_atomic(bool on)
{
    atomic_depth += on ? 1 : -1;
}

/*
 * A preemption point (Linux: cond_resched). The kernel runs with IF clear;
 * here it opens a one-instruction window (STI defers interrupts by one
 * instruction: SDM Vol. 2B STI) in which a timer tick latched by the PIC
 * meanwhile is delivered, and yields when one was. Only in a process (the
 * boot's own loading of init has nobody to yield to).
 */
static void preempt_point(void)
{
    if (!myproc() || atomic_depth)
        return;
    uint64_t before = ticks;
    __asm__ volatile("sti; nop; cli" ::: "memory");
    if (ticks != before)
        yield();
}

/* Count one page of work; every UVM_BATCH_PAGES pages, a preemption point. */
void uvm_charge(uint64_t *work)
{
    if (++*work % UVM_BATCH_PAGES == 0)
        preempt_point();
}

/* ---- page pools: every page a change needs, taken before the change ---- */

void *pool_take(struct pagepool *pool)
{
    struct pagepool_page *pg = pool->head;
    if (!pg)
        return pool->kalloc_fallback ? kalloc() : NULL;
    pool->head = pg->next;
    pool->count--;
    pg->next = NULL;                 /* pages leave the pool zeroed */
    return pg;
}

static void pool_release(struct pagepool *pool)
{
    while (pool->head) {
        struct pagepool_page *pg = pool->head;
        pool->head = pg->next;
        kfree(pg);
    }
    pool->count = 0;
}

/* Reserve n zeroed pages, or none and -ENOMEM. Preemptible: nothing else is changed yet. */
static int pool_fill(struct pagepool *pool, uint64_t n)
{
    if (n > kalloc_free_pages())
        return -ENOMEM;                /* the common failure, decided at once */
    uint64_t work = 0;
    while (pool->count < n) {
        struct pagepool_page *pg = kalloc();
        if (!pg) {                     /* someone else allocated while we yielded */
            pool_release(pool);
            return -ENOMEM;
        }
        pg->next = pool->head;
        pool->head = pg;
        pool->count++;
        uvm_charge(&work);
    }
    return 0;
}

/* Upper bound of the page-table pages that mapping [start, end) may need. */
static uint64_t tables_needed(uint64_t start, uint64_t end)
{
    uint64_t n = 0;
    for (int level = 1; level < PT_LEVELS; level++)   /* one PT per PD entry touched, ... */
        n += (ALIGN_UP(end, PX_SPAN(level)) - ALIGN_DOWN(start, PX_SPAN(level))) / PX_SPAN(level);
    return n;
}

/* ---- walking what is mapped -------------------------------------------- */

/*
 * The walks below visit only the present entries of a table that [va, end) covers: entries
 * first..last of it (PX of va and of end - 1; the range never leaves the table), the next
 * present one found by page_next_set. Most entries of a process's tables are empty, and
 * the sanitizer kernel's coverage hook ran once per entry looked at.
 */
static uint64_t table_base(int level, uint64_t va)
{
    return va & ~(PX_SPAN(level) * PT_ENTRIES - 1);   /* the address of the table's entry 0 */
}

/* The first present leaf in [va, end) under `table` (at `level`), or `end`. */
static uint64_t next_mapped_in(uint64_t *table, int level, uint64_t va, uint64_t end)
{
    if (va >= end)
        return end;
    uint64_t base = table_base(level, va), first = PX(level, va), last = PX(level, end - 1);
    for (uint64_t i = page_next_set(table, first, last + 1, PTE_P); i <= last;
         i = page_next_set(table, i + 1, last + 1, PTE_P)) {
        uint64_t from = i == first ? va : base + i * PX_SPAN(level);
        uint64_t next = base + (i + 1) * PX_SPAN(level), stop = next < end ? next : end;
        if (level == 0)
            return from;
        uint64_t found = next_mapped_in(P2V(table[i] & PTE_ADDR_MASK), level - 1, from, stop);
        if (found < stop)
            return found;
    }
    return end;
}

/* The first mapped page in [va, end) (page-aligned, inside the user half), or `end`. */
uint64_t uvm_next_mapped(uint64_t *pml4, uint64_t va, uint64_t end)
{
    return next_mapped_in(pml4, PT_LEVELS - 1, va, end);
}

/*
 * The lowest address in [lo, hi) where `len` bytes are unmapped, with an
 * unmapped guard page above them and, once the search has passed a mapping,
 * one below; 0 if there is none. Costs one walk per mapped page passed over.
 */
uint64_t uvm_find_free(uint64_t *pml4, uint64_t lo, uint64_t hi, uint64_t len)
{
    uint64_t a = lo, work = 0;
    while (a < hi && hi - a >= len + PAGE_SIZE) {
        uint64_t from = a == lo ? a : a - PAGE_SIZE, to = a + len + PAGE_SIZE;
        uint64_t m = uvm_next_mapped(pml4, from, to);
        if (m == to)
            return a;
        a = m + 2 * PAGE_SIZE;       /* past the mapped page and a guard page */
        uvm_charge(&work);
    }
    return 0;
}

/* ---- unmapping ---------------------------------------------------------- */

static bool table_empty(const uint64_t *table)
{
    return page_next_set(table, 0, PT_ENTRIES, PTE_P) == PT_ENTRIES;
}

/* Unmap [va, end) under `table` (at `level`); frees lower tables left empty. No TLB work. */
static void unmap_in(uint64_t *table, int level, uint64_t va, uint64_t end, uint64_t *work)
{
    if (va >= end)
        return;
    uint64_t tbase = table_base(level, va), first = PX(level, va), last = PX(level, end - 1);
    for (uint64_t i = page_next_set(table, first, last + 1, PTE_P); i <= last;
         i = page_next_set(table, i + 1, last + 1, PTE_P)) {
        uint64_t base = tbase + i * PX_SPAN(level), next = base + PX_SPAN(level);
        uint64_t from = i == first ? va : base, stop = next < end ? next : end;
        uint64_t *e = &table[i];
        void *page = P2V(*e & PTE_ADDR_MASK);
        if (level == 0) {
            *e = 0;
            kput(page);
        } else {
            unmap_in(page, level - 1, from, stop, work);
            if ((from == base && stop == next) || table_empty(page)) {
                *e = 0;                  /* the whole span went, or nothing is left in it */
                kfree(page);
            }
        }
        uvm_charge(work);
    }
}

/*
 * Unmap [va, va+len) (clipped to the user half), freeing the pages and the
 * emptied tables. The TLB and the paging-structure caches are flushed once, by
 * reloading CR3 (SDM Vol. 3A 4.10.4.1), instead of one INVLPG per page: until
 * then only this kernel code runs in this address space, and it reaches user
 * memory only through the direct map; a yield at a preemption point reloads
 * CR3 anyway before anyone else can be given a freed page.
 */
void uvm_unmap(uint64_t *pml4, uint64_t va, uint64_t len)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE), work = 0;
    if (end < start || end > USER_TOP)
        end = USER_TOP;
    unmap_in(pml4, PT_LEVELS - 1, start, end, &work);
    if (work && rcr3() == V2P(pml4))
        lcr3(V2P(pml4));
}

/* ---- mapping ------------------------------------------------------------ */

/*
 * Map [va, va+len) with fresh zeroed pages (exec: ELF segments and the
 * stack). A page already mapped is kept and gains `flags` (segments may share
 * a page). On -ENOMEM part of the range may be mapped: exec then drops the
 * whole new address space.
 */
int uvm_map_zeroed(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE), work = 0;
    if (!user_range_ok(start, end - start))
        return -EFAULT;
    for (uint64_t a = start; a < end; a += PAGE_SIZE) {
        uint64_t *pte = walk(pml4, a, true);
        if (!pte)
            return -ENOMEM;
        if (*pte & PTE_P) {
            uint64_t nx = (*pte & PTE_NX) && (flags & PTE_NX);
            *pte = (*pte & ~PTE_NX) | (flags & ~PTE_NX) | (nx ? PTE_NX : 0);
            continue;
        }
        void *pg = kalloc();
        if (!pg)
            return -ENOMEM;
        *pte = V2P(pg) | flags | PTE_P | PTE_U;
        uvm_charge(&work);
    }
    return 0;
}

/*
 * Replace whatever is mapped in [va, va+len) (page-aligned, inside user
 * memory) by fresh zeroed pages with leaf bits `flags` (PTE_U included or
 * not: PROT_NONE pages are supervisor-only). Every page it needs is reserved
 * first: -ENOMEM changes nothing; after that it cannot fail.
 */
int uvm_replace(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags)
{
    struct pagepool pool = { 0 };
    uint64_t end = va + len, work = 0;
    uint64_t pages = len / PAGE_SIZE;
    if (pages > kalloc_free_pages() || pool_fill(&pool, pages + tables_needed(va, end)))
        return -ENOMEM;
    uvm_unmap(pml4, va, len);
    for (uint64_t a = va; a < end; a += PAGE_SIZE) {
        uint64_t *pte = walk_pool(pml4, a, &pool);
        *pte = V2P(pool_take(&pool)) | flags | PTE_P;
        uvm_charge(&work);
    }
    pool_release(&pool);               /* the tables that already existed */
    return 0;
}

/*
 * Map the given pages (kernel virtual addresses, n of them) at [va, va+n pages), replacing
 * whatever is there (page-aligned, inside user memory), with leaf bits `flags`: kcov's
 * buffer. Each page gains a share (kshare) that the mapping's unmap puts back. The page
 * tables are reserved first (-ENOMEM changes nothing); a page already shared the most times
 * a counter holds ends the call with -ENOMEM and none of the range mapped, as a failed
 * MAP_FIXED on Linux may leave it.
 */
int uvm_map_pages(uint64_t *pml4, uint64_t va, void *const *pages, uint64_t n, uint64_t flags)
{
    struct pagepool pool = { 0 };
    uint64_t end = va + n * PAGE_SIZE, work = 0;
    if (pool_fill(&pool, tables_needed(va, end)))
        return -ENOMEM;
    uvm_unmap(pml4, va, n * PAGE_SIZE);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t *pte = walk_pool(pml4, va + i * PAGE_SIZE, &pool);
        if (!kshare(pages[i])) {
            pool_release(&pool);
            uvm_unmap(pml4, va, i * PAGE_SIZE);
            return -ENOMEM;
        }
        *pte = V2P(pages[i]) | flags | PTE_P;
        uvm_charge(&work);
    }
    pool_release(&pool);
    return 0;
}

/*
 * Give the pages of [va, va+len) the leaf bits `flags`, in address order, as
 * Linux's mprotect does (mm/mprotect.c): it stops with -ENOMEM at the first
 * unmapped page, the pages before it keeping their new rights.
 */
int uvm_protect(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE), work = 0;
    if (end <= start || !user_range_ok(start, end - start))
        return -ENOMEM;
    for (uint64_t a = start; a < end; a += PAGE_SIZE) {
        uint64_t *pte = walk(pml4, a, false);
        if (!pte || !(*pte & PTE_P))
            return -ENOMEM;
        if ((flags & PTE_W) && uvm_own(pte, a))
            return -ENOMEM;                  /* a page fork shares read-only: writable, it is ours */
        *pte = (*pte & (PTE_ADDR_MASK | PTE_SHARED | PTE_BUS | PTE_LOCKED)) | flags | PTE_P;
        if (*pte & PTE_BUS)                  /* past a mapped file's end: SIGBUS whatever the rights, */
            *pte = (*pte & ~PTE_U) | (flags & PTE_U ? PTE_BUS_U : 0);   /* kept for a later growth */
        invlpg(a);
        uvm_charge(&work);
    }
    return 0;
}

/* ---- moving (mremap) ---------------------------------------------------- */

/*
 * Move the pages of [from, from+old_len) to [to, to+old_len) (frames and
 * leaf bits move, nothing is copied) after unmapping whatever was at [to,
 * to+new_len); when new_len > old_len the rest of the new range gets fresh
 * zeroed pages with the last old page's leaf bits. The old range must be
 * fully mapped and not overlap the new one. Every page is reserved first:
 * -ENOMEM changes nothing.
 */
int uvm_move(uint64_t *pml4, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len)
{
    struct pagepool pool = { 0 };
    uint64_t grow = new_len > old_len ? (new_len - old_len) / PAGE_SIZE : 0, work = 0;
    uint64_t *last = walk(pml4, from + old_len - PAGE_SIZE, false);
    uint64_t flags = *last & ~(PTE_ADDR_MASK | PTE_A | PTE_D);
    if (grow > kalloc_free_pages() || pool_fill(&pool, grow + tables_needed(to, to + new_len)))
        return -ENOMEM;
    uvm_unmap(pml4, to, new_len);
    for (uint64_t off = 0; off < old_len; off += PAGE_SIZE) {
        uint64_t *src = walk(pml4, from + off, false);
        uint64_t *dst = walk_pool(pml4, to + off, &pool);
        *dst = *src;
        *src = 0;
        uvm_charge(&work);
    }
    for (uint64_t off = old_len; off < new_len; off += PAGE_SIZE)
        *walk_pool(pml4, to + off, &pool) = V2P(pool_take(&pool)) | flags;
    pool_release(&pool);
    uvm_unmap(pml4, from, old_len);    /* now empty: frees the tables left empty, reloads CR3 */
    if (rcr3() == V2P(pml4))
        lcr3(V2P(pml4));
    return 0;
}

/*
 * Before the kernel writes into the private page `pte` maps at `va` (or lets ring 3 write to
 * it): if fork left it mapped by another address space as well (vm.c, copy_table), give this
 * one a copy of its own. A MAP_SHARED page (PTE_SHARED) is left alone. 0, or -ENOMEM and
 * nothing changed.
 */
int uvm_own(uint64_t *pte, uint64_t va)
{
    void *page = P2V(*pte & PTE_ADDR_MASK);
    if ((*pte & PTE_SHARED) || !kshared(page))
        return 0;
    void *copy = kalloc_dirty();
    if (!copy)
        return -ENOMEM;
    page_copy(copy, page);
    *pte = V2P(copy) | (*pte & ~PTE_ADDR_MASK);
    invlpg(va);                              /* when it is the running address space's */
    kput(page);
    return 0;
}

/* The leaf entry of a mapped user page, or NULL. */
uint64_t *uvm_pte(uint64_t *pml4, uint64_t va)
{
    uint64_t *pte = walk(pml4, va, false);
    return pte && (*pte & PTE_P) ? pte : NULL;
}
