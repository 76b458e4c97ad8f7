/*
 * File system calls: the console (fds 0-2) and the read-only in-memory file
 * system. Linux semantics and errno values; user memory only through
 * copyin/copyout.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "syscall.h"
#include "sysnr.h"
#include "trap.h"
#include "uapi.h"
#include "vm.h"
#include "x86.h"



/* Linux struct stat for x86-64 (arch/x86/include/uapi/asm/stat.h). */
struct linux_stat {
    uint64_t st_dev, st_ino, st_nlink;
    uint32_t st_mode, st_uid, st_gid, pad0;
    uint64_t st_rdev;
    int64_t st_size, st_blksize, st_blocks;
    uint64_t st_atime, st_atime_ns, st_mtime, st_mtime_ns, st_ctime, st_ctime_ns;
    int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "Linux x86-64 struct stat is 144 bytes");

static struct file *fd_file(int fd)
{
    struct proc *p = myproc();
    if (fd < 0 || fd >= NOFILE)
        return NULL;
    return p->ofile[fd];
}

static int fd_alloc(struct file *f)
{
    struct proc *p = myproc();
    for (int fd = 0; fd < NOFILE; fd++) {
        if (!p->ofile[fd]) {
            p->ofile[fd] = f;
            return fd;
        }
    }
    return -EMFILE;
}

static int64_t do_read(int fd, uint64_t buf, uint64_t n)
{
    struct file *f = fd_file(fd);
    if (!f || (f->flags & O_ACCMODE) == O_WRONLY)
        return -EBADF;
    if (!user_range_ok(buf, n))
        return -EFAULT;
    switch (f->type) {
    case F_CONSOLE:
        return console_read(myproc()->pml4, buf, n);
    case F_DIR:
        return -EISDIR;
    case F_FS: {
        if (f->off >= f->fs->size)
            return 0;
        uint64_t left = f->fs->size - f->off;
        n = n < left ? n : left;
        int r = copyout(myproc()->pml4, buf, f->fs->data + f->off, n);
        if (r)
            return r;
        f->off += n;
        return (int64_t)n;
    }
    default:
        return -EBADF;
    }
}

static int64_t do_write(int fd, uint64_t buf, uint64_t n)
{
    struct file *f = fd_file(fd);
    if (!f || (f->flags & O_ACCMODE) == 0)
        return -EBADF;
    if (!user_range_ok(buf, n))
        return -EFAULT;
    if (f->type != F_CONSOLE)
        return -EBADF;
    return console_write(myproc()->pml4, buf, n);
}

int64_t sys_read(struct trapframe *tf)
{
    return do_read((int)tf->rdi, tf->rsi, tf->rdx);
}

int64_t sys_write(struct trapframe *tf)
{
    return do_write((int)tf->rdi, tf->rsi, tf->rdx);
}

struct iovec { uint64_t base, len; };   /* include/uapi/linux/uio.h */
#define IOV_MAX 1024

/* readv/writev: one transfer per iovec, stopping at the first short one, as Linux does. */
static int64_t vector_io(struct trapframe *tf, int64_t (*io)(int fd, uint64_t buf, uint64_t n))
{
    int iovcnt = (int)tf->rdx;
    if (iovcnt < 0 || iovcnt > IOV_MAX)
        return -EINVAL;
    int64_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        struct iovec iov;
        int r = copyin(myproc()->pml4, &iov, tf->rsi + i * sizeof iov, sizeof iov);
        if (r)
            return total ? total : r;
        if (!iov.len)
            continue;
        int64_t n = io((int)tf->rdi, iov.base, iov.len);
        if (n < 0)
            return total ? total : n;
        total += n;
        if ((uint64_t)n < iov.len)
            break;
    }
    return total;
}

int64_t sys_readv(struct trapframe *tf)
{
    return vector_io(tf, do_read);
}

int64_t sys_writev(struct trapframe *tf)
{
    return vector_io(tf, do_write);
}

