/*
 * System V message queues as Linux's ipc/msg.c: msgget, msgsnd, msgrcv,
 * msgctl (IPC_STAT, IPC_SET, IPC_RMID, IPC_INFO, MSG_INFO, MSG_STAT,
 * MSG_STAT_ANY), with keys, permissions (ipc.c's ipcperms), Linux's limits
 * (MSGMAX 8192 bytes a message, MSGMNB 16384 bytes a queue)
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
#include "ipc.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vm.h"

#define NQUEUES       32              /* queues at once: ENOSPC past it (Linux MSGMNI 32000) */
#define MSGMNI        32000           /* include/uapi/linux/msg.h, as IPC_INFO reports them */
#define MSGSSZ        16
#define MSGSEG        0xffff
#define MSGMAX        8192            /* bytes in one message */
#define MSGMNB        16384           /* bytes in one queue by default */
#define SEQ_MULT      IPC_SEQ_MULT    /* Linux IPCMNI: id = seq * SEQ_MULT + slot (ipc.h) */
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

/* Linux ipcperms (ipc.c). */
static int perms(const struct queue *q, int flag)
{
    return ipc_perms(&q->ds.perm, flag);
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

/* msgsnd of a struct msgbuf at ubuf whose mtype is a long of `tsz` bytes: 8 for x86-64, 4
   for an i386 caller (ipc32.c). Linux ksys_msgsnd: the type is read first (-EFAULT). */
int64_t msg_send(int id, uint64_t ubuf, int64_t len, int flg, unsigned tsz)
{
    struct proc *p = myproc();
    int64_t type;
    int32_t type32;
    if (copyin(p->pml4, tsz == 4 ? (void *)&type32 : (void *)&type, ubuf, tsz))
        return -EFAULT;
    if (tsz == 4)
        type = type32;
    if (len < 0 || len > MSGMAX || id < 0)
        return -EINVAL;
    if (type < 1)
        return -EINVAL;
    ubuf = ubuf + tsz - 8;                /* the text follows the type: below, at ubuf + 8 */
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

int64_t sys_msgsnd(struct trapframe *tf)
{
    return msg_send((int)tf->rdi, tf->rsi, (int64_t)tf->rdx, (int)tf->r10, 8);
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

/* msgrcv into a struct msgbuf whose mtype is `tsz` bytes (8, or 4 for i386: ipc32.c). */
int64_t msg_recv(int id, uint64_t ubuf, int64_t size, int64_t type, int flg, unsigned tsz)
{
    struct proc *p = myproc();
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
            if (copyout(p->pml4, ubuf, &m->type, tsz) || copyout(p->pml4, ubuf + tsz, m->data, first))
                return -EFAULT;
            uint64_t done = first;
            for (struct msgpage *pg = m->more; pg && done < n; pg = pg->next) {
                uint64_t k = n - done < sizeof pg->data ? n - done : sizeof pg->data;
                if (copyout(p->pml4, ubuf + tsz + done, pg->data, k))
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

int64_t sys_msgrcv(struct trapframe *tf)
{
    return msg_recv((int)tf->rdi, tf->rsi, (int64_t)tf->rdx, (int64_t)tf->r10, (int)tf->r8, 8);
}

/* The highest slot in use (Linux ipc_get_maxidx, 0 when none): IPC_INFO's and MSG_INFO's result. */
static int max_idx(void)
{
    int m = 0;
    for (int i = 0; i < NQUEUES; i++)
        if (queues[i].used)
            m = i;
    return m;
}

/* msgctl's work on kernel copies of its structures (IPC_SET's input; IPC_STAT's, MSG_STAT's,
   IPC_INFO's output), so that the x86-64 call (below) and the i386 ones (ipc32.c) differ only
   in how they copy (Linux ksys_msgctl's helpers). */
int64_t msgctl_k(int id, int cmd, union msgctl_buf *b)
{
    struct msqid64_ds *ds = &b->ds;
    if (id < 0 || cmd < 0)
        return -EINVAL;
    struct queue *q = by_id(id);
    switch (cmd) {
    case IPC_INFO:
    case MSG_INFO:
        /* Linux msgctl_info: the limits, or for MSG_INFO the queues, messages and bytes in use */
        b->info = (struct msginfo){ .msgpool = MSGMNI * MSGMNB / 1024, .msgmap = MSGMNB, .msgmax = MSGMAX,
                                    .msgmnb = MSGMNB, .msgmni = MSGMNI, .msgssz = MSGSSZ, .msgtql = MSGMNB,
                                    .msgseg = MSGSEG };
        if (cmd == MSG_INFO) {
            b->info.msgpool = b->info.msgmap = b->info.msgtql = 0;
            for (int i = 0; i < NQUEUES; i++) {
                if (!queues[i].used)
                    continue;
                b->info.msgpool++;
                b->info.msgmap += (int32_t)queues[i].ds.qnum;
                b->info.msgtql += (int32_t)queues[i].ds.cbytes;
            }
        }
        return max_idx();
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY: {
        if (cmd != IPC_STAT)
            q = id < NQUEUES && queues[id].used ? &queues[id] : NULL;   /* an index, not an id */
        if (!q)
            return -EINVAL;
        if (cmd != MSG_STAT_ANY) {
            int r = perms(q, 0444);
            if (r)
                return r;
        }
        *ds = q->ds;
        return cmd == IPC_STAT ? 0 : id_of(q);
    }
    case IPC_SET:
    case IPC_RMID: {
        if (!q)
            return -EINVAL;
        int r = ipc_owner(&q->ds.perm);
        if (r)
            return r;
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
        if (ds->qbytes > MSGMNB && !capable(CAP_SYS_RESOURCE))
            return -EPERM;
        if ((r = ipc_perm_set(&q->ds.perm, &ds->perm)))
            return r;                     /* a uid or gid of -1 (Linux ipc_update_perm) */
        q->ds.qbytes = ds->qbytes;
        q->ds.ctime = now_s();
        wakeup(q);
        return 0;
    }
    default:
        return -EINVAL;
    }
}

int64_t sys_msgctl(struct trapframe *tf)
{
    struct proc *p = myproc();
    int id = (int)tf->rdi, cmd = (int)tf->rsi;      /* IPC_64 in it: -EINVAL, as on x86-64 Linux */
    union msgctl_buf b;
    memset(&b, 0, sizeof b);
    if (id < 0 || cmd < 0)
        return -EINVAL;
    if (cmd == IPC_SET && copyin(p->pml4, &b.ds, tf->rdx, sizeof b.ds))
        return -EFAULT;
    int64_t r = msgctl_k(id, cmd, &b);
    uint64_t n = cmd == IPC_INFO || cmd == MSG_INFO ? sizeof b.info :
                 cmd == IPC_STAT || cmd == MSG_STAT || cmd == MSG_STAT_ANY ? sizeof b.ds : 0;
    if (r >= 0 && n && copyout(p->pml4, tf->rdx, &b, n))
        return -EFAULT;
    return r;
}
