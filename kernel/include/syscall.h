/* System-call handlers: each takes the trap frame and returns the result or -errno. */
#pragma once
#include "trap.h"
#include "types.h"

typedef int64_t (*syscall_fn)(struct trapframe *tf);

int64_t sys_ni_syscall(struct trapframe *tf);   /* -ENOSYS */
int64_t sys_set_thread_area(struct trapframe *tf);   /* tls.c */
int64_t sys_modify_ldt(struct trapframe *tf);        /* ldt.c */
int64_t sys_get_thread_area(struct trapframe *tf);
int64_t sys_execve32(struct trapframe *tf);     /* sysproc.c: argv/envp of 32-bit pointers */
int64_t sys_clone32(struct trapframe *tf);      /* sysproc.c: the i386 argument order */
int64_t sys_ugetrlimit32(struct trapframe *tf); /* syslimit.c: struct compat_rlimit */
int64_t sys_clock_gettime32(struct trapframe *tf);  /* time.c: 32-bit time structures */
int64_t sys_gettimeofday32(struct trapframe *tf);
int64_t sys_time32(struct trapframe *tf);
int64_t sys_sigaction32(struct trapframe *tf);  /* signal32.c: the i386 signal calls */
int64_t sys_rt_sigaction32(struct trapframe *tf);
int64_t sys_sigprocmask32(struct trapframe *tf);
int64_t sys_sigpending32(struct trapframe *tf);
int64_t sys_sigsuspend32(struct trapframe *tf);
int64_t sys_sigaltstack32(struct trapframe *tf);
int64_t sys_sigreturn32(struct trapframe *tf);
int64_t sys_rt_sigreturn32(struct trapframe *tf);
int64_t sys_mmap2(struct trapframe *tf);        /* sysmem.c: below 4 GiB */
int64_t sys_old_mmap32(struct trapframe *tf);
int64_t sys_read(struct trapframe *tf);
int64_t sys_write(struct trapframe *tf);
int64_t sys_writev(struct trapframe *tf);
int64_t sys_readv(struct trapframe *tf);
int64_t sys_open(struct trapframe *tf);
int64_t sys_openat(struct trapframe *tf);
int64_t sys_close(struct trapframe *tf);
int64_t sys_lseek(struct trapframe *tf);
int64_t sys_fstat(struct trapframe *tf);
int64_t sys_stat(struct trapframe *tf);
int64_t sys_newfstatat(struct trapframe *tf);
int64_t sys_getdents64(struct trapframe *tf);
int64_t sys_ioctl(struct trapframe *tf);
int64_t sys_dup(struct trapframe *tf);
int64_t sys_dup2(struct trapframe *tf);
int64_t sys_fcntl(struct trapframe *tf);
int64_t sys_brk(struct trapframe *tf);
int64_t sys_mmap(struct trapframe *tf);
int64_t sys_munmap(struct trapframe *tf);
int64_t sys_mprotect(struct trapframe *tf);
int64_t sys_madvise(struct trapframe *tf);
int64_t sys_sysinfo(struct trapframe *tf);
int64_t sys_getpid(struct trapframe *tf);
int64_t sys_getppid(struct trapframe *tf);
int64_t sys_setpgid(struct trapframe *tf);       /* jobctl.c */
int64_t sys_msync(struct trapframe *tf);         /* sysmem.c */
int64_t sys_flock(struct trapframe *tf);         /* locks.c */
int64_t sys_get_robust_list(struct trapframe *tf);   /* futex.c */
int64_t sys_msgget(struct trapframe *tf);        /* msg.c */
int64_t sys_msgsnd(struct trapframe *tf);
int64_t sys_msgrcv(struct trapframe *tf);
int64_t sys_msgctl(struct trapframe *tf);
int64_t sys_shmget(struct trapframe *tf);        /* shm.c */
int64_t sys_shmat(struct trapframe *tf);
int64_t sys_shmdt(struct trapframe *tf);
int64_t sys_shmctl(struct trapframe *tf);
int64_t sys_semget(struct trapframe *tf);        /* sem.c */
int64_t sys_semop(struct trapframe *tf);
int64_t sys_semtimedop(struct trapframe *tf);
int64_t sys_semctl(struct trapframe *tf);
int64_t sys_ipc32(struct trapframe *tf);         /* ipc32.c: i386 */
int64_t sys_semctl32(struct trapframe *tf);
int64_t sys_shmctl32(struct trapframe *tf);
int64_t sys_shmat32(struct trapframe *tf);
int64_t sys_semtimedop_time64(struct trapframe *tf);
int64_t sys_msgsnd32(struct trapframe *tf);
int64_t sys_msgrcv32(struct trapframe *tf);
int64_t sys_msgctl32(struct trapframe *tf);
int64_t sys_lstat(struct trapframe *tf);         /* syspath.c */
int64_t sys_mknod(struct trapframe *tf);
int64_t sys_mknodat(struct trapframe *tf);
int64_t sys_symlink(struct trapframe *tf);
int64_t sys_symlinkat(struct trapframe *tf);
int64_t sys_statfs(struct trapframe *tf);        /* sysfsinfo.c */
int64_t sys_fstatfs(struct trapframe *tf);
int64_t sys_fsync(struct trapframe *tf);         /* also fdatasync */
int64_t sys_syncfs(struct trapframe *tf);
int64_t sys_sync(struct trapframe *tf);
int64_t sys_sethostname(struct trapframe *tf);   /* sysproc.c */
int64_t sys_getpgid(struct trapframe *tf);
int64_t sys_getpgrp(struct trapframe *tf);
int64_t sys_setsid(struct trapframe *tf);
int64_t sys_getsid(struct trapframe *tf);
int64_t sys_getuid(struct trapframe *tf);
int64_t sys_geteuid(struct trapframe *tf);
int64_t sys_getgid(struct trapframe *tf);
int64_t sys_getegid(struct trapframe *tf);
int64_t sys_getresuid(struct trapframe *tf);
int64_t sys_getresgid(struct trapframe *tf);
int64_t sys_setuid(struct trapframe *tf);
int64_t sys_setgid(struct trapframe *tf);
int64_t sys_setreuid(struct trapframe *tf);
int64_t sys_setregid(struct trapframe *tf);
int64_t sys_setresuid(struct trapframe *tf);
int64_t sys_setresgid(struct trapframe *tf);
int64_t sys_setfsuid(struct trapframe *tf);
int64_t sys_setfsgid(struct trapframe *tf);
int64_t sys_getgroups(struct trapframe *tf);
int64_t sys_setgroups(struct trapframe *tf);
int64_t sys_capget(struct trapframe *tf);
int64_t sys_capset(struct trapframe *tf);
int64_t sys_chmod(struct trapframe *tf);
int64_t sys_fchmod(struct trapframe *tf);
int64_t sys_fchmodat(struct trapframe *tf);
int64_t sys_chown(struct trapframe *tf);
int64_t sys_fchown(struct trapframe *tf);
int64_t sys_lchown(struct trapframe *tf);
int64_t sys_fchownat(struct trapframe *tf);
int64_t sys_exit(struct trapframe *tf);
int64_t sys_fork(struct trapframe *tf);
int64_t sys_execve(struct trapframe *tf);
int64_t sys_wait4(struct trapframe *tf);
int64_t sys_kill(struct trapframe *tf);
int64_t sys_sched_yield(struct trapframe *tf);
int64_t sys_arch_prctl(struct trapframe *tf);
int64_t sys_prctl(struct trapframe *tf);        /* sysprctl.c */
int64_t sys_getcpu(struct trapframe *tf);
int64_t sys_process_vm_readv(struct trapframe *tf);
int64_t sys_process_vm_writev(struct trapframe *tf);
int64_t sys_iopl(struct trapframe *tf);      /* ioperm.c */
int64_t sys_ioperm(struct trapframe *tf);
int64_t sys_set_tid_address(struct trapframe *tf);
int64_t sys_rt_sigaction(struct trapframe *tf);
int64_t sys_rt_sigprocmask(struct trapframe *tf);
int64_t sys_rt_sigreturn(struct trapframe *tf);
int64_t sys_rt_sigpending(struct trapframe *tf);
int64_t sys_rt_sigsuspend(struct trapframe *tf);
int64_t sys_rt_sigtimedwait(struct trapframe *tf);
int64_t sys_rt_sigqueueinfo(struct trapframe *tf);
int64_t sys_rt_tgsigqueueinfo(struct trapframe *tf);
int64_t sys_sigaltstack(struct trapframe *tf);
int64_t sys_pause(struct trapframe *tf);
int64_t sys_getitimer(struct trapframe *tf);
int64_t sys_alarm(struct trapframe *tf);
int64_t sys_setitimer(struct trapframe *tf);
int64_t sys_tkill(struct trapframe *tf);
int64_t sys_tgkill(struct trapframe *tf);
int64_t sys_uname(struct trapframe *tf);
int64_t sys_getcwd(struct trapframe *tf);
int64_t sys_clock_gettime(struct trapframe *tf);
int64_t sys_clock_settime(struct trapframe *tf);     /* time.c */
int64_t sys_settimeofday(struct trapframe *tf);      /* time.c */
int64_t sys_clock_settime32(struct trapframe *tf);   /* time.c: i386 old_timespec32 */
int64_t sys_settimeofday32(struct trapframe *tf);    /* time.c: i386 old_timeval32 */
int64_t sys_pipe(struct trapframe *tf);
int64_t sys_creat(struct trapframe *tf);
int64_t sys_link(struct trapframe *tf);
int64_t sys_unlink(struct trapframe *tf);
int64_t sys_readlink(struct trapframe *tf);
int64_t sys_umask(struct trapframe *tf);
int64_t sys_gettimeofday(struct trapframe *tf);
int64_t sys_getrlimit(struct trapframe *tf);
int64_t sys_setrlimit(struct trapframe *tf);
int64_t sys_mkdir(struct trapframe *tf);
int64_t sys_rmdir(struct trapframe *tf);
int64_t sys_rename(struct trapframe *tf);
int64_t sys_truncate(struct trapframe *tf);
int64_t sys_ftruncate(struct trapframe *tf);
int64_t sys_fchdir(struct trapframe *tf);
int64_t sys_time(struct trapframe *tf);
int64_t sys_sched_setaffinity(struct trapframe *tf);
int64_t sys_sched_getaffinity(struct trapframe *tf);
int64_t sys_clock_getres(struct trapframe *tf);
int64_t sys_mkdirat(struct trapframe *tf);
int64_t sys_unlinkat(struct trapframe *tf);
int64_t sys_renameat(struct trapframe *tf);
int64_t sys_linkat(struct trapframe *tf);
int64_t sys_readlinkat(struct trapframe *tf);
int64_t sys_faccessat(struct trapframe *tf);
int64_t sys_utimensat(struct trapframe *tf);
int64_t sys_dup3(struct trapframe *tf);
int64_t sys_pipe2(struct trapframe *tf);
int64_t sys_renameat2(struct trapframe *tf);
int64_t sys_faccessat2(struct trapframe *tf);
int64_t sys_access(struct trapframe *tf);
int64_t sys_chdir(struct trapframe *tf);
int64_t sys_prlimit64(struct trapframe *tf);
int64_t sys_getrandom(struct trapframe *tf);
int64_t sys_rseq(struct trapframe *tf);                  /* rseq.c */
int64_t sys_poll(struct trapframe *tf);
int64_t sys_nanosleep(struct trapframe *tf);
int64_t sys_clone(struct trapframe *tf);
int64_t sys_clone3(struct trapframe *tf);            /* sysproc.c */
int64_t sys_ppoll(struct trapframe *tf);
int64_t sys_clock_nanosleep(struct trapframe *tf);
int64_t sys_pread64(struct trapframe *tf);
int64_t sys_pwrite64(struct trapframe *tf);
int64_t sys_gettid(struct trapframe *tf);
int64_t sys_exit_group(struct trapframe *tf);
int64_t sys_futex(struct trapframe *tf);
int64_t sys_futex32(struct trapframe *tf);                /* i386 futex: old_timespec32 */
int64_t sys_nanosleep32(struct trapframe *tf);            /* time.c: i386 old_timespec32 */
int64_t sys_clock_nanosleep32(struct trapframe *tf);
int64_t sys_rt_sigtimedwait32(struct trapframe *tf);      /* syssignal.c: compat siginfo */
int64_t sys_rt_sigtimedwait_time64(struct trapframe *tf);
int64_t sys_getitimer32(struct trapframe *tf);            /* syssignal.c: compat_itimerval */
int64_t sys_setitimer32(struct trapframe *tf);
int64_t sys_mremap32(struct trapframe *tf);               /* sysmem.c: below an i386 TASK_SIZE */
int64_t sys_clone3_32(struct trapframe *tf);
int64_t sys_rt_sigqueueinfo32(struct trapframe *tf);      /* syssignal.c: compat siginfo in */
int64_t sys_rt_tgsigqueueinfo32(struct trapframe *tf);    /* syssignal.c: compat siginfo in */
int64_t sys_set_robust_list32(struct trapframe *tf);      /* futex.c: compat_robust_list_head */
int64_t sys_get_robust_list32(struct trapframe *tf);              /* sysproc.c: tls as a user_desc */
int64_t sys_set_robust_list(struct trapframe *tf);
int64_t sys_mremap(struct trapframe *tf);
/* sockets (socket.c) */
int64_t sys_socket(struct trapframe *tf);
int64_t sys_connect(struct trapframe *tf);
int64_t sys_accept(struct trapframe *tf);
int64_t sys_sendto(struct trapframe *tf);
int64_t sys_recvfrom(struct trapframe *tf);
int64_t sys_sendmsg(struct trapframe *tf);
int64_t sys_recvmsg(struct trapframe *tf);
int64_t sys_shutdown(struct trapframe *tf);
int64_t sys_bind(struct trapframe *tf);
int64_t sys_listen(struct trapframe *tf);
int64_t sys_getsockname(struct trapframe *tf);
int64_t sys_getpeername(struct trapframe *tf);
int64_t sys_socketpair(struct trapframe *tf);
int64_t sys_setsockopt(struct trapframe *tf);
int64_t sys_getsockopt(struct trapframe *tf);
int64_t sys_accept4(struct trapframe *tf);
int64_t sys_recvmmsg(struct trapframe *tf);
int64_t sys_sendmmsg(struct trapframe *tf);
/* POSIX timers (ptimer.c) and select (select.c) */
int64_t sys_select(struct trapframe *tf);
int64_t sys_pselect6(struct trapframe *tf);
int64_t sys_timer_create(struct trapframe *tf);
int64_t sys_timer_settime(struct trapframe *tf);
int64_t sys_timer_gettime(struct trapframe *tf);
int64_t sys_timer_getoverrun(struct trapframe *tf);
int64_t sys_timer_delete(struct trapframe *tf);
int16_t poll_fd_ready(int fd);                            /* poll.c: one fd's revents, POLLNVAL if closed */
/* The open files a waiting poll or select holds (poll.c; Linux __pollwait's get_file): those
   its first look saw, until it returns. */
