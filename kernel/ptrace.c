/*
 * ptrace (Linux kernel/ptrace.c, arch/x86/kernel/ptrace.c): a tracer thread attaches to a
 * tracee (TRACEME, ATTACH, SEIZE), the tracee stops - at system-call entry and exit, before a
 * signal is delivered, in a group stop, at fork/clone/exec/exit events, on PTRACE_INTERRUPT -
 * and the tracer learns of each stop through wait4 (status (code << 8) | 0x7f, code = the
 * signal, | 0x80 for a syscall stop with TRACESYSGOOD, | event << 8), reads and changes the
 * tracee's registers and memory, and resumes it with a signal to deliver (or none).
 *
 * A stopped tracee sleeps in trace_stop() with its user registers in its trap frame (p->tf),
 * its FS/GS bases, selectors and x87/SSE state saved in struct proc by the scheduler: the
 * tracer edits those (ptregs.c). Every register it sets is checked as rt_sigreturn checks a frame
 * (signal.c): selectors must have RPL 3 (Linux putreg's -EIO for others), RFLAGS takes only
 * the user bits (signal_user_rflags: IOPL stays 0, IF stays 1), FS/GS bases must lie below
 * the last user page (-EIO), the FP image must have valid MXCSR bits (signal_fx_valid,
 * -EINVAL), debug registers go through debugreg.c. A non-canonical RIP or a selector iretq
 * cannot return to (a data segment as CS, say) is accepted as Linux accepts it, and made safe
 * the way Linux makes it: signal_return (RIP) and ldt.c's user_segs_check (selectors) turn it
 * into SIGSEGV in ring 3 before any iretq, checking again after every stop the signal brings.
 * After any stop the return to ring 3 re-examines the frame (sig.work), and leaves through
 * iretq unless sysretq can return it exactly.
 *
 * The link between tracer and tracee and who cuts it: include/ptrace.h, docs/lifetimes.md.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "fsgs.h"
#include "gdt.h"
#include "kargs.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"
#include "syscall.h"
#include "trap.h"
#include "traps.h"
#include "vm.h"

void ptrace_update_work(struct proc *p)
{
    p->syscall_work = kargs.syscall_hooks || p->pt.syscall || p->pt.step;
}

/* ---- stops ---------------------------------------------------------------- */

/* The siginfo of a stop that is not a signal's (Linux ptrace_do_notify): SIGTRAP, si_code the stop's code. */
static void notify_siginfo(struct proc *p, int code)
{
    memset(&p->pt.siginfo, 0, sizeof p->pt.siginfo);
    p->pt.siginfo.si_signo = SIGTRAP;
    p->pt.siginfo.si_code = code;
    p->pt.siginfo.u.kill.pid = p->pid;
    p->pt.siginfo.u.kill.uid = p->cred.uid;
    p->pt.has_siginfo = true;
}

/*
 * Stop for the tracer with `code` (Linux ptrace_stop): report it to the tracer's wait4
 * (SIGCHLD CLD_TRAPPED unless it set SA_NOCLDSTOP), sleep until resumed, detached or killed.
 * Returns the signal the tracer resumed with (0: none, or killed, or the tracer left).
 */
static int trace_stop(struct proc *p, int code)
{
    struct proc *tracer = p->pt.tracer;
    if (!tracer || fatal_pending(p)) {
        p->pt.has_siginfo = false;
        return 0;
    }
    p->pt.code = code;
    p->pt.stopped = true;
    p->pt.report = true;
    if (!(tracer->sighand->action[SIGCHLD].flags & SA_NOCLDSTOP))
        signal_queue_group(tracer, SIGCHLD, &(struct ksiginfo){ .code = CLD_TRAPPED, .pid = p->pid,
                                                                 .uid = p->cred.uid, .status = code & 0x7f },
                           p->pid);
    wakeup(tracer->leader);                     /* wait4 sleeps on the caller's leader */
    /* Re-validated after each sleep: the link (pt.tracer), not the tracer found again. */
    while (p->pt.stopped && p->pt.tracer && !fatal_pending(p))
        sleep(&p->pt);
    p->pt.stopped = false;
    p->pt.report = false;
    p->pt.has_siginfo = false;
    p->sig.work = true;                         /* the frame may have changed: signal_return checks it */
    return fatal_pending(p) ? 0 : p->pt.code;
}