static int64_t open_path(uint64_t upath, int flags)
{
    char path[KPATH_MAX];
    int r = copyinstr(myproc()->pml4, path, upath, sizeof path);
    if (r < 0)
        return r;
    struct file *f;
    if (fs_is_root(path)) {
        if ((flags & O_ACCMODE) != 0)
            return -EISDIR;
        f = file_alloc(F_DIR);
    } else {
        int err;
        struct fsfile *ff = fs_lookup(path, &err);
        if (!ff)
            return (err == -ENOENT && (flags & O_CREAT)) ? -EROFS : err;
        if ((flags & O_ACCMODE) != 0 || (flags & O_TRUNC))
            return -EROFS;
        if (flags & O_DIRECTORY)
            return -ENOTDIR;
        f = file_alloc(F_FS);
        if (f)
            f->fs = ff;
    }
    if (!f)
        return -ENFILE;
    f->flags = flags;
    int fd = fd_alloc(f);
    if (fd < 0)
        file_close(f);
    return fd;
}

int64_t sys_open(struct trapframe *tf)
{
    return open_path(tf->rdi, (int)tf->rsi);
}

int64_t sys_openat(struct trapframe *tf)
{
    /* one directory: dirfd only matters for relative paths, which all resolve in "/" */
    return open_path(tf->rsi, (int)tf->rdx);
}

int64_t sys_close(struct trapframe *tf)
{
    struct proc *p = myproc();
    int fd = (int)tf->rdi;
    if (!fd_file(fd))
        return -EBADF;
    file_close(p->ofile[fd]);
    p->ofile[fd] = NULL;
    return 0;
}

int64_t sys_lseek(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    int64_t off = (int64_t)tf->rsi, base;
    if (!f)
        return -EBADF;
    if (f->type != F_FS)
        return -ESPIPE;
    switch (tf->rdx) {
    case SEEK_SET: base = 0; break;
    case SEEK_CUR: base = (int64_t)f->off; break;
    case SEEK_END: base = (int64_t)f->fs->size; break;
    default: return -EINVAL;
    }
    if (base + off < 0)
        return -EINVAL;
    f->off = (uint64_t)(base + off);
    return (int64_t)f->off;
}

static int stat_fill(struct linux_stat *st, enum filetype type, struct fsfile *ff)
{
    memset(st, 0, sizeof *st);
    st->st_dev = 1;
    st->st_nlink = 1;
    st->st_blksize = PAGE_SIZE;
    if (type == F_CONSOLE) {
        st->st_mode = S_IFCHR | 0620;
        st->st_rdev = (5UL << 8) | 1;      /* like /dev/console */
        st->st_ino = 1000;
    } else if (type == F_DIR) {
        st->st_mode = S_IFDIR | 0555;
        st->st_ino = 1;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0555;
        st->st_ino = ff->ino;
        st->st_size = (int64_t)ff->size;
        st->st_blocks = (int64_t)ALIGN_UP(ff->size, 512) / 512;
    }
    return 0;
}

int64_t sys_fstat(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    struct linux_stat st;
    if (!f)
        return -EBADF;
    stat_fill(&st, f->type, f->fs);
    return copyout(myproc()->pml4, tf->rsi, &st, sizeof st);
}

static int64_t stat_path(uint64_t upath, uint64_t ust)
{
    char path[KPATH_MAX];
    struct linux_stat st;
    int r = copyinstr(myproc()->pml4, path, upath, sizeof path);
    if (r < 0)
        return r;
    if (fs_is_root(path)) {
        stat_fill(&st, F_DIR, NULL);
    } else {
        int err;
        struct fsfile *ff = fs_lookup(path, &err);
        if (!ff)
            return err;
        stat_fill(&st, F_FS, ff);
    }
    return copyout(myproc()->pml4, ust, &st, sizeof st);
}

int64_t sys_stat(struct trapframe *tf)
{
    return stat_path(tf->rdi, tf->rsi);
}

int64_t sys_newfstatat(struct trapframe *tf)
{
    char c;
    if ((tf->r10 & AT_EMPTY_PATH) && copyin(myproc()->pml4, &c, tf->rsi, 1) == 0 && c == 0) {
        struct trapframe t = { .rdi = tf->rdi, .rsi = tf->rdx };
        return sys_fstat(&t);
    }
    return stat_path(tf->rsi, tf->rdx);
}

