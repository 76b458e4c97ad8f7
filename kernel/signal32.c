/*
 * ia32 signal frames and the i386 signal calls, as Linux's IA32 emulation defines them
 * (arch/x86/kernel/signal_32.c, arch/x86/include/asm/sigframe.h, include/uapi/asm/sigcontext.h,
 * kernel/signal.c's compat calls).
 *
 * A handler installed through an i386 call (sigaction 67, rt_sigaction 174) carries
 * SA_IA32_ABI (Linux sigaction_compat_abi) and gets an ia32 frame, whatever mode the
 * interrupted code ran in; one installed through the x86-64 rt_sigaction gets the 64-bit
 * frame (signal.c). Without SA_SIGINFO the frame is `struct sigframe_ia32`, returned from by
 * sigreturn (119); with it `struct rt_sigframe_ia32`, by rt_sigreturn (173):
 *
 *   higher addresses
 *   +---------------------------+  the interrupted ESP (no red zone in the i386 ABI),
 *   |                           |  or the top of the alternate stack
 *   | fxsave/xsave area + MAGIC2|  64-byte aligned (fpu.h)
 *   | fsave header (112 bytes)  |  <- sigcontext.fpstate (struct _fpstate_32)
 *   +---------------------------+
 *   | retcode[8]                |  the old "int $0x80" return stub (gdb's marker, unused)
 *   | uc: ucontext_ia32 (116)   |  rt: uc_flags, uc_link, uc_stack, uc_mcontext, uc_sigmask
 *   | info: compat siginfo (128)|  rt only
 *   | puc, pinfo                |  rt only: the handler's 2nd and 3rd arguments
 *   | (sigframe: sc, the unused |
 *   |  _fpstate_32, extramask)  |
 *   | sig                       |  the handler's 1st argument
 *   | pretcode                  |  ESP at entry: the restorer; (ESP + 4) 16-byte aligned
 *   +---------------------------+
 *
 * The handler runs at CS 0x23, SS and DS/ES the user data selector, EAX = signo and, for an
 * rt frame, EDX = &info, ECX = &uc (-mregparm=3); EDX = ECX = 0 otherwise. The restorer is
 * sa_restorer with SA_RESTORER (glibc -m32 always sets its own), else the 32-bit vDSO's
 * __kernel_sigreturn/__kernel_rt_sigreturn (vdso.h); a process without a 32-bit vDSO (a
 * 64-bit program using int $0x80) returns, as on Linux, from a sigframe to its retcode (on
 * the stack: non-executable, SIGSEGV) and from an rt frame to address 0 (SIGSEGV).
 *
 * The sigreturns restore EAX-EDI, ESP, EIP (each zero-extended; R8-R15 are left alone), the
 * flags sigreturn may change, DS/ES/FS/GS when the handler changed them (a selector that is
 * not loadable becomes null, as Linux's loadsegment fixup), CS and SS with RPL 3, and the FPU
 * state (fpu_sigframe_restore with the ia32 rules). Linux then lets iret decide on CS and SS:
 * a selector iret refuses (a kernel one, a data segment as CS, a code segment as SS, null)
 * faults there and becomes SIGSEGV; 0x33, the 64-bit user CS, is accepted and the process
 * goes on in 64-bit mode at the 32-bit EIP. ringlab asks the CPU the same question first with
 * `lar` (its access rights, as Linux's force_valid_ss does) and sends SIGSEGV itself, so its
 * own iretq never faults in ring 0.
 */
#include "kernel.h"
#include "errno.h"
#include "fpu.h"
#include "gdt.h"
#include "kargs.h"
#include "msr.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "sysnr32.h"
#include "thread.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"

#define FRAME_ALIGN32 16             /* i386 ABI: (ESP + 4) 16-byte aligned at a function's entry */

/* lar's access rights (SDM Vol. 2A LAR: bits 8-23 of the descriptor's second word) */
#define AR_TYPE_CODE  (1u << 11)
#define AR_TYPE_CONF  (1u << 10)     /* code: conforming */
#define AR_TYPE_WRITE (1u << 9)      /* data: writable */
#define AR_S          (1u << 12)     /* code or data, not a system descriptor */
#define AR_DPL3       (3u << 13)
#define AR_P          (1u << 15)
#define AR_L          (1u << 21)     /* 64-bit code */
#define AR_DB         (1u << 22)

