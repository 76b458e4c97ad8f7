/*
 * rstrace: a small strace. `rstrace PROGRAM ARGS...` runs PROGRAM under ptrace and prints each
 * system call it makes, and those of the processes and threads it creates, as strace prints
 * them: `[pid N] name(args) = ret`, an error as `-1 ENAME (message)`, a restart as
 * `? ERESTARTSYS (...)`, a signal as `--- SIGNAME ---`, an end as `+++ exited with N +++`.
 * Every line starts with "rstrace: " so it can be told from the program's own output
 * (tests/test_rstrace.py compares the calls and results with the host's strace).
 *
 * How: the child asks PTRACE_TRACEME and stops itself (SIGSTOP) before its execve; the tracer
 * sets TRACESYSGOOD (syscall stops are SIGTRAP | 0x80) and TRACEFORK/VFORK/CLONE/EXEC (new
 * processes and threads are traced from their first instruction), then resumes every stop
 * with PTRACE_SYSCALL. A call is printed at its exit stop from the arguments saved at entry
 * (execve's strings are gone after a successful exec); exit and exit_group at entry, with `?`.
 * Names of calls and errors: generated from musl's headers at build time (rstrace_names.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TRACEES 64
#define STR_MAX     32                  /* strace's default -s: longer strings end in "..." */
#define LINE_MAX_   512

#define SYSNAME(n, name) [n] = #name,
#define ERRNAME(n, name)
static const char *const sysnames[] = {
#include "rstrace_names.h"
};
#undef SYSNAME
#undef ERRNAME
#define SYSNAME(n, name)
#define ERRNAME(n, name) [n] = #name,
static const char *const errnames[] = {
#include "rstrace_names.h"
};

/*
 * How strace prints the arguments of the common calls, one letter per argument: d int,
 * u unsigned, f file descriptor (AT_FDCWD by name), s string (a path), p pointer (NULL or
 * hex), x hex (flags, modes as octal: o). Calls not listed print their first three
 * arguments in hex.
 */
static const struct { int nr; const char *kinds; } ARGS[] = {
    { SYS_read, "fpu" }, { SYS_write, "fpu" }, { SYS_open, "sxo" }, { SYS_close, "f" },
    { SYS_stat, "sp" }, { SYS_fstat, "fp" }, { SYS_lstat, "sp" }, { SYS_lseek, "fdd" },
    { SYS_mmap, "puxxfx" }, { SYS_mprotect, "pux" }, { SYS_munmap, "pu" }, { SYS_brk, "p" },
    { SYS_rt_sigaction, "dppu" }, { SYS_rt_sigprocmask, "dppu" }, { SYS_rt_sigreturn, "" },
    { SYS_ioctl, "fxp" }, { SYS_pread64, "fpud" }, { SYS_pwrite64, "fpud" }, { SYS_readv, "fpd" },
    { SYS_writev, "fpd" }, { SYS_access, "so" }, { SYS_pipe, "p" }, { SYS_sched_yield, "" },
    { SYS_dup, "f" }, { SYS_dup2, "ff" }, { SYS_pause, "" }, { SYS_nanosleep, "pp" }, { SYS_getpid, "" },
    { SYS_clone, "xppp" }, { SYS_fork, "" }, { SYS_vfork, "" }, { SYS_execve, "spp" },
    { SYS_exit, "d" }, { SYS_wait4, "dpxp" }, { SYS_kill, "dd" }, { SYS_uname, "p" }, { SYS_fcntl, "fdx" },
    { SYS_getcwd, "pu" }, { SYS_chdir, "s" }, { SYS_mkdir, "so" }, { SYS_rmdir, "s" }, { SYS_unlink, "s" },
    { SYS_getuid, "" }, { SYS_getgid, "" }, { SYS_geteuid, "" }, { SYS_getegid, "" }, { SYS_getppid, "" },
    { SYS_arch_prctl, "xp" }, { SYS_gettid, "" }, { SYS_tkill, "dd" }, { SYS_futex, "pxdp" },
    { SYS_set_tid_address, "p" }, { SYS_clock_gettime, "dp" }, { SYS_exit_group, "d" }, { SYS_tgkill, "ddd" },
    { SYS_openat, "fsxo" }, { SYS_newfstatat, "fspx" }, { SYS_unlinkat, "fsx" }, { SYS_readlink, "spu" },
    { SYS_set_robust_list, "pu" }, { SYS_pipe2, "px" }, { SYS_prlimit64, "ddpp" }, { SYS_getrandom, "pux" },
    { SYS_madvise, "pud" }, { SYS_mremap, "puux" }, { SYS_getdents64, "fpu" }, { SYS_setitimer, "dpp" },
    { SYS_alarm, "u" }, { SYS_umask, "o" }, { SYS_rt_sigsuspend, "pu" }, { SYS_ptrace, "ddpp" },
};

