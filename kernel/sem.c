/*
 * System V semaphores as Linux's ipc/sem.c: semget, semop, semtimedop, semctl (GETVAL,
 * SETVAL, GETALL, SETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT, SEM_STAT, SEM_STAT_ANY,
 * IPC_SET, IPC_RMID, IPC_INFO, SEM_INFO) with keys, permissions (ipc.c), Linux's limits
 * (SEMMSL 32000 a set, SEMOPM 500 operations a call, SEMVMX 32767) and its id scheme.
 *
 * A semop applies all its operations or none (Linux perform_atomic_semop). One that cannot
 * go on sleeps as a waiter on its set's queue, oldest first; whoever changes the set's
 * values completes the waiters that can go on now, in queue order, on their behalf (Linux
 * update_queue), so a woken semop has already happened. A waiter's `status` says how it
 * ended: 0, an error of its own operations (-ERANGE), or -EIDRM when IPC_RMID took the
 * set; a sleeper that wakes with it still pending (a signal: -EINTR, its timeout: -EAGAIN)
 * takes itself off the queue. The waiter lives on the sleeper's stack and only the set's
 * queue points to it, so neither outlives the other unseen.
 *
 * SEM_UNDO: each process (the threads that share it by CLONE_SYSVSEM) has an undo list
 * (`ulists`), with one undo per set it used SEM_UNDO on: the adjustment of each semaphore,
 * applied when the list's last thread ends (Linux exit_sem), each value kept in [0, SEMVMX].
 *
 * Who owns what (docs/lifetimes.md): a set is a slot of `sets`, made by semget, freed by
 * IPC_RMID with its values' pages and every undo for it (their lists forget them); an
 * undo list is a slot of `ulists`, made at the first SEM_UNDO, held by each thread that
 * shares it, freed with its undos by the last one's exit.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "ipc.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"

#define NSETS         64              /* sets at once: -ENOSPC past it (Linux SEMMNI 32000) */
#define NUNDOS        256             /* undos of every process: -ENOMEM past it */
#define SEMMNI        32000           /* include/uapi/linux/sem.h, as IPC_INFO reports them */
#define SEMMSL        32000           /* semaphores in a set */
#define SEMMNS        (SEMMNI * SEMMSL)
#define SEMOPM        500             /* operations in one semop */
#define SEMVMX        32767           /* a semaphore's largest value */
#define SEMAEM        SEMVMX          /* an adjustment's largest size */
#define SEMUME        SEMOPM
#define SEMMNU        SEMMNS
#define SEMMAP        SEMMNS
#define SEMUSZ        20
#define SEM_UNDO      0x1000          /* sem_flg: undo at exit */
#define GETPID        11
#define GETVAL        12
#define GETALL        13
#define GETNCNT       14
#define GETZCNT       15
#define SETVAL        16
#define SETALL        17
#define CLONE_SYSVSEM 0x00040000      /* share the undo list */
#define SEMS_PER_PAGE (PAGE_SIZE / sizeof(struct sem))
#define SEM_PAGES     ((SEMMSL + SEMS_PER_PAGE - 1) / SEMS_PER_PAGE)
#define ADJ_PER_PAGE  (PAGE_SIZE / sizeof(int16_t))
#define ADJ_PAGES     ((SEMMSL + ADJ_PER_PAGE - 1) / ADJ_PER_PAGE)
#define SOPS_ON_STACK 16              /* a longer semop's operations are copied to a page */

struct sem { int32_t val, pid; };

struct seminfo { int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem; };
struct sembuf { uint16_t num; int16_t op; int16_t flg; };
_Static_assert(sizeof(struct sembuf) == 6, "struct sembuf is 6 bytes");

struct undo;
struct waiter {
    struct waiter *next;
    struct proc *p;
    const struct sembuf *sops;
    int nsops;
    struct undo *un;                  /* its SEM_UNDO adjustments, or NULL */
    int status;                       /* 1 while queued, then its result */
    int blocking;                     /* the operation it waits on (GETNCNT, GETZCNT) */
};

struct semset {
    bool used;
    uint16_t seq;
    struct semid64_ds ds;
    struct sem *pg[SEM_PAGES];        /* kalloc'd: the values */
    struct waiter *head;              /* sleeping semops, oldest first */
    struct undo *undos;               /* every undo for this set (through set_next) */
};

