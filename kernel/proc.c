/*
 * Processes and the scheduler. One CPU, and the kernel runs with interrupts
 * off (syscall's FMASK and interrupt gates clear IF), so the only places a
 * process gives up the CPU are sleep(), yield() and exit: no locks needed.
 * Scheduling is round-robin over the process table; the timer interrupt
 * taken in ring 3 calls yield(), so a process spinning in user mode cannot
 * starve the others. Each slot is a thread; a process is the thread group
 * of its leader (struct proc in proc.h), and the second half of this file
 * is the life of threads and groups: clone, exit, exit_group, wait4, kill.
 */
#include "kernel.h"
#include "errno.h"
#include "execargs.h"
#include "file.h"
#include "fpu.h"
#include "fsgs.h"
#include "gdt.h"
#include "ioperm.h"
#include "ipc.h"
#include "kargs.h"
#include "jobctl.h"
#include "kcov.h"
#include "ldt.h"
#include "msr.h"
#include "percpu.h"
#include "proc.h"
#include "ptrace.h"
#include "rseq.h"
#include "sanitize.h"
#include "vm.h"
#include "x86.h"

static struct proc procs[NPROC];
static struct proc *initproc;
static int next_pid = 1;

extern void forkret(void);   /* trapentry.S: proc_first_run, then trapret */
void swtch(struct context **save, struct context *load);   /* swtch.S */

struct proc *proc_slot(int i)
{
    return i >= 0 && i < NPROC && procs[i].state != P_UNUSED ? &procs[i] : NULL;
}

/* proc_slot's inverse: p's index in the table (per-slot state: ioperm's bitmaps). */
int proc_index(const struct proc *p)
{
    return (int)(p - procs);
}

/* Is p a thread of pid 1's group? */
bool proc_is_init(struct proc *p)
{
    SAN_LIVE(SAN_PROC, p - procs, p->state != P_UNUSED);
    return p->leader == initproc;
}

/* A SIGKILL is pending: the thread is about to end (exit_group, a fatal signal, a sibling's execve). */
bool fatal_pending(struct proc *p)
{
    SAN_LIVE(SAN_PROC, p - procs, p->state != P_UNUSED);
    return p->sig.pending.set & SIGBIT(SIGKILL);
}

/* A process slot with a mapped kernel stack, a zeroed trap frame on top and a context that "returns" to forkret. */
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
        p->xstate = fpu_area(i);                   /* the slot's FPU area, in its init state */
        p->state = P_EMBRYO;
        p->pid = p->tgid = next_pid++;
        p->leader = p;
        p->nthreads = 1;
        p->start_ticks = ticks;
        p->kstack_top = top;
        p->tf = (struct trapframe *)(top - sizeof(struct trapframe));
        p->context = (struct context *)((uint64_t)p->tf - sizeof(struct context));
        p->context->rip = (uint64_t)forkret;
        p->syscall_work = kargs.syscall_hooks;   /* crash= and trace=syscall: every thread's slow path */
        return p;
    }
    return NULL;
}

/* forkret's C half: a thread killed before its first run never reaches ring 3. */
void proc_first_run(void)
{
    struct proc *p = myproc();
    kcov_off_exit();                               /* as at sched()'s return */
    if (fatal_pending(p))
        proc_exit(SIGKILL);
    if (p->sig.work)                               /* a traced child's SIGSTOP: it stops before its first
                                                      instruction, as Linux's ret_from_fork */
        signal_return(p->tf, -1);
}

/* Give back the kernel stack and the slot of a dead (or never started) thread, and what it still holds. */
static void proc_free(struct proc *p)
{
    SAN_LIVE(SAN_PROC, p - procs, p->state != P_UNUSED);
    if (p->mm)
        mm_put(p->mm);
    if (p->files)
        files_put(p->files);
    if (p->fs)
        fsinfo_put(p->fs);
    if (p->sighand)
        sighand_put(p->sighand);
    kstack_unmap((int)(p - procs));
    ioperm_release((int)(p - procs));
    memset(p, 0, sizeof *p);
    SAN_FREED(SAN_PROC, p - procs, p, state);
    if (kargs.trace_mem)
        kevent("mem free_pages=%lu", kalloc_free_pages());
}

