/*
 * ptrace, as Linux's (kernel/ptrace.c, arch/x86/kernel/ptrace.c, include/uapi/linux/ptrace.h):
 * a tracer thread stops a tracee at its system calls, signals and events, reads and writes
 * its registers, memory and debug registers, and learns of each stop through wait4.
 *
 * Ownership (docs/lifetimes.md): the only link is the tracee's `pt.tracer`, a pointer to the
 * tracing thread's slot. The tracer holds no list: it finds its tracees by scanning the table.
 * The link is cut (ptrace_unlink) by PTRACE_DETACH, by the tracer's own thread_exit before its
 * slot can be freed (ptrace_tracer_exit: every tracee detached, or SIGKILLed with
 * PTRACE_O_EXITKILL), and when the tracer's wait4 has reported the tracee's end. A tracee never
 * outlives the link unreported: an ended tracee stays a zombie (`pt.exit_report`) until the
 * tracer's wait4 or the tracer's exit releases it. After every sleep in a stop the tracee
 * looks at `pt.tracer` again: NULL means it was detached meanwhile.
 */
#pragma once
#include "types.h"
#include "signal.h"

struct proc;
struct trapframe;

/* Requests (include/uapi/linux/ptrace.h, arch/x86/include/uapi/asm/ptrace-abi.h) */
#define PTRACE_TRACEME      0
#define PTRACE_PEEKTEXT     1
#define PTRACE_PEEKDATA     2
#define PTRACE_PEEKUSR      3
#define PTRACE_POKETEXT     4
#define PTRACE_POKEDATA     5
#define PTRACE_POKEUSR      6
#define PTRACE_CONT         7
#define PTRACE_KILL         8
#define PTRACE_SINGLESTEP   9
#define PTRACE_GETREGS      12
#define PTRACE_SETREGS      13
#define PTRACE_GETFPREGS    14
#define PTRACE_SETFPREGS    15
#define PTRACE_ATTACH       16
#define PTRACE_DETACH       17
#define PTRACE_SYSCALL      24
#define PTRACE_GET_THREAD_AREA 25      /* asm/ptrace-abi.h: a TLS entry, the entry number in addr */
#define PTRACE_SET_THREAD_AREA 26
#define PTRACE_ARCH_PRCTL   30
#define PTRACE_SETOPTIONS   0x4200
#define PTRACE_GETEVENTMSG  0x4201
#define PTRACE_GETSIGINFO   0x4202
#define PTRACE_SETSIGINFO   0x4203
#define PTRACE_GETREGSET    0x4204
#define PTRACE_SETREGSET    0x4205
#define PTRACE_SEIZE        0x4206
#define PTRACE_INTERRUPT    0x4207
#define PTRACE_GETSIGMASK   0x420a
#define PTRACE_SETSIGMASK   0x420b

/* PTRACE_SETOPTIONS bits */
#define PTRACE_O_TRACESYSGOOD   0x01       /* syscall stops report SIGTRAP | 0x80 */
#define PTRACE_O_TRACEFORK      0x02
#define PTRACE_O_TRACEVFORK     0x04
#define PTRACE_O_TRACECLONE     0x08
#define PTRACE_O_TRACEEXEC      0x10
#define PTRACE_O_TRACEVFORKDONE 0x20
#define PTRACE_O_TRACEEXIT      0x40
#define PTRACE_O_TRACESECCOMP   0x80       /* accepted; there is no seccomp, so it never fires */
#define PTRACE_O_EXITKILL       0x100000   /* SIGKILL the tracee when the tracer exits */
#define PTRACE_O_SUSPEND_SECCOMP 0x200000  /* -EINVAL: a Linux without CONFIG_SECCOMP */
#define PTRACE_O_MASK           0x3000ff

/* Events: wait4 status bits 16-23 of an event stop */
#define PTRACE_EVENT_FORK   1
#define PTRACE_EVENT_VFORK  2
#define PTRACE_EVENT_CLONE  3
#define PTRACE_EVENT_EXEC   4
#define PTRACE_EVENT_VFORK_DONE 5
#define PTRACE_EVENT_EXIT   6
#define PTRACE_EVENT_STOP   128            /* group stop or PTRACE_INTERRUPT of a seized tracee */

#define PT_SEIZED           0x10000        /* pt.flags: attached by PTRACE_SEIZE (Linux PT_SEIZED) */
#define SYSCALL_STOP_SIGNAL SIGTRAP        /* a syscall stop's signal (| 0x80 with TRACESYSGOOD) */
#define CLD_TRAPPED         4              /* SIGCHLD si_code: a tracee stopped */

