/*
 * sfuzz's runtime: what a fuzz program's calls run on, shared word for word by the fuzzer
 * (sfuzz.c) and by the reproducers it prints (`invoke fuzz` pastes this file above the
 * program, so a reproducer evaluates every argument exactly as the fuzzer did).
 *
 * A program is a list of system calls; each argument is one expression:
 *   constant            0x42
 *   result of call i    fz_r[i] + OFF          (fds, addresses of mappings, pids)
 *   scratch buffer      fz_buf + OFF           (buffers; lengths tied to them)
 *   shared page         fz_shm + OFF           (futex words: MAP_SHARED, seen by every thread
 *                                               and forked child)
 *   path                fz_paths[i]            (a small tree under /tmp/fz, devices, bad paths)
 *   filled struct       fz_fill(OFF, LEN, SEED)   (LEN seeded bytes at fz_buf + OFF)
 *   iovec array         fz_iov(OFF, COUNT)
 *   timespec            fz_ts(OFF, NS)         ({0, NS}: timeouts stay short)
 *   sigaction           fz_sa(OFF, HANDLER, FLAGS)  (SIG_DFL, SIG_IGN or a handler that returns)
 *   int in the buffer   fz_int(OFF)            (the fds pipe() stored)
 *   own ids             fz_id(0|1|2)           (getpid, gettid, getppid)
 *   argv                fz_argv                ({"sfuzz", "exit"}: execve of /sfuzz ends at once)
 * Calls marked async run in one of two threads (CLONE_VM|CLONE_THREAD...) started with the
 * program, racing the main thread's calls on the same objects.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FZ_MAXCALLS     16
#define FZ_BUF_SIZE     (64 * 1024)
#define FZ_SHM_SIZE     (4 * 4096)
#define FZ_THREADS      2
#define FZ_STACK        (16 * 1024)
#define FZ_TIMEOUT_NS   100000000L          /* a program's time before it is killed: 100 ms */
#define FZ_STUCK_NS     2000000000L         /* after SIGKILL, unreaped this long: unkillable */

static char fz_buf[FZ_BUF_SIZE] __attribute__((aligned(4096)));
static char *fz_shm;
static volatile long fz_r[FZ_MAXCALLS];
static char fz_stacks[FZ_THREADS][FZ_STACK] __attribute__((aligned(16)));
static char *const fz_argv[] = { "sfuzz", "exit", NULL };
static char fz_long_path[5000];

/* The tree every program starts from (fz_setup makes it again before each program). */
static const char *const fz_paths[] = {
    "/tmp/fz", "/tmp/fz/f0", "/tmp/fz/f1", "/tmp/fz/d0", "/tmp/fz/d0/f2", "/tmp/fz/d0/d3",
    "/tmp/fz/d1", "f0", "d0", "d0/f2", "d1/new", "new", ".", "..", "", "/", "/tmp",
    "/tmp/fz/f0/x", "/nonexistent", "/dev/null", "/dev/zero", "/dev/urandom",
    "/sys/kernel/debug/kcov", "/sfuzz", fz_long_path,
};
#define FZ_NPATHS (sizeof fz_paths / sizeof fz_paths[0])
#define FZ_PATH_DEV 19                      /* fz_paths[19..23]: devices, kcov, /sfuzz */

/* One system call. A new process or thread (fork, vfork, clone: rax 0 in the child) leaves at
   once, in the same asm block: it shares the caller's stack (vfork, CLONE_VM without a stack)
   or has none of its own, and a fuzz program's child has nothing else to do. */
