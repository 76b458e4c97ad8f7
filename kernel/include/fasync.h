/*
 * Asynchronous I/O signals (O_ASYNC, F_SETOWN, F_SETSIG: Linux fs/fcntl.c);
 * leases and ETXTBSY, which send through the same owner, are lease.h's.
 *
 * Who is told: an open file's owner (struct fown, Linux's fown_struct) is a
 * process id, a thread id or a process group id - a number, never a
 * pointer to a process that may end: pids are never reused here, so the
 * number stays the same owner (a dead one is told nothing). The credentials
 * of whoever set it decide whom it may signal (Linux sigio_perm).
 *
 * What tells: a kind of file that can notify keeps a list of its open files
 * with O_ASYNC (a pipe's in struct pipe, the console's in fasync.c, a
 * socket's in struct unix_sock) and calls fasync_notify(list, reason, need)
 * when it becomes readable (POLL_IN) or writable (POLL_OUT), or for a socket
 * also POLL_HUP/POLL_ERR (sockasync.c's sock_wake_async); each file on the list
 * whose access mode matches `need` sends its owner SIGIO, or F_SETSIG's
 * signal with si_fd, si_band and si_code = the reason. A file is on one list
 * at most and leaves it when its last descriptor closes (fasync_close).
 */
#pragma once
#include "types.h"

#define O_ASYNC       020000     /* FASYNC: signal the owner on I/O readiness (asm-generic/fcntl.h) */

/* fcntl commands (include/uapi/asm-generic/fcntl.h, linux/fcntl.h) */
#define F_SETOWN      8          /* the owner: pid, or -pgid */
#define F_GETOWN      9
#define F_SETSIG      10         /* the signal to send (0: SIGIO without si_fd) */
#define F_GETSIG      11
#define F_SETOWN_EX   15         /* struct f_owner_ex: a thread, a process or a group */
#define F_GETOWN_EX   16
#define FIOASYNC      0x5452     /* ioctl: O_ASYNC on or off (asm-generic/ioctls.h) */
#define FIONBIO       0x5421     /* ioctl: O_NONBLOCK on or off (any file: do_vfs_ioctl) */
#define FIONCLEX      0x5450     /* ioctl: clear the descriptor's FD_CLOEXEC */
#define FIOCLEX       0x5451     /* ioctl: set the descriptor's FD_CLOEXEC */
#define FIOSETOWN     0x8901     /* socket ioctl: F_SETOWN (include/uapi/linux/sockios.h) */
#define SIOCSPGRP     0x8902     /* socket ioctl: the same */
#define FIOGETOWN     0x8903     /* socket ioctl: F_GETOWN */
#define SIOCGPGRP     0x8904     /* socket ioctl: the same */

/* struct f_owner_ex's type */
#define F_OWNER_TID   0
#define F_OWNER_PID   1
#define F_OWNER_PGRP  2

/* si_code of a SIGIO (include/uapi/asm-generic/siginfo.h) */
#define POLL_IN       1          /* data to read */
#define POLL_OUT      2          /* room to write */
#define POLL_MSG      3          /* a message: a lease break */
#define POLL_ERR      4
#define POLL_PRI      5
#define POLL_HUP      6
#define SI_SIGIO      (-5)       /* si_code for a signal whose own codes would be ambiguous */

/* fasync_notify's `need`: which files of a list hear (by their access mode) */
#define FA_ANY        0
#define FA_READERS    1          /* open for reading (a pipe's read ends) */
#define FA_WRITERS    2          /* open for writing */

/* Linux enum pid_type, as far as an owner uses it */
enum fown_type { FOWN_TID, FOWN_TGID, FOWN_PGID };

struct fown {
    int pid;                     /* thread, process or group id; 0: nobody */
    uint8_t type;                /* enum fown_type */
    uint32_t uid, euid;          /* the setter's real and effective uid (sigio_perm) */
    int signum;                  /* F_SETSIG: 0 is plain SIGIO */
};

struct file;
struct inode;

/* fasync.c */
extern struct file *console_fasync;                        /* the console's O_ASYNC files */
int64_t fasync_fcntl(struct file *f, int cmd, uint64_t arg);
int fasync_setfl(struct file *f, int fd, bool on);
int64_t fasync_fioasync(struct file *f, int fd, uint64_t uarg);
void fasync_notify(struct file *list, int reason, int need);
void fasync_close(struct file *f);
void fasync_setown_default(struct file *f, int pid, int type);
void fasync_send(struct file *f, int fd, int reason);
bool fasync_sigurg(struct file *f);                        /* Linux send_sigurg */