/* struct sigcontext_32 (arch/x86/include/uapi/asm/sigcontext.h) */
struct sigcontext32 {
    /*  0 */ uint16_t gs, gsh, fs, fsh, es, esh, ds, dsh;
    /* 16 */ uint32_t di, si, bp, sp, bx, dx, cx, ax;
    /* 48 */ uint32_t trapno, err, ip;
    /* 60 */ uint16_t cs, csh;
    /* 64 */ uint32_t flags, sp_at_signal;
    /* 72 */ uint16_t ss, ssh;
    /* 76 */ uint32_t fpstate, oldmask, cr2;
};
_Static_assert(sizeof(struct sigcontext32) == 88, "struct sigcontext_32 is 88 bytes");

/* compat_stack_t */
struct stack32 {
    uint32_t sp;
    int32_t flags;
    uint32_t size;
};

/* struct ucontext_ia32 (arch/x86/include/asm/ia32.h) */
struct ucontext32 {
    /*   0 */ uint32_t uc_flags, uc_link;
    /*   8 */ struct stack32 uc_stack;
    /*  20 */ struct sigcontext32 uc_mcontext;
    /* 108 */ uint32_t uc_sigmask[2];
};
_Static_assert(sizeof(struct ucontext32) == 116, "struct ucontext_ia32 is 116 bytes");

struct sigframe32 {
    /*   0 */ uint32_t pretcode;
    /*   4 */ int32_t sig;
    /*   8 */ struct sigcontext32 sc;
    /*  96 */ uint8_t fpstate_unused[624];  /* struct _fpstate_32: kept for extramask's offset */
    /* 720 */ uint32_t extramask;
    /* 724 */ uint8_t retcode[8];
};
_Static_assert(sizeof(struct sigframe32) == 732, "struct sigframe_ia32 is 732 bytes");

struct rt_sigframe32 {
    /*   0 */ uint32_t pretcode;
    /*   4 */ int32_t sig;
    /*   8 */ uint32_t pinfo, puc;
    /*  16 */ uint32_t info[32];            /* compat_siginfo_t */
    /* 144 */ struct ucontext32 uc;
    /* 260 */ uint8_t retcode[8];
};
_Static_assert(sizeof(struct rt_sigframe32) == 268, "struct rt_sigframe_ia32 is 268 bytes");

/* popl %eax; movl $119, %eax; int $0x80 - and movl $173, %eax; int $0x80 (never executed) */
static const uint8_t retcode[8] = { 0x58, 0xb8, SYS32_sigreturn, 0, 0, 0, 0xcd, 0x80 };
static const uint8_t rt_retcode[8] = { 0xb8, SYS32_rt_sigreturn, 0, 0, 0, 0xcd, 0x80, 0 };

/* The access rights of `sel` as CPL 0 with RPL 3 sees them, or 0 (lar fails: null, past the
   table, a DPL below 3 for anything but conforming code, a system type lar rejects). */
static uint32_t access_rights(uint16_t sel)
{
    uint32_t ar = 0;
    bool ok;
    __asm__("lar %2, %0\n\tsetz %1" : "=r"(ar), "=qm"(ok) : "rm"(sel) : "cc");
    return ok ? ar : 0;
}

/* Would iretq to CPL 3 take `cs` and `ss` (SDM Vol. 2A IRET, return to outer privilege)? */
static bool iret_selectors_ok(uint16_t cs, uint16_t ss)
{
    uint32_t c = access_rights(cs), s = access_rights(ss);
    bool code = (c & (AR_P | AR_S | AR_TYPE_CODE)) == (AR_P | AR_S | AR_TYPE_CODE) &&
                ((c & AR_TYPE_CONF) || (c & AR_DPL3) == AR_DPL3) && (c & (AR_L | AR_DB)) != (AR_L | AR_DB);
    bool stack = (s & (AR_P | AR_S | AR_TYPE_CODE | AR_TYPE_WRITE | AR_DPL3)) == (AR_P | AR_S | AR_TYPE_WRITE | AR_DPL3);
    return code && stack;
}

