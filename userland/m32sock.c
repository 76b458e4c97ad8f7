/*
 * m32sock: AF_UNIX sockets from an i386 process (built as m32sock-m32), through the direct
 * i386 calls (359-373) and socketcall (102): socketpair, send/recv, bind/listen/connect/
 * accept4 and names, sendmsg/recvmsg with the compat msghdr, iovec and cmsghdr
 * (SCM_RIGHTS, SCM_CREDENTIALS, MSG_CTRUNC, a control buffer too short for a header), and
 * socketcall's errors. Printed so the host's Linux and ringlab compare line by line. The
 * 64-bit build only says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#ifdef __i386__
enum { NR_socketcall = 102, NR_socket = 359, NR_socketpair = 360, NR_bind = 361, NR_connect = 362,
       NR_listen = 363, NR_accept4 = 364, NR_getsockname = 367, NR_sendto = 369, NR_sendmsg = 370,
       NR_recvfrom = 371, NR_recvmsg = 372, NR_shutdown = 373, NR_getsockopt = 365,
       NR_setsockopt = 366 };

static const char *r_(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EBADF: return "EBADF";
    case ENOTSOCK: return "ENOTSOCK";
    case EAGAIN: return "EAGAIN";
    case EPIPE: return "EPIPE";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case EDOM: return "EDOM";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}
#define SHOWN(label, call) do { long _r = (long)(call); if (_r < 0) printf("%s: %s\n", label, r_(_r)); \
                                else printf("%s: %ld\n", label, _r); } while (0)

/* socketcall(call, args...) */
static long sc(int call, long a0, long a1, long a2, long a3, long a4, long a5)
{
    unsigned long a[6] = { a0, a1, a2, a3, a4, a5 };
    return syscall(NR_socketcall, call, a);
}

static long send_rights(int s, int fd, int extra_creds)
{
    union { char buf[64]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    struct iovec iov = { "F", 1 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf };
    struct cmsghdr *c = (struct cmsghdr *)u.buf;
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int fds[2] = { fd, fd };
    memcpy(CMSG_DATA(c), fds, sizeof fds);
    m.msg_controllen = CMSG_SPACE(2 * sizeof(int));
    if (extra_creds) {
        struct cmsghdr *d = (struct cmsghdr *)(u.buf + CMSG_SPACE(2 * sizeof(int)));
        d->cmsg_level = SOL_SOCKET;
        d->cmsg_type = SCM_CREDENTIALS;
        d->cmsg_len = CMSG_LEN(sizeof(struct ucred));
        struct ucred cr = { getpid(), getuid(), getgid() };
        memcpy(CMSG_DATA(d), &cr, sizeof cr);
        m.msg_controllen += CMSG_SPACE(sizeof(struct ucred));
    }
    return syscall(NR_sendmsg, s, &m, 0);
}

static void recv_show(const char *label, int s, size_t ctl)
{
    union { char buf[64]; struct cmsghdr align; } u;
    memset(&u, 0, sizeof u);
    char data[16] = { 0 };
    struct iovec iov = { data, sizeof data };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl ? u.buf : NULL, .msg_controllen = ctl };
    long n = syscall(NR_recvmsg, s, &m, 0);
    if (n < 0) {
        printf("%s: %s\n", label, r_(n));
        return;
    }
    printf("%s: %ld bytes, controllen %u%s", label, n, (unsigned)m.msg_controllen,
           m.msg_flags & MSG_CTRUNC ? " CTRUNC" : "");
    for (struct cmsghdr *c = ctl ? CMSG_FIRSTHDR(&m) : NULL; c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            printf(" rights(len %u, %d fds)", (unsigned)c->cmsg_len, k);
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                close(fd);
            }
        } else if (c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cr;
            memcpy(&cr, CMSG_DATA(c), sizeof cr);
            printf(" creds(len %u, pid-is-me %d, uid %u)", (unsigned)c->cmsg_len, cr.pid == getpid(), cr.uid);
        }
    }
    printf("\n");
}

