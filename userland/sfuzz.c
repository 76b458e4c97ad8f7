/*
 * sfuzz: a coverage-guided, syscall-aware fuzzer for ringlab's kernel (run by `invoke fuzz`).
 *
 *   sfuzz fuzz SEED SECONDS WORKERS [DISABLE]
 *                                     fuzz (init of the machine; /sfuzz.calls: the kernel's
 *                                     system-call table, "NR NAME" lines, then "i386 NR NAME"
 *                                     lines for its int $0x80 table, from kabi.json).
 *                                     DISABLE: NAME[:MASK]+... (hex MASK) or "-": a call never
 *                                     drawn, or the MASK bits never set in its flag arguments
 *                                     (nor a value equal to MASK drawn for its enums): the way
 *                                     past a known bug, as syzkaller's disabled calls
 *   sfuzz replay REPEAT               run /sfuzz.prog (one program) REPEAT times
 *   sfuzz csource REPEAT PROGRAM      print PROGRAM as the body of a C reproducer (host side)
 *   sfuzz exit                        exit 0 (what a fuzzed execve of /sfuzz runs)
 *
 * Descriptions (DESCS below) say, for every system call the kernel implements, what each
 * argument is: a flag set, an enum, a length tied to a buffer, a fd or pid or mapping made by
 * an earlier call, a signal number, a futex word, a path in a small tree. A call no
 * description names is drawn with raw arguments and said at the start ("undescribed"); a
 * description the kernel's table lacks is never drawn (so ENOSYS stays rare: measured and
 * printed). Calls of the kernel's i386 table run through `int $0x80` (a 64-bit process may,
 * as on Linux) with the description of the 64-bit call of the same name. Programs (sfuzz_runtime.h) are up to FZ_MAXCALLS calls whose arguments refer to
 * earlier calls' results; some run in two extra threads at once, racing the main thread on
 * the same fds, mappings and futex words, while WORKERS processes run programs concurrently
 * on one shared tree (/tmp/fz). Each program runs in a forked child; kcov (when the kernel
 * has it) collects the PCs of every thread; a program that reaches a PC never seen before by
 * any worker joins that worker's corpus, which later programs mutate.
 *
 * Output (one line each, the harness reads them):
 *   sfuzz: table calls=N described=D undescribed=NAMES never=NAMES i386=N disabled=LIST
 *   sfuzz: run W PROGRAM                    before each program (a crash names the last ones)
 *   sfuzz: progress t=S calls=N cps=X pcs=P corpus=C enosys=E enosys_pct=F findings=K execs=E
 *   sfuzz: finding kind=KIND w=W PROGRAM    lowmap (a mapping below 64 KiB), execleak (the
 *                                           canary put in XMM15 before execve was still
 *                                           there in the new image), stuck (SIGKILL
 *                                           did not end a program)
 *   sfuzz: done ...                         the last progress line's fields
 *   sfuzz: pcs HEX...                       then every distinct kernel PC seen (16 a line)
 */
#include "sfuzz_runtime.h"
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#define MAX_NR      512
#define CORPUS_MAX  512
#define PCSET_BITS  17
#define PCSET_SIZE  (1u << PCSET_BITS)
#define KCOV_WORDS  (64 * 1024)                 /* per thread: 512 KiB */
#define KCOV_BASE   0x600000000000UL            /* below the mmap region: no fuzzed call maps there */
#define MAXWORKERS  4
#define MMAP_MIN    0x10000UL                   /* nothing may be mapped below (vm.mmap_min_addr) */
#define ENOSYS_     38
#define PROGRESS_S  10

/* ---- descriptions ---------------------------------------------------------------------- */

enum gen {
    G0, GFD, GDIRFD, GPATH, GXPATH, GBUF, GLEN, GSTRUCT, GFLAGS, GENUM, GINT, GADDR, GMLEN,
    GPID, GWPID, GSIG, GFUTEX, GIOV, GIOVCNT, GTS, GSIGACT, GARGV, GMODE, GUID, GPIPE, GOFF,
    GCONST, GCLONE, GSAFLAGS, GOPATH, GTMPL,
};
enum res { RNONE, RFD, RMAP, RPID, RPIPE };

#define SET(...) { __VA_ARGS__, ~0UL }
static const uint64_t S_OPEN[] = SET(01, 02, 0100, 0200, 01000, 02000, 04000, 0200000, 02000000, 0400000, 0400, 010000000);
static const uint64_t S_MODE[] = SET(0, 0644, 0777, 04755, 01777, 0600, 02755);
static const uint64_t S_PROT[] = SET(1, 2, 4);
static const uint64_t S_MAP[] = SET(0x01, 0x02, 0x20, 0x20, 0x10, 0x100000, 0x8000);
static const uint64_t S_MREMAP[] = SET(1, 2, 4);
static const uint64_t S_MADV[] = SET(0, 1, 2, 3, 4, 8, 9, 10, 11, 12, 14, 15, 16, 18, 20, 21, 22, 23, 24, 100);
static const uint64_t S_CLONE[] = SET(0x100, 0x200, 0x400, 0x800, 0x10000, 0x4000, 0x100000, 0x200000, 0x1000000,
                                      0x80000, 0x40000);
static const uint64_t S_WAIT[] = SET(1, 2, 8, 0x40000000, 0x80000000, 0x20000000);
static const uint64_t S_FUTEX[] = SET(0, 1, 3, 4, 5, 9, 10, 128, 129, 137, 138, 265, 6, 7,
                                      8, 11, 12, 13, 134, 135, 136, 139, 140, 141, 267, 269);   /* PI ops (futexpi) */
static const uint64_t S_HOW[] = SET(0, 1, 2, 3);
static const uint64_t S_SAFLAGS[] = SET(1, 2, 4, 0x08000000, 0x10000000, 0x40000000, 0x80000000);
static const uint64_t S_SEEK[] = SET(0, 1, 2, 3, 4, 5);
static const uint64_t S_FCNTL[] = SET(0, 1, 2, 3, 4, 1030, 5, 6, 7, 1031, 1032, 8, 9, 1024, 36, 37, 38);
static const uint64_t S_IOCTL[] = SET(0x5401, 0x5402, 0x5403, 0x5413, 0x541b, 0x5421, 0x5451, 0x5450,
                                      0x80086301, 0x6364, 0x6365, 0x540f, 0x5410, 0x540e, 0x5422, 0x5429,
                                      0x8905);   /* SIOCATMARK (unixoob) */
