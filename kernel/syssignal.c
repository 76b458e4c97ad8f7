/*
 * Signal and timer system calls, with Linux's arguments, checks and errors
 * (kernel/signal.c, kernel/time/itimer.c, kernel/time/hrtimer.c):
 * rt_sigaction, rt_sigprocmask, rt_sigpending, rt_sigsuspend, rt_sigtimedwait, pause,
 * sigaltstack, rt_sigreturn, kill, tkill, tgkill, alarm, getitimer,
 * setitimer (ITIMER_REAL, on the timer tick: TIMER_HZ = 100, 10 ms
 * resolution). nanosleep and clock_nanosleep are in time.c.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "gdt.h"
#include "kargs.h"
#include "msr.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "trap.h"
#include "vm.h"
#include "x86.h"

/* Descriptor bits force_valid_ss reads (SDM Vol. 3A 3.4.5, Figure 3-8); type bit 2 (expand-down)
   and bit 0 (accessed) may be either. */
#define SS_USABLE_MASK ((1UL << 47) | (3UL << 45) | (1UL << 44) | (1UL << 43) | (1UL << 41))   /* P DPL S code W */
#define SS_USABLE_BITS ((1UL << 47) | (3UL << 45) | (1UL << 44) | (1UL << 41))                /* P, DPL 3, S, data, W */


#define USEC_PER_TICK 10000UL
#define NSEC_PER_TICK 10000000UL
#define ITIMER_REAL   0
#define ITIMER_PROF   2
#define SS_FLAG_BITS  SS_AUTODISARM
/* sa_flags bits Linux keeps; others are dropped so a program can probe support */
#define SA_KNOWN (SA_NOCLDSTOP | SA_NOCLDWAIT | SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_NODEFER | \
                  SA_RESETHAND | SA_RESTORER | 0x800 /* SA_EXPOSE_TAGBITS */)

struct timeval64 { int64_t sec, usec; };
struct itimerval64 { struct timeval64 interval, value; };

static bool valid_signal(int64_t sig)
{
    return sig >= 1 && sig < NSIG;
}

/*
 * rt_sigaction's core, for the x86-64 and the i386 calls: `act` (NULL: only read) replaces
 * the action of `sig`, its flags reduced to the known ones plus `abi` (SA_IA32_ABI from an
 * i386 call: the handler gets ia32 frames, Linux sigaction_compat_abi); `old` receives the
 * previous action without that kernel-internal bit.
 */
int signal_do_action(struct proc *p, int64_t sig, const struct k_sigaction *act, struct k_sigaction *old,
                     uint64_t abi)
{
    if (!valid_signal(sig) || (act && (SIGBIT(sig) & SIG_UNBLOCKABLE)))
        return -EINVAL;                  /* SIGKILL and SIGSTOP keep their default action */
    struct k_sigaction *ka = &p->sighand->action[sig];   /* shared by the group and CLONE_SIGHAND */
    *old = *ka;
    old->flags &= ~(uint64_t)SA_IA32_ABI;
    if (act) {
        *ka = *act;
        ka->flags = (act->flags & SA_KNOWN) | abi;
        ka->mask &= ~SIG_UNBLOCKABLE;
        uint64_t h = act->handler;
        if (h == SIG_IGN || (h == SIG_DFL && (SIGBIT(sig) & (SIGBIT(SIGCHLD) | SIGBIT(SIGCONT) |
                                                           SIGBIT(SIGURG) | SIGBIT(SIGWINCH))))) {
            for (struct proc *t = proc_next_thread(p->leader, NULL); t; t = proc_next_thread(p->leader, t))
                signal_flush(t, (int)sig);       /* now ignored: the group's pending instances go */
        }
    }
    return 0;
}

