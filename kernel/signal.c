/*
 * Signals, delivery: faults become signals, and on the way back to ring 3
 * each deliverable signal is taken (sigsend.c keeps the pending sets) -
 * its default action, or a handler call. Delivery edits the saved trap
 * frame in C: it pushes a Linux struct rt_sigframe (include/signal.h) on the
 * user stack and points the frame's RIP at the handler, so the ordinary
 * return (sysretq or iretq) enters the handler in ring 3. rt_sigreturn
 * (syssignal.c) reads that frame back, validated, and asks for the iretq
 * return so every register, RCX and R11 included, comes back as saved.
 * Linux: kernel/signal.c get_signal, arch/x86/kernel/signal.c. Every
 * deliverable signal gets a frame before the return, so the last one built
 * runs first.
 */
#include "kernel.h"
#include "errno.h"
#include "gdt.h"
#include "kargs.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "rseq.h"
#include "signal.h"
#include "jobctl.h"
#include "trap.h"
#include "traps.h"
#include "vm.h"
#include "x86.h"

#define RED_ZONE 128             /* psABI 3.2.2: bytes below RSP a leaf function may use */
#define SYSCALL_INSN_BYTES 2     /* `syscall` (0f 05), `int $0x80` (cd 80), `sysenter` (0f 34): restart rewinds RIP */

/* Default actions (signal(7)); core dumps are not written: "core" ends the process like "term". */
int signal_default_action(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
    case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return SIGACT_CORE;
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
        return SIGACT_IGN;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return SIGACT_STOP;
    default:
        return SIGACT_TERM;
    }
}

static const char *const signal_names[NSIG] = {
    [SIGHUP] = "SIGHUP", [SIGINT] = "SIGINT", [SIGQUIT] = "SIGQUIT", [SIGILL] = "SIGILL",
    [SIGTRAP] = "SIGTRAP", [SIGABRT] = "SIGABRT", [SIGBUS] = "SIGBUS", [SIGFPE] = "SIGFPE",
    [SIGKILL] = "SIGKILL", [SIGUSR1] = "SIGUSR1", [SIGSEGV] = "SIGSEGV", [SIGUSR2] = "SIGUSR2",
    [SIGPIPE] = "SIGPIPE", [SIGALRM] = "SIGALRM", [SIGTERM] = "SIGTERM", [SIGSTKFLT] = "SIGSTKFLT",
    [SIGCHLD] = "SIGCHLD", [SIGCONT] = "SIGCONT", [SIGSTOP] = "SIGSTOP", [SIGTSTP] = "SIGTSTP",
    [SIGTTIN] = "SIGTTIN", [SIGTTOU] = "SIGTTOU", [SIGURG] = "SIGURG", [SIGXCPU] = "SIGXCPU",
    [SIGXFSZ] = "SIGXFSZ", [SIGVTALRM] = "SIGVTALRM", [SIGPROF] = "SIGPROF", [SIGWINCH] = "SIGWINCH",
    [SIGIO] = "SIGIO", [SIGPWR] = "SIGPWR", [SIGSYS] = "SIGSYS",
};

const char *signal_name(int sig)
{
    if (sig > 0 && sig < NSIG && signal_names[sig])
        return signal_names[sig];
    return sig >= 32 && sig < NSIG ? "SIGRT" : "SIG?";
}

/*
 * A signal the kernel must deliver now (a fault): if it is blocked or
 * ignored, the handler goes back to SIG_DFL and the signal is unblocked, so
 * a program can't loop on its own fault (Linux force_sig_info_to_task).
 */
static void force_signal(struct proc *p, int sig, const struct ksiginfo *info)
{
    struct k_sigaction *ka = &p->sighand->action[sig];
    if ((p->sig.blocked & SIGBIT(sig)) || ka->handler == SIG_IGN) {
        ka->handler = SIG_DFL;
        p->sig.blocked &= ~SIGBIT(sig);
    }
    p->sig.pending.set |= SIGBIT(sig);
    p->sig.work = true;
    p->sig.pending.info[sig] = *info;
    p->sig.pending.info[sig].pid = p->pid;    /* from itself: pid 1 is not spared its own faults */
}

/* SIGTRAP from a #DB or a traced single step over a system call (Linux send_sigtrap): si_code
   `code`, si_addr `addr`, uc_mcontext's trapno the debug vector. */
