/*
 * Small calls programs probe (Linux kernel/sys.c prctl and getcpu, mm/process_vm_access.c):
 * prctl's name, parent-death signal, dumpable flag and no_new_privs; getcpu (one CPU, one
 * node); process_vm_readv/writev with ptrace's permission (cred.c ptrace_may_access).
 * rseq, which also gives the CPU number, is rseq.c's.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "syscall.h"
#include "vm.h"

/* prctl options (include/uapi/linux/prctl.h) */
#define PR_SET_PDEATHSIG     1   /* arg2: the signal the parent's end sends, 0 for none */
#define PR_GET_PDEATHSIG     2   /* arg2: int * */
#define PR_GET_DUMPABLE      3
#define PR_SET_DUMPABLE      4   /* arg2: SUID_DUMP_DISABLE (0) or SUID_DUMP_USER (1) */
#define PR_SET_NAME          15  /* arg2: the name, its first 15 bytes */
#define PR_GET_NAME          16  /* arg2: char[16] */
#define PR_SET_NO_NEW_PRIVS  38  /* arg2 = 1, the rest 0: for good (Linux no_new_privs) */
#define PR_GET_NO_NEW_PRIVS  39
#define TASK_COMM_LEN        16  /* a thread's name with its NUL (Linux) */
#define SIG_MAX              64  /* Linux valid_signal: 0..._NSIG */

int64_t sys_prctl(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t arg2 = tf->rsi, arg3 = tf->rdx, arg4 = tf->r10, arg5 = tf->r8;
    switch ((int)tf->rdi) {
    case PR_SET_PDEATHSIG:
        if (arg2 > SIG_MAX)
            return -EINVAL;
        p->pdeathsig = (int)arg2;
        return 0;
    case PR_GET_PDEATHSIG:
        return copyout(p->pml4, arg2, &p->pdeathsig, sizeof p->pdeathsig);
    case PR_GET_DUMPABLE:
        return p->mm->dumpable;
    case PR_SET_DUMPABLE:
        if (arg2 > 1)
            return -EINVAL;              /* SUID_DUMP_ROOT (2) is not settable, as Linux */
        p->mm->dumpable = (int)arg2;
        return 0;
    case PR_SET_NAME: {
        /* Linux strncpy_from_user of 15 bytes: reads no further than the NUL or byte 15 */
        char name[TASK_COMM_LEN] = { 0 };
        for (int i = 0; i < TASK_COMM_LEN - 1; i++) {
            if (copyin(p->pml4, &name[i], arg2 + (uint64_t)i, 1))
                return -EFAULT;
            if (!name[i])
                break;
        }
        snprintf(p->name, sizeof p->name, "%s", name);
        return 0;
    }
    case PR_GET_NAME: {
        char name[TASK_COMM_LEN] = { 0 };
        snprintf(name, sizeof name, "%s", p->name);
        return copyout(p->pml4, arg2, name, sizeof name);
    }
    case PR_SET_NO_NEW_PRIVS:
        if (arg2 != 1 || arg3 || arg4 || arg5)
            return -EINVAL;
        p->no_new_privs = true;
        return 0;
    case PR_GET_NO_NEW_PRIVS:
        if (arg2 || arg3 || arg4 || arg5)
            return -EINVAL;
        return p->no_new_privs;
    default:
        return -EINVAL;                  /* Linux's answer to an option it does not know; the
                                            options it knows and this kernel lacks too (docs) */
    }
}

/* getcpu(cpu, node, tcache): CPU 0 of node 0, each stored if its pointer is not NULL. */
int64_t sys_getcpu(struct trapframe *tf)
{
    uint32_t zero = 0;
    int r = 0;
    if (tf->rdi && (r = copyout(myproc()->pml4, tf->rdi, &zero, sizeof zero)))
        return r;
    if (tf->rsi && (r = copyout(myproc()->pml4, tf->rsi, &zero, sizeof zero)))
        return r;
    return 0;
}

