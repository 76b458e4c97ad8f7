/*
 * O_ASYNC and SIGIO, as Linux's fs/fcntl.c (f_setown, send_sigio,
 * fasync_helper, kill_fasync). fasync.h says who owns what.
 *
 * The hook every notifying kind of file shares: it keeps a list head
 * (struct file *), F_SETFL O_ASYNC puts a file on its kind's list
 * (list_of: pipes and FIFOs, the console, sockets: sockasync.c), and
 * the kind calls fasync_notify(list, reason, need) where Linux calls
 * kill_fasync. F_SETFL O_ASYNC on a file of a kind without a list succeeds
 * and changes nothing (F_GETFL does not show it), as on a Linux file without
 * ->fasync (a tmpfs file, a directory, /dev/null).
 */
#include "kernel.h"
#include "errno.h"
#include "fasync.h"
#include "file.h"
#include "jobctl.h"
#include "proc.h"
#include "signal.h"
#include "socket.h"
#include "syscall.h"
#include "sysfs.h"
#include "vm.h"

/* poll bits (include/uapi/linux/eventpoll.h) a SIGIO's si_band carries (Linux band_table) */
#define BAND_IN     (0x001 | 0x040)              /* EPOLLIN | EPOLLRDNORM */
#define BAND_OUT    (0x004 | 0x100 | 0x200)      /* EPOLLOUT | EPOLLWRNORM | EPOLLWRBAND */
#define BAND_MSG    (0x001 | 0x040 | 0x400)      /* EPOLLIN | EPOLLRDNORM | EPOLLMSG */
#define BAND_ERR    0x008                        /* EPOLLERR */
#define BAND_PRI    (0x002 | 0x080)              /* EPOLLPRI | EPOLLRDBAND */
#define BAND_HUP    (0x010 | 0x008)              /* EPOLLHUP | EPOLLERR */

struct file *console_fasync;

/* struct f_owner_ex */
struct f_owner_ex {
    int32_t type;
    int32_t pid;
};

/* The signals that have si_codes of their own (Linux sig_specific_sicodes): F_SETSIG to one
   of them (other than SIGIO itself) sends SI_SIGIO, not POLL_*, so the code is not ambiguous. */
static bool sig_specific(int sig)
{
    return sig == SIGILL || sig == SIGFPE || sig == SIGSEGV || sig == SIGBUS || sig == SIGTRAP ||
           sig == SIGCHLD || sig == SIGIO || sig == SIGSYS;
}

/* Is the id `who` in use as a thread, process, group or session id (Linux find_vpid)? */
static bool pid_exists(int who)
{
    if (proc_find(who))
        return true;
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (q && q->leader == q && q->state != P_EMBRYO && q->state != P_DEAD &&
            (q->pgid == who || q->sid == who))
            return true;
    }
    return false;
}

/* Does a task still answer to the owner (Linux pid_task(pid, type))? F_GETOWN says 0 if not. */
static bool owner_alive(const struct fown *o)
{
    if (!o->pid)
        return false;
    if (o->type == FOWN_PGID) {
        for (int i = 0; i < NPROC; i++) {
            struct proc *q = proc_slot(i);
            if (q && q->leader == q && q->state != P_EMBRYO && q->state != P_DEAD && q->pgid == o->pid)
                return true;
        }
        return false;
    }
    struct proc *q = proc_find(o->pid);
    return q && q->state != P_EMBRYO && (o->type == FOWN_TID || q->leader == q);
}

/* Linux f_modown: `force`, or no owner yet, sets it; a real owner records the setter's ids. */
static void modown(struct file *f, int pid, int type, bool force)
{
    if (!force && f->own.pid)
        return;
    f->own.pid = pid;
    f->own.type = (uint8_t)type;
    if (pid) {
        f->own.uid = myproc()->cred.uid;
        f->own.euid = myproc()->cred.euid;
    }
}

void fasync_setown_default(struct file *f, int pid, int type)
{
    modown(f, pid, type, false);
}

