/*
 * Signals, Linux x86-64 semantics: numbers, sigaction flags, si_code values
 * and the layout of the frame the kernel builds on the user stack before it
 * calls a handler (struct rt_sigframe, arch/x86/include/asm/sigframe.h).
 *
 *   higher addresses
 *   +------------------------------+  interrupted RSP - 128 (red zone skipped),
 *   |                              |  or the top of the alternate stack
 *   | xsave area + FP_XSTATE_MAGIC2|  64-byte aligned: uc_mcontext.fpstate points here
 *   |  (fxsave: 512 bytes)         |  (fpu.h: the layout, sw_reserved)
 *   +------------------------------+
 *   | struct siginfo     (128)     |  frame + 312: RSI at the handler's entry
 *   | struct ucontext    (304)     |  frame + 8:   RDX at the handler's entry
 *   |   uc_sigmask                 |     mask to restore on rt_sigreturn
 *   |   uc_mcontext (sigcontext)   |     registers to restore on rt_sigreturn
 *   |   uc_stack                   |
 *   | pretcode = sa_restorer       |  frame + 0: RSP at the handler's entry, RSP + 8 is
 *   +------------------------------+  16-byte aligned (psABI 3.2.2: as if just called)
 *   lower addresses
 */
#pragma once
#include "types.h"

struct proc;
struct trapframe;

#include "uapi.h"             /* the signal numbers */
#include "fpu.h"              /* the fpstate area a frame carries */

#define SIGSET_BYTES 8           /* sizeof(sigset_t) in the kernel ABI: rt_* sigsetsize */

#define SIGRTMIN_K   32          /* the first real-time signal: these queue, one entry per send */
#define RTQ_MAX      32          /* queued real-time signals per set: RLIMIT_SIGPENDING's ceiling (syslimit.c) */
#define SIGBIT(sig) (1UL << ((sig) - 1))
#define SIG_UNBLOCKABLE (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))

#define SIG_DFL   0UL            /* sa_handler: default action */
#define SIG_IGN   1UL            /* sa_handler: ignore */

/* sa_flags (include/uapi/asm-generic/signal-defs.h, arch/x86/include/uapi/asm/signal.h) */
#define SA_NOCLDSTOP 0x00000001  /* no SIGCHLD when a child stops */
#define SA_NOCLDWAIT 0x00000002  /* children are reaped without wait */
#define SA_SIGINFO   0x00000004  /* three-argument handler */
#define SA_RESTORER  0x04000000  /* sa_restorer is valid (x86-64 needs it) */
#define SA_IA32_ABI  0x02000000  /* kernel-internal: set by the i386 sigaction calls, the handler
                                    gets an ia32 frame (Linux sigaction_compat_abi); never shown */
#define SA_ONSTACK   0x08000000  /* run on the alternate stack */
#define SA_RESTART   0x10000000  /* restart interrupted system calls */
#define SA_NODEFER   0x40000000  /* don't block the signal in its handler */
#define SA_RESETHAND 0x80000000  /* one shot: back to SIG_DFL on delivery */

/* rt_sigprocmask `how` */
#define SIG_BLOCK    0
#define SIG_UNBLOCK  1
#define SIG_SETMASK  2

/* sigaltstack ss_flags */
#define SS_ONSTACK   1           /* (old) currently running on it */
#define SS_DISABLE   2           /* no alternate stack */
#define SS_AUTODISARM (1U << 31) /* flag bit accepted with SS_ONSTACK/0 */
#define MINSIGSTKSZ  2048        /* smallest alternate stack accepted (-ENOMEM below) */

