/*
 * fuzz: seeded random system calls against the kernel, in forked children.
 *
 * Usage: fuzz SEED CALLS           run until CALLS calls have completed (in ringlab:
 *                                  --append "init.args=SEED,CALLS")
 *        fuzz SEED CALLS BATCH     replay child BATCH alone, printing every call first
 *
 * The parent never makes a random call. It forks one child per batch; the child draws
 * CALLS_PER_CHILD calls from a PRNG seeded by (SEED, batch): a number from 0 to well past
 * the highest Linux x86-64 one (and now and then a huge one), six arguments each from a
 * class - small integers, fds, valid user buffers (at odd offsets, ending at an unmapped
 * page), a read-only page, kernel-half, non-canonical, unmapped and wrapping pointers, huge
 * lengths, raw random words. A child killed by a signal is a data point, not a failure.
 *
 * After every call the child checks for kernel-address leaks: the 8-byte fields of its
 * writable buffers that changed (aligned to 8 and to each pointer argument into them, as a
 * structure the kernel writes there would be; first and last byte both written; not after
 * getrandom, whose random bytes fall in the kernel half now and then), the return value and
 * the argument registers (Linux keeps all but RAX, RCX, R11 across `syscall`). A leak is a value in the kernel half
 * [0xffff800000000000, 0xffffffffff600000) that the child did not pass in itself. Above
 * that, where Linux maps only the vsyscall page and ringlab nothing, values are small
 * negative numbers and limits (errno, RLIM_INFINITY, shmmax = ULONG_MAX - 2^24), not
 * addresses. A register changed by the call is counted too.
 *
 * The child exits with the number of calls it completed (at most CALLS_PER_CHILD), plus
 * ANOMALY_BIT if it saw a leak or a clobbered register. The parent reaps it (and any
 * grandchild) and, in ringlab, removes whatever the child created in "/" and "/tmp" (the file
 * system lives in memory: a file left behind holds pages, which is not a leak; the paths the
 * children get name no boot module, so none is ever written to). The parent allocates
 * nothing after its warm-up child, so `mem free_pages` (trace=mem) after the warm-up's reap
 * and after a last child's reap, at the end, must be equal.
 *
 * A child that stops itself (SIGSTOP and friends sent to itself) is killed with SIGKILL at
 * once and counted `stopped`. A child still running after HANG_LIMIT_S is blocked in a call
 * that can block on Linux too (pause, poll with no fds and a long timeout, read on an empty
 * pipe it holds the write end of): it is killed with SIGKILL and counted `timedout`. One
 * still there HANG_LIMIT_S after its SIGKILL is `stuck` (a kernel that cannot kill it), and
 * the run stops there. One summary line:
 *   fuzz: seed=S mode=ringlab calls=N children=C exited=E killed=K stopped=P timedout=T
 *         stuck=0 anomalies=A signals=...
 * plus one `fuzz: anomaly batch=B` line per anomalous child (replay it with BATCH).
 *
 * Never drawn, and why (both systems):
 *   exit, exit_group     each child ends with exit_group anyway; an early one would only
 *                        shorten the batch and make its call count unknowable
 *   rt_sigreturn         restores registers from a "frame" at the stack pointer, i.e. jumps
 *                        to an arbitrary place in this program: chaos in user code, no test
 *   reboot               would end the machine (ringlab) or need root (host)
 *   clone3               random flags could start threads on garbage stacks
 *   pause, rt_sigsuspend wait for a signal nobody here sends: every one would only cost a
 *                        batch and HANG_LIMIT_S (one child in six drew pause)
 * Rewritten before the call (the call is still made):
 *   kill, tkill, tgkill, rt_(tg)sigqueueinfo: the target is the child itself or a pid that
 *                        cannot exist (never pid 1, 0, -1 or another process group)
 *   execve, execveat     a valid path buffer becomes "/nonexistent-fuzz" (never run a program)
 *   clone                flags = SIGCHLD, no stack: fork semantics
 *   fork, vfork, clone   the new process exits at once (in the same asm block for vfork)
 * Excluded on the host only (never do something destructive or blocking on the host):
 *   see HOST_EXCLUDED below; the host run also caps the child's file size and memory, and
 *   its writable paths (HOST_PATHS) lie inside the working directory.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CALLS_PER_CHILD  100                    /* fits the exit status with ANOMALY_BIT */
