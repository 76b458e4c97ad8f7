/*
 * /proc attacked (tests/test_procfs.py runs it on Linux and in ringlab and compares):
 * /proc/self/mem at page 0, kernel addresses, the last user page, huge offsets, across an
 * unmapped page, into read-only private and shared pages, into a bad buffer; files of a
 * process kept open after it has ended and been reaped, and after it has exec'd; the
 * permission of an unprivileged and of a non-dumpable process; odd names; writes to files
 * that take none. Run as root (the unprivileged cases drop their ids in a child).
 *
 *   prochostile                 every case
 *   prochostile after-exec M E  (internal) read the fds M (mem) and E (environ) opened before execve
 *   prochostile euid            (internal) the ids a set-user-ID execve gave
 *   prochostile cache           more /proc files open at once than ringlab keeps (a ringlab limit)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
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
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err_name(int e)
{
    switch (e) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EIO: return "EIO";
    case ENXIO: return "ENXIO";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case EOVERFLOW: return "EOVERFLOW";
    case ENOMEM: return "ENOMEM";
    default: return "other";
    }
}

static char resbuf[64];
static const char *res(long r)
{
    if (r < 0 && !strcmp(err_name(errno), "other"))
        snprintf(resbuf, sizeof resbuf, "%ld errno %d", r, errno);
    else
        snprintf(resbuf, sizeof resbuf, "%ld%s%s", r, r < 0 ? " " : "", r < 0 ? err_name(errno) : "");
    return resbuf;
}
#define RES(expr) (errno = 0, res((long)(expr)))

static void mem_edges(void)
{
    int fd = open("/proc/self/mem", O_RDWR);
    char buf[64];
    printf("mem page 0: %s\n", RES(pread(fd, buf, 8, 0)));
    printf("mem kernel address: %s\n", RES(pread(fd, buf, 8, (off_t)0xffffffff80000000UL)));
    printf("mem non-canonical: %s\n", RES(pread(fd, buf, 8, (off_t)0x0000800000000000UL)));
    printf("mem last user page: %s\n", RES(pread(fd, buf, 8, (off_t)0x00007ffffffff000UL)));
    printf("mem offset 2^63-8: %s\n", RES(pread(fd, buf, 8, (off_t)0x7ffffffffffffff8L)));
    off_t k = lseek(fd, (off_t)0xffffffff80000000UL, SEEK_SET);
    printf("mem lseek to a kernel address: %s\n", k == (off_t)0xffffffff80000000UL ? "the address" : "BAD");
    printf("mem read there: %s\n", RES(read(fd, buf, 8)));
    printf("mem write there: %s\n", RES(write(fd, buf, 8)));
    printf("mem lseek SEEK_END: %s\n", RES(lseek(fd, 0, SEEK_END)));

    char *two = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(two, 'x', 2 * 4096);
    munmap(two + 4096, 4096);
    printf("mem read across into an unmapped page: %s\n", RES(pread(fd, buf, 16, (off_t)(two + 4096 - 8))));
    printf("mem write across into an unmapped page: %s\n", RES(pwrite(fd, "0123456789abcdef", 16, (off_t)(two + 4096 - 8))));
    printf("mem read into a NULL buffer: %s\n", RES(pread(fd, NULL, 8, (off_t)two)));
    printf("mem read into a kernel buffer: %s\n", RES(pread(fd, (void *)0xffffffff80100000UL, 8, (off_t)two)));
    printf("mem write from an unmapped buffer: %s\n", RES(pwrite(fd, (void *)4096, 8, (off_t)two)));

    char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mem write a PROT_NONE private page: %s\n", RES(pwrite(fd, "forced", 7, (off_t)none)));
    char back[8] = "";
    printf("mem read it back: %s", RES(pread(fd, back, 7, (off_t)none)));
    printf(" \"%s\"\n", back);
    char *shro = mmap(NULL, 4096, PROT_READ, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    printf("mem write a read-only shared page: %s\n", RES(pwrite(fd, "x", 1, (off_t)shro)));
    printf("mem read a read-only shared page: %s\n", RES(pread(fd, back, 1, (off_t)shro)));
    close(fd);
    int rfd = open("/proc/self/mem", O_RDONLY);
    printf("mem write on an O_RDONLY fd: %s\n", RES(pwrite(rfd, "x", 1, (off_t)two)));
    close(rfd);
}

/* Files of a child kept open while it ends and is reaped. */
static void open_after_exit(void)
{
    int p[2];
    pipe(p);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        read(p[0], &c, 1);
        _exit(0);
    }
    static const char *const names[] = { "stat", "status", "cmdline", "maps", "mem", "environ", "auxv", "comm" };
    int fds[8];
    char path[64], buf[256];
    for (int i = 0; i < 8; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", pid, names[i]);
        fds[i] = open(path, O_RDONLY);
    }
    snprintf(path, sizeof path, "/proc/%d", pid);
    int dirfd = open(path, O_RDONLY | O_DIRECTORY);
    snprintf(path, sizeof path, "/proc/%d/fd", pid);
    int fddirfd = open(path, O_RDONLY | O_DIRECTORY);
    printf("child's stat while it lives: %s\n", read(fds[0], buf, sizeof buf) > 0 ? "read" : "BAD");
    lseek(fds[0], 0, SEEK_SET);
    write(p[1], "x", 1);
    waitpid(pid, NULL, 0);
    for (int i = 0; i < 8; i++) {
        long n = read(fds[i], buf, sizeof buf);   /* auxv: its length is Linux's or ringlab's */
        printf("after the child is reaped, %s: %s\n", names[i], n > 0 && i == 6 ? "the vector" : res(n));
    }
    printf("after, getdents of /proc/PID: %s\n", RES(syscall(SYS_getdents64, dirfd, buf, sizeof buf)));
    printf("after, getdents of /proc/PID/fd: %s\n", RES(syscall(SYS_getdents64, fddirfd, buf, sizeof buf)));
    printf("after, openat(/proc/PID, \"stat\"): %s\n", RES(openat(dirfd, "stat", O_RDONLY)));
    printf("after, openat(/proc/PID/fd, \"0\"): %s\n", RES(openat(fddirfd, "0", O_RDONLY)));
    struct stat st0;
    printf("after, fstatat(/proc/PID, \"maps\"): %s\n", RES(fstatat(dirfd, "maps", &st0, 0)));
    printf("after, fstatat(/proc/PID, \"cmdline\"): %s\n", RES(fstatat(dirfd, "cmdline", &st0, 0)));
    printf("after, fstatat(/proc/PID, \"cwd\"): %s\n", RES(fstatat(dirfd, "cwd", &st0, 0)));
    close(dirfd);
    close(fddirfd);
    snprintf(path, sizeof path, "/proc/%d", pid);
    struct stat st;
    printf("stat /proc/PID after: %s\n", RES(stat(path, &st)));
    for (int i = 0; i < 8; i++)
        close(fds[i]);
}

