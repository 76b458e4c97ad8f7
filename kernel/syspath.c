/*
 * Path system calls: open, stat, mkdir, rmdir, unlink, rename, link,
 * chdir/getcwd, truncate, access, readlink, utimensat, umask. The *at forms
 * resolve a relative path from a directory fd (AT_FDCWD: the working
 * directory). Symbolic links are fs.c's (walk); /proc's (procfs.c) are read
 * by readlink and followed by every lookup. A path (PATH_MAX, 4096 bytes with
 * its NUL) is copied into a kalloc'd page (path_alloc), never onto the kernel
 * stack, and given back before the call returns: each call that takes one does
 * its work in a helper (*_in) so that one return path frees it.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "lease.h"
#include "jobctl.h"
#include "kcov.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "syscall.h"
#include "socket.h"
#include "sysfs.h"
#include "trap.h"
#include "vm.h"

#define UTIME_NOW   ((1L << 30) - 1)
#define UTIME_OMIT  ((1L << 30) - 2)
#define RENAME_NOREPLACE 1

/* Copy a user path in and find where a relative one starts: dirfd's directory or the cwd. */
static int path_in(int dirfd, uint64_t upath, char *path, struct inode **base)
{
    int r = copyinstr(myproc()->pml4, path, upath, FS_PATH_MAX);
    if (r < 0)
        return r;
    *base = myproc()->fs->cwd;
    if (path[0] == '/' || !path[0] || dirfd == AT_FDCWD)
        return 0;                            /* "": -ENOENT, or AT_EMPTY_PATH's fd itself (any file) */
    struct file *f = fd_file(dirfd);
    if (!f)
        return -EBADF;
    if (f->type != F_INODE || (f->ip->mode & S_IFMT) != S_IFDIR)
        return -ENOTDIR;
    *base = f->ip;
    return 0;
}

/* Does a name follow the path's last component's slash ("name/": Linux's last.name[last.len])? */
static bool trailing_slash(const char *path)
{
    uint64_t n = strlen(path);
    return n > 1 && path[n - 1] == '/';
}

/* Resolve a user path from dirfd's directory or the cwd: the inode it names or, when name is
 * not NULL, its parent directory (the last component copied to name). NULL with *err set when
 * the path can't be copied in or isn't there. A symbolic link at the end is followed. */
static struct inode *lookup_at_how(int dirfd, uint64_t upath, char *name, bool follow, bool *slash,
                                   int *err)
{
    char *path = path_alloc();               /* freed below: the inode found does not use it */
    struct inode *base, *ip = NULL;
    if (!path)
        *err = -ENOMEM;
    else if (!(*err = path_in(dirfd, upath, path, &base)))
        ip = name ? namei_parent(base, path, name, err)
                  : follow ? namei(base, path, err) : namei_nofollow(base, path, err);
    if (slash)
        *slash = ip && trailing_slash(path);
    path_free(path);
    return ip;
}

struct inode *lookup_at(int dirfd, uint64_t upath, char *name, int *err)
{
    return lookup_at_how(dirfd, upath, name, true, NULL, err);
}

/* lookup_at of a parent directory and the last name, and whether a slash follows that name
   ("name/": a directory is asked for, which Linux's creates and removes look at). */
static struct inode *lookup_parent_at(int dirfd, uint64_t upath, char *name, bool *slash, int *err)
{
    return lookup_at_how(dirfd, upath, name, true, slash, err);
}

/* lookup_at without following a symbolic link at the end (lstat, lchown, AT_SYMLINK_NOFOLLOW). */
struct inode *lookup_at_nofollow(int dirfd, uint64_t upath, int *err)
{
    return lookup_at_how(dirfd, upath, NULL, false, NULL, err);
}

/* What open asks of an existing file (Linux ACC_MODE; O_TRUNC writes; mode 3 needs both). */
static int open_mask(int flags)
{
    static const int acc[4] = { MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE, MAY_READ | MAY_WRITE };
    return acc[flags & O_ACCMODE] | ((flags & O_TRUNC) ? MAY_WRITE : 0);
}

/* open(O_CREAT)'s dangling or not link at the end, followed to the directory and name it
   leads to (*ip: what is there, NULL for a name to create); NULL with *err. */
static struct inode *creat_follow(struct inode *dir, struct inode **ip, char *name, int *err)
{
    char *target = path_alloc();
    if (!target) {
        *err = -ENOMEM;
        return NULL;
    }
    for (int links = 0; dir && *ip && ((*ip)->mode & S_IFMT) == S_IFLNK;) {
        if (++links > 40)
            *err = -ELOOP, dir = NULL;
        else if (!symlink_target(*ip, target, FS_PATH_MAX))
            *err = -ENOENT, dir = NULL;
        else if ((dir = namei_parent(dir, target, name, err)))
            *ip = dir_lookup(dir, name);
    }
    path_free(target);
    return dir;
}

