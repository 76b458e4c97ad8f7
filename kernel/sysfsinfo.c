/*
 * What the file system says about itself, and the calls that flush it:
 * statfs/fstatfs answer as Linux's tmpfs does (the whole tree is one
 * memory file system, /dev included, as Linux's devtmpfs is tmpfs too;
 * a pipe is pipefs), and fsync, fdatasync, syncfs and sync succeed at once
 * because there is nothing to write back: memory is the only storage. A
 * memory file system says so truthfully; where Linux has no fsync for a
 * file (a pipe, the console, /dev/null), fsync is EINVAL as there.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "sysfs.h"
#include "vm.h"

#define TMPFS_MAGIC  0x01021994      /* include/uapi/linux/magic.h */
#define PIPEFS_MAGIC 0x50495045
#define ST_VALID     0x0020          /* f_flags: the flags are valid (Linux statfs_by_dentry) */
#define ST_RELATIME  0x1000          /* mounted relatime, as Linux's default */

/* struct statfs of x86-64 (include/uapi/asm-generic/statfs.h with 64-bit longs). */
struct linux_statfs {
    int64_t f_type, f_bsize;
    uint64_t f_blocks, f_bfree, f_bavail, f_files, f_ffree;
    int32_t f_fsid[2];
    int64_t f_namelen, f_frsize, f_flags, f_spare[4];
};

static int64_t statfs_copyout(bool pipe, uint64_t ubuf)
{
    struct linux_statfs s;
    memset(&s, 0, sizeof s);
    s.f_type = pipe ? PIPEFS_MAGIC : TMPFS_MAGIC;
    s.f_bsize = s.f_frsize = PAGE_SIZE;
    s.f_namelen = FS_NAME_MAX;                 /* 255: tmpfs's and pipefs's (simple_statfs) NAME_MAX */
    s.f_flags = ST_VALID | (pipe ? 0 : ST_RELATIME);
    if (!pipe) {
        /* tmpfs's answer for a size bounded by memory: every page, the free ones */
        s.f_blocks = kalloc_total_pages();
        s.f_bfree = s.f_bavail = kalloc_free_pages();
        s.f_files = NINODE;
        s.f_ffree = (uint64_t)fs_free_inodes();
    }
    return copyout(myproc()->pml4, ubuf, &s, sizeof s);
}

int64_t sys_statfs(struct trapframe *tf)
{
    int err;
    if (!lookup_at(AT_FDCWD, tf->rdi, NULL, &err))
        return err;
    return statfs_copyout(false, tf->rsi);
}

int64_t sys_fstatfs(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    return statfs_copyout(!f->ip, tf->rsi);     /* a FIFO is in this file system */
}

/* fsync, fdatasync: regular files and directories have nothing to write back (Linux tmpfs's
   noop_fsync); pipes and devices have no fsync at all (EINVAL, as Linux). */
int64_t sys_fsync(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    if (f->type == F_PIPE || f->type == F_SOCK || f->ip->dev != DEV_NONE || (f->ip->mode & S_IFMT) == S_IFCHR)
        return -EINVAL;
    return 0;
}

int64_t sys_syncfs(struct trapframe *tf)
{
    return fd_file((int)tf->rdi) ? 0 : -EBADF;
}

int64_t sys_sync(struct trapframe *tf)
{
    (void)tf;
    return 0;
}