void signal_force_trap(struct proc *p, int code, uint64_t addr)
{
    p->sig.trapno = T_DB;
    p->sig.err = 0;
    force_signal(p, SIGTRAP, &(struct ksiginfo){ .code = code, .addr = addr });
}

/* #GP-style SIGSEGV (SI_KERNEL, address 0): an impossible return to ring 3. */
void signal_force_sigsegv(struct proc *p)
{
    p->sig.trapno = T_GP;
    p->sig.err = 0;
    force_signal(p, SIGSEGV, &(struct ksiginfo){ .code = SI_KERNEL });
}

/* A SIGSEGV as from a user write fault at `addr` (SEGV_MAPERR; uc_mcontext's trapno, err, cr2
   say so): Linux's force_sig_fault for a bad pointer (the vsyscall page, vsyscall.c). */
void signal_force_segv_at(struct proc *p, uint64_t addr)
{
    p->sig.trapno = T_PF;
    p->sig.err = PF_ERR_U | PF_ERR_W;
    p->sig.cr2 = addr;
    force_signal(p, SIGSEGV, &(struct ksiginfo){ .code = SEGV_MAPERR, .addr = addr });
}

/*
 * An exception in ring 3 becomes the signal Linux sends, with its si_code,
 * si_addr and the trapno/err/cr2 the handler sees in uc_mcontext
 * (arch/x86/kernel/traps.c, arch/x86/mm/fault.c).
 */
void signal_fault(struct trapframe *tf)
{
    struct proc *p = myproc();
    struct ksiginfo info = { .code = SI_KERNEL };
    int sig;
    p->sig.trapno = tf->vector;
    p->sig.err = tf->error;
    switch (tf->vector) {
    case T_DE: sig = SIGFPE;  info = (struct ksiginfo){ .code = FPE_INTDIV, .addr = tf->rip }; break;
    case T_UD: sig = SIGILL;  info = (struct ksiginfo){ .code = ILL_ILLOPN, .addr = tf->rip }; break;
    case T_MF: case T_XM:
               sig = SIGFPE;  info = (struct ksiginfo){ .code = FPE_FLTINV, .addr = tf->rip }; break;
    case T_AC: sig = SIGBUS;  info = (struct ksiginfo){ .code = BUS_ADRALN }; break;
    case T_NP: case T_SS:                                     /* Linux: SIGBUS, SI_KERNEL */
               sig = SIGBUS;  break;
    case T_BP: sig = SIGTRAP; break;                          /* int3: SI_KERNEL, RIP after it */
    case T_PF: {
        uint64_t cr2 = rcr2();
        uint64_t err = tf->error | PF_ERR_U;
        if (cr2 >= USER_TOP)
            err |= PF_ERR_P;         /* Linux never tells ring 3 what the kernel half maps */
        p->sig.cr2 = cr2;
        p->sig.err = err;
        uint64_t *pte = cr2 < USER_TOP ? uvm_pte(p->pml4, cr2) : NULL;
        /* A file mapping past the file's end (filemap.c): SIGBUS for an access its rights allow
           (PTE_BUS_U, W, NX); one they refuse is SIGSEGV, as Linux checks the vma's rights
           before it asks the file (arch/x86/mm/fault.c access_error). */
        bool bus_ok = pte && (*pte & PTE_BUS_U) && (!(err & PF_ERR_W) || (*pte & PTE_W)) &&
                      (!(err & PF_ERR_I) || !(*pte & PTE_NX));
        if (pte && (*pte & PTE_BUS) && bus_ok) {
            sig = SIGBUS;
            info = (struct ksiginfo){ .code = BUS_ADRERR, .addr = cr2 };
            break;
        }
        sig = SIGSEGV;
        info = (struct ksiginfo){ .code = (err & PF_ERR_P) && cr2 < USER_TOP ? SEGV_ACCERR : SEGV_MAPERR,
                                  .addr = cr2 };
        break;
    }
    default:                          /* #GP #TS #OF #BR...: SIGSEGV, SI_KERNEL, address 0 */
        sig = SIGSEGV;
        break;
    }
    force_signal(p, sig, &info);
}

/* ---- delivery ---------------------------------------------------------- */

static bool canonical(uint64_t va)
{
    return va < USER_TOP || va >= 0xffff800000000000UL;
}

/*
 * The RFLAGS a user-supplied value may give ring 3 (rt_sigreturn's frame, a tracer's
 * registers): the bits in `mask` come from `want`, the others stay as in `cur`; IF stays set
 * and IOPL 0 whatever `cur` held. rt_sigreturn passes Linux's FIX_EFLAGS (SIGRETURN_FLAGS),
 * ptrace its FLAG_MASK (the same plus NT, arch/x86/kernel/ptrace.c).
 */
