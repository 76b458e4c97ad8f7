/*
 * ptrace seen from the tracer, run on the host's Linux and in ringlab (tests/test_ptrace.py
 * compares the two transcripts). Each mode forks a child that asks PTRACE_TRACEME and stops
 * itself with SIGSTOP; the parent traces it and prints what Linux answers: wait4 statuses,
 * registers, errnos. Nothing printed depends on a pid or an address.
 *
 *   syscall   syscall-entry and -exit stops: RAX reads -ENOSYS at entry, the call number
 *             changed, orig_rax -1 skipping a call, the return value changed at exit
 *   step      PTRACE_SINGLESTEP across a `syscall` instruction, and DR6 after each step
 *   watch     a write watchpoint set through POKEUSER (DR0, DR7) firing as SIGTRAP
 *   dr        debug-register writes Linux refuses: kernel addresses, bad lengths/types, DR4
 *   signal    signal-delivery stops: a signal suppressed, another injected, an ignored one
 *   regs      hostile register sets: kernel CS/SS, IOPL 3, kernel-half FS/GS base, a
 *             non-canonical and a kernel RIP (the tracee then faults in ring 3)
 *   errors    EPERM, ESRCH, EIO, EINVAL as Linux gives them
 *   events    TRACEFORK, TRACECLONE, TRACEEXEC, TRACEEXIT, GETEVENTMSG, SEIZE + INTERRUPT
 *   perm      who may attach: a uid-1000 process to a root one (EPERM), to one that dropped to
 *             uid 1000 without exec (not dumpable: EPERM), to one that exec'd after (ok)
 *   lifetimes the tracer exits while its tracee runs (detached, it runs on; with EXITKILL it is
 *             killed), a tracee SIGKILLed in a stop
 */
#include <fcntl.h>
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MARK 0x5eed0000L            /* first argument that tells the tracer "this call is a test" */
#define DR_OFF(n) (offsetof(struct user, u_debugreg) + (n) * sizeof(long))
#define USER_BYTES 928             /* the kernel's struct user (asm/user_64.h): glibc's lacks its last two words */
#define NT_PRSTATUS 1
#define NT_PRFPREG 2
#define NT_X86_XSTATE 0x202

static long pt(int req, pid_t pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

static const char *errname(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EIO: return "EIO";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case ENODEV: return "ENODEV";
    case ECHILD: return "ECHILD";
    case EBUSY: return "EBUSY";
    default: return "E?";
    }
}

static const char *err(long r)
{
    return r >= 0 ? "ok" : errname(errno);
}

/* The wait4 status, printed as Linux encodes it. */
static int waitfor(pid_t pid, const char *what)
{
    int st = 0;
    pid_t r = waitpid(pid, &st, __WALL);
    if (r != pid) {
        printf("%s: waitpid %s\n", what, err(r));
        exit(1);
    }
    if (what)
        printf("%s: status 0x%x\n", what, st);
    return st;
}

/* A traced child stopped at its SIGSTOP; `body` runs in the child after it. */
static pid_t spawn(void (*body)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0))
            _exit(90);
        raise(SIGSTOP);
        body();
        fflush(stdout);
        _exit(0);
    }
    waitfor(pid, "first stop");
    return pid;
}

static void finish(pid_t pid)
{
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid, NULL);
    if (WIFEXITED(st))
        printf("child exited %d\n", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        printf("child killed by %d\n", WTERMSIG(st));
    else
        printf("child stopped 0x%x\n", st);
}

/* ---- syscall ---- */

static void syscall_child(void)
{
    long a = syscall(SYS_getppid, MARK + 1);        /* becomes getuid: 0 */
    long b = syscall(SYS_getppid, MARK + 2);        /* skipped: RAX as the tracer left it */
    long c = syscall(SYS_getppid, MARK + 3);        /* return value replaced at exit */
    errno = 0;
    long d = syscall(SYS_getppid, MARK + 4);        /* skipped with RAX unchanged: -ENOSYS */
    int e = errno;
    printf("child: a=%ld b=%ld c=%ld d=%ld errno=%s\n", a, b, c, d, errname(e));
}

