/*
 * What futex.c (wait, wake, requeue, robust lists) and futexpi.c (PI futexes)
 * share: a futex's key, its waiters (one list, oldest first, as Linux's hash
 * buckets keep equal-priority waiters) and the robust word's bits
 * (include/uapi/linux/futex.h).
 */
#pragma once
#include "types.h"

#define FUTEX_WAITERS         0x80000000u  /* robust or PI word: someone waits */
#define FUTEX_OWNER_DIED      0x40000000u  /* robust or PI word: the owner ended holding it */
#define FUTEX_TID_MASK        0x3fffffffu  /* robust or PI word: the owner's tid */

struct proc;

struct futex_key {
    const void *mm;            /* NULL for a MAP_SHARED page */
    uint64_t addr;             /* user address, or physical address for a MAP_SHARED page */
    bool shared;               /* asked without FUTEX_PRIVATE_FLAG */
};

struct pi_state;

struct futex_waiter {
    struct futex_waiter *next;
    struct proc *p;
    struct futex_key key;
    uint32_t bitset;
    bool woken;                /* woken; a WAIT_REQUEUE_PI waiter: the requeue took the lock for it */
    struct pi_state *pi;       /* a PI waiter: the state it waits to own (holds a reference) */
    bool requeue_pi;           /* FUTEX_WAIT_REQUEUE_PI, not yet requeued: only CMP_REQUEUE_PI moves it */
    struct futex_key rq_key;   /* ... and only to this key */
    bool granted;              /* the owner died holding the lock: this (top) waiter takes it over */
};

extern struct futex_waiter *futex_waiters;     /* every waiter of every futex, oldest first */

/* futex.c */
int futex_key(struct proc *p, uint64_t uaddr, bool private, struct futex_key *k);   /* -EINVAL, -EFAULT */
bool futex_key_eq(const struct futex_key *a, const struct futex_key *b);
void futex_enqueue(struct futex_waiter *w);          /* at the tail */
void futex_unlink(struct futex_waiter *w);
void futex_wake_waiter(struct futex_waiter *w);      /* makes its thread runnable: it looks again */

/* futexpi.c: the PI operations, with sys_futex's decoded arguments (deadline: absolute ns, 0 none) */
int futex_lock_pi(struct proc *p, uint64_t uaddr, bool private, bool realtime, uint64_t deadline, bool trylock);
int futex_unlock_pi(struct proc *p, uint64_t uaddr, bool private);
int futex_wait_requeue_pi(struct proc *p, uint64_t u1, uint32_t val, uint64_t u2, bool private, bool realtime,
                          uint64_t deadline);
int futex_cmp_requeue_pi(struct proc *p, uint64_t u1, uint64_t u2, bool private, int n_wake, int n_requeue,
                         uint32_t cmpval);
