/*
 * unixsock [ROUNDS]: AF_UNIX sockets as Linux's net/unix/af_unix.c, printed so that the host's
 * Linux and ringlab can be compared line by line (nothing printed depends on pids, inode
 * numbers or autobind names): socket/socketpair errors, stream and datagram socketpairs,
 * shutdown, EPIPE and SIGPIPE, ECONNRESET, path and abstract names, listen/connect/accept,
 * poll, socket options, SCM_RIGHTS and SCM_CREDENTIALS (forged ones too), then the hostile
 * part: files in flight in cycles, to closed peers, through too small control buffers, and
 * bad pointers, lengths and page 0 in every argument. Each round runs in a child (ROUNDS,
 * default 1): with ringlab's trace=mem, the free pages after each child is reaped must be
 * the same every round (tests/test_unixsock.py).
 *
 * sendmsg/recvmsg go through syscall(): musl's wrappers copy the control buffer themselves
 * (and refuse more than 1024 bytes), which would hide the kernel's answers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <time.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile kaddr = (void *)0xffffffff81000000UL;   /* a kernel address */
static void *volatile page0 = (void *)16;                      /* page 0, never mapped */
#define KADDR kaddr
#define PAGE0 page0

static const char *en(int e)
{
    static char buf[16];
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ESOCKTNOSUPPORT: return "ESOCKTNOSUPPORT";
    case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
    case EPROTOTYPE: return "EPROTOTYPE";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case EADDRINUSE: return "EADDRINUSE";
    case ECONNREFUSED: return "ECONNREFUSED";
    case ECONNRESET: return "ECONNRESET";
    case ENOTCONN: return "ENOTCONN";
    case EISCONN: return "EISCONN";
    case EPIPE: return "EPIPE";
    case EAGAIN: return "EAGAIN";
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EMSGSIZE: return "EMSGSIZE";
    case ENOBUFS: return "ENOBUFS";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ESPIPE: return "ESPIPE";
    case ENOMEM: return "ENOMEM";
    case EMFILE: return "EMFILE";
    case ENXIO: return "ENXIO";
    case ENOTTY: return "ENOTTY";
    default: snprintf(buf, sizeof buf, "errno%d", e); return buf;
    }
}

/* "ok" or the errno's name, for a call's return value. */
static const char *r_(long r) { return en(r < 0 ? errno : 0); }
#define SHOW(label, call) do { long _r = (long)(call); printf("%s: %s\n", label, r_(_r)); } while (0)
#define SHOWN(label, call) do { long _r = (long)(call); if (_r < 0) printf("%s: %s\n", label, r_(_r)); \
                                else printf("%s: %ld\n", label, _r); } while (0)

static volatile int sigpipes;
static void on_sigpipe(int sig) { (void)sig; sigpipes++; }

/* The kernel's struct msghdr, padding zero (what syscall() hands over as it is). */
struct kmsg {
    void *name;
    int namelen, pad0;
    struct iovec *iov;
    size_t iovlen;
    void *control;
    size_t controllen;
    int flags, pad1;
};

static long ksendmsg(int fd, struct kmsg *m, int flags) { return syscall(SYS_sendmsg, fd, m, flags); }
static long krecvmsg(int fd, struct kmsg *m, int flags) { return syscall(SYS_recvmsg, fd, m, flags); }

/* Send `len` bytes of `data` with `n` fds as SCM_RIGHTS (n 0: no control). */
static long send_fds(int s, const char *data, size_t len, const int *fds, int n)
{
    union { char buf[CMSG_SPACE(sizeof(int) * 8)]; struct cmsghdr align; } u;
    struct iovec iov = { (void *)data, len };
    struct kmsg m = { .iov = &iov, .iovlen = 1 };
    if (n) {
        memset(&u, 0, sizeof u);
        m.control = u.buf;
        m.controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = (struct cmsghdr *)u.buf;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return ksendmsg(s, &m, MSG_NOSIGNAL);
}

/* Receive into buf with a control buffer of `ctl` bytes; prints what came; returns the first
   fd received (or -1) and the count in *nfd. */
static int recv_show(const char *label, int s, size_t ctl, int flags, int *nfd)
{
    union { char buf[512]; struct cmsghdr align; } u;
    char data[64] = { 0 };
    struct iovec iov = { data, sizeof data - 1 };
    struct kmsg m = { .iov = &iov, .iovlen = 1, .control = ctl ? u.buf : NULL, .controllen = ctl };
    memset(&u, 0, sizeof u);
    long n = krecvmsg(s, &m, flags);
    int first = -1, count = 0;
    if (n < 0) {
        printf("%s: %s\n", label, r_(n));
        if (nfd)
            *nfd = 0;
        return -1;
    }
    printf("%s: %ld bytes \"%.*s\" controllen %zu flags%s%s%s", label, n, (int)n, data, m.controllen,
           m.flags & MSG_CTRUNC ? " CTRUNC" : "", m.flags & MSG_TRUNC ? " TRUNC" : "",
           m.flags & MSG_CMSG_CLOEXEC ? " CMSG_CLOEXEC" : "");
    struct msghdr mh = { 0 };
    mh.msg_control = m.control;
    mh.msg_controllen = m.controllen;
    for (struct cmsghdr *c = ctl ? CMSG_FIRSTHDR(&mh) : NULL; c; c = CMSG_NXTHDR(&mh, c)) {
        if (c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            printf(" rights(len %zu, %d fds)", (size_t)c->cmsg_len, k);
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                if (first < 0)
                    first = fd;
                count++;
                if (i > 0)
                    close(fd);               /* keep the first */
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof cr);
            printf(" creds(len %zu, pid %s, uid %u, gid %u)", (size_t)c->cmsg_len,
                   cr.pid == getpid() ? "self" : cr.pid == 0 ? "0" : cr.pid == 1 ? "1" : "other", cr.uid, cr.gid);
        }
    }
    printf("\n");
    if (nfd)
        *nfd = count;
    return first;
}

static void errors(void)
{
    int sv[2], p[2];
    printf("-- errors\n");
    SHOW("socket(46)", socket(46, SOCK_STREAM, 0));
    SHOW("socket(-1)", socket(-1, SOCK_STREAM, 0));
    SHOW("socket(AF_UNIX, 11)", socket(AF_UNIX, 11, 0));
    SHOW("socket(AF_UNIX, SOCK_RDM)", socket(AF_UNIX, SOCK_RDM, 0));
    SHOW("socket(AF_UNIX, SOCK_PACKET)", socket(AF_UNIX, SOCK_PACKET, 0));
    SHOW("socket(AF_UNIX, STREAM, 5)", socket(AF_UNIX, SOCK_STREAM, 5));
    SHOW("socket(AF_UNIX, STREAM|0x100)", socket(AF_UNIX, SOCK_STREAM | 0x100, 0));
    int s = socket(AF_UNIX, SOCK_RAW, 0);
    int v = 0;
    socklen_t l = sizeof v;
    getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &l);
    printf("SOCK_RAW: SO_TYPE %d\n", v);
    close(s);
    SHOW("socketpair(bad pointer)", socketpair(AF_UNIX, SOCK_STREAM, 0, KADDR));
    SHOW("socketpair(page 0)", socketpair(AF_UNIX, SOCK_STREAM, 0, PAGE0));
    SHOW("socketpair(46)", socketpair(46, SOCK_STREAM, 0, sv));
    pipe(p);
    SHOW("bind(pipe)", bind(p[0], NULL, 0));
    SHOW("listen(pipe)", listen(p[0], 1));
    SHOW("getsockopt(pipe)", getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &l));
    SHOW("shutdown(999)", shutdown(999, SHUT_RD));
    SHOW("send(pipe)", send(p[1], "x", 1, 0));
    SHOW("accept4(pipe, bad flags)", accept4(p[0], NULL, NULL, 0x10));
    close(p[0]);
    close(p[1]);
    int next = dup(0);
    close(next);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    printf("socketpair fds are the lowest free: %s\n", sv[0] == next && sv[1] == next + 1 ? "yes" : "no");
    close(sv[0]);
    close(sv[1]);
}

