/*
 * execve of a file written at run time. The ELF loader reads an image as
 * contiguous bytes; a module's are (its multiboot bytes), a written file's
 * are pages of its own, anywhere in memory. So for the length of one
 * execve the file's pages are mapped, read-only and supervisor-only, one
 * after the other at EXECMAP_BASE (a hole reads from a zero page), and the
 * loader reads them there.
 *
 * Ownership: each mapped page gains a share (kshare) that execmap_unmap
 * gives back, so a truncate, a write or an unlink during the execve (which
 * may sleep) never frees a page the loader reads; the caller holds the
 * inode. One window serves the whole machine: an execve that finds it in
 * use sleeps until it is free (a fatal signal ends the wait).
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "vm.h"
#include "x86.h"

static uint64_t execmap_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t execmap_pt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));   /* 2 MiB: FS_FILE_MAX */
static const uint8_t zero_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static bool busy;
static uint64_t mapped;               /* pages mapped in the window */

_Static_assert(FS_FILE_MAX_PAGES <= PT_ENTRIES, "a written file fits the window");

void execmap_init(void)
{
    execmap_pd[0] = V2P(execmap_pt) | PTE_P | PTE_W;
    vm_kernel_region(EXECMAP_BASE, V2P(execmap_pd));
}

/* The bytes of written file ip, contiguous, until execmap_unmap; NULL with *err (-EINTR). */
const uint8_t *execmap_map(struct inode *ip, int *err)
{
    while (busy) {
        if (fatal_pending(myproc())) {
            *err = -EINTR;
            return NULL;
        }
        sleep(&busy);
    }
    busy = true;
    mapped = ALIGN_UP(ip->size, PAGE_SIZE) / PAGE_SIZE;
    for (uint64_t i = 0; i < mapped; i++) {
        void *page = ip->pages && ip->pages[i] ? ip->pages[i] : NULL;
        if (page && !kshare(page))
            page = NULL;                  /* shared the most times a counter holds: copy below */
        uint64_t pa = page ? V2P(page) : V2P(zero_page);
        if (!page && ip->pages && ip->pages[i]) {
            *err = -ENOMEM;
            execmap_unmap(ip);
            return NULL;
        }
        execmap_pt[i] = pa | PTE_P | PTE_NX | (page ? PTE_SHARED : 0);   /* PTE_SHARED: a share to give back */
        invlpg(EXECMAP_BASE + i * PAGE_SIZE);
    }
    return (const uint8_t *)EXECMAP_BASE;
}

void execmap_unmap(struct inode *ip)
{
    (void)ip;
    for (uint64_t i = 0; i < mapped; i++) {
        uint64_t e = execmap_pt[i];
        execmap_pt[i] = 0;
        invlpg(EXECMAP_BASE + i * PAGE_SIZE);
        if (e & PTE_SHARED)
            kput(P2V(e & PTE_ADDR_MASK));
    }
    mapped = 0;
    busy = false;
    wakeup(&busy);
}
