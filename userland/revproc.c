/*
 * A hostile program from the review of processes, threads, signals, futexes and timers
 * (tests/test_review_proc.py): each attack prints only the answers Linux defines (an errno
 * name, a wait status, a futex word), so the host's output is the reference.
 *
 *   clone:   clone flag combinations Linux refuses (kernel/fork.c copy_process), CLONE_SETTLS
 *            with a kernel base, CLONE_PARENT_SETTID / CHILD_SETTID / CHILD_CLEARTID at page 0
 *            and kernel addresses (stored or skipped silently, the clone works), clone3 with
 *            odd sizes, odd bytes past its struct and bad pointers.
 *   futex:   bad futex operations: unaligned and kernel words, unknown commands, requeue
 *            between PI and non-PI words, bad timeouts,
 *            a zero bitset, PI locks taken twice and unlocked by a non-owner.
 *   robust:  set_robust_list / get_robust_list answers, and robust lists a thread leaves
 *            behind at its end: cyclic, pointing into the kernel, with a huge offset, and a
 *            long one (Linux walks at most ROBUST_LIST_LIMIT entries); a word unaligned or
 *            read-only ends the walk (the words after it untouched), a node whose next pointer
 *            cannot be read still has its word marked.
 *   signals: sigaltstack too small, bad flags, changed while on it; SA_RESTORER in the
 *            kernel half; rt_sigqueueinfo spoofing si_code to another
 *            process; rt_sigreturn with its frame at page 0 and in the kernel half; signals
 *            to a zombie; bad sigaction and sigprocmask arguments.
 *   wait:    wait4 on a thread's id, bad options, a status pointer into the kernel (Linux
 *            reaps the child, then answers EFAULT); waitrusage: the same with the rusage pointer.
 *   waitflags: __WCLONE alone finds no ordinary child (ECHILD), __WALL and __WNOTHREAD do;
 *            wnothread: __WNOTHREAD from a thread whose sibling forked the child (ECHILD), and
 *            once that sibling has ended (its children are the caller's then).
 *   zlstop:  SIGSTOP, SIGCONT and SIGTERM to a group whose leader ended by exit(2): the parent's
 *            wait4 reports the stop, the continue and the end.
 *   vforkkill: a CLONE_VFORK child kills its parent, which sleeps for it: the parent dies,
 *            the child runs on in the memory it borrowed.
 *   execrace: two threads exec at once (the leader among them or not) while others sleep in a
 *            futex wait, a pipe read and nanosleep and one clones threads over and over: one
 *            image runs, alone; exit_group while threads clone; a zombie leader (ended by exit)
 *            whose sibling lives on (its pid still names the group, wait4 waits), then ends or
 *            execs (the new image takes the leader's pid).
 *   ptexec:  a thread execs while its group's leader, the thread itself (PTRACE_O_TRACEEXEC)
 *            or a sleeping sibling is traced by the parent: the events and ends the tracer
 *            sees (the new image exits 5 when it runs alone).
 *   tablefull, nproc (ringlab only, its own table): fork until the table is full, then
 *            fork, pthread_create, a vfork, clone3 and a thread clone all EAGAIN, an exec in
 *            the full table, everything back; RLIMIT_NPROC 4 for a user. ATTACK N: N rounds.
 *   zltimers: ITIMER_REAL and a POSIX timer on the monotonic clock, armed by a leader that then
 *            ends by exit(2): each signal reaches the thread left (ringlab has no ITIMER_VIRTUAL,
 *            ITIMER_PROF or CPU-clock timers: EINVAL).
 *   timers:  timer_create with bad clocks and SIGEV_THREAD_ID of another group and of an
 *            ended thread, timers used after deletion, itimers with bad values.
 *   creds:   setuid family transitions, setgroups, capget / capset with bad versions,
 *            other pids and raised sets.
 *   prctl:   bad arguments to the options ringlab has, unknown options.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define KADDR 0xffffffff81000000UL          /* a kernel-half address (Linux's text there) */
#define NCADDR 0x8000000000000000UL         /* non-canonical */

/* include/uapi/linux/futex.h (musl has no linux/ headers) */
#define F_WAIT 0
#define F_WAKE 1
#define F_REQUEUE 3
#define F_CMP_REQUEUE 4
#define F_LOCK_PI 6
#define F_UNLOCK_PI 7
#define F_TRYLOCK_PI 8
#define F_WAIT_BITSET 9
#define F_WAKE_BITSET 10
#define F_WAIT_REQUEUE_PI 11
#define F_CMP_REQUEUE_PI 12
#define F_LOCK_PI2 13
#define F_PRIVATE 128
#define F_CLOCK_REALTIME 256
#define F_OWNER_DIED 0x40000000u
#define F_WAITERS 0x80000000u

/* clone flags (include/uapi/linux/sched.h) */
#define C_VM 0x100
#define C_FS 0x200
#define C_FILES 0x400
#define C_SIGHAND 0x800
#define C_PIDFD 0x1000
#define C_VFORK 0x4000
#define C_PARENT 0x8000
#define C_THREAD 0x10000
#define C_NEWNS 0x20000
#define C_SETTLS 0x80000
#define C_PARENT_SETTID 0x100000
#define C_CHILD_CLEARTID 0x200000
#define C_DETACHED 0x400000
#define C_CHILD_SETTID 0x1000000
#define C_NEWUSER 0x10000000
#define C_NEWPID 0x20000000
#define C_CLEAR_SIGHAND 0x100000000UL

static const char *en(long r)
{
    if (r >= 0)
        return "ok";
    switch (errno) {
#define E(x) case x: return #x;
    E(EPERM) E(ENOENT) E(ESRCH) E(EINTR) E(EAGAIN) E(ENOMEM) E(EFAULT) E(EINVAL) E(ENOSYS)
    E(E2BIG) E(ECHILD) E(EDEADLK) E(ETIMEDOUT) E(EBADF) E(EOWNERDEAD) E(ENOTRECOVERABLE)
    E(ERANGE) E(EBUSY) E(EOPNOTSUPP) E(ENXIO) E(EACCES)
#undef E
    default: return "other";
    }
}

/* A raw clone; a child (fork-like, no CLONE_VM) ends at once with status 7. Returns what
   the parent saw, the child reaped. */
static long rclone(unsigned long flags, void *ptid, void *ctid, unsigned long tls)
{
    long r = syscall(SYS_clone, flags, 0, ptid, ctid, tls);
    if (r == 0)
        _exit(7);
    if (r > 0) {
        int st;
        waitpid((pid_t)r, &st, __WALL);
    }
    return r;
}

/* clone(CLONE_VFORK | CLONE_VM | CLONE_CHILD_CLEARTID) whose child exits in the same
   instructions (it borrows our stack: no call may push over our frames). */
static long vfork_cleartid(void *ctid)
{
    long r;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = 0;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "mov $60, %%eax\n\t"
                     "mov $7, %%edi\n\t"
                     "syscall\n\t"
                     "1:"
                     : "=a"(r)
                     : "a"(SYS_clone), "D"(C_VFORK | C_VM | C_CHILD_CLEARTID | SIGCHLD), "S"(0), "d"(0), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    if (r < 0) {
        errno = (int)-r;
        return -1;
    }
    int st;
    waitpid((pid_t)r, &st, __WALL);
    return WEXITSTATUS(st) == 7 ? 0 : -1;
}

static void clone_case(const char *what, unsigned long flags, void *ptid, void *ctid, unsigned long tls)
{
    long r = rclone(flags, ptid, ctid, tls);
    printf("clone %s: %s\n", what, en(r));
}

static long rclone3(void *args, size_t size)
{
    long r = syscall(435, args, size);
    if (r == 0)
        _exit(7);
    if (r > 0) {
        int st;
        waitpid((pid_t)r, &st, __WALL);
    }
    return r;
}

