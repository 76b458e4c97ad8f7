/*
 * File locks as Linux's fs/locks.c: POSIX record locks (fcntl F_GETLK,
 * F_SETLK, F_SETLKW), open file description locks (F_OFD_GETLK, F_OFD_SETLK,
 * F_OFD_SETLKW) and flock(2).
 *
 * Who owns a lock, and who frees it:
 *   - a POSIX lock belongs to a descriptor table (Linux's current->files: the
 *     threads of a process share it, fork does not) and goes when that table
 *     closes any descriptor of the file (close, dup2 over it, close-on-exec,
 *     the table's end at exit): locks_close_posix;
 *   - an OFD lock and a flock lock belong to an open file description and go
 *     when its last descriptor closes: locks_close_file.
 * POSIX and OFD locks are ranges of one list per file and conflict with each
 * other; flock locks are whole-file and conflict only with flock locks, as on
 * Linux. A lock holds no reference on its inode: the open file it hangs off
 * does while the lock exists.
 *
 * A range is [start, end], end LOCK_END for "to the end of the file, however
 * long". A new range of an owner merges with its own adjacent or overlapping
 * ranges of the same type and cuts its ranges of the other type, as Linux's
 * posix_lock_inode, so F_GETLK reports what Linux reports.
 *
 * The table is a fixed array (Linux allocates; here -ENOLCK when it is full).
 * Waiters sleep on the table and re-check after every change; a POSIX waiter
 * records whom it waits for in its thread's record (waits[], one per process
 * slot), so a cycle of waiting owners is -EDEADLK (Linux
 * posix_locks_deadlock, at most MAX_DEADLK_ITERATIONS + 1 links).
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "thread.h"
#include "sysfs.h"
#include "uapi.h"
#include "vm.h"

#define NLOCKS       256
#define LOCK_END     0x7fffffffffffffffLL   /* OFFSET_MAX */
#define F_RDLCK      0
#define F_WRLCK      1
#define F_UNLCK      2
#define LOCK_SH      1
#define LOCK_EX      2
#define LOCK_NB      4
#define LOCK_UN      8
#define MAX_DEADLK   10               /* Linux MAX_DEADLK_ITERATIONS */

enum lockkind { LK_NONE, LK_POSIX, LK_OFD, LK_FLOCK };

struct lock {
    enum lockkind kind;               /* LK_NONE: a free slot */
    const void *ip;                   /* the file: its inode, or a pipe(2)'s pipe (pipefs's inode) */
    const void *owner;                /* POSIX: struct files *; OFD, flock: struct file * */
    int pid;                          /* F_GETLK's l_pid: the setter's tgid (OFD: -1) */
    int type;                         /* F_RDLCK or F_WRLCK */
    int64_t start, end;
};

/* struct flock (x86-64): type, whence, start, len, pid. */
struct linux_flock {
    int16_t l_type, l_whence;
    int32_t pad0;
    int64_t l_start, l_len;
    int32_t l_pid, pad1;
};

static struct lock locks[NLOCKS];
/* What each thread asleep in F_SETLKW waits for, indexed by its process-table slot: a thread
   sleeps on one lock at a time, so the table can never fill (Linux: the blocked_hash). */
static struct { const void *waiter, *blocker; } waits[NPROC];
static int lock_chan;                 /* what waiters sleep on */

/* What a lock is on: the inode, or for a pipe(2) end its pipe. */
static const void *file_key(const struct file *f)
{
    return f->ip ? (const void *)f->ip : f->pipe ? (const void *)f->pipe : (const void *)f->sock;
}

static bool posix_like(enum lockkind k) { return k == LK_POSIX || k == LK_OFD; }

static bool overlap(const struct lock *l, int64_t start, int64_t end)
{
    return l->start <= end && start <= l->end;
}

/* The first lock of another owner that a new (kind, type, range) lock conflicts with. */
static struct lock *conflict(const void *ip, enum lockkind kind, const void *owner, int type,
                             int64_t start, int64_t end)
{
    for (int i = 0; i < NLOCKS; i++) {
        struct lock *l = &locks[i];
        if (l->kind == LK_NONE || l->ip != ip || l->owner == owner ||
            posix_like(l->kind) != posix_like(kind) || !overlap(l, start, end))
            continue;
        if (type == F_WRLCK || l->type == F_WRLCK)
            return l;
    }
    return NULL;
}

static struct lock *slot(void)
{
    for (int i = 0; i < NLOCKS; i++)
        if (locks[i].kind == LK_NONE)
            return &locks[i];
    return NULL;
}

static int free_slots(void)
{
    int n = 0;
    for (int i = 0; i < NLOCKS; i++)
        n += locks[i].kind == LK_NONE;
    return n;
}

