/* File locks as Linux has them: POSIX record locks (F_GETLK/F_SETLK/F_SETLKW: ranges merged
 * and split per owner, not inherited by fork, released by any close, EDEADLK), OFD locks
 * (per open file description, conflicting with POSIX ones) and flock(2) (whole file, apart
 * from fcntl locks). In a fresh mkdtemp directory, so the host's Linux and ringlab print the
 * same lines, as root and as a user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EAGAIN: return "EAGAIN";
    case EACCES: return "EACCES";
    case EDEADLK: return "EDEADLK";
    case EINVAL: return "EINVAL";
    case EBADF: return "EBADF";
    case EOVERFLOW: return "EOVERFLOW";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static long lk(int fd, int cmd, int type, long start, long len)
{
    struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}

static pid_t parent;

/* What F_GETLK (or F_OFD_GETLK) says about a write lock wanted on [start, start+len). */
static void getlk(const char *who, int fd, int cmd, long start, long len)
{
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    long r = fcntl(fd, cmd, &fl);
    if (r < 0)
        printf("%s: %s\n", who, e(r));
    else if (fl.l_type == F_UNLCK)
        printf("%s: unlocked\n", who);
    else
        printf("%s: %s start=%ld len=%ld pid=%s\n", who, fl.l_type == F_WRLCK ? "write" : "read",
               (long)fl.l_start, (long)fl.l_len,
               fl.l_pid == parent ? "parent" : fl.l_pid == -1 ? "-1" : fl.l_pid == getpid() ? "me" : "other");
    fflush(stdout);
}

/* Run f in a child with its own descriptor of "f"; wait for it. */
static void child(void (*f)(int))
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int fd = open("f", O_RDWR);
        f(fd);
        fflush(stdout);
        _exit(0);
    }
    waitpid(c, NULL, 0);
}

static void see_0_100(int fd) { getlk("child F_GETLK [0,100)", fd, F_GETLK, 0, 100); }
static void try_set(int fd) { printf("child F_SETLK read [50,60): %s\n", e(lk(fd, F_SETLK, F_RDLCK, 50, 10))); }

