/*
 * System V shared memory and semaphores for i386 processes, as Linux's compat paths
 * (ipc/syscall.c compat_ksys_ipc, ipc/shm.c and ipc/sem.c compat_ksys_*ctl): the ipc(2)
 * multiplexer (117) and the direct calls i386 gained in Linux 5.1 (semget 393, semctl 394,
 * shmget 395, shmctl 396, shmat 397, shmdt 398, semtimedop_time64 420). struct sembuf is
 * the same in both ABIs; the ctl structures are converted from and to the i386 ones here:
 * the IPC_64 layouts (32-bit longs, times split in low and high words) and, for the
 * multiplexer without IPC_64 in the command, the old ones (16-bit ids, as high2lowuid
 * gives them). A shmat from an i386 process is placed below its 4 GiB TASK_SIZE.
 *
 * Message queues too (msg.c): the multiplexer's MSGSND, MSGRCV (with the old ipc_kludge
 * when the version is 0), MSGGET, MSGCTL and the direct msgget 399, msgsnd 400, msgrcv 401,
 * msgctl 402, with a 4-byte mtype and the i386 msqid structures.
 */
#include "kernel.h"
#include "errno.h"
#include "ipc.h"
#include "proc.h"
#include "syscall.h"
#include "vm.h"

/* ipc(2)'s calls (include/uapi/linux/ipc.h) */
#define IPCCALL_SEMOP      1
#define IPCCALL_SEMGET     2
#define IPCCALL_SEMCTL     3
#define IPCCALL_SEMTIMEDOP 4
#define IPCCALL_MSGSND     11
#define IPCCALL_MSGRCV     12
#define IPCCALL_MSGGET     13
#define IPCCALL_MSGCTL     14
#define IPCCALL_SHMAT      21
#define IPCCALL_SHMDT      22
#define IPCCALL_SHMGET     23
#define IPCCALL_SHMCTL     24
#define OVERFLOW_ID        65534      /* high2lowuid of an id past 16 bits (fs.overflowuid) */

/* include/linux/compat.h, ipc/shm.c, ipc/sem.c: the i386 layouts */
struct compat_ipc64_perm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid;
    uint16_t mode, pad1, seq, pad2;
    uint32_t unused1, unused2;
};
_Static_assert(sizeof(struct compat_ipc64_perm) == 36, "i386 struct ipc64_perm");
struct compat_ipc_perm { int32_t key; uint16_t uid, gid, cuid, cgid, mode, seq; };
_Static_assert(sizeof(struct compat_ipc_perm) == 16, "i386 struct ipc_perm");
struct compat_shmid64_ds {
    struct compat_ipc64_perm perm;
    uint32_t segsz, atime, atime_high, dtime, dtime_high, ctime, ctime_high;
    int32_t cpid, lpid;
    uint32_t nattch, unused4, unused5;
};
_Static_assert(sizeof(struct compat_shmid64_ds) == 84, "i386 struct shmid64_ds");
struct compat_shmid_ds {
    struct compat_ipc_perm perm;
    int32_t segsz, atime, dtime, ctime;
    uint16_t cpid, lpid, nattch, unused;
    uint32_t unused2, unused3;
};
_Static_assert(sizeof(struct compat_shmid_ds) == 48, "i386 struct shmid_ds");
struct compat_shminfo64 { uint32_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4]; };
struct compat_shminfo { int32_t shmmax, shmmin, shmmni, shmseg, shmall; };
struct compat_shm_info { int32_t used_ids; uint32_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes; };
struct compat_semid64_ds {
    struct compat_ipc64_perm perm;
    uint32_t otime, otime_high, ctime, ctime_high, nsems, unused3, unused4;
};
_Static_assert(sizeof(struct compat_semid64_ds) == 64, "i386 struct semid64_ds");
struct compat_semid_ds {
    struct compat_ipc_perm perm;
    int32_t otime, ctime;
    uint32_t base, pending, pending_last, undo;
    uint16_t nsems, pad;
};
_Static_assert(sizeof(struct compat_semid_ds) == 44, "i386 struct semid_ds");

