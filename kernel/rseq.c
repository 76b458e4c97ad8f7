/*
 * Restartable sequences: rseq(2) and the work on the way back to ring 3 (Linux 6.x
 * kernel/rseq.c, include/linux/rseq.h). A registered thread gets its CPU and node numbers
 * (0 here: one CPU, one node) written into its struct rseq (include/rseq.h) whenever it
 * may have moved, and a critical section it was in when it was preempted or signalled is
 * abandoned: the kernel returns to the section's abort_ip instead.
 *
 * When: `notify` (Linux TIF_NOTIFY_RESUME) is set by registration, by every switch away from
 * a registered thread (proc.c sched(), Linux rseq_preempt in __schedule) and by a fork
 * child's copy; `event` (Linux rseq_event_mask) by the switch and by signal delivery. Both
 * set sig.work, the flag the system-call return already tests, so a getpid pays nothing;
 * signal_return() (signal.c) runs rseq_notify_resume() before each handler frame is built
 * (Linux rseq_signal_deliver in setup_rt_frame: the handler returns to abort_ip) and once
 * more before ring 3. A fault there is SIGSEGV, as Linux's force_sigsegv.
 */
#include "kernel.h"
#include "errno.h"
#include "gdt.h"
#include "mmu.h"
#include "proc.h"
#include "rseq.h"
#include "signal.h"
#include "syscall.h"
#include "trap.h"
#include "vm.h"

/* Linux's TASK_SIZE: IA32_PAGE_OFFSET for a 32-bit process (TIF_ADDR32, here the code
   segment it runs in), TASK_SIZE_MAX for a 64-bit one. */
static uint64_t task_size(const struct trapframe *tf)
{
    return tf->cs == USER32_CS ? USER32_STACK_TOP : USER_LIMIT;
}

/* rseq_cs = 0 in the user's area (Linux clear_rseq_cs). 0 or -EFAULT. */
static int clear_rseq_cs(struct proc *p)
{
    uint64_t zero = 0;
    return copyout(p->pml4, p->rseq.area + RSEQ_OFF_RSEQ_CS, &zero, sizeof zero);
}

/*
 * The section the area's rseq_cs names, validated as Linux's rseq_get_rseq_cs: no pointer
 * gives an empty section (cs zeroed); a pointer or an address at or past TASK_SIZE, a
 * version but 0, a section that wraps or holds its own abort_ip, an unreadable descriptor
 * or signature, and a signature other than the registered one are errors (SIGSEGV). The
 * signature is checked whether or not the thread is inside the section.
 */
static int get_rseq_cs(struct proc *p, const struct trapframe *tf, struct rseq_cs *cs)
{
    uint64_t ptr, limit = task_size(tf);
    uint32_t sig;
    if (copyin(p->pml4, &ptr, p->rseq.area + RSEQ_OFF_RSEQ_CS, sizeof ptr))
        return -EFAULT;
    if (!ptr) {
        memset(cs, 0, sizeof *cs);
        return 0;
    }
    if (ptr >= limit)
        return -EINVAL;
    if (copyin(p->pml4, cs, ptr, sizeof *cs))
        return -EFAULT;
    if (cs->start_ip >= limit || cs->start_ip + cs->post_commit_offset >= limit || cs->abort_ip >= limit ||
        cs->version > 0)
        return -EINVAL;
    if (cs->start_ip + cs->post_commit_offset < cs->start_ip)
        return -EINVAL;                                  /* wraps */
    if (cs->abort_ip - cs->start_ip < cs->post_commit_offset)
        return -EINVAL;                                  /* abort_ip inside the section */
    if (copyin(p->pml4, &sig, cs->abort_ip - sizeof sig, sizeof sig))
        return -EFAULT;
    if (sig != p->rseq.sig) {
        kevent("rseq pid=%d bad-signature=0x%x expected=0x%x abort_ip=0x%lx", p->pid, sig, p->rseq.sig,
               cs->abort_ip);
        return -EINVAL;
    }
    return 0;
}

/*
 * Linux rseq_ip_fixup: outside the section the stale rseq_cs is cleared (lazily, here);
 * inside it, after a preemption or a signal, the section's flags and the area's must be 0
 * (Linux 6.x refuses the deprecated RSEQ_CS_FLAG_NO_RESTART_* it once honoured: -EINVAL,
 * a warning, then SIGSEGV), rseq_cs is cleared and the thread resumes at abort_ip.
 */
static int ip_fixup(struct proc *p, struct trapframe *tf)
{
    struct rseq_cs cs;
    int r = get_rseq_cs(p, tf, &cs);
    if (r)
        return r;
    if (tf->rip - cs.start_ip >= cs.post_commit_offset)
        return clear_rseq_cs(p);
    if (cs.flags)
        return -EINVAL;
    uint32_t flags;
    if (copyin(p->pml4, &flags, p->rseq.area + RSEQ_OFF_FLAGS, sizeof flags))
        return -EFAULT;
    if (flags)
        return -EINVAL;
    bool event = p->rseq.event;
    p->rseq.event = false;
    if (!event)
        return 0;                                        /* nothing happened: it goes on */
    if ((r = clear_rseq_cs(p)))
        return r;
    tf->rip = cs.abort_ip;
    /* The return must not be a sysretq to RCX: signal_return's rule (RCX != RIP) takes iretq. */
    return 0;
}

