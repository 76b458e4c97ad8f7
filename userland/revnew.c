/*
 * A hostile program from the review of the kernel merged on 7 December, second pass
 * (tests/test_review_new.py): the stack's grows-down record (kernel/stackgrow.c) after a
 * mapping is put into its middle or a hole is cut into it. Each step prints only what Linux
 * defines, so the host's output is the reference.
 *
 *   stacksplit: the stack is grown 768 KiB below the caller's frame; an anonymous mapping is put
 *   MAP_FIXED into the grown part (Linux splits the stack vma in three: the mapping between
 *   is an ordinary one, and only the part holding start_stack is [stack] in /proc/PID/maps);
 *   the page just below that mapping is unmapped and touched by a child (the vma above the
 *   page is the ordinary mapping, which does not grow down: SIGSEGV on Linux); a hole cut into
 *   the upper part is touched by a child (that part grows down into it: ok); and a child below
 *   the lower part, under an RLIMIT_STACK that holds the lower part's size but not the whole
 *   stack's (Linux's acct_stack_growth counts the vma that grows: ok).
 *
 *   remapgrown: a MAP_GROWSDOWN mapping of 2 pages grown in place to 4 by mremap, then a child
 *   touches the page below it under an RLIMIT_STACK of 5 pages (ok) and of 4 (the vma's size
 *   counts from its new top: SIGSEGV).
 *
 *   growsdata: MAP_GROWSDOWN memory is never data (Linux's is_data_mapping leaves VM_GROWSDOWN
 *   out): under an RLIMIT_DATA of one page it is mapped and mremap'd, where an ordinary
 *   private writable mapping is ENOMEM.
 *
 *   growsgap: eight ordinary mappings after a MAP_GROWSDOWN one: none is placed in the 1 MiB
 *   guard gap below it (Linux's unmapped_area keeps vm_start_gap free). Built as an i386
 *   program too (revnew-m32), whose mappings ringlab places first fit from the bottom.
 *
 *   brkgap: a MAP_GROWSDOWN mapping 2 MiB above the break; brk may grow the heap to a page
 *   below its guard gap and no further (Linux's brk checks vm_start_gap of the next vma).
 *
 *   remapmoved: 4 pages from the grown stack's middle moved by mremap to a place with a free
 *   page below (a PROT_NONE mapping under it): the moved part keeps growing down there
 *   (Linux's vma keeps VM_GROWSDOWN), and the hole it left is grown into from above.
 *
 *   growsrecords (ringlab only, not compared): its records of grows-down ranges run out
 *   cleanly: a MAP_GROWSDOWN mapping that would split the stack's range needs two.
 *
 *   oldselect (i386): select (82), Linux's compat_sys_old_select, its argument block at NULL
 *   and across the end of a mapping, n -1 and 2^30, a set at address 1, bad timeouts, a
 *   readable pipe and the timeout written back.
 *
 *   shmlock: SHM_LOCK's charges against RLIMIT_MEMLOCK for uid 1000: a second lock and a
 *   second unlock of one segment, and the charge of an attached locked segment removed by
 *   IPC_RMID given back when it goes.
 *
 *   ids: getuid, getgid, geteuid and getegid as the process calls them (i386: the 16-bit and
 *   the 32-bit calls by number), run as users whose uid and gid differ.
 *
 *   madvlocked: each destructive madvise over 4 pages whose middle 2 are locked, private
 *   and shared: where it stops (EINVAL at the locked ones) and which bytes survive.
 *
 *   oldmmapstack (i386): old mmap (90) with its argument block below the stack, not yet
 *   mapped: Linux copies the block before it takes mmap_lock, so the copy grows the stack.
 *
 *   vmstk: /proc/self/status's VmStk and VmData around a MAP_GROWSDOWN mapping (Linux counts
 *   it as stack, never as data).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <grp.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096UL
#define KIB 1024UL

/* The name /proc/self/maps gives the mapping holding va ("[stack]", "anonymous" for none,
   "unmapped"), and with lo its start. */
