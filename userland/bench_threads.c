/*
 * bench_threads: what threads cost, timed with CLOCK_MONOTONIC (10 ms ticks in ringlab, so
 * each figure covers many ticks): pthread_create + pthread_join, a futex ping-pong between
 * two threads (condition variables: every round trip is two waits and two wakes), and four
 * threads incrementing one counter under a mutex. One `bench_threads: NAME=VALUE (what)`
 * line per figure; harness/ringlab/bench/threads.py runs it in ringlab and on the host's Linux.
 */
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *nothing(void *arg) { return arg; }

static void create_join(int n)
{
    double t0 = now();
    for (int i = 0; i < n; i++) {
        pthread_t t;
        pthread_create(&t, NULL, nothing, NULL);
        pthread_join(t, NULL);
    }
    printf("bench_threads: create_join_us=%.1f (pthread_create + pthread_join, %d threads)\n",
           (now() - t0) * 1e6 / n, n);
}

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int turn, rounds;

static void *pong(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&lock);
    for (int i = 0; i < rounds; i++) {
        while (turn != 1)
            pthread_cond_wait(&cond, &lock);
        turn = 0;
        pthread_cond_signal(&cond);
    }
    pthread_mutex_unlock(&lock);
    return NULL;
}

static void ping_pong(int n)
{
    pthread_t t;
    rounds = n;
    double t0 = now();
    pthread_create(&t, NULL, pong, NULL);
    pthread_mutex_lock(&lock);
    for (int i = 0; i < n; i++) {
        turn = 1;
        pthread_cond_signal(&cond);
        while (turn != 0)
            pthread_cond_wait(&cond, &lock);
    }
    pthread_mutex_unlock(&lock);
    pthread_join(t, NULL);
    printf("bench_threads: ping_pong_us=%.1f (one round trip between two threads, %d rounds)\n",
           (now() - t0) * 1e6 / n, n);
}

static long counter;
static int per_thread;

static void *adder(void *arg)
{
    for (int i = 0; i < per_thread; i++) {
        pthread_mutex_lock(&lock);
        counter++;
        pthread_mutex_unlock(&lock);
    }
    return arg;
}

static void contended(int threads, int n)
{
    pthread_t t[8];
    per_thread = n;
    double t0 = now();
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, adder, NULL);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("bench_threads: mutex_ns=%.1f (lock + increment + unlock, %d threads x %d, total %ld)\n",
           (now() - t0) * 1e9 / ((double)threads * n), threads, n, counter);
}

int main(void)
{
    create_join(2000);
    ping_pong(20000);
    contended(4, 200000);
    return 0;
}