struct tracee {
    pid_t pid;                          /* 0: a free entry */
    bool in_call;                       /* between the entry and exit stops of a call */
    bool quiet;                         /* the first child before its execve: rstrace's own calls */
    long nr;
    char args[LINE_MAX_];               /* formatted at entry */
};

static struct tracee tracees[MAX_TRACEES];

static const char *const signames[] = {
    "SIG0", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL",
    "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
    "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
    "SIGWINCH", "SIGIO", "SIGPWR", "SIGSYS",
};

static const char *signame(int sig, char *buf, size_t n)
{
    if (sig > 0 && sig < (int)(sizeof signames / sizeof signames[0]))
        return signames[sig];
    snprintf(buf, n, "SIGRT_%d", sig - 32);
    return buf;
}

static int count_tracees(void)
{
    int n = 0;
    for (int i = 0; i < MAX_TRACEES; i++)
        n += tracees[i].pid != 0;
    return n;
}

static struct tracee *find(pid_t pid, bool add)
{
    for (int i = 0; i < MAX_TRACEES; i++)
        if (tracees[i].pid == pid)
            return &tracees[i];
    if (!add)
        return NULL;
    for (int i = 0; i < MAX_TRACEES; i++)
        if (!tracees[i].pid) {
            tracees[i] = (struct tracee){ .pid = pid };
            return &tracees[i];
        }
    fprintf(stderr, "rstrace: more than %d tracees\n", MAX_TRACEES);
    exit(1);
}

static const char *sysname(long nr, char *buf, size_t n)
{
    if (nr >= 0 && nr < (long)(sizeof sysnames / sizeof sysnames[0]) && sysnames[nr])
        return sysnames[nr];
    snprintf(buf, n, "syscall_%#lx", (unsigned long)nr);
    return buf;
}

/* A NUL-terminated string of the tracee's, quoted and escaped as strace does, cut at STR_MAX. */
static void put_string(pid_t pid, unsigned long addr, char *out, size_t n)
{
    char s[STR_MAX + 1];
    size_t len = 0;
    bool more = true;
    while (len < sizeof s && more) {
        long w;
        errno = 0;
        if (syscall(SYS_ptrace, PTRACE_PEEKDATA, pid, addr + len, &w) < 0) {
            if (!len) {
                snprintf(out, n, "%#lx", addr);
                return;
            }
            break;
        }
        for (size_t i = 0; i < sizeof w && len < sizeof s; i++) {
            s[len++] = ((char *)&w)[i];
            if (!((char *)&w)[i]) {
                more = false;
                break;
            }
        }
    }
    bool cut = more || (len == sizeof s && s[STR_MAX]);
    size_t o = 0;
    out[o++] = '"';
    for (size_t i = 0; i < len && i < STR_MAX && s[i] && o + 6 < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, n - o, "\\%c", c);
        else if (c == '\n')
            o += (size_t)snprintf(out + o, n - o, "\\n");
        else if (c < 32 || c >= 127)
            o += (size_t)snprintf(out + o, n - o, "\\%o", c);
        else
            out[o++] = (char)c;
    }
    snprintf(out + o, n - o, "\"%s", cut ? "..." : "");
}

