/*
 * rlimitmem [MODE [N]]: the memory resource limits, RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK and
 * RLIMIT_MEMLOCK (with mlock, mlock2, munlock, mlockall, munlockall and MAP_LOCKED), set and then met, printing only what is the same on every Linux (0 or an
 * errno name, never an address or a size the layout decides). Limits are set relative to what
 * the process has mapped (VmSize, VmData of /proc/self/status) with a margin of MiBs, so the
 * few pages two kernels map differently never matter.
 *   (no MODE)   every part below, in a child each
 *   deep N      recurse N KiB deep on the stack, print "deep N: ok" (the execve'd child of the
 *               stack part: under a small RLIMIT_STACK it dies with SIGSEGV instead)
 *   rounds [N]  N rounds (default 1), each a child whose mmap, mremap and brk calls fail
 *               against RLIMIT_AS and RLIMIT_DATA, printing "rlimitmem: round R: status S"
 *               (with the kernel argument trace=mem, the free pages after every round's reap
 *               must be equal: a failed call keeps no page)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB (1024UL * 1024)

static const char *en(int e)
{
    switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case EAGAIN: return "EAGAIN";
    case ESRCH: return "ESRCH";
    default: return strerror(e);
    }
}

/* A field of /proc/self/status in bytes (its kB value), or 0 if absent. Read with open and
   read into a static buffer: stdio's fopen would malloc, and under mlockall(MCL_FUTURE) its
   memory would count as locked. */
static unsigned long status_kb(const char *key)
{
    static char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    size_t kl = strlen(key);
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (!strncmp(l, key, kl) && l[kl] == ':')
            return strtoul(l + kl + 1, NULL, 10) * 1024;
    return 0;
}

static int setlim(int res, unsigned long cur, unsigned long max)
{
    struct rlimit r = { cur, max };
    return setrlimit(res, &r) ? errno : 0;
}

static const char *show(unsigned long v)
{
    static char buf[4][32];
    static int i;
    char *b = buf[i++ % 4];
    if (v == RLIM_INFINITY)
        return "inf";
    snprintf(b, 32, "%lu", v);
    return b;
}

static void getlim(const char *what, int res)
{
    struct rlimit r;
    if (getrlimit(res, &r))
        printf("%s: getrlimit %s\n", what, en(errno));
    else
        printf("%s: %s %s\n", what, show(r.rlim_cur), show(r.rlim_max));
}

/* A call's errno (0: it succeeded). */
static int ok(long r)
{
    return r ? errno : 0;
}

/* mmap's errno (0: mapped, and unmapped again). */
static int try_map(unsigned long len, int prot, int flags)
{
    void *p = mmap(NULL, len, prot, flags | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return errno;
    munmap(p, len);
    return 0;
}
#define PRIV (MAP_PRIVATE)
#define RW (PROT_READ | PROT_WRITE)

/* Each part in a child of its own, so its limits end with it. */
static void part(const char *name, void (*fn)(void))
{
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st = 0;
    waitpid(kid, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: killed by signal %d\n", name, WTERMSIG(st));
    else if (WEXITSTATUS(st))
        printf("%s: exit %d\n", name, WEXITSTATUS(st));
}

/* CAP_SYS_RESOURCE in the effective set (the host's root may run without it, in a container). */
static int has_sys_resource(void)
{
    char line[256];
    unsigned long long eff = 0;
    FILE *f = fopen("/proc/self/status", "r");
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "CapEff:", 7))
            eff = strtoull(line + 7, NULL, 16);
    if (f)
        fclose(f);
    return (eff >> 24) & 1;
}

/* setrlimit's rules for the four limits, from a baseline every system can lower to (4 MiB
   soft, 6 MiB hard: Linux's default hard RLIMIT_MEMLOCK is 8 MiB): cur > max, raising the soft
   limit to the hard one, raising the hard one (EPERM without CAP_SYS_RESOURCE), lowering it,
   an unaligned value, prlimit64 on itself; RLIM_INFINITY and huge values where the hard limit
   is infinite on every system (AS, DATA, STACK). */