struct ulist {
    int refs;                         /* threads holding it; 0: a free slot */
    struct undo *head;                /* through list_next */
};

struct undo {
    bool used;
    int semid;
    struct semset *set;
    struct ulist *ul;
    struct undo *set_next, *list_next;
    int16_t *adj[ADJ_PAGES];          /* kalloc'd: -(the sum of its SEM_UNDO operations) */
};

static struct semset sets[NSETS];
static struct undo undos[NUNDOS];
static struct ulist ulists[NPROC];
static struct ulist *ulist_of[NPROC];  /* a thread's undo list, by its slot (proc_slot) */
static uint64_t used_sems;             /* semaphores in every set (SEM_INFO) */

static struct sem *sem_at(struct semset *s, uint64_t i) { return &s->pg[i / SEMS_PER_PAGE][i % SEMS_PER_PAGE]; }
static int16_t *adj_at(struct undo *u, uint64_t i) { return &u->adj[i / ADJ_PER_PAGE][i % ADJ_PER_PAGE]; }
static int slot_of(const struct proc *p) { return (int)(p - proc_slot(0)); }

static struct semset *by_id(int id)
{
    if (id < 0 || id % IPC_SEQ_MULT >= NSETS)
        return NULL;
    struct semset *s = &sets[id % IPC_SEQ_MULT];
    return s->used && s->seq == id / IPC_SEQ_MULT ? s : NULL;
}

static int id_of(const struct semset *s) { return s->seq * IPC_SEQ_MULT + (int)(s - sets); }

static void undo_free(struct undo *u)
{
    for (uint64_t k = 0; k < ADJ_PAGES && u->adj[k]; k++)
        kfree(u->adj[k]);
    *u = (struct undo){ 0 };
}

/* Unlink u from its process's list and its set's list, and free it. */
static void undo_unlink(struct undo *u)
{
    for (struct undo **pp = &u->ul->head; *pp; pp = &(*pp)->list_next)
        if (*pp == u) {
            *pp = u->list_next;
            break;
        }
    for (struct undo **pp = &u->set->undos; *pp; pp = &(*pp)->set_next)
        if (*pp == u) {
            *pp = u->set_next;
            break;
        }
    undo_free(u);
}

/*
 * Try `sops` on the set all at once (Linux perform_atomic_semop): 0 applied (values,
 * undo adjustments, pids), 1 must wait (*blocking: the operation), -EAGAIN must wait but
 * IPC_NOWAIT, -ERANGE a value or an adjustment out of range; nothing changes unless 0.
 */
static int try_sops(struct semset *s, const struct sembuf *sops, int nsops, struct undo *un, int tgid,
                    int *blocking)
{
    int i, r = 0;
    for (i = 0; i < nsops; i++) {
        const struct sembuf *o = &sops[i];
        struct sem *m = sem_at(s, o->num);
        int32_t v = m->val;
        if ((o->op == 0 && v != 0) || v + o->op < 0) {
            *blocking = i;
            r = (o->flg & IPC_NOWAIT) ? -EAGAIN : 1;
            break;
        }
        if (v + o->op > SEMVMX) {
            r = -ERANGE;
            break;
        }
        if (o->flg & SEM_UNDO) {
            int32_t a = *adj_at(un, o->num) - o->op;
            if (a < -SEMAEM - 1 || a > SEMAEM) {
                r = -ERANGE;
                break;
            }
            *adj_at(un, o->num) = (int16_t)a;
        }
        m->val = v + o->op;
    }
    if (r) {
        while (i-- > 0) {                 /* back out what went before */
            sem_at(s, sops[i].num)->val -= sops[i].op;
            if (sops[i].flg & SEM_UNDO)
                *adj_at(un, sops[i].num) += sops[i].op;
        }
        return r;
    }
    for (i = 0; i < nsops; i++)
        sem_at(s, sops[i].num)->pid = tgid;
    s->ds.otime = ipc_now_s();
    return 0;
}

/* The values changed: complete, oldest first, every waiter that can go on now, again from
   the start after each success (it may have let an earlier one through). */