/* si_code values (include/uapi/asm-generic/siginfo.h) */
#define SI_USER      0           /* kill() */
#define SI_KERNEL    0x80        /* sent by the kernel (#GP, int3, itimer) */
#define SI_TKILL     (-6)        /* tkill() / tgkill() */
#define SI_QUEUE     (-1)        /* sigqueue() (rt_sigqueueinfo) */
#define SI_TIMER     (-2)        /* a POSIX timer expired (ptimer.c): si_timerid, si_overrun, si_value */
#define ILL_ILLOPN   2           /* illegal operand (#UD) */
#define FPE_INTDIV   1           /* integer divide by zero (#DE) */
#define FPE_FLTINV   7           /* invalid floating-point operation (#XM, #MF) */
#define SEGV_MAPERR  1           /* address not mapped */
#define SEGV_ACCERR  2           /* mapped, access not allowed */
#define BUS_ADRALN   1           /* misaligned address (#AC) */
#define BUS_ADRERR   2           /* no such physical address: a mapped file's page past its end */
#define TRAP_BRKPT   1           /* breakpoint */
#define TRAP_TRACE   2           /* single step (#DB with DR6.BS) */
#define CLD_EXITED   1           /* SIGCHLD: child called exit */
#define CLD_KILLED   2           /* SIGCHLD: child killed by a signal */
#define CLD_DUMPED   3           /* SIGCHLD: child killed, would have dumped core */
#define CLD_STOPPED  5           /* SIGCHLD: child stopped */
#define CLD_CONTINUED 6          /* SIGCHLD: stopped child continued */

/* RFLAGS bits a user-supplied value sets (signal_user_rflags): rt_sigreturn's frame takes these
   (Linux FIX_EFLAGS): never IF, IOPL, NT, VM; the others keep their value at the rt_sigreturn
   call (NT included: Linux keeps a user's NT; the kernel's own iretq runs with NT clear, masked
   by FMASK, so it cannot fault on it). A tracer's registers take NT too (ptrace FLAG_MASK). */
#define SIGRETURN_FLAGS ((1 << 18) /* AC */ | (1 << 11) /* OF */ | (1 << 10) /* DF */ | (1 << 8) /* TF */ | \
                         (1 << 7) /* SF */ | (1 << 6) /* ZF */ | (1 << 4) /* AF */ | (1 << 2) /* PF */ | \
                         (1 << 0) /* CF */ | (1 << 16) /* RF */)
#define PTRACE_FLAGS    (SIGRETURN_FLAGS | (1 << 14) /* NT */)

/* Internal system-call results that never reach ring 3 (include/linux/errno.h). */
#define ERESTARTSYS     512      /* restart if the handler has SA_RESTART, else -EINTR */
#define ERESTARTNOINTR  513      /* always restart */
#define ERESTARTNOHAND  514      /* restart only if no handler ran, else -EINTR */

/* struct sigaction as the rt_sigaction system call takes it (kernel ABI, 32 bytes) */
struct k_sigaction {
    /*  0 */ uint64_t handler;
    /*  8 */ uint64_t flags;
    /* 16 */ uint64_t restorer;
    /* 24 */ uint64_t mask;
};
_Static_assert(sizeof(struct k_sigaction) == 32, "struct sigaction is 32 bytes on x86-64");

/* stack_t (include/uapi/asm-generic/signal.h) */
struct k_stack {
    /*  0 */ uint64_t sp;
    /*  8 */ int32_t flags;
    /* 12 */ int32_t pad;
    /* 16 */ uint64_t size;
};
_Static_assert(sizeof(struct k_stack) == 24, "stack_t is 24 bytes");

/* struct sigcontext, 64-bit (arch/x86/include/uapi/asm/sigcontext.h): uc_mcontext */
struct sigcontext {
    /*   0 */ uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
    /*  64 */ uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp;
    /* 128 */ uint64_t rip;
    /* 136 */ uint64_t rflags;
    /* 144 */ uint16_t cs, gs, fs, ss;
    /* 152 */ uint64_t err;         /* error code of the fault that raised the signal */
    /* 160 */ uint64_t trapno;      /* its vector */
    /* 168 */ uint64_t oldmask;     /* first word of the blocked mask */
    /* 176 */ uint64_t cr2;         /* faulting address of a #PF */
    /* 184 */ uint64_t fpstate;     /* user address of the fxsave area, 0 if none */
    /* 192 */ uint64_t reserved1[8];
};
_Static_assert(sizeof(struct sigcontext) == 256, "struct sigcontext is 256 bytes");

