/*
 * stackgrow [MODE [N]]: the main thread's stack grows down after execve as Linux's
 * (VM_GROWSDOWN: mm/mmap.c expand_downwards, acct_stack_growth), printing only what is the
 * same on every Linux: "ok", an errno name, a signal and its si_code, never an address.
 * Every part runs in a child of its own (a fork copies the stack as it is). Built for musl,
 * glibc (stackgrow-glibc) and i386 (stackgrow-m32).
 *   (no MODE)   every part below
 *   rounds [N]  N rounds (default 1), each a child that grows its stack 1 MiB, has a growth
 *               past the limit refused, races growth against a sibling thread's munmap of the
 *               range being grown, touches 126 MiB below the top under an unlimited
 *               RLIMIT_STACK, and exits, printing "stackgrow: round R: status S"
 *               (with the kernel argument trace=mem the free pages after every round's reap
 *               must be equal: the grown pages come back at exit)
 * Addresses are found in /proc/self/maps ([stack]'s line: Linux's stack vma, [lo, top)).
 */
#define _GNU_SOURCE
#define _FILE_OFFSET_BITS 64       /* pread of /proc/PID/mem above 2 GiB in the i386 build */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

#define KIB 1024UL
#define MIB (1024UL * 1024)
#define PAGE 4096UL
#define GUARD_GAP (256 * PAGE)     /* Linux's stack_guard_gap */

static const char *en(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EIO: return "EIO";
    case EPERM: return "EPERM";
    default: return strerror(e);
    }
}

/* [stack]'s line of /proc/self/maps: its start and end; 0 when there is none. */
static int stack_vma(uintptr_t *lo, uintptr_t *top)
{
    static char buf[16384];
    int fd = open("/proc/self/maps", O_RDONLY);
    long n = 0, k;
    while (fd >= 0 && n < (long)sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += k;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        char *e = strchr(l, '\n');
        if (e)
            *e = 0;
        int is = strstr(l, "[stack]") != NULL;
        if (is) {
            unsigned long a, b;
            sscanf(l, "%lx-%lx", &a, &b);
            *lo = a, *top = b;
        }
        if (e)
            *e = '\n';
        if (is)
            return 1;
    }
    *lo = *top = 0;
    return 0;
}

static void touch(uintptr_t a, char v)
{
    *(volatile char *)a = v;
}

static char peek(uintptr_t a)
{
    return *(volatile char *)a;
}

/* The SIGSEGV a part expects: its si_code and whether si_addr is the address touched. */
static volatile uintptr_t want_addr;
static char altstack[64 * 1024];

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char line[128];
    int n = snprintf(line, sizeof line, "  SIGSEGV %s si_addr %s\n",
                     si->si_code == SEGV_MAPERR ? "SEGV_MAPERR" : si->si_code == SEGV_ACCERR ? "SEGV_ACCERR" : "other",
                     (uintptr_t)si->si_addr == want_addr ? "at the access" : "elsewhere");
    write(1, line, n);
    _exit(100 + sig);
}

/* Handle SIGSEGV on an alternate stack (the stack itself may be what failed). */
static void catch_segv(void)
{
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK };
    sigaction(SIGSEGV, &sa, NULL);
}

/* A touch that may be refused: the handler says so and ends the child. */
static void try_touch(const char *what, uintptr_t a)
{
    printf("%s:\n", what);
    fflush(stdout);
    want_addr = a;
    touch(a, 1);
    printf("  ok\n");
    fflush(stdout);
}

/* Recurse n KiB deep: a KiB of stack per frame, touched. */
static int deep(int n)
{
    volatile char frame[1024];
    frame[0] = (char)n;
    frame[1023] = (char)n;
    int r = n <= 1 ? 1 : deep(n - 1);
    return r + frame[0] - frame[1023];        /* the frame stays live across the call */
}

/* A VLA of n bytes probed a page at a time from its top down, as -fstack-clash-protection's
   probes and alloca's callers do. */
static int vla(unsigned long n)
{
    volatile char a[n];
    for (unsigned long i = n; i >= PAGE; i -= PAGE)
        a[i - 1] = 1;
    a[0] = 1;
    return a[0] + a[n - 1];
}

