/*
 * Sockets: the generic socket file and system calls (socket.c) and the one
 * family ringlab has, AF_UNIX (unix.c), as Linux's net/socket.c,
 * net/core/scm.c and net/unix/af_unix.c + garbage.c.
 *
 *   struct file (F_SOCK) --sock--> struct unix_sock <--peer-- its peer (a reference each)
 *                                      |  rq: struct skb -> struct skb -> ...  (messages)
 *                                      |  acc: embryos a connect made, not yet accepted
 *   struct skb: one page: header, the files in flight (SCM_RIGHTS), then the data pages
 *
 * Who owns what (docs/lifetimes.md):
 *   - a unix_sock is freed when `ref` reaches 0; references: its file (until the file's last
 *     close), a peer's `peer` pointer, a listener's accept queue (an embryo), every skb it
 *     sent (skb->sender: the address recvfrom reports and the send buffer it is charged to),
 *     and a sleeping connect's hold on its listener;
 *   - an skb belongs to the queue it is on; it holds one file reference for each file in
 *     flight in it (fds[]), dropped when the skb is freed or moved into the receiver's fds;
 *   - a socket file in flight counts in its unix_sock's `inflight`; when every reference
 *     to a socket file comes from messages in flight, unix_gc (Linux net/unix/garbage.c)
 *     decides whether it is reachable from outside and frees the queues of those that are not.
 */
#pragma once
#include "types.h"

#define AF_UNSPEC        0
#define AF_UNIX          1
#define NPROTO_LX        46           /* Linux NPROTO: a family at or past it is -EAFNOSUPPORT */

#define SOCK_STREAM      1
#define SOCK_DGRAM       2
#define SOCK_RAW         3            /* AF_UNIX takes it as SOCK_DGRAM (Linux unix_create) */
#define SOCK_SEQPACKET   5
#define SOCK_MAX_LX      11           /* Linux SOCK_MAX: a type at or past it is -EINVAL */
#define SOCK_TYPE_MASK   0xf
#define SOCK_NONBLOCK    04000        /* = O_NONBLOCK */
#define SOCK_CLOEXEC     02000000     /* = O_CLOEXEC */

#define SOL_SOCKET       1
#define SO_TYPE          3
#define SO_ERROR         4
#define SO_SNDBUF        7
#define SO_RCVBUF        8
#define SO_OOBINLINE     10           /* an out-of-band byte stays in the stream (SOCK_URGINLINE) */
#define SO_PASSCRED      16
#define SO_PEERCRED      17
#define SO_RCVTIMEO_OLD  20           /* struct __kernel_old_timeval (i386: two int32) */
#define SO_SNDTIMEO_OLD  21
#define SO_ACCEPTCONN    30
#define SO_PROTOCOL      38
#define SO_PEEK_OFF      42           /* where MSG_PEEK reads (-1: the start, Linux sk_peek_off) */
#define SO_DOMAIN        39
#define SO_RCVTIMEO_NEW  66           /* struct __kernel_sock_timeval: two int64 (Linux 5.1+) */
#define SO_SNDTIMEO_NEW  67

/* Socket timeouts are kept as Linux keeps them: in jiffies (sk_rcvtimeo, sk_sndtimeo), so
   getsockopt gives back the rounding a Linux gives. LX_HZ is the HZ of x86-64's defconfig
   (CONFIG_HZ_250), which a 1 us timeout read back as 4000 us shows the host has too; a wait
   then lasts the same time in this kernel's own 10 ms ticks, rounded up. */
#define LX_HZ            250
#define LX_MAX_TIMEOUT   0x7fffffffffffffffL  /* MAX_SCHEDULE_TIMEOUT (LONG_MAX): no timeout */

#define MSG_OOB          0x1
#define MSG_PEEK         0x2
#define MSG_CTRUNC       0x8
#define MSG_TRUNC        0x20
#define MSG_DONTWAIT     0x40
#define MSG_WAITALL      0x100
#define MSG_NOSIGNAL     0x4000
#define MSG_CMSG_CLOEXEC 0x40000000
#define MSG_CMSG_COMPAT  0x80000000u  /* Linux's own mark of an i386 caller's msghdr */

#define SCM_RIGHTS       1
#define SCM_CREDENTIALS  2
#define SCM_MAX_FD       253          /* files in one SCM_RIGHTS (Linux include/net/scm.h) */

#define SHUT_RD          0
#define SHUT_WR          1
#define SHUT_RDWR        2
#define RCV_SHUTDOWN     1            /* Linux sk_shutdown bits */
#define SEND_SHUTDOWN    2
#define SHUTDOWN_MASK    3

#define UNIX_PATH_MAX    108          /* sun_path */
#define SUN_PATH_OFF     2            /* offsetof(struct sockaddr_un, sun_path) */
#define SOCKADDR_UN_SIZE 110          /* sizeof(struct sockaddr_un) */
#define UNIX_ADDR_MAX    111          /* a bound name's length at most: a full sun_path and Linux's NUL */
#define SOCKADDR_STORAGE 128          /* the most any call copies in (move_addr_to_kernel) */