int64_t sys_rt_sigaction(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t uact = tf->rsi, uold = tf->rdx;
    struct k_sigaction act, old;
    if (tf->r10 != SIGSET_BYTES)
        return -EINVAL;
    if (uact && copyin(p->pml4, &act, uact, sizeof act))
        return -EFAULT;
    int r = signal_do_action(p, (int64_t)tf->rdi, uact ? &act : NULL, &old, 0);
    if (r)
        return r;
    if (uold && copyout(p->pml4, uold, &old, sizeof old))
        return -EFAULT;
    return 0;
}

int64_t sys_rt_sigprocmask(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t set, old = p->sig.blocked;
    if (tf->r10 != SIGSET_BYTES)
        return -EINVAL;
    if (tf->rsi) {
        if (copyin(p->pml4, &set, tf->rsi, sizeof set))
            return -EFAULT;
        set &= ~SIG_UNBLOCKABLE;
        switch (tf->rdi) {
        case SIG_BLOCK:   p->sig.blocked |= set; break;
        case SIG_UNBLOCK: p->sig.blocked &= ~set; break;
        case SIG_SETMASK: p->sig.blocked = set; break;
        default:          return -EINVAL;
        }
        p->sig.work = true;              /* maybe unblocked a pending signal */
    }
    if (tf->rdx && copyout(p->pml4, tf->rdx, &old, sizeof old))
        return -EFAULT;
    return 0;                            /* a signal just unblocked is delivered on the way out */
}

int64_t sys_rt_sigpending(struct trapframe *tf)
{
    struct proc *p = myproc();
    if (tf->rsi > SIGSET_BYTES)
        return -EINVAL;
    uint64_t set = (p->sig.pending.set | p->leader->sig.shared.set) & p->sig.blocked;   /* its own and its group's */
    return copyout(p->pml4, tf->rdi, &set, tf->rsi) ? -EFAULT : 0;
}

/* Sleep until a signal is deliverable; the caller's result says how to settle the call. */
void signal_wait(struct proc *p)
{
    while (!signal_pending(p))
        sleep(&p->sig);
}

int64_t sys_rt_sigsuspend(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t mask;
    if (tf->rsi != SIGSET_BYTES)
        return -EINVAL;
    if (copyin(p->pml4, &mask, tf->rdi, sizeof mask))
        return -EFAULT;
    p->sig.saved_mask = p->sig.blocked;
    p->sig.restore_mask = true;          /* the handler's frame records the old mask */
    p->sig.work = true;
    p->sig.blocked = mask & ~SIG_UNBLOCKABLE;
    signal_wait(p);
    return -ERESTARTNOHAND;              /* -EINTR once a handler has run */
}

/*
 * rt_sigtimedwait(set, info, timeout, sigsetsize): take a signal of `set`
 * without a handler - it may be blocked (sigwait's usual case). Waits up to
 * `timeout` (NULL: for ever; zero: a poll); the signals of `set` are
 * unblocked while waiting, so their arrival wakes it. -EAGAIN when the time
 * is up, -EINTR when another signal (with a handler) came first. The i386 calls
 * (compat32): the info as compat_siginfo_t (128 bytes of 32-bit fields), the timeout an
 * old_timespec32 for rt_sigtimedwait (177), a __kernel_timespec for its _time64 form (421),
 * as Linux's compat_sys_rt_sigtimedwait_time32/_time64 (kernel/signal.c): the signal is
 * taken before the info is written, so a bad info pointer loses it (-EFAULT).
 */