/* SO_RCVTIMEO_OLD (20) of an i386 caller is a compat timeval, two int32 (Linux
   sock_copy_user_timeval: old_timeval32); _NEW (66) is two int64 for everyone. */
static void show_timeo(const char *label, int s, int opt, unsigned len)
{
    int v[4] = { -7, -7, -7, -7 };
    socklen_t l = len;
    long r = syscall(NR_getsockopt, s, SOL_SOCKET, opt, v, &l);
    if (r < 0)
        printf("%s: %s\n", label, r_(r));
    else
        printf("%s: len %u words %d %d %d %d\n", label, l, v[0], v[1], v[2], v[3]);
}

static void timeouts(void)
{
    int sv[2];
    char c;
    syscall(NR_socketpair, AF_UNIX, SOCK_STREAM, 0, sv);
    int tv32[2] = { 2, 500000 };
    SHOWN("setsockopt RCVTIMEO_OLD 2:500000, optlen 8", syscall(NR_setsockopt, sv[0], SOL_SOCKET, 20, tv32, 8));
    show_timeo("getsockopt RCVTIMEO_OLD", sv[0], 20, 16);
    show_timeo("getsockopt RCVTIMEO_NEW", sv[0], 66, 16);
    SHOWN("setsockopt RCVTIMEO_OLD optlen 7", syscall(NR_setsockopt, sv[0], SOL_SOCKET, 20, tv32, 7));
    int bad[2] = { 0, 1000000 };
    SHOWN("setsockopt RCVTIMEO_OLD usec 1000000", syscall(NR_setsockopt, sv[0], SOL_SOCKET, 20, bad, 8));
    long long tv64[2] = { 0, 40000 };
    SHOWN("setsockopt SNDTIMEO_NEW 0:40000, optlen 16", syscall(NR_setsockopt, sv[0], SOL_SOCKET, 67, tv64, 16));
    SHOWN("setsockopt SNDTIMEO_NEW optlen 8", syscall(NR_setsockopt, sv[0], SOL_SOCKET, 67, tv64, 8));
    show_timeo("getsockopt SNDTIMEO_OLD", sv[0], 21, 16);
    show_timeo("getsockopt SNDTIMEO_NEW", sv[0], 67, 16);
    int neg[2] = { -1, 0 };
    SHOWN("setsockopt RCVTIMEO_OLD -1:0", syscall(NR_setsockopt, sv[0], SOL_SOCKET, 20, neg, 8));
    SHOWN("recv with timeo 0", syscall(NR_recvfrom, sv[0], &c, 1, 0, NULL, NULL));
    int t40[2] = { 0, 40000 };
    SHOWN("socketcall SETSOCKOPT RCVTIMEO_OLD 0:40000", sc(14, sv[0], SOL_SOCKET, 20, (long)t40, 8, 0));
    SHOWN("recv, nothing comes", syscall(NR_recvfrom, sv[0], &c, 1, 0, NULL, NULL));
    close(sv[0]);
    close(sv[1]);
}

