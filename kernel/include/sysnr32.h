/*
 * Linux i386 system-call numbers of the calls ringlab's IA32 emulation implements (Linux:
 * arch/x86/entry/syscalls/syscall_32.tbl). int $0x80, and syscall/sysenter from
 * compatibility mode, look these up (syscall32.c); every other number is -ENOSYS, as on a
 * Linux built without that call. The build lists each SYS32_name in kabi.json
 * ("syscalls32").
 */
#pragma once

#define SYS32_exit              1
#define SYS32_fork              2
#define SYS32_read              3
#define SYS32_write             4
#define SYS32_open              5
#define SYS32_close             6
#define SYS32_creat             8
#define SYS32_link              9
#define SYS32_unlink            10
#define SYS32_execve            11
#define SYS32_chdir             12
#define SYS32_time              13
#define SYS32_lseek             19
#define SYS32_getpid            20
#define SYS32_getuid            24
#define SYS32_alarm             27
#define SYS32_pause             29
#define SYS32_access            33
#define SYS32_kill              37
#define SYS32_rename            38
#define SYS32_mkdir             39
#define SYS32_rmdir             40
#define SYS32_dup               41
#define SYS32_pipe              42
#define SYS32_brk               45
#define SYS32_getgid            47
#define SYS32_geteuid           49
#define SYS32_getegid           50
#define SYS32_ioctl             54
#define SYS32_fcntl             55
#define SYS32_umask             60
#define SYS32_dup2              63
#define SYS32_getppid           64
#define SYS32_gettimeofday      78
#define SYS32_readlink          85
#define SYS32_old_mmap          90
#define SYS32_munmap            91
#define SYS32_truncate          92
#define SYS32_ftruncate         93
#define SYS32_wait4             114
#define SYS32_clone             120
#define SYS32_uname             122
#define SYS32_mprotect          125
#define SYS32_fchdir            133
#define SYS32_sched_yield       158
#define SYS32_poll              168
#define SYS32_rt_sigprocmask    175
#define SYS32_rt_sigpending     176
#define SYS32_rt_sigsuspend     179
#define SYS32_getcwd            183
#define SYS32_modify_ldt        123
#define SYS32_vfork             190
#define SYS32_ugetrlimit        191
#define SYS32_mmap2             192
#define SYS32_getuid32          199
#define SYS32_getgid32          200
#define SYS32_geteuid32         201
#define SYS32_getegid32         202
#define SYS32_madvise           219
#define SYS32_getdents64        220
#define SYS32_fcntl64           221
#define SYS32_gettid            224
#define SYS32_tkill             238
#define SYS32_set_thread_area   243
#define SYS32_get_thread_area   244
#define SYS32_exit_group        252
#define SYS32_set_tid_address   258
#define SYS32_clock_gettime     265
#define SYS32_tgkill            270
#define SYS32_openat            295
#define SYS32_mkdirat           296
#define SYS32_unlinkat          301
#define SYS32_renameat          302
#define SYS32_linkat            303
#define SYS32_readlinkat        305
#define SYS32_faccessat         307
#define SYS32_dup3              330
#define SYS32_pipe2             331
#define SYS32_prlimit64         340
#define SYS32_renameat2         353
#define SYS32_getrandom         355
#define SYS32_clock_gettime64   403
#define SYS32_clock_getres_time64 406
#define SYS32_clock_nanosleep_time64 407
#define SYS32_ppoll_time64      414
#define SYS32_faccessat2        439
