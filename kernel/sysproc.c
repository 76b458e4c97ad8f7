/* Process and miscellaneous system calls. */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "syscall.h"
#include "sysnr.h"
#include "trap.h"
#include "uapi.h"
#include "vm.h"
#include "x86.h"

/* ---- processes --------------------------------------------------------- */

int64_t sys_getpid(struct trapframe *tf)
{
    (void)tf;
    return myproc()->pid;
}
int64_t sys_getppid(struct trapframe *tf)
{
    (void)tf;
    struct proc *p = myproc();
    return p->parent ? p->parent->pid : 0;
}
int64_t sys_getuid(struct trapframe *tf) { (void)tf; return 0; }

int64_t sys_exit(struct trapframe *tf)
{
    proc_exit(((int)tf->rdi & 0xff) << 8);
}

int64_t sys_fork(struct trapframe *tf)
{
    (void)tf;
    return proc_fork();
}

#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_CHILD_SETTID   0x01000000
#define CLONE_FORK_FLAGS (CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | CLONE_CHILD_SETTID)

/*
 * clone as fork: what glibc's fork() asks for (SIGCHLD | CLONE_CHILD_SETTID |
 * CLONE_CHILD_CLEARTID), with an optional new stack. Shared-memory clones
 * (threads, CLONE_VM|CLONE_VFORK) are not supported: -ENOSYS.
 */
int64_t sys_clone(struct trapframe *tf)
{
    uint64_t flags = tf->rdi, stack = tf->rsi, ptid = tf->rdx, ctid = tf->r10;
    if ((flags & 0xff) != SIGCHLD || (flags & ~(uint64_t)(0xff | CLONE_FORK_FLAGS)))
        return -ENOSYS;
    int pid = proc_fork();
    if (pid < 0)
        return pid;
    struct proc *child = proc_find(pid);
    if (stack)
        child->tf->rsp = stack;
    if (flags & CLONE_CHILD_CLEARTID)
        child->clear_child_tid = ctid;
    if ((flags & CLONE_CHILD_SETTID) && copyout(child->pml4, ctid, &pid, sizeof pid))
        return -EFAULT;                    /* the child runs on; Linux would fail the clone */
    if ((flags & CLONE_PARENT_SETTID) && copyout(myproc()->pml4, ptid, &pid, sizeof pid))
        return -EFAULT;
    return pid;
}

int64_t sys_execve(struct trapframe *tf)
{
    struct proc *p = myproc();
    char path[KPATH_MAX];
    int r = copyinstr(p->pml4, path, tf->rdi, sizeof path);
    if (r < 0)
        return r;
    char *buf = kalloc();                        /* argv and envp strings */
    if (!buf)
        return -ENOMEM;
    char *vec[2][MAXARG];
    int count[2] = { 0, 0 };
    uint64_t used = 0;
    uint64_t uvec[2] = { tf->rsi, tf->rdx };
    for (int k = 0; k < 2 && r >= 0; k++) {
        for (int i = 0; uvec[k]; i++) {
            uint64_t uptr;
            if ((r = copyin(p->pml4, &uptr, uvec[k] + 8 * i, 8)) < 0)
                break;
            if (!uptr)
                break;
            if (i == MAXARG) {
                r = -E2BIG;
                break;
            }
            if ((r = copyinstr(p->pml4, buf + used, uptr, PAGE_SIZE - used)) < 0) {
                if (r == -ENAMETOOLONG)
                    r = -E2BIG;
                break;
            }
            vec[k][i] = buf + used;
            used += r + 1;
            count[k] = i + 1;
        }
    }
    if (r >= 0)
        r = proc_exec(path, vec[0], count[0], vec[1], count[1]);
    kfree(buf);
    return r;
}

int64_t sys_wait4(struct trapframe *tf)
{
    return proc_wait4((int)tf->rdi, tf->rsi, (int)tf->rdx);
}

int64_t sys_sched_yield(struct trapframe *tf)
{
    (void)tf;
    yield();
    return 0;
}

/*
 * The FS and GS bases (Linux arch/x86/kernel/process_64.c do_arch_prctl_64).
 * In ring 0 the user's GS base sits in IA32_KERNEL_GS_BASE (percpu.h), so
 * that is where ARCH_SET_GS writes and ARCH_GET_GS reads the live value.
 */
int64_t sys_arch_prctl(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t base;
    switch (tf->rdi) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (tf->rsi >= USER_LIMIT)
            return -EPERM;                       /* Linux: a base at or above TASK_SIZE_MAX */
        if (tf->rdi == ARCH_SET_FS) {
            p->fs_base = tf->rsi;
            wrmsr(MSR_FS_BASE, p->fs_base);
        } else {
            p->gs_base = tf->rsi;
            wrmsr(MSR_KERNEL_GS_BASE, p->gs_base);
        }
        return 0;
    case ARCH_GET_FS:
        base = rdmsr(MSR_FS_BASE);
        return copyout(p->pml4, tf->rsi, &base, 8);
    case ARCH_GET_GS:
        base = rdmsr(MSR_KERNEL_GS_BASE);
        return copyout(p->pml4, tf->rsi, &base, 8);
    default:
        return -EINVAL;
    }
}

int64_t sys_set_tid_address(struct trapframe *tf)
{
    struct proc *p = myproc();
    p->clear_child_tid = tf->rdi;
    return p->pid;
}

struct utsname { char f[6][65]; };

int64_t sys_uname(struct trapframe *tf)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    const char *v[6] = { "ringlab", "ringlab", "0.1", "ringlab", "x86_64", "" };
    for (int i = 0; i < 6; i++)
        snprintf(u.f[i], 65, "%s", v[i]);
    return copyout(myproc()->pml4, tf->rdi, &u, sizeof u);
}