/* mem and environ opened, then execve: the fds name the old image, which is gone. */
static void exec_while_open(const char *self)
{
    pid_t pid = fork();
    if (pid == 0) {
        int m = open("/proc/self/mem", O_RDONLY), e = open("/proc/self/environ", O_RDONLY);
        char a[16], b[16];
        snprintf(a, sizeof a, "%d", m);
        snprintf(b, sizeof b, "%d", e);
        execl(self, self, "after-exec", a, b, (char *)NULL);
        _exit(127);
    }
    waitpid(pid, NULL, 0);
}

static int after_exec(int m, int e)
{
    char buf[64];
    static long here = 42;
    printf("after execve, the old mem fd: %s\n", RES(pread(m, buf, 8, (off_t)&here)));
    printf("after execve, the old environ fd: %s\n", RES(read(e, buf, sizeof buf)));
    return 0;
}

/* A child drops to uid 1000 and looks at its root parent; then a non-dumpable one. */
static void unprivileged(void)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        char path[64], buf[64];
        prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
        setresgid(1000, 1000, 1000);
        setresuid(1000, 1000, 1000);
        int sig = -1;
        prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
        printf("pdeathsig after setresuid: %d\n", sig);   /* Linux commit_creds clears it */
        /* root's stat: code and stack addresses hidden without ptrace's permission */
        snprintf(path, sizeof path, "/proc/%d/stat", parent);
        static char statline[1024];
        int sfd = open(path, O_RDONLY);
        long sn = read(sfd, statline, sizeof statline - 1);
        close(sfd);
        statline[sn > 0 ? sn : 0] = 0;
        unsigned long fld[60] = { 0 };
        int nf = 2;
        for (char *tok = strtok(strrchr(statline, ')') + 2, " \n"); tok && nf < 59; tok = strtok(NULL, " \n"))
            fld[++nf] = strtoul(tok, NULL, 10);
        printf("uid 1000 reads root's stat: %d fields, startcode %lu endcode %lu startstack %lu start_data %lu "
               "arg_start %lu\n", nf, fld[26], fld[27], fld[28], fld[45], fld[48]);
        static const char *const names[] = { "mem", "environ", "auxv", "stat", "maps", "cmdline", "fd/0" };
        for (int i = 0; i < 7; i++) {
            snprintf(path, sizeof path, "/proc/%d/%s", parent, names[i]);
            int fd = open(path, O_RDONLY);
            printf("uid 1000 opens root's %s: %s\n", names[i], fd < 0 ? res(fd) : "opened");
            if (fd >= 0)
                close(fd);
        }
        snprintf(path, sizeof path, "/proc/%d/exe", parent);
        printf("uid 1000 readlink root's exe: %s\n", RES(readlink(path, buf, sizeof buf)));
        snprintf(path, sizeof path, "/proc/%d/fd", parent);
        printf("uid 1000 opens root's fd dir: %s\n", RES(open(path, O_RDONLY | O_DIRECTORY)));
        struct iovec l = { buf, 8 }, r = { &parent, 8 };
        printf("uid 1000 process_vm_readv root: %s\n", RES(process_vm_readv(parent, &l, 1, &r, 1, 0)));
        /* setresuid made this process non-dumpable (Linux commit_creds) */
        printf("dumpable after setuid: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        struct stat st;
        stat("/proc/self/mem", &st);
        printf("own mem owned by: %u\n", st.st_uid);
        printf("opens own mem: %s\n", RES(open("/proc/self/mem", O_RDONLY)));
        prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
        stat("/proc/self/mem", &st);
        printf("dumpable again, own mem owned by: %u\n", st.st_uid);
        int fd = open("/proc/self/mem", O_RDONLY);
        printf("opens own mem: %s\n", fd < 0 ? res(fd) : "opened");
        fflush(stdout);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
}

