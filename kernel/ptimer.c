/*
 * POSIX per-process timers: timer_create, timer_settime, timer_gettime,
 * timer_getoverrun, timer_delete (behaviour of Linux
 * kernel/time/posix-timers.c, 6.13 and later). A timer belongs to its thread
 * group (kept by the leader's pid, never reused), has a per-group id counted
 * up from 0 (Linux's next_posix_timer_id; a failed timer_create after the id
 * was taken still uses it up), and ends at timer_delete, at execve and when
 * the group's last thread exits (Linux exit_itimers).
 *
 * Expiry is seen on the timer tick (TIMER_HZ = 100, 10 ms; timer.c), so a
 * timer fires up to 10 ms late. Its signal is preallocated as on Linux: the
 * queue entry is taken at timer_create (one RLIMIT_SIGPENDING count for the
 * timer's whole life, -EAGAIN past the limit), so the signal itself never
 * fails on the limit. While it is pending the timer does not fire again; a
 * periodic timer is moved forward when its signal is taken (Linux
 * posixtimer_rearm) and the intervals it missed become si_overrun and
 * timer_getoverrun's answer. A signal still pending when its timer is
 * deleted or set again is dropped when it would be taken (Linux
 * posixtimer_deliver_signal compares it_signal_seq).
 *
 * Clocks: CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME (= MONOTONIC:
 * the machine never suspends) and CLOCK_TAI (= REALTIME: no TAI offset is
 * ever set). The CPU-time clocks are -EINVAL (clock_gettime has none either,
 * time.c); MONOTONIC_RAW and the COARSE clocks are -EOPNOTSUPP as on Linux
 * (no timer_create in their k_clock); the alarm clocks -EOPNOTSUPP (Linux
 * without a wake-capable RTC).
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"

#define NPTIMER            64           /* timers in the machine (RLIMIT_SIGPENDING caps them lower) */
#define NS_PER_SEC         1000000000L
#define CLOCK_REALTIME_K   0
#define CLOCK_MONOTONIC_K  1
#define CLOCK_MONO_RAW_K   4            /* MONOTONIC_RAW: no timers on Linux */
#define CLOCK_RT_COARSE_K  5
#define CLOCK_MONO_COARSE_K 6
#define CLOCK_BOOTTIME_K   7
#define CLOCK_RT_ALARM_K   8
#define CLOCK_BOOT_ALARM_K 9
#define CLOCK_TAI_K        11
#define SIGEV_SIGNAL_K     0            /* include/uapi/asm-generic/siginfo.h */
#define SIGEV_NONE_K       1
#define SIGEV_THREAD_K     2            /* the C library's: the kernel sends a signal as SIGEV_SIGNAL */
#define SIGEV_THREAD_ID_K  4            /* to one thread of the group (sigev_notify_thread_id) */
#define TIMER_ABSTIME_K    1
#define SIGEVENT_BYTES     64           /* sizeof(sigevent_t): Linux copies all of it */
#define TIMER_ID_MAX       0x7fffffff   /* ids wrap back to 0 past INT_MAX */

struct ptimer {
    int owner;                 /* the group's leader pid; 0: a free slot */
    int id;                    /* timer_t as the group sees it */
    int clock;
    int notify;                /* SIGEV_* */
    int sig;
    int tid;                   /* SIGEV_THREAD_ID: the thread the signal goes to */
    uint64_t value;            /* sigev_value */
    uint64_t expires;          /* absolute ns on its clock; 0: disarmed */
    uint64_t interval;         /* ns; 0: one shot */
    int64_t overrun;           /* intervals missed while the signal waited (Linux it_overrun, from -1) */
    int64_t overrun_last;      /* timer_getoverrun: the last delivered signal's si_overrun */
    bool queued;               /* its signal is pending: no new expiry until it is taken */
    bool fired;                /* expired, waiting for its signal to be taken before it moves on */
    uint32_t seq;              /* changes at settime and delete: a pending signal of another seq is dropped */
};

static struct ptimer timers[NPTIMER];
static uint32_t next_seq = 1;

/* The next id of each group that has made a timer: by leader pid (pids are never reused). */
static struct { int pid; int next; } idgen[NPROC];

static uint64_t clock_now(int clock)
{
    return clock == CLOCK_REALTIME_K || clock == CLOCK_TAI_K ? time_realtime_ns() : time_monotonic_ns();
}

