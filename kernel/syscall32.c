/*
 * IA32 emulation: the i386 system-call table, as Linux's (arch/x86/entry/syscall_32.c,
 * numbers in include/sysnr32.h). `int $0x80` from 64-bit or 32-bit code, and `syscall` or
 * `sysenter` from compatibility mode, land here. The i386 convention: number in EAX,
 * arguments in EBX, ECX, EDX, ESI, EDI, EBP (32 bits each), result in EAX; every other
 * register, R8-R15 included, is the caller's again afterwards (Linux preserves them for
 * int $0x80 since 4.17, "x86/entry/64/compat: Preserve r8-r11 in int $0x80").
 *
 * The calls listed take the same structures in both ABIs (integers, pointers, byte buffers,
 * struct pollfd, struct winsize, 64-bit sigset_t, struct rlimit64, the _time64 calls'
 * struct __kernel_timespec), so each runs the x86-64 handler with its arguments moved to
 * the x86-64 registers in a copy of the frame: pointers and unsigned values zero-extended,
 * signed offsets (compat_off_t) sign-extended, as Linux's compat wrappers do. Calls whose
 * i386 structures differ get an i386 handler where there is one (execve: arrays of 32-bit
 * pointers; clone's argument order and its tls as a struct user_desc; ugetrlimit's compat_rlimit; time, gettimeofday and
 * clock_gettime with 32-bit time fields; mmap2 and old mmap, placed below 4 GiB; the signal
 * calls with compat structures and ia32 frames, signal32.c; sendmsg, recvmsg and socketcall with
 * compat_msghdr, socket.c); the others (stat64, timespec32,
 * iovec, ...) and the rest are not listed: -ENOSYS, as from a Linux built without them.
 */
#include "kernel.h"
#include "errno.h"
#include "gdt.h"
#include "kargs.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"
#include "syscall.h"
#include "sysnr32.h"
#include "trap.h"
#include "vdso.h"
#include "vm.h"

#define SYS32_MAX SYS32_faccessat2    /* the highest number with a handler */
#define SEXT(n) (1u << (n))           /* argument n is a signed 32-bit value (compat_off_t) */

/*
 * The landing pad Linux returns a compatibility-mode syscall or sysenter to
 * (vdso_image_32.sym_int80_landing_pad, right after `int $0x80` in __kernel_vsyscall) is the
 * 32-bit vDSO's (vdso.c vdso32_entry) in an i386 process. A 64-bit process has no 32-bit
 * vDSO: its landing pad is taken from a base of 0, as on a Linux whose processes get no
 * 32-bit vDSO (sysctl abi.vsyscall32=0): the call runs, then the return to the missing
 * landing pad faults in ring 3 (#PF, SIGSEGV).
 */

/* The 16-bit id calls (Linux kernel/uid16.c): an id past 65535 reads as the overflow id,
   65534 (high2lowuid, fs_overflowuid's default). */
#define OVERFLOW_ID16 65534           /* /proc/sys/kernel/overflowuid and overflowgid's default */

static int64_t low16(int64_t id)
{
    return id & ~0xffffL ? OVERFLOW_ID16 : id;
}

static int64_t sys_getuid16(struct trapframe *tf) { return low16(sys_getuid(tf)); }
static int64_t sys_getgid16(struct trapframe *tf) { return low16(sys_getgid(tf)); }
static int64_t sys_geteuid16(struct trapframe *tf) { return low16(sys_geteuid(tf)); }
static int64_t sys_getegid16(struct trapframe *tf) { return low16(sys_getegid(tf)); }