static const char *name_of(uintptr_t va, uintptr_t *lo)
{
    static char buf[32768], name[64];
    int fd = open("/proc/self/maps", O_RDONLY);
    long n = 0, k;
    while (fd >= 0 && n < (long)sizeof buf - 1 && (k = read(fd, buf + n, sizeof buf - 1 - n)) > 0)
        n += k;
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    for (char *l = strtok(buf, "\n"); l; l = strtok(NULL, "\n")) {
        unsigned long a, b;
        char path[64] = "";
        if (sscanf(l, "%lx-%lx %*s %*s %*s %*s %63s", &a, &b, path) < 2 || va < a || va >= b)
            continue;
        if (lo)
            *lo = a;
        snprintf(name, sizeof name, "%s", path[0] ? path : "anonymous");
        return name;
    }
    return "unmapped";
}

static void touch(uintptr_t va)
{
    *(volatile char *)va = 1;
}

/* A child touches va (under RLIMIT_STACK `lim`, 0: unchanged): how it ended. */
static const char *child_touch(uintptr_t va, rlim_t lim)
{
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        struct rlimit r = { lim, RLIM_INFINITY };
        if (lim && setrlimit(RLIMIT_STACK, &r))
            _exit(3);
        touch(va);
        _exit(0);
    }
    int st;
    if (kid < 0 || waitpid(kid, &st, 0) != kid)
        return "no child";
    if (WIFSIGNALED(st))
        return WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : "another signal";
    return WEXITSTATUS(st) == 0 ? "ok" : "failed";
}

static void stacksplit(void)
{
    char here;
    uintptr_t sp = (uintptr_t)&here & ~(PG - 1);
    uintptr_t lo = sp - 768 * KIB, m = sp - 512 * KIB, hole = m + 64 * PG, top = 0, slo = 0;
    touch(lo);                                   /* the stack grows down to lo */
    printf("stacksplit: grown: %s\n", name_of(lo, &slo));
    printf("stacksplit: its bottom is the page touched: %s\n", slo == lo ? "yes" : "no");
    name_of(sp, &top);
    void *r = mmap((void *)m, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("stacksplit: MAP_FIXED into its middle: %s\n", r == (void *)m ? "ok" : "failed");
    printf("stacksplit: the part below: %s\n", name_of(m - PG, NULL));
    printf("stacksplit: the mapping: %s\n", name_of(m, NULL));
    printf("stacksplit: the part above: %s\n", name_of(m + 4 * PG, NULL));
    printf("stacksplit: munmap of the page below the mapping: %s\n", munmap((void *)(m - PG), PG) ? "failed" : "ok");
    printf("stacksplit: a child touching it: %s\n", child_touch(m - PG, 0));
    printf("stacksplit: munmap of a hole in the part above: %s\n", munmap((void *)hole, 2 * PG) ? "failed" : "ok");
    printf("stacksplit: a child touching the hole: %s\n", child_touch(hole, 0));
    /* The lower part [lo, m - PG) grown by a page is (m - lo) bytes; the whole stack would be
       (top - lo + PG). */
    printf("stacksplit: a child below the lower part, RLIMIT_STACK its size: %s\n",
           child_touch(lo - PG, m - lo));
    printf("stacksplit: a child below the lower part, RLIMIT_STACK a page less: %s\n",
           child_touch(lo - PG, m - lo - PG));
    (void)top;
}

/* A MAP_GROWSDOWN mapping grown in place by mremap: the vma (its top too) grows down, and its
   growth below counts from the new top. */
static void remapgrown(void)
{
    char *r = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        printf("remapgrown: no room\n");
        return;
    }
    uintptr_t g = (uintptr_t)r + 8 * PG;
    void *m = mmap((void *)g, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN,
                   -1, 0);
    printf("remapgrown: MAP_GROWSDOWN of 2 pages: %s\n", m == (void *)g ? "ok" : "failed");
    printf("remapgrown: munmap of the room above and the page below: %s\n",
           munmap((void *)(g + 2 * PG), 6 * PG) || munmap((void *)(g - PG), PG) ? "failed" : "ok");
    void *n = mremap((void *)g, 2 * PG, 4 * PG, 0);
    printf("remapgrown: mremap to 4 pages in place: %s\n", n == (void *)g ? "ok" : "failed");
    touch(g + 3 * PG);
    printf("remapgrown: a child touching the page below, RLIMIT_STACK 5 pages: %s\n", child_touch(g - PG, 5 * PG));
    printf("remapgrown: a child touching the page below, RLIMIT_STACK 4 pages: %s\n", child_touch(g - PG, 4 * PG));
}