static void stream_pair(void)
{
    int sv[2];
    char buf[64];
    printf("-- stream socketpair\n");
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
    printf("cloexec %d, flags %#x\n", fcntl(sv[0], F_GETFD), fcntl(sv[0], F_GETFL));
    struct stat st;
    fstat(sv[0], &st);
    printf("fstat: socket %d, mode %o, size %ld, uid-is-me %d\n", S_ISSOCK(st.st_mode), st.st_mode & 07777,
           (long)st.st_size, st.st_uid == geteuid());
    SHOW("lseek", lseek(sv[0], 0, SEEK_SET));
    SHOW("pread", pread(sv[0], buf, 1, 0));
    int v = 0;
    socklen_t l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &l);
    printf("SO_TYPE %d len %u\n", v, l);
    getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &l);
    printf("SO_DOMAIN %d\n", v);
    getsockopt(sv[0], SOL_SOCKET, SO_ACCEPTCONN, &v, &l);
    printf("SO_ACCEPTCONN %d\n", v);
    struct ucred cr;
    l = sizeof cr;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &l);
    printf("SO_PEERCRED len %u pid-is-me %d uid %u gid %u\n", l, cr.pid == getpid(), cr.uid, cr.gid);
    struct sockaddr_un a;
    l = sizeof a;
    getsockname(sv[0], (struct sockaddr *)&a, &l);
    printf("getsockname len %u family %d\n", l, a.sun_family);
    l = sizeof a;
    getpeername(sv[0], (struct sockaddr *)&a, &l);
    printf("getpeername len %u\n", l);
    SHOWN("write 5", write(sv[0], "hello", 5));
    SHOWN("send 6", send(sv[0], " world", 6, 0));
    struct pollfd pf = { sv[1], POLLIN | POLLOUT | POLLRDHUP, 0 };
    poll(&pf, 1, 0);
    printf("poll: %#x\n", pf.revents);
    SHOWN("recv peek 3", recv(sv[1], buf, 3, MSG_PEEK));
    memset(buf, 0, sizeof buf);
    SHOWN("read 64", read(sv[1], buf, sizeof buf));
    printf("got \"%s\"\n", buf);
    SHOWN("recv DONTWAIT", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    SHOWN("read 0 bytes", read(sv[1], buf, 0));
    SHOWN("write 0 bytes", write(sv[0], buf, 0));
    /* MSG_WAITALL across two writes */
    send(sv[0], "ab", 2, 0);
    send(sv[0], "cd", 2, 0);
    SHOWN("recv WAITALL 4", recv(sv[1], buf, 4, MSG_WAITALL));
    /* shutdown */
    SHOW("shutdown(9)", shutdown(sv[0], 9));
    SHOW("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
    SHOWN("peer reads after SHUT_WR", read(sv[1], buf, sizeof buf));
    pf = (struct pollfd){ sv[1], POLLIN | POLLOUT | POLLRDHUP, 0 };
    poll(&pf, 1, 0);
    printf("poll peer: %#x\n", pf.revents);
    sigpipes = 0;
    SHOWN("write after SHUT_WR", write(sv[0], "x", 1));
    printf("SIGPIPEs %d\n", sigpipes);
    SHOWN("send NOSIGNAL after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
    printf("SIGPIPEs %d\n", sigpipes);
    SHOWN("peer writes back", write(sv[1], "back", 4));
    SHOWN("read it", read(sv[0], buf, sizeof buf));
    close(sv[1]);
    pf = (struct pollfd){ sv[0], POLLIN | POLLOUT | POLLRDHUP, 0 };
    poll(&pf, 1, 0);
    printf("poll after peer closed: %#x\n", pf.revents);
    SHOWN("read after peer closed", read(sv[0], buf, sizeof buf));
    close(sv[0]);

    /* the peer closes with data unread: ECONNRESET once, then end of file */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "lost", 4);
    close(sv[1]);
    sigpipes = 0;
    SHOWN("write to closed peer", write(sv[0], "x", 1));
    printf("SIGPIPEs %d\n", sigpipes);
    pf = (struct pollfd){ sv[0], POLLIN | POLLOUT, 0 };
    poll(&pf, 1, 0);
    printf("poll: %#x\n", pf.revents);
    l = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &l);
    printf("SO_ERROR %s\n", en(v));
    SHOWN("read", read(sv[0], buf, sizeof buf));
    close(sv[0]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "lost", 4);
    close(sv[1]);
    SHOWN("read (ECONNRESET first)", read(sv[0], buf, sizeof buf));
    SHOWN("read again", read(sv[0], buf, sizeof buf));
    close(sv[0]);

    /* a full buffer: non-blocking writes end in EAGAIN; a blocked reader is woken by another
       process's write */
    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv);
    static char big[65536];
    long total = 0, n;
    while ((n = write(sv[0], big, sizeof big)) > 0)
        total += n;
    printf("filled: %s, more than 64 KiB %d\n", r_(n), total > 65536);
    pf = (struct pollfd){ sv[0], POLLOUT, 0 };
    poll(&pf, 1, 0);
    printf("poll full: %#x\n", pf.revents);
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t c = fork();
    if (c == 0) {
        close(sv[1]);
        write(sv[0], "from child", 10);
        _exit(0);
    }
    close(sv[0]);
    memset(buf, 0, sizeof buf);
    SHOWN("blocking read", read(sv[1], buf, sizeof buf));
    printf("got \"%s\"\n", buf);
    waitpid(c, NULL, 0);
    SHOWN("read after the child ended", read(sv[1], buf, sizeof buf));
    close(sv[1]);
}

