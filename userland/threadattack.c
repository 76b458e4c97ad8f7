/*
 * threadattack: hostile arguments to the thread calls, compared with the host's
 * Linux. Raw clone() with a kernel TLS pointer, impossible flag mixes, a thread
 * whose stack pointer is in the kernel half, CLONE_CHILD_CLEARTID aimed at the
 * kernel; futex on kernel, unaligned and unmapped addresses, bad timeouts and
 * operations; tgkill/tkill arguments; exit_group from a thread while others are
 * blocked in futex and read; execve from a thread that is not the leader; posix_spawn
 * (CLONE_VM|CLONE_VFORK).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <spawn.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* include/uapi/linux/futex.h (musl-gcc has no kernel headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_REQUEUE 3
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_WAIT_BITSET 9
#define FUTEX_WAKE_BITSET 10
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define FUTEX_WAIT_PRIVATE (FUTEX_WAIT | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_PRIVATE (FUTEX_WAKE | FUTEX_PRIVATE_FLAG)
#define FUTEX_REQUEUE_PRIVATE (FUTEX_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_CMP_REQUEUE_PRIVATE (FUTEX_CMP_REQUEUE | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAIT_BITSET_PRIVATE (FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG)
#define FUTEX_WAKE_BITSET_PRIVATE (FUTEX_WAKE_BITSET | FUTEX_PRIVATE_FLAG)
#define KERNEL_ADDR 0xffffffff80000000UL
#define THREAD_FLAGS (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

/* clone(flags, stack, ptid, ctid, tls); the child calls fn on the new stack, then exit(0). */
long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls, void (*fn)(void));
__asm__(".text\n.globl raw_clone\nraw_clone:\n"
        "  push %r12\n  mov %r9, %r12\n  mov %rcx, %r10\n  mov $56, %eax\n  syscall\n"
        "  test %rax, %rax\n  jnz 1f\n"
        "  call *%r12\n"                 /* the first use of the child's stack */
        "  mov $60, %eax\n  xor %edi, %edi\n  syscall\n  ud2\n"
        "1:\n  pop %r12\n  ret\n");

static const char *res(long r)
{
    static char buf[64];
    if (r >= 0)
        snprintf(buf, sizeof buf, "%ld", r);
    else
        snprintf(buf, sizeof buf, "-1 %s", strerror(errno));
    return buf;
}

/* A raw system call's result: the value or -errno. */
static const char *raw(long r)
{
    static char buf[64];
    if (r >= 0 || r < -4095)
        snprintf(buf, sizeof buf, "%ld", r);
    else
        snprintf(buf, sizeof buf, "-%s", strerror((int)-r));
    return buf;
}

static long sys(long nr, long a, long b, long c, long d, long e, long f)
{
    errno = 0;
    return syscall(nr, a, b, c, d, e, f);
}

static volatile int flag;
static void set_flag(void) { flag = 1; }

static int wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void clone_args(void)
{
    static char stack[8192] __attribute__((aligned(16)));
    void *top = stack + sizeof stack;
    printf("clone kernel tls: %s\n",
           raw(raw_clone(THREAD_FLAGS | CLONE_SETTLS, top, 0, 0, KERNEL_ADDR, set_flag)));
    printf("clone THREAD without SIGHAND: %s\n", raw(raw_clone(CLONE_VM | CLONE_THREAD, top, 0, 0, 0, set_flag)));
    printf("clone SIGHAND without VM: %s\n", raw(raw_clone(CLONE_SIGHAND, top, 0, 0, 0, set_flag)));
    printf("clone FS with NEWNS: %s\n", raw(raw_clone(CLONE_FS | CLONE_NEWNS | SIGCHLD, top, 0, 0, 0, set_flag)));

    /* A thread with its stack in the kernel half: its first push faults, and the whole group dies. */
    pid_t pid = fork();
    if (pid == 0) {
        raw_clone(THREAD_FLAGS, (void *)(KERNEL_ADDR + 0x1000), 0, 0, 0, set_flag);
        for (;;)
            sched_yield();
    }
    printf("thread with a kernel stack pointer: process status %d\n", wait_child(pid));

    /* CLONE_CHILD_CLEARTID and CLONE_PARENT_SETTID aimed at the kernel: skipped silently. */
    flag = 0;
    long tid = raw_clone(THREAD_FLAGS | CLONE_CHILD_CLEARTID | CLONE_PARENT_SETTID, top,
                         (int *)KERNEL_ADDR, (int *)KERNEL_ADDR, 0, set_flag);
    while (!flag)
        sched_yield();
    printf("thread with a kernel CHILD_CLEARTID: created %s, ran %d\n", tid > 0 ? "yes" : "no", flag);
}