/* Under an RLIMIT_DATA of one page (soft and hard: no Valgrind exception), a child maps 2
   pages MAP_GROWSDOWN and grows them to 4 by mremap (Linux's is_data_mapping leaves out
   VM_GROWSDOWN: both ok), then maps 2 ordinary private writable pages (data: ENOMEM). */
static void growsdata(void)
{
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        struct rlimit r = { PG, PG };
        if (setrlimit(RLIMIT_DATA, &r))
            _exit(64);
        int bits = 0;
        void *g = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
        bits |= g == MAP_FAILED ? 1 : 0;
        bits |= g == MAP_FAILED || mremap(g, 2 * PG, 4 * PG, MREMAP_MAYMOVE) == MAP_FAILED ? 2 : 0;
        bits |= mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? 4 : 0;
        _exit(bits);
    }
    int st;
    if (kid < 0 || waitpid(kid, &st, 0) != kid || !WIFEXITED(st) || WEXITSTATUS(st) == 64) {
        printf("growsdata: no child\n");
        return;
    }
    int bits = WEXITSTATUS(st);
    printf("growsdata: MAP_GROWSDOWN under RLIMIT_DATA 4096: %s\n", bits & 1 ? "refused" : "ok");
    printf("growsdata: mremap of it to 4 pages: %s\n", bits & 2 ? "refused" : "ok");
    printf("growsdata: an ordinary private writable mapping: %s\n", bits & 4 ? "refused" : "ok");
}

/* A MAP_GROWSDOWN mapping, then ordinary ones mapped anywhere: none lands in the guard gap
   below it (Linux's unmapped_area leaves vm_start_gap free). Where they land otherwise is the
   system's layout (Linux's top-down, ringlab's bottom-up), so only that is printed. */
static void growsgap(void)
{
    char *g = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    if (g == MAP_FAILED) {
        printf("growsgap: MAP_GROWSDOWN failed\n");
        return;
    }
    int in_gap = 0;
    for (int i = 0; i < 8; i++) {
        char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        in_gap |= m != MAP_FAILED && m < g && m + 4 * PG > g - 256 * PG;
    }
    printf("growsgap: a later mapping within the guard gap below it: %s\n", in_gap ? "yes" : "no");
}

/* brk grows the heap up to, never into, the guard gap below a MAP_GROWSDOWN mapping above it
   (Linux's brk: newbrk + PAGE_SIZE <= vm_start_gap(next)). Raw brk calls, all made before
   the first printf (glibc's malloc moves the break). */
static void brkgap(void)
{
    uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0), base = (cur + PG - 1) & ~(PG - 1);
    uintptr_t g = base + 2048 * KIB, gap = 1024 * KIB;
    void *m = mmap((void *)g, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN,
                   -1, 0);
    uintptr_t in_gap = (uintptr_t)syscall(SYS_brk, g - gap);                 /* its last page above the gap... */
    uintptr_t below = (uintptr_t)syscall(SYS_brk, g - gap - PG);             /* ...a page below it */
    uintptr_t back = (uintptr_t)syscall(SYS_brk, base);
    printf("brkgap: MAP_GROWSDOWN 2 MiB above the heap: %s\n", m == (void *)g ? "ok" : "failed");
    printf("brkgap: brk to the gap's bottom: %s\n", in_gap == g - gap ? "ok" : in_gap == cur ? "refused" : "other");
    printf("brkgap: brk to a page below it: %s\n", below == g - gap - PG ? "ok" : below == cur ? "refused" : "other");
    printf("brkgap: brk back: %s\n", back == base ? "ok" : "other");
}