/* uc_flags bits (arch/x86/include/uapi/asm/ucontext.h) */
#define UC_FP_XSTATE         0x1 /* fpstate is an xsave area (the CPU has XSAVE) */
#define UC_SIGCONTEXT_SS     0x2 /* sigcontext.ss is meaningful */
#define UC_STRICT_RESTORE_SS 0x4 /* rt_sigreturn restores that SS */

struct ucontext {
    /*   0 */ uint64_t uc_flags;
    /*   8 */ uint64_t uc_link;
    /*  16 */ struct k_stack uc_stack;
    /*  40 */ struct sigcontext uc_mcontext;
    /* 296 */ uint64_t uc_sigmask;
};
_Static_assert(sizeof(struct ucontext) == 304, "struct ucontext is 304 bytes on x86-64");

/* siginfo_t: 128 bytes; the union starts at 16 (include/uapi/asm-generic/siginfo.h) */
struct siginfo {
    /*  0 */ int32_t si_signo;
    /*  4 */ int32_t si_errno;
    /*  8 */ int32_t si_code;
    /* 12 */ int32_t pad0;
    union {
        struct { int32_t pid; uint32_t uid; int32_t status; int32_t pad; int64_t utime, stime; } kill;
        struct { uint64_t addr; } fault;
        struct { int32_t pid; uint32_t uid; uint64_t value; } rt;   /* SI_QUEUE: si_value */
        uint8_t bytes[112];
    } u;                             /* 16: si_pid/si_uid/si_status, or si_addr */
};
_Static_assert(sizeof(struct siginfo) == 128, "siginfo_t is 128 bytes");

struct rt_sigframe {
    /*   0 */ uint64_t pretcode;     /* sa_restorer: where the handler's ret goes */
    /*   8 */ struct ucontext uc;
    /* 312 */ struct siginfo info;
};
_Static_assert(sizeof(struct rt_sigframe) == 440, "struct rt_sigframe is 440 bytes on x86-64");
_Static_assert(__builtin_offsetof(struct rt_sigframe, info) == 312, "siginfo follows the ucontext");


/* What the kernel remembers about one pending signal (the rest of siginfo is derived). */
struct ksiginfo {
    int32_t code;
    int32_t pid;
    uint32_t uid;                     /* si_uid: the sender's real uid (SIGCHLD: the child's) */
    int32_t status;
    uint64_t addr;
    uint64_t value;                   /* si_value of sigqueue() */
    int32_t fd;                       /* poll: SIGIO's si_fd (fasync.c), with si_band in addr */
    bool poll;                        /* the poll layout (Linux SIL_POLL): si_band, si_fd */
    int32_t timer;                    /* a POSIX timer's signal: 1 + its slot (ptimer.c), 0 for any other;
                                         SI_TIMER's si_timerid is in pid, si_overrun in uid */
    uint32_t timer_seq;               /* the timer's setting it was sent for */
};

/* A set of pending signals with what each was sent with (Linux struct sigpending). */
struct sigqueue {
    uint64_t set;                     /* bit sig-1: pending */
    struct ksiginfo info[NSIG];       /* for each pending standard signal */
    struct { int sig; struct ksiginfo info; } rtq[RTQ_MAX];   /* real-time ones, in order sent */
    int rtq_len;
    uint64_t entry;                   /* bit sig-1: a standard signal pending with a queue entry (one
                                         RLIMIT_SIGPENDING counts); without, its info was lost (SI_USER) */
};