/*
 * Run each runnable process in turn. Switching to p loads its kernel stack
 * (TSS.RSP0 and struct cpu's copy for syscall_entry), its FS base, its user
 * GS base (into IA32_KERNEL_GS_BASE: swapgs on the way to ring 3 makes it
 * live), its page tables, x87/SSE/AVX state and I/O permission bitmap (ioperm.c). When p gives up the CPU its FS and
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
            kcov_off_enter();                      /* until p runs: p's switch is not p's work */
            c->current = p;
            p->state = P_RUNNING;
            c->kstack_top = p->kstack_top;
            c->tss.rsp[0] = p->kstack_top;
            tls_load(p->tls);                      /* before the selectors that may name them */
            ldt_switch(p->mm);                     /* its address space's LDT, or none */
            fsgs_load(p);                          /* DS ES FS GS, FS and GS bases (fsgs.c) */
            vm_switch(p->pml4);
            ioperm_switch(i);
            fpu_restore(p->xstate);                /* xrstor: x87, SSE, AVX (fpu.c) */
            debugreg_switch_in(p);                 /* a tracer's breakpoints, armed only while p runs */
            swtch(&c->scheduler, p->context);
            kcov_off_enter();                      /* p left it (sched) until current is NULL */
            debugreg_switch_out(p);
            fpu_save(p->xstate);
            fsgs_save(p);                          /* ring 3 may have changed them */
            vm_switch_kernel();
            c->current = NULL;
            kcov_off_exit();
            if (p->state == P_DEAD)
                proc_free(p);                      /* an ended thread: its stack is free now */
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

/* Give the CPU to the scheduler; back when it switches to this thread again. Tracing (kcov)
   is off from the scheduler's switch until here, so the switch is nobody's coverage. */