/* cpu_id_start, cpu_id, node_id and mm_cid: all 0 (Linux rseq_update_cpu_node_id). */
static int update_ids(struct proc *p)
{
    uint32_t zero[2] = { 0, 0 };
    if (copyout(p->pml4, p->rseq.area + RSEQ_OFF_CPU_ID_START, zero, sizeof zero))
        return -EFAULT;
    return copyout(p->pml4, p->rseq.area + RSEQ_OFF_NODE_ID, zero, sizeof zero);
}

/*
 * Linux __rseq_handle_notify_resume: before ring 3 (sig 0) or before the frame of signal
 * `sig`. A fault or an invalid section queues SIGSEGV and returns false; the caller, while
 * delivering a SIGSEGV, makes it fatal once that frame is built (Linux force_sigsegv).
 */
bool rseq_notify_resume(struct proc *p, struct trapframe *tf, int sig)
{
    p->rseq.notify = false;
    if (!p->rseq.area)
        return true;
    if (sig)
        p->rseq.event = true;                            /* Linux rseq_signal_deliver */
    if (ip_fixup(p, tf) >= 0 && !update_ids(p))
        return true;
    kevent("rseq pid=%d fault rip=0x%lx", p->pid, tf->rip);
    signal_force_sigsegv(p);
    return false;
}

/*
 * rseq(rseq, rseq_len, flags, sig), Linux 6.x sys_rseq. Unregistering names the same area,
 * length and signature (-EINVAL, -EPERM) and resets cpu_id_start to 0 and cpu_id to
 * RSEQ_CPU_ID_UNINITIALIZED. Registering: flags 0 (-EINVAL); a thread already registered
 * gets -EINVAL for another area or length, -EPERM for another signature, else -EBUSY. The
 * area is the original 32 bytes at a 32-byte boundary, or longer (Linux's extensible size)
 * at the same alignment; it must lie in the user half (-EFAULT, Linux access_ok); a stale
 * rseq_cs in it is cleared (-EFAULT if that cannot be read or written). The ids are written
 * on the way out: a read-only area registers, then the thread gets SIGSEGV.
 */
int64_t sys_rseq(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t area = tf->rdi;
    uint32_t len = (uint32_t)tf->rsi, sig = (uint32_t)tf->r10;
    int flags = (int)tf->rdx;

    if (flags & RSEQ_FLAG_UNREGISTER) {
        if (flags & ~RSEQ_FLAG_UNREGISTER)
            return -EINVAL;
        if (!p->rseq.area || p->rseq.area != area || len != p->rseq.len)
            return -EINVAL;
        if (sig != p->rseq.sig)
            return -EPERM;
        uint32_t ids[2] = { 0, RSEQ_CPU_ID_UNINITIALIZED };
        if (copyout(p->pml4, area + RSEQ_OFF_CPU_ID_START, ids, sizeof ids))
            return -EFAULT;
        uint32_t zero[2] = { 0, 0 };                     /* node_id, mm_cid (Linux 6.3+) */
        if (copyout(p->pml4, area + RSEQ_OFF_NODE_ID, zero, sizeof zero))
            return -EFAULT;
        p->rseq = (struct rseq_reg){ 0 };
        return 0;
    }
    if (flags)
        return -EINVAL;
    if (p->rseq.area) {
        if (p->rseq.area != area || len != p->rseq.len)
            return -EINVAL;
        if (sig != p->rseq.sig)
            return -EPERM;
        return -EBUSY;
    }
    if (len < RSEQ_ORIG_SIZE || area % RSEQ_ALIGN)
        return -EINVAL;                                  /* every size: 32-byte aligned, 32 bytes at least */
    if (!user_range_ok(area, len))
        return -EFAULT;
    uint64_t cs;
    if (copyin(p->pml4, &cs, area + RSEQ_OFF_RSEQ_CS, sizeof cs))
        return -EFAULT;
    if (cs) {
        uint64_t zero = 0;
        if (copyout(p->pml4, area + RSEQ_OFF_RSEQ_CS, &zero, sizeof zero))
            return -EFAULT;
    }
    p->rseq = (struct rseq_reg){ .area = area, .len = len, .sig = sig, .notify = true };
    p->sig.work = true;                                  /* the ids before ring 3 */
    return 0;
}

/* fork keeps the registration (the child's copy of the area); a thread or any CLONE_VM
   child starts without one (Linux rseq_fork). */
void rseq_fork(struct proc *child, const struct proc *parent, uint64_t flags)
{
    if (flags & CLONE_VM)
        return;                                          /* proc_alloc zeroed it */
    child->rseq = parent->rseq;
    if (child->rseq.area) {
        child->rseq.notify = true;
        child->sig.work = true;
    }
}

/* execve: the old image's area is gone (Linux rseq_execve). */
void rseq_exec(struct proc *p)
{
    p->rseq = (struct rseq_reg){ 0 };
}