struct iovec { uint64_t base, len; };   /* include/uapi/linux/uio.h */
#define UIO_MAXIOV 1024                  /* Linux's limit on an iovec array */

/* Check an iovec array as Linux's import_iovec/iovec_from_user: -EINVAL for too many or a
   negative length or total, -EFAULT for an unreadable array or (local) a range outside the
   user half. The total length, or an error. */
static int64_t iov_check(uint64_t uiov, uint64_t cnt, bool local)
{
    if (cnt > UIO_MAXIOV)
        return -EINVAL;
    int64_t sum = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        struct iovec v;
        if (copyin(myproc()->pml4, &v, uiov + i * sizeof v, sizeof v))
            return -EFAULT;
        if ((int64_t)v.len < 0 || (sum += (int64_t)v.len) < 0)
            return -EINVAL;
        if (local && !user_range_ok(v.base, v.len))
            return -EFAULT;
    }
    return sum;
}

/*
 * process_vm_readv/writev(pid, local, liovcnt, remote, riovcnt, flags): Linux's order of
 * checks (flags, local vector, remote vector, pid -ESRCH, ptrace permission -EPERM), then the
 * bytes, remote vector by remote vector, through a kernel page. No FOLL_FORCE: only what
 * ring 3 of the target could read or write. Bytes done, or the first error if none.
 */
static int64_t process_vm(struct trapframe *tf, bool write)
{
    int pid = (int)tf->rdi;
    uint64_t lvec = tf->rsi, lcnt = tf->rdx, rvec = tf->r10, rcnt = tf->r8;
    if (tf->r9)
        return -EINVAL;
    int64_t ltotal = iov_check(lvec, lcnt, true), rtotal;
    if (ltotal < 0)
        return ltotal;
    if (!ltotal)
        return 0;
    if ((rtotal = iov_check(rvec, rcnt, false)) < 0)
        return rtotal;
    if (!rtotal)
        return 0;
    struct proc *t = proc_find(pid);
    if (!t || !t->mm)
        return -ESRCH;
    if (ptrace_may_access(myproc(), t))
        return -EPERM;
    uint8_t *k = kalloc();
    if (!k)
        return -ENOMEM;
    int64_t done = 0, err = 0;
    uint64_t li = 0, loff = 0;
    struct iovec l = { 0, 0 }, r;
    for (uint64_t ri = 0; ri < rcnt && !err; ri++) {
        if (copyin(myproc()->pml4, &r, rvec + ri * sizeof r, sizeof r)) {
            err = -EFAULT;
            break;
        }
        for (uint64_t roff = 0; roff < r.len && !err;) {
            while (loff == l.len) {
                if (li == lcnt)
                    goto out;                /* the local vector is full */
                if (copyin(myproc()->pml4, &l, lvec + li++ * sizeof l, sizeof l)) {
                    err = -EFAULT;
                    goto out;
                }
                loff = 0;
            }
            uint64_t n = r.len - roff < l.len - loff ? r.len - roff : l.len - loff;
            if (n > PAGE_SIZE)
                n = PAGE_SIZE;
            if (write && copyin(myproc()->pml4, k, l.base + loff, n)) {
                err = -EFAULT;
                break;
            }
            uint64_t got = (uint64_t)procpid_vm_copy(t, r.base + roff, k, n, write, false);
            if (!write && got && copyout(myproc()->pml4, l.base + loff, k, got)) {
                err = -EFAULT;
                break;
            }
            done += (int64_t)got;
            roff += got, loff += got;
            if (got < n)
                err = -EFAULT;               /* a remote page that is not there */
        }
    }
out:
    kfree(k);
    return done ? done : err;
}

int64_t sys_process_vm_readv(struct trapframe *tf) { return process_vm(tf, false); }
int64_t sys_process_vm_writev(struct trapframe *tf) { return process_vm(tf, true); }