static void mode_syscall(void)
{
    pid_t pid = spawn(syscall_child);
    printf("setoptions: %s\n", err(pt(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD)));
    bool entry = true;
    for (;;) {
        pt(PTRACE_SYSCALL, pid, 0, 0);
        int st = waitfor(pid, NULL);
        if (!WIFSTOPPED(st))
            break;
        struct user_regs_struct r;
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
        if ((r.rdi & ~0xffL) != MARK || r.orig_rax != SYS_getppid) {
            if (WSTOPSIG(st) == (SIGTRAP | 0x80))
                entry = !entry;     /* a stop of another call: keep count of entry/exit */
            continue;
        }
        int which = (int)(r.rdi & 0xff);
        char rax[32];                   /* getppid's result is a pid: printed as "pid" */
        snprintf(rax, sizeof rax, "%ld", (long)r.rax);
        printf("stop %d %s: status 0x%x orig_rax=%ld rax=%s\n", which, entry ? "entry" : "exit", st,
               (long)r.orig_rax, !entry && (long)r.rax > 0 ? "pid" : rax);
        if (entry && which == 1) {
            r.orig_rax = SYS_getuid;
            printf("  set orig_rax=getuid: %s\n", err(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
        } else if (entry && which == 2) {
            r.orig_rax = -1;
            r.rax = 4242;
            printf("  skip, rax=4242: %s\n", err(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
        } else if (!entry && which == 3) {
            printf("  poke rax=-7: %s\n", err(pt(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, rax), -7L)));
        } else if (entry && which == 4) {
            printf("  poke orig_rax=0xffffffff: %s\n",
                   err(pt(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, orig_rax), 0xffffffffUL)));
            long v = 0;
            pt(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, orig_rax), (unsigned long)&v);
            printf("  orig_rax reads 0x%lx\n", (unsigned long)v);
        }
        entry = !entry;
    }
    printf("traced child ended\n");
}

/* ---- step ---- */

extern char step_start[], step_syscall_end[], step_end[];

static void step_child(void)
{
    __asm__ volatile(
        ".globl step_start, step_syscall_end, step_end\n"
        "step_start:\n\t"
        "mov $39, %%eax\n\t"           /* getpid */
        "syscall\n"
        "step_syscall_end:\n\t"
        "nop\n\t"
        "mov $0x1234, %%edx\n\t"
        "pushf\n\t"
        "pop %%rdx\n"
        "step_end:\n\t"
        "nop\n"
        ::: "rax", "rcx", "rdx", "r11", "memory");
}

static void mode_step(void)
{
    pid_t pid = spawn(step_child);
    struct user_regs_struct r;
    int n = 0;
    /* single-step out of raise() to the sequence: Linux and ringlab take different paths through the library */
    do {
        pt(PTRACE_SINGLESTEP, pid, 0, 0);
        waitfor(pid, NULL);
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
    } while (r.rip != (unsigned long)step_start && ++n < 100000);
    printf("reached step_start: %s\n", r.rip == (unsigned long)step_start ? "yes" : "no");
    for (int i = 0; i < 6 && r.rip != (unsigned long)step_end + 1; i++) {
        pt(PTRACE_SINGLESTEP, pid, 0, 0);
        int st = waitfor(pid, NULL);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
        long getsi = pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
        errno = 0;
        long dr6 = 0;
        pt(PTRACE_PEEKUSER, pid, DR_OFF(6), (unsigned long)&dr6);
        printf("step %d: status 0x%x rip=step_start+%ld siginfo %s signo=%d code=%d addr=%s dr6=0x%lx "
               "eflags.TF=%d rdx.TF=%d\n", i, st, (long)(r.rip - (unsigned long)step_start), err(getsi),
               si.si_signo, si.si_code, si.si_addr == (void *)r.rip ? "rip" : si.si_addr ? "other" : "0",
               (unsigned long)dr6, !!(r.eflags & 0x100), r.rip == (unsigned long)step_end ? (int)!!(r.rdx & 0x100) : -1);
    }
    finish(pid);
}

/* ---- watch ---- */

static volatile int watched;

static void watch_child(void)
{
    watched = 1;
    __asm__ volatile("" ::: "memory");
    watched = 2;
    printf("child: watched=%d\n", watched);
}

static void mode_watch(void)
{
    pid_t pid = spawn(watch_child);
    printf("dr0=&watched: %s\n", err(pt(PTRACE_POKEUSER, pid, DR_OFF(0), (unsigned long)&watched)));
    /* L0, R/W0 = 01 (data writes), LEN0 = 11 (4 bytes): SDM Vol. 3B 17.2.4 */
    unsigned long dr7 = 0x1 | (0x1UL << 16) | (0x3UL << 18);
    printf("dr7=0x%lx: %s\n", dr7, err(pt(PTRACE_POKEUSER, pid, DR_OFF(7), dr7)));
    long v = 0;
    pt(PTRACE_PEEKUSER, pid, DR_OFF(7), (unsigned long)&v);
    printf("dr7 reads 0x%lx\n", (unsigned long)v);
    for (int hit = 0; hit < 2; hit++) {
        pt(PTRACE_CONT, pid, 0, 0);
        int st = waitfor(pid, "cont");
        if (!WIFSTOPPED(st))
            return;
        siginfo_t si;
        pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
        long dr6 = 0, w = 0;
        pt(PTRACE_PEEKUSER, pid, DR_OFF(6), (unsigned long)&dr6);
        pt(PTRACE_PEEKDATA, pid, (unsigned long)&watched, (unsigned long)&w);
        printf("hit %d: signo=%d code=%d dr6=0x%lx watched=%d\n", hit, si.si_signo, si.si_code,
               (unsigned long)dr6, (int)w);
    }
    printf("dr7=0: %s\n", err(pt(PTRACE_POKEUSER, pid, DR_OFF(7), 0)));
    finish(pid);
}

/* ---- dr: the debug-register writes Linux refuses ---- */

static void idle_child(void)
{
}

static void mode_dr(void)
{
    pid_t pid = spawn(idle_child);
    static const struct { const char *what; int n; unsigned long v; } w[] = {
        { "dr0 kernel text", 0, 0xffffffff81000000UL },
        { "dr0 TASK_SIZE_MAX", 0, 0x7ffffffff000UL },
        { "dr0 last user page", 0, 0x7fffffffe000UL },
        { "dr0 non-canonical", 0, 0x0000800000000000UL },
        { "dr1 user", 1, 0x601000UL },
        { "dr4", 4, 0 },
        { "dr5", 5, 0 },
        { "dr6 0", 6, 0 },
        { "dr7 io type (R/W=10)", 7, 0x1 | (0x2UL << 16) },
        { "dr7 exec len 4", 7, 0x1 | (0x0UL << 16) | (0x3UL << 18) },
        { "dr7 exec len 1", 7, 0x1 },
        { "dr3 misaligned for len 8", 3, 0x601003UL },
        { "dr7 len 8 write on dr3", 7, 0x40 | (0x1UL << 28) | (0x2UL << 30) },
        { "dr3 aligned", 3, 0x601008UL },
        { "dr7 len 8 write on dr3 again", 7, 0x40 | (0x1UL << 28) | (0x2UL << 30) },
        { "dr3 misaligned while enabled", 3, 0x601004UL },
        { "dr3 kernel while enabled", 3, 0xffff888000000000UL },
        { "dr7 with GD and GE set", 7, (1UL << 13) | (1UL << 9) },
        { "dr7 all enabled rw len 2", 7, 0xff | 0x0d0d0000UL | 0xd0d00000UL },
        { "dr7 upper half set", 7, 0xffffffff00000000UL },
    };
    for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
        long r = pt(PTRACE_POKEUSER, pid, DR_OFF(w[i].n), w[i].v);
        long back = -1;
        pt(PTRACE_PEEKUSER, pid, DR_OFF(w[i].n), (unsigned long)&back);
        printf("%-30s %-6s reads 0x%lx\n", w[i].what, err(r), (unsigned long)back);
    }
    long dr0 = 0;
    printf("peek misaligned dr: %s\n", err(pt(PTRACE_PEEKUSER, pid, DR_OFF(0) + 4, (unsigned long)&dr0)));
    printf("poke u_fpvalid: %s\n", err(pt(PTRACE_POKEUSER, pid, offsetof(struct user, u_fpvalid), 1)));
    long fpv = 7;
    long rf = pt(PTRACE_PEEKUSER, pid, offsetof(struct user, u_fpvalid), (unsigned long)&fpv);
    printf("peek u_fpvalid: %s %ld\n", err(rf), fpv);
    rf = pt(PTRACE_PEEKUSER, pid, USER_BYTES - 8, (unsigned long)&fpv);
    printf("peek last word: %s %ld\n", err(rf), fpv);
    printf("peek past struct user: %s\n", err(pt(PTRACE_PEEKUSER, pid, USER_BYTES, (unsigned long)&fpv)));
    pt(PTRACE_POKEUSER, pid, DR_OFF(7), 0);
    finish(pid);
}

