/* Process and miscellaneous system calls. */
#include "kernel.h"
#include "errno.h"
#include "cred.h"
#include "execargs.h"
#include "file.h"
#include "fsgs.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
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
    return myproc()->tgid;
}
int64_t sys_gettid(struct trapframe *tf)
{
    (void)tf;
    return myproc()->pid;
}
int64_t sys_getppid(struct trapframe *tf)
{
    (void)tf;
    struct proc *parent = myproc()->leader->parent;
    return parent ? parent->pid : 0;
}
/* getuid and the other credential calls: cred.c */

/* exit ends the calling thread; exit_group the whole process (Linux kernel/exit.c). */
int64_t sys_exit(struct trapframe *tf)
{
    thread_exit(((int)tf->rdi & 0xff) << 8);
}

int64_t sys_exit_group(struct trapframe *tf)
{
    proc_exit(((int)tf->rdi & 0xff) << 8);
}

int64_t sys_fork(struct trapframe *tf)
{
    (void)tf;
    return proc_fork();
}

#define CLONE_SUPPORTED (CSIGNAL | CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_VFORK | \
                         CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID | \
                         CLONE_DETACHED | CLONE_UNTRACED | CLONE_CHILD_SETTID | CLONE_PTRACE | CLONE_PARENT)

/*
 * clone(flags, stack, parent_tid, child_tid, tls), with Linux's argument
 * checks (kernel/fork.c copy_process, x86 set_new_tls): what glibc's and
 * musl's fork, posix_spawn (CLONE_VM|CLONE_VFORK: the caller sleeps until the
 * child execs or exits) and pthread_create ask for. CLONE_SYSVSEM shares nothing as
 * there are no SysV semaphores; CLONE_DETACHED and CLONE_UNTRACED are
 * ignored, as by Linux. A stack pointer is taken as given: a bad one faults
 * in the child, in ring 3 (clone3 shares these checks). CLONE_PARENT makes the child the caller's parent's
 * (Linux copy_process: -EINVAL from init, whose siblings nobody would reap; the
 * child's exit signal is then the caller's, SIGCHLD here, whatever CSIGNAL
 * says). Not supported (-ENOSYS): namespaces, CLONE_PIDFD, and a process
 * whose exit signal is not SIGCHLD.
 */
static int64_t clone_checked(uint64_t flags, uint64_t stack, uint64_t ptid, uint64_t ctid, uint64_t tls,
                             bool tls_desc)
{
    if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS) ||
        (flags & (CLONE_NEWUSER | CLONE_FS)) == (CLONE_NEWUSER | CLONE_FS))
        return -EINVAL;
    if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
        return -EINVAL;
    if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
        return -EINVAL;
    if ((flags & CLONE_PARENT) && proc_is_init(myproc()))
        return -EINVAL;                          /* Linux: SIGNAL_UNKILLABLE, init makes no siblings */
    if (flags & ~(uint64_t)CLONE_SUPPORTED)
        return -ENOSYS;
    if (!(flags & (CLONE_THREAD | CLONE_PARENT)) && (flags & CSIGNAL) != SIGCHLD)
        return -ENOSYS;
    struct clone_tls32 t32;
    if ((flags & CLONE_SETTLS) && tls_desc) {
        int r = tls_clone_desc(tls, &t32);       /* Linux set_new_tls: an i386 caller's user_desc */
        if (r)
            return r;
    } else if ((flags & CLONE_SETTLS) && tls >= USER_LIMIT) {
        return -EPERM;                           /* Linux do_arch_prctl_64: a base at or above TASK_SIZE_MAX */
    }
    return proc_clone(flags, stack, tls, ptid, ctid,   /* stores the tids before the child runs */
                      (flags & CLONE_SETTLS) && tls_desc ? &t32 : NULL);
}

int64_t sys_clone(struct trapframe *tf)
{
    return clone_checked(tf->rdi, tf->rsi, tf->rdx, tf->r10, tf->r8, false);
}

/*
 * clone3(args, size) (Linux kernel/fork.c copy_clone_args_from_user, clone3_args_valid):
 * struct clone_args of at least CLONE_ARGS_SIZE_VER0 bytes (-EINVAL) and at most a page
 * (-E2BIG), bytes past the kernel's struct zero (-E2BIG); the exit signal in its own field
 * (a valid signal, and 0 with CLONE_THREAD or CLONE_PARENT), the CSIGNAL and
 * CLONE_DETACHED bits free (-EINVAL); stack and stack_size both or neither, the child
 * starting at stack + stack_size. Then clone's checks and clone. set_tid, CLONE_PIDFD,
 * CLONE_CLEAR_SIGHAND and CLONE_INTO_CGROUP: -ENOSYS, as clone's flags ringlab lacks.
 */