/* Part of the grown stack moved by mremap keeps growing down where it lands (Linux's moved
   vma keeps VM_GROWSDOWN); the stack's part below the hole it left does too. */
static void remapmoved(void)
{
    char here;
    uintptr_t sp = (uintptr_t)&here & ~(PG - 1), lo = sp - 768 * KIB, from = sp - 512 * KIB;
    touch(lo);
    char *r = mmap(NULL, 16 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (r == MAP_FAILED) {
        printf("remapmoved: no room\n");
        return;
    }
    uintptr_t to = (uintptr_t)r + 8 * PG;
    touch(from + PG);
    *(volatile char *)(from + PG) = 42;
    printf("remapmoved: munmap of the page below the target: %s\n", munmap((void *)(to - PG), PG) ? "failed" : "ok");
    void *m = mremap((void *)from, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
    printf("remapmoved: mremap of 4 pages of the stack: %s, reads %d\n", m == (void *)to ? "ok" : "failed",
           m == (void *)to ? *(volatile char *)(to + PG) : -1);
    printf("remapmoved: the part moved: %s\n", name_of(to, NULL));
    printf("remapmoved: a child touching the page below it: %s\n", child_touch(to - PG, 0));
    printf("remapmoved: a child touching the top of the hole it left: %s\n", child_touch(from + 3 * PG, 0));
}

/* ringlab's own limit (its records of grows-down ranges; Linux has none short of
   vm.max_map_count): MAP_GROWSDOWN mappings until one is refused, then one MAP_FIXED into
   the stack's middle, which splits the stack's record too: refused with one record free,
   mapped with two, and it grows. */
static void growsrecords(void)
{
    char here;
    uintptr_t sp = (uintptr_t)&here & ~(PG - 1), lo = sp - 768 * KIB, m = sp - 512 * KIB;
    touch(lo);
    void *g[16];
    int n = 0;
    while (n < 16 && (g[n] = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0)) != MAP_FAILED)
        n++;
    printf("growsrecords: MAP_GROWSDOWN mappings: %d, the next: %s\n", n, n < 16 ? strerror(errno) : "ok");
    if (n < 2)
        return;
    munmap(g[n - 1], 2 * PG);
    int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN;
    void *r = mmap((void *)m, 4 * PG, PROT_READ | PROT_WRITE, flags, -1, 0);
    printf("growsrecords: one record free, MAP_GROWSDOWN into the stack's middle: %s\n",
           r == (void *)m ? "ok" : strerror(errno));
    munmap(g[n - 2], 2 * PG);
    r = mmap((void *)m, 4 * PG, PROT_READ | PROT_WRITE, flags, -1, 0);
    printf("growsrecords: two free: %s\n", r == (void *)m ? "ok" : strerror(errno));
    printf("growsrecords: munmap of the page below it: %s\n", munmap((void *)(m - PG), PG) ? "failed" : "ok");
    printf("growsrecords: a child touching that page: %s\n", child_touch(m - PG, 0));
}

/* i386 select (82, Linux's compat_sys_old_select): its five arguments in a block of 32-bit
   words at ebx, at hostile addresses and with hostile contents. Raw calls from an i386 build
   only (a 64-bit build prints one line). */
#if defined(__i386__)
struct sel_args {
    uint32_t n, inp, outp, exp, tvp;
};

static const char *old_select(const struct sel_args *a)
{
    static char out[64];
    long r = syscall(82, a);
    snprintf(out, sizeof out, "%s", r < 0 ? strerror(errno) : r == 0 ? "0" : r == 1 ? "1" : "more");
    return out;
}

static void oldselect(void)
{
    int fds[2];
    if (pipe(fds))
        return;
    write(fds[1], "x", 1);
    uint32_t set[32] = { 0 };
    struct { int32_t sec, usec; } tv = { 0, 0 };
    struct sel_args a = { (uint32_t)fds[0] + 1, (uint32_t)(uintptr_t)set, 0, 0, (uint32_t)(uintptr_t)&tv };
    printf("oldselect: no block: %s\n", old_select(NULL));
    set[0] = 1u << fds[0];
    const char *ready = old_select(&a);
    printf("oldselect: a readable pipe: %s, its bit %s\n", ready, set[0] & (1u << fds[0]) ? "set" : "clear");
    a.n = (uint32_t)-1;
    printf("oldselect: n -1: %s\n", old_select(&a));
    a.n = 1u << 30;
    a.inp = 0;
    printf("oldselect: n 2^30, no sets: %s\n", old_select(&a));
    a.n = (uint32_t)fds[0] + 1;
    a.inp = 1;
    printf("oldselect: a set at address 1: %s\n", old_select(&a));
    a.inp = (uint32_t)(uintptr_t)set;
    set[0] = 1u << fds[0];
    tv.sec = 1, tv.usec = 2000000;
    printf("oldselect: tv_usec 2000000: %s\n", old_select(&a));
    tv.sec = -1, tv.usec = 0;
    printf("oldselect: tv_sec -1: %s\n", old_select(&a));
    char buf;
    read(fds[0], &buf, 1);
    tv.sec = 0, tv.usec = 20000;
    set[0] = 1u << fds[0];
    const char *r = old_select(&a);
    printf("oldselect: nothing to read, 20 ms: %s, timeout left %d.%06d\n", r, tv.sec, tv.usec);
    a.tvp = 0xfffff000u;
    printf("oldselect: a timeout at 0xfffff000: %s\n", old_select(&a));
    /* the block's last word on an unmapped page */
    char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED || munmap(two + PG, PG))
        return;
    struct sel_args *edge = (struct sel_args *)(two + PG - 16);
    memcpy(edge, &a, 16);
    printf("oldselect: a block across the end of the mapping: %s\n", old_select(edge));
}