#define ANOMALY_BIT      128                    /* exit status bit: a leak or a clobber */
#define NR_SPAN          600                    /* numbers drawn from 0..NR_SPAN-1 ... */
#define HANG_LIMIT_S     0.5                    /* guest seconds; a batch takes ~10 ms */
#define HOST_HANG_LIMIT_S 0.5
#define ALARM_EVERY_US   100000                 /* past the hang limit, the parent's wait looks at
                                                   the clock this often */
#define KERNEL_HALF      0xffff800000000000UL
#define LEAK_TOP         0xffffffffff600000UL   /* above: no kernel data (Linux: vsyscall page) */
#define LINUX_SHMMAX     0xfffffffffeffffffUL   /* shmctl IPC_INFO's shmmax and shmall: Linux's
                                                   ULONG_MAX - 2^24 (include/uapi/linux/shm.h),
                                                   a limit that lies in the kernel half, no leak */
#define RW_PAGES         2                      /* writable pool, then an unmapped page */
#define MAX_ARGS_SEEN    (CALLS_PER_CHILD * 6 + 8)
#define NONEXISTENT_PID  0x3ffffff0             /* above Linux's PID_MAX_LIMIT */

#define NR_RT_SIGRETURN  15
#define NR_PAUSE         34
#define NR_RT_SIGSUSPEND 130
#define NR_CLONE         56
#define NR_FORK          57
#define NR_VFORK         58
#define NR_EXECVE        59
#define NR_EXIT          60
#define NR_KILL          62
#define NR_REBOOT        169
#define NR_TKILL         200
#define NR_EXIT_GROUP    231
#define NR_TGKILL        234
#define NR_RT_SIGQUEUEINFO 129
#define NR_RT_TGSIGQUEUEINFO 297
#define NR_GETRANDOM     318
#define NR_GETRLIMIT     97
#define NR_PRLIMIT64     302
#define NR_EXECVEAT      322
#define NR_CLONE3        435

static const int EXCLUDED[] = { NR_RT_SIGRETURN, NR_EXIT, NR_EXIT_GROUP, NR_REBOOT, NR_CLONE3,
                                NR_PAUSE, NR_RT_SIGSUSPEND };

/* Host only: blocking calls (a child would wait out the hang limit), calls that reach other
 * processes, the network, the machine's configuration or its modules. */
static const int HOST_EXCLUDED[] = {
    7, 23, 34, 35, 61, 65, 70, 101, 128, 130, 155, 159, 161, 163, 164, 165, 166, 167, 168,
    170, 171, 172, 173, 175, 176, 202, 208, 220, 227, 230, 232, 243, 246, 247, 270, 271,
    281, 298, 305, 310, 311, 312, 313, 320, 321, 323, 333, 424, 434, 438, 441, 42, 43, 44,
    45, 46, 47, 288, 299, 307, 73, 24, 326,
};

#define REPORT_FD        60                     /* the child's console for anomaly details:
                                                   above the fds its calls draw (-2..21) */
static int host_mode, verbose, report_fd = -1;
static uint8_t *rw;                             /* RW_PAGES writable pages */
static uint8_t *ro;                             /* one read-only page */
/* No boot module among them: a child may write, truncate or rename what it names, and a
 * module written to keeps its new pages (the parent cleans up only what children created) */
static const char *paths[] = { "/", ".", "..", "", "/nonexistent-fuzz", "/tmp", "/tmp/fuzz" };
/* on the host the writable ones stay inside the working directory (a temporary one) */
static const char *const HOST_PATHS[] = { "/", ".", "..", "", "nonexistent-fuzz", "tmp", "tmp/fuzz" };
_Static_assert(sizeof paths == sizeof HOST_PATHS, "one host path per path");
static const char *const CLEAN_DIRS[] = { "/", "/tmp" };   /* ringlab: what cleanup() restores */
#define CLEAN_MAX 128                                      /* entries remembered per directory */
#define CLEAN_NAME 256                                     /* a name and its NUL: NAME_MAX 255 */
#define CLEAN_DEPTH 8
/* Names are kept packed (each NUL-terminated, one after the other), not in CLEAN_NAME-byte
 * slots: the parent's pages are copied by every fork (about 1,000 per run) and its bss was
 * 99 pages when each listing had CLEAN_MAX * CLEAN_NAME bytes of its own. */
