/*
 * The socket system calls and the socket file, as Linux's net/socket.c (and
 * net/compat.c for i386 callers): arguments are checked in Linux's order
 * (flags, the descriptor - -EBADF, -ENOTSOCK -, the address: -EINVAL past 128
 * bytes, -EFAULT; the vector: -EMSGSIZE past UIO_MAXIOV, -EINVAL for a length
 * past SSIZE_MAX, -EFAULT for a buffer out of the user range; the control buffer:
 * -ENOBUFS past optmem_max, -EFAULT), then the family (unix.c) acts. Only
 * AF_UNIX exists: every other family is -EAFNOSUPPORT, as a Linux built
 * without them answers. read/write on a socket are recv/send without flags.
 *
 * Control messages (SCM_RIGHTS, SCM_CREDENTIALS) are scm.c's.
 */
#include "kernel.h"
#include "errno.h"
#include "fasync.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "socket.h"
#include "syscall.h"
#include "sysfs.h"
#include "thread.h"
#include "trap.h"
#include "uapi.h"
#include "vm.h"

#define UIO_MAXIOV    1024
#define IOV_PER_PAGE  (PAGE_SIZE / sizeof(struct iovec_k))
#define MAX_RW_COUNT  (0x7fffffffUL & ~(uint64_t)(PAGE_SIZE - 1))   /* Linux: INT_MAX & PAGE_MASK */

struct user_msghdr {
    /*  0 */ uint64_t name;
    /*  8 */ int32_t namelen, pad0;
    /* 16 */ uint64_t iov;
    /* 24 */ uint64_t iovlen;
    /* 32 */ uint64_t control;
    /* 40 */ uint64_t controllen;
    /* 48 */ int32_t flags, pad1;
};
_Static_assert(sizeof(struct user_msghdr) == 56, "struct user_msghdr is 56 bytes on x86-64");

/* ---- the socket file ----------------------------------------------------------------------- */

