/*
 * kcov's ABI and its hostile uses, one line per step: "kcovabi: STEP = RESULT" where RESULT is
 * a return value or -ERRNO. The expected values are Linux's (kernel/kcov.c); tests/test_kcov.py
 * holds them. The hostile steps must not hurt the kernel (the sanitizer build reports a use
 * after free): a kcov fd closed while tracing, the buffer unmapped while tracing, a thread
 * ending while tracing, fork and exec with tracing on.
 *
 *   kcovabi            every step, then execs "kcovabi exec" with tracing on
 *   kcovabi exec       what the exec'd image sees (tracing survives exec on Linux: the task
 *                      keeps its kcov; the new image has no mapping of it)
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define KCOV_INIT_TRACE _IOR('c', 1, unsigned long)
#define KCOV_ENABLE     _IO('c', 100)
#define KCOV_DISABLE    _IO('c', 101)
#define KCOV_TRACE_PC   0
#define KCOV_TRACE_CMP  1
#define WORDS           1024                       /* two pages */
#define KCOV_PATH       "/sys/kernel/debug/kcov"

static long r(long v)
{
    return v < 0 ? -errno : v;
}

static void show(const char *step, long v)
{
    printf("kcovabi: %s = %ld\n", step, v);
    fflush(stdout);
}

static unsigned long *map(int fd, size_t words)
{
    return mmap(NULL, words * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
}

static int traced_fd;

static void *thread_enables_and_ends(void *arg)
{
    (void)arg;
    show("thread enable", r(ioctl(traced_fd, KCOV_ENABLE, KCOV_TRACE_PC)));
    getppid();
    return NULL;                                   /* ends with tracing on */
}

int main(int argc, char **argv)
{
    char buf[64];
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        /* This thread still traces into the object the old image opened (Linux keeps
           current->kcov across exec); the new image has neither its fd nor its mapping. */
        int fd = open(KCOV_PATH, O_RDWR);
        show("exec: init", r(ioctl(fd, KCOV_INIT_TRACE, WORDS)));
        show("exec: enable another", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
        puts("kcovabi: done");
        return 0;
    }
    int fd = open(KCOV_PATH, O_RDWR);
    show("open", fd < 0 ? -errno : 0);
    if (fd < 0)
        return 1;
    show("enable before init", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
    show("mmap before init", map(fd, WORDS) == MAP_FAILED ? -errno : 0);
    show("init 1 word", r(ioctl(fd, KCOV_INIT_TRACE, 1)));
    show("init huge", r(ioctl(fd, KCOV_INIT_TRACE, 1UL << 40)));
    show("init", r(ioctl(fd, KCOV_INIT_TRACE, WORDS)));
    show("init again", r(ioctl(fd, KCOV_INIT_TRACE, WORDS)));
    show("mmap short", map(fd, WORDS / 2) == MAP_FAILED ? -errno : 0);
    show("mmap offset", mmap(NULL, WORDS * 8, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096) == MAP_FAILED
                        ? -errno : 0);
    unsigned long *cover = map(fd, WORDS);
    show("mmap", cover == MAP_FAILED ? -errno : 0);
    unsigned long *cover2 = map(fd, WORDS);        /* a second mapping: the same pages */
    cover[1] = 42;
    show("a second mapping sees the first", (long)cover2[1]);
    show("munmap the second", r(munmap(cover2, WORDS * 8)));
    show("read", r(read(fd, buf, sizeof buf)));
    show("write", r(write(fd, buf, 1)));
    show("ioctl TCGETS", r(ioctl(fd, 0x5401, buf)));
    show("disable before enable", r(ioctl(fd, KCOV_DISABLE, 0)));
    show("enable cmp", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_CMP)));
    show("enable mode 7", r(ioctl(fd, KCOV_ENABLE, 7)));
    show("enable", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
    show("enable twice", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
    int fd2 = open(KCOV_PATH, O_RDWR);
    ioctl(fd2, KCOV_INIT_TRACE, WORDS);
    show("enable a second while tracing", r(ioctl(fd2, KCOV_ENABLE, KCOV_TRACE_PC)));
    cover[0] = 0;
    getppid();
    show("pcs of getppid > 0", cover[0] > 0);
    cover[0] = ~0UL;                               /* a hostile count: nothing is written past the buffer */
    getppid();
    show("count after ~0 holds a kernel pc", cover[0] >> 63);   /* position 0 got a PC, as on Linux */
    cover[0] = WORDS - 1;                          /* full: stays full */
    getppid();
    show("count when full", (long)cover[0]);
    show("disable arg 1", r(ioctl(fd, KCOV_DISABLE, 1)));
    show("disable", r(ioctl(fd, KCOV_DISABLE, 0)));
    cover[0] = 0;
    getppid();
    show("pcs after disable", (long)cover[0]);

    /* fork with tracing on: the child does not trace (Linux kcov_task_init), can't disable
       the parent's and can't take the object over; its copy of the mapping is the same pages. */
    show("enable for fork", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
    pid_t pid = fork();
    if (pid == 0) {
        show("child: disable", r(ioctl(fd, KCOV_DISABLE, 0)));
        show("child: enable", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    show("child status", st);

    show("disable after fork", r(ioctl(fd, KCOV_DISABLE, 0)));

    /* a second fd, enabled by a thread that ends with tracing on */
    traced_fd = fd2;                               /* fd2 is initialised, not enabled */
    cover = map(fd2, WORDS);
    pthread_t t;
    pthread_create(&t, NULL, thread_enables_and_ends, NULL);
    pthread_join(t, NULL);
    show("enable after the thread ended", r(ioctl(fd2, KCOV_ENABLE, KCOV_TRACE_PC)));   /* it gave it back */
    show("disable", r(ioctl(fd2, KCOV_DISABLE, 0)));
    show("close", r(close(fd2)));
    cover[0] = 0;
    show("buffer still mapped after close", (long)cover[0]);
    munmap(cover, WORDS * 8);


    cover = map(fd, WORDS);
    show("enable again", r(ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)));
    /* unmap the buffer while tracing: the kernel keeps writing into its own pages */
    show("munmap while tracing", r(munmap(cover, WORDS * 8)));
    getppid();
    show("getppid after munmap", 0);
    cover = map(fd, WORDS);
    show("mmap again", cover == MAP_FAILED ? -errno : 0);
    show("pcs seen after remap > 0", cover[0] > 0);

    /* close the fd while tracing: the thread's reference keeps the object */
    show("close while tracing", r(close(fd)));
    cover[0] = 0;
    getppid();
    show("pcs after close > 0", cover[0] > 0);
    show("munmap after close", r(munmap(cover, WORDS * 8)));
    getppid();

    /* exec with tracing on (this thread still traces the first object, its fd closed) */
    char *args[] = { "kcovabi", "exec", NULL };
    execv(argv[0], args);                          /* "kcovabi" in "/", ringlab's working directory */
    show("execv", -errno);
    return 1;
}
