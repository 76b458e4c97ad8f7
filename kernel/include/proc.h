/* Threads (struct proc): one kernel stack and trap frame each; address space, files and fs info as thread.h shares them. */
#pragma once
#include "types.h"
#include "percpu.h"
#include "trap.h"
#include "uapi.h"
#include "signal.h"
#include "thread.h"
#include "cred.h"
#include "ptrace.h"
#include "rseq.h"

#define NPROC     64             /* process table size */
#define TIMER_HZ  100            /* timer ticks per second */

/* P_ZOMBIE: a group leader waiting for wait4; P_DEAD: an ended thread (or a group nobody waits
   for: its parent ignores SIGCHLD) whose slot the scheduler frees. */
enum procstate { P_UNUSED, P_EMBRYO, P_SLEEPING, P_RUNNABLE, P_RUNNING, P_ZOMBIE, P_DEAD };

/* Callee-saved registers swtch() saves on the kernel stack (trapentry.S order). */
struct context {
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t rip;              /* swtch's return address */
};

struct file;
struct inode;
struct mm;                     /* thread.h: what CLONE_VM, CLONE_FILES and CLONE_FS share */
struct files;
struct fsinfo;

/*
 * One thread. A process is a thread group: the threads with the same tgid
 * (getpid), led by the thread whose pid (its tid, gettid) equals it. The
 * leader's slot lives until the whole group has ended, so `leader` is always
 * valid; wait4 reports a group when its leader is a zombie and no thread runs.
 */
struct proc {
    int pid;                   /* thread id (gettid); the leader's is the process id */
    enum procstate state;
    struct proc *parent;
    uint64_t *pml4;            /* mm->pml4, the page tables (kernel virtual address) */
    uint64_t kstack_top;       /* TSS.RSP0 and syscall stack while this process runs */
    struct context *context;   /* saved by swtch() when switched out */
    struct trapframe *tf;      /* user registers, at the top of the kernel stack */
    uint64_t fs_base;          /* user FS base (arch_prctl ARCH_SET_FS), saved when switched out */
    uint64_t gs_base;          /* user GS base (arch_prctl ARCH_SET_GS), saved when switched out */
    uint16_t seg[4];           /* DS, ES, FS, GS selectors ring 3 loaded (gdt.h NSEGS): 0 at exec */
    uint64_t tls[3];           /* set_thread_area's GDT descriptors (gdt.h TLS_ENTRIES): copied by
                                  fork and clone, zero at exec, loaded by the scheduler (tls.c) */
    uint64_t clear_child_tid;  /* set_tid_address */
    int wstatus;               /* wait4 status encoding: exit code << 8, or signal */
    bool dethreaded;           /* SIGKILLed by a sibling's execve: ends this thread only */
    void *chan;                /* what a sleeping process waits for */
    char name[32];
    struct sigstate sig;       /* blocked/pending sets, alternate stack; the group's pending set, stop, ITIMER_REAL */
    struct sighand *sighand;   /* the handlers (shared by CLONE_SIGHAND, so by every thread of a group) */
    void *xstate;              /* user x87/SSE/AVX state when switched out (fpu.h): the slot's own
                                  page (fpu_area), reset by proc_alloc */
    int tgid;                  /* thread group (getpid) */
    struct proc *leader;       /* the group's leader (itself for a single-threaded process) */
    int nthreads;              /* leader only: threads of the group not yet ended */
    bool group_exiting;        /* leader only: exit_group or a fatal signal ends every thread */
    int group_wstatus;         /* leader only: the group's wait4 status once group_exiting */
    struct mm *mm;             /* address space, brk and mmap hint (shared by CLONE_VM) */
    struct files *files;       /* descriptor table (shared by CLONE_FILES) */
    struct fsinfo *fs;         /* working directory and umask (shared by CLONE_FS) */
    uint64_t robust_list;      /* set_robust_list head (user address), 0 if none */
    uint64_t robust_list32;    /* the i386 set_robust_list's (compat_robust_list_head), 0 if none */
    struct proc *vfork_parent; /* CLONE_VFORK: sleeps until this thread execs or ends */
    struct cred cred;          /* ids, groups, capabilities: per thread, by value, copied by clone (cred.h) */
    struct kcov *kcov;         /* the kcov object this thread traces into (holds a reference), or NULL */
    int pgid;                  /* leader only: process group (jobctl.c), inherited by fork */
    int sid;                   /* leader only: session (jobctl.c), inherited by fork */
    bool ctty;                 /* leader only: the console is its controlling terminal (jobctl.c) */
    bool did_exec;             /* leader only: has exec'd since fork (setpgid's EACCES) */
    uint64_t utime, stime;     /* timer ticks that found it in ring 3 / in the kernel (/proc/PID/stat) */
    uint64_t start_ticks;      /* `ticks` when it was created (/proc/PID/stat starttime) */
    int pdeathsig;             /* prctl PR_SET_PDEATHSIG: sent when the parent thread ends; 0 none */
    bool no_new_privs;         /* prctl PR_SET_NO_NEW_PRIVS: execve grants no ids or capabilities */
    bool syscall_work;         /* syscall_dispatch's slow path: crash=/trace=syscall hooks, or a tracer's
                                  syscall stops or single step (ptrace_update_work) */
    struct ptrace_state pt;    /* its tracer, stops, debug registers (ptrace.h: the link's owner rules) */
    struct rseq_reg rseq;      /* rseq(2)'s registration and pending work (rseq.h, rseq.c) */
    int parent_tid;            /* leader only: the thread of `parent`'s group whose child it is (Linux
                                  real_parent: the forking thread, then a live sibling of it): __WNOTHREAD */
};