static void rules(void)
{
    static const struct { int res; const char *name; } L[] = {
        { RLIMIT_AS, "AS" }, { RLIMIT_DATA, "DATA" }, { RLIMIT_STACK, "STACK" }, { RLIMIT_MEMLOCK, "MEMLOCK" },
    };
    int cap = has_sys_resource();
    for (unsigned i = 0; i < sizeof L / sizeof L[0]; i++) {
        char what[64];
        int res = L[i].res, r;
        snprintf(what, sizeof what, "rules %s", L[i].name);
        if (res != RLIMIT_MEMLOCK) {
            printf("%s: set inf inf: %s\n", what, en(setlim(res, RLIM_INFINITY, RLIM_INFINITY)));
            printf("%s: set 1<<62 inf: %s\n", what, en(setlim(res, 1UL << 62, RLIM_INFINITY)));
            getlim(what, res);
            printf("%s: set inf 1<<62: %s\n", what, en(setlim(res, RLIM_INFINITY, 1UL << 62)));
        }
        printf("%s: set 4M 6M: %s\n", what, en(setlim(res, 4 * MIB, 6 * MIB)));
        getlim(what, res);
        printf("%s: cur > max: %s\n", what, en(setlim(res, 7 * MIB, 6 * MIB)));
        printf("%s: raise cur to the hard: %s\n", what, en(setlim(res, 6 * MIB, 6 * MIB)));
        r = setlim(res, 6 * MIB, 7 * MIB);
        printf("%s: raise the hard: %s\n", what, (r == 0) == cap ? "as CAP_SYS_RESOURCE allows" : en(r));
        if (r == 0)
            setlim(res, 6 * MIB, 6 * MIB);
        r = setlim(res, 6 * MIB, RLIM_INFINITY);
        printf("%s: raise the hard to inf: %s\n", what, (r == 0) == cap ? "as CAP_SYS_RESOURCE allows" : en(r));
        if (r == 0)
            setlim(res, 6 * MIB, 6 * MIB);
        printf("%s: lower hard to 5M: %s\n", what, en(setlim(res, 5 * MIB, 5 * MIB)));
        getlim(what, res);
        printf("%s: unaligned 12345: %s\n", what, en(setlim(res, 12345, 5 * MIB)));
        getlim(what, res);
        struct { uint64_t cur, max; } n = { 1 * MIB, 2 * MIB }, o = { 0, 0 };
        long pr = syscall(SYS_prlimit64, getpid(), res, &n, &o);
        printf("%s: prlimit64 self: %s, old %s %s\n", what, en(pr ? errno : 0), show(o.cur), show(o.max));
        getlim(what, res);
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            getlim("rules: a child's", res);
            _exit(0);
        }
        waitpid(kid, NULL, 0);
    }
}