/* A syscall-entry or -exit stop; a signal the tracer resumes with is sent (Linux ptrace_report_syscall). */
static void report_syscall(struct proc *p)
{
    int code = SYSCALL_STOP_SIGNAL | ((p->pt.flags & PTRACE_O_TRACESYSGOOD) ? 0x80 : 0);
    notify_siginfo(p, code);
    int sig = trace_stop(p, code);
    if (sig)
        signal_send(p, sig, SI_KERNEL, 0);
}

/*
 * Syscall-entry stop (syscall.c's slow path, PTRACE_SYSCALL): RAX reads -ENOSYS, orig_rax the
 * number; the tracer may change both and the arguments. Returns true if the call must not run
 * (the tracee was killed in the stop); an orig_rax of -1 skips it too (syscall.c).
 */
bool ptrace_syscall_entry(struct trapframe *tf)
{
    struct proc *p = myproc();
    tf->rax = (uint64_t)-ENOSYS;
    report_syscall(p);
    return fatal_pending(p);
}

/*
 * After the call: a syscall-exit stop (the tracer may change RAX); or, single-stepping, the
 * SIGTRAP Linux sends right after the `syscall` instruction (user_single_step_report:
 * TRAP_BRKPT, si_addr the next instruction) rather than one instruction later.
 */
void ptrace_syscall_exit(struct trapframe *tf)
{
    struct proc *p = myproc();
    if (!p->pt.tracer)
        return;
    if (p->pt.step)
        signal_force_trap(p, TRAP_BRKPT, tf->rip);
    else if (p->pt.syscall)
        report_syscall(p);
}

/* The ksiginfo of a siginfo (signal_siginfo's inverse): SETSIGINFO's edits reach the handler. */
static void ksiginfo_of(int sig, const struct siginfo *si, struct ksiginfo *k)
{
    *k = (struct ksiginfo){ .code = si->si_code };
    if (sig == SIGCHLD && si->si_code >= CLD_EXITED) {
        k->pid = si->u.kill.pid;
        k->uid = si->u.kill.uid;
        k->status = si->u.kill.status;
    } else if (si->si_code <= 0) {
        k->pid = si->u.rt.pid;
        k->uid = si->u.rt.uid;
        k->value = si->u.rt.value;
    } else {
        k->addr = si->u.fault.addr;
    }
}

/*
 * Signal-delivery stop (Linux ptrace_signal): before `sig` is acted on, the tracer sees it
 * and resumes with the signal to deliver instead - 0 suppresses it; another one comes as
 * SI_USER from the tracer, unless SETSIGINFO gave a siginfo of that number; one the tracee
 * blocks is queued again. Returns the signal to deliver now, or 0.
 */
int ptrace_signal(struct proc *p, int sig, struct ksiginfo *info)
{
    struct proc *tracer = p->pt.tracer;
    int sender = tracer ? tracer->pid : 0;
    uint32_t uid = tracer ? tracer->cred.uid : 0;
    signal_siginfo(sig, info, &p->pt.siginfo);
    p->pt.has_siginfo = true;
    int nsig = trace_stop(p, sig);
    if (!nsig)
        return 0;
    if (nsig != p->pt.siginfo.si_signo)
        *info = (struct ksiginfo){ .code = SI_USER, .pid = sender, .uid = uid };
    else
        ksiginfo_of(nsig, &p->pt.siginfo, info);
    if (p->sig.blocked & SIGBIT(nsig)) {
        signal_queue(p, nsig, info, info->pid);
        return 0;
    }
    return nsig;
}

/* PTRACE_INTERRUPT, or a seized tracee's first stop: SIGTRAP | PTRACE_EVENT_STOP << 8. */
void ptrace_trap_stop(struct proc *p)
{
    int code = SIGTRAP | PTRACE_EVENT_STOP << 8;
    p->pt.trap_pending = false;
    notify_siginfo(p, code);
    trace_stop(p, code);
}