static void futex_args(void)
{
    static uint32_t word __attribute__((aligned(8)));
    struct timespec ts = { 0, 20 * 1000 * 1000 }, bad = { 0, 1000000000 };
    char *unmapped = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(unmapped, 4096);
    printf("futex wait kernel address: %s\n", res(sys(SYS_futex, KERNEL_ADDR, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0)));
    printf("futex wake kernel address: %s\n", res(sys(SYS_futex, KERNEL_ADDR, FUTEX_WAKE, 1, 0, 0, 0)));
    printf("futex wait unaligned: %s\n", res(sys(SYS_futex, (long)&word + 1, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0)));
    printf("futex wait unmapped: %s\n", res(sys(SYS_futex, (long)unmapped, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0)));
    printf("futex wake unmapped private: %s\n", res(sys(SYS_futex, (long)unmapped, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0)));
    printf("futex wake unmapped shared: %s\n", res(sys(SYS_futex, (long)unmapped, FUTEX_WAKE, 1, 0, 0, 0)));
    printf("futex wait wrong value: %s\n", res(sys(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 1, 0, 0, 0)));
    printf("futex wait 20 ms: %s\n", res(sys(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 0, (long)&ts, 0, 0)));
    printf("futex wait bad timespec: %s\n", res(sys(SYS_futex, (long)&word, FUTEX_WAIT, 0, (long)&bad, 0, 0)));
    printf("futex wait timeout in the kernel: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAIT, 0, KERNEL_ADDR, 0, 0)));
    struct timespec past = { 1, 0 };
    printf("futex wait_bitset absolute past: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAIT_BITSET_PRIVATE, 0, (long)&past, 0, -1)));
    printf("futex wait_bitset bitset 0: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAIT_BITSET_PRIVATE, 0, 0, 0, 0)));
    printf("futex wake_bitset bitset 0: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAKE_BITSET_PRIVATE, 1, 0, 0, 0)));
    printf("futex wake nobody: %s\n", res(sys(SYS_futex, (long)&word, FUTEX_WAKE_PRIVATE, 10, 0, 0, 0)));
    printf("futex wake clock_realtime: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, 0, 0, 0)));
    printf("futex wait clock_realtime: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (long)&ts, 0, 0)));
    struct timespec rt_past = { 1, 0 };
    printf("futex wait_bitset clock_realtime, absolute past: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, (long)&rt_past, 0, -1)));
    struct timespec negative = { -1, 0 };
    printf("futex wait negative timeout: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_WAIT_PRIVATE, 0, (long)&negative, 0, 0)));
    printf("futex requeue negative: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_REQUEUE_PRIVATE, -1, 1, (long)&word, 0)));
    printf("futex cmp_requeue wrong value: %s\n",
           res(sys(SYS_futex, (long)&word, FUTEX_CMP_REQUEUE_PRIVATE, 1, 1, (long)&word, 5)));
    printf("futex unknown op: %s\n", res(sys(SYS_futex, (long)&word, 99, 0, 0, 0, 0)));
    printf("set_robust_list bad length: %s\n", res(sys(SYS_set_robust_list, 0, 23, 0, 0, 0, 0)));
    long me = syscall(SYS_gettid);
    printf("tgkill self signal 0: %s\n", res(sys(SYS_tgkill, getpid(), me, 0, 0, 0, 0)));
    printf("tgkill no such thread: %s\n", res(sys(SYS_tgkill, getpid(), 999999, 0, 0, 0, 0)));
    printf("tgkill tgid 0: %s\n", res(sys(SYS_tgkill, 0, me, 0, 0, 0, 0)));
    printf("tgkill bad signal: %s\n", res(sys(SYS_tgkill, getpid(), me, 65, 0, 0, 0)));
    printf("tkill tid -1: %s\n", res(sys(SYS_tkill, -1, 0, 0, 0, 0, 0)));
}

/*
 * Robust futexes: a thread registers a list of two held words and one held by somebody
 * else, then exits holding them. The kernel marks its own words FUTEX_OWNER_DIED (keeping
 * FUTEX_WAITERS) and leaves the other alone, before it clears CLONE_CHILD_CLEARTID.
 */
struct robust_entry { struct robust_entry *next; uint32_t word; };
static struct { struct robust_entry *next; long offset; struct robust_entry *pending; } robust_head;
static struct robust_entry robust[3];
static int robust_tid;

static void hold_and_exit(void)
{
    int tid = syscall(SYS_gettid);
    robust[0].word = tid;
    robust[1].word = tid | 0x80000000u;                     /* FUTEX_WAITERS */
    robust[2].word = 12345;                                 /* another owner */
    robust[0].next = &robust[1];
    robust[1].next = &robust[2];
    robust[2].next = (void *)&robust_head;
    robust_head.next = &robust[0];
    robust_head.offset = (long)offsetof(struct robust_entry, word);
    syscall(SYS_set_robust_list, &robust_head, sizeof robust_head);
}

static void robust_exit(void)
{
    static char stack[8192] __attribute__((aligned(16)));
    raw_clone(THREAD_FLAGS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, stack + sizeof stack, &robust_tid,
              &robust_tid, 0, hold_and_exit);
    int t;
    while ((t = robust_tid) != 0)
        syscall(SYS_futex, &robust_tid, FUTEX_WAIT, t, 0, 0, 0);   /* CHILD_CLEARTID wakes us */
    printf("robust words after their owner's exit: 0x%x 0x%x %u\n", robust[0].word, robust[1].word,
           robust[2].word);
}

/*
 * A futex word in a MAP_SHARED page: a forked child waits on it (shared), the parent wakes
 * it. Private wakes tried meanwhile never reach it: a private key is the address space's.
 */
static void shared_futex(void)
{
    uint32_t *word = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pid_t pid = fork();
    if (pid == 0)
        _exit(syscall(SYS_futex, word, FUTEX_WAIT, 0, 0, 0, 0) == 0 ? 0 : 1);
    long private_woken = 0, woken = 0;
    while (!woken) {
        private_woken += syscall(SYS_futex, word, FUTEX_WAKE_PRIVATE, 1, 0, 0, 0);
        woken = syscall(SYS_futex, word, FUTEX_WAKE, 1, 0, 0, 0);
        if (!woken)
            sched_yield();
    }
    printf("shared futex across fork: woken %ld, by private wakes %ld, child status %d\n", woken,
           private_woken, wait_child(pid));
    munmap(word, 4096);
}

/* exit_group from one thread while one waits in futex and one in read: all end, status 5. */
static int pipefd[2];
static uint32_t never;
static void *in_futex(void *a) { (void)a; syscall(SYS_futex, &never, FUTEX_WAIT_PRIVATE, 0, 0, 0, 0); return 0; }
static void *in_read(void *a) { char c; (void)a; read(pipefd[0], &c, 1); return 0; }
static void *ender(void *a) { (void)a; sched_yield(); syscall(SYS_exit_group, 5); return 0; }

static void group_exit(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t[3];
        pipe(pipefd);
        pthread_create(&t[0], 0, in_futex, 0);
        pthread_create(&t[1], 0, in_read, 0);
        pthread_create(&t[2], 0, ender, 0);
        pthread_join(t[0], 0);                 /* never returns: exit_group ends us */
        _exit(1);
    }
    printf("exit_group from a thread, others in futex and read: status %d\n", wait_child(pid));

    /* A fatal signal to one thread ends the whole group. */
    pid = fork();
    if (pid == 0) {
        pthread_t t;
        pthread_create(&t, 0, in_futex, 0);
        syscall(SYS_tkill, syscall(SYS_gettid), SIGTERM);
        _exit(1);
    }
    printf("tkill SIGTERM to the main thread: status %d\n", wait_child(pid));
}

/* The leader ends with exit (not exit_group): the process lives on in its other thread. */
static pid_t leader_pid;
static void *survivor(void *a)
{
    (void)a;
    for (int i = 0; i < 20; i++)
        sched_yield();
    printf("a thread after the leader's exit: getpid the same %s\n", getpid() == leader_pid ? "yes" : "no");
    syscall(SYS_exit, 6);                      /* the last thread: its status is the process's */
    return 0;
}

static pid_t forked;
static void *forker(void *a)
{
    (void)a;
    forked = fork();
    if (forked == 0)
        _exit(4);
    return 0;
}

static void leader_exit(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t;
        leader_pid = getpid();
        pthread_create(&t, 0, survivor, 0);
        syscall(SYS_exit, 0);
    }
    printf("leader exits first, last thread exit(6): status %d\n", wait_child(pid));

    /* A child forked by a thread is the process's child: the main thread reaps it. */
    pthread_t t;
    pthread_create(&t, 0, forker, 0);
    pthread_join(t, 0);
    printf("child forked by a thread, reaped by the main thread: status %d\n", wait_child(forked));
}

static const char *self_name;
static char pidbuf[16];
static void *execer(void *a)
{
    (void)a;
    char *argv[] = { (char *)self_name, "exec-child", pidbuf, NULL };
    execve(self_name, argv, NULL);
    return 0;
}

/* posix_spawn (musl: clone with CLONE_VM|CLONE_VFORK): the parent sleeps until the exec. */
static void spawn(void)
{
    pid_t pid;
    char *argv[] = { (char *)self_name, "spawned", NULL };
    int r = posix_spawn(&pid, self_name, NULL, NULL, argv, NULL);
    printf("posix_spawn: %s, status %d\n", r ? strerror(r) : "ok", r ? -1 : wait_child(pid));
    char *missing[] = { "no-such-program", NULL };
    r = posix_spawn(&pid, "no-such-program", NULL, NULL, missing, NULL);
    printf("posix_spawn of a missing program: %s\n", r ? strerror(r) : "ok");
}

/* execve from a thread that is not the leader: the others end, the process keeps its pid. */
static void thread_exec(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_t t[2];
        snprintf(pidbuf, sizeof pidbuf, "%d", getpid());
        pthread_create(&t[0], 0, in_futex, 0);
        pthread_create(&t[1], 0, execer, 0);
        for (;;)
            sched_yield();                     /* the leader spins until execve ends it */
    }
    printf("execve from a thread: status %d\n", wait_child(pid));
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "spawned")) {
        printf("spawned child: running\n");
        return 3;
    }
    if (argc == 3 && !strcmp(argv[1], "exec-child")) {
        printf("exec'd image: same pid %s, tid == pid %s\n", atoi(argv[2]) == getpid() ? "yes" : "no",
               syscall(SYS_gettid) == getpid() ? "yes" : "no");
        fflush(stdout);
        return 7;
    }
    self_name = argv[0];
    setvbuf(stdout, NULL, _IONBF, 0);
    clone_args();
    futex_args();
    shared_futex();
    robust_exit();
    group_exit();
    leader_exit();
    spawn();
    thread_exec();
    return 0;
}