uint64_t signal_user_rflags(uint64_t cur, uint64_t want, uint64_t mask)
{
    return (((cur & ~mask) | (want & mask)) & ~(uint64_t)RFLAGS_IOPL) | RFLAGS_IF | RFLAGS_RSV1;
}

/*
 * Would fxrstor take this x87/SSE image (rt_sigreturn's fpstate, a tracer's FP registers)?
 * Reserved MXCSR bits (those outside the CPU's MXCSR_MASK) make it #GP: refused, as Linux's
 * fpu__restore_sig and xfpregs_set refuse them.
 */
bool signal_fx_valid(const uint8_t fx[FXSAVE_BYTES])
{
    static uint8_t cur[FXSAVE_BYTES] __attribute__((aligned(16)));
    __asm__ volatile("fxsave %0" : "=m"(cur));
    uint32_t mask = *(uint32_t *)&cur[FXSAVE_MXCSR_MASK];
    if (!mask)
        mask = 0xffbf;                                     /* SDM Vol. 1 11.6.6 */
    return !(*(const uint32_t *)&fx[FXSAVE_MXCSR] & ~mask);
}

static bool on_altstack(struct proc *p, uint64_t sp)
{
    return p->sig.altstack_size && sp > p->sig.altstack_sp && sp - p->sig.altstack_sp <= p->sig.altstack_size;
}

/* The ss_flags sigaltstack and uc_stack report for a process whose RSP is `sp`. */
int signal_altstack_flags(struct proc *p, uint64_t sp)
{
    if (!p->sig.altstack_size)
        return SS_DISABLE;
    return on_altstack(p, sp) ? SS_ONSTACK : 0;
}

/*
 * The delivery event. A function of its own, never inlined, so a debugger
 * can break on its first instruction and read the delivery from the
 * arguments (RDI = pid, RSI = signal, RDX = handler: `invoke trace`): it is
 * called for every handler, the console line only with trace=signal (kargs.h).
 * A fault that kills (`fault`, `kill`) is reported whatever the flag.
 */
__attribute__((noinline)) void signal_delivered(int pid, int sig, uint64_t handler, int code, uint64_t addr)
{
    if (kargs.trace_signal)
        kevent("signal pid=%d signal=%d name=%s handler=0x%lx code=%d addr=0x%lx", pid, sig,
               signal_name(sig), handler, code, addr);
}

/*
 * Push the frame for `sig` and point `tf` at the handler. Returns 0, or
 * -EFAULT when the frame can't be written (Linux then forces SIGSEGV).
 */
