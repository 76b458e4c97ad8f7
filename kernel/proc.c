/*
 * Processes and the scheduler. One CPU, and the kernel runs with interrupts
 * off (syscall's FMASK and interrupt gates clear IF), so the only places a
 * process gives up the CPU are sleep(), yield() and exit: no locks needed.
 * Scheduling is round-robin over the process table; the timer interrupt
 * taken in ring 3 calls yield(), so a process spinning in user mode cannot
 * starve the others.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "gdt.h"
#include "ioperm.h"
#include "kargs.h"
#include "msr.h"
#include "percpu.h"
#include "proc.h"
#include "vm.h"
#include "x86.h"

static struct proc procs[NPROC];
static struct proc *initproc;
static int next_pid = 1;

extern void trapret(void);
void swtch(struct context **save, struct context *load);   /* swtch.S */

struct proc *proc_slot(int i)
{
    return i >= 0 && i < NPROC && procs[i].state != P_UNUSED ? &procs[i] : NULL;
}

bool proc_is_init(struct proc *p)
{
    return p == initproc;
}

/* A process slot with a mapped kernel stack, a zeroed trap frame on top and a context that "returns" to trapret. */
static struct proc *proc_alloc(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = &procs[i];
        if (p->state != P_UNUSED)
            continue;
        uint64_t top = kstack_map(i);
        if (!top)
            return NULL;
        memset(p, 0, sizeof *p);
        p->state = P_EMBRYO;
        p->pid = next_pid++;
        p->kstack_top = top;
        p->tf = (struct trapframe *)(top - sizeof(struct trapframe));
        p->context = (struct context *)((uint64_t)p->tf - sizeof(struct context));
        p->context->rip = (uint64_t)trapret;
        *(uint16_t *)&p->fxstate[0] = 0x037f;            /* FCW after fninit */
        *(uint32_t *)&p->fxstate[24] = 0x1f80;           /* MXCSR at reset: all exceptions masked */
        return p;
    }
    return NULL;
}

/* Give back the kernel stack and the slot of a dead (or never started) process. */
static void proc_free(struct proc *p)
{
    if (p->pml4)
        uvm_free(p->pml4);
    kstack_unmap((int)(p - procs));
    ioperm_release((int)(p - procs));
    memset(p, 0, sizeof *p);
    if (kargs.trace_mem)
        kevent("mem free_pages=%lu", kalloc_free_pages());
}

/*
 * Run each runnable process in turn. Switching to p loads its kernel stack
 * (TSS.RSP0 and struct cpu's copy for syscall_entry), its FS base, its user
 * GS base (into IA32_KERNEL_GS_BASE: swapgs on the way to ring 3 makes it
 * live), its page tables, SSE state and I/O permission bitmap (ioperm.c). When p gives up the CPU its FS and
 * GS bases are read back, so a base the program changed itself (a segment
 * load, wrfsbase) survives the switch as on Linux.
 */
noreturn void scheduler(void)
{
    struct cpu *c = mycpu();
    for (;;) {
        bool ran = false;
        for (int i = 0; i < NPROC; i++) {
            struct proc *p = &procs[i];
            if (p->state != P_RUNNABLE)
                continue;
            c->current = p;
            p->state = P_RUNNING;
            c->kstack_top = p->kstack_top;
            c->tss.rsp[0] = p->kstack_top;
            segs_load(p->seg);
            wrmsr(MSR_FS_BASE, p->fs_base);
            wrmsr(MSR_KERNEL_GS_BASE, p->gs_base);
            vm_switch(p->pml4);
            ioperm_switch(i);
            __asm__ volatile("fxrstor %0" ::"m"(p->fxstate));
            swtch(&c->scheduler, p->context);
            __asm__ volatile("fxsave %0" : "=m"(p->fxstate));
            segs_save(p->seg);                     /* ring 3 may have loaded them */
            p->fs_base = rdmsr(MSR_FS_BASE);
            p->gs_base = rdmsr(MSR_KERNEL_GS_BASE);
            vm_switch_kernel();
            c->current = NULL;
            ran = true;
        }
        if (!ran) {
            /* Nothing to run: wait for an interrupt (timer, console input). */
            sti();
            hlt();
            cli();
        }
    }
}

static void sched(void)
{
    swtch(&myproc()->context, mycpu()->scheduler);
}

void yield(void)
{
    myproc()->state = P_RUNNABLE;
    sched();
}

void sleep(void *chan)
{
    struct proc *p = myproc();
    p->chan = chan;
    p->state = P_SLEEPING;
    sched();
    p->chan = NULL;
}

void wakeup(void *chan)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state == P_SLEEPING && procs[i].chan == chan)
            procs[i].state = P_RUNNABLE;
}

/* Create pid 1 from a boot module; it starts when scheduler() runs. */
struct proc *proc_spawn_init(const char *name, const uint8_t *image, size_t size, const char *const *argv)
{
    struct proc *p = proc_alloc();
    if (!p)
        panic("no-proc-for-init");
    int argc = 0;
    while (argv[argc])
        argc++;
    char *envp[] = { "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin:/", "TERM=vt100" };
    int r = exec_image(p, name, image, size, (char *const *)argv, argc, envp, ARRAY_SIZE(envp));
    if (r)
        panic("init-not-loadable name=%s error=%d", name, r);
    p->ofile[0] = file_dup(&console_file);
    p->ofile[1] = file_dup(&console_file);
    p->ofile[2] = file_dup(&console_file);
    p->cwd = inode_get(fs_root());
    p->umask = 022;
    p->state = P_RUNNABLE;
    initproc = p;
    kevent("enter-user pid=%d rip=0x%lx rsp=0x%lx cs=0x%lx ss=0x%lx", p->pid, p->tf->rip, p->tf->rsp, p->tf->cs,
           p->tf->ss);
    return p;
}

