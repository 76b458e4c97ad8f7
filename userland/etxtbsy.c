/* ETXTBSY as Linux gives it: a file that a process runs cannot be opened for writing or
 * truncated; a file open for writing cannot be run; the deny goes when the last process
 * running it exits or execs something else, and a fork runs it too. A copy of this program
 * is written at run time in a fresh mkdtemp directory and run from there ("etxtbsy run":
 * it waits for a byte on stdin, "etxtbsy exec": it execs the original). The same lines on
 * the host's Linux and in ringlab, as root and as a user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char self[64] = "etxtbsy";        /* this program, in the working directory */
static char copy[64];

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case ETXTBSY: return "ETXTBSY";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case ENOENT: return "ENOENT";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static long try_open(const char *p, int flags)
{
    int fd = open(p, flags);
    if (fd >= 0)
        close(fd);
    return fd;
}

/* Each way of writing `p` (the truncate keeps its size), then reading it. */
static void probe(const char *tag, const char *p)
{
    struct stat st;
    stat(p, &st);
    long w = try_open(p, O_WRONLY), rw = try_open(p, O_RDWR), r = try_open(p, O_RDONLY);
    printf("%s: O_WRONLY %s O_RDWR %s O_RDONLY %s truncate %s", tag, e(w), e(rw), e(r), e(truncate(p, st.st_size)));
    if (w < 0)                            /* busy: O_TRUNC, even with O_RDONLY, is refused too */
        printf(" O_RDONLY|O_TRUNC %s", e(try_open(p, O_RDONLY | O_TRUNC)));
    printf("\n");
    fflush(stdout);
}

/* Run `copy` with argv[1] = mode, its stdin the read end of a new pipe; *in gets the write end. */
static pid_t run_copy(const char *mode, int *in, int *ready)
{
    int p[2], r[2];
    pipe(p);
    pipe(r);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        dup2(p[0], 0);
        dup2(r[1], 3);
        close(p[1]);
        close(r[0]);
        execl(copy, "etxtbsy", mode, (char *)NULL);
        _exit(100 + errno);
    }
    close(p[0]);
    close(r[1]);
    *in = p[1];
    *ready = r[0];
    return c;
}

static void reap(const char *tag, pid_t c)
{
    int status;
    waitpid(c, &status, 0);
    printf("%s: exit %d\n", tag, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    fflush(stdout);
}

static int child_mode(const char *mode)
{
    char b;
    if (!strcmp(mode, "run")) {          /* running: say so on fd 3, wait for stdin */
        write(3, "r", 1);
        read(0, &b, 1);
        return 7;
    }
    if (!strcmp(mode, "fork")) {         /* a fork runs it too: the parent ends, the child waits */
        if (fork() == 0) {
            write(3, "r", 1);
            read(0, &b, 1);
            _exit(0);
        }
        return 8;
    }
    if (!strcmp(mode, "exec")) {         /* exec the original: this copy is no longer run */
        execl(self, "etxtbsy", "run", (char *)NULL);
        return 100 + errno;
    }
    return 9;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return child_mode(argv[1]);
    setvbuf(stdout, NULL, _IOLBF, 0);
    probe("this program, running", self);

    char dir[] = "tmp/etxtbsyXXXXXX";
    if (!mkdtemp(dir)) {
        printf("mkdtemp: %s\n", e(-1));
        return 1;
    }
    snprintf(copy, sizeof copy, "%s/copy", dir);
    int src = open(self, O_RDONLY), dst = open(copy, O_CREAT | O_WRONLY, 0755);
    char buf[4096];
    ssize_t n;
    while ((n = read(src, buf, sizeof buf)) > 0)
        write(dst, buf, (size_t)n);
    close(src);

    /* open for writing: execve is ETXTBSY, in this process and in a child */
    int in, ready;
    printf("execve of a file open for writing: %s\n", e(execl(copy, "etxtbsy", "run", (char *)NULL)));
    pid_t c = run_copy("run", &in, &ready);
    reap("child's execve while it is open for writing", c);
    close(in);
    close(ready);
    int rd = open(copy, O_RDONLY);
    close(dst);

    /* running: no writer, no truncate; reading, unlinking's neighbour (a link) are fine */
    char b;
    c = run_copy("run", &in, &ready);
    read(ready, &b, 1);
    probe("the copy, running", copy);
    printf("fd open for reading before it ran, still reads: %s\n", e(read(rd, buf, 4)));
    write(in, "x", 1);
    reap("the copy", c);
    close(in);
    close(ready);
    probe("the copy, ended", copy);

    /* a fork of the running copy keeps it busy after the first process exits */
    c = run_copy("fork", &in, &ready);
    reap("the copy that forked", c);
    read(ready, &b, 1);
    probe("the copy's fork, running", copy);
    write(in, "x", 1);
    close(in);
    /* the fork is not our child: its end is the end of the file on `ready` (Linux's exit, as
       ringlab's, lets the image go with the memory, before the descriptors) */
    printf("the fork's end: read %zd\n", read(ready, &b, 1));
    close(ready);
    printf("the copy, once the fork ended: %s\n", e(try_open(copy, O_WRONLY)));

    /* exec of something else drops the deny: the process runs on, the copy is free */
    c = run_copy("exec", &in, &ready);
    read(ready, &b, 1);
    probe("the copy after its process exec'd the original", copy);
    write(in, "x", 1);
    reap("the exec'd original", c);
    close(in);
    close(ready);
    close(rd);
    struct stat st;
    printf("O_RDONLY|O_TRUNC of the copy, free: %s", e(try_open(copy, O_RDONLY | O_TRUNC)));
    printf(" size %ld\n", stat(copy, &st) ? -1L : (long)st.st_size);
    unlink(copy);
    rmdir(dir);
    return 0;
}
