/*
 * futex(2) and the robust-futex list (Linux kernel/futex/: syscalls.c,
 * waitwake.c, requeue.c, core.c). A waiter is a thread asleep on a key:
 *
 *   FUTEX_PRIVATE_FLAG            (mm, address)           the process's own word
 *   shared, a MAP_SHARED page     (physical address)      the same word in every process
 *   shared, a private page        (mm, address, shared)   Linux's FUT_OFF_MMSHARED key
 *
 * so a wake matches exactly the waits Linux would match. Waiters are on one
 * list, oldest first (FUTEX_WAKE wakes in that order); a waiter sleeps on its
 * own list entry, or on the clock tick when it has a timeout.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "syscall.h"
#include "thread.h"
#include "vm.h"

/* futex operations (include/uapi/linux/futex.h) */
#define FUTEX_WAIT            0
#define FUTEX_WAKE            1
#define FUTEX_REQUEUE         3
#define FUTEX_CMP_REQUEUE     4
#define FUTEX_WAIT_BITSET     9
#define FUTEX_WAKE_BITSET     10
#define FUTEX_LOCK_PI         6
#define FUTEX_UNLOCK_PI       7
#define FUTEX_TRYLOCK_PI      8
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI  12
#define FUTEX_LOCK_PI2        13
#define FUTEX_PRIVATE_FLAG    128        /* the word is not shared with another process */
#define FUTEX_CLOCK_REALTIME  256        /* an absolute timeout on CLOCK_REALTIME */
#define FUTEX_CMD_MASK        (~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME))
#define FUTEX_WAITERS         0x80000000u  /* robust word: someone waits */
#define FUTEX_OWNER_DIED      0x40000000u  /* robust word: the owner ended holding it */
#define FUTEX_TID_MASK        0x3fffffffu  /* robust word: the owner's tid */
#define ROBUST_LIST_LIMIT     2048       /* entries walked at exit (Linux's bound) */
#define NPI_STATE             NPROC      /* PI states: one per contended PI futex, so at most one per waiter */

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

/*
 * A PI state (Linux struct futex_pi_state): the kernel's record of who owns a
 * contended PI futex, which its waiters block on. Lifetime (docs/lifetimes.md):
 * made by the first waiter that finds the futex owned (attach_to_pi_owner),
 * one reference per waiter queued on it (and one a CMP_REQUEUE_PI holds while
 * it works); the slot is free again when the last reference goes. `owner` is
 * no reference: the owner's thread_exit (and execve) clears it (pi_state_exit)
 * before the thread's slot can go, so it never points at an ended thread.
 */
struct pi_state {
    int refs;                  /* 0: a free slot */
    struct futex_key key;
    struct proc *owner;        /* the thread holding the lock; NULL once it ended holding it */
};

static struct pi_state pi_states[NPI_STATE];

static struct futex_waiter *waiters;

/*
 * The key of the 32-bit word at uaddr: -EINVAL unaligned, -EFAULT outside
 * user memory. A private key needs no page (Linux: a wake on an unmapped
 * private address wakes nobody); a shared one needs the page mapped.
 */
static int futex_key(struct proc *p, uint64_t uaddr, bool private, struct futex_key *k)
{
    if (uaddr % sizeof(uint32_t))
        return -EINVAL;
    if (!user_range_ok(uaddr, sizeof(uint32_t)))
        return -EFAULT;
    *k = (struct futex_key){ .mm = p->mm, .addr = uaddr, .shared = !private };
    if (private)
        return 0;
    uint64_t *pte = walk(p->pml4, uaddr, false);
    if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U))
        return -EFAULT;
    if (*pte & PTE_SHARED)
        *k = (struct futex_key){ .mm = NULL, .addr = (*pte & PTE_ADDR_MASK) + uaddr % PAGE_SIZE, .shared = true };
    return 0;
}

static bool key_eq(const struct futex_key *a, const struct futex_key *b)
{
    return a->mm == b->mm && a->addr == b->addr && a->shared == b->shared;
}

static void unlink_waiter(struct futex_waiter *w)
{
    for (struct futex_waiter **pp = &waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            return;
        }
    }
}

static void wake_waiter(struct futex_waiter *w)
{
    proc_wake(w->p);
    wakeup(w);
}

static void enqueue(struct futex_waiter *w)
{
    struct futex_waiter **tail = &waiters;
    while (*tail)
        tail = &(*tail)->next;
    w->next = NULL;
    *tail = w;
}