static int64_t open_at(int dirfd, uint64_t upath, int flags, uint32_t mode)
{
    char name[FS_NAME_MAX + 1];
    struct inode *ip, *dir;
    int err;
    bool created = false;
    if (flags & (O_PATH | O_TMPFILE_))
        return -EINVAL;                      /* not supported: O_PATH handles, unnamed files */
    if ((err = fd_free(0)) < 0)
        return err;                          /* Linux takes the fd first: -EMFILE creates nothing */
    if (flags & O_CREAT) {
        bool slash;
        if (!(dir = lookup_parent_at(dirfd, upath, name, &slash, &err)))
            return err;
        if (slash)
            return -EISDIR;                  /* Linux open_last_lookups: "name/" is never made */
        ip = dir_lookup(dir, name);
        /* an existing link is followed (a dangling one creates its target), unless O_EXCL
           (EEXIST) or O_NOFOLLOW (ELOOP below), as Linux's open_last_lookups */
        if (ip && (ip->mode & S_IFMT) == S_IFLNK && !(flags & (O_EXCL | O_NOFOLLOW)) &&
            !(dir = creat_follow(dir, &ip, name, &err)))
            return err;
        if (ip && (flags & O_EXCL))
            return -EEXIST;
        if (!ip) {
            if ((err = may_create(dir)))
                return err;
            if (!(ip = inode_new(S_IFREG | (mode & 07777 & ~myproc()->fs->umask))))
                return -ENOSPC;
            inode_init_owner(ip, dir);
            created = true;                  /* Linux checks no permission on a file it just made */
            if ((err = dir_link(dir, name, ip))) {
                inode_maybe_free(ip);
                return err;
            }
        } else if ((ip->mode & S_IFMT) == S_IFDIR) {
            return -EISDIR;
        }
    } else if (!(ip = (flags & O_NOFOLLOW) ? lookup_at_nofollow(dirfd, upath, &err)
                                           : lookup_at(dirfd, upath, NULL, &err))) {
        return err;
    }
    if ((ip->mode & S_IFMT) == S_IFLNK)
        return -ELOOP;                       /* O_NOFOLLOW on a link (Linux: ELOOP) */
    uint32_t type = ip->mode & S_IFMT;
    if ((flags & O_DIRECTORY) && type != S_IFDIR)
        return -ENOTDIR;
    if (type == S_IFDIR && ((flags & O_ACCMODE) != O_RDONLY || (flags & O_TRUNC)))
        return -EISDIR;                      /* also Linux's ioctl-only mode 3 */
    if (!created && (err = inode_permission(ip, open_mask(flags))))
        return err;
    if (ip->dev == DEV_TTY) {                /* the caller's controlling terminal (Linux tty_open_current_tty) */
        if (!jobctl_has_ctty())
            return -ENXIO;
        ip = console_file.ip;
    }
    struct file *f = file_alloc(F_INODE);
    if (!f)
        return -ENFILE;
    f->ip = inode_get(ip);
    f->flags = (flags & ~O_CLOEXEC) | O_LARGEFILE;
    /* Linux do_dentry_open, then handle_truncate: write access (ETXTBSY), leases broken (a wait
       that holds the inode through f), and only then O_TRUNC */
    if (type == S_IFREG && !ip->proc_kind && (err = lease_open(f))) {
        file_close(f);
        return err;
    }
    if ((flags & O_TRUNC) && type == S_IFREG && !created && !ip->proc_kind) {
        /* Linux handle_truncate, even of an empty file and with O_RDONLY (a file open creates
           is not truncated): write access for its length, -ETXTBSY while the file runs */
        if ((err = inode_get_write(ip))) {
            file_close(f);
            return err;
        }
        inode_kill_suid(ip);
        err = ip->size ? fsdata_truncate(ip, 0) : 0;
        inode_put_write(ip);
        if (err) {
            file_close(f);
            return err;
        }
    }
    if (ip->proc_kind && (err = procfs_open(f))) {
        file_close(f);
        return err;
    }
#ifdef KCOV
    if (ip->dev == DEV_KCOV && (err = kcov_open(f))) {
        file_close(f);
        return err;
    }
#endif
    if (type == S_IFIFO && (err = fifo_open(ip, f))) {
        file_close(f);                       /* still F_INODE: puts the inode */
        return err;
    }
    if ((type == S_IFCHR || type == S_IFBLK || type == S_IFSOCK) && ip->dev == DEV_NONE) {
        file_close(f);
        return -ENXIO;                       /* a device node no driver answers (Linux: ENXIO) */
    }
    int fd = fd_alloc(f, 0, flags & O_CLOEXEC);
    if (fd < 0)
        file_close(f);
    return fd;
}