static void setlim(rlim_t cur)
{
    struct rlimit r = { cur, RLIM_INFINITY };
    if (setrlimit(RLIMIT_STACK, &r))
        printf("  setrlimit: %s\n", en(errno));
}

/* Run part f in a child; print how it ended. */
static void part(const char *name, void (*f)(void))
{
    printf("== %s\n", name);
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        catch_segv();
        f();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(kid, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: signal %d\n", name, WTERMSIG(st));
    else
        printf("%s: exit %d\n", name, WEXITSTATUS(st));
    fflush(stdout);
}

/* The limits and /proc/self/limits' line, as the host's. */
static void limits(void)
{
    struct rlimit r;
    getrlimit(RLIMIT_STACK, &r);
    printf("  RLIMIT_STACK %lu %s\n", (unsigned long)r.rlim_cur,
           r.rlim_max == RLIM_INFINITY ? "unlimited" : "finite");
    static char buf[4096];
    int fd = open("/proc/self/limits", O_RDONLY);
    long n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *l = strstr(buf, "Max stack size");
    if (l) {
        *strchr(l, '\n') = 0;
        printf("  %s\n", l);
    }
}

/* Recursion past 128 KiB, 1 MiB and 4 MiB under the default limit; [stack] covers it. */
static void recursion(void)
{
    uintptr_t lo0, top0, lo, top;
    stack_vma(&lo0, &top0);
    static const int depth[] = { 256, 1024, 4096 };
    for (int i = 0; i < 3; i++)
        printf("  deep %d KiB: %s\n", depth[i], deep(depth[i]) == 1 ? "ok" : "?");
    stack_vma(&lo, &top);
    printf("  [stack] grew past 4 MiB: %s, same top: %s\n", top - lo > 4 * MIB ? "yes" : "no",
           top == top0 ? "yes" : "no");
}

/* A fault far below the stack (RSP is nowhere near: Linux 6.x does not look), within the
   limit; then past it. */
static void far_below(void)
{
    uintptr_t lo, top, lo2;
    stack_vma(&lo, &top);
    try_touch("  touch top - 6 MiB", top - 6 * MIB);
    stack_vma(&lo2, &top);
    printf("  [stack] starts at that page: %s\n", lo2 == ((top - 6 * MIB) & ~(PAGE - 1)) ? "yes" : "no");
    printf("  the pages between read 0: %s\n", peek(top - 5 * MIB) == 0 ? "yes" : "no");
    try_touch("  touch top - 8 MiB - 4 KiB", top - 8 * MIB - PAGE);
}

/* read(2) and write(2) with a buffer below the stack: the kernel's copy grows it as a fault
   would; past the limit it is EFAULT. */
static void syscall_buffer(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    int p[2];
    pipe(p);
    char msg[5000];
    memset(msg, 'x', sizeof msg);
    write(p[1], msg, sizeof msg);
    char *buf = (char *)(lo - 256 * KIB);
    long n = read(p[0], buf, sizeof msg);
    printf("  read into 256 KiB below: %ld %s\n", n, n < 0 ? en(errno) : "");
    printf("  bytes there: %s\n", n == (long)sizeof msg && buf[0] == 'x' && buf[4999] == 'x' ? "ok" : "?");
    char *below = (char *)(lo - 512 * KIB - 100);
    n = write(p[1], below, 3000);                      /* copy_from_user grows it too */
    printf("  write from 512 KiB below: %ld %s\n", n, n < 0 ? en(errno) : "");
    char *far = (char *)(top - 9 * MIB);
    write(p[1], msg, 100);
    n = read(p[0], far, 100);
    printf("  read into top - 9 MiB: %ld %s\n", n, n < 0 ? en(errno) : "");
}

/* The guard gap: a mapping placed 2 MiB below the stack lets it grow to 1 MiB of it, no
   nearer; a PROT_NONE one does not count (Linux: vma_is_accessible). */
static void guard_gap_at(int prot)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    uintptr_t end = lo - 2 * MIB;
    void *m = mmap((void *)(end - 16 * PAGE), 16 * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
                   -1, 0);
    printf("  mmap 2 MiB below: %s\n", m == (void *)(end - 16 * PAGE) ? "there" : "elsewhere");
    try_touch("  touch 1.5 MiB above it", end + 3 * MIB / 2);
    try_touch("  touch 1 MiB above it", end + MIB);
    try_touch("  touch 512 KiB above it", end + 512 * KIB);
}

