/*
 * fsattack: what a hostile program might pass to the file, pipe, poll, time and limit
 * calls - kernel addresses, NULL, oversized lengths and paths, bad flags and fds - one line
 * per call with the errno; the same on Linux. Run it in an empty directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define KADDR ((void *)0xffffffff80100000UL)

static void show(const char *what, long r)
{
    if (r >= 0)
        printf("fsattack: %s: %ld\n", what, r);
    else
        printf("fsattack: %s: errno %d (%s)\n", what, errno, strerror(errno));
}

int main(void)
{
    static char longpath[5000], longname[300];
    char buf[64];
    int p[2], fd;
    memset(longpath, 'a', sizeof longpath - 1);
    memset(longname, 'b', sizeof longname - 1);
    show("pipe(kernel address)", syscall(SYS_pipe, KADDR));
    show("pipe(NULL)", syscall(SYS_pipe, NULL));
    show("pipe2 bad flags", syscall(SYS_pipe2, p, 0x40));
    pipe(p);
    write(p[1], "data", 4);
    show("read pipe into kernel address", read(p[0], KADDR, 4));
    show("read pipe into NULL", read(p[0], NULL, 4));
    show("read pipe still has the data", read(p[0], buf, 4));
    show("write pipe from kernel address", write(p[1], KADDR, 4));
    show("write pipe length wrapping 2^64", syscall(SYS_write, p[1], buf, -1L));
    fd = open("f", O_CREAT | O_RDWR, 0644);
    show("write file from kernel address", write(fd, KADDR, 10));
    show("write file from address 1", write(fd, (void *)1, 10));
    show("file size stays 0", lseek(fd, 0, SEEK_END));
    show("ftruncate -1", ftruncate(fd, -1));
    show("pread negative offset", pread(fd, buf, 4, -5));
    show("fcntl F_DUPFD 1<<30", fcntl(fd, F_DUPFD, 1 << 30));
    show("dup2 to 1<<20", dup2(fd, 1 << 20));
    show("dup2 from -1", dup2(-1, 5));
    show("close -1", close(-1));
    show("open kernel address", syscall(SYS_open, KADDR, O_RDONLY));
    show("open NULL", syscall(SYS_open, NULL, O_RDONLY));
    show("open 4999-byte path", open(longpath, O_RDONLY));
    show("open 299-byte name", open(longname, O_CREAT | O_RDWR, 0644));
    show("open accmode 3", open("f", 3));
    show("open O_DIRECTORY on a file", open("f", O_RDONLY | O_DIRECTORY));
    show("openat bad dirfd", openat(99, "f", O_RDONLY));
    show("openat file as dirfd", openat(fd, "x", O_RDONLY));
    show("mkdir kernel address", syscall(SYS_mkdir, KADDR, 0755));
    mkdir("d", 0755);
    show("rename d into d/sub", rename("d", "d/sub"));
    show("rename d onto f", rename("d", "f"));
    show("rename f onto d", rename("f", "d"));
    show("link d d2", link("d", "d2"));
    show("rmdir a file", rmdir("f"));
    show("unlink a directory", unlink("d"));
    show("chdir a file", chdir("f"));
    show("getcwd size 1", syscall(SYS_getcwd, buf, 1));
    show("getcwd into kernel address", syscall(SYS_getcwd, KADDR, 100));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    show("getdents64 into kernel address", syscall(SYS_getdents64, dfd, KADDR, 4096));
    show("getdents64 size 1", syscall(SYS_getdents64, dfd, buf, 1));
    show("getdents64 on a file", syscall(SYS_getdents64, fd, buf, sizeof buf));
    show("stat into kernel address", syscall(SYS_stat, "f", KADDR));
    show("fstat bad fd", syscall(SYS_fstat, 77, buf));
    show("lseek directory to 5", lseek(dfd, 5, SEEK_SET) < 0 ? -1 : 0);
    show("poll kernel address", poll(KADDR, 1, 0));
    show("poll nfds 1<<20", syscall(SYS_poll, buf, 1 << 20, 0));
    struct pollfd pf[2] = { { .fd = 99, .events = POLLIN }, { .fd = p[0], .events = POLLIN } };
    show("poll bad fd and empty pipe", poll(pf, 2, 0));
    printf("fsattack: revents %#x %#x\n", pf[0].revents, pf[1].revents);
    close(p[1]);
    show("poll pipe without writers", poll(&pf[1], 1, 0));
    printf("fsattack: revents %#x\n", pf[1].revents);
    struct timespec ts = { 0, 2000000000L };
    show("nanosleep tv_nsec 2e9", nanosleep(&ts, NULL));
    show("nanosleep from kernel address", nanosleep(KADDR, NULL));
    show("clock_gettime clock 99", syscall(SYS_clock_gettime, 99, &ts));
    show("clock_gettime into kernel address", syscall(SYS_clock_gettime, CLOCK_REALTIME, KADDR));
    show("getrandom into kernel address", syscall(SYS_getrandom, KADDR, 16, 0));
    show("getrandom bad flags", syscall(SYS_getrandom, buf, 16, 0x80));
    show("getrandom 16", syscall(SYS_getrandom, buf, 16, 0));
    show("prlimit64 resource 99", syscall(SYS_prlimit64, 0, 99, NULL, buf));
    struct rlimit rl = { 10, 5 };
    show("setrlimit soft above hard", setrlimit(RLIMIT_NOFILE, &rl));
    show("sched_getaffinity len 4", syscall(SYS_sched_getaffinity, 0, 4, buf));
    show("sched_getaffinity pid 99999", syscall(SYS_sched_getaffinity, 99999, 8, buf));
    show("umask 077", umask(077));
    show("umask back", umask(022));
    mkdir("gone", 0755);
    chdir("gone");
    show("rmdir the working directory", rmdir("../gone"));
    show("create in a removed directory", open("x", O_CREAT | O_RDWR, 0644));
    show("mkdir in a removed directory", mkdir("y", 0755));
    show("getcwd in a removed directory", syscall(SYS_getcwd, buf, sizeof buf));
    show("stat . in a removed directory", stat(".", (struct stat *)longname) == 0 ? 0 : -1);
    show("chdir .. from a removed directory", chdir(".."));
    show("and the parent is where we were", access("f", F_OK));
    unlink("f");
    rmdir("d");
    return 0;
}