int main(void)
{
    int sv[2], p[2], one = 1;
    char buf[32];
    setvbuf(stdout, NULL, _IONBF, 0);
    SHOWN("socketcall SOCKETPAIR", sc(8, AF_UNIX, SOCK_STREAM, 0, (long)sv, 0, 0));
    SHOWN("socketcall SEND", sc(9, sv[0], (long)"hello", 5, 0, 0, 0));
    memset(buf, 0, sizeof buf);
    SHOWN("socketcall RECV", sc(10, sv[1], (long)buf, sizeof buf, 0, 0, 0));
    printf("got \"%s\"\n", buf);
    SHOWN("socketcall 0", sc(0, 0, 0, 0, 0, 0, 0));
    SHOWN("socketcall 21", sc(21, 0, 0, 0, 0, 0, 0));
    SHOWN("socketcall args in page 0", syscall(NR_socketcall, 1, (void *)16));
    SHOWN("socketcall SOCKET(46)", sc(1, 46, SOCK_STREAM, 0, 0, 0, 0));
    SHOWN("socketcall SHUTDOWN", sc(13, sv[0], SHUT_WR, 0, 0, 0, 0));
    SHOWN("recv after SHUT_WR", syscall(NR_recvfrom, sv[1], buf, sizeof buf, 0, NULL, NULL));
    close(sv[0]);
    close(sv[1]);

    SHOWN("socketpair (360)", syscall(NR_socketpair, AF_UNIX, SOCK_DGRAM, 0, sv));
    pipe(p);
    SHOWN("sendmsg SCM_RIGHTS x2", send_rights(sv[0], p[1], 0));
    recv_show("recvmsg", sv[1], 64);
    send_rights(sv[0], p[1], 0);
    recv_show("recvmsg, room for one", sv[1], CMSG_LEN(sizeof(int)));
    send_rights(sv[0], p[1], 0);
    recv_show("recvmsg, room for a header", sv[1], sizeof(struct cmsghdr));
    setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof one);
    SHOWN("sendmsg SCM_RIGHTS + SCM_CREDENTIALS", send_rights(sv[0], p[1], 1));
    recv_show("recvmsg", sv[1], 64);
    send(sv[0], "x", 1, 0);
    recv_show("recvmsg, creds only", sv[1], 64);
    struct iovec iov = { "data", 4 };
    char ctl[16] = { 0 };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = 8 };
    SHOWN("sendmsg controllen 8", syscall(NR_sendmsg, sv[0], &m, 0));
    m.msg_control = NULL;
    m.msg_controllen = 0;
    iov.iov_len = 0x80000000u;
    SHOWN("sendmsg iov_len 2^31", syscall(NR_sendmsg, sv[0], &m, 0));
    SHOWN("sendmsg msghdr in page 0", syscall(NR_sendmsg, sv[0], (void *)16, 0));
    close(p[0]);
    close(p[1]);
    close(sv[0]);
    close(sv[1]);

    struct sockaddr_un a = { .sun_family = AF_UNIX }, b;
    strcpy(a.sun_path, "/tmp/m32.sock");
    unlink(a.sun_path);
    int ls = syscall(NR_socket, AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    SHOWN("bind (361)", syscall(NR_bind, ls, &a, sizeof a));
    SHOWN("listen (363)", syscall(NR_listen, ls, 4));
    int cl = syscall(NR_socket, AF_UNIX, SOCK_STREAM, 0);
    SHOWN("connect (362)", syscall(NR_connect, cl, &a, sizeof a));
    socklen_t l = sizeof b;
    int c = syscall(NR_accept4, ls, &b, &l, SOCK_CLOEXEC);
    printf("accept4 (364): %s, addrlen %u, cloexec %d\n", r_(c), l, fcntl(c, F_GETFD));
    l = sizeof b;
    SHOWN("getsockname (367)", syscall(NR_getsockname, c, &b, &l));
    printf("name \"%s\" len %u\n", b.sun_path, l);
    SHOWN("sendto (369)", syscall(NR_sendto, cl, "abc", 3, 0, NULL, 0));
    SHOWN("recvfrom (371)", syscall(NR_recvfrom, c, buf, sizeof buf, 0, NULL, NULL));
    SHOWN("shutdown (373)", syscall(NR_shutdown, c, SHUT_RDWR));
    SHOWN("socketcall ACCEPT, none waiting", sc(18, ls, 0, 0, SOCK_CLOEXEC, 0, 0));
    close(c);
    close(cl);
    close(ls);
    unlink(a.sun_path);
    timeouts();
    return 0;
}
#else
int main(void)
{
    printf("m32sock: i386 only (m32sock-m32)\n");
    return 0;
}
#endif