static int64_t do_rt_sigtimedwait(struct trapframe *tf, bool compat32, bool ts32)
{
    struct proc *p = myproc();
    uint64_t set, deadline = ~0UL;
    struct ksiginfo ki;
    if (tf->r10 != SIGSET_BYTES)
        return -EINVAL;
    if (copyin(p->pml4, &set, tf->rdi, sizeof set))
        return -EFAULT;
    set &= ~SIG_UNBLOCKABLE;
    if (tf->rdx) {
        uint64_t ns;
        int r = timespec_any_from_user(tf->rdx, &ns, ts32);   /* saturates: a huge timeout waits */
        if (r)
            return r;
        deadline = ticks + ns / NSEC_PER_TICK + (ns % NSEC_PER_TICK != 0);
    }
    int sig = signal_dequeue(p, set, &ki);
    if (!sig && deadline != ticks) {
        uint64_t blocked = p->sig.blocked;
        p->sig.real_blocked = blocked;           /* Linux: a signal blocked before the wait is not
                                                    "ignored" while it waits (sig_ignored) */
        p->sig.blocked &= ~set;
        while (!signal_pending(p) && ticks < deadline)
            sleep(deadline == ~0UL ? (void *)&p->sig : (void *)&ticks);
        p->sig.blocked = blocked;
        p->sig.real_blocked = 0;
        p->sig.work = true;
        sig = signal_dequeue(p, set, &ki);
    }
    if (!sig)
        return ticks >= deadline ? -EAGAIN : -EINTR;
    if (tf->rsi && compat32) {
        uint32_t info32[32];
        signal_siginfo32(sig, &ki, info32);
        if (copyout(p->pml4, tf->rsi, info32, sizeof info32))
            return -EFAULT;
    } else if (tf->rsi) {
        struct siginfo info;
        signal_siginfo(sig, &ki, &info);
        if (copyout(p->pml4, tf->rsi, &info, sizeof info))
            return -EFAULT;
    }
    return sig;
}

int64_t sys_rt_sigtimedwait(struct trapframe *tf)
{
    return do_rt_sigtimedwait(tf, false, false);
}

int64_t sys_rt_sigtimedwait32(struct trapframe *tf)
{
    return do_rt_sigtimedwait(tf, true, true);
}

int64_t sys_rt_sigtimedwait_time64(struct trapframe *tf)
{
    return do_rt_sigtimedwait(tf, true, false);
}

int64_t sys_pause(struct trapframe *tf)
{
    (void)tf;
    signal_wait(myproc());
    return -ERESTARTNOHAND;
}

int signal_set_altstack(struct proc *p, const struct k_stack *ss, uint64_t sp)
{
    uint32_t mode = (uint32_t)ss->flags & ~SS_FLAG_BITS;
    if (signal_altstack_flags(p, sp) == SS_ONSTACK)
        return -EPERM;                   /* can't change the stack a handler is running on */
    if (mode != SS_DISABLE && mode != SS_ONSTACK && mode != 0)
        return -EINVAL;
    if (mode == SS_DISABLE) {
        p->sig.altstack_sp = p->sig.altstack_size = 0;
    } else {
        if (ss->size < MINSIGSTKSZ)
            return -ENOMEM;
        p->sig.altstack_sp = ss->sp;
        p->sig.altstack_size = ss->size;
    }
    p->sig.altstack_flags = (uint32_t)ss->flags;
    return 0;
}

int64_t sys_sigaltstack(struct trapframe *tf)
{
    struct proc *p = myproc();
    struct k_stack ss, old = { .sp = p->sig.altstack_sp, .size = p->sig.altstack_size,
                               .flags = signal_altstack_flags(p, tf->rsp) | (p->sig.altstack_flags & SS_FLAG_BITS) };
    int r = 0;
    if (tf->rdi) {
        if (copyin(p->pml4, &ss, tf->rdi, sizeof ss))
            return -EFAULT;
        r = signal_set_altstack(p, &ss, tf->rsp);
    }
    if (!r && tf->rsi && copyout(p->pml4, tf->rsi, &old, sizeof old))
        r = -EFAULT;
    return r;
}

/*
 * rt_sigreturn: the handler's `ret` went to the restorer, which made this
 * call with RSP just above the frame's pretcode. Everything is restored from
 * the frame, the handler's edits included, but only what ring 3 may hold:
 * RFLAGS takes only the user-changeable bits (IF stays set, IOPL stays 0),
 * CS and SS get RPL 3 (CS 0x23 returns to compatibility mode, an LDT SS
 * stays, as on Linux), and where the iretq could not load them, or RIP is
 * not canonical, the process gets SIGSEGV in ring 3 (trapentry.S's
 * user_segs_check, signal_return) instead of a #GP on iretq in ring 0. A
 * frame that can't be read is SIGSEGV too.
 */