static int attack_clone(void)
{
    clone_case("SIGHAND without VM", C_SIGHAND | SIGCHLD, 0, 0, 0);
    clone_case("THREAD without SIGHAND", C_THREAD | C_VM, 0, 0, 0);
    clone_case("THREAD|SIGHAND without VM", C_THREAD | C_SIGHAND, 0, 0, 0);
    clone_case("NEWNS|FS", C_NEWNS | C_FS | SIGCHLD, 0, 0, 0);
    clone_case("NEWUSER|FS", C_NEWUSER | C_FS | SIGCHLD, 0, 0, 0);
    clone_case("SETTLS kernel base", C_SETTLS | SIGCHLD, 0, 0, KADDR);
    clone_case("SETTLS non-canonical base", C_SETTLS | SIGCHLD, 0, 0, NCADDR);
    clone_case("SETTLS last user page", C_SETTLS | SIGCHLD, 0, 0, 0x7ffffffff000UL);
    clone_case("PARENT_SETTID at page 0", C_PARENT_SETTID | SIGCHLD, (void *)8, 0, 0);
    clone_case("PARENT_SETTID in the kernel", C_PARENT_SETTID | SIGCHLD, (void *)KADDR, 0, 0);
    clone_case("PARENT_SETTID non-canonical", C_PARENT_SETTID | SIGCHLD, (void *)NCADDR, 0, 0);
    clone_case("CHILD_SETTID in the kernel", C_CHILD_SETTID | SIGCHLD, 0, (void *)KADDR, 0);
    clone_case("CHILD_CLEARTID in the kernel", C_CHILD_CLEARTID | SIGCHLD, 0, (void *)KADDR, 0);
    clone_case("CHILD_SETTID at page 0", C_CHILD_SETTID | SIGCHLD, 0, (void *)4, 0);
    /* a vfork child whose CLEARTID word is the kernel's: the parent must wake at its end */
    printf("clone VFORK|VM CHILD_CLEARTID in the kernel: %s\n", en(vfork_cleartid((void *)KADDR)));
    /* a PARENT_SETTID word at the end of a mapping: 2 bytes mapped, 2 not */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    uint32_t *edge = (uint32_t *)(two + 4094);
    two[4094] = two[4095] = 0x55;
    clone_case("PARENT_SETTID over a page's end", C_PARENT_SETTID | SIGCHLD, edge, 0, 0);
    printf("clone: bytes before the end %02x%02x\n", (unsigned char)two[4094], (unsigned char)two[4095]);

    /* clone3: struct clone_args is 88 bytes (VER2); VER0 64 */
    static uint64_t ca[1024];
    memset(ca, 0, sizeof ca);
    ca[4] = SIGCHLD;
    printf("clone3 size 0: %s\n", en(rclone3(ca, 0)));
    printf("clone3 size 63: %s\n", en(rclone3(ca, 63)));
    printf("clone3 size 64: %s\n", en(rclone3(ca, 64)));
    printf("clone3 size 65 zero: %s\n", en(rclone3(ca, 65)));
    printf("clone3 size 4096: %s\n", en(rclone3(ca, 4096)));
    printf("clone3 size 4097: %s\n", en(rclone3(ca, 4097)));
    ((char *)ca)[100] = 1;
    printf("clone3 size 101 nonzero tail: %s\n", en(rclone3(ca, 101)));
    printf("clone3 size 100 zero tail: %s\n", en(rclone3(ca, 100)));
    ((char *)ca)[100] = 0;
    printf("clone3 args NULL: %s\n", en(rclone3(NULL, 88)));
    printf("clone3 args in the kernel: %s\n", en(rclone3((void *)KADDR, 88)));
    /* the struct at a page's end, the size past it into an unmapped page */
    char *tail = two + 4096 - 64;
    memset(tail, 0, 64);
    ((uint64_t *)tail)[4] = SIGCHLD;
    printf("clone3 VER0 at a page's end: %s\n", en(rclone3(tail, 64)));
    printf("clone3 past a page's end: %s\n", en(rclone3(tail, 72)));
    ca[4] = 65;
    printf("clone3 exit_signal 65: %s\n", en(rclone3(ca, 88)));
    ca[4] = 0x100 | SIGCHLD;
    printf("clone3 exit_signal past CSIGNAL: %s\n", en(rclone3(ca, 88)));
    ca[4] = SIGCHLD;
    ca[0] = SIGCHLD;
    printf("clone3 CSIGNAL in flags: %s\n", en(rclone3(ca, 88)));
    ca[0] = C_DETACHED;
    printf("clone3 DETACHED: %s\n", en(rclone3(ca, 88)));
    ca[0] = C_THREAD | C_SIGHAND | C_VM;
    printf("clone3 THREAD with exit_signal: %s\n", en(rclone3(ca, 88)));
    ca[0] = C_SIGHAND | C_CLEAR_SIGHAND | C_VM;
    ca[4] = 0;
    printf("clone3 SIGHAND|CLEAR_SIGHAND: %s\n", en(rclone3(ca, 88)));
    ca[0] = 0;
    ca[4] = SIGCHLD;
    ca[5] = 0x1000;
    printf("clone3 stack without size: %s\n", en(rclone3(ca, 88)));
    ca[5] = 0;
    ca[6] = 0x1000;
    printf("clone3 stack size without stack: %s\n", en(rclone3(ca, 88)));
    ca[5] = 0x7ffffffff000UL;
    ca[6] = 0x2000;
    printf("clone3 stack past the user half: %s\n", en(rclone3(ca, 88)));
    ca[5] = ca[6] = 0;
    ca[9] = 1;
    printf("clone3 set_tid_size without set_tid: %s\n", en(rclone3(ca, 88)));
    ca[9] = 0;
    ca[0] = 1UL << 40;
    printf("clone3 unknown flag: %s\n", en(rclone3(ca, 88)));
    ca[0] = C_SETTLS;
    ca[7] = KADDR;
    printf("clone3 SETTLS kernel base: %s\n", en(rclone3(ca, 88)));
    ca[0] = 0;
    ca[7] = 0;
    printf("clone3 plain: %s\n", en(rclone3(ca, 88)));
    return 0;
}

static long fx(void *w, int op, unsigned long val, const void *ts, void *w2, unsigned long val3)
{
    return syscall(SYS_futex, w, op, val, ts, w2, val3);
}

static int attack_futex(void)
{
    uint32_t *w = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uint32_t *w2 = w + 16, *pi = w + 32, *pi2 = w + 48;
    struct timespec bad = { 0, 1000000000L }, neg = { -1, 0 }, z = { 0, 0 };
    printf("futex unaligned wake: %s\n", en(fx((char *)w + 1, F_WAKE, 1, 0, 0, 0)));
    printf("futex unaligned wait: %s\n", en(fx((char *)w + 2, F_WAIT, 0, 0, 0, 0)));
    printf("futex wait in the kernel: %s\n", en(fx((void *)KADDR, F_WAIT, 0, 0, 0, 0)));
    printf("futex wake in the kernel: %s\n", en(fx((void *)KADDR, F_WAKE, 1, 0, 0, 0)));
    printf("futex wait page 0: %s\n", en(fx((void *)0, F_WAIT, 0, 0, 0, 0)));
    printf("futex wake non-canonical: %s\n", en(fx((void *)NCADDR, F_WAKE, 1, 0, 0, 0)));
    printf("futex command 14: %s\n", en(fx(w, 14, 0, 0, 0, 0)));
    printf("futex command 15: %s\n", en(fx(w, 15, 0, 0, 0, 0)));
    printf("futex wake|CLOCK_REALTIME: %s\n", en(fx(w, F_WAKE | F_CLOCK_REALTIME, 1, 0, 0, 0)));
    printf("futex wait|CLOCK_REALTIME: %s\n", en(fx(w, F_WAIT | F_CLOCK_REALTIME, 0, &z, 0, 0)));
    printf("futex wait bad nsec: %s\n", en(fx(w, F_WAIT, 0, &bad, 0, 0)));
    printf("futex wait negative time: %s\n", en(fx(w, F_WAIT, 0, &neg, 0, 0)));
    printf("futex wait timeout in the kernel: %s\n", en(fx(w, F_WAIT, 0, (void *)KADDR, 0, 0)));
    printf("futex wait other value: %s\n", en(fx(w, F_WAIT, 1, 0, 0, 0)));
    printf("futex wait_bitset 0: %s\n", en(fx(w, F_WAIT_BITSET, 0, 0, 0, 0)));
    printf("futex wake_bitset 0: %s\n", en(fx(w, F_WAKE_BITSET, 1, 0, 0, 0)));
    printf("futex wait_bitset bad nsec: %s\n", en(fx(w, F_WAIT_BITSET, 0, &bad, 0, ~0UL)));
    /* requeue */
    printf("futex requeue negative count: %s\n", en(fx(w, F_REQUEUE, 1, (void *)-1L, w2, 0)));
    printf("futex cmp_requeue other value: %s\n", en(fx(w, F_CMP_REQUEUE, 1, (void *)1, w2, 99)));
    printf("futex cmp_requeue to itself: %s\n", en(fx(w, F_CMP_REQUEUE, 1, (void *)1, w, *w)));
    printf("futex cmp_requeue_pi to itself: %s\n", en(fx(pi, F_CMP_REQUEUE_PI, 1, (void *)1, pi, *pi)));
    printf("futex cmp_requeue_pi nr_wake 2: %s\n", en(fx(w, F_CMP_REQUEUE_PI, 2, (void *)1, pi, *w)));
    printf("futex cmp_requeue_pi nr_wake 0: %s\n", en(fx(w, F_CMP_REQUEUE_PI, 0, (void *)1, pi, *w)));
    printf("futex cmp_requeue_pi other value: %s\n", en(fx(w, F_CMP_REQUEUE_PI, 1, (void *)1, pi, 99)));
    printf("futex cmp_requeue_pi to the kernel: %s\n", en(fx(w, F_CMP_REQUEUE_PI, 1, (void *)1, (void *)KADDR, *w)));
    printf("futex wait_requeue_pi to itself: %s\n", en(fx(pi, F_WAIT_REQUEUE_PI, 0, 0, pi, 0)));
    printf("futex wait_requeue_pi other value: %s\n", en(fx(w, F_WAIT_REQUEUE_PI, 7, 0, pi, 0)));
    printf("futex wait_requeue_pi shared to private: %s\n", en(fx(w, F_WAIT_REQUEUE_PI | F_PRIVATE, 7, 0, pi, 0)));
    /* PI: twice, by a non-owner, on a word naming nobody */
    uint32_t me = (uint32_t)syscall(SYS_gettid);
    printf("futex lock_pi: %s word=me %d\n", en(fx(pi, F_LOCK_PI, 0, 0, 0, 0)), *pi == me);
    printf("futex lock_pi again: %s\n", en(fx(pi, F_LOCK_PI, 0, 0, 0, 0)));
    printf("futex trylock_pi again: %s\n", en(fx(pi, F_TRYLOCK_PI, 0, 0, 0, 0)));
    printf("futex lock_pi2 again: %s\n", en(fx(pi, F_LOCK_PI2, 0, 0, 0, 0)));
    printf("futex wait on a pi word: %s\n", en(fx(pi, F_WAIT, *pi, &z, 0, 0)));
    printf("futex cmp_requeue to a held pi word: %s\n", en(fx(w, F_CMP_REQUEUE, 1, (void *)1, pi, *w)));
    printf("futex cmp_requeue_pi to a held pi word: %s\n", en(fx(w, F_CMP_REQUEUE_PI, 1, (void *)1, pi, *w)));
    long r = fx(pi, F_UNLOCK_PI, 0, 0, 0, 0);
    printf("futex unlock_pi: %s word %u\n", en(r), *pi);
    printf("futex unlock_pi again: %s\n", en(fx(pi, F_UNLOCK_PI, 0, 0, 0, 0)));
    *pi2 = 0x3fffffff;                       /* a tid nobody has */
    printf("futex trylock_pi of nobody's: %s\n", en(fx(pi2, F_TRYLOCK_PI, 0, 0, 0, 0)));
    printf("futex lock_pi of nobody's timed: %s\n", en(fx(pi2, F_LOCK_PI, 0, &z, 0, 0)));
    *pi2 = 0x3ffffffe | F_WAITERS;           /* somebody else's */
    printf("futex unlock_pi of another's: %s\n", en(fx(pi2, F_UNLOCK_PI, 0, 0, 0, 0)));
    *pi2 = F_OWNER_DIED;
    printf("futex trylock_pi owner died: %s word=me|died %d\n", en(fx(pi2, F_TRYLOCK_PI, 0, 0, 0, 0)),
           *pi2 == (me | F_OWNER_DIED));
    r = fx(pi2, F_UNLOCK_PI, 0, 0, 0, 0);
    printf("futex unlock_pi owner died: %s word %#x\n", en(r), *pi2);
    printf("futex lock_pi in the kernel: %s\n", en(fx((void *)KADDR, F_LOCK_PI, 0, 0, 0, 0)));
    printf("futex lock_pi read-only: %s\n", en(fx((void *)attack_futex, F_LOCK_PI, 0, 0, 0, 0)));
    return 0;
}

