/*
 * Processes and the scheduler. One CPU, and the kernel runs with interrupts
 * off (syscall's FMASK and interrupt gates clear IF), so the only places a
 * process gives up the CPU are sleep(), yield() and exit: no locks needed.
 * Scheduling is round-robin over the process table; the timer interrupt
 * taken in ring 3 calls yield(), so a process spinning in user mode cannot
 * starve the others.
 */
#include "kernel.h"
#include "elf.h"
#include "errno.h"
#include "file.h"
#include "gdt.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "vm.h"
#include "x86.h"

#define WNOHANG 1

static struct proc procs[NPROC];
static struct proc *current;
static struct proc *initproc;
static struct context *sched_context;
static int next_pid = 1;

extern void trapret(void);
extern uint64_t syscall_kstack_top;      /* trapentry.S */
void swtch(struct context **save, struct context *load);
static bool trace_mem;

struct proc *myproc(void)
{
    return current;
}

struct proc *proc_slot(int i)
{
    return i >= 0 && i < NPROC && procs[i].state != P_UNUSED ? &procs[i] : NULL;
}

struct proc *proc_find(int pid)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state != P_UNUSED && procs[i].state != P_EMBRYO && procs[i].pid == pid)
            return &procs[i];
    return NULL;
}

bool proc_is_init(struct proc *p)
{
    return p == initproc;
}

void proc_init(void)
{
    trace_mem = cmdline_has("trace", "mem");
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
    memset(p, 0, sizeof *p);
    if (trace_mem)
        kevent("mem free_pages=%lu", kalloc_free_pages());
}

noreturn void scheduler(void)
{
    for (;;) {
        bool ran = false;
        for (int i = 0; i < NPROC; i++) {
            struct proc *p = &procs[i];
            if (p->state != P_RUNNABLE)
                continue;
            current = p;
            p->state = P_RUNNING;
            tss_set_rsp0(p->kstack_top);
            syscall_kstack_top = p->kstack_top;
            wrmsr(MSR_FS_BASE, p->fs_base);
            vm_switch(p->pml4);
            __asm__ volatile("fxrstor %0" ::"m"(p->fxstate));
            swtch(&sched_context, p->context);
            __asm__ volatile("fxsave %0" : "=m"(p->fxstate));
            vm_switch_kernel();
            current = NULL;
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
    swtch(&current->context, sched_context);
}

void yield(void)
{
    current->state = P_RUNNABLE;
    sched();
}

void sleep(void *chan)
{
    current->chan = chan;
    current->state = P_SLEEPING;
    sched();
    current->chan = NULL;
}

void wakeup(void *chan)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state == P_SLEEPING && procs[i].chan == chan)
            procs[i].state = P_RUNNABLE;
}

/* ---- program images ---------------------------------------------------- */

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/*
 * The System V initial process stack (x86-64 psABI 3.4.1, Figure 3.9):
 * argc, argv[], NULL, envp[], NULL, auxv pairs ending in AT_NULL, then the
 * strings and AT_RANDOM's 16 bytes above. RSP is 16-byte aligned at argc.
 */
static int build_stack(uint64_t *pml4, const struct elf_image *img, char *const *argv, int argc,
                       char *const *envp, int envc, uint64_t *rsp_out)
{
    uint64_t sp = USER_STACK_TOP;
    uint64_t argv_va[MAXARG + 1], envp_va[MAXARG + 1];
    int r;

    for (int i = envc - 1; i >= 0; i--) {
        size_t n = strlen(envp[i]) + 1;
        sp -= n;
        if ((r = copyout(pml4, sp, envp[i], n)))
            return r;
        envp_va[i] = sp;
    }
    for (int i = argc - 1; i >= 0; i--) {
        size_t n = strlen(argv[i]) + 1;
        sp -= n;
        if ((r = copyout(pml4, sp, argv[i], n)))
            return r;
        argv_va[i] = sp;
    }
    uint64_t execfn = argc ? argv_va[0] : 0;
    uint64_t rnd[2] = { rdtsc() * 0x9e3779b97f4a7c15UL, rdtsc() ^ 0x5851f42d4c957f2dUL };
    sp = ALIGN_DOWN(sp - sizeof rnd, 16);
    if ((r = copyout(pml4, sp, rnd, sizeof rnd)))
        return r;
    uint64_t random_va = sp;

    uint64_t auxv[][2] = {
        { AT_PHDR, img->phdr }, { AT_PHENT, sizeof(struct elf64_phdr) }, { AT_PHNUM, img->phnum },
        { AT_PAGESZ, PAGE_SIZE }, { AT_ENTRY, img->entry }, { AT_UID, 0 }, { AT_EUID, 0 }, { AT_GID, 0 },
        { AT_EGID, 0 }, { AT_SECURE, 0 }, { AT_CLKTCK, 100 }, { AT_RANDOM, random_va }, { AT_EXECFN, execfn },
        { AT_NULL, 0 },
    };
    uint64_t words = 1 + (argc + 1) + (envc + 1) + 2 * ARRAY_SIZE(auxv);
    sp -= words * 8;
    sp = ALIGN_DOWN(sp, 16);
    *rsp_out = sp;

    uint64_t w = sp, argc64 = (uint64_t)argc, zero = 0;
    if ((r = copyout(pml4, w, &argc64, 8)))
        return r;
    w += 8;
    if ((r = copyout(pml4, w, argv_va, 8 * argc)) || (r = copyout(pml4, w + 8 * argc, &zero, 8)))
        return r;
    w += 8 * (argc + 1);
    if ((r = copyout(pml4, w, envp_va, 8 * envc)) || (r = copyout(pml4, w + 8 * envc, &zero, 8)))
        return r;
    w += 8 * (envc + 1);
    return copyout(pml4, w, auxv, sizeof auxv);
}

