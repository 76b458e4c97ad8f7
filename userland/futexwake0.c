/*
 * futexwake0: FUTEX_WAKE with a count of 0 (or below) wakes one waiter, as on Linux, whose
 * futex_wake checks the count only after a wake. Three threads wait on one word; the main
 * thread knows they all wait once FUTEX_CMP_REQUEUE (wake 0, move all) has moved three of
 * them to a second word - evidence, not a sleep - and then wakes them there with counts 0,
 * -1 and 5: one each time. Same output on Linux and in ringlab.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sigtest.h"

#define FUTEX_WAIT_PRIVATE        128    /* include/uapi/linux/futex.h */
#define FUTEX_WAKE_PRIVATE        129
#define FUTEX_CMP_REQUEUE_PRIVATE 132
#define NWAITERS 3
#define TRIES    1000000                 /* bounds the wait for the threads to queue */

static uint32_t word_a, word_b;

static long futex(uint32_t *uaddr, int op, long val, long val2, uint32_t *uaddr2, uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, val2, uaddr2, val3);
}

static void *waiter(void *arg)
{
    (void)arg;
    futex(&word_a, FUTEX_WAIT_PRIVATE, 0, 0, NULL, 0);   /* until woken: a spurious return ends too */
    return NULL;
}

int main(void)
{
    pthread_t t[NWAITERS];
    for (int i = 0; i < NWAITERS; i++)
        pthread_create(&t[i], NULL, waiter, NULL);
    long moved = 0;
    for (int i = 0; i < TRIES && moved < NWAITERS; i++) {
        long r = futex(&word_a, FUTEX_CMP_REQUEUE_PRIVATE, 0, INT_MAX, &word_b, 0);
        if (r > 0)
            moved += r;
        else
            sched_yield();
    }
    say("waiters moved to the second word: %ld\n", moved);
    TRY("FUTEX_WAKE count 0", futex(&word_b, FUTEX_WAKE_PRIVATE, 0, 0, NULL, 0));
    TRY("FUTEX_WAKE count -1", futex(&word_b, FUTEX_WAKE_PRIVATE, -1, 0, NULL, 0));
    TRY("FUTEX_WAKE count 5", futex(&word_b, FUTEX_WAKE_PRIVATE, 5, 0, NULL, 0));
    TRY("FUTEX_WAKE count 0, nobody waiting", futex(&word_b, FUTEX_WAKE_PRIVATE, 0, 0, NULL, 0));
    for (int i = 0; i < NWAITERS; i++)
        pthread_join(t[i], NULL);
    say("all %d threads joined\n", NWAITERS);
    return 0;
}
