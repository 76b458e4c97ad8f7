/* Leases as Linux's tmpfs has them (fs/locks.c generic_setlease): F_SETLEASE/F_GETLEASE,
 * EAGAIN for conflicting opens, EACCES for a file of another owner, EINVAL for what is not
 * a regular file; a conflicting open or truncate breaks the lease: the holder gets F_SETSIG's
 * signal (si_code POLL_MSG), the opener waits (EWOULDBLOCK with O_NONBLOCK) until the holder
 * downgrades, gives the lease up, closes or exits, or a signal interrupts it. In a fresh
 * mkdtemp directory; the same lines on the host's Linux and in ringlab, as root and as a user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RTSIG 41

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EINTR: return "EINTR";
    case EPERM: return "EPERM";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static const char *lt(long t)
{
    return t == F_RDLCK ? "F_RDLCK" : t == F_WRLCK ? "F_WRLCK" : t == F_UNLCK ? "F_UNLCK" : e(t);
}

static char path[64];
static sigset_t watched;

static void getlease(const char *tag, int fd)
{
    printf("%s: getlease=%s\n", tag, lt(fcntl(fd, F_GETLEASE)));
    fflush(stdout);
}

/* Wait (bounded) for the lease-break signal; print what it says. */
static void break_signal(const char *tag, int fd)
{
    struct timespec ten = { 10, 0 };
    siginfo_t si;
    int sig = sigtimedwait(&watched, &si, &ten);
    if (sig < 0)
        printf("%s: no signal (%s)\n", tag, e(-1));
    else
        printf("%s: sig=%d code=%d band=%#lx fd=%s\n", tag, sig, si.si_code, si.si_band,
               si.si_code == SI_KERNEL ? "-" : si.si_fd == fd ? "holder" : "other");
    fflush(stdout);
}

static void no_signal(const char *tag)
{
    struct timespec zero = { 0, 0 };
    siginfo_t si;
    int sig = sigtimedwait(&watched, &si, &zero);
    printf("%s: %s\n", tag, sig > 0 ? "a signal" : "no signal");
    fflush(stdout);
}

/* A child that opens `path` with flags (or truncates it) and exits with 0 or its errno. */
static pid_t opener(int flags, bool truncating)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        for (int fd = 3; fd < 64; fd++)
            close(fd);                   /* the holder's file is not shared: its close ends the lease */
        _exit((truncating ? truncate(path, 1) : open(path, flags)) < 0 ? errno : 0);
    }
    return c;
}

/* Wait for an opener; print how its call ended. */
static void reap(const char *tag, pid_t c)
{
    int status;
    waitpid(c, &status, 0);
    errno = WEXITSTATUS(status);
    printf("%s: %s\n", tag, e(errno ? -1 : 0));
    fflush(stdout);
}

static void still_waiting(pid_t c)
{
    printf("opener still waiting: %d\n", waitpid(c, NULL, WNOHANG) == 0);
    fflush(stdout);
}