int main(void)
{
    char tmpl[] = "/tmp/locksXXXXXX";
    char *top = mkdtemp(tmpl);
    if (!top || chdir(top))
        return 2;
    parent = getpid();
    int fd = open("f", O_CREAT | O_RDWR, 0600);
    (void)!write(fd, "0123456789", 10);
    printf("F_SETLK write [0,100): %s\n", e(lk(fd, F_SETLK, F_WRLCK, 0, 100)));
    child(see_0_100);
    child(try_set);
    getlk("own lock, F_GETLK", fd, F_GETLK, 0, 100);
    printf("unlock [20,30): %s\n", e(lk(fd, F_SETLK, F_UNLCK, 20, 10)));
    child(see_0_100);
    printf("unlock all: %s\n", e(lk(fd, F_SETLK, F_UNLCK, 0, 0)));
    printf("read [0,10): %s\n", e(lk(fd, F_SETLK, F_RDLCK, 0, 10)));
    printf("read [10,20): %s\n", e(lk(fd, F_SETLK, F_RDLCK, 10, 10)));
    child(see_0_100);
    printf("write [5,15) over them: %s\n", e(lk(fd, F_SETLK, F_WRLCK, 5, 10)));
    child(see_0_100);
    printf("to the end (len 0) from 50: %s\n", e(lk(fd, F_SETLK, F_WRLCK, 50, 0)));
    printf("negative length [40,50): %s\n", e(lk(fd, F_SETLK, F_RDLCK, 50, -10)));
    int other = open("f", O_RDONLY);
    close(other);                        /* any close of the file drops this process's locks */
    child(see_0_100);

    /* errors */
    struct flock fl = { .l_type = 7, .l_whence = SEEK_SET };
    printf("bad l_type: %s\n", e(fcntl(fd, F_SETLK, &fl)));
    fl = (struct flock){ .l_type = F_RDLCK, .l_whence = 9 };
    printf("bad l_whence: %s\n", e(fcntl(fd, F_SETLK, &fl)));
    printf("negative start: %s\n", e(lk(fd, F_SETLK, F_RDLCK, -5, 1)));
    printf("negative length before 0: %s\n", e(lk(fd, F_SETLK, F_RDLCK, 2, -5)));
    fl = (struct flock){ .l_type = F_UNLCK, .l_whence = SEEK_SET };
    printf("F_GETLK F_UNLCK: %s\n", e(fcntl(fd, F_GETLK, &fl)));
    fl = (struct flock){ .l_type = F_RDLCK, .l_whence = SEEK_END, .l_start = 0x7fffffffffffffffL };
    printf("overflow: %s\n", e(fcntl(fd, F_SETLK, &fl)));
    int ro = open("f", O_RDONLY), wo = open("f", O_WRONLY);
    printf("write lock on O_RDONLY: %s, read lock on O_WRONLY: %s\n", e(lk(ro, F_SETLK, F_WRLCK, 0, 1)),
           e(lk(wo, F_SETLK, F_RDLCK, 0, 1)));
    close(ro);
    close(wo);
    printf("F_SETLK bad fd: %s\n", e(lk(99, F_SETLK, F_RDLCK, 0, 1)));

    /* F_SETLKW waits until the holder lets go; a cycle of waiters is EDEADLK for one of them */
    printf("lock [0,1): %s\n", e(lk(fd, F_SETLK, F_WRLCK, 0, 1)));
    int ready[2], go[2];
    if (pipe(ready) || pipe(go))
        return 2;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        int cfd = open("f", O_RDWR);
        int ok = lk(cfd, F_SETLK, F_WRLCK, 1, 1) == 0;
        (void)!write(ready[1], "r", 1);
        long r = lk(cfd, F_SETLKW, F_WRLCK, 0, 1);   /* waits for the parent's [0,1) */
        int dead = r < 0 && errno == EDEADLK;
        if (dead)
            close(cfd);                   /* gives [1,2) up: the parent goes on */
        char b;
        (void)!read(go[0], &b, 1);
        _exit(ok * 10 + dead);
    }
    char b;
    (void)!read(ready[0], &b, 1);
    long r = lk(fd, F_SETLKW, F_WRLCK, 1, 1);       /* waits for the child's [1,2) */
    int dead = r < 0 && errno == EDEADLK;
    if (dead)
        lk(fd, F_SETLK, F_UNLCK, 0, 1);          /* gives [0,1) up: the child goes on */
    (void)!write(go[1], "g", 1);
    int st;
    waitpid(c, &st, 0);
    printf("child locked [1,2): %s; exactly one EDEADLK: %s\n", WEXITSTATUS(st) / 10 ? "yes" : "no",
           (WEXITSTATUS(st) % 10) + dead == 1 ? "yes" : "no");
    lk(fd, F_SETLK, F_UNLCK, 0, 0);

    /* OFD locks: owned by the open file description */
    int a = open("f", O_RDWR), b2 = open("f", O_RDWR);
    fl = (struct flock){ .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10 };
    printf("F_OFD_SETLK on a: %s\n", e(fcntl(a, F_OFD_SETLK, &fl)));
    printf("F_OFD_SETLK on b (another description): %s\n", e(fcntl(b2, F_OFD_SETLK, &fl)));
    getlk("F_OFD_GETLK on b", b2, F_OFD_GETLK, 0, 10);
    printf("POSIX F_SETLK from the same process: %s\n", e(lk(b2, F_SETLK, F_WRLCK, 5, 1)));
    fl.l_pid = 1;
    printf("F_OFD_SETLK with l_pid set: %s\n", e(fcntl(a, F_OFD_SETLK, &fl)));
    close(a);
    printf("after closing a, b gets it: %s\n", e(lk(b2, F_SETLK, F_WRLCK, 5, 1)));
    close(b2);

    /* flock */
    a = open("f", O_RDWR);
    b2 = open("f", O_RDWR);
    printf("flock a LOCK_EX: %s\n", e(flock(a, LOCK_EX)));
    printf("flock b LOCK_EX|LOCK_NB: %s\n", e(flock(b2, LOCK_EX | LOCK_NB)));
    printf("flock b LOCK_SH|LOCK_NB: %s\n", e(flock(b2, LOCK_SH | LOCK_NB)));
    printf("fcntl lock on b, apart from flock: %s\n", e(lk(b2, F_SETLK, F_WRLCK, 0, 0)));
    int a2 = dup(a);
    printf("flock on a dup of a: %s\n", e(flock(a2, LOCK_EX)));
    close(a);
    printf("a closed, its dup keeps it: %s\n", e(flock(b2, LOCK_EX | LOCK_NB)));
    close(a2);
    printf("both closed: %s\n", e(flock(b2, LOCK_EX | LOCK_NB)));
    printf("LOCK_UN: %s, bad operation: %s, bad fd: %s\n", e(flock(b2, LOCK_UN)), e(flock(b2, 3)),
           e(flock(99, LOCK_SH)));
    int p[2];
    if (pipe(p))
        return 2;
    long r0 = flock(p[0], LOCK_EX);       /* one call at a time: argument order is unspecified */
    printf("flock a pipe's read end: %s\n", e(r0));
    printf("its write end LOCK_NB: %s\n", e(flock(p[1], LOCK_EX | LOCK_NB)));
    unlink("f");
    chdir("/");
    printf("cleaned up: %s\n", e(rmdir(top)));
    return 0;
}