/* The socket behind fd, held (the caller closes it), or NULL with *err: -EBADF, -ENOTSOCK. */
static struct file *sock_fd(int fd, int *err)
{
    struct file *f = fd_file(fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    if (f->type != F_SOCK) {
        *err = -ENOTSOCK;
        return NULL;
    }
    return file_dup(f);
}

/* A file for a new socket (its reference becomes the file's), or NULL (-ENFILE). */
static struct file *sock_file(struct unix_sock *s, int flags)
{
    struct file *f = file_alloc(F_SOCK);
    if (!f)
        return NULL;
    f->sock = s;
    f->flags = O_RDWR | (flags & O_NONBLOCK);
    s->file = f;
    return f;
}

/* fstat of a socket (Linux sockfs: S_IFSOCK 0777, the creator's fsuid/fsgid). */
int sock_stat(struct file *f, uint64_t ust)
{
    struct linux_stat st;
    memset(&st, 0, sizeof st);
    st.st_dev = 3;                           /* sockfs: a device of its own */
    st.st_ino = f->sock->ino;
    st.st_mode = S_IFSOCK | 0777;
    st.st_nlink = 1;
    st.st_uid = f->sock->uid;
    st.st_gid = f->sock->gid;
    st.st_blksize = PAGE_SIZE;
    return copyout(myproc()->pml4, ust, &st, sizeof st);
}

/* /proc/PID/fd/N of a socket: "socket:[INO]". */
int sock_fdlink(struct file *f, char *buf, uint64_t size)
{
    return snprintf(buf, size, "socket:[%lu]", f->sock->ino);
}

/* ---- user buffers -------------------------------------------------------------------------- */

static struct iovec_k *iov_at(struct msgio *m, int i)
{
    return m->iovp[0] ? &m->iovp[i / IOV_PER_PAGE][i % IOV_PER_PAGE] : &m->one;
}

static void msg_done(struct msgio *m)
{
    for (int i = 0; i < 4; i++)
        if (m->iovp[i])
            kfree(m->iovp[i]);
    for (int i = 0; i < m->nfd; i++)
        file_close(m->fds[i]);               /* files never sent or never received */
    if (m->fds)
        kfree(m->fds);
    m->nfd = 0;
    m->fds = NULL;
}

/* One buffer (send, recv, read, write): Linux import_ubuf caps it and checks the range. */
static int msg_one(struct msgio *m, uint64_t buf, uint64_t len)
{
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    if (!user_range_ok(buf, len))
        return -EFAULT;
    m->one = (struct iovec_k){ buf, len };
    m->iovcnt = 1;
    m->len = len;
    m->iov_base = buf;
    m->iov_left = len;
    m->iov_i = 1;
    return 0;
}

/* Linux import_iovec: the vector copied in; a length past SSIZE_MAX is -EINVAL, a buffer out
   of the user range -EFAULT (any of them: 6.x checks every one); the total is capped at
   MAX_RW_COUNT. */
static int msg_iovec(struct msgio *m, uint64_t uiov, uint64_t n)
{
    if (n > UIO_MAXIOV)
        return -EMSGSIZE;
    for (uint64_t i = 0; i * IOV_PER_PAGE < n; i++)
        if (!(m->iovp[i] = kalloc()))
            return -ENOMEM;
    if (n && !m->iovp[0] && !(m->iovp[0] = kalloc()))
        return -ENOMEM;
    if (!n && !(m->iovp[0] = kalloc()))
        return -ENOMEM;
    for (uint64_t i = 0; i < n; i++) {
        struct iovec_k *v = iov_at(m, (int)i);
        if (m->compat) {                     /* struct compat_iovec: a length past 2 GiB is < 0 */
            uint32_t c[2];
            if (copyin(myproc()->pml4, c, uiov + i * sizeof c, sizeof c))
                return -EFAULT;
            if ((int32_t)c[1] < 0)
                return -EINVAL;
            *v = (struct iovec_k){ c[0], c[1] };
            continue;
        }
        if (copyin(myproc()->pml4, v, uiov + i * sizeof *v, sizeof *v))
            return -EFAULT;
        if ((int64_t)v->len < 0)
            return -EINVAL;
    }
    uint64_t total = 0;
    int cnt = 0;
    for (; cnt < (int)n; cnt++) {
        struct iovec_k *v = iov_at(m, cnt);
        if (!user_range_ok(v->base, v->len))
            return -EFAULT;
        if (v->len > MAX_RW_COUNT - total)
            v->len = MAX_RW_COUNT - total;
        total += v->len;
    }
    m->iovcnt = cnt;
    m->len = total;
    m->iov_i = 0;
    m->iov_left = 0;
    return 0;
}

/* The next n bytes of the message's buffers: copied in (send) or out (recv). */
static int msg_copy(struct msgio *m, void *kbuf, uint64_t n, bool out)
{
    uint8_t *k = kbuf;
    while (n) {
        while (!m->iov_left) {
            if (m->iov_i >= m->iovcnt)
                return -EFAULT;              /* more asked than the buffers hold: a caller bug */
            struct iovec_k *v = iov_at(m, m->iov_i++);
            m->iov_base = v->base;
            m->iov_left = v->len;
        }
        uint64_t chunk = n < m->iov_left ? n : m->iov_left;
        int r = out ? copyout(myproc()->pml4, m->iov_base, k, chunk)
                    : copyin(myproc()->pml4, k, m->iov_base, chunk);
        if (r)
            return -EFAULT;
        m->iov_base += chunk;
        m->iov_left -= chunk;
        k += chunk;
        n -= chunk;
    }
    return 0;
}

int msg_copyin(struct msgio *m, void *dst, uint64_t n) { return msg_copy(m, dst, n, false); }
int msg_copyout(struct msgio *m, const void *src, uint64_t n) { return msg_copy(m, (void *)src, n, true); }

/* Linux move_addr_to_kernel: at most sockaddr_storage's 128 bytes. */
static int addr_in(uint8_t *k, uint64_t uaddr, int len)
{
    if (len < 0 || len > SOCKADDR_STORAGE)
        return -EINVAL;
    memset(k, 0, SOCKADDR_STORAGE + 1);
    if (len && copyin(myproc()->pml4, k, uaddr, (uint64_t)len))
        return -EFAULT;
    return 0;
}

/* Linux move_addr_to_user: as much as the user's length allows; the real length written back. */
static int addr_out(const uint8_t *k, int klen, uint64_t uaddr, uint64_t ulenp)
{
    int32_t len;
    if (copyin(myproc()->pml4, &len, ulenp, sizeof len))
        return -EFAULT;
    if (len > klen)
        len = klen;
    if (len < 0)
        return -EINVAL;
    if (len && copyout(myproc()->pml4, uaddr, k, (uint64_t)len))
        return -EFAULT;
    return copyout(myproc()->pml4, ulenp, &klen, sizeof klen);
}

/* ---- the calls ----------------------------------------------------------------------------- */

int64_t sys_socket(struct trapframe *tf)
{
    int family = (int)tf->rdi, type = (int)tf->rsi & SOCK_TYPE_MASK, flags = (int)tf->rsi & ~SOCK_TYPE_MASK;
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    if (family < 0 || family >= NPROTO_LX)
        return -EAFNOSUPPORT;
    if (type >= SOCK_MAX_LX)
        return -EINVAL;
    if (family != AF_UNIX)
        return -EAFNOSUPPORT;                /* a Linux without the family's module */
    struct unix_sock *s;
    int r = unix_create(type, (int)tf->rdx, &s);
    if (r)
        return r;
    struct file *f = sock_file(s, flags);
    if (!f) {
        unix_sock_put(s);
        return -ENFILE;
    }
    int fd = fd_alloc(f, 0, flags & SOCK_CLOEXEC);
    if (fd < 0)
        file_close(f);
    return fd;
}

int64_t sys_socketpair(struct trapframe *tf)
{
    int family = (int)tf->rdi, type = (int)tf->rsi & SOCK_TYPE_MASK, flags = (int)tf->rsi & ~SOCK_TYPE_MASK;
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    if (family < 0 || family >= NPROTO_LX)
        return -EAFNOSUPPORT;
    if (type >= SOCK_MAX_LX)
        return -EINVAL;
    if (family != AF_UNIX)
        return -EAFNOSUPPORT;
    struct unix_sock *a, *b;
    int r = unix_create(type, (int)tf->rdx, &a);
    if (r)
        return r;
    if ((r = unix_create(type, (int)tf->rdx, &b))) {
        unix_sock_put(a);
        return r;
    }
    struct file *fa = sock_file(a, flags), *fb = fa ? sock_file(b, flags) : NULL;
    if (!fb) {
        if (fa)
            file_close(fa);
        else
            unix_sock_put(a);
        unix_sock_put(b);
        return -ENFILE;
    }
    unix_socketpair(a, b);
    /* The two lowest free fds, written out before either is installed (Linux: -EFAULT
       leaves no fd behind). Nothing runs in between: the numbers stay free. */
    int fds[2] = { fd_free(0), -1 };
    if (fds[0] >= 0)
        fds[1] = fd_free(fds[0] + 1);
    if (fds[1] < 0)
        r = fds[0] < 0 ? fds[0] : fds[1];
    else if (copyout(myproc()->pml4, tf->r10, fds, sizeof fds))
        r = -EFAULT;
    else if ((r = fd_alloc(fa, fds[0], flags & SOCK_CLOEXEC)) >= 0 &&
             (r = fd_alloc(fb, fds[1], flags & SOCK_CLOEXEC)) >= 0)
        return 0;
    else if (fds[0] >= 0 && files_fd(myproc()->files, fds[0]) == fa) {
        files_clear(myproc()->files, fds[0]);     /* the first went in, the second could not */
    }
    file_close(fa);
    file_close(fb);
    return r;
}

int64_t sys_bind(struct trapframe *tf)
{
    uint8_t a[SOCKADDR_STORAGE + 1];
    int err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    if (!(err = addr_in(a, tf->rsi, (int)tf->rdx)))
        err = unix_bind(f->sock, a, (int)tf->rdx);
    file_close(f);
    return err;
}

int64_t sys_connect(struct trapframe *tf)
{
    uint8_t a[SOCKADDR_STORAGE + 1];
    int err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    if (!(err = addr_in(a, tf->rsi, (int)tf->rdx)))
        err = unix_connect(f->sock, a, (int)tf->rdx, f->flags & O_NONBLOCK);
    file_close(f);
    return err;
}

int64_t sys_listen(struct trapframe *tf)
{
    int err, backlog = (int)tf->rsi;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    if ((uint32_t)backlog > UNIX_SOMAXCONN)
        backlog = UNIX_SOMAXCONN;            /* Linux __sys_listen: a negative one too */
    err = unix_listen(f->sock, backlog);
    file_close(f);
    return err;
}

static int64_t do_accept(struct trapframe *tf, int flags)
{
    int err;
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    struct unix_sock *e;
    struct file *nf = NULL;
    if ((err = fd_free(0)) < 0)
        goto out;
    if ((err = unix_accept(f->sock, f->flags & O_NONBLOCK, &e)))
        goto out;
    if (!(nf = sock_file(e, flags))) {
        unix_sock_put(e);
        err = -ENFILE;
        goto out;
    }
    if (tf->rsi) {
        uint8_t a[SOCKADDR_STORAGE + 1];
        int n = unix_getname(e, true, a);
        if ((err = n < 0 ? n : addr_out(a, n, tf->rsi, tf->rdx))) {
            file_close(nf);                  /* the connection is dropped, as Linux's */
            goto out;
        }
    }
    err = fd_alloc(nf, 0, flags & SOCK_CLOEXEC);
    if (err < 0)
        file_close(nf);
out:
    file_close(f);
    return err;
}

int64_t sys_accept(struct trapframe *tf) { return do_accept(tf, 0); }
int64_t sys_accept4(struct trapframe *tf) { return do_accept(tf, (int)tf->r10); }

static int64_t do_getname(struct trapframe *tf, bool peer)
{
    uint8_t a[SOCKADDR_STORAGE + 1];
    int err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int n = unix_getname(f->sock, peer, a);
    err = n < 0 ? n : addr_out(a, n, tf->rsi, tf->rdx);
    file_close(f);
    return err;
}

int64_t sys_getsockname(struct trapframe *tf) { return do_getname(tf, false); }
int64_t sys_getpeername(struct trapframe *tf) { return do_getname(tf, true); }

int64_t sys_shutdown(struct trapframe *tf)
{
    int err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    err = unix_shutdown(f->sock, (int)tf->rsi);
    file_close(f);
    return err;
}

/* sendto(fd, buf, len, flags, addr, addrlen); send is sendto without an address. */
int64_t sys_sendto(struct trapframe *tf)
{
    struct msgio m = { 0 };
    int err = msg_one(&m, tf->rsi, tf->rdx);
    if (err)
        return err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int64_t r = 0;
    if (tf->r8) {
        if ((r = addr_in(m.name, tf->r8, (int)tf->r9)))
            goto out;
        m.namelen = (int)tf->r9;
    }
    m.flags = (int)tf->r10;
    m.nonblock = (f->flags & O_NONBLOCK) || (m.flags & MSG_DONTWAIT);
    r = unix_sendmsg(f->sock, &m);
out:
    msg_done(&m);
    file_close(f);
    return r;
}

/* recvfrom(fd, buf, len, flags, addr, addrlen): the source written only on success. */
int64_t sys_recvfrom(struct trapframe *tf)
{
    struct msgio m = { 0 };
    int err = msg_one(&m, tf->rsi, tf->rdx);
    if (err)
        return err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    m.flags = (int)tf->r10;
    m.nonblock = (f->flags & O_NONBLOCK) || (m.flags & MSG_DONTWAIT);
    m.want_name = tf->r8 != 0;
    int64_t r = unix_recvmsg(f->sock, &m);
    if (r >= 0 && tf->r8) {
        int e = addr_out(m.name, m.namelen, tf->r8, tf->r9);
        if (e < 0)
            r = e;
    }
    msg_done(&m);                            /* files that came without a control buffer */
    file_close(f);
    return r;
}

/* read(2)/write(2) on a socket (file.c): Linux sock_read_iter/sock_write_iter. */
int64_t sock_read(struct file *f, uint64_t dst, uint64_t n)
{
    struct msgio m = { 0 };
    int err = msg_one(&m, dst, n);
    if (err)
        return err;
    if (!m.len)
        return 0;                            /* "match SYS5 behaviour": never waits */
    m.nonblock = f->flags & O_NONBLOCK;
    int64_t r = unix_recvmsg(f->sock, &m);
    msg_done(&m);
    return r;
}

int64_t sock_write(struct file *f, uint64_t src, uint64_t n)
{
    struct msgio m = { 0 };
    int err = msg_one(&m, src, n);
    if (err)
        return err;
    m.nonblock = f->flags & O_NONBLOCK;
    int64_t r = unix_sendmsg(f->sock, &m);
    msg_done(&m);
    return r;
}

/* readv/writev on a socket (sysfile.c, which has checked the vector): one recvmsg or sendmsg
   over all of it, as Linux's sock_read_iter/sock_write_iter. */
int64_t sock_vector_io(struct file *f, uint64_t uiov, int iovcnt, bool write)
{
    struct msgio m = { 0 };
    f = file_dup(f);                         /* a thread sharing the table may close the fd */
    int64_t r = msg_iovec(&m, uiov, (uint64_t)iovcnt);
    if (!r) {
        m.nonblock = f->flags & O_NONBLOCK;
        if (write)
            r = unix_sendmsg(f->sock, &m);
        else
            r = m.len ? unix_recvmsg(f->sock, &m) : 0;
    }
    msg_done(&m);
    file_close(f);
    return r;
}

/* Linux copy_msghdr_from_user + import_iovec. */
static int msghdr_in(struct msgio *m, uint64_t umsg, struct user_msghdr *h, bool send)
{
    if (m->compat) {                         /* struct compat_msghdr: seven 32-bit fields */
        uint32_t c[7];
        if (copyin(myproc()->pml4, c, umsg, sizeof c))
            return -EFAULT;
        *h = (struct user_msghdr){ .name = c[0], .namelen = (int32_t)c[1], .iov = c[2], .iovlen = c[3],
                                   .control = c[4], .controllen = c[5], .flags = (int32_t)c[6] };
    } else if (copyin(myproc()->pml4, h, umsg, sizeof *h)) {
        return -EFAULT;
    }
    if (h->namelen < 0)
        return -EINVAL;
    if (h->namelen > SOCKADDR_STORAGE)
        h->namelen = SOCKADDR_STORAGE;
    if (!h->name)
        h->namelen = 0;
    if (send && h->namelen) {
        int r = addr_in(m->name, h->name, h->namelen);
        if (r)
            return r;
        m->namelen = h->namelen;
    }
    return msg_iovec(m, h->iov, h->iovlen);
}

/* One sendmsg on a held socket (Linux ____sys_sendmsg); *short_ set when not every byte went. */
static int64_t do_sendmsg(struct file *f, uint64_t umsg, uint32_t flags, bool *short_)
{
    struct msgio m = { .compat = flags & MSG_CMSG_COMPAT };
    struct user_msghdr h;
    int64_t r = msghdr_in(&m, umsg, &h, true);
    if (r)
        goto out;
    r = -ENOBUFS;
    if (h.controllen > 0x7fffffff || (!m.compat && h.controllen >= UNIX_OPTMEM_MAX))
        goto out;                            /* Linux: past INT_MAX, or sock_kmalloc refusing */
    if (h.controllen && m.compat) {
        if ((r = scm_send(&m, h.control, h.controllen)))
            goto out;                        /* compat: the cmsgs are read where they are */
    } else if (h.controllen) {
        r = -EFAULT;                         /* Linux copies the whole buffer in first */
        if (!user_range_ok(h.control, h.controllen))
            goto out;
        uint8_t probe[256];
        for (uint64_t at = 0; at < h.controllen; at += sizeof probe) {
            uint64_t n = h.controllen - at < sizeof probe ? h.controllen - at : sizeof probe;
            if (copyin(myproc()->pml4, probe, h.control + at, n))
                goto out;
        }
        if ((r = scm_send(&m, h.control, h.controllen)))
            goto out;
    }
    m.flags = (int)flags;
    m.nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
    r = unix_sendmsg(f->sock, &m);
    if (short_)
        *short_ = r >= 0 && (uint64_t)r < m.len;
out:
    msg_done(&m);
    return r;
}

/* One recvmsg on a held socket (Linux ____sys_recvmsg): the name, msg_flags and the control
   length used are written back. */
static int64_t do_recvmsg(struct file *f, uint64_t umsg, uint32_t flags)
{
    struct msgio m = { .compat = flags & MSG_CMSG_COMPAT };
    struct user_msghdr h;
    int64_t r = msghdr_in(&m, umsg, &h, false);
    if (r)
        goto out;
    m.flags = (int)flags;
    m.nonblock = (f->flags & O_NONBLOCK) || (flags & MSG_DONTWAIT);
    m.want_name = h.name != 0;
    if ((r = unix_recvmsg(f->sock, &m)) < 0)
        goto out;
    struct ctlout c = { h.control, h.controllen, (int)(flags & MSG_CMSG_CLOEXEC), m.compat };
    m.flags &= ~(int)MSG_CMSG_COMPAT;
    scm_recv(f->sock, &m, &c);
    if (h.name) {
        int e = addr_out(m.name, m.namelen, h.name, umsg + (m.compat ? 4 : 8));   /* &msg->msg_namelen */
        if (e < 0) {
            r = e;
            goto out;
        }
    }
    int32_t oflags = c.flags | m.out_flags;
    uint64_t used = c.at - h.control;
    uint32_t used32 = (uint32_t)used;
    if (copyout(myproc()->pml4, umsg + (m.compat ? 24 : 48), &oflags, sizeof oflags) ||
        (m.compat ? copyout(myproc()->pml4, umsg + 20, &used32, sizeof used32)
                  : copyout(myproc()->pml4, umsg + 40, &used, sizeof used)))
        r = -EFAULT;
out:
    msg_done(&m);
    return r;
}

int64_t sys_sendmsg(struct trapframe *tf)
{
    uint32_t flags = (uint32_t)tf->rdx;
    int err;
    if (flags & MSG_CMSG_COMPAT)
        return -EINVAL;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int64_t r = do_sendmsg(f, tf->rsi, flags, NULL);
    file_close(f);
    return r;
}

int64_t sys_recvmsg(struct trapframe *tf)
{
    uint32_t flags = (uint32_t)tf->rdx;
    int err;
    if (flags & MSG_CMSG_COMPAT)
        return -EINVAL;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int64_t r = do_recvmsg(f, tf->rsi, flags);
    file_close(f);
    return r;
}

/* The i386 sendmsg/recvmsg (370, 372; Linux compat_sys_sendmsg/recvmsg): compat_msghdr,
   compat_iovec and compat_cmsghdr, MSG_CMSG_COMPAT added to the flags. */
static int64_t msg32(struct trapframe *tf, bool send)
{
    uint32_t flags = (uint32_t)tf->rdx | MSG_CMSG_COMPAT;
    int err;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int64_t r = send ? do_sendmsg(f, tf->rsi, flags, NULL) : do_recvmsg(f, tf->rsi, flags);
    file_close(f);
    return r;
}

int64_t sys_sendmsg32(struct trapframe *tf) { return msg32(tf, true); }
int64_t sys_recvmsg32(struct trapframe *tf) { return msg32(tf, false); }

/*
 * socketcall(call, args) (i386 102; Linux compat_sys_socketcall): the call's arguments are
 * 32-bit words at args, as many as Linux's nargs table says. SYS_RECVMMSG and SYS_SENDMMSG
 * (19, 20) need compat_mmsghdr, which is not there: -ENOSYS; an unknown call -EINVAL.
 */
int64_t sys_socketcall32(struct trapframe *tf)
{
    static const uint8_t nargs[21] = { 0, 3, 3, 3, 2, 3, 3, 3, 4, 4, 4, 6, 6, 2, 5, 5, 3, 3, 4, 5, 4 };
    uint32_t call = (uint32_t)tf->rdi, a[6] = { 0 };
    if (call < 1 || call > 20)
        return -EINVAL;
    if (copyin(myproc()->pml4, a, tf->rsi, nargs[call] * sizeof a[0]))
        return -EFAULT;
    struct trapframe t = *tf;
    t.rdi = a[0], t.rsi = a[1], t.rdx = a[2], t.r10 = a[3], t.r8 = a[4], t.r9 = a[5];
    switch (call) {
    case 1: return sys_socket(&t);
    case 2: return sys_bind(&t);
    case 3: return sys_connect(&t);
    case 4: return sys_listen(&t);
    case 5: return sys_accept(&t);
    case 6: return sys_getsockname(&t);
    case 7: return sys_getpeername(&t);
    case 8: return sys_socketpair(&t);
    case 9: t.r8 = t.r9 = 0; return sys_sendto(&t);            /* SYS_SEND */
    case 10: t.r8 = t.r9 = 0; return sys_recvfrom(&t);         /* SYS_RECV */
    case 11: return sys_sendto(&t);
    case 12: return sys_recvfrom(&t);
    case 13: return sys_shutdown(&t);
    case 14: return sys_setsockopt(&t);
    case 15: return sys_getsockopt(&t);
    case 16: return sys_sendmsg32(&t);
    case 17: return sys_recvmsg32(&t);
    case 18: return sys_accept4(&t);
    default: return -ENOSYS;
    }
}

#define MMSGHDR_SIZE   64                    /* struct mmsghdr: a msghdr and msg_len, padded */
#define MSG_WAITFORONE 0x10000

/* sendmmsg(fd, vec, vlen, flags): Linux __sys_sendmmsg - each message's length into its
   msg_len; a short send or an error ends it; the error only if nothing was sent. */
int64_t sys_sendmmsg(struct trapframe *tf)
{
    uint32_t flags = (uint32_t)tf->r10, vlen = (uint32_t)tf->rdx, n = 0;
    int err;
    if (flags & MSG_CMSG_COMPAT)
        return -EINVAL;
    if (vlen > UIO_MAXIOV)
        vlen = UIO_MAXIOV;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int64_t r = 0;
    for (; n < vlen; n++) {
        bool short_ = false;
        uint64_t entry = tf->rsi + (uint64_t)n * MMSGHDR_SIZE;
        if ((r = do_sendmsg(f, entry, flags, &short_)) < 0)
            break;
        uint32_t len = (uint32_t)r;
        if ((r = copyout(myproc()->pml4, entry + 56, &len, sizeof len)))
            break;
        if (short_) {
            n++;
            break;
        }
    }
    file_close(f);
    return n ? (int64_t)n : r;
}

/* recvmmsg(fd, vec, vlen, flags, timeout): Linux do_recvmmsg - MSG_WAITFORONE waits for the
   first only; the timeout is looked at between messages (never ends a wait, as on Linux) and
   what is left of it written back. An error after some messages is kept for the next call
   (SO_ERROR), unless it is -EAGAIN. */
int64_t sys_recvmmsg(struct trapframe *tf)
{
    uint32_t flags = (uint32_t)tf->r10, vlen = (uint32_t)tf->rdx, n = 0;
    uint64_t end = 0, ns;
    int err;
    if (flags & MSG_CMSG_COMPAT)
        return -EINVAL;
    if (tf->r8) {
        if ((err = timespec_from_user(tf->r8, &ns)))
            return err;
        end = time_add_ns(time_monotonic_ns(), ns);
    }
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    int64_t r = 0;
    struct unix_sock *s = f->sock;
    if (s->err) {
        r = -s->err;
        s->err = 0;
        file_close(f);
        return r;
    }
    for (; n < vlen; n++) {
        uint64_t entry = tf->rsi + (uint64_t)n * MMSGHDR_SIZE;
        if ((r = do_recvmsg(f, entry, flags & ~MSG_WAITFORONE)) < 0)
            break;
        uint32_t len = (uint32_t)r;
        if ((r = copyout(myproc()->pml4, entry + 56, &len, sizeof len)))
            break;
        if (flags & MSG_WAITFORONE)
            flags |= MSG_DONTWAIT;
        if (tf->r8 && time_monotonic_ns() >= end) {
            n++;
            break;
        }
    }
    if (n && r < 0 && r != -EAGAIN)
        s->err = (int)-r;
    if (n && tf->r8) {
        uint64_t now = time_monotonic_ns(), left = now < end ? end - now : 0;
        int64_t ts[2] = { (int64_t)(left / 1000000000), (int64_t)(left % 1000000000) };
        if (copyout(myproc()->pml4, tf->r8, ts, sizeof ts))
            n = 0, r = -EFAULT;
    }
    file_close(f);
    return n ? (int64_t)n : r;
}

#define SIOCINQ  0x541b                      /* = FIONREAD */
#define SIOCOUTQ 0x5411                      /* = TIOCOUTQ */
#define SIOCATMARK 0x8905                    /* at the out-of-band mark? (uapi/linux/sockios.h) */

/* ioctl on a socket (Linux unix_ioctl): SIOCINQ - a stream's unread bytes, a datagram
   socket's next message's length, -EINVAL on a listener; SIOCOUTQ - the send buffer in use;
   SIOCATMARK - whether a stream's next read starts at the out-of-band mark (unix_atmark);
   and Linux sock_ioctl's FIOSETOWN/SIOCSPGRP (an int: F_SETOWN) and FIOGETOWN/SIOCGPGRP
   (F_GETOWN into an int). Everything else: -ENOTTY. */
int64_t sock_ioctl(struct file *f, uint32_t cmd, uint64_t arg)
{
    struct unix_sock *s = f->sock;
    int32_t amount = 0;
    switch (cmd) {
    case SIOCINQ:
        if (s->state == US_LISTEN)
            return -EINVAL;
        if (s->type == SOCK_DGRAM)
            amount = s->rq_head ? (int32_t)s->rq_head->len : 0;
        else
            for (struct skb *b = s->rq_head; b; b = b->next)
                amount += (int32_t)(b->len - b->off);
        break;
    case SIOCOUTQ:
        amount = (int32_t)s->wmem;
        break;
    case SIOCATMARK:
        if ((amount = unix_atmark(s)) < 0)
            return amount;
        break;
    case FIOSETOWN:
    case SIOCSPGRP:
        if (copyin(myproc()->pml4, &amount, arg, sizeof amount))
            return -EFAULT;
        return fasync_fcntl(f, F_SETOWN, (uint64_t)(int64_t)amount);
    case FIOGETOWN:
    case SIOCGPGRP:
        amount = (int32_t)fasync_fcntl(f, F_GETOWN, 0);
        break;
    default:
        return -ENOTTY;
    }
    return copyout(myproc()->pml4, arg, &amount, sizeof amount);
}

/* ---- options ------------------------------------------------------------------------------- */

/* Linux sk_getsockopt for SOL_SOCKET: an int (or struct ucred) cut to the user's length. */
int64_t sys_getsockopt(struct trapframe *tf)
{
    int err, level = (int)tf->rsi, name = (int)tf->rdx;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    struct unix_sock *s = f->sock;
    int32_t len, v = 0;
    struct { int32_t pid; uint32_t uid, gid; } cred;
    int64_t tv[2];
    const void *val = &v;
    int lv = sizeof v;
    err = -EOPNOTSUPP;                       /* AF_UNIX has no options of its own level */
    if (level != SOL_SOCKET)
        goto out;
    err = -EFAULT;
    if (copyin(myproc()->pml4, &len, tf->r8, sizeof len))
        goto out;
    err = -EINVAL;
    if (len < 0)
        goto out;
    switch (name) {
    case SO_TYPE: v = s->type; break;
    case SO_ERROR: v = s->err; s->err = 0; break;
    case SO_SNDBUF: v = s->sndbuf; break;
    case SO_RCVBUF: v = s->rcvbuf; break;
    case SO_PASSCRED: v = s->passcred; break;
    case SO_OOBINLINE: v = s->urginline; break;
    case SO_PEEK_OFF: v = s->peek_off; break;
    case SO_ACCEPTCONN: v = s->state == US_LISTEN; break;
    case SO_DOMAIN: v = AF_UNIX; break;
    case SO_PROTOCOL: v = 0; break;
    case SO_RCVTIMEO_OLD: case SO_RCVTIMEO_NEW:
        lv = sock_get_timeout(s->rcvtimeo, name == SO_RCVTIMEO_OLD, tv);
        val = tv;
        break;
    case SO_SNDTIMEO_OLD: case SO_SNDTIMEO_NEW:
        lv = sock_get_timeout(s->sndtimeo, name == SO_SNDTIMEO_OLD, tv);
        val = tv;
        break;
    case SO_PEERCRED:
        cred.pid = s->peercred_set ? s->peer_pid : 0;
        cred.uid = s->peercred_set ? s->peer_uid : ID_NONE;
        cred.gid = s->peercred_set ? s->peer_gid : ID_NONE;
        val = &cred;
        lv = sizeof cred;
        break;
    default:
        err = -ENOPROTOOPT;
        goto out;
    }
    if (len > lv)
        len = lv;
    err = -EFAULT;
    if (copyout(myproc()->pml4, tf->r10, val, (uint64_t)len) ||
        copyout(myproc()->pml4, tf->r8, &len, sizeof len))
        goto out;
    err = 0;
out:
    file_close(f);
    return err;
}

/* Linux sk_setsockopt: an int of at least 4 bytes; buffer sizes doubled, capped and floored. */
int64_t sys_setsockopt(struct trapframe *tf)
{
    int err, level = (int)tf->rsi, name = (int)tf->rdx;
    struct file *f = sock_fd((int)tf->rdi, &err);
    if (!f)
        return err;
    struct unix_sock *s = f->sock;
    int32_t v;
    err = -EOPNOTSUPP;
    if (level != SOL_SOCKET)
        goto out;
    err = -EINVAL;
    if ((int)tf->r8 < (int)sizeof v)
        goto out;
    err = -EFAULT;
    if (copyin(myproc()->pml4, &v, tf->r10, sizeof v))
        goto out;
    err = 0;
    switch (name) {
    case SO_SNDBUF: {
        uint32_t u = (uint32_t)v < UNIX_WMEM_MAX ? (uint32_t)v : UNIX_WMEM_MAX;
        s->sndbuf = (int)(u * 2) > UNIX_SOCK_MIN_SNDBUF ? (int)(u * 2) : UNIX_SOCK_MIN_SNDBUF;
        wakeup(s);
        sock_write_space(s);                 /* Linux: sk_write_space after a new SO_SNDBUF */
        break;
    }
    case SO_RCVBUF: {
        uint32_t u = (uint32_t)v < UNIX_WMEM_MAX ? (uint32_t)v : UNIX_WMEM_MAX;
        s->rcvbuf = (int)(u * 2) > UNIX_SOCK_MIN_RCVBUF ? (int)(u * 2) : UNIX_SOCK_MIN_RCVBUF;
        break;
    }
    case SO_PASSCRED:
        s->passcred = v != 0;
        break;
    case SO_OOBINLINE:
        s->urginline = v != 0;
        break;
    case SO_PEEK_OFF:                        /* Linux unix_set_peek_off: any int; < 0 is off */
        s->peek_off = v;
        break;
    case SO_RCVTIMEO_OLD: case SO_RCVTIMEO_NEW:
        err = sock_set_timeout(&s->rcvtimeo, tf->r10, (int)tf->r8, name == SO_RCVTIMEO_OLD);
        break;
    case SO_SNDTIMEO_OLD: case SO_SNDTIMEO_NEW:
        err = sock_set_timeout(&s->sndtimeo, tf->r10, (int)tf->r8, name == SO_SNDTIMEO_OLD);
        break;
    default:
        err = -ENOPROTOOPT;
    }
out:
    file_close(f);
    return err;
}
