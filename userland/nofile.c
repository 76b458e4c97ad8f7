/*
 * nofile: RLIMIT_NOFILE per process, as Linux's: with the limit set to 1024 soft / 4096 hard
 * (Linux's defaults, set here so the host's shell does not matter), a process opens files,
 * then pipes, until EMFILE; dup2 past the limit is EBADF, F_DUPFD past it EINVAL, poll with
 * more fds than the limit EINVAL; a lowered limit leaves fds above it open; the hard limit
 * cannot be raised (the host's root has no CAP_SYS_RESOURCE; ringlab's table ends there).
 * Then five children each hold as many files as they may, at once, and a sixth process still
 * opens files: no global table one process can exhaust. Same output on Linux and in ringlab.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sigtest.h"

#define CHILDREN 5

/* Open "." until it fails; returns how many opened (errno tells why it stopped). */
static int open_all(void)
{
    int n = 0;
    while (open(".", O_RDONLY) >= 0)
        n++;
    return n;
}

static void close_from(int fd)
{
    for (; fd < 4096; fd++)
        close(fd);
}

static void limit(rlim_t soft, rlim_t hard)
{
    struct rlimit rl = { soft, hard };
    char label[64];
    snprintf(label, sizeof label, "setrlimit %lu %lu", (unsigned long)soft, (unsigned long)hard);
    TRY(label, setrlimit(RLIMIT_NOFILE, &rl));
}

int main(void)
{
    limit(1024, 4096);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    say("getrlimit: %lu %lu\n", (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
    int n = open_all();
    say("opened %d files, then: %s\n", n, strerror(errno));
    TRY("dup", dup(0));
    close_from(3);
    int p[2], pipes = 0;
    while (pipe(p) == 0)
        pipes++;
    say("made %d pipes, then: %s\n", pipes, strerror(errno));
    close_from(3);

    TRY("dup2 to 1023", dup2(0, 1023));
    TRY("dup2 to 1024", dup2(0, 1024));
    TRY("F_DUPFD 1024", fcntl(0, F_DUPFD, 1024));
    TRY("F_DUPFD 1000", fcntl(0, F_DUPFD, 1000));
    TRY("F_DUPFD_CLOEXEC 700, then F_GETFD", fcntl(fcntl(0, F_DUPFD_CLOEXEC, 700), F_GETFD));
    TRY("F_SETFD 0 on 700, then F_GETFD", (fcntl(700, F_SETFD, 0), fcntl(700, F_GETFD)));
    TRY("dup3 O_CLOEXEC to 701, then F_GETFD", (dup3(0, 701, O_CLOEXEC), fcntl(701, F_GETFD)));
    TRY("pipe2 O_CLOEXEC", pipe2(p, O_CLOEXEC));
    TRY("F_GETFD of both ends", fcntl(p[0], F_GETFD) + fcntl(p[1], F_GETFD));
    static struct pollfd many[1025];
    for (int i = 0; i < 1025; i++)
        many[i] = (struct pollfd){ -1, 0, 0 };
    TRY("poll 1024 fds", poll(many, 1024, 0));
    TRY("poll 1025 fds", poll(many, 1025, 0));

    limit(64, 4096);
    TRY("fcntl F_GETFD of fd 1023, above the new limit", fcntl(1023, F_GETFD));
    TRY("close fd 1000", close(1000));
    TRY("dup2 to 64", dup2(0, 64));
    n = open_all();
    say("opened %d files, then: %s\n", n, strerror(errno));
    close_from(3);
    limit(5000, 5000);
    limit(4096, 4097);
    limit(4097, 4096);
    limit(4096, 4096);
    n = open_all();
    say("opened %d files, then: %s\n", n, strerror(errno));
    close_from(3);
    limit(1024, 4096);
    limit(1024, 4096);

    /* Five children hold all the files they may at once; the parent then opens one more. */
    int hold[2], report[2];
    pipe(hold);
    pipe(report);
    for (int c = 0; c < CHILDREN; c++) {
        if (fork() == 0) {
            close(hold[1]);
            int got = open_all();
            write(report[1], &got, sizeof got);
            char x;
            read(hold[0], &x, 1);            /* until the parent lets go: the files stay open */
            _exit(0);
        }
    }
    close(hold[0]);
    long total = 0;
    for (int c = 0; c < CHILDREN; c++) {
        int got;
        read(report[0], &got, sizeof got);
        total += got;
    }
    say("%d children hold %ld files at once (%ld each)\n", CHILDREN, total, total / CHILDREN);
    int fd = open(".", O_RDONLY);
    say("then this process opens a file: %s\n", fd >= 0 ? "yes" : strerror(errno));
    TRY("and a pipe", pipe(p));
    close(hold[1]);
    for (int c = 0; c < CHILDREN; c++)
        wait(NULL);
    say("children reaped\n");
    return 0;
}
