/*
 * Signals: generation (kill, faults, timers, the console, a child's exit),
 * and delivery on the way back to ring 3. Delivery edits the saved trap
 * frame in C: it pushes a Linux struct rt_sigframe (include/signal.h) on the
 * user stack and points the frame's RIP at the handler, so the ordinary
 * return (sysretq or iretq) enters the handler in ring 3. rt_sigreturn
 * (syssignal.c) reads that frame back, validated, and asks for the iretq
 * return so every register, RCX and R11 included, comes back as saved.
 *
 * The rules follow Linux (kernel/signal.c, arch/x86/kernel/signal.c):
 * a signal nobody would see (ignored and not blocked) is discarded when it
 * is sent; standard signals do not queue (one pending instance each); the
 * synchronous fault signals are taken first, then the lowest number; every
 * deliverable signal gets a frame before the return, so the last one built
 * runs first.
 */
#include "kernel.h"
#include "errno.h"
#include "gdt.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "signal.h"
#include "trap.h"
#include "traps.h"
#include "vm.h"
#include "x86.h"

#define RED_ZONE 128             /* psABI 3.2.2: bytes below RSP a leaf function may use */
#define SYNCHRONOUS_MASK (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | \
                          SIGBIT(SIGFPE) | SIGBIT(SIGSYS))
#define STOP_MASK (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))
#define SYSCALL_INSN_BYTES 2     /* `syscall` (0f 05) and `int $0x80` (cd 80): restart rewinds RIP */

enum { ACT_TERM, ACT_CORE, ACT_IGN, ACT_STOP };

