/* Deadlock detection among many processes, as Linux's posix_locks_deadlock: N processes in a
 * chain, each holding byte i of a file and waiting (F_SETLKW) for byte i+1, held by the next;
 * the last asks for byte 1. Linux follows at most MAX_DEADLK_ITERATIONS + 1 links: a short
 * cycle is EDEADLK, a longer one simply waits. Then a crowd of waiters on one lock, and a
 * cycle through one of them. A process is known to sleep in F_SETLKW when it has said it is
 * going to lock and /proc/PID/stat says 'S' (the lock is all that is left); everything is SIGKILLed and reaped after each
 * case. The same lines on the host's Linux and in ringlab, as root and as a user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAXP 64

static char path[64];

static int lock(int fd, int cmd, int type, long start)
{
    struct flock fl = { .l_type = (short)type, .l_whence = SEEK_SET, .l_start = start, .l_len = 1 };
    return fcntl(fd, cmd, &fl);
}

static char state(pid_t p)
{
    char f[64], buf[256];
    snprintf(f, sizeof f, "/proc/%d/stat", p);
    int fd = open(f, O_RDONLY);
    if (fd < 0)
        return '?';
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *s = strrchr(buf, ')');
    return s && s[1] ? s[2] : '?';
}

/* Wait until process p sleeps (bounded: it has nothing left to do but its lock). */
static int asleep(pid_t p)
{
    for (long i = 0; i < 20000000; i++) {
        if (state(p) == 'S')
            return 1;
        sched_yield();
    }
    return 0;
}

static void kill_all(pid_t *pids, int n)
{
    for (int i = 0; i < n; i++)
        kill(pids[i], SIGKILL);
    for (int i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
}

/* Child i: hold byte `hold`, say so on `ready`, wait for a byte on its own `go`, say so, then
   F_SETLKW byte `want`; report the result on `res`. */
static pid_t member(int hold, int want, int ready, int go, int res)
{
    pid_t c = fork();
    if (c == 0) {
        int fd = open(path, O_RDWR);
        lock(fd, F_SETLK, F_WRLCK, hold);
        write(ready, "r", 1);
        char b;
        read(go, &b, 1);
        write(ready, "w", 1);                    /* going: the lock is all that is left to sleep in */
        int r = lock(fd, F_SETLKW, F_WRLCK, want);
        int e = r < 0 ? errno : 0;
        write(res, &e, sizeof e);
        _exit(0);
    }
    return c;
}

static void chain(int n)
{
    int rp[2], go[MAXP][2], resp[2];
    pid_t pids[MAXP];
    pipe(rp);
    pipe(resp);
    /* members 1..n: member i holds byte i and wants byte i+1; the last wants byte 1 */
    for (int i = 1; i <= n; i++) {
        pipe(go[i - 1]);
        pids[i - 1] = member(i, i == n ? 1 : i + 1, rp[1], go[i - 1][0], resp[1]);
    }
    char b;
    for (int i = 0; i < n; i++)
        read(rp[0], &b, 1);
    /* the first n-1 go and sleep; then the last closes the cycle */
    for (int i = 0; i < n - 1; i++)
        write(go[i][1], "g", 1);
    for (int i = 0; i < n - 1; i++)
        read(rp[0], &b, 1);
    int sleeping = 0;
    for (int i = 0; i < n - 1; i++)
        sleeping += asleep(pids[i]);
    write(go[n - 1][1], "g", 1);
    read(rp[0], &b, 1);
    fcntl(resp[0], F_SETFL, O_NONBLOCK);
    const char *what = "?";
    for (long i = 0; i < 20000000; i++) {
        int e;
        if (read(resp[0], &e, sizeof e) == sizeof e) {
            what = e == EDEADLK ? "EDEADLK" : e == 0 ? "granted" : "other error";
            break;
        }
        if (state(pids[n - 1]) == 'S') {
            what = "waits (no deadlock seen)";
            break;
        }
        sched_yield();
    }
    printf("chain of %d: %d asleep, the last: %s\n", n, sleeping, what);
    fflush(stdout);
    kill_all(pids, n);
    for (int i = 0; i < n; i++) {
        close(go[i][0]);
        close(go[i][1]);
    }
    close(rp[0]);
    close(rp[1]);
    close(resp[0]);
    close(resp[1]);
}

/* n waiters on byte 0 (held by this process), each holding a byte of its own; then this
   process asks for the byte of one of them: a cycle of two through a crowd. */
static void crowd(int n)
{
    int fd = open(path, O_RDWR);
    lock(fd, F_SETLK, F_WRLCK, 0);
    int rp[2], go[2], resp[2];
    pid_t pids[MAXP];
    pipe(rp);
    pipe(go);
    pipe(resp);
    for (int i = 0; i < n; i++)
        pids[i] = member(100 + i, 0, rp[1], go[0], resp[1]);
    char b;
    for (int i = 0; i < n; i++)
        read(rp[0], &b, 1);
    for (int i = 0; i < n; i++)
        write(go[1], "g", 1);
    for (int i = 0; i < n; i++)
        read(rp[0], &b, 1);
    int sleeping = 0;
    for (int i = 0; i < n; i++)
        sleeping += asleep(pids[i]);
    int r = lock(fd, F_SETLKW, F_WRLCK, 100 + n / 2);
    printf("crowd of %d: %d asleep; asking a waiter's byte: %s\n", n, sleeping,
           r < 0 && errno == EDEADLK ? "EDEADLK" : r < 0 ? "error" : "granted");
    lock(fd, F_SETLK, F_UNLCK, 0);              /* the crowd takes byte 0 in turn */
    int granted = 0;
    for (int i = 0; i < n; i++) {
        int e;
        read(resp[0], &e, sizeof e);
        granted += e == 0;
    }
    printf("crowd of %d: %d granted byte 0 in turn\n", n, granted);
    fflush(stdout);
    for (int i = 0; i < n; i++)
        waitpid(pids[i], NULL, 0);
    close(fd);
    close(rp[0]);
    close(rp[1]);
    close(go[0]);
    close(go[1]);
    close(resp[0]);
    close(resp[1]);
}

int main(void)
{
    char dir[] = "tmp/lockchainXXXXXX";
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (!mkdtemp(dir))
        return 1;
    snprintf(path, sizeof path, "%s/f", dir);
    close(open(path, O_CREAT | O_RDWR, 0600));
    int sizes[] = { 2, 3, 11, 12, 13, 14, 20 };
    for (unsigned i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        chain(sizes[i]);
    crowd(getuid() == 0 ? 50 : 20);             /* ringlab's RLIMIT_NPROC for a user: 32 */
    unlink(path);
    rmdir(dir);
    return 0;
}