/* ---- robust lists ---- */

struct rhead {
    void *list;
    long off;
    void *pending;
};

static uint32_t *rwords;                     /* shared with the parent: the futex words */
static struct rhead rh;
static void *rnodes[4096];

static int robust_child(void *arg)
{
    int kind = (int)(long)arg;
    uint32_t tid = (uint32_t)syscall(SYS_gettid);
    memset(&rh, 0, sizeof rh);
    rh.list = &rh.list;
    rh.off = (char *)&rwords[0] - (char *)&rnodes[0];
    for (int i = 0; i < 8; i++)
        rwords[i] = tid;
    switch (kind) {
    case 0:                                  /* cyclic: node 0 -> node 1 -> node 0 */
        rnodes[0] = &rnodes[1];
        rnodes[1] = &rnodes[0];
        rh.list = &rnodes[0];
        rh.off = (char *)&rwords[0] - (char *)&rnodes[0];
        break;
    case 1:                                  /* node 0 -> the kernel */
        rnodes[0] = (void *)KADDR;
        rh.list = &rnodes[0];
        break;
    case 2:                                  /* the head itself in the kernel */
        syscall(SYS_set_robust_list, (void *)KADDR, sizeof rh);
        return 0;
    case 3:                                  /* a huge offset: the word is in the kernel */
        rnodes[0] = &rh.list;
        rh.list = &rnodes[0];
        rh.off = (long)(KADDR - (unsigned long)&rnodes[0]);
        break;
    case 4:                                  /* 3000 nodes, each its own word: Linux stops at 2048 */
        for (int i = 0; i < 3000; i++)
            rnodes[i] = i == 2999 ? (void *)&rh.list : &rnodes[i + 1];
        rh.list = &rnodes[0];
        rh.off = (char *)&rwords[16] - (char *)&rnodes[0];   /* node i's word: rwords[16 + 2 i] */
        for (int i = 0; i < 3000; i++)
            rwords[16 + 2 * i] = tid;
        break;
    case 5:                                  /* pending in the kernel, the list empty */
        rh.pending = (void *)KADDR;
        break;
    case 6:                                  /* a node at page 0 */
        rnodes[0] = (void *)8;
        rh.list = &rnodes[0];
        break;
    case 7:                                  /* the list empty, pending a node whose word is ours */
        rh.pending = &rnodes[0];
        break;
    case 8:                                  /* the node's word on a read-only page */
        rnodes[0] = &rh.list;
        rh.list = &rnodes[0];
        rh.off = (char *)&rwords[1024] - (char *)&rnodes[0];
        rwords[1024] = tid;
        mprotect(&rwords[1024], 4096, PROT_READ);
        break;
    case 9: {                                /* an unaligned word first: the walk stops there */
        static char nb[64] __attribute__((aligned(8)));
        char *n0 = nb + 2, *n1 = nb + 16;
        memcpy(n0, &n1, sizeof n1);
        void *end = &rh.list;
        memcpy(n1, &end, sizeof end);
        rh.list = n0;
        rh.off = (char *)&rwords[0] - n1;    /* n1's word rwords[0], n0's 14 bytes before */
        break;
    }
    case 10:                                 /* a node on an unmapped page, its word ours */
        rh.list = (void *)0x1000;
        rh.off = (long)((unsigned long)&rwords[0] - 0x1000);
        break;
    case 11: {                               /* a read-only word first, then a good one */
        static char nbuf[8192] __attribute__((aligned(8)));
        char *n0 = nbuf + 4096, *n1 = nbuf;
        void *end = &rh.list;
        memcpy(n0, &n1, sizeof n1);
        memcpy(n1, &end, sizeof end);
        rh.list = n0;
        rh.off = (char *)&rwords[0] - n1;    /* n1's word rwords[0], n0's rwords[1024] */
        rwords[1024] = tid;
        mprotect(&rwords[1024], 4096, PROT_READ);
        break;
    }
    }
    syscall(SYS_set_robust_list, &rh, sizeof rh);
    return 0;                                /* the thread ends: the kernel walks the list */
}

static int attack_robust(void)
{
    struct rhead *h;
    size_t len;
    printf("set_robust_list len 23: %s\n", en(syscall(SYS_set_robust_list, &rh, 23)));
    printf("set_robust_list len 0: %s\n", en(syscall(SYS_set_robust_list, &rh, 0)));
    printf("get_robust_list nobody: %s\n", en(syscall(SYS_get_robust_list, 0x3fffffff, &h, &len)));
    printf("get_robust_list into the kernel: %s\n", en(syscall(SYS_get_robust_list, 0, (void *)KADDR, &len)));
    printf("get_robust_list len into the kernel: %s\n", en(syscall(SYS_get_robust_list, 0, &h, (void *)KADDR)));
    printf("get_robust_list self: %s len %zu\n", en(syscall(SYS_get_robust_list, 0, &h, &len)), len);
    rwords = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static const char *kinds[] = { "cyclic", "into the kernel", "head in the kernel", "huge offset",
                                   "3000 nodes", "pending in the kernel", "node at page 0", "pending ours",
                                   "word read-only", "unaligned word first", "node unmapped, word ours",
                                   "read-only word first" };
    for (int kind = 0; kind < 12; kind++) {
        static char stack[65536] __attribute__((aligned(16)));
        memset(rwords, 0, 8 * 4096);
        /* a thread (CLONE_VM): the walk runs at its end while the address space lives on */
        pid_t t = clone(robust_child, stack + sizeof stack, CLONE_VM | SIGCHLD, (void *)(long)kind);
        int st;
        waitpid(t, &st, 0);
        if (kind == 4) {
            int died = 0;
            for (int i = 0; i < 3000; i++)
                died += (rwords[16 + 2 * i] & F_OWNER_DIED) != 0;
            printf("robust %s: status %d, %d words marked\n", kinds[kind], st, died);
        } else {
            uint32_t w = rwords[kind == 8 ? 1024 : 0];
            printf("robust %s: status %d, word %s\n", kinds[kind], st, w & F_OWNER_DIED ? "owner died" : "unchanged");
        }
        if (kind == 8 || kind == 11)
            mprotect(&rwords[1024], 4096, PROT_READ | PROT_WRITE);
    }
    return 0;
}

/* ---- signals ---- */

static volatile int got;

static void on_sig(int s)
{
    (void)s;
    got++;
}

static void child_status(const char *what, pid_t c)
{
    int st;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", what, strsignal(WTERMSIG(st)));
    else
        printf("%s: exit %d\n", what, WEXITSTATUS(st));
}