/* Linux force_valid_ss's test: a present DPL-3 writable data segment (expand-down too). */
static bool ss_usable(uint16_t sel)
{
    uint64_t d = seg_descriptor(sel);
    return (d & SS_USABLE_MASK) == SS_USABLE_BITS;
}

int64_t sys_rt_sigreturn(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t frame = tf->rsp - 8;
    struct ucontext uc;
    if (copyin(p->pml4, &uc, frame + __builtin_offsetof(struct rt_sigframe, uc), sizeof uc))
        goto bad;
    struct sigcontext *sc = &uc.uc_mcontext;
    if (kargs.trace_signal)                            /* kargs.h: off by default */
        kevent("sigreturn pid=%d rip=0x%lx rsp=0x%lx", p->pid, sc->rip, sc->rsp);
    *tf = (struct trapframe){
        .r8 = sc->r8, .r9 = sc->r9, .r10 = sc->r10, .r11 = sc->r11, .r12 = sc->r12, .r13 = sc->r13,
        .r14 = sc->r14, .r15 = sc->r15, .rdi = sc->rdi, .rsi = sc->rsi, .rbp = sc->rbp, .rbx = sc->rbx,
        .rdx = sc->rdx, .rax = sc->rax, .rcx = sc->rcx, .rsp = sc->rsp, .rip = sc->rip,
        .vector = tf->vector, .cs = USER_CS, .ss = USER_SS,
        .rflags = signal_user_rflags(tf->rflags, sc->rflags, SIGRETURN_FLAGS),
    };
    p->sig.blocked = uc.uc_sigmask & ~SIG_UNBLOCKABLE;
    signal_set_altstack(p, &uc.uc_stack, tf->rsp);        /* as Linux: only a bad pointer counts */
    p->sig.restored = p->sig.work = true;
    /* the x87/SSE/AVX state (fpu.c): a header xrstor would refuse, a bad or misaligned
       fpstate is SIGSEGV; a NULL one the init state (Linux fpu__restore_sig) */
    if (!fpu_sigframe_restore(p->pml4, sc->fpstate, false))
        signal_force_sigsegv(p);
    /* Linux restore_sigcontext: CS and SS as saved with RPL 3; a frame bound for 64-bit mode
       without UC_STRICT_RESTORE_SS (every frame this kernel writes carries it) gets the user
       data selector for an SS no 64-bit code could use (force_valid_ss, for old DOSEMU and
       CRIU). An iretq that cannot load them faults: user_segs_check (ldt.c) sends SIGSEGV
       before it, as Linux's bad-iret fixup after it. */
    tf->cs = (uint16_t)(sc->cs | 3);
    tf->ss = (uint16_t)(sc->ss | 3);
    if (!(uc.uc_flags & UC_STRICT_RESTORE_SS) && tf->cs == USER_CS && !ss_usable((uint16_t)tf->ss))
        tf->ss = USER_SS;
    return (int64_t)tf->rax;
bad:
    signal_force_sigsegv(p);
    return 0;
}

/* ---- sending ----------------------------------------------------------- */

/*
 * Linux check_kill_permission: a signal from a user to another process needs
 * kill_ok_by_cred (same real or effective uid as the target's real or saved
 * one, or CAP_KILL); SIGCONT is allowed within the session. Also for signal 0.
 */
static int kill_check(struct proc *q, int64_t sig)
{
    if (sig < 0 || sig >= NSIG)
        return -EINVAL;                  /* Linux check_kill_permission: after the target's lookup */
    /* SIGCONT: any process of the caller's session (Linux check_kill_permission) */
    if (q->leader == myproc()->leader || (sig == SIGCONT && q->leader->sid == myproc()->leader->sid) ||
        kill_permitted(q))
        return 0;
    return -EPERM;
}

