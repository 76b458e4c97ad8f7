/*
 * AF_UNIX sockets, as Linux's net/unix/af_unix.c: SOCK_STREAM (a byte
 * stream of messages that a read may glue together), SOCK_DGRAM and
 * SOCK_SEQPACKET (messages kept whole), named by a path (a socket inode that
 * bind makes) or by an abstract name (a leading NUL), or nameless.
 *
 * A connect to a listener makes the server's socket at once (an "embryo" on
 * the listener's accept queue, Linux's newsk) and joins the two, so the
 * client may write before the server accepts. Buffers are counted as Linux
 * does: a sender's bytes in flight plus SKB_OVERHEAD each message
 * (truesize) may not pass its SO_SNDBUF; a datagram socket takes at most
 * UNIX_MAX_DGRAM_QLEN + 1 messages from senders it is not connected to.
 *
 * Files in flight (SCM_RIGHTS) hold a reference each, owned by their
 * message (struct skb); socket.h says who owns what. Releases and the
 * collector of unreachable cycles of sockets in flight are in unixgc.c.
 *
 * Single CPU, no preemption in the kernel: no locks; after every sleep the
 * state is looked at again, through references held across it.
 */
#include "kernel.h"
#include "errno.h"
#include "fasync.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "socket.h"
#include "sysfs.h"
#include "uapi.h"
#include "vm.h"

_Static_assert(sizeof(struct unix_sock) <= PAGE_SIZE, "a socket fits its page");
_Static_assert(sizeof(struct skb) + 16 * sizeof(uint8_t *) <= PAGE_SIZE, "an skb header leaves room for pages");

#define STREAM_CHUNK (64 * 1024)       /* a stream write's bytes per message at most */
#define OVERFLOW_ID  65534             /* Linux overflowuid/overflowgid: an id that cannot be shown */

struct unix_sock *unix_socks;           /* every socket (unixgc.c walks them) */
static struct unix_sock *bound_socks;
static uint64_t next_ino = 1;          /* as Linux's get_next_ino: numbers, never addresses */
static uint32_t autobind_order;

static struct unix_sock *sock_get(struct unix_sock *s)
{
    s->ref++;
    return s;
}

void unix_sock_put(struct unix_sock *s)
{
    if (--s->ref > 0)
        return;
    for (struct unix_sock **pp = &unix_socks; *pp; pp = &(*pp)->next_all)
        if (*pp == s) {
            *pp = s->next_all;
            break;
        }
    kfree(s);
}

static struct unix_sock *sock_alloc(int type)
{
    struct unix_sock *s = kalloc();
    if (!s)
        return NULL;
    struct proc *p = myproc();
    *s = (struct unix_sock){ .ref = 1, .type = type, .state = US_CLOSE, .sndbuf = UNIX_WMEM_DEFAULT,
                             .rcvbuf = UNIX_WMEM_DEFAULT, .backlog = UNIX_MAX_DGRAM_QLEN,
                             .ino = next_ino++, .uid = p->cred.fsuid, .gid = p->cred.fsgid,
                             .rcvtimeo = LX_MAX_TIMEOUT, .sndtimeo = LX_MAX_TIMEOUT, .peek_off = -1 };
    s->next_all = unix_socks;
    unix_socks = s;
    return s;
}

/* Linux unix_create: protocol 0 or PF_UNIX; SOCK_RAW is a datagram socket. */
int unix_create(int type, int protocol, struct unix_sock **out)
{
    if (protocol && protocol != AF_UNIX)
        return -EPROTONOSUPPORT;
    switch (type) {
    case SOCK_STREAM: case SOCK_DGRAM: case SOCK_SEQPACKET:
        break;
    case SOCK_RAW:
        type = SOCK_DGRAM;
        break;
    default:
        return -ESOCKTNOSUPPORT;
    }
    return (*out = sock_alloc(type)) ? 0 : -ENOMEM;
}

/* SO_PEERCRED's answer, taken when connect, listen or socketpair runs (Linux init_peercred). */
static void set_peercred(struct unix_sock *s)
{
    struct proc *p = myproc();
    s->peercred_set = true;
    s->peer_pid = p->tgid;
    s->peer_uid = p->cred.euid;
    s->peer_gid = p->cred.egid;
}

int unix_socketpair(struct unix_sock *a, struct unix_sock *b)
{
    a->peer = sock_get(b);
    b->peer = sock_get(a);
    set_peercred(a);
    set_peercred(b);
    a->state = b->state = US_ESTABLISHED;
    return 0;
}

/* ---- messages ------------------------------------------------------------------------------ */

/* A message of len bytes charged to `sender`, or NULL (no memory). */
static struct skb *skb_alloc(struct unix_sock *sender, uint64_t len)
{
    uint64_t npages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
    if (npages > SKB_MAX_PAGES)
        return NULL;
    struct skb *b = kalloc();
    if (!b)
        return NULL;
    b->len = (uint32_t)len;
    b->truesize = (uint32_t)len + SKB_OVERHEAD;
    for (; b->npages < (int)npages; b->npages++)
        if (!(b->pages[b->npages] = kalloc())) {
            b->sender = NULL;
            skb_free(b);
            return NULL;
        }
    b->sender = sock_get(sender);
    sender->wmem += b->truesize;
    return b;
}

/* The file in flight leaves its message (received, or the message freed). */
static void file_landed(struct file *f)
{
    if (f->type == F_SOCK)
        f->sock->inflight--;
}

/* Free a message that is on no queue: its files in flight lose the message's reference, its
   sender gets its send buffer back. The files' closes may release sockets (the release list). */
