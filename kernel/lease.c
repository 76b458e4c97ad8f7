/*
 * Who has a regular file open, and the leases that depend on it: Linux's
 * i_writecount / i_readcount (fs/namei.c, fs/open.c, include/linux/fs.h),
 * deny-write for executing images (ETXTBSY), and leases as Linux's
 * generic_setlease on tmpfs (fs/locks.c).
 *
 * Counts: an open file that may write adds one to ip->writecount, one that
 * only reads one to ip->readcount (file->counted remembers which, the last
 * close takes it back). An executing image denies writing: each address
 * space whose executable ip is (mm->exe, by exec and by fork) and each
 * execve in progress subtracts one, so writecount < 0 means "running" and
 * an open for writing, or truncate(2), is -ETXTBSY; writecount > 0 makes
 * execve -ETXTBSY.
 *
 * Leases: one per open file at most, kept in the file (lease_type,
 * lease_pending, the two deadlines) and listed on its inode (ip->leases,
 * file->lease_next); F_SETLEASE's file owns it, its last close ends it. A
 * read lease lasts while nobody opens the file for writing, a write lease
 * while nobody opens it at all. Such an open (or truncate(2)) breaks it: the
 * holder's owner gets SIGIO (F_SETSIG's signal, si_code POLL_MSG) and the
 * opener waits - -EWOULDBLOCK with O_NONBLOCK - until the holder gives the
 * lease up or downgrades it, or lease_break_time seconds pass (45, Linux's
 * default; then the lease goes, or becomes a read lease;
 * /proc/sys/fs/lease-break-time sets it, 0 or less: never).
 * The opener holds the inode through its open file
 * while it waits, and looks at the leases again after every sleep: the
 * holder may have closed, exited or changed its lease meanwhile.
 */
#include "kernel.h"
#include "errno.h"
#include "cred.h"
#include "fasync.h"
#include "lease.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "sysfs.h"
#include "vm.h"

#define F_RDLCK          0
#define F_WRLCK          1
#define F_UNLCK          2
#define CAP_LEASE        28      /* take leases on files one does not own (linux/capability.h) */
#define LEASE_BREAK_S    45      /* Linux's /proc/sys/fs/lease-break-time default */
#define SYSCTL_INPUT_MAX 32      /* bytes of a write to lease-break-time looked at */
#define PENDING_UNLOCK   1       /* a writer's open wants the lease gone (Linux FL_UNLOCK_PENDING) */
#define PENDING_DOWNGRADE 2      /* a reader's open wants a read lease (FL_DOWNGRADE_PENDING) */
#define COUNTED_WRITE    1
#define COUNTED_READ     2

/* How long a break waits, in seconds; 0 or less: for ever (Linux lease_break_time). */
int lease_break_time = LEASE_BREAK_S;

static bool may_write(const struct file *f)
{
    int acc = f->flags & O_ACCMODE;
    return acc == O_WRONLY || acc == O_RDWR;
}

static bool reads_only(const struct file *f)
{
    return (f->flags & O_ACCMODE) == O_RDONLY;
}

/* Linux get_write_access: -ETXTBSY while an image runs from ip. */
int inode_get_write(struct inode *ip)
{
    if (ip->writecount < 0)
        return -ETXTBSY;
    ip->writecount++;
    return 0;
}

void inode_put_write(struct inode *ip)
{
    ip->writecount--;
}

/* Linux deny_write_access (execve): -ETXTBSY while ip is open for writing. */
int inode_deny_write(struct inode *ip)
{
    if (ip->writecount > 0)
        return -ETXTBSY;
    ip->writecount--;
    return 0;
}

void inode_allow_write(struct inode *ip)
{
    ip->writecount++;
}

/* Linux lease_modify: the lease becomes `type`; F_UNLCK ends it, and with it the file's owner,
   F_SETSIG's signal and O_ASYNC (f_delown, signum = 0, fasync_helper off). */
static void lease_modify(struct file *l, int type)
{
    if (type == F_UNLCK) {
        l->lease_pending = 0;
        l->own.pid = 0;
        l->own.type = FOWN_TGID;
        l->own.signum = 0;
        l->flags &= ~O_ASYNC;
        for (struct file **pp = &l->ip->leases; *pp; pp = &(*pp)->lease_next) {
            if (*pp == l) {
                *pp = l->lease_next;
                break;
            }
        }
        l->lease_next = NULL;
        l->leased = false;
        return;
    }
    l->lease_type = (int8_t)type;
    if (type == F_RDLCK)
        l->lease_pending &= ~PENDING_DOWNGRADE;
}