/* A process-directed signal: pending in q's group until one of its threads takes it. */
static int kill_one(struct proc *q, int64_t sig, int code)
{
    int err = kill_check(q, sig);
    if (err)
        return err;
    if (sig == 0)
        return 0;                        /* existence check only */
    return signal_send_group(q, (int)sig, code, myproc()->pid);
}

int64_t sys_kill(struct trapframe *tf)
{
    int64_t pid = (int32_t)tf->rdi, sig = (int32_t)tf->rsi;
    if (pid > 0) {
        struct proc *q = proc_find((int)pid);
        return q && q->state != P_EMBRYO ? kill_one(q, sig, SI_USER) : -ESRCH;
    }
    /* 0: the caller's process group; -pgid: that group; -1: every process but pid 1 and
       the caller (jobctl.c keeps the groups). Linux's answer for many targets: kill(-1, sig)
       fails only with an error other than EPERM; a process group succeeds if one member was
       signalled, else the last error */
    int pgid = pid == 0 ? myproc()->leader->pgid : (int)-pid;
    int found = 0, ret = 0;
    bool any = false;
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (!q || q->leader != q || q->state == P_EMBRYO || q->state == P_DEAD ||
            (pid == -1 && (proc_is_init(q) || q == myproc()->leader)) || (pid != -1 && q->pgid != pgid))
            continue;                            /* once per process, by its leader */
        found++;
        int err = kill_one(q, sig, SI_USER);
        any |= !err;
        if (pid != -1 || err != -EPERM)
            ret = err;
    }
    if (!found)
        return -ESRCH;
    if (pid == -1)
        return ret;
    return any ? 0 : ret;
}

/*
 * rt_sigqueueinfo(tgid, sig, info): sigqueue() - the signal with the sender's
 * siginfo (si_code SI_QUEUE, si_value). A si_code the kernel itself uses (>= 0, or
 * SI_TKILL) may only be sent to the caller's own thread id: -EPERM, as Linux.
 */
/* A sender's siginfo_t at `uaddr` (compat32: an i386 compat_siginfo_t, SIL_RT's pid, uid and
   32-bit sigval); -EFAULT. */
static int siginfo_in(struct proc *p, uint64_t uaddr, bool compat32, struct siginfo *u)
{
    *u = (struct siginfo){ 0 };
    if (!compat32)
        return copyin(p->pml4, u, uaddr, sizeof *u) ? -EFAULT : 0;
    uint32_t w[32];
    if (copyin(p->pml4, w, uaddr, sizeof w))
        return -EFAULT;
    u->si_signo = (int32_t)w[0], u->si_errno = (int32_t)w[1], u->si_code = (int32_t)w[2];
    u->u.rt.pid = (int32_t)w[3], u->u.rt.uid = w[4], u->u.rt.value = w[5];
    return 0;
}

static int64_t do_rt_sigqueueinfo(struct trapframe *tf, bool compat32)
{
    struct proc *p = myproc();
    struct siginfo u;
    int64_t pid = (int32_t)tf->rdi, sig = (int32_t)tf->rsi;
    if (siginfo_in(p, tf->rdx, compat32, &u))
        return -EFAULT;
    /* Linux do_rt_sigqueueinfo: only to the caller's own thread id (task_pid_vnr(current)),
       then kill_pid_info's order: no such process before a bad signal */
    if ((u.si_code >= 0 || u.si_code == SI_TKILL) && pid != p->pid)
        return -EPERM;
    struct proc *q = proc_find((int)pid);
    if (!q || q->state == P_EMBRYO)
        return -ESRCH;
    int err = kill_check(q, sig);
    if (err)
        return err;
    if (sig == 0)
        return 0;
    struct ksiginfo ki = { .code = u.si_code, .pid = u.u.rt.pid, .uid = u.u.rt.uid, .value = u.u.rt.value };
    return signal_queue_group(q, (int)sig, &ki, p->pid);
}

int64_t sys_rt_sigqueueinfo(struct trapframe *tf)
{
    return do_rt_sigqueueinfo(tf, false);
}