static void guard_gap(void)
{
    guard_gap_at(PROT_READ | PROT_WRITE);
}

static void guard_gap_none(void)
{
    guard_gap_at(PROT_NONE);
}

/* setrlimit below the stack's size: what is mapped stays, nothing more comes. */
static void limit_lowered(void)
{
    uintptr_t lo, top;
    printf("  deep 2048 KiB: %s\n", deep(2048) == 1 ? "ok" : "?");
    stack_vma(&lo, &top);
    setlim(MIB);
    printf("  after RLIMIT_STACK 1 MiB: deep 1024 KiB: %s\n", deep(1024) == 1 ? "ok" : "?");
    touch(lo, 2);
    printf("  the lowest page is still there: %s\n", peek(lo) == 2 ? "yes" : "no");
    try_touch("  touch a page below it", lo - PAGE);
}

/* A small limit set before the growth: the stack stops at it, counted from the top. */
static void limit_small(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    setlim(1 * MIB);
    try_touch("  touch top - 1 MiB + 4 KiB", top - MIB + PAGE);
    try_touch("  touch top - 1 MiB - 4 KiB", top - MIB - PAGE);
}

/* RLIMIT_STACK unlimited: deep recursion runs. */
static void limit_unlimited(void)
{
    setlim(RLIM_INFINITY);
    printf("  deep 4096 KiB: %s\n", deep(4096) == 1 ? "ok" : "?");
    printf("  deep 12288 KiB: %s\n", deep(12288) == 1 ? "ok" : "?");
}

/* A huge VLA probed page by page: 6 MiB fits the default 8 MiB, 9 MiB does not. */
static void huge_vla(void)
{
    printf("  vla 6 MiB: %s\n", vla(6 * MIB) == 2 ? "ok" : "?");
    fflush(stdout);
    want_addr = 0;
    printf("  vla 9 MiB:\n");
    fflush(stdout);
    printf("  %d\n", vla(9 * MIB));
}

/* The start of the /proc/self/maps line holding address a, or 0. */
static uintptr_t line_start(uintptr_t a)
{
    static char buf[16384];
    int fd = open("/proc/self/maps", O_RDONLY);
    long n = 0, k;
    while (fd >= 0 && n < (long)sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += k;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        unsigned long lo, hi;
        if (sscanf(l, "%lx-%lx", &lo, &hi) == 2 && a >= lo && a < hi)
            return lo;
    }
    return 0;
}

