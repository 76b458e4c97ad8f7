/*
 * Signals, generation (Linux kernel/signal.c, the sending half): the
 * pending sets - each thread's own and its group's shared one - sending to
 * a thread or to a process (which thread is woken), what SIGCONT, SIGKILL
 * and the stop signals do to the whole group at once, the group stop
 * itself, SIGCHLD to a parent, ITIMER_REAL and the console's signals, and
 * the refcounted handler tables CLONE_SIGHAND shares. Delivery - taking a
 * signal on the way back to ring 3 - is signal.c.
 *
 * The rules follow Linux: a signal nobody would see (ignored and not
 * blocked) is discarded when it is sent; standard signals do not queue (one
 * pending instance per set); a thread takes its own signals before its
 * group's, the synchronous (fault) ones first, then the lowest number.
 */
#include "kernel.h"
#include "errno.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"

#define SYNCHRONOUS_MASK (SIGBIT(SIGSEGV) | SIGBIT(SIGBUS) | SIGBIT(SIGILL) | SIGBIT(SIGTRAP) | \
                          SIGBIT(SIGFPE) | SIGBIT(SIGSYS))   /* faults: taken before the others */
#define STOP_MASK (SIGBIT(SIGSTOP) | SIGBIT(SIGTSTP) | SIGBIT(SIGTTIN) | SIGBIT(SIGTTOU))   /* default: stop */

static struct sighand sighands[NPROC];

/* ---- handler tables (CLONE_SIGHAND shares one) ---------------------------- */

struct sighand *sighand_new(void)
{
    for (int i = 0; i < NPROC; i++) {
        if (sighands[i].refs == 0) {
            memset(&sighands[i], 0, sizeof sighands[i]);
            sighands[i].refs = 1;
            return &sighands[i];
        }
    }
    panic("sighand-table-full");      /* one per process slot: cannot happen */
}

struct sighand *sighand_copy(const struct sighand *from)
{
    struct sighand *sh = sighand_new();
    memcpy(sh->action, from->action, sizeof sh->action);
    return sh;
}

struct sighand *sighand_get(struct sighand *sh)
{
    sh->refs++;
    return sh;
}

void sighand_put(struct sighand *sh)
{
    if (--sh->refs == 0)
        memset(sh, 0, sizeof *sh);
}

/* ---- generation ----------------------------------------------------------- */

static bool ignored(struct proc *p, int sig)
{
    uint64_t h = p->sighand->action[sig].handler;
    return h == SIG_IGN || (h == SIG_DFL && signal_default_action(sig) == SIGACT_IGN);
}

/*
 * A signal is deliverable to p: its own or its group's, not blocked; or its
 * group is stopping. A group signal may have woken a sibling instead: `work`
 * is set here so p's way out to ring 3 takes it (and settles the -ERESTART*
 * the caller returns).
 */
bool signal_pending(struct proc *p)
{
    if (!((p->sig.pending.set | p->leader->sig.shared.set) & ~p->sig.blocked) && !p->sig.stop_pending &&
        !p->pt.trap_pending)
        return false;
    p->sig.work = true;
    return true;
}

/* Was pid `sender` (a thread id, 0 for the kernel) a thread of p's group? */
bool signal_from_group(struct proc *p, int sender)
{
    struct proc *s = sender > 0 ? proc_find(sender) : NULL;
    return s && s->leader == p->leader;
}

/*
 * Take one instance of pending `sig` out of `q`, with its info (real-time: the
 * oldest). An instance without a queue entry (the limit was reached, Linux
 * collect_signal) comes with its info zeroed: SI_USER from pid 0.
 */
static void take_one(struct sigqueue *q, int sig, struct ksiginfo *info);

/* A POSIX timer's signal tells its timer it was taken (ptimer.c); false: drop it, the timer went. */
static bool take(struct sigqueue *q, int sig, struct ksiginfo *info)
{
    take_one(q, sig, info);
    return !info->timer || ptimer_taken(info);
}