static void sched(void)
{
    struct proc *p = myproc();
    /* Linux rseq_preempt (__schedule): a registered thread switched out - preempted in ring 3
       or asleep in a call - has its ids rewritten and any section it is in aborted before
       ring 3 (rseq.c); sig.work is the flag the system-call return already tests. */
    if (p->rseq.area)
        p->rseq.event = p->rseq.notify = p->sig.work = true;
    swtch(&p->context, mycpu()->scheduler);
    kcov_off_exit();                               /* the scheduler's kcov_off_enter before it */
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

/* Make one sleeping thread runnable (a futex wake, a kill): it looks at why it slept again. */
void proc_wake(struct proc *p)
{
    SAN_LIVE(SAN_PROC, p - procs, p->state != P_UNUSED);
    if (p->state == P_SLEEPING)
        p->state = P_RUNNABLE;
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
    static const char *const envp[] = { "HOME=/", "PATH=/bin:/sbin:/usr/bin:/usr/sbin:/", "TERM=vt100", NULL };
    struct exec_args args;
    struct cred cred;
    cred_init(&cred, kargs.init_uid, kargs.init_gid);   /* root unless init.uid= (kargs.h) */
    int r = exec_args_from_kernel(&args, name, argv, envp);
    char exe_path[FS_NAME_MAX + 2];
    snprintf(exe_path, sizeof exe_path, "/%s", name);
    if (!r)
        r = exec_image(p, name, image, size, &args, &cred, false, dir_lookup(fs_root(), name), exe_path);
    exec_args_free(&args);
    if (r)
        panic("init-not-loadable name=%s error=%d", name, r);
    p->mm->dumpable = 1;                           /* its ids are its own from the start */
    p->files = files_new();
    for (int fd = 0; fd < 3; fd++)
        if (files_install(p->files, fd, file_dup(&console_file)))
            panic("no-memory-for-init-fds");
    p->fs = fsinfo_new(fs_root(), 022);
    p->pgid = p->sid = p->pid;                 /* its own session and group, the console's (jobctl.c) */
    p->ctty = true;
    p->state = P_RUNNABLE;
    initproc = p;
    kevent("enter-user pid=%d rip=0x%lx rsp=0x%lx cs=0x%lx ss=0x%lx", p->pid, p->tf->rip, p->tf->rsp, p->tf->cs,
           p->tf->ss);
    return p;
}

/* ---- process and thread lifetime ---------------------------------------- */

static bool alive(const struct proc *q)
{
    return q->state == P_EMBRYO || q->state == P_SLEEPING || q->state == P_RUNNABLE || q->state == P_RUNNING;
}

bool proc_alive(const struct proc *q)
{
    return alive(q);
}

/* A thread by id: any slot but a free or ended one (a zombie leader counts). */
struct proc *proc_find(int pid)
{
    for (int i = 0; i < NPROC; i++)
        if (procs[i].state != P_UNUSED && procs[i].state != P_DEAD && procs[i].pid == pid)
            return &procs[i];
    return NULL;
}

/*
 * RLIMIT_NPROC, as Linux's copy_process: the threads of the caller's real uid (zombies
 * included, until reaped) at or over the limit, for a uid other than root and without
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN. One user cannot take the whole table (the default is half
 * of it, as Linux's is half of max_threads).
 */
static bool over_nproc(struct proc *p)
{
    uint32_t uid = p->cred.uid;
    if (uid == 0 || capable(CAP_SYS_RESOURCE) || capable(CAP_SYS_ADMIN))   /* Linux: INIT_USER */
        return false;
    uint64_t n = 0;
    for (int i = 0; i < NPROC; i++)
        n += procs[i].state != P_UNUSED && procs[i].state != P_DEAD && procs[i].cred.uid == uid;
    return n >= rlimit_cur(p, RLIMIT_NPROC_K);
}

/*
 * A new thread or process from the caller (Linux copy_process): CLONE_VM,
 * CLONE_FILES and CLONE_FS share the caller's address space, descriptor
 * table and fs info, else the child gets copies; CLONE_THREAD puts it in
 * the caller's thread group, else it is a child of the caller's process.
 * It starts as a copy of the caller's registers (FS/GS bases, selectors,
 * SSE state) returning 0, on `stack` if given, with FS base `tls` if
 * CLONE_SETTLS (an i386 clone's: the TLS descriptor `tls32` instead). With CLONE_VFORK the caller sleeps until the child execs or
 * ends (or the caller is killed). Returns the new thread's id, -EAGAIN, -ENOMEM, -EINTR
 * when the caller is being killed (Linux: a fatal signal pending aborts it), or
 * -ERESTARTNOINTR when a signal is deliverable: it is taken (a group stop too, so no thread
 * escapes one) and the call made again, as Linux's copy_process does.
 *
 * The thread ids are stored before the child can run (Linux: CLONE_PARENT_SETTID in
 * copy_process, CLONE_CHILD_SETTID in the child's memory before it returns to ring 3):
 * after the vfork sleep the child may be gone and its slot reused, so nothing here looks
 * at it again. A tid stored to a bad address is skipped silently, as by Linux; one over a
 * page's end whose second page is bad stores nothing (put_user_bytes, Linux's put_user).
 */
int proc_clone(uint64_t flags, uint64_t stack, uint64_t tls, uint64_t ptid, uint64_t ctid,
               const struct clone_tls32 *tls32)
{
    struct proc *p = myproc(), *np;
    if (fatal_pending(p))
        return -EINTR;                             /* a thread born now would outlive the kill */
    if (signal_pending(p))
        return -ERESTARTNOINTR;                    /* the signal (or group stop) first, then clone again (Linux) */
    if (over_nproc(p))
        return -EAGAIN;
    if (!(np = proc_alloc()))
        return -EAGAIN;
    if (flags & CLONE_VM) {
        np->mm = mm_get(p->mm);
    } else {
        uint64_t *pml4 = uvm_create();
        if (!pml4) {
            proc_free(np);
            return -ENOMEM;
        }
        if (!(np->mm = mm_new(pml4))) {
            uvm_free(pml4);
            proc_free(np);
            return -ENOMEM;
        }
        mm_lock(p->mm);                            /* uvm_copy yields: siblings keep off the tables */
        int r = uvm_copy(p->pml4, pml4);
        np->mm->brk_start = p->mm->brk_start;
        np->mm->brk = p->mm->brk;
        np->mm->mmap_next = p->mm->mmap_next;
        mm_copy_image(np->mm, p->mm);              /* what /proc shows of it (Linux dup_mm) */
        if (!r)
            r = ldt_copy(np->mm, p->mm);           /* the LDT too (Linux ldt_dup_context) */
        if (!r)
            r = shm_fork(np->mm, p->mm);           /* and its SysV shm attachments (Linux dup_mmap) */
        filemap_fork(np->mm, p->mm);               /* its file mappings hold their files once more */
        mm_unlock(p->mm);
        if (r || fatal_pending(p)) {                      /* killed while the copy yielded: no child */
            proc_free(np);
            return r ? -ENOMEM : -EINTR;
        }
    }
    if (ioperm_fork((int)(np - procs))) {         /* the port bitmap is per thread, inherited (Linux) */
        proc_free(np);
        return -ENOMEM;
    }
    np->pml4 = np->mm->pml4;
    np->files = (flags & CLONE_FILES) ? files_get(p->files) : files_copy(p->files);
    if (!np->files) {                              /* no page for the copy's descriptor slots */
        proc_free(np);
        return -ENOMEM;
    }
    np->fs = (flags & CLONE_FS) ? fsinfo_get(p->fs) : fsinfo_new(p->fs->cwd, p->fs->umask);
    *np->tf = *p->tf;
    fpu_save(np->xstate);                          /* the caller's live x87/SSE/AVX state */
    np->tf->rax = 0;                               /* the child sees 0 */
    if (stack)
        np->tf->rsp = stack;
    segs_save(np->seg);                            /* the caller's live selectors */
    memcpy(np->tls, p->tls, sizeof np->tls);       /* and TLS descriptors (Linux copy_thread) */
    np->fs_base = (flags & CLONE_SETTLS) && !tls32 ? tls : rdmsr(MSR_FS_BASE);
    np->gs_base = rdmsr(MSR_KERNEL_GS_BASE);
    if (tls32) {
        /* i386 CLONE_SETTLS: a TLS entry. An FS or GS naming it gets its base, as a selector
           load would (fsgs_load writes the saved bases after the selectors with FSGSBASE). */
        np->tls[tls32->idx - TLS_ENTRY_MIN] = tls32->desc;
        uint16_t sel = (uint16_t)(tls32->idx << 3);
        if ((np->seg[2] & ~SEL_RPL_MASK) == sel)
            np->fs_base = tls32->base;
        if ((np->seg[3] & ~SEL_RPL_MASK) == sel)
            np->gs_base = tls32->base;
    }
    signal_fork(np, p, flags);
    rseq_fork(np, p, flags);                       /* fork keeps the registration, CLONE_VM not */
    np->cred = p->cred;                            /* per thread, inherited (Linux copy_creds) */
    np->no_new_privs = p->no_new_privs;            /* inherited; pdeathsig is not (Linux copy_process) */
    memcpy(np->name, p->name, sizeof np->name);
    if (flags & CLONE_VFORK)
        np->vfork_parent = p;
    if (flags & CLONE_THREAD) {
        np->tgid = p->tgid;
        np->leader = p->leader;
        np->nthreads = 0;
        p->leader->nthreads++;
    } else {
        /* wait4 in any thread of the group reaps it; CLONE_PARENT: the caller's parent's
           (never init's own: sys_clone refused that, so the parent exists) */
        np->parent = (flags & CLONE_PARENT) ? p->leader->parent : p->leader;
        np->parent_tid = (flags & CLONE_PARENT) ? p->leader->parent_tid : p->pid;
        jobctl_fork(np, p->leader);
    }
    int tid = np->pid;
    if (flags & CLONE_CHILD_CLEARTID)
        np->clear_child_tid = ctid;
    if (flags & CLONE_CHILD_SETTID)
        (void)put_user_bytes(np->pml4, ctid, &tid, sizeof tid);
    if (flags & CLONE_PARENT_SETTID)
        (void)put_user_bytes(p->pml4, ptid, &tid, sizeof tid);
    sem_clone(np, p, flags);                       /* SEM_UNDO list: shared by CLONE_SYSVSEM, else none */
    int event = ptrace_clone(np, p, flags);        /* a traced caller's child may be traced too */
    np->state = P_RUNNABLE;                        /* from here on np may run, end and be freed */
    if (event)
        ptrace_event(event, (uint64_t)tid);        /* PTRACE_EVENT_FORK/VFORK/CLONE: may sleep */
    /* The child borrows our memory until it execs or ends. After each sleep the slot is
       re-validated by its pid, which is never reused (it is the slot's generation number). */
    while ((flags & CLONE_VFORK) && np->pid == tid && np->vfork_parent == p && !fatal_pending(p))
        sleep(&np->vfork_parent);
    return tid;
}

/* CLONE_VFORK: the child has exec'd or ended; its parent runs again (Linux complete_vfork_done). */
void proc_vfork_release(struct proc *p)
{
    if (p->vfork_parent) {
        p->vfork_parent = NULL;
        wakeup(&p->vfork_parent);
    }
}

int proc_fork(void)
{
    return proc_clone(SIGCHLD, 0, 0, 0, 0, NULL);        /* fork: exit signal SIGCHLD (Linux kernel_clone) */
}

/*
 * Every other live thread of the group gets SIGKILL (straight into its
 * pending set: nothing may discard it, not even pid 1's protection) and is
 * woken to act on it; `dethreaded` makes that end the thread only.
 */
static void kill_siblings(struct proc *leader, bool dethreaded)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &procs[i];
        if (q->leader == leader && q != myproc() && alive(q)) {
            q->dethreaded = dethreaded;
            q->sig.pending.set |= SIGBIT(SIGKILL);
            q->sig.work = true;
            q->sig.stopped = q->sig.stop_pending = false;
            proc_wake(q);
        }
    }
}