static const uint64_t S_AT[] = SET(0x100, 0x200, 0x400, 0x800, 0x1000);
static const uint64_t S_ACCESS[] = SET(1, 2, 4);
static const uint64_t S_RENAME[] = SET(1, 2, 4);
static const uint64_t S_RLIMIT[] = SET(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
static const uint64_t S_CLOCK[] = SET(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 100);
static const uint64_t S_ITIMER[] = SET(0, 1, 2, 3);
static const uint64_t S_ARCH[] = SET(0x1001, 0x1003, 0x1004, 0x1011, 0x1012, 0x2001, 0x1002);
static const uint64_t S_GRND[] = SET(1, 2, 4);
static const uint64_t S_PIPE2[] = SET(02000000, 04000, 040000, 01);
static const uint64_t S_TIMER[] = SET(0, 1);
static const uint64_t S_ZERO8[] = SET(0, 8, 8, 8, 16, 4);
static const uint64_t S_MSYNC[] = SET(1, 2, 4);
static const uint64_t S_MCL[] = SET(1, 2, 4, 8);             /* mlockall: MCL_*, and an unknown bit */
static const uint64_t S_MLOCK2[] = SET(1, 2);               /* mlock2: MLOCK_ONFAULT, an unknown bit */
/* rseq: lengths (the original 32, too short, unaligned sizes, longer), RSEQ_FLAG_UNREGISTER and
   an unknown bit, the x86 signature or another */
static const uint64_t S_RSEQLEN[] = SET(32, 32, 0, 31, 33, 64, 0xffffffe0);
static const uint64_t S_RSEQFL[] = SET(1, 2);
static const uint64_t S_RSEQSIG[] = SET(0x53053053, 0x53053053, 0, 0xffffffff);
static const uint64_t S_MSGKEY[] = SET(0, 0x5200, 0x5201, 0);
static const uint64_t S_MSGGET[] = SET(01000, 02000, 0600, 0666, 0400);
static const uint64_t S_MSGFLG[] = SET(04000, 04000, 010000, 020000, 040000);
static const uint64_t S_MSGCTL[] = SET(0, 1, 2, 0x102, 3, 11, 12, 99);
/* sysvipc: shmat's flags (SHM_RDONLY, SHM_RND, SHM_REMAP, SHM_EXEC); shmctl's and semctl's
   commands, IPC_64 and an unknown one included; sem_flg's IPC_NOWAIT and SEM_UNDO */
static const uint64_t S_SHMAT[] = SET(010000, 020000, 040000, 0100000);
static const uint64_t S_SHMCTL[] = SET(0, 1, 2, 3, 11, 12, 13, 14, 15, 0x102, 99);
static const uint64_t S_SEMCTL[] = SET(0, 1, 2, 3, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 99);
/* i386 ipc(2)'s calls (SEMOP..SEMTIMEDOP, MSGSND..MSGCTL, SHMAT..SHMCTL), one with version 1 */
static const uint64_t S_IPCCALL[] = SET(1, 2, 3, 4, 11, 12, 13, 14, 21, 22, 23, 24, 0x10015, 99);
static const uint64_t S_FLOCK[] = SET(1, 2, 8, 5, 6, 3, 0);
static const uint64_t S_MKNOD[] = SET(0010000, 0020000, 0060000, 0100000, 0140000, 0040000, 0600, 0666);
static const uint64_t S_DEV[] = SET(0x103, 0x105, 0x109, 0x501, 0x500, 0x3c07, 0);
static const uint64_t S_LDTFUNC[] = SET(0, 1, 2, 0x11, 0x11, 1, 3);   /* read, write_old, read_default, write */
static const uint64_t S_LDTLEN[] = SET(16, 16, 16, 0, 8, 15, 17, 128);  /* a struct user_desc, or a short read */
/* ptrace requests (area: ptrace): every one that acts on an existing tracee, and an unknown one.
   TRACEME, ATTACH and SEIZE are left out: they would stop the fuzzer's own processes (a
   SIGSTOP to the supervisor, as on Linux), not find kernel bugs. */
static const uint64_t S_PTRACE[] = SET(1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 17, 24, 0x4200, 0x4201, 0x4202,
                                       0x4203, 0x4204, 0x4205, 0x4207, 0x4277);

/* sockets (area: unixsock): AF_UNIX mostly, other families; every type, with and without
   SOCK_NONBLOCK/SOCK_CLOEXEC; send/recv flags; SOL_SOCKET options and another level. */
static const uint64_t S_SOCKFAM[] = SET(1, 1, 1, 0, 2, 10, 16, 46);
static const uint64_t S_SOCKTYPE[] = SET(1, 2, 5, 3, 4, 1 | 04000, 2 | 02000000, 5 | 04000, 0x100);
static const uint64_t S_MSGF[] = SET(0x1, 0x2, 0x8, 0x20, 0x40, 0x100, 0x4000, 0x40000000, 0x80000000);
static const uint64_t S_SHUT[] = SET(0, 1, 2, 3);
static const uint64_t S_SOLEVEL[] = SET(1, 1, 1, 0, 6);
static const uint64_t S_SOCKOPT[] = SET(3, 4, 7, 8, 16, 17, 30, 38, 39, 99, 10, 42);   /* 10, 42: SO_OOBINLINE, SO_PEEK_OFF */
static const uint64_t S_SALEN[] = SET(110, 110, 12, 14, 2, 8, 0, 129);   /* sockaddr lengths */

struct argd { uint8_t gen; const uint64_t *set; uint64_t param; };
struct desc {
    const char *name;
    uint8_t res;
    uint8_t weight;                 /* 0: never drawn (the reason is at the entry) */
    struct argd a[6];
};

#define F(s) { GFLAGS, s, 0 }
#define E(s) { GENUM, s, 0 }
#define A(g) { g, 0, 0 }
#define N(g, n) { g, 0, n }
#define T(k) { GTMPL, 0, k }
static const struct desc DESCS[] = {
    { "read", RNONE, 10, { A(GFD), A(GBUF), A(GLEN) } },
    { "write", RNONE, 10, { A(GFD), A(GBUF), A(GLEN) } },
    { "open", RFD, 10, { A(GOPATH), F(S_OPEN), A(GMODE) } },
    { "close", RNONE, 8, { A(GFD) } },
    { "stat", RNONE, 4, { A(GPATH), A(GBUF) } },
    { "fstat", RNONE, 4, { A(GFD), A(GBUF) } },
    { "lstat", RNONE, 3, { A(GPATH), A(GBUF) } },
    { "poll", RNONE, 4, { T(FZ_T_POLLFD), N(GINT, 8), N(GINT, 3) } },
    { "lseek", RNONE, 5, { A(GFD), A(GOFF), E(S_SEEK) } },
    { "mmap", RMAP, 10, { A(GADDR), A(GMLEN), F(S_PROT), F(S_MAP), A(GFD), N(GCONST, 0) } },
    { "mprotect", RNONE, 6, { A(GADDR), A(GMLEN), F(S_PROT) } },
    { "munmap", RNONE, 6, { A(GADDR), A(GMLEN) } },
    { "brk", RMAP, 3, { A(GADDR) } },                         /* the break: grown from itself */
    { "rt_sigaction", RNONE, 6, { A(GSIG), A(GSIGACT), A(GBUF), E(S_ZERO8) } },
    { "rt_sigprocmask", RNONE, 5, { E(S_HOW), T(FZ_T_SIGSET), A(GBUF), E(S_ZERO8) } },
    /* rt_sigreturn: restores registers from a "frame" at the stack pointer, i.e. jumps to an
       arbitrary place in this program: never drawn. */
    { "rt_sigreturn", RNONE, 0, { A(G0) } },
    { "ioctl", RNONE, 8, { A(GFD), E(S_IOCTL), A(GBUF) } },
    { "pread64", RNONE, 5, { A(GFD), A(GBUF), A(GLEN), A(GOFF) } },
    { "pwrite64", RNONE, 5, { A(GFD), A(GBUF), A(GLEN), A(GOFF) } },
    { "readv", RNONE, 5, { A(GFD), A(GIOV), A(GIOVCNT) } },
    { "writev", RNONE, 5, { A(GFD), A(GIOV), A(GIOVCNT) } },
    { "access", RNONE, 3, { A(GPATH), F(S_ACCESS) } },
    { "pipe", RPIPE, 8, { A(GPIPE) } },
    { "sched_yield", RNONE, 2, { A(G0) } },
    { "mremap", RMAP, 8, { A(GADDR), A(GMLEN), A(GMLEN), F(S_MREMAP), A(GADDR) } },
    { "madvise", RNONE, 5, { A(GADDR), A(GMLEN), E(S_MADV) } },
    { "dup", RFD, 6, { A(GFD) } },
    { "dup2", RFD, 6, { A(GFD), A(GFD) } },
    { "pause", RNONE, 1, { A(G0) } },
    { "nanosleep", RNONE, 3, { A(GTS), A(GBUF) } },
    { "getitimer", RNONE, 3, { E(S_ITIMER), A(GBUF) } },
    { "alarm", RNONE, 2, { N(GINT, 2) } },
    { "setitimer", RNONE, 3, { E(S_ITIMER), T(FZ_T_ITIMER), A(GBUF) } },
    { "getpid", RNONE, 2, { A(G0) } },
    { "fork", RPID, 4, { A(G0) } },
    { "vfork", RPID, 4, { A(G0) } },
    { "clone", RPID, 8, { A(GCLONE), A(GADDR), A(GFUTEX), A(GFUTEX), A(GADDR) } },
    { "execve", RNONE, 3, { A(GXPATH), A(GARGV), A(GARGV) } },
    { "exit", RNONE, 1, { N(GINT, 3) } },
    { "exit_group", RNONE, 1, { N(GINT, 3) } },
    { "wait4", RPID, 6, { A(GWPID), A(GBUF), F(S_WAIT), A(GBUF) } },
    { "kill", RNONE, 5, { A(GPID), A(GSIG) } },
    { "uname", RNONE, 2, { A(GBUF) } },
    { "fcntl", RFD, 8, { A(GFD), E(S_FCNTL), N(GINT, 70) } },
    { "ftruncate", RNONE, 5, { A(GFD), A(GOFF) } },
    { "getdents64", RNONE, 6, { A(GFD), A(GBUF), A(GLEN) } },
    { "getcwd", RNONE, 3, { A(GBUF), A(GLEN) } },
    { "chdir", RNONE, 6, { A(GPATH) } },
    { "fchdir", RNONE, 5, { A(GFD) } },
    { "rename", RNONE, 8, { A(GPATH), A(GPATH) } },
    { "mkdir", RNONE, 8, { A(GPATH), A(GMODE) } },
    { "rmdir", RNONE, 8, { A(GPATH) } },
    { "creat", RFD, 5, { A(GPATH), A(GMODE) } },
    { "link", RNONE, 5, { A(GPATH), A(GPATH) } },
    { "unlink", RNONE, 8, { A(GPATH) } },
    { "readlink", RNONE, 3, { A(GPATH), A(GBUF), A(GLEN) } },
    { "chmod", RNONE, 4, { A(GPATH), A(GMODE) } },
    { "fchmod", RNONE, 4, { A(GFD), A(GMODE) } },
    { "chown", RNONE, 3, { A(GPATH), A(GUID), A(GUID) } },
    { "fchown", RNONE, 3, { A(GFD), A(GUID), A(GUID) } },
    { "lchown", RNONE, 3, { A(GPATH), A(GUID), A(GUID) } },
    { "umask", RNONE, 3, { A(GMODE) } },
    { "gettimeofday", RNONE, 2, { A(GBUF), A(GBUF) } },
    { "getrlimit", RNONE, 3, { E(S_RLIMIT), A(GBUF) } },
    { "setrlimit", RNONE, 3, { E(S_RLIMIT), T(FZ_T_RLIMIT) } },
    { "sysinfo", RNONE, 2, { A(GBUF) } },
    { "getuid", RNONE, 1, { A(G0) } },
    { "getgid", RNONE, 1, { A(G0) } },
    { "setuid", RNONE, 2, { A(GUID) } },
    { "setgid", RNONE, 2, { A(GUID) } },
    { "geteuid", RNONE, 1, { A(G0) } },
    { "getegid", RNONE, 1, { A(G0) } },
    { "getppid", RNONE, 1, { A(G0) } },
    { "setreuid", RNONE, 2, { A(GUID), A(GUID) } },
    { "setregid", RNONE, 2, { A(GUID), A(GUID) } },
    { "getgroups", RNONE, 2, { N(GINT, 40), A(GBUF) } },
    { "setgroups", RNONE, 2, { N(GINT, 40), N(GSTRUCT, 160) } },
    { "setresuid", RNONE, 2, { A(GUID), A(GUID), A(GUID) } },
    { "getresuid", RNONE, 2, { A(GBUF), A(GBUF), A(GBUF) } },
    { "setresgid", RNONE, 2, { A(GUID), A(GUID), A(GUID) } },
    { "getresgid", RNONE, 2, { A(GBUF), A(GBUF), A(GBUF) } },
    { "setfsuid", RNONE, 2, { A(GUID) } },
    { "setfsgid", RNONE, 2, { A(GUID) } },
    { "capget", RNONE, 2, { T(FZ_T_CAPHDR), A(GBUF) } },
    { "capset", RNONE, 2, { T(FZ_T_CAPHDR), T(FZ_T_CAPDATA) } },
    { "rt_sigpending", RNONE, 2, { A(GBUF), E(S_ZERO8) } },
    { "rt_sigtimedwait", RNONE, 3, { T(FZ_T_SIGSET), A(GBUF), A(GTS), E(S_ZERO8) } },
    { "rt_sigqueueinfo", RNONE, 3, { A(GPID), A(GSIG), N(GSTRUCT, 128) } },
    { "rt_tgsigqueueinfo", RNONE, 3, { A(GPID), A(GPID), A(GSIG), N(GSTRUCT, 128) } },
    { "rt_sigsuspend", RNONE, 1, { T(FZ_T_SIGSET), E(S_ZERO8) } },
    { "sigaltstack", RNONE, 3, { T(FZ_T_STACK), A(GBUF) } },
    { "iopl", RNONE, 1, { N(GINT, 4) } },
    { "ioperm", RNONE, 1, { N(GINT, 0x10000), N(GINT, 16), N(GINT, 2) } },
    { "sched_setaffinity", RNONE, 2, { A(GPID), A(GLEN), T(FZ_T_CPUSET) } },
    { "sched_getaffinity", RNONE, 2, { A(GPID), A(GLEN), A(GBUF) } },
    { "arch_prctl", RNONE, 3, { E(S_ARCH), A(GBUF) } },
    { "time", RNONE, 1, { A(GBUF) } },
    { "futex", RNONE, 8, { A(GFUTEX), E(S_FUTEX), N(GINT, 3), A(GTS), A(GFUTEX), N(GINT, 3) } },
    { "set_tid_address", RNONE, 2, { A(GFUTEX) } },
    { "clock_gettime", RNONE, 2, { E(S_CLOCK), A(GBUF) } },
    { "clock_getres", RNONE, 2, { E(S_CLOCK), A(GBUF) } },
    { "clock_nanosleep", RNONE, 2, { E(S_CLOCK), E(S_TIMER), A(GTS), A(GBUF) } },
    { "tgkill", RNONE, 3, { A(GPID), A(GPID), A(GSIG) } },
    { "tkill", RNONE, 3, { A(GPID), A(GSIG) } },
    { "utimensat", RNONE, 3, { A(GDIRFD), A(GPATH), T(FZ_T_UTIMES), F(S_AT) } },
    { "openat", RFD, 10, { A(GDIRFD), A(GOPATH), F(S_OPEN), A(GMODE) } },
    { "mkdirat", RNONE, 4, { A(GDIRFD), A(GPATH), A(GMODE) } },
    { "fchownat", RNONE, 2, { A(GDIRFD), A(GPATH), A(GUID), A(GUID), F(S_AT) } },
    { "newfstatat", RNONE, 4, { A(GDIRFD), A(GPATH), A(GBUF), F(S_AT) } },
    { "unlinkat", RNONE, 5, { A(GDIRFD), A(GPATH), F(S_AT) } },
    { "renameat", RNONE, 5, { A(GDIRFD), A(GPATH), A(GDIRFD), A(GPATH) } },
    { "linkat", RNONE, 3, { A(GDIRFD), A(GPATH), A(GDIRFD), A(GPATH), F(S_AT) } },
    { "readlinkat", RNONE, 2, { A(GDIRFD), A(GPATH), A(GBUF), A(GLEN) } },
    { "fchmodat", RNONE, 3, { A(GDIRFD), A(GPATH), A(GMODE) } },
    { "faccessat", RNONE, 3, { A(GDIRFD), A(GPATH), F(S_ACCESS) } },
    { "faccessat2", RNONE, 3, { A(GDIRFD), A(GPATH), F(S_ACCESS), F(S_AT) } },
    { "ppoll", RNONE, 3, { T(FZ_T_POLLFD), N(GINT, 8), A(GTS), T(FZ_T_SIGSET), E(S_ZERO8) } },
    { "set_robust_list", RNONE, 2, { A(GFUTEX), N(GINT, 32) } },
    { "dup3", RFD, 5, { A(GFD), A(GFD), F(S_PIPE2) } },
    { "pipe2", RPIPE, 6, { A(GPIPE), F(S_PIPE2) } },
    { "prlimit64", RNONE, 3, { A(GPID), E(S_RLIMIT), T(FZ_T_RLIMIT), A(GBUF) } },
    { "renameat2", RNONE, 5, { A(GDIRFD), A(GPATH), A(GDIRFD), A(GPATH), F(S_RENAME) } },
    { "getrandom", RNONE, 2, { A(GBUF), A(GLEN), F(S_GRND) } },
    { "truncate", RNONE, 4, { A(GPATH), A(GOFF) } },
    { "gettid", RNONE, 1, { A(G0) } },
    { "set_thread_area", RNONE, 2, { T(FZ_T_USERDESC) } },
    { "get_thread_area", RNONE, 2, { A(GBUF) } },
    /* jobs: process groups and sessions (jobctl.c) */
    { "setpgid", RNONE, 3, { A(GPID), A(GPID) } },
    { "getpgid", RNONE, 2, { A(GPID) } },
    { "getpgrp", RNONE, 1, { A(G0) } },
    { "setsid", RNONE, 2, { A(G0) } },
    { "getsid", RNONE, 2, { A(GPID) } },
    /* jobs: file-system information and flushing (sysfsinfo.c), the host name */
    { "statfs", RNONE, 2, { A(GPATH), A(GBUF) } },
    { "fstatfs", RNONE, 2, { A(GFD), A(GBUF) } },
    { "fsync", RNONE, 2, { A(GFD) } },
    { "fdatasync", RNONE, 2, { A(GFD) } },
    { "sync", RNONE, 1, { A(G0) } },
    { "syncfs", RNONE, 1, { A(GFD) } },
    { "sethostname", RNONE, 1, { A(GBUF), N(GINT, 80) } },
    /* jobs: symbolic links (fs.c walk, syspath.c) */
    { "symlink", RNONE, 4, { A(GPATH), A(GPATH) } },
    { "symlinkat", RNONE, 3, { A(GPATH), A(GDIRFD), A(GPATH) } },
    /* jobs: FIFOs and device nodes (pipe.c fifo_open, syspath.c mknod_at) */
    { "mknod", RNONE, 3, { A(GPATH), F(S_MKNOD), E(S_DEV) } },
    { "mknodat", RNONE, 2, { A(GDIRFD), A(GPATH), F(S_MKNOD), E(S_DEV) } },
    { "msync", RNONE, 2, { A(GADDR), A(GMLEN), F(S_MSYNC) } },
    /* jobs: file locks (locks.c; fcntl's lock commands are in S_FCNTL) */
    { "flock", RNONE, 3, { A(GFD), E(S_FLOCK) } },
    /* jobs: robust futex lists (futex.c) */
    { "get_robust_list", RNONE, 2, { A(GPID), A(GBUF), A(GBUF) } },
    /* jobs: System V message queues (msg.c) */
    { "msgget", RNONE, 3, { E(S_MSGKEY), F(S_MSGGET) } },
    { "msgsnd", RNONE, 4, { N(GINT, 3), N(GSTRUCT, 64), N(GINT, 9000), F(S_MSGFLG) } },
    { "msgrcv", RNONE, 4, { N(GINT, 3), A(GBUF), A(GLEN), N(GINT, 5), F(S_MSGFLG) } },
    { "msgctl", RNONE, 3, { N(GINT, 3), E(S_MSGCTL), A(GBUF) } },
    /* sysvipc: System V shared memory and semaphores (shm.c, sem.c); semop's operations are
       random bytes (a struct sembuf is 6), so some sleep until the program is killed */
    { "shmget", RNONE, 3, { E(S_MSGKEY), A(GMLEN), F(S_MSGGET) } },
    { "shmat", RNONE, 3, { N(GINT, 3), A(GADDR), F(S_SHMAT) } },
    { "shmdt", RNONE, 2, { A(GADDR) } },
    { "shmctl", RNONE, 3, { N(GINT, 3), E(S_SHMCTL), A(GBUF) } },
    { "semget", RNONE, 3, { E(S_MSGKEY), N(GINT, 8), F(S_MSGGET) } },
    { "semop", RNONE, 3, { N(GINT, 3), N(GSTRUCT, 60), N(GINT, 10) } },
    { "semtimedop", RNONE, 2, { N(GINT, 3), N(GSTRUCT, 60), N(GINT, 10), A(GTS) } },
    { "semctl", RNONE, 3, { N(GINT, 3), N(GINT, 4), E(S_SEMCTL), A(GBUF) } },
    { "ipc", RNONE, 3, { E(S_IPCCALL), N(GINT, 3), N(GINT, 8), A(GBUF), A(GBUF), A(GBUF) } },   /* i386 only */
    /* ldt (issue 19: the LDT) */
    { "modify_ldt", RNONE, 2, { E(S_LDTFUNC), N(GSTRUCT, 16), E(S_LDTLEN) } },   /* struct user_desc */
    /* procfs (issue 20): prctl (options 0-63), getcpu, process_vm_readv/writev (GPID: the
       program's own or its children's, never its parent's) */
    { "prctl", RNONE, 3, { N(GINT, 64), A(GBUF), N(GINT, 2), N(GINT, 2), N(GINT, 2) } },
    { "getcpu", RNONE, 2, { A(GBUF), A(GBUF), A(GBUF) } },
    { "process_vm_readv", RNONE, 2, { A(GPID), A(GIOV), A(GIOVCNT), A(GIOV), A(GIOVCNT), N(GINT, 2) } },
    { "process_vm_writev", RNONE, 2, { A(GPID), A(GIOV), A(GIOVCNT), A(GIOV), A(GIOVCNT), N(GINT, 2) } },
    /* area: ptrace */
    { "ptrace", RNONE, 2, { E(S_PTRACE), A(GPID), A(GADDR), A(GBUF) } },
    /* futexpi: setting the clock (time.c; the guest's clock only: sfuzz runs in ringlab) */
    { "clock_settime", RNONE, 2, { E(S_CLOCK), A(GTS) } },
    { "settimeofday", RNONE, 2, { A(GTS), A(GBUF) } },
    /* futexpi: clone3 (sysproc.c) with random struct clone_args: its checks, rarely a child */
    { "clone3", RPID, 1, { N(GSTRUCT, 88), N(GINT, 100) } },
    /* area: unixsock (socket.c, unix.c). Addresses are FZ_T_SOCKADDR (names in the tree,
       abstract ones, other families) with sockaddr lengths; a msghdr is FZ_T_MSGHDR (a buffer,
       SCM_RIGHTS of fds 3-12 or SCM_CREDENTIALS, bad lengths); socketpair's fds are reused. */
    { "socket", RFD, 6, { E(S_SOCKFAM), E(S_SOCKTYPE), N(GINT, 1) } },
    { "socketpair", RPIPE, 5, { E(S_SOCKFAM), E(S_SOCKTYPE), N(GINT, 1), A(GPIPE) } },
    { "bind", RNONE, 4, { A(GFD), T(FZ_T_SOCKADDR), E(S_SALEN) } },
    { "listen", RNONE, 3, { A(GFD), N(GINT, 8) } },
    { "accept", RFD, 2, { A(GFD), A(GBUF), A(GBUF) } },
    { "accept4", RFD, 2, { A(GFD), A(GBUF), A(GBUF), F(S_PIPE2) } },
    { "connect", RNONE, 4, { A(GFD), T(FZ_T_SOCKADDR), E(S_SALEN) } },
    { "sendto", RNONE, 5, { A(GFD), A(GBUF), A(GLEN), F(S_MSGF), T(FZ_T_SOCKADDR), E(S_SALEN) } },
    { "recvfrom", RNONE, 4, { A(GFD), A(GBUF), A(GLEN), F(S_MSGF), A(GBUF), A(GBUF) } },
    { "sendmsg", RNONE, 5, { A(GFD), T(FZ_T_MSGHDR), F(S_MSGF) } },
    { "recvmsg", RNONE, 4, { A(GFD), T(FZ_T_MSGHDR), F(S_MSGF) } },
    { "shutdown", RNONE, 2, { A(GFD), E(S_SHUT) } },
    { "getsockname", RNONE, 2, { A(GFD), A(GBUF), A(GBUF) } },
    { "getpeername", RNONE, 2, { A(GFD), A(GBUF), A(GBUF) } },
    { "setsockopt", RNONE, 3, { A(GFD), E(S_SOLEVEL), E(S_SOCKOPT), A(GBUF), N(GINT, 8) } },
    { "getsockopt", RNONE, 3, { A(GFD), E(S_SOLEVEL), E(S_SOCKOPT), A(GBUF), A(GBUF) } },
    { "sendmmsg", RNONE, 2, { A(GFD), N(GSTRUCT, 128), N(GINT, 3), F(S_MSGF) } },
    { "recvmmsg", RNONE, 2, { A(GFD), N(GSTRUCT, 128), N(GINT, 3), F(S_MSGF), A(GTS) } },
    /* area: ptimers (ptimer.c, select.c): timer ids 0-3 hit the program's own timers (ids count
       from 0 in each process); a sigevent is 64 random bytes, an itimerspec 32; select's and
       pselect6's sets are buffers, nfds below 70 (a few past the fds every program has) */
    { "timer_create", RNONE, 3, { E(S_CLOCK), N(GSTRUCT, 64), A(GBUF) } },
    { "timer_settime", RNONE, 3, { N(GINT, 4), F(S_TIMER), N(GSTRUCT, 32), A(GBUF) } },
    { "timer_gettime", RNONE, 2, { N(GINT, 4), A(GBUF) } },
    { "timer_getoverrun", RNONE, 1, { N(GINT, 4) } },
    { "timer_delete", RNONE, 1, { N(GINT, 4) } },
    { "select", RNONE, 2, { N(GINT, 70), A(GBUF), A(GBUF), A(GBUF), A(GTS) } },
    { "pselect6", RNONE, 2, { N(GINT, 70), A(GBUF), A(GBUF), A(GBUF), A(GTS), N(GSTRUCT, 16) } },
    { "old_select", RNONE, 1, { N(GSTRUCT, 20) } },   /* i386 only: select (82) */
    /* area: rlimits - memory locking (mlock.c) */
    { "mlock", RNONE, 2, { A(GADDR), A(GMLEN) } },
    { "munlock", RNONE, 2, { A(GADDR), A(GMLEN) } },
    { "mlock2", RNONE, 2, { A(GADDR), A(GMLEN), F(S_MLOCK2) } },
    { "mlockall", RNONE, 1, { F(S_MCL) } },
    { "munlockall", RNONE, 1, { A(G0) } },
    /* area: rseq (rseq.c): a buffer as the area (often not 32-byte aligned, so -EINVAL), its
       rseq_cs whatever the program wrote there: a later preemption may end it with SIGSEGV */
    { "rseq", RNONE, 2, { A(GBUF), E(S_RSEQLEN), F(S_RSEQFL), E(S_RSEQSIG) } },
};
#define NDESCS (sizeof DESCS / sizeof DESCS[0])

/* i386 calls whose 64-bit twin has another name (the rest share it). */
static const char *const ALIAS32[][2] = {
    { "getuid32", "getuid" }, { "getgid32", "getgid" }, { "geteuid32", "geteuid" },
    { "getegid32", "getegid" }, { "ugetrlimit", "getrlimit" }, { "mmap2", "mmap" }, { "fcntl64", "fcntl" },
    { "clock_gettime64", "clock_gettime" }, { "clock_getres_time64", "clock_getres" },
    { "clock_nanosleep_time64", "clock_nanosleep" }, { "ppoll_time64", "ppoll" },
    { "semtimedop_time64", "semtimedop" },
    { "clock_settime64", "clock_settime" },   /* futexpi */
    { "futex_time64", "futex" }, { "rt_sigtimedwait_time64", "rt_sigtimedwait" },   /* compat2 */
    { "timer_settime64", "timer_settime" }, { "timer_gettime64", "timer_gettime" },   /* ptimers */
    { "_newselect", "select" }, { "pselect6_time64", "pselect6" },
    { "select", "old_select" },     /* i386's 82: the five arguments in a 20-byte block */
};

/* ---- programs --------------------------------------------------------------------------- */

/* Seeds of every worker's corpus (syzkaller's seed programs): the lives of the objects the
   descriptions alone rarely put together, each a program in the text form. */
static const char *const SEEDS[] = {
    /* a working directory removed under the process: getcwd and chdir("..") from it */
    "mkdir:pa/0,c1ed/0,c0/0,c0/0,c0/0,c0/0 chdir:p13/0,c0/0,c0/0,c0/0,c0/0,c0/0 "
    "rmdir:p13/0,c0/0,c0/0,c0/0,c0/0,c0/0 getcwd:b0/0,c1000/0,c0/0,c0/0,c0/0,c0/0 "
    "chdir:pd/0,c0/0,c0/0,c0/0,c0/0,c0/0",
    /* a pipe filled by a thread and drained, then its writer closed */
    "pipe2:ba710/0,c0/0,c0/0,c0/0,c0/0,c0/0 "
    "write@1:ma714/0,b0/0,c1000/0,c0/0,c0/0,c0/0 "
    "read:ma710/0,b1000/0,c1000/0,c0/0,c0/0,c0/0 "
    "close:ma714/0,c0/0,c0/0,c0/0,c0/0,c0/0 read:ma710/0,b0/0,c1000/0,c0/0,c0/0,c0/0",
    /* a handler installed, a signal delivered, blocked, pending, waited for */
    "rt_sigaction:ca/0,a1000000002/a328,c0/0,c8/0,c0/0,c0/0 "
    "kill:g0/0,ca/0,c0/0,c0/0,c0/0,c0/0 "
    "rt_sigprocmask:c0/0,T4206/9000,b0/0,c8/0,c0/0,c0/0 "
    "kill:g0/0,ca/0,c0/0,c0/0,c0/0,c0/0 rt_sigpending:b0/0,c8/0,c0/0,c0/0,c0/0,c0/0 "
    "rt_sigtimedwait:T4206/9000,b0/0,t1312d00/a000,c8/0,c0/0,c0/0",
    /* a timer whose SIGALRM interrupts a sleep */
    "rt_sigaction:ce/0,a2/a328,c0/0,c8/0,c0/0,c0/0 "
    "setitimer:c0/0,T1205/9000,b0/0,c0/0,c0/0,c0/0 "
    "nanosleep:t1312d00/a000,b0/0,c0/0,c0/0,c0/0,c0/0 "
    "getitimer:c0/0,b0/0,c0/0,c0/0,c0/0,c0/0 alarm:c1/0,c0/0,c0/0,c0/0,c0/0,c0/0",
    /* a futex waited for in one thread and woken in another */
    "futex@1:s0/0,c0/0,c0/0,t1312d00/a000,s0/0,c0/0 "
    "sched_yield:c0/0,c0/0,c0/0,c0/0,c0/0,c0/0 futex:s0/0,c1/0,c1/0,c0/0,s0/0,c0/0",
    /* real children waited for */
    "fork:c0/0,c0/0,c0/0,c0/0,c0/0,c0/0 wait4:r0/0,b0/0,c0/0,b100/0,c0/0,c0/0 "
    "vfork:c0/0,c0/0,c0/0,c0/0,c0/0,c0/0 "
    "wait4:cffffffffffffffff/0,b0/0,c0/0,c0/0,c0/0,c0/0",
    /* execve of a real program from a second thread */
    "execve@1:p18/0,v0/0,c0/0,c0/0,c0/0,c0/0 "
    "nanosleep:t1312d00/a000,b0/0,c0/0,c0/0,c0/0,c0/0",
    /* a mapping grown, moved, protected and unmapped by another thread */
    "mmap:c0/0,c3000/0,c3/0,c22/0,cffffffffffffffff/0,c0/0 "
    "mremap:r0/0,c3000/0,c6000/0,c1/0,c0/0,c0/0 "
    "mprotect:r1/0,c1000/0,c1/0,c0/0,c0/0,c0/0 "
    "munmap@1:r1/0,c6000/0,c0/0,c0/0,c0/0,c0/0 "
    "madvise:r1/0,c1000/0,c4/0,c0/0,c0/0,c0/0",
    /* a thread with its tids stored and cleared, waited for on the futex */
    "clone:c1350f00/0,c0/0,s8/0,s8/0,c0/0,c0/0 "
    "futex:s8/0,c0/0,r0/0,t1312d00/a000,s8/0,c0/0",
    /* a file's life: made, written, read back, truncated, renamed, listed, removed */
    "openat:cffffffffffffff9c/0,pb/0,c42/0,c1a4/0,c0/0,c0/0 "
    "write:r0/0,b0/0,c64/0,c0/0,c0/0,c0/0 lseek:r0/0,c0/0,c0/0,c0/0,c0/0,c0/0 "
    "read:r0/0,b100/0,c64/0,c0/0,c0/0,c0/0 ftruncate:r0/0,c1001/0,c0/0,c0/0,c0/0,c0/0 "
    "fstat:r0/0,b200/0,c0/0,c0/0,c0/0,c0/0 rename:pb/0,pa/0,c0/0,c0/0,c0/0,c0/0 "
    "getdents64:c3/0,b400/0,c1000/0,c0/0,c0/0,c0/0 "
    "unlink:pa/0,c0/0,c0/0,c0/0,c0/0,c0/0 close:r0/0,c0/0,c0/0,c0/0,c0/0,c0/0",
    /* poll and ppoll on the fds every program has */
    "poll:T3303/9000,c8/0,c0/0,c0/0,c0/0,c0/0 "
    "ppoll:T7703/9000,c8/0,t1312d00/a000,T4206/9000,c8/0,c0/0",
};
#define NSEEDS (sizeof SEEDS / sizeof SEEDS[0])

/* One argument: kind letter and two numbers (sfuzz_runtime.h's expressions). */
struct arg { char kind; uint64_t val, aux; };
struct call { uint16_t desc; uint16_t nr; uint8_t async; uint8_t abi32; struct arg a[6]; };
struct prog { int n; struct call c[FZ_MAXCALLS]; };

static int nr_of[NDESCS];            /* -1: not in the kernel's table */
static int desc_of_nr[MAX_NR];       /* -1: no description (raw arguments) */
static char name_of_nr[MAX_NR][32];
static int live[NDESCS + MAX_NR], nlive;     /* what may be drawn: descs, then MAX_NR + raw nr */
static char name_of_nr32[MAX_NR][32];        /* the i386 table (int $0x80) */
static int desc_of_nr32[MAX_NR];             /* -1: no description (raw arguments) */
static int live32[MAX_NR], nlive32;          /* i386 numbers that may be drawn */
static uint64_t dis_mask[NDESCS];            /* DISABLE: flag bits never set for this call */
static bool desc_off[NDESCS];                /* DISABLE: the call is never drawn */
static char dis_text[256];                   /* DISABLE as given ("-": none) */
static uint64_t rng_state;

static uint64_t rnd(void) { return fz_rng(&rng_state); }
static uint64_t below(uint64_t n) { return n ? rnd() % n : 0; }

static const char *call_name(const struct call *c)
{
    const char *n = c->abi32 ? name_of_nr32[c->nr % MAX_NR] : name_of_nr[c->nr % MAX_NR];
    return n[0] ? n : "?";
}

static int set_len(const uint64_t *s)
{
    int n = 0;
    while (s[n] != ~0UL)
        n++;
    return n;
}

/* An earlier call (before `upto`) that made a resource of kind `res`, or -1. */
static int pick_res(const struct prog *p, int upto, int res)
{
    int cand[FZ_MAXCALLS], n = 0;
    for (int i = 0; i < upto; i++)
        if (p->c[i].desc < NDESCS && DESCS[p->c[i].desc].res == res)
            cand[n++] = i;
    return n ? cand[below(n)] : -1;
}

static struct arg C(uint64_t v) { return (struct arg){ 'c', v, 0 }; }

/* A path argument of an earlier call (before `at`), or -1. */
static int pick_path(const struct prog *p, int upto)
{
    int cand[FZ_MAXCALLS * 6], n = 0;
    for (int i = 0; i < upto; i++)
        for (int k = 0; k < 6; k++)
            if (p->c[i].a[k].kind == 'p')
                cand[n++] = (int)(p->c[i].a[k].val % FZ_NPATHS);
    return n ? cand[below(n)] : -1;
}

static struct arg gen_fd(const struct prog *p, int at, bool dirfd)
{
    if (dirfd && below(3) == 0)
        return C((uint64_t)-100);                     /* AT_FDCWD */
    int r = pick_res(p, at, RFD);
    int pp = pick_res(p, at, RPIPE);
    uint64_t x = below(10);
    if (r >= 0 && x < 5)
        return (struct arg){ 'r', (uint64_t)r, 0 };
    if (pp >= 0 && x < 8) {
        int k = 0;                                     /* the GPIPE argument (socketpair's 4th) */
        while (k < 5 && DESCS[p->c[pp].desc].a[k].gen != GPIPE)
            k++;
        struct arg pa = p->c[pp].a[k];
        return (struct arg){ 'm', pa.val + 4 * below(2), 0 };
    }
    /* fds every program has (sfuzz_runtime.h: 3 directory, 4 file, 5/6 full pipe, 7/8 empty) */
    static const int64_t consts[] = { 0, 1, 3, 3, 4, 4, 5, 6, 7, 8, -1, 64, 1000, -100 };
    return C((uint64_t)consts[below(sizeof consts / sizeof consts[0])]);
}

static struct arg gen_addr(const struct prog *p, int at)
{
    int r = pick_res(p, at, RMAP);
    uint64_t x = below(10);
    if (r >= 0 && x < 6)
        return (struct arg){ 'r', (uint64_t)r, below(3) * 4096 };
    if (x < 7)
        return (struct arg){ 'b', below(8) * 4096, 0 };
    if (x < 8)
        return (struct arg){ 's', 0, 0 };
    static const uint64_t bad[] = { 0, 0x1000, 0xf000, 0x10000, 0xffffffff80000000UL, 0x800000000000UL,
                                    0x7f0000000000UL, 0x8000000000000000UL, 0x700000100000UL, 0x400001 };
    return C(bad[below(sizeof bad / sizeof bad[0])]);
}

static struct arg gen_pid(const struct prog *p, int at, bool wait)
{
    int r = pick_res(p, at, RPID);
    uint64_t x = below(10);
    if (r >= 0 && x < 5)
        return (struct arg){ 'r', (uint64_t)r, 0 };
    if (x < 7)
        return (struct arg){ 'g', below(2), 0 };      /* own pid, own tid (never the parent's) */
    if (wait && x < 9)
        return C(below(2) ? (uint64_t)-1 : 0);
    return C(below(2) ? 99999 : (uint64_t)-99999);
}

static uint64_t gen_flags(const uint64_t *s)
{
    int n = set_len(s);
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        if (below(3) == 0)
            v |= s[i];
    if (below(30) == 0)
        v |= 1UL << below(32);
    return v;
}

/* A buffer argument: where in fz_buf; the next GLEN argument is tied to what is left. */
static uint64_t last_buf_room;
/* The disabled flag bits of the call being drawn (DISABLE). */
static uint64_t cur_mask;

static struct arg gen_arg(const struct prog *p, int at, const struct argd *d)
{
    switch (d->gen) {
    case GFD: return gen_fd(p, at, false);
    case GDIRFD: return gen_fd(p, at, true);
    case GPATH:
    case GOPATH: {
        /* A path an earlier call of the program named (the directory it made, then entered,
           then removes), "." or ".." (where a removed working directory leads), or any.
           Devices, kcov and /sfuzz only for open: never removed, renamed or chmod'ed (a
           program's fds 0-2 are /dev/null; execve runs /sfuzz). */
        int prev = pick_path(p, at);
        uint64_t x = below(8), i = below(FZ_NPATHS);
        if (prev >= 0 && x < 3)
            i = (uint64_t)prev;
        else if (x == 3)
            i = 12 + below(2);
        if (d->gen == GPATH && i >= FZ_PATH_DEV && i < FZ_NPATHS - 1)
            i = below(FZ_PATH_DEV);
        if (!strcmp(fz_paths[i], "/sfuzz"))
            i = 0;
        return below(40) == 0 ? C(below(2) ? 0 : 0xffffffff80000000UL) : (struct arg){ 'p', i, 0 };
    }
    case GXPATH: {
        static const int x[] = { 24, 24, 1, 0, 18, 20 };   /* /sfuzz, f0, a directory, ... */
        return (struct arg){ 'p', (uint64_t)x[below(sizeof x / sizeof x[0])], 0 };
    }
    case GBUF: {
        uint64_t off = below(4) == 0 ? below(FZ_BUF_SIZE / 2) : below(16) * 64;
        last_buf_room = FZ_BUF_SIZE / 2 - off;
        if (below(30) == 0)
            return C(below(2) ? 0 : 0xffffffff80001000UL);
        return (struct arg){ 'b', off, 0 };
    }
    case GLEN: {
        static const uint64_t l[] = { 0, 1, 8, 16, 64, 100, 512, 4096 };
        uint64_t v = below(4) == 0 ? last_buf_room : l[below(sizeof l / sizeof l[0])];
        if (below(40) == 0)
            v = below(2) ? ~0UL : 1UL << 40;
        return C(v > last_buf_room && below(4) ? last_buf_room : v);
    }
    case GSTRUCT:
        if (below(20) == 0)
            return C(0);
        return (struct arg){ 'd', (FZ_BUF_SIZE / 2 + 4096 + below(4) * 1024) | (rnd() << 32), d->param };
    case GFLAGS: return C(gen_flags(d->set) & ~cur_mask);
    case GENUM: {
        uint64_t v = below(30) == 0 ? rnd() & 0xffff : d->set[below(set_len(d->set))];
        for (int tries = 0; cur_mask && v == cur_mask && tries < 8; tries++)
            v = d->set[below(set_len(d->set))];
        return C(cur_mask && v == cur_mask ? 0 : v);
    }
    case GTMPL:
        if (below(20) == 0)
            return C(0);
        return (struct arg){ 'T', d->param | (rnd() << 8), FZ_BUF_SIZE / 2 + 4096 + below(4) * 1024 };
    case GINT: return C(below(d->param + 1));
    case GADDR: return gen_addr(p, at);
    case GMLEN: {
        static const uint64_t l[] = { 4096, 8192, 3 * 4096, 16 * 4096, 1, 0, 1UL << 30, ~0UL - 4095, 2 * 4096 };
        return C(l[below(sizeof l / sizeof l[0])] * (below(8) ? 1 : 1));
    }
    case GPID: return gen_pid(p, at, false);
    case GWPID: return gen_pid(p, at, true);
    case GSIG: {
        static const uint64_t s[] = { 0, 1, 2, 9, 10, 11, 12, 14, 15, 17, 18, 19, 20, 23, 32, 33, 34, 64, 65 };
        return C(s[below(sizeof s / sizeof s[0])]);
    }
    case GFUTEX:
        if (below(10) == 0)
            return (struct arg){ 'b', below(64) * 4, 0 };
        return (struct arg){ 's', below(16) * 4 + (below(20) == 0 ? 1 : 0), 0 };
    case GIOV: return (struct arg){ 'i', below(8) * 256, 1 + below(8) };
    case GIOVCNT: return C(below(10) == 0 ? 2000 : below(9));
    case GTS:
        if (below(8) == 0)
            return C(0);
        return (struct arg){ 't', below(20) * 1000000, FZ_BUF_SIZE / 2 + 8192 + below(4) * 16 };
    case GSIGACT:
        if (below(8) == 0)
            return C(0);
        return (struct arg){ 'a', below(3) | (gen_flags(S_SAFLAGS) << 8), FZ_BUF_SIZE / 2 + 9000 + below(4) * 64 };
    case GARGV: return below(6) == 0 ? C(0) : (struct arg){ 'v', 0, 0 };
    case GMODE: return C(d->set ? 0 : (below(4) ? S_MODE[below(set_len(S_MODE))] : rnd() & 07777));
    case GUID: {
        static const uint64_t u[] = { 0, 0, 1000, 1000, 65534, (uint64_t)-1, 1 };
        return C(u[below(sizeof u / sizeof u[0])]);
    }
    case GPIPE: return (struct arg){ 'b', FZ_BUF_SIZE / 2 + 10000 + below(8) * 8, 0 };
    case GOFF: {
        static const uint64_t o[] = { 0, 1, 100, 4096, 4097, 1 << 20, 1UL << 40, (uint64_t)-1, 8192 };
        return C(o[below(sizeof o / sizeof o[0])]);
    }
    case GCONST: return C(d->param);
    case GCLONE: {
        uint64_t f = gen_flags(S_CLONE);
        if (!(f & 0x10000))
            f |= 17;                                    /* SIGCHLD: ringlab's only exit signal */
        return C(f & ~cur_mask);
    }
    default: return C(0);
    }
}

static void gen_args(const struct prog *p, int at, struct call *c)
{
    last_buf_room = 4096;
    cur_mask = dis_mask[c->desc];
    for (int i = 0; i < 6; i++)
        c->a[i] = gen_arg(p, at, &DESCS[c->desc].a[i]);
}

static void gen_call(struct prog *p, int at, bool threads)
{
    struct call *c = &p->c[at];
    int pick = live[below(nlive)];
    /* weighted: redraw a described call in proportion to its weight (out of 10) */
    for (int tries = 0; tries < 8 && pick < (int)NDESCS && below(10) >= DESCS[pick].weight; tries++)
        pick = live[below(nlive)];
    memset(c, 0, sizeof *c);
    c->async = threads && below(3) == 0 ? (uint8_t)(1 + below(FZ_THREADS)) : 0;
    if (nlive32 && below(8) == 0) {                     /* one call in 8 through int $0x80 */
        int nr = live32[below(nlive32)];
        c->abi32 = 1;
        c->nr = (uint16_t)nr;
        if (desc_of_nr32[nr] >= 0) {
            c->desc = (uint16_t)desc_of_nr32[nr];
            gen_args(p, at, c);
        } else {                                        /* raw: small numbers, buffers, noise */
            c->desc = 0xffff;
            for (int i = 0; i < 6; i++) {
                uint64_t x = below(3);
                c->a[i] = x == 0 ? C(below(64)) : x == 1 ? (struct arg){ 'b', below(16) * 64, 0 } : C(rnd());
            }
        }
        return;
    }
    if (pick >= (int)NDESCS) {                          /* undescribed: raw arguments */
        c->desc = 0xffff;
        c->nr = (uint16_t)(pick - NDESCS);
        for (int i = 0; i < 6; i++)
            c->a[i] = C(below(2) ? below(64) : rnd());
        return;
    }
    c->desc = (uint16_t)pick;
    c->nr = (uint16_t)nr_of[pick];
    gen_args(p, at, c);
}

static void gen_prog(struct prog *p)
{
    bool threads = below(3) == 0;
    p->n = 1 + (int)below(FZ_MAXCALLS - 4);
    for (int i = 0; i < p->n; i++)
        gen_call(p, i, threads);
}

/* Remove call i: later references to it become -1, references past it move down. */
static void drop_call(struct prog *p, int i)
{
    for (int j = i + 1; j < p->n; j++) {
        p->c[j - 1] = p->c[j];
        for (int k = 0; k < 6; k++) {
            struct arg *a = &p->c[j - 1].a[k];
            if (a->kind == 'r' && a->val == (uint64_t)i)
                *a = C((uint64_t)-1);
            else if (a->kind == 'r' && a->val > (uint64_t)i)
                a->val--;
        }
    }
    p->n--;
}

/* Make room for a call at i: references to i and later move up. */
static void insert_slot(struct prog *p, int i)
{
    for (int j = p->n; j > i; j--)
        p->c[j] = p->c[j - 1];
    p->n++;
    for (int j = i + 1; j < p->n; j++)
        for (int k = 0; k < 6; k++)
            if (p->c[j].a[k].kind == 'r' && p->c[j].a[k].val >= (uint64_t)i)
                p->c[j].a[k].val++;
}

static void mutate(struct prog *p)
{
    int ops = 1 + (int)below(3);
    bool threads = below(3) == 0;
    while (ops--) {
        uint64_t op = below(10);
        if (op < 4 && p->n) {                           /* one argument drawn again (one the call has) */
            int i = (int)below(p->n), k = (int)below(6);
            if (p->c[i].desc < NDESCS) {
                int has[6], nhas = 0;
                for (int j = 0; j < 6; j++)
                    if (DESCS[p->c[i].desc].a[j].gen != G0)
                        has[nhas++] = j;
                k = nhas ? has[below(nhas)] : k;
                last_buf_room = 4096;
                cur_mask = dis_mask[p->c[i].desc];
                p->c[i].a[k] = gen_arg(p, i, &DESCS[p->c[i].desc].a[k]);
            }
        } else if (op < 6 && p->n < FZ_MAXCALLS) {      /* a call appended */
            gen_call(p, p->n, threads);
            p->n++;
        } else if (op < 7 && p->n < FZ_MAXCALLS) {      /* a call inserted (it uses only earlier results) */
            int at = (int)below(p->n + 1);
            insert_slot(p, at);
            gen_call(p, at, threads);
        } else if (op < 9 && p->n > 1) {
            drop_call(p, (int)below(p->n));
        } else if (p->n) {
            struct call *c = &p->c[below(p->n)];
            c->async = c->async ? 0 : (uint8_t)(1 + below(FZ_THREADS));
        }
    }
}

/* ---- text form: "name[@T]:k=v/a,..." calls, space-separated ------------------------------ */

static int format_prog(const struct prog *p, char *out, size_t size)
{
    size_t n = 0;
    for (int i = 0; i < p->n && n < size; i++) {
        const struct call *c = &p->c[i];
        n += snprintf(out + n, size - n, "%s%s%s#%u", i ? " " : "", c->abi32 ? "i386." : "", call_name(c), c->nr);
        if (c->async)
            n += snprintf(out + n, size - n, "@%u", c->async);
        n += snprintf(out + n, size - n, ":");
        for (int k = 0; k < 6 && n < size; k++)
            n += snprintf(out + n, size - n, "%s%c%lx/%lx", k ? "," : "", c->a[k].kind, c->a[k].val, c->a[k].aux);
    }
    return n < size ? 0 : -1;
}

static int nr_by_name(const char *name)
{
    for (int i = 0; i < MAX_NR; i++)
        if (name_of_nr[i][0] && !strcmp(name_of_nr[i], name))
            return i;
    return -1;
}

static int nr32_by_name(const char *name)
{
    for (int i = 0; i < MAX_NR; i++)
        if (name_of_nr32[i][0] && !strcmp(name_of_nr32[i], name))
            return i;
    return -1;
}

/* Parse a program: each call names its description and number ("name#NR"). */
static int parse_prog(const char *text, struct prog *p)
{
    memset(p, 0, sizeof *p);
    const char *s = text;
    while (*s && p->n < FZ_MAXCALLS) {
        while (*s == ' ' || *s == '\n')
            s++;
        if (!*s)
            break;
        struct call *c = &p->c[p->n];
        char name[32];
        int len = 0;
        while (*s && *s != ':' && *s != '@' && *s != '#' && len < 31)
            name[len++] = *s++;
        name[len] = 0;
        c->desc = 0xffff;
        int nr;
        if (!strncmp(name, "i386.", 5)) {
            c->abi32 = 1;
            nr = nr32_by_name(name + 5);
            if (nr >= 0 && desc_of_nr32[nr] >= 0)
                c->desc = (uint16_t)desc_of_nr32[nr];
        } else {
            for (unsigned i = 0; i < NDESCS; i++)
                if (!strcmp(DESCS[i].name, name))
                    c->desc = (uint16_t)i;
            nr = nr_by_name(name);
        }
        if (*s == '#')
            nr = (int)strtol(s + 1, (char **)&s, 10);
        if (*s == '@')
            c->async = (uint8_t)strtol(s + 1, (char **)&s, 10);
        if (nr < 0 || *s != ':')
            return -1;
        c->nr = (uint16_t)nr;
        s++;
        for (int k = 0; k < 6; k++) {
            c->a[k].kind = *s++;
            c->a[k].val = strtoul(s, (char **)&s, 16);
            if (*s++ != '/')
                return -1;
            c->a[k].aux = strtoul(s, (char **)&s, 16);
            if (k < 5 && *s++ != ',')
                return -1;
        }
        p->n++;
    }
    return p->n ? 0 : -1;
}

/* ---- execution -------------------------------------------------------------------------- */

struct wslot {                       /* per worker, in the shared region */
    volatile long calls, enosys, execs, corpus, findings, lowmap, stuck;
};
struct shared {
    volatile long pcs;
    volatile long stop;
    struct wslot w[MAXWORKERS];
    volatile uint64_t pcset[PCSET_SIZE];
};
static struct shared *sh;
static struct wslot *me;
static const struct prog *cur;

static long eval(const struct arg *a)
{
    switch (a->kind) {
    case 'c': return (long)a->val;
    case 'r': return fz_r[a->val % FZ_MAXCALLS] + (long)a->aux;
    case 'b': return (long)(fz_buf + a->val % FZ_BUF_SIZE);
    case 's': return (long)(fz_shm + a->val % FZ_SHM_SIZE);
    case 'p': return (long)fz_paths[a->val % FZ_NPATHS];
    case 'd': return fz_fill((long)(a->val & 0xffffffff) % FZ_BUF_SIZE, (long)a->aux, (long)(a->val >> 32));
    case 'i': return fz_iov((long)a->val % (FZ_BUF_SIZE / 2), (long)a->aux);
    case 't': return fz_ts((long)a->aux % (FZ_BUF_SIZE - 16), (long)a->val);
    case 'a': return fz_sa((long)a->aux % (FZ_BUF_SIZE - 32), (long)(a->val & 0xff), (long)(a->val >> 8));
    case 'm': return fz_int((long)a->val % (FZ_BUF_SIZE - 4));
    case 'g': return fz_id((long)a->val);
    case 'v': return (long)fz_argv;
    case 'T': return fz_tmpl((long)a->aux % (FZ_BUF_SIZE - 64), (long)(a->val & 0xff), (long)(a->val >> 8));
    default: return 0;
    }
}

static void exec_call(int i)
{
    const struct call *c = &cur->c[i];
    long v[6];
    for (int k = 0; k < 6; k++)
        v[k] = eval(&c->a[k]);
    long r = c->abi32 ? fz_syscall32(c->nr, v[0], v[1], v[2], v[3], v[4], v[5])
                      : fz_syscall(c->nr, v[0], v[1], v[2], v[3], v[4], v[5]);
    fz_r[i] = r;
    if (me) {
        __atomic_add_fetch(&me->calls, 1, __ATOMIC_RELAXED);
        if (r == -ENOSYS_)
            __atomic_add_fetch(&me->enosys, 1, __ATOMIC_RELAXED);
    }
    /* A mapping below 64 KiB: Linux's mmap_min_addr forbids it to every process. */
    bool maps = c->desc < NDESCS && DESCS[c->desc].res == RMAP;
    if (maps && r >= 0 && (unsigned long)r < MMAP_MIN) {
        if (me)
            me->lowmap = 1;
        else
            fz_shm[FZ_SHM_SIZE - 1] = 1;
    }
}

/* kcov, per thread: fds and buffers opened by the worker, enabled by each thread of a child. */
static int kcov_fd[1 + FZ_THREADS] = { -1, -1, -1 };
static unsigned long *kcov_buf[1 + FZ_THREADS];

static void kcov_on(int t)
{
    if (kcov_fd[t] >= 0) {
        __atomic_store_n(&kcov_buf[t][0], 0, __ATOMIC_RELAXED);
        fz_syscall(SYS_ioctl, kcov_fd[t], 0x6364, 0, 0, 0, 0);   /* KCOV_ENABLE, KCOV_TRACE_PC */
    }
}

static void thread_body(int t)
{
    kcov_on(t);
    for (int i = 0; i < cur->n; i++)
        if (cur->c[i].async == t)
            exec_call(i);
}
static void thread1(void) { thread_body(1); }
static void thread2(void) { thread_body(2); }

static void run_prog_child(void *arg)
{
    cur = arg;
    fz_setup();
    bool threads = false;
    for (int i = 0; i < cur->n; i++)
        threads |= cur->c[i].async != 0;
    if (threads) {
        fz_spawn(0, thread1);
        fz_spawn(1, thread2);
    }
    kcov_on(0);
    for (int i = 0; i < cur->n; i++)
        if (!cur->c[i].async)
            exec_call(i);
    /* let the threads finish their calls (bounded: the parent kills the program anyway) */
    for (int spin = 0; threads && spin < 20; spin++)
        fz_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
    fz_syscall(SYS_exit_group, 0, 0, 0, 0, 0, 0);
}

/* ---- coverage --------------------------------------------------------------------------- */

/* Add a PC to the shared set; true if no worker had seen it. */
static bool pc_add(uint64_t pc)
{
    uint64_t h = (pc * 0x9e3779b97f4a7c15UL) >> (64 - PCSET_BITS);
    for (uint64_t i = 0; i < PCSET_SIZE; i++) {
        volatile uint64_t *slot = &sh->pcset[(h + i) & (PCSET_SIZE - 1)];
        uint64_t cur_v = *slot;
        if (cur_v == pc)
            return false;
        if (cur_v == 0) {
            uint64_t expect = 0;
            if (__atomic_compare_exchange_n(slot, &expect, pc, false, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
                __atomic_add_fetch(&sh->pcs, 1, __ATOMIC_RELAXED);
                return true;
            }
            if (expect == pc)
                return false;
        }
    }
    return false;
}

static bool collect_coverage(void)
{
    bool fresh = false;
    for (int t = 0; t <= FZ_THREADS; t++) {
        if (kcov_fd[t] < 0)
            continue;
        unsigned long n = __atomic_load_n(&kcov_buf[t][0], __ATOMIC_RELAXED);
        if (n > KCOV_WORDS - 1)
            n = KCOV_WORDS - 1;
        for (unsigned long i = 1; i <= n; i++)
            fresh |= pc_add(kcov_buf[t][i]);
        kcov_buf[t][0] = 0;
    }
    return fresh;
}

static void kcov_open_all(void)
{
    for (int t = 0; t <= FZ_THREADS; t++) {
        int fd = open("/sys/kernel/debug/kcov", O_RDWR);
        if (fd < 0)
            return;                                  /* no kcov: the fuzzer runs without feedback */
        int hi = fcntl(fd, F_DUPFD_CLOEXEC, 50);
        close(fd);
        if (hi < 0 || ioctl(hi, 0x80086301, KCOV_WORDS))
            return;
        void *m = mmap((void *)(KCOV_BASE + (unsigned long)t * KCOV_WORDS * 8 * 2), KCOV_WORDS * 8,
                       PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, hi, 0);
        if (m == MAP_FAILED)
            return;
        kcov_fd[t] = hi;
        kcov_buf[t] = m;
    }
}

/* ---- the worker and the main process ---------------------------------------------------- */

static void print_line(const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = write(1, s, n);
        if (w <= 0)
            return;
        s += w;
        n -= (size_t)w;
    }
}

static bool allowed(const struct prog *p);

static void worker(int w, uint64_t seed)
{
    /* The corpus is MAP_SHARED only so that fork does not copy it into every program's child
       (ringlab's fork copies each private page); no other process uses it. */
    struct prog *corpus = mmap(NULL, sizeof(struct prog) * CORPUS_MAX, PROT_READ | PROT_WRITE,
                               MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    static char text[8192], line[8300];
    if (corpus == MAP_FAILED)
        _exit(2);
    int ncorpus = 0;
    me = &sh->w[w];
    rng_state = seed * 0x2545f4914f6cdd1dUL + (uint64_t)w + 1;
    fz_init();
    kcov_open_all();
    struct prog p;
    for (unsigned i = 0; i < NSEEDS; i++)            /* the seeds whose calls may all be drawn */
        if (!parse_prog(SEEDS[i], &p) && allowed(&p))
            corpus[ncorpus++] = p;
    me->corpus = ncorpus;
    while (!sh->stop) {
        if (!ncorpus || below(4) == 0) {
            gen_prog(&p);
        } else {
            p = corpus[below(ncorpus)];
            mutate(&p);
        }
        if (format_prog(&p, text, sizeof text))
            continue;
        snprintf(line, sizeof line, "sfuzz: run %d %s\n", w, text);
        print_line(line);
        me->lowmap = 0;
        int st = 0;
        int stuck = fz_run_child(run_prog_child, &p, &st);
        me->execs++;
        bool leak = !stuck && WIFEXITED(st) && WEXITSTATUS(st) == FZ_EXIT_LEAK;
        if (stuck || me->lowmap || leak) {
            snprintf(line, sizeof line, "sfuzz: finding kind=%s w=%d %s\n",
                     stuck ? "stuck" : leak ? "execleak" : "lowmap", w, text);
            print_line(line);
            me->findings++;
            if (stuck)
                break;                               /* its kcov objects stay busy */
        }
        if (collect_coverage() && ncorpus < CORPUS_MAX) {
            corpus[ncorpus++] = p;
            me->corpus = ncorpus;
        }
    }
    _exit(0);
}

static void load_table(void)
{
    for (int i = 0; i < MAX_NR; i++)
        desc_of_nr[i] = -1;
    for (int i = 0; i < MAX_NR; i++)
        desc_of_nr32[i] = -1;
    FILE *f = fopen("/sfuzz.calls", "r");
    int nr;
    char name[32], text[96];
    while (f && fgets(text, sizeof text, f)) {
        if (sscanf(text, "i386 %d %31s", &nr, name) == 2 && nr >= 0 && nr < MAX_NR)
            snprintf(name_of_nr32[nr], sizeof name_of_nr32[nr], "%s", name);
        else if (sscanf(text, "%d %31s", &nr, name) == 2 && nr >= 0 && nr < MAX_NR)
            snprintf(name_of_nr[nr], sizeof name_of_nr[nr], "%s", name);
    }
    if (f)
        fclose(f);
}

/* DISABLE's entry for a call name: 0 none, 1 the whole call, 2 flag bits (*mask). */
static int disabled(const char *name, uint64_t *mask)
{
    size_t len = strlen(name);
    for (const char *s = dis_text; *s;) {
        const char *end = strchr(s, '+');
        size_t n = end ? (size_t)(end - s) : strlen(s);
        if (n >= len && !strncmp(s, name, len) && (n == len || s[len] == ':')) {
            if (n == len)
                return 1;
            *mask = strtoull(s + len + 1, NULL, 16);
            return 2;
        }
        s += n + (end ? 1 : 0);
    }
    return 0;
}

/* A seed may run: none of its calls is disabled, nor has a disabled flag in a flag argument. */
static bool allowed(const struct prog *p)
{
    for (int i = 0; i < p->n; i++) {
        int d = p->c[i].desc;
        if (d >= (int)NDESCS || desc_off[d])
            return false;
        for (int k = 0; k < 6; k++) {
            uint8_t g = DESCS[d].a[k].gen;
            if ((g == GFLAGS || g == GCLONE) && p->c[i].a[k].kind == 'c' && (p->c[i].a[k].val & dis_mask[d]))
                return false;
        }
    }
    return true;
}

static const char *twin64(const char *name32)
{
    for (unsigned i = 0; i < sizeof ALIAS32 / sizeof ALIAS32[0]; i++)
        if (!strcmp(ALIAS32[i][0], name32))
            return ALIAS32[i][1];
    return name32;
}

static void build_live(char *undescribed, char *never, size_t size)
{
    undescribed[0] = never[0] = 0;
    bool *off = desc_off;
    for (unsigned i = 0; i < NDESCS; i++) {
        dis_mask[i] = 0;
        off[i] = disabled(DESCS[i].name, &dis_mask[i]) == 1;
        nr_of[i] = nr_by_name(DESCS[i].name);
        if (nr_of[i] >= 0) {
            desc_of_nr[nr_of[i]] = (int)i;
            if (DESCS[i].weight && !off[i])
                live[nlive++] = (int)i;
            else
                snprintf(never + strlen(never), size - strlen(never), "%s%s", never[0] ? "," : "", DESCS[i].name);
        }
    }
    for (int n = 0; n < MAX_NR; n++) {
        uint64_t m;
        if (name_of_nr32[n][0]) {
            const char *twin = twin64(name_of_nr32[n]);
            for (unsigned i = 0; i < NDESCS; i++)
                if (!strcmp(DESCS[i].name, twin))
                    desc_of_nr32[n] = (int)i;
            bool skip = desc_of_nr32[n] >= 0 ? off[desc_of_nr32[n]] || !DESCS[desc_of_nr32[n]].weight
                                             : disabled(name_of_nr32[n], &m) == 1;
            if (!skip)
                live32[nlive32++] = n;
        }
        if (name_of_nr[n][0] && desc_of_nr[n] < 0) {
            if (disabled(name_of_nr[n], &m) == 1)
                continue;
            live[nlive++] = (int)NDESCS + n;
            snprintf(undescribed + strlen(undescribed), size - strlen(undescribed), "%s%s",
                     undescribed[0] ? "," : "", name_of_nr[n]);
        }
    }
}

static void totals(long *calls, long *enosys, long *execs, long *corpus, long *findings)
{
    *calls = *enosys = *execs = *corpus = *findings = 0;
    for (int w = 0; w < MAXWORKERS; w++) {
        *calls += sh->w[w].calls;
        *enosys += sh->w[w].enosys;
        *execs += sh->w[w].execs;
        *corpus += sh->w[w].corpus;
        *findings += sh->w[w].findings;
    }
}

static void progress(const char *what, long t0, long *last_calls, long *last_t)
{
    long calls, enosys, execs, corpus, findings, now = fz_now_ns();
    totals(&calls, &enosys, &execs, &corpus, &findings);
    double dt = (double)(now - *last_t) / 1e9;
    char line[512];
    snprintf(line, sizeof line,
             "sfuzz: %s t=%ld calls=%ld cps=%.0f pcs=%ld corpus=%ld enosys=%ld enosys_pct=%.2f findings=%ld execs=%ld\n",
             what, (now - t0) / 1000000000L, calls, dt > 0 ? (double)(calls - *last_calls) / dt : 0.0, sh->pcs,
             corpus, enosys, calls ? 100.0 * (double)enosys / (double)calls : 0.0, findings, execs);
    print_line(line);
    *last_calls = calls;
    *last_t = now;
}

static int fuzz_main(uint64_t seed, long seconds, int workers, const char *disable)
{
    char undescribed[2048], never[256], line[2900];
    snprintf(dis_text, sizeof dis_text, "%s", strcmp(disable, "-") ? disable : "");
    load_table();
    build_live(undescribed, never, sizeof undescribed);
    int ntable = 0;
    for (int n = 0; n < MAX_NR; n++)
        ntable += name_of_nr[n][0] != 0;
    int nundescribed = 0;
    for (int n = 0; n < MAX_NR; n++)
        nundescribed += name_of_nr[n][0] && desc_of_nr[n] < 0;
    snprintf(line, sizeof line, "sfuzz: table calls=%d described=%d undescribed=%s never=%s i386=%d disabled=%s\n",
             ntable, ntable - nundescribed, undescribed[0] ? undescribed : "-", never[0] ? never : "-", nlive32,
             dis_text[0] ? dis_text : "-");
    print_line(line);
    if (!nlive) {
        print_line("sfuzz: no system-call table (/sfuzz.calls)\n");
        return 2;
    }
    sh = mmap(NULL, sizeof *sh, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED)
        return 2;
    if (workers < 1 || workers > MAXWORKERS)
        workers = 2;
    pid_t pids[MAXWORKERS];
    for (int w = 0; w < workers; w++) {
        pids[w] = fork();
        if (pids[w] == 0)
            worker(w, seed);
    }
    long t0 = fz_now_ns(), last_t = t0, last_calls = 0, next = t0 + PROGRESS_S * 1000000000L;
    while (fz_now_ns() - t0 < seconds * 1000000000L) {
        struct timespec nap = { 0, 200000000 };
        nanosleep(&nap, NULL);                       /* the pace of progress lines and reaping */
        while (waitpid(-1, NULL, WNOHANG) > 0)
            ;                                        /* orphans of fuzzed forks come to init */
        if (fz_now_ns() >= next) {
            progress("progress", t0, &last_calls, &last_t);
            next += PROGRESS_S * 1000000000L;
        }
    }
    sh->stop = 1;
    for (int w = 0; w < workers; w++) {
        long start = fz_now_ns();
        while (waitpid(pids[w], NULL, WNOHANG) != pids[w] && fz_now_ns() - start < FZ_STUCK_NS * 2) {
            struct timespec nap = { 0, 10000000 };
            nanosleep(&nap, NULL);
        }
        kill(pids[w], SIGKILL);
    }
    last_calls = 0;
    last_t = t0;
    progress("done", t0, &last_calls, &last_t);
    /* every distinct PC, for the harness's line-coverage report (16 a line) */
    char pcline[16 * 17 + 16];
    int n = 0;
    size_t len = 0;
    for (uint64_t i = 0; i < PCSET_SIZE; i++) {
        if (!sh->pcset[i])
            continue;
        if (n == 0)
            len = (size_t)snprintf(pcline, sizeof pcline, "sfuzz: pcs");
        len += (size_t)snprintf(pcline + len, sizeof pcline - len, " %lx", (unsigned long)sh->pcset[i]);
        if (++n == 16) {
            snprintf(pcline + len, sizeof pcline - len, "\n");
            print_line(pcline);
            n = 0;
        }
    }
    if (n) {
        snprintf(pcline + len, sizeof pcline - len, "\n");
        print_line(pcline);
    }
    return 0;
}

/* ---- replay and C source ---------------------------------------------------------------- */

static int replay_main(long repeat)
{
    static char text[8192];
    static struct prog p;
    load_table();
    char u[2048], n[256];
    build_live(u, n, sizeof u);
    FILE *f = fopen("/sfuzz.prog", "r");
    if (!f || !fgets(text, sizeof text, f) || parse_prog(text, &p)) {
        print_line("sfuzz: replay: no program in /sfuzz.prog\n");
        return 2;
    }
    fz_init();
    const char *result = "clean";
    for (long i = 0; i < repeat; i++) {
        int st;
        fz_shm[FZ_SHM_SIZE - 1] = 0;
        if (fz_run_child(run_prog_child, &p, &st)) {
            result = "stuck";
            break;
        }
        if (WIFEXITED(st) && WEXITSTATUS(st) == FZ_EXIT_LEAK) {
            result = "execleak";
            break;
        }
        if (fz_shm[FZ_SHM_SIZE - 1]) {
            result = "lowmap";
            break;
        }
    }
    char line[64];
    snprintf(line, sizeof line, "sfuzz: replay result=%s\n", result);
    print_line(line);
    return 0;
}

static void c_arg(const struct arg *a, char *out, size_t size)
{
    switch (a->kind) {
    case 'c': snprintf(out, size, "0x%lx", a->val); break;
    case 'r': snprintf(out, size, "fz_r[%lu] + 0x%lx", a->val % FZ_MAXCALLS, a->aux); break;
    case 'b': snprintf(out, size, "(long)(fz_buf + 0x%lx)", a->val % FZ_BUF_SIZE); break;
    case 's': snprintf(out, size, "(long)(fz_shm + 0x%lx)", a->val % FZ_SHM_SIZE); break;
    case 'p': snprintf(out, size, "(long)fz_paths[%lu]", a->val % FZ_NPATHS); break;
    case 'd': snprintf(out, size, "fz_fill(0x%lx, 0x%lx, 0x%lx)", (a->val & 0xffffffff) % FZ_BUF_SIZE, a->aux, a->val >> 32); break;
    case 'i': snprintf(out, size, "fz_iov(0x%lx, %lu)", a->val % (FZ_BUF_SIZE / 2), a->aux); break;
    case 't': snprintf(out, size, "fz_ts(0x%lx, %lu)", a->aux % (FZ_BUF_SIZE - 16), a->val); break;
    case 'a': snprintf(out, size, "fz_sa(0x%lx, %lu, 0x%lx)", a->aux % (FZ_BUF_SIZE - 32), a->val & 0xff, a->val >> 8); break;
    case 'm': snprintf(out, size, "fz_int(0x%lx)", a->val % (FZ_BUF_SIZE - 4)); break;
    case 'g': snprintf(out, size, "fz_id(%lu)", a->val); break;
    case 'v': snprintf(out, size, "(long)fz_argv"); break;
    case 'T': snprintf(out, size, "fz_tmpl(0x%lx, %lu, 0x%lx)", a->aux % (FZ_BUF_SIZE - 64), a->val & 0xff, a->val >> 8); break;
    default: snprintf(out, size, "0"); break;
    }
}

/* The program as C: a function per thread and the main thread's calls, run REPEAT times in
   forked children as the fuzzer ran it (sfuzz_runtime.h above it). */
static int csource_main(long repeat, const char *text)
{
    static struct prog p;
    if (parse_prog(text, &p)) {
        fprintf(stderr, "sfuzz: csource: cannot parse the program\n");
        return 2;
    }
    bool threads = false;
    for (int t = 0; t <= FZ_THREADS; t++) {
        if (t)
            printf("\nstatic void fz_thread%d(void)\n{\n", t);
        else
            printf("\nstatic void fz_main_calls(void)\n{\n");
        for (int i = 0; i < p.n; i++) {
            if (p.c[i].async != t)
                continue;
            threads |= t != 0;
            char a[6][96];
            for (int k = 0; k < 6; k++)
                c_arg(&p.c[i].a[k], a[k], sizeof a[k]);
            printf("    fz_r[%d] = fz_syscall%s(%u, %s, %s, %s, %s, %s, %s);   /* %s%s */\n", i, p.c[i].abi32 ? "32" : "",
                   p.c[i].nr, a[0], a[1], a[2], a[3], a[4], a[5], p.c[i].abi32 ? "i386 " : "",
                   p.c[i].desc < NDESCS ? DESCS[p.c[i].desc].name : "raw");
            if (p.c[i].desc < NDESCS && DESCS[p.c[i].desc].res == RMAP)      /* as exec_call checks */
                printf("    if (fz_r[%d] >= 0 && fz_r[%d] < 0x%lx)\n        fz_shm[FZ_SHM_SIZE - 1] = 1;   /* below 64 KiB */\n",
                       i, i, MMAP_MIN);
        }
        printf("}\n");
    }
    printf("\nstatic void fz_program(void *arg)\n{\n    (void)arg;\n    fz_setup();\n");
    if (threads)
        printf("    fz_spawn(0, fz_thread1);\n    fz_spawn(1, fz_thread2);\n");
    printf("    fz_main_calls();\n");
    if (threads)
        printf("    for (int spin = 0; spin < 20; spin++)\n        fz_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);\n");
    printf("    fz_syscall(SYS_exit_group, 0, 0, 0, 0, 0, 0);\n}\n");
    printf("\nint main(void)\n{\n    fz_init();\n    for (int i = 0; i < %ld; i++) {\n"
           "        int status;\n        if (fz_run_child(fz_program, NULL, &status)) {\n"
           "            printf(\"repro: a program SIGKILL did not end\\n\");\n            return 1;\n        }\n"
           "        if (fz_shm[FZ_SHM_SIZE - 1]) {\n"
           "            printf(\"repro: a mapping below 64 KiB\\n\");\n            return 1;\n        }\n"
           "        if (WIFEXITED(status) && WEXITSTATUS(status) == FZ_EXIT_LEAK) {\n"
           "            printf(\"repro: XMM15 kept its value across execve\\n\");\n            return 1;\n        }\n"
           "    }\n    printf(\"repro: done\\n\");\n    return 0;\n}\n", repeat);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "exit")) {
        /* execve's canary (fz_syscall) must not reach here: musl's start-up uses no XMM15 */
        uint64_t x15;
        __asm__ volatile("movq %%xmm15, %0" : "=r"(x15));
        return x15 == FZ_XMM_CANARY ? FZ_EXIT_LEAK : 0;
    }
    if (argc > 4 && !strcmp(argv[1], "fuzz"))
        return fuzz_main(strtoull(argv[2], NULL, 0), strtol(argv[3], NULL, 0), (int)strtol(argv[4], NULL, 0),
                         argc > 5 ? argv[5] : "-");
    if (argc > 2 && !strcmp(argv[1], "replay"))
        return replay_main(strtol(argv[2], NULL, 0));
    if (argc > 3 && !strcmp(argv[1], "csource"))
        return csource_main(strtol(argv[2], NULL, 0), argv[3]);
    fprintf(stderr, "usage: sfuzz fuzz SEED SECONDS WORKERS [DISABLE] | replay REPEAT | csource REPEAT PROGRAM | exit\n");
    return 2;
}