/*
 * Wake up to n waiters on key k whose bitset meets `bitset`; returns how many,
 * or -EINVAL on meeting a PI waiter (Linux futex_wake: a word with PI waiters
 * is not a plain futex; the ones woken before stay woken).
 */
static int wake_key(const struct futex_key *k, int n, uint32_t bitset)
{
    int woken = 0;
    for (struct futex_waiter **pp = &waiters; *pp && woken < n;) {
        struct futex_waiter *w = *pp;
        if (key_eq(&w->key, k) && (w->pi || w->requeue_pi))
            return -EINVAL;
        if (key_eq(&w->key, k) && (w->bitset & bitset)) {
            *pp = w->next;
            w->woken = true;
            wake_waiter(w);
            woken++;
        } else {
            pp = &w->next;
        }
    }
    return woken;
}

/*
 * FUTEX_WAKE: Linux's loop (kernel/futex/waitwake.c futex_wake) checks the
 * count after each wake (`if (++ret >= nr_wake) break`), so a count of 0 or
 * below still wakes one waiter.
 */
int futex_wake(struct proc *p, uint64_t uaddr, bool private, int n, uint32_t bitset)
{
    struct futex_key k;
    if (!bitset)
        return -EINVAL;
    if (n < 1)
        n = 1;
    int r = futex_key(p, uaddr, private, &k);
    return r ? r : wake_key(&k, n, bitset);
}

/*
 * Sleep while *uaddr == val, until a wake with a matching bitset (0), the
 * deadline (-ETIMEDOUT; 0: none), or a signal (-ERESTARTSYS: -EINTR, or
 * restarted under SA_RESTART; with a deadline always -EINTR). The
 * value is read after the waiter is queued, with no yield in between (one
 * CPU): a wake cannot slip between the check and the sleep.
 */
static int futex_wait(struct proc *p, uint64_t uaddr, bool private, uint32_t val, uint32_t bitset,
                      bool realtime, uint64_t deadline_ns)
{
    struct futex_waiter w = { .p = p, .bitset = bitset };
    uint32_t cur;
    if (!bitset)
        return -EINVAL;
    int r = futex_key(p, uaddr, private, &w.key);
    if (!r)
        r = copyin(p->pml4, &cur, uaddr, sizeof cur);
    if (r)
        return r;
    if (cur != val)
        return -EAGAIN;
    enqueue(&w);
    for (;;) {
        if (w.woken)
            return 0;
        uint64_t now = realtime ? time_realtime_ns() : time_monotonic_ns();
        if (signal_pending(p) || (deadline_ns && now >= deadline_ns)) {
            unlink_waiter(&w);
            if (!signal_pending(p))
                return -ETIMEDOUT;
            return deadline_ns ? -EINTR : -ERESTARTSYS;   /* Linux: a timed wait is not restarted here */
        }
        sleep(deadline_ns ? (void *)&ticks : (void *)&w);
    }
}

/* Move up to n_requeue waiters from k1 to k2 after waking n_wake; returns woken + moved. */
static int futex_requeue(struct proc *p, uint64_t u1, uint64_t u2, bool private, int n_wake, int n_requeue,
                         const uint32_t *cmpval)
{
    struct futex_key k1, k2;
    uint32_t cur;
    if (n_wake < 0 || n_requeue < 0)
        return -EINVAL;
    int r = futex_key(p, u1, private, &k1);
    if (!r)
        r = futex_key(p, u2, private, &k2);
    if (!r && cmpval && !(r = copyin(p->pml4, &cur, u1, sizeof cur)) && cur != *cmpval)
        r = -EAGAIN;
    if (r)
        return r;
    int done = wake_key(&k1, n_wake, FUTEX_BITSET_ANY), moved = 0;
    if (done < 0)
        return done;
    for (struct futex_waiter *w = waiters; w && moved < n_requeue; w = w->next) {
        if (key_eq(&w->key, &k1) && (w->pi || w->requeue_pi))
            return -EINVAL;                  /* Linux futex_requeue: PI waiters move only by CMP_REQUEUE_PI */
        if (key_eq(&w->key, &k1)) {
            w->key = k2;
            moved++;
        }
    }
    return done + moved;
}