/* struct linux_dirent64 (include/linux/dirent.h): ino, off, reclen, type, name. */
int64_t sys_getdents64(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    uint64_t buf = tf->rsi, size = tf->rdx, used = 0;
    if (!f)
        return -EBADF;
    if (f->type != F_DIR)
        return -ENOTDIR;
    for (;; f->off++) {
        const char *name;
        uint64_t ino;
        uint8_t type;
        if (f->off == 0)
            name = ".", ino = 1, type = DT_DIR;
        else if (f->off == 1)
            name = "..", ino = 1, type = DT_DIR;
        else if (fs_at(f->off - 2))
            name = fs_at(f->off - 2)->name, ino = fs_at(f->off - 2)->ino, type = DT_REG;
        else
            break;
        uint8_t rec[19 + FS_NAME_MAX + 8];
        uint64_t namelen = strlen(name), reclen = ALIGN_UP(19 + namelen + 1, 8);
        if (used + reclen > size)
            return used ? (int64_t)used : -EINVAL;
        memset(rec, 0, sizeof rec);
        int64_t next = (int64_t)f->off + 1;
        memcpy(rec, &ino, 8);
        memcpy(rec + 8, &next, 8);
        uint16_t rl = (uint16_t)reclen;
        memcpy(rec + 16, &rl, 2);
        rec[18] = type;
        memcpy(rec + 19, name, namelen);
        int r = copyout(myproc()->pml4, buf + used, rec, reclen);
        if (r)
            return r;
        used += reclen;
    }
    return (int64_t)used;
}

/* struct termios as Linux's TCGETS returns it (include/uapi/asm-generic/termbits.h). */
struct linux_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line, c_cc[19];
};

/*
 * The console is a terminal: TCGETS and TIOCGWINSZ answer, so isatty() is
 * true and musl's stdout is line-buffered, as on a Linux serial console.
 * Files are not terminals (-ENOTTY).
 */
int64_t sys_ioctl(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    if (f->type != F_CONSOLE)
        return -ENOTTY;
    switch (tf->rsi) {
    case TCGETS: {
        struct linux_termios t = {
            .c_iflag = 0x500,            /* ICRNL | IXON */
            .c_oflag = 0x5,              /* OPOST | ONLCR */
            .c_cflag = 0xbf,             /* B38400 | CS8 | CREAD */
            .c_lflag = 0x8a3b,           /* ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN */
            .c_cc = { 3, 28, 127, 21, 4, 0, 1 },
        };
        return copyout(myproc()->pml4, tf->rdx, &t, sizeof t);
    }
    case TIOCGWINSZ: {
        uint16_t ws[4] = { 24, 80, 0, 0 };   /* rows, columns */
        return copyout(myproc()->pml4, tf->rdx, ws, sizeof ws);
    }
    case TCSETS: case TCSETS + 1: case TCSETS + 2:
        return 0;                        /* settings are fixed; accepted as no-ops */
    default:
        return -ENOTTY;
    }
}

int64_t sys_dup(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    if (!f)
        return -EBADF;
    int fd = fd_alloc(f);
    if (fd >= 0)
        file_dup(f);
    return fd;
}

int64_t sys_dup2(struct trapframe *tf)
{
    struct proc *p = myproc();
    struct file *f = fd_file((int)tf->rdi);
    int nfd = (int)tf->rsi;
    if (!f || nfd < 0 || nfd >= NOFILE)
        return -EBADF;
    if (nfd == (int)tf->rdi)
        return nfd;
    if (p->ofile[nfd])
        file_close(p->ofile[nfd]);
    p->ofile[nfd] = file_dup(f);
    return nfd;
}

int64_t sys_fcntl(struct trapframe *tf)
{
    return fd_file((int)tf->rdi) ? 0 : -EBADF;    /* F_GETFD/F_SETFD: no close-on-exec state kept */
}