static long fz_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
    /* A signal sent to pid 0 or below (the process group, everyone) would reach the fuzzer
       itself: such a target (a failed fork's -errno, an unset result) becomes the caller. */
    if ((nr == SYS_kill || nr == SYS_rt_sigqueueinfo) && a <= 0)
        a = fz_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
    if (nr >= 56 && nr <= 58) {
        register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
        long ret;
        __asm__ volatile("syscall\n\t"
                         "test %%rax, %%rax\n\t"
                         "jnz 1f\n\t"
                         "mov $60, %%eax\n\t"
                         "xor %%edi, %%edi\n\t"
                         "syscall\n\t"
                         "1:"
                         : "=a"(ret)
                         : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                         : "rcx", "r11", "memory");
        return ret;
    }
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static uint64_t fz_rng(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static long fz_fill(long off, long len, long seed)
{
    uint64_t s = (uint64_t)seed | 1;
    for (long i = 0; i < len && off + i < FZ_BUF_SIZE; i++)
        fz_buf[off + i] = (char)fz_rng(&s);
    return (long)(fz_buf + off);
}

static long fz_iov(long off, long count)
{
    struct iovec *v = (struct iovec *)(fz_buf + off);
    for (long i = 0; i < count && off + (long)sizeof *v * (i + 1) <= FZ_BUF_SIZE / 2; i++)
        v[i] = (struct iovec){ fz_buf + FZ_BUF_SIZE / 2 + (i % 64) * 256, 256 };
    return (long)v;
}

static long fz_ts(long off, long ns)
{
    struct timespec *t = (struct timespec *)(fz_buf + off);
    *t = (struct timespec){ 0, ns };
    return (long)t;
}

void fz_restorer(void);          /* rt_sigreturn, as a libc restorer */
__asm__(".text\n.globl fz_restorer\nfz_restorer:\n\tmov $15, %eax\n\tsyscall\n\thlt\n");
static void fz_handler(int sig)
{
    (void)sig;
}

/* struct k_sigaction as rt_sigaction takes it (handler, flags, restorer, mask). */
static long fz_sa(long off, long handler, long flags)
{
    long *k = (long *)(fz_buf + off);
    k[0] = handler == 2 ? (long)fz_handler : handler;   /* 0 SIG_DFL, 1 SIG_IGN */
    k[1] = flags | 0x04000000;                          /* SA_RESTORER */
    k[2] = (long)fz_restorer;
    k[3] = 0;
    return (long)k;
}

static long fz_int(long off)
{
    return *(int *)(fz_buf + off);
}

static long fz_id(long which)
{
    return fz_syscall(which == 0 ? SYS_getpid : which == 1 ? SYS_gettid : SYS_getppid, 0, 0, 0, 0, 0, 0);
}

/* Before each program: the tree again (what the last one removed or renamed), its working
   directory, and fds 0-2 on /dev/null (a program's writes never reach the console). */
static void fz_setup(void)
{
    static const char *const dirs[] = { "/tmp/fz", "/tmp/fz/d0", "/tmp/fz/d0/d3", "/tmp/fz/d1" };
    static const char *const files[] = { "/tmp/fz/f0", "/tmp/fz/f1", "/tmp/fz/d0/f2" };
    for (unsigned i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
        mkdir(dirs[i], 0777);
    for (unsigned i = 0; i < sizeof files / sizeof files[0]; i++) {
        int fd = open(files[i], O_WRONLY | O_CREAT, 0666);
        if (fd >= 0) {
            write(fd, "sfuzz\n", 6);
            close(fd);
        }
    }
    chdir("/tmp/fz");
    int null = open("/dev/null", O_RDWR);
    for (int fd = 0; fd < 3; fd++)
        if (null >= 0 && null != fd)
            dup2(null, fd);
    if (null > 2)
        close(null);
    memset(fz_long_path, 'a', sizeof fz_long_path - 1);
}

/* Once per process that runs programs: the shared page. */
static void fz_init(void)
{
    fz_shm = mmap(NULL, FZ_SHM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
}

static int fz_thread_main(void *fn)
{
    ((void (*)(void))fn)();
    fz_syscall(SYS_exit, 0, 0, 0, 0, 0, 0);
    return 0;
}

/* Start fn in thread i (its own stack; the calls use no TLS). */
static void fz_spawn(int i, void (*fn)(void))
{
    clone(fz_thread_main, fz_stacks[i] + FZ_STACK,
          CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM, (void *)fn);
}

static long fz_now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1000000000L + t.tv_nsec;
}

/*
 * Run one program in a child (fork), wait for it at most FZ_TIMEOUT_NS, then SIGKILL it.
 * Returns 0 (ended or killed), or 1 if even SIGKILL did not end it within FZ_STUCK_NS
 * (a kernel that cannot kill a process: a finding).
 */
static int fz_run_child(void (*child)(void *), void *arg, int *status)
{
    sigset_t chld;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigprocmask(SIG_BLOCK, &chld, NULL);           /* SIGCHLD is waited for, never delivered */
    /* A handler, though it never runs: ringlab kernels before issue 22's fix (rt_sigtimedwait
       keeps a blocked ignored signal) discarded a blocked SIGCHLD left at its default
       (ignore); with a handler it is queued on every kernel sfuzz is run against. */
    struct sigaction sa = { .sa_handler = fz_handler };
    sigaction(SIGCHLD, &sa, NULL);
    pid_t pid = fork();
    if (pid == 0) {
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
        child(arg);
        _exit(0);
    }
    if (pid < 0)
        return 0;
    long start = fz_now_ns(), limit = FZ_TIMEOUT_NS;
    int killed = 0;
    for (;;) {
        pid_t w = waitpid(pid, status, WNOHANG);
        if (w == pid)
            break;
        long left = limit - (fz_now_ns() - start);
        if (left <= 0) {
            if (killed)
                return 1;                          /* SIGKILL did not end it */
            kill(pid, SIGKILL);
            killed = 1;
            start = fz_now_ns();
            limit = FZ_STUCK_NS;
            continue;
        }
        struct timespec t = { left / 1000000000L, left % 1000000000L };
        sigtimedwait(&chld, NULL, &t);             /* a child ended (any), or the time is up */
    }
    while (waitpid(-1, NULL, WNOHANG) > 0)
        ;                                          /* what else ended meanwhile */
    return 0;
}