static void dgram_pair(void)
{
    int sv[2];
    char buf[64];
    printf("-- datagram socketpair\n");
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[0], "one", 3, 0);
    send(sv[0], "", 0, 0);
    send(sv[0], "three33", 7, 0);
    memset(buf, 0, sizeof buf);
    SHOWN("recv 64", recv(sv[1], buf, sizeof buf, 0));
    SHOWN("recv empty", recv(sv[1], buf, sizeof buf, 0));
    SHOWN("recv PEEK 2", recv(sv[1], buf, 2, MSG_PEEK));
    SHOWN("recv TRUNC 2", recv(sv[1], buf, 2, MSG_TRUNC));
    SHOWN("recv DONTWAIT", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    struct sockaddr_un a;
    socklen_t l = sizeof a;
    send(sv[0], "x", 1, 0);
    SHOWN("recvfrom", recvfrom(sv[1], buf, sizeof buf, 0, (struct sockaddr *)&a, &l));
    printf("recvfrom addrlen %u\n", l);
    struct pollfd pf = { sv[1], POLLIN | POLLOUT, 0 };
    poll(&pf, 1, 0);
    printf("poll: %#x\n", pf.revents);
    SHOW("shutdown RD", shutdown(sv[1], SHUT_RD));
    SHOWN("send to shut reader", send(sv[0], "x", 1, MSG_NOSIGNAL));
    SHOWN("recv shut", recv(sv[1], buf, sizeof buf, 0));
    SHOW("accept on dgram", accept(sv[0], NULL, NULL));
    {
        int w[2];
        socketpair(AF_UNIX, SOCK_DGRAM, 0, w);
        struct iovec two[2] = { { "ab", 2 }, { "cde", 3 } };
        SHOWN("writev 2 buffers", writev(w[0], two, 2));
        char x[2], y[8] = { 0 };
        struct iovec in[2] = { { x, sizeof x }, { y, sizeof y } };
        SHOWN("readv: one datagram", readv(w[1], in, 2));
        printf("readv: \"%.2s\" \"%s\"\n", x, y);
        SHOWN("readv empty DONTWAIT", (fcntl(w[1], F_SETFL, O_NONBLOCK), readv(w[1], in, 2)));
        close(w[0]);
        close(w[1]);
    }
    SHOW("listen on dgram", listen(sv[0], 1));
    close(sv[0]);
    close(sv[1]);
    /* the other end closed: the survivor's queue goes, ECONNREFUSED, then ENOTCONN */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[1], "to 0", 4, 0);
    close(sv[1]);
    SHOWN("send to closed", send(sv[0], "x", 1, 0));
    SHOWN("send again", send(sv[0], "x", 1, 0));
    SHOWN("recv (queue dropped)", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
    close(sv[0]);
    /* EMSGSIZE past SO_SNDBUF - 32 */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int v = 4096;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    socklen_t vl = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &vl);
    printf("SO_SNDBUF after 4096: %d\n", v);
    static char big[16384];
    SHOWN("send 8161", send(sv[0], big, 8161, 0));
    SHOWN("send 8160", send(sv[0], big, 8160, 0));
    close(sv[0]);
    close(sv[1]);
    /* SEQPACKET: records, end of file */
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv);
    send(sv[0], "rec1", 4, 0);
    send(sv[0], "rec22", 5, 0);
    SHOWN("seqpacket recv 2", recv(sv[1], buf, 2, 0));
    SHOWN("seqpacket recv", recv(sv[1], buf, sizeof buf, 0));
    close(sv[0]);
    SHOWN("seqpacket recv after close", recv(sv[1], buf, sizeof buf, 0));
    sigpipes = 0;
    SHOWN("seqpacket send after close", send(sv[1], "x", 1, 0));
    printf("SIGPIPEs %d\n", sigpipes);
    close(sv[1]);
}

static void set_path(struct sockaddr_un *a, const char *path)
{
    memset(a, 0, sizeof *a);
    a->sun_family = AF_UNIX;
    strcpy(a->sun_path, path);
}

#define PLEN(a) ((socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen((a)->sun_path)))