static const struct {
    const char *name;
    syscall_fn fn;
    uint8_t sext;                 /* SEXT(n) bits */
} syscalls32[] = {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
    [0 ... SYS32_MAX] = { NULL, sys_ni_syscall, 0 },
    [SYS32_exit] = { "exit", sys_exit, 0 },
    [SYS32_fork] = { "fork", sys_fork, 0 },
    [SYS32_read] = { "read", sys_read, 0 },
    [SYS32_write] = { "write", sys_write, 0 },
    [SYS32_open] = { "open", sys_open, 0 },
    [SYS32_close] = { "close", sys_close, 0 },
    [SYS32_creat] = { "creat", sys_creat, 0 },
    [SYS32_link] = { "link", sys_link, 0 },
    [SYS32_unlink] = { "unlink", sys_unlink, 0 },
    [SYS32_execve] = { "execve", sys_execve32, 0 },
    [SYS32_chdir] = { "chdir", sys_chdir, 0 },
    [SYS32_time] = { "time", sys_time32, 0 },
    [SYS32_lseek] = { "lseek", sys_lseek, SEXT(1) },
    [SYS32_getpid] = { "getpid", sys_getpid, 0 },
    [SYS32_getuid] = { "getuid", sys_getuid16, 0 },   /* 16-bit ids (uid16.c) */
    [SYS32_alarm] = { "alarm", sys_alarm, 0 },
    [SYS32_pause] = { "pause", sys_pause, 0 },
    [SYS32_access] = { "access", sys_access, 0 },
    [SYS32_kill] = { "kill", sys_kill, 0 },
    [SYS32_rename] = { "rename", sys_rename, 0 },
    [SYS32_mkdir] = { "mkdir", sys_mkdir, 0 },
    [SYS32_rmdir] = { "rmdir", sys_rmdir, 0 },
    [SYS32_dup] = { "dup", sys_dup, 0 },
    [SYS32_pipe] = { "pipe", sys_pipe, 0 },
    [SYS32_brk] = { "brk", sys_brk, 0 },
    [SYS32_getgid] = { "getgid", sys_getgid16, 0 },
    [SYS32_geteuid] = { "geteuid", sys_geteuid16, 0 },
    [SYS32_getegid] = { "getegid", sys_getegid16, 0 },
    [SYS32_ioctl] = { "ioctl", sys_ioctl, 0 },
    [SYS32_fcntl] = { "fcntl", sys_fcntl, 0 },        /* no record locks in either ABI */
    [SYS32_umask] = { "umask", sys_umask, 0 },
    [SYS32_dup2] = { "dup2", sys_dup2, 0 },
    [SYS32_getppid] = { "getppid", sys_getppid, 0 },
    [SYS32_setpgid] = { "setpgid", sys_setpgid, 0 },
    [SYS32_getpgid] = { "getpgid", sys_getpgid, 0 },
    [SYS32_getpgrp] = { "getpgrp", sys_getpgrp, 0 },
    [SYS32_setsid] = { "setsid", sys_setsid, 0 },
    [SYS32_getsid] = { "getsid", sys_getsid, 0 },
    [SYS32_gettimeofday] = { "gettimeofday", sys_gettimeofday32, 0 },
    [SYS32_readlink] = { "readlink", sys_readlink, 0 },
    [SYS32_old_mmap] = { "old_mmap", sys_old_mmap32, 0 },
    [SYS32_munmap] = { "munmap", sys_munmap, 0 },
    [SYS32_truncate] = { "truncate", sys_truncate, SEXT(1) },
    [SYS32_ftruncate] = { "ftruncate", sys_ftruncate, SEXT(1) },
    [SYS32_wait4] = { "wait4", sys_wait4, 0 },        /* the rusage argument is not filled */
    [SYS32_clone] = { "clone", sys_clone32, 0 },
    [SYS32_uname] = { "uname", sys_uname, 0 },
    [SYS32_mprotect] = { "mprotect", sys_mprotect, 0 },
    [SYS32_fchdir] = { "fchdir", sys_fchdir, 0 },
    [SYS32_sched_yield] = { "sched_yield", sys_sched_yield, 0 },
    [SYS32_poll] = { "poll", sys_poll, 0 },
    [SYS32_rt_sigprocmask] = { "rt_sigprocmask", sys_rt_sigprocmask, 0 },
    [SYS32_rt_sigpending] = { "rt_sigpending", sys_rt_sigpending, 0 },
    [SYS32_rt_sigsuspend] = { "rt_sigsuspend", sys_rt_sigsuspend, 0 },
    [SYS32_getcwd] = { "getcwd", sys_getcwd, 0 },
    [SYS32_modify_ldt] = { "modify_ldt", sys_modify_ldt, 0 },
    [SYS32_vfork] = { "vfork", sys_fork, 0 },
    [SYS32_ugetrlimit] = { "ugetrlimit", sys_ugetrlimit32, 0 },
    [SYS32_mmap2] = { "mmap2", sys_mmap2, 0 },
    [SYS32_getuid32] = { "getuid32", sys_getuid, 0 },
    [SYS32_getgid32] = { "getgid32", sys_getgid, 0 },
    [SYS32_geteuid32] = { "geteuid32", sys_geteuid, 0 },
    [SYS32_getegid32] = { "getegid32", sys_getegid, 0 },
    [SYS32_madvise] = { "madvise", sys_madvise, 0 },
    [SYS32_getdents64] = { "getdents64", sys_getdents64, 0 },
    [SYS32_fcntl64] = { "fcntl64", sys_fcntl, 0 },
    [SYS32_gettid] = { "gettid", sys_gettid, 0 },
    [SYS32_tkill] = { "tkill", sys_tkill, 0 },
    [SYS32_set_thread_area] = { "set_thread_area", sys_set_thread_area, 0 },
    [SYS32_get_thread_area] = { "get_thread_area", sys_get_thread_area, 0 },
    [SYS32_exit_group] = { "exit_group", sys_exit_group, 0 },
    [SYS32_set_tid_address] = { "set_tid_address", sys_set_tid_address, 0 },
    [SYS32_clock_gettime] = { "clock_gettime", sys_clock_gettime32, 0 },
    [SYS32_tgkill] = { "tgkill", sys_tgkill, 0 },
    [SYS32_openat] = { "openat", sys_openat, 0 },
    [SYS32_mkdirat] = { "mkdirat", sys_mkdirat, 0 },
    [SYS32_unlinkat] = { "unlinkat", sys_unlinkat, 0 },
    [SYS32_renameat] = { "renameat", sys_renameat, 0 },
    [SYS32_linkat] = { "linkat", sys_linkat, 0 },
    [SYS32_readlinkat] = { "readlinkat", sys_readlinkat, 0 },
    [SYS32_faccessat] = { "faccessat", sys_faccessat, 0 },
    [SYS32_dup3] = { "dup3", sys_dup3, 0 },
    [SYS32_pipe2] = { "pipe2", sys_pipe2, 0 },
    [SYS32_prlimit64] = { "prlimit64", sys_prlimit64, 0 },
    [SYS32_renameat2] = { "renameat2", sys_renameat2, 0 },
    [SYS32_getrandom] = { "getrandom", sys_getrandom, 0 },
    /* rseq (rseq.c: the same struct, u64 fields) and what an i386 rseq test pins itself with:
       sched_setaffinity (a mask's first byte, the same in 32-bit words) and getcpu */
    [SYS32_rseq] = { "rseq", sys_rseq, 0 },
    [SYS32_sched_setaffinity] = { "sched_setaffinity", sys_sched_setaffinity, 0 },
    [SYS32_getcpu] = { "getcpu", sys_getcpu, 0 },
    [SYS32_clock_gettime64] = { "clock_gettime64", sys_clock_gettime, 0 },
    [SYS32_clock_getres_time64] = { "clock_getres_time64", sys_clock_getres, 0 },
    [SYS32_clock_nanosleep_time64] = { "clock_nanosleep_time64", sys_clock_nanosleep, 0 },
    [SYS32_ppoll_time64] = { "ppoll_time64", sys_ppoll, 0 },
    [SYS32_faccessat2] = { "faccessat2", sys_faccessat2, 0 },
    /* System V IPC, the i386 structures (ipc32.c) */
    [SYS32_ipc] = { "ipc", sys_ipc32, 0 },
    [SYS32_semget] = { "semget", sys_semget, 0 },
    [SYS32_semctl] = { "semctl", sys_semctl32, 0 },
    [SYS32_shmget] = { "shmget", sys_shmget, 0 },
    [SYS32_shmctl] = { "shmctl", sys_shmctl32, 0 },
    [SYS32_shmat] = { "shmat", sys_shmat32, 0 },
    [SYS32_shmdt] = { "shmdt", sys_shmdt, 0 },
    [SYS32_msgget] = { "msgget", sys_msgget, 0 },
    [SYS32_msgsnd] = { "msgsnd", sys_msgsnd32, 0 },
    [SYS32_msgrcv] = { "msgrcv", sys_msgrcv32, 0 },
    [SYS32_msgctl] = { "msgctl", sys_msgctl32, 0 },
    [SYS32_semtimedop_time64] = { "semtimedop_time64", sys_semtimedop_time64, 0 },
    [SYS32_settimeofday] = { "settimeofday", sys_settimeofday32, 0 },          /* time.c */
    [SYS32_clock_settime] = { "clock_settime", sys_clock_settime32, 0 },
    [SYS32_clock_settime64] = { "clock_settime64", sys_clock_settime, 0 },
    /* signals with the i386 structures and ia32 frames (signal32.c) */
    [SYS32_sigaction] = { "sigaction", sys_sigaction32, 0 },
    [SYS32_sigsuspend] = { "sigsuspend", sys_sigsuspend32, 0 },
    [SYS32_sigpending] = { "sigpending", sys_sigpending32, 0 },
    [SYS32_sigreturn] = { "sigreturn", sys_sigreturn32, 0 },
    [SYS32_sigprocmask] = { "sigprocmask", sys_sigprocmask32, 0 },
    [SYS32_rt_sigreturn] = { "rt_sigreturn", sys_rt_sigreturn32, 0 },
    [SYS32_rt_sigaction] = { "rt_sigaction", sys_rt_sigaction32, 0 },
    [SYS32_sigaltstack] = { "sigaltstack", sys_sigaltstack32, 0 },
    /* sockets (socket.c): the same structures as x86-64's but for the msghdr calls */
    [SYS32_socketcall] = { "socketcall", sys_socketcall32, 0 },
    [SYS32_socket] = { "socket", sys_socket, 0 },
    [SYS32_socketpair] = { "socketpair", sys_socketpair, 0 },
    [SYS32_bind] = { "bind", sys_bind, 0 },
    [SYS32_connect] = { "connect", sys_connect, 0 },
    [SYS32_listen] = { "listen", sys_listen, 0 },
    [SYS32_accept4] = { "accept4", sys_accept4, 0 },
    [SYS32_getsockopt] = { "getsockopt", sys_getsockopt, 0 },
    [SYS32_setsockopt] = { "setsockopt", sys_setsockopt, 0 },
    [SYS32_getsockname] = { "getsockname", sys_getsockname, 0 },
    [SYS32_getpeername] = { "getpeername", sys_getpeername, 0 },
    [SYS32_sendto] = { "sendto", sys_sendto, 0 },
    [SYS32_sendmsg] = { "sendmsg", sys_sendmsg32, 0 },
    [SYS32_recvfrom] = { "recvfrom", sys_recvfrom, 0 },
    [SYS32_recvmsg] = { "recvmsg", sys_recvmsg32, 0 },
    [SYS32_shutdown] = { "shutdown", sys_shutdown, 0 },
    /* threads, sleeps, timers and signal waits: old_timespec32, compat_itimerval,
       compat_siginfo_t, a user_desc as clone's tls, mremap below 4 GiB (compat2) */
    [SYS32_futex] = { "futex", sys_futex32, 0 },                               /* futex.c */
    [SYS32_futex_time64] = { "futex_time64", sys_futex, 0 },
    [SYS32_nanosleep] = { "nanosleep", sys_nanosleep32, 0 },                   /* time.c */
    [SYS32_clock_nanosleep] = { "clock_nanosleep", sys_clock_nanosleep32, 0 },
    [SYS32_rt_sigtimedwait] = { "rt_sigtimedwait", sys_rt_sigtimedwait32, 0 },  /* syssignal.c */
    [SYS32_rt_sigtimedwait_time64] = { "rt_sigtimedwait_time64", sys_rt_sigtimedwait_time64, 0 },
    [SYS32_setitimer] = { "setitimer", sys_setitimer32, 0 },
    [SYS32_getitimer] = { "getitimer", sys_getitimer32, 0 },
    [SYS32_mremap] = { "mremap", sys_mremap32, 0 },                            /* sysmem.c */
    [SYS32_clone3] = { "clone3", sys_clone3_32, 0 },                           /* sysproc.c */
    [SYS32_rt_sigqueueinfo] = { "rt_sigqueueinfo", sys_rt_sigqueueinfo32, 0 }, /* syssignal.c */
    [SYS32_rt_tgsigqueueinfo] = { "rt_tgsigqueueinfo", sys_rt_tgsigqueueinfo32, 0 },
    [SYS32_set_robust_list] = { "set_robust_list", sys_set_robust_list32, 0 }, /* futex.c */
    [SYS32_get_robust_list] = { "get_robust_list", sys_get_robust_list32, 0 },
    /* POSIX timers and select: compat_sigevent, old_itimerspec32, 32-bit fd_set words (ptimers) */
    [SYS32_timer_create] = { "timer_create", sys_timer_create32, SEXT(0) },   /* ptimer.c: CPU clocks < 0 */
    [SYS32_timer_settime] = { "timer_settime", sys_timer_settime32, 0 },
    [SYS32_timer_gettime] = { "timer_gettime", sys_timer_gettime32, 0 },
    [SYS32_timer_getoverrun] = { "timer_getoverrun", sys_timer_getoverrun, 0 },
    [SYS32_timer_delete] = { "timer_delete", sys_timer_delete, 0 },
    [SYS32_timer_settime64] = { "timer_settime64", sys_timer_settime, 0 },
    [SYS32_timer_gettime64] = { "timer_gettime64", sys_timer_gettime, 0 },
    [SYS32__newselect] = { "_newselect", sys_newselect32, SEXT(0) },           /* select.c */
    [SYS32_select] = { "select", sys_old_select32, 0 },                       /* old_select */
    [SYS32_pselect6] = { "pselect6", sys_pselect6_32, SEXT(0) },
    [SYS32_pselect6_time64] = { "pselect6_time64", sys_pselect6_time64_32, SEXT(0) },
    /* memory locking: integers only (rlimits) */
    [SYS32_mlock] = { "mlock", sys_mlock, 0 },                                 /* mlock.c */
    [SYS32_munlock] = { "munlock", sys_munlock, 0 },
    [SYS32_mlockall] = { "mlockall", sys_mlockall, 0 },
    [SYS32_munlockall] = { "munlockall", sys_munlockall, 0 },
    [SYS32_mlock2] = { "mlock2", sys_mlock2, 0 },
#pragma clang diagnostic pop
};