/* ---- PI futexes (Linux kernel/futex/pi.c, requeue.c) ---------------------- */
/*
 * The word holds the owner's thread id, FUTEX_WAITERS while the kernel may
 * have waiters, FUTEX_OWNER_DIED once an owner ended holding it. The kernel is
 * one CPU and never preempted inside a call, so a read then a write of the word
 * is Linux's cmpxchg. ringlab's scheduler has no real-time priorities to lend,
 * so only the protocol is kept: the kernel knows the owner, waiters queue
 * oldest first, and an unlock hands the lock straight to the top waiter.
 */

static int get_word(struct proc *p, uint64_t uaddr, uint32_t *v)
{
    return copyin(p->pml4, v, uaddr, sizeof *v) ? -EFAULT : 0;
}

static int put_word(struct proc *p, uint64_t uaddr, uint32_t v)
{
    return copyout(p->pml4, uaddr, &v, sizeof v) ? -EFAULT : 0;
}

/*
 * The key of a word the kernel will write (Linux get_futex_key with FUTEX_WRITE): a
 * shared key needs the page writable now (-EFAULT); a private key is checked when
 * the word is written.
 */
static int pi_key(struct proc *p, uint64_t uaddr, bool private, struct futex_key *k)
{
    int r = futex_key(p, uaddr, private, k);
    if (r || private)
        return r;
    uint64_t *pte = walk(p->pml4, uaddr, false);
    return pte && (*pte & PTE_W) ? 0 : -EFAULT;
}

static struct pi_state *pi_get(struct pi_state *ps)
{
    ps->refs++;
    return ps;
}

static void pi_put(struct pi_state *ps)
{
    if (ps && --ps->refs == 0)
        ps->owner = NULL;                    /* the slot is free */
}

/* A new state for key k owned by o, with one reference for the caller; -ENOMEM as Linux's failed allocation. */
static int pi_new(const struct futex_key *k, struct proc *o, struct pi_state **out)
{
    for (int i = 0; i < NPI_STATE; i++) {
        if (!pi_states[i].refs) {
            pi_states[i] = (struct pi_state){ .refs = 1, .key = *k, .owner = o };
            *out = &pi_states[i];
            return 0;
        }
    }
    return -ENOMEM;
}

/* The oldest waiter on key k (Linux futex_top_waiter: one priority here, so FIFO). */
static struct futex_waiter *top_waiter(const struct futex_key *k)
{
    for (struct futex_waiter *w = waiters; w; w = w->next)
        if (key_eq(&w->key, k))
            return w;
    return NULL;
}

/* The oldest waiter blocked on ps (Linux rt_mutex_top_waiter). */
static struct futex_waiter *pi_top(const struct pi_state *ps)
{
    for (struct futex_waiter *w = waiters; w; w = w->next)
        if (w->pi == ps)
            return w;
    return NULL;
}

/*
 * Linux attach_to_pi_state: the word must agree with the existing state
 * (else -EINVAL: user space wrote over a PI word). A reference for the caller.
 */
static int attach_to_pi_state(uint32_t uval, struct pi_state *ps, struct pi_state **out)
{
    uint32_t pid = uval & FUTEX_TID_MASK;
    if (!ps)
        return -EINVAL;                      /* a plain waiter on a PI word */
    if (uval & FUTEX_OWNER_DIED) {
        if (!ps->owner && pid)
            return -EINVAL;
        if (!ps->owner || !pid)
            goto attach;                     /* the owner died; its successor has not yet run */
    } else if (!ps->owner) {
        return -EINVAL;
    }
    if (pid != (uint32_t)ps->owner->pid)
        return -EINVAL;
attach:
    *out = pi_get(ps);
    return 0;
}

/*
 * Linux futex_lock_pi_atomic: take the word at uaddr (in p's memory) for task
 * `t` (1), or queue behind its owner (0, *ps holds a reference), or fail:
 * -EDEADLK (t owns it), -ESRCH (the id in the word is no live thread: the
 * FUTEX_WAITERS bit stays set, as Linux sets it first), -EPERM (a private
 * word whose owner is in another process), -EINVAL, -EFAULT.
 * set_waiters: a requeue will queue more waiters, so a lock taken for t gets
 * FUTEX_WAITERS and a state.
 */
