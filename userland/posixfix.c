/*
 * Small differences from Linux that programs and test suites trip over, each compared with the
 * host (tests/test_linux_parity.py):
 *   - alarm(42949673) sets a timer 497 days away (glibc calls the system call directly; a 32-bit
 *     multiplication made it fire after ~40 ms): alarm(0) then returns the seconds left
 *   - rt_sigtimedwait for a signal that is blocked AND ignored gets it (Linux's real_blocked:
 *     a signal blocked before the wait is not "ignored" while it waits)
 *   - readv/writev with an iov_len of (size_t)-1: EINVAL before any transfer
 *   - waitpid(INT_MIN): ESRCH
 *   - pwrite on an O_APPEND file appends, whatever the offset (pwrite(2), BUGS)
 *   - uname: sysname "Linux", a release in Linux's format
 *   - mmap of a closed fd: EBADF (the fd is looked at first); of a pipe: ENODEV
 *   - get_robust_list gives back what set_robust_list set (ESRCH, EFAULT as Linux)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *err(long r)
{
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case ECHILD: return "ECHILD";
    case EFAULT: return "EFAULT";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    case ENODEV: return "ENODEV";
    default: return strerror(errno);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* alarm: the raw system call, as glibc's alarm() makes it */
    syscall(SYS_alarm, 42949673);
    long left = syscall(SYS_alarm, 0);
    printf("alarm(42949673) then alarm(0): %ld seconds left\n", left);

    /* a blocked, ignored signal waited for with rt_sigtimedwait, sent by a child */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGUSR1, SIG_IGN);
    int parent = getpid(), pfd[2];
    if (pipe(pfd))
        return 1;
    int c = fork();
    if (c == 0) {
        char b;
        read(pfd[0], &b, 1);              /* the parent is about to wait (or waits already) */
        kill(parent, SIGUSR1);
        _exit(0);
    }
    write(pfd[1], "g", 1);
    struct timespec ts = { 5, 0 };        /* bounds the wait; the signal ends it */
    int got = sigtimedwait(&set, NULL, &ts);
    printf("sigtimedwait for a blocked, ignored SIGUSR1 sent meanwhile: %s\n",
           got == SIGUSR1 ? "got it" : err(got));
    waitpid(c, NULL, 0);

    /* readv/writev with a huge iov_len */
    char buf[8];
    struct iovec iov[2] = { { buf, 1 }, { buf, (size_t)-1 } };
    int fd = open("/dev/zero", O_RDONLY);
    printf("readv with iov_len (size_t)-1: %s\n", err(readv(fd, iov, 2)));
    int nul = open("/dev/null", O_WRONLY);
    printf("writev with iov_len (size_t)-1: %s\n", err(writev(nul, iov, 2)));
    printf("readv on a closed fd: %s\n", err(readv(99, iov, 2)));

    /* waitpid(INT_MIN) */
    printf("waitpid(INT_MIN): %s\n", err(waitpid(INT_MIN, NULL, WNOHANG)));

    /* pwrite on O_APPEND */
    int f = open("tmp/append", O_CREAT | O_TRUNC | O_RDWR | O_APPEND, 0600);
    write(f, "hello", 5);
    pwrite(f, "XY", 2, 0);
    char back[16] = { 0 };
    pread(f, back, sizeof back - 1, 0);
    printf("pwrite at 0 on an O_APPEND file: \"%s\"\n", back);
    unlink("tmp/append");

    struct utsname u;
    uname(&u);
    int a = 0, b = 0;
    printf("uname: sysname %s, release in Linux's format (N.N...): %s\n", u.sysname,
           sscanf(u.release, "%d.%d", &a, &b) == 2 && a >= 3 ? "yes" : "no");
    int pp[2];
    if (pipe(pp))
        return 2;
    void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, 99, 0);
    printf("mmap of a closed fd: %s\n", err(m == MAP_FAILED ? -1 : 0));
    m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, pp[0], 0);
    printf("mmap of a pipe: %s\n", err(m == MAP_FAILED ? -1 : 0));
    m = mmap(NULL, 0, PROT_READ, MAP_PRIVATE, 99, 0);
    printf("mmap of a closed fd, length 0: %s\n", err(m == MAP_FAILED ? -1 : 0));
    static long robust[3];
    void *head = NULL;
    size_t len = 0;
    long r = syscall(SYS_set_robust_list, robust, sizeof robust);
    printf("set_robust_list: %s\n", err(r));
    r = syscall(SYS_get_robust_list, 0, &head, &len);
    printf("get_robust_list(0): %s, head is ours %d, len %zu\n", err(r), head == (void *)robust, len);
    printf("get_robust_list(no such pid): %s\n", err(syscall(SYS_get_robust_list, 999999, &head, &len)));
    printf("get_robust_list(bad pointer): %s\n", err(syscall(SYS_get_robust_list, 0, (void *)8, &len)));
    return 0;
}
