/*
 * Resource limits and CPU affinity. Each thread group has its own limits
 * (struct sigstate's rlim, in the leader, as Linux keeps them in
 * signal_struct): pid 1 starts with the defaults below, fork copies them,
 * execve keeps them. getrlimit tells the truth about what the kernel
 * enforces. The limits the kernel enforces and can honour at any value up to
 * a ceiling - RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_SIGPENDING, RLIMIT_FSIZE
 * (fsdata.c fsize_check), RLIMIT_CPU (rlimit_cpu_tick) - and those Linux itself never looks at (RLIMIT_RSS,
 * RLIMIT_LOCKS; RLIMIT_RTTIME, which only real-time tasks meet, and there
 * are none) can be set, lowered by anyone (raising a hard limit needs
 * CAP_SYS_RESOURCE, as on Linux); a value above the ceiling is -EPERM, as is
 * any change of the others (DATA, STACK, MEMLOCK, AS: fixed sizes the
 * kernel does not enforce at another value; CORE, MSGQUEUE, NICE, RTPRIO: 0,
 * and they can only be set to 0). One CPU: the affinity mask is CPU 0.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"

#define RLIM_INFINITY (~0UL)

/* Linux's resource numbers (include/uapi/asm-generic/resource.h) and this kernel's defaults
   (soft = hard but for RLIMIT_NOFILE). */
static const uint64_t defaults[RLIM_NLIMITS] = {
    [0] = RLIM_INFINITY,                          /* RLIMIT_CPU */
    [1] = RLIM_INFINITY,                          /* RLIMIT_FSIZE (files also stop at 2 MiB with -EFBIG) */
    [2] = RLIM_INFINITY,                          /* RLIMIT_DATA */
    [3] = USER_STACK_PAGES * PAGE_SIZE,           /* RLIMIT_STACK: fixed, never grows (execve's arguments
                                                     go above it: execargs.h) */
    [4] = 0,                                      /* RLIMIT_CORE: no core dumps */
    [5] = RLIM_INFINITY,                          /* RLIMIT_RSS */
    [6] = NPROC / 2,                              /* RLIMIT_NPROC: threads of one real uid, as Linux's
                                                     default (max_threads / 2): half the table, so one
                                                     user cannot take it all (root is exempt) */
    [7] = NOFILE_MAX,                             /* RLIMIT_NOFILE: fds per process (soft: NOFILE_DEF) */
    [8] = RLIM_INFINITY,                          /* RLIMIT_MEMLOCK: nothing is ever paged out */
    [9] = RLIM_INFINITY,                          /* RLIMIT_AS */
    [10] = RLIM_INFINITY,                         /* RLIMIT_LOCKS */
    [11] = RTQ_MAX,                               /* RLIMIT_SIGPENDING: queued signals of the user (sigsend.c) */
    [12] = 0,                                     /* RLIMIT_MSGQUEUE: no POSIX message queues */
    [13] = 0,                                     /* RLIMIT_NICE */
    [14] = 0,                                     /* RLIMIT_RTPRIO */
    [15] = RLIM_INFINITY,                         /* RLIMIT_RTTIME */
};

/* The highest hard limit the kernel honours; FIXED: no change but to the current values. */
#define FIXED 0xfffffffffffffffeUL
static const uint64_t ceiling[RLIM_NLIMITS] = {
    [RLIMIT_CPU_K] = RLIM_INFINITY,               /* SIGXCPU and SIGKILL at the timer tick */
    [RLIMIT_FSIZE_K] = RLIM_INFINITY,             /* enforced at every write and truncate */
    [2] = FIXED,                                  /* RLIMIT_DATA: brk and mmap do not count it */
    [RLIMIT_STACK_K] = FIXED,                     /* the stack's size is fixed */
    [4] = 0,                                      /* RLIMIT_CORE: no core dumps */
    [5] = RLIM_INFINITY,                          /* RLIMIT_RSS: Linux ignores it too */
    [RLIMIT_NPROC_K] = NPROC,                     /* the process table */
    [RLIMIT_NOFILE_K] = NOFILE_MAX,               /* the descriptor table's size */
    [8] = FIXED,                                  /* RLIMIT_MEMLOCK */
    [9] = FIXED,                                  /* RLIMIT_AS: mmap does not count it */
    [10] = RLIM_INFINITY,                         /* RLIMIT_LOCKS: unused by Linux since 2.4 */
    [RLIMIT_SIGPENDING_K] = RTQ_MAX,              /* a set's real-time queue (signal.h) */
    [12] = 0,                                     /* RLIMIT_MSGQUEUE: no POSIX message queues */
    [13] = 0,                                     /* RLIMIT_NICE: no nice values */
    [14] = 0,                                     /* RLIMIT_RTPRIO: no real-time scheduling */
    [15] = RLIM_INFINITY,                         /* RLIMIT_RTTIME: for real-time tasks only */
};

void rlimit_init(struct rlimit64 *rlim)
{
    for (int i = 0; i < RLIM_NLIMITS; i++)
        rlim[i].cur = rlim[i].max = defaults[i];
    rlim[RLIMIT_NOFILE_K].cur = NOFILE_DEF;       /* Linux's 1024 soft, 4096 hard */
}

