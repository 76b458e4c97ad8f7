/*
 * Mapping regular files (mmap of a file descriptor), as Linux's mm/filemap.c
 * and shmem do for a memory file system.
 *
 * MAP_SHARED maps the file's own pages: every process that maps the file,
 * and read(2)/write(2) on it, see one copy of each byte. Each page mapped is
 * one more share of it (kshare, kalloc.c): the file holds one share while
 * the page is in it, each mapping one until munmap, exit or exec, so a page
 * lives while either holds it. A truncate takes the page out of the file
 * (its share goes) but a mapping keeps its page and its bytes, where Linux
 * would unmap it and make the next access SIGBUS: a documented difference.
 *
 * MAP_PRIVATE copies the file's bytes into private pages at mmap time (Linux
 * copies a page at the first write, so a page not yet written would still
 * show the file's later changes: another documented difference).
 *
 * Pages of the mapping past the end of the file (rounded up to a page) are
 * supervisor-only pages marked PTE_BUS: a ring-3 access faults and is
 * SIGBUS (BUS_ADRERR), as Linux's is.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "vm.h"

/*
 * Map `len` bytes (page-aligned) of f's file from byte `off` at `addr`,
 * replacing what is there, with leaf bits `pte_flags` (PTE_SHARED included
 * when `shared`). The caller holds f (a reference of its own: a page table
 * allocation may yield) and the address space's lock, and has checked the
 * open mode against the protection. Returns addr, or -ENOMEM/-ENOSPC with
 * none of the range mapped.
 */
int64_t file_mmap(struct file *f, uint64_t *pml4, uint64_t addr, uint64_t len, uint64_t off,
                  uint64_t pte_flags, bool shared)
{
    struct inode *ip = f->ip;
    uint64_t work = 0;
    uvm_unmap(pml4, addr, len);
    for (uint64_t done = 0; done < len; done += PAGE_SIZE) {
        uint64_t va = addr + done, pos = off + done;
        uint64_t *pte = walk(pml4, va, true);
        int err = -ENOMEM;
        void *page = NULL;
        uint64_t flags = pte_flags;
        if (pte && shared)
            page = fsdata_page(ip, pos / PAGE_SIZE, &err);
        if (pte && page && !kshare(page)) {
            page = NULL;
            err = -ENOMEM;                   /* mapped the most times a counter holds */
        }
        if (pte && !page && (!shared || err == -ENXIO)) {
            if ((page = kalloc())) {         /* a private copy, or a page past the end */
                fsdata_copy_page(ip, pos, page);
                if (pos >= ALIGN_UP(ip->size, PAGE_SIZE))
                    flags = (flags & ~(PTE_U | PTE_SHARED)) | PTE_BUS;
                else
                    flags &= ~PTE_SHARED;
            } else {
                err = -ENOMEM;
            }
        }
        if (!page) {
            uvm_unmap(pml4, addr, done);
            return err;
        }
        *pte = V2P(page) | flags | PTE_P;
        uvm_charge(&work);
    }
    ip->atime_ns = time_realtime_ns();
    return (int64_t)addr;
}