/* Default actions (signal(7)); core dumps are not written: "core" ends the process like "term". */
static int default_action(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE: case SIGSEGV:
    case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return ACT_CORE;
    case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
        return ACT_IGN;
    case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
        return ACT_STOP;
    default:
        return ACT_TERM;
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

static bool ignored(struct proc *p, int sig)
{
    uint64_t h = p->leader->sig.action[sig].handler;   /* handlers are the thread group's */
    return h == SIG_IGN || (h == SIG_DFL && default_action(sig) == ACT_IGN);
}

bool signal_pending(struct proc *p)
{
    return (p->sig.pending & ~p->sig.blocked) != 0;
}

/*
 * Make `sig` pending in `p` with si_code `code`, from pid `sender` (0: the
 * kernel - a timer, the console). Returns 0; a signal discarded by the rules
 * above is still a success, as on Linux. pid 1 never receives a
 * default-action signal from anyone else (Linux's SIGNAL_UNKILLABLE); one it
 * sends itself (raise, SIGPIPE) acts as for any process, so a program run
 * as init behaves as it does elsewhere.
 */
static void notify_parent(struct proc *child, int code, int status);

/* Was pid `sender` (a thread id, 0 for the kernel) a thread of p's group? */
static bool from_group(struct proc *p, int sender)
{
    struct proc *s = sender > 0 ? proc_find(sender) : NULL;
    return s && s->leader == p->leader;
}

int signal_send(struct proc *p, int sig, int code, int sender)
{
    return signal_queue(p, sig, &(struct ksiginfo){ .code = code, .pid = sender }, sender);
}

/* signal_send with a whole siginfo (rt_sigqueueinfo); -EAGAIN when the real-time queue is full. */
int signal_queue(struct proc *p, int sig, const struct ksiginfo *info, int sender)
{
    struct sigstate *s = &p->sig;
    if (p->state == P_ZOMBIE || p->state == P_UNUSED)
        return 0;
    if (sig == SIGKILL || sig == SIGCONT) {
        s->pending &= ~STOP_MASK;
        if (s->stopped) {
            s->stopped = false;
            wakeup(s);
            if (sig == SIGCONT) {
                s->stop_report = 0;
                s->cont_report = true;
                notify_parent(p, CLD_CONTINUED, SIGCONT);
            }
        }
    } else if (SIGBIT(sig) & STOP_MASK) {
        s->pending &= ~SIGBIT(SIGCONT);
    }
    if (proc_is_init(p) && !from_group(p, sender) && p->leader->sig.action[sig].handler == SIG_DFL)
        return 0;
    if (!(s->blocked & SIGBIT(sig)) && ignored(p, sig))
        return 0;
    if (sig >= SIGRTMIN_K) {
        if (s->rtq_len == RTQ_MAX)
            return -EAGAIN;
        s->rtq[s->rtq_len].sig = sig;
        s->rtq[s->rtq_len++].info = *info;
    } else if (s->pending & SIGBIT(sig)) {
        return 0;                          /* already pending: standard signals don't queue */
    } else {
        s->info[sig] = *info;
    }
    s->pending |= SIGBIT(sig);
    s->work = true;
    if ((!(s->blocked & SIGBIT(sig)) || sig == SIGKILL) && p->state == P_SLEEPING)
        p->state = P_RUNNABLE;             /* its sleep loop sees signal_pending() */
    return 0;
}

/* Take one instance of pending `sig` out of `p`, with its info (real-time: the oldest). */
static void take(struct proc *p, int sig, struct ksiginfo *info)
{
    struct sigstate *s = &p->sig;
    if (sig < SIGRTMIN_K) {
        *info = s->info[sig];
        s->pending &= ~SIGBIT(sig);
        return;
    }
    bool more = false;
    int i = 0;
    while (i < s->rtq_len && s->rtq[i].sig != sig)
        i++;
    *info = s->rtq[i].info;
    memmove(&s->rtq[i], &s->rtq[i + 1], (s->rtq_len - i - 1) * sizeof s->rtq[0]);
    s->rtq_len--;
    for (int j = 0; j < s->rtq_len; j++)
        more |= s->rtq[j].sig == sig;
    if (!more)
        s->pending &= ~SIGBIT(sig);
}

/* Forget every pending instance of `sig` (it became ignored). */
void signal_flush(struct proc *p, int sig)
{
    struct ksiginfo dropped;
    while (p->sig.pending & SIGBIT(sig))
        take(p, sig, &dropped);
}

/*
 * A signal the kernel must deliver now (a fault): if it is blocked or
 * ignored, the handler goes back to SIG_DFL and the signal is unblocked, so
 * a program can't loop on its own fault (Linux force_sig_info_to_task).
 */
static void force_signal(struct proc *p, int sig, const struct ksiginfo *info)
{
    struct k_sigaction *ka = &p->leader->sig.action[sig];
    if ((p->sig.blocked & SIGBIT(sig)) || ka->handler == SIG_IGN) {
        ka->handler = SIG_DFL;
        p->sig.blocked &= ~SIGBIT(sig);
    }
    p->sig.pending |= SIGBIT(sig);
    p->sig.work = true;
    p->sig.info[sig] = *info;
}

/* #GP-style SIGSEGV (SI_KERNEL, address 0): an impossible return to ring 3. */
void signal_force_sigsegv(struct proc *p)
{
    p->sig.trapno = T_GP;
    p->sig.err = 0;
    force_signal(p, SIGSEGV, &(struct ksiginfo){ .code = SI_KERNEL });
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
    case T_BP: sig = SIGTRAP; break;                          /* int3: SI_KERNEL, RIP after it */
    case T_DB:                                                /* single step: the next instruction */
        sig = SIGTRAP;
        info = (struct ksiginfo){ .code = TRAP_TRACE, .addr = tf->rip };
        break;
    case T_PF: {
        uint64_t cr2 = rcr2();
        uint64_t err = tf->error | PF_ERR_U;
        if (cr2 >= USER_TOP)
            err |= PF_ERR_P;         /* Linux never tells ring 3 what the kernel half maps */
        p->sig.cr2 = cr2;
        p->sig.err = err;
        sig = SIGSEGV;
        info = (struct ksiginfo){ .code = (err & PF_ERR_P) && cr2 < USER_TOP ? SEGV_ACCERR : SEGV_MAPERR,
                                  .addr = cr2 };
        break;
    }
    default:                          /* #GP #SS #NP #TS #OF #BR...: SIGSEGV, SI_KERNEL, address 0 */
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
 * arguments (RDI = pid, RSI = signal, RDX = handler: `invoke trace`).
 */
__attribute__((noinline)) void signal_delivered(int pid, int sig, uint64_t handler, int code, uint64_t addr)
{
    kevent("signal pid=%d signal=%d name=%s handler=0x%lx code=%d addr=0x%lx", pid, sig, signal_name(sig),
           handler, code, addr);
}

/* A handler starts with the x87/SSE state of a fresh process (Linux fpu__clear_user_states). */
void signal_fpu_reset(void)
{
    static uint8_t init[FXSAVE_BYTES] __attribute__((aligned(16))) = {
        [0] = 0x7f, [1] = 0x03,                       /* FCW 0x037f */
        [FXSAVE_MXCSR] = 0x80, [FXSAVE_MXCSR + 1] = 0x1f,   /* MXCSR 0x1f80 */
    };
    __asm__ volatile("fxrstor %0" ::"m"(init));
}

/*
 * Push the frame for `sig` and point `tf` at the handler. Returns 0, or
 * -EFAULT when the frame can't be written (Linux then forces SIGSEGV).
 */
static int setup_frame(struct proc *p, struct trapframe *tf, int sig, struct k_sigaction *ka,
                       const struct ksiginfo *ki, uint64_t oldmask)
{
    static uint8_t fx[FXSAVE_BYTES] __attribute__((aligned(16)));
    struct rt_sigframe f;
    uint64_t sp = tf->rsp - RED_ZONE;
    bool onstack = on_altstack(p, tf->rsp);
    if ((ka->flags & SA_ONSTACK) && signal_altstack_flags(p, sp) == 0) {
        sp = p->sig.altstack_sp + p->sig.altstack_size;
        onstack = true;
    }
    uint64_t fpstate = ALIGN_DOWN(sp - FXSAVE_BYTES, 64);
    sp = ((fpstate - sizeof f + 8) & ~15UL) - 8;     /* RSP + 8 16-byte aligned at entry */
    if (onstack && !on_altstack(p, sp))
        return -EFAULT;                                /* the alternate stack overflowed */
    if (!(ka->flags & SA_RESTORER))
        return -EFAULT;                                /* x86-64 has no default restorer */

    memset(&f, 0, sizeof f);
    f.pretcode = ka->restorer;
    f.uc.uc_flags = UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
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
    __asm__ volatile("fxsave %0" : "=m"(fx));
    if (copyout(p->pml4, fpstate, fx, sizeof fx) || copyout(p->pml4, sp, &f, sizeof f))
        return -EFAULT;
    if (p->sig.altstack_flags & SS_AUTODISARM)
        signal_set_altstack(p, &(struct k_stack){ .flags = SS_DISABLE }, 0);

    signal_delivered(p->pid, sig, ka->handler, ki->code, sig == SIGCHLD || ki->code <= 0 ? 0 : ki->addr);
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
    signal_fpu_reset();
    return 0;
}

/* The siginfo_t a handler (or rt_sigtimedwait) sees for `sig` sent as `ki`. */
void signal_siginfo(int sig, const struct ksiginfo *ki, struct siginfo *out)
{
    memset(out, 0, sizeof *out);
    out->si_signo = sig;
    out->si_code = ki->code;
    if (sig == SIGCHLD && ki->code >= CLD_EXITED) {
        out->u.kill.pid = ki->pid;
        out->u.kill.status = ki->status;
    } else if (ki->code <= 0) {                        /* SI_USER, SI_TKILL, SI_QUEUE: who sent it */
        out->u.rt.pid = ki->pid;
        out->u.rt.value = ki->value;
    } else {
        out->u.fault.addr = ki->addr;
    }
}

/* The next of the signals in `ready`: the synchronous (fault) ones first, then the lowest number. */
static int pick(uint64_t ready)
{
    if (ready & SYNCHRONOUS_MASK)
        ready &= SYNCHRONOUS_MASK;
    return ready ? __builtin_ctzl(ready) + 1 : 0;
}

static int next_signal(struct proc *p)
{
    return pick(p->sig.pending & ~p->sig.blocked);
}

/* Take a pending signal of `set` (blocked or not) out of `p`: its number and info, or 0. */
int signal_dequeue(struct proc *p, uint64_t set, struct ksiginfo *info)
{
    int sig = pick(p->sig.pending & set);
    if (sig)
        take(p, sig, info);
    return sig;
}

static bool is_restart(int64_t ret)
{
    return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND;
}

/* Stopped: tell the parent, sleep until SIGCONT (or SIGKILL) clears it. */
static void stop(struct proc *p, int sig)
{
    kevent("stop pid=%d signal=%d name=%s", p->pid, sig, signal_name(sig));
    p->sig.stopped = true;
    p->sig.stop_report = sig;
    p->sig.cont_report = false;
    notify_parent(p, CLD_STOPPED, sig);
    while (p->sig.stopped && !(p->sig.pending & SIGBIT(SIGKILL)))
        sleep(&p->sig);
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
 * over a syscall sees one step per instruction.
 */
int signal_return(struct trapframe *tf, int64_t syscall_nr)
{
    struct proc *p = myproc();
    bool full = p->sig.restored;
    p->sig.restored = false;
    bool restart = !full && syscall_nr >= 0 && is_restart((int64_t)tf->rax);

    for (;;) {
        if (!canonical(tf->rip))
            signal_force_sigsegv(p);                 /* iretq/sysretq would #GP in ring 0, not ring 3 */
        int sig = next_signal(p);
        if (!sig)
            break;
        struct ksiginfo info;
        take(p, sig, &info);
        struct k_sigaction *ka = &p->leader->sig.action[sig];
        if (ka->handler == SIG_IGN)
            continue;
        if (ka->handler == SIG_DFL) {
            switch (default_action(sig)) {
            case ACT_IGN:
                continue;
            case ACT_STOP:
                stop(p, sig);
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
        uint64_t oldmask = p->sig.restore_mask ? p->sig.saved_mask : p->sig.blocked;
        if (setup_frame(p, tf, sig, ka, &info, oldmask) < 0) {
            if (sig == SIGSEGV)
                ka->handler = SIG_DFL;        /* a SIGSEGV handler that can't be called: die */
            signal_force_sigsegv(p);
            continue;
        }
        p->sig.restore_mask = false;
        p->sig.blocked |= ka->mask | ((ka->flags & SA_NODEFER) ? 0 : SIGBIT(sig));
        p->sig.blocked &= ~SIG_UNBLOCKABLE;
        if (ka->flags & SA_RESETHAND)
            ka->handler = SIG_DFL;
    }
    if (restart) {                            /* no handler ran: the call starts again */
        tf->rax = (uint64_t)syscall_nr;
        tf->rip -= SYSCALL_INSN_BYTES;
    }
    if (p->sig.restore_mask) {
        p->sig.blocked = p->sig.saved_mask;
        p->sig.restore_mask = false;
    }
    p->sig.work = (p->sig.pending & ~p->sig.blocked) != 0;
    return full || (tf->rflags & RFLAGS_TF) != 0;
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
 * fork and clone: handlers (a new process's own copy; a thread uses its
 * group's), mask and alternate stack are inherited; pending signals and
 * timers are not. A thread sharing the address space without CLONE_VFORK
 * starts without an alternate stack (Linux copy_process: it would share it).
 */
void signal_fork(struct proc *child, struct proc *parent, uint64_t flags)
{
    memcpy(child->sig.action, parent->leader->sig.action, sizeof child->sig.action);
    child->sig.blocked = parent->sig.blocked;
    if ((flags & (CLONE_VM | CLONE_VFORK)) == CLONE_VM)
        return;
    child->sig.altstack_sp = parent->sig.altstack_sp;
    child->sig.altstack_size = parent->sig.altstack_size;
    child->sig.altstack_flags = parent->sig.altstack_flags;
}

/* execve: handlers go back to SIG_DFL (ignored stay ignored); mask and pending survive. */
void signal_exec(struct proc *p)
{
    for (int sig = 1; sig < NSIG; sig++) {
        struct k_sigaction *ka = &p->sig.action[sig];
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
    struct k_sigaction *ka = &parent->leader->sig.action[SIGCHLD];
    return ka->handler == SIG_IGN || (ka->flags & SA_NOCLDWAIT);
}

/* SIGCHLD to the parent of a child that ended with `wstatus` (exit code << 8, or the signal). */
void signal_child_exit(struct proc *child, int wstatus)
{
    int sig = wstatus & 0x7f;
    notify_parent(child, sig ? (default_action(sig) == ACT_CORE ? CLD_DUMPED : CLD_KILLED) : CLD_EXITED,
                  sig ? sig : (wstatus >> 8) & 0xff);
}

/* SIGCHLD to `child`'s parent (si_code `code`, si_status `status`), and wake its wait4. */
static void notify_parent(struct proc *child, int code, int status)
{
    struct proc *parent = child->parent;
    if (!parent)
        return;
    if ((code == CLD_STOPPED || code == CLD_CONTINUED) && (parent->leader->sig.action[SIGCHLD].flags & SA_NOCLDSTOP))
        return;
    signal_queue(proc_signal_target(parent, SIGCHLD), SIGCHLD, &(struct ksiginfo){ .code = code, .pid = child->pid, .status = status },
                 child->pid);
    wakeup(parent);                        /* wait4 sleeps on the parent */
}

/* The timer tick: ITIMER_REAL expiries (one timer per process, in its leader) become SIGALRM. */
void signal_tick(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = proc_slot(i);
        if (!p || p->leader != p || !p->sig.alarm_tick || p->sig.alarm_tick > ticks)
            continue;
        p->sig.alarm_tick = p->sig.alarm_interval ? ticks + p->sig.alarm_interval : 0;
        signal_send(proc_signal_target(p, SIGALRM), SIGALRM, SI_KERNEL, p->pid);   /* as if sent to itself */
    }
}

/*
 * Ctrl-C / Ctrl-\ on the console: the signal goes to every process on the
 * console (there is one session and one process group), as the terminal's
 * foreground group gets it on Linux; the shell ignores SIGINT and SIGQUIT
 * while it waits, and pid 1 discards default-action signals anyway.
 */
void signal_console(int sig)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = proc_slot(i);
        if (p && p->leader == p && p->state != P_EMBRYO)
            signal_send(proc_signal_target(p, sig), sig, SI_KERNEL, 0);   /* once per process */
    }
}