#define CLEAN_POOL 4096                                    /* bytes of names per remembered dir */
#define TREE_POOL 16384                                    /* the listings cleanup() walks, as a stack */
static char clean_names[2][CLEAN_POOL];
static int clean_count[2];
static char tree_pool[TREE_POOL];
static size_t tree_top;                                    /* tree_pool in use below it */
static uint64_t seen[MAX_ARGS_SEEN];
static int nseen;
/* The writable pool's contents between calls (pattern(i) for word i), computed once: checking
 * and restoring it after every call costs a load per word, not a splitmix. */
static uint64_t pool_pattern[RW_PAGES * 4096 / 8];

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15UL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
    return z ^ (z >> 31);
}

/* The byte pattern of the writable pool: never a kernel-half value (top bit of each byte 0). */
static uint64_t pattern(size_t i) { uint64_t s = i * 0x2545f4914f6cdd1dUL; return splitmix(&s) & 0x7f7f7f7f7f7f7f7fUL; }

/* Byte `off` of the pool's pattern (x86 is little-endian: byte k of word i is byte 8i+k). */
static uint8_t pattern_byte(size_t off) { return ((const uint8_t *)pool_pattern)[off]; }

static void init_pattern(void)
{
    for (size_t i = 0; i < RW_PAGES * 4096 / 8; i++)
        pool_pattern[i] = pattern(i);
}

static void fill_pool(void)
{
    for (size_t i = 0; i < RW_PAGES * 4096 / 8; i++)
        ((uint64_t *)rw)[i] = pool_pattern[i];
}

/*
 * The pool as fill_pool() leaves it, after a call: the `n` words in `changed` written back, or
 * every word when `changed` is NULL (no scan said which). A store to the first word of each
 * page as well, whatever changed: a call that made a pool page read-only (mprotect, a
 * MAP_FIXED mapping over it) kills the child with SIGSEGV here, as a full refill would.
 */
static void restore_pool(const uint16_t *changed, int n)
{
    uint64_t *w = (uint64_t *)rw;
    if (!changed) {
        fill_pool();
        return;
    }
    for (int i = 0; i < n; i++)
        w[changed[i]] = pool_pattern[changed[i]];
    for (size_t page = 0; page < RW_PAGES; page++)
        ((volatile uint64_t *)w)[page * 512] = pool_pattern[page * 512];
}

static int in_list(const int *list, size_t n, uint64_t nr)
{
    for (size_t i = 0; i < n; i++)
        if ((uint64_t)list[i] == nr)
            return 1;
    return 0;
}

/* Linux reads the number from EAX (x32 bit 0x40000000 aside): judge exclusions on that. */
static uint64_t canonical_nr(uint64_t nr) { return (uint32_t)nr & ~0x40000000U; }

static int excluded(uint64_t nr)
{
    uint64_t c = canonical_nr(nr);
    return in_list(EXCLUDED, sizeof EXCLUDED / sizeof *EXCLUDED, c) ||
           (host_mode && in_list(HOST_EXCLUDED, sizeof HOST_EXCLUDED / sizeof *HOST_EXCLUDED, c));
}

static uint64_t draw_nr(uint64_t *s)
{
    for (;;) {
        uint64_t r = splitmix(s), nr;
        switch (r % 16) {
        case 0: nr = splitmix(s); break;                          /* any 64-bit number */
        case 1: nr = 0x40000000UL + splitmix(s) % NR_SPAN; break; /* the x32 bit */
        case 2: nr = (1UL << 32) + splitmix(s) % NR_SPAN; break;  /* high half set */
        default: nr = splitmix(s) % NR_SPAN; break;
        }
        if (!excluded(nr))
            return nr;
    }
}