static void take_one(struct sigqueue *q, int sig, struct ksiginfo *info)
{
    if (sig < SIGRTMIN_K) {
        *info = q->info[sig];
        q->set &= ~SIGBIT(sig);
        q->entry &= ~SIGBIT(sig);
        return;
    }
    bool more = false;
    int i = 0;
    while (i < q->rtq_len && q->rtq[i].sig != sig)
        i++;
    if (i == q->rtq_len) {
        *info = (struct ksiginfo){ .code = SI_USER };
        q->set &= ~SIGBIT(sig);
        return;
    }
    *info = q->rtq[i].info;
    memmove(&q->rtq[i], &q->rtq[i + 1], (q->rtq_len - i - 1) * sizeof q->rtq[0]);
    q->rtq_len--;
    for (int j = 0; j < q->rtq_len; j++)
        more |= q->rtq[j].sig == sig;
    if (!more)
        q->set &= ~SIGBIT(sig);
}

/* Forget every pending instance of the signals in `mask` queued in `q`. */
static void discard(struct sigqueue *q, uint64_t mask)
{
    struct ksiginfo dropped;
    for (int sig = 1; sig < NSIG; sig++)
        while (q->set & mask & SIGBIT(sig))
            take(q, sig, &dropped);
}

/* Forget every pending instance of `sig` in p and in its group's set (it became ignored). */
void signal_flush(struct proc *p, int sig)
{
    discard(&p->sig.pending, SIGBIT(sig));
    discard(&p->leader->sig.shared, SIGBIT(sig));
}

/*
 * Queue entries held by the user's processes: every process runs as root, so
 * all of them (Linux counts per user, in ucounts). A pending standard signal
 * with an entry counts one, each queued real-time signal one.
 */
static uint64_t rtq_entries(const struct sigqueue *q)
{
    uint64_t n = 0;
    for (int i = 0; i < q->rtq_len; i++)
        n += !q->rtq[i].info.timer;        /* a timer's signal has its timer's count */
    return n;
}

static uint64_t queued_signals(void)
{
    uint64_t n = ptimer_count();           /* each POSIX timer holds one (Linux: preallocated) */
    for (int i = 0; i < NPROC; i++) {
        struct proc *t = proc_slot(i);
        if (!t)
            continue;
        bool alive = t->state != P_ZOMBIE && t->state != P_DEAD;
        if (alive)                         /* an ended thread's set is gone (Linux flush_sigqueue) */
            n += (uint64_t)__builtin_popcountl(t->sig.pending.entry) + rtq_entries(&t->sig.pending);
        if (t->leader == t && (alive || t->nthreads > 0))
            n += (uint64_t)__builtin_popcountl(t->sig.shared.entry) + rtq_entries(&t->sig.shared);
    }
    return n;
}

/*
 * Queue `sig` in `q` of a process of group `leader`: 1 if it is new there, 0
 * if a standard one was already pending, -EAGAIN if it cannot be queued.
 * Linux __send_signal_locked: a queue entry is taken while the user's count
 * stays within the target's RLIMIT_SIGPENDING; a standard signal from the
 * kernel or kill (si_code >= 0) always gets one. Without one a standard
 * signal, or a real-time one from kill (SI_USER), is still pending but its
 * info is lost; any other real-time signal (sigqueue, tgkill) is -EAGAIN.
 */
static int enqueue(struct proc *leader, struct sigqueue *q, int sig, const struct ksiginfo *info)
{
    bool override = sig < SIGRTMIN_K && info->code >= 0;
    if (sig < SIGRTMIN_K && (q->set & SIGBIT(sig)))
        return 0;                          /* standard signals don't queue */
    /* the count scans the process table: only when the answer matters (not for kill's SI_USER
       nor the kernel's own signals, which always get an entry) */
    if (override || queued_signals() + 1 <= rlimit_cur(leader, RLIMIT_SIGPENDING_K)) {
        if (sig >= SIGRTMIN_K) {
            if (q->rtq_len == RTQ_MAX)     /* cannot happen: the limit's ceiling is RTQ_MAX */
                return -EAGAIN;
            q->rtq[q->rtq_len].sig = sig;
            q->rtq[q->rtq_len++].info = *info;
        } else {
            q->info[sig] = *info;
            q->entry |= SIGBIT(sig);
        }
    } else if (sig >= SIGRTMIN_K && info->code != SI_USER) {
        return -EAGAIN;                    /* queue overflow */
    } else if (sig < SIGRTMIN_K) {
        q->info[sig] = (struct ksiginfo){ .code = SI_USER };   /* a silent loss of information */
    }
    q->set |= SIGBIT(sig);
    return 1;
}

/* Tell thread t it has signal work; a sleeping one wakes and its sleep loop sees signal_pending(). */
static void wake(struct proc *t)
{
    t->sig.work = true;
    proc_wake(t);
}

