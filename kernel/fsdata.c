/*
 * File contents. A module file reads straight from the module's bytes; the
 * first write or truncate copies them into pages of the file's own. A written
 * file's index page holds one pointer per 4 KiB page of the file (NULL: a
 * hole, reads as zeros). Limits as Linux's tmpfs reports them: past
 * FS_FILE_MAX_PAGES a write is -EFBIG (short if some bytes fit); past
 * FS_MAX_PAGES for all files together, -ENOSPC.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "vm.h"

#define FS_FILE_MAX ((uint64_t)FS_FILE_MAX_PAGES * PAGE_SIZE)   /* bytes */

static uint64_t pages_used;      /* index and data pages of all files */
static const uint8_t zeros[PAGE_SIZE];

uint64_t fsdata_pages_used(void)
{
    return pages_used;
}

static void *page_alloc(void)
{
    if (pages_used >= FS_MAX_PAGES)
        return NULL;
    void *p = kalloc();
    if (p)
        pages_used++;
    return p;
}

/* The file's hold on a page goes; a page still mapped MAP_SHARED lives on in the mappings
   (kput: the last share frees it, filemap.c). */
static void page_free(void *p)
{
    kput(p);
    pages_used--;
}

/* Give the file an index page and copy its module bytes into pages. -ENOSPC/-EFBIG; the file is unchanged then. */
static int materialize(struct inode *ip, uint64_t keep)
{
    if (ip->pages)
        return 0;
    const uint8_t *src = ip->rodata;
    keep = src ? (keep < ip->size ? keep : ip->size) : 0;
    if (keep > FS_FILE_MAX)
        return -EFBIG;
    uint8_t **idx = page_alloc();
    if (!idx)
        return -ENOSPC;
    for (uint64_t off = 0; off < keep; off += PAGE_SIZE) {
        uint8_t *pg = page_alloc();
        if (!pg) {
            for (uint64_t i = 0; i < off / PAGE_SIZE; i++)
                page_free(idx[i]);
            page_free(idx);
            return -ENOSPC;
        }
        uint64_t n = keep - off < PAGE_SIZE ? keep - off : PAGE_SIZE;
        memcpy(pg, src + off, n);
        idx[off / PAGE_SIZE] = pg;
    }
    ip->pages = idx;
    ip->rodata = NULL;
    ip->size = keep;
    return 0;
}

int64_t fsdata_read(struct inode *ip, uint64_t *pml4, uint64_t dst, uint64_t off, uint64_t n)
{
    if (off >= ip->size)
        return 0;
    if (n > ip->size - off)
        n = ip->size - off;
    uint64_t done = 0;
    while (done < n) {
        uint64_t pos = off + done, in = pos % PAGE_SIZE;
        uint64_t len = PAGE_SIZE - in < n - done ? PAGE_SIZE - in : n - done;
        const uint8_t *src;
        if (ip->rodata)
            src = ip->rodata + pos;
        else
            src = ip->pages && ip->pages[pos / PAGE_SIZE] ? ip->pages[pos / PAGE_SIZE] + in : zeros;
        int r = copyout(pml4, dst + done, src, len);
        if (r)
            return done ? (int64_t)done : r;
        done += len;
    }
    ip->atime_ns = time_realtime_ns();
    return (int64_t)done;
}

int64_t fsdata_write(struct inode *ip, uint64_t *pml4, uint64_t src, uint64_t off, uint64_t n)
{
    if (n == 0)
        return 0;
    if (off >= FS_FILE_MAX)
        return -EFBIG;
    inode_kill_suid(ip);                     /* Linux file_remove_privs, before the bytes change */
    if (n > FS_FILE_MAX - off)
        n = FS_FILE_MAX - off;
    int r = materialize(ip, ip->size);
    if (r)
        return r;
    uint64_t done = 0;
    while (done < n) {
        uint64_t pos = off + done, in = pos % PAGE_SIZE;
        uint64_t len = PAGE_SIZE - in < n - done ? PAGE_SIZE - in : n - done;
        uint8_t **slot = &ip->pages[pos / PAGE_SIZE];
        if (!*slot && !(*slot = page_alloc())) {
            r = -ENOSPC;
            break;
        }
        if ((r = copyin(pml4, *slot + in, src + done, len)))
            break;
        done += len;
        if (off + done > ip->size)
            ip->size = off + done;
    }
    if (done)
        ip->mtime_ns = ip->ctime_ns = time_realtime_ns();
    return done ? (int64_t)done : r;
}

