/*
 * Resource limits and CPU affinity. Each thread group has its own limits
 * (struct sigstate's rlim, in the leader, as Linux keeps them in
 * signal_struct): pid 1 starts with the defaults below, fork copies them,
 * execve keeps them. getrlimit tells the truth about what the kernel
 * enforces. The limits the kernel enforces and can honour at any value up to
 * a ceiling - RLIMIT_NPROC, RLIMIT_NOFILE, RLIMIT_SIGPENDING, RLIMIT_FSIZE
 * (fsdata.c fsize_check), RLIMIT_CPU (rlimit_cpu_tick), RLIMIT_AS and RLIMIT_DATA
 * (vm_may_expand, brk_over_rlimit: mmap, mremap and brk), RLIMIT_STACK (execve's stack,
 * rlimit_stack_len, and its growth: stackgrow.c), RLIMIT_MEMLOCK (mlock.c) - and those Linux itself never looks at
 * (RLIMIT_RSS, RLIMIT_LOCKS; RLIMIT_RTTIME, which only real-time tasks meet, and there
 * are none) can be set, lowered by anyone (raising a hard limit needs
 * CAP_SYS_RESOURCE, as on Linux); a value above the ceiling is -EPERM (CORE,
 * MSGQUEUE, NICE, RTPRIO: 0, and they can only be set to 0). One CPU: the affinity
 * mask is CPU 0.
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
    [3] = USER_STACK_RLIMIT,                      /* RLIMIT_STACK soft (hard: RLIM_INFINITY): 128 KiB
                                                     (mmu.h); the stack grows to it on faults (stackgrow.c) */
    [4] = 0,                                      /* RLIMIT_CORE: no core dumps */
    [5] = RLIM_INFINITY,                          /* RLIMIT_RSS */
    [6] = NPROC / 2,                              /* RLIMIT_NPROC: threads of one real uid, as Linux's
                                                     default (max_threads / 2): half the table, so one
                                                     user cannot take it all (root is exempt) */
    [7] = NOFILE_MAX,                             /* RLIMIT_NOFILE: fds per process (soft: NOFILE_DEF) */
    [8] = 8UL << 20,                              /* RLIMIT_MEMLOCK: Linux's MLOCK_LIMIT (8 MiB since
                                                     5.16); root passes it (CAP_IPC_LOCK, mlock.c) */
    [9] = RLIM_INFINITY,                          /* RLIMIT_AS */
    [10] = RLIM_INFINITY,                         /* RLIMIT_LOCKS */
    [11] = RTQ_MAX,                               /* RLIMIT_SIGPENDING: queued signals of the user (sigsend.c) */
    [12] = 0,                                     /* RLIMIT_MSGQUEUE: no POSIX message queues */
    [13] = 0,                                     /* RLIMIT_NICE */
    [14] = 0,                                     /* RLIMIT_RTPRIO */
    [15] = RLIM_INFINITY,                         /* RLIMIT_RTTIME */
};