static void named(void)
{
    struct sockaddr_un a, b;
    socklen_t l;
    char buf[64];
    printf("-- names\n");
    set_path(&a, "/tmp/us.sock");
    unlink(a.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("listen unbound", listen(ls, 1));
    SHOW("bind addrlen 2 autobinds", bind(ls, (struct sockaddr *)&a, 2));
    l = sizeof b;
    getsockname(ls, (struct sockaddr *)&b, &l);
    printf("autobound: len %u, abstract %d\n", l, b.sun_path[0] == 0);
    SHOW("bind again", bind(ls, (struct sockaddr *)&a, sizeof a));
    close(ls);
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind addrlen 1", bind(ls, (struct sockaddr *)&a, 1));
    SHOW("bind addrlen 111", bind(ls, (struct sockaddr *)&a, 111));
    SHOW("bind addrlen 129", bind(ls, (struct sockaddr *)&a, 129));
    SHOW("bind addrlen -1", bind(ls, (struct sockaddr *)&a, -1));
    SHOW("bind bad pointer", bind(ls, KADDR, sizeof a));
    b = a;
    b.sun_family = AF_INET;
    SHOW("bind AF_INET name", bind(ls, (struct sockaddr *)&b, sizeof b));
    SHOW("bind /tmp/us.sock", bind(ls, (struct sockaddr *)&a, sizeof a));
    struct stat st;
    stat(a.sun_path, &st);
    printf("stat: socket %d mode %o\n", S_ISSOCK(st.st_mode), st.st_mode & 07777);
    SHOW("open it", open(a.sun_path, O_RDWR));
    l = sizeof b;
    getsockname(ls, (struct sockaddr *)&b, &l);
    printf("getsockname: len %u \"%s\"\n", l, b.sun_path);
    int s2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("bind the same path", bind(s2, (struct sockaddr *)&a, sizeof a));
    SHOW("connect before listen", connect(s2, (struct sockaddr *)&a, sizeof a));
    SHOW("listen backlog 0", listen(ls, 0));
    int v;
    socklen_t vl = sizeof v;
    getsockopt(ls, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl);
    printf("SO_ACCEPTCONN %d\n", v);
    struct pollfd pf = { ls, POLLIN | POLLOUT, 0 };
    poll(&pf, 1, 0);
    printf("poll listener: %#x\n", pf.revents);
    SHOW("connect", connect(s2, (struct sockaddr *)&a, PLEN(&a)));
    poll(&pf, 1, 0);
    printf("poll listener: %#x\n", pf.revents);
    send(s2, "early", 5, 0);
    int s3 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("connect 2nd non-blocking (backlog 0 holds 1)", connect(s3, (struct sockaddr *)&a, PLEN(&a)));
    SHOW("connect again (full)", connect(s2, (struct sockaddr *)&a, PLEN(&a)));
    SHOW("listen backlog 5", listen(ls, 5));
    SHOW("connect again", connect(s2, (struct sockaddr *)&a, PLEN(&a)));
    SHOW("connect the listener", connect(ls, (struct sockaddr *)&a, PLEN(&a)));
    int s4 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOW("connect 2nd non-blocking", connect(s4, (struct sockaddr *)&a, PLEN(&a)));
    l = sizeof b;
    memset(&b, 0x55, sizeof b);
    int c = accept4(ls, (struct sockaddr *)&b, &l, SOCK_CLOEXEC);
    printf("accept4: %s, peer addrlen %u, cloexec %d\n", r_(c), l, fcntl(c, F_GETFD));
    memset(buf, 0, sizeof buf);
    SHOWN("read early data", read(c, buf, sizeof buf));
    l = sizeof b;
    getsockname(c, (struct sockaddr *)&b, &l);
    printf("accepted getsockname: len %u \"%s\"\n", l, b.sun_path);
    l = sizeof b;
    getpeername(s2, (struct sockaddr *)&b, &l);
    printf("client getpeername: len %u \"%s\"\n", l, b.sun_path);
    struct ucred cr;
    vl = sizeof cr;
    getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &vl);
    printf("server SO_PEERCRED pid-is-me %d uid %u\n", cr.pid == getpid(), cr.uid);
    vl = sizeof cr;
    getsockopt(ls, SOL_SOCKET, SO_PEERCRED, &cr, &vl);
    printf("listener SO_PEERCRED pid-is-me %d\n", cr.pid == getpid());
    int c2 = accept(ls, NULL, NULL);
    printf("accept 2nd: %s\n", r_(c2));
    int fl = fcntl(ls, F_GETFL);
    fcntl(ls, F_SETFL, fl | O_NONBLOCK);
    SHOW("accept empty non-blocking", accept(ls, NULL, NULL));
    close(c2);
    close(s3);
    close(s4);
    /* the type must match */
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    SHOW("dgram connect to stream path", connect(d, (struct sockaddr *)&a, PLEN(&a)));
    close(d);
    set_path(&b, "/tmp/nonexistent.sock");
    d = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect missing path", connect(d, (struct sockaddr *)&b, PLEN(&b)));
    set_path(&b, "/tmp/us.file");
    close(open(b.sun_path, O_CREAT | O_WRONLY, 0666));
    SHOW("connect to a regular file", connect(d, (struct sockaddr *)&b, PLEN(&b)));
    unlink(b.sun_path);
    close(d);
    /* close the listener: a connection never accepted is reset */
    int s5 = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(s5, (struct sockaddr *)&a, PLEN(&a));
    close(ls);
    SHOWN("read after the listener closed", read(s5, buf, sizeof buf));
    close(s5);
    d = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("connect after close (name stays)", connect(d, (struct sockaddr *)&a, PLEN(&a)));
    close(d);
    SHOW("unlink", unlink(a.sun_path));
    close(c);
    close(s2);
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind after unlink", bind(ls, (struct sockaddr *)&a, sizeof a));
    unlink(a.sun_path);
    close(ls);
    /* cwd "/": root may make a socket there, user 1000 may not */
    set_path(&b, "us-in-root.sock");
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind in the working directory", bind(ls, (struct sockaddr *)&b, sizeof b));
    unlink(b.sun_path);
    close(ls);

    /* abstract names */
    char name[32];
    int n = snprintf(name, sizeof name, "%cringlab-us-%d", 0, getpid());
    memset(&a, 0, sizeof a);
    a.sun_family = AF_UNIX;
    memcpy(a.sun_path, name, (size_t)n);
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind abstract", bind(ls, (struct sockaddr *)&a, alen));
    s2 = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind abstract again", bind(s2, (struct sockaddr *)&a, alen));
    SHOW("connect abstract, not listening", connect(s2, (struct sockaddr *)&a, alen));
    listen(ls, 5);
    SHOW("connect abstract with a longer name", connect(s2, (struct sockaddr *)&a, alen + 1));
    SHOW("connect abstract", connect(s2, (struct sockaddr *)&a, alen));
    l = sizeof b;
    getpeername(s2, (struct sockaddr *)&b, &l);
    printf("getpeername: the name bound %d\n", l == alen && !memcmp(&a, &b, alen));
    c = accept(ls, NULL, NULL);
    close(c);
    close(s2);
    close(ls);
    ls = socket(AF_UNIX, SOCK_STREAM, 0);
    SHOW("bind abstract after close", bind(ls, (struct sockaddr *)&a, alen));
    close(ls);

    /* datagrams between names */
    set_path(&a, "/tmp/us.d1");
    set_path(&b, "/tmp/us.d2");
    unlink(a.sun_path);
    unlink(b.sun_path);
    int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0), d3 = socket(AF_UNIX, SOCK_DGRAM, 0);
    bind(d1, (struct sockaddr *)&a, sizeof a);
    bind(d2, (struct sockaddr *)&b, sizeof b);
    SHOWN("sendto d1", sendto(d2, "hi", 2, 0, (struct sockaddr *)&a, sizeof a));
    struct sockaddr_un from;
    l = sizeof from;
    SHOWN("recvfrom", recvfrom(d1, buf, sizeof buf, 0, (struct sockaddr *)&from, &l));
    printf("from len %u \"%s\"\n", l, from.sun_path);
    SHOWN("unbound sendto", sendto(d3, "anon", 4, 0, (struct sockaddr *)&a, sizeof a));
    l = sizeof from;
    SHOWN("recvfrom", recvfrom(d1, buf, sizeof buf, 0, (struct sockaddr *)&from, &l));
    printf("from len %u\n", l);
    SHOWN("send unconnected", send(d3, "x", 1, 0));
    SHOW("connect d3 to d1", connect(d3, (struct sockaddr *)&a, sizeof a));
    SHOWN("send connected", send(d3, "x", 1, 0));
    SHOW("connect d1 to d2", connect(d1, (struct sockaddr *)&b, sizeof b));
    SHOWN("d3 sends to d1 (connected elsewhere)", send(d3, "x", 1, 0));
    struct sockaddr_un un = { .sun_family = AF_UNSPEC };
    SHOW("disconnect d1 (AF_UNSPEC)", connect(d1, (struct sockaddr *)&un, sizeof un));
    long count = 0;
    while (sendto(d2, "q", 1, MSG_DONTWAIT, (struct sockaddr *)&a, sizeof a) == 1)
        count++;
    printf("queued from another socket before %s: %ld\n", en(errno), count);
    pf = (struct pollfd){ d3, POLLOUT, 0 };
    poll(&pf, 1, 0);
    printf("poll of a writer to the full queue: %#x\n", pf.revents);
    SHOWN("sendto with addrlen 0, unconnected", sendto(d2, "x", 1, 0, (struct sockaddr *)&(struct sockaddr_un){ 0 }, 0));
    close(d1);
    SHOWN("send to closed d1", send(d3, "x", 1, 0));
    SHOWN("sendto closed d1's path", sendto(d2, "x", 1, 0, (struct sockaddr *)&a, sizeof a));
    unlink(a.sun_path);
    unlink(b.sun_path);
    close(d2);
    close(d3);
}

