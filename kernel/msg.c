/*
 * System V message queues as Linux's ipc/msg.c: msgget, msgsnd, msgrcv,
 * msgctl (IPC_STAT, IPC_SET, IPC_RMID), with keys, permissions (ipcperms),
 * Linux's limits (MSGMAX 8192 bytes a message, MSGMNB 16384 bytes a queue)
 * and its id scheme (slot + 32768 * the slot's sequence number, so an id of
 * a removed queue never names a later one).
 *
 * Who owns what: a queue is a slot of `queues`, made by msgget, freed by
 * IPC_RMID (its messages with it). A message is kalloc'd pages (a header page
 * with the first bytes, more pages for the rest), owned by its queue from
 * msgsnd until msgrcv takes it. A sender or receiver that sleeps holds no
 * pointer across the sleep: it looks its queue up again by id, and a queue
 * removed meanwhile is EIDRM, as on Linux.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"

#define NQUEUES       32              /* Linux MSGMNI is 32000: ENOSPC past it */
#define MSGMAX        8192            /* bytes in one message */
#define MSGMNB        16384           /* bytes in one queue by default */
#define SEQ_MULT      32768           /* Linux IPCMNI: id = seq * SEQ_MULT + slot */
#define IPC_PRIVATE   0
#define IPC_CREAT     01000
#define IPC_EXCL      02000
#define IPC_NOWAIT    04000
#define IPC_RMID      0
#define IPC_SET       1
#define IPC_STAT      2
#define IPC_64        0x100           /* the new structures: the only ones on x86-64 */
#define MSG_NOERROR   010000
#define MSG_EXCEPT    020000
#define MSG_COPY      040000

struct msgpage { struct msgpage *next; uint8_t data[PAGE_SIZE - sizeof(void *)]; };
struct msgmsg {
    struct msgmsg *next;
    int64_t type;
    uint64_t len;
    struct msgpage *more;             /* bytes past the header page's */
    uint8_t data[PAGE_SIZE - 32];
};
_Static_assert(sizeof(struct msgmsg) == PAGE_SIZE, "a message header is a page");

/* struct ipc64_perm and struct msqid64_ds of x86-64 (include/uapi/asm-generic). */
struct ipc64_perm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid;
    uint32_t mode;
    uint16_t seq, pad2;
    uint64_t unused1, unused2;
};
struct msqid64_ds {
    struct ipc64_perm perm;
    int64_t stime, rtime, ctime;
    uint64_t cbytes, qnum, qbytes;
    int32_t lspid, lrpid;
    uint64_t unused4, unused5;
};

struct queue {
    bool used;
    uint16_t seq;
    struct msqid64_ds ds;
    struct msgmsg *head, *tail;
};

static struct queue queues[NQUEUES];

static int64_t now_s(void) { return (int64_t)(time_realtime_ns() / 1000000000); }

static struct queue *by_id(int id)
{
    if (id < 0 || id % SEQ_MULT >= NQUEUES)
        return NULL;
    struct queue *q = &queues[id % SEQ_MULT];
    return q->used && q->seq == id / SEQ_MULT ? q : NULL;
}

static int id_of(const struct queue *q) { return q->seq * SEQ_MULT + (int)(q - queues); }

/* Linux ipcperms: the owner's, group's or others' bits of the mode for `flag`'s request. */
static int perms(const struct queue *q, int flag)
{
    const struct cred *c = &myproc()->cred;
    int req = (flag >> 6) | (flag >> 3) | flag, mode = (int)q->ds.perm.mode;
    if (c->euid == q->ds.perm.cuid || c->euid == q->ds.perm.uid)
        mode >>= 6;
    else if (in_group_p(q->ds.perm.cgid) || in_group_p(q->ds.perm.gid))
        mode >>= 3;
    if ((req & ~mode & 07) && !capable(CAP_IPC_OWNER))
        return -EACCES;
    return 0;
}

static void free_msg(struct msgmsg *m)
{
    for (struct msgpage *p = m->more, *n; p; p = n) {
        n = p->next;
        kfree(p);
    }
    kfree(m);
}

