/* Processes: one kernel stack, one address space (PML4) and one trap frame each. */
#pragma once
#include "types.h"
#include "percpu.h"
#include "trap.h"
#include "uapi.h"
#include "signal.h"

#define NPROC     64             /* process table size */
#define NOFILE    64             /* open files per process (RLIMIT_NOFILE) */
#define MAXARG    32             /* argv/envp entries accepted by execve */
#define ARGBUF    4096           /* total bytes of argv + envp strings */
#define KPATH_MAX 256            /* path buffer of open/stat/execve: longer is -ENAMETOOLONG */
#define TIMER_HZ  100            /* timer ticks per second */

enum procstate { P_UNUSED, P_EMBRYO, P_SLEEPING, P_RUNNABLE, P_RUNNING, P_ZOMBIE };

/* Callee-saved registers swtch() saves on the kernel stack (trapentry.S order). */
struct context {
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t rip;              /* swtch's return address */
};

struct file;
struct inode;

struct proc {
    int pid;
    enum procstate state;
    struct proc *parent;
    uint64_t *pml4;            /* this process's page tables (kernel virtual address) */
    uint64_t kstack_top;       /* TSS.RSP0 and syscall stack while this process runs */
    struct context *context;   /* saved by swtch() when switched out */
    struct trapframe *tf;      /* user registers, at the top of the kernel stack */
    uint64_t brk_start, brk;   /* heap: [brk_start, brk) mapped */
    uint64_t mmap_next;        /* next free address in the mmap region */
    uint64_t fs_base;          /* user FS base (arch_prctl ARCH_SET_FS), saved when switched out */
    uint64_t gs_base;          /* user GS base (arch_prctl ARCH_SET_GS), saved when switched out */
    uint16_t seg[3];           /* DS, ES, FS selectors ring 3 loaded: 0 at exec, kept per process */
    uint64_t clear_child_tid;  /* set_tid_address */
    int wstatus;               /* wait4 status encoding: exit code << 8, or signal */
    bool autoreap;             /* zombie whose parent ignores SIGCHLD: freed, never reported */
    void *chan;                /* what a sleeping process waits for */
    struct file *ofile[NOFILE];
    uint64_t cloexec;          /* bit fd: close ofile[fd] on execve (FD_CLOEXEC) */
    struct inode *cwd;         /* working directory (holds a reference) */
    uint32_t umask;            /* file mode creation mask */
    char name[32];
    struct sigstate sig;       /* handlers, blocked/pending sets, alternate stack, ITIMER_REAL */
    uint8_t fxstate[512] __attribute__((aligned(16)));   /* user x87/SSE state (fxsave) */
};

noreturn void scheduler(void);
void yield(void);
void sleep(void *chan);
void wakeup(void *chan);
struct proc *proc_spawn_init(const char *name, const uint8_t *image, size_t size, const char *const *argv);
noreturn void proc_exit(int wstatus);
int proc_fork(void);
struct proc *proc_find(int pid);
int proc_wait4(int pid, uint64_t ustatus, int options);
struct proc *proc_slot(int i);
bool proc_is_init(struct proc *p);
int proc_count(void);

/* exec.c */
int exec_image(struct proc *p, const char *name, const uint8_t *data, size_t size, char *const *argv, int argc,
               char *const *envp, int envc);
int proc_exec(const char *path, char *const *argv, int argc, char *const *envp, int envc);

/* timer.c / pic.c */
void pic_init(void);
void pic_eoi(uint64_t vector);
void pic_unmask(int irq);
void timer_init(void);
void timer_intr(void);
extern volatile uint64_t ticks;