static void format_args(pid_t pid, const struct user_regs_struct *r, char *out, size_t n)
{
    unsigned long a[6] = { r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9 };
    const char *kinds = "xxx";
    for (size_t i = 0; i < sizeof ARGS / sizeof ARGS[0]; i++)
        if (ARGS[i].nr == (long)r->orig_rax)
            kinds = ARGS[i].kinds;
    size_t o = 0;
    out[0] = 0;
    for (int i = 0; kinds[i] && i < 6 && o < n; i++) {
        char one[STR_MAX * 4 + 8];
        switch (kinds[i]) {
        case 'd': snprintf(one, sizeof one, "%d", (int)a[i]); break;
        case 'u': snprintf(one, sizeof one, "%lu", a[i]); break;
        case 'f':
            if ((int)a[i] == -100)
                snprintf(one, sizeof one, "AT_FDCWD");
            else
                snprintf(one, sizeof one, "%d", (int)a[i]);
            break;
        case 's': put_string(pid, a[i], one, sizeof one); break;
        case 'p': snprintf(one, sizeof one, a[i] ? "%#lx" : "NULL", a[i]); break;
        case 'o': snprintf(one, sizeof one, "%#lo", a[i]); break;
        default:  snprintf(one, sizeof one, "%#lx", a[i]); break;
        }
        o += (size_t)snprintf(out + o, n - o, "%s%s", i ? ", " : "", one);
    }
}

/* The return value as strace prints it. */
static void format_ret(long nr, long ret, char *out, size_t n)
{
    static const char *const restart[] = {
        [0] = "ERESTARTSYS (To be restarted if SA_RESTART is set)",
        [1] = "ERESTARTNOINTR (To be restarted)",
        [2] = "ERESTARTNOHAND (To be restarted if no handler)",
        [4] = "ERESTART_RESTARTBLOCK (Interrupted by signal)",
    };
    if (ret >= -516 && ret <= -512 && restart[-ret - 512]) {
        snprintf(out, n, "? %s", restart[-ret - 512]);
    } else if (ret < 0 && ret >= -4095) {
        int e = (int)-ret;
        const char *name = e < (int)(sizeof errnames / sizeof errnames[0]) ? errnames[e] : NULL;
        char unknown[16];
        if (!name) {
            snprintf(unknown, sizeof unknown, "%d", e);
            name = unknown;
        }
        snprintf(out, n, "-1 %s (%s)", name, strerror(e));
    } else if (nr == SYS_umask) {
        snprintf(out, n, "%03lo", (unsigned long)ret);        /* strace: the old mask in octal */
    } else if (nr == SYS_mmap || nr == SYS_brk || nr == SYS_mremap) {
        snprintf(out, n, "%#lx", (unsigned long)ret);
    } else {
        snprintf(out, n, "%ld", ret);
    }
}

static void say(pid_t pid, const char *fmt, const char *a, const char *b, const char *c)
{
    char line[LINE_MAX_ * 2];
    int k = snprintf(line, sizeof line, "rstrace: [pid %d] ", (int)pid);
    snprintf(line + k, sizeof line - (size_t)k, fmt, a, b, c);
    fprintf(stderr, "%s\n", line);
}