#define UNIX_WMEM_DEFAULT 212992      /* net.core.wmem_default: SO_SNDBUF's start */
#define UNIX_WMEM_MAX     212992      /* the Linux default of net.core.wmem_max (cap of SO_SNDBUF / 2) */
#define UNIX_SOCK_MIN_SNDBUF 4608     /* Linux SOCK_MIN_SNDBUF on x86-64 */
#define UNIX_SOCK_MIN_RCVBUF 2304     /* Linux SOCK_MIN_RCVBUF on x86-64 */
#define UNIX_MAX_DGRAM_QLEN 10        /* net.unix.max_dgram_qlen: datagrams queued from others */
#define UNIX_SOMAXCONN   4096         /* net.core.somaxconn: listen's backlog ceiling */
#define UNIX_OPTMEM_MAX  131072       /* net.core.optmem_max: the largest control buffer sendmsg takes */
#define SKB_OVERHEAD     768          /* what Linux charges an skb besides its bytes (truesize) */

enum unix_state { US_CLOSE, US_LISTEN, US_ESTABLISHED };

struct file;
struct inode;
struct unix_sock;
struct msgio;

/* One message (Linux struct sk_buff + UNIXCB), in one kalloc'd page. */
struct skb {
    struct skb *next;
    struct unix_sock *sender;          /* holds a reference: its address, its send buffer */
    uint32_t len, off;                 /* bytes, and bytes a stream read has consumed */
    uint32_t truesize;                 /* charged to sender->wmem */
    bool has_cred;                     /* Linux UNIXCB(skb).pid != NULL */
    bool peeked;                       /* a MSG_PEEK returned it (Linux skb->peeked) */
    int32_t pid;
    uint32_t uid, gid;
    int nfd;                           /* files in flight (SCM_RIGHTS), each holding a reference */
    uint32_t fp_uid;                   /* the sender's real uid: whose files in flight they are */
    int npages;
    struct file *fds[SCM_MAX_FD];
    uint8_t *pages[];                  /* the bytes, PAGE_SIZE a page */
};
#define SKB_MAX_PAGES ((4096 - sizeof(struct skb)) / sizeof(uint8_t *))

struct unix_sock {
    struct unix_sock *next_all;        /* every socket (the collector walks them) */
    struct unix_sock *next_bound;      /* sockets with a name */
    struct unix_sock *next_release;    /* the release list (unix_release_deferred) */
    struct unix_sock *next_acc;        /* on a listener's accept queue */
    int ref;
    int type;                          /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
    enum unix_state state;
    int shutdown;                      /* RCV_SHUTDOWN | SEND_SHUTDOWN */
    int err;                           /* sk_err: reported once (ECONNRESET) */
    bool dead;                         /* released: no file, nothing more is queued to it */
    bool passcred;                     /* SO_PASSCRED */
    struct file *file;                 /* NULL: an embryo not yet accepted, or released */
    struct unix_sock *peer;
    struct skb *rq_head, *rq_tail;     /* receive queue */
    struct skb *oob;                   /* the out-of-band byte's message (Linux oob_skb): on rq,
                                          no reference of its own; unix_queue_pop clears it */
    bool urginline;                    /* SO_OOBINLINE */
    int32_t peek_off;                  /* SO_PEEK_OFF: where MSG_PEEK starts; < 0: at the start */
    int rq_count;
    uint64_t rq_arrived;               /* messages ever queued: a peek past them all waits for more */
    struct unix_sock *acc_head, *acc_tail;   /* listener: connections not yet accepted */
    int acc_count, backlog;
    uint64_t wmem;                     /* truesize of the skbs it sent that still exist */
    int sndbuf, rcvbuf;
    int addrlen;                       /* 0: no name */
    uint8_t addr[UNIX_ADDR_MAX + 1];
    struct inode *path;                /* a path name's socket inode (held) */
    bool peercred_set;                 /* SO_PEERCRED: set by connect, listen, socketpair */
    int32_t peer_pid;
    uint32_t peer_uid, peer_gid;
    uint64_t ino;                      /* st_ino, socket:[ino] */
    uint32_t uid, gid;                 /* fstat's owner: the creator's fsuid/fsgid (Linux sockfs) */
    int inflight;                      /* references of its file held by messages in flight */
    int gc_count;                      /* the collector's count of outside references */
    bool gc_candidate, gc_alive;
    struct file *fasync;               /* its file while O_ASYNC is set (fasync.c's list) */
    bool nospace;                      /* a send found no room (Linux SOCKWQ_ASYNC_NOSPACE) */
    bool waitdata;                     /* a stream read sleeps (Linux SOCKWQ_ASYNC_WAITDATA) */
    int64_t rcvtimeo, sndtimeo;        /* jiffies at LX_HZ; 0: never wait; LX_MAX_TIMEOUT: forever */
};

