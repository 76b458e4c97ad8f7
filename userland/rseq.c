/*
 * Restartable sequences (rseq(2), kernel/rseq.c), the same binary on the host's Linux and in
 * ringlab (tests/test_rseq.py): built with musl (raw system calls only: musl never registers),
 * with glibc (glibc 2.35+ registers every thread at start: its __rseq_size, __rseq_offset and
 * sched_getcpu are printed, then its area is unregistered so the raw tests start clean) and
 * as a static i386 glibc program (call 386, the same struct: u64 fields).
 *
 * Registration rules (flags, alignment, sizes, hostile areas: page 0, the kernel half, the top
 * of the address space, read-only, a stale rseq_cs), the ids the kernel writes, unregistration;
 * critical sections: one a signal interrupts (the handler's frame holds abort_ip), one that
 * spins until it is preempted (a process pinned beside it on CPU 0 competes for the CPU, so
 * Linux preempts it too: only the count of aborted sections is printed), and invalid ones
 * (wrong signature, abort_ip inside, the kernel, unmapped, version 1, NO_RESTART flags, an
 * overflowing range) that end the process with SIGSEGV; an area unmapped after registration;
 * a timer's SIGALRM aborting a spinning section; two threads, each with its own area, that
 * preempt each other's sections;
 * fork keeps the registration, a thread has none, execve clears it. Every fatal case runs in
 * a child; the parent prints how it ended. The program pins itself to CPU 0 first, so the CPU
 * number and mm_cid are 0 on the host too.
 *
 * argv[1]: "afterexec" (the image after execve).
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
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>
#ifdef __GLIBC__
#include <sys/rseq.h>
#endif

#ifdef __x86_64__
#define NR_RSEQ 334
#else
#define NR_RSEQ 386
#endif
#define T_SIG          0x53053053u     /* the x86 signature glibc and librseq use (RSEQ_SIG) */
#define T_UNREGISTER   1
#define T_UNINIT       0xffffffffu     /* RSEQ_CPU_ID_UNINITIALIZED */

struct t_rseq {                        /* struct rseq (include/uapi/linux/rseq.h) */
    uint32_t cpu_id_start, cpu_id;
    union {
        uint64_t rseq_cs;
        uint32_t rseq_cs32;            /* its low half: what an i386 store writes */
    };
    uint32_t flags, node_id, mm_cid;
    uint32_t pad;
} __attribute__((aligned(32)));

struct t_rseq_cs {
    uint32_t version, flags;
    uint64_t start_ip, post_commit_offset, abort_ip;
} __attribute__((aligned(32)));

static struct t_rseq area;             /* static: the same address after execve */
static struct t_rseq big[2];           /* a 64-byte area for the extensible sizes */
static struct t_rseq_cs desc;          /* the section descriptor a test hands the section */
extern struct t_rseq_cs sect_tmpl;     /* the section's own, made by the asm below */
extern struct t_rseq_cs spin_tmpl;     /* spin()'s */
static volatile uintptr_t handler_ip;  /* where the interrupted code resumes (the frame's RIP) */
static volatile uint64_t handler_cs;   /* rseq_cs the handler saw */
static volatile int handled;

static const char *res(long r)
{
    static char buf[64];
    if (r >= 0)
        snprintf(buf, sizeof buf, "%ld", r);
    else
        snprintf(buf, sizeof buf, "-1 %s", errno == EINVAL ? "EINVAL" : errno == EFAULT ? "EFAULT"
                 : errno == EPERM ? "EPERM" : errno == EBUSY ? "EBUSY" : errno == ENOSYS ? "ENOSYS" : "E?");
    return buf;
}

static long rseq_sys(uintptr_t a, unsigned long len, long flags, unsigned long sig)
{
    errno = 0;
    return syscall(NR_RSEQ, a, len, flags, sig);
}

static long reg(void *a, unsigned long len) { return rseq_sys((uintptr_t)a, len, 0, T_SIG); }
static long unreg(void *a, unsigned long len) { return rseq_sys((uintptr_t)a, len, T_UNREGISTER, T_SIG); }

/*
 * The critical section: rseq_cs = d, then (pid != 0) kill(pid, SIGUSR1) with the raw call,
 * then `spins` turns of a loop; the section ends after the loop. Returns 1 if the kernel
 * sent it to abort_ip, 0 if it ran to its end. sect_tmpl is its own descriptor, which
 * tests copy into `desc` and change.
 */
