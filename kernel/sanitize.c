/*
 * The sanitizer build's object checks (include/sanitize.h) and what it checks at every return
 * to ring 3. Empty in the normal build.
 *
 * At each return to ring 3 (trapentry.S calls san_user_return from trapret and sysret_path):
 *   - the canary word at the bottom of the current kernel stack (kstack_map writes it) is
 *     intact: a kernel stack that overflowed into its lowest word is reported before the
 *     guard page below would have caught a deeper overflow, or none at all;
 *   - nothing is mapped in [0, MMAP_MIN_ADDR) of the page tables the kernel runs on, so a
 *     NULL-ish kernel dereference (a NULL struct pointer plus a field offset) always faults.
 *     The kernel's own tables (vm.c) never map the user half; mmap refuses MAP_FIXED below
 *     MMAP_MIN_ADDR (Linux's vm.mmap_min_addr), and this catches every other way in (a
 *     mremap, an mprotect or a fork copying one).
 *   - the frame is one the return to ring 3 takes without faulting in ring 0 (the invariant
 *     trapentry.S relies on; ldt.c's user_frame_faults, the IRET checks of SDM Vol. 2A): CS
 *     and SS loadable, RIP canonical, and within the code segment's limit (4 GiB with the
 *     32-bit user code selector). A bad selector faults in ring 0 on QEMU too (a panic
 *     anyway); a bad RIP does on hardware only: QEMU's TCG checks neither canonical form nor
 *     limit on iretq and faults in ring 3 instead, so only this check sees such a frame.
 */
#include "kernel.h"
#include "gdt.h"
#include "ldt.h"
#include "mmu.h"
#include "percpu.h"
#include "proc.h"
#include "sanitize.h"
#include "x86.h"

#ifdef SANITIZE

static const char *const object_names[SAN_NOBJECTS] = {
    [SAN_PROC] = "proc", [SAN_MM] = "mm", [SAN_FILES] = "files", [SAN_FSINFO] = "fsinfo",
    [SAN_INODE] = "inode", [SAN_FILE] = "file", [SAN_PIPE] = "pipe", [SAN_KCOV] = "kcov",
};

/* Who freed each slot (the freeing function's caller); 0: never freed since boot or reuse. */
static void *freed_by[SAN_NOBJECTS][SAN_MAX_SLOTS];

static void *freer(enum san_object kind, long index)
{
    return index >= 0 && index < SAN_MAX_SLOTS ? freed_by[kind][index] : NULL;
}

void san_freed(enum san_object kind, long index, void *obj, size_t size, size_t keep_off, size_t keep_len,
               void *by)
{
    uint8_t *b = obj;
    memset(b, SAN_POISON_BYTE, keep_off);
    memset(b + keep_off + keep_len, SAN_POISON_BYTE, size - keep_off - keep_len);
    if (index >= 0 && index < SAN_MAX_SLOTS)
        freed_by[kind][index] = by;
}

void san_live(enum san_object kind, long index, bool live, void *by, const char *at)
{
    if (live) {
        if (index >= 0 && index < SAN_MAX_SLOTS)
            freed_by[kind][index] = NULL;          /* live again: a reused slot */
        return;
    }
    kevent("sanitizer check=use-after-free object=%s slot=%ld at=%s used=0x%lx freed=0x%lx",
           object_names[kind], index, at, (uint64_t)by, (uint64_t)freer(kind, index));
    backtrace((uint64_t)__builtin_frame_address(0));
    panic("sanitizer check=use-after-free object=%s", object_names[kind]);
}

/* *ref += delta, refusing to pass INT_MAX or to go below 0; returns the new count. */
int san_ref(int *ref, int delta, enum san_object kind, long index, void *by, const char *at)
{
    int old = *ref;
    const char *what = NULL;
    if (delta > 0 && (old < 0 || old == __INT_MAX__))
        what = old < 0 ? "refcount-underflow" : "refcount-overflow";
    else if (delta < 0 && old <= 0)
        what = "refcount-underflow";
    if (what) {
        kevent("sanitizer check=%s object=%s slot=%ld at=%s used=0x%lx count=%d freed=0x%lx", what,
               object_names[kind], index, at, (uint64_t)by, old, (uint64_t)freer(kind, index));
        backtrace((uint64_t)__builtin_frame_address(0));
        panic("sanitizer check=%s object=%s", what, object_names[kind]);
    }
    return *ref = old + delta;
}