static void rights(void)
{
    int sv[2], p[2], nfd;
    char buf[64];
    printf("-- SCM_RIGHTS\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pipe(p);
    SHOWN("send a pipe's write end", send_fds(sv[0], "F", 1, &p[1], 1));
    close(p[1]);
    int fd = recv_show("recvmsg", sv[1], 64, 0, &nfd);
    SHOWN("write through it", write(fd, "via fd", 6));
    memset(buf, 0, sizeof buf);
    SHOWN("read the pipe", read(p[0], buf, sizeof buf));
    close(fd);
    SHOWN("pipe at end of file", read(p[0], buf, sizeof buf));
    close(p[0]);
    /* three files, room for one */
    pipe(p);
    int three[3] = { p[0], p[1], p[1] };
    send_fds(sv[0], "3", 1, three, 3);
    fd = recv_show("recvmsg with room for one", sv[1], CMSG_LEN(sizeof(int)), 0, &nfd);
    close(fd);
    send_fds(sv[0], "3", 1, three, 3);
    fd = recv_show("recvmsg room for the header only", sv[1], sizeof(struct cmsghdr), 0, &nfd);
    send_fds(sv[0], "3", 1, three, 3);
    fd = recv_show("recvmsg no control buffer", sv[1], 0, 0, &nfd);
    send_fds(sv[0], "3", 1, three, 3);
    fd = recv_show("recvmsg CMSG_CLOEXEC", sv[1], 64, MSG_CMSG_CLOEXEC, &nfd);
    printf("received fd cloexec %d\n", fcntl(fd, F_GETFD));
    close(fd);
    send_fds(sv[0], "3", 1, three, 3);
    fd = recv_show("recvmsg PEEK", sv[1], 64, MSG_PEEK, &nfd);
    close(fd);
    fd = recv_show("recvmsg after PEEK", sv[1], 64, 0, &nfd);
    close(fd);
    close(p[1]);
    SHOWN("pipe at end of file (every write end closed)", read(p[0], buf, sizeof buf));
    /* a stream read stops after the message with files, and joins the ones before it */
    pipe(p);
    send(sv[0], "ab", 2, 0);
    send_fds(sv[0], "cd", 2, &p[0], 1);
    send(sv[0], "ef", 2, 0);
    fd = recv_show("stream read with files in the middle", sv[1], 64, 0, &nfd);
    close(fd);
    fd = recv_show("the rest", sv[1], 64, 0, &nfd);
    /* files sent with read(2) at the other end are dropped */
    send_fds(sv[0], "R", 1, &p[0], 1);
    SHOWN("read(2) a message with files", read(sv[1], buf, sizeof buf));
    /* zero bytes with files on a stream send nothing */
    SHOWN("stream send 0 bytes with a file", send_fds(sv[0], "", 0, &p[0], 1));
    SHOWN("nothing queued", recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);
    /* a datagram with files and no bytes */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    pipe(p);
    SHOWN("dgram send 0 bytes with a file", send_fds(sv[0], "", 0, &p[1], 1));
    fd = recv_show("dgram recvmsg", sv[1], 64, 0, &nfd);
    close(fd);
    /* a socket sent over itself */
    SHOWN("send a socket over itself", send_fds(sv[0], "S", 1, &sv[0], 1));
    fd = recv_show("receive it", sv[1], 64, 0, &nfd);
    SHOWN("write through the received socket", send(fd, "again", 5, 0));
    recv_show("and read", sv[1], 64, 0, &nfd);
    close(fd);
    /* sent to a peer that closes before receiving: the files are closed with it */
    send_fds(sv[0], "P", 1, &p[1], 1);
    close(p[1]);
    close(sv[1]);
    SHOWN("pipe at end of file (in flight to a closed peer)", read(p[0], buf, sizeof buf));
    close(p[0]);
    close(sv[0]);
}

static void credentials(void)
{
    int sv[2], nfd, on = 1;
    printf("-- SCM_CREDENTIALS\n");
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    send(sv[0], "before", 6, 0);
    SHOW("SO_PASSCRED", setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on));
    int v = 0;
    socklen_t l = sizeof v;
    getsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &v, &l);
    printf("SO_PASSCRED reads %d\n", v);
    recv_show("sent before SO_PASSCRED", sv[1], 64, 0, &nfd);
    send(sv[0], "after", 5, 0);
    recv_show("sent after", sv[1], 64, 0, &nfd);
    send(sv[0], "small", 5, 0);
    recv_show("no room", sv[1], 20, 0, &nfd);
    send(sv[0], "none", 4, 0);
    recv_show("no buffer", sv[1], 0, 0, &nfd);
    struct { int pid; unsigned uid, gid; } forged[] = {
        { 0, 0, 0 }, { 1, 0, 0 }, { 0, 1000, 1000 }, { 0, 0, 1000 }, { 0, 65534, 65534 },
        { 0x3fffffff, 0, 0 }, { 0, 0xffffffffu, 0 },
    };
    for (unsigned i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        union { char buf[CMSG_SPACE(sizeof(struct ucred))]; struct cmsghdr align; } u;
        memset(&u, 0, sizeof u);
        struct iovec iov = { "F", 1 };
        struct kmsg m = { .iov = &iov, .iovlen = 1, .control = u.buf, .controllen = sizeof u.buf };
        struct cmsghdr *c = (struct cmsghdr *)u.buf;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_CREDENTIALS;
        c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
        struct ucred cr = { forged[i].pid ? forged[i].pid : getpid(), forged[i].uid, forged[i].gid };
        memcpy(CMSG_DATA(c), &cr, sizeof cr);
        char label[64];
        snprintf(label, sizeof label, "send creds pid %s uid %u gid %u", forged[i].pid == 0 ? "self" :
                 forged[i].pid == 1 ? "1" : "none", forged[i].uid, forged[i].gid);
        long r = ksendmsg(sv[0], &m, 0);
        printf("%s: %s\n", label, r_(r));
        if (r >= 0)
            recv_show("  received", sv[1], 64, 0, &nfd);
    }
    close(sv[0]);
    close(sv[1]);
    /* stream: messages of one writer glue, not across a change of credentials */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    send(sv[0], "ab", 2, 0);
    send(sv[0], "cd", 2, 0);
    recv_show("stream with SO_PASSCRED", sv[1], 64, 0, &nfd);
    close(sv[0]);
    close(sv[1]);
}

