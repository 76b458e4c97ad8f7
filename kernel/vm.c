/*
 * Page tables (SDM Vol. 3A 4.5, 4-level paging).
 *
 * The kernel half is built once: PML4[511] -> kpdpt, whose entry 510 maps
 * physical 0-1 GiB at KERNBASE (the first 2 MiB with 4 KiB pages so that
 * kernel text is read-only+executable, rodata read-only+NX, everything else
 * writable+NX) and whose entry 511 holds the kernel stacks, each under an
 * unmapped guard page. Every process PML4 copies entry 511, so the kernel
 * half is shared and, having no U/S bit at any level, supervisor-only.
 * User pages live only in PML4[0..255] and have U/S set at every level.
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "proc.h"
#include "vm.h"
#include "x86.h"

#define KSTACK_BASE      0xffffffffc0000000UL       /* PDPT[511] of the kernel half */
#define KSTACK_SLOT_PAGES 8                          /* guard page + stack + spare */
#define PT_ENTRIES       512

static uint64_t kpml4[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kpdpt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kpd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kpt0[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));   /* first 2 MiB, 4 KiB pages */
static uint64_t kstack_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t kstack_pt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
_Static_assert(NPROC * KSTACK_SLOT_PAGES <= PT_ENTRIES, "kernel stacks fit one page table");
_Static_assert(KSTACK_PAGES + 1 <= KSTACK_SLOT_PAGES, "kernel stack slot holds guard + stack");

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
    for (int i = 0; i < PT_ENTRIES; i++)
        kpt0[i] = ((uint64_t)i * PAGE_SIZE) | kernel_page_flags((uint64_t)i * PAGE_SIZE);
    kpd[0] = V2P(kpt0) | PTE_P | PTE_W;
    for (uint64_t i = 1; i < PT_ENTRIES && i * HUGE_PAGE_SIZE < mem_end_phys; i++)
        kpd[i] = (i * HUGE_PAGE_SIZE) | PTE_P | PTE_W | PTE_PS | PTE_NX;
    kpdpt[510] = V2P(kpd) | PTE_P | PTE_W;
    kpdpt[511] = V2P(kstack_pd) | PTE_P | PTE_W;
    kstack_pd[0] = V2P(kstack_pt) | PTE_P | PTE_W;
    kpml4[511] = V2P(kpdpt) | PTE_P | PTE_W;
    vm_switch_kernel();
}

void vm_switch_kernel(void)
{
    lcr3(V2P(kpml4));
}

void vm_switch(uint64_t *pml4)
{
    lcr3(V2P(pml4));
}

/* Map kernel stack `slot` (fresh zeroed pages); returns its top. The page below is the guard. */
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
        pml4[511] = kpml4[511];
    return pml4;
}

/* The level-1 entry for `va`, allocating intermediate tables if `alloc`. */
uint64_t *walk(uint64_t *pml4, uint64_t va, bool alloc)
{
    uint64_t *table = pml4;
    static const int shifts[3] = { 39, 30, 21 };
    for (int level = 0; level < 3; level++) {
        uint64_t *e = &table[(va >> shifts[level]) & 0x1ff];
        if (!(*e & PTE_P)) {
            if (!alloc)
                return NULL;
            void *next = kalloc();
            if (!next)
                return NULL;
            *e = V2P(next) | PTE_P | PTE_W | PTE_U;   /* the leaf decides the rights */
        }
        table = P2V(*e & PTE_ADDR_MASK);
    }
    return &table[PT_INDEX(va)];
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

/*
 * Map [va, va+len) with fresh zeroed pages. A page already mapped is kept
 * and gains `flags` (ELF segments may share a page).
 */
int uvm_map_zeroed(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE);
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
    }
    return 0;
}

void uvm_unmap(uint64_t *pml4, uint64_t va, uint64_t len)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE);
    for (uint64_t a = start; a < end && a < USER_TOP; a += PAGE_SIZE) {
        uint64_t *pte = walk(pml4, a, false);
        if (pte && (*pte & PTE_P)) {
            kfree(P2V(*pte & PTE_ADDR_MASK));
            *pte = 0;
            invlpg(a);
        }
    }
}

/* Change the rights of mapped pages in the range; unmapped pages are -ENOMEM as on Linux. */
int uvm_protect(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags)
{
    uint64_t start = ALIGN_DOWN(va, PAGE_SIZE), end = ALIGN_UP(va + len, PAGE_SIZE);
    if (!user_range_ok(start, end - start))
        return -ENOMEM;
    for (uint64_t a = start; a < end; a += PAGE_SIZE) {
        uint64_t *pte = walk(pml4, a, false);
        if (!pte || !(*pte & PTE_P))
            return -ENOMEM;
        *pte = (*pte & PTE_ADDR_MASK) | flags | PTE_P | PTE_U;
        invlpg(a);
    }
    return 0;
}