/* compat_siginfo_t from what signal_siginfo fills for x86-64 (the same fields, 32-bit). */
void signal_siginfo32(int sig, const struct ksiginfo *ki, uint32_t out[32])
{
    struct siginfo s;
    signal_siginfo(sig, ki, &s);
    memset(out, 0, 128);
    out[0] = (uint32_t)s.si_signo;
    out[1] = (uint32_t)s.si_errno;
    out[2] = (uint32_t)s.si_code;
    if (ki->poll) {                                  /* compat SIL_POLL: si_band, si_fd */
        out[3] = (uint32_t)s.u.fault.addr;
        out[4] = (uint32_t)ki->fd;
    } else if (sig == SIGCHLD && ki->code >= CLD_EXITED) {
        out[3] = (uint32_t)s.u.kill.pid;
        out[4] = s.u.kill.uid;
        out[5] = (uint32_t)s.u.kill.status;
        out[6] = (uint32_t)s.u.kill.utime;
        out[7] = (uint32_t)s.u.kill.stime;
    } else if (ki->code <= 0) {
        out[3] = (uint32_t)s.u.rt.pid;
        out[4] = s.u.rt.uid;
        out[5] = (uint32_t)s.u.rt.value;
    } else {
        out[3] = (uint32_t)s.u.fault.addr;
    }
}

/* Linux __unsafe_setup_sigcontext32 */
static void sigcontext32(struct proc *p, const struct trapframe *tf, struct sigcontext32 *sc, uint64_t fpstate,
                         uint64_t mask)
{
    uint16_t seg[NSEGS];
    segs_save(seg);                                  /* the process's own DS ES FS GS, live */
    *sc = (struct sigcontext32){
        .gs = seg[3], .fs = seg[2], .es = seg[1], .ds = seg[0],
        .di = (uint32_t)tf->rdi, .si = (uint32_t)tf->rsi, .bp = (uint32_t)tf->rbp, .sp = (uint32_t)tf->rsp,
        .bx = (uint32_t)tf->rbx, .dx = (uint32_t)tf->rdx, .cx = (uint32_t)tf->rcx, .ax = (uint32_t)tf->rax,
        .trapno = (uint32_t)p->sig.trapno, .err = (uint32_t)p->sig.err, .ip = (uint32_t)tf->rip,
        .cs = (uint16_t)tf->cs, .flags = (uint32_t)tf->rflags, .sp_at_signal = (uint32_t)tf->rsp,
        .ss = (uint16_t)tf->ss, .fpstate = (uint32_t)fpstate, .oldmask = (uint32_t)mask,
        .cr2 = (uint32_t)p->sig.cr2,
    };
}

/*
 * Push the ia32 frame for `sig` (Linux get_sigframe, ia32_setup_frame, ia32_setup_rt_frame)
 * and point `tf` at the handler. Returns 0, or -EFAULT when the frame can't be written
 * (the caller then forces SIGSEGV).
 */