/* exit_group or a fatal signal: the first status given is the group's, every thread ends. */
static void group_kill(struct proc *leader, int wstatus)
{
    if (!leader->group_exiting) {
        leader->group_exiting = true;
        leader->group_wstatus = wstatus;
    }
    kill_siblings(leader, false);
}

/* The group's last thread ended: say so (stop the machine for init) and hand its children to init. */
static void group_ended(struct proc *leader, int wstatus)
{
    int sig = wstatus & 0x7f, code = (wstatus >> 8) & 0xff, ppid = leader->parent ? leader->parent->pid : 0;
    if (sig)
        kevent("kill pid=%d ppid=%d signal=%d name=%s", leader->pid, ppid, sig, signal_name(sig));
    else
        kevent("exit pid=%d ppid=%d status=%d", leader->pid, ppid, code);
    if (leader == initproc) {
        int status = sig ? 128 + sig : code;
        kevent("halt status=%d", status);
        machine_exit(status);
    }
    jobctl_exit(leader);                           /* before its children go to init */
    ptimer_exit(leader->pid);                      /* its POSIX timers (Linux exit_itimers) */
    bool init_reaps = signal_autoreap(initproc);
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = &procs[i];
        if (q->parent != leader)
            continue;
        q->parent = initproc;
        q->parent_tid = initproc->pid;
        if (q->pdeathsig && q->state != P_ZOMBIE && q->state != P_DEAD)
            signal_send_group(q, q->pdeathsig, SI_USER, leader->pid);   /* prctl PR_SET_PDEATHSIG
                                      (Linux forget_original_parent; here when the parent's whole group
                                      has ended: children belong to the group, not to a thread) */
        if (q->state == P_ZOMBIE && q->leader == q && !q->nthreads && !q->pt.exit_report) {
            if (init_reaps)
                proc_free(q);                      /* Linux reparent_leader: init never waits */
            else
                wakeup(initproc);
        }
    }
}