/* Resource limits (Linux struct rlimit64, include/uapi/asm-generic/resource.h numbers). */
#define RLIM_NLIMITS 16
#define RLIMIT_CPU_K        0
#define RLIMIT_FSIZE_K      1
#define RLIMIT_DATA_K       2
#define RLIMIT_STACK_K      3
#define RLIMIT_NPROC_K      6
#define RLIMIT_NOFILE_K     7
#define RLIMIT_MEMLOCK_K    8
#define RLIMIT_AS_K         9
#define RLIMIT_SIGPENDING_K 11
struct rlimit64 {
    uint64_t cur, max;
};

/*
 * The handlers (Linux struct sighand_struct): shared by the threads of a
 * group and by CLONE_SIGHAND processes, refcounted in a static table of NPROC.
 */
struct sighand {
    int refs;                         /* 0: a free slot */
    struct k_sigaction action[NSIG];  /* index = signal number */
};

/*
 * Per-thread signal state, inside struct proc. The mask, the thread-directed
 * pending set and the alternate stack are each thread's own; the
 * process-directed pending set (Linux signal->shared_pending), the group
 * stop and ITIMER_REAL are the group's, kept in its leader.
 */
struct sigstate {
    uint64_t blocked;                 /* mask: bit sig-1 */
    uint64_t real_blocked;            /* during rt_sigtimedwait: the mask before it (Linux's) */
    struct sigqueue pending;          /* thread-directed: tkill, tgkill, faults, SIGPIPE */
    struct sigqueue shared;           /* leader only: kill, SIGCHLD, SIGALRM, the console */
    uint64_t saved_mask;              /* rt_sigsuspend: the mask to restore after delivery */
    bool restore_mask;
    bool restored;                    /* rt_sigreturn rewrote the frame: return with iretq */
    bool work;                        /* signal_return() has something to do (see syscall.c) */
    bool stop_pending;                /* the group is stopping: stop on the way to ring 3 */
    bool stopped;                     /* this thread sleeps in a group stop until SIGCONT */
    int group_stop_count;             /* leader only: threads still to stop (Linux group_stop_count) */
    int group_stop_sig;               /* leader only: the stop signal while stopping or stopped */
    bool group_stopped;               /* leader only: every thread stopped (SIGNAL_STOP_STOPPED) */
    int stop_report;                  /* leader only: a stop (its signal) wait4(WUNTRACED) has not reported */
    bool cont_report;                 /* leader only: a continue wait4(WCONTINUED) has not reported */
    uint64_t altstack_sp, altstack_size;
    uint32_t altstack_flags;          /* SS_AUTODISARM as given to sigaltstack */
    uint64_t trapno, err, cr2;        /* the last fault that became a signal (uc_mcontext) */
    uint64_t alarm_tick;              /* leader only: ITIMER_REAL tick at which SIGALRM fires, 0 = off */
    uint64_t alarm_interval;          /* its reload value in ticks, 0 = one shot */
    struct rlimit64 rlim[RLIM_NLIMITS]; /* leader only: resource limits (Linux keeps them in signal_struct
                                           too), fork copies them, execve keeps them (syslimit.c) */
    uint64_t cpu_ticks;               /* leader only: timer ticks that found a thread of the group
                                         on the CPU (RLIMIT_CPU; 0 in a new group, kept by execve) */
};

/* Default actions (signal(7)): what signal_default_action() returns */
enum sigact { SIGACT_TERM, SIGACT_CORE, SIGACT_IGN, SIGACT_STOP };

/* sigsend.c: pending sets, sending, group stop, handler tables */
int signal_send(struct proc *p, int sig, int code, int sender);
int signal_queue(struct proc *p, int sig, const struct ksiginfo *info, int sender);
int signal_send_group(struct proc *q, int sig, int code, int sender);
int signal_queue_group(struct proc *q, int sig, const struct ksiginfo *info, int sender);
void signal_thread_exit(struct proc *p);
struct sighand *sighand_new(void);
struct sighand *sighand_copy(const struct sighand *from);
struct sighand *sighand_get(struct sighand *sh);
void sighand_put(struct sighand *sh);
void signal_flush(struct proc *p, int sig);
bool signal_pending(struct proc *p);
int signal_dequeue(struct proc *p, uint64_t set, struct ksiginfo *info);
bool signal_from_group(struct proc *p, int sender);
void signal_group_stop(struct proc *p, int sig);
void signal_notify_parent(struct proc *child, int code, int status);
void signal_tick(void);
bool signal_queue_timer(struct proc *t, bool thread, int sig, const struct ksiginfo *info);
uint64_t signal_queued_count(void);