/* The grown range as ordinary memory: fork copies it, mprotect, madvise, munmap, mremap. */
static void ordinary(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    uintptr_t g = lo - MIB;                            /* grown below */
    touch(g, 7);
    touch(g + 8 * PAGE, 8);
    pid_t kid = fork();
    if (kid == 0) {
        touch(g, 9);
        _exit(peek(g + 8 * PAGE) == 8 ? 0 : 1);
    }
    int st;
    waitpid(kid, &st, 0);
    printf("  fork: child saw it: %s, parent kept its own: %s\n",
           WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no", peek(g) == 7 ? "yes" : "no");
    printf("  mprotect read-only: %s\n", en(mprotect((void *)g, PAGE, PROT_READ) ? errno : 0));
    printf("  reads %d\n", peek(g));
    printf("  mprotect read-write: %s\n", en(mprotect((void *)g, PAGE, PROT_READ | PROT_WRITE) ? errno : 0));
    printf("  madvise DONTNEED: %s\n", en(madvise((void *)(g + 8 * PAGE), PAGE, MADV_DONTNEED) ? errno : 0));
    printf("  reads %d\n", peek(g + 8 * PAGE));
    /* mremap a page of it away: its bytes go with it */
    void *dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    touch(g + 4 * PAGE, 42);
    void *moved = mremap((void *)(g + 4 * PAGE), PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst);
    printf("  mremap: %s, reads %d\n", moved == dst ? "moved" : "refused", moved == dst ? peek((uintptr_t)dst) : -1);
    /* munmap the stack's lowest 64 KiB: it starts higher, and grows again below */
    printf("  munmap the lowest 64 KiB: %s\n", en(munmap((void *)g, 16 * PAGE) ? errno : 0));
    uintptr_t lo2, top2;
    stack_vma(&lo2, &top2);
    printf("  [stack] starts 64 KiB higher: %s\n", lo2 == g + 16 * PAGE ? "yes" : "no");
    try_touch("  touch below it again", g + 8 * PAGE);
    printf("  reads %d\n", peek(g + 8 * PAGE));
    /* a hole in its middle: Linux's upper half grows down into it */
    touch(g + 40 * PAGE, 3);
    printf("  munmap a page in its middle: %s\n", en(munmap((void *)(g + 32 * PAGE), 4 * PAGE) ? errno : 0));
    try_touch("  touch the hole's top page", g + 35 * PAGE);
    printf("  reads %d, the page below it %s\n", peek(g + 35 * PAGE), line_start(g + 34 * PAGE) ? "mapped" : "unmapped");
    try_touch("  touch the hole's bottom page", g + 32 * PAGE);
    printf("  reads %d, above it %d\n", peek(g + 32 * PAGE), peek(g + 40 * PAGE));
}

/* ptrace and /proc/PID/mem reach the grown pages, and grow the stack below it as Linux's
   __access_remote_vm does (expand_stack when get_user_pages finds nothing). Not in the i386
   build: ringlab has no i386 ptrace. */
#ifndef __i386__
static void debugger(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    uintptr_t g = lo - 256 * KIB;
    pid_t kid = fork();
    if (kid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        touch(g, 5);
        raise(SIGSTOP);
        _exit(peek(g) == 6 ? 0 : 1);
    }
    int st;
    waitpid(kid, &st, 0);
    errno = 0;
    long w = ptrace(PTRACE_PEEKDATA, kid, (void *)g, 0);
    printf("  PEEKDATA grown: %s %ld\n", en(errno), w & 0xff);
    errno = 0;
    ptrace(PTRACE_PEEKDATA, kid, (void *)(g - 64 * KIB), 0);
    printf("  PEEKDATA below: %s\n", en(errno));
    printf("  POKEDATA below: %s\n", en(ptrace(PTRACE_POKEDATA, kid, (void *)(g - 64 * KIB), 1) ? errno : 0));
    printf("  POKEDATA grown: %s\n", en(ptrace(PTRACE_POKEDATA, kid, (void *)g, (w & ~0xffL) | 6) ? errno : 0));
    char path[64], c = 0;
    snprintf(path, sizeof path, "/proc/%d/mem", kid);
    int fd = open(path, O_RDONLY);
    long n = pread(fd, &c, 1, (off_t)g);
    printf("  /proc/PID/mem grown: %ld %d\n", n, c);
    n = pread(fd, &c, 1, (off_t)(g - 64 * KIB));
    printf("  /proc/PID/mem below: %ld %s\n", n, n < 0 ? en(errno) : "");
    close(fd);
    /* process_vm_readv is get_user_pages alone: it never grows a stack (EFAULT below it) */
    struct iovec l = { &c, 1 }, r = { (void *)g, 1 };
    n = process_vm_readv(kid, &l, 1, &r, 1, 0);
    printf("  process_vm_readv grown: %ld %d\n", n, c);
    r.iov_base = (void *)(g - 128 * KIB);
    n = process_vm_readv(kid, &l, 1, &r, 1, 0);
    printf("  process_vm_readv below: %ld %s\n", n, n < 0 ? en(errno) : "");
    ptrace(PTRACE_CONT, kid, 0, 0);
    waitpid(kid, &st, 0);
    printf("  child saw the POKE: %s\n", WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
}
#endif

/* A thread's stack is an ordinary mapping: it does not grow. */
static void *thread_deep(void *arg)
{
    (void)arg;
    printf("  thread deep 1024 KiB in a 256 KiB stack:\n");
    fflush(stdout);
    want_addr = 0;
    deep(1024);
    return NULL;
}

static void thread_stack(void)
{
    pthread_attr_t a;
    pthread_t t;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 256 * KIB);
    signal(SIGSEGV, SIG_DFL);                          /* the process dies of it */
    pthread_create(&t, &a, thread_deep, NULL);
    pthread_join(t, NULL);
    printf("  returned\n");
}

/* Growth racing a sibling's munmap of the range below: the lock orders them, every touch
   lands, every munmap succeeds. */
static volatile uintptr_t race_lo;
static volatile int race_done;

static void *unmapper(void *arg)
{
    (void)arg;
    int bad = 0;
    while (!race_done)
        bad |= munmap((void *)(race_lo - 4 * MIB), 2 * MIB) != 0;
    return (void *)(intptr_t)bad;
}

static void race(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    race_lo = lo;
    pthread_t t;
    pthread_create(&t, NULL, unmapper, NULL);
    int bad = 0;
    for (int round = 0; round < 4; round++) {
        for (uintptr_t a = lo - PAGE; a >= lo - (uintptr_t)(round + 1) * 256 * KIB; a -= PAGE)
            touch(a, (char)round);
        for (uintptr_t a = lo - PAGE; a >= lo - (uintptr_t)(round + 1) * 256 * KIB; a -= PAGE)
            bad |= peek(a) != (char)round;
    }
    race_done = 1;
    void *r;
    pthread_join(t, &r);
    printf("  touches: %s, munmaps: %s\n", bad ? "lost" : "ok", r ? "failed" : "ok");
}

/* mmap's MAP_GROWSDOWN: anonymous private memory that grows down as the stack does (under
   RLIMIT_STACK, from its own top); a file's or shared memory is EINVAL. */
static void growsdown(void)
{
    void *m = mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    printf("  shared: %s\n", m == MAP_FAILED ? en(errno) : "mapped");
    int fd = open("/dev/zero", O_RDWR);
    m = mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_GROWSDOWN, fd, 0);
    printf("  /dev/zero: %s\n", m == MAP_FAILED ? en(errno) : "mapped");
    close(fd);
    char *a = mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    printf("  private: %s\n", a == MAP_FAILED ? en(errno) : "mapped");
    uintptr_t lo = (uintptr_t)a;
    try_touch("  touch 4 KiB below it", lo - PAGE);
    try_touch("  touch 512 KiB below it", lo - 512 * KIB);
    printf("  its line starts there: %s\n", line_start(lo) == lo - 512 * KIB ? "yes" : "no");
    printf("  the pages between read 0: %s\n", peek(lo - 256 * KIB) == 0 ? "yes" : "no");
    setlim(640 * KIB);
    try_touch("  RLIMIT_STACK 640 KiB: touch 570 KiB below it", lo - 570 * KIB);
    try_touch("  touch 580 KiB below it", lo - 580 * KIB);
}