int signal_setup_frame32(struct proc *p, struct trapframe *tf, int sig, const struct k_sigaction *ka,
                         const struct ksiginfo *ki, uint64_t oldmask)
{
    bool rt = ka->flags & SA_SIGINFO;
    uint64_t sp = tf->rsp;
    bool nested = signal_altstack_flags(p, sp) == SS_ONSTACK, entering = false;
    if ((ka->flags & SA_ONSTACK) && signal_altstack_flags(p, sp) == 0) {
        sp = p->sig.altstack_sp + p->sig.altstack_size;
        entering = true;
    }
    uint64_t buf_fx = ALIGN_DOWN(sp - fpu_sigframe_bytes(false), 64);   /* fpu__alloc_mathframe */
    uint64_t fpstate = buf_fx - FREGS_STATE_BYTES;
    uint64_t size = rt ? sizeof(struct rt_sigframe32) : sizeof(struct sigframe32);
    uint64_t frame = ALIGN_DOWN(fpstate - size + 4, FRAME_ALIGN32) - 4;  /* align_sigframe */
    if ((nested || entering) && signal_altstack_flags(p, frame) != SS_ONSTACK)
        return -EFAULT;                                                 /* the alternate stack overflowed */
    if (fpu_sigframe_save(p->pml4, buf_fx, true))
        return -EFAULT;

    struct stack32 uc_stack = { .sp = (uint32_t)p->sig.altstack_sp, .flags = (int32_t)p->sig.altstack_flags,
                                .size = (uint32_t)p->sig.altstack_size };
    if (rt) {
        struct rt_sigframe32 f;
        memset(&f, 0, sizeof f);
        f.pretcode = (uint32_t)((ka->flags & SA_RESTORER) ? ka->restorer
                                                          : vdso32_entry(p->mm->vdso_base, VDSO32_RT_SIGRETURN));
        f.sig = sig;
        f.pinfo = (uint32_t)(frame + __builtin_offsetof(struct rt_sigframe32, info));
        f.puc = (uint32_t)(frame + __builtin_offsetof(struct rt_sigframe32, uc));
        signal_siginfo32(sig, ki, f.info);
        f.uc.uc_flags = fpu_xsave ? UC_FP_XSTATE : 0;
        f.uc.uc_stack = uc_stack;
        sigcontext32(p, tf, &f.uc.uc_mcontext, fpstate, oldmask);
        f.uc.uc_sigmask[0] = (uint32_t)oldmask;
        f.uc.uc_sigmask[1] = (uint32_t)(oldmask >> 32);
        memcpy(f.retcode, rt_retcode, sizeof f.retcode);
        if (copyout(p->pml4, frame, &f, sizeof f))
            return -EFAULT;
        tf->rdx = f.pinfo;
        tf->rcx = f.puc;
    } else {
        struct sigframe32 f;
        memset(&f, 0, sizeof f);
        uint64_t vdso = vdso32_entry(p->mm->vdso_base, VDSO32_SIGRETURN);
        f.pretcode = (uint32_t)((ka->flags & SA_RESTORER) ? ka->restorer
                                : vdso ? vdso : frame + __builtin_offsetof(struct sigframe32, retcode));
        f.sig = sig;
        sigcontext32(p, tf, &f.sc, fpstate, oldmask);
        f.extramask = (uint32_t)(oldmask >> 32);
        memcpy(f.retcode, retcode, sizeof f.retcode);
        if (copyout(p->pml4, frame, &f, sizeof f))
            return -EFAULT;
        tf->rdx = tf->rcx = 0;
    }
    if (p->sig.altstack_flags & SS_AUTODISARM)
        signal_set_altstack(p, &(struct k_stack){ .flags = SS_DISABLE }, 0);

    signal_delivered(p->pid, sig, ka->handler, ki->code, sig == SIGCHLD || ki->poll || ki->code <= 0 ? 0 : ki->addr);
    tf->rax = (uint64_t)sig;
    tf->rip = (uint32_t)ka->handler;
    tf->rsp = frame;
    tf->cs = USER32_CS;
    tf->ss = USER_SS;
    __asm__ volatile("mov %0, %%ds\n\tmov %0, %%es" ::"r"((uint16_t)USER_SS));   /* Linux loadsegment */
    tf->rflags &= ~(uint64_t)(RFLAGS_DF | RFLAGS_TF | RFLAGS_RF);
    fpu_load_init();                                 /* the handler starts with the init state */
    return 0;
}

/* A segment register the handler changed in the frame: loaded with RPL 3 (Linux
   reload_segments), null when it can't be loaded. */
static void reload_segments(const struct sigcontext32 *sc)
{
    uint16_t cur[NSEGS], want[NSEGS] = { (uint16_t)(sc->ds | 3), (uint16_t)(sc->es | 3),
                                         (uint16_t)(sc->fs | 3), (uint16_t)(sc->gs | 3) };
    segs_save(cur);
    bool changed = false;
    for (int i = 0; i < NSEGS; i++) {
        if (want[i] != cur[i]) {
            cur[i] = want[i];
            changed = true;
        }
    }
    if (changed)
        segs_load(cur);                              /* unloadable selectors become null there */
}

/*
 * Linux ia32_restore_sigcontext, on the real frame (the dispatcher hands handlers a copy).
 * Returns false when the frame is bad (SIGSEGV, Linux's badframe).
 */
