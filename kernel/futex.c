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
 * own list entry, or on the clock tick when it has a timeout. The PI
 * operations are in futexpi.c; both share futex.h.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "futex.h"
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
#define ROBUST_LIST_LIMIT     2048       /* entries walked at exit (Linux's bound) */

struct futex_waiter *futex_waiters;   /* oldest first */

/*
 * The key of the 32-bit word at uaddr: -EINVAL unaligned, -EFAULT outside
 * user memory. A private key needs no page (Linux: a wake on an unmapped
 * private address wakes nobody); a shared one needs the page mapped.
 */
int futex_key(struct proc *p, uint64_t uaddr, bool private, struct futex_key *k)
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

bool futex_key_eq(const struct futex_key *a, const struct futex_key *b)
{
    return a->mm == b->mm && a->addr == b->addr && a->shared == b->shared;
}

void futex_unlink(struct futex_waiter *w)
{
    for (struct futex_waiter **pp = &futex_waiters; *pp; pp = &(*pp)->next) {
        if (*pp == w) {
            *pp = w->next;
            return;
        }
    }
}

void futex_wake_waiter(struct futex_waiter *w)
{
    proc_wake(w->p);
    wakeup(w);
}

void futex_enqueue(struct futex_waiter *w)
{
    struct futex_waiter **tail = &futex_waiters;
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
    for (struct futex_waiter **pp = &futex_waiters; *pp && woken < n;) {
        struct futex_waiter *w = *pp;
        if (futex_key_eq(&w->key, k) && (w->pi || w->requeue_pi))
            return -EINVAL;
        if (futex_key_eq(&w->key, k) && (w->bitset & bitset)) {
            *pp = w->next;
            w->woken = true;
            futex_wake_waiter(w);
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
    futex_enqueue(&w);
    for (;;) {
        if (w.woken)
            return 0;
        uint64_t now = realtime ? time_realtime_ns() : time_monotonic_ns();
        if (signal_pending(p) || (deadline_ns && now >= deadline_ns)) {
            futex_unlink(&w);
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
    for (struct futex_waiter *w = futex_waiters; w && moved < n_requeue; w = w->next) {
        if (futex_key_eq(&w->key, &k1) && (w->pi || w->requeue_pi))
            return -EINVAL;                  /* Linux futex_requeue: PI waiters move only by CMP_REQUEUE_PI */
        if (futex_key_eq(&w->key, &k1)) {
            w->key = k2;
            moved++;
        }
    }
    return done + moved;
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
static int64_t do_futex(struct trapframe *tf, bool ts32)
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
        int r = timespec_any_from_user(utime, &deadline, ts32);   /* saturates: a huge timeout waits */
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

int64_t sys_futex(struct trapframe *tf)
{
    return do_futex(tf, false);
}

/* i386 futex (240): the timeout an old_timespec32 (Linux kernel/futex/syscalls.c
   futex_time32); futex_time64 (422) is the x86-64 call itself. */
int64_t sys_futex32(struct trapframe *tf)
{
    return do_futex(tf, true);
}

/* ---- robust futexes ------------------------------------------------------ */

#define ROBUST_HEAD_SIZE 24    /* struct robust_list_head: next, futex_offset, list_op_pending */
#define ROBUST_HEAD_SIZE32 12  /* struct compat_robust_list_head: the same in 32-bit words */

/* A thread has a list of each ABI, walked at its exit (Linux: robust_list and
   compat_robust_list of a task, the i386 calls setting the second). */
static int64_t set_robust(struct trapframe *tf, bool c32)
{
    if (tf->rsi != (c32 ? ROBUST_HEAD_SIZE32 : ROBUST_HEAD_SIZE))
        return -EINVAL;
    *(c32 ? &myproc()->robust_list32 : &myproc()->robust_list) = tf->rdi;
    return 0;
}

int64_t sys_set_robust_list(struct trapframe *tf)
{
    return set_robust(tf, false);
}

/* i386 set_robust_list (311): a compat_robust_list_head of 12 bytes (Linux
   compat_sys_set_robust_list). */
int64_t sys_set_robust_list32(struct trapframe *tf)
{
    return set_robust(tf, true);
}

/*
 * get_robust_list(pid, &head, &len) as Linux's: any thread by id (0: the caller), under
 * ptrace's read permission (cred.c ptrace_may_access: -EPERM); the length first, then the head
 * (-EFAULT for either).
 */
static int64_t get_robust(struct trapframe *tf, bool c32)
{
    struct proc *me = myproc(), *p = me;
    int pid = (int)tf->rdi;
    if (pid && !(p = proc_find(pid)))
        return -ESRCH;
    if (p != me && ptrace_may_access(me, p))
        return -EPERM;
    uint64_t head = c32 ? p->robust_list32 : p->robust_list, len = c32 ? ROBUST_HEAD_SIZE32 : ROBUST_HEAD_SIZE;
    unsigned w = c32 ? 4 : 8;                /* compat_size_t, compat_uptr_t: the low halves */
    if (copyout(me->pml4, tf->rdx, &len, w))
        return -EFAULT;
    return copyout(me->pml4, tf->rsi, &head, w) ? -EFAULT : 0;
}

int64_t sys_get_robust_list(struct trapframe *tf)
{
    return get_robust(tf, false);
}

/* i386 get_robust_list (312): the compat list's head and length as 32-bit words. */
int64_t sys_get_robust_list32(struct trapframe *tf)
{
    return get_robust(tf, true);
}

/*
 * Linux handle_futex_death: a word still owned by the ending thread gets
 * OWNER_DIED and, unless it is a PI futex (pi_state_exit hands those on), one
 * waiter is woken. A plain pending word already 0 also wakes one: the thread
 * died between releasing it and waking a waiter. -1 for a word unaligned, unreadable
 * or (owned) unwritable: the walk stops there, as Linux's.
 */
static int futex_death(struct proc *p, uint64_t uaddr, bool pi, bool pending)
{
    uint32_t v;
    if (uaddr % sizeof v || copyin(p->pml4, &v, uaddr, sizeof v))
        return -1;
    if (pending && !pi && !v) {
        futex_wake(p, uaddr, false, 1, FUTEX_BITSET_ANY);
        return 0;
    }
    if ((v & FUTEX_TID_MASK) != (uint32_t)p->pid)
        return 0;
    uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
    if (copyout(p->pml4, uaddr, &nv, sizeof nv))
        return -1;
    if ((v & FUTEX_WAITERS) && !pi)
        futex_wake(p, uaddr, false, 1, FUTEX_BITSET_ANY);
    return 0;
}

/* `n` words of the list at `uaddr`: 64-bit, or (c32) 32-bit ones zero-extended. */
static int robust_read(struct proc *p, uint64_t uaddr, uint64_t *w, int n, bool c32)
{
    if (!c32)
        return copyin(p->pml4, w, uaddr, (uint64_t)n * 8);
    uint32_t v[3];
    if (copyin(p->pml4, v, uaddr, (uint64_t)n * 4))
        return -EFAULT;
    for (int i = 0; i < n; i++)
        w[i] = v[i];
    return 0;
}

/* The futex word of an entry: entry + futex_offset; an i386 list's in 32 bits (Linux
   futex_uaddr: compat_ptr(ptr_to_compat(entry) + futex_offset), a compat_long_t). */
static uint64_t robust_word(uint64_t entry, uint64_t offset, bool c32)
{
    return c32 ? (uint32_t)(entry + (uint64_t)(int64_t)(int32_t)offset) : entry + offset;
}

/*
 * Linux exit_robust_list (compat_exit_robust_list for an i386 list): walk the thread's list
 * of held robust mutexes (at most ROBUST_LIST_LIMIT entries; bit 0 of an entry marks a PI
 * futex) and the one being taken or released. As Linux's, an entry whose next pointer cannot
 * be read is still handled, and the walk ends there; a word futex_death cannot handle ends
 * it at once, the pending one too.
 */
static void robust_walk(struct proc *p, uint64_t head, bool c32)
{
    uint64_t h[3];
    if (!head || robust_read(p, head, h, 3, c32))
        return;
    uint64_t offset = h[1];
    uint64_t entry = h[0] & ~1UL, pending = h[2] & ~1UL;
    bool pi = h[0] & 1, pending_pi = h[2] & 1;
    for (int n = 0; entry != head && n < ROBUST_LIST_LIMIT; n++) {
        uint64_t next = 0;
        int rc = robust_read(p, entry, &next, 1, c32);
        if (entry != pending && futex_death(p, robust_word(entry, offset, c32), pi, false))
            return;
        if (rc)
            return;
        entry = next & ~1UL;
        pi = next & 1;
    }
    if (pending)
        futex_death(p, robust_word(pending, offset, c32), pending_pi, true);
}

void robust_list_exit(struct proc *p)
{
    robust_walk(p, p->robust_list, false);
    robust_walk(p, p->robust_list32, true);
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
    p->robust_list32 = 0;
}