int64_t sys_open(struct trapframe *tf) { return open_at(AT_FDCWD, tf->rdi, (int)tf->rsi, (uint32_t)tf->rdx); }
int64_t sys_openat(struct trapframe *tf) { return open_at((int)tf->rdi, tf->rsi, (int)tf->rdx, (uint32_t)tf->r10); }
int64_t sys_creat(struct trapframe *tf)
{
    return open_at(AT_FDCWD, tf->rdi, O_CREAT | O_WRONLY | O_TRUNC, (uint32_t)tf->rsi);
}

/* Fill a Linux struct stat for an inode or a pipe and copy it out. */
int stat_copyout(struct inode *ip, struct pipe *pipe, uint64_t ust)
{
    static const uint64_t rdev[] = { [DEV_NULL] = 0x103, [DEV_ZERO] = 0x105, [DEV_CONSOLE] = 0x501,
                                     [DEV_URANDOM] = 0x109, [DEV_KCOV] = 0, [DEV_TTY] = 0x500 };
    struct linux_stat st;
    memset(&st, 0, sizeof st);
    st.st_blksize = PAGE_SIZE;
    if (!ip) {
        st.st_dev = 2;                       /* pipefs */
        st.st_ino = pipe->ino;               /* a counter, never an address (Linux pipefs) */
        st.st_mode = S_IFIFO | 0600;
        st.st_uid = pipe->uid;
        st.st_gid = pipe->gid;
        st.st_nlink = 1;
    } else {
        st.st_dev = ip->proc_kind ? PROCFS_DEV : 1;
        st.st_ino = ip->ino;
        st.st_mode = ip->mode;
        st.st_uid = ip->uid;
        st.st_gid = ip->gid;
        st.st_nlink = (uint64_t)ip->nlink;
        st.st_rdev = ip->dev ? rdev[ip->dev] : ip->rdev;
        if ((ip->mode & S_IFMT) == S_IFDIR && !ip->proc_kind && !ip->nlink && ip != fs_root()) {
            st.st_nlink = 0;                 /* removed: Linux's rmdir clears it (simple_rmdir) */
        } else if ((ip->mode & S_IFMT) == S_IFDIR) {
            st.st_nlink = 2;                 /* its name and "."; subdirectories' ".." add one each */
            uint64_t cookie = 2;
            const char *name;
            struct inode *e;
            while (dir_entry(ip, &cookie, &name, &e))
                st.st_nlink += (e->mode & S_IFMT) == S_IFDIR;
        } else if ((ip->mode & S_IFMT) == S_IFREG || (ip->mode & S_IFMT) == S_IFLNK) {
            st.st_size = (int64_t)ip->size;       /* a link's: its target's length */
            st.st_blocks = (int64_t)ALIGN_UP(ip->size, 512) / 512;
        }
        st.st_atime = ip->atime_ns / 1000000000, st.st_atime_ns = ip->atime_ns % 1000000000;
        st.st_mtime = ip->mtime_ns / 1000000000, st.st_mtime_ns = ip->mtime_ns % 1000000000;
        st.st_ctime = ip->ctime_ns / 1000000000, st.st_ctime_ns = ip->ctime_ns % 1000000000;
    }
    return copyout(myproc()->pml4, ust, &st, sizeof st);
}

static int64_t stat_at_in(int dirfd, uint64_t upath, uint64_t ust, int flags, char *path)
{
    struct inode *base, *ip;
    int err = path_in(dirfd, upath, path, &base);
    if (err)
        return err;
    if (!path[0] && (flags & AT_EMPTY_PATH)) {
        if (dirfd == AT_FDCWD)
            return stat_copyout(myproc()->fs->cwd, NULL, ust);
        struct file *f = fd_file(dirfd);
        if (!f)
            return -EBADF;
        return f->type == F_SOCK ? sock_stat(f, ust) : stat_copyout(f->ip, f->pipe, ust);
    }
    if (!(ip = (flags & AT_SYMLINK_NOFOLLOW) ? namei_nofollow(base, path, &err) : namei(base, path, &err)))
        return err;
    return stat_copyout(ip, NULL, ust);
}

static int64_t stat_at(int dirfd, uint64_t upath, uint64_t ust, int flags)
{
    if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */))
        return -EINVAL;
    char *path = path_alloc();
    int64_t r = path ? stat_at_in(dirfd, upath, ust, flags, path) : -ENOMEM;
    path_free(path);
    return r;
}

int64_t sys_stat(struct trapframe *tf) { return stat_at(AT_FDCWD, tf->rdi, tf->rsi, 0); }
int64_t sys_lstat(struct trapframe *tf) { return stat_at(AT_FDCWD, tf->rdi, tf->rsi, AT_SYMLINK_NOFOLLOW); }
int64_t sys_newfstatat(struct trapframe *tf) { return stat_at((int)tf->rdi, tf->rsi, tf->rdx, (int)tf->r10); }

/* The directory where a new name (copied to `name`) may be made: it must not exist (-EEXIST)
   and the caller must be allowed to create in the directory (Linux may_create); NULL with *err.
   mkdir (is_dir), mknod and symlink make their names through it. */
