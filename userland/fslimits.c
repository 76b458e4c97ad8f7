/*
 * fslimits [ROUNDS]: drive ringlab's file-system limits from a child process, ROUNDS times
 * (default 3), printing what each limit answered. Per round: one file grows to the per-file
 * limit (2 MiB: then -EFBIG, a write across it is short), files fill the file system's 16 MiB
 * (-ENOSPC), empty files fill the inode table (-ENOSPC), an unlinked file stays usable while
 * open, 60 pipes are made and closed; then everything is removed. With the kernel argument
 * trace=mem, the free-page count after each child is reaped must be the same every round.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char chunk[65536];

static const char *en(int e)
{
    return e == EFBIG ? "EFBIG" : e == ENOSPC ? "ENOSPC" : e == EMFILE ? "EMFILE" : e == ENFILE ? "ENFILE"
                                                                                  : strerror(e);
}

/* Write until an error; returns the bytes written and the error in *err. */
static long fill(int fd, int *err)
{
    long total = 0;
    for (;;) {
        ssize_t n = write(fd, chunk, sizeof chunk);
        if (n < 0) {
            *err = errno;
            return total;
        }
        total += n;
    }
}

static void round_(void)
{
    int err = 0;
    mkdir("/tmp/lim", 0755);
    int fd = open("/tmp/lim/big", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    long got = fill(fd, &err);
    printf("fslimits: one file: %ld bytes, then %s\n", got, en(err));
    lseek(fd, 2 * 1024 * 1024 - 10, SEEK_SET);
    printf("fslimits: write 100 across the limit: %zd\n", write(fd, chunk, 100));
    printf("fslimits: ftruncate past the limit: %s\n",
           ftruncate(fd, 3 * 1024 * 1024) ? en(errno) : "ok");
    close(fd);
    unlink("/tmp/lim/big");

    int files = 0;
    long bytes = 0;
    for (;; files++) {
        char p[64];
        snprintf(p, sizeof p, "/tmp/lim/f%d", files);
        fd = open(p, O_CREAT | O_WRONLY, 0644);
        bytes += fill(fd, &err);
        close(fd);
        if (err != EFBIG)
            break;
    }
    printf("fslimits: filling: %d full files, %ld bytes in all, then %s\n", files, bytes, en(err));
    for (int i = 0; i <= files; i++) {
        char p[64];
        snprintf(p, sizeof p, "/tmp/lim/f%d", i);
        unlink(p);
    }

    int empty = 0;
    for (;; empty++) {
        char p[64];
        snprintf(p, sizeof p, "/tmp/lim/e%d", empty);
        fd = open(p, O_CREAT | O_WRONLY, 0644);
        if (fd < 0) {
            err = errno;
            break;
        }
        close(fd);
    }
    printf("fslimits: empty files until %s (%s)\n", en(err), empty > 300 ? "more than 300" : "too few");
    for (int i = 0; i < empty; i++) {
        char p[64];
        snprintf(p, sizeof p, "/tmp/lim/e%d", i);
        unlink(p);
    }

    fd = open("/tmp/lim/gone", O_CREAT | O_RDWR, 0644);
    unlink("/tmp/lim/gone");
    write(fd, "still here", 10);
    char buf[16] = { 0 };
    pread(fd, buf, 10, 0);
    printf("fslimits: unlinked but open: \"%s\", stat: %s\n", buf,
           access("/tmp/lim/gone", F_OK) ? en(errno) : "exists");
    close(fd);

    int opened = 0;
    for (int i = 0; i < 60; i++) {
        int p[2];
        if (pipe(p) == 0) {
            write(p[1], chunk, 5000);
            close(p[0]);
            close(p[1]);
            opened++;
        }
    }
    printf("fslimits: %d pipes written and closed\n", opened);
    printf("fslimits: rmdir: %s\n", rmdir("/tmp/lim") ? en(errno) : "ok");
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int r = 0; r < rounds; r++) {
        pid_t pid = fork();
        if (pid == 0) {
            round_();
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("fslimits: round %d: status %d\n", r + 1, st);
    }
    return 0;
}