static bool restore_sigcontext32(struct proc *p, uint64_t usc)
{
    struct trapframe *tf = p->tf;
    struct sigcontext32 sc;
    if (copyin(p->pml4, &sc, usc, sizeof sc))
        return false;
    if (kargs.trace_signal)                            /* kargs.h: off by default */
        kevent("sigreturn pid=%d rip=0x%x rsp=0x%x", p->pid, sc.ip, sc.sp);
    tf->rbx = sc.bx;
    tf->rcx = sc.cx;
    tf->rdx = sc.dx;
    tf->rsi = sc.si;
    tf->rdi = sc.di;
    tf->rbp = sc.bp;
    tf->rax = sc.ax;
    tf->rsp = sc.sp;
    tf->rip = sc.ip;
    tf->rflags = signal_user_rflags(tf->rflags, sc.flags, SIGRETURN_FLAGS);   /* never IOPL, IF stays set */
    uint16_t cs = sc.cs | 3, ss = sc.ss | 3;
    bool seg_ok = iret_selectors_ok(cs, ss);
    tf->cs = seg_ok ? cs : USER32_CS;
    tf->ss = seg_ok ? ss : USER_SS;
    reload_segments(&sc);
    p->sig.restored = p->sig.work = true;            /* iretq, every register from the frame */
    if (!seg_ok)
        signal_force_sigsegv(p);                     /* Linux: iret faults, SIGSEGV */
    return fpu_sigframe_restore(p->pml4, sc.fpstate, true);
}

int64_t sys_sigreturn32(struct trapframe *t)
{
    struct proc *p = myproc();
    uint64_t frame = t->rsp - 8;                     /* the restorer popped the signal number */
    uint32_t oldmask, extramask;
    if (!user_range_ok(frame, sizeof(struct sigframe32)) ||
        copyin(p->pml4, &oldmask, frame + __builtin_offsetof(struct sigframe32, sc.oldmask), 4) ||
        copyin(p->pml4, &extramask, frame + __builtin_offsetof(struct sigframe32, extramask), 4))
        goto bad;
    p->sig.blocked = (oldmask | (uint64_t)extramask << 32) & ~SIG_UNBLOCKABLE;
    if (!restore_sigcontext32(p, frame + __builtin_offsetof(struct sigframe32, sc)))
        goto bad;
    return (int64_t)p->tf->rax;
bad:
    signal_force_sigsegv(p);
    return (int64_t)p->tf->rax;
}

int64_t sys_rt_sigreturn32(struct trapframe *t)
{
    struct proc *p = myproc();
    uint64_t frame = t->rsp - 4;
    uint32_t mask[2];
    struct stack32 ss;
    if (!user_range_ok(frame, sizeof(struct rt_sigframe32)) ||
        copyin(p->pml4, mask, frame + __builtin_offsetof(struct rt_sigframe32, uc.uc_sigmask), sizeof mask))
        goto bad;
    p->sig.blocked = (mask[0] | (uint64_t)mask[1] << 32) & ~SIG_UNBLOCKABLE;
    if (!restore_sigcontext32(p, frame + __builtin_offsetof(struct rt_sigframe32, uc.uc_mcontext)))
        goto bad;
    if (copyin(p->pml4, &ss, frame + __builtin_offsetof(struct rt_sigframe32, uc.uc_stack), sizeof ss))
        goto bad;
    signal_set_altstack(p, &(struct k_stack){ .sp = ss.sp, .flags = ss.flags, .size = ss.size }, p->tf->rsp);
    return (int64_t)p->tf->rax;
bad:
    signal_force_sigsegv(p);
    return (int64_t)p->tf->rax;
}

/* ---- the i386 calls with their compat structures ------------------------------ */

/* struct compat_old_sigaction (sigaction 67): a 32-bit mask of the first 32 signals */
struct old_sigaction32 {
    uint32_t handler, mask, flags, restorer;
};

/* struct compat_sigaction (rt_sigaction 174) */
struct sigaction32 {
    uint32_t handler, flags, restorer, mask[2];
};

int64_t sys_sigaction32(struct trapframe *t)
{
    struct proc *p = myproc();
    struct old_sigaction32 a;
    struct k_sigaction act, old;
    if (t->rsi) {
        if (copyin(p->pml4, &a, t->rsi, sizeof a))
            return -EFAULT;
        act = (struct k_sigaction){ .handler = a.handler, .flags = a.flags, .restorer = a.restorer, .mask = a.mask };
    }
    int r = signal_do_action(p, (int32_t)t->rdi, t->rsi ? &act : NULL, &old, SA_IA32_ABI);
    if (r)
        return r;
    a = (struct old_sigaction32){ .handler = (uint32_t)old.handler, .mask = (uint32_t)old.mask,
                                  .flags = (uint32_t)old.flags, .restorer = (uint32_t)old.restorer };
    return t->rdx && copyout(p->pml4, t->rdx, &a, sizeof a) ? -EFAULT : 0;
}

