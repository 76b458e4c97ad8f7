/*
 * threadmem ROUNDS: every page threads use comes back. Each round forks a child that
 * runs joined, detached and blocked threads (thread stacks from mmap, TLS, a mutex
 * and a condition variable), grows and moves memory from a thread (mremap, madvise),
 * execs itself from a thread that is not the leader, and the exec'd image ends with
 * exit_group from a thread while another is blocked in futex. The parent reaps it and
 * says so; with trace=mem the free-page count at each reap must be the same.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NJOINED 8
#define NDETACHED 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int counter, detached_done;
static __thread long mine;
static const char *self;

static void *joined(void *arg)
{
    mine = (long)arg;
    for (int i = 0; i < 50; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
    return (void *)(mine * 2);
}

static void *detached(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    detached_done++;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *memory(void *arg)
{
    (void)arg;
    char *p = mmap(0, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(p, 1, 8 * 4096);
    madvise(p, 4 * 4096, MADV_DONTNEED);
    p = mremap(p, 8 * 4096, 64 * 4096, MREMAP_MAYMOVE);
    memset(p, 2, 64 * 4096);
    p = mremap(p, 64 * 4096, 16 * 4096, 0);
    return p == MAP_FAILED ? (void *)1 : NULL;         /* the mapping is left for exit to free */
}

static void *execer(void *arg)
{
    (void)arg;
    char *argv[] = { (char *)self, "image2", NULL };
    execve(self, argv, NULL);
    return NULL;
}

static uint32_t never;
static void *blocked(void *arg)
{
    (void)arg;
    syscall(SYS_futex, &never, 128 /* FUTEX_WAIT_PRIVATE */, 0, 0, 0, 0);
    return NULL;
}

static void *ender(void *arg)
{
    (void)arg;
    syscall(SYS_exit_group, 9);
    return NULL;
}

static int child(void)
{
    pthread_t t[NJOINED], d, m, e, b;
    pthread_attr_t attr;
    long sum = 0;
    void *ret;
    for (long i = 0; i < NJOINED; i++)
        pthread_create(&t[i], NULL, joined, (void *)(i + 1));
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    for (int i = 0; i < NDETACHED; i++)
        pthread_create(&d, &attr, detached, NULL);
    pthread_create(&m, NULL, memory, NULL);
    for (int i = 0; i < NJOINED; i++) {
        pthread_join(t[i], &ret);
        sum += (long)ret;
    }
    pthread_join(m, &ret);
    pthread_mutex_lock(&lock);
    while (detached_done < NDETACHED)
        pthread_cond_wait(&cond, &lock);
    pthread_mutex_unlock(&lock);
    if (sum != NJOINED * (NJOINED + 1) || counter != NJOINED * 50 || ret)
        return 1;
    pthread_create(&b, NULL, blocked, NULL);
    pthread_create(&e, NULL, execer, NULL);
    for (;;)
        pthread_join(b, NULL);                          /* execve ends this thread */
}

static int image2(void)
{
    pthread_t b, e;
    pthread_create(&b, NULL, blocked, NULL);
    pthread_create(&e, NULL, ender, NULL);
    pthread_join(b, NULL);                              /* exit_group(9) ends us */
    return 1;
}

int main(int argc, char **argv)
{
    self = argv[0];
    if (argc == 2 && !strcmp(argv[1], "image2"))
        return image2();
    int rounds = argc > 1 ? atoi(argv[1]) : 3;
    for (int r = 1; r <= rounds; r++) {
        pid_t pid = fork();
        if (pid == 0)
            _exit(child());
        int st = 0;
        waitpid(pid, &st, 0);
        printf("threadmem: round %d: status %d\n", r, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
        fflush(stdout);
    }
    return 0;
}
