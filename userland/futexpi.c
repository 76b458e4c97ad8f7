/* PI futexes and robust mutexes as Linux's kernel/futex/: FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI,
 * UNLOCK_PI, WAIT_REQUEUE_PI and CMP_REQUEUE_PI called directly (ownership from the thread id in
 * the word, FUTEX_WAITERS, EDEADLK, ESRCH, EPERM, EINVAL, EFAULT, absolute timeouts on both
 * clocks, a signal while blocked, the lock handed to the top waiter), then the C library's
 * robust and PTHREAD_PRIO_INHERIT mutexes: contended counters, an owner that ends holding one
 * (EOWNERDEAD to a blocked waiter and to a later locker) and a condition variable over a PI
 * mutex. Built for musl (futexpi) and glibc (futexpi-glibc). Thread ids differ between
 * systems, so words are printed relative to them ("tid|WAITERS"). No sleep orders anything:
 * a waiter is known to be queued when the kernel has set FUTEX_WAITERS in the word, or when
 * FUTEX_WAKE refuses its word (-EINVAL: a requeue-PI waiter is queued on it). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* include/uapi/linux/futex.h (musl has no linux/ headers) */
#define FUTEX_WAKE 1
#define FUTEX_CMP_REQUEUE 4
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_WAIT_REQUEUE_PI 11
#define FUTEX_CMP_REQUEUE_PI 12
#define FUTEX_LOCK_PI2 13
#define FUTEX_PRIVATE_FLAG 128
#define FUTEX_CLOCK_REALTIME 256
#define WAITERS 0x80000000u
#define DIED 0x40000000u

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EAGAIN: return "EAGAIN";
    case EDEADLK: return "EDEADLK";
    case ESRCH: return "ESRCH";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EINTR: return "EINTR";
    case EOWNERDEAD: return "EOWNERDEAD";
    case ENOTRECOVERABLE: return "ENOTRECOVERABLE";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static const char *en(int r)   /* a pthread return value */
{
    errno = r;
    return e(r ? -1 : 0);
}

static const char *ne(long r)   /* a result kept as -errno (errno is per thread) */
{
    return r < 0 ? en((int)-r) : "ok";
}

static long fx(volatile uint32_t *u, int op, uint32_t val, const struct timespec *ts, volatile uint32_t *u2,
               uint32_t val3)
{
    return syscall(SYS_futex, u, op, val, ts, u2, val3);
}

static pid_t tid(void) { return (pid_t)syscall(SYS_gettid); }

/* The word as the test can print it: relative to the thread ids involved. */
static const char *word(uint32_t w, pid_t a, const char *an, pid_t b, const char *bn)
{
    static char bufs[4][64];
    static int n;
    char *buf = bufs[n++ % 4];              /* several in one printf */
    uint32_t id = w & 0x3fffffff;
    const char *who = id == 0 ? "0" : id == (uint32_t)a ? an : id == (uint32_t)b ? bn : "other";
    snprintf(buf, sizeof bufs[0], "%s%s%s", who, w & WAITERS ? "|WAITERS" : "", w & DIED ? "|DIED" : "");
    return buf;
}

static struct timespec at(clockid_t c, long ms)   /* now + ms on clock c (ms may be negative) */
{
    struct timespec t;
    clock_gettime(c, &t);
    long long ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec + ms * 1000000LL;
    t.tv_sec = ns / 1000000000LL;
    t.tv_nsec = ns % 1000000000LL;
    return t;
}

static void wait_bit(volatile uint32_t *u, uint32_t bit)
{
    while (!(*u & bit))
        sched_yield();
}

/* ---- raw calls, one thread -------------------------------------------------- */

static volatile uint32_t m1 __attribute__((aligned(8)));