/* ptimer.c: POSIX timers */
uint64_t ptimer_count(void);
bool ptimer_taken(struct ksiginfo *info);
void ptimer_tick(void);
void ptimer_exit(int leader_pid);

/* signal.c: faults, delivery, fork/exec */
int signal_default_action(int sig);
void signal_fault(struct trapframe *tf);
int signal_return(struct trapframe *tf, int64_t syscall_nr);
void signal_syscall_exit(struct trapframe *tf);
void signal_siginfo(int sig, const struct ksiginfo *ki, struct siginfo *out);
void signal_siginfo32(int sig, const struct ksiginfo *ki, uint32_t out[32]);   /* signal32.c: compat_siginfo_t */
void signal_fork(struct proc *child, struct proc *parent, uint64_t flags);
void signal_exec(struct proc *p);
void signal_child_exit(struct proc *child, int wstatus);
const char *signal_name(int sig);
void signal_force_sigsegv(struct proc *p);
void signal_force_trap(struct proc *p, int code, uint64_t addr);
uint64_t signal_user_rflags(uint64_t cur, uint64_t want, uint64_t mask);
bool signal_fx_valid(const uint8_t fx[FXSAVE_BYTES]);
void signal_force_segv_at(struct proc *p, uint64_t addr);
void signal_delivered(int pid, int sig, uint64_t handler, int code, uint64_t addr);
int signal_altstack_flags(struct proc *p, uint64_t sp);
int signal_set_altstack(struct proc *p, const struct k_stack *ss, uint64_t sp);
int signal_do_action(struct proc *p, int64_t sig, const struct k_sigaction *act, struct k_sigaction *old,
                     uint64_t abi);                  /* syssignal.c: rt_sigaction's core */
void signal_wait(struct proc *p);                    /* syssignal.c: sleep until a signal is deliverable */

/* signal32.c: ia32 frames for handlers the i386 calls installed */
int signal_setup_frame32(struct proc *p, struct trapframe *tf, int sig, const struct k_sigaction *ka,
                         const struct ksiginfo *ki, uint64_t oldmask);
bool signal_autoreap(struct proc *parent);

/* syslimit.c */
void rlimit_init(struct rlimit64 *rlim);                 /* pid 1's: the defaults */
uint64_t rlimit_cur(const struct proc *p, int resource); /* p's group's soft limit */
void rlimit_cpu_tick(struct proc *p);                     /* a tick charged to p: RLIMIT_CPU */
struct mm;
int vm_may_expand(const struct mm *mm, uint64_t pte_flags, uint64_t bytes, uint64_t over,
                  uint64_t over_len);                    /* RLIMIT_AS, RLIMIT_DATA: 0 or -ENOMEM */
bool brk_over_rlimit(const struct mm *mm, uint64_t brk);  /* RLIMIT_DATA for a new break */
bool exec_over_rlimit(const struct proc *p);                 /* RLIMIT_AS for a new image */
int vm_may_write(const struct mm *mm, uint64_t start, uint64_t len);   /* mprotect: RLIMIT_DATA */
uint64_t vm_locked_pages(const struct mm *mm);            /* mlock.c: Linux's locked_vm */
int mlock_may_grow(const struct mm *mm, uint64_t bytes);  /* RLIMIT_MEMLOCK: 0 or -EAGAIN */
int mlock_new_mapping(const struct mm *mm, bool map_locked, uint64_t *pte_bit);   /* 0 or -EPERM */
uint64_t rlimit_stack_len(const struct proc *p, uint64_t need, uint64_t want);   /* execve's stack */