/* A field of /proc/self/status in kB (VmLck, VmSize). */
static long status_kb(const char *key)
{
    static char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    long n = fd < 0 ? 0 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *l = strstr(buf, key);
    return l ? strtol(l + strlen(key), NULL, 10) : -1;
}

static long vmlck_kb(void)
{
    return status_kb("VmLck:");
}

/* Growth counts against RLIMIT_AS (acct_stack_growth's may_expand_vm): 512 KiB of room above
   what is mapped lets 256 KiB more stack by, not 1 MiB. */
static void limit_as(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    struct rlimit r = { (rlim_t)(status_kb("VmSize:") + 512) * 1024, RLIM_INFINITY };
    printf("  RLIMIT_AS at VmSize + 512 KiB: %s\n", en(setrlimit(RLIMIT_AS, &r) ? errno : 0));
    try_touch("  touch 256 KiB below the stack", lo - 256 * KIB);
    try_touch("  touch 1 MiB below the stack", lo - MIB);
}

/* A locked stack's growth is locked (mlockall(MCL_CURRENT) locked the stack vma); with
   MCL_FUTURE alone the stack vma was not locked, and its growth is not either. */
static void locked_growth(int flags)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    printf("  mlockall: %s\n", en(mlockall(flags) ? errno : 0));
    long before = vmlck_kb();
    touch(lo - MIB, 1);
    printf("  VmLck grew by %ld kB\n", vmlck_kb() - before);
}