/* i386 rt_sigqueueinfo (178): the info a compat_siginfo_t (Linux
   compat_sys_rt_sigqueueinfo, copy_siginfo_from_user32's SIL_RT fields). */
int64_t sys_rt_sigqueueinfo32(struct trapframe *tf)
{
    return do_rt_sigqueueinfo(tf, true);
}

/*
 * rt_tgsigqueueinfo(tgid, tid, sig, info): rt_sigqueueinfo to the one thread tid of group tgid,
 * in Linux's order (do_rt_tgsigqueueinfo, do_send_specific): the info read first (-EFAULT),
 * tgid or tid not positive -EINVAL, a si_code the kernel itself uses (>= 0, SI_TKILL) sent
 * to any thread but the caller -EPERM, no thread tid in tgid -ESRCH, a bad signal -EINVAL,
 * kill's permission -EPERM; signal 0 checks only.
 */
static int64_t do_rt_tgsigqueueinfo(struct trapframe *tf, bool compat32)
{
    struct proc *p = myproc();
    struct siginfo u;
    int64_t tgid = (int32_t)tf->rdi, tid = (int32_t)tf->rsi, sig = (int32_t)tf->rdx;
    if (siginfo_in(p, tf->r10, compat32, &u))
        return -EFAULT;
    if (tgid <= 0 || tid <= 0)
        return -EINVAL;
    if ((u.si_code >= 0 || u.si_code == SI_TKILL) && tid != p->pid)
        return -EPERM;
    struct proc *q = proc_find((int)tid);
    if (!q || q->state == P_EMBRYO || q->tgid != tgid)
        return -ESRCH;
    int err = kill_check(q, sig);
    if (err || sig == 0)
        return err;
    struct ksiginfo ki = { .code = u.si_code, .pid = u.u.rt.pid, .uid = u.u.rt.uid, .value = u.u.rt.value };
    return signal_queue(q, (int)sig, &ki, p->pid);
}

int64_t sys_rt_tgsigqueueinfo(struct trapframe *tf) { return do_rt_tgsigqueueinfo(tf, false); }

/* i386 rt_tgsigqueueinfo (335): a compat_siginfo_t */
int64_t sys_rt_tgsigqueueinfo32(struct trapframe *tf) { return do_rt_tgsigqueueinfo(tf, true); }

static int64_t thread_kill(int64_t tgid, int64_t tid, int64_t sig)
{
    if (tid <= 0)
        return -EINVAL;
    struct proc *q = proc_find((int)tid);
    if (!q || q->state == P_EMBRYO || (tgid > 0 && q->tgid != tgid))
        return -ESRCH;                   /* before a bad signal: Linux's do_send_specific */
    int err = kill_check(q, sig);
    if (err)
        return err;
    return sig ? signal_send(q, (int)sig, SI_TKILL, myproc()->pid) : 0;   /* that thread itself */
}

int64_t sys_tkill(struct trapframe *tf)
{
    return thread_kill(0, (int32_t)tf->rdi, (int32_t)tf->rsi);
}

int64_t sys_tgkill(struct trapframe *tf)
{
    if ((int32_t)tf->rdi <= 0)
        return -EINVAL;
    return thread_kill((int32_t)tf->rdi, (int32_t)tf->rsi, (int32_t)tf->rdx);
}

/* ---- timers ------------------------------------------------------------ */

static uint64_t tv_to_ticks(const struct timeval64 *tv)
{
    return (uint64_t)tv->sec * TIMER_HZ + (tv->usec + USEC_PER_TICK - 1) / USEC_PER_TICK;
}

static struct timeval64 ticks_to_tv(uint64_t t)
{
    return (struct timeval64){ (int64_t)(t / TIMER_HZ), (int64_t)(t % TIMER_HZ * USEC_PER_TICK) };
}