/*
 * What sending `sig` does at once to the whole group, whoever it is for
 * (Linux prepare_signal): SIGCONT and SIGKILL end a group stop and discard
 * pending stop signals - SIGCONT of a stopped group tells the parent
 * (CLD_CONTINUED, once) - and a stop signal discards a pending SIGCONT.
 */
static void prepare(struct proc *leader, int sig)
{
    uint64_t drop = (sig == SIGKILL || sig == SIGCONT) ? STOP_MASK : (SIGBIT(sig) & STOP_MASK) ? SIGBIT(SIGCONT) : 0;
    if (!drop)
        return;
    discard(&leader->sig.shared, drop);
    for (struct proc *t = proc_next_thread(leader, NULL); t; t = proc_next_thread(leader, t))
        discard(&t->sig.pending, drop);
    if (drop != STOP_MASK)
        return;
    for (struct proc *t = proc_next_thread(leader, NULL); t; t = proc_next_thread(leader, t)) {
        t->sig.stop_pending = false;
        if (t->sig.stopped) {
            t->sig.stopped = false;
            proc_wake(t);
        }
    }
    bool stopped = leader->sig.group_stopped, stopping = leader->sig.group_stop_count > 0;
    leader->sig.group_stop_count = 0;
    leader->sig.group_stopped = false;
    if (sig == SIGCONT && (stopped || stopping)) {
        leader->sig.stop_report = 0;
        leader->sig.cont_report = true;
        /* a stop SIGCONT cut short is told as CLD_STOPPED with status 0, as Linux does */
        signal_notify_parent(leader, stopped ? CLD_CONTINUED : CLD_STOPPED, stopped ? SIGCONT : 0);
    }
}

/*
 * Would `sig` to thread t be discarded when sent? A group that has ended or
 * is ending takes nothing; a signal that is ignored and not blocked goes
 * (Linux sig_ignored); pid 1 never receives a default-action signal from
 * anyone else (Linux's SIGNAL_UNKILLABLE; one it blocks waits, and is
 * discarded when delivered with the default action) - one it sends itself
 * (raise, SIGPIPE, a fault) acts as for any process, so a program run as
 * init behaves as it does elsewhere.
 */
static bool dropped(struct proc *t, int sig, int sender)
{
    struct proc *leader = t->leader;
    if (t->state == P_UNUSED || t->state == P_DEAD || leader->nthreads == 0 ||
        (leader->group_exiting && sig != SIGKILL))
        return true;
    if ((t->sig.blocked | t->sig.real_blocked) & SIGBIT(sig))
        return false;                      /* the handler may change before it is unblocked; or
                                              rt_sigtimedwait waits for it (Linux real_blocked) */
    if (proc_is_init(t) && !signal_from_group(t, sender) && t->sighand->action[sig].handler == SIG_DFL)
        return true;
    if (t->pt.tracer)
        return false;                      /* a tracer sees even ignored signals (Linux sig_ignored) */
    return ignored(t, sig);
}

/* si_uid of a signal from pid `sender`: its real uid (Linux: current_uid() at the send); 0 for the kernel. */
static uint32_t sender_uid(int sender)
{
    struct proc *s = sender > 0 ? proc_find(sender) : NULL;
    return s ? s->cred.uid : 0;
}

int signal_send(struct proc *p, int sig, int code, int sender)
{
    return signal_queue(p, sig, &(struct ksiginfo){ .code = code, .pid = sender, .uid = sender_uid(sender) },
                        sender);
}

/*
 * Make `sig` pending in thread p (thread-directed: tkill, tgkill, SIGPIPE),
 * with `info`, from pid `sender` (0: the kernel). Returns 0 - a discarded
 * signal is still a success, as on Linux - or -EAGAIN when the real-time
 * queue is full.
 */
int signal_queue(struct proc *p, int sig, const struct ksiginfo *info, int sender)
{
    if (p->state == P_ZOMBIE || p->state == P_UNUSED || p->state == P_DEAD)
        return 0;
    prepare(p->leader, sig);
    if (dropped(p, sig, sender))
        return 0;
    int r = enqueue(p->leader, &p->sig.pending, sig, info);
    if (r > 0 && (!(p->sig.blocked & SIGBIT(sig)) || sig == SIGKILL))
        wake(p);
    return r < 0 ? r : 0;
}

