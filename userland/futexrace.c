/* A PI futex whose owner ends (Linux kernel/futex/pi.c attach_to_pi_owner, handle_exit_race;
 * core.c exit_robust_list; exit_pi_state_list): no FUTEX_LOCK_PI may wait on an ended thread.
 *
 * First the deterministic cases, printed for comparison with the host: an owner that ends
 * (SYS_exit directly, and pthread_exit) with no robust entry leaves the word naming its dead
 * id: LOCK_PI, LOCK_PI2 and TRYLOCK_PI answer ESRCH; with a robust entry (bit 0: PI) the word
 * gets OWNER_DIED and the next locker takes it; a waiter already queued when the owner ends
 * gets the lock with OWNER_DIED either way; a word naming a live thread that was not the one
 * that took it (a thread id reused) is that thread's lock until it ends; a leader that ended
 * while its group lives (a zombie) and a reaped process own nothing; an owner stopped at
 * PTRACE_EVENT_EXIT still owns its word (its futexes are released after that stop).
 *
 * Then the race: rounds in which an owner takes a PI lock and ends at once (four ways: SYS_exit
 * or pthread_exit, with or without a robust entry) while three threads hammer the word with
 * LOCK_PI (no timeout and a CLOCK_REALTIME deadline), LOCK_PI2 (a CLOCK_MONOTONIC deadline) and
 * TRYLOCK_PI; and rounds in which a whole process with a large address space ends holding a
 * shared word. Every call must end (a hang is the machine's timeout) with one of Linux's
 * answers: 0 (then UNLOCK_PI gives 0), ETIMEDOUT, EAGAIN (trylock), and only without a robust
 * entry ESRCH (the word names the dead owner) or EINVAL (the owner ended, its top waiter was
 * given the lock and has not yet written its id: Linux attach_to_pi_state [7]). Which answer
 * each call gets depends on timing, so only a verdict per way is printed.
 *
 * No sleep orders anything: a waiter is known to be queued when FUTEX_WAKE refuses its word
 * (-EINVAL: a PI waiter is queued on it), an owner is known to have ended when the kernel
 * cleared its CLONE_CHILD_CLEARTID word. Built for musl (futexrace) and glibc (futexrace-glibc). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* include/uapi/linux/futex.h (musl has no linux/ headers) */
#define FUTEX_WAIT 0
#define FUTEX_WAKE 1
#define FUTEX_LOCK_PI 6
#define FUTEX_UNLOCK_PI 7
#define FUTEX_TRYLOCK_PI 8
#define FUTEX_LOCK_PI2 13
#define WAITERS 0x80000000u
#define DIED 0x40000000u
#define TID_MASK 0x3fffffffu

#define ROUNDS 16           /* rounds of each of the four ways */
#define HAMMERS 3           /* threads locking while the owner ends */
#define ATTEMPTS 8          /* calls per hammer and round */
#define TIMEOUT_MS 2        /* a timed call's deadline from now */

/* include/uapi/linux/futex.h struct robust_list_head, with one entry of our own */
struct robust_entry {
    struct robust_entry *next;
    uint32_t word;
};
struct robust_head {
    struct robust_entry *list;
    long futex_offset;
    struct robust_entry *list_op_pending;
};