/*
 * A thread of a group that lives on ends: its children become a live sibling's (Linux
 * forget_original_parent -> find_alive_thread; the leader first here, then table order),
 * which a wait4 with __WNOTHREAD in that sibling then finds.
 */
static void children_to_sibling(struct proc *p, struct proc *leader)
{
    struct proc *heir = alive(leader) && leader != p ? leader : NULL;
    for (int i = 0; i < NPROC && !heir; i++)
        if (procs[i].leader == leader && &procs[i] != p && alive(&procs[i]))
            heir = &procs[i];
    for (int i = 0; heir && i < NPROC; i++)
        if (procs[i].parent == leader && procs[i].parent_tid == p->pid)
            procs[i].parent_tid = heir->pid;
}

/*
 * End the calling thread (exit): its robust futexes are released, its
 * CLONE_CHILD_CLEARTID word is zeroed and a waiter woken (Linux mm_release:
 * only while another user of the address space remains; a bad address is
 * skipped silently), its shares of memory, descriptors and fs info are
 * dropped. A non-leader's slot goes at once (the scheduler frees it); the
 * leader stays a zombie until wait4. The group's status is the last
 * thread's exit status, or the exit_group / fatal signal status if there was
 * one; the `exit`/`kill` event is said once, for the group, by its last thread.
 */
