/*
 * Credentials: who a thread is (Linux include/linux/cred.h, kernel/sys.c,
 * kernel/groups.c, security/commoncap.c).
 *
 *   uid, gid         real ids: who started it (kill permission, access(2))
 *   euid, egid       effective ids: what most checks use
 *   suid, sgid       saved ids: what an unprivileged set*id may return to
 *   fsuid, fsgid     file system ids: owner of new files, file permission
 *   groups[]         supplementary groups, sorted (getgroups shows them so, as Linux)
 *   cap_*            capability sets, bit CAP_x; Linux's 41 (CAP_LAST_CAP 40)
 *
 * Ownership and lifetime: a struct cred lives BY VALUE in each struct proc
 * (each thread), so it has no refcount and no table: clone copies the
 * caller's (fork and pthread_create alike), the slot's memset frees it.
 * Linux's creds are per thread too (struct task_struct.cred); POSIX wants
 * them per process, which glibc and musl get by broadcasting set*id to every
 * thread themselves (a signal each). Only the thread itself writes its cred;
 * others read it (kill permission) and see either the old or the new value,
 * as a single-CPU kernel that never switches inside a cred update gives.
 *
 * Capability rule (commoncap, without securebits): euid 0 means every
 * capability; set*uid clears permitted/effective when no id stays 0,
 * euid 0 -> nonzero clears effective, nonzero -> 0 restores it from
 * permitted; fsuid 0 -> nonzero drops the file-system capabilities from
 * effective. execve recomputes them (cred_exec).
 *
 * Differences from Linux, on purpose: at most NGROUPS_RL supplementary groups
 * (setgroups with more: -EINVAL; Linux takes NGROUPS_MAX 65536); no
 * ambient or bounding-set changes (the bounding set is always full); no
 * user namespaces; no RLIMIT_NPROC check when the real uid changes.
 */
#pragma once
#include "types.h"

#define NGROUPS_RL      32           /* supplementary groups per thread (Linux: 65536) */
#define NGROUPS_MAX_LX  65536        /* Linux's NGROUPS_MAX: setgroups above is -EINVAL there too */
#define ID_NONE         0xffffffffu  /* (uid_t)-1: "unchanged" for set*id, an invalid id */

/* Capability numbers (include/uapi/linux/capability.h) */
#define CAP_CHOWN            0       /* change any file's owner and group */
#define CAP_DAC_OVERRIDE     1       /* ignore file read/write/execute permission */
#define CAP_DAC_READ_SEARCH  2       /* ignore read permission and directory search */
#define CAP_FOWNER           3       /* act as a file's owner (chmod, utimes, sticky dirs) */
#define CAP_FSETID           4       /* keep set-group-ID on chmod of a file not in one's group */
#define CAP_KILL             5       /* signal any process */
#define CAP_SETGID           6       /* set*gid, setgroups to anything */
#define CAP_SETUID           7       /* set*uid to anything */
#define CAP_SETPCAP          8       /* capset: any inheritable capability */
#define CAP_LINUX_IMMUTABLE  9
#define CAP_IPC_LOCK         14      /* mlock past RLIMIT_MEMLOCK, and at 0 (mlock.c) */
#define CAP_IPC_OWNER        15      /* System V IPC: ignore the objects' permissions */
#define CAP_SYS_RAWIO        17      /* ioperm, iopl */
#define CAP_SYS_PTRACE       19      /* ptrace, /proc/PID/mem and process_vm_* of any process */
#define CAP_SYS_ADMIN        21      /* (here: past RLIMIT_NPROC, as Linux's copy_process) */
#define CAP_SYS_RESOURCE     24      /* raise hard resource limits, past RLIMIT_NPROC */
#define CAP_SYS_TIME         25      /* set the system clock (clock_settime, settimeofday) */
#define CAP_MKNOD            27
#define CAP_MAC_OVERRIDE     32
#define CAP_LAST_CAP         40      /* CAP_CHECKPOINT_RESTORE, the last in Linux 6.x */
#define CAP_FULL_SET         ((1ULL << (CAP_LAST_CAP + 1)) - 1)
#define CAP_BIT(c)           (1ULL << (c))
/* What fsuid 0 <-> nonzero takes away from and gives back to effective (CAP_FS_MASK) */
#define CAP_FS_MASK  (CAP_BIT(CAP_CHOWN) | CAP_BIT(CAP_MKNOD) | CAP_BIT(CAP_DAC_OVERRIDE) | \
                      CAP_BIT(CAP_DAC_READ_SEARCH) | CAP_BIT(CAP_FOWNER) | CAP_BIT(CAP_FSETID) | \
                      CAP_BIT(CAP_LINUX_IMMUTABLE) | \
                      CAP_BIT(CAP_MAC_OVERRIDE))

/* capget/capset header versions (include/uapi/linux/capability.h) */
#define LINUX_CAPABILITY_VERSION_1  0x19980330   /* one 32-bit word per set */
#define LINUX_CAPABILITY_VERSION_2  0x20071026   /* two words (deprecated) */
#define LINUX_CAPABILITY_VERSION_3  0x20080522   /* two words */

/* Permission masks (include/linux/fs.h MAY_*) */
#define MAY_EXEC    1
#define MAY_WRITE   2
#define MAY_READ    4

struct proc;
int ptrace_may_access(struct proc *caller, struct proc *target);   /* cred.c: 0 or -EPERM */

struct cred {
    uint32_t uid, euid, suid, fsuid;
    uint32_t gid, egid, sgid, fsgid;
    uint64_t cap_permitted, cap_effective, cap_inheritable;
    int ngroups;
    uint32_t groups[NGROUPS_RL];
};

struct inode;
struct proc;

/* cred.c */
void cred_init(struct cred *c, uint32_t uid, uint32_t gid);   /* uid 0: root with every capability */
bool capable(int cap);                                        /* the running thread's effective set */
bool in_group_p(uint32_t gid);                                /* fsgid or a supplementary group */
bool kill_permitted(struct proc *q);                          /* Linux kill_ok_by_cred */
int prlimit_permitted(int pid);                               /* another's limits: same ids or CAP_SYS_RESOURCE */
void cred_exec(struct cred *c, const struct inode *ip, bool *secure);   /* set-id bits, caps after execve */

/* fsperm.c: file permission */
int inode_permission(struct inode *ip, int mask);             /* 0 or -EACCES, Linux generic_permission */
bool inode_owner_or_capable(struct inode *ip);                /* fsuid owns it, or CAP_FOWNER */
int may_delete(struct inode *dir, struct inode *victim);      /* w+x on dir and the sticky rule */
int may_create(struct inode *dir);                            /* w+x on dir; -ENOENT if removed */
void inode_init_owner(struct inode *ip, struct inode *dir);   /* fsuid, fsgid or a setgid dir's group */
void inode_kill_suid(struct inode *ip);                       /* a write or truncate drops set-id bits */