static uint64_t draw_arg(uint64_t *s)
{
    static const uint64_t kernel[] = { 0xffffffff80000000UL, 0xffffffff80100000UL,
        0xffffffff80101000UL, 0xffffffffc0001000UL, 0xffff800000000000UL, 0xffff888000000000UL,
        0xfffffffffffff000UL, 0xffffffffffffff00UL };
    static const uint64_t noncanon[] = { 0x0000800000000000UL, 0x00007ffffffff000UL,
        0x0000800000001000UL, 0x8000000000000000UL, 0x7fffffffffffffffUL, 0x1234567812345678UL };
    static const uint64_t huge[] = { 0x7fffffffUL, 0x80000000UL, 0xffffffffUL, 0x100000000UL,
        0x7fffffffffffUL, 0x800000000000UL, 0x7fffffffffffffffUL, ~0UL, 1UL << 40 };
    uint64_t r = splitmix(s), v = splitmix(s);
    switch (r % 14) {
    case 0: return v % 8;                                         /* small */
    case 1: return (uint64_t)(int64_t)(v % 24) - 2;                /* fd-like, -2..21 */
    case 2: case 3: return (uint64_t)rw + v % (RW_PAGES * 4096);  /* valid, any offset */
    case 4: return (uint64_t)rw + RW_PAGES * 4096 - 1 - v % 64;   /* runs into the unmapped page */
    case 5: return (uint64_t)ro + v % 4096;                       /* read-only */
    case 6: return kernel[v % (sizeof kernel / 8)] + (v >> 32) % 64 * 8;
    case 7: return noncanon[v % (sizeof noncanon / 8)];
    case 8: return v % 2 ? 0 : 0x1000 + (v >> 8) % 0x10000000 * 8; /* NULL or unmapped low */
    case 9: return huge[v % (sizeof huge / 8)];
    case 10: return (uint64_t)paths[v % (sizeof paths / sizeof *paths)];
    case 11: return 0UL - (v % 4096) - 1;                          /* wraps past 2^64 */
    case 12: return v;                                             /* raw */
    default: return v % 0x10000;
    }
}

/* One call; the argument registers come back in out[] to check they were kept. */
static long do_syscall(uint64_t nr, const uint64_t a[6], uint64_t out[6], uint64_t keep[4])
{
    register uint64_t r10 __asm__("r10") = a[3];
    register uint64_t r8 __asm__("r8") = a[4];
    register uint64_t r9 __asm__("r9") = a[5];
    register uint64_t r12 __asm__("r12") = keep[0];
    register uint64_t r13 __asm__("r13") = keep[1];
    register uint64_t r14 __asm__("r14") = keep[2];
    register uint64_t r15 __asm__("r15") = keep[3];
    uint64_t rax = nr, rdi = a[0], rsi = a[1], rdx = a[2];
    /* A new process (fork, vfork, clone) exits in this very block: a vfork child shares the
     * parent's stack and must not return through C code. */
    __asm__ volatile("syscall\n"
                     "test %%rax, %%rax\n jnz 1f\n"
                     "cmp $1, %%r15\n jne 1f\n"          /* r15 == 1 marks a fork-like call */
                     "mov $231, %%eax\n xor %%edi, %%edi\n syscall\n"
                     "1:"
                     : "+a"(rax), "+D"(rdi), "+S"(rsi), "+d"(rdx), "+r"(r10), "+r"(r8), "+r"(r9),
                       "+r"(r12), "+r"(r13), "+r"(r14), "+r"(r15)
                     : : "rcx", "r11", "memory");
    out[0] = rdi, out[1] = rsi, out[2] = rdx, out[3] = r10, out[4] = r8, out[5] = r9;
    keep[0] = r12, keep[1] = r13, keep[2] = r14, keep[3] = r15;
    return (long)rax;
}

static int is_leak(uint64_t v)
{
    if (v < KERNEL_HALF || v >= LEAK_TOP || v == LINUX_SHMMAX)
        return 0;
    for (int i = 0; i < nseen; i++)
        if (seen[i] == v)
            return 0;
    return 1;
}

/* Make the drawn call safe to issue (see the header); returns 1 if it may fork. */
static int sanitize(uint64_t nr, uint64_t a[6])
{
    uint64_t c = canonical_nr(nr);
    uint64_t self = (uint64_t)getpid();
    switch (c) {
    case NR_KILL: case NR_TKILL: case NR_RT_SIGQUEUEINFO:
        a[0] = a[0] % 2 ? self : NONEXISTENT_PID;
        break;
    case NR_TGKILL: case NR_RT_TGSIGQUEUEINFO:
        a[0] = a[1] = a[0] % 2 ? self : NONEXISTENT_PID;
        break;
    case NR_EXECVE:
        if (a[0] < KERNEL_HALF && a[0] >= 0x1000 && a[0] < 0x0000800000000000UL)
            a[0] = (uint64_t)"/nonexistent-fuzz";
        break;
    case NR_EXECVEAT:
        if (a[1] < KERNEL_HALF && a[1] >= 0x1000 && a[1] < 0x0000800000000000UL)
            a[1] = (uint64_t)"/nonexistent-fuzz";
        break;
    case NR_CLONE:
        a[0] = SIGCHLD, a[1] = a[2] = a[3] = a[4] = 0;
        return 1;
    case NR_FORK: case NR_VFORK:
        return 1;
    }
    return 0;
}