/* ---- signal ---- */

static volatile sig_atomic_t got, got_code;

static void handler(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got = sig;
    got_code = si->si_code;
}

static void signal_child(void)
{
    struct sigaction sa = { .sa_sigaction = handler, .sa_flags = SA_SIGINFO };
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGWINCH, SIG_IGN);
    raise(SIGUSR1);
    printf("child: after SIGUSR1 got=%d\n", (int)got);
    raise(SIGUSR2);
    printf("child: after SIGUSR2 got=%d code=%d\n", (int)got, (int)got_code);
    got = 0;
    raise(SIGWINCH);
    printf("child: after SIGWINCH got=%d\n", (int)got);
    raise(SIGUSR2);
    printf("child: after SIGUSR2 with siginfo got=%d code=%d\n", (int)got, (int)got_code);
    raise(SIGTERM);
    printf("child: survived SIGTERM\n");
}

static void mode_signal(void)
{
    pid_t pid = spawn(signal_child);
    siginfo_t si;
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid, "SIGUSR1 stop");
    pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
    printf("siginfo: signo=%d code=%d\n", si.si_signo, si.si_code);
    pt(PTRACE_CONT, pid, 0, 0);                          /* suppressed */
    st = waitfor(pid, "SIGUSR2 stop");
    pt(PTRACE_CONT, pid, 0, SIGUSR1);                    /* replaced by SIGUSR1 */
    st = waitfor(pid, "SIGWINCH (ignored) stop");
    pt(PTRACE_CONT, pid, 0, SIGWINCH);
    st = waitfor(pid, "SIGUSR2 stop");
    pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
    si.si_code = -42;                                    /* SETSIGINFO: the handler sees this code */
    printf("setsiginfo: %s\n", err(pt(PTRACE_SETSIGINFO, pid, 0, (unsigned long)&si)));
    pt(PTRACE_CONT, pid, 0, SIGUSR2);
    st = waitfor(pid, "SIGTERM stop");
    pt(PTRACE_CONT, pid, 0, 0);
    (void)st;
    finish(pid);
}

/* ---- regs ---- */

struct poke {
    const char *what;
    size_t off;
    unsigned long v;
};

static void regs_child(void)
{
    printf("child: running after the register sets\n");
}