/* This program made set-user-ID root, exec'd by uid 1000 without and with no_new_privs. */
static void no_new_privs(void)
{
    chmod(".", 0755);                        /* uid 1000 searches the working directory */
    chmod("prochostile", 04755);
    for (int nnp = 0; nnp < 2; nnp++) {
        pid_t pid = fork();
        if (pid == 0) {
            setresgid(1000, 1000, 1000);
            setresuid(1000, 1000, 1000);
            if (nnp)
                prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
            execl("./prochostile", "prochostile", "euid", (char *)NULL);
            printf("exec: %s\n", res(-1));
            _exit(127);
        }
        waitpid(pid, NULL, 0);
    }
    chmod("prochostile", 0755);
}

static void *thread_main(void *arg)
{
    *(pid_t *)arg = (pid_t)syscall(SYS_gettid);
    return NULL;
}

static volatile pid_t racing_tid;

static void *short_thread(void *arg)
{
    (void)arg;
    racing_tid = (pid_t)syscall(SYS_gettid);
    return NULL;
}

/* Threads end while their /proc/TID files are looked up, opened and read: whatever each read
   answers (the thread may be gone), nothing may break. */
static void racing_threads(void)
{
    char path[64], buf[512];
    int reads = 0;
    for (int i = 0; i < 100; i++) {
        pthread_t t;
        racing_tid = 0;
        pthread_create(&t, NULL, short_thread, NULL);
        while (!racing_tid)
            sched_yield();
        snprintf(path, sizeof path, "/proc/%d/status", racing_tid);
        int fd = open(path, O_RDONLY);
        pthread_join(t, NULL);
        if (fd >= 0) {
            reads += read(fd, buf, sizeof buf) != 0;
            close(fd);
        }
    }
    printf("racing threads: done\n");
    (void)reads;
}

/* More /proc files open at once than ringlab keeps nodes for (procfs.h PROCFS_CACHE): the
   first error, then everything closed and /proc usable again. Linux has no such limit. */
