/*
 * Process groups, sessions and the console as a controlling terminal: job
 * control as Linux's kernel/sys.c (setpgid, setsid, ...), kernel/exit.c
 * (orphaned process groups) and drivers/tty/tty_jobctrl.c (the foreground
 * group, SIGTTIN/SIGTTOU, TIOCSPGRP/TIOCSCTTY/TIOCNOTTY).
 *
 * Who owns what: a process's group and session are two numbers in its
 * leader's slot (pgid, sid), copied by fork, kept by exec; a group or a
 * session exists while a process (a zombie too: Linux detaches the pids only
 * when the zombie is reaped) carries its number, so nothing is allocated or
 * freed here. Pids are never reused, so a number never names a later group.
 * The console's terminal state (`tty` below: its session and foreground
 * group, also plain numbers) belongs to this file; `ctty` in a leader says
 * whether the console is that process's controlling terminal (Linux's
 * signal->tty).
 *
 * At boot the console is the controlling terminal of pid 1's session (sid
 * 1, foreground group 1), as a serial line is after getty's setsid and
 * TIOCSCTTY; Linux's /dev/console never becomes one. So Ctrl-C reaches the
 * programs on the console as before, and a shell that starts its own
 * session (`setsid -c sh -i`) takes the terminal over for job control.
 */
#include "kernel.h"
#include "errno.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "cred.h"
#include "vm.h"
#include "jobctl.h"

#define TIOCSCTTY  0x540e      /* make the terminal the caller's controlling tty */
#define TIOCGPGRP  0x540f      /* the foreground process group */
#define TIOCSPGRP  0x5410      /* set it */
#define TIOCNOTTY  0x5422      /* give the controlling tty up */
#define TIOCGSID   0x5429      /* the terminal's session */

static struct {
    int sid;                   /* the session whose controlling tty the console is; 0: none */
    int pgrp;                  /* its foreground process group; 0: none */
} tty = { 1, 1 };

/* q is a process (a group's leader) still carrying its group and session numbers. */
static bool member(const struct proc *q)
{
    return q && q->leader == q && q->state != P_EMBRYO && q->state != P_DEAD;
}

static bool pgrp_exists(int pgid)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (member(q) && q->pgid == pgid)
            return true;
    }
    return false;
}

/* The session of process group `pgid`, 0 if the group has no member. Linux's
   session_of_pgrp falls back to the process of that pid when there is no such group
   (`fallback`: TIOCSPGRP to a process that leads no group is accepted, as on Linux). */
static int session_of_pgrp(int pgid, bool fallback)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (member(q) && q->pgid == pgid)
            return q->sid;
    }
    struct proc *q = fallback ? proc_find(pgid) : NULL;
    return q && member(q->leader) ? q->leader->sid : 0;
}

/*
 * Would group `pgid` be orphaned once `ignored` has gone (Linux
 * will_become_orphaned_pgrp)? A group is not orphaned while one of its live
 * members has a parent in another group of the same session; a parent that
 * is pid 1 does not count, nor does `ignored` as a parent (its children are
 * about to be handed to pid 1).
 */
static bool orphaned(int pgid, const struct proc *ignored)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (!member(q) || q->pgid != pgid || q == ignored || q->state == P_ZOMBIE || !q->parent ||
            q->parent == ignored || proc_is_init(q->parent))
            continue;
        if (q->parent->pgid != pgid && q->parent->sid == q->sid)
            return false;
    }
    return true;
}

bool jobctl_pgrp_orphaned(struct proc *p)
{
    return orphaned(p->leader->pgid, NULL);
}

static bool has_stopped_jobs(int pgid)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (member(q) && q->pgid == pgid && q->sig.group_stopped)
            return true;
    }
    return false;
}

/*
 * Send `sig` from the kernel (sender 0) or from pid `sender` to every
 * process of group `pgid`, without permission checks (the terminal's and
 * exit's signals, Linux __kill_pgrp_info with SEND_SIG_PRIV). Returns the
 * number of processes reached.
 */
int jobctl_signal_pgrp(int pgid, int sig, int sender)
{
    int n = 0;
    if (pgid <= 0)
        return 0;
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (member(q) && q->pgid == pgid) {
            signal_send_group(q, sig, SI_KERNEL, sender);
            n++;
        }
    }
    return n;
}

/* Every process of `sid` loses the console (Linux session_clear_tty). */
static void session_clear_tty(int sid)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (member(q) && q->sid == sid)
            q->ctty = false;
    }
    if (tty.sid == sid)
        tty.sid = tty.pgrp = 0;
}

