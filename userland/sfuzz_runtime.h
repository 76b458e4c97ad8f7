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
 *   template            fz_tmpl(OFF, KIND, SEED)  (a struct a call reads, from values that mean
 *                                               something: a valid header, a real fd, a short
 *                                               time; FZ_T_* below)
 * A call made through `int $0x80` (the i386 table, as a 64-bit Linux process may) is
 * fz_syscall32(NR, ...): its arguments are truncated to 32 bits by the kernel.
 * Every program starts with the same fds: 0-2 /dev/null, 3 the tree's directory, 4 a file in
 * it (read-write), 5/6 a pipe holding 100 bytes, 7/8 an empty pipe (FZ_FD_*).
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
#define FZ_STUCK_NS     10000000000L        /* after SIGKILL, unreaped this long: unkillable (a bound:
                                               a loaded host gives a guest little CPU, and an exit
                                               that frees a large address space needs some) */

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
    "/tmp/fz/f0/x", "/nonexistent", "/tmp/fz/d1/new", "/dev/null", "/dev/zero", "/dev/urandom",
    "/sys/kernel/debug/kcov", "/sfuzz", fz_long_path,
};
#define FZ_NPATHS (sizeof fz_paths / sizeof fz_paths[0])
#define FZ_FD_DIR   3                       /* fds 3-8: directory, file, full pipe, empty pipe */
#define FZ_PATH_DEV 20                      /* fz_paths[20..24]: devices, kcov, /sfuzz */

/* One system call. A new process or thread (fork, vfork, clone: rax 0 in the child) leaves at
   once, in the same asm block: it shares the caller's stack (vfork, CLONE_VM without a stack)
   or has none of its own, and a fuzz program's child has nothing else to do. */
/* The canary execve carries in XMM15 into the new image ("sfuzz exit" checks it there): a
   register of the old program that survives execve is a leak into the new one (Linux starts
   every image with clean x87/SSE state). */
#define FZ_XMM_CANARY   0x5346555a5a4d4d58UL
#define FZ_EXIT_LEAK    77                  /* "sfuzz exit"'s status when the canary survived */