/* i386 old mmap (90) with its argument block below the stack, where nothing is mapped yet:
   Linux's old_mmap copies it before it takes mmap_lock, so the copy grows the stack over it
   (six zero words: len 0, EINVAL), and [stack] then starts at or below it. */
static void oldmmapstack(void)
{
    uintptr_t lo = 0;
    char here;
    name_of((uintptr_t)&here, &lo);
    uintptr_t block = lo - 64 * KIB;
    long r = syscall(90, block);
    int e = errno;
    uintptr_t lo2 = 0;
    name_of((uintptr_t)&here, &lo2);
    printf("oldmmapstack: a block 64 KiB below the stack: %s\n", r == -1 ? strerror(e) : "mapped");
    printf("oldmmapstack: the stack grew over it: %s\n", lo2 <= block ? "yes" : "no");
}
#else
static void oldselect(void)
{
    printf("oldselect: an i386 call\n");
}

static void oldmmapstack(void)
{
    printf("oldmmapstack: an i386 call\n");
}
#endif

/* SHM_LOCK's charges (Linux's user_shm_lock: the real uid's locked pages against the soft
   RLIMIT_MEMLOCK without CAP_IPC_LOCK): a child as uid 1000 (root's drops to it) under a
   16 KiB limit locks a 3-page segment, not a 2-page one more, the first again (no second
   charge), unlocks it twice (one refund), locks the 2-page one, then an attached locked
   segment removed (IPC_RMID) gives its charge back once detached; shmctl on it once
   removed is EINVAL. The child reports by its exit status: the parent prints. */