static void mode_regs(void)
{
    pid_t pid = spawn(regs_child);
    static const struct poke p[] = {
        { "cs=0x10 (kernel)", offsetof(struct user_regs_struct, cs), 0x10 },
        { "cs=0x08", offsetof(struct user_regs_struct, cs), 0x08 },
        { "cs=0", offsetof(struct user_regs_struct, cs), 0 },
        { "ss=0x18 (kernel)", offsetof(struct user_regs_struct, ss), 0x18 },
        { "ss=0", offsetof(struct user_regs_struct, ss), 0 },
        { "ds=0x10", offsetof(struct user_regs_struct, ds), 0x10 },
        { "fs=0x12", offsetof(struct user_regs_struct, fs), 0x12 },
        { "gs=0x18", offsetof(struct user_regs_struct, gs), 0x18 },
        { "fs_base kernel", offsetof(struct user_regs_struct, fs_base), 0xffffffff81000000UL },
        { "fs_base TASK_SIZE_MAX", offsetof(struct user_regs_struct, fs_base), 0x7ffffffff000UL },
        { "fs_base non-canonical", offsetof(struct user_regs_struct, fs_base), 0x0000800000000000UL },
        { "gs_base kernel", offsetof(struct user_regs_struct, gs_base), 0xffff888000000000UL },
        { "gs_base user", offsetof(struct user_regs_struct, gs_base), 0x7ffffffe0000UL },
        { "gs_base 0", offsetof(struct user_regs_struct, gs_base), 0 },
        { "eflags IOPL3|NT|VM|VIF|VIP|ID", offsetof(struct user_regs_struct, eflags),
          0x3000 | 0x4000 | 0x20000 | 0x80000 | 0x100000 | 0x200000 | 0x202 },
        { "eflags IF clear", offsetof(struct user_regs_struct, eflags), 0x2 },
        { "eflags AC|DF|OF|CF", offsetof(struct user_regs_struct, eflags), 0x40000 | 0x400 | 0x800 | 0x1 | 0x202 },
        { "eflags back", offsetof(struct user_regs_struct, eflags), 0x246 },
        { "orig_rax 0x1ffffffff", offsetof(struct user_regs_struct, orig_rax), 0x1ffffffffUL },
        { "misaligned offset", 3, 0 },
        { "offset in struct user", sizeof(struct user), 0 },
        { "offset past struct user", USER_BYTES, 0 },
    };
    for (size_t i = 0; i < sizeof p / sizeof p[0]; i++) {
        long r = pt(PTRACE_POKEUSER, pid, p[i].off, p[i].v);
        long back = -1;
        long rb = pt(PTRACE_PEEKUSER, pid, p[i].off, (unsigned long)&back);
        printf("%-32s %-6s reads %s 0x%lx\n", p[i].what, err(r), rb < 0 ? err(rb) : "ok", (unsigned long)back);
    }
    /* SETREGS stops at the first register it refuses: what came before it is set (Linux genregs_set) */
    struct user_regs_struct r, saved;
    pt(PTRACE_GETREGS, pid, 0, (unsigned long)&saved);
    r = saved;
    r.cs = 0x10;
    r.r15 = 0x1515;
    printf("setregs cs=0x10: %s\n", err(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
    pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
    printf("  r15 after: 0x%lx cs 0x%lx\n", (unsigned long)r.r15, (unsigned long)r.cs);
    r = saved;
    r.fs_base = 0xffff800000000000UL;
    printf("setregs fs_base kernel: %s\n", err(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
    /* regsets: NT_PRSTATUS partially, a length not a multiple of 8, NT_X86_XSTATE */
    struct iovec iov = { &r, 8 * 3 };
    long rr = pt(PTRACE_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov);
    printf("getregset prstatus 24: %s len=%zu\n", err(rr), iov.iov_len);
    iov.iov_len = 5;
    printf("getregset prstatus 5: %s\n", err(pt(PTRACE_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov)));
    iov.iov_len = 4096;
    rr = pt(PTRACE_GETREGSET, pid, NT_PRSTATUS, (unsigned long)&iov);
    printf("getregset prstatus 4096: %s len=%zu\n", err(rr), iov.iov_len);
    static char fp[4096];
    iov = (struct iovec){ fp, sizeof fp };
    rr = pt(PTRACE_GETREGSET, pid, NT_PRFPREG, (unsigned long)&iov);
    printf("getregset prfpreg: %s len=%zu\n", err(rr), iov.iov_len);
    iov = (struct iovec){ fp, 3 };
    printf("getregset bad type: %s\n", err(pt(PTRACE_GETREGSET, pid, 0x4242, (unsigned long)&iov)));
    unsigned long base = 1;
    long ar = pt(PTRACE_ARCH_PRCTL, pid, (unsigned long)&base, 0x1003 /* ARCH_GET_FS */);
    printf("arch_prctl get_fs: %s %s\n", err(ar), base == saved.fs_base ? "= fs_base" : "differs");
    printf("arch_prctl set_fs kernel: %s\n", err(pt(PTRACE_ARCH_PRCTL, pid, 0xffffffff81000000UL, 0x1002)));
    printf("arch_prctl set_gs: %s\n", err(pt(PTRACE_ARCH_PRCTL, pid, 0x7ffffffe0000UL, 0x1001)));
    pt(PTRACE_ARCH_PRCTL, pid, (unsigned long)&base, 0x1004 /* ARCH_GET_GS */);
    printf("  gs reads 0x%lx\n", base);
    pt(PTRACE_ARCH_PRCTL, pid, 0, 0x1001);
    printf("arch_prctl bad code: %s\n", err(pt(PTRACE_ARCH_PRCTL, pid, 0, 0x1077)));
    printf("arch_prctl get_fs bad buffer: %s\n", err(pt(PTRACE_ARCH_PRCTL, pid, 8, 0x1003)));
    struct user_fpregs_struct f;
    pt(PTRACE_GETFPREGS, pid, 0, (unsigned long)&f);
    printf("fpregs cwd=0x%x mxcsr=0x%x\n", f.cwd, f.mxcsr);
    f.mxcsr = 0xffffffff;
    printf("setfpregs mxcsr reserved bits: %s\n", err(pt(PTRACE_SETFPREGS, pid, 0, (unsigned long)&f)));
    pt(PTRACE_GETFPREGS, pid, 0, (unsigned long)&f);
    printf("  mxcsr after 0x%x\n", f.mxcsr);
    pt(PTRACE_SETREGS, pid, 0, (unsigned long)&saved);

    /* A non-canonical RIP, then a kernel one: the tracee faults in ring 3 (SIGSEGV), never the kernel */
    static const unsigned long rips[] = { 0x8000000000000000UL, 0xffffffff81000000UL };
    for (int i = 0; i < 2; i++) {
        r = saved;
        r.rip = rips[i];
        printf("setregs rip=0x%lx: %s\n", rips[i], err(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
        pt(PTRACE_CONT, pid, 0, 0);
        int st = waitfor(pid, "  resumed");
        siginfo_t si;
        memset(&si, 0, sizeof si);
        pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
        printf("  signo=%d code=%d addr=0x%lx rip=0x%lx\n", si.si_signo, si.si_code,
               (unsigned long)si.si_addr, (unsigned long)r.rip);
        (void)st;
        pt(PTRACE_SETREGS, pid, 0, (unsigned long)&saved);
    }
    /* CS 0x2b (the user data selector, RPL 3): accepted, and the return to ring 3 faults */
    r = saved;
    r.cs = 0x2b;
    printf("setregs cs=0x2b: %s\n", err(pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r)));
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid, "  resumed");
    if (WIFSTOPPED(st)) {
        siginfo_t si;
        pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
        printf("  signo=%d code=%d\n", si.si_signo, si.si_code);
        pt(PTRACE_SETREGS, pid, 0, (unsigned long)&saved);
    }
    finish(pid);
}

/* ---- errors ---- */

/* After the detach the child runs on its own: it answers through its exit status (11: a second
   TRACEME worked), not a line that could come before or after the parent's. */
static void errors_child(void)
{
    _exit(ptrace(PTRACE_TRACEME, 0, 0, 0) == 0 ? 11 : 12);
}

static void mode_errors(void)
{
    printf("attach self: %s\n", err(pt(PTRACE_ATTACH, getpid(), 0, 0)));
    printf("attach no such pid: %s\n", err(pt(PTRACE_ATTACH, 0x3ffffff0, 0, 0)));
    printf("cont untraced: %s\n", err(pt(PTRACE_CONT, getpid(), 0, 0)));
    printf("traceme then nobody: skipped\n");
    fflush(stdout);
    pid_t plain = fork();
    if (plain == 0) {
        pause();
        _exit(0);
    }
    printf("cont a child not traced: %s\n", err(pt(PTRACE_CONT, plain, 0, 0)));
    printf("seize with addr: %s\n", err(pt(PTRACE_SEIZE, plain, 1, 0)));
    printf("seize bad option: %s\n", err(pt(PTRACE_SEIZE, plain, 0, 0x80000000UL)));
    printf("seize: %s\n", err(pt(PTRACE_SEIZE, plain, 0, 0)));
    printf("attach again: %s\n", err(pt(PTRACE_ATTACH, plain, 0, 0)));
    printf("seize again: %s\n", err(pt(PTRACE_SEIZE, plain, 0, 0)));
    printf("cont while running: %s\n", err(pt(PTRACE_CONT, plain, 0, 0)));
    printf("getregs while running: %s\n", err(pt(PTRACE_GETREGS, plain, 0, 0)));
    printf("kill: %s\n", err(pt(PTRACE_KILL, plain, 0, 0)));
    int st = waitfor(plain, "after kill");
    (void)st;

    pid_t pid = spawn(errors_child);
    long w;
    printf("peekdata 0: %s\n", err(pt(PTRACE_PEEKDATA, pid, 0, (unsigned long)&w)));
    printf("peekdata kernel: %s\n", err(pt(PTRACE_PEEKDATA, pid, 0xffffffff81000000UL, (unsigned long)&w)));
    printf("peekdata non-canonical: %s\n", err(pt(PTRACE_PEEKDATA, pid, 0x8000000000000000UL, (unsigned long)&w)));
    printf("peekdata to a bad buffer: %s\n", err(pt(PTRACE_PEEKDATA, pid, (unsigned long)&watched, 8)));
    printf("pokedata 0: %s\n", err(pt(PTRACE_POKEDATA, pid, 0, 1)));
    static long word = 0x1122334455667788L;
    printf("peekdata: %s", err(pt(PTRACE_PEEKDATA, pid, (unsigned long)&word, (unsigned long)&w)));
    printf(" 0x%lx\n", w);
    printf("poketext into text: %s\n", err(pt(PTRACE_POKETEXT, pid, (unsigned long)errors_child, 0x9090909090909090UL)));
    long t = 0;
    pt(PTRACE_PEEKTEXT, pid, (unsigned long)errors_child, (unsigned long)&t);
    printf("peektext reads 0x%lx\n", (unsigned long)t);
    printf("unknown request: %s\n", err(pt(0x4277, pid, 0, 0)));
    printf("setoptions bad: %s\n", err(pt(PTRACE_SETOPTIONS, pid, 0, 0x400)));
    printf("interrupt non-seized: %s\n", err(pt(PTRACE_INTERRUPT, pid, 0, 0)));
    printf("cont bad signal: %s\n", err(pt(PTRACE_CONT, pid, 0, 65)));
    siginfo_t si;
    memset(&si, 0, sizeof si);
    long r = pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
    printf("getsiginfo at the SIGSTOP: %s signo=%d code=%d\n", err(r), si.si_signo, si.si_code);
    printf("getregs bad buffer: %s\n", err(pt(PTRACE_GETREGS, pid, 0, 8)));
    unsigned long mask = 0;
    printf("getsigmask size 4: %s\n", err(pt(PTRACE_GETSIGMASK, pid, 4, (unsigned long)&mask)));
    printf("getsigmask: %s", err(pt(PTRACE_GETSIGMASK, pid, 8, (unsigned long)&mask)));
    printf(" 0x%lx\n", mask);
    unsigned long all = ~0UL;
    printf("setsigmask all: %s", err(pt(PTRACE_SETSIGMASK, pid, 8, (unsigned long)&all)));
    pt(PTRACE_GETSIGMASK, pid, 8, (unsigned long)&mask);
    printf(" reads 0x%lx\n", mask);
    unsigned long none = 0;
    printf("setsigmask none: %s\n", err(pt(PTRACE_SETSIGMASK, pid, 8, (unsigned long)&none)));
    printf("geteventmsg: %s\n", err(pt(PTRACE_GETEVENTMSG, pid, 0, (unsigned long)&w)));
    /* put the text back: the child runs it */
    printf("poketext back: %s\n", err(pt(PTRACE_POKETEXT, pid, (unsigned long)errors_child, (unsigned long)*(long *)errors_child)));
    printf("detach: %s\n", err(pt(PTRACE_DETACH, pid, 0, 0)));
    printf("cont after detach: %s\n", err(pt(PTRACE_CONT, pid, 0, 0)));
    st = waitfor(pid, "detached child");
}

/* ---- events ---- */

static volatile pid_t thread_tid;

static int thread_fn(void *arg)
{
    (void)arg;
    syscall(SYS_exit, 3);
    return 0;
}

static void events_child(void)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0)
        _exit(5);
    int st;
    waitpid(c, &st, 0);
    printf("child: forked child exited %d\n", WEXITSTATUS(st));
    static char stack[16384] __attribute__((aligned(16)));
    fflush(stdout);
    pid_t t = clone(thread_fn, stack + sizeof stack, CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
                    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID, NULL,
                    &thread_tid, NULL, &thread_tid);
    while (t > 0 && thread_tid)                          /* the kernel clears it when the thread ends */
        sched_yield();
    fflush(stdout);
    char *argv[] = { "ptparity", "exec-target", NULL };
    execv("/proc/self/exe", argv);
    execv("ptparity", argv);
    execv("/ptparity", argv);
    printf("child: exec failed\n");
}

static const char *event_name(int ev)
{
    static const char *n[] = { "none", "fork", "vfork", "clone", "exec", "vfork_done", "exit" };
    return ev < 7 ? n[ev] : ev == 128 ? "stop" : "?";
}

/* The tracees of mode_events, by role: what each one reported, in its own order (the order of
   stops of different tracees depends on the scheduler, on Linux as in ringlab). */
struct tracee {
    pid_t pid;
    const char *role;
    char log[512];
};

static struct tracee *tracee_of(struct tracee *t, int *n, pid_t pid)
{
    for (int i = 0; i < *n; i++)
        if (t[i].pid == pid)
            return &t[i];
    t[*n] = (struct tracee){ .pid = pid, .role = "unknown" };
    return &t[(*n)++];
}

static void mode_events(void)
{
    pid_t pid = spawn(events_child);
    printf("setoptions: %s\n", err(pt(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE |
                                      PTRACE_O_TRACEEXEC | PTRACE_O_TRACEEXIT)));
    struct tracee t[8];
    int n = 0, live = 1;
    tracee_of(t, &n, pid)->role = "main";
    pt(PTRACE_CONT, pid, 0, 0);
    while (live > 0 && n < 7) {
        int st;
        pid_t w = waitpid(-1, &st, __WALL);
        if (w < 0)
            break;
        /* A new tracee's first stop may come before its parent's fork/clone event (on Linux as
           here): it is live from whichever is seen first. */
        int seen = n;
        struct tracee *me = tracee_of(t, &n, w);
        live += n > seen;
        char *log = me->log + strlen(me->log);
        size_t room = sizeof me->log - strlen(me->log);
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            snprintf(log, room, " %s %d;", WIFEXITED(st) ? "exited" : "killed", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            live--;
            continue;
        }
        int ev = st >> 16, sig = WSTOPSIG(st);
        unsigned long msg = 0;
        if (ev) {
            pt(PTRACE_GETEVENTMSG, w, 0, (unsigned long)&msg);
            const char *m = "?";
            if (ev == PTRACE_EVENT_EXIT)
                m = msg == 0 ? "0" : msg == (3 << 8) ? "3<<8" : msg == (5 << 8) ? "5<<8" : msg == (7 << 8) ? "7<<8" : "other";
            else if (ev == PTRACE_EVENT_EXEC)
                m = (pid_t)msg == w ? "own tid" : "other";
            else {
                m = "a new tracee";
                int before = n;
                struct tracee *c = tracee_of(t, &n, (pid_t)msg);
                me = tracee_of(t, &n, w);             /* the table may have grown */
                log = me->log + strlen(me->log);
                room = sizeof me->log - strlen(me->log);
                c->role = ev == PTRACE_EVENT_CLONE ? "thread" : "forked";
                live += n > before;
            }
            snprintf(log, room, " event %s sig=%d msg=%s;", event_name(ev), sig, m);
            pt(PTRACE_CONT, w, 0, 0);
        } else {
            snprintf(log, room, " signal %d;", sig);
            pt(PTRACE_CONT, w, 0, sig == SIGSTOP ? 0 : sig);
        }
    }
    static const char *const roles[] = { "main", "forked", "thread", "unknown" };
    for (int r = 0; r < 4; r++)
        for (int i = 0; i < n; i++)
            if (!strcmp(t[i].role, roles[r]))
                printf("%s:%s\n", t[i].role, t[i].log);

    /* SEIZE and INTERRUPT: a running child stops with PTRACE_EVENT_STOP */
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        for (;;)
            pause();
    }
    printf("seize: %s\n", err(pt(PTRACE_SEIZE, c, 0, PTRACE_O_EXITKILL)));
    printf("interrupt: %s\n", err(pt(PTRACE_INTERRUPT, c, 0, 0)));
    int st = waitfor(c, "after interrupt");
    printf("event %s sig %d\n", event_name(st >> 16), WSTOPSIG(st));
    siginfo_t si;
    printf("getsiginfo: %s", err(pt(PTRACE_GETSIGINFO, c, 0, (unsigned long)&si)));
    printf(" signo=%d code=0x%x\n", si.si_signo, si.si_code);
    kill(c, SIGUSR1);
    pt(PTRACE_CONT, c, 0, 0);
    st = waitfor(c, "after SIGUSR1");
    pt(PTRACE_CONT, c, 0, SIGUSR1);
    st = waitfor(c, "delivered");
    printf("killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

/* ---- perm ---- */

static void drop_to_user(void)
{
    if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000)) {
        printf("cannot drop to uid 1000\n");
        _exit(9);
    }
}

/* A process that says it is ready on fd `fd` and waits: `ptparity pause FD`. */
static void mode_pause(int fd)
{
    if (write(fd, "r", 1) != 1)
        _exit(8);
    for (;;)
        pause();
}

static pid_t waiting_child(bool drop, bool exec_after)
{
    int p[2];
    char c, fd[16];
    if (pipe(p))
        exit(1);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        if (drop)
            drop_to_user();
        if (exec_after) {
            snprintf(fd, sizeof fd, "%d", p[1]);
            execl("ptparity", "ptparity", "pause", fd, (char *)NULL);
            _exit(7);
        }
        mode_pause(p[1]);
    }
    close(p[1]);
    if (read(p[0], &c, 1) != 1)
        printf("a waiting child did not start\n");
    close(p[0]);
    return pid;
}