static void update_queue(struct semset *s)
{
    for (bool again = true; again;) {
        again = false;
        for (struct waiter **pp = &s->head, *w; (w = *pp);) {
            int r = try_sops(s, w->sops, w->nsops, w->un, w->p->tgid, &w->blocking);
            if (r == 1) {
                pp = &w->next;
                continue;
            }
            *pp = w->next;
            w->status = r;                /* 0, or -ERANGE (IPC_NOWAIT never sleeps) */
            wakeup(w);
            if (r == 0) {
                again = true;
                break;
            }
        }
    }
}

/* A new undo list for p. Never NULL: each list in use is held by a live thread, which has
   only one, so NPROC lists always leave one free. */
static struct ulist *ulist_new(struct proc *p)
{
    struct ulist *ul = NULL;
    for (int i = 0; i < NPROC && !ul; i++)
        if (!ulists[i].refs)
            ul = &ulists[i];
    *ul = (struct ulist){ .refs = 1 };
    ulist_of[slot_of(p)] = ul;
    return ul;
}

/* The calling thread's undo for set id, made on first use (Linux find_alloc_undo). */
static int find_undo(struct proc *p, int id, struct undo **out)
{
    struct semset *s = by_id(id);
    if (!s)
        return -EINVAL;
    struct ulist *ul = ulist_of[slot_of(p)];
    if (ul)
        for (struct undo *u = ul->head; u; u = u->list_next)
            if (u->semid == id) {
                *out = u;
                return 0;
            }
    if (!ul)
        ul = ulist_new(p);
    struct undo *u = NULL;
    for (int i = 0; i < NUNDOS && !u; i++)
        if (!undos[i].used)
            u = &undos[i];
    if (!u)
        return -ENOMEM;
    *u = (struct undo){ .used = true, .semid = id, .set = s, .ul = ul };
    for (uint64_t k = 0; k * ADJ_PER_PAGE < s->ds.nsems; k++)
        if (!(u->adj[k] = kalloc())) {
            undo_free(u);
            return -ENOMEM;
        }
    u->list_next = ul->head, ul->head = u;
    u->set_next = s->undos, s->undos = u;
    *out = u;
    return 0;
}

int64_t sys_semget(struct trapframe *tf)
{
    int32_t key = (int32_t)tf->rdi;
    int nsems = (int)tf->rsi, flg = (int)tf->rdx;
    if (nsems < 0 || nsems > SEMMSL)
        return -EINVAL;
    if (key != IPC_PRIVATE) {
        for (int i = 0; i < NSETS; i++) {
            struct semset *s = &sets[i];
            if (!s->used || s->ds.perm.key != key)
                continue;
            if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
                return -EEXIST;
            if ((uint64_t)nsems > s->ds.nsems)
                return -EINVAL;           /* Linux sem_more_checks */
            int r = ipc_perms(&s->ds.perm, flg & 0777);
            return r ? r : id_of(s);
        }
        if (!(flg & IPC_CREAT))
            return -ENOENT;
    }
    if (nsems == 0)
        return -EINVAL;
    if (used_sems + (uint64_t)nsems > SEMMNS)
        return -ENOSPC;
    int slot = 0;
    while (slot < NSETS && sets[slot].used)
        slot++;
    struct semset n = { .used = true };
    uint64_t npg = ((uint64_t)nsems + SEMS_PER_PAGE - 1) / SEMS_PER_PAGE;
    for (uint64_t k = 0; k < npg; k++)
        if (!(n.pg[k] = kalloc())) {
            while (k-- > 0)
                kfree(n.pg[k]);
            return -ENOMEM;
        }
    if (slot == NSETS) {
        for (uint64_t k = 0; k < npg; k++)
            kfree(n.pg[k]);
        return -ENOSPC;
    }
    struct semset *s = &sets[slot];
    n.seq = (uint16_t)((s->seq + 1) % IPC_SEQ_MAX);
    n.ds.perm = ipc_perm_new(key, flg, n.seq);
    n.ds.nsems = (uint64_t)nsems;
    n.ds.ctime = ipc_now_s();
    *s = n;
    used_sems += (uint64_t)nsems;
    return id_of(s);
}

/* Linux do_semtimedop, its checks in its order (nsops is an unsigned int there too: the
   upper half of the register is not looked at); ts_err: the timeout's -EINVAL, if any. */
