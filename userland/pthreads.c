/*
 * pthreads: what a musl program with threads needs from the kernel (clone with
 * CLONE_VM|CLONE_THREAD|CLONE_SETTLS..., futex WAIT/WAKE, CLONE_CHILD_CLEARTID,
 * exit vs exit_group), with output that does not depend on scheduling:
 * a producer/consumer over a mutex and two condition variables, thread-local
 * storage, exit values through pthread_join, a detached thread, getpid vs
 * gettid, and threads sharing the descriptor table and the working directory.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define NITEMS 200
#define SLOTS 4
#define NWORKERS 4

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int ring[SLOTS], head, count, done;
static long consumed_sum[2];

static void *producer(void *arg)
{
    (void)arg;
    for (int i = 1; i <= NITEMS; i++) {
        pthread_mutex_lock(&lock);
        while (count == SLOTS)
            pthread_cond_wait(&not_full, &lock);
        ring[(head + count++) % SLOTS] = i;
        pthread_cond_signal(&not_empty);
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&lock);
    done = 1;
    pthread_cond_broadcast(&not_empty);
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void *consumer(void *arg)
{
    long id = (long)arg, n = 0;
    for (;;) {
        pthread_mutex_lock(&lock);
        while (count == 0 && !done)
            pthread_cond_wait(&not_empty, &lock);
        if (count == 0) {
            pthread_mutex_unlock(&lock);
            break;
        }
        int v = ring[head];
        head = (head + 1) % SLOTS;
        count--;
        pthread_cond_signal(&not_full);
        pthread_mutex_unlock(&lock);
        consumed_sum[id] += v;
        n++;
    }
    return (void *)n;
}

static __thread int tls_value = 7;
static __thread char tls_name[16];

static void *tls_worker(void *arg)
{
    long k = (long)arg;
    int start = tls_value;                     /* every thread starts from the initial image */
    tls_value += (int)k * 100;
    snprintf(tls_name, sizeof tls_name, "worker%ld", k);
    sched_yield();                             /* let the others change theirs */
    int ok = tls_value == 7 + (int)k * 100 && strcmp(tls_name, "worker") > 0;
    int tid_ok = syscall(SYS_gettid) != getpid();
    return (void *)(intptr_t)((start == 7) * 1 + ok * 2 + tid_ok * 4 + (int)k * 1000);
}

static pthread_mutex_t dlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t dcond = PTHREAD_COND_INITIALIZER;
static int detached_ran;

static void *detached(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&dlock);
    detached_ran = 1;
    pthread_cond_signal(&dcond);
    pthread_mutex_unlock(&dlock);
    return NULL;                                /* nobody joins: its resources go by themselves */
}

static int shared_fd = -1;

static void *fd_worker(void *arg)
{
    (void)arg;
    shared_fd = open("threadfile.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);   /* CLONE_FILES */
    if (shared_fd >= 0)
        write(shared_fd, "from a thread\n", 14);
    chdir("tmp");                                                          /* CLONE_FS */
    umask(077);
    pthread_exit((void *)42);
}

int main(void)
{
    pthread_t prod, cons[2], w[NWORKERS], d, f;
    void *ret;

    printf("pthreads: main thread: gettid == getpid: %s\n", syscall(SYS_gettid) == getpid() ? "yes" : "no");

    pthread_create(&prod, NULL, producer, NULL);
    for (long i = 0; i < 2; i++)
        pthread_create(&cons[i], NULL, consumer, (void *)i);
    long items = 0;
    pthread_join(prod, NULL);
    for (int i = 0; i < 2; i++) {
        pthread_join(cons[i], &ret);
        items += (long)ret;
    }
    printf("pthreads: producer/consumer: %ld items, sum %ld (expected %d)\n", items,
           consumed_sum[0] + consumed_sum[1], NITEMS * (NITEMS + 1) / 2);

    for (long k = 0; k < NWORKERS; k++)
        pthread_create(&w[k], NULL, tls_worker, (void *)(k + 1));
    for (int k = 0; k < NWORKERS; k++) {
        pthread_join(w[k], &ret);
        long v = (long)(intptr_t)ret;
        printf("pthreads: tls worker %ld: initial %s, own copy %s, own tid %s\n", v / 1000,
               v & 1 ? "ok" : "BAD", v & 2 ? "ok" : "BAD", v & 4 ? "ok" : "BAD");
    }
    printf("pthreads: main's tls after the workers: %d\n", tls_value);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_create(&d, &attr, detached, NULL);
    pthread_mutex_lock(&dlock);
    while (!detached_ran)
        pthread_cond_wait(&dcond, &dlock);
    pthread_mutex_unlock(&dlock);
    printf("pthreads: detached thread ran\n");

    pthread_create(&f, NULL, fd_worker, NULL);
    pthread_join(f, &ret);
    printf("pthreads: pthread_exit value %ld\n", (long)ret);
    struct stat st;
    int r = shared_fd >= 0 ? fstat(shared_fd, &st) : -1;
    printf("pthreads: the thread's fd %d is ours: fstat %s, size %ld\n", shared_fd, r ? strerror(errno) : "ok",
           r ? -1L : (long)st.st_size);
    char cwd[4096];
    printf("pthreads: cwd after the thread's chdir: %s\n", getcwd(cwd, sizeof cwd) ? strrchr(cwd, '/') : "?");
    mode_t old = umask(022);
    printf("pthreads: umask after the thread's umask(077): %03o\n", (unsigned)old);
    return 3;
}