/*
 * A traced thread's part of a group stop (Linux do_jobctl_trap): reported as the stop signal,
 * or for a seized tracee as signal | PTRACE_EVENT_STOP << 8 with a siginfo; the tracer's
 * resume ends it for this thread (SIGCONT does not).
 */
void ptrace_group_stop(struct proc *p, int sig)
{
    int code = sig;
    if (p->pt.flags & PT_SEIZED) {
        code = sig | PTRACE_EVENT_STOP << 8;
        notify_siginfo(p, code);
        p->pt.siginfo.si_signo = SIGTRAP;
    }
    trace_stop(p, code);
}

/* An event stop: SIGTRAP | event << 8, GETEVENTMSG answering `message`. */
void ptrace_event(int event, uint64_t message)
{
    struct proc *p = myproc();
    if (!p->pt.tracer)
        return;
    int code = SIGTRAP | event << 8;
    p->pt.message = message;
    notify_siginfo(p, code);
    trace_stop(p, code);
}

/*
 * fork/vfork/clone by a tracee (Linux copy_process + ptrace_init_task): the child is traced
 * too when the matching PTRACE_O_TRACE* option is set (or CLONE_PTRACE), and stops before its
 * first instruction - with SIGSTOP, or for a seized tracer an EVENT_STOP. Called before the
 * child can run. Returns the event the caller then stops with, or 0.
 */
int ptrace_clone(struct proc *child, struct proc *parent, uint64_t flags)
{
    if (!parent->pt.tracer || (flags & CLONE_UNTRACED))
        return 0;
    int event = (flags & CLONE_VFORK) ? PTRACE_EVENT_VFORK
              : (flags & CSIGNAL) != SIGCHLD ? PTRACE_EVENT_CLONE : PTRACE_EVENT_FORK;
    bool follow = parent->pt.flags & (1u << event);   /* PTRACE_O_TRACEFORK == 1 << PTRACE_EVENT_FORK ... */
    if (!follow && !(flags & CLONE_PTRACE))
        return 0;
    child->pt.tracer = parent->pt.tracer;
    child->pt.flags = parent->pt.flags;
    if (child->pt.flags & PT_SEIZED)
        child->pt.trap_pending = true;
    else
        child->sig.pending.set |= SIGBIT(SIGSTOP);    /* no queue entry: SI_USER from pid 0, as Linux's */
    child->sig.work = true;
    return follow ? event : 0;
}

/*
 * After a successful execve: PTRACE_EVENT_EXEC (message: the thread id before the exec), or
 * for a tracee attached without SEIZE and without the option the legacy SIGTRAP. The new image
 * starts without breakpoints (Linux flush_ptrace_hw_breakpoint), traced or not.
 */
void ptrace_exec(int old_tid)
{
    struct proc *p = myproc();
    debugreg_flush(p);
    if (!p->pt.tracer)
        return;
    if (p->pt.flags & PTRACE_O_TRACEEXEC)
        ptrace_event(PTRACE_EVENT_EXEC, (uint64_t)old_tid);
    else if (!(p->pt.flags & PT_SEIZED))
        signal_send(p, SIGTRAP, SI_USER, p->pid);
}

/* thread_exit's start: PTRACE_EVENT_EXIT (message: the wait status), unless being killed. */
void ptrace_exit(struct proc *p, int wstatus)
{
    if (p->pt.tracer && (p->pt.flags & PTRACE_O_TRACEEXIT) && !fatal_pending(p))
        ptrace_event(PTRACE_EVENT_EXIT, (uint64_t)(uint32_t)wstatus);
}

/* A traced thread or group ended: its tracer's wait4 wakes (SIGCHLD too, unless it is the parent's). */
void ptrace_notify_exit(struct proc *q)
{
    struct proc *tracer = q->pt.tracer;
    if (tracer->leader != q->parent) {
        int sig = q->wstatus & 0x7f;
        signal_queue_group(tracer, SIGCHLD, &(struct ksiginfo){ .code = sig ? CLD_KILLED : CLD_EXITED, .pid = q->pid,
                                                                 .uid = q->cred.uid,
                                                                 .status = sig ? sig : (q->wstatus >> 8) & 0xff },
                           q->pid);
    }
    wakeup(tracer->leader);
}