/* ---- process lifetime -------------------------------------------------- */

struct proc *proc_find(int pid)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state != P_UNUSED && procs[i].pid == pid)
            return &procs[i];
    return NULL;
}

int proc_fork(void)
{
    struct proc *p = myproc(), *np = proc_alloc();
    if (!np)
        return -EAGAIN;
    np->pml4 = uvm_create();
    if (!np->pml4 || uvm_copy(p->pml4, np->pml4) || ioperm_fork((int)(np - procs))) {
        proc_free(np);
        return -ENOMEM;
    }
    *np->tf = *p->tf;
    __asm__ volatile("fxsave %0" : "=m"(np->fxstate));   /* the parent's live SSE state */
    np->tf->rax = 0;                               /* the child sees fork() == 0 */
    np->brk_start = p->brk_start;
    np->brk = p->brk;
    np->mmap_next = p->mmap_next;
    segs_save(np->seg);                            /* the parent's live selectors */
    np->fs_base = rdmsr(MSR_FS_BASE);             /* the parent's live bases */
    np->gs_base = rdmsr(MSR_KERNEL_GS_BASE);
    signal_fork(np, p);
    for (int i = 0; i < NOFILE; i++)
        if (p->ofile[i])
            np->ofile[i] = file_dup(p->ofile[i]);
    np->cloexec = p->cloexec;
    np->cwd = inode_get(p->cwd);
    np->umask = p->umask;
    memcpy(np->name, p->name, sizeof np->name);
    np->parent = p;
    np->state = P_RUNNABLE;
    return np->pid;
}

/*
 * End the current process with a wait4 status (exit code << 8, or the
 * signal number). Its user memory and files go now; the kernel stack and
 * slot go when the parent reaps it. When init ends, the machine stops.
 */
noreturn void proc_exit(int wstatus)
{
    struct proc *p = myproc();
    int sig = wstatus & 0x7f, code = (wstatus >> 8) & 0xff;
    if (sig)
        kevent("kill pid=%d ppid=%d signal=%d name=%s", p->pid, p->parent ? p->parent->pid : 0, sig,
               signal_name(sig));
    else
        kevent("exit pid=%d ppid=%d status=%d", p->pid, p->parent ? p->parent->pid : 0, code);
    if (p == initproc) {
        int status = sig ? 128 + sig : code;
        kevent("halt status=%d", status);
        machine_exit(status);
    }
    for (int i = 0; i < NOFILE; i++) {
        if (p->ofile[i])
            file_close(p->ofile[i]);
        p->ofile[i] = NULL;
    }
    inode_put(p->cwd);
    p->cwd = NULL;
    vm_switch_kernel();
    uvm_free(p->pml4);
    p->pml4 = NULL;
    for (int i = 0; i < NPROC; i++) {
        if (procs[i].parent == p) {
            procs[i].parent = initproc;
            procs[i].autoreap = false;
            if (procs[i].state == P_ZOMBIE)
                wakeup(initproc);
        }
    }
    p->wstatus = wstatus;
    p->autoreap = signal_autoreap(p->parent);    /* parent ignores SIGCHLD: nobody waits for it */
    p->state = P_ZOMBIE;
    signal_child_exit(p, wstatus);
    wakeup(p->parent);
    sched();
    panic("zombie-ran pid=%d", p->pid);
}

int proc_wait4(int pid, uint64_t ustatus, int options)
{
    struct proc *p = myproc();
    if (options & ~WAIT_KNOWN)
        return -EINVAL;
    for (;;) {
        bool have = false;
        for (int i = 0; i < NPROC; i++) {
            struct proc *q = &procs[i];
            if (q->parent != p || q->state == P_UNUSED || (pid > 0 && q->pid != pid))
                continue;
            if (q->state == P_ZOMBIE && q->autoreap) {
                proc_free(q);                 /* SIGCHLD ignored: reaped, never reported */
                continue;
            }
            have = true;
            int report = 0;                   /* a stop or continue, if the caller asked */
            if ((options & WUNTRACED) && q->sig.stop_report)
                report = (q->sig.stop_report << 8) | 0x7f;
            else if ((options & WCONTINUED) && q->sig.cont_report)
                report = 0xffff;
            if (report) {
                if (ustatus && copyout(p->pml4, ustatus, &report, sizeof report))
                    return -EFAULT;
                q->sig.stop_report = 0;
                q->sig.cont_report = false;
                return q->pid;
            }
            if (q->state != P_ZOMBIE)
                continue;
            int st = q->wstatus, cpid = q->pid;
            if (ustatus && copyout(p->pml4, ustatus, &st, sizeof st))
                return -EFAULT;
            proc_free(q);
            return cpid;
        }
        if (!have)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        if (signal_pending(p))
            return -ERESTARTSYS;              /* -EINTR, or restarted under SA_RESTART */
        sleep(p);
    }
}

/* Processes in the table, zombies included (sysinfo's procs). */
int proc_count(void)
{
    int n = 0;
    for (int i = 0; i < NPROC; i++)
        n += procs[i].state != P_UNUSED;
    return n;
}