struct compat_msqid64_ds {
    struct compat_ipc64_perm perm;
    uint32_t stime, stime_high, rtime, rtime_high, ctime, ctime_high, cbytes, qnum, qbytes;
    int32_t lspid, lrpid;
    uint32_t unused4, unused5;
};
_Static_assert(sizeof(struct compat_msqid64_ds) == 88, "i386 struct msqid64_ds");
struct compat_msqid_ds {
    struct compat_ipc_perm perm;
    uint32_t first, last;
    int32_t stime, rtime, ctime;
    uint32_t lcbytes, lqbytes;
    uint16_t cbytes, qnum, qbytes, lspid, lrpid, pad;
};
_Static_assert(sizeof(struct compat_msqid_ds) == 56, "i386 struct msqid_ds");

static uint16_t low_id(uint32_t id) { return id > 0xffff ? OVERFLOW_ID : (uint16_t)id; }

static void perm64_out(struct compat_ipc64_perm *o, const struct ipc64_perm *in)
{
    *o = (struct compat_ipc64_perm){ .key = in->key, .uid = in->uid, .gid = in->gid, .cuid = in->cuid,
                                     .cgid = in->cgid, .mode = (uint16_t)in->mode, .seq = in->seq };
}

static void perm_out(struct compat_ipc_perm *o, const struct ipc64_perm *in)
{
    *o = (struct compat_ipc_perm){ .key = in->key, .uid = low_id(in->uid), .gid = low_id(in->gid),
                                   .cuid = low_id(in->cuid), .cgid = low_id(in->cgid),
                                   .mode = (uint16_t)in->mode, .seq = in->seq };
}

/* IPC_SET's input: only uid, gid and mode are read (Linux get_compat_ipc{64_,}perm), from
   the start of the structure. -EFAULT if it cannot be read. */
static int perm_in(uint64_t ubuf, bool v64, struct ipc64_perm *out)
{
    uint64_t *pml4 = myproc()->pml4;
    if (v64) {
        struct compat_ipc64_perm v;
        if (copyin(pml4, &v, ubuf, sizeof v))
            return -EFAULT;
        out->uid = v.uid, out->gid = v.gid, out->mode = v.mode;
    } else {
        struct compat_ipc_perm v;
        if (copyin(pml4, &v, ubuf, sizeof v))
            return -EFAULT;
        out->uid = v.uid, out->gid = v.gid, out->mode = v.mode;   /* 0xffff is 65535 (as Linux: tried) */
    }
    return 0;
}

