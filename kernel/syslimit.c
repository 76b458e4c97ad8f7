/*
 * Resource limits and CPU affinity. The limits are the kernel's own fixed
 * sizes, the same for every process (getrlimit tells the truth about them);
 * they cannot be changed, so setrlimit succeeds only when asked for the
 * current values and is -EPERM otherwise. One CPU: the affinity mask is CPU 0.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "vm.h"

#define RLIM_INFINITY (~0UL)
#define RLIMIT_NLIMITS 16

/* Linux's resource numbers (include/uapi/asm-generic/resource.h) and what this kernel enforces. */
static const uint64_t limits[RLIMIT_NLIMITS] = {
    [0] = RLIM_INFINITY,                          /* RLIMIT_CPU */
    [1] = RLIM_INFINITY,                          /* RLIMIT_FSIZE: files stop at 2 MiB with -EFBIG instead */
    [2] = RLIM_INFINITY,                          /* RLIMIT_DATA */
    [3] = USER_STACK_PAGES * PAGE_SIZE,           /* RLIMIT_STACK: fixed, never grows */
    [4] = 0,                                      /* RLIMIT_CORE: no core dumps */
    [5] = RLIM_INFINITY,                          /* RLIMIT_RSS */
    [6] = NPROC,                                  /* RLIMIT_NPROC: the process table */
    [7] = NOFILE,                                 /* RLIMIT_NOFILE: fds per process */
    [8] = RLIM_INFINITY,                          /* RLIMIT_MEMLOCK: nothing is ever paged out */
    [9] = RLIM_INFINITY,                          /* RLIMIT_AS */
    [10] = RLIM_INFINITY,                         /* RLIMIT_LOCKS */
    [11] = 0,                                     /* RLIMIT_SIGPENDING: no queued signals */
    [12] = 0,                                     /* RLIMIT_MSGQUEUE: no POSIX message queues */
    [13] = 0,                                     /* RLIMIT_NICE */
    [14] = 0,                                     /* RLIMIT_RTPRIO */
    [15] = RLIM_INFINITY,                         /* RLIMIT_RTTIME */
};

static int pid_ok(int pid)
{
    return pid == 0 || pid == myproc()->pid || proc_find(pid) ? 0 : -ESRCH;
}

static int64_t do_prlimit(int pid, uint64_t res, uint64_t unew, uint64_t uold)
{
    uint64_t cur[2], want[2];
    int r;
    if (res >= RLIMIT_NLIMITS)
        return -EINVAL;
    if ((r = pid_ok(pid)) || (r = prlimit_permitted(pid)))
        return r;
    cur[0] = cur[1] = limits[res];
    if (unew) {
        if ((r = copyin(myproc()->pml4, want, unew, sizeof want)))
            return r;
        if (want[0] > want[1])
            return -EINVAL;
        if (want[0] != cur[0] || want[1] != cur[1])
            return -EPERM;                        /* fixed limits */
    }
    return uold ? copyout(myproc()->pml4, uold, cur, sizeof cur) : 0;
}

int64_t sys_prlimit64(struct trapframe *tf) { return do_prlimit((int)tf->rdi, tf->rsi, tf->rdx, tf->r10); }
int64_t sys_getrlimit(struct trapframe *tf) { return do_prlimit(0, tf->rdi, 0, tf->rsi); }
int64_t sys_setrlimit(struct trapframe *tf) { return do_prlimit(0, tf->rdi, tf->rsi, 0); }

/* i386 ugetrlimit (Linux compat_sys_getrlimit): struct compat_rlimit, two 32-bit values,
   each above 0xffffffff given as COMPAT_RLIM_INFINITY (0xffffffff). */
int64_t sys_ugetrlimit32(struct trapframe *tf)
{
    uint64_t res = tf->rdi;
    if (res >= RLIMIT_NLIMITS)
        return -EINVAL;
    uint32_t v = limits[res] > 0xffffffffUL ? 0xffffffffU : (uint32_t)limits[res];
    uint32_t r32[2] = { v, v };
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