/* the kernel's struct sigaction (x86-64): handler, flags, restorer, mask */
struct ksa {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

#define SA_RESTORER_ 0x04000000UL

/* Whether /proc/PID/stat came to say Z (the process ended, not yet reaped); each look yields. */
static int until_zombie(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    for (int i = 0; i < 100000; i++) {
        FILE *f = fopen(path, "r");
        char *paren = f && fgets(buf, sizeof buf, f) ? strrchr(buf, ')') : NULL;
        if (f)
            fclose(f);
        if (paren && paren[1] == ' ' && paren[2] == 'Z')
            return 1;
        sched_yield();
    }
    return 0;
}

static int attack_signals(void)
{
    stack_t ss = { 0 };
    char *buf = malloc(65536);
    ss.ss_sp = buf;
    ss.ss_size = 1024;
    printf("sigaltstack too small: %s\n", en(sigaltstack(&ss, 0)));
    ss.ss_size = MINSIGSTKSZ;
    ss.ss_flags = 0x1234;
    printf("sigaltstack bad flags: %s\n", en(sigaltstack(&ss, 0)));
    ss.ss_flags = SS_ONSTACK;
    printf("sigaltstack SS_ONSTACK: %s\n", en(sigaltstack(&ss, 0)));
    ss.ss_flags = SS_DISABLE;
    ss.ss_size = 1;
    printf("sigaltstack disable tiny: %s\n", en(sigaltstack(&ss, 0)));
    printf("sigaltstack from the kernel: %s\n", en(syscall(SYS_sigaltstack, (void *)KADDR, 0)));
    printf("sigaltstack old into the kernel: %s\n", en(syscall(SYS_sigaltstack, 0, (void *)KADDR)));
    /* an alternate stack in the kernel half: delivery cannot build the frame (SIGSEGV) */
    pid_t c = fork();
    if (c == 0) {
        stack_t k = { .ss_sp = (void *)KADDR, .ss_size = 65536 };
        long r = sigaltstack(&k, 0);
        struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_ONSTACK };
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        _exit(r ? 90 : 3);
    }
    child_status("signal on an alternate stack in the kernel", c);
    /* an alternate stack wrapping past 2^64: its top is page 1 */
    c = fork();
    if (c == 0) {
        stack_t k = { .ss_sp = (void *)0xfffffffffffff000UL, .ss_size = 0x2000 };
        long r = sigaltstack(&k, 0);
        struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_ONSTACK };
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        _exit(r ? 90 : 3);
    }
    child_status("signal on an alternate stack wrapping past 2^64", c);
    /* an alternate stack of 2^64 - 1 bytes from page 0 */
    c = fork();
    if (c == 0) {
        stack_t k = { .ss_sp = (void *)0, .ss_size = ~0UL };
        long r = sigaltstack(&k, 0);
        struct sigaction sa = { .sa_handler = on_sig, .sa_flags = SA_ONSTACK };
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        _exit(r ? 90 : 3);
    }
    child_status("signal on an alternate stack of the whole space", c);
    /* changing the alternate stack while running on it */
    c = fork();
    if (c == 0) {
        static char alt[65536];
        stack_t k = { .ss_sp = alt, .ss_size = sizeof alt };
        sigaltstack(&k, 0);
        struct sigaction sa = { .sa_flags = SA_ONSTACK };
        sa.sa_handler = (void (*)(int))(void *)0;
        sa.sa_sigaction = 0;
        sa.sa_handler = on_sig;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
        _exit(got == 1 ? 3 : 4);
    }
    child_status("signal on a good alternate stack", c);
    /* SA_RESTORER in the kernel half: the handler's return jumps there (SIGSEGV) */
    c = fork();
    if (c == 0) {
        struct ksa k = { (void *)on_sig, SA_RESTORER_, (void *)KADDR, 0 };
        long r = syscall(SYS_rt_sigaction, SIGUSR1, &k, 0, 8);
        raise(SIGUSR1);
        _exit(r ? 90 : 3);
    }
    child_status("SA_RESTORER in the kernel", c);
    c = fork();
    if (c == 0) {
        struct ksa k = { (void *)on_sig, SA_RESTORER_, (void *)NCADDR, 0 };
        long r = syscall(SYS_rt_sigaction, SIGUSR1, &k, 0, 8);
        raise(SIGUSR1);
        _exit(r ? 90 : 3);
    }
    child_status("SA_RESTORER non-canonical", c);
    /* a handler in the kernel half */
    c = fork();
    if (c == 0) {
        struct ksa k = { (void *)KADDR, SA_RESTORER_, (void *)on_sig, 0 };
        long r = syscall(SYS_rt_sigaction, SIGUSR1, &k, 0, 8);
        raise(SIGUSR1);
        _exit(r ? 90 : 3);
    }
    child_status("handler in the kernel", c);
    /* rt_sigreturn with rsp at page 0 and in the kernel half */
    static const unsigned long rsps[] = { 0, 0x1000, KADDR, NCADDR, 0x7ffffffffff8UL };
    for (int i = 0; i < 5; i++) {
        c = fork();
        if (c == 0) {
            __asm__ volatile("mov %0, %%rsp; mov $15, %%eax; syscall; ud2" : : "r"(rsps[i]) : "memory");
            _exit(3);
        }
        char what[64];
        snprintf(what, sizeof what, "rt_sigreturn with rsp %#lx", rsps[i]);
        child_status(what, c);
    }
    /* bad sigaction / sigprocmask arguments */
    struct ksa k = { (void *)on_sig, SA_RESTORER_, (void *)on_sig, 0 };
    printf("rt_sigaction sigsetsize 4: %s\n", en(syscall(SYS_rt_sigaction, SIGUSR1, &k, 0, 4)));
    printf("rt_sigaction signal 0: %s\n", en(syscall(SYS_rt_sigaction, 0, &k, 0, 8)));
    printf("rt_sigaction signal 65: %s\n", en(syscall(SYS_rt_sigaction, 65, &k, 0, 8)));
    printf("rt_sigaction SIGKILL: %s\n", en(syscall(SYS_rt_sigaction, SIGKILL, &k, 0, 8)));
    printf("rt_sigaction SIGKILL query: %s\n", en(syscall(SYS_rt_sigaction, SIGKILL, 0, &k, 8)));
    printf("rt_sigaction act in the kernel: %s\n", en(syscall(SYS_rt_sigaction, SIGUSR1, (void *)KADDR, 0, 8)));
    printf("rt_sigaction old in the kernel: %s\n", en(syscall(SYS_rt_sigaction, SIGUSR1, 0, (void *)KADDR, 8)));
    printf("rt_sigprocmask how 7: %s\n", en(syscall(SYS_rt_sigprocmask, 7, &k.mask, 0, 8)));
    printf("rt_sigprocmask how 7 no set: %s\n", en(syscall(SYS_rt_sigprocmask, 7, 0, 0, 8)));
    printf("rt_sigprocmask size 16: %s\n", en(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &k.mask, 0, 16)));
    printf("rt_sigpending size 16: %s\n", en(syscall(SYS_rt_sigpending, &k.mask, 16)));
    printf("rt_sigpending size 4: %s\n", en(syscall(SYS_rt_sigpending, &k.mask, 4)));
    printf("rt_sigsuspend size 4: %s\n", en(syscall(SYS_rt_sigsuspend, &k.mask, 4)));
    struct timespec z = { 0, 0 }, badts = { 0, -1 };
    printf("rt_sigtimedwait nothing: %s\n", en(syscall(SYS_rt_sigtimedwait, &k.mask, 0, &z, 8)));
    printf("rt_sigtimedwait bad timeout: %s\n", en(syscall(SYS_rt_sigtimedwait, &k.mask, 0, &badts, 8)));
    /* rt_sigqueueinfo spoofing si_code */
    siginfo_t si;
    int codes[] = { SI_USER, SI_KERNEL, SI_QUEUE, SI_TKILL, SI_TIMER, SI_ASYNCIO, 1 };
    const char *names[] = { "SI_USER", "SI_KERNEL", "SI_QUEUE", "SI_TKILL", "SI_TIMER", "SI_ASYNCIO", "1" };
    pid_t other = fork();
    if (other == 0) {
        for (;;)
            pause();
    }
    signal(SIGUSR2, SIG_IGN);
    for (int i = 0; i < 7; i++) {
        memset(&si, 0, sizeof si);
        si.si_signo = SIGUSR2;
        si.si_code = codes[i];
        printf("rt_sigqueueinfo %s to another: %s\n", names[i],
               en(syscall(SYS_rt_sigqueueinfo, other, SIGUSR2, &si)));
        printf("rt_sigqueueinfo %s to itself: %s\n", names[i],
               en(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, &si)));
    }
    printf("rt_sigqueueinfo info in the kernel: %s\n", en(syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR2, (void *)KADDR)));
    printf("rt_sigqueueinfo signal 65: %s\n", en(syscall(SYS_rt_sigqueueinfo, getpid(), 65, &si)));
    printf("tgkill tgid 0: %s\n", en(syscall(SYS_tgkill, 0, other, 0)));
    printf("tgkill wrong group: %s\n", en(syscall(SYS_tgkill, getpid(), other, 0)));
    printf("tkill tid 0: %s\n", en(syscall(SYS_tkill, 0, 0)));
    printf("tkill tid -1: %s\n", en(syscall(SYS_tkill, -1, 0)));
    printf("kill signal 65: %s\n", en(kill(other, 65)));
    kill(other, SIGKILL);
    /* the other is a zombie now: signals to it still find it */
    printf("the other a zombie: %d\n", until_zombie(other));
    printf("kill a zombie: %s\n", en(kill(other, SIGTERM)));
    printf("tgkill a zombie: %s\n", en(syscall(SYS_tgkill, other, other, SIGTERM)));
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    printf("rt_sigqueueinfo a zombie: %s\n", en(syscall(SYS_rt_sigqueueinfo, other, SIGUSR2, &si)));
    waitpid(other, 0, 0);
    printf("kill the reaped: %s\n", en(kill(other, SIGTERM)));
    return 0;
}

