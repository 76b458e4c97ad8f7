/*
 * bench_files: throughput of pipes and files and the cost of fork+exec, timed with
 * CLOCK_MONOTONIC (10 ms ticks in ringlab, so each figure covers at least a second or so).
 * One `bench_files: NAME=VALUE (what)` line per figure; harness/ringlab/bench/files.py runs it in
 * ringlab and on the host's Linux and prints both. Works in the current directory.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CHUNK 4096

static char buf[65536];

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void pipe_throughput(long mib)
{
    int p[2];
    pipe(p);
    double t0 = now();
    pid_t pid = fork();
    if (pid == 0) {
        close(p[0]);
        for (long i = 0; i < mib * 1024 * 1024 / CHUNK; i++)
            write(p[1], buf, CHUNK);
        _exit(0);
    }
    close(p[1]);
    long got = 0;
    ssize_t n;
    while ((n = read(p[0], buf, sizeof buf)) > 0)
        got += n;
    waitpid(pid, NULL, 0);
    close(p[0]);
    printf("bench_files: pipe_MiB_per_s=%.1f (%ld MiB through a pipe, %d-byte writes)\n",
           got / 1048576.0 / (now() - t0), got / 1048576, CHUNK);
}

static void file_throughput(int rounds)
{
    double t0 = now();
    for (int r = 0; r < rounds; r++) {
        int fd = open("bench_files.tmp", O_CREAT | O_WRONLY | O_TRUNC, 0644);
        for (int i = 0; i < 2 * 1024 * 1024 / (int)sizeof buf; i++)
            write(fd, buf, sizeof buf);
        close(fd);
    }
    double t1 = now();
    for (int r = 0; r < rounds; r++) {
        int fd = open("bench_files.tmp", O_RDONLY);
        while (read(fd, buf, sizeof buf) > 0)
            ;
        close(fd);
    }
    double t2 = now();
    unlink("bench_files.tmp");
    printf("bench_files: file_write_MiB_per_s=%.1f file_read_MiB_per_s=%.1f (%d x 2 MiB)\n",
           rounds * 2 / (t1 - t0), rounds * 2 / (t2 - t1), rounds);
}

static void create_unlink(int n, int rounds)
{
    char name[32];
    double t0 = now();
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "bench_files.%d", i);
            close(open(name, O_CREAT | O_WRONLY, 0644));
        }
        for (int i = 0; i < n; i++) {
            snprintf(name, sizeof name, "bench_files.%d", i);
            unlink(name);
        }
    }
    printf("bench_files: create_unlink_us=%.1f (%d x %d files)\n", (now() - t0) / n / rounds * 1e6,
           rounds, n);
}

static void spawn(const char *self, int n)
{
    double t0 = now();
    for (int i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid == 0) {
            execl(self, "bench_files", "noop", (char *)NULL);
            _exit(127);
        }
        waitpid(pid, NULL, 0);
    }
    printf("bench_files: fork_exec_wait_us=%.0f (%d spawns)\n", (now() - t0) / n * 1e6, n);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "noop"))
        return 0;
    setvbuf(stdout, NULL, _IONBF, 0);
    memset(buf, 'x', sizeof buf);
    pipe_throughput(64);
    file_throughput(16);
    create_unlink(200, 25);
    spawn(argc > 1 ? argv[1] : "/bench_files", 100);
    return 0;
}