static int cache_pressure(void)
{
    enum { KIDS = 20 };
    static const char *const names[] = { "stat", "status", "cmdline", "maps", "comm", "environ", "auxv", "mem" };
    int p[2], fds[KIDS * 8], n = 0, first_err = 0;
    pid_t kids[KIDS];
    pipe(p);
    for (int k = 0; k < KIDS; k++) {
        if ((kids[k] = fork()) == 0) {
            char c;
            close(p[1]);                     /* the parent's close is the end of the pipe */
            read(p[0], &c, 1);
            _exit(0);
        }
    }
    for (int k = 0; k < KIDS; k++) {
        for (int i = 0; i < 8; i++) {
            char path[64];
            snprintf(path, sizeof path, "/proc/%d/%s", kids[k], names[i]);
            int fd = open(path, O_RDONLY);
            if (fd < 0 && !first_err)
                first_err = errno;
            if (fd >= 0)
                fds[n++] = fd;
        }
    }
    printf("cache: %d of %d opened, first error %s\n", n, KIDS * 8, first_err ? err_name(first_err) : "none");
    for (int i = 0; i < n; i++)
        close(fds[i]);
    close(p[1]);
    for (int k = 0; k < KIDS; k++)
        waitpid(kids[k], NULL, 0);
    char buf[64];
    int fd = open("/proc/self/stat", O_RDONLY);
    printf("cache: after closing, /proc/self/stat reads: %d\n", fd >= 0 && read(fd, buf, sizeof buf) > 0);
    return 0;
}

static void names_and_writes(void)
{
    struct stat st;
    static const char *const odd[] = { "/proc/0", "/proc/01", "/proc/-1", "/proc/99999999999", "/proc/self/fd/99999",
                                       "/proc/self/fd/-1", "/proc/self/../self/stat", "/proc/sys/kernel/nonexistent",
                                       "/proc/self/stat/x", "/proc/meminfo/" };
    for (size_t i = 0; i < sizeof odd / sizeof *odd; i++)
        printf("stat %s: %s\n", odd[i], RES(stat(odd[i], &st)));
    char buf[16];
    printf("readlink /proc/self bufsiz 0: %s\n", RES(readlink("/proc/self", buf, 0)));
    printf("readlink /proc/self/exe into NULL: %s\n", RES(readlink("/proc/self/exe", NULL, 16)));
    int fd = open("/proc/self/stat", O_WRONLY);
    printf("write /proc/self/stat: %s\n", RES(write(fd, "x", 1)));
    close(fd);
    fd = open("/proc/uptime", O_WRONLY);
    printf("write /proc/uptime: %s\n", RES(write(fd, "x", 1)));
    close(fd);
    fd = open("/proc/self/comm", O_WRONLY);
    printf("write /proc/self/comm: %s\n", RES(write(fd, "renamed", 7)));
    close(fd);
    fd = open("/proc/self/comm", O_RDONLY);
    int n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("comm now: %s", buf);
    close(fd);
    printf("truncate /proc/self/comm: %s\n", RES(truncate("/proc/self/comm", 100)));
    printf("read /proc/self/stat at offset 1<<40: %s\n", RES(pread(open("/proc/self/stat", O_RDONLY), buf, 8, 1L << 40)));
    pid_t tid = 0;
    pthread_t t;
    pthread_create(&t, NULL, thread_main, &tid);
    pthread_join(t, NULL);
    /* a thread's id looks up while the thread lives; this one has ended */
    char path[64];
    snprintf(path, sizeof path, "/proc/%d", tid);
    printf("stat /proc/ENDED-TID: %s\n", RES(stat(path, &st)));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 4 && !strcmp(argv[1], "after-exec"))
        return after_exec(atoi(argv[2]), atoi(argv[3]));
    if (argc == 2 && !strcmp(argv[1], "cache"))
        return cache_pressure();
    if (argc == 2 && !strcmp(argv[1], "euid")) {
        printf("set-user-ID exec: euid %d, AT_SECURE %lu, NoNewPrivs %d, dumpable %d\n", (int)geteuid(),
               getauxval(AT_SECURE), prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
        return 0;
    }
    mem_edges();
    open_after_exit();
    exec_while_open("/proc/self/exe");
    unprivileged();
    names_and_writes();
    no_new_privs();
    racing_threads();
    return 0;
}