static int setup_frame(struct proc *p, struct trapframe *tf, int sig, struct k_sigaction *ka,
                       const struct ksiginfo *ki, uint64_t oldmask)
{
    struct rt_sigframe f;
    uint64_t sp = tf->rsp - RED_ZONE;
    bool onstack = on_altstack(p, tf->rsp);
    if ((ka->flags & SA_ONSTACK) && signal_altstack_flags(p, sp) == 0) {
        sp = p->sig.altstack_sp + p->sig.altstack_size;
        onstack = true;
    }
    /* Linux get_sigframe: the fpstate (fpu__alloc_mathframe: xsave area + MAGIC2, 64-byte
       aligned) below the red zone, then the frame (align_sigframe: RSP + 8 16-byte aligned
       at the handler's entry, as if just called, psABI 3.2.2) */
    uint64_t fpstate = ALIGN_DOWN(sp - fpu_sigframe_bytes(false), 64);
    sp = ALIGN_DOWN(fpstate - sizeof f, 16) - 8;
    if (onstack && !on_altstack(p, sp))
        return -EFAULT;                                /* the alternate stack overflowed */
    if (!(ka->flags & SA_RESTORER))
        return -EFAULT;                                /* x86-64 has no default restorer */

    memset(&f, 0, sizeof f);
    f.pretcode = ka->restorer;
    f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS | (fpu_xsave ? UC_FP_XSTATE : 0);
    /* uc_stack: the alternate stack as sigaltstack set it (rt_sigreturn reinstates it) */
    f.uc.uc_stack = (struct k_stack){ .sp = p->sig.altstack_sp, .flags = (int32_t)p->sig.altstack_flags,
                                      .size = p->sig.altstack_size };
    struct sigcontext *sc = &f.uc.uc_mcontext;
    *sc = (struct sigcontext){
        .r8 = tf->r8, .r9 = tf->r9, .r10 = tf->r10, .r11 = tf->r11, .r12 = tf->r12, .r13 = tf->r13,
        .r14 = tf->r14, .r15 = tf->r15, .rdi = tf->rdi, .rsi = tf->rsi, .rbp = tf->rbp, .rbx = tf->rbx,
        .rdx = tf->rdx, .rax = tf->rax, .rcx = tf->rcx, .rsp = tf->rsp, .rip = tf->rip,
        .rflags = tf->rflags, .cs = (uint16_t)tf->cs, .ss = (uint16_t)tf->ss,
        .err = p->sig.err, .trapno = p->sig.trapno, .oldmask = oldmask, .cr2 = p->sig.cr2,
        .fpstate = fpstate,
    };
    f.uc.uc_sigmask = oldmask;
    signal_siginfo(sig, ki, &f.info);
    if (fpu_sigframe_save(p->pml4, fpstate, false) || copyout(p->pml4, sp, &f, sizeof f))
        return -EFAULT;
    if (p->sig.altstack_flags & SS_AUTODISARM)
        signal_set_altstack(p, &(struct k_stack){ .flags = SS_DISABLE }, 0);

    signal_delivered(p->pid, sig, ka->handler, ki->code, sig == SIGCHLD || ki->poll || ki->code <= 0 ? 0 : ki->addr);
    tf->rdi = (uint64_t)sig;
    tf->rsi = sp + __builtin_offsetof(struct rt_sigframe, info);
    tf->rdx = sp + __builtin_offsetof(struct rt_sigframe, uc);
    tf->rax = 0;
    tf->rip = ka->handler;
    tf->rsp = sp;
    tf->cs = USER_CS;
    tf->ss = USER_SS;
    /* Linux: DF clear for the ABI, and TF clear so a SIGTRAP handler is not itself single-stepped */
    tf->rflags &= ~(uint64_t)(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
    fpu_load_init();                                   /* Linux fpu__clear_user_states */
    return 0;
}

/* The siginfo_t a handler (or rt_sigtimedwait) sees for `sig` sent as `ki`. */
void signal_siginfo(int sig, const struct ksiginfo *ki, struct siginfo *out)
{
    memset(out, 0, sizeof *out);
    out->si_signo = sig;
    out->si_code = ki->code;
    if (ki->poll) {                                    /* SIGIO or F_SETSIG's (fasync.c) */
        out->u.fault.addr = ki->addr;                  /* si_band */
        memcpy(out->u.bytes + 8, &ki->fd, sizeof ki->fd);   /* si_fd */
    } else if (sig == SIGCHLD && ki->code >= CLD_EXITED) {
        out->u.kill.pid = ki->pid;
        out->u.kill.uid = ki->uid;
        out->u.kill.status = ki->status;
    } else if (ki->code <= 0) {                        /* SI_USER, SI_TKILL, SI_QUEUE: who sent it */
        out->u.rt.pid = ki->pid;
        out->u.rt.uid = ki->uid;
        out->u.rt.value = ki->value;
    } else {
        out->u.fault.addr = ki->addr;
    }
}

static bool is_restart(int64_t ret)
{
    return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND;
}

/*
 * On every return to ring 3 (the end of a system call, or an interrupt or
 * exception taken in ring 3): take each deliverable signal - default action,
 * or a handler frame - and settle an interrupted system call (`syscall_nr`,
 * -1 if none): -EINTR, or a restart (RAX = the number again, RIP back over
 * the 2-byte `syscall`). Returns 1 if the frame must be restored with
 * iretq, 0 if sysretq may return it: iretq after rt_sigreturn (every
 * register comes from the frame, RCX and R11 included), and when the
 * user's RFLAGS has TF - sysretq restoring TF traps at once, before the
 * next user instruction, where iretq traps after it; Linux takes iretq for
 * the same reason (arch/x86/entry/entry_64.S), so a program single-stepping
 * over a syscall sees one step per instruction. And iretq whenever RCX and
 * R11 are not RIP and RFLAGS (Linux arch/x86/entry/syscall_64.c takes SYSRET
 * only when regs->cx == regs->ip and regs->r11 == regs->flags, and CS and SS are the 64-bit
 * user ones: a tracer may have changed them): a handler
 * then starts with RCX = the address after the `syscall` and R11 = the
 * RFLAGS it saved, as its sigcontext says, not RCX = its own address.
 */
int signal_return(struct trapframe *tf, int64_t syscall_nr)
{
    struct proc *p = myproc();
    bool full = p->sig.restored;
    p->sig.restored = false;
    /* A restart only with signal work, as Linux's arch_do_signal_or_restart, which runs only
       with TIF_SIGPENDING (recomputed after a ptrace stop): a call returns -ERESTART* only
       when a signal is pending, but a tracer may write one at a syscall-exit stop with none,
       and then it is the call's answer, RIP unchanged. */
    bool restart = !full && syscall_nr >= 0 && is_restart((int64_t)tf->rax) && signal_pending(p);

    for (;;) {
        /* iretq/sysretq would #GP in ring 0, not ring 3: a non-canonical RIP, or one past
           4 GiB with the 32-bit code segment (the limit check of an iretq to compatibility
           mode, SDM Vol. 2A IRET; a restart at the missing vDSO landing pad wraps below 0,
           one at a RIP a tracer set past the canonical hole). Checked after every change of
           RIP here, the restart's too. QEMU's TCG checks neither on iretq (the fault comes
           in ring 3), hardware does, in ring 0. */
        /* other selectors (an LDT segment, a 16-bit stack, what a tracer set) are checked by
           trapentry.S's user_segs_check before the iretq that loads them (ldt.c) */
        if (!canonical(tf->rip) || (tf->cs == USER32_CS && tf->rip > 0xffffffffUL))
            signal_force_sigsegv(p);
        if (p->pt.trap_pending) {
            ptrace_trap_stop(p);                   /* PTRACE_INTERRUPT, or a seized tracee's first stop */
            continue;
        }
        if (p->sig.stop_pending) {
            signal_group_stop(p, 0);               /* a sibling started a group stop: join it */
            continue;
        }
        struct ksiginfo info;
        int sig = signal_dequeue(p, ~p->sig.blocked, &info);
        if (!sig && restart) {                     /* no handler ran: the call starts again */
            tf->rax = (uint64_t)syscall_nr;
            tf->rip -= SYSCALL_INSN_BYTES;
            restart = false;
            continue;                              /* RIP checked again */
        }
        if (!sig) {
            if (!p->rseq.notify)
                break;
            /* Linux's order: the restart (above) rewinds RIP first, then the rseq work sees
               the `syscall` the thread returns to (rseq.c; it may queue a SIGSEGV) */
            rseq_notify_resume(p, tf, 0);
            continue;
        }
        if (p->pt.tracer && sig != SIGKILL && !(sig = ptrace_signal(p, sig, &info)))
            continue;                              /* the tracer suppressed it (or requeued it blocked) */
        struct k_sigaction *ka = &p->sighand->action[sig];
        if (ka->handler == SIG_IGN)
            continue;
        if (ka->handler == SIG_DFL) {
            if (sig != SIGKILL && proc_is_init(p) && !signal_from_group(p, info.pid))
                continue;                          /* sent to pid 1 blocked, from outside: discarded */
            switch (signal_default_action(sig)) {
            case SIGACT_IGN:
                continue;
            case SIGACT_STOP:
                /* POSIX: the terminal's stop signals do not stop an orphaned group, which
                   nobody could continue (Linux get_signal, is_current_pgrp_orphaned) */
                if (sig != SIGSTOP && jobctl_pgrp_orphaned(p))
                    continue;
                signal_group_stop(p, sig);
                continue;
            default:
                if (restart)
                    tf->rax = (uint64_t)-EINTR;
                proc_exit(sig);
            }
        }
        if (restart) {
            int64_t ret = (int64_t)tf->rax;
            if (ret == -ERESTARTNOHAND || (ret == -ERESTARTSYS && !(ka->flags & SA_RESTART))) {
                tf->rax = (uint64_t)-EINTR;
            } else {
                tf->rax = (uint64_t)syscall_nr;
                tf->rip -= SYSCALL_INSN_BYTES;
            }
            restart = false;
        }
        /* Linux setup_rt_frame's rseq_signal_deliver: a section the signal interrupts is left
           first, so the frame saves abort_ip and the handler returns there (rseq.c). */
        bool rseq_ok = !p->rseq.area || rseq_notify_resume(p, tf, sig);
        uint64_t oldmask = p->sig.restore_mask ? p->sig.saved_mask : p->sig.blocked;
        int framed = (ka->flags & SA_IA32_ABI) ? signal_setup_frame32(p, tf, sig, ka, &info, oldmask)
                                               : setup_frame(p, tf, sig, ka, &info, oldmask);
        if (framed < 0) {
            if (sig == SIGSEGV)
                ka->handler = SIG_DFL;        /* a SIGSEGV handler that can't be called: die */
            signal_force_sigsegv(p);
            continue;
        }
        p->sig.restore_mask = false;
        p->sig.blocked |= ka->mask | ((ka->flags & SA_NODEFER) ? 0 : SIGBIT(sig));
        p->sig.blocked &= ~SIG_UNBLOCKABLE;
        if ((ka->flags & SA_RESETHAND) || (!rseq_ok && sig == SIGSEGV))
            ka->handler = SIG_DFL;                 /* one shot; or the queued SIGSEGV is fatal */
    }
    if (p->sig.restore_mask) {
        p->sig.blocked = p->sig.saved_mask;
        p->sig.restore_mask = false;
    }
    p->sig.work = signal_pending(p);
    return full || (tf->rflags & RFLAGS_TF) != 0 || tf->rcx != tf->rip || tf->r11 != tf->rflags ||
           tf->cs != USER_CS || tf->ss != USER_SS;
}

/*
 * The end of a system call when the process has signal work or TF set
 * (syscall_dispatch's slow path): signals, an interrupted call settled with
 * the number the entry saved in tf->error, and iretq when sysretq can't
 * return the frame.
 */
void signal_syscall_exit(struct trapframe *tf)
{
    if (signal_return(tf, (int64_t)tf->error))
        iret_to_user(tf);
}

/* ---- process lifetime -------------------------------------------------- */

/*
 * fork and clone: the handlers are shared with CLONE_SIGHAND (so by every
 * thread), else copied; mask and alternate stack are inherited; pending
 * signals and timers are not. A thread sharing the address space without
 * CLONE_VFORK starts without an alternate stack (Linux copy_process: it
 * would share it).
 */
void signal_fork(struct proc *child, struct proc *parent, uint64_t flags)
{
    child->sighand = (flags & CLONE_SIGHAND) ? sighand_get(parent->sighand) : sighand_copy(parent->sighand);
    child->sig.blocked = parent->sig.blocked;
    if (!(flags & CLONE_THREAD))                   /* a new group: the parent's limits (Linux copy_signal) */
        memcpy(child->sig.rlim, parent->leader->sig.rlim, sizeof child->sig.rlim);
    if ((flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM)
        return;
    child->sig.altstack_sp = parent->sig.altstack_sp;
    child->sig.altstack_size = parent->sig.altstack_size;
    child->sig.altstack_flags = parent->sig.altstack_flags;
}

/*
 * execve: handlers go back to SIG_DFL (ignored stay ignored) in a table of
 * the program's own - a CLONE_SIGHAND sharer keeps its handlers (Linux
 * unshare_sighand); mask and pending survive.
 */
void signal_exec(struct proc *p)
{
    if (!p->sighand) {
        p->sighand = sighand_new();                /* the first program (pid 1) */
        rlimit_init(p->sig.rlim);                  /* and the limits every process inherits */
    } else if (p->sighand->refs > 1) {
        struct sighand *own = sighand_copy(p->sighand);
        sighand_put(p->sighand);
        p->sighand = own;
    }
    for (int sig = 1; sig < NSIG; sig++) {
        struct k_sigaction *ka = &p->sighand->action[sig];
        uint64_t h = ka->handler;
        memset(ka, 0, sizeof *ka);
        if (h == SIG_IGN)
            ka->handler = SIG_IGN;
    }
    p->sig.altstack_sp = p->sig.altstack_size = 0;
    p->sig.altstack_flags = SS_DISABLE;
}

/* Does `parent` reap its children itself (SIGCHLD ignored or SA_NOCLDWAIT)? */
bool signal_autoreap(struct proc *parent)
{
    struct k_sigaction *ka = &parent->sighand->action[SIGCHLD];
    return ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}

/* SIGCHLD to the parent of a child that ended with `wstatus` (exit code << 8, or the signal). */
void signal_child_exit(struct proc *child, int wstatus)
{
    int sig = wstatus & 0x7f;
    int code = !sig ? CLD_EXITED : signal_default_action(sig) == SIGACT_CORE ? CLD_DUMPED : CLD_KILLED;
    signal_notify_parent(child, code, sig ? sig : (wstatus >> 8) & 0xff);
}