/* unix.c: the family; unixgc.c: releases and the collector */
int unix_create(int type, int protocol, struct unix_sock **out);
int unix_socketpair(struct unix_sock *a, struct unix_sock *b);
int unix_bind(struct unix_sock *s, const uint8_t *addr, int len);
int unix_listen(struct unix_sock *s, int backlog);
int unix_connect(struct unix_sock *s, const uint8_t *addr, int len, bool nonblock);
int unix_accept(struct unix_sock *s, bool nonblock, struct unix_sock **out);
int unix_getname(struct unix_sock *s, bool peer, uint8_t *addr);
int unix_shutdown(struct unix_sock *s, int how);
int64_t unix_sendmsg(struct unix_sock *s, struct msgio *m);
int64_t unix_recvmsg(struct unix_sock *s, struct msgio *m);
int16_t unix_poll(struct unix_sock *s);
int unix_atmark(struct unix_sock *s);
void unix_sock_put(struct unix_sock *s);
void unix_file_closed(struct file *f);          /* file.c: the file's last reference is gone */
void unix_file_put(struct file *f);             /* file.c: a reference went; maybe a cycle */
void unix_gc_settle(void);                      /* drain releases, run the collector if asked */
void skb_free(struct skb *b);
struct skb *unix_queue_pop(struct unix_sock *s);
void unix_release(struct unix_sock *s, bool embryo);   /* unixgc.c's release list calls it */
extern struct unix_sock *unix_socks;            /* every socket, linked by next_all */

struct iovec_k { uint64_t base, len; };   /* struct iovec */

/* socket.c: a user's message in the kernel's hands (Linux struct msghdr + scm_cookie) */
struct msgio {
    struct iovec_k *iovp[4];           /* sendmsg/recvmsg: the vector, 256 a page (UIO_MAXIOV 1024) */
    struct iovec_k one;                /* send/recv/read/write: the one buffer */
    int iovcnt, iov_i;
    uint64_t iov_base, iov_left;       /* the current entry's rest */
    uint64_t len;                      /* total bytes (Linux caps at MAX_RW_COUNT) */
    int flags;                         /* MSG_* given */
    int out_flags;                     /* recvmsg: MSG_TRUNC, MSG_CTRUNC, ... */
    int namelen;                       /* send: destination (0: none); recv: source's */
    uint8_t name[SOCKADDR_STORAGE + 1];
    bool want_name;
    bool nonblock;                     /* O_NONBLOCK or MSG_DONTWAIT */
    uint64_t deadline;                 /* unix.c: sock_deadline of the call's timeout */
    bool compat;                       /* an i386 caller's msghdr, iovec and cmsghdr (socket.c) */
    /* scm: sendmsg's control, or what recvmsg took off a message */
    bool has_cred;
    int32_t pid;
    uint32_t uid, gid;
    int nfd;
    struct file **fds;                 /* a kalloc'd page of SCM_MAX_FD, or NULL */
};
/* The user's control buffer as recvmsg fills it. */
struct ctlout {
    uint64_t at, left;                       /* msg_control and msg_controllen as they advance */
    int flags;                               /* MSG_CTRUNC when something did not fit */
    bool compat;                             /* compat_cmsghdr (Linux put_cmsg_compat) */
};

/* sockasync.c: SIGIO, timeouts, the limit of files in flight */
#define SOCK_WAKE_IO     0            /* Linux enum sock_wake_async's how */
#define SOCK_WAKE_WAITD  1
#define SOCK_WAKE_SPACE  2
#define SOCK_NOWAIT      0            /* sock_deadline: the call may not wait */
#define SOCK_FOREVER     (~0UL)       /* sock_deadline: no timeout */
void sock_wake_async(struct unix_sock *s, int how, int band);
void sock_write_space(struct unix_sock *s);
int sock_set_timeout(int64_t *timeo, uint64_t uval, int optlen, bool old);
int sock_get_timeout(int64_t timeo, bool old, void *out);
uint64_t sock_deadline(int64_t timeo, bool nonblock);
int sock_wait(void *chan, uint64_t deadline);
bool sock_too_many_fds(void);

/* scm.c */
int scm_send(struct msgio *m, uint64_t ctl, uint64_t ctllen);
void scm_recv(struct unix_sock *s, struct msgio *m, struct ctlout *c);

int msg_copyin(struct msgio *m, void *dst, uint64_t n);
int msg_copyout(struct msgio *m, const void *src, uint64_t n);
int sock_stat(struct file *f, uint64_t ust);
int64_t sock_read(struct file *f, uint64_t dst, uint64_t n);
int64_t sock_ioctl(struct file *f, uint32_t cmd, uint64_t arg);
int64_t sock_vector_io(struct file *f, uint64_t uiov, int iovcnt, bool write);
int64_t sock_write(struct file *f, uint64_t src, uint64_t n);
int sock_fdlink(struct file *f, char *buf, uint64_t size);