static int64_t semtimedop(int id, uint64_t usops, uint32_t nsops, bool timed, uint64_t deadline_ns, int ts_err)
{
    struct proc *p = myproc();
    struct sembuf stack_sops[SOPS_ON_STACK], *sops = stack_sops;
    if (nsops < 1 || id < 0)
        return -EINVAL;
    if (nsops > SEMOPM)
        return -E2BIG;
    if (nsops > SOPS_ON_STACK && !(sops = kalloc()))
        return -ENOMEM;
    _Static_assert(SEMOPM * sizeof(struct sembuf) <= PAGE_SIZE, "a page holds every operation");
    int64_t r = copyin(p->pml4, sops, usops, (uint64_t)nsops * sizeof *sops) ? -EFAULT : ts_err;
    int max = 0;
    bool undo = false, alter = false;
    for (int i = 0; !r && i < (int)nsops; i++) {
        max = sops[i].num > max ? sops[i].num : max;
        undo |= (sops[i].flg & SEM_UNDO) != 0;
        alter |= sops[i].op != 0;
    }
    struct undo *un = NULL;
    if (!r && undo)
        r = find_undo(p, id, &un);
    struct semset *s = r ? NULL : by_id(id);
    if (!r && !s)
        r = -EINVAL;
    if (!r && (uint64_t)max >= s->ds.nsems)
        r = -EFBIG;
    if (!r)
        r = ipc_perms(&s->ds.perm, alter ? 0222 : 0444);
    struct waiter w = { .p = p, .sops = sops, .nsops = (int)nsops, .un = un, .status = 1 };
    if (!r) {
        r = try_sops(s, sops, (int)nsops, un, p->tgid, &w.blocking);
        if (r == 0 && alter)
            update_queue(s);
    }
    if (r == 1 && timed && time_monotonic_ns() >= deadline_ns)
        r = -EAGAIN;
    if (r == 1) {
        struct waiter **tail = &s->head;
        while (*tail)
            tail = &(*tail)->next;
        *tail = &w;
        /* Asleep on the waiter (or the clock when timed); every wake re-checks w.status,
           which update_queue or IPC_RMID set before waking: the set is only touched again
           while w is still on its queue, so while the set is alive. */
        while (w.status == 1) {
            if (signal_pending(p) || (timed && time_monotonic_ns() >= deadline_ns))
                break;
            sleep(timed ? (void *)&ticks : (void *)&w);
        }
        if (w.status == 1) {
            for (struct waiter **pp = &s->head; *pp; pp = &(*pp)->next)
                if (*pp == &w) {
                    *pp = w.next;
                    break;
                }
            w.status = signal_pending(p) ? -EINTR : -EAGAIN;
        }
        r = w.status;
    }
    if (sops != stack_sops)
        kfree(sops);
    return r;
}

int64_t sys_semop(struct trapframe *tf)
{
    return semtimedop((int)tf->rdi, tf->rsi, (uint32_t)tf->rdx, false, 0, 0);
}

/* Linux ksys_semtimedop: the timespec is read first (-EFAULT), judged after the operations
   are read (-EINVAL); ts32: an i386 old_timespec32 (two 32-bit words, ipc32.c). */
int64_t sem_timedop(int id, uint64_t usops, uint32_t nsops, uint64_t uts, bool ts32)
{
    uint64_t ns = 0;
    int ts_err = 0;
    if (uts && ts32) {
        int32_t t[2];
        if (copyin(myproc()->pml4, t, uts, sizeof t))
            return -EFAULT;
        if (t[0] < 0 || t[1] < 0 || t[1] >= 1000000000)
            ts_err = -EINVAL;
        else
            ns = (uint64_t)t[0] * 1000000000 + (uint64_t)t[1];
    } else if (uts) {
        ts_err = timespec_from_user(uts, &ns);
        if (ts_err == -EFAULT)
            return ts_err;
    }
    return semtimedop(id, usops, nsops, uts != 0, time_add_ns(time_monotonic_ns(), ns), ts_err);
}

int64_t sys_semtimedop(struct trapframe *tf)
{
    return sem_timedop((int)tf->rdi, tf->rsi, (uint32_t)tf->rdx, tf->r10, false);
}

