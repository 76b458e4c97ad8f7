/* System-call handlers: each takes the trap frame and returns the result or -errno. */
#pragma once
#include "trap.h"
#include "types.h"

typedef int64_t (*syscall_fn)(struct trapframe *tf);

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
int64_t sys_getuid(struct trapframe *tf);
int64_t sys_exit(struct trapframe *tf);
int64_t sys_fork(struct trapframe *tf);
int64_t sys_execve(struct trapframe *tf);
int64_t sys_wait4(struct trapframe *tf);
int64_t sys_kill(struct trapframe *tf);
int64_t sys_sched_yield(struct trapframe *tf);
int64_t sys_arch_prctl(struct trapframe *tf);
int64_t sys_set_tid_address(struct trapframe *tf);
int64_t sys_rt_sigaction(struct trapframe *tf);
int64_t sys_rt_sigprocmask(struct trapframe *tf);
int64_t sys_uname(struct trapframe *tf);
int64_t sys_getcwd(struct trapframe *tf);
int64_t sys_clock_gettime(struct trapframe *tf);
