/*
 * File-descriptor system calls: read/write, open/close, dup, fcntl, pipe,
 * lseek, fstat, getdents64, ioctl. Linux semantics and errno values; user
 * memory only through copyin/copyout. Paths are resolved in syspath.c.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "lease.h"
#include "jobctl.h"
#include "kcov.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "socket.h"
#include "procfs.h"
#include "syscall.h"
#include "sysfs.h"
#include "trap.h"
#include "uapi.h"
#include "vm.h"

#define F_SETFL_MASK (O_APPEND | O_NONBLOCK)   /* what F_SETFL may change here */

struct file *fd_file(int fd)
{
    struct proc *p = myproc();
    return files_fd(p->files, fd);
}

/* The fds a process may use: its RLIMIT_NOFILE (at most NOFILE_MAX, syslimit.c's ceiling). */
int fd_limit(void)
{
    return (int)rlimit_cur(myproc(), RLIMIT_NOFILE_K);
}

/* The lowest free fd >= min below the limit, or -EMFILE (Linux alloc_fd). */
int fd_free(int min)
{
    struct proc *p = myproc();
    for (int fd = min, end = fd_limit(); fd < end; fd++)
        if (!files_fd(p->files, fd))
            return fd;
    return -EMFILE;
}

/* Install f at the lowest free fd >= min (consumes the caller's reference). -EMFILE, -EINVAL. */
int fd_alloc(struct file *f, int min, bool cloexec)
{
    struct proc *p = myproc();
    if (min < 0)
        return -EINVAL;
    int fd = fd_free(min);
    if (fd < 0)
        return fd;
    int r = files_install(p->files, fd, f);
    if (r)
        return r;                            /* Linux expand_files: -ENOMEM */
    fd_set_cloexec(p->files, fd, cloexec);
    return fd;
}

static void fd_close(int fd)
{
    struct proc *p = myproc();
    locks_close_posix(p->files, files_fd(p->files, fd));   /* Linux filp_close: POSIX locks go */
    file_close(files_fd(p->files, fd));
    files_clear(p->files, fd);
}

static int64_t do_read(int fd, uint64_t buf, uint64_t n)
{
    struct file *f = fd_file(fd);
    if (!f || ((f->flags & O_ACCMODE) != O_RDONLY && (f->flags & O_ACCMODE) != O_RDWR))
        return -EBADF;                      /* O_WRONLY, or Linux's "3": ioctl only */
    if (!user_range_ok(buf, n))
        return -EFAULT;
    f = file_dup(f);                        /* a thread sharing the table may close fd meanwhile */
    int64_t r = file_read(f, buf, n);
    file_close(f);
    return r;
}

static int64_t do_write(int fd, uint64_t buf, uint64_t n)
{
    struct file *f = fd_file(fd);
    if (!f || ((f->flags & O_ACCMODE) != O_WRONLY && (f->flags & O_ACCMODE) != O_RDWR))
        return -EBADF;
    if (!user_range_ok(buf, n))
        return -EFAULT;
    f = file_dup(f);                        /* as in do_read: the file outlives a close by another thread */
    int64_t r = file_write(f, buf, n);
    file_close(f);
    return r;
}

int64_t sys_read(struct trapframe *tf)
{
    return do_read((int)tf->rdi, tf->rsi, tf->rdx);
}

int64_t sys_write(struct trapframe *tf)
{
    return do_write((int)tf->rdi, tf->rsi, tf->rdx);
}