/* Free every user page and page table of an address space, then its PML4. */
static void free_table(uint64_t *table, int level)
{
    for (int i = 0; i < PT_ENTRIES; i++) {
        if (!(table[i] & PTE_P))
            continue;
        void *next = P2V(table[i] & PTE_ADDR_MASK);
        if (level > 1)
            free_table(next, level - 1);
        else
            kfree(next);
    }
    kfree(table);
}

void uvm_free(uint64_t *pml4)
{
    for (int i = 0; i < 256; i++)
        if (pml4[i] & PTE_P)
            free_table(P2V(pml4[i] & PTE_ADDR_MASK), 3);
    kfree(pml4);
}

/* Copy every user page of src into dst (fork). */
static int copy_table(uint64_t *src, uint64_t *dst, int level, uint64_t va_base)
{
    static const int shifts[4] = { 12, 21, 30, 39 };
    for (int i = 0; i < PT_ENTRIES; i++) {
        if (!(src[i] & PTE_P))
            continue;
        uint64_t va = va_base | ((uint64_t)i << shifts[level - 1]);
        if (level > 1) {
            uint64_t *next = kalloc();
            if (!next)
                return -ENOMEM;
            dst[i] = V2P(next) | (src[i] & ~PTE_ADDR_MASK);
            int r = copy_table(P2V(src[i] & PTE_ADDR_MASK), next, level - 1, va);
            if (r)
                return r;
        } else {
            void *pg = kalloc();
            if (!pg)
                return -ENOMEM;
            memcpy(pg, P2V(src[i] & PTE_ADDR_MASK), PAGE_SIZE);
            dst[i] = V2P(pg) | (src[i] & ~PTE_ADDR_MASK);
        }
    }
    return 0;
}

int uvm_copy(uint64_t *src, uint64_t *dst)
{
    for (int i = 0; i < 256; i++) {
        if (!(src[i] & PTE_P))
            continue;
        uint64_t *next = kalloc();
        if (!next)
            return -ENOMEM;
        dst[i] = V2P(next) | (src[i] & ~PTE_ADDR_MASK);
        int r = copy_table(P2V(src[i] & PTE_ADDR_MASK), next, 3, (uint64_t)i << 39);
        if (r)
            return r;
    }
    return 0;
}

/*
 * User memory is reached through the direct map after a page-table walk, never
 * through the user address itself: a bad pointer is -EFAULT, not a kernel #PF,
 * and SMAP needs no stac/clac here.
 */
static void *user_page(uint64_t *pml4, uint64_t va, bool write)
{
    uint64_t *pte = walk(pml4, va, false);
    uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
    if (!pte || (*pte & need) != need)
        return NULL;
    return (uint8_t *)P2V(*pte & PTE_ADDR_MASK) + (va % PAGE_SIZE);
}

int copyout(uint64_t *pml4, uint64_t dstva, const void *src, uint64_t len)
{
    if (!user_range_ok(dstva, len))
        return -EFAULT;
    while (len) {
        uint64_t n = PAGE_SIZE - dstva % PAGE_SIZE;
        n = n < len ? n : len;
        void *k = user_page(pml4, dstva, true);
        if (!k)
            return -EFAULT;
        memcpy(k, src, n);
        src = (const uint8_t *)src + n, dstva += n, len -= n;
    }
    return 0;
}

int copyin(uint64_t *pml4, void *dst, uint64_t srcva, uint64_t len)
{
    if (!user_range_ok(srcva, len))
        return -EFAULT;
    while (len) {
        uint64_t n = PAGE_SIZE - srcva % PAGE_SIZE;
        n = n < len ? n : len;
        void *k = user_page(pml4, srcva, false);
        if (!k)
            return -EFAULT;
        memcpy(dst, k, n);
        dst = (uint8_t *)dst + n, srcva += n, len -= n;
    }
    return 0;
}

/* Copy a NUL-terminated string of at most max-1 bytes; returns its length, -EFAULT or -ENAMETOOLONG. */
int copyinstr(uint64_t *pml4, char *dst, uint64_t srcva, uint64_t max)
{
    for (uint64_t i = 0; i < max; i++) {
        if (!user_range_ok(srcva + i, 1))
            return -EFAULT;
        const char *k = user_page(pml4, srcva + i, false);
        if (!k)
            return -EFAULT;
        dst[i] = *k;
        if (!*k)
            return (int)i;
    }
    return -ENAMETOOLONG;
}
