/*
 * Open files, shared by fork and dup; reads and writes by file kind. They come
 * from kalloc'd pages carved into struct files, taken as more are open at once
 * (up to NFILE system-wide, Linux's file-max) and kept on a free list once
 * closed - the pages stay, as Linux's filp cache keeps its slabs.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "lease.h"
#include "kcov.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "sanitize.h"
#include "socket.h"

#define FILES_PER_PAGE (PAGE_SIZE / sizeof(struct file))

static struct file *free_files;
static uint64_t nfiles;            /* struct files carved so far */

/* A new open file with one reference, or NULL (NFILE open, or no memory: Linux -ENFILE). */
struct file *file_alloc(enum filetype type)
{
    if (!free_files && nfiles + FILES_PER_PAGE <= NFILE) {
        struct file *page = kalloc();
        for (uint64_t i = 0; page && i < FILES_PER_PAGE; i++) {
            page[i].next_free = free_files;
            free_files = &page[i];
        }
        if (page)
            nfiles += FILES_PER_PAGE;
    }
    struct file *f = free_files;
    if (!f)
        return NULL;
    free_files = f->next_free;
    *f = (struct file){ .type = type, .ref = 1 };
    return f;
}

/* Pages carved into struct files (in use or on the free list): sysinfo's bufferram. */
uint64_t file_cache_pages(void)
{
    return nfiles / FILES_PER_PAGE;
}

struct file *file_dup(struct file *f)
{
    SAN_LIVE(SAN_FILE, -1, f->ref > 0);
    REF_GET(SAN_FILE, -1, f->ref);
    return f;
}

/* Drop one reference; the last one closes the pipe end or releases the inode. */
void file_close(struct file *f)
{
    SAN_LIVE(SAN_FILE, -1, f->ref > 0);
    if (REF_PUT(SAN_FILE, -1, f->ref) > 0) {
        if (f->type == F_SOCK)
            unix_file_put(f);                 /* what is left may all be in flight: a cycle? */
        return;
    }
    kcov_close(f);
    locks_close_file(f);                      /* its OFD and flock locks */
    fasync_close(f);                          /* off its O_ASYNC list before its kind lets go */
    lease_close(f);                           /* its lease, and its count in writecount/readcount */
    if (f->proc_page)
        kfree(f->proc_page);                   /* /proc/PID/auxv's copy */
    if (f->type == F_PIPE)
        pipe_close(f);
    if (f->type == F_SOCK)
        unix_file_closed(f);                  /* the socket is released (unix.c) */
    if ((f->type == F_INODE || f->type == F_PIPE) && f->ip)
        inode_put(f->ip);                     /* a FIFO's end holds its inode too */
    f->type = F_NONE;
    SAN_FREED(SAN_FILE, -1, f, ref);           /* poisoned but for ref (0: free), then linked */
    f->next_free = free_files;
    free_files = f;
}

int64_t file_read(struct file *f, uint64_t dst, uint64_t n)
{
    SAN_LIVE(SAN_FILE, -1, f->ref > 0);
    if (f->type == F_PIPE)
        return pipe_read(f, dst, n);
    if (f->type == F_SOCK)
        return sock_read(f, dst, n);
    struct inode *ip = f->ip;
    switch (ip->mode & S_IFMT) {
    case S_IFDIR:
        return -EISDIR;
    case S_IFCHR:
        if (ip->dev == DEV_CONSOLE && (f->flags & O_NONBLOCK) && !console_readable())
            return -EAGAIN;                 /* a terminal with nothing typed yet */
        return dev_read(ip, dst, n);
    default: {
        int64_t r = ip->proc_kind ? procfs_read(f, dst, f->off, n) : fsdata_read(ip, myproc()->pml4, dst, f->off, n);
        if (r > 0)
            f->off += (uint64_t)r;
        return r;
    }
    }
}

int64_t file_write(struct file *f, uint64_t src, uint64_t n)
{
    SAN_LIVE(SAN_FILE, -1, f->ref > 0);
    if (f->type == F_PIPE)
        return pipe_write(f, src, n);
    if (f->type == F_SOCK)
        return sock_write(f, src, n);
    struct inode *ip = f->ip;
    switch (ip->mode & S_IFMT) {
    case S_IFDIR:
        return -EISDIR;
    case S_IFCHR:
        return dev_write(ip, src, n);
    default: {
        if (f->flags & O_APPEND)
            f->off = ip->size;
        int64_t r = ip->proc_kind ? procfs_write(f, src, f->off, n) : fsize_check(f->off, n);
        if (!ip->proc_kind && r > 0)
            r = fsdata_write(ip, myproc()->pml4, src, f->off, (uint64_t)r);
        if (r > 0)
            f->off += (uint64_t)r;
        return r;
    }
    }
}