__attribute__((noinline)) static int section(struct t_rseq_cs *d, long spins, int pid)
{
    int aborted;
#ifdef __x86_64__
    __asm__ volatile(
        "movq %[d], (%[rcs])\n\t"
        "1:\n\t"
        "testl %[pid], %[pid]\n\t"
        "jz 5f\n\t"
        "movl $62, %%eax\n\t"               /* kill */
        "movl %[pid], %%edi\n\t"
        "movl $10, %%esi\n\t"               /* SIGUSR1 */
        "syscall\n\t"
        "5:\n\t"
        "decq %[n]\n\t"
        "jnz 5b\n\t"
        "2:\n\t"
        "xorl %[ab], %[ab]\n\t"
        "jmp 4f\n\t"
        ".long 0x53053053\n\t"
        "3:\n\t"
        "movl $1, %[ab]\n\t"
        "4:\n\t"
        ".pushsection .data, \"aw\"\n\t"
        ".balign 32\n\t"
        ".globl sect_tmpl\n\t"
        "sect_tmpl: .long 0, 0\n\t"
        ".quad 1b, 2b - 1b, 3b\n\t"
        ".popsection\n\t"
        : [ab] "=&r"(aborted), [n] "+r"(spins)
        : [d] "r"((uint64_t)(uintptr_t)d), [pid] "r"(pid), [rcs] "r"(&area.rseq_cs)
        : "rax", "rdi", "rsi", "rcx", "r11", "memory", "cc");
#else
    __asm__ volatile(
        "movl %[d], %[rcs]\n\t"
        "1:\n\t"
        "cmpl $0, %[pid]\n\t"
        "jz 5f\n\t"
        "movl $37, %%eax\n\t"               /* kill */
        "movl %[pid], %%ebx\n\t"
        "movl $10, %%ecx\n\t"
        "int $0x80\n\t"
        "5:\n\t"
        "decl %[n]\n\t"
        "jnz 5b\n\t"
        "2:\n\t"
        "xorl %[ab], %[ab]\n\t"
        "jmp 4f\n\t"
        ".long 0x53053053\n\t"
        "3:\n\t"
        "movl $1, %[ab]\n\t"
        "4:\n\t"
        ".pushsection .data, \"aw\"\n\t"
        ".balign 32\n\t"
        ".globl sect_tmpl\n\t"
        "sect_tmpl: .long 0, 0\n\t"
        ".long 1b, 0, 2b - 1b, 0, 3b, 0\n\t"
        ".popsection\n\t"
        : [ab] "=&r"(aborted), [n] "+r"(spins), [rcs] "=m"(area.rseq_cs32)
        : [d] "r"(d), [pid] "m"(pid)
        : "eax", "ebx", "ecx", "memory", "cc");
#endif
    return aborted;
}

/* A section in any area `a` that only spins (`spins` turns), for threads: 1 if aborted. */
__attribute__((noinline)) static int spin(struct t_rseq *a, struct t_rseq_cs *d, long spins)
{
    int aborted;
    __asm__ volatile(
#ifdef __x86_64__
        "movq %[d], 8(%[a])\n\t"
#else
        "movl %[d], 8(%[a])\n\t"
#endif
        "1:\n\t"
        "dec %[n]\n\t"
        "jnz 1b\n\t"
        "2:\n\t"
        "xorl %[ab], %[ab]\n\t"
        "jmp 4f\n\t"
        ".long 0x53053053\n\t"
        "3:\n\t"
        "movl $1, %[ab]\n\t"
        "4:\n\t"
        ".pushsection .data, \"aw\"\n\t"
        ".balign 32\n\t"
        ".globl spin_tmpl\n\t"
        "spin_tmpl: .long 0, 0\n\t"
#ifdef __x86_64__
        ".quad 1b, 2b - 1b, 3b\n\t"
#else
        ".long 1b, 0, 2b - 1b, 0, 3b, 0\n\t"
#endif
        ".popsection\n\t"
        : [ab] "=&r"(aborted), [n] "+r"(spins)
        : [d] "r"(d), [a] "r"(a)
        : "memory", "cc");
    return aborted;
}

static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
#ifdef __x86_64__
    handler_ip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#else
    handler_ip = (uintptr_t)uc->uc_mcontext.gregs[REG_EIP];
#endif
    handler_cs = area.rseq_cs;
    handled++;
}

static void handle_usr1(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
}

