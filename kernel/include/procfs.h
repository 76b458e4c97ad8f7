/*
 * /proc, as Linux's (fs/proc/): files made from kernel state when read.
 *
 *   /proc                       dir 0555   (fs.c makes it; procfs.c answers for what is below)
 *   /proc/self                  link       -> the caller's process id ("1")
 *   /proc/meminfo, cpuinfo, uptime, mounts (-> self/mounts: the same text)
 *   /proc/sys/kernel/{ostype, osrelease, pid_max}
 *   /proc/sys/fs/lease-break-time   0644 (root writes it: lease.c)
 *   /proc/PID                   dir 0555   one per thread group in readdir; any thread id looks up
 *   /proc/PID/{stat, status, cmdline, comm, maps}           0444 (comm 0644)
 *   /proc/PID/{environ, auxv}   0400, ptrace_may_access     /proc/PID/mem 0600, ptrace_may_access
 *   /proc/PID/exe, cwd          links: look up as the file or directory they name
 *   /proc/PID/fd/N              links: look up as the open file's inode
 *
 * A node is an inode of fs.c's table with proc_kind set. procfs.c keeps at most
 * PROCFS_CACHE of them (its own reference: nlink 1) and drops the least recently looked up
 * one that no open file or working directory holds when it needs a slot. A system call
 * borrows the nodes its path walk returns without a reference, never across a sleep, and
 * at most PROCFS_BORROW of them (two paths of three /proc levels), so the eviction never
 * takes one a call is using. A node names its process by pid: pids are never reused, so the
 * pid is the generation, and every read looks the process up again (-ESRCH, or the end of
 * the file, once it is gone).
 */
#pragma once
#include "types.h"

#define PROCFS_CACHE   128       /* /proc nodes kept at most (of NINODE inodes); past that many open
                                    at once, a lookup is -ENOMEM */
#define PROCFS_BORROW  6         /* nodes one system call may hold without a reference */
#define PROCFS_DEV     0x15      /* st_dev of /proc's nodes (Linux's proc is an anonymous 0:N device) */
#define PROCFS_PID_MAX 32768     /* /proc/sys/kernel/pid_max: Linux's default (PID_MAX_DEFAULT) */
_Static_assert(PROCFS_BORROW < PROCFS_CACHE, "a system call's borrowed nodes are never evicted");

enum procnode {
    PN_NONE, PN_ROOT, PN_SELF, PN_MEMINFO, PN_CPUINFO, PN_UPTIME, PN_MOUNTS, PN_SYS, PN_SYSKERNEL,
    PN_OSTYPE, PN_OSRELEASE, PN_PIDMAX,
    PN_PID, PN_STAT, PN_STATUS, PN_LIMITS, PN_CMDLINE, PN_COMM, PN_MAPS, PN_ENVIRON, PN_AUXV, PN_MEM, PN_EXE,
    PN_CWD, PN_FDDIR, PN_FD,
    PN_SYSFS, PN_LEASEBREAK,             /* /proc/sys/fs, its lease-break-time (lease.c's, writable) */
};

struct inode;
struct file;
struct proc;
struct mm;

/* procfs.c: the names */
void procfs_init(struct inode *root);                  /* fs_init: makes /proc */
struct inode *procfs_lookup(struct inode *dir, const char *name, int *err);
int procfs_entry(struct inode *dir, uint64_t *cookie, const char **name, struct inode **ip);
const char *procfs_name(const struct inode *ip, char *buf, uint64_t size);
int64_t procfs_readlink(struct inode *dir, const char *name, char *buf, uint64_t size);
int procfs_open(struct file *f);                       /* open_at, once f->ip is set */
int64_t procfs_read(struct file *f, uint64_t dst, uint64_t off, uint64_t n);
int64_t procfs_write(struct file *f, uint64_t src, uint64_t off, uint64_t n);
struct proc *procfs_target(const struct inode *ip);   /* the node's process, or NULL: gone */

/* procsys.c: the files of the system */
struct pbuf;
void procsys_show(struct pbuf *b, enum procnode kind);

/* procpid.c: the files of a process */
int procpid_show(struct pbuf *b, enum procnode kind, struct proc *p, const struct file *f);
int64_t procpid_mem(struct proc *p, uint64_t ubuf, uint64_t addr, uint64_t n, bool write);
int procpid_vm_copy(struct proc *p, uint64_t addr, void *kbuf, uint64_t n, bool write, bool force);
void procpid_note_image(struct mm *mm, const uint8_t *data, uint64_t size);

/* The text a read makes: only the bytes in [off, off + want) are kept (Linux seq_file, without
   its buffer of the whole text: a read of any offset costs one page). */
struct pbuf {
    char *buf;                   /* want bytes */
    uint64_t off, want;
    uint64_t pos;                /* bytes made so far */
};
void pb_put(struct pbuf *b, const char *s, uint64_t n);
void pb_printf(struct pbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