int64_t sys_msgget(struct trapframe *tf)
{
    int32_t key = (int32_t)tf->rdi;
    int flg = (int)tf->rsi;
    if (key != IPC_PRIVATE) {
        for (int i = 0; i < NQUEUES; i++) {
            struct queue *q = &queues[i];
            if (!q->used || q->ds.perm.key != key)
                continue;
            if ((flg & IPC_CREAT) && (flg & IPC_EXCL))
                return -EEXIST;
            int r = perms(q, flg & 0777);
            return r ? r : id_of(q);
        }
        if (!(flg & IPC_CREAT))
            return -ENOENT;
    }
    for (int i = 0; i < NQUEUES; i++) {
        struct queue *q = &queues[i];
        if (q->used)
            continue;
        const struct cred *c = &myproc()->cred;
        uint16_t seq = (uint16_t)((q->seq + 1) % (0x7fffffff / SEQ_MULT));
        *q = (struct queue){ .used = true, .seq = seq };
        q->ds.perm = (struct ipc64_perm){ .key = key, .uid = c->euid, .gid = c->egid, .cuid = c->euid,
                                          .cgid = c->egid, .mode = (uint32_t)flg & 0777, .seq = seq };
        q->ds.qbytes = MSGMNB;
        q->ds.ctime = now_s();
        return id_of(q);
    }
    return -ENOSPC;
}

int64_t sys_msgsnd(struct trapframe *tf)
{
    struct proc *p = myproc();
    int id = (int)tf->rdi, flg = (int)tf->r10;
    uint64_t ubuf = tf->rsi;
    int64_t len = (int64_t)tf->rdx, type;
    if (len < 0 || len > MSGMAX || id < 0)
        return -EINVAL;
    if (copyin(p->pml4, &type, ubuf, sizeof type))
        return -EFAULT;
    if (type < 1)
        return -EINVAL;
    struct msgmsg *m = kalloc();
    if (!m)
        return -ENOMEM;
    *m = (struct msgmsg){ .type = type, .len = (uint64_t)len };
    uint64_t first = (uint64_t)len < sizeof m->data ? (uint64_t)len : sizeof m->data;
    int r = copyin(p->pml4, m->data, ubuf + 8, first) ? -EFAULT : 0;
    struct msgpage **tail = &m->more;
    for (uint64_t done = first; !r && done < (uint64_t)len;) {
        struct msgpage *pg = kalloc();
        if (!pg) {
            r = -ENOMEM;
            break;
        }
        pg->next = NULL;
        *tail = pg;
        tail = &pg->next;
        uint64_t n = (uint64_t)len - done < sizeof pg->data ? (uint64_t)len - done : sizeof pg->data;
        if (copyin(p->pml4, pg->data, ubuf + 8 + done, n))
            r = -EFAULT;
        done += n;
    }
    for (;;) {
        struct queue *q = by_id(id);
        if (!r && !q)
            r = -EINVAL;              /* (after a sleep: the queue went, Linux says EIDRM) */
        if (!r)
            r = perms(q, 0222);
        if (r)
            break;
        if (q->ds.cbytes + (uint64_t)len <= q->ds.qbytes && q->ds.qnum + 1 <= q->ds.qbytes) {
            if (q->tail)
                q->tail->next = m;
            else
                q->head = m;
            q->tail = m;
            q->ds.cbytes += (uint64_t)len;
            q->ds.qnum++;
            q->ds.lspid = p->tgid;
            q->ds.stime = now_s();
            wakeup(q);
            return 0;
        }
        if (flg & IPC_NOWAIT) {
            r = -EAGAIN;
            break;
        }
        if (signal_pending(p)) {
            r = -ERESTARTNOHAND;
            break;
        }
        sleep(q);
        if (!by_id(id)) {
            r = -EIDRM;                   /* removed while we slept (the id is the generation) */
            break;
        }
    }
    free_msg(m);
    return r;
}

/* The message msgrcv's type asks for (Linux find_msg), or NULL. */
static struct msgmsg *find(struct queue *q, int64_t type, int flg, struct msgmsg **prev)
{
    struct msgmsg *best = NULL, *bestprev = NULL, *pv = NULL;
    /* a type below 0 asks for the lowest type up to -type; -INT64_MIN does not exist
       (Linux convert_mode takes LONG_MAX for it) */
    int64_t most = type == (-0x7fffffffffffffffL - 1) ? 0x7fffffffffffffffL : -type;
    for (struct msgmsg *m = q->head; m; pv = m, m = m->next) {
        bool ok = type == 0 || (type > 0 && ((flg & MSG_EXCEPT) ? m->type != type : m->type == type)) ||
                  (type < 0 && m->type <= most && (!best || m->type < best->type));
        if (!ok)
            continue;
        best = m, bestprev = pv;
        if (type >= 0)
            break;
    }
    *prev = bestprev;
    return best;
}