static void put(const char *s) { (void)!write(2, s, strlen(s)); }

/* One line about an anomaly: on stderr when replaying, else on the child's REPORT_FD (a
 * random call may have closed or replaced it: then the line is lost, the count is not). */
static void report(const char *line)
{
    if (verbose)
        put(line);
    else if (report_fd >= 0)
        (void)!write(report_fd, line, strlen(line));
}

/* One child's batch; returns its exit status. */
static int run_batch(uint64_t seed, uint64_t batch)
{
    uint64_t s = seed ^ ((batch + 1) * 0xd1b54a32d192ed03UL);
    int anomaly = 0, done = 0;
    char line[512];
    fill_pool();
    nseen = 0;
    seen[nseen++] = (uint64_t)rw, seen[nseen++] = (uint64_t)ro;
    for (; done < CALLS_PER_CHILD; done++) {
        uint64_t nr = draw_nr(&s), a[6], out[6], keep[4];
        for (int i = 0; i < 6; i++)
            a[i] = draw_arg(&s);
        int forky = sanitize(nr, a);
        for (int i = 0; i < 6 && nseen < MAX_ARGS_SEEN; i++)
            seen[nseen++] = a[i];
        for (int i = 0; i < 4; i++)
            keep[i] = splitmix(&s) & 0x7f7f7f7f7f7f7f7fUL;
        keep[3] = forky ? 1 : keep[3] | 2;
        uint64_t kept[4] = { keep[0], keep[1], keep[2], keep[3] };
        if (verbose) {
            snprintf(line, sizeof line, "fuzz: call %d nr=%#lx args=%#lx,%#lx,%#lx,%#lx,%#lx,%#lx\n",
                     done, nr, a[0], a[1], a[2], a[3], a[4], a[5]);
            put(line);
        }
        long ret = do_syscall(nr, a, out, keep);
        int bad = is_leak((uint64_t)ret);
        for (int i = 0; i < 6; i++)
            bad |= out[i] != a[i];
        for (int i = 0; i < 4; i++)
            bad |= keep[i] != kept[i];
        /* changed words of the pool, read as 8-byte fields aligned like a pointer argument
         * (a structure the kernel writes is aligned to the pointer it was given) */
        uint8_t align[6] = { 0 };
        int nalign = 0;
        for (int i = 0; i < 6; i++)
            if (a[i] >= (uint64_t)rw && a[i] < (uint64_t)rw + RW_PAGES * 4096)
                align[nalign++] = (a[i] - (uint64_t)rw) % 8;
        if (!nalign)
            nalign = 1;                      /* written through no argument: natural alignment */
        uint64_t *w = (uint64_t *)rw;
        /* getrandom fills the pool with random bytes: one 8-byte word in 2^17 of them lies in
         * the kernel half by chance (about 1 in 130 calls that fill 8 KiB), which is no leak;
         * getrlimit and prlimit64 write limits the program set (any value, as Linux's) or the
         * defaults, where a word across an 8 MiB soft and an infinite hard RLIMIT_STACK reads
         * 0xffffff0000000000 */
        uint64_t cn = canonical_nr(nr);
        size_t scan = cn == NR_GETRANDOM || cn == NR_GETRLIMIT || cn == NR_PRLIMIT64 ? 0 : RW_PAGES * 4096 / 8;
        uint16_t changed[RW_PAGES * 4096 / 8];
        int nchanged = 0;
        for (size_t q = 0; q < scan; q += 4) {
            /* most calls write nothing here: four words compared at once, one branch */
            if (!((w[q] ^ pool_pattern[q]) | (w[q + 1] ^ pool_pattern[q + 1]) |
                  (w[q + 2] ^ pool_pattern[q + 2]) | (w[q + 3] ^ pool_pattern[q + 3])))
                continue;
            for (size_t i = q; i < q + 4; i++) {
                if (w[i] == pool_pattern[i])
                    continue;
                changed[nchanged++] = (uint16_t)i;
                for (int k = 0; k < nalign; k++) {
                    for (int before = 0; before < (align[k] ? 2 : 1); before++) {
                        size_t off = i * 8 + align[k] - (before ? 8 : 0);
                        if ((align[k] == 0 && before) || (before && i == 0) || off + 8 > RW_PAGES * 4096)
                            continue;
                        uint64_t v;
                        memcpy(&v, rw + off, 8);
                        /* both end bytes written: not a straddle of pattern and a -1 field */
                        if (rw[off] != pattern_byte(off) && rw[off + 7] != pattern_byte(off + 7) &&
                            is_leak(v)) {
                            bad = 1;
                            snprintf(line, sizeof line, "fuzz: leak batch=%lu call=%d value=%#lx at pool+%#zx\n",
                                     batch, done, v, off);
                            report(line);
                        }
                    }
                }
            }
        }
        if (bad) {
            snprintf(line, sizeof line, "fuzz: anomaly batch=%lu call=%d nr=%#lx args=%#lx,%#lx,%#lx,"
                     "%#lx,%#lx,%#lx ret=%#lx after=%#lx,%#lx,%#lx,%#lx,%#lx,%#lx r12-15=%#lx,%#lx,"
                     "%#lx,%#lx (were %#lx,%#lx,%#lx,%#lx)\n", batch, done, nr, a[0], a[1], a[2],
                     a[3], a[4], a[5], (uint64_t)ret, out[0], out[1], out[2], out[3], out[4],
                     out[5], keep[0], keep[1], keep[2], keep[3], kept[0], kept[1], kept[2], kept[3]);
            report(line);
        }
        anomaly |= bad;
        restore_pool(scan ? changed : NULL, nchanged);
        if (forky && ret > 0)
            while (waitpid(-1, NULL, WNOHANG) > 0)
                ;
    }
    return done | (anomaly ? ANOMALY_BIT : 0);
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* SIGALRM's handler in the parent: it only interrupts the wait (no SA_RESTART). */
static void on_alarm(int sig) { (void)sig; }

/* Wait up to `limit_s` seconds for `pid` to end (1: reaped) or stop (2: still there); 0:
 * neither. The parent sleeps in wait4 while the child runs (a polling parent took a share of
 * every child's time slices); a timer, only while it waits, interrupts the wait at the limit
 * and every ALARM_EVERY_US after it (a SIGALRM that came before the wait began costs one
 * interval more), and the clock says whether the limit has passed. */
static int reap_within(pid_t pid, int *status, double limit_s)
{
    static const struct itimerval off;
    struct itimerval alarm_at = { { 0, ALARM_EVERY_US },
                                  { (time_t)limit_s, (suseconds_t)((limit_s - (time_t)limit_s) * 1e6) } };
    double t0 = now_s();
    int got = 0;
    setitimer(ITIMER_REAL, &alarm_at, NULL);
    for (;;) {
        if (waitpid(pid, status, WUNTRACED) == pid) {
            got = WIFSTOPPED(*status) ? 2 : 1;
            break;
        }
        if (now_s() - t0 >= limit_s)
            break;
    }
    setitimer(ITIMER_REAL, &off, NULL);
    return got;
}

static void setup_pool(void)
{
    rw = mmap(NULL, (RW_PAGES + 1) * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (rw == MAP_FAILED || ro == MAP_FAILED || munmap(rw + RW_PAGES * 4096, 4096) ||
        (memset(ro, 0x41, 4096), mprotect(ro, 4096, PROT_READ))) {
        put("fuzz: cannot set up the buffer pool\n");
        exit(1);
    }
}

/* Directory listings through getdents64 into static buffers: the parent allocates nothing
 * after the warm-up child, so its own memory cannot move `free_pages`. */
struct linux_dirent64 {
    uint64_t d_ino;
    int64_t d_off;
    unsigned short d_reclen;
    unsigned char d_type;
    char d_name[];
};

/* The entries of `dir` (not . and ..), at most CLEAN_MAX, packed into pool[0, cap) (each
 * name and its NUL; a name that does not fit is left out); returns the bytes used. */
static size_t list_dir(const char *dir, char *pool, size_t cap)
{
    static char buf[4096];
    int fd = open(dir, O_RDONLY | O_DIRECTORY), n = 0;
    size_t used = 0;
    long got;
    while (fd >= 0 && (got = syscall(SYS_getdents64, fd, buf, sizeof buf)) > 0)
        for (long off = 0; off < got;) {
            struct linux_dirent64 *e = (struct linux_dirent64 *)(buf + off);
            size_t len = strnlen(e->d_name, CLEAN_NAME - 1) + 1;
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && n < CLEAN_MAX && used + len <= cap) {
                memcpy(pool + used, e->d_name, len - 1);
                pool[used + len - 1] = 0;
                used += len, n++;
            }
            off += e->d_reclen;
        }
    if (fd >= 0)
        close(fd);
    return used;
}

/* The names in CLEAN_DIRS[k] now (ringlab only): cleanup() removes what children add later. */
static void remember(int k)
{
    size_t used = list_dir(CLEAN_DIRS[k], clean_names[k], CLEAN_POOL);
    clean_count[k] = 0;
    for (size_t off = 0; off < used; off += strlen(clean_names[k] + off) + 1)
        clean_count[k]++;
}

static int remembered(int k, const char *name)
{
    const char *p = clean_names[k];
    for (int j = 0; j < clean_count[k]; j++, p += strlen(p) + 1)
        if (!strcmp(p, name))
            return 1;
    return 0;
}

/* Each level lists its directory into tree_pool above the levels that called it. */
static void remove_tree(const char *path, int depth)
{
    struct stat st;
    char child[4096];
    if (depth > CLEAN_DEPTH || lstat(path, &st))
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    size_t base = tree_top, used = list_dir(path, tree_pool + base, TREE_POOL - base);
    tree_top = base + used;
    for (size_t off = base; off < base + used; off += strlen(tree_pool + off) + 1) {
        snprintf(child, sizeof child, "%.3800s/%s", path, tree_pool + off);
        remove_tree(child, depth + 1);
    }
    tree_top = base;
    rmdir(path);
}

/* Remove what the last child created in "/" and "/tmp": ringlab's file system is in memory,
 * so a file a child left would hold pages past its reap (and fill the file system). */
static void cleanup(void)
{
    char path[CLEAN_NAME + 32];
    for (int k = 0; k < 2; k++) {
        size_t base = tree_top, used = list_dir(CLEAN_DIRS[k], tree_pool + base, TREE_POOL - base);
        tree_top = base + used;
        for (size_t off = base; off < base + used; off += strlen(tree_pool + off) + 1) {
            if (remembered(k, tree_pool + off))
                continue;
            snprintf(path, sizeof path, "%.16s/%.255s",
                     strcmp(CLEAN_DIRS[k], "/") ? CLEAN_DIRS[k] : "", tree_pool + off);
            remove_tree(path, 0);
        }
        tree_top = base;
    }
}

/* Remove every System V IPC object (ringlab only: the fuzzer owns that machine): a segment,
 * semaphore set or queue outlives its creator by design, as on Linux, so one a child made
 * would hold pages past its reap. Each kind's *_INFO answers the highest index in use and
 * *_STAT turns an index into an id (Linux's ipc/shm.c, sem.c, msg.c). */
static void cleanup_ipc(void)
{
    static const struct { long nr; int info, stat; } kinds[] = {
        { SYS_shmctl, 14 /* SHM_INFO */, 13 /* SHM_STAT */ },
        { SYS_semctl, 19 /* SEM_INFO */, 18 /* SEM_STAT */ },
        { SYS_msgctl, 12 /* MSG_INFO */, 11 /* MSG_STAT */ },
    };
    static uint64_t buf[64];
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        int sem = kinds[k].nr == SYS_semctl;
        long max = sem ? syscall(SYS_semctl, 0, 0, kinds[k].info, buf)
                       : syscall(kinds[k].nr, 0, kinds[k].info, buf);
        for (long idx = 0; idx <= max; idx++) {
            long id = sem ? syscall(SYS_semctl, idx, 0, kinds[k].stat, buf)
                          : syscall(kinds[k].nr, idx, kinds[k].stat, buf);
            if (id < 0)
                continue;
            if (sem)
                syscall(SYS_semctl, id, 0, 0 /* IPC_RMID */, 0);
            else
                syscall(kinds[k].nr, id, 0 /* IPC_RMID */, 0);
        }
    }
}