/* Linux clockid_to_kclock + kc->timer_create: 0, -EINVAL (no such clock here) or -EOPNOTSUPP. */
static int clock_check(int64_t clock)
{
    switch (clock) {
    case CLOCK_REALTIME_K: case CLOCK_MONOTONIC_K: case CLOCK_BOOTTIME_K: case CLOCK_TAI_K:
        return 0;
    case CLOCK_MONO_RAW_K: case CLOCK_RT_COARSE_K: case CLOCK_MONO_COARSE_K:
    case CLOCK_RT_ALARM_K: case CLOCK_BOOT_ALARM_K:
        return -EOPNOTSUPP;
    default:
        return -EINVAL;          /* the CPU-time clocks (2, 3, negative ids) are not kept */
    }
}

/* Timers alive in the machine: each holds one RLIMIT_SIGPENDING count (sigsend.c). */
uint64_t ptimer_count(void)
{
    uint64_t n = 0;
    for (int i = 0; i < NPTIMER; i++)
        n += timers[i].owner != 0;
    return n;
}

static int take_id(struct proc *leader)
{
    int free = -1;
    for (int i = 0; i < NPROC; i++) {
        if (idgen[i].pid == leader->pid) {
            int id = idgen[i].next;
            idgen[i].next = id == TIMER_ID_MAX ? 0 : id + 1;
            return id;
        }
        if (free < 0 && (!idgen[i].pid || !proc_find(idgen[i].pid)))
            free = i;
    }
    idgen[free].pid = leader->pid;           /* NPROC entries: one per live group at most */
    idgen[free].next = 1;
    return 0;
}

static bool id_used(int owner, int id)
{
    for (int i = 0; i < NPTIMER; i++)
        if (timers[i].owner == owner && timers[i].id == id)
            return true;
    return false;
}

/* The caller's group's timer `id`, or NULL (Linux lock_timer: -EINVAL). */
static struct ptimer *lookup(int64_t id)
{
    int owner = myproc()->leader->pid;
    if (id < 0 || id > TIMER_ID_MAX)
        return NULL;
    for (int i = 0; i < NPTIMER; i++)
        if (timers[i].owner == owner && timers[i].id == id)
            return &timers[i];
    return NULL;
}

static void release(struct ptimer *t)
{
    t->seq = next_seq++;                     /* a pending signal of it is dropped when taken */
    t->owner = 0;
}

/* timer_create(clockid, struct sigevent *, timer_t *): in Linux's order of checks. `compat`:
   i386's compat_sigevent (a 4-byte sigev_value, the rest 4 bytes lower, Linux
   get_compat_sigevent; 64 bytes read all the same). */
static int64_t do_create(struct trapframe *tf, bool compat)
{
    struct proc *p = myproc(), *leader = p->leader;
    uint8_t ev[SIGEVENT_BYTES];
    if (tf->rsi && copyin(p->pml4, ev, tf->rsi, sizeof ev))
        return -EFAULT;
    int r = clock_check((int32_t)tf->rdi);
    if (r)
        return r;
    struct ptimer *t = NULL;
    for (int i = 0; i < NPTIMER && !t; i++)
        if (!timers[i].owner)
            t = &timers[i];
    if (!t || signal_queued_count() + 1 > rlimit_cur(leader, RLIMIT_SIGPENDING_K))
        return -EAGAIN;                      /* the preallocated signal (Linux posixtimer_init_sigqueue) */
    int id;
    do
        id = take_id(leader);
    while (id_used(leader->pid, id));
    struct ptimer nt = { .id = id, .clock = (int32_t)tf->rdi, .notify = SIGEV_SIGNAL_K, .sig = SIGALRM,
                         .value = (uint64_t)id, .overrun = -1 };
    if (tf->rsi) {
        int32_t signo, notify, tid;
        unsigned at = compat ? 4 : 8;        /* where sigev_signo starts */
        nt.value = 0;
        memcpy(&nt.value, ev, at);
        memcpy(&signo, ev + at, 4);
        memcpy(&notify, ev + at + 4, 4);
        memcpy(&tid, ev + at + 8, 4);
        /* Linux good_sigevent */
        if (notify == SIGEV_THREAD_ID_K) {
            struct proc *th = tid > 0 ? proc_find(tid) : NULL;
            if (!th || th->leader != leader || th->state == P_ZOMBIE || th->state == P_DEAD)
                return -EINVAL;
            nt.tid = tid;
        } else if (notify != SIGEV_SIGNAL_K && notify != SIGEV_THREAD_K && notify != SIGEV_NONE_K) {
            return -EINVAL;
        }
        if (notify != SIGEV_NONE_K && (signo <= 0 || signo >= NSIG))
            return -EINVAL;
        nt.notify = notify;
        nt.sig = signo;
    }
    int32_t out = id;
    if (copyout(p->pml4, tf->rdx, &out, sizeof out))
        return -EFAULT;
    nt.owner = leader->pid;
    nt.seq = next_seq++;
    *t = nt;
    return 0;
}