static struct inode *new_name_at(int dirfd, uint64_t upath, char *name, bool is_dir, int *err)
{
    bool slash;
    struct inode *dir = lookup_parent_at(dirfd, upath, name, &slash, err);
    if (!dir)
        return NULL;
    if (dir_lookup(dir, name)) {
        *err = -EEXIST;
        return NULL;
    }
    if (slash && !is_dir) {
        *err = -ENOENT;                      /* Linux filename_create: only mkdir's "name/" */
        return NULL;
    }
    if ((*err = may_create(dir)))
        return NULL;
    return dir;
}

static int64_t mkdir_at(int dirfd, uint64_t upath, uint32_t mode)
{
    char name[FS_NAME_MAX + 1];
    struct inode *dir, *ip;
    int err;
    if (!(dir = new_name_at(dirfd, upath, name, true, &err)))
        return err;
    /* Linux vfs_mkdir keeps no set-id bit of the mode (a setgid parent gives its own) */
    if (!(ip = inode_new(S_IFDIR | (mode & (S_ISVTX | 0777) & ~myproc()->fs->umask))))
        return -ENOSPC;
    inode_init_owner(ip, dir);
    ip->parent = inode_get(dir);
    if ((err = dir_link(dir, name, ip)))
        inode_maybe_free(ip);
    return err;
}

int64_t sys_mkdir(struct trapframe *tf) { return mkdir_at(AT_FDCWD, tf->rdi, (uint32_t)tf->rsi); }

/* The driver behind a device number (Linux's new_decode_dev): the ones /dev has. */
static enum devkind dev_of(int chr, uint32_t dev)
{
    uint32_t major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
    if (!chr)
        return DEV_NONE;
    if (major == 1)
        return minor == 3 ? DEV_NULL : minor == 5 ? DEV_ZERO : minor == 9 ? DEV_URANDOM : DEV_NONE;
    if (major == 5)
        return minor == 0 ? DEV_TTY : minor == 1 ? DEV_CONSOLE : DEV_NONE;
    return DEV_NONE;
}

/*
 * mknod(path, mode, dev) as Linux's do_mknodat: a regular file (type 0 or S_IFREG), a FIFO,
 * a socket's name, or with CAP_MKNOD a character or block device (one /dev has works as
 * that device; another's open is ENXIO); a directory is EPERM, another type EINVAL.
 */
static int64_t mknod_at(int dirfd, uint64_t upath, uint32_t mode, uint32_t dev)
{
    char name[FS_NAME_MAX + 1];
    struct inode *dir, *ip;
    int err;
    uint32_t type = mode & S_IFMT;
    switch (type) {
    case 0:
        type = S_IFREG;
        break;
    case S_IFREG: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
        break;
    case S_IFDIR:
        return -EPERM;
    default:
        return -EINVAL;
    }
    if (!(dir = new_name_at(dirfd, upath, name, false, &err)))
        return err;
    if ((type == S_IFCHR || type == S_IFBLK) && !capable(CAP_MKNOD))
        return -EPERM;
    if (!(ip = inode_new(type | (mode & 07777 & ~myproc()->fs->umask))))
        return -ENOSPC;
    inode_init_owner(ip, dir);
    if (type == S_IFCHR || type == S_IFBLK) {
        ip->dev = dev_of(type == S_IFCHR, dev);
        uint32_t major = (dev & 0xfff00) >> 8, minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
        ip->rdev = ((uint64_t)(major & 0xfff) << 8) | (minor & 0xff) | ((uint64_t)(minor & ~0xffu) << 12);
    }
    if ((err = dir_link(dir, name, ip)))
        inode_maybe_free(ip);
    return err;
}

int64_t sys_mknod(struct trapframe *tf) { return mknod_at(AT_FDCWD, tf->rdi, (uint32_t)tf->rsi, (uint32_t)tf->rdx); }
int64_t sys_mknodat(struct trapframe *tf)
{
    return mknod_at((int)tf->rdi, tf->rsi, (uint32_t)tf->rdx, (uint32_t)tf->r10);
}
int64_t sys_mkdirat(struct trapframe *tf) { return mkdir_at((int)tf->rdi, tf->rsi, (uint32_t)tf->rdx); }