static struct itimerval64 itimer_get(struct proc *p)
{
    p = p->leader;                       /* one ITIMER_REAL per process */
    uint64_t left = p->sig.alarm_tick ? (p->sig.alarm_tick > ticks ? p->sig.alarm_tick - ticks : 1) : 0;
    return (struct itimerval64){ ticks_to_tv(p->sig.alarm_interval), ticks_to_tv(left) };
}

static void itimer_set(struct proc *p, uint64_t value_ticks, uint64_t interval_ticks)
{
    p = p->leader;
    p->sig.alarm_tick = value_ticks ? ticks + value_ticks : 0;
    p->sig.alarm_interval = interval_ticks;
}

/* struct itimerval in `bytes32` 0 (x86-64: 64-bit fields) or i386's compat_itimerval
   (four signed 32-bit fields, Linux put_old_itimerval32/get_old_itimerval32). */
static int itimerval_out(uint64_t uaddr, const struct itimerval64 *v, bool compat32)
{
    int32_t w[4] = { (int32_t)v->interval.sec, (int32_t)v->interval.usec, (int32_t)v->value.sec,
                     (int32_t)v->value.usec };
    return copyout(myproc()->pml4, uaddr, compat32 ? (const void *)w : (const void *)v,
                   compat32 ? sizeof w : sizeof *v);
}

static int itimerval_in(uint64_t uaddr, struct itimerval64 *v, bool compat32)
{
    int32_t w[4];
    if (!compat32)
        return copyin(myproc()->pml4, v, uaddr, sizeof *v);
    if (copyin(myproc()->pml4, w, uaddr, sizeof w))
        return -EFAULT;
    v->interval.sec = w[0], v->interval.usec = w[1], v->value.sec = w[2], v->value.usec = w[3];
    return 0;
}

static int64_t do_getitimer(struct trapframe *tf, bool compat32)
{
    struct proc *p = myproc();
    struct itimerval64 v = { 0 };
    if (tf->rdi > ITIMER_PROF)
        return -EINVAL;
    if (tf->rdi == ITIMER_REAL)
        v = itimer_get(p);
    return itimerval_out(tf->rsi, &v, compat32) ? -EFAULT : 0;
}

/* ITIMER_REAL only: ITIMER_VIRTUAL and ITIMER_PROF need CPU-time accounting ringlab doesn't keep. */
static int64_t do_setitimer(struct trapframe *tf, bool compat32)
{
    struct proc *p = myproc();
    struct itimerval64 v = { 0 }, old;
    if (tf->rsi && itimerval_in(tf->rsi, &v, compat32))
        return -EFAULT;
    if (tf->rdi != ITIMER_REAL)
        return -EINVAL;
    if (v.value.sec < 0 || v.value.usec < 0 || v.value.usec >= 1000000 || v.interval.sec < 0 ||
        v.interval.usec < 0 || v.interval.usec >= 1000000)
        return -EINVAL;
    old = itimer_get(p);
    itimer_set(p, tv_to_ticks(&v.value), tv_to_ticks(&v.interval));
    if (tf->rdx && itimerval_out(tf->rdx, &old, compat32))
        return -EFAULT;
    return 0;
}

int64_t sys_getitimer(struct trapframe *tf) { return do_getitimer(tf, false); }
int64_t sys_setitimer(struct trapframe *tf) { return do_setitimer(tf, false); }
/* i386 getitimer (105) and setitimer (104): compat_itimerval (Linux kernel/time/itimer.c) */
int64_t sys_getitimer32(struct trapframe *tf) { return do_getitimer(tf, true); }
int64_t sys_setitimer32(struct trapframe *tf) { return do_setitimer(tf, true); }

int64_t sys_alarm(struct trapframe *tf)
{
    struct proc *p = myproc();
    struct itimerval64 old = itimer_get(p);
    itimer_set(p, (uint64_t)(uint32_t)tf->rdi * TIMER_HZ, 0);   /* 64-bit: alarm(42949673) is 497 days */
    return old.value.sec + (old.value.usec ? 1 : 0);   /* seconds left, rounded up as Linux */
}