noreturn void thread_exit(int wstatus)
{
    struct proc *p = myproc(), *leader = p->leader;
    ptrace_exit(p, leader->group_exiting ? leader->group_wstatus : wstatus);   /* PTRACE_EVENT_EXIT: may sleep */
    if (leader->group_exiting)
        wstatus = leader->group_wstatus;
    bool last = leader->nthreads == 1;
    kcov_task_exit(p);                             /* Linux do_exit: first, before the mm goes */
    ptrace_tracer_exit(p);                         /* its tracees: detached, or killed (EXITKILL) */
    signal_thread_exit(p);                         /* no longer holds up a group stop */
    if (last)
        group_ended(leader, wstatus);
    robust_list_exit(p);
    sem_exit(p);                                   /* SEM_UNDO adjustments (Linux exit_sem) */
    pi_state_exit(p);                              /* Linux futex_cleanup: after the robust list */
    proc_vfork_release(p);
    if (p->clear_child_tid && p->mm->refs > 1) {
        uint32_t zero = 0;
        if (put_user_bytes(p->pml4, p->clear_child_tid, &zero, sizeof zero) == 0)
            futex_wake(p, p->clear_child_tid, false, 1, FUTEX_BITSET_ANY);
    }
    files_put(p->files);
    p->files = NULL;
    fsinfo_put(p->fs);
    p->fs = NULL;
    vm_switch_kernel();                            /* before the last reference frees the tables */
    mm_put(p->mm);
    p->mm = NULL;
    p->pml4 = NULL;
    leader->nthreads--;
    if (!last)
        children_to_sibling(p, leader);
    if (p != leader && p->pt.tracer) {
        /* A traced thread stays a zombie until its tracer's wait4 has seen its end. It stands
           alone from now on (its own leader, no threads, no parent): its group may be reaped
           first, and nothing then reaches that group through it. */
        p->wstatus = wstatus;
        p->state = P_ZOMBIE;
        p->pt.exit_report = true;
        ptrace_notify_exit(p);
    } else if (p != leader) {
        p->state = P_DEAD;
    }
    if (last) {
        leader->wstatus = wstatus;
        /* A parent that ignores SIGCHLD (or set SA_NOCLDWAIT) never waits: the group is
           released now, as Linux's exit_notify does, instead of filling the table with zombies.
           The running thread's slot goes when the scheduler has switched off its stack. A
           traced group waits for its tracer's wait4 first (proc_traced_release). */
        bool release = signal_autoreap(leader->parent) && !leader->pt.tracer;
        leader->state = release ? P_DEAD : P_ZOMBIE;
        if (leader->pt.tracer) {
            leader->pt.exit_report = true;
            ptrace_notify_exit(leader);
        }
        signal_child_exit(leader, wstatus);        /* SIGCHLD, and wakes the parent's wait4 */
        if (release && leader != p)
            proc_free(leader);                     /* an ended leader: no stack in use */
    } else if (p == leader) {
        p->state = P_ZOMBIE;                       /* reported once the other threads have ended */
    }
    if (p != leader && p->pt.tracer) {
        p->leader = p;
        p->nthreads = 0;
    }
    sched();
    panic("ended-thread-ran pid=%d", p->pid);
}