/* Is the directory anyone's working directory or open? Linux allows removing it anyway; so do we. */
static int64_t remove_at(int dirfd, uint64_t upath, bool want_dir)
{
    char name[FS_NAME_MAX + 1];
    struct inode *dir, *ip;
    int err;
    bool slash;
    if (!(dir = lookup_parent_at(dirfd, upath, name, &slash, &err)))
        return err;
    if (!want_dir && slash) {
        /* Linux do_unlinkat: "name/" names a directory, which unlink never removes */
        ip = dir_lookup(dir, name);
        return !ip ? -ENOENT : (ip->mode & S_IFMT) == S_IFDIR ? -EISDIR : -ENOTDIR;
    }
    if (want_dir && !strcmp(name, "."))
        return -EINVAL;
    if (want_dir && !strcmp(name, ".."))
        return -ENOTEMPTY;
    if (!(ip = dir_lookup(dir, name)))
        return -ENOENT;
    if ((err = may_delete(dir, ip)))
        return err;                          /* before the type checks, as Linux's may_delete */
    bool is_dir = (ip->mode & S_IFMT) == S_IFDIR;
    if (!want_dir && is_dir)
        return -EISDIR;
    if (want_dir && !is_dir)
        return -ENOTDIR;
    if (want_dir && ip == fs_root())
        return -EBUSY;
    if (want_dir && !dir_empty(ip))
        return -ENOTEMPTY;
    return dir_unlink(dir, name);
}

int64_t sys_unlink(struct trapframe *tf) { return remove_at(AT_FDCWD, tf->rdi, false); }
int64_t sys_rmdir(struct trapframe *tf) { return remove_at(AT_FDCWD, tf->rdi, true); }
int64_t sys_unlinkat(struct trapframe *tf)
{
    if (tf->rdx & ~(uint64_t)AT_REMOVEDIR)
        return -EINVAL;
    return remove_at((int)tf->rdi, tf->rsi, tf->rdx & AT_REMOVEDIR);
}

static int64_t rename_in(int olddirfd, uint64_t uold, int newdirfd, uint64_t unew, uint64_t flags,
                         char *opath, char *npath)
{
    char oname[FS_NAME_MAX + 1], nname[FS_NAME_MAX + 1];
    struct inode *obase, *nbase, *odir, *ndir, *ip, *target;
    int err;
    if ((err = path_in(olddirfd, uold, opath, &obase)) || (err = path_in(newdirfd, unew, npath, &nbase)))
        return err;
    if (!(odir = namei_parent(obase, opath, oname, &err)) || !(ndir = namei_parent(nbase, npath, nname, &err)))
        return err;
    if (!strcmp(oname, ".") || !strcmp(oname, "..") || !strcmp(nname, ".") || !strcmp(nname, ".."))
        return -EBUSY;
    if (!(ip = dir_lookup(odir, oname)))
        return -ENOENT;
    if (odir->proc_kind || ndir->proc_kind || ip->proc_kind) {
        /* Linux: across file systems EXDEV, /proc itself (a mount point) EBUSY, inside /proc EPERM */
        if (ip->proc_kind == PN_ROOT)
            return -EBUSY;
        return !odir->proc_kind != !ndir->proc_kind ? -EXDEV : -EPERM;
    }
    bool is_dir = (ip->mode & S_IFMT) == S_IFDIR;
    if (is_dir && dir_is_ancestor(ip, ndir))
        return -EINVAL;                  /* into itself */
    if ((target = dir_lookup(ndir, nname))) {
        if (target->proc_kind)
            return -EBUSY;                   /* over /proc */
        if (flags & RENAME_NOREPLACE)
            return -EEXIST;
    }
    /* Linux do_renameat2: a name with a trailing slash asks for a directory, so a file
       renamed from or to "name/" is -ENOTDIR, before the same-inode answer */
    if (!is_dir && (trailing_slash(opath) || trailing_slash(npath)))
        return -ENOTDIR;
    if (target == ip)
        return 0;
    /* Linux vfs_rename: remove the old name, remove or create the new one, and a directory
       moving to another parent must be writable (its ".." changes) */
    if ((err = may_delete(odir, ip)) || (err = target ? may_delete(ndir, target) : may_create(ndir)))
        return err;
    if (is_dir && odir != ndir && (err = inode_permission(ip, MAY_WRITE)))
        return err;
    if (target) {
        bool t_dir = (target->mode & S_IFMT) == S_IFDIR;
        if (is_dir && !t_dir)
            return -ENOTDIR;
        if (!is_dir && t_dir)
            return -EISDIR;
        if (t_dir && !dir_empty(target))
            return -ENOTEMPTY;
    }
    if (ndir->nlink == 0 && ndir != fs_root())
        return -ENOENT;                  /* into a removed directory */
    ip->ref++;                           /* keep it while its entry moves */
    if (target)
        dir_unlink(ndir, nname);
    if ((err = dir_move(odir, oname, ndir, nname))) {     /* -ENOMEM: no page for the name */
        inode_put(ip);
        return err;
    }
    if (is_dir) {
        struct inode *old = ip->parent;
        ip->parent = inode_get(ndir);
        inode_put(old);
    }
    inode_put(ip);
    return err;
}

static int64_t rename_at(int olddirfd, uint64_t uold, int newdirfd, uint64_t unew, uint64_t flags)
{
    if (flags & ~(uint64_t)RENAME_NOREPLACE)
        return -EINVAL;                  /* RENAME_EXCHANGE, RENAME_WHITEOUT: not supported */
    char *opath = path_alloc(), *npath = path_alloc();
    int64_t r = opath && npath ? rename_in(olddirfd, uold, newdirfd, unew, flags, opath, npath) : -ENOMEM;
    path_free(opath);
    path_free(npath);
    return r;
}