/* pread64/pwrite64: at an offset, leaving the file offset alone; not on pipes or the terminal. */
static int64_t positioned_io(struct trapframe *tf, bool write)
{
    struct file *f = fd_file((int)tf->rdi);
    int64_t off = (int64_t)tf->r10;
    int acc = f ? f->flags & O_ACCMODE : 0;
    if (!f || (acc != O_RDWR && acc != (write ? O_WRONLY : O_RDONLY)))
        return -EBADF;
    if (f->type == F_PIPE || f->type == F_SOCK || f->ip->dev == DEV_CONSOLE)
        return -ESPIPE;
    if (off < 0)
        return -EINVAL;                      /* /proc/PID/mem too (Linux ksys_pread64): lseek reaches those */
    if (write && (f->flags & O_APPEND))
        off = (int64_t)f->ip->size;          /* Linux: pwrite on an O_APPEND file appends (pwrite(2), BUGS) */
    if (!user_range_ok(tf->rsi, tf->rdx))
        return -EFAULT;
    switch (f->ip->mode & S_IFMT) {
    case S_IFDIR:
        return -EISDIR;
    case S_IFCHR:
        return write ? dev_write(f->ip, tf->rsi, tf->rdx) : dev_read(f->ip, tf->rsi, tf->rdx);
    default:
        if (f->ip->proc_kind)
            return write ? procfs_write(f, tf->rsi, (uint64_t)off, tf->rdx) : procfs_read(f, tf->rsi, (uint64_t)off, tf->rdx);
        if (write) {
            int64_t n = fsize_check((uint64_t)off, tf->rdx);     /* RLIMIT_FSIZE */
            return n > 0 ? fsdata_write(f->ip, myproc()->pml4, tf->rsi, (uint64_t)off, (uint64_t)n) : n;
        }
        return fsdata_read(f->ip, myproc()->pml4, tf->rsi, (uint64_t)off, tf->rdx);
    }
}

int64_t sys_pread64(struct trapframe *tf)
{
    return positioned_io(tf, false);
}

int64_t sys_pwrite64(struct trapframe *tf)
{
    return positioned_io(tf, true);
}

struct iovec { uint64_t base, len; };   /* include/uapi/linux/uio.h */
#define IOV_MAX 1024

/* Has a read of f bytes (or an end of file) it can take without waiting? (A later iovec of a
   readv that has bytes: Linux's pipe_read and n_tty_read return then, never wait for more.) */
static bool readable_now(struct file *f)
{
    if (f->type == F_PIPE)
        return pipe_readable(f->pipe) || !f->pipe->writers;
    if (f->type == F_INODE && f->ip->dev == DEV_CONSOLE)
        return console_readable();
    return true;
}

/*
 * readv/writev: one transfer per iovec, stopping at the first short one, as Linux does. As
 * Linux's import_iovec, the whole vector is checked before any transfer: a bad descriptor is
 * -EBADF, an unreadable vector -EFAULT, a length past SSIZE_MAX (or a total past it) -EINVAL.
 * The open file is held for the whole vector (Linux's one fdget: a thread sharing the table
 * that closes the fd, or opens another file at its number, changes nothing here), and a readv
 * that has bytes stops where its file has no more for now, as Linux's one read of the vector.
 */
static int64_t vector_io(struct trapframe *tf, bool write)
{
    int iovcnt = (int)tf->rdx;
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    if (iovcnt < 0 || iovcnt > IOV_MAX)
        return -EINVAL;
    uint64_t sum = 0;
    for (int i = 0; i < iovcnt; i++) {
        struct iovec iov;
        if (copyin(myproc()->pml4, &iov, tf->rsi + i * sizeof iov, sizeof iov))
            return -EFAULT;
        if ((int64_t)iov.len < 0 || (int64_t)(sum += iov.len) < 0)
            return -EINVAL;
    }
    if (f->type == F_SOCK)                    /* one message for the whole vector (socket.c) */
        return sock_vector_io(f, tf->rsi, iovcnt, write);
    int acc = f->flags & O_ACCMODE;
    if (acc != O_RDWR && acc != (write ? O_WRONLY : O_RDONLY))
        return -EBADF;                       /* as do_read and do_write */
    f = file_dup(f);
    int64_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        struct iovec iov;
        int64_t n = copyin(myproc()->pml4, &iov, tf->rsi + i * sizeof iov, sizeof iov);
        if (n) {
            total = total ? total : n;
            break;
        }
        if (!iov.len)
            continue;
        if (total && !write && !readable_now(f))
            break;
        n = user_range_ok(iov.base, iov.len) ? (write ? file_write(f, iov.base, iov.len)
                                                      : file_read(f, iov.base, iov.len)) : -EFAULT;
        if (n < 0) {
            total = total ? total : n;
            break;
        }
        total += n;
        if ((uint64_t)n < iov.len)
            break;
    }
    file_close(f);
    return total;
}

int64_t sys_readv(struct trapframe *tf)
{
    return vector_io(tf, false);
}

int64_t sys_writev(struct trapframe *tf)
{
    return vector_io(tf, true);
}