/* Linux compat_ksys_shmctl: version 64 (IPC_64) or the old structures. */
static int64_t shmctl32(int id, int cmd, uint64_t ubuf, bool v64)
{
    uint64_t *pml4 = myproc()->pml4;
    union shmctl_buf b;
    memset(&b, 0, sizeof b);
    if (cmd == IPC_SET && id >= 0 && perm_in(ubuf, v64, &b.ds.perm))
        return -EFAULT;
    int64_t r = shmctl_k(id, cmd, &b);
    if (r < 0)
        return r;
    int bad = 0;
    if (cmd == IPC_INFO) {
        uint64_t max = b.info.shmmax > 0x7fffffff ? 0x7fffffff : b.info.shmmax;   /* Linux clamps to INT_MAX */
        if (v64) {
            struct compat_shminfo64 o = { .shmmax = (uint32_t)max, .shmmin = (uint32_t)b.info.shmmin,
                                          .shmmni = (uint32_t)b.info.shmmni, .shmseg = (uint32_t)b.info.shmseg,
                                          .shmall = (uint32_t)b.info.shmall };
            bad = copyout(pml4, ubuf, &o, sizeof o);
        } else {
            struct compat_shminfo o = { .shmmax = (int32_t)max, .shmmin = (int32_t)b.info.shmmin,
                                        .shmmni = (int32_t)b.info.shmmni, .shmseg = (int32_t)b.info.shmseg,
                                        .shmall = (int32_t)b.info.shmall };
            bad = copyout(pml4, ubuf, &o, sizeof o);
        }
    } else if (cmd == SHM_INFO) {
        struct compat_shm_info o = { .used_ids = b.si.used_ids, .shm_tot = (uint32_t)b.si.shm_tot,
                                     .shm_rss = (uint32_t)b.si.shm_rss };
        bad = copyout(pml4, ubuf, &o, sizeof o);
    } else if (cmd == IPC_STAT || cmd == SHM_STAT || cmd == SHM_STAT_ANY) {
        const struct shmid64_ds *d = &b.ds;
        if (v64) {
            struct compat_shmid64_ds o = {
                .segsz = (uint32_t)d->segsz, .atime = (uint32_t)d->atime,
                .atime_high = (uint32_t)((uint64_t)d->atime >> 32), .dtime = (uint32_t)d->dtime,
                .dtime_high = (uint32_t)((uint64_t)d->dtime >> 32), .ctime = (uint32_t)d->ctime,
                .ctime_high = (uint32_t)((uint64_t)d->ctime >> 32), .cpid = d->cpid, .lpid = d->lpid,
                .nattch = (uint32_t)d->nattch };
            perm64_out(&o.perm, &d->perm);
            bad = copyout(pml4, ubuf, &o, sizeof o);
        } else {
            struct compat_shmid_ds o = { .segsz = (int32_t)d->segsz, .atime = (int32_t)d->atime,
                                         .dtime = (int32_t)d->dtime, .ctime = (int32_t)d->ctime,
                                         .cpid = (uint16_t)d->cpid, .lpid = (uint16_t)d->lpid,
                                         .nattch = (uint16_t)d->nattch };
            perm_out(&o.perm, &d->perm);
            bad = copyout(pml4, ubuf, &o, sizeof o);
        }
    }
    return bad ? -EFAULT : r;
}

/* Linux compat_ksys_semctl: the commands without structures are the x86-64 call's (an
   array of 16-bit values and an int are the same in both ABIs; seminfo is all ints). */
static int64_t semctl32(int id, int n, int cmd, uint32_t arg, bool v64)
{
    uint64_t *pml4 = myproc()->pml4;
    struct semid64_ds d;
    memset(&d, 0, sizeof d);
    if (id < 0)
        return -EINVAL;
    if (cmd == IPC_STAT || cmd == SEM_STAT || cmd == SEM_STAT_ANY) {
        int64_t r = semctl_stat_k(id, cmd, &d);
        if (r < 0)
            return r;
        int bad;
        if (v64) {
            struct compat_semid64_ds o = { .otime = (uint32_t)d.otime, .otime_high = (uint32_t)((uint64_t)d.otime >> 32),
                                           .ctime = (uint32_t)d.ctime, .ctime_high = (uint32_t)((uint64_t)d.ctime >> 32),
                                           .nsems = (uint32_t)d.nsems };
            perm64_out(&o.perm, &d.perm);
            bad = copyout(pml4, arg, &o, sizeof o);
        } else {
            struct compat_semid_ds o = { .otime = (int32_t)d.otime, .ctime = (int32_t)d.ctime,
                                         .nsems = (uint16_t)d.nsems };
            perm_out(&o.perm, &d.perm);
            bad = copyout(pml4, arg, &o, sizeof o);
        }
        return bad ? -EFAULT : r;
    }
    if (cmd == IPC_SET && perm_in(arg, v64, &d.perm))
        return -EFAULT;
    if (cmd == IPC_SET || cmd == IPC_RMID)
        return semctl_down_k(id, cmd, &d);
    struct trapframe t = { .rdi = (uint64_t)id, .rsi = (uint64_t)n, .rdx = (uint64_t)cmd, .r10 = arg };
    return sys_semctl(&t);
}

