/*
 * A file's owner and mode: chmod, fchmod, fchmodat, chown, fchown, lchown,
 * fchownat, with Linux's permission rules (fs/open.c chmod_common and
 * chown_common, fs/attr.c setattr_prepare, chown_ok, chgrp_ok):
 *
 *   chmod   the owner (fsuid) or CAP_FOWNER, else -EPERM; the set-group-ID
 *           bit is dropped unless the caller is in the file's group or has
 *           CAP_FSETID.
 *   chown   a new owner needs CAP_CHOWN (giving a file to its own owner is a
 *           no-op anyone who owns it may ask for); a new group needs
 *           CAP_CHOWN, or the caller owns the file and is in that group.
 *           -1 leaves one unchanged. On anything but a directory it clears
 *           set-user-ID, and set-group-ID when group execute is set.
 *
 * There are no symbolic links, so lchown is chown and AT_SYMLINK_NOFOLLOW
 * changes nothing. A pipe has no inode in this kernel: fchmod/fchown of a
 * pipe is -EINVAL (Linux changes the pipefs inode's).
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "syscall.h"
#include "sysfs.h"
#include "vm.h"

/* The inode a descriptor names (a FIFO's too), or NULL with *err (-EBADF, -EINVAL for a pipe). */
static struct inode *fd_inode(int fd, int *err)
{
    struct file *f = fd_file(fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (!f->ip) {
        *err = -EINVAL;
        return NULL;
    }
    return f->ip;
}

/* dirfd + path, where AT_EMPTY_PATH lets "" name dirfd's own file and AT_SYMLINK_NOFOLLOW
   names a link itself. */
static struct inode *path_inode(int dirfd, uint64_t upath, int flags, int *err)
{
    char first;
    if ((flags & AT_EMPTY_PATH) && !copyin(myproc()->pml4, &first, upath, 1) && !first) {
        if (dirfd == AT_FDCWD)
            return myproc()->fs->cwd;
        return fd_inode(dirfd, err);
    }
    if (flags & AT_SYMLINK_NOFOLLOW)
        return lookup_at_nofollow(dirfd, upath, err);
    return lookup_at(dirfd, upath, NULL, err);
}

static int64_t chmod_inode(struct inode *ip, uint32_t mode)
{
    if (!inode_owner_or_capable(ip))
        return -EPERM;
    mode &= S_IALLUGO;
    if (!in_group_p(ip->gid) && !capable(CAP_FSETID))
        mode &= ~S_ISGID;
    ip->mode = (ip->mode & ~S_IALLUGO) | mode;
    ip->ctime_ns = time_realtime_ns();
    return 0;
}

int64_t sys_chmod(struct trapframe *tf)
{
    int err;
    struct inode *ip = lookup_at(AT_FDCWD, tf->rdi, NULL, &err);
    return ip ? chmod_inode(ip, (uint32_t)tf->rsi) : err;
}

int64_t sys_fchmod(struct trapframe *tf)
{
    int err;
    struct inode *ip = fd_inode((int)tf->rdi, &err);
    return ip ? chmod_inode(ip, (uint32_t)tf->rsi) : err;
}

int64_t sys_fchmodat(struct trapframe *tf)
{
    int err;
    struct inode *ip = lookup_at((int)tf->rdi, tf->rsi, NULL, &err);
    return ip ? chmod_inode(ip, (uint32_t)tf->rdx) : err;
}

static int64_t chown_inode(struct inode *ip, uint32_t uid, uint32_t gid)
{
    uint32_t fsuid = myproc()->cred.fsuid, mode = ip->mode;
    bool set_uid = uid != ID_NONE, set_gid = gid != ID_NONE;
    bool mode_change = false;
    if ((mode & S_IFMT) != S_IFDIR) {            /* ATTR_KILL_SUID, setattr_should_drop_sgid */
        if (mode & S_ISUID) {
            mode &= ~S_ISUID;
            mode_change = true;
        }
        if ((mode & S_ISGID) && ((mode & S_IXGRP) || (!in_group_p(ip->gid) && !capable(CAP_FSETID)))) {
            mode &= ~S_ISGID;
            mode_change = true;
        }
    }
    if (set_uid && !((ip->uid == fsuid && uid == ip->uid) || capable(CAP_CHOWN)))
        return -EPERM;                           /* chown_ok */
    if (set_gid && !((ip->uid == fsuid && (gid == ip->gid || in_group_p(gid))) || capable(CAP_CHOWN)))
        return -EPERM;                           /* chgrp_ok */
    if (mode_change && !inode_owner_or_capable(ip))
        return -EPERM;                           /* the cleared bits are a chmod */
    if (set_uid)
        ip->uid = uid;
    if (set_gid)
        ip->gid = gid;
    ip->mode = mode;
    ip->ctime_ns = time_realtime_ns();
    return 0;
}

int64_t sys_chown(struct trapframe *tf)
{
    int err;
    struct inode *ip = lookup_at(AT_FDCWD, tf->rdi, NULL, &err);
    return ip ? chown_inode(ip, (uint32_t)tf->rsi, (uint32_t)tf->rdx) : err;
}

int64_t sys_lchown(struct trapframe *tf)
{
    int err;
    struct inode *ip = lookup_at_nofollow(AT_FDCWD, tf->rdi, &err);
    return ip ? chown_inode(ip, (uint32_t)tf->rsi, (uint32_t)tf->rdx) : err;
}

int64_t sys_fchown(struct trapframe *tf)
{
    int err;
    struct inode *ip = fd_inode((int)tf->rdi, &err);
    return ip ? chown_inode(ip, (uint32_t)tf->rsi, (uint32_t)tf->rdx) : err;
}

int64_t sys_fchownat(struct trapframe *tf)
{
    int err, flags = (int)tf->r8;
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct inode *ip = path_inode((int)tf->rdi, tf->rsi, flags, &err);
    return ip ? chown_inode(ip, (uint32_t)tf->rdx, (uint32_t)tf->r10) : err;
}