/* Linux sigio_perm: the setter was root, or its real or effective uid is the target's real or saved one. */
static bool sigio_perm(const struct fown *o, const struct proc *t)
{
    return o->euid == 0 || o->euid == t->cred.suid || o->euid == t->cred.uid || o->uid == t->cred.suid ||
           o->uid == t->cred.uid;
}

/* Linux send_sigio_to_task: F_SETSIG's signal with the poll info, or plain SIGIO (also when the
   real-time queue is full). A thread owner gets it thread-directed, else its whole process. */
static void send_to(struct proc *t, const struct fown *o, int fd, int reason, bool thread)
{
    static const int16_t bands[] = { BAND_IN, BAND_OUT, BAND_MSG, BAND_ERR, BAND_PRI, BAND_HUP };
    if (t->state == P_EMBRYO || !sigio_perm(o, t))
        return;
    int sig = o->signum;
    if (sig) {
        struct ksiginfo ki = { .code = sig != SIGIO && sig_specific(sig) ? SI_SIGIO : reason,
                               .addr = (uint64_t)(int64_t)bands[reason - POLL_IN], .fd = fd, .poll = true };
        int r = thread ? signal_queue(t, sig, &ki, 0) : signal_queue_group(t, sig, &ki, 0);
        if (!r)
            return;
    }
    if (thread)
        signal_send(t, SIGIO, SI_KERNEL, 0);
    else
        signal_send_group(t, SIGIO, SI_KERNEL, 0);
}

/* Linux send_sigio: to the owner thread's process (or the thread), or every process of the group. */
static void send_sigio(const struct fown *o, int fd, int reason)
{
    if (!o->pid)
        return;
    if (o->type != FOWN_PGID) {
        struct proc *t = proc_find(o->pid);
        if (t)
            send_to(t, o, fd, reason, o->type == FOWN_TID);
        return;
    }
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (q && q->leader == q && q->state != P_DEAD && q->pgid == o->pid)
            send_to(q, o, fd, reason, false);
    }
}

/* Linux send_sigurg: SIGURG (SI_KERNEL) to the file's owner - a thread, its process or every
   process of a group - O_ASYNC or not, each as sigio_perm allows. False: the file has no owner. */
bool fasync_sigurg(struct file *f)
{
    const struct fown *o = &f->own;
    if (!o->pid)
        return false;
    if (o->type != FOWN_PGID) {
        struct proc *t = proc_find(o->pid);
        if (t && t->state != P_EMBRYO && sigio_perm(o, t)) {
            if (o->type == FOWN_TID)
                signal_send(t, SIGURG, SI_KERNEL, 0);
            else
                signal_send_group(t, SIGURG, SI_KERNEL, 0);
        }
        return true;
    }
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (q && q->leader == q && q->state != P_DEAD && q->state != P_EMBRYO && q->pgid == o->pid &&
            sigio_perm(o, q))
            signal_send_group(q, SIGURG, SI_KERNEL, 0);
    }
    return true;
}

void fasync_send(struct file *f, int fd, int reason)
{
    send_sigio(&f->own, fd, reason);
}

static bool hears(const struct file *f, int need)
{
    int acc = f->flags & O_ACCMODE;
    if (need == FA_READERS)
        return acc == O_RDONLY || acc == O_RDWR;
    if (need == FA_WRITERS)
        return acc == O_WRONLY || acc == O_RDWR;
    return true;
}

/* Linux kill_fasync: every file on the list whose mode `need` names tells its owner. */
void fasync_notify(struct file *list, int reason, int need)
{
    for (struct file *f = list; f; f = f->fa_next)
        if (hears(f, need))
            send_sigio(&f->own, f->fa_fd, reason);
}

/* The list a file of this kind joins with O_ASYNC (Linux f_op->fasync), NULL if none. */
static struct file **list_of(struct file *f)
{
    if (f->type == F_PIPE)
        return &f->pipe->fasync;
    if (f->type == F_INODE && f->ip && f->ip->dev == DEV_CONSOLE)
        return &console_fasync;
    if (f->type == F_SOCK)
        return &f->sock->fasync;              /* Linux sock_fasync: the socket's wait queue */
    return NULL;
}