/* Cycles and hostile arguments: nothing here may leak a page (the mem test) or crash. */
static void hostile(void)
{
    int sv[2], sv2[2], p[2], nfd;
    char buf[64];
    printf("-- cycles\n");
    /* each end of a pair in its own queue, then both closed */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    SHOWN("a into its own queue", send_fds(sv[1], "a", 1, &sv[0], 1));
    SHOWN("b into its own queue", send_fds(sv[0], "b", 1, &sv[1], 1));
    close(sv[0]);
    close(sv[1]);
    /* two pairs holding each other */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv2);
    SHOWN("pair 2 into pair 1", send_fds(sv[0], "x", 1, sv2, 2));
    SHOWN("pair 1 into pair 2", send_fds(sv2[0], "y", 1, sv, 2));
    close(sv[0]);
    close(sv[1]);
    close(sv2[0]);
    close(sv2[1]);
    /* a listener holding a connection that holds the listener, never accepted */
    struct sockaddr_un a;
    set_path(&a, "/tmp/us.cycle");
    unlink(a.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 4);
    int cl = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(cl, (struct sockaddr *)&a, sizeof a);
    SHOWN("listener into its unaccepted connection", send_fds(cl, "L", 1, &ls, 1));
    unlink(a.sun_path);
    close(ls);
    close(cl);
    /* a chain: socket in socket in socket ..., the outermost closed */
    int outer[2];
    socketpair(AF_UNIX, SOCK_DGRAM, 0, outer);
    for (int i = 0; i < 50; i++) {
        int in[2];
        socketpair(AF_UNIX, SOCK_DGRAM, 0, in);
        send_fds(in[0], "c", 1, outer, 2);
        close(outer[0]);
        close(outer[1]);
        outer[0] = in[0];
        outer[1] = in[1];
    }
    printf("a chain of 50 pairs built\n");
    close(outer[0]);
    close(outer[1]);
    /* many files to one socket, then the reader closes */
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    pipe(p);
    int many[253];
    for (int i = 0; i < 253; i++)
        many[i] = p[i & 1];
    union { char buf[CMSG_SPACE(sizeof(int) * 254)]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { "M", 1 };
    struct kmsg m = { .iov = &iov, .iovlen = 1, .control = u.buf, .controllen = CMSG_SPACE(sizeof(int) * 253) };
    struct cmsghdr *c = (struct cmsghdr *)u.buf;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * 253);
    memcpy(CMSG_DATA(c), many, sizeof many);
    SHOWN("253 files", ksendmsg(sv[0], &m, 0));
    c->cmsg_len = CMSG_LEN(sizeof(int) * 254);
    m.controllen = CMSG_SPACE(sizeof(int) * 254);
    SHOWN("254 files", ksendmsg(sv[0], &m, 0));
    close(sv[1]);
    close(sv[0]);
    close(p[0]);
    close(p[1]);

    printf("-- hostile arguments\n");
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    pipe(p);
    iov = (struct iovec){ "data", 4 };
    m = (struct kmsg){ .iov = &iov, .iovlen = 1 };
    SHOW("sendmsg msghdr at a kernel address", ksendmsg(sv[0], KADDR, 0));
    SHOW("sendmsg msghdr in page 0", ksendmsg(sv[0], PAGE0, 0));
    SHOW("sendmsg MSG_CMSG_COMPAT", ksendmsg(sv[0], &m, (int)0x80000000));
    m.iov = KADDR;
    SHOW("iov array at a kernel address", ksendmsg(sv[0], &m, 0));
    m.iov = NULL;
    SHOW("iov NULL", ksendmsg(sv[0], &m, 0));
    m.iov = &iov;
    m.iovlen = 1025;
    SHOW("iovlen 1025", ksendmsg(sv[0], &m, 0));
    m.iovlen = 1;
    iov.iov_base = KADDR;
    SHOW("iov_base at a kernel address", ksendmsg(sv[0], &m, 0));
    iov.iov_base = PAGE0;
    SHOW("iov_base in page 0", ksendmsg(sv[0], &m, 0));
    iov = (struct iovec){ "data", (size_t)-1 };
    SHOW("iov_len -1", ksendmsg(sv[0], &m, 0));
    struct iovec two[2] = { { "ok", 2 }, { KADDR, 10 } };
    m.iov = two;
    m.iovlen = 2;
    SHOWN("second iov at a kernel address", ksendmsg(sv[0], &m, 0));
    recv_show("  received", sv[1], 0, MSG_DONTWAIT, &nfd);
    two[1].iov_base = PAGE0;
    SHOW("second iov in page 0", ksendmsg(sv[0], &m, 0));
    iov = (struct iovec){ "data", 4 };
    m = (struct kmsg){ .iov = &iov, .iovlen = 1, .name = KADDR, .namelen = 16 };
    SHOW("msg_name at a kernel address", ksendmsg(sv[0], &m, 0));
    m.namelen = -1;
    SHOW("msg_namelen -1", ksendmsg(sv[0], &m, 0));
    struct sockaddr_un big;
    memset(&big, 0, sizeof big);
    big.sun_family = AF_UNIX;
    m.name = &big;
    m.namelen = 110;
    SHOW("msg_name all zero bytes", ksendmsg(sv[0], &m, 0));
    m = (struct kmsg){ .iov = &iov, .iovlen = 1, .control = KADDR, .controllen = 32 };
    SHOW("control at a kernel address", ksendmsg(sv[0], &m, 0));
    m.control = PAGE0;
    SHOW("control in page 0", ksendmsg(sv[0], &m, 0));
    m.control = u.buf;
    m.controllen = (size_t)1 << 40;
    SHOW("controllen 2^40", ksendmsg(sv[0], &m, 0));
    m.controllen = 131072;
    SHOW("controllen 131072", ksendmsg(sv[0], &m, 0));
    static char zeros[131071];
    m.control = zeros;
    m.controllen = sizeof zeros;
    SHOW("controllen 131071 of zeros", ksendmsg(sv[0], &m, 0));
    m.controllen = 15;
    SHOWN("controllen 15 (no header)", ksendmsg(sv[0], &m, 0));
    recv_show("  received", sv[1], 0, MSG_DONTWAIT, &nfd);
    memset(&u, 0, sizeof u);
    m.control = u.buf;
    m.controllen = CMSG_SPACE(sizeof(int));
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_SPACE(sizeof(int)) + 1;
    SHOW("cmsg_len past the buffer", ksendmsg(sv[0], &m, 0));
    c->cmsg_len = 8;
    SHOW("cmsg_len 8", ksendmsg(sv[0], &m, 0));
    c->cmsg_len = CMSG_LEN(sizeof(int));
    int bad = -1;
    memcpy(CMSG_DATA(c), &bad, sizeof bad);
    SHOW("SCM_RIGHTS fd -1", ksendmsg(sv[0], &m, 0));
    bad = 999;
    memcpy(CMSG_DATA(c), &bad, sizeof bad);
    SHOW("SCM_RIGHTS fd 999", ksendmsg(sv[0], &m, 0));
    c->cmsg_type = 99;
    SHOW("SOL_SOCKET type 99", ksendmsg(sv[0], &m, 0));
    c->cmsg_level = 6;
    SHOWN("level 6 (skipped)", ksendmsg(sv[0], &m, 0));
    recv_show("  received", sv[1], 0, MSG_DONTWAIT, &nfd);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(4);
    SHOW("SCM_CREDENTIALS too short", ksendmsg(sv[0], &m, 0));
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(0);
    SHOWN("SCM_RIGHTS with no fds", ksendmsg(sv[0], &m, 0));
    recv_show("  received", sv[1], 0, MSG_DONTWAIT, &nfd);
    /* receiving into bad places: the data and the files still leave the queue */
    send_fds(sv[0], "R1", 2, &p[1], 1);
    char data[16];
    iov = (struct iovec){ data, sizeof data };
    m = (struct kmsg){ .iov = &iov, .iovlen = 1, .control = KADDR, .controllen = 64 };
    long r = krecvmsg(sv[1], &m, 0);
    printf("recvmsg control at a kernel address: %s, controllen %zu, CTRUNC %d\n", r_(r), m.controllen,
           !!(m.flags & MSG_CTRUNC));
    send_fds(sv[0], "R2", 2, &p[1], 1);
    m = (struct kmsg){ .iov = &iov, .iovlen = 1, .control = PAGE0, .controllen = 64 };
    r = krecvmsg(sv[1], &m, 0);
    printf("recvmsg control in page 0: %s, controllen %zu, CTRUNC %d\n", r_(r), m.controllen,
           !!(m.flags & MSG_CTRUNC));
    send_fds(sv[0], "R3", 2, &p[1], 1);
    iov = (struct iovec){ KADDR, 16 };
    m = (struct kmsg){ .iov = &iov, .iovlen = 1, .control = u.buf, .controllen = 64 };
    SHOW("recvmsg into a kernel address", krecvmsg(sv[1], &m, 0));
    SHOW("  the message is still queued", recv(sv[1], data, sizeof data, MSG_DONTWAIT));
    send(sv[0], "R4", 2, 0);
    iov = (struct iovec){ data, sizeof data };
    m = (struct kmsg){ .iov = &iov, .iovlen = 1, .name = KADDR, .namelen = 16 };
    SHOW("recvmsg name at a kernel address", krecvmsg(sv[1], &m, 0));
    SHOW("recvmsg msghdr at a kernel address", krecvmsg(sv[1], KADDR, 0));
    send(sv[0], "R5", 2, 0);
    socklen_t al = 16;
    SHOW("recvfrom addrlen at a kernel address", recvfrom(sv[1], data, sizeof data, 0, (struct sockaddr *)&big, KADDR));
    send(sv[0], "R6", 2, 0);
    al = (socklen_t)-1;
    SHOW("recvfrom addrlen -1", recvfrom(sv[1], data, sizeof data, 0, (struct sockaddr *)&big, &al));
    SHOW("send buffer at a kernel address", send(sv[0], KADDR, 4, 0));
    SHOW("send buffer in page 0", send(sv[0], PAGE0, 4, 0));
    SHOW("recv buffer at a kernel address", recv(sv[1], KADDR, 4, MSG_DONTWAIT));
    SHOW("sendto address at a kernel address", sendto(sv[0], "x", 1, 0, KADDR, 16));
    SHOW("sendto addrlen 200", sendto(sv[0], "x", 1, 0, (struct sockaddr *)&big, 200));
    int v;
    socklen_t vl = sizeof v;
    SHOW("getsockopt optval at a kernel address", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, KADDR, &vl));
    SHOW("getsockopt optlen at a kernel address", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, KADDR));
    vl = (socklen_t)-1;
    SHOW("getsockopt optlen -1", getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl));
    vl = 2;
    v = 0;
    getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &vl);
    printf("getsockopt optlen 2: len %u value %d\n", vl, v);
    vl = sizeof v;
    SHOW("getsockopt option 12345", getsockopt(sv[0], SOL_SOCKET, 12345, &v, &vl));
    SHOW("getsockopt level 6", getsockopt(sv[0], 6, 1, &v, &vl));
    SHOW("setsockopt optlen 2", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &v, 2));
    SHOW("setsockopt optval at a kernel address", setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, KADDR, 4));
    SHOW("setsockopt SO_TYPE", setsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, sizeof v));
    SHOW("setsockopt level 6", setsockopt(sv[0], 6, 1, &v, sizeof v));
    v = 0;
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    vl = sizeof v;
    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &vl);
    printf("SO_SNDBUF after 0: %d\n", v);
    v = 100000;                              /* under net.core.wmem_max, which is the host's own */
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
    getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, &vl);
    printf("SO_SNDBUF after 100000: %d\n", v);
    v = 0;
    setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
    getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &vl);
    printf("SO_RCVBUF after 0: %d\n", v);
    SHOW("getsockname addrlen at a kernel address", getsockname(sv[0], (struct sockaddr *)data, KADDR));
    SHOW("getpeername addr at a kernel address", getpeername(sv[0], KADDR, &al));
    al = 0;
    SHOW("getsockname addrlen 0", getsockname(sv[0], (struct sockaddr *)data, &al));
    printf("  addrlen now %u\n", al);
    SHOW("shutdown -1", shutdown(sv[0], -1));
    close(sv[0]);
    close(sv[1]);
    close(p[0]);
    close(p[1]);
    (void)buf;
}