/* A raw system call: the result, or -errno (no errno: raw threads have no TLS of their own). */
static long rs(long n, long a, long b, long c, long d, long e6, long f)
{
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e6;
    register long r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile("syscall"
                     : "=a"(ret)
                     : "0"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return ret;
}

static long fx(volatile uint32_t *u, int op, const struct timespec *ts)
{
    return rs(SYS_futex, (long)u, op, 0, (long)ts, 0, 0);
}

/* Until *u is 0 (a CLONE_CHILD_CLEARTID or set_tid_address word: the kernel clears it and wakes). */
static void wait_zero(volatile uint32_t *u)
{
    uint32_t v;
    while ((v = __atomic_load_n(u, __ATOMIC_SEQ_CST)) != 0)
        rs(SYS_futex, (long)u, FUTEX_WAIT, v, 0, 0, 0);
}

static const char *ne(long r)   /* a -errno result */
{
    static char buf[16];
    switch (r) {
    case 0: return "ok";
    case -EINVAL: return "EINVAL";
    case -EAGAIN: return "EAGAIN";
    case -EDEADLK: return "EDEADLK";
    case -ESRCH: return "ESRCH";
    case -EPERM: return "EPERM";
    case -ETIMEDOUT: return "ETIMEDOUT";
    case -EINTR: return "EINTR";
    default: snprintf(buf, sizeof buf, "%ld", r); return buf;
    }
}

/* The word relative to the ids involved ("owner|WAITERS"). */
static const char *word(uint32_t w, long a, const char *an, long b, const char *bn)
{
    static char bufs[4][64];
    static int n;
    char *buf = bufs[n++ % 4];
    uint32_t id = w & TID_MASK;
    const char *who = id == 0 ? "0" : id == (uint32_t)a ? an : id == (uint32_t)b ? bn : "other";
    snprintf(buf, sizeof bufs[0], "%s%s%s", who, w & WAITERS ? "|WAITERS" : "", w & DIED ? "|DIED" : "");
    return buf;
}

static struct timespec at(clockid_t c, long ms)   /* now + ms on clock c */
{
    struct timespec t;
    clock_gettime(c, &t);
    long long ns = (long long)t.tv_sec * 1000000000LL + t.tv_nsec + ms * 1000000LL;
    t.tv_sec = ns / 1000000000LL;
    t.tv_nsec = ns % 1000000000LL;
    return t;
}

/* Until a PI waiter is queued on u: FUTEX_WAKE refuses such a word (Linux futex_wake: -EINVAL). */
static void wait_queued(volatile uint32_t *u)
{
    while (fx(u, FUTEX_WAKE, NULL) != -EINVAL)
        sched_yield();
}

/* ---- an owner: a raw thread (ends with SYS_exit) or a pthread (ends with pthread_exit) ---- */

struct owner {
    volatile uint32_t *word;
    int robust;                      /* put the word on a robust list (entry bit 0: PI) */
    int yields;                      /* sched_yield calls between taking the lock and ending */
    volatile int wait_queued;        /* end only once a waiter is queued */
    volatile int taken;              /* the lock is held: the owner's id */
    volatile uint32_t ctid;          /* its id until it ended (CLONE_CHILD_CLEARTID) */
    struct robust_head head;
    struct robust_entry *entry;
};

/* What the owner does before it ends: raw calls only (a raw thread shares the caller's TLS). */
static void own(struct owner *o)
{
    long me = rs(SYS_gettid, 0, 0, 0, 0, 0, 0);
    if (o->robust) {
        o->head.list = (struct robust_entry *)((uintptr_t)o->entry | 1);
        o->head.futex_offset = offsetof(struct robust_entry, word);
        o->head.list_op_pending = NULL;
        o->entry->next = (struct robust_entry *)&o->head;
        rs(SYS_set_robust_list, (long)&o->head, sizeof o->head, 0, 0, 0, 0);
    }
    if (fx(o->word, FUTEX_LOCK_PI, NULL) != 0)
        rs(SYS_exit_group, 99, 0, 0, 0, 0, 0);
    __atomic_store_n(&o->taken, (int)me, __ATOMIC_SEQ_CST);
    if (o->wait_queued)
        while (fx(o->word, FUTEX_WAKE, NULL) != -EINVAL)
            rs(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
    for (int i = 0; i < o->yields; i++)
        rs(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
}

static int raw_owner_main(void *arg)
{
    own(arg);
    return 0;                        /* the clone stub calls SYS_exit */
}

static void *pthread_owner_main(void *arg)
{
    own(arg);
    pthread_exit(NULL);
}

/*
 * A thread by clone(2) directly: fn(arg) on `stack`, then SYS_exit with its result. The kernel
 * writes its id into *ctid first (CLONE_PARENT_SETTID) and clears it when it ended
 * (CLONE_CHILD_CLEARTID). Returns the id, or -errno.
 */
static long raw_thread(int (*fn)(void *), void *arg, void *stack, size_t size, volatile uint32_t *ctid)
{
    uint64_t *sp = (uint64_t *)((char *)stack + size);
    long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |
                 CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    *--sp = (uint64_t)arg;
    *--sp = (uint64_t)fn;
    register long r10 __asm__("r10") = (long)ctid;
    register long r8 __asm__("r8") = 0;
    long ret;
    __asm__ volatile("syscall\n\t"
                     "test %%rax, %%rax\n\t"
                     "jnz 1f\n\t"
                     "pop %%rax\n\t"          /* the child: fn */
                     "pop %%rdi\n\t"          /* arg */
                     "and $-16, %%rsp\n\t"
                     "call *%%rax\n\t"
                     "mov %%eax, %%edi\n\t"
                     "mov %[nexit], %%eax\n\t"
                     "syscall\n\t"
                     "ud2\n"
                     "1:"
                     : "=a"(ret)
                     : "0"((long)SYS_clone), "D"(flags), "S"(sp), "d"(ctid), "r"(r10), "r"(r8),
                       [nexit] "i"(SYS_exit)
                     : "rcx", "r11", "memory");
    return ret;
}

static char raw_stack[65536] __attribute__((aligned(16)));
static pthread_t owner_thread;

/* Start owner o (raw: SYS_exit; else pthread_exit); returns once it holds the lock. */
static void start_owner(struct owner *o, int raw)
{
    o->taken = 0;
    if (raw) {
        if (raw_thread(raw_owner_main, o, raw_stack, sizeof raw_stack, &o->ctid) < 0)
            _exit(98);
    } else if (pthread_create(&owner_thread, NULL, pthread_owner_main, o)) {
        _exit(97);
    }
    while (!__atomic_load_n(&o->taken, __ATOMIC_SEQ_CST))
        sched_yield();
}

/* Until owner o has ended (its clear-tid word, or pthread_join). */
static void join_owner(struct owner *o, int raw)
{
    if (!raw) {
        pthread_join(owner_thread, NULL);
        return;
    }
    wait_zero(&o->ctid);
}

/* ---- the deterministic cases ------------------------------------------------------- */

static struct robust_entry ent __attribute__((aligned(8)));
static volatile uint32_t plain __attribute__((aligned(8)));

static struct waiter {
    volatile uint32_t *word;
    long r;
    long me;
    struct timespec ts;
    int timed;
} wt;

static void *waiter_main(void *arg)
{
    struct waiter *w = arg;
    w->me = rs(SYS_gettid, 0, 0, 0, 0, 0, 0);
    w->r = fx(w->word, FUTEX_LOCK_PI, w->timed ? &w->ts : NULL);
    return NULL;
}

static void dead_owner(int raw, int robust, int queued)
{
    struct owner o = { .word = &ent.word, .robust = robust, .entry = &ent, .wait_queued = queued };
    const char *how = raw ? "SYS_exit" : "pthread_exit";
    const char *rb = robust ? "robust" : "no robust entry";
    pthread_t w;
    ent.word = 0;
    start_owner(&o, raw);
    long owner = o.taken, me = rs(SYS_gettid, 0, 0, 0, 0, 0, 0);
    if (queued) {
        wt = (struct waiter){ .word = &ent.word };
        pthread_create(&w, NULL, waiter_main, &wt);
        pthread_join(w, NULL);
        join_owner(&o, raw);
        printf("%s, %s, a waiter queued: %s word %s\n", how, rb, ne(wt.r),
               word(ent.word, owner, "owner", wt.me, "waiter"));
        return;
    }
    join_owner(&o, raw);
    printf("%s, %s: word %s\n", how, rb, word(ent.word, owner, "owner", me, "me"));
    struct timespec ts = at(CLOCK_MONOTONIC, 5);
    long r = fx(&ent.word, FUTEX_TRYLOCK_PI, NULL);
    printf("  trylock: %s word %s\n", ne(r), word(ent.word, owner, "owner", me, "me"));
    if (!r)
        fx(&ent.word, FUTEX_UNLOCK_PI, NULL);
    r = fx(&ent.word, FUTEX_LOCK_PI2, &ts);
    printf("  lock_pi2 timed: %s word %s\n", ne(r), word(ent.word, owner, "owner", me, "me"));
    if (!r)
        fx(&ent.word, FUTEX_UNLOCK_PI, NULL);
    r = fx(&ent.word, FUTEX_LOCK_PI, NULL);
    printf("  lock: %s word %s\n", ne(r), word(ent.word, owner, "owner", me, "me"));
    if (!r) {
        r = fx(&ent.word, FUTEX_UNLOCK_PI, NULL);
        printf("  unlock: %s word %s\n", ne(r), word(ent.word, owner, "owner", me, "me"));
    }
}

/* A thread that lives until `plain` becomes 1, then ends with SYS_exit. */
static volatile uint32_t reused_ctid;

static int parked_main(void *arg)
{
    (void)arg;
    while (plain == 0)
        fx(&plain, FUTEX_WAIT, NULL);
    return 0;
}

/* The word names a live thread that never took it (its id reused): it is that thread's lock. */
static void reused_id(void)
{
    pthread_t w;
    plain = 0;
    long other = raw_thread(parked_main, NULL, raw_stack, sizeof raw_stack, &reused_ctid);
    ent.word = (uint32_t)other;
    wt = (struct waiter){ .word = &ent.word, .timed = 1, .ts = at(CLOCK_REALTIME, 5) };
    waiter_main(&wt);
    printf("reused id, timed lock: %s word %s\n", ne(wt.r), word(ent.word, other, "other", wt.me, "me"));
    wt = (struct waiter){ .word = &ent.word };
    pthread_create(&w, NULL, waiter_main, &wt);
    wait_queued(&ent.word);
    plain = 1;
    fx(&plain, FUTEX_WAKE, NULL);
    pthread_join(w, NULL);
    wait_zero(&reused_ctid);
    printf("reused id ended, waiter: %s word %s\n", ne(wt.r), word(ent.word, other, "other", wt.me, "waiter"));
}

/* A leader that ended while its group lives (a zombie) owns nothing: in a child process. */
static volatile uint32_t leader_gone;

static void *zombie_watch(void *arg)
{
    volatile uint32_t *u = arg;
    wait_zero(&leader_gone);
    long r = fx(u, FUTEX_LOCK_PI, NULL);
    printf("zombie leader's word: %s word %s\n", ne(r), (*u & TID_MASK) == 0 ? "0" : "leader|WAITERS");
    fflush(stdout);
    rs(SYS_exit_group, 0, 0, 0, 0, 0, 0);
    return NULL;
}

static void zombie_leader(void)
{
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        pthread_t t;
        long me = rs(SYS_gettid, 0, 0, 0, 0, 0, 0);
        ent.word = 0;
        fx(&ent.word, FUTEX_LOCK_PI, NULL);
        leader_gone = (uint32_t)me;
        pthread_create(&t, NULL, zombie_watch, (void *)&ent.word);
        rs(SYS_set_tid_address, (long)&leader_gone, 0, 0, 0, 0, 0);
        rs(SYS_exit, 0, 0, 0, 0, 0, 0);   /* the leader ends alone; its thread goes on */
    }
    int st;
    waitpid(c, &st, 0);
    printf("zombie leader's process: status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

/* A process that ended holding a shared PI word (no robust entry) and was reaped. */
static void reaped_owner(void)
{
    volatile uint32_t *u = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        fx(u, FUTEX_LOCK_PI, NULL);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    long r = fx(u, FUTEX_LOCK_PI, NULL);
    printf("reaped owner's shared word: %s word %s\n", ne(r), word(*u, c, "child", 0, ""));
    munmap((void *)u, 4096);
}

/*
 * An owner stopped at PTRACE_EVENT_EXIT has not yet released its futexes (Linux do_exit:
 * ptrace_event before exit_mm's futex_exit_release): it still owns the word, a timed locker
 * times out and a queued one gets the lock, OWNER_DIED, once the tracer lets it end.
 */
static void traced_exit(void)
{
    volatile uint32_t *u = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        ptrace(PTRACE_TRACEME, 0, NULL, NULL);
        raise(SIGSTOP);
        fx(u, FUTEX_LOCK_PI, NULL);
        _exit(0);
    }
    int st;
    pthread_t w;
    waitpid(c, &st, 0);
    ptrace(PTRACE_SETOPTIONS, c, NULL, (void *)(long)PTRACE_O_TRACEEXIT);
    ptrace(PTRACE_CONT, c, NULL, NULL);
    waitpid(c, &st, 0);
    printf("traced owner stopped at exit: %s\n",
           WIFSTOPPED(st) && st >> 8 == (SIGTRAP | PTRACE_EVENT_EXIT << 8) ? "yes" : "no");
    wt = (struct waiter){ .word = u, .timed = 1, .ts = at(CLOCK_REALTIME, 5) };
    waiter_main(&wt);
    printf("  timed lock: %s word %s\n", ne(wt.r), word(*u, c, "owner", wt.me, "me"));
    wt = (struct waiter){ .word = u };
    pthread_create(&w, NULL, waiter_main, &wt);
    wait_queued(u);
    ptrace(PTRACE_CONT, c, NULL, NULL);
    pthread_join(w, NULL);
    waitpid(c, &st, 0);
    printf("  owner let go, waiter: %s word %s; status %d\n", ne(wt.r), word(*u, c, "owner", wt.me, "waiter"),
           WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    munmap((void *)u, 4096);
}

/* ---- the race -------------------------------------------------------------------- */

static struct race {
    struct robust_entry ent __attribute__((aligned(8)));
    struct owner o;
    volatile uint32_t *u;            /* the word the hammers lock */
    int robust;                      /* its owner has a robust entry for it: no ESRCH, no EINVAL */
    volatile int go;
    volatile uint32_t seen;          /* a bit per answer seen */
    volatile int bad;                /* an answer outside Linux's set, or an UNLOCK_PI that failed */
    char why[128];
} race;

enum { S_OK = 1, S_TIMEDOUT = 2, S_AGAIN = 4, S_SRCH = 8, S_INVAL = 16, S_OTHER = 32 };

static uint32_t answer_bit(long r)
{
    switch (r) {
    case 0: return S_OK;
    case -ETIMEDOUT: return S_TIMEDOUT;
    case -EAGAIN: return S_AGAIN;
    case -ESRCH: return S_SRCH;
    case -EINVAL: return S_INVAL;
    default: return S_OTHER;
    }
}

static void *hammer(void *arg)
{
    int h = (int)(intptr_t)arg;
    volatile uint32_t *u = race.u;
    while (!__atomic_load_n(&race.go, __ATOMIC_SEQ_CST))
        sched_yield();
    for (int j = 0; j < ATTEMPTS; j++) {
        long r;
        struct timespec ts;
        switch ((j + h) % 4) {
        case 0: r = fx(u, FUTEX_LOCK_PI, NULL); break;
        case 1: ts = at(CLOCK_REALTIME, TIMEOUT_MS); r = fx(u, FUTEX_LOCK_PI, &ts); break;
        case 2: ts = at(CLOCK_MONOTONIC, TIMEOUT_MS); r = fx(u, FUTEX_LOCK_PI2, &ts); break;
        default: r = fx(u, FUTEX_TRYLOCK_PI, NULL); break;
        }
        uint32_t b = answer_bit(r);
        __atomic_fetch_or(&race.seen, b, __ATOMIC_SEQ_CST);
        if (b == S_OTHER || (race.robust && (b & (S_SRCH | S_INVAL)))) {
            race.bad = 1;
            snprintf(race.why, sizeof race.why, "call %d: %s", (j + h) % 4, ne(r));
        }
        if (r == 0) {
            /* Linux futex_unlock_pi: -EAGAIN when the word changed under it (another CPU's
               locker set FUTEX_WAITERS between its read and its cmpxchg): still ours, again. */
            long u2;
            while ((u2 = fx(u, FUTEX_UNLOCK_PI, NULL)) == -EAGAIN)
                ;
            if (u2) {
                race.bad = 1;
                snprintf(race.why, sizeof race.why, "unlock after a lock: %s", ne(u2));
            }
        }
    }
    return NULL;
}

static void race_way(int raw, int robust)
{
    int bad_rounds = 0;
    char why[160] = "";
    race.seen = 0;
    for (int round = 0; round < ROUNDS; round++) {
        pthread_t t[HAMMERS];
        race.ent.word = 0;
        race.go = 0;
        race.bad = 0;
        race.u = &race.ent.word;
        race.robust = robust;
        race.o = (struct owner){ .word = &race.ent.word, .robust = robust, .entry = &race.ent,
                                 .yields = round % 4 };
        for (int h = 0; h < HAMMERS; h++)
            pthread_create(&t[h], NULL, hammer, (void *)(intptr_t)h);
        start_owner(&race.o, raw);
        __atomic_store_n(&race.go, 1, __ATOMIC_SEQ_CST);
        for (int h = 0; h < HAMMERS; h++)
            pthread_join(t[h], NULL);
        join_owner(&race.o, raw);
        /* Afterwards: free (0, OWNER_DIED) or naming the dead owner (ESRCH), never a wait. */
        long r = fx(&race.ent.word, FUTEX_LOCK_PI, NULL);
        if (r == 0)
            r = fx(&race.ent.word, FUTEX_UNLOCK_PI, NULL);
        else if (r != -ESRCH || robust) {
            race.bad = 1;
            snprintf(race.why, sizeof race.why, "lock after the round: %s", ne(r));
        }
        if (race.bad) {
            bad_rounds++;
            snprintf(why, sizeof why, "round %d: %s", round, race.why);
        }
    }
#ifdef SHOW_SEEN
    fprintf(stderr, "seen %#x\n", race.seen);
#endif
    printf("race %s, %s: %d rounds ended, %s%s\n", raw ? "SYS_exit" : "pthread_exit",
           robust ? "robust" : "no robust entry", ROUNDS,
           bad_rounds ? "answers outside Linux's: " : "every answer one of Linux's", why);
}

/*
 * Rounds in which a whole process ends holding a shared PI word (no robust entry) while the
 * hammers lock it from here: its exit also tears down a large address space (PROCESS_PAGES
 * touched pages), where a yield after its futex cleanup would leave a locker waiting on it.
 */
#define PROCESS_PAGES 2048
#define PROCESS_ROUNDS 4

static void race_process(void)
{
    volatile uint32_t *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int bad_rounds = 0;
    char why[160] = "";
    race.seen = 0;
    for (int round = 0; round < PROCESS_ROUNDS; round++) {
        pthread_t t[HAMMERS];
        shm[0] = 0;                  /* the word */
        shm[1] = 0;                  /* the child holds it */
        race.u = &shm[0];
        race.robust = 0;
        race.go = 0;
        race.bad = 0;
        for (int h = 0; h < HAMMERS; h++)
            pthread_create(&t[h], NULL, hammer, (void *)(intptr_t)h);
        fflush(stdout);
        pid_t c = fork();
        if (c == 0) {
            char *big = mmap(NULL, PROCESS_PAGES * 4096L, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                             -1, 0);
            if (big == MAP_FAILED)
                _exit(2);
            for (long i = 0; i < PROCESS_PAGES; i++)
                big[i * 4096] = 1;
            if (fx(&shm[0], FUTEX_LOCK_PI, NULL))
                _exit(3);
            __atomic_store_n(&shm[1], 1, __ATOMIC_SEQ_CST);
            for (int i = 0; i < round; i++)
                sched_yield();
            _exit(0);
        }
        while (!__atomic_load_n(&shm[1], __ATOMIC_SEQ_CST))
            sched_yield();
        __atomic_store_n(&race.go, 1, __ATOMIC_SEQ_CST);
        for (int h = 0; h < HAMMERS; h++)
            pthread_join(t[h], NULL);
        int st;
        waitpid(c, &st, 0);
        long r = fx(&shm[0], FUTEX_LOCK_PI, NULL);
        if (r == 0)
            r = fx(&shm[0], FUTEX_UNLOCK_PI, NULL);
        else if (r != -ESRCH) {
            race.bad = 1;
            snprintf(race.why, sizeof race.why, "lock after the round: %s", ne(r));
        }
        if (!WIFEXITED(st) || WEXITSTATUS(st)) {
            race.bad = 1;
            snprintf(race.why, sizeof race.why, "child status %#x", st);
        }
        if (race.bad) {
            bad_rounds++;
            snprintf(why, sizeof why, "round %d: %s", round, race.why);
        }
    }
#ifdef SHOW_SEEN
    fprintf(stderr, "seen %#x\n", race.seen);
#endif
    printf("race a process's end (%d pages), shared word: %d rounds ended, %s%s\n", PROCESS_PAGES,
           PROCESS_ROUNDS, bad_rounds ? "answers outside Linux's: " : "every answer one of Linux's", why);
    munmap((void *)shm, 4096);
}

int main(void)
{
    /* One CPU, as ringlab's machine: Linux on several CPUs also answers what a one-CPU kernel
       cannot (UNLOCK_PI -EAGAIN: another CPU's locker changed the word between its read and
       its cmpxchg; then EINVAL or EDEADLK after a robust owner's death on one CPU overlapped
       its exit_pi_state_list on another). Threads inherit the mask. */
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(0, &one);
    if (sched_setaffinity(0, sizeof one, &one))
        perror("sched_setaffinity");
    setvbuf(stdout, NULL, _IOLBF, 0);
    for (int raw = 1; raw >= 0; raw--)
        for (int robust = 0; robust < 2; robust++) {
            dead_owner(raw, robust, 0);
            dead_owner(raw, robust, 1);
        }
    reused_id();
    zombie_leader();
    reaped_owner();
    traced_exit();
    for (int raw = 1; raw >= 0; raw--)
        for (int robust = 0; robust < 2; robust++)
            race_way(raw, robust);
    race_process();
    printf("futexrace done\n");
    return 0;
}
