/*
 * System calls, Linux x86-64 convention: number in RAX; arguments in RDI,
 * RSI, RDX, R10, R8, R9; result or -errno in RAX. Reached from syscall_entry
 * (the syscall instruction) and from the int 0x80 gate, both with a trap
 * frame. Every user pointer goes through copyin/copyout (vm.c), which check
 * the range against the user half (overflow included) and the page tables.
 */
#include "kernel.h"
#include "errno.h"
#include "kargs.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"
#include "syscall.h"
#include "sysnr.h"
#include "trap.h"

#define SYS_MAX SYS_faccessat2     /* the highest number with a handler */

static const struct {
    const char *name;
    syscall_fn fn;
} syscalls[] = {
    /* Linux's way: numbers it does not implement reach sys_ni_syscall (-ENOSYS), so the
       dispatcher needs no NULL check; a named entry below overrides its slot. */
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
    [0 ... SYS_MAX] = { NULL, sys_ni_syscall },
    [SYS_read] = { "read", sys_read },
    [SYS_write] = { "write", sys_write },
    [SYS_open] = { "open", sys_open },
    [SYS_close] = { "close", sys_close },
    [SYS_stat] = { "stat", sys_stat },
    [SYS_fstat] = { "fstat", sys_fstat },
    [SYS_lstat] = { "lstat", sys_lstat },
    [SYS_lseek] = { "lseek", sys_lseek },
    [SYS_mmap] = { "mmap", sys_mmap },
    [SYS_mprotect] = { "mprotect", sys_mprotect },
    [SYS_munmap] = { "munmap", sys_munmap },
    [SYS_brk] = { "brk", sys_brk },
    [SYS_rt_sigaction] = { "rt_sigaction", sys_rt_sigaction },
    [SYS_rt_sigprocmask] = { "rt_sigprocmask", sys_rt_sigprocmask },
    [SYS_rt_sigreturn] = { "rt_sigreturn", sys_rt_sigreturn },
    [SYS_rt_sigpending] = { "rt_sigpending", sys_rt_sigpending },
    [SYS_rt_sigsuspend] = { "rt_sigsuspend", sys_rt_sigsuspend },
    [SYS_rt_sigtimedwait] = { "rt_sigtimedwait", sys_rt_sigtimedwait },
    [SYS_rt_sigqueueinfo] = { "rt_sigqueueinfo", sys_rt_sigqueueinfo },
    [SYS_rt_tgsigqueueinfo] = { "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo },
    [SYS_sigaltstack] = { "sigaltstack", sys_sigaltstack },
    [SYS_pause] = { "pause", sys_pause },
    [SYS_getitimer] = { "getitimer", sys_getitimer },
    [SYS_alarm] = { "alarm", sys_alarm },
    [SYS_setitimer] = { "setitimer", sys_setitimer },
    [SYS_tkill] = { "tkill", sys_tkill },
    [SYS_tgkill] = { "tgkill", sys_tgkill },
    [SYS_ioctl] = { "ioctl", sys_ioctl },
    [SYS_readv] = { "readv", sys_readv },
    [SYS_writev] = { "writev", sys_writev },
    [SYS_sched_yield] = { "sched_yield", sys_sched_yield },
    [SYS_madvise] = { "madvise", sys_madvise },
    [SYS_msync] = { "msync", sys_msync },
    [SYS_mremap] = { "mremap", sys_mremap },
    [SYS_dup] = { "dup", sys_dup },
    [SYS_dup2] = { "dup2", sys_dup2 },
    [SYS_getpid] = { "getpid", sys_getpid },
    [SYS_fork] = { "fork", sys_fork },
    [SYS_vfork] = { "vfork", sys_fork },
    [SYS_execve] = { "execve", sys_execve },
    [SYS_exit] = { "exit", sys_exit },
    [SYS_wait4] = { "wait4", sys_wait4 },
    [SYS_kill] = { "kill", sys_kill },
    [SYS_uname] = { "uname", sys_uname },
    [SYS_fcntl] = { "fcntl", sys_fcntl },
    [SYS_getcwd] = { "getcwd", sys_getcwd },
    [SYS_sysinfo] = { "sysinfo", sys_sysinfo },
    [SYS_getuid] = { "getuid", sys_getuid },
    [SYS_getgid] = { "getgid", sys_getgid },
    [SYS_geteuid] = { "geteuid", sys_geteuid },
    [SYS_getegid] = { "getegid", sys_getegid },
    [SYS_getresuid] = { "getresuid", sys_getresuid },
    [SYS_getresgid] = { "getresgid", sys_getresgid },
    [SYS_setuid] = { "setuid", sys_setuid },
    [SYS_setgid] = { "setgid", sys_setgid },
    [SYS_setreuid] = { "setreuid", sys_setreuid },
    [SYS_setregid] = { "setregid", sys_setregid },
    [SYS_setresuid] = { "setresuid", sys_setresuid },
    [SYS_setresgid] = { "setresgid", sys_setresgid },
    [SYS_setfsuid] = { "setfsuid", sys_setfsuid },
    [SYS_setfsgid] = { "setfsgid", sys_setfsgid },
    [SYS_getgroups] = { "getgroups", sys_getgroups },
    [SYS_setgroups] = { "setgroups", sys_setgroups },
    [SYS_capget] = { "capget", sys_capget },
    [SYS_capset] = { "capset", sys_capset },
    [SYS_chmod] = { "chmod", sys_chmod },
    [SYS_fchmod] = { "fchmod", sys_fchmod },
    [SYS_fchmodat] = { "fchmodat", sys_fchmodat },
    [SYS_chown] = { "chown", sys_chown },
    [SYS_fchown] = { "fchown", sys_fchown },
    [SYS_lchown] = { "lchown", sys_lchown },
    [SYS_fchownat] = { "fchownat", sys_fchownat },
    [SYS_getppid] = { "getppid", sys_getppid },
    [SYS_flock] = { "flock", sys_flock },
    [SYS_msgget] = { "msgget", sys_msgget },
    [SYS_msgsnd] = { "msgsnd", sys_msgsnd },
    [SYS_msgrcv] = { "msgrcv", sys_msgrcv },
    [SYS_msgctl] = { "msgctl", sys_msgctl },
    [SYS_shmget] = { "shmget", sys_shmget },
    [SYS_shmat] = { "shmat", sys_shmat },
    [SYS_shmdt] = { "shmdt", sys_shmdt },
    [SYS_shmctl] = { "shmctl", sys_shmctl },
    [SYS_semget] = { "semget", sys_semget },
    [SYS_semop] = { "semop", sys_semop },
    [SYS_semtimedop] = { "semtimedop", sys_semtimedop },
    [SYS_semctl] = { "semctl", sys_semctl },
    [SYS_fsync] = { "fsync", sys_fsync },
    [SYS_fdatasync] = { "fdatasync", sys_fsync },
    [SYS_statfs] = { "statfs", sys_statfs },
    [SYS_fstatfs] = { "fstatfs", sys_fstatfs },
    [SYS_sync] = { "sync", sys_sync },
    [SYS_syncfs] = { "syncfs", sys_syncfs },
    [SYS_sethostname] = { "sethostname", sys_sethostname },
    [SYS_setpgid] = { "setpgid", sys_setpgid },
    [SYS_getpgid] = { "getpgid", sys_getpgid },
    [SYS_getpgrp] = { "getpgrp", sys_getpgrp },
    [SYS_setsid] = { "setsid", sys_setsid },
    [SYS_getsid] = { "getsid", sys_getsid },
    [SYS_arch_prctl] = { "arch_prctl", sys_arch_prctl },
    [SYS_prctl] = { "prctl", sys_prctl },
    [SYS_getcpu] = { "getcpu", sys_getcpu },
    [SYS_process_vm_readv] = { "process_vm_readv", sys_process_vm_readv },
    [SYS_process_vm_writev] = { "process_vm_writev", sys_process_vm_writev },
    [SYS_iopl] = { "iopl", sys_iopl },
    [SYS_ioperm] = { "ioperm", sys_ioperm },
    [SYS_gettid] = { "gettid", sys_gettid },
    [SYS_set_thread_area] = { "set_thread_area", sys_set_thread_area },
    [SYS_modify_ldt] = { "modify_ldt", sys_modify_ldt },
    [SYS_get_thread_area] = { "get_thread_area", sys_get_thread_area },
    [SYS_futex] = { "futex", sys_futex },
    [SYS_set_robust_list] = { "set_robust_list", sys_set_robust_list },
    [SYS_get_robust_list] = { "get_robust_list", sys_get_robust_list },
    [SYS_clock_settime] = { "clock_settime", sys_clock_settime },       /* time.c */
    [SYS_settimeofday] = { "settimeofday", sys_settimeofday },
    [SYS_clone3] = { "clone3", sys_clone3 },                            /* sysproc.c */
    [SYS_getdents64] = { "getdents64", sys_getdents64 },
    [SYS_set_tid_address] = { "set_tid_address", sys_set_tid_address },
    [SYS_clock_gettime] = { "clock_gettime", sys_clock_gettime },
    [SYS_exit_group] = { "exit_group", sys_exit_group },
    [SYS_openat] = { "openat", sys_openat },
    [SYS_newfstatat] = { "newfstatat", sys_newfstatat },
    [SYS_pipe] = { "pipe", sys_pipe },
    [SYS_creat] = { "creat", sys_creat },
    [SYS_link] = { "link", sys_link },
    [SYS_unlink] = { "unlink", sys_unlink },
    [SYS_mknod] = { "mknod", sys_mknod },
    [SYS_mknodat] = { "mknodat", sys_mknodat },
    [SYS_symlink] = { "symlink", sys_symlink },
    [SYS_symlinkat] = { "symlinkat", sys_symlinkat },
    [SYS_readlink] = { "readlink", sys_readlink },
    [SYS_umask] = { "umask", sys_umask },
    [SYS_gettimeofday] = { "gettimeofday", sys_gettimeofday },
    [SYS_getrlimit] = { "getrlimit", sys_getrlimit },
    [SYS_setrlimit] = { "setrlimit", sys_setrlimit },
    [SYS_mkdir] = { "mkdir", sys_mkdir },
    [SYS_rmdir] = { "rmdir", sys_rmdir },
    [SYS_rename] = { "rename", sys_rename },
    [SYS_truncate] = { "truncate", sys_truncate },
    [SYS_ftruncate] = { "ftruncate", sys_ftruncate },
    [SYS_fchdir] = { "fchdir", sys_fchdir },
    [SYS_time] = { "time", sys_time },
    [SYS_sched_setaffinity] = { "sched_setaffinity", sys_sched_setaffinity },
    [SYS_sched_getaffinity] = { "sched_getaffinity", sys_sched_getaffinity },
    [SYS_clock_getres] = { "clock_getres", sys_clock_getres },
    [SYS_mkdirat] = { "mkdirat", sys_mkdirat },
    [SYS_unlinkat] = { "unlinkat", sys_unlinkat },
    [SYS_renameat] = { "renameat", sys_renameat },
    [SYS_linkat] = { "linkat", sys_linkat },
    [SYS_readlinkat] = { "readlinkat", sys_readlinkat },
    [SYS_faccessat] = { "faccessat", sys_faccessat },
    [SYS_utimensat] = { "utimensat", sys_utimensat },
    [SYS_dup3] = { "dup3", sys_dup3 },
    [SYS_pipe2] = { "pipe2", sys_pipe2 },
    [SYS_renameat2] = { "renameat2", sys_renameat2 },
    [SYS_faccessat2] = { "faccessat2", sys_faccessat2 },
    [SYS_poll] = { "poll", sys_poll },
    [SYS_nanosleep] = { "nanosleep", sys_nanosleep },
    [SYS_clone] = { "clone", sys_clone },
    [SYS_ppoll] = { "ppoll", sys_ppoll },
    [SYS_clock_nanosleep] = { "clock_nanosleep", sys_clock_nanosleep },
    [SYS_pread64] = { "pread64", sys_pread64 },
    [SYS_pwrite64] = { "pwrite64", sys_pwrite64 },
    [SYS_access] = { "access", sys_access },
    [SYS_chdir] = { "chdir", sys_chdir },
    [SYS_prlimit64] = { "prlimit64", sys_prlimit64 },
    [SYS_getrandom] = { "getrandom", sys_getrandom },
    [SYS_rseq] = { "rseq", sys_rseq },                                  /* rseq.c */
    [SYS_ptrace] = { "ptrace", sys_ptrace },
    /* sockets (socket.c, unix.c) */
    [SYS_socket] = { "socket", sys_socket },
    [SYS_connect] = { "connect", sys_connect },
    [SYS_accept] = { "accept", sys_accept },
    [SYS_sendto] = { "sendto", sys_sendto },
    [SYS_recvfrom] = { "recvfrom", sys_recvfrom },
    [SYS_sendmsg] = { "sendmsg", sys_sendmsg },
    [SYS_recvmsg] = { "recvmsg", sys_recvmsg },
    [SYS_shutdown] = { "shutdown", sys_shutdown },
    [SYS_bind] = { "bind", sys_bind },
    [SYS_listen] = { "listen", sys_listen },
    [SYS_getsockname] = { "getsockname", sys_getsockname },
    [SYS_getpeername] = { "getpeername", sys_getpeername },
    [SYS_socketpair] = { "socketpair", sys_socketpair },
    [SYS_setsockopt] = { "setsockopt", sys_setsockopt },
    [SYS_getsockopt] = { "getsockopt", sys_getsockopt },
    [SYS_accept4] = { "accept4", sys_accept4 },
    [SYS_recvmmsg] = { "recvmmsg", sys_recvmmsg },
    [SYS_sendmmsg] = { "sendmmsg", sys_sendmmsg },
    /* POSIX timers (ptimer.c) and select (select.c) */
    [SYS_select] = { "select", sys_select },
    [SYS_pselect6] = { "pselect6", sys_pselect6 },
    [SYS_timer_create] = { "timer_create", sys_timer_create },
    [SYS_timer_settime] = { "timer_settime", sys_timer_settime },
    [SYS_timer_gettime] = { "timer_gettime", sys_timer_gettime },
    [SYS_timer_getoverrun] = { "timer_getoverrun", sys_timer_getoverrun },
    [SYS_timer_delete] = { "timer_delete", sys_timer_delete },
    /* memory locking (mlock.c) */
    [SYS_mlock] = { "mlock", sys_mlock },
    [SYS_munlock] = { "munlock", sys_munlock },
    [SYS_mlockall] = { "mlockall", sys_mlockall },
    [SYS_munlockall] = { "munlockall", sys_munlockall },
    [SYS_mlock2] = { "mlock2", sys_mlock2 },
#pragma clang diagnostic pop
};

int64_t sys_ni_syscall(struct trapframe *tf)
{
    (void)tf;
    return -ENOSYS;
}

/*
 * The slow path, taken only by a thread with `syscall_work`: crash= fires at the first system
 * call; trace=syscall prints a `syscall` event before exit and after any other call; a
 * tracer's PTRACE_SYSCALL stops the thread at entry (it may change the number - orig_rax, in
 * tf->error -, the arguments, or skip the call with orig_rax -1, RAX then as it left it) and
 * at exit (it may change the result); PTRACE_SINGLESTEP reports the step over `syscall`.
 */
__attribute__((noinline)) static void syscall_hooked(struct trapframe *tf)
{
    struct proc *p = myproc();
    bool trace = kargs.trace_syscall;

    if (kargs.crash != CRASH_NONE)
        crash_maybe(tf);
    tf->rax = (uint64_t)-ENOSYS;                     /* Linux's pt_regs->ax at entry: a skipped call's result */
    if (p->pt.syscall && ptrace_syscall_entry(tf))
        goto out;                                    /* killed in the stop: the call never runs */
    uint64_t nr = (uint32_t)tf->error;               /* EAX at entry, or the tracer's orig_rax */
    const char *name = nr < ARRAY_SIZE(syscalls) ? syscalls[nr].name : NULL;
    if (trace && (nr == SYS_exit || nr == SYS_exit_group))
        kevent("syscall pid=%d nr=%lu name=%s arg0=%ld", p->pid, nr, name, (int64_t)tf->rdi);
    uint64_t a0 = tf->rdi, a1 = tf->rsi, a2 = tf->rdx;   /* execve replaces the frame */
    int64_t ret = (int64_t)tf->rax;
    if ((int32_t)nr != -1) {                         /* Linux do_syscall_64: -1 skips, RAX untouched */
        ret = name ? syscalls[nr].fn(tf) : -ENOSYS;
        tf->rax = (uint64_t)ret;
    }
    if (trace)
        kevent("syscall pid=%d nr=%lu name=%s args=0x%lx,0x%lx,0x%lx ret=%ld", p->pid, nr,
               name ? name : "unknown", a0, a1, a2, ret);
out:
    if (p->pt.tracer)
        ptrace_syscall_exit(tf);
}

/*
 * From syscall_entry and the int 0x80 gate, always from ring 3 (so there is
 * a current process). The common case is one table call: the per-thread
 * slow-path flag (test and trace hooks, a tracer's stops) costs one
 * predictable branch when clear; signal work and a user TF two more. Those
 * take signal_syscall_exit(), which delivers signals and may leave through
 * iretq instead of returning to sysretq.
 */
void syscall_dispatch(struct trapframe *tf)
{
    uint64_t nr = (uint32_t)tf->rax;         /* EAX selects the call; RAX's upper half is ignored,
                                                as by Linux's do_syscall_64 */
    int64_t ret = -ENOSYS;

    if (__builtin_expect(myproc()->syscall_work, 0)) {
        syscall_hooked(tf);
    } else {
        if (nr < ARRAY_SIZE(syscalls))
            ret = syscalls[nr].fn(tf);       /* every slot has one: sys_ni_syscall in the gaps */
        tf->rax = (uint64_t)ret;
    }
    /* Two predictable branches when there is nothing to do. A call returns
       -ERESTART* only when it saw a deliverable signal, which set `work`. Every call that
       rewrites the frame (execve, rt_sigreturn, a signal's handler frame) sets `work` too,
       so the slow path alone checks Linux's sysret rule (RCX == RIP, R11 == RFLAGS, else
       iretq): the common call pays nothing for it. */
    if (__builtin_expect(myproc()->sig.work, 0) || __builtin_expect(tf->rflags & RFLAGS_TF, 0))
        signal_syscall_exit(tf);
}