struct pollhold {
    struct file **page[8];                                /* NOFILE_MAX pointers, a page each 512 */
    uint64_t n;
};
int poll_hold(struct pollhold *h, int fd);                /* 0 (also for a closed fd), -ENOMEM */
void poll_release(struct pollhold *h);
int64_t sys_timer_create32(struct trapframe *tf);          /* ptimer.c: compat_sigevent */
int64_t sys_timer_settime32(struct trapframe *tf);         /* old_itimerspec32 */
int64_t sys_timer_gettime32(struct trapframe *tf);
int64_t sys_newselect32(struct trapframe *tf);             /* select.c: 32-bit fd_set words */
int64_t sys_old_select32(struct trapframe *tf);            /* select.c: i386 select (82) */
int64_t sys_pselect6_32(struct trapframe *tf);
int64_t sys_pselect6_time64_32(struct trapframe *tf);
int64_t sys_sendmsg32(struct trapframe *tf);
int64_t sys_recvmsg32(struct trapframe *tf);
int64_t sys_socketcall32(struct trapframe *tf);
int64_t sys_mlock(struct trapframe *tf);         /* mlock.c */
int64_t sys_mlock2(struct trapframe *tf);
int64_t sys_munlock(struct trapframe *tf);
int64_t sys_mlockall(struct trapframe *tf);
int64_t sys_munlockall(struct trapframe *tf);