static uint64_t arg32(uint64_t reg, unsigned n, uint8_t sext)
{
    return (sext & SEXT(n)) ? (uint64_t)(int64_t)(int32_t)reg : (uint32_t)reg;
}

/*
 * Run the i386 call the frame names and store its result in EAX (RAX, sign-extended as
 * Linux's `regs->ax = (long)(int)...` leaves it: a 32-bit caller sees only EAX). The handler
 * gets a copy of the frame with the x86-64 argument registers: fork copies the real frame
 * (p->tf) for the child, execve would rewrite it; the caller's registers in the real frame
 * are never touched but EAX. Then the signal work of any system call.
 */
void syscall32_dispatch(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t nr = (uint32_t)tf->rax;
    int64_t ret = -ENOSYS;
    bool skip = false;
    if (__builtin_expect(p->pt.syscall, 0)) {
        /* A tracer's syscall-entry stop, as for the 64-bit calls (syscall.c): it may change the
           number (orig_eax), the arguments, or skip the call with -1, RAX then as it left it. */
        skip = ptrace_syscall_entry(tf);
        nr = (uint32_t)tf->error;
        skip |= (int32_t)nr == -1;
        ret = (int64_t)tf->rax;
    }
    const char *name = nr < ARRAY_SIZE(syscalls32) && syscalls32[nr].name ? syscalls32[nr].name : "unknown";
    if (__builtin_expect(kargs.trace_syscall, 0) && (nr == SYS32_exit || nr == SYS32_exit_group))
        kevent("syscall pid=%d nr=%lu name=%s abi=i386 arg0=%d", p->pid, nr, name, (int32_t)tf->rbx);
    if (!skip && nr < ARRAY_SIZE(syscalls32)) {
        uint8_t s = syscalls32[nr].sext;
        struct trapframe t = *tf;
        t.rax = nr;
        t.rdi = arg32(tf->rbx, 0, s);
        t.rsi = arg32(tf->rcx, 1, s);
        t.rdx = arg32(tf->rdx, 2, s);
        t.r10 = arg32(tf->rsi, 3, s);
        t.r8 = arg32(tf->rdi, 4, s);
        t.r9 = arg32(tf->rbp, 5, s);
        ret = syscalls32[nr].fn(&t);
    } else if (!skip) {
        ret = -ENOSYS;
    }
    tf->rax = (uint64_t)(int64_t)(int32_t)ret;
    if (__builtin_expect(kargs.trace_syscall, 0))
        kevent("syscall pid=%d nr=%lu name=%s abi=i386 args=0x%lx,0x%lx,0x%lx ret=%d", p->pid, nr, name,
               (uint64_t)(uint32_t)tf->rbx, (uint64_t)(uint32_t)tf->rcx, (uint64_t)(uint32_t)tf->rdx,
               (int32_t)ret);
    if (__builtin_expect(p->pt.tracer != NULL, 0))
        ptrace_syscall_exit(tf);
    if (__builtin_expect(p->sig.work, 0) || __builtin_expect(tf->rflags & RFLAGS_TF, 0))
        signal_syscall_exit(tf);
}

/*
 * From entry_SYSCALL_compat and entry_SYSENTER_compat (trapentry.S), as Linux's
 * do_fast_syscall_32 (arch/x86/entry/common.c): the return address is the vDSO's landing
 * pad whichever instruction entered (sysenter saves none; the vDSO's __kernel_vsyscall
 * restores ECX, EDX and EBP there); R8-R15 read as zero afterwards (the entries do not save
 * them); the sixth argument is the 32-bit word at the user's ESP (the vDSO pushed EBP
 * there). An unreadable stack makes the call -EFAULT without running it.
 */
void compat_fast_syscall(struct trapframe *tf)
{
    tf->rip = vdso32_entry(myproc()->mm->vdso_base, VDSO32_LANDING_PAD);   /* 0 without one */
    tf->r8 = tf->r9 = tf->r10 = tf->r11 = tf->r12 = tf->r13 = tf->r14 = tf->r15 = 0;
    uint32_t arg6;
    if (copyin(myproc()->pml4, &arg6, (uint32_t)tf->rsp, sizeof arg6)) {
        tf->rax = (uint64_t)-EFAULT;
        signal_return(tf, -1);
        return;
    }
    tf->rbp = arg6;
    syscall32_dispatch(tf);
}