static int lock_pi_atomic(struct proc *p, uint64_t uaddr, const struct futex_key *k, struct proc *t,
                          bool set_waiters, struct pi_state **ps)
{
    uint32_t uval, nv;
    int r = get_word(p, uaddr, &uval);
    if (r)
        return r;
    if ((uval & FUTEX_TID_MASK) == (uint32_t)t->pid)
        return -EDEADLK;
    struct futex_waiter *top = top_waiter(k);
    if (top)
        return attach_to_pi_state(uval, top->pi, ps);
    if (!(uval & FUTEX_TID_MASK)) {
        /* Free (the waiters or owner-died bit sent user space here): take it, keep OWNER_DIED. */
        nv = (uval & FUTEX_OWNER_DIED) | (uint32_t)t->pid | (set_waiters ? FUTEX_WAITERS : 0);
        if ((r = put_word(p, uaddr, nv)))
            return r;
        if (set_waiters && (r = pi_new(k, t, ps)))
            return r;
        return 1;
    }
    nv = uval | FUTEX_WAITERS;
    if ((r = put_word(p, uaddr, nv)))
        return r;
    struct proc *o = proc_find((int)(uval & FUTEX_TID_MASK));
    if (!o || !proc_alive(o))
        return -ESRCH;                       /* Linux handle_exit_race: no robust list cleaned it */
    if (!k->shared && o->mm != p->mm)
        return -EPERM;                       /* a private word owned in another process (measured: 6.18) */
    return pi_new(k, o, ps);
}

/*
 * The owner died and this waiter was given the lock (Linux fixup_pi_state_owner):
 * it writes its own id into the word, keeping OWNER_DIED, which user space
 * turns into EOWNERDEAD.
 */
static int pi_take_over(struct proc *p, struct futex_waiter *w, uint64_t uaddr)
{
    uint32_t uval, nv = (uint32_t)p->pid | FUTEX_WAITERS;
    if (!w->pi->owner)
        nv |= FUTEX_OWNER_DIED;
    w->pi->owner = p;
    int r = get_word(p, uaddr, &uval);
    if (!r)
        r = put_word(p, uaddr, (uval & FUTEX_OWNER_DIED) | nv);
    return r;
}

/*
 * Block on w->pi until p owns it: 0 (also when it came after the deadline or
 * a signal: Linux rt_mutex_cleanup_proxy_lock keeps a lock that arrived),
 * -ETIMEDOUT, or `on_signal`. The state is held by reference across each
 * sleep; its owner is re-read after every one.
 */
static int pi_wait(struct proc *p, struct futex_waiter *w, uint64_t uaddr, bool realtime, uint64_t deadline,
                   int on_signal)
{
    for (;;) {
        int r = 0;
        struct pi_state *ps = w->pi;
        if (ps->owner == p || w->granted) {
            if (w->granted && ps->owner != p)
                r = pi_take_over(p, w, uaddr);
        } else if (deadline && (realtime ? time_realtime_ns() : time_monotonic_ns()) >= deadline) {
            r = -ETIMEDOUT;
        } else if (signal_pending(p)) {
            r = on_signal;
        } else {
            sleep(deadline ? (void *)&ticks : (void *)w);
            continue;
        }
        unlink_waiter(w);
        w->pi = NULL;
        pi_put(ps);
        return r;
    }
}

/*
 * FUTEX_LOCK_PI / LOCK_PI2 / TRYLOCK_PI (Linux futex_lock_pi). A signal
 * restarts the call (-ERESTARTNOINTR: Linux never returns EINTR here); the
 * deadline is absolute.
 */
static int futex_lock_pi(struct proc *p, uint64_t uaddr, bool private, bool realtime, uint64_t deadline,
                         bool trylock)
{
    struct futex_waiter w = { .p = p, .bitset = FUTEX_BITSET_ANY };
    struct pi_state *ps = NULL;
    int r = pi_key(p, uaddr, private, &w.key);
    if (r)
        return r;
    r = lock_pi_atomic(p, uaddr, &w.key, p, false, &ps);
    if (r)
        return r == 1 ? 0 : r;
    if (trylock) {
        pi_put(ps);                          /* owned, or handed to a waiter: Linux rt_mutex_futex_trylock fails */
        return -EAGAIN;
    }
    w.pi = ps;
    enqueue(&w);
    return pi_wait(p, &w, uaddr, realtime, deadline, -ERESTARTNOINTR);
}

/*
 * FUTEX_UNLOCK_PI (Linux futex_unlock_pi): only the owner named in the word
 * (-EPERM); with waiters the lock goes to the top one (the word names it, with
 * FUTEX_WAITERS), else the word becomes 0.
 */