/* ---- wait ---- */

static int thread_fn(void *a)
{
    (void)a;
    for (;;)
        pause();
    return 0;
}

static int attack_wait(void)
{
    static char stack[65536] __attribute__((aligned(16)));
    int st;
    pid_t t = clone(thread_fn, stack + sizeof stack, CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_FS | CLONE_FILES, 0);
    printf("wait4 a thread: %s\n", en(wait4(t, &st, WNOHANG, 0)));
    printf("wait4 a thread __WALL: %s\n", en(wait4(t, &st, WNOHANG | __WALL, 0)));
    printf("wait4 own pid: %s\n", en(wait4(getpid(), &st, WNOHANG, 0)));
    printf("wait4 bad options: %s\n", en(wait4(-1, &st, 0x1000000, 0)));
    printf("wait4 INT_MIN: %s\n", en(wait4(-2147483647 - 1, &st, WNOHANG, 0)));
    pid_t c = fork();
    if (c == 0)
        _exit(5);
    printf("wait4 status into the kernel: %s\n", en(wait4(c, (void *)KADDR, 0, 0)));
    printf("wait4 after the fault: %s\n", en(wait4(c, &st, WNOHANG, 0)));
    /* the status word over a page's end, its second page unmapped: nothing stored */
    char *two = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + 4096, 4096);
    two[4094] = two[4095] = 0x55;
    c = fork();
    if (c == 0)
        _exit(5);
    printf("wait4 status over a page's end: %s\n", en(wait4(c, (int *)(two + 4094), 0, 0)));
    printf("wait4 status: bytes before the end %02x%02x\n", (unsigned char)two[4094], (unsigned char)two[4095]);
    printf("wait4 after that fault: %s\n", en(wait4(c, &st, WNOHANG, 0)));
    printf("set_tid_address kernel: %d\n", syscall(SYS_set_tid_address, (void *)KADDR) == syscall(SYS_gettid));
    return 0;
}

/* wait4's rusage pointer into the kernel: Linux reaps, then EFAULT */
static int attack_waitrusage(void)
{
    int st;
    pid_t c = fork();
    if (c == 0)
        _exit(5);
    printf("wait4 rusage into the kernel: %s\n", en(wait4(c, &st, 0, (void *)KADDR)));
    printf("wait4 after that fault: %s\n", en(wait4(c, &st, WNOHANG, 0)));
    return 0;
}

/* ---- exec and exit races ---- */

/* Threads: /proc/self/status's count */
static int threads_now(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    int n = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "Threads:", 8))
            n = atoi(line + 8);
    if (f)
        fclose(f);
    return n;
}

static int er_pipe[2];
static volatile uint32_t er_word, er_started;
static const char *er_self;

static void *er_futex(void *a)
{
    (void)a;
    __atomic_add_fetch(&er_started, 1, __ATOMIC_SEQ_CST);
    for (;;)
        syscall(SYS_futex, &er_word, F_WAIT, 0, 0, 0, 0);
    return 0;
}

static void *er_read(void *a)
{
    (void)a;
    char c;
    __atomic_add_fetch(&er_started, 1, __ATOMIC_SEQ_CST);
    read(er_pipe[0], &c, 1);
    return 0;
}

static void *er_sleep(void *a)
{
    (void)a;
    struct timespec t = { 1000, 0 };
    __atomic_add_fetch(&er_started, 1, __ATOMIC_SEQ_CST);
    nanosleep(&t, 0);
    return 0;
}

static int er_child_fn(void *a)
{
    (void)a;
    return 0;
}

static void *er_cloner(void *a)
{
    (void)a;
    static char stacks[4][16384] __attribute__((aligned(16)));
    __atomic_add_fetch(&er_started, 1, __ATOMIC_SEQ_CST);
    for (int i = 0;; i++)                    /* threads born and ended while another execs */
        clone(er_child_fn, stacks[i & 3] + sizeof stacks[0],
              CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_FS | CLONE_FILES, 0);
    return 0;
}

static void *er_exec(void *a)
{
    __atomic_add_fetch(&er_started, 1, __ATOMIC_SEQ_CST);
    while (__atomic_load_n(&er_started, __ATOMIC_SEQ_CST) < 6)
        sched_yield();
    char *argv[] = { (char *)er_self, (char *)a, NULL };
    execv("/proc/self/exe", argv);
    printf("exec failed\n");
    return 0;
}

/* One child: threads asleep in a futex wait, a pipe read and nanosleep, one cloning threads
   over and over; two threads exec at once (one of them the leader when `leader_execs`). */
static void er_one(int leader_execs, const char *label)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        pipe(er_pipe);
        pthread_t t;
        pthread_create(&t, 0, er_futex, 0);
        pthread_create(&t, 0, er_read, 0);
        pthread_create(&t, 0, er_sleep, 0);
        pthread_create(&t, 0, er_cloner, 0);
        pthread_create(&t, 0, er_exec, "execraced");
        if (leader_execs)
            er_exec("execraced");
        else
            pthread_create(&t, 0, er_exec, "execraced");
        for (;;)
            pause();
    }
    int st;
    waitpid(c, &st, 0);
    printf("execrace %s: status %#x\n", label, st);
}

/* exit_group while other threads clone: every thread ends, the status is exit_group's */
static void *eg_cloner(void *a)
{
    (void)a;
    static char stacks[4][16384] __attribute__((aligned(16)));
    for (int i = 0;; i++)
        clone(er_child_fn, stacks[i & 3] + sizeof stacks[0],
              CLONE_VM | CLONE_SIGHAND | CLONE_THREAD | CLONE_FS | CLONE_FILES, 0);
    return 0;
}

static void *zl_sibling(void *a)
{
    int fd = (int)(long)a;
    write(fd, "a", 1);                       /* the leader has ended: its pid still names the group */
    char c;
    read(er_pipe[0], &c, 1);                 /* the parent has looked */
    if (c == 'x') {
        char *argv[] = { (char *)er_self, "zlexec", NULL };
        char pid[32];
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        setenv("REVPROC_OLDPID", pid, 1);
        execv(er_self, argv);                /* /proc/self/exe is ENOENT with the leader gone (Linux) */
        printf("zombie leader: exec %s\n", en(-1));
    }
    syscall(SYS_exit_group, 9);
    return 0;
}

static int attack_execrace(void)
{
    for (int i = 0; i < 3; i++) {
        er_one(0, "two threads");
        er_one(1, "the leader and a thread");
    }
    for (int i = 0; i < 5; i++) {
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            pthread_t t;
            for (int k = 0; k < 3; k++)
                pthread_create(&t, 0, eg_cloner, 0);
            for (volatile int k = 0; k < 100000 * i; k++)
                ;
            syscall(SYS_exit_group, 3);
        }
        int st;
        waitpid(c, &st, 0);
        printf("exit_group racing clone: status %#x\n", st);
    }
    /* a zombie leader: the leader ends by exit(2), a sibling lives on; then the sibling ends or
       execs (taking over the leader's pid) */
    for (int mode = 0; mode < 2; mode++) {
        int up[2];
        pipe(up);
        pipe(er_pipe);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            pthread_t t;
            pthread_create(&t, 0, zl_sibling, (void *)(long)up[1]);
            syscall(SYS_exit, 0);
        }
        char ch;
        read(up[0], &ch, 1);
        printf("zombie leader: the group's pid is a zombie %d\n", until_zombie(c));
        int st;
        printf("zombie leader: wait4 WNOHANG %ld\n", (long)waitpid(c, &st, WNOHANG));
        printf("zombie leader: kill 0 %s\n", en(kill(c, 0)));
        write(er_pipe[1], mode ? "x" : "e", 1);
        waitpid(c, &st, 0);
        printf("zombie leader %s: status %#x\n", mode ? "then exec" : "then exit_group", st);
        close(up[0]);
        close(up[1]);
        close(er_pipe[0]);
        close(er_pipe[1]);
    }
    return 0;
}

/* ---- a full process table (ringlab's own numbers: not compared with the host) ---- */

static int tf_thread_ok;

static void *tf_thread(void *a)
{
    (void)a;
    tf_thread_ok = 1;
    return 0;
}

/* Children until fork fails; then every way to a new thread or process fails the same way,
   a child execs in the full table, and once they are gone fork works again. */