void skb_free(struct skb *b)
{
    for (int i = 0; i < b->nfd; i++) {          /* b is on no queue: nothing else sees it meanwhile */
        file_landed(b->fds[i]);
        file_close(b->fds[i]);
    }
    for (int i = 0; i < b->npages; i++)
        kfree(b->pages[i]);
    struct unix_sock *sender = b->sender;
    uint32_t truesize = b->truesize;
    kfree(b);
    if (sender) {
        sender->wmem -= truesize;
        wakeup(sender);                      /* a writer waiting for room */
        sock_write_space(sender);            /* and its O_ASYNC owner, as Linux's sock_wfree */
        unix_sock_put(sender);
    }
}

static void queue_link(struct unix_sock *s, struct skb *b)
{
    b->next = NULL;
    if (s->rq_tail)
        s->rq_tail->next = b;
    else
        s->rq_head = b;
    s->rq_tail = b;
    s->rq_count++;
    s->rq_arrived++;
}

/* Linux sock_def_readable: readers and the O_ASYNC owner hear of new data. */
static void data_ready(struct unix_sock *s)
{
    wakeup(s);
    sock_wake_async(s, SOCK_WAKE_WAITD, POLL_IN);
}

static void queue_tail(struct unix_sock *s, struct skb *b)
{
    queue_link(s, b);
    data_ready(s);
}

/* Take b (on s's queue) off it. */
static void queue_unlink(struct unix_sock *s, struct skb *b)
{
    struct skb **pp = &s->rq_head, *prev = NULL;
    while (*pp != b)
        prev = *pp, pp = &(*pp)->next;
    *pp = b->next;
    if (s->rq_tail == b)
        s->rq_tail = prev;
    s->rq_count--;
    b->next = NULL;
    if (b == s->oob)
        s->oob = NULL;                       /* the out-of-band byte leaves with its message */
    wakeup(s);                               /* a datagram sender waiting for the queue */
}

struct skb *unix_queue_pop(struct unix_sock *s)
{
    struct skb *b = s->rq_head;
    if (b)
        queue_unlink(s, b);
    return b;
}

static void purge(struct unix_sock *s)
{
    struct skb *b;
    while ((b = unix_queue_pop(s)))
        skb_free(b);
}

/* Copy the message's bytes [off, off + n) out to the user's buffers. */
static int skb_copyout(struct skb *b, uint64_t off, uint64_t n, struct msgio *m)
{
    while (n) {
        uint64_t in = off % PAGE_SIZE, chunk = PAGE_SIZE - in < n ? PAGE_SIZE - in : n;
        int r = msg_copyout(m, b->pages[off / PAGE_SIZE] + in, chunk);
        if (r)
            return r;
        off += chunk;
        n -= chunk;
    }
    return 0;
}

static int skb_copyin(struct skb *b, struct msgio *m)
{
    for (uint64_t off = 0; off < b->len; off += PAGE_SIZE) {
        uint64_t chunk = b->len - off < PAGE_SIZE ? b->len - off : PAGE_SIZE;
        int r = msg_copyin(m, b->pages[off / PAGE_SIZE], chunk);
        if (r)
            return r;
    }
    return 0;
}

/* The sendmsg's files go into the message (the first of a stream write's), its credentials
   too; with none given, the sender's when either end asked for them (Linux maybe_add_creds). */
static void skb_attach(struct skb *b, struct msgio *m, struct unix_sock *s, struct unix_sock *other)
{
    for (int i = 0; i < m->nfd; i++) {
        b->fds[i] = m->fds[i];
        if (b->fds[i]->type == F_SOCK)
            b->fds[i]->sock->inflight++;
    }
    b->nfd = m->nfd;
    b->fp_uid = myproc()->cred.uid;
    m->nfd = 0;
    if (m->has_cred) {
        b->has_cred = true;
        b->pid = m->pid, b->uid = m->uid, b->gid = m->gid;
    } else if (s->passcred || other->passcred || !other->file) {
        struct proc *p = myproc();
        b->has_cred = true;
        b->pid = p->tgid, b->uid = p->cred.uid, b->gid = p->cred.gid;
    }
}

/* ---- release and the collector ------------------------------------------------------------- */

static void unbind(struct unix_sock *s)
{
    for (struct unix_sock **pp = &bound_socks; *pp; pp = &(*pp)->next_bound)
        if (*pp == s) {
            *pp = s->next_bound;
            break;
        }
    if (s->path) {
        inode_put(s->path);
        s->path = NULL;
    }
}

/* Linux unix_dgram_disconnected: a datagram socket leaving its peer loses what it had
   queued, and a peer connected back to it learns of it (ECONNRESET). */
static void dgram_disconnected(struct unix_sock *s, struct unix_sock *other)
{
    if (!s->rq_head)
        return;
    purge(s);
    if (!other->dead && other->peer == s) {
        other->err = ECONNRESET;
        wakeup(other);
        sock_wake_async(other, SOCK_WAKE_IO, POLL_ERR);   /* Linux sk_error_report */
    }
}

/*
 * Linux unix_release_sock: the socket's last file is closed (or an embryo's listener went).
 * A connected stream peer sees end of file (and ECONNRESET if data or a connection was left
 * unread); unaccepted connections are released; the queue's messages are freed (their files
 * closed); the owner's reference goes.
 */