/* RLIMIT_AS: total_vm (every mapping) against the soft limit, at mmap, mremap and brk. */
static void as_limit(void)
{
    unsigned long vm = status_kb("VmSize");
    printf("as: VmSize known: %s\n", vm ? "yes" : "no");
    printf("as: set VmSize+32M: %s\n", en(setlim(RLIMIT_AS, vm + 32 * MIB, RLIM_INFINITY)));
    printf("as: mmap 16M rw: %s\n", en(try_map(16 * MIB, RW, PRIV)));
    printf("as: mmap 16M none: %s\n", en(try_map(16 * MIB, PROT_NONE, PRIV)));
    printf("as: mmap 48M rw: %s\n", en(try_map(48 * MIB, RW, PRIV)));
    printf("as: mmap 48M none: %s\n", en(try_map(48 * MIB, PROT_NONE, PRIV)));
    printf("as: mmap 48M shared: %s\n", en(try_map(48 * MIB, RW, MAP_SHARED)));
    printf("as: mmap huge: %s\n", en(try_map(1UL << 46, RW, PRIV | MAP_NORESERVE)));

    /* mremap: growth in place and moving growth past the limit; within it */
    char *p = mmap(NULL, 4096, RW, PRIV | MAP_ANONYMOUS, -1, 0);
    p[0] = 7;
    void *q = mremap(p, 4096, 48 * MIB, MREMAP_MAYMOVE);
    printf("as: mremap to 48M: %s\n", en(q == MAP_FAILED ? errno : 0));
    q = mremap(p, 4096, 8 * MIB, MREMAP_MAYMOVE);
    printf("as: mremap to 8M: %s\n", en(q == MAP_FAILED ? errno : 0));
    if (q != MAP_FAILED)
        p = q;
    printf("as: mremap data kept: %d\n", p[0]);
    q = mremap(p, 8 * MIB, 40 * MIB, MREMAP_MAYMOVE);
    printf("as: mremap 8M to 40M: %s\n", en(q == MAP_FAILED ? errno : 0));
    q = mremap(p, 8 * MIB, 4096, 0);
    printf("as: mremap shrink: %s\n", en(q == MAP_FAILED ? errno : 0));

    /* shmat: an attachment is a shared mapping (Linux's do_shmat -> mmap_region) */
    int big = shmget(IPC_PRIVATE, 40 * MIB, IPC_CREAT | 0600), small = shmget(IPC_PRIVATE, 8 * MIB, IPC_CREAT | 0600);
    void *at = shmat(big, NULL, 0);
    printf("as: shmat 40M: %s\n", en(at == (void *)-1 ? errno : 0));
    void *at2 = shmat(small, NULL, 0);
    printf("as: shmat 8M: %s\n", en(at2 == (void *)-1 ? errno : 0));
    if (at2 != (void *)-1) {
        void *at3 = shmat(small, at2, SHM_REMAP);      /* over itself: nothing more mapped */
        printf("as: shmat SHM_REMAP over itself: %s\n", en(at3 == (void *)-1 ? errno : 0));
        shmdt(at2);
    }
    if (at != (void *)-1)
        shmdt(at);
    shmctl(big, IPC_RMID, NULL);
    shmctl(small, IPC_RMID, NULL);

    /* brk: past the limit the break stays */
    unsigned long b0 = syscall(SYS_brk, 0);
    unsigned long b1 = syscall(SYS_brk, b0 + 48 * MIB);
    printf("as: brk +48M: %s\n", b1 == b0 ? "refused" : "moved");
    b1 = syscall(SYS_brk, b0 + 1 * MIB);
    printf("as: brk +1M: %s\n", b1 == b0 + MIB ? "moved" : "refused");
    syscall(SYS_brk, b0);

    /* a limit below what is mapped: what is there stays, nothing new comes */
    printf("as: set below VmSize: %s\n", en(setlim(RLIMIT_AS, status_kb("VmSize") / 2, RLIM_INFINITY)));
    p[1] = 9;
    printf("as: old memory usable: %d %d\n", p[0], p[1]);
    printf("as: mmap 4K: %s\n", en(try_map(4096, RW, PRIV)));
    printf("as: mmap fixed over own page: %s\n",
           en(mmap(p, 4096, RW, PRIV | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED ? errno : 0));
    printf("as: malloc 1M: %s\n", malloc(MIB) ? "ok" : "NULL");
    printf("as: set 4K: %s\n", en(setlim(RLIMIT_AS, 4096, RLIM_INFINITY)));
    printf("as: mprotect read-only under it: %s\n", en(ok(mprotect(p, 4096, PROT_READ))));
    printf("as: and back: %s\n", en(ok(mprotect(p, 4096, RW))));
    printf("as: mremap same size: %s\n", en(mremap(p, 4096, 4096, 0) == MAP_FAILED ? errno : 0));
    printf("as: mremap grow: %s\n", en(mremap(p, 4096, 8192, MREMAP_MAYMOVE) == MAP_FAILED ? errno : 0));
    printf("as: set inf: %s\n", en(setlim(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY)));
    printf("as: mmap 48M rw: %s\n", en(try_map(48 * MIB, RW, PRIV)));
}

static char *self;

/* execve under RLIMIT_AS: the new image counts (Linux maps it after the point of no return:
   SIGSEGV); limits far below and far above any image's size (the sizes differ between kernels). */
static void as_exec(void)
{
    unsigned long kib[] = { 4, 64, 16384 };
    for (unsigned i = 0; i < sizeof kib / sizeof kib[0]; i++) {
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            setlim(RLIMIT_AS, kib[i] << 10, RLIM_INFINITY);
            execl(self, self, "true", (char *)NULL);
            _exit(99);
        }
        int st;
        waitpid(kid, &st, 0);
        printf("as: execve under %lu KiB: %s %d\n", kib[i], WIFSIGNALED(st) ? "signal" : "exit",
               WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    }
}

/* RLIMIT_DATA: data_vm (private writable, not stack) and brk's heap plus the data segment. */
static void data_limit(void)
{
    unsigned long d = status_kb("VmData");
    char *s;
    printf("data: VmData known: %s\n", d ? "yes" : "no");
    printf("data: set VmData+32M: %s\n", en(setlim(RLIMIT_DATA, d + 32 * MIB, RLIM_INFINITY)));
    printf("data: mmap 16M rw: %s\n", en(try_map(16 * MIB, RW, PRIV)));
    printf("data: mmap 48M rw: %s\n", en(try_map(48 * MIB, RW, PRIV)));
    printf("data: mmap 48M read-only: %s\n", en(try_map(48 * MIB, PROT_READ, PRIV)));
    printf("data: mmap 48M none: %s\n", en(try_map(48 * MIB, PROT_NONE, PRIV)));
    printf("data: mmap 48M shared rw: %s\n", en(try_map(48 * MIB, RW, MAP_SHARED)));
    char *p = mmap(NULL, 4096, RW, PRIV | MAP_ANONYMOUS, -1, 0);
    void *q = mremap(p, 4096, 48 * MIB, MREMAP_MAYMOVE);
    printf("data: mremap to 48M: %s\n", en(q == MAP_FAILED ? errno : 0));
    munmap(p, 4096);
    /* mprotect: private memory turning writable becomes data (Linux mprotect_fixup) */
    char *r = mmap(NULL, 48 * MIB, PROT_READ, PRIV | MAP_ANONYMOUS, -1, 0);
    printf("data: mprotect 48M read-only to rw: %s\n", en(ok(mprotect(r, 48 * MIB, RW))));
    printf("data: mprotect 8M of it to rw: %s\n", en(ok(mprotect(r, 8 * MIB, RW))));
    printf("data: mprotect 8M again: %s\n", en(ok(mprotect(r, 8 * MIB, RW))));
    printf("data: mprotect all 48M to rw: %s\n", en(ok(mprotect(r, 48 * MIB, RW))));
    printf("data: mprotect 8M back to read-only: %s\n", en(ok(mprotect(r, 8 * MIB, PROT_READ))));
    munmap(r, 48 * MIB);
    s = mmap(NULL, 48 * MIB, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("data: mprotect shared 48M to rw: %s\n", en(ok(mprotect(s, 48 * MIB, RW))));
    munmap(s, 48 * MIB);
    s = mmap(NULL, 4096, RW, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    q = mremap(s, 4096, 48 * MIB, MREMAP_MAYMOVE);
    printf("data: mremap shared to 48M: %s\n", en(q == MAP_FAILED ? errno : 0));
    munmap(q == MAP_FAILED ? (void *)s : q, q == MAP_FAILED ? 4096 : 48 * MIB);

    unsigned long b0 = syscall(SYS_brk, 0);
    printf("data: brk +48M: %s\n", syscall(SYS_brk, b0 + 48 * MIB) == (long)b0 ? "refused" : "moved");
    printf("data: brk +1M: %s\n", syscall(SYS_brk, b0 + MIB) == (long)(b0 + MIB) ? "moved" : "refused");
    printf("data: malloc 48M: %s\n", malloc(48 * MIB) ? "ok" : "NULL");
    char *m = malloc(MIB);
    printf("data: malloc 1M: %s\n", m ? "ok" : "NULL");

    /* lowered below what the heap holds: even shrinking the break is refused (Linux's
       check_data_rlimit comes first), the memory there stays */
    printf("data: set 4K: %s\n", en(setlim(RLIMIT_DATA, 4096, RLIM_INFINITY)));
    printf("data: brk shrink to +512K: %s\n",
           syscall(SYS_brk, b0 + MIB / 2) == (long)(b0 + MIB / 2) ? "moved" : "refused");
    printf("data: mmap 4K rw: %s\n", en(try_map(4096, RW, PRIV)));
    printf("data: mmap 4K read-only: %s\n", en(try_map(4096, PROT_READ, PRIV)));
    printf("data: mmap 4K shared: %s\n", en(try_map(4096, RW, MAP_SHARED)));
    ((volatile char *)b0)[100] = 1;
    printf("data: heap still usable: %d\n", ((volatile char *)b0)[100]);

    /* 0 with a hard limit above: Linux's exception for Valgrind lets data mappings through */
    printf("data: set 0 inf: %s\n", en(setlim(RLIMIT_DATA, 0, RLIM_INFINITY)));
    printf("data: mmap 16M rw at 0: %s\n", en(try_map(16 * MIB, RW, PRIV)));
    printf("data: set 0 0: %s\n", en(setlim(RLIMIT_DATA, 0, 0)));
    printf("data: mmap 4K rw at 0 0: %s\n", en(try_map(4096, RW, PRIV)));
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

/* RLIMIT_STACK: inherited by fork, kept by execve, and execve's stack is at most the limit:
   96 KiB of recursion under a 64 KiB limit is SIGSEGV, under 8 MiB it runs. */
static void stack_limit(void)
{
    static const struct { unsigned long lim; const char *depth; } R[] = {
        { 64 * 1024, "16" }, { 64 * 1024, "96" }, { 8 * MIB, "96" },
    };
    for (int i = 0; i < 3; i++) {
        printf("stack: set %lu: %s\n", R[i].lim, en(setlim(RLIMIT_STACK, R[i].lim, RLIM_INFINITY)));
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            getlim("stack: child", RLIMIT_STACK);
            fflush(stdout);
            char *argv[] = { self, "deep", (char *)R[i].depth, NULL };
            execv(self, argv);
            _exit(99);
        }
        int st;
        waitpid(kid, &st, 0);
        if (WIFSIGNALED(st))
            printf("stack: deep %s: signal %d\n", R[i].depth, WTERMSIG(st));
        else
            printf("stack: deep %s: exit %d\n", R[i].depth, WEXITSTATUS(st));
    }
}

/* VmLck in KiB, as a line. */
static void vmlck(const char *what)
{
    printf("%s: VmLck %lu kB\n", what, status_kb("VmLck") / 1024);
}

#define KIB 1024UL

/* RLIMIT_MEMLOCK and mlock, mlock2, munlock, mlockall, munlockall, MAP_LOCKED: Linux's
   accounting (pages locked once however often, VmLck) and errors; root passes the limit
   (CAP_IPC_LOCK), user 1000 meets it. */
static void memlock(void)
{
    printf("memlock: set 64K: %s\n", en(setlim(RLIMIT_MEMLOCK, 64 * KIB, 64 * KIB)));
    char *p = mmap(NULL, 256 * KIB, RW, PRIV | MAP_ANONYMOUS, -1, 0);
    printf("memlock: mlock 32K: %s\n", en(ok(mlock(p, 32 * KIB))));
    printf("memlock: again: %s\n", en(ok(mlock(p, 32 * KIB))));
    vmlck("memlock");
    printf("memlock: mlock 64K more: %s\n", en(ok(mlock(p + 32 * KIB, 64 * KIB))));
    vmlck("memlock");
    printf("memlock: mlock unaligned: %s\n", en(ok(mlock(p + 1, 100))));
    printf("memlock: mlock len 0: %s\n", en(ok(mlock(p, 0))));
    printf("memlock: mlock len -1: %s\n", en(ok(mlock(p, (size_t)-1))));
    printf("memlock: mlock 1<<62: %s\n", en(ok(mlock(p, 1UL << 62))));
    printf("memlock: munlock all 256K: %s\n", en(ok(munlock(p, 256 * KIB))));
    vmlck("memlock");
    munmap(p + 128 * KIB, 4 * KIB);
    printf("memlock: mlock across a hole: %s\n", en(ok(mlock(p + 120 * KIB, 16 * KIB))));
    vmlck("memlock: before the hole");
    printf("memlock: munlock across the hole: %s\n", en(ok(munlock(p + 120 * KIB, 16 * KIB))));
    vmlck("memlock");
    printf("memlock: mlock unmapped: %s\n", en(ok(mlock(p + 128 * KIB, 4 * KIB))));
    printf("memlock: mlock kernel address: %s\n", en(ok(mlock((void *)0xffff800000000000UL, 4096))));
    printf("memlock: mlock page 0: %s\n", en(ok(mlock(NULL, 4096))));
    printf("memlock: mlock2 bad flag: %s\n", en(ok(syscall(SYS_mlock2, p, 4096, 2))));
    printf("memlock: mlock2 ONFAULT: %s\n", en(ok(syscall(SYS_mlock2, p, 8 * KIB, 1))));
    printf("memlock: mprotect read-only: %s\n", en(ok(mprotect(p, 8 * KIB, PROT_READ))));
    vmlck("memlock: after mprotect");
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        vmlck("memlock: a child's");
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    char *g = mremap(p, 8 * KIB, 128 * KIB, MREMAP_MAYMOVE);
    printf("memlock: mremap locked to 128K: %s\n", en(g == MAP_FAILED ? errno : 0));
    if (g != MAP_FAILED)
        p = g;
    munlock(p, 128 * KIB);
    vmlck("memlock");

    printf("memlock: mlockall 0: %s\n", en(ok(mlockall(0))));
    printf("memlock: mlockall ONFAULT alone: %s\n", en(ok(mlockall(MCL_ONFAULT))));
    printf("memlock: mlockall 8: %s\n", en(ok(mlockall(8))));
    int r = mlockall(MCL_CURRENT);
    printf("memlock: mlockall CURRENT: %s\n", en(ok(r)));
    printf("memlock: locked: %s\n", status_kb("VmLck") > 128 * KIB ? "all" : status_kb("VmLck") ? "some" : "none");
    printf("memlock: munlockall: %s\n", en(ok(munlockall())));
    vmlck("memlock");

    printf("memlock: mlockall FUTURE: %s\n", en(ok(mlockall(MCL_FUTURE))));
    printf("memlock: mmap 32K: %s\n", en(mmap(NULL, 32 * KIB, RW, PRIV | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? errno : 0));
    vmlck("memlock");
    printf("memlock: mmap 64K: %s\n", en(mmap(NULL, 64 * KIB, RW, PRIV | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? errno : 0));
    unsigned long b0 = syscall(SYS_brk, 0);
    printf("memlock: brk +64K: %s\n", syscall(SYS_brk, b0 + 64 * KIB) == (long)b0 ? "refused" : "moved");
    syscall(SYS_brk, b0);
    fflush(stdout);
    kid = fork();
    if (kid == 0) {
        vmlck("memlock: a child's");
        printf("memlock: a child's mmap 64K: %s\n",
               en(mmap(NULL, 64 * KIB, RW, PRIV | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? errno : 0));
        vmlck("memlock: a child's");
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    printf("memlock: munlockall: %s\n", en(ok(munlockall())));
    vmlck("memlock");
    printf("memlock: mmap 64K: %s\n", en(mmap(NULL, 64 * KIB, RW, PRIV | MAP_ANONYMOUS, -1, 0) == MAP_FAILED ? errno : 0));
    vmlck("memlock");
    printf("memlock: MAP_LOCKED 16K: %s\n",
           en(mmap(NULL, 16 * KIB, RW, PRIV | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) == MAP_FAILED ? errno : 0));
    vmlck("memlock");
    printf("memlock: MAP_LOCKED 64K: %s\n",
           en(mmap(NULL, 64 * KIB, RW, PRIV | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) == MAP_FAILED ? errno : 0));

    printf("memlock: set 0: %s\n", en(setlim(RLIMIT_MEMLOCK, 0, 0)));
    printf("memlock: mlock at 0: %s\n", en(ok(mlock(p, 4096))));
    printf("memlock: mlockall at 0: %s\n", en(ok(mlockall(MCL_FUTURE))));
    printf("memlock: munlock at 0: %s\n", en(ok(munlock(p, 4096))));
    printf("memlock: MAP_LOCKED at 0: %s\n",
           en(mmap(NULL, 4096, RW, PRIV | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) == MAP_FAILED ? errno : 0));
}

/* prlimit64 on another process: a child's RLIMIT_AS lowered by its parent binds the child's
   next mmap (the child waits on a pipe for the parent to be done). */
static void other(void)
{
    int go[2];
    if (pipe(go))
        return;
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) != 1)
            _exit(3);
        printf("other: the child's mmap 4K: %s\n", en(try_map(4096, RW, PRIV)));
        getlim("other: the child's", RLIMIT_AS);
        _exit(0);
    }
    close(go[0]);
    struct { uint64_t cur, max; } n = { 4096, RLIM_INFINITY }, o = { 0, 0 };
    long r = syscall(SYS_prlimit64, kid, RLIMIT_AS, &n, &o);
    printf("other: prlimit64 child AS 4K: %s, old %s %s\n", en(ok(r)), show(o.cur), show(o.max));
    n.cur = 8192, n.max = 4096;
    printf("other: prlimit64 cur > max: %s\n", en(ok(syscall(SYS_prlimit64, kid, RLIMIT_AS, &n, NULL))));
    printf("other: prlimit64 no such pid: %s\n", en(ok(syscall(SYS_prlimit64, 0x7fffffff, RLIMIT_AS, NULL, &o))));
    fflush(stdout);
    if (write(go[1], "g", 1) != 1)
        return;
    waitpid(kid, NULL, 0);
    try_map(4096, RW, PRIV);
    getlim("other: the parent's", RLIMIT_AS);
}

static volatile int stop;
static volatile int maps_ok, maps_failed_after;

/* Map and unmap 1 MiB until told to stop, then once more after the main thread lowered RLIMIT_AS. */
static void *mapper(void *arg)
{
    (void)arg;
    while (!stop) {
        void *p = mmap(NULL, MIB, RW, PRIV | MAP_ANONYMOUS, -1, 0);
        if (p != MAP_FAILED) {
            maps_ok = 1;
            munmap(p, MIB);
        }
    }
    maps_failed_after = try_map(MIB, RW, PRIV);
    return NULL;
}

/* One thread maps while another lowers the limit: the limit is the group's, and the next
   mmap after setrlimit returned fails. */
static void racing(void)
{
    pthread_t t;
    pthread_create(&t, NULL, mapper, NULL);
    while (!maps_ok)
        sched_yield();
    printf("race: set AS 4K: %s\n", en(setlim(RLIMIT_AS, 4096, RLIM_INFINITY)));
    stop = 1;
    pthread_join(t, NULL);
    printf("race: thread's mmap after: %s\n", en(maps_failed_after));
}

/* A round of failing calls, for the page-leak check. */
static void failing(void)
{
    unsigned long vm = status_kb("VmSize");
    char *p = mmap(NULL, 4096, RW, PRIV | MAP_ANONYMOUS, -1, 0);
    p[0] = 1;
    setlim(RLIMIT_AS, vm + 8 * MIB, RLIM_INFINITY);
    int e1 = try_map(16 * MIB, RW, PRIV);
    void *q = mremap(p, 4096, 16 * MIB, MREMAP_MAYMOVE);
    int e2 = q == MAP_FAILED ? errno : 0;
    unsigned long b0 = syscall(SYS_brk, 0);
    int moved = syscall(SYS_brk, b0 + 16 * MIB) != (long)b0;
    setlim(RLIMIT_AS, RLIM_INFINITY, RLIM_INFINITY);
    setlim(RLIMIT_DATA, 4 * MIB, RLIM_INFINITY);
    int e3 = try_map(16 * MIB, RW, PRIV);
    int moved2 = syscall(SYS_brk, b0 + 16 * MIB) != (long)b0;
    printf("rounds: %s %s %s %s %s\n", en(e1), en(e2), moved ? "moved" : "refused", en(e3),
           moved2 ? "moved" : "refused");
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    self = argv[0];
    if (argc > 2 && !strcmp(argv[1], "deep")) {
        int n = atoi(argv[2]);
        getlim("deep: after execve", RLIMIT_STACK);
        printf("deep %d: %s\n", n, deep(n) == 1 ? "ok" : "?");
        return 0;
    }
    if (argc > 1 && !strcmp(argv[1], "true"))
        return 0;
    if (argc > 1 && !strcmp(argv[1], "rounds")) {
        int rounds = argc > 2 ? atoi(argv[2]) : 1;
        for (int r = 0; r < rounds; r++) {
            fflush(stdout);
            pid_t kid = fork();
            if (kid == 0) {
                failing();
                fflush(stdout);
                _exit(0);
            }
            int st;
            waitpid(kid, &st, 0);
            printf("rlimitmem: round %d: status %d\n", r + 1, st);
        }
        return 0;
    }
    part("rules", rules);
    part("as", as_limit);
    part("asexec", as_exec);
    part("data", data_limit);
    part("stack", stack_limit);
    part("memlock", memlock);
    part("other", other);
    part("race", racing);
    printf("rlimitmem: done\n");
    return 0;
}