/*
 * RLIMIT_FSIZE for a process's write of n bytes at off to a regular file (Linux's
 * generic_write_check_limits): at or past the limit SIGXFSZ and -EFBIG; a write across it
 * is cut at it. Returns the bytes that may be written.
 */
int64_t fsize_check(uint64_t off, uint64_t n)
{
    uint64_t lim = rlimit_cur(myproc(), RLIMIT_FSIZE_K);
    if (!n || lim == ~0UL)
        return (int64_t)n;
    if (off >= lim) {
        signal_send(myproc(), SIGXFSZ, SI_USER, myproc()->pid);
        return -EFBIG;
    }
    return (int64_t)(n < lim - off ? n : lim - off);
}

/*
 * lseek's SEEK_DATA (hole false) and SEEK_HOLE (true) as Linux's tmpfs (shmem_file_llseek,
 * mapping_seek_hole_data): a page never written, or given back by a truncate, is a hole, and
 * so is the end of the file; a module's bytes are all data. The offset found (never before
 * off), or -ENXIO for an offset outside the file or no data at or after it.
 */
int64_t fsdata_seek(struct inode *ip, int64_t off, bool hole)
{
    if (off < 0 || (uint64_t)off >= ip->size)
        return -ENXIO;
    for (uint64_t pos = (uint64_t)off; pos < ip->size; pos += PAGE_SIZE - pos % PAGE_SIZE) {
        bool data = ip->rodata || (ip->pages && ip->pages[pos / PAGE_SIZE]);
        if (data != hole)
            return (int64_t)pos;
    }
    return hole ? (int64_t)ip->size : -ENXIO;
}

/* Set the size: pages past it are freed, the tail of the last page zeroed; growing leaves a hole. */
int fsdata_truncate(struct inode *ip, uint64_t size)
{
    if (size > FS_FILE_MAX)
        return -EFBIG;
    inode_kill_suid(ip);                     /* Linux do_truncate: ATTR_KILL_SUID */
    int r = materialize(ip, size);
    if (r)
        return r;
    for (uint64_t i = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE; i < FS_FILE_MAX_PAGES; i++) {
        if (ip->pages[i])
            page_free(ip->pages[i]);
        ip->pages[i] = NULL;
    }
    if (size % PAGE_SIZE && ip->pages[size / PAGE_SIZE])
        memset(ip->pages[size / PAGE_SIZE] + size % PAGE_SIZE, 0, PAGE_SIZE - size % PAGE_SIZE);
    ip->size = size;
    ip->mtime_ns = ip->ctime_ns = time_realtime_ns();
    return 0;
}

/*
 * The page holding bytes [i * 4096, (i + 1) * 4096) of the file, for a shared mapping: the
 * file's own pages (its module bytes copied first; a hole inside the file gets a zeroed
 * page). NULL with *err: -ENXIO past the end of the file, -ENOSPC/-EFBIG without room.
 */
void *fsdata_page(struct inode *ip, uint64_t i, int *err)
{
    if (i >= ALIGN_UP(ip->size, PAGE_SIZE) / PAGE_SIZE) {
        *err = -ENXIO;
        return NULL;
    }
    if ((*err = materialize(ip, ip->size)))
        return NULL;
    if (!ip->pages[i] && !(ip->pages[i] = page_alloc())) {
        *err = -ENOSPC;
        return NULL;
    }
    return ip->pages[i];
}

/* Copy bytes [off, off + 4096) of the file into a kernel page (zeros past the end). */
void fsdata_copy_page(struct inode *ip, uint64_t off, void *dst)
{
    memset(dst, 0, PAGE_SIZE);
    if (off >= ip->size)
        return;
    uint64_t n = ip->size - off < PAGE_SIZE ? ip->size - off : PAGE_SIZE;
    if (ip->rodata)
        memcpy(dst, ip->rodata + off, n);
    else if (ip->pages && ip->pages[off / PAGE_SIZE])
        memcpy(dst, ip->pages[off / PAGE_SIZE], n);
}

void fsdata_free(struct inode *ip)
{
    if (ip->pages) {
        for (uint64_t i = 0; i < FS_FILE_MAX_PAGES; i++)
            if (ip->pages[i])
                page_free(ip->pages[i]);
        page_free(ip->pages);
    }
    ip->pages = NULL;
    ip->rodata = NULL;
    ip->size = 0;
}