int64_t sys_rename(struct trapframe *tf) { return rename_at(AT_FDCWD, tf->rdi, AT_FDCWD, tf->rsi, 0); }
int64_t sys_renameat(struct trapframe *tf) { return rename_at((int)tf->rdi, tf->rsi, (int)tf->rdx, tf->r10, 0); }
int64_t sys_renameat2(struct trapframe *tf)
{
    return rename_at((int)tf->rdi, tf->rsi, (int)tf->rdx, tf->r10, tf->r8);
}

/*
 * Linux may_linkat with fs.protected_hardlinks=1 (the default of every
 * distribution): linking someone else's file needs it to be a regular file
 * without set-id bits that the caller may read and write, or CAP_FOWNER.
 */
static int may_link(struct inode *ip)
{
    if (inode_owner_or_capable(ip))
        return 0;
    bool setid = (ip->mode & S_ISUID) || (ip->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP);
    if ((ip->mode & S_IFMT) == S_IFREG && !setid && !inode_permission(ip, MAY_READ | MAY_WRITE))
        return 0;
    return -EPERM;
}

static int64_t link_in(int olddirfd, uint64_t uold, int newdirfd, uint64_t unew, uint64_t flags,
                       char *opath, char *npath)
{
    char nname[FS_NAME_MAX + 1];
    struct inode *obase, *nbase, *ip, *ndir;
    int err;
    if ((err = path_in(olddirfd, uold, opath, &obase)) || (err = path_in(newdirfd, unew, npath, &nbase)))
        return err;
    /* Linux's order: the old path must exist, then the new name must not, then no directories */
    ip = (flags & AT_SYMLINK_FOLLOW) ? namei(obase, opath, &err) : namei_nofollow(obase, opath, &err);
    if (!ip || !(ndir = namei_parent(nbase, npath, nname, &err)))
        return err;
    if (dir_lookup(ndir, nname))
        return -EEXIST;
    if (trailing_slash(npath))
        return -ENOENT;                      /* Linux filename_create: "name/" is not made */
    if ((err = may_link(ip)))
        return err;
    if ((err = may_create(ndir)))
        return err;
    if ((ip->mode & S_IFMT) == S_IFDIR)
        return -EPERM;
    return dir_link(ndir, nname, ip);
}