/*
 * Give owner's range [start, end] the type `type` (F_UNLCK: none), merging and cutting its
 * own ranges as Linux. -ENOLCK, and nothing changed, if the table could not hold the result.
 */
static int set_range(const void *ip, enum lockkind kind, const void *owner, int pid, int type,
                     int64_t start, int64_t end)
{
    if (free_slots() < 2)
        return -ENOLCK;                   /* a split takes one slot, the new lock one */
    for (int i = 0; i < NLOCKS; i++) {
        struct lock *l = &locks[i];
        if (l->kind != kind || l->ip != ip || l->owner != owner)
            continue;
        bool adjacent = (l->end != LOCK_END && l->end + 1 == start) || (end != LOCK_END && end + 1 == l->start);
        if (type != F_UNLCK && l->type == type && (overlap(l, start, end) || adjacent)) {
            start = l->start < start ? l->start : start;
            end = l->end > end ? l->end : end;
            l->kind = LK_NONE;            /* absorbed into the new range */
        } else if (overlap(l, start, end)) {
            if (l->start < start && l->end > end) {
                struct lock *tail = slot();
                *tail = *l;
                tail->start = end + 1;
                l->end = start - 1;
            } else if (l->start < start) {
                l->end = start - 1;
            } else if (l->end > end) {
                l->start = end + 1;
            } else {
                l->kind = LK_NONE;
            }
        }
    }
    if (type != F_UNLCK)
        *slot() = (struct lock){ kind, ip, owner, pid, type, start, end };
    wakeup(&lock_chan);
    return 0;
}

/* The owner POSIX owner `owner` waits for, if one of its threads sleeps on a lock (Linux
   what_owner_is_waiting_for), else NULL. */
static const void *waiting_for(const void *owner)
{
    for (int i = 0; i < NPROC; i++)
        if (waits[i].waiter == owner)
            return waits[i].blocker;
    return NULL;
}

/* Does POSIX owner `blocker` wait, through a chain of waiters, for `me`? (EDEADLK; Linux
   posix_locks_deadlock: a chain longer than MAX_DEADLK + 1 links is not followed) */
static bool deadlock(const void *me, const void *blocker)
{
    int i = 0;
    while ((blocker = waiting_for(blocker))) {
        if (i++ > MAX_DEADLK)
            return false;
        if (blocker == me)
            return true;
    }
    return false;
}

/* The waits[] record of thread p: its process-table slot. */
static int wait_slot(const struct proc *p)
{
    for (int i = 0; i < NPROC; i++)
        if (proc_slot(i) == p)
            return i;
    panic("locks: a running thread without a slot");
}

/* The range a struct flock names, from the file's offset or size (Linux flock_to_posix_lock). */
static int range_of(struct file *f, const struct linux_flock *fl, int64_t *start, int64_t *end)
{
    int64_t base;
    switch (fl->l_whence) {
    case 0: base = 0; break;                                       /* SEEK_SET */
    case 1: base = (int64_t)f->off; break;                         /* SEEK_CUR */
    case 2: base = f->ip ? (int64_t)f->ip->size : 0; break;        /* SEEK_END */
    default: return -EINVAL;
    }
    if (fl->l_start > LOCK_END - base)
        return -EOVERFLOW;
    int64_t s = base + fl->l_start;
    if (s < 0)
        return -EINVAL;
    if (fl->l_len > 0) {
        if (fl->l_len - 1 > LOCK_END - s)
            return -EOVERFLOW;
        *start = s;
        *end = s + fl->l_len - 1;
    } else if (fl->l_len < 0) {
        if (s + fl->l_len < 0)
            return -EINVAL;
        *start = s + fl->l_len;
        *end = s - 1;
    } else {
        *start = s;
        *end = LOCK_END;
    }
    return 0;
}

/* fcntl's lock commands on f, which descriptor fd named and the caller holds (sysfile.c
   sys_fcntl hands them here). */