static void mode_perm_user(char **pids)
{
    static const char *const what[] = { "a root process", "one that dropped to my uid without exec",
                                         "one that dropped to my uid and exec'd" };
    for (int i = 0; i < 3; i++) {
        pid_t t = (pid_t)atoi(pids[i]);
        long r = pt(PTRACE_ATTACH, t, 0, 0);
        printf("uid 1000 attaches %s: %s\n", what[i], err(r));
        if (r == 0) {
            waitfor(t, "  its stop");
            printf("  detach: %s\n", err(pt(PTRACE_DETACH, t, 0, 0)));
        }
    }
    printf("uid 1000 attaches pid 0: %s\n", err(pt(PTRACE_ATTACH, 0, 0, 0)));
}

static void mode_perm(void)
{
    if (chmod(".", 0755))                 /* uid 1000 execs ./ptparity from here */
        printf("chmod: %s\n", errname(errno));
    pid_t c[3] = { waiting_child(false, false), waiting_child(true, false), waiting_child(true, true) };
    char a[3][16];
    for (int i = 0; i < 3; i++)
        snprintf(a[i], sizeof a[i], "%d", (int)c[i]);
    fflush(stdout);
    pid_t d = fork();
    if (d == 0) {
        drop_to_user();
        execl("ptparity", "ptparity", "perm-user", a[0], a[1], a[2], (char *)NULL);
        printf("exec as uid 1000: %s\n", errname(errno));
        _exit(7);
    }
    int st;
    waitpid(d, &st, 0);
    printf("the uid 1000 tracer ended: 0x%x\n", st);
    long r = pt(PTRACE_ATTACH, c[1], 0, 0);
    printf("root (CAP_SYS_PTRACE) attaches the one that is not dumpable: %s\n", err(r));
    if (r == 0) {
        waitfor(c[1], "  its stop");
        pt(PTRACE_DETACH, c[1], 0, 0);
    }
    for (int i = 0; i < 3; i++) {
        kill(c[i], SIGKILL);
        waitpid(c[i], &st, 0);
        printf("child %d: 0x%x\n", i, st);
    }
}