static void ids(const char *what, const struct t_rseq *a)
{
    printf("%s: cpu_id_start=%u cpu_id=%u node_id=%u mm_cid=%u rseq_cs=%s\n", what, a->cpu_id_start,
           a->cpu_id, a->node_id, a->mm_cid, a->rseq_cs ? "set" : "0");
}

/* Run fn in a child and say how the child ended. */
static void in_child(const char *name, void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        fflush(stdout);
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("%s: killed by %s\n", name, WTERMSIG(st) == SIGSEGV ? "SIGSEGV" : strsignal(WTERMSIG(st)));
    else
        printf("%s: exit %d\n", name, WEXITSTATUS(st));
}

/* ---- registration --------------------------------------------------------------------- */

static void registration_rules(void)
{
    char *u = (char *)&big[0];
    printf("flags 2: %s\n", res(rseq_sys((uintptr_t)&area, 32, 2, T_SIG)));
    printf("flags UNREGISTER|2: %s\n", res(rseq_sys((uintptr_t)&area, 32, 3, T_SIG)));
    printf("unregister, none registered: %s\n", res(unreg(&area, 32)));
    printf("len 0: %s\n", res(reg(&area, 0)));
    printf("len 16: %s\n", res(reg(&area, 16)));
    printf("len 31: %s\n", res(reg(&area, 31)));
    printf("len 32 at +4: %s\n", res(reg(u + 4, 32)));
    printf("len 32 at +16: %s\n", res(reg(u + 16, 32)));
    printf("len 48 at +16: %s\n", res(reg(u + 16, 48)));
    printf("kernel half: %s\n", res(reg((void *)(uintptr_t)(sizeof(long) == 8 ? 0xffffffff80000000UL : 0xffffffe0UL), 32)));
#ifdef __x86_64__
    {
        printf("non-canonical: %s\n", res(rseq_sys(0x800000000000UL, 32, 0, T_SIG)));
        printf("last user page: %s\n", res(rseq_sys(0x7fffffffffe0UL, 32, 0, T_SIG)));
        printf("len 4 GiB-32 near the top: %s\n", res(rseq_sys(0x7fffffff0000UL, 0xffffffe0UL, 0, T_SIG)));
        /* an area ending at the end of the user half (TASK_SIZE_MAX): the page is mapped here, and
           in ringlab it is the stack's top page already */
        mmap((void *)0x7fffffffe000UL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
             -1, 0);
        long r = rseq_sys(0x7fffffffefc0UL, 64, 0, T_SIG);
        printf("len 64 ending at the user limit: %s\n", res(r));
        if (r == 0)
            printf("  unregister: %s\n", res(rseq_sys(0x7fffffffefc0UL, 64, T_UNREGISTER, T_SIG)));
    }
#endif
    /* a longer area: 33 bytes, then 64 (Linux's extensible size) */
    long r = reg(&big[0], 33);
    printf("len 33: %s\n", res(r));
    if (r == 0) {
        printf("  re-register with 32: %s\n", res(reg(&big[0], 32)));
        printf("  unregister with 32: %s\n", res(unreg(&big[0], 32)));
        printf("  unregister with 33: %s\n", res(unreg(&big[0], 33)));
    }
    r = reg(&big[0], 64);
    printf("len 64: %s\n", res(r));
    if (r == 0)
        printf("  unregister with 64: %s\n", res(unreg(&big[0], 64)));
    r = reg(&big[0], 0xffffffe0UL);
    printf("len 4 GiB-32: %s\n", res(r));
    if (r == 0)
        printf("  unregister: %s\n", res(unreg(&big[0], 0xffffffe0UL)));

    /* a stale rseq_cs: registration clears it */
    memset(&area, 0, sizeof area);
    area.cpu_id = 1234;
    area.rseq_cs = 0x1000;
    printf("register, stale rseq_cs: %s\n", res(reg(&area, 32)));
    ids("after registration", &area);
    printf("again: %s\n", res(reg(&area, 32)));
    printf("again, other sig: %s\n", res(rseq_sys((uintptr_t)&area, 32, 0, 0x1234)));
    printf("again, other len: %s\n", res(reg(&area, 64)));
    printf("again, other area: %s\n", res(reg(&big[0], 32)));
    printf("unregister, other len: %s\n", res(unreg(&area, 64)));
    printf("unregister, other sig: %s\n", res(rseq_sys((uintptr_t)&area, 32, T_UNREGISTER, 0x1234)));
    printf("unregister, other area: %s\n", res(unreg(&big[0], 32)));
    printf("unregister, flags 3: %s\n", res(rseq_sys((uintptr_t)&area, 32, 3, T_SIG)));
    area.cpu_id_start = area.node_id = area.mm_cid = 55;
    printf("unregister: %s\n", res(unreg(&area, 32)));
    ids("after unregistration", &area);
}