static int attack_tablefull(void)
{
    int hold[2], ex[2];
    pipe(hold);
    pipe(ex);
    int n = 0;
    long err = 0;
    pid_t first = -1;
    for (;;) {
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            char ch = 0;
            close(hold[1]);
            close(ex[1]);
            if (n == 0 && read(ex[0], &ch, 1) == 1) {
                char *argv[] = { (char *)er_self, "tablefullexec", NULL };
                execv(er_self, argv);
                printf("tablefull: exec in a full table: %s\n", en(-1));
                _exit(1);
            }
            read(hold[0], &ch, 1);
            _exit(0);
        }
        if (c < 0) {
            err = errno;
            break;
        }
        if (n++ == 0)
            first = c;
    }
    errno = (int)err;
    printf("tablefull: %d children, then fork %s\n", n, en(-1));
    pthread_t t;
    int r = pthread_create(&t, 0, tf_thread, 0);
    errno = r;
    printf("tablefull: pthread_create %s\n", en(r ? -1 : 0));
    printf("tablefull: vfork %s\n", en(vfork_cleartid(&tf_thread_ok)));
    static uint64_t ca[11];
    ca[4] = SIGCHLD;
    printf("tablefull: clone3 %s\n", en(rclone3(ca, 88)));
    printf("tablefull: clone THREAD %s\n", en(rclone(C_VM | C_SIGHAND | C_THREAD, 0, 0, 0)));
    write(ex[1], "e", 1);                    /* the first child execs, in the full table */
    int st;
    waitpid(first, &st, 0);
    printf("tablefull: the exec'd child: status %d\n", st);
    close(hold[1]);
    int reaped = 1;
    while (wait(&st) > 0)
        reaped++;
    printf("tablefull: reaped %d\n", reaped);
    pid_t c = fork();
    if (c == 0)
        _exit(4);
    waitpid(c, &st, 0);
    printf("tablefull: fork after: status %d\n", st);
    r = pthread_create(&t, 0, tf_thread, 0);
    if (!r)
        pthread_join(t, 0);
    printf("tablefull: a thread after: %d\n", !r && tf_thread_ok);
    return 0;
}

/* RLIMIT_NPROC (as a user: root and CAP_SYS_RESOURCE/CAP_SYS_ADMIN are past it) */
static int attack_nproc(void)
{
    struct rlimit rl = { 4, 4 };
    printf("nproc: setrlimit %s\n", en(setrlimit(RLIMIT_NPROC, &rl)));
    int hold[2];
    pipe(hold);
    int n = 0;
    for (;;) {
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            char ch;
            close(hold[1]);
            read(hold[0], &ch, 1);
            _exit(0);
        }
        if (c < 0)
            break;
        n++;
    }
    printf("nproc: %d children, then fork %s\n", n, en(-1));
    pthread_t t;
    int r = pthread_create(&t, 0, tf_thread, 0);
    errno = r;
    printf("nproc: pthread_create %s\n", en(r ? -1 : 0));
    close(hold[1]);
    while (wait(0) > 0)
        ;
    r = pthread_create(&t, 0, tf_thread, 0);
    if (!r)
        pthread_join(t, 0);
    printf("nproc: a thread after: %s\n", r ? "failed" : "ok");
    return 0;
}

/* ---- exec from a thread while the tracer traces the leader, the exec'ing thread, a sleeper ---- */

static int pt_go[2];

static pid_t pt_tids[2];                     /* the exec'ing thread's and the sleeper's ids */

