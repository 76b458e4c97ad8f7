/*
 * Memory system calls: brk and anonymous mmap/munmap/mprotect. Pages come
 * zeroed from kalloc; rights map onto W and NX page bits.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "syscall.h"
#include "sysnr.h"
#include "trap.h"
#include "vm.h"
#include "x86.h"

#define PROT_WRITE    0x2
#define PROT_EXEC     0x4
#define MAP_FIXED     0x10
#define MAP_ANONYMOUS 0x20

/* ---- memory ------------------------------------------------------------ */

int64_t sys_brk(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t want = tf->rdi;
    if (want < p->brk_start || want >= MMAP_BASE)
        return (int64_t)p->brk;
    uint64_t old_end = ALIGN_UP(p->brk, PAGE_SIZE), new_end = ALIGN_UP(want, PAGE_SIZE);
    if (new_end > old_end) {
        if (uvm_map_zeroed(p->pml4, old_end, new_end - old_end, PTE_W | PTE_NX)) {
            uvm_unmap(p->pml4, old_end, new_end - old_end);
            return (int64_t)p->brk;
        }
    } else if (new_end < old_end) {
        uvm_unmap(p->pml4, new_end, old_end - new_end);
    }
    p->brk = want;
    return (int64_t)want;
}

static uint64_t prot_flags(uint64_t prot)
{
    return (prot & PROT_WRITE ? PTE_W : 0) | (prot & PROT_EXEC ? 0 : PTE_NX);
}

int64_t sys_mmap(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t addr = tf->rdi, len = tf->rsi, prot = tf->rdx, flags = tf->r10;
    if (!(flags & MAP_ANONYMOUS))
        return -ENODEV;                      /* only anonymous memory */
    if (len == 0 || len > USER_TOP)
        return -EINVAL;
    len = ALIGN_UP(len, PAGE_SIZE);
    if (flags & MAP_FIXED) {
        if (addr % PAGE_SIZE)
            return -EINVAL;
        if (!user_range_ok(addr, len) || addr < PAGE_SIZE)
            return -ENOMEM;                  /* outside user memory, as Linux answers */
        uvm_unmap(p->pml4, addr, len);
    } else {
        addr = p->mmap_next;
        if (!user_range_ok(addr, len) || addr + len > USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE - PAGE_SIZE)
            return -ENOMEM;
        p->mmap_next = addr + len + PAGE_SIZE;   /* leave an unmapped page between mappings */
    }
    if (uvm_map_zeroed(p->pml4, addr, len, PTE_W | PTE_NX)) {
        uvm_unmap(p->pml4, addr, len);
        return -ENOMEM;
    }
    uvm_protect(p->pml4, addr, len, prot_flags(prot));
    /* PROT_NONE must not be readable from ring 3: drop U/S too */
    if (!(prot & 0x7))
        for (uint64_t a = addr; a < addr + len; a += PAGE_SIZE)
            *walk(p->pml4, a, false) &= ~PTE_U;
    return (int64_t)addr;
}

int64_t sys_munmap(struct trapframe *tf)
{
    uint64_t addr = tf->rdi, len = tf->rsi;
    if (addr % PAGE_SIZE || len == 0 || !user_range_ok(addr, len))
        return -EINVAL;
    uvm_unmap(myproc()->pml4, addr, len);
    return 0;
}

int64_t sys_mprotect(struct trapframe *tf)
{
    uint64_t addr = tf->rdi, len = tf->rsi, prot = tf->rdx;
    if (addr % PAGE_SIZE)
        return -EINVAL;
    if (len == 0)
        return 0;
    int r = uvm_protect(myproc()->pml4, addr, len, prot_flags(prot));
    if (!r && !(prot & 0x7))
        for (uint64_t a = addr; a < addr + ALIGN_UP(len, PAGE_SIZE); a += PAGE_SIZE)
            *walk(myproc()->pml4, a, false) &= ~PTE_U;
    return r;
}

int64_t sys_madvise(struct trapframe *tf)
{
    (void)tf;
    return 0;                                    /* advice may be ignored */
}