/*
 * Replace the current image of `p` with the ELF in data/size. On failure the
 * old image is untouched. argv/envp strings are in kernel memory.
 */
static int load_image(struct proc *p, const char *name, const uint8_t *data, size_t size, char *const *argv, int argc,
                      char *const *envp, int envc)
{
    struct elf_image img;
    uint64_t sp;
    uint64_t *pml4 = uvm_create();
    if (!pml4)
        return -ENOMEM;
    int r = elf_load(pml4, data, size, &img);
    if (!r)
        r = uvm_map_zeroed(pml4, USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE, USER_STACK_PAGES * PAGE_SIZE,
                           PTE_W | PTE_NX);
    if (!r)
        r = build_stack(pml4, &img, argv, argc, envp, envc, &sp);
    if (r) {
        uvm_free(pml4);
        return r;
    }
    uint64_t *old = p->pml4;
    p->pml4 = pml4;
    if (p == current)
        vm_switch(pml4);
    if (old)
        uvm_free(old);
    p->brk_start = p->brk = img.end;
    p->mmap_next = MMAP_BASE;
    p->fs_base = 0;
    if (p == current)
        wrmsr(MSR_FS_BASE, 0);
    signal_exec(p);
    const char *base = name;
    for (const char *s = name; *s; s++)
        if (*s == '/' && s[1])
            base = s + 1;
    snprintf(p->name, sizeof p->name, "%s", base);

    memset(p->tf, 0, sizeof *p->tf);
    p->tf->rip = img.entry;
    p->tf->rsp = sp;
    p->tf->cs = USER_CS;
    p->tf->ss = USER_SS;
    p->tf->rflags = RFLAGS_IF | RFLAGS_RSV1;
    return 0;
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
    char *envp[] = { "HOME=/", "PATH=/", "TERM=vt100" };
    int r = load_image(p, name, image, size, (char *const *)argv, argc, envp, ARRAY_SIZE(envp));
    if (r)
        panic("init-not-loadable name=%s error=%d", name, r);
    p->ofile[0] = file_dup(&console_file);
    p->ofile[1] = file_dup(&console_file);
    p->ofile[2] = file_dup(&console_file);
    p->state = P_RUNNABLE;
    initproc = p;
    kevent("enter-user pid=%d rip=0x%lx rsp=0x%lx cs=0x%lx ss=0x%lx", p->pid, p->tf->rip, p->tf->rsp, p->tf->cs,
           p->tf->ss);
    return p;
}

int proc_exec(const char *path, char *const *argv, int argc, char *const *envp, int envc)
{
    if (fs_is_root(path))
        return -EACCES;
    int err;
    struct fsfile *f = fs_lookup(path, &err);
    if (!f)
        return err;
    return load_image(current, path, f->data, f->size, argv, argc, envp, envc);
}

/* ---- process lifetime -------------------------------------------------- */

int proc_fork(void)
{
    struct proc *p = current, *np = proc_alloc();
    if (!np)
        return -EAGAIN;
    np->pml4 = uvm_create();
    if (!np->pml4 || uvm_copy(p->pml4, np->pml4)) {
        proc_free(np);
        return -ENOMEM;
    }
    *np->tf = *p->tf;
    __asm__ volatile("fxsave %0" : "=m"(np->fxstate));   /* the parent's live SSE state */
    np->tf->rax = 0;                               /* the child sees fork() == 0 */
    np->brk_start = p->brk_start;
    np->brk = p->brk;
    np->mmap_next = p->mmap_next;
    np->fs_base = p->fs_base;
    signal_fork(np, p);
    for (int i = 0; i < NOFILE; i++)
        if (p->ofile[i])
            np->ofile[i] = file_dup(p->ofile[i]);
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
    struct proc *p = current;
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
    struct proc *p = current;
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

/* Frame-pointer backtrace of the kernel stack, printed raw; the harness symbolizes it. */
void backtrace(uint64_t rbp)
{
    char line[400];
    int n = snprintf(line, sizeof line, "panic-backtrace");
    for (int depth = 0; depth < 16 && rbp >= KERNBASE && rbp % 8 == 0; depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        n += snprintf(line + n, sizeof line - n, " 0x%lx", frame[1]);
        if (frame[0] <= rbp || n >= (int)sizeof line - 24)
            break;
        rbp = frame[0];
    }
    kevent("%s", line);
}