int64_t sys_close(struct trapframe *tf)
{
    int fd = (int)tf->rdi;
    if (!fd_file(fd))
        return -EBADF;
    fd_close(fd);
    return 0;
}

int64_t sys_lseek(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    int64_t off = (int64_t)tf->rsi, base;
    if (!f)
        return -EBADF;
    if (f->type == F_SOCK)
        return -ESPIPE;
    if (f->type == F_PIPE || (f->ip->mode & S_IFMT) == S_IFCHR)
        return f->type != F_PIPE && f->ip->dev != DEV_CONSOLE ? 0 : -ESPIPE;   /* null, zero, urandom: 0 */
    if (f->ip->proc_kind == PN_MEM) {
        /* Linux mem_lseek: any offset is an address (FMODE_UNSIGNED_OFFSET), returned as it is */
        if (tf->rdx != SEEK_SET && tf->rdx != SEEK_CUR)
            return -EINVAL;
        f->off = (tf->rdx == SEEK_CUR ? f->off : 0) + (uint64_t)off;
        return (int64_t)f->off;
    }
    if ((f->ip->mode & S_IFMT) == S_IFDIR) {
        /* a directory offset is getdents64's cookie (d_off), as on tmpfs: no SEEK_END */
        if (tf->rdx == SEEK_END || tf->rdx > SEEK_END)
            return -EINVAL;
        base = tf->rdx == SEEK_CUR ? (int64_t)f->off : 0;
        if (base + off < 0)
            return -EINVAL;
        f->off = (uint64_t)(base + off);
        return (int64_t)f->off;
    }
    if ((tf->rdx == SEEK_DATA || tf->rdx == SEEK_HOLE) && !f->ip->proc_kind) {
        /* as tmpfs (fsdata.c); /proc's files are seq_lseek's: -EINVAL, below */
        int64_t r = fsdata_seek(f->ip, off, tf->rdx == SEEK_HOLE);
        if (r >= 0)
            f->off = (uint64_t)r;
        return r;
    }
    switch (tf->rdx) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->off; break;
    case SEEK_END: base = (int64_t)f->ip->size; break;
    default: return -EINVAL;
    }
    if (base + off < 0)
        return -EINVAL;
    f->off = (uint64_t)(base + off);
    return (int64_t)f->off;
}

int64_t sys_fstat(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    if (f->type == F_SOCK)
        return sock_stat(f, tf->rsi);
    return stat_copyout(f->ip, f->pipe, tf->rsi);   /* a pipe(2) end has no inode; a FIFO's has */
}

/* struct linux_dirent64 (include/linux/dirent.h): ino, off, reclen, type, name. */
int64_t sys_getdents64(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    uint64_t buf = tf->rsi, size = tf->rdx, used = 0;
    if (!f)
        return -EBADF;
    if (f->type != F_INODE || (f->ip->mode & S_IFMT) != S_IFDIR)
        return -ENOTDIR;
    if (f->ip->proc_pid && !procfs_target(f->ip))
        return -ENOENT;                      /* /proc/PID or its fd/ after the process is gone (Linux) */
    if (!f->ip->proc_kind && !f->ip->nlink && f->ip != fs_root())
        return -ENOENT;                      /* removed (Linux iterate_dir: IS_DEADDIR) */
    for (;;) {
        uint64_t cookie = f->off;
        const char *name;
        struct inode *ip;
        if (!dir_entry(f->ip, &cookie, &name, &ip))
            break;
        uint8_t rec[19 + FS_NAME_MAX + 1 + 8];
        uint64_t namelen = strlen(name), reclen = ALIGN_UP(19 + namelen + 1, 8);
        if (used + reclen > size)
            return used ? (int64_t)used : -EINVAL;
        memset(rec, 0, sizeof rec);
        uint16_t rl = (uint16_t)reclen;
        memcpy(rec, &ip->ino, 8);
        memcpy(rec + 8, &cookie, 8);
        memcpy(rec + 16, &rl, 2);
        rec[18] = (uint8_t)((ip->mode & S_IFMT) >> 12);    /* DT_* = S_IFMT >> 12 */
        memcpy(rec + 19, name, namelen);
        int r = copyout(myproc()->pml4, buf + used, rec, reclen);
        if (r)
            return used ? (int64_t)used : r;
        used += reclen;
        f->off = cookie;
    }
    return (int64_t)used;
}