static int shm_step(int id, int cmd)
{
    return shmctl(id, cmd, NULL) ? errno : 0;
}

static void shmlock(void)
{
    static const char *const what[] = {
        "lock 3 pages", "lock 2 more", "lock the 3 again", "unlock them", "unlock them again",
        "lock the 2", "lock the 3 beside them", "IPC_RMID of the 2, attached", "SHM_LOCK of it removed",
        "lock the 3 once it is detached",
    };
    enum { STEPS = sizeof what / sizeof what[0] };
    int pfd[2];
    if (pipe(pfd))
        return;
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        int res[STEPS];
        struct rlimit r = { 16 * KIB, 16 * KIB };
        if (setrlimit(RLIMIT_MEMLOCK, &r) || (getuid() == 0 && (setgroups(0, NULL) || setgid(1000) || setuid(1000))))
            _exit(1);
        int a = shmget(IPC_PRIVATE, 3 * PG, IPC_CREAT | 0600), b = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
        if (a < 0 || b < 0)
            _exit(2);
        res[0] = shm_step(a, SHM_LOCK);
        res[1] = shm_step(b, SHM_LOCK);
        res[2] = shm_step(a, SHM_LOCK);
        res[3] = shm_step(a, SHM_UNLOCK);
        res[4] = shm_step(a, SHM_UNLOCK);
        res[5] = shm_step(b, SHM_LOCK);
        res[6] = shm_step(a, SHM_LOCK);
        void *at = shmat(b, NULL, 0);
        res[7] = at == (void *)-1 ? errno : shm_step(b, IPC_RMID);
        res[8] = shm_step(b, SHM_LOCK);
        if (at != (void *)-1)
            shmdt(at);
        res[9] = shm_step(a, SHM_LOCK);
        shm_step(a, SHM_UNLOCK);
        shm_step(a, IPC_RMID);
        write(pfd[1], res, sizeof res);
        _exit(0);
    }
    close(pfd[1]);
    int res[STEPS], st;
    long got = read(pfd[0], res, sizeof res);
    waitpid(kid, &st, 0);
    close(pfd[0]);
    if (got != (long)sizeof res) {
        printf("shmlock: the child failed: %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return;
    }
    for (int i = 0; i < STEPS; i++)
        printf("shmlock: %s: %s\n", what[i], res[i] ? strerror(res[i]) : "ok");
}

/* The ids as the process's own calls give them: an i386 build asks the 16-bit calls (getuid
   24, getgid 47, geteuid 49, getegid 50: Linux's high2lowuid gives 65534 for an id past
   65535) and the 32-bit ones (199-202) by number. */
static void ids(void)
{
#if defined(__i386__)
    printf("ids: 16-bit: uid %ld gid %ld euid %ld egid %ld\n", syscall(24), syscall(47), syscall(49), syscall(50));
    printf("ids: 32-bit: uid %ld gid %ld euid %ld egid %ld\n", syscall(199), syscall(200), syscall(201),
           syscall(202));
#else
    printf("ids: uid %d gid %d euid %d egid %d\n", (int)getuid(), (int)getgid(), (int)geteuid(), (int)getegid());
#endif
}

/* madvise over locked pages (Linux refuses a VM_LOCKED vma for MADV_DONTNEED, MADV_FREE,
   MADV_REMOVE, MADV_COLD, MADV_PAGEOUT with EINVAL, the vmas before it done; MADV_DONTNEED_LOCKED
   zeroes it): 4 pages, the middle 2 locked, each advice over all 4, then which pages kept
   their bytes. Under the default RLIMIT_MEMLOCK (8 MiB on Linux 6.x, as here). */