/*
 * Cut the link (PTRACE_DETACH, the tracer's exit, its wait4 seeing the end): the tracer's TF
 * goes, syscall stops end, a stopped tracee runs on with the signal in pt.code (the caller sets
 * it: DETACH's data, else 0).
 */
void ptrace_unlink(struct proc *q)
{
    if (q->pt.forced_tf && q->tf)
        q->tf->rflags &= ~(uint64_t)RFLAGS_TF;
    q->pt.tracer = NULL;
    q->pt.flags = 0;
    q->pt.syscall = q->pt.step = q->pt.forced_tf = q->pt.trap_pending = false;
    q->pt.report = q->pt.has_siginfo = false;
    ptrace_update_work(q);
    if (q->pt.stopped) {
        q->pt.stopped = false;
        proc_wake(q);
    }
}

/*
 * The tracer thread p ends (Linux exit_ptrace): each tracee is detached and runs on, or with
 * PTRACE_O_EXITKILL gets SIGKILL; one that had ended and waited for p's wait4 is released.
 * Runs before p's slot can be freed, so no tracee ever points at a free slot.
 */
void ptrace_tracer_exit(struct proc *p)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (!q || q->pt.tracer != p)
            continue;
        bool ended = q->pt.exit_report;
        if (!ended && (q->pt.flags & PTRACE_O_EXITKILL))
            signal_send(q, SIGKILL, SI_KERNEL, 0);
        q->pt.code = 0;
        ptrace_unlink(q);
        if (ended) {
            q->pt.exit_report = false;
            proc_traced_release(q);
        }
    }
}

/*
 * A set-id exec under a tracer that lacks CAP_SYS_PTRACE gains nothing (Linux
 * cap_bprm_creds_from_file with LSM_UNSAFE_PTRACE): the effective ids stay the real ones
 * unless the process may set them anyway (CAP_SETUID), and no capability is gained.
 */
void ptrace_exec_creds(struct proc *p, struct cred *new)
{
    const struct cred *old = &p->cred;
    struct proc *tracer = p->pt.tracer;
    if (!tracer || (tracer->cred.cap_effective & CAP_BIT(CAP_SYS_PTRACE)))
        return;
    bool gains = new->euid != old->euid || new->egid != old->egid || (new->cap_permitted & ~old->cap_permitted);
    if (!gains)
        return;
    if (!(old->cap_effective & CAP_BIT(CAP_SETUID))) {
        new->euid = new->suid = new->fsuid = new->uid;
        new->egid = new->sgid = new->fsgid = new->gid;
    }
    new->cap_permitted &= old->cap_permitted;
    new->cap_effective &= new->cap_permitted;
}

/* ---- attaching ------------------------------------------------------------------ */

static int traceme(struct proc *me)
{
    struct proc *parent = me->leader->parent;
    if (me->pt.tracer || proc_is_init(me))
        return -EPERM;
    if (parent && proc_alive(parent)) {         /* Linux: not to a parent that is exiting (0 all the same) */
        me->pt.tracer = parent;
        me->pt.flags = 0;
    }
    return 0;
}

/* PTRACE_ATTACH / PTRACE_SEIZE (Linux ptrace_attach). */
static int attach(struct proc *me, struct proc *t, bool seize, uint64_t addr, uint64_t options)
{
    if (seize) {
        if (addr || (options & ~(uint64_t)PTRACE_O_MASK))
            return -EIO;
        if (options & PTRACE_O_SUSPEND_SECCOMP)
            return -EINVAL;                     /* a Linux without CONFIG_SECCOMP */
    }
    if (t->leader == me->leader || proc_is_init(t) || !proc_alive(t) || ptrace_may_access(me, t))
        return -EPERM;
    if (t->pt.tracer)
        return -EPERM;                          /* one tracer per tracee */
    t->pt.tracer = me;
    t->pt.flags = seize ? PT_SEIZED | (uint32_t)options : 0;
    if (!seize)
        signal_send(t, SIGSTOP, SI_KERNEL, 0);  /* Linux: SEND_SIG_PRIV, to the thread */
    if (t->sig.stopped)
        proc_wake(t);                           /* already group-stopped: it re-stops as a tracee */
    return 0;
}

