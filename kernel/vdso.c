/*
 * The vDSO's pages and their lifetime (include/vdso.h for the map, vdso/ for the images).
 *
 * At boot: one page for [vvar] and VDSO_PAGES pages holding a copy of each embedded image
 * (vdso_image.S: the 64-bit and the 32-bit one), owned by the kernel for good (kalloc's first
 * mapping: never put back). At exec each is mapped with a share of its own (uvm_map_pages), so
 * fork shares them (PTE_SHARED) and an exit or munmap puts the share back. The addresses
 * are struct mm's vdso_base and vvar_base, which the memory calls keep true: munmap or a
 * MAP_FIXED over a page clears its base, mremap moves it (Linux's vdso_mremap updates
 * mm->context.vdso the same way). [vvar] is written only here, by the timer interrupt.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "thread.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"
#include "vdso/vvar.h"

#include "gen/vdso/vdso32_syms.h"         /* VDSO32_SYM_*: offsets in the 32-bit image (Makefile) */

extern const char vdso_image_start[], vdso_image_end[], vdso32_image_start[], vdso32_image_end[];

static struct vvar *vvar;                  /* the [vvar] page, kernel view */
static void *vdso_pages[VDSO_PAGES];       /* the 64-bit image's copy, kernel view */
static void *vdso32_pages[VDSO_PAGES];     /* the 32-bit image's copy, kernel view */

/* Copy an embedded image into VDSO_PAGES fresh pages of the kernel's own. */
static void image_pages(const char *start, const char *end, void *pages[VDSO_PAGES])
{
    uint64_t size = (uint64_t)(end - start);
    if (size > VDSO_PAGES * PAGE_SIZE)
        panic("vdso-too-large bytes=%lu", size);      /* the Makefile checks it first */
    for (int i = 0; i < VDSO_PAGES; i++) {
        if (!(pages[i] = kalloc()))
            panic("vdso-no-memory");
        uint64_t off = (uint64_t)i * PAGE_SIZE;
        if (off < size)
            memcpy(pages[i], start + off, size - off < PAGE_SIZE ? size - off : PAGE_SIZE);
    }
}

void vdso_init(void)
{
    image_pages(vdso_image_start, vdso_image_end, vdso_pages);
    image_pages(vdso32_image_start, vdso32_image_end, vdso32_pages);
    if (!(vvar = kalloc()))
        panic("vdso-no-memory");
    vvar->tick_ns = 1000000000U / TIMER_HZ;
    vdso_tick();                               /* reads the CMOS clock now, not in an interrupt */
}

/* settimeofday: the time zone gettimeofday answers in ring 3 too. */
void vdso_set_tz(int32_t minuteswest, int32_t dsttime)
{
    vvar->tz_minuteswest = minuteswest;
    vvar->tz_dsttime = dsttime;
}

/* After every tick (timer.c): the two clocks, as time.c computes them, under the count. */
void vdso_tick(void)
{
    vvar->seq++;                               /* odd: a reader retries */
    __asm__ volatile("" ::: "memory");         /* one CPU, x86 stores in order: a compiler fence */
    uint64_t mono = time_monotonic_ns(), real = time_realtime_ns();
    vvar->mono_ns = mono;
    vvar->real_ns = real;
    vvar->mono_sec = (int64_t)(mono / 1000000000UL);
    vvar->mono_nsec = (uint32_t)(mono % 1000000000UL);
    vvar->real_sec = (int64_t)(real / 1000000000UL);
    vvar->real_nsec = (uint32_t)(real % 1000000000UL);
    __asm__ volatile("" ::: "memory");
    vvar->seq++;
}

/*
 * Map the vDSO into a new address space (exec): [vvar] (read-only, no execute) and right
 * above it the image of the process's kind (read and execute), the 64-bit one at VVAR_ADDR,
 * the i386 one under 4 GiB at VDSO32_ADDR - PAGE_SIZE; or, if the ELF's own segments are
 * there (never over them), where the process's mmap region is first free. *base: the
 * image's address, [vvar] the page below. -ENOMEM: exec drops the whole space.
 */