static void locked_current(void)
{
    locked_growth(MCL_CURRENT | MCL_FUTURE);
}

static void locked_future(void)
{
    locked_growth(MCL_FUTURE);
}

/* Growth racing a sibling that unmaps the very range being grown: which wins each time is the
   scheduler's (a hole left in the middle is SIGSEGV here, grown again on Linux), so only the
   pages it leaves behind are judged (rounds). */
static volatile int hostile_done;

static void *hostile_unmapper(void *arg)
{
    uintptr_t lo = (uintptr_t)arg;
    for (int i = 0; !hostile_done && i < 100000; i++)
        munmap((void *)(lo - 512 * KIB + (uintptr_t)(i % 4) * 64 * KIB), 128 * KIB);
    return NULL;
}

static void hostile_race(void)
{
    uintptr_t lo, top;
    stack_vma(&lo, &top);
    pthread_t t;
    pthread_create(&t, NULL, hostile_unmapper, (void *)lo);
    for (int round = 0; round < 3; round++)                    /* within the round's 2 MiB limit */
        for (uintptr_t a = lo - PAGE; a >= lo - 512 * KIB; a -= PAGE)
            touch(a, 1);
    hostile_done = 1;
    pthread_join(t, NULL);
}

/* One round of "rounds": grow 1 MiB, then have a growth past a 2 MiB limit refused, and race
   growth against munmap (its end is not judged). */
static void one_round(void)
{
    setlim(2 * MIB);
    if (deep(1024) != 1)
        _exit(1);
    pid_t kid = fork();
    if (kid == 0) {
        signal(SIGSEGV, SIG_DFL);
        deep(4096);
        _exit(2);
    }
    int st;
    waitpid(kid, &st, 0);
    pid_t racer = fork();
    if (racer == 0) {
        signal(SIGSEGV, SIG_DFL);
        hostile_race();
        _exit(0);
    }
    int rst;
    waitpid(racer, &rst, 0);
    /* RLIMIT_STACK unlimited and a touch 126 MiB below the stack's top: Linux maps the one page;
       ringlab, which maps every page between, has not that much memory (its end not judged) */
    pid_t huge = fork();
    if (huge == 0) {
        uintptr_t lo, top;
        stack_vma(&lo, &top);
        setlim(RLIM_INFINITY);
        signal(SIGSEGV, SIG_DFL);
        touch(top - 126 * MIB, 1);
        _exit(0);
    }
    waitpid(huge, &rst, 0);
    _exit(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV ? 0 : 3);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Linux's default soft RLIMIT_STACK, 8 MiB: ringlab's is 128 KiB (glibc sizes thread stacks
       by it, and ringlab populates every page of a mapping), so both systems run this under 8 */
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 8UL << 20 && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 8UL << 20)) {
        rl.rlim_cur = 8UL << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    if (argc > 1 && !strcmp(argv[1], "rounds")) {
        int rounds = argc > 2 ? atoi(argv[2]) : 1;
        for (int r = 0; r < rounds; r++) {
            pid_t kid = fork();
            if (kid == 0)
                one_round();
            int st;
            waitpid(kid, &st, 0);
            printf("stackgrow: round %d: status %d\n", r + 1, st);
        }
        return 0;
    }
    printf("== limits\n");
    limits();
    part("recursion", recursion);
    part("far below", far_below);
    part("syscall buffer", syscall_buffer);
    part("guard gap", guard_gap);
    part("guard gap PROT_NONE", guard_gap_none);
    part("limit lowered", limit_lowered);
    part("limit small", limit_small);
    part("limit unlimited", limit_unlimited);
    part("limit AS", limit_as);
    part("huge vla", huge_vla);
    part("ordinary memory", ordinary);
#ifndef __i386__
    part("debugger", debugger);                        /* ringlab has no i386 ptrace (kernel.md) */
#endif
    part("MAP_GROWSDOWN", growsdown);
    part("mlockall current", locked_current);
    part("mlockall future", locked_future);
    part("thread stack", thread_stack);
    part("race", race);
    return 0;
}