static void page0(void)
{
    long r = reg(NULL, 32);
    printf("page 0: %s\n", res(r));
}

static void *map_area(int prot, uint64_t rseq_cs)
{
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ((struct t_rseq *)m)->rseq_cs = rseq_cs;
    mprotect(m, 4096, prot);
    return m;
}

static void readonly(void)
{
    void *m = map_area(PROT_READ, 0);
    long r = reg(m, 32);
    printf("read-only area registered: %s\n", res(r));       /* reached only if nothing killed it */
}

static void readonly_stale(void)
{
    void *m = map_area(PROT_READ, 0x1000);
    printf("read-only area, stale rseq_cs: %s\n", res(reg(m, 32)));
}

static void unmapped_then_signal(void)
{
    void *m = map_area(PROT_READ | PROT_WRITE, 0);
    printf("registered: %s\n", res(reg(m, 32)));
    munmap(m, 4096);
    handle_usr1();
    kill(getpid(), SIGUSR1);
    printf("survived the signal: %d\n", handled);
}

static volatile int spin_forever;

static pid_t competitor(void);

static void unmapped_then_preempted(void)
{
    competitor();                                      /* killed when this child dies (PDEATHSIG) */
    void *m = map_area(PROT_READ | PROT_WRITE, 0);
    printf("registered: %s\n", res(reg(m, 32)));
    munmap(m, 4096);
    for (unsigned long i = 0; i < 4000000000UL && !spin_forever; i++)
        __asm__ volatile("" ::: "memory");
    printf("never preempted\n");
}

/* ---- critical sections ---------------------------------------------------------------- */

static void section_signalled(void)
{
    handle_usr1();
    /* a preemption before the kill aborts the section first (no kill, no handler): on a busy
       host, and in ringlab at any tick, so the section is entered again, at most 100 times,
       until the signal was the one that aborted it */
    int ab = 0;
    for (int tries = 0; tries < 100; tries++) {
        handled = 0;
        desc = sect_tmpl;
        ab = section(&desc, 1, getpid());
        if (handled)
            break;
    }
    printf("signal in the section: aborted=%d handled=%d frame's ip is abort_ip=%d rseq_cs in handler=%s after=%s\n",
           ab, handled, handler_ip == (uintptr_t)sect_tmpl.abort_ip, handler_cs ? "set" : "0",
           area.rseq_cs ? "set" : "0");
    /* no signal: the section runs to its end; a preemption may abort one (at any tick in
       ringlab, under load on the host), so one of at most 100 must end unaborted */
    int clean = 0;
    for (int tries = 0; tries < 100 && !clean; tries++)
        clean = !section(&desc, 1, 0);                 /* rseq_cs stays set: not printed, a
                                                          preemption may clear it at any time */
    printf("no signal: a section ran to its end=%d\n", clean);
    /* a signal outside the section: rseq_cs is cleared, nothing else */
    area.cpu_id = 77;
    kill(getpid(), SIGUSR1);
    printf("signal outside: rseq_cs=%s cpu_id=%u frame's ip is abort_ip=%d\n", area.rseq_cs ? "set" : "0",
           area.cpu_id, handler_ip == (uintptr_t)sect_tmpl.abort_ip);
}

/* A timer's signal, asynchronous, while the section spins: the frame holds abort_ip. A
   preemption may abort a section before the signal comes (in ringlab every tick switches),
   and a busy host may deliver the signal outside the section (between two of them): the
   section is entered again, under a periodic timer, until a SIGALRM has aborted one (at most
   1,000 sections). */
static void section_alarm(void)
{
    struct sigaction sa = { 0 };
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, off = { { 0, 0 }, { 0, 0 } };
    desc = sect_tmpl;
    int seen = 0, tries = 0;
    setitimer(ITIMER_REAL, &it, NULL);
    while (!seen && tries++ < 1000) {
        handled = 0;
        handler_ip = 0;
        handler_cs = 1;
        int ab = section(&desc, 0x7fffffffL, 0);
        seen = ab && handled && handler_ip == (uintptr_t)sect_tmpl.abort_ip && !handler_cs;
    }
    setitimer(ITIMER_REAL, &off, NULL);
    printf("SIGALRM in a spinning section: it aborted one, the handler's frame at abort_ip, rseq_cs 0: %d\n", seen);
}