/* IPC_RMID: waiters end with -EIDRM, undos for the set go from their lists, the values go. */
static void freeset(struct semset *s)
{
    for (struct waiter *w = s->head, *n; w; w = n) {
        n = w->next;
        w->status = -EIDRM;
        wakeup(w);
    }
    while (s->undos)
        undo_unlink(s->undos);
    for (uint64_t k = 0; k < SEM_PAGES && s->pg[k]; k++)
        kfree(s->pg[k]);
    used_sems -= s->ds.nsems;
    uint16_t seq = s->seq;
    *s = (struct semset){ .seq = seq };
}

/* GETNCNT / GETZCNT: the waiters whose blocking operation waits on semaphore n (Linux
   count_semcnt, the SUS behaviour since 4.x). */
static int count_waiters(struct semset *s, int n, bool zero)
{
    int c = 0;
    for (struct waiter *w = s->head; w; w = w->next) {
        const struct sembuf *o = &w->sops[w->blocking];
        c += o->num == n && (zero ? o->op == 0 : o->op < 0);
    }
    return c;
}

static int max_idx(void)
{
    int m = 0;
    for (int i = 0; i < NSETS; i++)
        if (sets[i].used)
            m = i;
    return m;
}

static int64_t semctl_main(struct proc *p, int id, int n, int cmd, uint64_t arg)
{
    struct semset *s = by_id(id);
    if (!s)
        return -EINVAL;
    if (ipc_perms(&s->ds.perm, cmd == SETALL ? 0222 : 0444))
        return -EACCES;
    uint64_t nsems = s->ds.nsems;
    if (cmd == GETALL || cmd == SETALL) {
        uint16_t buf[256];
        for (uint64_t i = 0; cmd == SETALL && i < nsems; i += 256) {
            uint64_t k = nsems - i < 256 ? nsems - i : 256;
            if (copyin(p->pml4, buf, arg + i * 2, k * 2))
                return -EFAULT;
            for (uint64_t j = 0; j < k; j++)
                if (buf[j] > SEMVMX)
                    return -ERANGE;
        }
        for (uint64_t i = 0; i < nsems; i += 256) {
            uint64_t k = nsems - i < 256 ? nsems - i : 256;
            if (cmd == GETALL) {
                for (uint64_t j = 0; j < k; j++)
                    buf[j] = (uint16_t)sem_at(s, i + j)->val;
                if (copyout(p->pml4, arg + i * 2, buf, k * 2))
                    return -EFAULT;
                continue;
            }
            (void)copyin(p->pml4, buf, arg + i * 2, k * 2);   /* read above: no sleep between */
            for (uint64_t j = 0; j < k; j++)
                *sem_at(s, i + j) = (struct sem){ .val = buf[j], .pid = p->tgid };
        }
        if (cmd == SETALL) {
            for (struct undo *u = s->undos; u; u = u->set_next)
                for (uint64_t i = 0; i < nsems; i++)
                    *adj_at(u, i) = 0;
            s->ds.ctime = ipc_now_s();
            update_queue(s);
        }
        return 0;
    }
    if (n < 0 || (uint64_t)n >= nsems)
        return -EINVAL;
    switch (cmd) {
    case GETVAL: return sem_at(s, (uint64_t)n)->val;
    case GETPID: return sem_at(s, (uint64_t)n)->pid;
    case GETNCNT: return count_waiters(s, n, false);
    default: return count_waiters(s, n, true);   /* GETZCNT */
    }
}

/* IPC_STAT, SEM_STAT, SEM_STAT_ANY into a kernel copy (the i386 calls convert it, ipc32.c). */
int64_t semctl_stat_k(int id, int cmd, struct semid64_ds *out)
{
    struct semset *s = cmd == IPC_STAT ? by_id(id) : (id >= 0 && id < NSETS && sets[id].used ? &sets[id] : NULL);
    if (!s)
        return -EINVAL;
    if (cmd != SEM_STAT_ANY && ipc_perms(&s->ds.perm, 0444))
        return -EACCES;
    *out = s->ds;
    return cmd == IPC_STAT ? 0 : id_of(s);
}

