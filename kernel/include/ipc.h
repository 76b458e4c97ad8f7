/*
 * What System V shared memory (shm.c) and semaphores (sem.c) share, as Linux's ipc/util.c:
 * struct ipc64_perm as x86-64 lays it out (include/uapi/asm-generic/ipcbuf.h), the flags
 * and commands of include/uapi/linux/ipc.h, ipcperms and the owner check of IPC_SET and
 * IPC_RMID (ipcctl_obtain_check). msg.c keeps its own copy of the structure.
 *
 * An id is slot + IPC_SEQ_MULT * the slot's sequence number (Linux ipc_buildid with
 * IPCMNI 32768): an id of a removed object never names a later one in the same slot.
 */
#pragma once
#include "types.h"

#define IPC_PRIVATE   0
#define IPC_CREAT     01000           /* create if the key is new */
#define IPC_EXCL      02000           /* with IPC_CREAT: -EEXIST if the key exists */
#define IPC_NOWAIT    04000           /* never sleep: -EAGAIN */
#define IPC_RMID      0
#define IPC_SET       1
#define IPC_STAT      2
#define IPC_INFO      3
#define IPC_64        0x100           /* the new structures: the only ones on x86-64 */
#define IPC_SEQ_MULT  32768           /* Linux IPCMNI: id = seq * IPC_SEQ_MULT + slot */
#define IPC_SEQ_MAX   (0x7fffffff / IPC_SEQ_MULT)   /* seq wraps below it: ids stay positive */

struct ipc64_perm {
    int32_t key;
    uint32_t uid, gid, cuid, cgid;
    uint32_t mode;                    /* low 9 bits: rwx for owner, group, others; shm adds flags */
    uint16_t seq, pad2;
    uint64_t unused1, unused2;
};
_Static_assert(sizeof(struct ipc64_perm) == 48, "x86-64 struct ipc64_perm is 48 bytes");

/* Linux ipcperms: 0 or -EACCES for a request of S_IRUGO/S_IWUGO/S_IXUGO bits (0444, 0222, 0111). */
int ipc_perms(const struct ipc64_perm *perm, int flag);
/* IPC_SET/IPC_RMID: the creator, the owner or CAP_SYS_ADMIN, else -EPERM. */
int ipc_owner(const struct ipc64_perm *perm);
/* A fresh perm for `key` with mode `flg & 0777`, owned by the caller, at sequence `seq`. */
struct ipc64_perm ipc_perm_new(int32_t key, int flg, uint16_t seq);
/* IPC_SET: uid, gid and the mode's low 9 bits from `in`; -EINVAL for an id of -1 (Linux
   ipc_update_perm: not a valid kuid/kgid), nothing changed then. */
int ipc_perm_set(struct ipc64_perm *perm, const struct ipc64_perm *in);
int64_t ipc_now_s(void);              /* CLOCK_REALTIME seconds: the *_time fields */

/* x86-64 struct shmid64_ds (arch/x86/include/uapi/asm/shmbuf.h), shminfo64 and shm_info
   (include/uapi/linux/shm.h): what shmctl_k works on. */
struct shmid64_ds {
    struct ipc64_perm perm;
    uint64_t segsz;
    int64_t atime, dtime, ctime;
    int32_t cpid, lpid;
    uint64_t nattch, unused4, unused5;
};
_Static_assert(sizeof(struct shmid64_ds) == 112, "x86-64 struct shmid64_ds");
struct shminfo64 { uint64_t shmmax, shmmin, shmmni, shmseg, shmall, unused[4]; };
struct shm_info { int32_t used_ids; uint32_t pad; uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes; };
union shmctl_buf { struct shmid64_ds ds; struct shminfo64 info; struct shm_info si; };
#define SHM_LOCK       11
#define SHM_UNLOCK     12
#define SHM_STAT       13
#define SHM_INFO       14
#define SHM_STAT_ANY   15
int64_t shmctl_k(int id, int cmd, union shmctl_buf *b);
/* shmat for an x86-64 (compat false) or i386 caller (placed below 4 GiB): the address or -errno */
int64_t shm_attach(int id, uint64_t addr, int flg, bool compat);

/* x86-64 struct msqid64_ds (include/uapi/asm-generic/msgbuf.h): what msgctl_k works on. */
struct msqid64_ds {
    struct ipc64_perm perm;
    int64_t stime, rtime, ctime;
    uint64_t cbytes, qnum, qbytes;
    int32_t lspid, lrpid;
    uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct msqid64_ds) == 120, "x86-64 struct msqid64_ds");
/* struct msginfo (include/uapi/linux/msg.h): the same in both ABIs */
struct msginfo { int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql; uint16_t msgseg; };
_Static_assert(sizeof(struct msginfo) == 32, "struct msginfo");
union msgctl_buf { struct msqid64_ds ds; struct msginfo info; };
#define MSG_STAT      11
#define MSG_INFO      12
#define MSG_STAT_ANY  13
int64_t msgctl_k(int id, int cmd, union msgctl_buf *b);
int64_t msg_send(int id, uint64_t ubuf, int64_t len, int flg, unsigned tsz);   /* tsz: mtype's bytes */
int64_t msg_recv(int id, uint64_t ubuf, int64_t size, int64_t type, int flg, unsigned tsz);

/* shm.c: attachments follow the address space (thread.c, proc.c and sysmem.c call these) */
struct mm;
int shm_fork(struct mm *to, struct mm *from);            /* fork: -ENOMEM */
void shm_mm_release(struct mm *mm);                      /* the address space's last user is gone */
void shm_unmapped(struct mm *mm);                        /* munmap, mremap or mmap changed its tables */
void shm_moved(struct mm *mm, uint64_t from, uint64_t len, uint64_t to);   /* mremap moved a range */
bool shm_holds(struct mm *mm, uint64_t va);              /* va is inside an attachment */
int shm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, bool write);  /* -EACCES: SHM_RDONLY */

/* x86-64 struct semid64_ds (arch/x86/include/uapi/asm/sembuf.h): what semctl_*_k work on. */
struct semid64_ds {
    struct ipc64_perm perm;
    int64_t otime;
    uint64_t unused1;
    int64_t ctime;
    uint64_t unused2, nsems, unused3, unused4;
};
_Static_assert(sizeof(struct semid64_ds) == 104, "x86-64 struct semid64_ds");
#define SEM_STAT      18
#define SEM_INFO      19
#define SEM_STAT_ANY  20
int64_t semctl_stat_k(int id, int cmd, struct semid64_ds *out);        /* IPC_STAT, SEM_STAT(_ANY) */
int64_t semctl_down_k(int id, int cmd, const struct semid64_ds *in);   /* IPC_SET, IPC_RMID */
int64_t sem_timedop(int id, uint64_t usops, uint32_t nsops, uint64_t uts, bool ts32);

/* sem.c: undo lists follow the threads (proc.c calls these) */
struct proc;
void sem_clone(struct proc *child, struct proc *parent, uint64_t flags);
void sem_exit(struct proc *p);                           /* a thread ends: the last holder undoes */