/* ---- lifetimes ---- */

/* A tracer (a child of ours) traces its own child, resumes it, and exits without detaching. */
static void tracer_exits(bool exitkill)
{
    int say[2], go[2];
    if (pipe(say) || pipe(go))
        exit(1);
    fflush(stdout);
    pid_t t = fork();
    if (t == 0) {
        pid_t x = fork();
        if (x == 0) {
            char c;
            close(say[0]);
            close(go[1]);
            ptrace(PTRACE_TRACEME, 0, 0, 0);
            raise(SIGSTOP);
            if (read(go[0], &c, 1) == 1 && write(say[1], "alive", 5) != 5)
                _exit(6);
            _exit(0);
        }
        int st;
        waitpid(x, &st, 0);
        if (exitkill)
            pt(PTRACE_SETOPTIONS, x, 0, PTRACE_O_EXITKILL);
        pt(PTRACE_CONT, x, 0, 0);
        _exit(WIFSTOPPED(st) ? 0 : 1);      /* the tracer leaves; its tracee blocks in read */
    }
    close(say[1]);
    close(go[0]);
    int st;
    waitpid(t, &st, 0);
    signal(SIGPIPE, SIG_IGN);               /* a killed tracee may have closed it already: no matter */
    ssize_t w = write(go[1], "g", 1);
    (void)w;
    signal(SIGPIPE, SIG_DFL);
    close(go[1]);
    char buf[16] = "";
    ssize_t n = read(say[0], buf, sizeof buf - 1);
    printf("tracer exited (%s): status 0x%x; its tracee then %s\n", exitkill ? "EXITKILL" : "no option", st,
           n > 0 ? "said it is alive" : "was gone (pipe EOF)");
    close(say[0]);
}