int signal_send_group(struct proc *q, int sig, int code, int sender)
{
    return signal_queue_group(q, sig, &(struct ksiginfo){ .code = code, .pid = sender, .uid = sender_uid(sender) },
                              sender);
}

/* Can thread t take `sig` now (Linux wants_signal)? */
static bool wants(struct proc *t, int sig)
{
    if (t->state == P_EMBRYO || t->state == P_ZOMBIE || fatal_pending(t))
        return false;
    return sig == SIGKILL || (!(t->sig.blocked & SIGBIT(sig)) && !t->sig.stopped);
}

/*
 * A process-directed signal (kill, rt_sigqueueinfo, SIGCHLD, SIGALRM, the
 * console) to q's thread group, Linux __send_signal + complete_signal: it
 * waits in the group's shared set until some thread takes it - one that
 * does not block it, or that unblocks it later, or waits for it with
 * sigwait or sigsuspend - and one thread that can take it now is woken: the
 * leader if it can (its blocked mask decides what is ignored, as for Linux's
 * target task), else the first such thread. SIGKILL goes straight to every
 * thread. Returns 0 or -EAGAIN (real-time queue full).
 */
int signal_queue_group(struct proc *q, int sig, const struct ksiginfo *info, int sender)
{
    struct proc *leader = q->leader, *t;
    prepare(leader, sig);
    if (dropped(leader, sig, sender))
        return 0;
    if (sig == SIGKILL) {
        for (t = proc_next_thread(leader, NULL); t; t = proc_next_thread(leader, t)) {
            t->sig.pending.set |= SIGBIT(SIGKILL);
            t->sig.pending.info[SIGKILL] = *info;
            wake(t);
        }
        return 0;
    }
    int r = enqueue(leader, &leader->sig.shared, sig, info);
    if (r <= 0)
        return r;
    if (wants(leader, sig)) {
        wake(leader);
        return 0;
    }
    for (t = proc_next_thread(leader, NULL); t; t = proc_next_thread(leader, t)) {
        if (wants(t, sig)) {
            wake(t);
            break;
        }
    }
    return 0;
}

/* The next of the signals in `ready`: the synchronous (fault) ones first, then the lowest number. */
static int pick(uint64_t ready)
{
    if (ready & SYNCHRONOUS_MASK)
        ready &= SYNCHRONOUS_MASK;
    return ready ? __builtin_ctzl(ready) + 1 : 0;
}

/*
 * Take a pending signal of `set` (blocked or not): p's own first, then its
 * group's (Linux dequeue_signal). Returns its number and info, or 0.
 */
int signal_dequeue(struct proc *p, uint64_t set, struct ksiginfo *info)
{
    for (;;) {                             /* a dead timer's signal is dropped: the next one */
        int sig = pick(p->sig.pending.set & set);
        if (sig) {
            if (take(&p->sig.pending, sig, info))
                return sig;
            continue;
        }
        sig = pick(p->leader->sig.shared.set & set);
        if (!sig || take(&p->leader->sig.shared, sig, info))
            return sig;
    }
}

/*
 * This thread's part of a group stop (Linux do_signal_stop): it stops; the
 * last thread of the group to stop tells the parent (CLD_STOPPED, and one
 * wait4 WUNTRACED report); it sleeps until SIGCONT (or SIGKILL) clears it.
 */
static void stop_self(struct proc *p)
{
    struct proc *leader = p->leader;
    p->sig.stop_pending = false;
    p->sig.stopped = true;
    if (--leader->sig.group_stop_count <= 0) {
        int sig = leader->sig.group_stop_sig;
        leader->sig.group_stop_count = 0;
        leader->sig.group_stopped = true;
        leader->sig.stop_report = sig;
        leader->sig.cont_report = false;
        kevent("stop pid=%d signal=%d name=%s", leader->pid, sig, signal_name(sig));
        signal_notify_parent(leader, CLD_STOPPED, sig);
    }
    if (p->pt.tracer)
        ptrace_group_stop(p, leader->sig.group_stop_sig);   /* a tracee stops for its tracer instead */
    while (p->sig.stopped && !fatal_pending(p) && !p->pt.tracer)
        sleep(&p->sig);
    p->sig.stopped = false;
}