int vdso_map(uint64_t *pml4, bool is32, uint64_t *base)
{
    const uint64_t len = PAGE_SIZE + VDSO_PAGES * PAGE_SIZE;
    uint64_t at = is32 ? VDSO32_ADDR - PAGE_SIZE : VVAR_ADDR;
    uint64_t lo = is32 ? MMAP32_BASE : MMAP_BASE, hi = is32 ? MMAP32_END : MMAP_END;
    if (uvm_next_mapped(pml4, at, at + len) != at + len && !(at = uvm_find_free(pml4, lo, hi, len)))
        return -ENOMEM;
    void *vv = vvar;
    int r = uvm_map_pages(pml4, at, &vv, 1, PTE_U | PTE_NX | PTE_SHARED);
    if (!r)
        r = uvm_map_pages(pml4, at + PAGE_SIZE, is32 ? vdso32_pages : vdso_pages, VDSO_PAGES, PTE_U | PTE_SHARED);
    *base = at + PAGE_SIZE;
    return r;
}

/*
 * An entry point of the 32-bit vDSO whose image is at `vdso_base` (an mm's), or 0 when that
 * is not the 32-bit image. The 32-bit image is the
 * only one ever below 4 GiB (the 64-bit one lies in the mmap region, from MMAP_BASE up) and
 * mremap keeps a 32-bit process's mappings below 4 GiB... except MREMAP_FIXED: a 64-bit
 * process that moves its vDSO under 4 GiB would be taken for one with the 32-bit image; its
 * compat-mode `syscall` then returns into its own vDSO at the landing pad's offset, garbage,
 * as on Linux (context.vdso + sym_int80_landing_pad, whichever image is there).
 */
uint64_t vdso32_entry(uint64_t vdso_base, enum vdso32_entry which)
{
    static const uint64_t off[] = {
        [VDSO32_VSYSCALL] = VDSO32_SYM_KERNEL_VSYSCALL,
        [VDSO32_LANDING_PAD] = VDSO32_SYM_INT80_LANDING_PAD,
        [VDSO32_SIGRETURN] = VDSO32_SYM_KERNEL_SIGRETURN,
        [VDSO32_RT_SIGRETURN] = VDSO32_SYM_KERNEL_RT_SIGRETURN,
    };
    if (!vdso_base || vdso_base >= (1UL << 32))
        return 0;
    return vdso_base + off[which];
}

static bool overlaps(uint64_t base, uint64_t len, uint64_t start, uint64_t end)
{
    return base && base < end && start < base + len;
}

/* Which of the two is in [start, end): VDSO_HIT_VVAR | VDSO_HIT_VDSO. */
int vdso_hit(const struct mm *mm, uint64_t start, uint64_t end)
{
    return (overlaps(mm->vvar_base, PAGE_SIZE, start, end) ? VDSO_HIT_VVAR : 0) |
           (overlaps(mm->vdso_base, VDSO_PAGES * PAGE_SIZE, start, end) ? VDSO_HIT_VDSO : 0);
}

/* [start, end) was unmapped or replaced: a page in it is no longer the vDSO's. */
void vdso_unmapped(struct mm *mm, uint64_t start, uint64_t end)
{
    int hit = vdso_hit(mm, start, end);
    if (hit & VDSO_HIT_VVAR)
        mm->vvar_base = 0;
    if (hit & VDSO_HIT_VDSO)
        mm->vdso_base = 0;
}

/* mremap moved the whole mapping at `from` (the caller checked it is one of the two) to `to`. */
void vdso_moved(struct mm *mm, uint64_t from, uint64_t to)
{
    if (from == mm->vvar_base)
        mm->vvar_base = to;
    else if (from == mm->vdso_base)
        mm->vdso_base = to;
}

/*
 * mprotect is giving [vdso] write access: its pages become this address space's own
 * copies first, as Linux's copy-on-write gives a debugger planting a breakpoint in the
 * vDSO a private page; every other process keeps the kernel's image. -ENOMEM changes
 * nothing not yet copied (a page copied stays so: it holds the same bytes).
 */
int vdso_unshare(uint64_t *pml4, const struct mm *mm)
{
    for (uint64_t a = mm->vdso_base; a && a < mm->vdso_base + VDSO_PAGES * PAGE_SIZE; a += PAGE_SIZE) {
        uint64_t *pte = uvm_pte(pml4, a);
        if (!pte || !(*pte & PTE_SHARED))
            continue;
        void *copy = kalloc(), *orig = P2V(*pte & PTE_ADDR_MASK);
        if (!copy)
            return -ENOMEM;
        memcpy(copy, orig, PAGE_SIZE);
        *pte = V2P(copy) | (*pte & ~(PTE_ADDR_MASK | PTE_SHARED));
        invlpg(a);
        kput(orig);
    }
    return 0;
}