static int futex_unlock_pi(struct proc *p, uint64_t uaddr, bool private)
{
    struct futex_key k;
    uint32_t uval;
    if (!user_range_ok(uaddr, sizeof uval) || get_word(p, uaddr, &uval))
        return -EFAULT;
    if ((uval & FUTEX_TID_MASK) != (uint32_t)p->pid)
        return -EPERM;
    int r = pi_key(p, uaddr, private, &k);
    if (r)
        return r;
    struct futex_waiter *top = top_waiter(&k);
    if (top) {
        struct pi_state *ps = top->pi;
        if (!ps || ps->owner != p)
            return -EINVAL;                  /* user space wrote over the word */
        struct futex_waiter *next = pi_top(ps);
        if ((r = put_word(p, uaddr, FUTEX_WAITERS | (uint32_t)next->p->pid)))
            return r;
        ps->owner = next->p;
        wake_waiter(next);
        return 0;
    }
    return put_word(p, uaddr, 0);
}

/*
 * FUTEX_WAIT_REQUEUE_PI (Linux futex_wait_requeue_pi): wait on the plain word
 * u1 (as FUTEX_WAIT) until CMP_REQUEUE_PI either takes the PI word u2 for us
 * or moves us onto it, then wait for its lock. Before the requeue a signal
 * restarts the call; after it -EAGAIN (Linux: a restart would see u1 changed).
 */
static int futex_wait_requeue_pi(struct proc *p, uint64_t u1, uint32_t val, uint64_t u2, bool private,
                                 bool realtime, uint64_t deadline)
{
    struct futex_waiter w = { .p = p, .bitset = FUTEX_BITSET_ANY, .requeue_pi = true };
    uint32_t cur;
    if (u1 == u2)
        return -EINVAL;
    int r = pi_key(p, u2, private, &w.rq_key);
    if (!r)
        r = futex_key(p, u1, private, &w.key);
    if (!r)
        r = get_word(p, u1, &cur);
    if (r)
        return r;
    if (cur != val)
        return -EAGAIN;
    if (key_eq(&w.key, &w.rq_key))
        return -EINVAL;
    enqueue(&w);
    for (;;) {
        if (w.woken) {                       /* the requeue took u2 for us */
            pi_put(w.pi);
            return 0;
        }
        if (w.pi)                            /* requeued onto u2 */
            return pi_wait(p, &w, u2, realtime, deadline, -EAGAIN);
        uint64_t now = realtime ? time_realtime_ns() : time_monotonic_ns();
        if (deadline && now >= deadline) {
            unlink_waiter(&w);
            return -ETIMEDOUT;
        }
        if (signal_pending(p)) {
            unlink_waiter(&w);
            return -ERESTARTNOINTR;
        }
        sleep(deadline ? (void *)&ticks : (void *)&w);
    }
}

/*
 * FUTEX_CMP_REQUEUE_PI (Linux futex_requeue with requeue_pi): if *u1 ==
 * cmpval, try to take the PI word u2 for u1's top waiter (it returns owning
 * it), then move up to n_requeue waiters (one more if the lock was not taken)
 * onto u2's state. Only WAIT_REQUEUE_PI waiters that named u2 may be moved
 * (-EINVAL); n_wake must be 1. Returns how many were woken or moved.
 */
static int futex_cmp_requeue_pi(struct proc *p, uint64_t u1, uint64_t u2, bool private, int n_wake,
                                int n_requeue, uint32_t cmpval)
{
    struct futex_key k1, k2;
    struct pi_state *ps = NULL;
    uint32_t cur;
    if (n_wake < 0 || n_requeue < 0 || u1 == u2 || n_wake != 1)
        return -EINVAL;
    int r = futex_key(p, u1, private, &k1);
    if (!r)
        r = pi_key(p, u2, private, &k2);
    if (r)
        return r;
    if (key_eq(&k1, &k2))
        return -EINVAL;
    if ((r = get_word(p, u1, &cur)))
        return r;
    if (cur != cmpval)
        return -EAGAIN;
    if ((r = get_word(p, u2, &cur)))
        return r;
    int count = 0;
    struct futex_waiter *top = top_waiter(&k1);
    if (top) {
        if (!top->requeue_pi || !key_eq(&top->rq_key, &k2))
            return -EINVAL;
        r = lock_pi_atomic(p, u2, &k2, top->p, n_requeue > 0, &ps);
        if (r < 0)
            return r;
        if (r == 1) {                        /* Linux requeue_pi_wake_futex: it returns owning u2 */
            unlink_waiter(top);
            top->requeue_pi = false;
            top->woken = true;
            wake_waiter(top);
            count++;
        }
    }
    r = 0;
    for (struct futex_waiter *w = waiters, *next; w && count - n_wake < n_requeue; w = next) {
        next = w->next;
        if (!key_eq(&w->key, &k1))
            continue;
        if (!w->requeue_pi || !key_eq(&w->rq_key, &k2)) {
            r = -EINVAL;
            break;
        }
        unlink_waiter(w);                    /* to the tail of u2's queue (Linux requeue_futex) */
        w->key = k2;
        w->requeue_pi = false;
        w->pi = pi_get(ps);
        enqueue(w);
        wake_waiter(w);                      /* it now waits for u2's owner */
        count++;
    }
    pi_put(ps);
    return r ? r : count;
}