static long fz_syscall(long nr, long a, long b, long c, long d, long e, long f)
{
    if (nr == SYS_execve || nr == SYS_execveat)
        __asm__ volatile("movq %0, %%xmm15" : : "r"(FZ_XMM_CANARY) : "xmm15");
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

/* One i386 system call through `int $0x80` (EBX, ECX, EDX, ESI, EDI, EBP); a new process
   (fork 2, vfork 190, clone 120: EAX 0 in the child) exits at once, as in fz_syscall. EBP is
   the frame pointer: kept in R15 around the call (the kernel leaves R12-R15 alone). */
static long fz_syscall32(long nr, long a, long b, long c, long d, long e, long f)
{
    if (nr == 11)                                  /* execve */
        __asm__ volatile("movq %0, %%xmm15" : : "r"(FZ_XMM_CANARY) : "xmm15");
    if (nr == 37 && (int)a <= 0)                  /* kill: see fz_syscall */
        a = fz_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0);
    long ret;
    if (nr == 2 || nr == 190 || nr == 120) {
        __asm__ volatile("mov %%rbp, %%r15\n\t"
                         "mov %7, %%rbp\n\t"
                         "int $0x80\n\t"
                         "test %%eax, %%eax\n\t"
                         "jnz 1f\n\t"
                         "mov $1, %%eax\n\t"
                         "xor %%ebx, %%ebx\n\t"
                         "int $0x80\n\t"
                         "1:\n\t"
                         "mov %%r15, %%rbp"
                         : "=a"(ret), "+b"(a), "+c"(b), "+d"(c), "+S"(d), "+D"(e)
                         : "a"(nr), "r"(f)
                         : "r15", "memory");
        return (long)(int)ret;
    }
    __asm__ volatile("mov %%rbp, %%r15\n\t"
                     "mov %7, %%rbp\n\t"
                     "int $0x80\n\t"
                     "mov %%r15, %%rbp"
                     : "=a"(ret), "+b"(a), "+c"(b), "+d"(c), "+S"(d), "+D"(e)
                     : "a"(nr), "r"(f)
                     : "r15", "memory");
    return (long)(int)ret;
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

/* Templates: FZ_T_* kinds of struct, each field drawn (seeded) from values that mean something. */
enum {
    FZ_T_USERDESC,      /* struct user_desc: entry -1 or a TLS slot, base, limit, flag bits */
    FZ_T_CAPHDR,        /* cap_user_header_t: a known version, pid 0/own/1/none */
    FZ_T_CAPDATA,       /* two cap_user_data_t: none, all, a few */
    FZ_T_POLLFD,        /* 8 struct pollfd on the fds every program has */
    FZ_T_RLIMIT,        /* struct rlimit */
    FZ_T_ITIMER,        /* struct itimerval: a short interval and value */
    FZ_T_SIGSET,        /* a sigset: none, SIGCHLD, SIGUSR1/2, all */
    FZ_T_STACK,         /* stack_t on fz_buf's upper half */
    FZ_T_UTIMES,        /* two timespec with UTIME_NOW/UTIME_OMIT */
    FZ_T_CPUSET,        /* a CPU mask */
    FZ_T_SOCKADDR,      /* struct sockaddr_un: a path in the tree, an abstract name, or junk */
    FZ_T_MSGHDR,        /* struct msghdr: a name, one buffer of fz_buf, SCM_RIGHTS/CREDENTIALS */
    FZ_NTEMPL
};
#define FZ_PICK(s, ...) ({ const long v_[] = { __VA_ARGS__ }; v_[fz_rng(s) % (sizeof v_ / sizeof v_[0])]; })

static long fz_tmpl(long off, long kind, long seed)
{
    uint64_t s = (uint64_t)seed | 1;
    uint32_t *w = (uint32_t *)(fz_buf + off);
    long *q = (long *)(fz_buf + off);
    switch (kind) {
    case FZ_T_USERDESC:
        w[0] = (uint32_t)FZ_PICK(&s, -1, -1, 12, 13, 14, 0, 11, 15);
        w[1] = (uint32_t)FZ_PICK(&s, 0, 0x1000, (long)fz_buf, 0xfffff000, 0x10000);
        w[2] = (uint32_t)FZ_PICK(&s, 0, 0xfffff, 0xfff, 1, 0x100000);
        w[3] = (uint32_t)(fz_rng(&s) & 0xff);
        if (fz_rng(&s) % 4 == 0)
            w[1] = w[2] = w[3] = 0;
        if (fz_rng(&s) % 4 == 0)
            w[3] = 0x28;                           /* read_exec_only|seg_not_present: "empty" */
        break;
    case FZ_T_CAPHDR:
        w[0] = (uint32_t)FZ_PICK(&s, 0x20080522, 0x20080522, 0x20071026, 0x19980330, 0);
        w[1] = (uint32_t)FZ_PICK(&s, 0, 0, 1, -1, 99999, fz_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0));
        break;
    case FZ_T_CAPDATA:
        for (int i = 0; i < 6; i++)
            w[i] = (uint32_t)FZ_PICK(&s, 0, 0xffffffff, 0x1ff, 0x3f, 1 << 21, 0xffffffff);
        break;
    case FZ_T_POLLFD:
        for (int i = 0; i < 8; i++) {
            w[2 * i] = (uint32_t)FZ_PICK(&s, 0, 3, 4, 5, 6, 7, 8, -1, 99);
            w[2 * i + 1] = (uint32_t)(fz_rng(&s) & 0x3f);      /* events (revents 0) */
        }
        break;
    case FZ_T_RLIMIT:
        q[0] = FZ_PICK(&s, 0, 1, 64, 1024, 4096, 1 << 20, -1);
        q[1] = FZ_PICK(&s, 0, 64, 4096, 1 << 20, -1, -1);
        break;
    case FZ_T_ITIMER:
        q[0] = 0;
        q[1] = FZ_PICK(&s, 0, 1000, 10000, 1000000);
        q[2] = 0;
        q[3] = FZ_PICK(&s, 0, 1, 1000, 20000, 1000000);
        break;
    case FZ_T_SIGSET:
        q[0] = FZ_PICK(&s, 0, 1L << 16, 1L << 9 | 1L << 11, -1, 1L << 13, 1L << 18 | 1L << 17, 1L << 9);
        break;
    case FZ_T_STACK:
        q[0] = (long)(fz_buf + FZ_BUF_SIZE / 2 + FZ_PICK(&s, 0, 8192, 16384));
        q[1] = FZ_PICK(&s, 0, 0, 1, 2, 1L << 31);     /* ss_flags: SS_ONSTACK, SS_DISABLE, SS_AUTODISARM */
        q[2] = FZ_PICK(&s, 2048, 8192, 16384, 1, 1 << 20);
        break;
    case FZ_T_UTIMES:
        for (int i = 0; i < 2; i++) {
            q[2 * i] = FZ_PICK(&s, 0, 1000000000, -1, 1);
            q[2 * i + 1] = FZ_PICK(&s, 0, 999999999, (1 << 30) - 1, (1 << 30) - 2, 1000000000);
        }
        break;
    case FZ_T_CPUSET:
        q[0] = FZ_PICK(&s, 1, 0, 2, -1);
        break;
    case FZ_T_SOCKADDR: {
        static const char *const names[] = { "/tmp/fz/s0", "/tmp/fz/s1", "/tmp/fz/d0/s2", "\0fz0", "\0fz1",
                                             "/tmp/fz/f0", "", "/nonexistent/s" };
        unsigned n = (unsigned)(fz_rng(&s) % (sizeof names / sizeof names[0]));
        char *a = fz_buf + off;
        for (int i = 0; i < 110; i++)
            a[i] = 0;
        a[0] = (char)FZ_PICK(&s, 1, 1, 1, 1, 0, 2);           /* AF_UNIX, AF_UNSPEC, AF_INET */
        for (int i = 0; i < 12 && (names[n][i] || (i == 0 && n >= 3 && n <= 4)); i++)
            a[2 + i] = names[n][i];
        if (n == 3 || n == 4) {                               /* abstract: NUL, then the name */
            a[2] = 0, a[3] = 'f', a[4] = 'z', a[5] = (char)('0' + n - 3);
        }
        break;
    }
    case FZ_T_MSGHDR: {
        long *h = q;                                          /* struct msghdr, 56 bytes */
        long *iov = q + 8;                                    /* one struct iovec */
        int *cm = (int *)(q + 10);                            /* a cmsghdr and up to 3 fds */
        h[0] = FZ_PICK(&s, 0, 0, 0, (long)(fz_buf + off + 256));   /* msg_name: a FZ_T_SOCKADDR's place */
        h[1] = FZ_PICK(&s, 0, 110, 12, 2, 200);
        h[2] = (long)iov;
        h[3] = FZ_PICK(&s, 1, 1, 1, 0, 2, 1025);
        iov[0] = (long)fz_buf;
        iov[1] = FZ_PICK(&s, 0, 1, 100, 4096, 30000, -1);
        h[4] = FZ_PICK(&s, 0, (long)cm, (long)cm, (long)cm, 1);
        h[5] = FZ_PICK(&s, 16, 20, 24, 32, 28, 15, 1 << 20);
        h[6] = 0;
        long *c = (long *)cm;
        c[0] = FZ_PICK(&s, 20, 24, 28, 28, 16, 8, 100);       /* cmsg_len */
        cm[2] = (int)FZ_PICK(&s, 1, 1, 1, 0, 6);              /* SOL_SOCKET */
        cm[3] = (int)FZ_PICK(&s, 1, 1, 2, 3);                 /* SCM_RIGHTS, SCM_CREDENTIALS */
        for (int i = 0; i < 3; i++)
            cm[4 + i] = (int)FZ_PICK(&s, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, -1);
        if (cm[3] == 2) {                                     /* struct ucred */
            cm[4] = (int)FZ_PICK(&s, 0, 1, fz_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0));
            cm[5] = (int)FZ_PICK(&s, 0, 1000, -1);
            cm[6] = (int)FZ_PICK(&s, 0, 1000, -1);
        }
        fz_tmpl(off + 256, FZ_T_SOCKADDR, seed >> 3);
        break;
    }
    }
    return (long)(fz_buf + off);
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
    /* the fds every program has (FZ_FD_*): a directory, a file, a full and an empty pipe */
    int fds[4] = { open("/tmp/fz", O_RDONLY | O_DIRECTORY), open("/tmp/fz/f0", O_RDWR), -1, -1 };
    int full[2] = { -1, -1 }, empty[2] = { -1, -1 };
    pipe(full);
    pipe(empty);
    int want[] = { fds[0], fds[1], full[0], full[1], empty[0], empty[1] };
    for (int i = 0; i < 6; i++)
        if (want[i] >= 0 && want[i] != FZ_FD_DIR + i) {
            dup2(want[i], FZ_FD_DIR + i);
            close(want[i]);
        }
    static const char hundred[100] = "sfuzz: the 100 bytes a read of the full pipe finds";
    write(FZ_FD_DIR + 3, hundred, sizeof hundred);
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