int64_t sys_msgrcv(struct trapframe *tf)
{
    struct proc *p = myproc();
    int id = (int)tf->rdi, flg = (int)tf->r8;
    uint64_t ubuf = tf->rsi;
    int64_t size = (int64_t)tf->rdx, type = (int64_t)tf->r10;
    if (flg & MSG_COPY)
        return -ENOSYS;               /* as a Linux without CONFIG_CHECKPOINT_RESTORE */
    if (size < 0 || id < 0)
        return -EINVAL;
    for (;;) {
        struct queue *q = by_id(id);
        if (!q)
            return -EINVAL;
        int r = perms(q, 0444);
        if (r)
            return r;
        struct msgmsg *prev, *m = find(q, type, flg, &prev);
        if (m) {
            if ((int64_t)m->len > size && !(flg & MSG_NOERROR))
                return -E2BIG;
            uint64_t n = (int64_t)m->len < size ? m->len : (uint64_t)size;
            /* copied out first: a fault leaves the message on the queue (Linux: it is gone
               then; EFAULT either way) */
            uint64_t first = n < sizeof m->data ? n : sizeof m->data;
            if (copyout(p->pml4, ubuf, &m->type, 8) || copyout(p->pml4, ubuf + 8, m->data, first))
                return -EFAULT;
            uint64_t done = first;
            for (struct msgpage *pg = m->more; pg && done < n; pg = pg->next) {
                uint64_t k = n - done < sizeof pg->data ? n - done : sizeof pg->data;
                if (copyout(p->pml4, ubuf + 8 + done, pg->data, k))
                    return -EFAULT;
                done += k;
            }
            if (prev)
                prev->next = m->next;
            else
                q->head = m->next;
            if (q->tail == m)
                q->tail = prev;
            q->ds.cbytes -= m->len;
            q->ds.qnum--;
            q->ds.lrpid = p->tgid;
            q->ds.rtime = now_s();
            free_msg(m);
            wakeup(q);
            return (int64_t)n;
        }
        if (flg & IPC_NOWAIT)
            return -ENOMSG;
        if (signal_pending(p))
            return -ERESTARTNOHAND;
        sleep(q);
        if (!by_id(id))
            return -EIDRM;
    }
}

int64_t sys_msgctl(struct trapframe *tf)
{
    struct proc *p = myproc();
    int id = (int)tf->rdi, cmd = (int)tf->rsi & ~IPC_64;
    struct msqid64_ds ds;
    if (id < 0)
        return -EINVAL;
    struct queue *q = by_id(id);
    switch (cmd) {
    case IPC_STAT: {
        if (!q)
            return -EINVAL;
        int r = perms(q, 0444);
        if (r)
            return r;
        return copyout(p->pml4, tf->rdx, &q->ds, sizeof q->ds) ? -EFAULT : 0;
    }
    case IPC_SET:
        if (copyin(p->pml4, &ds, tf->rdx, sizeof ds))
            return -EFAULT;
        /* fall through */
    case IPC_RMID: {
        if (!q)
            return -EINVAL;
        const struct cred *c = &p->cred;
        if (c->euid != q->ds.perm.cuid && c->euid != q->ds.perm.uid && !capable(CAP_SYS_ADMIN))
            return -EPERM;
        if (cmd == IPC_RMID) {
            for (struct msgmsg *m = q->head, *n; m; m = n) {
                n = m->next;
                free_msg(m);
            }
            q->used = false;              /* the slot's seq stays: the next queue here gets another id */
            q->head = q->tail = NULL;
            wakeup(q);                    /* waiters find it gone: EIDRM */
            return 0;
        }
        if (ds.qbytes > MSGMNB && !capable(CAP_SYS_RESOURCE))
            return -EPERM;
        q->ds.qbytes = ds.qbytes;
        q->ds.perm.uid = ds.perm.uid;
        q->ds.perm.gid = ds.perm.gid;
        q->ds.perm.mode = (q->ds.perm.mode & ~0777u) | (ds.perm.mode & 0777);
        q->ds.ctime = now_s();
        wakeup(q);
        return 0;
    }
    default:
        return -EINVAL;               /* IPC_INFO, MSG_INFO, MSG_STAT: not here (docs/kernel.md) */
    }
}