/* A syscall stop of `t`: entry saves the call, exit prints it. */
static void syscall_stop(struct tracee *t)
{
    struct user_regs_struct r;
    char nbuf[32];
    if (syscall(SYS_ptrace, PTRACE_GETREGS, t->pid, 0, &r) < 0)
        return;
    if (!t->in_call) {
        t->in_call = true;
        t->nr = (long)r.orig_rax;
        if (t->nr == SYS_execve)
            t->quiet = false;           /* strace's first line: the execve */
        format_args(t->pid, &r, t->args, sizeof t->args);
        if (t->nr == SYS_exit || t->nr == SYS_exit_group) {
            say(t->pid, "%s(%s) = ?", sysname(t->nr, nbuf, sizeof nbuf), t->args, "");
            t->in_call = false;
        }
        return;
    }
    t->in_call = false;
    if (t->quiet)
        return;
    char ret[128];
    format_ret(t->nr, (long)r.rax, ret, sizeof ret);
    say(t->pid, "%s(%s) = %s", sysname(t->nr, nbuf, sizeof nbuf), t->args, ret);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: rstrace PROGRAM [ARGS...]\n");
        return 2;
    }
    /* The PATH search before the fork, untraced: the traced child's first call is its execve, as
       under strace (execvp would show each failed try). */
    static char path[4096];
    snprintf(path, sizeof path, "%s", argv[1]);
    const char *dirs = getenv("PATH");
    while (!strchr(argv[1], '/') && dirs && *dirs) {
        size_t n = strcspn(dirs, ":");
        snprintf(path, sizeof path, "%.*s%s%s", (int)n, dirs, n && dirs[n - 1] != '/' ? "/" : "", argv[1]);
        if (!access(path, X_OK))
            break;
        snprintf(path, sizeof path, "%s", argv[1]);
        dirs += n + (dirs[n] == ':');
    }
    pid_t child = fork();
    if (child < 0) {
        perror("rstrace: fork");
        return 1;
    }
    if (child == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0) < 0) {
            perror("rstrace: PTRACE_TRACEME");
            _exit(1);
        }
        raise(SIGSTOP);                 /* the tracer sets its options, then the exec is traced */
        execv(path, argv + 1);
        perror("rstrace: execv");
        _exit(127);
    }
    int st;
    if (waitpid(child, &st, 0) != child || !WIFSTOPPED(st)) {
        fprintf(stderr, "rstrace: the child did not stop\n");
        return 1;
    }
    long opts = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
                PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
    if (ptrace(PTRACE_SETOPTIONS, child, 0, opts) < 0) {
        perror("rstrace: PTRACE_SETOPTIONS");
        return 1;
    }
    find(child, true)->quiet = true;
    ptrace(PTRACE_SYSCALL, child, 0, 0);
    int status = 0;
    while (count_tracees() > 0) {
        pid_t pid = waitpid(-1, &st, __WALL);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        struct tracee *t = find(pid, true);
        char n[16];
        if (WIFEXITED(st) || WIFSIGNALED(st)) {
            snprintf(n, sizeof n, "%d", WEXITSTATUS(st));
            say(pid, WIFEXITED(st) ? "+++ exited with %s +++" : "+++ killed by %s +++",
                WIFEXITED(st) ? n : signame(WTERMSIG(st), n, sizeof n), "", "");
            if (pid == child)
                status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
            t->pid = 0;
            continue;
        }
        int sig = WSTOPSIG(st), event = st >> 16, deliver = 0;
        if (sig == (SIGTRAP | 0x80)) {
            syscall_stop(t);
        } else if (event) {
            if (event == PTRACE_EVENT_FORK || event == PTRACE_EVENT_VFORK || event == PTRACE_EVENT_CLONE) {
                unsigned long msg;
                ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg);
                find((pid_t)msg, true);         /* its first stop may have come first */
            }
        } else {
            siginfo_t si;
            if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) < 0) {
                deliver = 0;            /* a group stop: no siginfo */
            } else if (sig == SIGSTOP && si.si_code == SI_USER && si.si_pid == 0) {
                deliver = 0;            /* a new tracee's first stop (from the kernel) */
            } else {
                say(pid, "--- %s ---", signame(sig, n, sizeof n), "", "");
                deliver = sig;
            }
        }
        ptrace(PTRACE_SYSCALL, pid, 0, deliver);
    }
    return status;
}