static int64_t link_at(int olddirfd, uint64_t uold, int newdirfd, uint64_t unew, uint64_t flags)
{
    if (flags & ~(uint64_t)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    char *opath = path_alloc(), *npath = path_alloc();
    int64_t r = opath && npath ? link_in(olddirfd, uold, newdirfd, unew, flags, opath, npath) : -ENOMEM;
    path_free(opath);
    path_free(npath);
    return r;
}

int64_t sys_link(struct trapframe *tf) { return link_at(AT_FDCWD, tf->rdi, AT_FDCWD, tf->rsi, 0); }
int64_t sys_linkat(struct trapframe *tf) { return link_at((int)tf->rdi, tf->rsi, (int)tf->rdx, tf->r10, tf->r8); }

static int64_t set_cwd(struct inode *ip)
{
    if ((ip->mode & S_IFMT) != S_IFDIR)
        return -ENOTDIR;
    int err = inode_permission(ip, MAY_EXEC);    /* Linux MAY_CHDIR: search permission */
    if (err)
        return err;
    struct fsinfo *fs = myproc()->fs;
    struct inode *old = fs->cwd;
    fs->cwd = inode_get(ip);                 /* the new reference first: ip may be the old cwd, */
    inode_put(old);                          /* whose last reference this may be (a removed dir) */
    return 0;
}

int64_t sys_chdir(struct trapframe *tf)
{
    int err;
    struct inode *ip = lookup_at(AT_FDCWD, tf->rdi, NULL, &err);
    if (!ip)
        return err;
    return set_cwd(ip);
}

int64_t sys_fchdir(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    return f->type == F_INODE ? set_cwd(f->ip) : -ENOTDIR;
}

/* getcwd(buf, size): the length with the NUL, as the system call (not libc) returns it. */
int64_t sys_getcwd(struct trapframe *tf)
{
    char *path = path_alloc();
    if (!path)
        return -ENOMEM;
    int n = dir_path(myproc()->fs->cwd, path, tf->rsi < FS_PATH_MAX ? tf->rsi : FS_PATH_MAX);
    int r = n < 0 ? n : copyout(myproc()->pml4, tf->rdi, path, (uint64_t)n);
    path_free(path);
    return r ? r : n;
}

static int64_t truncate_inode(struct inode *ip, int64_t len)
{
    if (len < 0)
        return -EINVAL;
    if (ip->proc_kind)
        return 0;                            /* /proc's files have no size to set: Linux's proc_setattr
                                                accepts and ignores it */
    if ((ip->mode & S_IFMT) == S_IFDIR)
        return -EISDIR;
    if ((ip->mode & S_IFMT) != S_IFREG)
        return -EINVAL;
    if ((uint64_t)len > ip->size && fsize_check((uint64_t)len - 1, 1) < 0)
        return -EFBIG;                       /* growing past RLIMIT_FSIZE: SIGXFSZ (inode_newsize_ok) */
    return fsdata_truncate(ip, (uint64_t)len);
}

int64_t sys_truncate(struct trapframe *tf)
{
    int err;
    struct inode *ip = lookup_at(AT_FDCWD, tf->rdi, NULL, &err);
    if (!ip)
        return err;
    if ((int64_t)tf->rsi >= 0 && (ip->mode & S_IFMT) == S_IFREG && (err = inode_permission(ip, MAY_WRITE)))
        return err;                      /* Linux vfs_truncate: after the type checks */
    if ((int64_t)tf->rsi < 0 || (ip->mode & S_IFMT) != S_IFREG || ip->proc_kind)
        return truncate_inode(ip, (int64_t)tf->rsi);
    ip = inode_get(ip);                  /* held across a lease break's wait */
    int64_t r = lease_truncate(ip);      /* -ETXTBSY for a running program; leases broken */
    if (!r) {
        r = truncate_inode(ip, (int64_t)tf->rsi);
        inode_put_write(ip);
    }
    inode_put(ip);
    return r;
}

int64_t sys_ftruncate(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    if (f->type != F_INODE || (f->flags & O_ACCMODE) == O_RDONLY)
        return -EINVAL;                  /* Linux: EINVAL for a file not open for writing */
    return truncate_inode(f->ip, (int64_t)tf->rsi);
}

/*
 * access/faccessat: the check made with the REAL ids (Linux
 * access_override_creds: fsuid/fsgid become uid/gid, and the effective
 * capabilities become none, or all permitted ones for real uid 0), unless
 * AT_EACCESS. The path is looked up with those ids too. The thread's own
 * cred is swapped for the call and put back: nobody else writes it.
 */
static int64_t access_at(int dirfd, uint64_t upath, int mode, int flags)
{
    struct inode *ip;
    int err;
    if (mode & ~7)
        return -EINVAL;
    if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    struct cred *c = &myproc()->cred, saved = *c;
    if (!(flags & AT_EACCESS)) {
        c->fsuid = c->uid;
        c->fsgid = c->gid;
        c->cap_effective = c->uid == 0 ? c->cap_permitted : 0;
    }
    ip = (flags & AT_SYMLINK_NOFOLLOW) ? lookup_at_nofollow(dirfd, upath, &err)
                                       : lookup_at(dirfd, upath, NULL, &err);
    if (ip)
        err = inode_permission(ip, mode);    /* R_OK, W_OK, X_OK are MAY_READ, MAY_WRITE, MAY_EXEC */
    *c = saved;
    return err;
}

int64_t sys_access(struct trapframe *tf) { return access_at(AT_FDCWD, tf->rdi, (int)tf->rsi, 0); }
int64_t sys_faccessat(struct trapframe *tf) { return access_at((int)tf->rdi, tf->rsi, (int)tf->rdx, 0); }
int64_t sys_faccessat2(struct trapframe *tf)
{
    return access_at((int)tf->rdi, tf->rsi, (int)tf->rdx, (int)tf->r10);
}

/* readlink: a symbolic link's target, not NUL-terminated, cut to bufsiz; -EINVAL for
   anything else (Linux vfs_readlink). /proc's links (self, mounts, PID/exe, PID/cwd,
   PID/fd/N) are procfs.c's: its lookups follow them, readlink reads them. */
static int64_t readlink_in(int dirfd, uint64_t upath, uint64_t ubuf, int64_t bufsiz, char *target)
{
    char name[FS_NAME_MAX + 1];
    int err;
    int64_t n;
    struct inode *dir = lookup_at(dirfd, upath, name, &err);
    if (!dir)
        return err;
    if (dir->proc_kind && strcmp(name, ".") && strcmp(name, "..")) {
        if ((n = procfs_readlink(dir, name, target, FS_PATH_MAX)) < 0)
            return n;
    } else {
        struct inode *ip = lookup_at_nofollow(dirfd, upath, &err);
        if (!ip)
            return err;
        if ((ip->mode & S_IFMT) != S_IFLNK)
            return -EINVAL;
        n = symlink_target(ip, target, FS_PATH_MAX);
        ip->atime_ns = time_realtime_ns();
    }
    if (n > bufsiz)
        n = bufsiz;
    if (n > FS_PATH_MAX - 1)
        n = FS_PATH_MAX - 1;
    return copyout(myproc()->pml4, ubuf, target, (uint64_t)n) ? -EFAULT : n;
}

static int64_t readlink_at(int dirfd, uint64_t upath, uint64_t ubuf, int64_t bufsiz)
{
    if (bufsiz <= 0)
        return -EINVAL;
    char *target = path_alloc();
    int64_t r = target ? readlink_in(dirfd, upath, ubuf, bufsiz, target) : -ENOMEM;
    path_free(target);
    return r;
}

int64_t sys_readlink(struct trapframe *tf) { return readlink_at(AT_FDCWD, tf->rdi, tf->rsi, (int32_t)tf->rdx); }
int64_t sys_readlinkat(struct trapframe *tf)
{
    return readlink_at((int)tf->rdi, tf->rsi, tf->rdx, (int32_t)tf->r10);
}

/* symlink(target, linkpath): a new link holding target's bytes (1..PATH_MAX-1 of them: "" is
   ENOENT, as Linux's getname), created as mkdir creates a name (Linux vfs_symlink). */
static int64_t symlink_in(uint64_t utarget, int dirfd, uint64_t upath, char *target)
{
    char name[FS_NAME_MAX + 1];
    struct inode *dir, *ip;
    int err, n = copyinstr(myproc()->pml4, target, utarget, FS_PATH_MAX);
    if (n < 0)
        return n;
    if (!target[0])
        return -ENOENT;
    if (!(dir = new_name_at(dirfd, upath, name, false, &err)))
        return err;
    if (!(ip = inode_new(S_IFLNK | 0777)))
        return -ENOSPC;
    inode_init_owner(ip, dir);
    uint64_t len = strlen(target);
    if (fsdata_write(ip, myproc()->pml4, utarget, 0, len) != (int64_t)len) {
        inode_maybe_free(ip);
        return -ENOSPC;
    }
    if ((err = dir_link(dir, name, ip))) {
        inode_maybe_free(ip);
        return err;
    }
    return 0;
}

static int64_t symlink_at(uint64_t utarget, int dirfd, uint64_t upath)
{
    char *target = path_alloc();
    int64_t r = target ? symlink_in(utarget, dirfd, upath, target) : -ENOMEM;
    path_free(target);
    return r;
}

int64_t sys_symlink(struct trapframe *tf) { return symlink_at(tf->rdi, AT_FDCWD, tf->rsi); }
int64_t sys_symlinkat(struct trapframe *tf) { return symlink_at(tf->rdi, (int)tf->rsi, tf->rdx); }

/* utimensat(dirfd, path, times[2], flags): NULL times = now; UTIME_NOW/UTIME_OMIT per field. */
int64_t sys_utimensat(struct trapframe *tf)
{
    struct inode *ip;
    int64_t ts[4];
    int err;
    if (tf->r10 & ~(uint64_t)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
        return -EINVAL;
    if (!tf->rsi) {                      /* futimens(fd, ...) */
        struct file *f = fd_file((int)tf->rdi);
        if (!f)
            return -EBADF;
        if (f->type != F_INODE)
            return -EINVAL;
        ip = f->ip;
    } else {
        ip = (tf->r10 & AT_SYMLINK_NOFOLLOW) ? lookup_at_nofollow((int)tf->rdi, tf->rsi, &err)
                                              : lookup_at((int)tf->rdi, tf->rsi, NULL, &err);
        if (!ip)
            return err;
    }
    uint64_t now = time_realtime_ns();
    if (tf->rdx) {
        if ((err = copyin(myproc()->pml4, ts, tf->rdx, sizeof ts)))
            return err;
    } else {
        ts[1] = ts[3] = UTIME_NOW;
    }
    for (int i = 0; i < 2; i++)
        if (ts[2 * i + 1] != UTIME_NOW && ts[2 * i + 1] != UTIME_OMIT &&
            (ts[2 * i + 1] < 0 || ts[2 * i + 1] >= 1000000000))
            return -EINVAL;
    /* Linux vfs_utimes/setattr_prepare: "now" (NULL or both UTIME_NOW) needs ownership or write
       permission; any other time needs ownership (or CAP_FOWNER): -EPERM */
    bool touch = !tf->rdx || (ts[1] == UTIME_NOW && ts[3] == UTIME_NOW);
    if (!inode_owner_or_capable(ip)) {
        if (!touch)
            return -EPERM;
        if ((err = inode_permission(ip, MAY_WRITE)))
            return err;
    }
    uint64_t *field[2] = { &ip->atime_ns, &ip->mtime_ns };
    for (int i = 0; i < 2; i++) {
        if (ts[2 * i + 1] == UTIME_NOW)
            *field[i] = now;
        else if (ts[2 * i + 1] != UTIME_OMIT)
            *field[i] = (uint64_t)ts[2 * i] * 1000000000 + (uint64_t)ts[2 * i + 1];
    }
    ip->ctime_ns = now;
    return 0;
}

int64_t sys_umask(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint32_t old = p->fs->umask;
    p->fs->umask = (uint32_t)tf->rdi & 0777;
    return old;
}