/* Sizes of the user ABI (arch/x86/include/asm/user_64.h) */
#define USER_REGS_BYTES     216            /* struct user_regs_struct: 27 words */
#define USER_BYTES          928            /* the kernel's struct user (glibc's lacks the last 2 words) */
#define USER_DEBUGREG       848            /* offsetof(struct user, u_debugreg) */
#define NT_PRSTATUS         1              /* regsets (include/uapi/linux/elf.h) */
#define NT_PRFPREG          2
#define NT_X86_XSTATE       0x202
#define NT_386_IOPERM       0x201      /* the ioperm bitmap (elf.h), read only */

/* Debug registers of one thread as Linux's ptrace keeps them (its perf breakpoints). */
struct debugregs {
    uint64_t addr[4];          /* DR0-DR3 */
    uint8_t len[4];            /* DR7 LEN field of each registered breakpoint (x86 encoding) */
    uint8_t type[4];           /* DR7 R/W field */
    bool registered[4];        /* Linux ptrace_bps[i] != NULL: keeps len/type while disabled */
    bool enabled[4];
    uint64_t dr7;              /* as the tracer last wrote it (Linux ptrace_dr7): read back as is */
    uint64_t virtual_dr6;      /* Linux thread.virtual_dr6: DR6 reads as this ^ DR6_RESERVED */
    uint64_t hw_dr7;           /* DR7 while the thread runs; 0: nothing armed, DR7 left alone */
};

struct ptrace_state {
    struct proc *tracer;       /* the tracing thread, or NULL (the only link, see above) */
    uint32_t flags;            /* PT_SEIZED | PTRACE_O_* */
    bool stopped;              /* in a trace stop: the tracer may read and change it */
    bool report;               /* that stop is not yet reported by the tracer's wait4 */
    int code;                  /* the stop's code (status bits 8-23); the resume signal after it */
    bool exit_report;          /* ended: the tracer's wait4 reports the end before anyone else */
    bool trap_pending;         /* PTRACE_INTERRUPT, a seized new tracee: stop with EVENT_STOP */
    bool syscall;              /* resumed with PTRACE_SYSCALL: stop at system-call entry and exit */
    bool step;                 /* resumed with PTRACE_SINGLESTEP */
    bool forced_tf;            /* RFLAGS.TF is the tracer's, not the program's (Linux TIF_FORCED_TF) */
    bool has_siginfo;          /* the stop has a siginfo (GETSIGINFO; -EINVAL in a group stop) */
    struct siginfo siginfo;
    uint64_t message;          /* PTRACE_GETEVENTMSG */
    struct debugregs dr;
};

/* ptrace.c */
int64_t sys_ptrace(struct trapframe *tf);
bool ptrace_syscall_entry(struct trapframe *tf);
void ptrace_syscall_exit(struct trapframe *tf);
int ptrace_signal(struct proc *p, int sig, struct ksiginfo *info);
void ptrace_trap_stop(struct proc *p);
void ptrace_group_stop(struct proc *p, int sig);
int ptrace_clone(struct proc *child, struct proc *parent, uint64_t flags);
void ptrace_event(int event, uint64_t message);
void ptrace_exec(int old_tid);
void ptrace_exit(struct proc *p, int wstatus);
void ptrace_tracer_exit(struct proc *p);
void ptrace_unlink(struct proc *q);
void ptrace_notify_exit(struct proc *q);
void ptrace_exec_creds(struct proc *p, struct cred *new);
void ptrace_update_work(struct proc *p);

/* ptregs.c: the tracee's registers (word i of struct user_regs_struct) and memory */
#define USER_REGS           27             /* words in struct user_regs_struct */
uint64_t ptregs_get(struct proc *c, int i);
int ptregs_put(struct proc *c, int i, uint64_t v);
int ptregs_copyout(struct proc *c, uint64_t dst, int n);
int ptregs_copyin(struct proc *c, uint64_t src, int n);
int ptregs_set_fp(struct proc *c, uint64_t src);
int64_t ptregs_regset(struct proc *c, bool set, uint64_t type, uint64_t uiov);
int ptrace_access_word(struct proc *c, uint64_t va, uint64_t *word, bool write);

/* debugreg.c: DR0-DR7 of a tracee, checked as Linux's ptrace_set_debugreg */
int debugreg_get(struct proc *p, int n, uint64_t *val);
int debugreg_set(struct proc *p, int n, uint64_t val);
void debugreg_switch_in(struct proc *p);
void debugreg_switch_out(struct proc *p);
bool debugreg_exception(struct trapframe *tf, bool from_user);
void debugreg_flush(struct proc *p);
