/*
 * pipefcntl: pipes, dup/dup2/dup3 and fcntl, printing one line per check; the same on Linux.
 * Run as `pipefcntl` from a directory holding it (it re-execs ./pipefcntl to see which fds
 * survive execve). Covers: EOF when the last writer closes, blocking reads woken by a
 * writer, POSIX atomicity of writes <= PIPE_BUF from several writers, EPIPE + SIGPIPE,
 * O_NONBLOCK (EAGAIN, capacity), F_DUPFD(_CLOEXEC), F_GETFD/F_SETFD and close-on-exec,
 * F_GETFL/F_SETFL with O_APPEND, O_CLOEXEC, pipe2 flags and bad arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[32];
    if (r >= 0) {
        snprintf(buf, sizeof buf, "%ld", r);
        return buf;
    }
    switch (errno) {
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case EMFILE: return "EMFILE";
    case EFAULT: return "EFAULT";
    case ESPIPE: return "ESPIPE";
    default: snprintf(buf, sizeof buf, "errno %d", errno); return buf;
    }
}

static void status(const char *what, int st)
{
    if (WIFSIGNALED(st))
        printf("pipefcntl: %s: killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("pipefcntl: %s: exit %d\n", what, WEXITSTATUS(st));
}

/* After execve: which of fds 3..9 are open? */
static int report_fds(void)
{
    printf("pipefcntl: after exec open fds:");
    for (int fd = 3; fd < 10; fd++)
        if (fcntl(fd, F_GETFD) >= 0)
            printf(" %d", fd);
    printf("\n");
    return 0;
}

static void eof_and_blocking(void)
{
    int p[2];
    char buf[64];
    printf("pipefcntl: pipe: %s\n", e(pipe(p)));
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        for (volatile long i = 0; i < 2000000; i++)   /* let the parent block in read first */
            ;
        write(p[1], "late hello", 10);
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], buf, sizeof buf);
    printf("pipefcntl: blocking read got %zd \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    printf("pipefcntl: read after last writer closed: %s\n", e(read(p[0], buf, sizeof buf)));
    int st;
    waitpid(pid, &st, 0);
    status("writer", st);
    close(p[0]);
}

/* Four writers, 200 records of PIPE_BUF bytes each: no record may be torn. */
static void atomicity(void)
{
    int p[2];
    pipe(p);
    enum { WRITERS = 4, RECORDS = 50 };
    for (int w = 0; w < WRITERS; w++) {
        if (fork() == 0) {
            char rec[PIPE_BUF];
            close(p[0]);
            memset(rec, 'a' + w, sizeof rec);
            for (int i = 0; i < RECORDS; i++)
                if (write(p[1], rec, sizeof rec) != (ssize_t)sizeof rec)
                    _exit(1);
            _exit(0);
        }
    }
    close(p[1]);
    static char all[WRITERS * RECORDS * PIPE_BUF];
    size_t got = 0;
    ssize_t n;
    while ((n = read(p[0], all + got, sizeof all - got)) > 0)
        got += n;
    int torn = 0, count[WRITERS] = { 0 };
    for (size_t r = 0; r + PIPE_BUF <= got; r += PIPE_BUF) {
        for (size_t i = 1; i < PIPE_BUF; i++)
            if (all[r + i] != all[r]) {
                torn++;
                break;
            }
        if (all[r] >= 'a' && all[r] < 'a' + WRITERS)
            count[all[r] - 'a']++;
    }
    for (int w = 0; w < WRITERS; w++) {
        int st;
        wait(&st);
    }
    printf("pipefcntl: atomic: %zu bytes, %d torn records, per writer %d %d %d %d\n", got, torn,
           count[0], count[1], count[2], count[3]);
    close(p[0]);
}