/*
 * A process's group ends up orphaned with stopped members: they get SIGHUP
 * then SIGCONT (POSIX; Linux kill_orphaned_pgrp). `parent` is q's parent
 * (the link that may have kept the group from being orphaned), `ignored`
 * the process that ends (no longer a member nor a parent).
 */
static void kill_orphaned(struct proc *q, struct proc *parent, struct proc *ignored)
{
    int pgid = q->pgid;
    if (parent && parent->pgid != pgid && parent->sid == q->sid && orphaned(pgid, ignored) &&
        has_stopped_jobs(pgid)) {
        jobctl_signal_pgrp(pgid, SIGHUP, 0);
        jobctl_signal_pgrp(pgid, SIGCONT, 0);
    }
}

/*
 * Process `leader` has ended (its last thread is in group_ended, its
 * children not yet handed to init): a session leader's end takes the
 * console from its session (its foreground group gets SIGHUP and SIGCONT,
 * Linux disassociate_ctty), and groups orphaned by the end get SIGHUP and
 * SIGCONT if they have stopped members (Linux exit_notify and
 * forget_original_parent).
 */
void jobctl_exit(struct proc *leader)
{
    if (leader->sid == leader->pid && leader->ctty && tty.sid == leader->sid) {
        int fg = tty.pgrp;
        session_clear_tty(leader->sid);
        jobctl_signal_pgrp(fg, SIGHUP, 0);
        jobctl_signal_pgrp(fg, SIGCONT, 0);
    }
    kill_orphaned(leader, leader->parent, leader);
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (member(q) && q->parent == leader && q != leader)
            kill_orphaned(q, leader, leader);
    }
}

/* A child process starts in its parent's group and session, with its terminal. */
void jobctl_fork(struct proc *child, struct proc *parent_leader)
{
    child->pgid = parent_leader->pgid;
    child->sid = parent_leader->sid;
    child->ctty = parent_leader->ctty;
}

/* ---- system calls -------------------------------------------------------- */

/*
 * setpgid(pid, pgid) as Linux: pid 0 is the caller, pgid 0 is pid; the
 * target is the caller or a child of it (ESRCH), a child that has not
 * exec'd (EACCES), not a session leader and in the caller's session (EPERM);
 * a group other than the target's own pid must exist in that session
 * (EPERM).
 */
int64_t sys_setpgid(struct trapframe *tf)
{
    struct proc *me = myproc()->leader;
    int pid = (int)tf->rdi, pgid = (int)tf->rsi;
    if (!pid)
        pid = me->pid;
    if (!pgid)
        pgid = pid;
    if (pgid < 0)
        return -EINVAL;                    /* after the defaults, as Linux's: setpgid(-1, 0) too */
    struct proc *q = proc_find(pid);
    if (!q || !member(q) || q->state == P_ZOMBIE)
        return -ESRCH;
    if (q->leader != q)
        return -ESRCH;                     /* a thread id that is not a process */
    if (q == me) {
        /* the caller itself */
    } else if (q->parent == me) {
        if (q->sid != me->sid)
            return -EPERM;
        if (q->did_exec)
            return -EACCES;
    } else {
        return -ESRCH;
    }
    if (q->sid == q->pid)
        return -EPERM;                     /* a session leader */
    if (pgid != q->pid && session_of_pgrp(pgid, false) != me->sid)
        return -EPERM;
    q->pgid = pgid;
    return 0;
}

static struct proc *target(int pid)
{
    if (!pid)
        return myproc()->leader;
    struct proc *q = proc_find(pid);
    return q && member(q) ? q->leader : NULL;
}

int64_t sys_getpgid(struct trapframe *tf)
{
    struct proc *q = target((int)tf->rdi);
    return q ? q->pgid : -ESRCH;
}

int64_t sys_getpgrp(struct trapframe *tf)
{
    (void)tf;
    return myproc()->leader->pgid;
}

int64_t sys_getsid(struct trapframe *tf)
{
    struct proc *q = target((int)tf->rdi);
    return q ? q->sid : -ESRCH;
}

/* setsid: a new session and group named by the caller's pid, without a terminal; EPERM if
   a group of that number exists (the caller leads one: Linux ksys_setsid). */
int64_t sys_setsid(struct trapframe *tf)
{
    (void)tf;
    struct proc *me = myproc()->leader;
    if (pgrp_exists(me->pid))
        return -EPERM;
    me->sid = me->pgid = me->pid;
    me->ctty = false;
    return me->sid;
}