/* Another process blocked in a call while this one changes the socket under it: the call ends
   as Linux's does whichever comes first (so the output is the same). */
static void races(void)
{
    int sv[2], st;
    char buf[64];
    printf("-- blocked calls\n");
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    pid_t c = fork();
    if (c == 0) {
        long n = read(sv[1], buf, sizeof buf);
        printf("child: read while its socket is shut: %s %ld\n", r_(n), n);
        _exit(0);
    }
    shutdown(sv[1], SHUT_RD);
    waitpid(c, &st, 0);
    close(sv[0]);
    close(sv[1]);

    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    c = fork();
    if (c == 0) {
        static char big[1 << 20];
        close(sv[1]);
        long n = write(sv[0], big, sizeof big);
        printf("child: a 1 MiB write whose reader closes: %s\n", n > 0 && n < (long)sizeof big ? "short" : r_(n));
        sigpipes = 0;
        n = write(sv[0], big, 1);
        printf("child: and the next: %s, SIGPIPEs %d\n", r_(n), sigpipes);
        _exit(0);
    }
    close(sv[0]);
    long got = read(sv[1], buf, sizeof buf);
    printf("parent: read %ld, closes\n", got);
    close(sv[1]);
    waitpid(c, &st, 0);

    struct sockaddr_un a;
    set_path(&a, "/tmp/us.race");
    unlink(a.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 0);
    c = fork();
    if (c == 0) {
        int fd = accept(ls, NULL, NULL);
        printf("child: accept: %s\n", r_(fd));
        long n = read(fd, buf, sizeof buf);
        printf("child: read %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
        _exit(0);
    }
    int cl = socket(AF_UNIX, SOCK_STREAM, 0);
    long cr = connect(cl, (struct sockaddr *)&a, sizeof a);
    write(cl, "hi child", 8);
    waitpid(c, &st, 0);                      /* the child's lines first, whoever runs first */
    SHOW("parent: connect to the accepting child", cr);
    close(cl);
    int first = socket(AF_UNIX, SOCK_STREAM, 0);
    connect(first, (struct sockaddr *)&a, sizeof a);       /* fills the backlog of 0 */
    c = fork();
    if (c == 0) {
        close(ls);                           /* the parent's close must be the last */
        close(first);
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        long r = connect(s, (struct sockaddr *)&a, sizeof a);
        printf("child: connect waiting for a full backlog whose listener closes: %s\n", r_(r));
        _exit(0);
    }
    close(ls);
    waitpid(c, &st, 0);
    close(first);
    unlink(a.sun_path);
}

/* Two threads on one pair: one sends the pair's own ends and a pipe end, the other receives
   and closes what comes, both without waiting; then everything is closed with files still in
   flight. What each call returned depends on the interleaving: only the end is printed (the
   mem test checks that nothing stayed behind). */
static int race_sv[2], race_pipe[2];

static void *race_sender(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        int fds[3] = { race_sv[0], race_sv[1], race_pipe[i & 1] };
        union { char buf[CMSG_SPACE(sizeof fds)]; struct cmsghdr align; } u;
        memset(&u, 0, sizeof u);
        struct iovec iov = { "r", 1 };
        struct kmsg m = { .iov = &iov, .iovlen = 1, .control = u.buf, .controllen = sizeof u.buf };
        struct cmsghdr *c = (struct cmsghdr *)u.buf;
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof fds);
        memcpy(CMSG_DATA(c), fds, sizeof fds);
        ksendmsg(race_sv[i % 3 == 0], &m, MSG_DONTWAIT | MSG_NOSIGNAL);
    }
    return NULL;
}