/* Linux time_out_leases: a break that waited its time downgrades or ends the lease. */
static void time_out_leases(struct inode *ip)
{
    struct file *next;
    for (struct file *l = ip->leases; l; l = next) {
        next = l->lease_next;
        if (l->lease_downgrade_tick && ticks > l->lease_downgrade_tick)
            lease_modify(l, F_RDLCK);
        if (l->lease_break_tick && ticks > l->lease_break_tick)
            lease_modify(l, F_UNLCK);
    }
}

/* Does an open for writing (or for reading) conflict with a lease of ip? */
static bool any_conflict(struct inode *ip, bool want_write)
{
    for (struct file *l = ip->leases; l; l = l->lease_next)
        if (want_write || l->lease_type == F_WRLCK)
            return true;
    return false;
}

/*
 * Linux __break_lease: an open with `flags` (or a truncate: O_WRONLY) of ip, which the caller
 * holds. Every conflicting lease not already breaking is told (POLL_MSG) and given
 * lease_break_time seconds; then the caller waits until none conflicts. 0, -EWOULDBLOCK (O_NONBLOCK),
 * -ERESTARTSYS (a signal).
 */
static int lease_break(struct inode *ip, int flags)
{
    bool want_write = (flags & O_ACCMODE) != O_RDONLY;
    if (!ip->leases)
        return 0;
    time_out_leases(ip);
    if (!any_conflict(ip, want_write))
        return 0;
    uint64_t deadline = lease_break_time > 0 ? ticks + (uint64_t)lease_break_time * TIMER_HZ : 0;
    for (struct file *l = ip->leases; l; l = l->lease_next) {
        if (!want_write && l->lease_type != F_WRLCK)
            continue;
        if (want_write) {
            if (l->lease_pending & PENDING_UNLOCK)
                continue;
            l->lease_pending |= PENDING_UNLOCK;
            l->lease_break_tick = deadline;
        } else {
            if (l->lease_pending)
                continue;
            l->lease_pending |= PENDING_DOWNGRADE;
            l->lease_downgrade_tick = deadline;
        }
        fasync_send(l, l->lease_fd, POLL_MSG);    /* Linux lease_break_callback */
    }
    if (flags & O_NONBLOCK)
        return -EAGAIN;                       /* EWOULDBLOCK */
    for (;;) {
        if (signal_pending(myproc()))
            return -ERESTARTSYS;
        sleep((void *)&ticks);                     /* a bounded wait: looked at every tick */
        time_out_leases(ip);
        if (!any_conflict(ip, want_write))
            return 0;
    }
}

/*
 * An open file of a regular file, just made with its flags, holding its inode (Linux
 * do_dentry_open): counted as a writer (-ETXTBSY if the file runs) or a reader, then the
 * leases it conflicts with are broken (may sleep). On an error the caller closes f, which
 * takes the count back.
 */
int lease_open(struct file *f)
{
    struct inode *ip = f->ip;
    if (may_write(f)) {
        int r = inode_get_write(ip);
        if (r)
            return r;
        f->counted = COUNTED_WRITE;
    } else if (reads_only(f)) {
        ip->readcount++;
        f->counted = COUNTED_READ;
    }
    return lease_break(ip, f->flags);
}

/* execve of ip, which the caller holds: Linux's execve opens the file for reading, which breaks
   a write lease (may sleep). 0, -ERESTARTSYS. */
int lease_break_exec(struct inode *ip)
{
    return lease_break(ip, O_RDONLY);
}

/* truncate(2) of ip, which the caller holds (Linux vfs_truncate): write access (-ETXTBSY),
   then the leases broken (may sleep); the caller truncates, then calls inode_put_write. */
int lease_truncate(struct inode *ip)
{
    int r = inode_get_write(ip);
    if (r)
        return r;
    r = lease_break(ip, O_WRONLY);
    if (r)
        inode_put_write(ip);
    return r;
}

/* The last descriptor of f closed: its lease ends, its count goes (Linux __fput). */
void lease_close(struct file *f)
{
    if (f->leased)
        lease_modify(f, F_UNLCK);
    if (f->counted == COUNTED_WRITE)
        f->ip->writecount--;
    else if (f->counted == COUNTED_READ)
        f->ip->readcount--;
    f->counted = 0;
}