/* IPC_SET (from `in`, a kernel copy) and IPC_RMID (Linux semctl_down). */
int64_t semctl_down_k(int id, int cmd, const struct semid64_ds *in)
{
    struct semset *s = by_id(id);
    if (!s)
        return -EINVAL;
    int r = ipc_owner(&s->ds.perm);
    if (r)
        return r;
    if (cmd == IPC_RMID) {
        freeset(s);
        return 0;
    }
    if ((r = ipc_perm_set(&s->ds.perm, &in->perm)))
        return r;
    s->ds.ctime = ipc_now_s();
    return 0;
}

int64_t sys_semctl(struct trapframe *tf)
{
    struct proc *p = myproc();
    int id = (int)tf->rdi, n = (int)tf->rsi, cmd = (int)tf->rdx;
    uint64_t arg = tf->r10;
    struct semid64_ds ds;
    if (id < 0)
        return -EINVAL;
    switch (cmd) {
    case IPC_INFO:
    case SEM_INFO: {
        struct seminfo info = { .semmap = SEMMAP, .semmni = SEMMNI, .semmns = SEMMNS, .semmnu = SEMMNU,
                                .semmsl = SEMMSL, .semopm = SEMOPM, .semume = SEMUME, .semusz = SEMUSZ,
                                .semvmx = SEMVMX, .semaem = SEMAEM };
        if (cmd == SEM_INFO) {
            info.semusz = 0;
            for (int i = 0; i < NSETS; i++)
                info.semusz += sets[i].used;
            info.semaem = (int32_t)used_sems;
        }
        return copyout(p->pml4, arg, &info, sizeof info) ? -EFAULT : max_idx();
    }
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY: {
        int64_t r = semctl_stat_k(id, cmd, &ds);
        return r >= 0 && copyout(p->pml4, arg, &ds, sizeof ds) ? -EFAULT : r;
    }
    case GETALL:
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT:
    case SETALL:
        return semctl_main(p, id, n, cmd, arg);
    case SETVAL: {
        int val = (int)arg;
        if (val < 0 || val > SEMVMX)
            return -ERANGE;
        struct semset *s = by_id(id);
        if (!s || n < 0 || (uint64_t)n >= s->ds.nsems)
            return -EINVAL;
        if (ipc_perms(&s->ds.perm, 0222))
            return -EACCES;
        *sem_at(s, (uint64_t)n) = (struct sem){ .val = val, .pid = p->tgid };
        for (struct undo *u = s->undos; u; u = u->set_next)
            *adj_at(u, (uint64_t)n) = 0;
        s->ds.ctime = ipc_now_s();
        update_queue(s);
        return 0;
    }
    case IPC_SET:
        if (copyin(p->pml4, &ds, arg, sizeof ds))
            return -EFAULT;
        /* fall through */
    case IPC_RMID:
        return semctl_down_k(id, cmd, &ds);
    default:
        return -EINVAL;
    }
}

/* clone: CLONE_SYSVSEM shares the caller's undo list, made now if it has none yet (Linux
   copy_semundo: a later SEM_UNDO of either is the other's too); anything else starts with
   none. */
void sem_clone(struct proc *child, struct proc *parent, uint64_t flags)
{
    struct ulist *ul = NULL;
    if (flags & CLONE_SYSVSEM) {
        ul = ulist_of[slot_of(parent)] ? ulist_of[slot_of(parent)] : ulist_new(parent);
        ul->refs++;
    }
    ulist_of[slot_of(child)] = ul;
}

/* A thread ends (Linux exit_sem): the last holder of an undo list applies its adjustments,
   each value kept in [0, SEMVMX], completes the waiters that can go on, and frees it. A
   set removed before is no longer on the list (freeset took its undo). */
void sem_exit(struct proc *p)
{
    struct ulist *ul = ulist_of[slot_of(p)];
    ulist_of[slot_of(p)] = NULL;
    if (!ul || --ul->refs > 0)
        return;
    while (ul->head) {
        struct undo *u = ul->head;
        struct semset *s = u->set;
        for (uint64_t i = 0; i < s->ds.nsems; i++) {
            int16_t a = *adj_at(u, i);
            if (!a)
                continue;
            struct sem *m = sem_at(s, i);
            int32_t v = m->val + a;
            m->val = v < 0 ? 0 : v > SEMVMX ? SEMVMX : v;
            m->pid = p->tgid;
        }
        undo_unlink(u);
        update_queue(s);
    }
    *ul = (struct ulist){ 0 };
}