int64_t sys_timer_create(struct trapframe *tf) { return do_create(tf, false); }
/* i386 timer_create (259) */
int64_t sys_timer_create32(struct trapframe *tf) { return do_create(tf, true); }

struct itspec { int64_t interval[2], value[2]; };   /* struct __kernel_itimerspec */

/* An itimerspec from user space: __kernel_itimerspec, or i386's old_itimerspec32 (four signed
   32-bit fields, Linux get_old_itimerspec32). */
static int itspec_in(uint64_t uaddr, struct itspec *s, bool compat)
{
    if (!compat)
        return copyin(myproc()->pml4, s, uaddr, sizeof *s) ? -EFAULT : 0;
    int32_t v[4];
    if (copyin(myproc()->pml4, v, uaddr, sizeof v))
        return -EFAULT;
    *s = (struct itspec){ { v[0], v[1] }, { v[2], v[3] } };
    return 0;
}

static int itspec_out(uint64_t uaddr, const struct itspec *s, bool compat)
{
    if (!compat)
        return copyout(myproc()->pml4, uaddr, s, sizeof *s) ? -EFAULT : 0;
    int32_t v[4] = { (int32_t)s->interval[0], (int32_t)s->interval[1], (int32_t)s->value[0], (int32_t)s->value[1] };
    return copyout(myproc()->pml4, uaddr, v, sizeof v) ? -EFAULT : 0;
}

static int to_ns(const int64_t ts[2], uint64_t *ns)
{
    if (ts[0] < 0 || ts[1] < 0 || ts[1] >= NS_PER_SEC)
        return -EINVAL;                      /* timespec64_valid */
    *ns = (uint64_t)ts[0] > TIME_NS_MAX / NS_PER_SEC ? TIME_NS_MAX :
          time_add_ns((uint64_t)ts[0] * NS_PER_SEC, (uint64_t)ts[1]);   /* saturates, as ktime_set */
    return 0;
}

/* Move a periodic timer past `now`: the intervals it skipped are overruns (Linux hrtimer_forward). */
static void forward(struct ptimer *t, uint64_t now)
{
    if (!t->interval || t->expires > now)
        return;
    uint64_t n = (now - t->expires) / t->interval + 1;
    t->expires = time_add_ns(t->expires, n * t->interval);
    t->overrun += (int64_t)n;
}

/* Linux common_timer_get: what is left and the interval. */
static struct itspec get(struct ptimer *t)
{
    struct itspec s = { { (int64_t)(t->interval / NS_PER_SEC), (int64_t)(t->interval % NS_PER_SEC) }, { 0, 0 } };
    if (!t->expires)
        return s;
    uint64_t now = clock_now(t->clock);
    if (t->interval && (t->notify == SIGEV_NONE_K || t->fired))
        forward(t, now);
    if (t->expires > now) {
        uint64_t left = t->expires - now;
        s.value[0] = (int64_t)(left / NS_PER_SEC);
        s.value[1] = (int64_t)(left % NS_PER_SEC);
    } else if (t->notify != SIGEV_NONE_K && (t->interval || t->queued)) {
        s.value[1] = 1;                      /* expired, its signal pending: still active */
    }
    return s;
}