static void host_limits(void)
{
    struct rlimit fsize = { 1 << 20, 1 << 20 }, as = { 1UL << 30, 1UL << 30 }, core = { 0, 0 };
    setrlimit(RLIMIT_FSIZE, &fsize);        /* a huge write to a file stops at 1 MiB */
    setrlimit(RLIMIT_AS, &as);               /* a huge mmap fails instead of eating the host */
    setrlimit(RLIMIT_CORE, &core);
    prctl(PR_SET_CHILD_SUBREAPER, 1);        /* grandchildren come back to us to be reaped */
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        put("usage: fuzz SEED CALLS [BATCH]\n");
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 0), want = strtoull(argv[2], NULL, 0);
    struct utsname u;
    host_mode = uname(&u) != 0 || !strstr(u.version, "ringlab");   /* ringlab's version names it */
    init_pattern();
    setup_pool();
    if (host_mode) {
        host_limits();
        memcpy(paths, HOST_PATHS, sizeof paths);
        mkdir("tmp", 0700);
    }
    if (argc > 3) {                          /* replay one batch, loudly, in this process */
        verbose = 1;
        int st = run_batch(seed, strtoull(argv[3], NULL, 0));
        printf("fuzz: batch %s: %d calls, %s\n", argv[3], st & ~ANOMALY_BIT,
               st & ANOMALY_BIT ? "ANOMALY" : "clean");
        return 0;
    }
    printf("fuzz: seed=%lu calls=%lu mode=%s per-child=%d\n", seed, want,
           host_mode ? "host" : "ringlab", CALLS_PER_CHILD);
    fflush(stdout);
    if (!host_mode)
        for (int k = 0; k < 2; k++)
            remember(k);
    /* a warm-up child: after its reap, `mem free_pages` (trace=mem) is the baseline */
    pid_t w = fork();
    if (w == 0)
        _exit(0);
    waitpid(w, NULL, 0);

    uint64_t calls = 0, children = 0, exited = 0, killed = 0, stopped = 0, timedout = 0, stuck = 0;
    uint64_t anomalies = 0;
    uint64_t by_signal[65] = { 0 };
    double limit = host_mode ? HOST_HANG_LIMIT_S : HANG_LIMIT_S;
    struct sigaction alarm_action = { .sa_handler = on_alarm };   /* no SA_RESTART: see reap_within */
    sigaction(SIGALRM, &alarm_action, NULL);
    for (uint64_t batch = 0; calls < want; batch++) {
        pid_t pid = fork();
        if (pid < 0) {
            put("fuzz: fork failed\n");
            return 1;
        }
        if (pid == 0) {
            signal(SIGALRM, SIG_DFL);        /* the parent's handler is not the child's */
            report_fd = dup2(1, REPORT_FD);
            close(0), close(1), close(2);    /* no console garbage, no blocking reads */
            __asm__ volatile("mov $231, %%eax\n syscall" : : "D"(run_batch(seed, batch)) : "rax", "rcx", "r11", "memory");
        }
        children++;
        int status = 0, got = reap_within(pid, &status, limit);
        if (got != 1) {
            /* stopped, or blocked in a call that may block on Linux too: SIGKILL must end it */
            if (got == 2)
                stopped++;
            else
                timedout++;
            kill(pid, SIGKILL);
            if (reap_within(pid, &status, limit) != 1) {
                stuck++;
                printf("fuzz: stuck batch=%lu (still there %g s after SIGKILL)\n", batch, limit);
                fflush(stdout);
                break;
            }
            if (got == 0) {
                printf("fuzz: timedout batch=%lu (killed after %g s)\n", batch, limit);
                fflush(stdout);
            }
        } else if (WIFEXITED(status)) {
            int st = WEXITSTATUS(status);
            exited++;
            calls += st & ~ANOMALY_BIT;
            if (st & ANOMALY_BIT) {
                anomalies++;
                printf("fuzz: anomaly batch=%lu (replay: fuzz %lu %lu %lu)\n", batch, seed, want, batch);
                fflush(stdout);
            }
        } else if (WIFSIGNALED(status)) {
            killed++;
            by_signal[WTERMSIG(status) & 63]++;
        }
        while (waitpid(-1, NULL, WNOHANG) > 0)   /* orphaned grandchildren */
            ;
        if (!host_mode) {
            cleanup();
            cleanup_ipc();
        }
    }
    while (wait(NULL) > 0)                   /* every grandchild, before the figures */
        ;
    if (!host_mode) {
        cleanup();
        cleanup_ipc();
        w = fork();                          /* after its reap: the final free_pages */
        if (w == 0)
            _exit(0);
        waitpid(w, NULL, 0);
    }
    printf("fuzz: seed=%lu mode=%s calls=%lu children=%lu exited=%lu killed=%lu stopped=%lu "
           "timedout=%lu stuck=%lu anomalies=%lu signals=", seed, host_mode ? "host" : "ringlab",
           calls, children, exited, killed, stopped, timedout, stuck, anomalies);
    const char *sep = "";
    for (int i = 1; i < 65; i++)
        if (by_signal[i]) {
            printf("%s%d:%lu", sep, i, by_signal[i]);
            sep = ",";
        }
    printf("%s\n", *sep ? "" : "none");
    return 0;
}
