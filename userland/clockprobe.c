/*
 * clockprobe: the time, randomness and limit calls as ringlab answers them, one
 * `clockprobe: key=value` line each (tests/test_time_limits.py judges them against the
 * host's clock and the kernel's documented limits).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long long ns(clockid_t c)
{
    struct timespec ts;
    clock_gettime(c, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int nonzero(const unsigned char *b, int n)
{
    for (int i = 0; i < n; i++)
        if (b[i])
            return 1;
    return 0;
}

int main(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    printf("clockprobe: realtime_s=%lld gettimeofday_s=%lld time_s=%lld\n", ns(CLOCK_REALTIME) / 1000000000LL,
           (long long)tv.tv_sec, (long long)time(NULL));
    long long m0 = ns(CLOCK_MONOTONIC);
    struct timespec nap = { 0, 100000000 };
    int r = nanosleep(&nap, NULL);
    printf("clockprobe: nanosleep_100ms=%d slept_ms=%lld\n", r, (ns(CLOCK_MONOTONIC) - m0) / 1000000);
    struct timespec res;
    clock_getres(CLOCK_MONOTONIC, &res);
    printf("clockprobe: resolution_ns=%ld\n", res.tv_nsec);
    unsigned char a[32], b[32];
    ssize_t na = getrandom(a, sizeof a, 0), nb = getrandom(b, sizeof b, 0);
    printf("clockprobe: getrandom=%zd,%zd", na, nb);
    printf(" nonzero=%d differ=%d\n", nonzero(a, 32), memcmp(a, b, 32) != 0);
    int fd = open("/dev/urandom", O_RDONLY);
    na = read(fd, a, 32);
    printf("clockprobe: urandom_read=%zd nonzero=%d\n", na, nonzero(a, 32));
    close(fd);
    fd = open("/dev/zero", O_RDONLY);
    na = read(fd, a, 32);
    printf("clockprobe: zero_read=%zd nonzero=%d\n", na, nonzero(a, 32));
    close(fd);
    fd = open("/dev/null", O_RDWR);
    na = write(fd, "x", 1);
    printf("clockprobe: null_write=%zd null_read=%zd\n", na, read(fd, a, 1));
    close(fd);
    char link[64];
    r = (int)readlink("/proc/self/exe", link, sizeof link);
    printf("clockprobe: readlink_proc_self_exe=%d errno=%d\n", r, r < 0 ? errno : 0);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    printf("clockprobe: nofile=%llu,%llu", (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    getrlimit(RLIMIT_STACK, &rl);
    printf(" stack=%llu", (unsigned long long)rl.rlim_cur);
    printf(" setrlimit_same=%d", setrlimit(RLIMIT_STACK, &rl));
    rl.rlim_cur /= 2;
    r = setrlimit(RLIMIT_STACK, &rl);
    printf(" setrlimit_lower=%d errno=%d\n", r, r < 0 ? errno : 0);
    cpu_set_t set;
    CPU_ZERO(&set);
    r = sched_getaffinity(0, sizeof set, &set);
    printf("clockprobe: affinity=%d count=%d cpu0=%d\n", r, CPU_COUNT(&set), !!CPU_ISSET(0, &set));
    return 0;
}