/*
 * exit_group, and every process-wide end (a fatal signal's default action):
 * all threads of the group end with wstatus. A thread a sibling's execve
 * killed ends alone.
 */
noreturn void proc_exit(int wstatus)
{
    struct proc *p = myproc();
    if (p->dethreaded)
        thread_exit(0);
    group_kill(p->leader, wstatus);
    thread_exit(wstatus);
}

/* wait4's answer: the child's id, after its status is stored - or -EFAULT, the report taken
   (or the child reaped) all the same (Linux kernel_wait4 stores after do_wait). */
static int wait_reported(struct proc *p, uint64_t ustatus, int st, int cpid)
{
    if (ustatus && put_user_bytes(p->pml4, ustatus, &st, sizeof st))
        return -EFAULT;
    return cpid;
}

/* wait4: a child process is reported when its leader is a zombie and none of its threads runs. */
int proc_wait4(int pid, uint64_t ustatus, int options)
{
    struct proc *p = myproc(), *me = p->leader;
    if (options & ~WAIT_KNOWN)
        return -EINVAL;
    if (pid == (int)0x80000000)
        return -ESRCH;                        /* Linux kernel_wait4: -INT_MIN is not defined */
    for (;;) {
        bool have = false;
        /* Tracees of the caller's threads first (Linux ptrace_do_wait): each traced thread by its
           own id, its stops whatever the options, its end before its parent hears of it. */
        for (int i = 0; i < NPROC; i++) {
            struct proc *q = &procs[i];
            if (q->state == P_UNUSED || q->state == P_DEAD || !q->pt.tracer || q->pt.tracer->leader != me ||
                (pid > 0 && q->pid != pid) || ((options & WNOTHREAD_) && q->pt.tracer != p))
                continue;                     /* a free slot first: the sanitizer poisons its fields */
            have = true;
            int st, cpid = q->pid;
            if (q->pt.report)
                st = (q->pt.code << 8) | 0x7f;
            else if (q->pt.exit_report)
                st = q->wstatus;
            else
                continue;
            if (q->pt.report) {
                q->pt.report = false;
            } else {
                q->pt.exit_report = false;
                ptrace_unlink(q);
                if (q->parent == me)
                    proc_free(q);             /* the tracer is its parent too: reaped */
                else
                    proc_traced_release(q);
            }
            return wait_reported(p, ustatus, st, cpid);
        }
        /* Every child here reports its end with SIGCHLD (clone refuses another exit signal), so
           __WCLONE without __WALL finds none of them (Linux eligible_child): only tracees above. */
        bool clone_only = (options & (WCLONE_ | WALL_)) == WCLONE_;
        for (int i = 0; i < NPROC && !clone_only; i++) {
            struct proc *q = &procs[i];
            if (q->parent != me || q->leader != q || q->state == P_UNUSED || q->state == P_DEAD ||
                (pid > 0 && q->pid != pid) || (pid == 0 && q->pgid != me->pgid) ||
                (pid < -1 && q->pgid != -pid) || ((options & WNOTHREAD_) && q->parent_tid != p->pid))
                continue;                     /* P_DEAD: released at exit (SIGCHLD ignored) */
            have = true;
            if (q->pt.exit_report)
                continue;                     /* its tracer hears of its end first */
            int report = 0;                   /* a stop or continue, if the caller asked */
            if ((options & WUNTRACED) && q->sig.stop_report)
                report = (q->sig.stop_report << 8) | 0x7f;
            else if ((options & WCONTINUED) && q->sig.cont_report)
                report = 0xffff;
            if (report) {
                q->sig.stop_report = 0;
                q->sig.cont_report = false;
                return wait_reported(p, ustatus, report, q->pid);
            }
            if (q->state != P_ZOMBIE || q->nthreads)
                continue;
            int st = q->wstatus, cpid = q->pid;
            proc_free(q);
            return wait_reported(p, ustatus, st, cpid);
        }
        if (!have)
            return -ECHILD;
        if (options & WNOHANG)
            return 0;
        if (signal_pending(p))
            return -ERESTARTSYS;              /* -EINTR, or restarted under SA_RESTART */
        sleep(me);
    }
}