/*
 * A thread ends or execs (Linux exit_pi_state_list): every PI state it owns
 * loses its owner and its top waiter takes the lock, marking it OWNER_DIED.
 */
void pi_state_exit(struct proc *p)
{
    for (int i = 0; i < NPI_STATE; i++) {
        struct pi_state *ps = &pi_states[i];
        if (!ps->refs || ps->owner != p)
            continue;
        ps->owner = NULL;
        struct futex_waiter *top = pi_top(ps);
        if (top) {
            top->granted = true;
            wake_waiter(top);
        }
    }
}

/*
 * futex(uaddr, op, val, timeout | val2, uaddr2, val3), Linux's checks in
 * Linux's order: the timeout first (-EFAULT, -EINVAL), then the clock flag
 * (-ENOSYS but for FUTEX_WAIT_BITSET), then the operation. FUTEX_WAIT's timeout is
 * relative; FUTEX_WAIT_BITSET's absolute on CLOCK_MONOTONIC, or
 * CLOCK_REALTIME with FUTEX_CLOCK_REALTIME; LOCK_PI's absolute on
 * CLOCK_REALTIME, LOCK_PI2's and WAIT_REQUEUE_PI's as WAIT_BITSET's. WAKE_OP
 * is not supported: -ENOSYS, as for an unknown operation.
 */
int64_t sys_futex(struct trapframe *tf)
{
    struct proc *p = myproc();
    uint64_t uaddr = tf->rdi, utime = tf->r10, uaddr2 = tf->r8;
    int op = (int)tf->rsi, cmd = op & FUTEX_CMD_MASK;
    uint32_t val = (uint32_t)tf->rdx, val3 = (uint32_t)tf->r9;
    bool private = op & FUTEX_PRIVATE_FLAG;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    uint64_t deadline = 0;

    bool timed = cmd == FUTEX_WAIT || cmd == FUTEX_WAIT_BITSET || cmd == FUTEX_LOCK_PI || cmd == FUTEX_LOCK_PI2 ||
                 cmd == FUTEX_WAIT_REQUEUE_PI;   /* Linux futex_cmd_has_timeout */
    if (cmd == FUTEX_LOCK_PI)
        realtime = true;                     /* Linux do_futex: LOCK_PI's deadline is on CLOCK_REALTIME */
    if (utime && timed) {
        int r = timespec_from_user(utime, &deadline);   /* saturates: a huge timeout waits */
        if (r)
            return r;
        if (cmd == FUTEX_WAIT)
            deadline = time_add_ns(time_monotonic_ns(), deadline);
        if (!deadline)
            deadline = 1;                    /* an absolute 0: already past */
    }
    if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
        cmd != FUTEX_LOCK_PI2)
        return -ENOSYS;                      /* Linux 6: FUTEX_WAIT too (measured on the host) */
    switch (cmd) {
    case FUTEX_WAIT:
        return futex_wait(p, uaddr, private, val, FUTEX_BITSET_ANY, realtime, deadline);
    case FUTEX_WAIT_BITSET:
        return futex_wait(p, uaddr, private, val, val3, realtime, deadline);
    case FUTEX_WAKE:
        return futex_wake(p, uaddr, private, (int)val, FUTEX_BITSET_ANY);
    case FUTEX_WAKE_BITSET:
        return futex_wake(p, uaddr, private, (int)val, val3);
    case FUTEX_REQUEUE:
        return futex_requeue(p, uaddr, uaddr2, private, (int)val, (int)utime, NULL);
    case FUTEX_CMP_REQUEUE:
        return futex_requeue(p, uaddr, uaddr2, private, (int)val, (int)utime, &val3);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        return futex_lock_pi(p, uaddr, private, realtime, deadline, false);
    case FUTEX_TRYLOCK_PI:
        return futex_lock_pi(p, uaddr, private, false, 0, true);
    case FUTEX_UNLOCK_PI:
        return futex_unlock_pi(p, uaddr, private);
    case FUTEX_WAIT_REQUEUE_PI:
        return futex_wait_requeue_pi(p, uaddr, val, uaddr2, private, realtime, deadline);
    case FUTEX_CMP_REQUEUE_PI:
        return futex_cmp_requeue_pi(p, uaddr, uaddr2, private, (int)val, (int)utime, val3);
    default:
        return -ENOSYS;
    }
}