/* timer_settime(id, flags, new, old) */
static int64_t do_settime(struct trapframe *tf, bool compat)
{
    struct itspec ns, os;
    if (!tf->rdx)
        return -EINVAL;
    if (itspec_in(tf->rdx, &ns, compat))
        return -EFAULT;
    uint64_t value, interval;
    if (to_ns(ns.interval, &interval) || to_ns(ns.value, &value))
        return -EINVAL;
    struct ptimer *t = lookup((int32_t)tf->rdi);
    if (!t)
        return -EINVAL;
    os = get(t);
    t->seq = next_seq++;                     /* a signal of the old setting is dropped */
    t->queued = t->fired = false;
    t->overrun = -1;
    t->overrun_last = 0;
    t->interval = value ? interval : 0;
    if (!value) {
        t->expires = 0;
    } else {
        uint64_t now = clock_now(t->clock);
        t->expires = (tf->rsi & TIMER_ABSTIME_K) ? value : time_add_ns(now, value);
        if (!t->expires)
            t->expires = 1;                  /* absolute 0: already past, still armed */
    }
    if (tf->r10 && itspec_out(tf->r10, &os, compat))
        return -EFAULT;
    return 0;
}

static int64_t do_gettime(struct trapframe *tf, bool compat)
{
    struct ptimer *t = lookup((int32_t)tf->rdi);
    if (!t)
        return -EINVAL;
    struct itspec s = get(t);
    return itspec_out(tf->rsi, &s, compat);
}

int64_t sys_timer_settime(struct trapframe *tf) { return do_settime(tf, false); }
int64_t sys_timer_gettime(struct trapframe *tf) { return do_gettime(tf, false); }
/* i386 timer_settime (260) and timer_gettime (261): old_itimerspec32; the _time64 ones (409,
   408) are the calls above */
int64_t sys_timer_settime32(struct trapframe *tf) { return do_settime(tf, true); }
int64_t sys_timer_gettime32(struct trapframe *tf) { return do_gettime(tf, true); }

int64_t sys_timer_getoverrun(struct trapframe *tf)
{
    struct ptimer *t = lookup((int32_t)tf->rdi);
    if (!t)
        return -EINVAL;
    return t->overrun_last > TIMER_ID_MAX ? TIMER_ID_MAX : t->overrun_last;   /* DELAYTIMER_MAX */
}

int64_t sys_timer_delete(struct trapframe *tf)
{
    struct ptimer *t = lookup((int32_t)tf->rdi);
    if (!t)
        return -EINVAL;
    release(t);
    return 0;
}

/* execve and the group's end: every timer of group `leader_pid` goes (Linux exit_itimers). */
void ptimer_exit(int leader_pid)
{
    for (int i = 0; i < NPTIMER; i++)
        if (timers[i].owner == leader_pid)
            release(&timers[i]);
}

/*
 * A timer's signal is being taken off a pending set (delivery, sigwait, or
 * discarded because it became ignored): false if its timer was deleted or
 * set again since (the signal is dropped), else its si_overrun is filled in
 * and a periodic timer moves on.
 */
bool ptimer_taken(struct ksiginfo *info)
{
    struct ptimer *t = &timers[info->timer - 1];
    if (!t->owner || t->seq != info->timer_seq)
        return false;
    t->queued = false;
    if (t->fired) {
        t->fired = false;
        forward(t, clock_now(t->clock));
    }
    t->overrun_last = t->overrun < 0 ? 0 : t->overrun;
    t->overrun = -1;
    info->uid = (uint32_t)(t->overrun_last > TIMER_ID_MAX ? TIMER_ID_MAX : t->overrun_last);   /* si_overrun */
    return true;
}

/* The timer tick: expired timers send their signal (Linux posix_timer_fn). */
void ptimer_tick(void)
{
    for (int i = 0; i < NPTIMER; i++) {
        struct ptimer *t = &timers[i];
        if (!t->owner || !t->expires || t->fired || t->notify == SIGEV_NONE_K)
            continue;
        uint64_t now = clock_now(t->clock);
        if (t->expires > now)
            continue;
        struct proc *leader = proc_find(t->owner), *to = leader;
        if (t->notify == SIGEV_THREAD_ID_K) {
            to = proc_find(t->tid);
            if (to && to->leader != leader)
                to = NULL;
        }
        struct ksiginfo info = { .code = SI_TIMER, .pid = t->id, .value = t->value,
                                 .timer = i + 1, .timer_seq = t->seq };
        bool queued = leader && to && signal_queue_timer(to, t->notify == SIGEV_THREAD_ID_K, t->sig, &info);
        if (queued) {
            t->queued = true;
            t->fired = true;                 /* moves on when the signal is taken */
            if (!t->interval)
                t->expires = 0;
        } else if (t->interval) {
            forward(t, now);                 /* nobody took it: the next period */
        } else {
            t->expires = 0;
        }
    }
}