/* The inode a lease would be on: a FIFO's or a file's, or NULL for a pipe(2) end. */
static struct inode *inode_of(struct file *f)
{
    return f->type == F_INODE || f->type == F_PIPE ? f->ip : NULL;
}

/* Linux check_conflicting_open: opens other than f's own that a lease of `type` cannot have. */
static int conflicting_open(struct file *f, int type)
{
    struct inode *ip = f->ip;
    if (type == F_RDLCK)
        return ip->writecount > 0 ? -EAGAIN : 0;
    int self_w = may_write(f) ? 1 : 0, self_r = !self_w && reads_only(f) ? 1 : 0;
    return ip->writecount != self_w || ip->readcount != self_r ? -EAGAIN : 0;
}

/* Linux generic_add_lease, with lease_setup: the file's lease becomes `type`. */
static int add_lease(struct file *f, int fd, int type)
{
    struct inode *ip = f->ip;
    time_out_leases(ip);
    int r = conflicting_open(f, type);
    if (r)
        return r;
    for (struct file *l = ip->leases; l; l = l->lease_next) {
        if (l == f)
            continue;
        if (type == F_WRLCK || (l->lease_pending & PENDING_UNLOCK))
            return -EAGAIN;                   /* another's lease, or another's going for a writer */
    }
    if (f->leased) {
        lease_modify(f, type);
    } else {
        f->leased = true;
        f->lease_type = (int8_t)type;
        f->lease_pending = 0;
        f->lease_break_tick = f->lease_downgrade_tick = 0;
        f->lease_next = ip->leases;
        ip->leases = f;
    }
    f->lease_fd = fd;                         /* Linux fasync_insert_entry: the latest fd, and O_ASYNC */
    f->flags |= O_ASYNC;
    fasync_setown_default(f, myproc()->tgid, FOWN_TGID);
    return 0;
}

/* F_SETLEASE and F_GETLEASE (Linux fcntl_setlease, fcntl_getlease). */
int64_t lease_fcntl(struct file *f, int fd, int cmd, uint64_t arg)
{
    struct inode *ip = inode_of(f);
    if (cmd == F_GETLEASE) {
        if (!ip || !f->leased)
            return F_UNLCK;
        time_out_leases(ip);
        if (!f->leased || (f->lease_pending & PENDING_UNLOCK))
            return F_UNLCK;
        return f->lease_pending & PENDING_DOWNGRADE ? F_RDLCK : f->lease_type;
    }
    int type = (int)arg;
    if (type != F_RDLCK && type != F_WRLCK && type != F_UNLCK)
        return -EINVAL;                       /* Linux lease_alloc: assign_type */
    uint32_t uid = ip ? ip->uid : f->pipe->uid;
    if (uid != myproc()->cred.fsuid && !capable(CAP_LEASE))
        return -EACCES;
    if (!ip || (ip->mode & S_IFMT) != S_IFREG)
        return -EINVAL;
    if (type != F_UNLCK)
        return add_lease(f, fd, type);
    if (!f->leased)
        return -EAGAIN;                       /* Linux generic_delete_lease: none to delete */
    lease_modify(f, F_UNLCK);
    return 0;
}

/*
 * A write to /proc/sys/fs/lease-break-time (Linux proc_dointvec): one decimal int, spaces
 * around it, at offset 0 (a write further on is ignored, as sysctl_writes_strict's default).
 * Returns n, or -EINVAL for anything else, -EFAULT.
 */
int64_t lease_sysctl_write(uint64_t src, uint64_t off, uint64_t n)
{
    char buf[SYSCTL_INPUT_MAX + 1];
    uint64_t len = n < SYSCTL_INPUT_MAX ? n : SYSCTL_INPUT_MAX, i = 0;
    if (off)
        return (int64_t)n;
    if (copyin(myproc()->pml4, buf, src, len))
        return -EFAULT;
    buf[len] = 0;
    while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n'))
        i++;
    bool neg = i < len && buf[i] == '-';
    i += neg;
    int64_t v = 0;
    uint64_t digits = 0;
    for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++, digits++) {
        v = v * 10 + (buf[i] - '0');
        if (v > 2147483648LL)
            return -EINVAL;
    }
    if (!digits || (!neg && v > 2147483647LL))
        return -EINVAL;
    for (; i < len; i++)
        if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n')
            return -EINVAL;
    lease_break_time = (int)(neg ? -v : v);
    return (int64_t)n;
}