uint64_t rlimit_cur(const struct proc *p, int resource)
{
    return p->leader->sig.rlim[resource].cur;
}

/*
 * A timer tick that found p on the CPU, charged to its group (called from the timer
 * interrupt). RLIMIT_CPU as Linux's check_process_timers (kernel/time/posix-cpu-timers.c):
 * at the hard limit SIGKILL; at the soft one SIGXCPU, and the soft limit moves a second on
 * (getrlimit shows it), so another SIGXCPU follows every CPU second until the hard limit.
 * Seconds are whole ticks of TIMER_HZ.
 */
void rlimit_cpu_tick(struct proc *p)
{
    struct proc *l = p->leader;
    struct rlimit64 *lim = &l->sig.rlim[RLIMIT_CPU_K];
    uint64_t secs = ++l->sig.cpu_ticks / TIMER_HZ;
    if (lim->cur == RLIM_INFINITY)
        return;                                   /* the hard limit is infinite too */
    if (lim->max != RLIM_INFINITY && secs >= lim->max) {
        signal_send_group(l, SIGKILL, SI_KERNEL, 0);
        return;
    }
    if (secs >= lim->cur) {
        signal_send_group(l, SIGXCPU, SI_KERNEL, 0);
        lim->cur++;
    }
}

static int pid_ok(int pid)
{
    return pid == 0 || pid == myproc()->pid || proc_find(pid) ? 0 : -ESRCH;
}

/* prlimit64(pid, resource, new, old): pid 0 or any live process (every process is root). */
static int64_t do_prlimit(int pid, uint64_t res, uint64_t unew, uint64_t uold)
{
    struct rlimit64 cur, want;
    int r;
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    if ((r = pid_ok(pid)) || (r = prlimit_permitted(pid)))
        return r;
    struct rlimit64 *lim = &(pid ? proc_find(pid) : myproc())->leader->sig.rlim[res];
    cur = *lim;
    if (unew) {
        if ((r = copyin(myproc()->pml4, &want, unew, sizeof want)))
            return r;
        if (want.cur > want.max)
            return -EINVAL;
        if (ceiling[res] == FIXED ? (want.cur != cur.cur || want.max != cur.max) : want.max > ceiling[res])
            return -EPERM;                        /* more than the kernel can honour, or a fixed size */
        if (want.max > cur.max && !capable(CAP_SYS_RESOURCE))
            return -EPERM;                        /* Linux do_prlimit: raising a hard limit */
    }
    if (unew)
        *lim = want;                              /* before the old value goes out, as Linux does */
    return uold ? copyout(myproc()->pml4, uold, &cur, sizeof cur) : 0;
}

int64_t sys_prlimit64(struct trapframe *tf) { return do_prlimit((int)tf->rdi, tf->rsi, tf->rdx, tf->r10); }
int64_t sys_getrlimit(struct trapframe *tf) { return do_prlimit(0, tf->rdi, 0, tf->rsi); }
int64_t sys_setrlimit(struct trapframe *tf) { return do_prlimit(0, tf->rdi, tf->rsi, 0); }

/* i386 ugetrlimit (Linux compat_sys_getrlimit): struct compat_rlimit, two 32-bit values,
   each above 0xffffffff given as COMPAT_RLIM_INFINITY (0xffffffff). */
int64_t sys_ugetrlimit32(struct trapframe *tf)
{
    uint64_t res = tf->rdi;
    if (res >= RLIM_NLIMITS)
        return -EINVAL;
    const struct rlimit64 *lim = &myproc()->leader->sig.rlim[res];
    uint32_t r32[2] = { lim->cur > 0xffffffffUL ? 0xffffffffU : (uint32_t)lim->cur,
                        lim->max > 0xffffffffUL ? 0xffffffffU : (uint32_t)lim->max };
    return copyout(myproc()->pml4, tf->rsi, r32, sizeof r32);
}

/* sched_getaffinity(pid, len, mask): the kernel's cpumask is one long; returns its size, as Linux does. */
int64_t sys_sched_getaffinity(struct trapframe *tf)
{
    uint64_t mask = 1;
    int r = pid_ok((int)tf->rdi);
    if (r)
        return r;
    if (tf->rsi < sizeof mask || tf->rsi % sizeof mask)
        return -EINVAL;
    r = copyout(myproc()->pml4, tf->rdx, &mask, sizeof mask);
    return r ? r : (int64_t)sizeof mask;
}

/* sched_setaffinity: any mask including CPU 0 is satisfied (there is no other); one without it is -EINVAL. */
int64_t sys_sched_setaffinity(struct trapframe *tf)
{
    uint8_t first = 0;
    int r = pid_ok((int)tf->rdi);
    if (r)
        return r;
    if (tf->rsi == 0)
        return -EINVAL;
    if ((r = copyin(myproc()->pml4, &first, tf->rdx, 1)))
        return r;
    return (first & 1) ? 0 : -EINVAL;
}