static void single(void)
{
    pid_t me = tid();
    long r;
    m1 = 0;
    r = fx(&m1, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0);
    printf("trylock free: %s word %s\n", e(r), word(m1, me, "me", 0, ""));
    r = fx(&m1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
    printf("lock own: %s\n", e(r));
    r = fx(&m1, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0);
    printf("trylock own: %s\n", e(r));
    r = fx(&m1, FUTEX_LOCK_PI2 | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    printf("lock_pi2 own: %s\n", e(r));
    r = fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("unlock: %s word %s\n", e(r), word(m1, me, "me", 0, ""));
    r = fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("unlock free: %s\n", e(r));
    m1 = 0x3ffffffe;
    r = fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("unlock other's: %s\n", e(r));
    r = fx(&m1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
    printf("lock no-such-owner: %s word %s\n", e(r), m1 == (0x3ffffffe | WAITERS) ? "owner|WAITERS" : "changed");
    m1 = 0x3ffffffe;
    r = fx(&m1, FUTEX_TRYLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0);
    printf("trylock no-such-owner: %s\n", e(r));
    m1 = DIED;
    r = fx(&m1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
    printf("lock owner-died: %s word %s\n", e(r), word(m1, me, "me", 0, ""));
    r = fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("unlock owner-died: %s word %s\n", e(r), word(m1, me, "me", 0, ""));
    m1 = WAITERS;
    r = fx(&m1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
    printf("lock waiters-bit: %s word %s\n", e(r), word(m1, me, "me", 0, ""));
    m1 = 0;

    /* bad addresses, bad timeouts, clocks */
    struct timespec bad = { 0, 1000000000 }, neg = { -1, 0 };
    printf("lock NULL: %s\n", e(fx(NULL, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
    printf("lock unaligned: %s\n", e(fx((uint32_t *)((char *)&m1 + 1), FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
    printf("lock kernel: %s\n", e(fx((uint32_t *)0xffffffff81000000UL, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
    printf("unlock NULL: %s\n", e(fx(NULL, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
    printf("trylock NULL: %s\n", e(fx(NULL, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
    printf("lock bad-nsec: %s\n", e(fx(&m1, FUTEX_LOCK_PI, 0, &bad, NULL, 0)));
    printf("lock neg-sec: %s\n", e(fx(&m1, FUTEX_LOCK_PI, 0, &neg, NULL, 0)));
    printf("lock timeout-fault: %s\n", e(fx(&m1, FUTEX_LOCK_PI, 0, (struct timespec *)8, NULL, 0)));
    printf("lock clock_realtime flag: %s\n", e(fx(&m1, FUTEX_LOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
    printf("trylock clock_realtime flag: %s\n",
           e(fx(&m1, FUTEX_TRYLOCK_PI | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0)));
    r = fx(&m1, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, 0, NULL, NULL, 0);
    printf("lock_pi2 clock_realtime flag: %s word %s\n", e(r), word(m1, me, "me", 0, ""));
    printf("unlock: %s\n", e(fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
    uint32_t *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("lock read-only: %s\n", e(fx(ro, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
    printf("unlock read-only: %s\n", e(fx(ro, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
    munmap(ro, 4096);
    /* a word naming us on a read-only page: a shared key needs a writable page first */
    ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *ro = (uint32_t)me;
    mprotect(ro, 4096, PROT_READ);
    printf("lock own read-only shared: %s\n", e(fx(ro, FUTEX_LOCK_PI, 0, NULL, NULL, 0)));
    printf("lock own read-only private: %s\n", e(fx(ro, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0)));
    printf("unlock own read-only shared: %s\n", e(fx(ro, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0)));
    printf("unlock own read-only private: %s\n", e(fx(ro, FUTEX_UNLOCK_PI | FUTEX_PRIVATE_FLAG, 0, NULL, NULL, 0)));
    printf("trylock own read-only shared: %s\n", e(fx(ro, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0)));
    printf("wait_requeue to read-only: %s\n", e(fx(&m1, FUTEX_WAIT_REQUEUE_PI, 0, NULL, ro, 0)));
    printf("cmp_requeue_pi to read-only: %s\n", e(fx(&m1, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, ro, 0)));
    munmap(ro, 4096);
}

/* ---- an owner in another process: timeouts, trylock, wake and unlock by others ---- */

static void timeouts(void)
{
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char c;
        read(p[0], &c, 1);                /* alive until the parent is done */
        _exit(0);
    }
    pid_t me = tid();
    m1 = (uint32_t)child;                 /* owned by a live thread of another process */
    struct timespec t = at(CLOCK_REALTIME, 30);
    long r = fx(&m1, FUTEX_LOCK_PI, 0, &t, NULL, 0);
    printf("lock timed realtime: %s word %s\n", e(r), word(m1, me, "me", child, "child"));
    t = at(CLOCK_MONOTONIC, 30);
    r = fx(&m1, FUTEX_LOCK_PI2, 0, &t, NULL, 0);
    printf("lock_pi2 timed monotonic: %s\n", e(r));
    t = at(CLOCK_REALTIME, 30);
    r = fx(&m1, FUTEX_LOCK_PI2 | FUTEX_CLOCK_REALTIME, 0, &t, NULL, 0);
    printf("lock_pi2 timed realtime: %s\n", e(r));
    t = (struct timespec){ 0, 0 };
    r = fx(&m1, FUTEX_LOCK_PI, 0, &t, NULL, 0);
    printf("lock timed epoch: %s\n", e(r));
    r = fx(&m1, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0);
    printf("trylock owned: %s word %s\n", e(r), word(m1, me, "me", child, "child"));
    r = fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("unlock not owner: %s\n", e(r));
    /* each timed-out waiter makes a PI state and leaves it: none may stay behind */
    int timedout = 0;
    for (int i = 0; i < 300; i++) {
        t = (struct timespec){ 0, 0 };
        int op = FUTEX_LOCK_PI | (i & 1 ? FUTEX_PRIVATE_FLAG : 0);   /* private: EPERM (another process) */
        timedout += fx(&m1, op, 0, &t, NULL, 0) == -1 && errno == ETIMEDOUT;
    }
    printf("300 timed-out waiters: %d ETIMEDOUT\n", timedout);
    t = (struct timespec){ 0, 0 };
    r = fx(&m1, FUTEX_LOCK_PI | FUTEX_PRIVATE_FLAG, 0, &t, NULL, 0);
    printf("private timed out: %s\n", e(r));
    write(p[1], "x", 1);
    waitpid(child, NULL, 0);
    r = fx(&m1, FUTEX_LOCK_PI, 0, NULL, NULL, 0);
    printf("lock owner ended: %s\n", e(r));
    close(p[0]);
    close(p[1]);
    m1 = 0;
}

/* ---- handoff, wake and signals with a blocked waiter -------------------------- */

static volatile pid_t waiter_tid;
static volatile int handled;
static long waiter_r;
static uint32_t waiter_word;

static void on_usr1(int sig) { (void)sig; handled++; }

static void *locker(void *arg)
{
    (void)arg;
    waiter_tid = tid();
    waiter_r = fx(&m1, FUTEX_LOCK_PI, 0, NULL, NULL, 0) ? -errno : 0;
    waiter_word = m1;
    if (waiter_r == 0)
        fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    return NULL;
}

static void handoff(void)
{
    pid_t me = tid();
    pthread_t t;
    struct sigaction sa = { .sa_handler = on_usr1 };     /* no SA_RESTART: LOCK_PI restarts anyway */
    sigaction(SIGUSR1, &sa, NULL);
    m1 = (uint32_t)me;
    pthread_create(&t, NULL, locker, NULL);
    wait_bit(&m1, WAITERS);
    printf("queued: word %s\n", word(m1, me, "main", waiter_tid, "waiter"));
    printf("wake on PI word: %s\n", e(fx(&m1, FUTEX_WAKE, 1, NULL, NULL, 0)));
    printf("requeue from PI word: %s\n", e(fx(&m1, FUTEX_CMP_REQUEUE, 0, (void *)1, &m1 + 1, m1)));
    pthread_kill(t, SIGUSR1);
    while (!handled)
        sched_yield();
    long r = fx(&m1, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    pthread_join(t, NULL);
    /* the handler ran; whether the restarted call was queued again before the unlock is a race,
       so only the owner is printed, not FUTEX_WAITERS */
    printf("unlock to waiter: %s; waiter: %s, owner %s, handler ran %d, word now %s\n", e(r), ne(waiter_r),
           word(waiter_word & ~WAITERS, me, "main", waiter_tid, "waiter"), handled,
           word(m1, me, "main", waiter_tid, "waiter"));
    m1 = 0;
}

/* ---- across processes: a word in a MAP_SHARED page -------------------------------- */

static volatile uint32_t *shw;
static long sh_r, sh_unlock;
static uint32_t sh_word;

static void *shared_locker(void *arg)
{
    (void)arg;
    waiter_tid = tid();
    sh_r = fx(shw, FUTEX_LOCK_PI, 0, NULL, NULL, 0) ? -errno : 0;
    sh_word = *shw;
    sh_unlock = fx(shw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0) ? -errno : 0;
    return NULL;
}

static void shared(void)
{
    pid_t me = tid();
    int held[2], go[2];
    char c;
    shw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    /* a waiter in another process is killed: the owner unlocks to nobody */
    *shw = (uint32_t)me;
    pid_t child = fork();
    if (child == 0)
        _exit((int)fx(shw, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
    wait_bit(shw, WAITERS);
    kill(child, SIGKILL);
    int st;
    waitpid(child, &st, 0);
    long r = fx(shw, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("shared: waiter killed (%s): unlock %s word %s\n", WIFSIGNALED(st) ? "SIGKILL" : "exited", e(r),
           word(*shw, me, "main", 0, ""));
    /* the owner is another process that ends holding it, with no robust list: the top
       waiter gets it with FUTEX_OWNER_DIED (Linux exit_pi_state_list) */
    *shw = 0;
    pipe(held);
    pipe(go);
    child = fork();
    if (child == 0) {
        fx(shw, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0);
        write(held[1], "h", 1);
        read(go[0], &c, 1);
        _exit(0);
    }
    read(held[0], &c, 1);
    pthread_t t;
    pthread_create(&t, NULL, shared_locker, NULL);
    wait_bit(shw, WAITERS);
    write(go[1], "g", 1);
    pthread_join(t, NULL);
    waitpid(child, NULL, 0);
    printf("shared: owner process ended holding it: waiter %s word %s\n", ne(sh_r),
           word(sh_word, me, "main", waiter_tid, "waiter"));
    printf("shared: the waiter's unlock %s, word %s\n", ne(sh_unlock), word(*shw, me, "main", waiter_tid, "waiter"));
    close(held[0]), close(held[1]), close(go[0]), close(go[1]);
    munmap((void *)shw, 4096);
}

/* ---- WAIT_REQUEUE_PI / CMP_REQUEUE_PI ------------------------------------------ */

static volatile uint32_t cv __attribute__((aligned(8))), m2 __attribute__((aligned(8)));
static long rq_r;
static uint32_t rq_word;
static struct timespec rq_deadline;
static int rq_timed;
static volatile int rq_done;               /* the waiter's call has returned */

static void *rq_waiter(void *arg)
{
    (void)arg;
    waiter_tid = tid();
    rq_r = fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, rq_timed ? &rq_deadline : NULL, &m2, 0) ? -errno : 0;
    rq_word = m2;
    if (rq_r == 0)
        fx(&m2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    rq_done = 1;
    return NULL;
}

static volatile int rq_got;

static void *rq_many(void *arg)
{
    (void)arg;
    if (fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &m2, 0) == 0 && (m2 & 0x3fffffff) == (uint32_t)tid()) {
        rq_got++;                          /* owns m2 here */
        fx(&m2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    }
    return NULL;
}

static void start_rq(pthread_t *t)
{
    rq_done = 0;
    pthread_create(t, NULL, rq_waiter, NULL);
}

/* FUTEX_WAKE refuses a word a requeue-PI waiter waits on (or the waiter has already returned) */
static void until_queued(void)
{
    while (fx(&cv, FUTEX_WAKE, 1, NULL, NULL, 0) != -1 && !rq_done)
        sched_yield();
}

static void requeue(void)
{
    pid_t me = tid();
    pthread_t t;
    struct timespec past = { 0, 0 };      /* the clock's start (ringlab's monotonic clock is young) */
    cv = 0;
    m2 = 0;
    printf("wait_requeue same word: %s\n", e(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &cv, 0)));
    printf("wait_requeue value changed: %s\n", e(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 1, NULL, &m2, 0)));
    printf("wait_requeue timed out: %s\n", e(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, &past, &m2, 0)));
    past = at(CLOCK_REALTIME, -1000);
    printf("wait_requeue realtime: %s\n",
           e(fx(&cv, FUTEX_WAIT_REQUEUE_PI | FUTEX_CLOCK_REALTIME, 0, &past, &m2, 0)));
    printf("wait_requeue NULL: %s\n", e(fx(NULL, FUTEX_WAIT_REQUEUE_PI, 0, NULL, &m2, 0)));
    printf("wait_requeue to NULL: %s\n", e(fx(&cv, FUTEX_WAIT_REQUEUE_PI, 0, NULL, NULL, 0)));
    printf("cmp_requeue_pi nr_wake 2: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE_PI, 2, (void *)1, &m2, 0)));
    printf("cmp_requeue_pi nr_wake 0: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE_PI, 0, (void *)1, &m2, 0)));
    printf("cmp_requeue_pi same word: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &cv, 0)));
    printf("cmp_requeue_pi value changed: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &m2, 7)));
    printf("cmp_requeue_pi nobody: %ld\n", fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &m2, 0));
    printf("cmp_requeue_pi to NULL: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, NULL, 0)));

    /* the PI word is free: the requeue takes it for the waiter */
    start_rq(&t);
    until_queued();
    printf("plain requeue of it: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE, 0, (void *)1, &m1, 0)));
    printf("requeue_pi to another word: %s\n", e(fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &m1, 0)));
    long r = fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)0, &m2, 0);
    pthread_join(t, NULL);
    printf("requeue_pi free lock: %ld; waiter %s word %s, now %s\n", r, ne(rq_r),
           word(rq_word, me, "main", waiter_tid, "waiter"), word(m2, me, "main", waiter_tid, "waiter"));

    /* the PI word is held: the waiter moves onto it and gets it at unlock */
    m2 = (uint32_t)me;
    start_rq(&t);
    until_queued();
    r = fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &m2, 0);
    printf("requeue_pi held lock: %ld word %s\n", r, word(m2, me, "main", waiter_tid, "waiter"));
    printf("wake on PI word: %s\n", e(fx(&m2, FUTEX_WAKE, 1, NULL, NULL, 0)));
    r = fx(&m2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    pthread_join(t, NULL);
    printf("unlock: %s; waiter %s word %s, now %s\n", e(r), ne(rq_r), word(rq_word, me, "main", waiter_tid, "waiter"),
           word(m2, me, "main", waiter_tid, "waiter"));

    /* three waiters moved onto a held lock by as many requeues as it takes; each gets the
       lock in turn from the one before */
    pthread_t many[3];
    long moved = 0;
    m2 = (uint32_t)me;
    for (int i = 0; i < 3; i++)
        pthread_create(&many[i], NULL, rq_many, NULL);
    while (moved < 3) {
        r = fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)0x7fffffff, &m2, 0);
        moved += r > 0 ? r : 0;
        sched_yield();
    }
    r = fx(&m2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    for (int i = 0; i < 3; i++)
        pthread_join(many[i], NULL);
    printf("three requeued: %ld moved, unlock %s, %d got the lock, word %s\n", moved, e(r), rq_got,
           word(m2, me, "main", 0, ""));

    /* requeued, then a signal: Linux returns EAGAIN rather than restart (the word moved on) */
    m2 = (uint32_t)me;
    handled = 0;
    start_rq(&t);
    until_queued();
    r = fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &m2, 0);
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("requeued waiter signalled: requeue %ld, waiter %s, handler ran %d, word %s\n", r, ne(rq_r), handled,
           word(m2, me, "main", waiter_tid, "waiter"));
    fx(&m2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);

    /* its deadline passes while the lock stays held: requeued first, or still on cv if the
       requeue came late (a loaded machine); either way ETIMEDOUT, and FUTEX_WAITERS is set
       beforehand so the word does not tell the two apart */
    m2 = (uint32_t)me | WAITERS;
    rq_timed = 1;
    rq_deadline = at(CLOCK_MONOTONIC, 1500);
    start_rq(&t);
    until_queued();
    r = fx(&cv, FUTEX_CMP_REQUEUE_PI, 1, (void *)1, &m2, 0);
    pthread_join(t, NULL);
    printf("requeued waiter timed out: %s, word %s\n", ne(rq_r), word(m2, me, "main", waiter_tid, "waiter"));
    r = fx(&m2, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0);
    printf("unlock with none left: %s word %s\n", e(r), word(m2, me, "main", waiter_tid, "waiter"));
    rq_timed = 0;
}

/* ---- the C library's mutexes ------------------------------------------------- */

static pthread_mutex_t mx;
static long counter;
static int pipe_go[2], pipe_held[2];

static void *count(void *arg)
{
    (void)arg;
    for (int i = 0; i < 500; i++) {
        pthread_mutex_lock(&mx);
        long c = counter;
        if (i % 64 == 0)
            sched_yield();                /* be preempted holding it: contention */
        counter = c + 1;
        pthread_mutex_unlock(&mx);
    }
    return NULL;
}

static void init_mutex(int robust, int pi)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    if (robust)
        pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    if (pi)
        pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
    pthread_mutex_init(&mx, &a);
    pthread_mutexattr_destroy(&a);
}

/* the lock word: glibc's __data.__lock is the first int, musl's _m_lock the second */
static volatile uint32_t *lock_word(void)
{
#ifdef __GLIBC__
    return (volatile uint32_t *)&mx;
#else
    return (volatile uint32_t *)&mx + 1;
#endif
}

static void *hold_and_end(void *arg)
{
    char c;
    (void)arg;
    pthread_mutex_lock(&mx);
    write(pipe_held[1], "h", 1);
    read(pipe_go[0], &c, 1);
    return NULL;                          /* ends holding it */
}

static int blocked_r;

static void *block_on_it(void *arg)
{
    (void)arg;
    blocked_r = pthread_mutex_lock(&mx);
    if (blocked_r == EOWNERDEAD)
        pthread_mutex_consistent(&mx);
    pthread_mutex_unlock(&mx);
    return NULL;
}

/* hostile: six threads contend and each ends holding the mutex once; every end is seen by
   exactly one later locker as EOWNERDEAD (the last by main) */
static int dead_seen;

static void take(void)
{
    if (pthread_mutex_lock(&mx) == EOWNERDEAD) {
        pthread_mutex_consistent(&mx);
        dead_seen++;
    }
    counter++;
}

static void *churn(void *arg)
{
    (void)arg;
    for (int i = 0; i < 100; i++) {
        take();
        if (i % 32 == 0)
            sched_yield();
        pthread_mutex_unlock(&mx);
    }
    take();
    return NULL;                          /* ends holding it */
}

static void mutexes(const char *name, int robust, int pi)
{
    pthread_t t[4];
    char c;
    init_mutex(robust, pi);
    counter = 0;
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, count, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    printf("%s: 4 threads counted %ld\n", name, counter);
    if (!robust) {
        pthread_mutex_destroy(&mx);
        return;
    }
    /* musl's pthread_exit releases a robust PI mutex itself, rewriting the word behind the
       kernel's PI state (a swap to OWNER_DIED, then a plain FUTEX_WAKE): with several waiters
       that hangs about one run in ten on Linux too, so the churn is glibc's only for PI */
#ifndef __GLIBC__
    if (!pi)
#endif
    {
        pthread_t ct[6];
        counter = 0;
        dead_seen = 0;
        for (int i = 0; i < 6; i++)
            pthread_create(&ct[i], NULL, churn, NULL);
        for (int i = 0; i < 6; i++)
            pthread_join(ct[i], NULL);
        take();
        pthread_mutex_unlock(&mx);
        printf("%s: 6 threads each ending holding it: counted %ld, EOWNERDEAD seen %d\n", name, counter, dead_seen);
    }
    /* the owner ends, nobody waiting: the next locker gets EOWNERDEAD */
    pthread_create(&t[0], NULL, hold_and_end, NULL);
    read(pipe_held[0], &c, 1);
    write(pipe_go[1], "g", 1);
    pthread_join(t[0], NULL);
    int r = pthread_mutex_lock(&mx);
    printf("%s: owner ended: lock %s", name, en(r));
    printf(", consistent %s", en(pthread_mutex_consistent(&mx)));
    printf(", unlock %s", en(pthread_mutex_unlock(&mx)));
    printf(", lock %s", en(pthread_mutex_lock(&mx)));
    printf(", unlock %s\n", en(pthread_mutex_unlock(&mx)));
    /* the owner ends while a thread is blocked on it */
    pthread_create(&t[0], NULL, hold_and_end, NULL);
    read(pipe_held[0], &c, 1);
    pthread_create(&t[1], NULL, block_on_it, NULL);
    wait_bit(lock_word(), WAITERS);
    write(pipe_go[1], "g", 1);
    pthread_join(t[0], NULL);
    pthread_join(t[1], NULL);
    printf("%s: owner ended with a waiter: waiter got %s, then lock %s", name, en(blocked_r),
           en(pthread_mutex_lock(&mx)));
    printf(", unlock %s\n", en(pthread_mutex_unlock(&mx)));
    /* not consistent before unlock: the mutex becomes unusable */
    pthread_create(&t[0], NULL, hold_and_end, NULL);
    read(pipe_held[0], &c, 1);
    write(pipe_go[1], "g", 1);
    pthread_join(t[0], NULL);
    r = pthread_mutex_lock(&mx);
    printf("%s: left inconsistent: lock %s", name, en(r));
    printf(", unlock %s", en(pthread_mutex_unlock(&mx)));
    printf(", lock %s\n", en(pthread_mutex_lock(&mx)));
}

/* a condition variable over a PI mutex: a producer hands 200 items to two consumers */
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static int items, taken[2], produced_all;

static void *consume(void *arg)
{
    int me = (int)(intptr_t)arg;
    pthread_mutex_lock(&mx);
    for (;;) {
        while (!items && !produced_all)
            pthread_cond_wait(&cond, &mx);
        if (!items)
            break;
        items--;
        taken[me]++;
    }
    pthread_mutex_unlock(&mx);
    return NULL;
}

static void condvar(void)
{
    pthread_t t[2];
    init_mutex(0, 1);
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, consume, (void *)(intptr_t)i);
    for (int i = 0; i < 200; i++) {
        pthread_mutex_lock(&mx);
        items++;
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&mx);
        if (i % 16 == 0)
            sched_yield();
    }
    pthread_mutex_lock(&mx);
    produced_all = 1;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&mx);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    printf("condvar over a PI mutex: %d items taken, %d left\n", taken[0] + taken[1], items);
}

/* a robust mutex in a MAP_SHARED page, held by a child when it execs: Linux's exec releases
   the old image's robust list (exec_mm_release), so the parent's lock says EOWNERDEAD */
static void exec_release(const char *self)
{
    pthread_mutex_t *sm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    pthread_mutexattr_t a;
    int st;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(sm, &a);
    pid_t child = fork();
    if (child == 0) {
        pthread_mutex_lock(sm);
        execl(self, self, "exit", (char *)NULL);
        _exit(9);
    }
    waitpid(child, &st, 0);
    int r = pthread_mutex_lock(sm);
    printf("robust mutex held across exec: child exit %d, lock %s\n", WEXITSTATUS(st), en(r));
    if (r == EOWNERDEAD)
        pthread_mutex_consistent(sm);
    pthread_mutex_unlock(sm);              /* off this thread's robust list before the unmap */
    munmap(sm, 4096);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "exit"))
        return 0;
    pipe(pipe_go);
    pipe(pipe_held);
    single();
    timeouts();
    handoff();
    shared();
    requeue();
    char self[256];
    snprintf(self, sizeof self, "%s%s", strchr(argv[0], '/') ? "" : "./", argv[0]);
    exec_release(self);
    mutexes("plain", 0, 0);
    mutexes("robust", 1, 0);
    mutexes("pi", 0, 1);
    mutexes("robust pi", 1, 1);
    condvar();
    return 0;
}
