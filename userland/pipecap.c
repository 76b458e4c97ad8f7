/*
 * pipecap: a pipe's capacity as Linux's (fs/pipe.c): 16 slots of a page each, not 65536
 * bytes. A full pipe that a reader took 100 bytes from has no free slot: a non-blocking write
 * of 100 bytes is EAGAIN, and poll() says it is not writable. A write's first (length mod
 * 4096) bytes join the newest slot when they fit there whole; the rest needs fresh slots, so
 * a non-blocking write writes what fits and returns its count. F_GETPIPE_SZ/F_SETPIPE_SZ
 * (rounded up to a power-of-two number of pages; EBUSY below what is buffered, EPERM past
 * 1 MiB, EINVAL past 2 GiB). st_ino is a small counter: each pipe its own, both ends the same.
 * Same output on Linux and in ringlab.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sigtest.h"

static char buf[1 << 20];

/* Read everything buffered (non-blocking); returns the byte count. */
static long drain(int fd)
{
    long total = 0, n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        total += n;
    return total;
}

static int writable(int fd)
{
    struct pollfd p = { fd, POLLOUT, 0 };
    return poll(&p, 1, 0) == 1 && (p.revents & POLLOUT);
}

int main(void)
{
    int fd[2];
    pipe2(fd, O_NONBLOCK);
    TRY("F_GETPIPE_SZ", fcntl(fd[1], F_GETPIPE_SZ));
    TRY("write 65536", write(fd[1], buf, 65536));
    TRY("write 1 more", write(fd[1], buf, 1));
    TRY("read 100", read(fd[0], buf, 100));
    say("writable after reading 100: %d\n", writable(fd[1]));
    TRY("write 100", write(fd[1], buf, 100));
    TRY("write 4096", write(fd[1], buf, 4096));
    TRY("read 3996 (the first slot, all of it)", read(fd[0], buf, 3996));
    say("writable now: %d\n", writable(fd[1]));
    TRY("write 100", write(fd[1], buf, 100));
    TRY("write 5000: 904 join the newest slot, no slot for the rest", write(fd[1], buf, 5000));
    TRY("write 1", write(fd[1], buf, 1));
    TRY("read everything", drain(fd[0]));

    int n = 0;
    while (write(fd[1], buf, 1) == 1)
        n++;
    say("one-byte writes until EAGAIN: %d (%s)\n", n, strerror(errno));
    TRY("read everything", drain(fd[0]));
    TRY("write 1", write(fd[1], buf, 1));
    long total = 1, r;
    while ((r = write(fd[1], buf, 4096)) > 0)
        total += r;
    say("then 4096-byte writes until EAGAIN: %ld bytes in the pipe (%s)\n", total, strerror(errno));
    TRY("read everything", drain(fd[0]));
    TRY("write 65537 to an empty pipe", write(fd[1], buf, 65537));
    TRY("read everything", drain(fd[0]));
    TRY("write 70000", write(fd[1], buf, 70000));
    TRY("read everything", drain(fd[0]));

    TRY("F_SETPIPE_SZ 0", fcntl(fd[1], F_SETPIPE_SZ, 0));
    TRY("write 5000", write(fd[1], buf, 5000));
    TRY("F_SETPIPE_SZ 5000", fcntl(fd[1], F_SETPIPE_SZ, 5000));
    TRY("write 5000", write(fd[1], buf, 5000));
    TRY("F_SETPIPE_SZ 4096 with two slots used", fcntl(fd[1], F_SETPIPE_SZ, 4096));
    TRY("read everything", drain(fd[0]));
    TRY("F_SETPIPE_SZ 1 MiB", fcntl(fd[0], F_SETPIPE_SZ, 1 << 20));
    TRY("write 1 MiB", write(fd[1], buf, 1 << 20));
    TRY("read everything", drain(fd[0]));
    TRY("F_SETPIPE_SZ 1 MiB + 1", fcntl(fd[1], F_SETPIPE_SZ, (1 << 20) + 1));
    TRY("F_SETPIPE_SZ 2 GiB + 1", fcntl(fd[1], F_SETPIPE_SZ, 0x80000001u));
    TRY("F_GETPIPE_SZ", fcntl(fd[1], F_GETPIPE_SZ));
    TRY("F_GETPIPE_SZ of a directory", fcntl(open(".", O_RDONLY), F_GETPIPE_SZ));

    int other[2];
    pipe(other);
    struct stat a, b, c;
    fstat(fd[0], &a);
    fstat(fd[1], &b);
    fstat(other[0], &c);
    say("st_ino: both ends the same %d, another pipe's differs %d, below 2^32 %d, FIFO %d\n",
        a.st_ino == b.st_ino, a.st_ino != c.st_ino, a.st_ino < (1ULL << 32), S_ISFIFO(a.st_mode));
    return 0;
}