int64_t sys_dup(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    int fd = fd_alloc(f, 0, false);
    if (fd >= 0)
        file_dup(f);
    return fd;
}

static int64_t do_dup3(int oldfd, int newfd, int flags)
{
    struct proc *p = myproc();
    struct file *f = fd_file(oldfd);
    if (flags & ~O_CLOEXEC)
        return -EINVAL;
    if (!f || newfd < 0 || newfd >= fd_limit())
        return -EBADF;                       /* Linux: newfd at or past RLIMIT_NOFILE too */
    if (files_fd(p->files, newfd))
        fd_close(newfd);
    int r = files_install(p->files, newfd, f);
    if (r)
        return r;
    file_dup(f);
    if (flags & O_CLOEXEC)
        fd_set_cloexec(p->files, newfd, true);
    return newfd;
}

int64_t sys_dup2(struct trapframe *tf)
{
    if ((int)tf->rdi == (int)tf->rsi)
        return fd_file((int)tf->rdi) ? (int)tf->rsi : -EBADF;
    return do_dup3((int)tf->rdi, (int)tf->rsi, 0);
}

int64_t sys_dup3(struct trapframe *tf)
{
    if ((int)tf->rdi == (int)tf->rsi)
        return -EINVAL;
    return do_dup3((int)tf->rdi, (int)tf->rsi, (int)tf->rdx);
}