static void mode_lifetimes(void)
{
    tracer_exits(false);
    tracer_exits(true);
    pid_t x = spawn(idle_child);
    printf("SIGKILL in a stop: %s\n", err(kill(x, SIGKILL)));
    waitfor(x, "  then");
    printf("waitpid again: %s\n", err(waitpid(x, NULL, __WALL)));
    pid_t y = spawn(idle_child);
    printf("setoptions TRACEEXIT: %s\n", err(pt(PTRACE_SETOPTIONS, y, 0, PTRACE_O_TRACEEXIT)));
    pt(PTRACE_CONT, y, 0, 0);
    int st = waitfor(y, "exit event");
    printf("  event %d\n", st >> 16);
    printf("detach at the exit event: %s\n", err(pt(PTRACE_DETACH, y, 0, 0)));
    waitfor(y, "  then");
}

/* ---- race: tracers that leave at any moment (ringlab survival under the sanitizer kernel) ---- */

static int race_thread(void *arg)
{
    (void)arg;
    syscall(SYS_getpid);
    syscall(SYS_exit, 0);
    return 0;
}

/* The tracee: threads that end at once, a fork, then an exec (ptparity exec-target) from the leader. */
static void race_tracee(void)
{
    static char stacks[3][8192] __attribute__((aligned(16)));
    for (int i = 0; i < 3; i++)
        clone(race_thread, stacks[i] + sizeof stacks[i], CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
              CLONE_THREAD | CLONE_SYSVSEM, NULL);
    pid_t c = fork();
    if (c == 0)
        _exit(3);
    char *argv[] = { "ptparity", "race-target", NULL };
    execv("ptparity", argv);
    _exit(4);
}