void unix_release(struct unix_sock *s, bool embryo)
{
    s->dead = true;
    s->state = US_CLOSE;
    s->shutdown = SHUTDOWN_MASK;
    unbind(s);
    struct unix_sock *peer = s->peer;
    if (peer) {
        if (s->type != SOCK_DGRAM) {
            peer->shutdown = SHUTDOWN_MASK;
            if (s->rq_head || embryo)
                peer->err = ECONNRESET;
            sock_wake_async(peer, SOCK_WAKE_WAITD, POLL_HUP);
        }
        wakeup(peer);
        s->peer = NULL;
        unix_sock_put(peer);
    }
    wakeup(s);
    struct unix_sock *e;
    while ((e = s->acc_head)) {
        s->acc_head = e->next_acc;
        s->acc_count--;
        unix_release(e, true);                    /* an embryo has no accept queue: one level deep */
    }
    s->acc_tail = NULL;
    purge(s);
    unix_sock_put(s);
}

/* ---- names --------------------------------------------------------------------------------- */

/* Linux unix_validate_addr: a family and at least one byte of name. */
static int validate_addr(const uint8_t *addr, int len)
{
    if (len <= SUN_PATH_OFF || len > SOCKADDR_UN_SIZE)
        return -EINVAL;
    if ((addr[0] | addr[1] << 8) != AF_UNIX)
        return -EINVAL;
    return 0;
}

/* A path name's bytes (up to the first NUL), NUL-terminated in path[UNIX_PATH_MAX + 1]. */
static int path_of(const uint8_t *addr, int len, char *path)
{
    int n = 0;
    while (n < len - SUN_PATH_OFF && addr[SUN_PATH_OFF + n])
        n++;
    memcpy(path, addr + SUN_PATH_OFF, (size_t)n);
    path[n] = 0;
    return n;
}

static struct unix_sock *find_abstract(const uint8_t *addr, int len, int type)
{
    for (struct unix_sock *s = bound_socks; s; s = s->next_bound)
        if (!s->path && s->addrlen == len && s->type == type && !memcmp(s->addr, addr, (size_t)len))
            return s;
    return NULL;
}

/* Linux unix_autobind: an abstract name of five hex digits. */
static int autobind(struct unix_sock *s)
{
    if (s->addrlen)
        return 0;
    for (uint32_t tries = 0; tries <= 0xfffff; tries++) {
        uint8_t a[UNIX_ADDR_MAX + 1] = { AF_UNIX, 0, 0 };
        uint32_t v = autobind_order++ & 0xfffff;
        for (int i = 4; i >= 0; i--, v >>= 4)
            a[3 + i] = (uint8_t)"0123456789abcdef"[v & 0xf];
        if (find_abstract(a, SUN_PATH_OFF + 6, s->type))
            continue;
        memcpy(s->addr, a, SUN_PATH_OFF + 6);
        s->addrlen = SUN_PATH_OFF + 6;
        s->next_bound = bound_socks;
        bound_socks = s;
        return 0;
    }
    return -ENOSPC;                          /* Linux: every name taken */
}

/*
 * Linux unix_bind: a length of just the family autobinds; a path name makes a socket inode
 * (mode 0777 less the umask) that must not exist (-EADDRINUSE); a bound socket is -EINVAL.
 */
int unix_bind(struct unix_sock *s, const uint8_t *addr, int len)
{
    if (len == SUN_PATH_OFF && (addr[0] | addr[1] << 8) == AF_UNIX)
        return autobind(s);
    int r = validate_addr(addr, len);
    if (r)
        return r;
    if (addr[SUN_PATH_OFF]) {
        char path[UNIX_PATH_MAX + 1], name[FS_NAME_MAX + 1];
        int n = path_of(addr, len, path), err;
        struct inode *dir = namei_parent(myproc()->fs->cwd, path, name, &err);
        if (!dir)
            return err;
        if (dir_lookup(dir, name))
            return -EADDRINUSE;
        if ((err = may_create(dir)))
            return err;
        if (s->addrlen)
            return -EINVAL;
        struct inode *ip = inode_new(S_IFSOCK | (0777 & ~myproc()->fs->umask));
        if (!ip)
            return -ENOSPC;
        inode_init_owner(ip, dir);
        if ((err = dir_link(dir, name, ip))) {
            inode_maybe_free(ip);
            return err;
        }
        s->path = inode_get(ip);
        s->addrlen = SUN_PATH_OFF + n + 1;   /* Linux unix_mkname_bsd: the path and its NUL */
        memcpy(s->addr, addr, SUN_PATH_OFF);
        memcpy(s->addr + SUN_PATH_OFF, path, (size_t)n + 1);
    } else {
        if (s->addrlen)
            return -EINVAL;
        if (find_abstract(addr, len, s->type))
            return -EADDRINUSE;
        memcpy(s->addr, addr, (size_t)len);
        s->addrlen = len;
    }
    s->next_bound = bound_socks;
    bound_socks = s;
    return 0;
}

/* Linux unix_find_other: the socket a name reaches (a reference), or NULL with *err. */
static struct unix_sock *find_other(const uint8_t *addr, int len, int type, int *err)
{
    struct unix_sock *o = NULL;
    if (addr[SUN_PATH_OFF]) {
        char path[UNIX_PATH_MAX + 1];
        path_of(addr, len, path);
        struct inode *ip = namei(myproc()->fs->cwd, path, err);
        if (!ip)
            return NULL;
        if ((*err = inode_permission(ip, MAY_WRITE)))
            return NULL;
        for (o = bound_socks; o && o->path != ip; o = o->next_bound)
            ;
        if (!o || (ip->mode & S_IFMT) != S_IFSOCK) {
            *err = -ECONNREFUSED;
            return NULL;
        }
        if (o->type != type) {
            *err = -EPROTOTYPE;
            return NULL;
        }
    } else if (!(o = find_abstract(addr, len, type))) {
        *err = -ECONNREFUSED;
        return NULL;
    }
    return sock_get(o);
}