static pid_t competitor(void)
{
    fflush(stdout);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);              /* gone with the process it competes with */
        if (getppid() != parent)
            _exit(0);
        for (;;)
            __asm__ volatile("" ::: "memory");
    }
    return pid;
}

static void section_preempted(void)
{
    pid_t c = competitor();
    int aborts = 0, cleared = 0;
    desc = sect_tmpl;
    for (int i = 0; i < 3; i++) {
        int ab = section(&desc, 0x7fffffffL, 0);       /* spans many ticks unless aborted */
        aborts += ab;
        cleared += ab && !area.rseq_cs;
    }
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
    printf("spinning sections: %d of 3 aborted, rseq_cs cleared in %d\n", aborts, cleared);
    ids("after the aborts", &area);
}

/* A bad descriptor: the next signal (inside or outside the section) is SIGSEGV. */
static int bad_kind;
static void bad_section(void)
{
    handle_usr1();
    desc = sect_tmpl;
    int inside = 1;
    switch (bad_kind) {
    case 0: desc.abort_ip = sect_tmpl.start_ip + sect_tmpl.post_commit_offset + 4; break;   /* no signature there */
    case 1: desc.abort_ip = sect_tmpl.start_ip + 2; break;                                   /* inside */
    case 2: desc.version = 1; break;
    case 3: desc.flags = 2; break;                          /* RSEQ_CS_FLAG_NO_RESTART_ON_SIGNAL */
    case 4: desc.flags = 7; break;
    case 5: area.flags = 1; break;                          /* the area's NO_RESTART_ON_PREEMPT */
    case 6: desc.post_commit_offset = (uint64_t)0 - 16; break;   /* start + offset wraps */
    case 7: desc.start_ip = 0xffffffff81000000ULL; break;
    case 8: desc.abort_ip = sect_tmpl.abort_ip + 0x800000000000ULL; break;
    case 9: desc.abort_ip = sect_tmpl.start_ip + sect_tmpl.post_commit_offset + 4; inside = 0; break;
    case 10: desc.flags = 2; inside = 0; break;             /* flags only matter inside */
    case 11: area.flags = 1; inside = 0; break;
    }
    int ab = section(&desc, 1, inside ? getpid() : 0);
    if (!inside)
        kill(getpid(), SIGUSR1);
    printf("  survived: aborted=%d handled=%d rseq_cs=%s\n", ab, handled, area.rseq_cs ? "set" : "0");
}

static void bad_pointer(void)
{
    handle_usr1();
    uint64_t ptr[] = { 0xffffffff81000000ULL, 0x800000000000ULL, 0x10 };
    area.rseq_cs = ptr[bad_kind];
    kill(getpid(), SIGUSR1);
    printf("  survived: handled=%d rseq_cs=%s\n", handled, area.rseq_cs ? "set" : "0");
}

static void registered(void (*fn)(void))
{
    memset(&area, 0, sizeof area);
    if (reg(&area, 32))
        printf("registration failed: %s\n", res(-1));
    fn();
}

static void run_section_signalled(void) { registered(section_signalled); }
static void run_section_alarm(void) { registered(section_alarm); }
static void run_section_preempted(void) { registered(section_preempted); }
static void run_bad_section(void) { registered(bad_section); }
static void run_bad_pointer(void) { registered(bad_pointer); }

/* ---- fork, threads, execve ------------------------------------------------------------ */

static void *thread_main(void *arg)
{
    (void)arg;
    printf("thread: unregister the main thread's area: %s\n", res(unreg(&area, 32)));
    long r = reg(&big[0], 32);
    printf("thread: register an area of its own: %s\n", res(r));
    if (r == 0)
        printf("thread: unregister it: %s\n", res(unreg(&big[0], 32)));
    return NULL;
}

/* Two threads pinned to CPU 0, each with an area of its own, spin in sections: each preempts
   the other (on the host too), and each thread's sections are aborted in its own area. */
static struct t_rseq th_area[2];
static struct t_rseq_cs th_desc[2];
static int th_aborts[2], th_reg[2], th_cleared[2];

