/*
 * Memory system calls: brk, anonymous mmap/munmap/mprotect, sysinfo. The
 * page tables are the only record of what is mapped (every mapping is
 * populated at once), so the checks below ask them, through walks that skip
 * absent subtrees: each call costs what is mapped in its range, never the
 * range's size. The rules and errors are Linux's (mm/mmap.c, mm/mprotect.c,
 * mm/util.c): brk and mmap never overlap each other or the stack, and a
 * failed call changes nothing.
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "trap.h"
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
 * over), and the heap stays a page below MMAP_BASE. A refusal returns the
 * current break and changes nothing.
 */
int64_t sys_brk(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t want = tf->rdi;
    if (want < p->brk_start || want > MMAP_BASE - PAGE_SIZE)
        return (int64_t)p->brk;
    uint64_t old_end = ALIGN_UP(p->brk, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
    if (new_end > old_end) {
        if (new_end + PAGE_SIZE > MMAP_BASE || !range_free(p->pml4, old_end, new_end + PAGE_SIZE))
            return (int64_t)p->brk;
        if (uvm_replace(p->pml4, old_end, new_end - old_end, PTE_U | PTE_W | PTE_NX))
            return (int64_t)p->brk;
    } else if (new_end < old_end) {
        uvm_unmap(p->pml4, new_end, old_end - new_end);
    }
    p->brk = want;
    return (int64_t)want;
}

/*
 * Anonymous mmap, Linux's checks in Linux's order (mm/mmap.c do_mmap,
 * __get_unmapped_area; arch/x86/kernel/sys_x86_64.c). Without MAP_FIXED the
 * hint is ignored and the range is the first free one in [MMAP_BASE,
 * MMAP_END) from the process's search hint, with a guard page on each side.
 */
int64_t sys_mmap(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t addr = tf->rdi, len = tf->rsi, prot = tf->rdx, flags = tf->r10, off = tf->r9;
    if (off % PAGE_SIZE)
        return -EINVAL;
    if (!(flags & MAP_ANONYMOUS))
        return -ENODEV;                      /* only anonymous memory */
    if (len == 0)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (len == 0)
        return -ENOMEM;                      /* the length wrapped */
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    if (len > USER_LIMIT)
        return -ENOMEM;
    if (fixed) {
        if (addr > USER_LIMIT - len)
            return -ENOMEM;
        if (addr % PAGE_SIZE)
            return -EINVAL;
        if (addr < MMAP_MIN_ADDR)
            return -EPERM;                   /* vm.mmap_min_addr */
    } else {
        addr = uvm_find_free(p->pml4, p->mmap_next, MMAP_END, len);
        if (!addr)
            addr = uvm_find_free(p->pml4, MMAP_BASE, MMAP_END, len);
        if (!addr)
            return -ENOMEM;
    }
    if ((flags & MAP_FIXED_NOREPLACE) && !range_free(p->pml4, addr, addr + len))
        return -EEXIST;
    uint64_t type = flags & MAP_TYPE;
    if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
        return -EINVAL;
    uint64_t shared = type == MAP_PRIVATE ? 0 : PTE_SHARED;
    int r = uvm_replace(p->pml4, addr, len, prot_flags(prot) | shared);
    if (r)
        return r;
    if (!fixed)
        p->mmap_next = addr + len + PAGE_SIZE;
    return (int64_t)addr;
}

/* munmap (Linux mm/mmap.c do_vmi_munmap): unmapped parts of the range are fine. */
int64_t sys_munmap(struct trapframe *tf)
{
    uint64_t addr = tf->rdi, len = tf->rsi;
    if (addr % PAGE_SIZE || addr > USER_LIMIT || len > USER_LIMIT - addr || len == 0)
        return -EINVAL;
    uvm_unmap(myproc()->pml4, addr, len);
    return 0;
}

/* mprotect (Linux mm/mprotect.c do_mprotect_pkey): see uvm_protect for a range with holes. */
int64_t sys_mprotect(struct trapframe *tf)
{
    uint64_t addr = tf->rdi, len = tf->rsi, prot = tf->rdx;
    if (addr % PAGE_SIZE)
        return -EINVAL;
    if (len == 0)
        return 0;
    if (addr + ALIGN_UP(len, PAGE_SIZE) <= addr)
        return -ENOMEM;
    if (prot & ~(uint64_t)(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
        return -EINVAL;
    return uvm_protect(myproc()->pml4, addr, len, prot_flags(prot));
}

int64_t sys_madvise(struct trapframe *tf)
{
    (void)tf;
    return 0;                                    /* advice may be ignored */
}

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
 * back). No load average is kept: loads are 0. No swap, shared or buffer RAM.
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
    si.procs = (uint16_t)proc_count();
    si.mem_unit = 1;
    return copyout(myproc()->pml4, tf->rdi, &si, sizeof si);
}