/*
 * A traced zombie whose end its tracer has seen (or whose tracer has gone): a thread is freed
 * (nobody else waits for it), a group goes to its parent's wait4, or is freed if the parent
 * reaps nothing (SIGCHLD ignored).
 */
void proc_traced_release(struct proc *q)
{
    SAN_LIVE(SAN_PROC, q - procs, q->state != P_UNUSED);
    if (q->state != P_ZOMBIE)
        return;
    if (q->leader != q || !q->parent || q->tgid != q->pid || signal_autoreap(q->parent))
        proc_free(q);
    else
        wakeup(q->parent);
}

/* The live threads of a group, in table order: the first after `after` (NULL: the first), or NULL. */
struct proc *proc_next_thread(struct proc *leader, struct proc *after)
{
    SAN_LIVE(SAN_PROC, leader - procs, leader->state != P_UNUSED);
    for (int i = after ? (int)(after - procs) + 1 : 0; i < NPROC; i++)
        if (procs[i].leader == leader && alive(&procs[i]))
            return &procs[i];
    return NULL;
}

/*
 * execve from a thread (Linux de_thread): every other thread of the group
 * ends (SIGKILL, marked `dethreaded`), the caller waits until they have, and if it is not the
 * leader it takes over the leader's pid, parent and children. -EINTR if the
 * caller is killed meanwhile (another thread's exit_group).
 */
int proc_dethread(void)
{
    struct proc *p = myproc(), *leader = p->leader;
    if (leader->nthreads == 1 && p == leader)
        return 0;
    kill_siblings(leader, true);
    while (leader->nthreads > 1) {
        if (fatal_pending(p))
            return -EINTR;
        yield();
    }
    if (p == leader)
        return 0;
    for (int i = 0; i < NPROC; i++)
        if (procs[i].parent == leader) {
            procs[i].parent = p;
            procs[i].parent_tid = leader->pid;     /* the only thread left: it has them all */
        }
    p->pid = leader->pid;
    p->parent_tid = leader->parent_tid;
    p->parent = leader->parent;
    p->pgid = leader->pgid;
    p->sid = leader->sid;
    p->ctty = leader->ctty;
    p->leader = p;
    p->nthreads = 1;
    p->sig.shared = leader->sig.shared;            /* the group's pending signals and timer */
    p->sig.alarm_tick = leader->sig.alarm_tick;
    p->sig.alarm_interval = leader->sig.alarm_interval;
    p->sig.cpu_ticks = leader->sig.cpu_ticks;
    if (leader == initproc)
        initproc = p;                              /* pid 1 lives on in this thread */
    memcpy(p->sig.rlim, leader->sig.rlim, sizeof p->sig.rlim);   /* the group's limits */
    proc_free(leader);                             /* a zombie: only its slot and stack are left */
    return 0;
}

/* Threads in the table, zombies included (sysinfo's procs, Linux's nr_threads). */
int proc_count(void)
{
    int n = 0;
    for (int i = 0; i < NPROC; i++)
        n += procs[i].state != P_UNUSED && procs[i].state != P_DEAD;
    return n;
}