/* Linux ptrace_check_attach: traced by the caller, and stopped unless `any_state`. 0 or -ESRCH. */
static int check_attach(struct proc *me, struct proc *c, bool any_state)
{
    if (c->pt.tracer != me || c->state == P_ZOMBIE)
        return -ESRCH;
    if (!any_state && (!c->pt.stopped || fatal_pending(c)))
        return -ESRCH;
    return 0;
}

/* PTRACE_CONT / SYSCALL / SINGLESTEP (Linux ptrace_resume): `data` is the signal to deliver. */
static int resume(struct proc *c, long req, uint64_t data)
{
    if (data >= NSIG)
        return -EIO;                            /* Linux valid_signal: 0..64 */
    c->pt.syscall = req == PTRACE_SYSCALL;
    c->pt.step = req == PTRACE_SINGLESTEP;
    if (c->pt.step && !(c->tf->rflags & RFLAGS_TF)) {
        c->tf->rflags |= RFLAGS_TF;             /* Linux user_enable_single_step */
        c->pt.forced_tf = true;
    } else if (!c->pt.step && c->pt.forced_tf) {
        c->tf->rflags &= ~(uint64_t)RFLAGS_TF;
        c->pt.forced_tf = false;
    }
    ptrace_update_work(c);
    c->pt.code = (int)data;
    c->pt.stopped = false;
    proc_wake(c);
    return 0;
}