int64_t sys_fcntl(struct trapframe *tf)
{
    struct proc *p = myproc();
    int fd = (int)tf->rdi;
    struct file *f = fd_file(fd);
    uint64_t arg = tf->rdx;
    if (!f)
        return -EBADF;
    switch (tf->rsi) {
    case F_DUPFD:
    case F_DUPFD_CLOEXEC: {
        if ((int)arg < 0 || (int)arg >= fd_limit())
            return -EINVAL;
        int nfd = fd_alloc(f, (int)arg, tf->rsi == F_DUPFD_CLOEXEC);
        if (nfd >= 0)
            file_dup(f);
        return nfd;
    }
    case F_GETFD:
        return fd_cloexec(p->files, fd) ? FD_CLOEXEC : 0;
    case F_SETFD:
        fd_set_cloexec(p->files, fd, arg & FD_CLOEXEC);
        return 0;
    case F_GETFL:
        return f->flags & ~(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
    case F_SETFL:
        /* Linux setfl ignores every bit it does not keep (the access mode, creation flags,
           O_SYNC, unknown bits); of those it keeps, O_DIRECT (no direct I/O, nor a pipe's
           packet mode) and O_NOATIME are not there: -EINVAL rather than a flag kept and
           not obeyed */
        if (arg & (O_DIRECT | O_NOATIME))
            return -EINVAL;
        if ((arg ^ (uint64_t)f->flags) & O_ASYNC)
            fasync_setfl(f, fd, arg & O_ASYNC);   /* Linux setfl: f_op->fasync sets the flag */
        f->flags = (f->flags & ~F_SETFL_MASK) | (int)(arg & F_SETFL_MASK);
        return 0;
    case F_GETLK: case F_SETLK: case F_SETLKW: case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW: {
        f = file_dup(f);                 /* held across F_SETLKW's waits: the fd may be closed */
        int64_t r = locks_fcntl(f, fd, (int)tf->rsi, arg);
        file_close(f);
        return r;
    }
    case F_SETOWN: case F_GETOWN: case F_SETOWN_EX: case F_GETOWN_EX: case F_SETSIG: case F_GETSIG:
        return fasync_fcntl(f, (int)tf->rsi, arg);
    case F_SETLEASE: case F_GETLEASE:
        return lease_fcntl(f, fd, (int)tf->rsi, arg);
    case F_GETPIPE_SZ:
        return f->type == F_PIPE ? (int64_t)f->pipe->slots * PAGE_SIZE : -EBADF;
    case F_SETPIPE_SZ:
        return f->type == F_PIPE ? pipe_set_size(f->pipe, (uint32_t)arg) : -EBADF;
    default:
        return -EINVAL;
    }
}

static int64_t do_pipe2(uint64_t ufds, int flags)
{
    if (flags & ~(O_CLOEXEC | O_NONBLOCK))
        return -EINVAL;
    if (!user_range_ok(ufds, 8))
        return -EFAULT;
    struct file *rf, *wf;
    int r = pipe_new(&rf, &wf);
    if (r)
        return r;
    rf->flags |= flags & O_NONBLOCK;
    wf->flags |= flags & O_NONBLOCK;
    int fds[2] = { fd_alloc(rf, 0, flags & O_CLOEXEC), -1 };
    if (fds[0] >= 0)
        fds[1] = fd_alloc(wf, 0, flags & O_CLOEXEC);
    if (fds[1] < 0) {
        if (fds[0] >= 0)
            fd_close(fds[0]);
        else
            file_close(rf);
        file_close(wf);
        return fds[0] < 0 ? fds[0] : fds[1];     /* -EMFILE, or -ENOMEM for a table's page */
    }
    if ((r = copyout(myproc()->pml4, ufds, fds, sizeof fds))) {
        fd_close(fds[0]);
        fd_close(fds[1]);
        return r;
    }
    return 0;
}

int64_t sys_pipe(struct trapframe *tf)
{
    return do_pipe2(tf->rdi, 0);
}

int64_t sys_pipe2(struct trapframe *tf)
{
    return do_pipe2(tf->rdi, (int)tf->rsi);
}

/*
 * The console is a terminal: TCGETS/TCSETS* (console.c's settings),
 * TIOCGWINSZ and the job-control requests (jobctl.c: TIOCGPGRP, TIOCSPGRP,
 * TIOCSCTTY, TIOCNOTTY, TIOCGSID) answer, so isatty() is true and musl's
 * stdout is line-buffered, as on a Linux serial console. Nothing else is a
 * terminal (-ENOTTY).
 */
int64_t sys_ioctl(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    struct linux_termios t;
    if (!f)
        return -EBADF;
#ifdef KCOV
    if (f->kcov) {
        f = file_dup(f);                   /* KCOV_INIT_TRACE's allocation is no sleep, but stay safe */
        int64_t r = kcov_ioctl(f, (uint32_t)tf->rsi, tf->rdx);   /* Linux: unsigned int cmd */
        file_close(f);
        return r;
    }
#endif
    /* The requests every file answers before its kind sees any (Linux do_vfs_ioctl). */
    int on;
    switch ((uint32_t)tf->rsi) {
    case FIOCLEX:
    case FIONCLEX:
        fd_set_cloexec(myproc()->files, (int)tf->rdi, (uint32_t)tf->rsi == FIOCLEX);
        return 0;
    case FIONBIO:                          /* Linux ioctl_fionbio: an int, O_NONBLOCK if non-zero */
        if (copyin(myproc()->pml4, &on, tf->rdx, sizeof on))
            return -EFAULT;
        f->flags = on ? f->flags | O_NONBLOCK : f->flags & ~O_NONBLOCK;
        return 0;
    case FIOASYNC:
        return fasync_fioasync(f, (int)tf->rdi, tf->rdx);
    }
    if (f->type == F_SOCK)
        return sock_ioctl(f, (uint32_t)tf->rsi, tf->rdx);   /* socket.c */
    if (f->type != F_INODE || f->ip->dev != DEV_CONSOLE)
        return -ENOTTY;
    int64_t jr = jobctl_ioctl((uint32_t)tf->rsi, tf->rdx, (f->flags & O_ACCMODE) != O_WRONLY);
    if (jr != -ENOIOCTLCMD)
        return jr;
    switch (tf->rsi) {
    case TCGETS:
        console_tcgets(&t);
        return copyout(myproc()->pml4, tf->rdx, &t, sizeof t);
    case TIOCGWINSZ: {
        uint16_t ws[4] = { 24, 80, 0, 0 };   /* rows, columns */
        return copyout(myproc()->pml4, tf->rdx, ws, sizeof ws);
    }
    case TCSETS: case TCSETSW: case TCSETSF: {
        int r = jobctl_tty_check(SIGTTOU);   /* a background group may not change them */
        if (r)
            return r;
        r = copyin(myproc()->pml4, &t, tf->rdx, sizeof t);
        return r ? r : console_tcsets(&t);
    }
    default:
        return -ENOTTY;
    }
}
