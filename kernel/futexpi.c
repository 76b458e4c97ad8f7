/*
 * PI futexes (Linux kernel/futex/pi.c, requeue.c): FUTEX_LOCK_PI, LOCK_PI2,
 * TRYLOCK_PI, UNLOCK_PI, WAIT_REQUEUE_PI, CMP_REQUEUE_PI, and what an ending
 * owner leaves to its waiters.
 *
 * The word holds the owner's thread id, FUTEX_WAITERS while the kernel may
 * have waiters, FUTEX_OWNER_DIED once an owner ended holding it. The kernel is
 * one CPU and never preempted inside a call, so a read then a write of the word
 * is Linux's cmpxchg. ringlab's scheduler has no real-time priorities to lend,
 * so only the protocol is kept: the kernel knows the owner, waiters queue
 * oldest first, and an unlock hands the lock straight to the top waiter.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "futex.h"
#include "mmu.h"
#include "proc.h"
#include "thread.h"
#include "vm.h"

#define NPI_STATE NPROC              /* PI states: one per contended PI futex, so at most one per waiter */

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
    for (struct futex_waiter *w = futex_waiters; w; w = w->next)
        if (futex_key_eq(&w->key, k))
            return w;
    return NULL;
}

/* The oldest waiter blocked on ps (Linux rt_mutex_top_waiter). */
static struct futex_waiter *pi_top(const struct pi_state *ps)
{
    for (struct futex_waiter *w = futex_waiters; w; w = w->next)
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
    /*
     * Linux attach_to_pi_owner / handle_exit_race. There an owner found by id may be between
     * FUTEX_STATE_EXITING and FUTEX_STATE_DEAD on another CPU (-EBUSY: wait for it, retry),
     * and the word may change before it is read again (-EAGAIN: retry). Neither can happen
     * here: one CPU, no preemption in the kernel, and thread_exit runs from its robust walk
     * through pi_state_exit to the slot's end (P_DEAD, P_ZOMBIE) with no sleep or yield (its
     * one sleep, the PTRACE_EVENT_EXIT stop, comes before the walk, where Linux's state is
     * still FUTEX_STATE_OK too). So a thread that is alive has not yet handed on its PI
     * states and will (the state made here is cleared by its pi_state_exit), and one that is
     * not (ended, a zombie leader, reaped: no slot) never will: -ESRCH, as for
     * FUTEX_STATE_DEAD with the word unchanged (no robust list cleaned it). Thread ids are
     * not reused (proc.c next_pid; only an execve from a thread takes its leader's, as Linux's
     * de_thread), so the id cannot name a newer thread by accident; a word user space set to
     * a live thread's id is that thread's lock, as on Linux.
     * tests/test_futexpi.py (userland/futexrace) races owners' ends against lockers.
     */
    struct proc *o = proc_find((int)(uval & FUTEX_TID_MASK));
    if (!o || !proc_alive(o))
        return -ESRCH;
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
        futex_unlink(w);
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
int futex_lock_pi(struct proc *p, uint64_t uaddr, bool private, bool realtime, uint64_t deadline,
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
    futex_enqueue(&w);
    return pi_wait(p, &w, uaddr, realtime, deadline, -ERESTARTNOINTR);
}

/*
 * FUTEX_UNLOCK_PI (Linux futex_unlock_pi): only the owner named in the word
 * (-EPERM); with waiters the lock goes to the top one (the word names it, with
 * FUTEX_WAITERS), else the word becomes 0.
 */
int futex_unlock_pi(struct proc *p, uint64_t uaddr, bool private)
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
        futex_wake_waiter(next);
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
int futex_wait_requeue_pi(struct proc *p, uint64_t u1, uint32_t val, uint64_t u2, bool private,
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
    if (futex_key_eq(&w.key, &w.rq_key))
        return -EINVAL;
    futex_enqueue(&w);
    for (;;) {
        if (w.woken) {                       /* the requeue took u2 for us */
            pi_put(w.pi);
            return 0;
        }
        if (w.pi)                            /* requeued onto u2 */
            return pi_wait(p, &w, u2, realtime, deadline, -EAGAIN);
        uint64_t now = realtime ? time_realtime_ns() : time_monotonic_ns();
        if (deadline && now >= deadline) {
            futex_unlink(&w);
            return -ETIMEDOUT;
        }
        if (signal_pending(p)) {
            futex_unlink(&w);
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
int futex_cmp_requeue_pi(struct proc *p, uint64_t u1, uint64_t u2, bool private, int n_wake,
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
    if (futex_key_eq(&k1, &k2))
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
        if (!top->requeue_pi || !futex_key_eq(&top->rq_key, &k2))
            return -EINVAL;
        r = lock_pi_atomic(p, u2, &k2, top->p, n_requeue > 0, &ps);
        if (r < 0)
            return r;
        if (r == 1) {                        /* Linux requeue_pi_wake_futex: it returns owning u2 */
            futex_unlink(top);
            top->requeue_pi = false;
            top->woken = true;
            futex_wake_waiter(top);
            count++;
        }
    }
    r = 0;
    for (struct futex_waiter *w = futex_waiters, *next; w && count - n_wake < n_requeue; w = next) {
        next = w->next;
        if (!futex_key_eq(&w->key, &k1))
            continue;
        if (!w->requeue_pi || !futex_key_eq(&w->rq_key, &k2)) {
            r = -EINVAL;
            break;
        }
        futex_unlink(w);                    /* to the tail of u2's queue (Linux requeue_futex) */
        w->key = k2;
        w->requeue_pi = false;
        w->pi = pi_get(ps);
        futex_enqueue(w);
        futex_wake_waiter(w);                      /* it now waits for u2's owner */
        count++;
    }
    pi_put(ps);
    return r ? r : count;
}

/*
 * A thread ends or execs (Linux exit_pi_state_list): every PI state it owns
 * loses its owner and its top waiter takes the lock, marking it OWNER_DIED.
 * At exit nothing may sleep or yield between this and the slot's end: an
 * alive thread is taken for an owner that will still come here
 * (lock_pi_atomic), as Linux's FUTEX_STATE_OK.
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
            futex_wake_waiter(top);
        }
    }
}