static void list_remove(struct file *f)
{
    for (struct file **pp = f->fa_list; pp && *pp; pp = &(*pp)->fa_next) {
        if (*pp == f) {
            *pp = f->fa_next;
            break;
        }
    }
    f->fa_next = NULL;
    f->fa_list = NULL;
}

/*
 * F_SETFL's O_ASYNC changed to `on` through descriptor fd (Linux setfl calling f_op->fasync):
 * the file joins or leaves its kind's list, and the flag follows. The console, as a Linux tty
 * (__tty_fasync), gives a file without an owner one: its foreground group, else the caller.
 */
int fasync_setfl(struct file *f, int fd, bool on)
{
    struct file **list = list_of(f);
    if (list) {
        if (on && !f->fa_list) {
            f->fa_next = *list;
            f->fa_list = list;
            *list = f;
        } else if (!on && f->fa_list) {
            list_remove(f);
        }
        if (on)
            f->fa_fd = fd;                    /* Linux fasync_insert_entry: the latest fd */
        if (on && list == &console_fasync) {
            int pgrp = jobctl_tty_pgrp();
            fasync_setown_default(f, pgrp ? pgrp : myproc()->tgid, pgrp ? FOWN_PGID : FOWN_TGID);
        }
        f->flags = on ? f->flags | O_ASYNC : f->flags & ~O_ASYNC;
    }
    return 0;                                 /* no list: Linux's setfl keeps no FASYNC either */
}

/* ioctl FIOASYNC (Linux ioctl_fioasync): an int, O_ASYNC on if non-zero; a change asked of a
   file of a kind without a list is -ENOTTY (no change is 0 whatever the kind). */
int64_t fasync_fioasync(struct file *f, int fd, uint64_t uarg)
{
    int on;
    if (copyin(myproc()->pml4, &on, uarg, sizeof on))
        return -EFAULT;
    if (!on == !(f->flags & O_ASYNC))
        return 0;
    if (!list_of(f))
        return -ENOTTY;
    return fasync_setfl(f, fd, on);
}

/* The file's last descriptor closed: it leaves its list before its kind lets it go (Linux __fput). */
void fasync_close(struct file *f)
{
    if (f->fa_list)
        list_remove(f);
}

/* F_SETOWN, F_GETOWN, F_SETOWN_EX, F_GETOWN_EX, F_SETSIG, F_GETSIG (Linux do_fcntl). */
int64_t fasync_fcntl(struct file *f, int cmd, uint64_t arg)
{
    struct f_owner_ex ex;
    switch (cmd) {
    case F_SETOWN: {
        int who = (int)arg, type = FOWN_TGID;
        if (who == -2147483647 - 1)
            return -EINVAL;                   /* -who would overflow */
        if (who < 0) {
            type = FOWN_PGID;
            who = -who;
        }
        if (who && !pid_exists(who))
            return -ESRCH;
        modown(f, who, type, true);
        return 0;
    }
    case F_GETOWN:
        if (!owner_alive(&f->own))
            return 0;
        return f->own.type == FOWN_PGID ? -f->own.pid : f->own.pid;
    case F_SETOWN_EX:
        if (copyin(myproc()->pml4, &ex, arg, sizeof ex))
            return -EFAULT;
        if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP)
            return -EINVAL;
        if (ex.pid && (ex.pid < 0 || !pid_exists(ex.pid)))
            return -ESRCH;
        modown(f, ex.pid, ex.type == F_OWNER_TID ? FOWN_TID : ex.type == F_OWNER_PID ? FOWN_TGID : FOWN_PGID,
               true);
        return 0;
    case F_GETOWN_EX:
        ex.pid = owner_alive(&f->own) ? f->own.pid : 0;
        ex.type = f->own.type == FOWN_TID ? F_OWNER_TID : f->own.type == FOWN_TGID ? F_OWNER_PID : F_OWNER_PGRP;
        return copyout(myproc()->pml4, arg, &ex, sizeof ex);
    case F_SETSIG:
        if ((int)arg < 0 || (int)arg >= NSIG)
            return -EINVAL;                   /* Linux valid_signal: 0 to 64 */
        f->own.signum = (int)arg;
        return 0;
    case F_GETSIG:
        return f->own.signum;
    default:
        return -EINVAL;
    }
}