/* The highest hard limit the kernel honours. */
static const uint64_t ceiling[RLIM_NLIMITS] = {
    [RLIMIT_CPU_K] = RLIM_INFINITY,               /* SIGXCPU and SIGKILL at the timer tick */
    [RLIMIT_FSIZE_K] = RLIM_INFINITY,             /* enforced at every write and truncate */
    [RLIMIT_DATA_K] = RLIM_INFINITY,              /* brk, mmap and mremap count it (vm_may_expand) */
    [RLIMIT_STACK_K] = RLIM_INFINITY,             /* execve's stack and its growth (stackgrow.c) */
    [4] = 0,                                      /* RLIMIT_CORE: no core dumps */
    [5] = RLIM_INFINITY,                          /* RLIMIT_RSS: Linux ignores it too */
    [RLIMIT_NPROC_K] = NPROC,                     /* the process table */
    [RLIMIT_NOFILE_K] = NOFILE_MAX,               /* the descriptor table's size */
    [RLIMIT_MEMLOCK_K] = RLIM_INFINITY,           /* mlock's pages (mlock.c) */
    [RLIMIT_AS_K] = RLIM_INFINITY,                /* brk, mmap and mremap count it (vm_may_expand) */
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
    rlim[RLIMIT_STACK_K].max = RLIM_INFINITY;     /* Linux's hard stack limit */
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

/* ---- RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK -------------------------------------------- */

/* Linux's is_data_mapping (mm/internal.h): private and writable, not the stack (VM_STACK). */
static bool data_page(const struct mm *mm, uint64_t va, uint64_t pte)
{
    return (pte & (PTE_W | PTE_SHARED)) == PTE_W && !growsdown_page(mm, va);
}

/*
 * Pages mapped in [lo, hi): all of them (Linux's total_vm: every mapping, PROT_NONE, [vdso]
 * and [vvar] too) and the data ones (data_vm). The page tables are the only record of what
 * is mapped, so this walks them: it costs what is mapped, and only a process with a finite
 * RLIMIT_AS or RLIMIT_DATA pays it.
 */
static void vm_count(const struct mm *mm, uint64_t lo, uint64_t hi, uint64_t *total, uint64_t *data)
{
    uint64_t *pml4 = mm->pml4, work = 0;
    *total = *data = 0;
    for (uint64_t a = uvm_next_mapped(pml4, lo, hi); a < hi; a = uvm_next_mapped(pml4, a + PAGE_SIZE, hi)) {
        ++*total;
        *data += data_page(mm, a, *uvm_pte(pml4, a));
        uvm_charge(&work);
    }
}

/*
 * Linux's may_expand_vm (mm/mmap.c): may `bytes` more of a mapping with leaf bits `pte_flags`
 * (PTE_W without PTE_SHARED: a data mapping) be mapped, after what [over, over + over_len)
 * holds is replaced (mmap_region's count_vma_pages_range for MAP_FIXED; 0 bytes: nothing)?
 * Past the soft RLIMIT_AS, or a data mapping past the soft RLIMIT_DATA: -ENOMEM; Linux's
 * Valgrind exception lets a data mapping by when RLIMIT_DATA is 0 and the hard limit allows.
 * A locked mapping (PTE_LOCKED: mlockall's MCL_FUTURE, MAP_LOCKED, mremap of a locked one)
 * first needs room under RLIMIT_MEMLOCK: -EAGAIN (mlock.c mlock_may_grow).
 * Call with the address space locked (mm_lock); may yield.
 */
int vm_may_expand(const struct mm *mm, uint64_t pte_flags, uint64_t bytes, uint64_t over, uint64_t over_len)
{
    const struct rlimit64 *lim = myproc()->leader->sig.rlim;
    bool data = (pte_flags & (PTE_W | PTE_SHARED)) == PTE_W;
    int r = pte_flags & PTE_LOCKED ? mlock_may_grow(mm, bytes) : 0;
    if (r)
        return r;                                 /* RLIMIT_MEMLOCK first, as Linux checks it first */
    uint64_t as = lim[RLIMIT_AS_K].cur, dl = lim[RLIMIT_DATA_K].cur;
    if (as == RLIM_INFINITY && (!data || dl == RLIM_INFINITY))
        return 0;                                 /* the common case: nothing to count */
    uint64_t total, dpages, gone = 0, gone_data, n = ALIGN_UP(bytes, PAGE_SIZE) / PAGE_SIZE;
    vm_count(mm, 0, USER_TOP, &total, &dpages);
    if (over_len)
        vm_count(mm, over, over + over_len, &gone, &gone_data);
    n = n > gone ? n - gone : 0;                  /* Linux subtracts every page replaced */
    if (total + n > as >> PAGE_SHIFT)
        return -ENOMEM;
    if (data && dpages + n > dl >> PAGE_SHIFT &&
        !(dl == 0 && dpages + n <= lim[RLIMIT_DATA_K].max >> PAGE_SHIFT))
        return -ENOMEM;
    return 0;
}

/*
 * A new image (execve) past p's soft RLIMIT_AS? Linux maps it through may_expand_vm (the
 * stack, each segment, the vDSO) after the point of no return, so such an execve ends in
 * SIGSEGV; here the image is counted whole, once it is in place.
 */
bool exec_over_rlimit(const struct proc *p)
{
    uint64_t as = p->leader->sig.rlim[RLIMIT_AS_K].cur, total, data;
    if (as == RLIM_INFINITY)
        return false;
    vm_count(p->mm, 0, USER_TOP, &total, &data);
    return total > as >> PAGE_SHIFT;
}

/*
 * mprotect adding PROT_WRITE to [start, start + len): the private pages that were not
 * writable become data (Linux's mprotect_fixup): past the soft RLIMIT_DATA -ENOMEM, unless
 * RLIMIT_AS would refuse them as they were too (Linux asks may_expand_vm with both the new
 * and the old flags, and refuses only when the new ones alone fail).
 */
int vm_may_write(const struct mm *mm, uint64_t start, uint64_t len)
{
    const struct rlimit64 *lim = myproc()->leader->sig.rlim;
    uint64_t dl = lim[RLIMIT_DATA_K].cur, end = start + len, n = 0, work = 0, total, dpages;
    if (dl == RLIM_INFINITY || start >= USER_TOP)
        return 0;
    if (end > USER_TOP || end < start)
        end = USER_TOP;
    for (uint64_t a = uvm_next_mapped(mm->pml4, start, end); a < end; a = uvm_next_mapped(mm->pml4, a + PAGE_SIZE, end)) {
        uint64_t pte = *uvm_pte(mm->pml4, a);
        n += !(pte & PTE_W) && data_page(mm, a, pte | PTE_W);   /* private, not the stack, not yet writable */
        uvm_charge(&work);
    }
    if (!n)
        return 0;
    vm_count(mm, 0, USER_TOP, &total, &dpages);
    if (total + n > lim[RLIMIT_AS_K].cur >> PAGE_SHIFT)
        return 0;                                 /* refused with the old flags too: Linux lets it by */
    if (dpages + n > dl >> PAGE_SHIFT && !(dl == 0 && dpages + n <= lim[RLIMIT_DATA_K].max >> PAGE_SHIFT))
        return -ENOMEM;
    return 0;
}

/*
 * Linux's check_data_rlimit at brk (mm/mmap.c, include/linux/mm.h): a new break whose heap
 * plus the image's data segment (start_data..end_data: the PT_LOADs after the first, as
 * /proc/PID/stat shows them) is more than the soft RLIMIT_DATA is refused, a shrink too.
 */
bool brk_over_rlimit(const struct mm *mm, uint64_t brk)
{
    uint64_t dl = myproc()->leader->sig.rlim[RLIMIT_DATA_K].cur;
    if (dl == RLIM_INFINITY)
        return false;
    uint64_t data = mm->nseg > 1 ? mm->seg[mm->nseg - 1].end - mm->seg[1].start : 0;
    return brk - mm->brk_start + data > dl;
}

/*
 * The bytes execve maps for p's stack (exec.c build_stack): `want` (the arguments and the
 * room below them), cut to the soft RLIMIT_STACK but never below `need` (the arguments
 * themselves), as Linux's setup_arg_pages (fs/exec.c) expands the stack to at most the
 * limit. It grows afterwards on faults, up to the limit then in force (stackgrow.c).
 */
uint64_t rlimit_stack_len(const struct proc *p, uint64_t need, uint64_t want)
{
    if (!p->sighand)
        return want;                              /* the first program: no limits yet (signal_exec) */
    uint64_t lim = ALIGN_DOWN(rlimit_cur(p, RLIMIT_STACK_K), PAGE_SIZE);
    uint64_t len = want < lim ? want : lim;
    return len > need ? len : need;
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
        if (want.max > ceiling[res])
            return -EPERM;                        /* more than the kernel can honour */
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