int64_t sys_rt_sigaction32(struct trapframe *t)
{
    struct proc *p = myproc();
    struct sigaction32 a;
    struct k_sigaction act, old;
    if (t->r10 != SIGSET_BYTES)
        return -EINVAL;
    if (t->rsi) {
        if (copyin(p->pml4, &a, t->rsi, sizeof a))
            return -EFAULT;
        act = (struct k_sigaction){ .handler = a.handler, .flags = a.flags, .restorer = a.restorer,
                                    .mask = a.mask[0] | (uint64_t)a.mask[1] << 32 };
    }
    int r = signal_do_action(p, (int32_t)t->rdi, t->rsi ? &act : NULL, &old, SA_IA32_ABI);
    if (r)
        return r;
    a = (struct sigaction32){ .handler = (uint32_t)old.handler, .flags = (uint32_t)old.flags,
                              .restorer = (uint32_t)old.restorer,
                              .mask = { (uint32_t)old.mask, (uint32_t)(old.mask >> 32) } };
    return t->rdx && copyout(p->pml4, t->rdx, &a, sizeof a) ? -EFAULT : 0;
}

/* sigprocmask (126): compat_old_sigset_t, the first 32 signals; SIG_SETMASK keeps the others
   (Linux compat_sig_setmask replaces the low word only) */
int64_t sys_sigprocmask32(struct trapframe *t)
{
    struct proc *p = myproc();
    uint32_t old = (uint32_t)p->sig.blocked, set;
    if (t->rsi) {
        if (copyin(p->pml4, &set, t->rsi, sizeof set))
            return -EFAULT;
        uint64_t s = set & ~SIG_UNBLOCKABLE;
        switch ((int32_t)t->rdi) {
        case SIG_BLOCK:   p->sig.blocked |= s; break;
        case SIG_UNBLOCK: p->sig.blocked &= ~s; break;
        case SIG_SETMASK: p->sig.blocked = (p->sig.blocked & ~0xffffffffUL) | s; break;
        default:          return -EINVAL;
        }
        p->sig.work = true;                          /* an unblocked pending signal is delivered */
    }
    return t->rdx && copyout(p->pml4, t->rdx, &old, sizeof old) ? -EFAULT : 0;
}

int64_t sys_sigpending32(struct trapframe *t)
{
    struct proc *p = myproc();
    uint32_t set = (uint32_t)((p->sig.pending.set | p->leader->sig.shared.set) & p->sig.blocked);
    return copyout(p->pml4, t->rdi, &set, sizeof set) ? -EFAULT : 0;
}

/* sigsuspend (72): the i386 sys_sigsuspend(int, int, old_sigset_t mask) (CONFIG_OLD_SIGSUSPEND3):
   the mask is the whole new mask, signals 33-64 unblocked (siginitset) */
int64_t sys_sigsuspend32(struct trapframe *t)
{
    struct proc *p = myproc();
    p->sig.saved_mask = p->sig.blocked;
    p->sig.restore_mask = true;
    p->sig.work = true;
    p->sig.blocked = (uint32_t)t->rdx & ~SIG_UNBLOCKABLE;
    signal_wait(p);
    return -ERESTARTNOHAND;
}

/* sigaltstack (186): compat_stack_t (Linux do_compat_sigaltstack) */
int64_t sys_sigaltstack32(struct trapframe *t)
{
    struct proc *p = myproc();
    struct stack32 ss, old = { .sp = (uint32_t)p->sig.altstack_sp, .size = (uint32_t)p->sig.altstack_size,
                               .flags = signal_altstack_flags(p, t->rsp) | (int32_t)(p->sig.altstack_flags & SS_AUTODISARM) };
    int r = 0;
    if (t->rdi) {
        if (copyin(p->pml4, &ss, t->rdi, sizeof ss))
            return -EFAULT;
        r = signal_set_altstack(p, &(struct k_stack){ .sp = ss.sp, .flags = ss.flags, .size = ss.size }, t->rsp);
    }
    if (!r && t->rsi && copyout(p->pml4, t->rsi, &old, sizeof old))
        r = -EFAULT;
    return r;
}