static void basics(void)
{
    int fd = open(path, O_RDONLY);
    getlease("fresh", fd);
    printf("setlease F_RDLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    getlease("read lease", fd);
    printf("after the lease: async=%d getown_self=%d getsig=%d\n", !!(fcntl(fd, F_GETFL) & O_ASYNC),
           fcntl(fd, F_GETOWN) == getpid(), fcntl(fd, F_GETSIG));
    printf("upgrade F_WRLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_WRLCK)));
    getlease("write lease", fd);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("F_UNLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_UNLCK)));
    printf("after F_UNLCK: async=%d getown=%d getsig=%d\n", !!(fcntl(fd, F_GETFL) & O_ASYNC),
           fcntl(fd, F_GETOWN), fcntl(fd, F_GETSIG));
    printf("F_UNLCK again: %s\n", e(fcntl(fd, F_SETLEASE, F_UNLCK)));
    long bad[] = { 3, -1, 4, 0x100000000L };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        printf("setlease %#lx: %s\n", bad[i], e(fcntl(fd, F_SETLEASE, bad[i])));
    int fd2 = open(path, O_RDONLY);
    printf("two readers, F_WRLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_WRLCK)));
    printf("two readers, F_RDLCK each: %s", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    printf(" %s\n", e(fcntl(fd2, F_SETLEASE, F_RDLCK)));
    getlease("the second reader", fd2);
    close(fd2);
    getlease("the first after the second closed", fd);
    printf("now alone, F_WRLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_WRLCK)));
    close(fd);
    int rw = open(path, O_RDWR);
    printf("O_RDWR, F_RDLCK: %s\n", e(fcntl(rw, F_SETLEASE, F_RDLCK)));
    printf("O_RDWR alone, F_WRLCK: %s\n", e(fcntl(rw, F_SETLEASE, F_WRLCK)));
    int r = open(path, O_RDONLY | O_NONBLOCK);
    printf("own open O_NONBLOCK against it: %s\n", e(r));
    no_signal("own open");
    getlease("after the own open", rw);
    fcntl(rw, F_SETLEASE, F_UNLCK);
    close(rw);
    int wo = open(path, O_WRONLY);
    printf("O_WRONLY alone, F_WRLCK: %s", e(fcntl(wo, F_SETLEASE, F_WRLCK)));
    printf(" F_RDLCK: %s\n", e(fcntl(wo, F_SETLEASE, F_RDLCK)));
    close(wo);
}

static void not_regular(void)
{
    int p[2];
    pipe(p);
    printf("pipe: setlease %s", e(fcntl(p[0], F_SETLEASE, F_RDLCK)));
    printf(" getlease %s\n", lt(fcntl(p[0], F_GETLEASE)));
    close(p[0]);
    close(p[1]);
    int d = open("tmp", O_RDONLY | O_DIRECTORY);
    printf("tmp (root's directory): setlease %s\n", e(fcntl(d, F_SETLEASE, F_RDLCK)));
    close(d);
    char dir[64];
    snprintf(dir, sizeof dir, "%.*s", (int)(strrchr(path, '/') - path), path);
    d = open(dir, O_RDONLY | O_DIRECTORY);
    printf("own directory: setlease %s", e(fcntl(d, F_SETLEASE, F_RDLCK)));
    printf(" getlease %s\n", lt(fcntl(d, F_GETLEASE)));
    close(d);
    d = open("/dev/null", O_RDONLY);
    printf("/dev/null: setlease %s\n", e(fcntl(d, F_SETLEASE, F_RDLCK)));
    close(d);
    d = open("leases", O_RDONLY);              /* root's file: this program */
    printf("root's file: F_RDLCK %s", e(fcntl(d, F_SETLEASE, F_RDLCK)));
    printf(" F_UNLCK %s\n", e(fcntl(d, F_SETLEASE, F_UNLCK)));
    printf("a running program, F_WRLCK: %s\n", e(fcntl(d, F_SETLEASE, F_WRLCK)));
    close(d);
    printf("closed fd: %s\n", e(fcntl(1000, F_SETLEASE, F_RDLCK)));
}

/* A reader's open against a write lease: the holder is told, downgrades, the reader goes on. */
static void reader_breaks_write_lease(void)
{
    int fd = open(path, O_RDONLY);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("write lease: %s\n", e(fcntl(fd, F_SETLEASE, F_WRLCK)));
    reap("O_NONBLOCK reader", opener(O_RDONLY | O_NONBLOCK, false));
    break_signal("holder", fd);
    getlease("breaking for a reader", fd);
    pid_t c = opener(O_RDONLY, false);
    reap("second O_NONBLOCK reader", opener(O_RDONLY | O_NONBLOCK, false));
    no_signal("no second break");
    still_waiting(c);
    getlease("still", fd);
    printf("downgrade to F_RDLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    reap("blocking reader", c);
    getlease("after the reader", fd);
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
}

/* A writer's open against a read lease: told, it cannot downgrade, gives the lease up. */
static void writer_breaks_read_lease(void)
{
    int fd = open(path, O_RDONLY);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("read lease: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    pid_t c = opener(O_WRONLY, false);
    break_signal("holder", fd);
    still_waiting(c);
    getlease("breaking for a writer", fd);
    printf("F_RDLCK while a writer waits: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    printf("F_UNLCK: %s\n", e(fcntl(fd, F_SETLEASE, F_UNLCK)));
    reap("blocking writer", c);
    close(fd);
}

/* truncate(2) breaks a lease too; the holder's close ends it. */
static void truncate_and_close(void)
{
    int fd = open(path, O_RDONLY);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("read lease: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    pid_t c = opener(0, true);
    break_signal("holder", fd);
    still_waiting(c);
    close(fd);
    reap("truncate", c);
    struct stat st;
    stat(path, &st);
    printf("size after the truncate: %ld\n", (long)st.st_size);
}

/* The holder exits: its lease goes with its last descriptor. The plain SIGIO without F_SETSIG. */
static void holder_exits(void)
{
    int ready[2];
    pipe(ready);
    fflush(stdout);
    pid_t h = fork();
    if (h == 0) {
        int fd = open(path, O_RDONLY);
        printf("child's write lease: %s\n", e(fcntl(fd, F_SETLEASE, F_WRLCK)));
        fflush(stdout);
        write(ready[1], "r", 1);
        break_signal("child holder", fd);
        _exit(0);
    }
    char b;
    read(ready[0], &b, 1);
    int fd = open(path, O_WRONLY);
    printf("writer after the holder exited: %s\n", e(fd));
    waitpid(h, NULL, 0);
    close(fd);
    close(ready[0]);
    close(ready[1]);
}

static void on_usr1(int sig)
{
    (void)sig;
}

/* A signal ends the opener's wait: EINTR without SA_RESTART. */
static void interrupted(void)
{
    int fd = open(path, O_RDONLY);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("read lease: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_usr1 }, NULL);
        long r = open(path, O_WRONLY);
        printf("interrupted writer: %s\n", e(r));
        _exit(0);
    }
    break_signal("holder", fd);
    kill(c, SIGUSR1);
    waitpid(c, NULL, 0);
    getlease("after the writer gave up", fd);
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
}

/* CAP_LEASE: root leases a file of user 1000's; without the capability it may not. */
static void cap_lease(void)
{
    if (getuid() != 0) {
        printf("CAP_LEASE: run as root only\n");
        return;
    }
    chown(path, 1000, 1000);
    int fd = open(path, O_RDONLY);
    printf("root, user 1000's file: F_RDLCK %s", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    printf(" F_UNLCK %s\n", e(fcntl(fd, F_SETLEASE, F_UNLCK)));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        struct { uint32_t version; int pid; } hdr = { 0x20080522, 0 };   /* _LINUX_CAPABILITY_VERSION_3 */
        struct { uint32_t effective, permitted, inheritable; } data[2];
        syscall(SYS_capget, &hdr, data);
        data[0].effective &= ~(1u << 28);                              /* CAP_LEASE */
        printf("drop CAP_LEASE: %s\n", e(syscall(SYS_capset, &hdr, data)));
        printf("without it, user 1000's file: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    close(fd);
    chown(path, 0, 0);
}

/* "leases timeout": nobody answers a break; the writer waits Linux's lease-break-time (45 s by
   default), then the lease is gone. A line every 10 s while it waits (a bound for the
   harness's steps, and the evidence that the writer still waits). */
static void timeout_case(void)
{
    int fd = open(path, O_RDONLY);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("read lease: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    pid_t c = opener(O_WRONLY, false);
    break_signal("holder", fd);
    for (int s = 10; s <= 40; s += 10) {
        nanosleep(&(struct timespec){ 10, 0 }, NULL);
        printf("after %d s: writer still waiting %d, getlease=%s\n", s, waitpid(c, NULL, WNOHANG) == 0,
               lt(fcntl(fd, F_GETLEASE)));
        fflush(stdout);
    }
    reap("writer, once the break time passed", c);
    getlease("the holder's lease", fd);
    printf("and its O_ASYNC: %d, F_GETSIG: %d\n", !!(fcntl(fd, F_GETFL) & O_ASYNC), fcntl(fd, F_GETSIG));
    close(fd);
}

/* execve opens the file for reading: it breaks a write lease and waits for the holder. */
static void exec_breaks(const char *self)
{
    char copy[64];
    snprintf(copy, sizeof copy, "%.*s/prog", (int)(strrchr(path, '/') - path), path);
    int src = open(self, O_RDONLY), dst = open(copy, O_CREAT | O_WRONLY | O_TRUNC, 0755);
    char buf[4096];
    ssize_t n;
    while ((n = read(src, buf, sizeof buf)) > 0)
        write(dst, buf, (size_t)n);
    close(src);
    close(dst);
    int fd = open(copy, O_RDONLY);
    fcntl(fd, F_SETSIG, RTSIG);
    printf("write lease on a program: %s\n", e(fcntl(fd, F_SETLEASE, F_WRLCK)));
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        for (int i = 3; i < 64; i++)
            if (i != fd)
                close(i);
        close(fd);
        execl(copy, "leases", "exit", (char *)NULL);
        _exit(100 + errno);
    }
    break_signal("holder, the program's execve", fd);
    still_waiting(c);
    printf("downgrade: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    int status;
    waitpid(c, &status, 0);
    printf("the exec'd program: exit %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    fcntl(fd, F_SETLEASE, F_UNLCK);
    close(fd);
    unlink(copy);
}

static void sysctl_read(const char *tag)
{
    char buf[32] = "";
    int fd = open("/proc/sys/fs/lease-break-time", O_RDONLY);
    ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("%s: lease-break-time %s\n", tag, fd < 0 ? e(-1) : buf);
    if (fd >= 0)
        close(fd);
}

static void sysctl_write(const char *text)
{
    int fd = open("/proc/sys/fs/lease-break-time", O_WRONLY);
    long r = fd < 0 ? -1 : write(fd, text, strlen(text));
    printf("write \"%.*s\": %s\n", (int)strcspn(text, "\n"), text, e(r));
    if (fd >= 0)
        close(fd);
}

/* "leases sysctl" (ringlab only: on the host it would change the machine's setting): root
   sets /proc/sys/fs/lease-break-time to 1 s, a break nobody answers ends after it; bad input
   is EINVAL; a user may not write it. */
static void sysctl_case(void)
{
    sysctl_read("at start");
    const char *bad[] = { "x\n", "\n", "1 2\n", "99999999999\n", "-\n" };
    for (unsigned i = 0; i < sizeof bad / sizeof bad[0]; i++)
        sysctl_write(bad[i]);
    sysctl_write(" 1\n");
    sysctl_read("after");
    if (getuid() != 0)
        return;
    int fd = open(path, O_RDONLY);
    printf("read lease: %s\n", e(fcntl(fd, F_SETLEASE, F_RDLCK)));
    pid_t c = opener(O_WRONLY, false);
    break_signal("holder", fd);
    reap("writer, once the break time passed", c);
    getlease("the holder's lease", fd);
    close(fd);
    sysctl_write("45\n");
}

int main(int argc, char **argv)
{
    char dir[] = "tmp/leasesXXXXXX";
    if (argc > 1 && !strcmp(argv[1], "exit"))
        return 5;                               /* exec_breaks' program */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!mkdtemp(dir)) {
        printf("mkdtemp: %s\n", e(-1));
        return 1;
    }
    snprintf(path, sizeof path, "%s/f", dir);
    close(open(path, O_CREAT | O_WRONLY, 0644));
    int w = open(path, O_WRONLY);
    write(w, "hello", 5);
    close(w);
    sigemptyset(&watched);
    sigaddset(&watched, SIGIO);
    sigaddset(&watched, RTSIG);
    sigprocmask(SIG_BLOCK, &watched, NULL);
    if (argc > 1 && (!strcmp(argv[1], "timeout") || !strcmp(argv[1], "sysctl"))) {
        if (!strcmp(argv[1], "timeout"))
            timeout_case();
        else
            sysctl_case();
        unlink(path);
        rmdir(dir);
        return 0;
    }
    sysctl_read("default");
    basics();
    not_regular();
    reader_breaks_write_lease();
    writer_breaks_read_lease();
    truncate_and_close();
    holder_exits();
    interrupted();
    exec_breaks(argv[0]);
    cap_lease();
    unlink(path);
    rmdir(dir);
    return 0;
}