int64_t sys_ptrace(struct trapframe *tf)
{
    struct proc *me = myproc();
    long req = (long)tf->rdi;
    int pid = (int)tf->rsi;
    uint64_t addr = tf->rdx, data = tf->r10, word;
    if (req == PTRACE_TRACEME)
        return traceme(me);
    struct proc *c = pid > 0 ? proc_find(pid) : NULL;
    if (!c)
        return -ESRCH;
    if (req == PTRACE_ATTACH || req == PTRACE_SEIZE)
        return attach(me, c, req == PTRACE_SEIZE, addr, data);
    int r = check_attach(me, c, req == PTRACE_KILL || req == PTRACE_INTERRUPT);
    if (r)
        return r;

    switch (req) {
    case PTRACE_PEEKTEXT:
    case PTRACE_PEEKDATA:
        if (ptrace_access_word(c, addr, &word, false))
            return -EIO;
        return copyout(me->pml4, data, &word, sizeof word) ? -EFAULT : 0;
    case PTRACE_POKETEXT:
    case PTRACE_POKEDATA:
        return ptrace_access_word(c, addr, &data, true);
    case PTRACE_PEEKUSR:
        if ((addr & 7) || addr >= USER_BYTES)
            return -EIO;
        word = 0;                               /* the rest of struct user reads as 0 */
        if (addr < USER_REGS_BYTES)
            word = ptregs_get(c, (int)(addr / 8));
        else if (addr >= USER_DEBUGREG && addr < USER_DEBUGREG + 8 * 8)
            debugreg_get(c, (int)((addr - USER_DEBUGREG) / 8), &word);
        return copyout(me->pml4, data, &word, sizeof word) ? -EFAULT : 0;
    case PTRACE_POKEUSR:
        if ((addr & 7) || addr >= USER_BYTES)
            return -EIO;
        if (addr < USER_REGS_BYTES)
            return ptregs_put(c, (int)(addr / 8), data);
        if (addr >= USER_DEBUGREG && addr < USER_DEBUGREG + 8 * 8)
            return debugreg_set(c, (int)((addr - USER_DEBUGREG) / 8), data);
        return -EIO;
    case PTRACE_GETREGS:
        return ptregs_copyout(c, data, USER_REGS);
    case PTRACE_SETREGS:
        return ptregs_copyin(c, data, USER_REGS);
    case PTRACE_GETFPREGS:
        return copyout(me->pml4, data, fpu_thread_fxsave(c), FXSAVE_BYTES) ? -EFAULT : 0;
    case PTRACE_SETFPREGS:
        return ptregs_set_fp(c, data);
    case PTRACE_GETREGSET:
    case PTRACE_SETREGSET:
        return ptregs_regset(c, req == PTRACE_SETREGSET, addr, data);
    case PTRACE_GETSIGINFO:
        if (!c->pt.has_siginfo)
            return -EINVAL;                     /* a group stop of a non-seized tracee has none */
        return copyout(me->pml4, data, &c->pt.siginfo, sizeof c->pt.siginfo) ? -EFAULT : 0;
    case PTRACE_SETSIGINFO:
        if (!c->pt.has_siginfo)
            return -EINVAL;
        return copyin(me->pml4, &c->pt.siginfo, data, sizeof c->pt.siginfo) ? -EFAULT : 0;
    case PTRACE_SETOPTIONS:
        if (data & ~(uint64_t)PTRACE_O_MASK)
            return -EINVAL;
        if (data & PTRACE_O_SUSPEND_SECCOMP)
            return -EINVAL;                     /* a Linux without CONFIG_SECCOMP */
        c->pt.flags = (c->pt.flags & ~(uint32_t)PTRACE_O_MASK) | (uint32_t)data;
        return 0;
    case PTRACE_ARCH_PRCTL:                     /* Linux do_arch_prctl_64 on the tracee: data = code, addr = arg */
        switch (data) {
        case ARCH_SET_FS:
        case ARCH_SET_GS:
            if (addr >= USER_LIMIT)
                return -EPERM;
            fsgs_set_base_stopped(c, data == ARCH_SET_GS, addr);   /* and a null selector (fsgs.c) */
            return 0;
        case ARCH_GET_FS:
        case ARCH_GET_GS:                       /* into the tracer's memory, as Linux's put_user */
            return copyout(me->pml4, addr, data == ARCH_GET_FS ? &c->fs_base : &c->gs_base, 8) ? -EFAULT : 0;
        default:
            return -EINVAL;
        }
    case PTRACE_GET_THREAD_AREA:                /* Linux arch_ptrace (IA32 emulation): addr the entry */
        return (int32_t)addr < 0 ? -EIO : tls_get_entry(c, (int32_t)addr, data);
    case PTRACE_SET_THREAD_AREA:
        return (int32_t)addr < 0 ? -EIO : tls_set_stopped(c, (int32_t)addr, data);
    case PTRACE_GETSIGMASK:                     /* Linux: addr is sizeof(sigset_t) */
        if (addr != SIGSET_BYTES)
            return -EINVAL;
        return copyout(me->pml4, data, &c->sig.blocked, SIGSET_BYTES) ? -EFAULT : 0;
    case PTRACE_SETSIGMASK:
        if (addr != SIGSET_BYTES)
            return -EINVAL;
        if (copyin(me->pml4, &word, data, SIGSET_BYTES))
            return -EFAULT;
        c->sig.blocked = word & ~SIG_UNBLOCKABLE;   /* SIGKILL and SIGSTOP stay deliverable */
        c->sig.work = true;                     /* a signal it unblocks is taken on the way out */
        return 0;
    case PTRACE_GETEVENTMSG:
        return copyout(me->pml4, data, &c->pt.message, sizeof c->pt.message) ? -EFAULT : 0;
    case PTRACE_CONT:
    case PTRACE_SYSCALL:
    case PTRACE_SINGLESTEP:
        return resume(c, req, data);
    case PTRACE_KILL:                           /* Linux: SIGKILL, traced and stopped or not */
        signal_send(c, SIGKILL, SI_USER, me->pid);
        return 0;
    case PTRACE_INTERRUPT:
        if (!(c->pt.flags & PT_SEIZED))
            return -EIO;
        c->pt.trap_pending = true;
        c->sig.work = true;
        proc_wake(c);                           /* a sleeping call ends (signal_pending sees the trap) */
        return 0;
    case PTRACE_DETACH:
        if (data >= NSIG)
            return -EIO;
        c->pt.code = (int)data;                 /* delivered if it stopped for a signal */
        ptrace_unlink(c);
        return 0;
    default:
        return -EIO;                            /* Linux ptrace_request: an unknown request */
    }
}