static void broken_pipe(void)
{
    int p[2];
    pipe(p);
    close(p[0]);
    pid_t pid = fork();
    if (pid == 0) {
        write(p[1], "x", 1);          /* SIGPIPE's default action kills us here */
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    status("write with no reader", st);
    close(p[1]);
}

static void nonblocking(void)
{
    int p[2];
    char buf[8];
    printf("pipefcntl: pipe2 bad flags: %s\n", e(syscall(SYS_pipe2, p, 0x4)));
    printf("pipefcntl: pipe2 O_NONBLOCK|O_CLOEXEC: %s\n", e(pipe2(p, O_NONBLOCK | O_CLOEXEC)));
    printf("pipefcntl: F_GETFD: %s", e(fcntl(p[0], F_GETFD)));
    printf(" F_GETFL nonblock=%d", !!(fcntl(p[0], F_GETFL) & O_NONBLOCK));
    printf(" accmode=%d\n", fcntl(p[1], F_GETFL) & O_ACCMODE);
    printf("pipefcntl: empty nonblocking read: %s\n", e(read(p[0], buf, 1)));
    static char big[70000];
    printf("pipefcntl: nonblocking write 70000: %s (capacity)\n", e(write(p[1], big, sizeof big)));
    printf("pipefcntl: full nonblocking write 1: %s\n", e(write(p[1], big, 1)));
    printf("pipefcntl: lseek on a pipe: %s\n", e(lseek(p[0], 0, SEEK_SET)));
    struct stat st;
    fstat(p[0], &st);
    printf("pipefcntl: fstat fifo=%d\n", S_ISFIFO(st.st_mode));
    int fl = fcntl(0, F_GETFL);       /* the terminal, nothing typed: EAGAIN, not a wait */
    fcntl(0, F_SETFL, fl | O_NONBLOCK);
    printf("pipefcntl: nonblocking read of the terminal: %s\n", e(read(0, buf, 1)));
    fcntl(0, F_SETFL, fl);
    close(p[0]);
    close(p[1]);
}

static void dups(void)
{
    int fd = open("pipefcntl.tmp", O_CREAT | O_RDWR | O_TRUNC | O_CLOEXEC, 0644);
    int r;
    printf("pipefcntl: open O_CLOEXEC: %s", e(fd));
    printf(" cloexec=%d\n", fcntl(fd, F_GETFD));
    printf("pipefcntl: F_DUPFD 5: %s\n", e(fcntl(fd, F_DUPFD, 5)));
    r = fcntl(fd, F_DUPFD_CLOEXEC, 5);
    printf("pipefcntl: F_DUPFD_CLOEXEC 5: %s", e(r));
    printf(" cloexec=%d\n", fcntl(r, F_GETFD));
    printf("pipefcntl: F_DUPFD -1: %s\n", e(fcntl(fd, F_DUPFD, -1)));
    r = dup(fd);
    printf("pipefcntl: dup: %s", e(r));
    printf(" cloexec=%d\n", fcntl(r, F_GETFD));
    printf("pipefcntl: dup2 to 8: %s\n", e(dup2(fd, 8)));
    printf("pipefcntl: dup2 same fd: %s\n", e(dup2(fd, fd)));
    printf("pipefcntl: dup3 same fd: %s\n", e(syscall(SYS_dup3, fd, fd, 0)));
    printf("pipefcntl: dup3 bad flags: %s\n", e(syscall(SYS_dup3, fd, 9, 1)));
    r = syscall(SYS_dup3, fd, 9, O_CLOEXEC);
    printf("pipefcntl: dup3 O_CLOEXEC to 9: %s", e(r));
    printf(" cloexec=%d\n", fcntl(9, F_GETFD));
    r = fcntl(fd, F_SETFD, 0);
    printf("pipefcntl: F_SETFD 0 on 3: %s", e(r));
    printf(" now=%d\n", fcntl(fd, F_GETFD));
    printf("pipefcntl: fcntl bad fd: %s\n", e(fcntl(99, F_GETFD)));
    printf("pipefcntl: fcntl bad cmd: %s\n", e(fcntl(fd, 12345)));
    write(fd, "abc", 3);
    lseek(fd, 0, SEEK_SET);
    r = fcntl(fd, F_SETFL, O_APPEND);
    printf("pipefcntl: F_SETFL O_APPEND: %s", e(r));
    printf(" append=%d\n", !!(fcntl(fd, F_GETFL) & O_APPEND));
    write(8, "de", 2);                /* 8 shares the open file: appends too */
    printf("pipefcntl: offset after append: %ld\n", (long)lseek(fd, 0, SEEK_CUR));
    char buf[16] = { 0 };
    pread(fd, buf, sizeof buf - 1, 0);
    printf("pipefcntl: content \"%s\"\n", buf);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char *argv[] = { "pipefcntl", "fds", NULL };
        execv("./pipefcntl", argv);
        perror("execv");
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    status("exec child", st);
    unlink("pipefcntl.tmp");
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "fds"))
        return report_fds();
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGPIPE, SIG_DFL);          /* a parent (Python, say) may have left it ignored */
    eof_and_blocking();
    atomicity();
    broken_pipe();
    nonblocking();
    dups();
    return 0;
}
