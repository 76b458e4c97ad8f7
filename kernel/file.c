/* The system-wide open file table, shared by fork and dup; reads and writes by file kind. */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "kcov.h"
#include "proc.h"
#include "sanitize.h"

static struct file ftable[NFILE];

/* A new open file with one reference; for F_INODE the caller sets ip (holding a reference). */
struct file *file_alloc(enum filetype type)
{
    for (int i = 0; i < NFILE; i++) {
        if (ftable[i].ref == 0) {
            ftable[i] = (struct file){ .type = type, .ref = 1 };
            return &ftable[i];
        }
    }
    return NULL;
}

struct file *file_dup(struct file *f)
{
    SAN_LIVE(SAN_FILE, f - ftable, f->ref > 0);
    REF_GET(SAN_FILE, f - ftable, f->ref);
    return f;
}

/* Drop one reference; the last one closes the pipe end or releases the inode. */
void file_close(struct file *f)
{
    SAN_LIVE(SAN_FILE, f - ftable, f->ref > 0);
    if (REF_PUT(SAN_FILE, f - ftable, f->ref) > 0)
        return;
    kcov_close(f);
    if (f->type == F_PIPE)
        pipe_close(f);
    else if (f->type == F_INODE && f->ip)
        inode_put(f->ip);
    f->type = F_NONE;
    SAN_FREED(SAN_FILE, f - ftable, f, ref);
}

int64_t file_read(struct file *f, uint64_t dst, uint64_t n)
{
    SAN_LIVE(SAN_FILE, f - ftable, f->ref > 0);
    if (f->type == F_PIPE)
        return pipe_read(f, dst, n);
    struct inode *ip = f->ip;
    switch (ip->mode & S_IFMT) {
    case S_IFDIR:
        return -EISDIR;
    case S_IFCHR:
        if (ip->dev == DEV_CONSOLE && (f->flags & O_NONBLOCK) && !console_readable())
            return -EAGAIN;                 /* a terminal with nothing typed yet */
        return dev_read(ip, dst, n);
    default: {
        int64_t r = fsdata_read(ip, myproc()->pml4, dst, f->off, n);
        if (r > 0)
            f->off += (uint64_t)r;
        return r;
    }
    }
}

int64_t file_write(struct file *f, uint64_t src, uint64_t n)
{
    SAN_LIVE(SAN_FILE, f - ftable, f->ref > 0);
    if (f->type == F_PIPE)
        return pipe_write(f, src, n);
    struct inode *ip = f->ip;
    switch (ip->mode & S_IFMT) {
    case S_IFDIR:
        return -EISDIR;
    case S_IFCHR:
        return dev_write(ip, src, n);
    default: {
        if (f->flags & O_APPEND)
            f->off = ip->size;
        int64_t r = fsdata_write(ip, myproc()->pml4, src, f->off, n);
        if (r > 0)
            f->off += (uint64_t)r;
        return r;
    }
    }
}