/*
 * Round r: a tracer process traces race_tracee with every option and follows its threads and
 * children through PTRACE_SYSCALL, then after r stops leaves - by exiting (every third round
 * with EXITKILL), by detaching the one it saw last, or by PTRACE_KILL. Whatever each tracee was
 * doing, the kernel must carry on: nothing freed twice, nobody left stopped for a gone tracer.
 */
static void mode_race(void)
{
    for (int r = 0; r < 40; r++) {
        fflush(stdout);
        pid_t tracer = fork();
        if (tracer == 0) {
            pid_t t = fork();
            if (t == 0) {
                ptrace(PTRACE_TRACEME, 0, 0, 0);
                raise(SIGSTOP);
                race_tracee();
            }
            waitpid(t, NULL, 0);
            long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
                        PTRACE_O_TRACEEXIT | (r % 3 == 0 ? PTRACE_O_EXITKILL : 0);
            pt(PTRACE_SETOPTIONS, t, 0, (unsigned long)opts);
            pt(PTRACE_SYSCALL, t, 0, 0);
            pid_t last = t;
            for (int stops = 0; stops < r; stops++) {
                int st;
                pid_t w = waitpid(-1, &st, __WALL);
                if (w < 0)
                    break;
                last = w;
                if (WIFSTOPPED(st))
                    pt(PTRACE_SYSCALL, w, 0, (st >> 8) == SIGTRAP || (st >> 8) == (SIGTRAP | 0x80) ||
                       WSTOPSIG(st) == SIGSTOP || (st >> 16) ? 0 : WSTOPSIG(st));
            }
            if (r % 4 == 1)
                pt(PTRACE_DETACH, last, 0, 0);
            else if (r % 4 == 2)
                pt(PTRACE_KILL, last, 0, 0);
            _exit(0);                       /* the tracees it leaves run on, detached (or die) */
        }
        waitpid(tracer, NULL, 0);
    }
    /* Tracees left running end by themselves; reap whatever is ours, then say we are done. */
    for (int i = 0; i < 400 && waitpid(-1, NULL, __WALL | WNOHANG) >= 0; i++)
        sched_yield();
    printf("race: done\n");
}

/* ---- m32: the system-call stops of a 32-bit (i386) tracee ---- */

static void mode_m32(const char *program)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);  /* not a terminal: stdio buffers alike everywhere */
        if (null >= 0)
            dup2(null, 1);
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        execl(program, program, (char *)NULL);
        _exit(127);
    }
    waitfor(pid, "first stop");
    pt(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC);
    bool entry = true;
    for (;;) {
        pt(PTRACE_SYSCALL, pid, 0, 0);
        int st = waitfor(pid, NULL);
        if (!WIFSTOPPED(st)) {
            printf("m32: %s %d\n", WIFEXITED(st) ? "exited" : "killed",
                   WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
            break;
        }
        if (WSTOPSIG(st) != (SIGTRAP | 0x80))
            continue;                   /* the exec event */
        struct user_regs_struct r;
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
        if (entry && (long)r.orig_rax == 4) {   /* i386 write: its length argument in EDX */
            /* the length depends on how stdio buffers (the terminal's isatty), not on ptrace */
            printf("m32: write entry: cs=0x%lx rax=%ld fd=%ld len>0=%d\n", (unsigned long)r.cs, (long)r.rax,
                   (long)r.rbx, r.rdx > 0);
            r.rdx = 3;                  /* the tracer shortens it: the tracee writes 3 bytes */
            pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r);
        } else if (!entry && (long)r.orig_rax == 4) {
            printf("m32: write exit: rax=%ld\n", (long)r.rax);
        } else if (entry && ((long)r.orig_rax == 252 || (long)r.orig_rax == 1)) {
            printf("m32: exit entry: orig_rax=%ld ebx=%ld\n", (long)r.orig_rax, (long)r.rbx);
        }
        entry = (long)r.orig_rax == 252 || (long)r.orig_rax == 1 ? entry : !entry;
    }
}

/* ---- init: run as pid 1 (ringlab only: on the host pid 1 is the host's init) ---- */

static void mode_init(void)
{
    if (getpid() != 1) {
        printf("init: not pid 1\n");
        return;
    }
    printf("init: traceme: %s\n", err(pt(PTRACE_TRACEME, 0, 0, 0)));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        printf("init: a child attaches pid 1: %s\n", err(pt(PTRACE_ATTACH, 1, 0, 0)));
        printf("init: a child seizes pid 1: %s\n", err(pt(PTRACE_SEIZE, 1, 0, 0)));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *m = argc > 1 ? argv[1] : "";
    if (!strcmp(m, "race-target"))
        return 0;
    if (!strcmp(m, "exec-target")) {
        printf("exec-target: running\n");
        return 7;
    }
    if (!strcmp(m, "pause") && argc > 2)
        mode_pause(atoi(argv[2]));
    if (!strcmp(m, "perm-user") && argc > 4) {
        mode_perm_user(argv + 2);
        return 0;
    }
    if (!strcmp(m, "syscall")) mode_syscall();
    else if (!strcmp(m, "step")) mode_step();
    else if (!strcmp(m, "watch")) mode_watch();
    else if (!strcmp(m, "dr")) mode_dr();
    else if (!strcmp(m, "signal")) mode_signal();
    else if (!strcmp(m, "regs")) mode_regs();
    else if (!strcmp(m, "errors")) mode_errors();
    else if (!strcmp(m, "events")) mode_events();
    else if (!strcmp(m, "perm")) mode_perm();
    else if (!strcmp(m, "lifetimes")) mode_lifetimes();
    else if (!strcmp(m, "init")) mode_init();
    else if (!strcmp(m, "race")) mode_race();
    else if (!strcmp(m, "m32") && argc > 2) mode_m32(argv[2]);
    else {
        printf("usage: ptparity syscall|step|watch|dr|signal|regs|errors|events|perm|lifetimes\n");
        return 2;
    }
    return 0;
}