noreturn void scheduler(void);
void yield(void);
void sleep(void *chan);
void wakeup(void *chan);
struct proc *proc_spawn_init(const char *name, const uint8_t *image, size_t size, const char *const *argv);
noreturn void proc_exit(int wstatus);         /* exit_group: every thread of the group */
noreturn void thread_exit(int wstatus);       /* exit: this thread only */
void proc_wake(struct proc *p);
/* An i386 clone's CLONE_SETTLS: the child's TLS entry `idx` (GDT entry number) gets `desc` (tls.c). */
struct clone_tls32 {
    int idx;
    uint64_t desc;
    uint32_t base;             /* the descriptor's base */
};
int tls_clone_desc(uint64_t uinfo, struct clone_tls32 *out);   /* tls.c */
int64_t tls_get_entry(const struct proc *p, int64_t idx, uint64_t uinfo);   /* PTRACE_GET_THREAD_AREA (tls.c) */
int64_t tls_set_stopped(struct proc *p, int64_t idx, uint64_t uinfo);       /* PTRACE_SET_THREAD_AREA (tls.c) */
int proc_clone(uint64_t flags, uint64_t stack, uint64_t tls, uint64_t ptid, uint64_t ctid,
               const struct clone_tls32 *tls32);
int proc_dethread(void);
void proc_vfork_release(struct proc *p);
int proc_fork(void);
struct proc *proc_find(int pid);
int proc_wait4(int pid, uint64_t ustatus, int options);
struct proc *proc_slot(int i);
int proc_index(const struct proc *p);      /* proc_slot's inverse */
bool proc_is_init(struct proc *p);
bool fatal_pending(struct proc *p);
struct proc *proc_next_thread(struct proc *leader, struct proc *after);
void proc_first_run(void);
int proc_count(void);
void proc_traced_release(struct proc *q);
bool proc_alive(const struct proc *q);

/* exec.c */
struct exec_args;             /* execargs.h: argv and envp staged by execve */
struct cred;
int exec_image(struct proc *p, const char *name, const uint8_t *data, size_t size, const struct exec_args *args,
               const struct cred *cred, bool secure, struct inode *exe, const char *exe_path);
int proc_exec(const char *path, const struct exec_args *args);

/* timer.c / pic.c */
void pic_init(void);
void pic_eoi(uint64_t vector);
void pic_unmask(int irq);
void timer_init(void);
void timer_intr(void);
extern volatile uint64_t ticks;
extern uint64_t idle_ticks;                 /* ticks that found the scheduler idle (/proc/uptime) */
void timer_account(const struct trapframe *tf);
