/*
 * File permission, as Linux decides it with the caller's credentials
 * (cred.h): fs/namei.c generic_permission, may_create, may_delete (the
 * sticky bit), fs/inode.c inode_init_owner, fs/attr.c's dropping of set-id
 * bits on a write. The path calls (syspath.c, sysattr.c, fs.c) call these
 * where Linux's VFS does, in Linux's order.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "proc.h"

/*
 * Linux generic_permission: the owner's, the group's or the others' bits
 * (the first class the caller is in decides, even if a later one would
 * allow more); then CAP_DAC_READ_SEARCH for reading and searching
 * directories and reading files, CAP_DAC_OVERRIDE for the rest, except that
 * execute needs at least one x bit on a file even for root.
 */
int inode_permission(struct inode *ip, int mask)
{
    const struct cred *c = &myproc()->cred;
    uint32_t mode = ip->mode;
    mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
    if (ip->uid == c->fsuid)
        mode >>= 6;
    else if (in_group_p(ip->gid))
        mode >>= 3;
    if (!(mask & ~mode & 7))
        return 0;
    if ((ip->mode & S_IFMT) == S_IFDIR) {
        if (!(mask & MAY_WRITE) && capable(CAP_DAC_READ_SEARCH))
            return 0;
        return capable(CAP_DAC_OVERRIDE) ? 0 : -EACCES;
    }
    if (mask == MAY_READ && capable(CAP_DAC_READ_SEARCH))
        return 0;
    if ((!(mask & MAY_EXEC) || (ip->mode & S_IXUGO)) && capable(CAP_DAC_OVERRIDE))
        return 0;
    return -EACCES;
}

bool inode_owner_or_capable(struct inode *ip)
{
    return ip->uid == myproc()->cred.fsuid || capable(CAP_FOWNER);
}

/* Linux may_create: a name can be made in dir (search and write); a removed dir takes none. */
int may_create(struct inode *dir)
{
    if (dir->nlink == 0 && dir != fs_root())
        return -ENOENT;
    return inode_permission(dir, MAY_WRITE | MAY_EXEC);
}

/*
 * Linux may_delete: search and write on dir; in a sticky directory (/tmp)
 * only the file's owner, the directory's owner or CAP_FOWNER may remove or
 * rename a name (check_sticky): -EPERM.
 */
int may_delete(struct inode *dir, struct inode *victim)
{
    int err = inode_permission(dir, MAY_WRITE | MAY_EXEC);
    if (err)
        return err;
    uint32_t fsuid = myproc()->cred.fsuid;
    if ((dir->mode & S_ISVTX) && victim->uid != fsuid && dir->uid != fsuid && !capable(CAP_FOWNER))
        return -EPERM;
    return 0;
}

/*
 * Linux inode_init_owner: a new inode belongs to the creator's fsuid, and to
 * its fsgid unless the directory is set-group-ID: then to the directory's
 * group, and a new directory inherits the bit. A file created set-group-ID
 * in a group the creator is not in loses the bit (without CAP_FSETID).
 */
void inode_init_owner(struct inode *ip, struct inode *dir)
{
    ip->uid = myproc()->cred.fsuid;
    if (dir && (dir->mode & S_ISGID)) {
        ip->gid = dir->gid;
        if ((ip->mode & S_IFMT) == S_IFDIR)
            ip->mode |= S_ISGID;
    } else {
        ip->gid = myproc()->cred.fsgid;
    }
    if ((ip->mode & S_IFMT) != S_IFDIR && (ip->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) &&
        !in_group_p(ip->gid) && !capable(CAP_FSETID))
        ip->mode &= ~S_ISGID;
}

/*
 * Linux setattr_should_drop_suidgid, on every write and truncate of a
 * regular file: set-user-ID goes, and set-group-ID with group execute (or
 * when the writer is not in the file's group), unless CAP_FSETID.
 */
void inode_kill_suid(struct inode *ip)
{
    if ((ip->mode & S_IFMT) != S_IFREG || capable(CAP_FSETID))
        return;
    ip->mode &= ~S_ISUID;
    if ((ip->mode & S_ISGID) && ((ip->mode & S_IXGRP) || !in_group_p(ip->gid)))
        ip->mode &= ~S_ISGID;
}