static void *racer(void *arg)
{
    int i = (int)(intptr_t)arg;
    th_reg[i] = (int)reg(&th_area[i], 32);
    th_desc[i] = spin_tmpl;
    for (int k = 0; k < 2; k++) {
        int ab = spin(&th_area[i], &th_desc[i], 0x7fffffffL);
        th_aborts[i] += ab;
        th_cleared[i] += ab && !th_area[i].rseq_cs;
    }
    unreg(&th_area[i], 32);
    return NULL;
}

static void racing_threads(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, racer, (void *)(intptr_t)i);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 2; i++)
        printf("racing thread %d: registered %d, %d of 2 sections aborted, rseq_cs cleared in %d, cpu_id=%u\n", i,
               th_reg[i], th_aborts[i], th_cleared[i], th_area[i].cpu_id);
}

static void lifetimes(char **argv)
{
    memset(&area, 0, sizeof area);
    printf("register: %s\n", res(reg(&area, 32)));
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        printf("fork child: again: %s\n", res(reg(&area, 32)));
        ids("fork child", &area);
        printf("fork child: unregister: %s\n", res(unreg(&area, 32)));
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    printf("parent after the child unregistered its copy: again: %s\n", res(reg(&area, 32)));
    pthread_t t;
    pthread_create(&t, NULL, thread_main, NULL);
    pthread_join(t, NULL);
    printf("main thread still registered: again: %s\n", res(reg(&area, 32)));
    fflush(stdout);
    char *args[] = { argv[0], "afterexec", NULL };
    execv("/proc/self/exe", args);
    perror("execv");
}

static void glibc_registration(void)
{
#ifdef __GLIBC__
    printf("glibc: __rseq_size=%u __rseq_offset=%ld __rseq_flags=%u sched_getcpu=%d\n", __rseq_size, (long)__rseq_offset,
           __rseq_flags, sched_getcpu());
    if (__rseq_size) {
        struct t_rseq *g = (struct t_rseq *)((char *)__builtin_thread_pointer() + __rseq_offset);
        printf("glibc: area 32-byte aligned=%d cpu_id=%u\n", ((uintptr_t)g & 31) == 0, g->cpu_id);
        printf("glibc: register again: %s\n", res(reg(g, 32)));
        printf("glibc: unregister its area: %s\n", res(unreg(g, 32)));
        printf("glibc: cpu_id after=%u sched_getcpu=%d\n", g->cpu_id, sched_getcpu());
    }
#endif
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one))
        perror("sched_setaffinity");
    sched_yield();                                     /* on CPU 0 from here on */
    glibc_registration();
    if (argc > 1 && !strcmp(argv[1], "afterexec")) {
        printf("after execve: register the same area: %s\n", res(reg(&area, 32)));
        printf("after execve: unregister: %s\n", res(unreg(&area, 32)));
        return 0;
    }
    printf("auxv: AT_RSEQ_FEATURE_SIZE=%lu AT_RSEQ_ALIGN=%lu\n", getauxval(27), getauxval(28));
    registration_rules();
    in_child("page 0", page0);
    in_child("read-only area", readonly);
    in_child("read-only area with a stale rseq_cs", readonly_stale);
    in_child("area unmapped, then a signal", unmapped_then_signal);
    in_child("area unmapped, then preempted", unmapped_then_preempted);
    in_child("signalled section", run_section_signalled);
    in_child("preempted section", run_section_preempted);
    in_child("section and SIGALRM", run_section_alarm);
    in_child("racing threads", racing_threads);
    static const char *const bad[] = {
        "wrong signature", "abort_ip inside", "version 1", "NO_RESTART_ON_SIGNAL", "all NO_RESTART flags",
        "area flags 1", "start+offset wraps", "start_ip in the kernel", "abort_ip past TASK_SIZE",
        "wrong signature, signal outside", "NO_RESTART_ON_SIGNAL, signal outside", "area flags 1, signal outside",
    };
    for (bad_kind = 0; bad_kind < (int)(sizeof bad / sizeof bad[0]); bad_kind++) {
        printf("section, %s:\n", bad[bad_kind]);
        in_child(bad[bad_kind], run_bad_section);
    }
    static const char *const badp[] = { "rseq_cs in the kernel", "rseq_cs non-canonical", "rseq_cs at page 0" };
    for (bad_kind = 0; bad_kind < 3; bad_kind++) {
        printf("%s:\n", badp[bad_kind]);
        in_child(badp[bad_kind], run_bad_pointer);
    }
    lifetimes(argv);
    return 1;
}