/* Linux unix_getname: a nameless socket is just the family (length 2). */
int unix_getname(struct unix_sock *s, bool peer, uint8_t *addr)
{
    if (peer && !(s = s->peer))
        return -ENOTCONN;
    if (!s->addrlen) {
        addr[0] = AF_UNIX, addr[1] = 0;
        return SUN_PATH_OFF;
    }
    memcpy(addr, s->addr, (size_t)s->addrlen);
    return s->addrlen;
}

/* ---- connections --------------------------------------------------------------------------- */

int unix_listen(struct unix_sock *s, int backlog)
{
    if (s->type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (!s->addrlen)
        return -EINVAL;                      /* Linux: no listening without a name */
    if (s->state != US_CLOSE && s->state != US_LISTEN)
        return -EINVAL;
    s->backlog = backlog;
    s->state = US_LISTEN;
    set_peercred(s);
    wakeup(s);                               /* connects waiting for a larger backlog */
    return 0;
}

/* Linux unix_dgram_connect: a default destination (AF_UNSPEC: none). */
static int dgram_connect(struct unix_sock *s, const uint8_t *addr, int len)
{
    struct unix_sock *other = NULL;
    int err;
    if (len < SUN_PATH_OFF)
        return -EINVAL;
    if ((addr[0] | addr[1] << 8) != AF_UNSPEC) {
        if ((err = validate_addr(addr, len)))
            return err;
        if (s->passcred && (err = autobind(s)))
            return err;
        if (!(other = find_other(addr, len, s->type, &err)))
            return err;
        if (other->peer && other->peer != s) {    /* Linux unix_may_send */
            unix_sock_put(other);
            return -EPERM;
        }
    }
    struct unix_sock *old = s->peer;
    s->peer = other;
    s->state = other ? US_ESTABLISHED : US_CLOSE;
    if (old) {
        if (other != old)
            dgram_disconnected(s, old);
        unix_sock_put(old);
    }
    return 0;
}

/* Linux unix_stream_connect: the server's end is made now and waits on the accept queue. */
int unix_connect(struct unix_sock *s, const uint8_t *addr, int len, bool nonblock)
{
    if (s->type == SOCK_DGRAM)
        return dgram_connect(s, addr, len);
    int err = validate_addr(addr, len);
    if (err)
        return err;
    if (s->passcred && (err = autobind(s)))
        return err;
    struct unix_sock *e = sock_alloc(s->type), *other;
    if (!e)
        return -ENOMEM;
    uint64_t deadline = sock_deadline(s->sndtimeo, nonblock);
    for (;;) {
        if (!(other = find_other(addr, len, s->type, &err)))
            goto out;
        err = -ECONNREFUSED;
        if (other->state != US_LISTEN || (other->shutdown & RCV_SHUTDOWN))
            goto out_other;
        if (other->acc_count <= other->backlog)
            break;
        err = sock_wait(other, deadline);    /* the backlog is full: -EAGAIN if no wait */
        unix_sock_put(other);
        if (err)
            goto out;
    }
    if (s->state != US_CLOSE) {
        err = s->state == US_ESTABLISHED ? -EISCONN : -EINVAL;
        goto out_other;
    }
    e->state = US_ESTABLISHED;
    e->peer = sock_get(s);
    set_peercred(e);                         /* the server's SO_PEERCRED: the client */
    memcpy(e->addr, other->addr, sizeof e->addr);
    e->addrlen = other->addrlen;             /* getsockname of the accepted socket: the listener's */
    s->peercred_set = other->peercred_set;   /* the client's: whoever listened */
    s->peer_pid = other->peer_pid, s->peer_uid = other->peer_uid, s->peer_gid = other->peer_gid;
    s->state = US_ESTABLISHED;
    s->peer = sock_get(e);
    e->next_acc = NULL;                      /* the queue takes e's first reference */
    if (other->acc_tail)
        other->acc_tail->next_acc = e;
    else
        other->acc_head = e;
    other->acc_tail = e;
    other->acc_count++;
    wakeup(other);
    sock_wake_async(other, SOCK_WAKE_WAITD, POLL_IN);   /* the listener's sk_data_ready */
    unix_sock_put(other);
    return 0;
out_other:
    unix_sock_put(other);
out:
    unix_sock_put(e);
    return err;
}

/* Linux unix_accept: the oldest connection; its reference becomes the new file's. */
int unix_accept(struct unix_sock *s, bool nonblock, struct unix_sock **out)
{
    if (s->type == SOCK_DGRAM)
        return -EOPNOTSUPP;
    if (s->state != US_LISTEN)
        return -EINVAL;
    uint64_t deadline = sock_deadline(s->rcvtimeo, nonblock);
    while (!s->acc_head) {
        if (s->err) {
            int e = s->err;
            s->err = 0;
            return -e;
        }
        if (s->shutdown & RCV_SHUTDOWN)
            return -EINVAL;
        int err = sock_wait(s, deadline);
        if (err)
            return err;
        if (s->state != US_LISTEN)
            return -EINVAL;
    }
    struct unix_sock *e = s->acc_head;
    s->acc_head = e->next_acc;
    if (!s->acc_head)
        s->acc_tail = NULL;
    s->acc_count--;
    e->next_acc = NULL;
    wakeup(s);                               /* connects waiting for the backlog */
    *out = e;
    return 0;
}

/* Linux unix_shutdown: SHUT_RD/WR/RDWR are 1/2/3 in sk_shutdown; a connected stream or
   seqpacket peer gets the mirror image. No connection needed. */
int unix_shutdown(struct unix_sock *s, int how)
{
    if (how < SHUT_RD || how > SHUT_RDWR)
        return -EINVAL;
    int mode = how + 1;
    s->shutdown |= mode;
    wakeup(s);
    struct unix_sock *other = s->peer;
    if (other && s->type != SOCK_DGRAM) {
        int peer_mode = ((mode & RCV_SHUTDOWN) ? SEND_SHUTDOWN : 0) | ((mode & SEND_SHUTDOWN) ? RCV_SHUTDOWN : 0);
        other->shutdown |= peer_mode;
        wakeup(other);
        if (peer_mode == SHUTDOWN_MASK)      /* Linux unix_shutdown's sk_wake_async */
            sock_wake_async(other, SOCK_WAKE_WAITD, POLL_HUP);
        else if (peer_mode & RCV_SHUTDOWN)
            sock_wake_async(other, SOCK_WAKE_WAITD, POLL_IN);
    }
    return 0;
}

/* ---- sending ------------------------------------------------------------------------------- */

/* Wait for room in the send buffer (Linux sock_alloc_send_pskb): 0, or the error. */
static int wait_sndbuf(struct unix_sock *s, uint64_t deadline)
{
    while (s->wmem >= (uint64_t)s->sndbuf) {
        s->nospace = true;                   /* POLL_OUT when room comes back */
        if (s->err) {
            int e = s->err;
            s->err = 0;
            return -e;
        }
        if (s->shutdown & SEND_SHUTDOWN)
            return -EPIPE;
        int err = sock_wait(s, deadline);
        if (err)
            return err;
    }
    return 0;
}

/*
 * Linux sk_send_sigurg: SIGURG to the receiving file's owner (O_ASYNC or not); if it has one,
 * also sock_wake_async's SOCK_WAKE_URG: kill_fasync(SIGURG, POLL_PRI) tells each O_ASYNC file
 * whose owner asked for an F_SETSIG signal (plain SIGIO owners are skipped, fs/fcntl.c
 * kill_fasync_rcu).
 */
static void send_sigurg(struct unix_sock *s)
{
    if (!s->file || !fasync_sigurg(s->file))
        return;
    for (struct file *f = s->fasync; f; f = f->fa_next)
        if (f->own.signum)
            fasync_send(f, f->fa_fd, POLL_PRI);
}

/*
 * Linux queue_oob: the last byte of a MSG_OOB send, in a message of its own that becomes the
 * receiver's out-of-band byte. A byte still unread from an earlier MSG_OOB stays in the
 * stream as ordinary data (older Linux kernels freed it; the host's 6.18 reads it back in
 * line). The files of the send go with it if no earlier message of the send took them.
 */
static int queue_oob(struct unix_sock *s, struct unix_sock *other, struct msgio *m)
{
    int err = wait_sndbuf(s, m->deadline);
    if (err)
        return err;
    struct skb *b = skb_alloc(s, 1);
    if (!b)
        return -ENOBUFS;
    if (m->nfd && sock_too_many_fds()) {
        skb_free(b);
        return -ETOOMANYREFS;
    }
    skb_attach(b, m, s, other);
    if ((err = skb_copyin(b, m))) {
        skb_free(b);
        return err;
    }
    if (other->dead || (other->shutdown & RCV_SHUTDOWN)) {
        skb_free(b);
        return -EPIPE;
    }
    other->oob = b;
    queue_link(other, b);
    send_sigurg(other);
    data_ready(other);
    return 0;
}

static int64_t stream_send(struct unix_sock *s, struct msgio *m)
{
    /* MSG_OOB: all but the last byte go as data, that one by queue_oob; none is -EOPNOTSUPP */
    bool oob = m->flags & MSG_OOB;
    if (oob && !m->len)
        return -EOPNOTSUPP;
    uint64_t len = m->len - oob;
    if (m->namelen)
        return s->state == US_ESTABLISHED ? -EISCONN : -EOPNOTSUPP;
    struct unix_sock *other = s->peer;       /* stays while our file is held: only release clears it */
    if (!other)
        return -ENOTCONN;
    uint64_t sent = 0;
    int64_t err = -EPIPE;
    if (s->shutdown & SEND_SHUTDOWN)
        goto pipe;
    while (sent < len) {
        uint64_t size = len - sent, most = (uint64_t)(s->sndbuf / 2 - 64);
        size = size < most ? size : most;
        size = size < STREAM_CHUNK ? size : STREAM_CHUNK;
        if ((err = wait_sndbuf(s, m->deadline)))
            goto out;
        struct skb *b = skb_alloc(s, size);
        if (!b) {
            err = -ENOBUFS;
            goto out;
        }
        if (m->nfd && sock_too_many_fds()) { /* Linux unix_attach_fds, first message only */
            skb_free(b);
            err = -ETOOMANYREFS;
            goto out;
        }
        skb_attach(b, m, s, other);          /* files with the first message only */
        if ((err = skb_copyin(b, m))) {
            skb_free(b);
            goto out;
        }
        if (other->dead || (other->shutdown & RCV_SHUTDOWN)) {
            skb_free(b);
            err = -EPIPE;
            goto pipe;
        }
        queue_tail(other, b);
        sent += size;
    }
    if (oob) {
        if ((err = queue_oob(s, other, m)) == -EPIPE)
            goto pipe;
        if (err)
            goto out;
        sent++;
    }
    return (int64_t)sent;
pipe:
    if (!sent && !(m->flags & MSG_NOSIGNAL))
        pipe_sigpipe();                      /* Linux: only when nothing was sent */
out:
    return sent ? (int64_t)sent : err;
}

/* Linux unix_dgram_sendmsg (and, connected, unix_seqpacket_sendmsg). */
static int64_t dgram_send(struct unix_sock *s, struct msgio *m)
{
    int err;
    struct unix_sock *other;
    if (m->namelen) {
        if ((err = validate_addr(m->name, m->namelen)))
            return err;
    } else if (!s->peer) {
        return -ENOTCONN;
    }
    if (s->passcred && (err = autobind(s)))
        return err;
    if (m->len > (uint64_t)(s->sndbuf - 32))
        return -EMSGSIZE;
    if ((err = wait_sndbuf(s, m->deadline)))
        return err;
    struct skb *b = skb_alloc(s, m->len);
    if (!b)
        return -ENOBUFS;
    err = -ETOOMANYREFS;                     /* Linux unix_scm_to_skb, before the bytes */
    if ((m->nfd && sock_too_many_fds()) || (err = skb_copyin(b, m)))
        goto out_free;
    for (;;) {
        if (m->namelen) {
            if (!(other = find_other(m->name, m->namelen, s->type, &err)))
                goto out_free;
        } else if (!(other = s->peer)) {
            err = -ENOTCONN;
            goto out_free;
        } else {
            sock_get(other);
        }
        err = -EPERM;
        if (other->peer && other->peer != s)
            goto out_other;
        if (other->dead) {                   /* our peer is gone */
            err = -EPIPE;
            if (s->type == SOCK_SEQPACKET)
                goto out_other;
            err = -ECONNREFUSED;
            if (s->peer == other) {
                s->peer = NULL;
                s->state = US_CLOSE;
                dgram_disconnected(s, other);
                unix_sock_put(other);        /* s->peer's reference */
            }
            goto out_other;
        }
        err = -EPIPE;
        if (other->shutdown & RCV_SHUTDOWN)
            goto out_other;
        if (other->peer == s || other->rq_count <= other->backlog)
            break;
        err = sock_wait(other, m->deadline); /* the receiver's queue is full */
        unix_sock_put(other);
        if (err)
            goto out_free;
    }
    skb_attach(b, m, s, other);
    queue_tail(other, b);
    unix_sock_put(other);
    return (int64_t)m->len;
out_other:
    unix_sock_put(other);
out_free:
    skb_free(b);
    return err;
}

int64_t unix_sendmsg(struct unix_sock *s, struct msgio *m)
{
    m->deadline = sock_deadline(s->sndtimeo, m->nonblock);
    if (s->type == SOCK_STREAM)
        return stream_send(s, m);
    if (m->flags & MSG_OOB)
        return -EOPNOTSUPP;                  /* Linux: out-of-band data is a stream's only */
    if (s->type == SOCK_SEQPACKET) {
        if (s->state != US_ESTABLISHED)
            return -ENOTCONN;
        m->namelen = 0;
    }
    return dgram_send(s, m);
}

/* ---- receiving ----------------------------------------------------------------------------- */

/* The message's credentials into m (none: pid 0 and the overflow ids, as Linux shows them). */
static void take_cred(struct msgio *m, const struct skb *b)
{
    m->has_cred = true;
    m->pid = b->has_cred ? b->pid : 0;
    m->uid = b->has_cred ? b->uid : OVERFLOW_ID;
    m->gid = b->has_cred ? b->gid : OVERFLOW_ID;
}

static bool same_cred(const struct msgio *m, const struct skb *b)
{
    return (b->has_cred ? b->pid : 0) == m->pid && (b->has_cred ? b->uid : OVERFLOW_ID) == m->uid &&
           (b->has_cred ? b->gid : OVERFLOW_ID) == m->gid;
}

/* The message's files into m: moved (they land), or with MSG_PEEK new references. */
static int take_fds(struct msgio *m, struct skb *b, bool peek)
{
    if (!b->nfd)
        return 0;
    if (!m->fds && !(m->fds = kalloc()))
        return -ENOMEM;
    for (int i = 0; i < b->nfd; i++) {
        if (peek) {
            m->fds[i] = file_dup(b->fds[i]);
        } else {
            m->fds[i] = b->fds[i];
            file_landed(b->fds[i]);
        }
    }
    m->nfd = b->nfd;
    if (!peek)
        b->nfd = 0;
    return 0;
}

static void copy_name(struct msgio *m, struct unix_sock *from)
{
    if (m->want_name && from && from->addrlen) {
        memcpy(m->name, from->addr, (size_t)from->addrlen);
        m->namelen = from->addrlen;
    }
}

/* Wait for a message: 0 with one queued, 1 for end of file, or the error. */
static int wait_data(struct unix_sock *s, uint64_t deadline)
{
    while (!s->rq_head) {
        if (s->err) {
            int e = s->err;
            s->err = 0;
            return -e;
        }
        if (s->shutdown & RCV_SHUTDOWN)
            return 1;
        int err = sock_wait(s, deadline);
        if (err)
            return err;
    }
    return 0;
}

/* Linux sk_peek_offset_bwd/_fwd: a read takes n bytes off the peek offset (not below 0), a
   peek adds them; an offset < 0 (SO_PEEK_OFF's -1) stays. The sum is an s32, as Linux's. */
static void peek_off_bwd(struct unix_sock *s, int64_t n)
{
    if (s->peek_off < 0)
        return;
    int32_t off = (int32_t)(uint32_t)((uint32_t)s->peek_off - (uint32_t)n);
    s->peek_off = off > 0 ? off : 0;
}

static void peek_off_fwd(struct unix_sock *s, int64_t n) { peek_off_bwd(s, -n); }

/*
 * Linux __skb_try_recv_from_queue: the message a datagram read takes (the first), or a peek
 * with SO_PEEK_OFF >= 0 reads from: whole messages the offset covers are passed (an empty one
 * only if peeked before), *skip is where the peek starts in the one found. NULL: none there.
 */
static struct skb *dgram_at(struct unix_sock *s, bool peek, int64_t *skip)
{
    struct skb *b = s->rq_head;
    int64_t off = 0;
    if (peek && s->peek_off >= 0)
        for (off = s->peek_off; b && off >= b->len && (off || b->peeked); b = b->next)
            off -= b->len;
    *skip = off;
    return b;
}

/* Linux unix_dgram_recvmsg: one message, cut to the buffer (MSG_TRUNC: its whole length). A
   peek starts at SO_PEEK_OFF and moves it on; a read moves it back by the message's length. */
static int64_t dgram_recv(struct unix_sock *s, struct msgio *m)
{
    bool peek = m->flags & MSG_PEEK;
    if (s->type == SOCK_SEQPACKET && s->state != US_ESTABLISHED)
        return -ENOTCONN;
    if (s->err) {                            /* Linux __skb_try_recv_datagram: the error first */
        int e = s->err;
        s->err = 0;
        return -e;
    }
    struct skb *b;
    int64_t skip;
    for (;;) {
        int r = wait_data(s, m->deadline);
        if (r == -EAGAIN && s->type == SOCK_SEQPACKET && (s->shutdown & RCV_SHUTDOWN))
            return 0;
        if (r)
            return r > 0 ? 0 : r;
        if ((b = dgram_at(s, peek, &skip)))
            break;
        /* every message lies before the peek offset: wait for one more (Linux
           __skb_wait_for_more_packets), told by the count of arrivals, not by a pointer */
        for (uint64_t seen = s->rq_arrived; s->rq_arrived == seen;) {
            if (s->err) {
                int e = s->err;
                s->err = 0;
                return -e;
            }
            if (s->shutdown & RCV_SHUTDOWN)  /* Linux: -EAGAIN, which seqpacket makes 0 */
                return s->type == SOCK_SEQPACKET ? 0 : -EAGAIN;
            if ((r = sock_wait(s, m->deadline)))
                return r;
        }
    }
    if (b->nfd && !m->fds && !(m->fds = kalloc()))
        return -ENOMEM;
    if (!peek)
        unix_queue_pop(s);                   /* b is the head: a read has no offset */
    copy_name(m, b->sender);
    uint64_t avail = b->len - (uint64_t)skip, size = m->len;
    if (size > avail)
        size = avail;
    else if (size < avail)
        m->out_flags |= MSG_TRUNC;
    int64_t ret = (m->flags & MSG_TRUNC) ? (int64_t)avail : (int64_t)size;
    int r = skb_copyout(b, (uint64_t)skip, size, m);
    if (r) {
        ret = r;
    } else {
        take_cred(m, b);
        take_fds(m, b, peek);
        if (peek) {
            b->peeked = true;
            peek_off_fwd(s, (int64_t)size);
        } else {
            peek_off_bwd(s, b->len);
        }
    }
    if (!peek)
        skb_free(b);
    return ret;
}

/* Linux unix_stream_recv_urg: recv(MSG_OOB) takes the out-of-band byte (MSG_PEEK leaves it);
   none, or SO_OOBINLINE, is -EINVAL. A fault leaves it where it was (as the host's 6.18
   does); a buffer of 0 bytes still takes it. */
static int64_t recv_urg(struct unix_sock *s, struct msgio *m)
{
    struct skb *b = s->oob;
    if (s->urginline || !b)
        return -EINVAL;
    uint8_t c = b->pages[0][b->off];
    if (m->len && msg_copyout(m, &c, 1))
        return -EFAULT;
    if (!(m->flags & MSG_PEEK)) {
        s->oob = NULL;
        b->off++;                            /* an empty message stays: it marks where it was */
        /* an emptied one right before it goes, with any files it carried (Linux 6.18's
           unix_stream_recv_urg: no two emptied messages in a row) */
        struct skb *prev = s->rq_head;
        while (prev && prev->next != b)
            prev = prev->next;
        if (prev && prev->len == prev->off) {
            queue_unlink(s, prev);
            skb_free(prev);
        }
    }
    m->out_flags |= MSG_OOB;
    return 1;
}

/*
 * Linux manage_oob: the message a stream read that reached `b` goes on with, after `copied`
 * bytes. An emptied message (an out-of-band byte recv(MSG_OOB) took) ends a read with bytes
 * at the mark, else is dropped (a peek passes it). The out-of-band byte ends a read with
 * bytes; a read without bytes takes it out of the stream and frees it, unless SO_OOBINLINE
 * (then it is read as data); a peek passes it. NULL: nothing to read here (*stop: the read
 * ends with what it has).
 */
static struct skb *manage_oob(struct unix_sock *s, struct skb *b, bool peek, uint64_t copied, bool *stop)
{
    *stop = false;
    if (!b || (b->len != b->off && b != s->oob))
        return b;
    if (b->len == b->off) {
        if (copied && (!s->oob || b == s->oob)) {
            *stop = true;
            return NULL;
        }
        struct skb *next = b->next;
        if (!peek) {
            unix_queue_pop(s);               /* a read always starts at the head */
            skb_free(b);
        }
        if (!(b = next))
            return NULL;
    }
    if (b != s->oob)
        return b;
    if (copied) {
        *stop = true;
        return NULL;
    }
    if (peek)
        return s->urginline ? b : b->next;
    s->oob = NULL;
    if (s->urginline)
        return b;
    unix_queue_pop(s);                       /* b is the head (an emptied one before it went) */
    skb_free(b);                             /* the byte is lost, and any files it carried */
    return s->rq_head;
}

/* Linux unix_stream_read_generic: bytes across messages, but never past one that carried
   files, nor (with SO_PASSCRED) into one from another writer, nor past the out-of-band mark
   (manage_oob). A peek starts SO_PEEK_OFF bytes in and moves it on; a read moves it back. */
static int64_t stream_recv(struct unix_sock *s, struct msgio *m)
{
    if (s->state != US_ESTABLISHED)
        return -EINVAL;
    if (m->flags & MSG_OOB)
        return recv_urg(s, m);
    bool peek = m->flags & MSG_PEEK, creds = false, stop;
    uint64_t target = (m->flags & MSG_WAITALL) ? m->len : 1, copied = 0;
    if (!target)
        target = 1;
    /* Linux keeps what the skipping used up across a wait and starts again at the head */
    uint64_t skip = peek && s->peek_off > 0 ? (uint64_t)s->peek_off : 0;
    int64_t err = 0;
    struct skb *last = NULL;                 /* MSG_PEEK: the message read last */
    for (;;) {
        struct skb *b = manage_oob(s, peek && last ? last->next : s->rq_head, peek, copied, &stop);
        if (stop)
            break;
        while (b && skip >= b->len - b->off) {
            skip -= b->len - b->off;
            b = b->next;
        }
        if (!b) {
            if (copied >= target)
                break;
            if (s->err) {
                err = -s->err;
                s->err = 0;
                break;
            }
            if (s->shutdown & RCV_SHUTDOWN)
                break;                       /* end of file */
            s->waitdata = true;              /* Linux unix_stream_data_wait: no POLL_IN meanwhile */
            err = sock_wait(s, m->deadline);
            s->waitdata = false;
            if (err)
                break;
            struct skb *q = s->rq_head;      /* another reader may have taken `last` meanwhile */
            while (q && q != last)
                q = q->next;
            last = q;
            continue;
        }
        if (creds) {
            if (!same_cred(m, b))
                break;                       /* never glue messages of different writers */
        } else if (s->passcred) {
            take_cred(m, b);
            creds = true;
        }
        if (!copied)
            copy_name(m, b->sender);
        uint64_t from = b->off + skip, avail = b->len - from;
        uint64_t chunk = m->len - copied < avail ? m->len - copied : avail;
        if (skb_copyout(b, from, chunk, m)) {
            if (!copied)
                err = -EFAULT;
            break;
        }
        copied += chunk;
        skip = 0;
        if (!peek) {
            b->off += (uint32_t)chunk;
            peek_off_bwd(s, (int64_t)chunk);
            bool had_fds = b->nfd;
            if (had_fds && take_fds(m, b, false)) {
                b->off -= (uint32_t)chunk;   /* no page for the files: leave it all queued */
                peek_off_fwd(s, (int64_t)chunk);
                copied -= chunk;
                if (!copied)
                    err = -ENOMEM;
                break;
            }
            if (b->off < b->len)
                break;
            queue_unlink(s, b);              /* not the head if emptied messages were passed */
            skb_free(b);
            if (had_fds)
                break;
        } else {
            peek_off_fwd(s, (int64_t)chunk);
            if (b->nfd) {
                take_fds(m, b, true);        /* no page: the files stay queued, unseen */
                break;
            }
            last = b;
        }
        if (copied >= m->len)
            break;
    }
    return copied ? (int64_t)copied : err;
}

int64_t unix_recvmsg(struct unix_sock *s, struct msgio *m)
{
    m->deadline = sock_deadline(s->rcvtimeo, m->nonblock);
    if (s->type == SOCK_STREAM)
        return stream_recv(s, m);
    if (m->flags & MSG_OOB)
        return -EOPNOTSUPP;                  /* Linux: out-of-band data is a stream's only */
    return dgram_recv(s, m);
}

/* Linux unix_ioctl's SIOCATMARK: 1 when the next read starts at the out-of-band byte (or at
   the empty message one left, with no newer byte further on); a stream's only. */
int unix_atmark(struct unix_sock *s)
{
    if (s->type != SOCK_STREAM)
        return -EOPNOTSUPP;
    struct skb *b = s->rq_head;
    return b && (b == s->oob || (b->len == b->off && (!s->oob || b->next == s->oob)));
}

/* ---- readiness ----------------------------------------------------------------------------- */

#define POLLIN     0x001
#define POLLPRI    0x002
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#define POLLWRBAND 0x200
#define POLLRDHUP  0x2000

/* Linux unix_poll (stream) and unix_dgram_poll (datagram, seqpacket). */
int16_t unix_poll(struct unix_sock *s)
{
    int mask = 0;
    if (s->err)
        mask |= POLLERR;
    if (s->shutdown == SHUTDOWN_MASK)
        mask |= POLLHUP;
    if (s->shutdown & RCV_SHUTDOWN)
        mask |= POLLRDHUP | POLLIN | POLLRDNORM;
    if (s->rq_head || s->acc_head)
        mask |= POLLIN | POLLRDNORM;
    if (s->oob)
        mask |= POLLPRI;                     /* an out-of-band byte waits (unix_poll) */
    if (s->type != SOCK_DGRAM && s->state == US_CLOSE)
        mask |= POLLHUP;
    bool writable = s->state != US_LISTEN && (s->wmem << 2) <= (uint64_t)s->sndbuf;
    struct unix_sock *other = s->peer;
    if (s->type != SOCK_STREAM && writable && other && other->peer != s && other->rq_count > other->backlog)
        writable = false;
    if (writable)
        mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
    return (int16_t)mask;
}