static void *race_receiver(void *arg)
{
    (void)arg;
    for (int i = 0; i < 300; i++) {
        union { char buf[CMSG_SPACE(sizeof(int) * 3)]; struct cmsghdr align; } u;
        char data[4];
        struct iovec iov = { data, sizeof data };
        struct kmsg m = { .iov = &iov, .iovlen = 1, .control = u.buf, .controllen = i % 4 ? sizeof u.buf : 16 };
        if (krecvmsg(race_sv[i & 1], &m, MSG_DONTWAIT) < 0 || m.controllen < CMSG_LEN(sizeof(int)))
            continue;
        struct cmsghdr *c = (struct cmsghdr *)u.buf;
        int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int k = 0; k < n && k < 3; k++) {
            int fd;
            memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof fd);
            close(fd);
        }
    }
    return NULL;
}

static void threads(void)
{
    printf("-- threads\n");
    socketpair(AF_UNIX, SOCK_DGRAM, 0, race_sv);
    pipe(race_pipe);
    pthread_t a, b;
    pthread_create(&a, NULL, race_sender, NULL);
    pthread_create(&b, NULL, race_receiver, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    close(race_sv[0]);
    close(race_sv[1]);
    close(race_pipe[0]);
    close(race_pipe[1]);
    printf("a sender and a receiver raced on one pair, then it was closed with files in flight\n");
}

/* sendmmsg/recvmmsg and FIONREAD. */
static void batches(void)
{
    int sv[2], n;
    char bufs[5][16];
    printf("-- sendmmsg, recvmmsg, FIONREAD\n");
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    struct iovec iov[5];
    struct { struct kmsg h; unsigned len; int pad; } v[5];
    memset(v, 0, sizeof v);
    const char *words[3] = { "one", "three", "fifteen" };
    for (int i = 0; i < 3; i++) {
        iov[i] = (struct iovec){ (void *)words[i], strlen(words[i]) };
        v[i].h.iov = &iov[i];
        v[i].h.iovlen = 1;
    }
    SHOWN("sendmmsg 3", syscall(SYS_sendmmsg, sv[0], v, 3, 0));
    printf("msg_len %u %u %u\n", v[0].len, v[1].len, v[2].len);
    SHOW("ioctl FIONREAD", ioctl(sv[1], FIONREAD, &n));
    printf("FIONREAD (next datagram) %d\n", n);
    memset(v, 0, sizeof v);
    for (int i = 0; i < 5; i++) {
        iov[i] = (struct iovec){ bufs[i], sizeof bufs[i] };
        v[i].h.iov = &iov[i];
        v[i].h.iovlen = 1;
    }
    SHOWN("recvmmsg 5 DONTWAIT", syscall(SYS_recvmmsg, sv[1], v, 5, MSG_DONTWAIT, NULL));
    printf("msg_len %u %u %u %u\n", v[0].len, v[1].len, v[2].len, v[3].len);
    SHOWN("recvmmsg empty", syscall(SYS_recvmmsg, sv[1], v, 5, MSG_DONTWAIT, NULL));
    send(sv[0], "a", 1, 0);
    SHOWN("recvmmsg WAITFORONE", syscall(SYS_recvmmsg, sv[1], v, 5, 0x10000, NULL));
    struct timespec ts = { 5, 0 };
    send(sv[0], "b", 1, 0);
    send(sv[0], "c", 1, 0);
    SHOWN("recvmmsg 2 with a timeout", syscall(SYS_recvmmsg, sv[1], v, 2, 0, &ts));
    printf("timeout left under 5 s: %d\n", ts.tv_sec < 5 || (ts.tv_sec == 5 && ts.tv_nsec == 0));
    ts.tv_nsec = 2000000000;
    SHOW("recvmmsg bad timeout", syscall(SYS_recvmmsg, sv[1], v, 2, 0, &ts));
    SHOW("recvmmsg timeout at a kernel address", syscall(SYS_recvmmsg, sv[1], v, 2, 0, KADDR));
    SHOW("recvmmsg vector at a kernel address", syscall(SYS_recvmmsg, sv[1], KADDR, 2, MSG_DONTWAIT, NULL));
    memset(v, 0, sizeof v);
    iov[0] = (struct iovec){ "ok", 2 };
    iov[1] = (struct iovec){ KADDR, 2 };
    v[0].h.iov = &iov[0];
    v[0].h.iovlen = 1;
    v[1].h.iov = &iov[1];
    v[1].h.iovlen = 1;
    SHOWN("sendmmsg, the second bad", syscall(SYS_sendmmsg, sv[0], v, 2, 0));
    SHOW("sendmmsg, the first bad", syscall(SYS_sendmmsg, sv[0], &v[1], 1, 0));
    SHOW("sendmmsg MSG_CMSG_COMPAT", syscall(SYS_sendmmsg, sv[0], v, 1, 0x80000000));
    SHOWN("sendmmsg vlen 0", syscall(SYS_sendmmsg, sv[0], v, 0, 0));
    close(sv[0]);
    close(sv[1]);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    write(sv[0], "abc", 3);
    write(sv[0], "defg", 4);
    read(sv[1], bufs[0], 1);
    ioctl(sv[1], FIONREAD, &n);
    printf("stream FIONREAD %d\n", n);
    SHOW("ioctl TCGETS", ioctl(sv[1], TCGETS, bufs));
    close(sv[0]);
    close(sv[1]);
    struct sockaddr_un a;
    set_path(&a, "/tmp/us.inq");
    unlink(a.sun_path);
    int ls = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(ls, (struct sockaddr *)&a, sizeof a);
    listen(ls, 1);
    SHOW("FIONREAD on a listener", ioctl(ls, FIONREAD, &n));
    close(ls);
    unlink(a.sun_path);
}

static void round_(void)
{
    errors();
    stream_pair();
    dgram_pair();
    named();
    rights();
    credentials();
    hostile();
    races();
    batches();
    threads();
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    signal(SIGPIPE, on_sigpipe);
    umask(022);
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int r = 1; r <= rounds; r++) {
        pid_t c = fork();
        if (c == 0) {
            round_();
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        printf("unixsock: round %d: status %d\n", r, st);
    }
    return 0;
}