/* ---- robust futexes ------------------------------------------------------ */

#define ROBUST_HEAD_SIZE 24    /* struct robust_list_head: next, futex_offset, list_op_pending */

int64_t sys_set_robust_list(struct trapframe *tf)
{
    if (tf->rsi != ROBUST_HEAD_SIZE)
        return -EINVAL;
    myproc()->robust_list = tf->rdi;
    return 0;
}

/*
 * get_robust_list(pid, &head, &len) as Linux's: any thread by id (0: the caller), under
 * ptrace's read permission (cred.c ptrace_may_access: -EPERM); the length first, then the head
 * (-EFAULT for either).
 */
int64_t sys_get_robust_list(struct trapframe *tf)
{
    struct proc *me = myproc(), *p = me;
    int pid = (int)tf->rdi;
    if (pid && !(p = proc_find(pid)))
        return -ESRCH;
    if (p != me && ptrace_may_access(me, p))
        return -EPERM;
    uint64_t head = p->robust_list, len = ROBUST_HEAD_SIZE;
    if (copyout(me->pml4, tf->rdx, &len, sizeof len))
        return -EFAULT;
    return copyout(me->pml4, tf->rsi, &head, sizeof head) ? -EFAULT : 0;
}

/*
 * Linux handle_futex_death: a word still owned by the ending thread gets
 * OWNER_DIED and, unless it is a PI futex (pi_state_exit hands those on), one
 * waiter is woken. A plain pending word already 0 also wakes one: the thread
 * died between releasing it and waking a waiter.
 */
static void futex_death(struct proc *p, uint64_t uaddr, bool pi, bool pending)
{
    uint32_t v;
    if (uaddr % sizeof v || copyin(p->pml4, &v, uaddr, sizeof v))
        return;
    if (pending && !pi && !v) {
        futex_wake(p, uaddr, false, 1, FUTEX_BITSET_ANY);
        return;
    }
    if ((v & FUTEX_TID_MASK) != (uint32_t)p->pid)
        return;
    uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (copyout(p->pml4, uaddr, &nv, sizeof nv) == 0 && (v & FUTEX_WAITERS) && !pi)
        futex_wake(p, uaddr, false, 1, FUTEX_BITSET_ANY);
}

/*
 * Linux exit_robust_list: walk the thread's list of held robust mutexes
 * (at most ROBUST_LIST_LIMIT entries; bit 0 of an entry marks a PI futex)
 * and the one being taken or released.
 */
void robust_list_exit(struct proc *p)
{
    uint64_t head = p->robust_list, h[3];
    if (!head || copyin(p->pml4, h, head, sizeof h))
        return;
    int64_t offset = (int64_t)h[1];
    uint64_t entry = h[0] & ~1UL, pending = h[2] & ~1UL;
    bool pi = h[0] & 1, pending_pi = h[2] & 1;
    for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
        uint64_t next;
        if (copyin(p->pml4, &next, entry, sizeof next))
            return;
        if (entry != pending)
            futex_death(p, entry + (uint64_t)offset, pi, false);
        entry = next & ~1UL;
        pi = next & 1;
    }
    if (pending)
        futex_death(p, pending + (uint64_t)offset, pending_pi, true);
}

/*
 * execve (Linux futex_exec_release): the old image's robust mutexes and PI
 * locks are released as at exit, and the new image starts with no list.
 */
void futex_exec_release(struct proc *p)
{
    robust_list_exit(p);
    pi_state_exit(p);
    p->robust_list = 0;
}