/* ---- the console as a controlling terminal ------------------------------- */

static bool is_ignored(struct proc *p, int sig)
{
    return (p->sig.blocked & SIGBIT(sig)) || p->sighand->action[sig].handler == SIG_IGN;
}

/*
 * May the caller use its terminal now (Linux __tty_check_change)? Only a
 * background process of the terminal's session is held: it is sent `sig`
 * (SIGTTIN to read, SIGTTOU to write with TOSTOP or to change the settings)
 * and the call restarts once the group is continued; an ignored or blocked
 * signal lets it through (but a read is EIO), and an orphaned group, which
 * nobody could continue, gets EIO.
 */
int jobctl_tty_check(int sig)
{
    struct proc *p = myproc();
    struct proc *me = p->leader;
    if (!me->ctty || tty.sid != me->sid || !tty.pgrp || me->pgid == tty.pgrp)
        return 0;
    if (is_ignored(p, sig))
        return sig == SIGTTIN ? -EIO : 0;
    if (orphaned(me->pgid, NULL))
        return -EIO;
    jobctl_signal_pgrp(me->pgid, sig, 0);
    return -ERESTARTSYS;
}

/* The terminal's signal keys (Ctrl-C, Ctrl-\, Ctrl-Z): to the foreground group. */
void jobctl_tty_signal(int sig)
{
    jobctl_signal_pgrp(tty.pgrp, sig, 0);
}

/* The console is the caller's controlling terminal (open("/dev/tty") finds it). */
bool jobctl_has_ctty(void)
{
    struct proc *me = myproc()->leader;
    return me->ctty && tty.sid == me->sid;
}

/*
 * The job-control ioctls of a terminal (Linux tty_jobctrl_ioctl). `readable`:
 * the descriptor was opened for reading (TIOCSCTTY's rule). Returns -ENOIOCTLCMD
 * for a request that is not one of them.
 */
int64_t jobctl_ioctl(uint32_t cmd, uint64_t arg, bool readable)
{
    struct proc *p = myproc(), *me = p->leader;
    bool mine = me->ctty && tty.sid == me->sid;
    int v;
    switch (cmd) {
    case TIOCGPGRP:
        if (!mine)
            return -ENOTTY;
        v = tty.pgrp;
        return copyout(p->pml4, arg, &v, sizeof v);
    case TIOCGSID:
        if (!mine || !tty.sid)
            return -ENOTTY;
        v = tty.sid;
        return copyout(p->pml4, arg, &v, sizeof v);
    case TIOCSPGRP: {
        int r = jobctl_tty_check(SIGTTOU);
        if (r == -EIO)
            return -ENOTTY;
        if (r)
            return r;
        if (!mine)
            return -ENOTTY;
        if (copyin(p->pml4, &v, arg, sizeof v))
            return -EFAULT;
        if (v < 0)
            return -EINVAL;
        int sid = session_of_pgrp(v, true);
        if (!sid)
            return -ESRCH;
        if (sid != me->sid)
            return -EPERM;
        tty.pgrp = v;
        return 0;
    }
    case TIOCSCTTY:
        if (me->sid == me->pid && tty.sid == me->sid)
            return 0;                          /* already its terminal */
        if (me->sid != me->pid || me->ctty)
            return -EPERM;                     /* only a session leader without a terminal */
        if (tty.sid) {
            if (arg != 1 || !capable(CAP_SYS_ADMIN))
                return -EPERM;                 /* another session's: stolen only by force */
            session_clear_tty(tty.sid);
        }
        if (!readable && !capable(CAP_SYS_ADMIN))
            return -EPERM;
        tty.sid = me->sid;
        tty.pgrp = me->pgid;
        me->ctty = true;
        return 0;
    case TIOCNOTTY:
        if (!mine)
            return -ENOTTY;
        if (me->sid == me->pid) {              /* the session leader: the whole session loses it */
            int fg = tty.pgrp;
            session_clear_tty(me->sid);
            jobctl_signal_pgrp(fg, SIGHUP, 0);
            jobctl_signal_pgrp(fg, SIGCONT, 0);
        } else {
            me->ctty = false;
        }
        return 0;
    default:
        return -ENOIOCTLCMD;
    }
}

/* The console's foreground process group, 0 if none (O_ASYNC's default owner: fasync.c). */
int jobctl_tty_pgrp(void)
{
    return tty.pgrp;
}