/* Linux compat_ksys_msgctl: IPC_SET reads the perm's ids and mode and msg_qbytes. */
static int64_t msgctl32(int id, int cmd, uint64_t ubuf, bool v64)
{
    uint64_t *pml4 = myproc()->pml4;
    union msgctl_buf b;
    memset(&b, 0, sizeof b);
    struct msqid64_ds d = b.ds;
    if (id < 0 || cmd < 0)
        return -EINVAL;
    if (cmd == IPC_SET) {
        uint32_t q32;
        uint16_t q16;
        if (perm_in(ubuf, v64, &d.perm))
            return -EFAULT;
        if (v64 ? copyin(pml4, &q32, ubuf + __builtin_offsetof(struct compat_msqid64_ds, qbytes), sizeof q32)
                : copyin(pml4, &q16, ubuf + __builtin_offsetof(struct compat_msqid_ds, qbytes), sizeof q16))
            return -EFAULT;
        d.qbytes = v64 ? q32 : q16;
        b.ds = d;
    }
    int64_t r = msgctl_k(id, cmd, &b);
    if (r >= 0 && (cmd == IPC_INFO || cmd == MSG_INFO))
        return copyout(pml4, ubuf, &b.info, sizeof b.info) ? -EFAULT : r;   /* all ints: one layout */
    if (r < 0 || (cmd != IPC_STAT && cmd != MSG_STAT && cmd != MSG_STAT_ANY))
        return r;
    d = b.ds;
    int bad;
    if (v64) {
        struct compat_msqid64_ds o = {
            .stime = (uint32_t)d.stime, .stime_high = (uint32_t)((uint64_t)d.stime >> 32),
            .rtime = (uint32_t)d.rtime, .rtime_high = (uint32_t)((uint64_t)d.rtime >> 32),
            .ctime = (uint32_t)d.ctime, .ctime_high = (uint32_t)((uint64_t)d.ctime >> 32),
            .cbytes = (uint32_t)d.cbytes, .qnum = (uint32_t)d.qnum, .qbytes = (uint32_t)d.qbytes,
            .lspid = d.lspid, .lrpid = d.lrpid };
        perm64_out(&o.perm, &d.perm);
        bad = copyout(pml4, ubuf, &o, sizeof o);
    } else {
        /* Linux copy_compat_msqid_to_user: 16-bit counts as plain assignments cut them, and
           msg_lcbytes/msg_lqbytes left 0 (tried on the host) */
        struct compat_msqid_ds o = { .stime = (int32_t)d.stime, .rtime = (int32_t)d.rtime, .ctime = (int32_t)d.ctime,
                                     .cbytes = (uint16_t)d.cbytes, .qnum = (uint16_t)d.qnum, .qbytes = (uint16_t)d.qbytes,
                                     .lspid = (uint16_t)d.lspid, .lrpid = (uint16_t)d.lrpid };
        perm_out(&o.perm, &d.perm);
        bad = copyout(pml4, ubuf, &o, sizeof o);
    }
    return bad ? -EFAULT : r;
}