static int64_t do_clone3(struct trapframe *tf, bool tls_desc)
{
    struct proc *p = myproc();
    uint64_t a[CLONE_ARGS_WORDS] = { 0 }, usize = tf->rsi;
    if (usize > PAGE_SIZE)
        return -E2BIG;
    if (usize < CLONE_ARGS_SIZE_VER0)
        return -EINVAL;
    uint64_t have = usize < sizeof a ? usize : sizeof a;
    if (copyin(p->pml4, a, tf->rdi, have))
        return -EFAULT;
    for (uint64_t off = sizeof a; off < usize; off++) {   /* Linux copy_struct_from_user */
        uint8_t b;
        if (copyin(p->pml4, &b, tf->rdi + off, 1))
            return -EFAULT;
        if (b)
            return -E2BIG;
    }
    uint64_t flags = a[0], exit_signal = a[4], stack = a[5], stack_size = a[6];
    if (a[9] > CLONE_MAX_PID_NS_LEVEL || (!a[8] && a[9]) || (a[8] && !a[9]))
        return -EINVAL;                          /* set_tid / set_tid_size */
    if ((exit_signal & ~(uint64_t)CSIGNAL) || exit_signal >= NSIG)
        return -EINVAL;
    if ((flags & CLONE_INTO_CGROUP) && (a[10] > 0x7fffffff || usize < CLONE_ARGS_SIZE_VER2))
        return -EINVAL;
    if ((flags & ~(CLONE_LEGACY_FLAGS | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP)) ||
        (flags & (CLONE_DETACHED | (CSIGNAL & ~CLONE_NEWTIME))) ||
        (flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND)) == (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) ||
        ((flags & (CLONE_THREAD | CLONE_PARENT)) && exit_signal))
        return -EINVAL;
    if (stack ? !stack_size || !user_range_ok(stack, stack_size) : stack_size)
        return -EINVAL;                          /* Linux clone3_stack_valid */
    if (a[8] || (flags & CLONE_NEWTIME))
        return -ENOSYS;                          /* choosing the pid (set_tid); a time namespace */
    return clone_checked(flags | exit_signal, stack ? stack + stack_size : 0, a[3], a[2], a[7], tls_desc);
}

int64_t sys_clone3(struct trapframe *tf)
{
    return do_clone3(tf, false);
}

/* i386 clone3 (435): the same struct clone_args (64-bit fields in both ABIs); its tls names a
   struct user_desc, as i386 clone's (Linux copy_thread: in_ia32_syscall). */
int64_t sys_clone3_32(struct trapframe *tf)
{
    return do_clone3(tf, true);
}

/*
 * i386 clone (arch/x86/entry/syscalls/syscall_32.tbl: flags, stack, parent_tid, tls,
 * child_tid; the i386 dispatcher put them in rdi, rsi, rdx, r10, r8): the x86-64 clone with
 * the last two swapped. CLONE_SETTLS there names a struct user_desc: the child's TLS entry,
 * installed as set_thread_area would without allocating (Linux set_new_tls ->
 * do_set_thread_area(p, -1, u_info, 0): entry_number -1 is -EINVAL), checked after the flags.
 */
int64_t sys_clone32(struct trapframe *tf)
{
    return clone_checked(tf->rdi, tf->rsi, tf->rdx, tf->r8, tf->r10, true);
}

/* execve with argv/envp arrays of `ptr_bytes`-byte pointers: 8 (x86-64), 4 (i386). */
static int64_t do_execve(struct trapframe *tf, unsigned ptr_bytes)
{
    struct proc *p = myproc();
    char *path = path_alloc();                   /* PATH_MAX bytes, freed before the return */
    if (!path)
        return -ENOMEM;
    int r = copyinstr(p->pml4, path, tf->rdi, FS_PATH_MAX);
    if (r < 0) {
        path_free(path);
        return r;
    }
    struct exec_args args;                       /* argv and envp, staged in kernel pages */
    r = exec_args_from_user(&args, path, tf->rsi, tf->rdx, ptr_bytes);
    int old_tid = p->pid;                        /* a thread's exec takes its leader's pid */
    if (!r)
        r = proc_exec(path, &args);
    exec_args_free(&args);
    path_free(path);
    if (!r)
        ptrace_exec(old_tid);                    /* PTRACE_EVENT_EXEC, or the legacy SIGTRAP */
    return r;
}

int64_t sys_execve(struct trapframe *tf)
{
    return do_execve(tf, 8);
}

/* i386 execve (Linux compat_sys_execve): the same, with arrays of 32-bit pointers. */
int64_t sys_execve32(struct trapframe *tf)
{
    return do_execve(tf, 4);
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
        fsgs_set_base(p, tf->rdi == ARCH_SET_GS, tf->rsi);   /* and a null selector (fsgs.c) */
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
    p->clear_child_tid = tf->rdi;              /* zeroed and woken at thread exit (thread_exit) */
    return p->pid;
}

struct utsname { char f[6][65]; };

#define HOST_NAME_MAX 64
static char hostname[HOST_NAME_MAX + 1] = "ringlab";   /* sethostname's; uname's nodename */

int64_t sys_uname(struct trapframe *tf)
{
    struct utsname u;
    memset(&u, 0, sizeof u);
    /* sysname "Linux" and a release in Linux's format: programs check both before they run
       (glibc refuses a kernel older than it supports; libraries test the release for
       features); the version names ringlab. The ABI followed is Linux 6.1's (Debian 12's). */
    const char *v[6] = { UTS_SYSNAME, hostname, UTS_RELEASE, "#1 ringlab 0.1", "x86_64", "(none)" };
    for (int i = 0; i < 6; i++)
        snprintf(u.f[i], 65, "%s", v[i]);
    return copyout(myproc()->pml4, tf->rdi, &u, sizeof u);
}

/* sethostname(name, len) as Linux: CAP_SYS_ADMIN (EPERM), at most 64 bytes (EINVAL), the name
   need not end in a NUL; one machine-wide name (no UTS namespaces). */
int64_t sys_sethostname(struct trapframe *tf)
{
    char name[HOST_NAME_MAX + 1];
    int len = (int)tf->rsi;                     /* Linux: an int */
    if (!capable(CAP_SYS_ADMIN))
        return -EPERM;
    if (len < 0 || len > HOST_NAME_MAX)
        return -EINVAL;
    memset(name, 0, sizeof name);
    if (copyin(myproc()->pml4, name, tf->rdi, (uint64_t)len))
        return -EFAULT;
    memcpy(hostname, name, sizeof hostname);
    return 0;
}