static void madvlocked(void)
{
    static const struct { int advice; const char *name; } adv[] = {
        { MADV_DONTNEED, "DONTNEED" }, { MADV_FREE, "FREE" }, { 9 /* MADV_REMOVE */, "REMOVE" },
        { 20 /* MADV_COLD */, "COLD" }, { 21 /* MADV_PAGEOUT */, "PAGEOUT" }, { MADV_WILLNEED, "WILLNEED" },
        { 24 /* MADV_DONTNEED_LOCKED */, "DONTNEED_LOCKED" },
    };
    for (unsigned i = 0; i < sizeof adv / sizeof adv[0]; i++) {
        for (int shared = 0; shared < 2; shared++) {
            char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_ANONYMOUS,
                           -1, 0);
            if (m == MAP_FAILED)
                return;
            for (int k = 0; k < 4; k++)
                m[k * PG] = (char)(k + 1);
            int l = mlock(m + PG, 2 * PG) ? errno : 0;
            int r = madvise(m, 4 * PG, adv[i].advice) ? errno : 0;
            printf("madvlocked: %s %s: mlock %s, %s, bytes %d %d %d %d\n", adv[i].name, shared ? "shared" : "private",
                   l ? strerror(l) : "ok", r ? strerror(r) : "ok", m[0], m[PG], m[2 * PG], m[3 * PG]);
            munmap(m, 4 * PG);
        }
    }
}

/* /proc/self/status's VmStk and VmData in kB (raw reads: no allocation between two). */
static void vm_stk_data(long *stk, long *data)
{
    static char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *k = strstr(buf, "VmStk:"), *d = strstr(buf, "VmData:");
    *stk = k ? strtol(k + 6, NULL, 10) : -1;
    *data = d ? strtol(d + 7, NULL, 10) : -1;
}

/* Linux's VmStk counts every VM_STACK (VM_GROWSDOWN) vma, a MAP_GROWSDOWN mapping too, and
   VmData never does (is_data_mapping). */
static void vmstk(void)
{
    long k0, d0, k1, d1, k2, d2;
    vm_stk_data(&k0, &d0);
    void *g = mmap(NULL, 64 * KIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_GROWSDOWN, -1, 0);
    vm_stk_data(&k1, &d1);
    if (g != MAP_FAILED)
        munmap(g, 64 * KIB);
    vm_stk_data(&k2, &d2);
    printf("vmstk: MAP_GROWSDOWN of 64 KiB: VmStk %+ld kB, VmData %+ld kB\n", k1 - k0, d1 - d0);
    printf("vmstk: unmapped: VmStk %+ld kB, VmData %+ld kB\n", k2 - k0, d2 - d0);
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "stacksplit";
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* Linux's default soft RLIMIT_STACK, 8 MiB (ringlab's is 128 KiB: mmu.h), on both systems */
    struct rlimit rl;
    getrlimit(RLIMIT_STACK, &rl);
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < 8UL << 20 && (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= 8UL << 20)) {
        rl.rlim_cur = 8UL << 20;
        setrlimit(RLIMIT_STACK, &rl);
    }
    if (!strcmp(what, "stacksplit"))
        stacksplit();
    else if (!strcmp(what, "remapgrown"))
        remapgrown();
    else if (!strcmp(what, "growsdata"))
        growsdata();
    else if (!strcmp(what, "growsgap"))
        growsgap();
    else if (!strcmp(what, "brkgap"))
        brkgap();
    else if (!strcmp(what, "remapmoved"))
        remapmoved();
    else if (!strcmp(what, "growsrecords"))
        growsrecords();
    else if (!strcmp(what, "oldselect"))
        oldselect();
    else if (!strcmp(what, "shmlock"))
        shmlock();
    else if (!strcmp(what, "ids"))
        ids();
    else if (!strcmp(what, "madvlocked"))
        madvlocked();
    else if (!strcmp(what, "oldmmapstack"))
        oldmmapstack();
    else if (!strcmp(what, "vmstk"))
        vmstk();
    else
        printf("revnew: unknown %s\n", what);
    return 0;
}