/* ipc(call, first, second, third, ptr, fifth): Linux compat_ksys_ipc. */
int64_t sys_ipc32(struct trapframe *tf)
{
    uint32_t call = (uint32_t)tf->rdi, third = (uint32_t)tf->r10, fifth = (uint32_t)tf->r9;
    int first = (int)tf->rsi, second = (int)tf->rdx, version = (int)(call >> 16);
    uint64_t ptr = (uint32_t)tf->r8;
    switch (call & 0xffff) {
    case IPCCALL_SEMOP:
        return sem_timedop(first, ptr, (uint32_t)second, 0, false);
    case IPCCALL_SEMTIMEDOP:
        return sem_timedop(first, ptr, (uint32_t)second, fifth, true);
    case IPCCALL_SEMGET: {
        struct trapframe t = { .rdi = (uint64_t)first, .rsi = (uint64_t)second, .rdx = third };
        return sys_semget(&t);
    }
    case IPCCALL_SEMCTL: {
        uint32_t pad;
        if (!ptr)
            return -EINVAL;
        if (copyin(myproc()->pml4, &pad, ptr, sizeof pad))
            return -EFAULT;
        int cmd = (int)third;
        return semctl32(first, second, cmd & ~IPC_64, pad, cmd & IPC_64);
    }
    case IPCCALL_MSGSND:
        return msg_send(first, ptr, second, (int)third, 4);
    case IPCCALL_MSGRCV: {
        if (first < 0 || second < 0)
            return -EINVAL;
        if (!version) {                   /* struct ipc_kludge { msgp, msgtyp } at ptr */
            struct { uint32_t msgp; int32_t msgtyp; } k;
            if (!ptr)
                return -EINVAL;
            if (copyin(myproc()->pml4, &k, ptr, sizeof k))
                return -EFAULT;
            return msg_recv(first, k.msgp, second, k.msgtyp, (int)third, 4);
        }
        return msg_recv(first, ptr, second, (int32_t)fifth, (int)third, 4);
    }
    case IPCCALL_MSGGET: {
        struct trapframe t = { .rdi = (uint64_t)first, .rsi = (uint64_t)second };
        return sys_msgget(&t);
    }
    case IPCCALL_MSGCTL:
        return msgctl32(first, second & ~IPC_64, ptr, second & IPC_64);
    case IPCCALL_SHMAT: {
        if (version == 1)
            return -EINVAL;               /* the iBCS2 variant */
        int64_t r = shm_attach(first, ptr, second, true);
        if (r < 0)
            return r;
        uint32_t raddr = (uint32_t)r;
        return copyout(myproc()->pml4, third, &raddr, sizeof raddr) ? -EFAULT : 0;
    }
    case IPCCALL_SHMDT: {
        struct trapframe t = { .rdi = ptr };
        return sys_shmdt(&t);
    }
    case IPCCALL_SHMGET: {
        struct trapframe t = { .rdi = (uint64_t)first, .rsi = (uint32_t)second, .rdx = third };
        return sys_shmget(&t);
    }
    case IPCCALL_SHMCTL:
        return shmctl32(first, second & ~IPC_64, ptr, second & IPC_64);
    default:
        return -ENOSYS;
    }
}

/* The direct calls: the IPC_64 structures always (Linux COMPAT_SYSCALL_DEFINE semctl/shmctl). */
int64_t sys_semctl32(struct trapframe *tf)
{
    int cmd = (int)tf->rdx;
    return semctl32((int)tf->rdi, (int)tf->rsi, cmd & ~IPC_64, (uint32_t)tf->r10, true);
}

int64_t sys_shmctl32(struct trapframe *tf)
{
    return shmctl32((int)tf->rdi, (int)tf->rsi, (uint32_t)tf->rdx, true);
}

int64_t sys_shmat32(struct trapframe *tf)
{
    return shm_attach((int)tf->rdi, (uint32_t)tf->rsi, (int)tf->rdx, true);
}

int64_t sys_msgsnd32(struct trapframe *tf)
{
    return msg_send((int)tf->rdi, (uint32_t)tf->rsi, (int32_t)tf->rdx, (int)tf->r10, 4);
}

int64_t sys_msgrcv32(struct trapframe *tf)
{
    return msg_recv((int)tf->rdi, (uint32_t)tf->rsi, (int32_t)tf->rdx, (int32_t)tf->r10, (int)tf->r8, 4);
}

int64_t sys_msgctl32(struct trapframe *tf)
{
    int cmd = (int)tf->rsi;
    return msgctl32((int)tf->rdi, cmd & ~IPC_64, (uint32_t)tf->rdx, true);
}

int64_t sys_semtimedop_time64(struct trapframe *tf)
{
    return sem_timedop((int)tf->rdi, tf->rsi, (uint32_t)tf->rdx, tf->r10, false);
}