/* One bit per physical page of the direct map: set while the page is on kalloc's free list. */
static uint8_t page_is_free[KERNEL_MAP_SIZE / PAGE_SIZE / 8];
#define SAN_POISON_WORD (0x0101010101010101ull * SAN_POISON_BYTE)

static noreturn void page_report(const char *check, const char *at, void *page, void *by, uint64_t offset,
                                 uint64_t value)
{
    kevent("sanitizer check=%s object=page at=%s pa=0x%lx used=0x%lx offset=%lu value=0x%lx", check, at,
           V2P(page), (uint64_t)by, offset, value);
    backtrace((uint64_t)__builtin_frame_address(0));
    panic("sanitizer check=%s object=page pa=0x%lx", check, V2P(page));
}

/* kfree(page): not free already; then all of it poisoned (kfree links it through word 0). */
void san_page_free(void *page, void *by)
{
    uint64_t n = V2P(page) / PAGE_SIZE;
    if (page_is_free[n / 8] & (1u << (n % 8)))
        page_report("double-free", "kfree", page, by, 0, 0);
    page_is_free[n / 8] |= (uint8_t)(1u << (n % 8));
    page_fill(page, SAN_POISON_WORD);
}

/* kalloc took `page` off the free list: nothing wrote to it since kfree; zeroed after the
   check, in the same pass, if `zero`. Word 0 held the free list's link, which kalloc has
   read: it is poisoned again here so that one pass checks the whole page; only a page that
   fails it is searched for the word to report, from the first block of eight words that
   differs (the blocks before it may be zeroed already). */
void san_page_alloc(void *page, bool zero, void *by)
{
    uint64_t n = V2P(page) / PAGE_SIZE;
    uint64_t *w = page;
    page_is_free[n / 8] &= (uint8_t)~(1u << (n % 8));
    w[0] = SAN_POISON_WORD;
    uint64_t from = zero ? page_check_fill(w, SAN_POISON_WORD, 0)
                         : page_differs(w, SAN_POISON_WORD) ? 0 : PAGE_SIZE / 8;
    for (uint64_t i = from; i < PAGE_SIZE / 8; i++)
        if (w[i] != SAN_POISON_WORD)
            page_report("write-after-free", "kalloc", page, by, i * 8, w[i]);
}

void san_kstack_arm(uint64_t bottom)
{
    *(uint64_t *)bottom = SAN_STACK_CANARY;
}

static noreturn void low_mapping(uint64_t va, uint64_t entry, int level)
{
    kevent("sanitizer check=low-mapping at=user-return va=0x%lx entry=0x%lx level=%d pid=%d", va, entry, level,
           myproc()->pid);
    panic("sanitizer check=low-mapping va=0x%lx", va);
}

/* [0, MMAP_MIN_ADDR) lies in the first entry of each upper level and the first PT entries:
   a walk of four tables, no loop over pages. */
static void low_mapping_check(uint64_t *pml4)
{
    uint64_t *table = pml4;
    for (int level = PT_LEVELS - 1; level > 0; level--) {
        uint64_t e = table[0];
        if (!(e & PTE_P))
            return;
        if (e & PTE_PS)
            low_mapping(0, e, level);              /* a huge page over address 0 */
        table = P2V(e & PTE_ADDR_MASK);
    }
    for (uint64_t i = 0; i < MMAP_MIN_ADDR / PAGE_SIZE; i++)
        if (table[i] & PTE_P)
            low_mapping(i * PAGE_SIZE, table[i], 0);
}

void san_user_return(struct trapframe *tf)
{
    if ((tf->cs & SEL_RPL_MASK) != 3)
        return;                                   /* trapret back to ring 0 (the idle hlt) */
    struct proc *p = myproc();
    uint64_t *bottom = (uint64_t *)(p->kstack_top - (uint64_t)KSTACK_PAGES * PAGE_SIZE);
    if (*bottom != SAN_STACK_CANARY) {
        kevent("sanitizer check=kernel-stack-canary at=user-return pid=%d stack=0x%lx value=0x%lx", p->pid,
               (uint64_t)bottom, *bottom);
        panic("sanitizer check=kernel-stack-canary pid=%d", p->pid);
    }
    low_mapping_check(P2V(rcr3() & PTE_ADDR_MASK));
    if (user_frame_faults(tf)) {
        kevent("sanitizer check=user-return-frame at=user-return pid=%d rip=0x%lx cs=0x%lx ss=0x%lx", p->pid,
               tf->rip, tf->cs, tf->ss);
        panic("sanitizer check=user-return-frame pid=%d rip=0x%lx", p->pid, tf->rip);
    }
}

#endif