/* A stop signal's default action: every thread of the group stops, this one first. */
void signal_group_stop(struct proc *p, int sig)
{
    struct proc *leader = p->leader;
    if (!p->sig.stop_pending) {                    /* not already part of a stop: start one */
        leader->sig.group_stop_sig = sig;
        leader->sig.group_stop_count = 1;
        p->sig.stop_pending = true;
        for (struct proc *t = proc_next_thread(leader, NULL); t; t = proc_next_thread(leader, t)) {
            if (t == p || t->state == P_ZOMBIE || t->sig.stopped || fatal_pending(t))
                continue;
            t->sig.stop_pending = true;
            leader->sig.group_stop_count++;
            wake(t);                               /* an interrupted call restarts after SIGCONT */
        }
    }
    stop_self(p);
}

/* A thread ends: it no longer holds up a group stop (Linux exit_signals). */
void signal_thread_exit(struct proc *p)
{
    struct proc *leader = p->leader;
    if (!p->sig.stop_pending)
        return;
    p->sig.stop_pending = false;
    if (--leader->sig.group_stop_count == 0 && !leader->group_exiting) {
        leader->sig.group_stopped = true;
        leader->sig.stop_report = leader->sig.group_stop_sig;
        signal_notify_parent(leader, CLD_STOPPED, leader->sig.group_stop_sig);
    }
}

/* SIGCHLD to `child`'s parent (si_code `code`, si_status `status`), and wake its wait4. */
void signal_notify_parent(struct proc *child, int code, int status)
{
    struct proc *parent = child->parent;
    if (!parent)
        return;
    if ((code == CLD_STOPPED || code == CLD_CONTINUED) && (parent->sighand->action[SIGCHLD].flags & SA_NOCLDSTOP))
        return;
    signal_queue_group(parent, SIGCHLD, &(struct ksiginfo){ .code = code, .pid = child->pid,
                                                             .uid = child->cred.uid, .status = status },
                       child->pid);
    wakeup(parent);                        /* wait4 sleeps on the parent */
}

/* The timer tick: ITIMER_REAL expiries (one timer per process, in its leader) become SIGALRM. */
void signal_tick(void)
{
    for (int i = 0; i < NPROC; i++) {
        struct proc *p = proc_slot(i);
        if (!p || p->leader != p || !p->sig.alarm_tick || p->sig.alarm_tick > ticks)
            continue;
        p->sig.alarm_tick = p->sig.alarm_interval ? ticks + p->sig.alarm_interval : 0;
        signal_send_group(p, SIGALRM, SI_KERNEL, p->pid);   /* as if sent to itself */
    }
    ptimer_tick();                         /* POSIX timers (ptimer.c) */
}

/* ---- POSIX timers' signals (ptimer.c) --------------------------------------- */

uint64_t signal_queued_count(void)
{
    return queued_signals();
}

/*
 * A POSIX timer's signal to thread t (`thread`: SIGEV_THREAD_ID) or to its
 * group. Its queue entry was taken at timer_create (Linux's preallocated
 * sigqueue), so the limit is not looked at and no second entry is counted.
 * Returns whether it is now pending: false if it was discarded (ignored, the
 * group ends) or a standard signal of that number was already pending.
 */
bool signal_queue_timer(struct proc *t, bool thread, int sig, const struct ksiginfo *info)
{
    struct proc *leader = t->leader;
    struct sigqueue *q = thread ? &t->sig.pending : &leader->sig.shared;
    if (thread && (t->state == P_ZOMBIE || t->state == P_UNUSED || t->state == P_DEAD || t->state == P_EMBRYO))
        return false;                      /* a group's signal: a leader that ended first still has threads
                                              (dropped() looks at the group) */
    prepare(leader, sig);
    if (dropped(thread ? t : leader, sig, leader->pid))
        return false;
    if (sig < SIGRTMIN_K) {
        if (q->set & SIGBIT(sig))
            return false;
        q->info[sig] = *info;              /* no `entry` bit: the timer holds the count */
    } else {
        if (q->rtq_len == RTQ_MAX)
            return false;
        q->rtq[q->rtq_len].sig = sig;
        q->rtq[q->rtq_len++].info = *info;
    }
    q->set |= SIGBIT(sig);
    if (thread) {
        if (!(t->sig.blocked & SIGBIT(sig)))
            wake(t);
        return true;
    }
    if (wants(leader, sig)) {
        wake(leader);
        return true;
    }
    for (struct proc *u = proc_next_thread(leader, NULL); u; u = proc_next_thread(leader, u)) {
        if (wants(u, sig)) {
            wake(u);
            break;
        }
    }
    return true;
}