static void *pt_execer(void *a)
{
    (void)a;
    char c;
    __atomic_store_n(&pt_tids[0], (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    read(pt_go[0], &c, 1);
    char *argv[] = { (char *)er_self, "ptexeced", NULL };
    execv(er_self, argv);
    printf("ptexec: exec %s\n", en(-1));
    return 0;
}

static void *pt_sleeper(void *a)
{
    (void)a;
    __atomic_store_n(&pt_tids[1], (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    for (;;)
        pause();
    return 0;
}

static const char *who(pid_t t, pid_t leader, pid_t ex, pid_t sl)
{
    return t == leader ? "leader" : t == ex ? "execer" : t == sl ? "sleeper" : "other";
}

static int attack_ptexec(void)
{
    static const char *modes[] = { "the leader traced", "the exec'ing thread traced", "a sleeper traced",
                                   "the leader traced TRACEEXIT", "a sleeper traced TRACEEXIT" };
    static const long opts[] = { 0, 0x10, 0, 0x40, 0x40 };   /* PTRACE_O_TRACEEXEC, PTRACE_O_TRACEEXIT */
    for (int mode = 0; mode < 5; mode++) {
        int up[2];
        pipe(up);
        pipe(pt_go);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            pthread_t t;
            pthread_create(&t, 0, pt_execer, 0);
            pthread_create(&t, 0, pt_sleeper, 0);
            while (!__atomic_load_n(&pt_tids[0], __ATOMIC_SEQ_CST) || !__atomic_load_n(&pt_tids[1], __ATOMIC_SEQ_CST))
                sched_yield();
            write(up[1], pt_tids, sizeof pt_tids);
            for (;;)
                pause();
        }
        pid_t tids[2] = { 0, 0 };
        read(up[0], tids, sizeof tids);
        pid_t ex = tids[0], sl = tids[1];
        pid_t target = mode == 0 || mode == 3 ? c : mode == 1 ? ex : sl;
        long r = ptrace(0x4206, target, 0, (void *)opts[mode]);   /* PTRACE_SEIZE */
        printf("ptexec %s: seize %s\n", modes[mode], en(r));
        write(pt_go[1], "g", 1);
        for (int n = 0; n < 10; n++) {
            int st;
            pid_t w = waitpid(-1, &st, __WALL);
            if (w < 0) {
                printf("ptexec %s: wait %s\n", modes[mode], en(w));
                break;
            }
            if (WIFSTOPPED(st)) {
                unsigned long msg = 0;
                ptrace(0x4201, w, 0, &msg);              /* GETEVENTMSG */
                printf("ptexec %s: %s stopped, event %d, message %s\n", modes[mode], who(w, c, ex, sl),
                       st >> 16, who((pid_t)msg, c, ex, sl));
                ptrace(7, w, 0, 0);                       /* CONT */
                continue;
            }
            printf("ptexec %s: %s ended, status %#x\n", modes[mode], who(w, c, ex, sl), st);
            if (w == c)
                break;
        }
        close(up[0]);
        close(up[1]);
        close(pt_go[0]);
        close(pt_go[1]);
    }
    return 0;
}

struct ksigevent {
    long value;
    int signo;
    int notify;
    int tid;
    int pad[11];
};

/* ---- timers and itimers of a group whose leader has ended ---- */

static volatile int zt_got;

static void zt_on(int sig)
{
    int bit = sig == SIGALRM ? 1 : sig == SIGVTALRM ? 2 : sig == SIGPROF ? 4 : sig == SIGUSR1 ? 8 : 16;
    __atomic_or_fetch(&zt_got, bit, __ATOMIC_SEQ_CST);
}

static void *zt_sibling(void *a)
{
    (void)a;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {                                     /* 8 s bound the wait */
        for (volatile int i = 0; i < 100000; i++)
            ;
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while (zt_got != 9 && now.tv_sec - start.tv_sec < 8);
    printf("zltimers: the sibling got SIGALRM %d, the monotonic timer's %d\n", !!(zt_got & 1), !!(zt_got & 8));
    syscall(SYS_exit_group, 0);
    return 0;
}

/* A child's leader arms ITIMER_REAL and a POSIX timer (50 ms), starts a thread and ends by
   exit(2): each timer belongs to the group, and its signal reaches the thread left. */
static int attack_zltimers(void)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int sigs[] = { SIGALRM, SIGVTALRM, SIGPROF, SIGUSR1, SIGUSR2 };
        for (int i = 0; i < 5; i++)
            signal(sigs[i], zt_on);
        struct itimerval iv = { { 0, 0 }, { 0, 50000 } };
        setitimer(ITIMER_REAL, &iv, 0);
        struct itimerspec its = { { 0, 0 }, { 0, 50000000 } };
        struct ksigevent ev = { .signo = SIGUSR1, .notify = SIGEV_SIGNAL };
        int id1 = -1;
        long r1 = syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id1);
        printf("zltimers: timer_create monotonic %s\n", en(r1));
        syscall(SYS_timer_settime, id1, 0, &its, 0);
        pthread_t t;
        pthread_create(&t, 0, zt_sibling, 0);
        syscall(SYS_exit, 0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("zltimers: status %#x\n", st);
    return 0;
}

/* ---- wait4's __WCLONE, __WALL and __WNOTHREAD ---- */

#define W_NOTHREAD 0x20000000
#define W_ALL 0x40000000
#define W_CLONE 0x80000000

static int attack_waitflags(void)
{
    int st;
    pid_t c = fork();
    if (c == 0)
        _exit(6);
    /* an ordinary child (exit signal SIGCHLD) is no "clone" child: __WCLONE alone never sees it */
    printf("waitflags: __WCLONE|WNOHANG any: %ld\n", (long)wait4(-1, &st, W_CLONE | WNOHANG, 0));
    printf("waitflags: __WCLONE it: %s\n", en(wait4(c, &st, W_CLONE, 0)));
    long r = wait4(c, &st, W_CLONE | W_ALL, 0);
    printf("waitflags: __WCLONE|__WALL it: %s status %#x\n", en(r), st);
    c = fork();
    if (c == 0)
        _exit(7);
    r = wait4(c, &st, W_ALL, 0);
    printf("waitflags: __WALL it: %s status %#x\n", en(r), st);
    c = fork();
    if (c == 0)
        _exit(8);
    r = wait4(c, &st, W_NOTHREAD, 0);
    printf("waitflags: __WNOTHREAD its own child: %s status %#x\n", en(r), st);
    return 0;
}

static pid_t wn_child, wn_child2;
static int wn_pipe[2];

/* forks the child, then lives until told (a thread's children go to a sibling at its end),
   forks another and ends */
static void *wn_forker(void *a)
{
    (void)a;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(9);
    __atomic_store_n(&wn_child, c, __ATOMIC_SEQ_CST);
    char ch;
    read(wn_pipe[0], &ch, 1);
    fflush(stdout);
    c = fork();
    if (c == 0)
        _exit(10);
    wn_child2 = c;
    return 0;
}

/* __WNOTHREAD from a thread that did not fork the child: Linux's children are per thread */
static int attack_wnothread(void)
{
    pthread_t t;
    int st;
    pipe(wn_pipe);
    pthread_create(&t, 0, wn_forker, 0);
    while (!__atomic_load_n(&wn_child, __ATOMIC_SEQ_CST))
        sched_yield();
    printf("wnothread: the child a zombie %d\n", until_zombie(wn_child));
    printf("wnothread: a sibling's child with __WNOTHREAD: %s\n",
           en(wait4(wn_child, &st, W_NOTHREAD | WNOHANG, 0)));
    long r = wait4(wn_child, &st, 0, 0);
    printf("wnothread: without: %s status %#x\n", en(r), st);
    write(wn_pipe[1], "x", 1);
    pthread_join(t, 0);
    /* the forker has ended: its other child is the calling thread's now */
    r = wait4(wn_child2, &st, W_NOTHREAD, 0);
    printf("wnothread: an ended sibling's child with __WNOTHREAD: %s status %#x\n", en(r), st);
    return 0;
}

/* ---- a vfork parent killed while its child borrows its memory ---- */

static int vk_pipe[2];

static int vk_child(void *a)
{
    (void)a;
    /* kill the parent, which sleeps until this child execs or ends (Linux: killable) */
    syscall(SYS_kill, syscall(SYS_getppid), SIGKILL);
    syscall(SYS_write, vk_pipe[1], "alive", 5);
    return 3;
}

static int attack_vforkkill(void)
{
    pipe(vk_pipe);
    fflush(stdout);
    pid_t p1 = fork();
    if (p1 == 0) {
        static char stack[65536] __attribute__((aligned(16)));
        close(vk_pipe[0]);
        clone(vk_child, stack + sizeof stack, CLONE_VM | CLONE_VFORK | SIGCHLD, 0);
        syscall(SYS_write, vk_pipe[1], "parent", 6);   /* never: it was killed */
        _exit(0);
    }
    close(vk_pipe[1]);
    int st;
    waitpid(p1, &st, 0);
    printf("vforkkill: the parent: %s\n", WIFSIGNALED(st) ? strsignal(WTERMSIG(st)) : "exited");
    char buf[32] = { 0 };
    size_t n = 0;
    ssize_t r;
    while (n < sizeof buf - 1 && (r = read(vk_pipe[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)r;
    printf("vforkkill: the pipe says %s\n", buf);
    return 0;
}

/* ---- job control of a group whose leader has ended ---- */

static void *zs_sibling(void *a)
{
    write((int)(long)a, "a", 1);
    for (;;)
        pause();
    return 0;
}

static int attack_zlstop(void)
{
    int up[2];
    pipe(up);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        pthread_create(&t, 0, zs_sibling, (void *)(long)up[1]);
        syscall(SYS_exit, 0);
    }
    char ch;
    read(up[0], &ch, 1);
    printf("zlstop: the leader a zombie %d\n", until_zombie(c));
    int st = 0;
    printf("zlstop: SIGSTOP %s\n", en(kill(c, SIGSTOP)));
    long r = waitpid(c, &st, WUNTRACED);
    printf("zlstop: wait WUNTRACED %s status %#x\n", en(r), st);
    printf("zlstop: SIGCONT %s\n", en(kill(c, SIGCONT)));
    r = waitpid(c, &st, WCONTINUED);
    printf("zlstop: wait WCONTINUED %s status %#x\n", en(r), st);
    printf("zlstop: SIGTERM %s\n", en(kill(c, SIGTERM)));
    r = waitpid(c, &st, 0);
    printf("zlstop: wait %s status %#x\n", en(r), st);
    return 0;
}

/* ---- timers ---- */

static volatile int ended;

static volatile int go_end;

static void *ending(void *a)
{
    *(pid_t *)a = (pid_t)syscall(SYS_gettid);
    return 0;
}

/* stores its tid, then ends once go_end is set */
static void *ending_later(void *a)
{
    __atomic_store_n((pid_t *)a, (pid_t)syscall(SYS_gettid), __ATOMIC_SEQ_CST);
    while (!go_end)
        syscall(SYS_futex, &go_end, F_WAIT, 0, 0, 0, 0);
    return 0;
}


static int attack_timers(void)
{
    int id = -1;
    struct ksigevent ev = { .signo = SIGUSR1, .notify = SIGEV_SIGNAL };
    printf("timer_create clock 99: %s\n", en(syscall(SYS_timer_create, 99, &ev, &id)));
    printf("timer_create clock -1: %s\n", en(syscall(SYS_timer_create, -1, &ev, &id)));
    printf("timer_create CLOCK_MONOTONIC_RAW: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC_RAW, &ev, &id)));
    printf("timer_create id into the kernel: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, (void *)KADDR)));
    printf("timer_create event in the kernel: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, (void *)KADDR, &id)));
    ev.signo = 0;
    printf("timer_create signal 0: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    ev.signo = 65;
    printf("timer_create signal 65: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    ev.signo = SIGUSR1;
    ev.notify = 7;
    printf("timer_create notify 7: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    ev.notify = 4;                            /* SIGEV_THREAD_ID */
    pid_t other = fork();
    if (other == 0) {
        for (;;)
            pause();
    }
    ev.tid = other;
    printf("timer_create THREAD_ID of another process: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    kill(other, SIGKILL);
    waitpid(other, 0, 0);
    pid_t gone = 0;
    pthread_t th;
    pthread_create(&th, 0, ending, &gone);
    pthread_join(th, 0);
    while (syscall(SYS_tgkill, getpid(), gone, 0) == 0)    /* join returns before the tid is gone */
        sched_yield();
    ev.tid = gone;
    printf("timer_create THREAD_ID of an ended thread: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    ev.tid = 0x3fffffff;
    printf("timer_create THREAD_ID of nobody: %s\n", en(syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id)));
    ev.notify = 4 | 0;
    ev.tid = (int)syscall(SYS_gettid);
    signal(SIGUSR1, on_sig);
    long r = syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id);
    printf("timer_create THREAD_ID of itself: %s\n", en(r));
    struct itimerspec its = { { 0, 0 }, { 0, 1000000 } }, bad = { { 0, 0 }, { 0, 1000000000L } }, cur;
    printf("timer_settime bad nsec: %s\n", en(syscall(SYS_timer_settime, id, 0, &bad, 0)));
    printf("timer_settime bad flags: %s\n", en(syscall(SYS_timer_settime, id, 0x10, &its, 0)));
    printf("timer_settime value in the kernel: %s\n", en(syscall(SYS_timer_settime, id, 0, (void *)KADDR, 0)));
    printf("timer_settime old into the kernel: %s\n", en(syscall(SYS_timer_settime, id, 0, &its, (void *)KADDR)));
    printf("timer_gettime into the kernel: %s\n", en(syscall(SYS_timer_gettime, id, (void *)KADDR)));
    printf("timer_delete: %s\n", en(syscall(SYS_timer_delete, id)));
    printf("timer_settime deleted: %s\n", en(syscall(SYS_timer_settime, id, 0, &its, 0)));
    printf("timer_gettime deleted: %s\n", en(syscall(SYS_timer_gettime, id, &cur)));
    printf("timer_getoverrun deleted: %s\n", en(syscall(SYS_timer_getoverrun, id)));
    printf("timer_delete deleted: %s\n", en(syscall(SYS_timer_delete, id)));
    printf("timer_delete -1: %s\n", en(syscall(SYS_timer_delete, -1)));
    printf("timer_delete INT_MAX: %s\n", en(syscall(SYS_timer_delete, 0x7fffffff)));
    /* a timer aimed at a thread that then ends, armed: its expiry must find nobody safely */
    pid_t t2 = 0;
    pthread_create(&th, 0, ending_later, &t2);
    while (!__atomic_load_n(&t2, __ATOMIC_SEQ_CST))
        sched_yield();
    ev.tid = t2;
    r = syscall(SYS_timer_create, CLOCK_MONOTONIC, &ev, &id);
    go_end = 1;
    syscall(SYS_futex, &go_end, F_WAKE, 1, 0, 0, 0);
    pthread_join(th, 0);
    if (r == 0) {
        struct itimerspec soon = { { 0, 1000000 }, { 0, 1000000 } };
        printf("timer_settime of an ended thread's: %s\n", en(syscall(SYS_timer_settime, id, 0, &soon, 0)));
        struct timespec nap = { 0, 20000000 };
        nanosleep(&nap, 0);
        printf("timer_delete of an ended thread's: %s\n", en(syscall(SYS_timer_delete, id)));
    } else {
        printf("timer_create THREAD_ID of a thread about to end: %s\n", en(r));
    }
    /* itimers */
    struct itimerval iv = { { 0, 0 }, { 0, 1000000 } }, ov;
    printf("setitimer which 3: %s\n", en(setitimer(3, &iv, &ov)));
    iv.it_value.tv_usec = -1;
    printf("setitimer usec -1: %s\n", en(setitimer(ITIMER_REAL, &iv, &ov)));
    iv.it_value.tv_usec = 1000000;
    printf("setitimer usec 1e6: %s\n", en(setitimer(ITIMER_REAL, &iv, &ov)));
    iv.it_value.tv_usec = 0;
    iv.it_value.tv_sec = -1;
    printf("setitimer sec -1: %s\n", en(setitimer(ITIMER_REAL, &iv, &ov)));
    printf("setitimer value in the kernel: %s\n", en(syscall(SYS_setitimer, ITIMER_REAL, (void *)KADDR, 0)));
    printf("getitimer which 3: %s\n", en(getitimer(3, &ov)));
    printf("getitimer into the kernel: %s\n", en(syscall(SYS_getitimer, ITIMER_REAL, (void *)KADDR)));
    printf("alarm huge: %ld\n", syscall(SYS_alarm, 0xffffffffUL));
    printf("alarm 0: %d\n", syscall(SYS_alarm, 0) > 0);
    return 0;
}

/* ---- credentials ---- */

struct caphdr {
    uint32_t version;
    int pid;
};
struct capdata {
    uint32_t eff, perm, inh;
};

static int attack_creds(void)
{
    struct caphdr h = { 0x12345678, 0 };
    struct capdata d[2];
    printf("capget bad version: %s version %#x\n", en(syscall(SYS_capget, &h, d)), h.version);
    h.version = 0x12345678;
    printf("capget bad version no data: %s version %#x\n", en(syscall(SYS_capget, &h, 0)), h.version);
    h.version = 0x20080522;
    h.pid = 0x3fffffff;
    printf("capget nobody: %s\n", en(syscall(SYS_capget, &h, d)));
    h.pid = -1;
    printf("capget pid -1: %s\n", en(syscall(SYS_capget, &h, d)));
    h.pid = 0;
    printf("capget data into the kernel: %s\n", en(syscall(SYS_capget, &h, (void *)KADDR)));
    printf("capget header in the kernel: %s\n", en(syscall(SYS_capget, (void *)KADDR, d)));
    long r = syscall(SYS_capget, &h, d);
    printf("capget: %s\n", en(r));
    h.pid = 0x3fffffff;
    printf("capset another pid: %s\n", en(syscall(SYS_capset, &h, d)));
    h.pid = 0;
    h.version = 0x19980330;                  /* v1: 32 bits */
    printf("capset v1 as is: %s\n", en(syscall(SYS_capset, &h, d)));
    h.version = 0x20080522;
    struct capdata up[2] = { d[0], d[1] };
    up[0].perm |= 1u << 21;
    up[0].eff |= 1u << 21;
    printf("capset raising permitted: %s\n", en(syscall(SYS_capset, &h, up)));
    up[0] = d[0];
    up[0].eff = d[0].perm | (1u << 5);
    printf("capset effective past permitted: %s\n", en(syscall(SYS_capset, &h, up)));
    up[0] = d[0];
    up[0].inh = d[0].inh | (1u << 7);
    printf("capset inheritable past bounding|permitted: %s\n", en(syscall(SYS_capset, &h, up)));
    printf("capset data in the kernel: %s\n", en(syscall(SYS_capset, &h, (void *)KADDR)));
    printf("setgroups -1: %s\n", en(syscall(SYS_setgroups, -1, 0)));
    printf("setgroups 65537: %s\n", en(syscall(SYS_setgroups, 65537, 0)));
    printf("getgroups -1: %s\n", en(syscall(SYS_getgroups, -1, 0)));
    printf("getgroups into the kernel: %ld\n", syscall(SYS_getgroups, 0, (void *)KADDR));
    printf("setresuid -2: %s\n", en(syscall(SYS_setresuid, -2, -1, -1)));
    printf("setresuid all -1: %s\n", en(syscall(SYS_setresuid, -1, -1, -1)));
    printf("setuid -1: %s\n", en(syscall(SYS_setuid, -1)));
    printf("setgid -1: %s\n", en(syscall(SYS_setgid, -1)));
    printf("setreuid -1 -1: %s\n", en(syscall(SYS_setreuid, -1, -1)));
    printf("setfsuid -1: %ld\n", syscall(SYS_setfsuid, -1));
    printf("getresuid into the kernel: %s\n", en(syscall(SYS_getresuid, (void *)KADDR, (void *)KADDR, (void *)KADDR)));
    /* a child drops to 1000 with setresuid keeping saved 0 (root) and regains it */
    pid_t c = fork();
    if (c == 0) {
        long a = syscall(SYS_setresuid, 1000, 1000, -1);
        long b = syscall(SYS_setuid, 0);
        uid_t ru, eu, su;
        getresuid(&ru, &eu, &su);
        printf("setresuid 1000 1000 -1: %s, setuid 0: %s, now %u %u %u\n", en(a), en(b), ru, eu, su);
        struct capdata now[2];
        h.pid = 0;
        syscall(SYS_capget, &h, now);
        printf("capabilities now: effective as before %d, permitted as before %d\n",
               now[0].eff == d[0].eff && now[1].eff == d[1].eff, now[0].perm == d[0].perm && now[1].perm == d[1].perm);
        long e = syscall(SYS_setresuid, 1000, 1000, 1000);
        long f = syscall(SYS_setuid, 0);
        long g = syscall(SYS_setreuid, 1000, 0);
        printf("setresuid 1000 x3: %s, setuid 0: %s, setreuid 1000 0: %s\n", en(e), en(f), en(g));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, 0, 0);
    return 0;
}

/* ---- prctl ---- */

static int attack_prctl(void)
{
    printf("prctl option 0: %s\n", en(prctl(0, 0, 0, 0, 0)));
    printf("prctl option 9999: %s\n", en(prctl(9999, 0, 0, 0, 0)));
    printf("prctl PDEATHSIG 65: %s\n", en(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0)));
    printf("prctl PDEATHSIG -1: %s\n", en(prctl(PR_SET_PDEATHSIG, -1L, 0, 0, 0)));
    printf("prctl GET_PDEATHSIG into the kernel: %s\n", en(prctl(PR_GET_PDEATHSIG, KADDR, 0, 0, 0)));
    printf("prctl SET_NAME from the kernel: %s\n", en(prctl(PR_SET_NAME, KADDR, 0, 0, 0)));
    printf("prctl SET_NAME page 0: %s\n", en(prctl(PR_SET_NAME, 0, 0, 0, 0)));
    printf("prctl GET_NAME into the kernel: %s\n", en(prctl(PR_GET_NAME, KADDR, 0, 0, 0)));
    printf("prctl SET_DUMPABLE 2: %s\n", en(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0)));
    printf("prctl SET_DUMPABLE 1 extra: %s\n", en(prctl(PR_SET_DUMPABLE, 1, 1, 0, 0)));
    printf("prctl NO_NEW_PRIVS 2: %s\n", en(prctl(PR_SET_NO_NEW_PRIVS, 2, 0, 0, 0)));
    printf("prctl NO_NEW_PRIVS extra: %s\n", en(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0)));
    printf("prctl GET_NO_NEW_PRIVS extra: %s\n", en(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0)));
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    setvbuf(stdout, 0, _IONBF, 0);
    static const struct {
        const char *name;
        int (*fn)(void);
    } attacks[] = {
        { "clone", attack_clone }, { "futex", attack_futex }, { "robust", attack_robust },
        { "signals", attack_signals }, { "wait", attack_wait }, { "timers", attack_timers },
        { "creds", attack_creds }, { "prctl", attack_prctl },
        { "waitrusage", attack_waitrusage }, { "execrace", attack_execrace },
        { "tablefull", attack_tablefull }, { "ptexec", attack_ptexec },
        { "zltimers", attack_zltimers }, { "waitflags", attack_waitflags },
        { "wnothread", attack_wnothread }, { "vforkkill", attack_vforkkill },
        { "zlstop", attack_zlstop }, { "nproc", attack_nproc },
    };
    er_self = argv[0];
    if (!strcmp(what, "execraced")) {
        printf("execrace: the new image runs, one thread %d\n", threads_now() == 1);
        return 0;
    }
    if (!strcmp(what, "ptexeced"))
        return threads_now() == 1 ? 5 : 6;   /* no line: it would race the tracer's */
    if (!strcmp(what, "tablefullexec")) {
        printf("tablefull: exec in a full table ran\n");
        return 0;
    }
    if (argc > 2) {                          /* ATTACK ROUNDS: each round a child */
        for (int round = 1; round <= atoi(argv[2]); round++) {
            fflush(stdout);
            pid_t kid = fork();
            if (kid == 0) {
                for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
                    if (!strcmp(what, attacks[i].name))
                        _exit(attacks[i].fn());
                _exit(2);
            }
            int st;
            waitpid(kid, &st, 0);
            printf("revproc: round %d: status %d\n", round, st);
        }
        return 0;
    }
    if (!strcmp(what, "zlexec")) {
        const char *old = getenv("REVPROC_OLDPID");
        printf("zombie leader: the new image runs as the old pid %d, one thread %d\n",
               old && atoi(old) == getpid(), threads_now() == 1);
        return 5;
    }
    for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++)
        if (!strcmp(what, attacks[i].name))
            return attacks[i].fn();
    printf("revproc: unknown attack %s\n", what);
    return 2;
}