int64_t locks_fcntl(struct file *f, int fd, int cmd, uint64_t uarg)
{
    struct proc *p = myproc();
    struct linux_flock fl;
    bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
    enum lockkind kind = ofd ? LK_OFD : LK_POSIX;
    const void *owner = ofd ? (const void *)f : (const void *)p->files;
    if (copyin(p->pml4, &fl, uarg, sizeof fl))
        return -EFAULT;
    if (ofd && fl.l_pid != 0)
        return -EINVAL;                   /* Linux: an OFD lock's l_pid must be 0 */
    if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK && fl.l_type != F_UNLCK)
        return -EINVAL;
    int64_t start, end;
    int r = range_of(f, &fl, &start, &end);
    if (r)
        return r;
    const void *ip = file_key(f);
    if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
        if (fl.l_type == F_UNLCK)
            return -EINVAL;               /* Linux: F_GETLK with F_UNLCK */
        struct lock *l = conflict(ip, kind, owner, fl.l_type, start, end);
        if (!l) {
            fl.l_type = F_UNLCK;
        } else {
            fl.l_type = (int16_t)l->type;
            fl.l_whence = 0;
            fl.l_start = l->start;
            fl.l_len = l->end == LOCK_END ? 0 : l->end - l->start + 1;
            fl.l_pid = l->kind == LK_OFD ? -1 : l->pid;
        }
        return copyout(p->pml4, uarg, &fl, sizeof fl);
    }
    int acc = f->flags & O_ACCMODE;
    if ((fl.l_type == F_RDLCK && acc == O_WRONLY) || (fl.l_type == F_WRLCK && acc == O_RDONLY))
        return -EBADF;                    /* a read lock needs reading, a write lock writing */
    bool wait = cmd == F_SETLKW || cmd == F_OFD_SETLKW, slept = false;
    for (;;) {
        struct lock *l = fl.l_type == F_UNLCK ? NULL : conflict(ip, kind, owner, fl.l_type, start, end);
        if (!l) {
            r = set_range(ip, kind, owner, p->tgid, fl.l_type, start, end);
            /* Linux fcntl_setlk: a POSIX lock granted after the fd was closed (by a thread
               sharing the table, while this one slept) is dropped again, -EBADF: no close
               is left to release it */
            if (!r && slept && kind == LK_POSIX && fl.l_type != F_UNLCK && fd_file(fd) != f) {
                set_range(ip, kind, owner, p->tgid, F_UNLCK, start, end);
                r = -EBADF;
            }
            return r;
        }
        if (!wait)
            return -EAGAIN;
        if (kind == LK_POSIX && l->kind == LK_POSIX && deadlock(owner, l->owner))
            return -EDEADLK;
        if (signal_pending(p))
            return -ERESTARTSYS;
        int w = wait_slot(p);             /* this thread's own record */
        waits[w].waiter = owner;
        waits[w].blocker = l->owner;
        sleep(&lock_chan);
        waits[w].waiter = waits[w].blocker = NULL;
        slept = true;
    }
}

/* flock(fd, operation) as Linux's: whole-file shared or exclusive locks of the open file. */
int64_t sys_flock(struct trapframe *tf)
{
    struct file *f = fd_file((int)tf->rdi);
    int op = (int)tf->rsi, type;
    if (!f)
        return -EBADF;
    switch (op & ~LOCK_NB) {
    case LOCK_SH: type = F_RDLCK; break;
    case LOCK_EX: type = F_WRLCK; break;
    case LOCK_UN: type = F_UNLCK; break;
    default: return -EINVAL;
    }
    const void *ip = file_key(f);
    f = file_dup(f);                      /* held across the waits: another thread may close the fd */
    int64_t r = set_range(ip, LK_FLOCK, f, myproc()->tgid, F_UNLCK, 0, LOCK_END);   /* Linux: the old lock goes first */
    while (!r && type != F_UNLCK) {
        if (!conflict(ip, LK_FLOCK, f, type, 0, LOCK_END)) {
            r = set_range(ip, LK_FLOCK, f, myproc()->tgid, type, 0, LOCK_END);
            break;
        }
        if (op & LOCK_NB)
            r = -EAGAIN;                  /* EWOULDBLOCK */
        else if (signal_pending(myproc()))
            r = -ERESTARTSYS;
        else
            sleep(&lock_chan);
    }
    file_close(f);
    return r;
}

/* A descriptor of the table `owner` naming f closes: owner's POSIX locks on the file go. */
void locks_close_posix(const struct files *owner, struct file *f)
{
    if (!f || f->type == F_NONE)
        return;
    const void *ip = file_key(f);
    bool changed = false;
    for (int i = 0; i < NLOCKS; i++)
        if (locks[i].kind == LK_POSIX && locks[i].owner == owner && locks[i].ip == ip) {
            locks[i].kind = LK_NONE;
            changed = true;
        }
    if (changed)
        wakeup(&lock_chan);
}

/* The last descriptor of f closed: its OFD and flock locks go. */
void locks_close_file(struct file *f)
{
    bool changed = false;
    for (int i = 0; i < NLOCKS; i++)
        if ((locks[i].kind == LK_OFD || locks[i].kind == LK_FLOCK) && locks[i].owner == f) {
            locks[i].kind = LK_NONE;
            changed = true;
        }
    if (changed)
        wakeup(&lock_chan);
}
