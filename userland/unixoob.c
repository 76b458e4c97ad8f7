/*
 * unixoob [ROUNDS]: AF_UNIX out-of-band data (MSG_OOB, SO_OOBINLINE, SIOCATMARK, SIGURG,
 * POLLPRI) and SO_PEEK_OFF, as Linux's net/unix/af_unix.c with CONFIG_AF_UNIX_OOB, printed so
 * that the host's Linux and ringlab can be compared line by line (nothing printed depends on
 * pids or timing). Then the hostile part: OOB to a closed or shut peer, a reader thread racing
 * an OOB send, SIOCATMARK into bad pointers, huge and negative peek offsets, an OOB byte that
 * carries SCM_RIGHTS. Each round runs in a child (ROUNDS, default 1): with ringlab's
 * trace=mem the free pages after each child is reaped must be the same every round
 * (tests/test_unixoob.py).
 *
 * sendmsg/recvmsg go through syscall(), as userland/unixsock.c's: musl's wrappers would copy
 * the control buffer themselves.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SIOCATMARK
#define SIOCATMARK 0x8905
#endif
#ifndef SO_PEEK_OFF
#define SO_PEEK_OFF 42
#endif

static void *volatile kaddr = (void *)0xffffffff81000000UL;   /* a kernel address */
static void *volatile page0 = (void *)16;                      /* page 0, never mapped */

static const char *en(int e)
{
    static char buf[16];
    switch (e) {
    case 0: return "ok";
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ENOTCONN: return "ENOTCONN";
    case EPIPE: return "EPIPE";
    case EAGAIN: return "EAGAIN";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case ECONNRESET: return "ECONNRESET";
    case ENOTTY: return "ENOTTY";
    default: snprintf(buf, sizeof buf, "errno%d", e); return buf;
    }
}

/* A call's result: the count, or the errno's name. */
static const char *res(long r)
{
    static char buf[4][32];
    static int i;
    char *b = buf[i++ & 3];
    if (r < 0)
        snprintf(b, 32, "%s", en(errno));
    else
        snprintf(b, 32, "%ld", r);
    return b;
}

static long sendmsg_(int fd, struct msghdr *m, int flags) { return syscall(SYS_sendmsg, fd, m, flags); }
static long recvmsg_(int fd, struct msghdr *m, int flags) { return syscall(SYS_recvmsg, fd, m, flags); }

/* recv into a string: "N 'bytes' flags=F" or the error. */
static void rcv(const char *what, int fd, size_t len, int flags)
{
    char buf[128] = { 0 };
    struct iovec iov = { buf, len };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
    long n = recvmsg_(fd, &m, flags | MSG_DONTWAIT);
    if (n < 0)
        printf("%s: %s\n", what, en(errno));
    else
        printf("%s: %ld '%.*s' flags=%#x\n", what, n, (int)(n < (long)len ? n : (long)len), buf, m.msg_flags);
}

static void snd(const char *what, int fd, const char *s, int flags)
{
    long n = send(fd, s, strlen(s), flags | MSG_DONTWAIT | MSG_NOSIGNAL);
    printf("%s: %s\n", what, res(n));
}

/* SIOCATMARK, and SIOCINQ when `inq` (host Linux 6.18 keeps counting in SIOCINQ an OOB byte
   that a read skipped, so it is printed only where no byte was skipped yet). */
static void atmark_(const char *what, int fd, int inq)
{
    int v = -1, n = -1;
    long r = ioctl(fd, SIOCATMARK, &v);
    if (!inq) {
        printf("%s: atmark %s %d\n", what, res(r), v);
        return;
    }
    long ri = ioctl(fd, FIONREAD, &n);
    printf("%s: atmark %s %d inq %s %d\n", what, res(r), v, res(ri), n);
}
#define atmark(what, fd) atmark_(what, fd, 0)
#define atmark_inq(what, fd) atmark_(what, fd, 1)

static void pollpri(const char *what, int fd)
{
    struct pollfd p = { fd, POLLIN | POLLPRI | POLLOUT, 0 };
    poll(&p, 1, 0);
    fd_set r, w, x;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_ZERO(&x);
    FD_SET(fd, &r);
    FD_SET(fd, &x);
    struct timeval tv = { 0, 0 };
    select(fd + 1, &r, &w, &x, &tv);
    printf("%s: revents %#x select r%d x%d\n", what, p.revents, FD_ISSET(fd, &r), FD_ISSET(fd, &x));
}

/* getsockopt(SOL_SOCKET, name) as "ok V" or the error (the call runs before V is read). */
static const char *opt(int fd, int name)
{
    static char buf[2][32];
    static int i;
    char *b = buf[i++ & 1];
    int v = 0x55555555;
    socklen_t l = sizeof v;
    long r = getsockopt(fd, SOL_SOCKET, name, &v, &l);
    if (r < 0)
        snprintf(b, 32, "%s", en(errno));
    else
        snprintf(b, 32, "ok %d", v);
    return b;
}

static void pair(int type, int sv[2])
{
    if (socketpair(AF_UNIX, type, 0, sv))
        printf("socketpair: %s\n", en(errno));
}

static void closeb(int sv[2]) { close(sv[0]), close(sv[1]); }

static void basics(void)
{
    int sv[2];
    pair(SOCK_STREAM, sv);
    snd("send abc OOB", sv[0], "abc", MSG_OOB);
    pollpri("after OOB", sv[1]);
    atmark_inq("before read", sv[1]);
    rcv("read", sv[1], 100, 0);
    atmark_inq("after read", sv[1]);
    pollpri("at mark", sv[1]);
    rcv("read OOB|PEEK", sv[1], 100, MSG_OOB | MSG_PEEK);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    atmark_inq("after OOB read", sv[1]);
    pollpri("OOB taken", sv[1]);
    rcv("read OOB again", sv[1], 100, MSG_OOB);
    rcv("read rest", sv[1], 100, 0);
    pollpri("empty", sv[1]);
    atmark_inq("empty", sv[1]);

    /* data before, the OOB byte, data after: the mark stops a read */
    snd("send 12", sv[0], "12", 0);
    snd("send 34 OOB", sv[0], "34", MSG_OOB);
    snd("send 56", sv[0], "56", 0);
    rcv("read", sv[1], 100, 0);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);
    rcv("read", sv[1], 100, 0);

    /* MSG_WAITALL stops at the mark too (it does not wait for more) */
    snd("send 12", sv[0], "12", 0);
    snd("send 34 OOB", sv[0], "34", MSG_OOB);
    char wb[16] = { 0 };
    long wn = recv(sv[1], wb, sizeof wb, MSG_WAITALL);
    printf("read WAITALL: %s '%s'\n", res(wn), wb);
    rcv("read OOB", sv[1], 100, MSG_OOB);

    /* a read reaching the OOB byte first skips it (it is lost) */
    snd("send xy OOB", sv[0], "xy", MSG_OOB);
    snd("send z", sv[0], "z", 0);
    rcv("read", sv[1], 100, 0);
    atmark("at mark", sv[1]);
    rcv("read", sv[1], 100, 0);
    rcv("read OOB", sv[1], 100, MSG_OOB);

    /* a second OOB byte before the first was read */
    snd("send p OOB", sv[0], "p", MSG_OOB);
    snd("send q OOB", sv[0], "q", MSG_OOB);
    atmark("two marks", sv[1]);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);
    rcv("read", sv[1], 100, 0);
    snd("send r OOB", sv[0], "r", MSG_OOB);
    snd("send s OOB", sv[0], "s", MSG_OOB);
    rcv("read", sv[1], 100, 0);
    rcv("read", sv[1], 100, 0);
    rcv("read OOB", sv[1], 100, MSG_OOB);

    /* PEEK past the OOB byte */
    snd("send uvw OOB", sv[0], "uvw", MSG_OOB);
    snd("send !", sv[0], "!", 0);
    rcv("peek", sv[1], 100, MSG_PEEK);
    rcv("read 1", sv[1], 1, 0);
    rcv("peek", sv[1], 100, MSG_PEEK);
    rcv("read", sv[1], 100, 0);
    rcv("peek", sv[1], 100, MSG_PEEK);
    rcv("read", sv[1], 100, 0);

    /* the OOB byte into an empty buffer */
    snd("send k OOB", sv[0], "k", MSG_OOB);
    rcv("read OOB len 0", sv[1], 0, MSG_OOB);
    atmark("after", sv[1]);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);

    /* zero bytes OOB, OOB the other way */
    snd("send '' OOB", sv[0], "", MSG_OOB);
    snd("send back OOB", sv[1], "BA", MSG_OOB);
    rcv("read OOB", sv[0], 100, MSG_OOB);
    rcv("read", sv[0], 100, 0);
    closeb(sv);
}

static void inline_(void)
{
    int sv[2], v = 1;
    pair(SOCK_STREAM, sv);
    printf("SO_OOBINLINE get: %s\n", opt(sv[1], SO_OOBINLINE));
    printf("SO_OOBINLINE set: %s\n", res(setsockopt(sv[1], SOL_SOCKET, SO_OOBINLINE, &v, sizeof v)));
    printf("SO_OOBINLINE get: %s\n", opt(sv[1], SO_OOBINLINE));
    snd("send ab OOB", sv[0], "ab", MSG_OOB);
    snd("send c", sv[0], "c", 0);
    pollpri("inline", sv[1]);
    atmark("inline", sv[1]);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);
    atmark("inline", sv[1]);
    pollpri("inline at mark", sv[1]);
    rcv("peek", sv[1], 100, MSG_PEEK);
    rcv("read", sv[1], 100, 0);
    rcv("read", sv[1], 100, 0);
    /* turned off with a byte waiting */
    snd("send de OOB", sv[0], "de", MSG_OOB);
    v = 0;
    printf("SO_OOBINLINE off: %s\n", res(setsockopt(sv[1], SOL_SOCKET, SO_OOBINLINE, &v, sizeof v)));
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);
    rcv("read", sv[1], 100, 0);
    closeb(sv);
}

static void other_types(void)
{
    static const int types[] = { SOCK_DGRAM, SOCK_SEQPACKET };
    for (int i = 0; i < 2; i++) {
        int sv[2];
        pair(types[i], sv);
        printf("type %d\n", types[i]);
        snd("send OOB", sv[0], "ab", MSG_OOB);
        snd("send", sv[0], "ab", 0);
        rcv("read OOB", sv[1], 100, MSG_OOB);
        atmark_inq("dgram", sv[1]);
        pollpri("dgram", sv[1]);
        rcv("read", sv[1], 100, 0);
        closeb(sv);
    }
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    snd("unconnected send OOB", s, "a", MSG_OOB);
    rcv("unconnected read OOB", s, 100, MSG_OOB);
    atmark("unconnected", s);
    close(s);
}

static volatile int n_urg, n_io, n_rt, rt_codes[8];
static void on_urg(int sig) { (void)sig; n_urg++; }
static void on_io(int sig) { (void)sig; n_io++; }
static void on_rt(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    if (n_rt < 8)
        rt_codes[n_rt] = si->si_code;
    n_rt++;
}

static void signals(void)
{
    struct sigaction sa = { .sa_handler = on_urg };
    sigaction(SIGURG, &sa, NULL);
    sa.sa_handler = on_io;
    sigaction(SIGIO, &sa, NULL);
    struct sigaction rt = { .sa_sigaction = on_rt, .sa_flags = SA_SIGINFO };
    sigaction(SIGRTMIN + 1, &rt, NULL);
    int sv[2];
    pair(SOCK_STREAM, sv);
    snd("no owner: send OOB", sv[0], "a", MSG_OOB);
    printf("SIGURG %d SIGIO %d\n", n_urg, n_io);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    printf("F_SETOWN: %s\n", res(fcntl(sv[1], F_SETOWN, getpid())));
    snd("owner: send OOB", sv[0], "bc", MSG_OOB);
    printf("SIGURG %d SIGIO %d\n", n_urg, n_io);
    snd("owner: send plain", sv[0], "d", 0);
    printf("SIGURG %d SIGIO %d\n", n_urg, n_io);
    printf("O_ASYNC: %s\n", res(fcntl(sv[1], F_SETFL, O_ASYNC | O_RDWR)));
    snd("O_ASYNC: send OOB", sv[0], "e", MSG_OOB);
    printf("SIGURG %d SIGIO %d\n", n_urg, n_io);
    printf("F_SETSIG: %s\n", res(fcntl(sv[1], F_SETSIG, SIGRTMIN + 1)));
    snd("F_SETSIG: send OOB", sv[0], "fg", MSG_OOB);
    printf("SIGURG %d SIGIO %d RT %d:", n_urg, n_io, n_rt);
    for (int i = 0; i < n_rt && i < 8; i++)
        printf(" %d", rt_codes[i]);
    printf("\n");
    printf("F_SETOWN 0: %s\n", res(fcntl(sv[1], F_SETOWN, 0)));
    snd("no owner again: send OOB", sv[0], "h", MSG_OOB);
    printf("SIGURG %d SIGIO %d RT %d\n", n_urg, n_io, n_rt);
    /* a process group owner (the round's own group: main made it a leader), O_ASYNC off */
    fcntl(sv[1], F_SETFL, O_RDWR);
    printf("F_SETOWN -pgrp: %s\n", res(fcntl(sv[1], F_SETOWN, -getpgrp())));
    snd("group owner: send OOB", sv[0], "i", MSG_OOB);
    printf("SIGURG %d\n", n_urg);
    /* a thread owner (F_SETOWN_EX F_OWNER_TID) */
    struct f_owner_ex ox = { F_OWNER_TID, (pid_t)syscall(SYS_gettid) };
    printf("F_SETOWN_EX tid: %s\n", res(fcntl(sv[1], F_SETOWN_EX, &ox)));
    snd("thread owner: send OOB", sv[0], "j", MSG_OOB);
    printf("SIGURG %d\n", n_urg);
    closeb(sv);
    signal(SIGURG, SIG_DFL);
    signal(SIGIO, SIG_DFL);
    signal(SIGRTMIN + 1, SIG_DFL);
}

static void peek_off(void)
{
    static const int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
    for (int i = 0; i < 3; i++) {
        int sv[2], v = 0;
        pair(types[i], sv);
        printf("type %d\n", types[i]);
        printf("SO_PEEK_OFF get: %s\n", opt(sv[1], SO_PEEK_OFF));
        snd("send hello", sv[0], "hello", 0);
        snd("send world", sv[0], "world", 0);
        rcv("peek 3 (off -1)", sv[1], 3, MSG_PEEK);
        printf("SO_PEEK_OFF set 0: %s\n", res(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v)));
        rcv("peek 3", sv[1], 3, MSG_PEEK);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        rcv("peek 3", sv[1], 3, MSG_PEEK);
        rcv("peek 3 TRUNC", sv[1], 3, MSG_PEEK | MSG_TRUNC);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        rcv("peek 100", sv[1], 100, MSG_PEEK);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        rcv("read 4", sv[1], 4, 0);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        rcv("peek 100", sv[1], 100, MSG_PEEK);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        v = 2;
        setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v);
        rcv("peek 100 at 2", sv[1], 100, MSG_PEEK);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        rcv("read 100", sv[1], 100, 0);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        rcv("read 100", sv[1], 100, 0);
        printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
        /* huge, negative and short values */
        static const int vals[] = { INT_MAX, -5, INT_MIN, -1 };
        for (int k = 0; k < 4; k++) {
            v = vals[k];
            printf("SO_PEEK_OFF set %d: %s", v, res(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v)));
            printf(" get %s\n", opt(sv[1], SO_PEEK_OFF));
            snd("send ab", sv[0], "ab", 0);
            rcv("peek", sv[1], 100, MSG_PEEK);
            rcv("read", sv[1], 100, 0);
            printf("  after: %s\n", opt(sv[1], SO_PEEK_OFF));
        }
        printf("SO_PEEK_OFF short: %s\n", res(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, 2)));
        printf("SO_PEEK_OFF bad ptr: %s\n", res(setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, kaddr, 4)));
        int got = 0x55555555;
        socklen_t l = 2;
        long r = getsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &got, &l);
        printf("SO_PEEK_OFF get 2: %s %#x len %u\n", res(r), got, l);
        closeb(sv);
    }
    int s = socket(AF_UNIX, SOCK_STREAM, 0), v = 3;
    printf("unconnected SO_PEEK_OFF: %s", res(setsockopt(s, SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v)));
    printf(" %s\n", opt(s, SO_PEEK_OFF));
    close(s);
    /* a peek offset and an OOB byte */
    int sv[2];
    pair(SOCK_STREAM, sv);
    v = 1;
    setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v);
    snd("send abc OOB", sv[0], "abc", MSG_OOB);
    snd("send d", sv[0], "d", 0);
    rcv("peek at 1", sv[1], 100, MSG_PEEK);
    printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);
    printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
    rcv("read", sv[1], 100, 0);
    printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
    closeb(sv);
}

/* sendmsg of `s` with one file in SCM_RIGHTS. */
static long send_fd(int sock, const char *s, int fd, int flags)
{
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } c;
    memset(&c, 0, sizeof c);
    struct iovec iov = { (void *)s, strlen(s) };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = c.b, .msg_controllen = sizeof c.b };
    c.h.cmsg_len = CMSG_LEN(sizeof(int));
    c.h.cmsg_level = SOL_SOCKET;
    c.h.cmsg_type = SCM_RIGHTS;
    memcpy(CMSG_DATA(&c.h), &fd, sizeof fd);
    return sendmsg_(sock, &m, flags | MSG_NOSIGNAL);
}

/* recvmsg: the bytes and how many files came (closed at once). */
static void rcv_fds(const char *what, int sock, int flags)
{
    char buf[16] = { 0 }, ctl[64];
    struct iovec iov = { buf, sizeof buf };
    struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
    long n = recvmsg_(sock, &m, flags | MSG_DONTWAIT);
    int nfd = 0;
    if (n >= 0)
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
            if (h->cmsg_type == SCM_RIGHTS) {
                int k = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
                for (int i = 0; i < k; i++) {
                    int fd;
                    memcpy(&fd, CMSG_DATA(h) + i * sizeof(int), sizeof fd);
                    close(fd);
                }
                nfd += k;
            }
    if (n < 0)
        printf("%s: %s\n", what, en(errno));
    else
        printf("%s: %ld '%.*s' files %d flags=%#x\n", what, n, (int)n, buf, nfd, m.msg_flags);
}

/* Is every write end of the pipe closed (a read sees end of file)? */
static void pipe_eof(const char *what, int rd)
{
    char c;
    long n = read(rd, &c, 1);
    printf("%s: pipe read %s\n", what, res(n));
}

static void *send_later(void *arg)
{
    send(*(int *)arg, "world", 5, 0);
    return NULL;
}

static volatile int n_pipe;
static void on_pipe(int sig) { (void)sig; n_pipe++; }

static void hostile(void)
{
    int sv[2], p[2];
    pair(SOCK_STREAM, sv);
    printf("SIOCATMARK kaddr: %s\n", res(ioctl(sv[1], SIOCATMARK, kaddr)));
    printf("SIOCATMARK page0: %s\n", res(ioctl(sv[1], SIOCATMARK, page0)));
    printf("SIOCATMARK NULL: %s\n", res(ioctl(sv[1], SIOCATMARK, NULL)));
    printf("send OOB from kaddr: %s\n", res(send(sv[0], kaddr, 3, MSG_OOB | MSG_DONTWAIT)));
    atmark("after", sv[1]);
    snd("send OOB", sv[0], "ab", MSG_OOB);
    printf("recv OOB to kaddr: %s\n", res(recv(sv[1], kaddr, 1, MSG_OOB)));
    atmark("after", sv[1]);
    rcv("read OOB", sv[1], 100, MSG_OOB);
    rcv("read", sv[1], 100, 0);

    /* the OOB byte carries the files: one byte alone, and the last of two */
    pipe(p);
    printf("send 1 OOB + fd: %s\n", res(send_fd(sv[0], "x", p[1], MSG_OOB)));
    close(p[1]);
    pollpri("fd OOB", sv[1]);
    rcv_fds("recvmsg OOB", sv[1], MSG_OOB);
    rcv_fds("recvmsg", sv[1], 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pipe_eof("after", p[0]);
    close(p[0]);
    pipe(p);
    printf("send 1 OOB + fd: %s\n", res(send_fd(sv[0], "y", p[1], MSG_OOB)));
    close(p[1]);
    rcv_fds("recvmsg (skips the OOB byte)", sv[1], 0);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pipe_eof("after", p[0]);
    close(p[0]);
    pipe(p);
    printf("send 2 OOB + fd: %s\n", res(send_fd(sv[0], "zw", p[1], MSG_OOB)));
    close(p[1]);
    rcv_fds("recvmsg", sv[1], 0);
    rcv_fds("recvmsg OOB", sv[1], MSG_OOB);
    fcntl(p[0], F_SETFL, O_NONBLOCK);
    pipe_eof("after", p[0]);
    close(p[0]);
    /* a byte with files left unread when the receiver closes */
    pipe(p);
    printf("send 1 OOB + fd: %s\n", res(send_fd(sv[0], "v", p[1], MSG_OOB)));
    close(p[1]);
    closeb(sv);
    pipe_eof("receiver closed", p[0]);
    close(p[0]);

    /* OOB to a closed peer, and to one that shut for reading */
    pair(SOCK_STREAM, sv);
    snd("send OOB", sv[0], "ab", MSG_OOB);
    close(sv[0]);
    rcv("peer closed: read OOB", sv[1], 100, MSG_OOB);
    rcv("peer closed: read", sv[1], 100, 0);
    rcv("peer closed: read", sv[1], 100, 0);
    snd("peer closed: send OOB", sv[1], "x", MSG_OOB);
    close(sv[1]);
    pair(SOCK_STREAM, sv);
    shutdown(sv[1], SHUT_RD);
    snd("peer SHUT_RD: send OOB", sv[0], "x", MSG_OOB);
    shutdown(sv[0], SHUT_WR);
    snd("SHUT_WR: send OOB", sv[0], "x", MSG_OOB);
    closeb(sv);

    /* a receiver shut for reading still gets its byte; a full send buffer */
    pair(SOCK_STREAM, sv);
    snd("send OOB", sv[0], "ab", MSG_OOB);
    shutdown(sv[1], SHUT_RD);
    rcv("SHUT_RD: read OOB", sv[1], 100, MSG_OOB);
    rcv("SHUT_RD: read", sv[1], 100, 0);
    closeb(sv);
    pair(SOCK_STREAM, sv);
    static char big[4096];
    long filled = 0, n;
    while ((n = send(sv[0], big, sizeof big, MSG_DONTWAIT)) > 0)
        filled += n;
    printf("filled: %s\n", filled > 0 ? "yes" : "no");
    snd("full: send OOB", sv[0], "ab", MSG_OOB);
    snd("full: send 1 OOB", sv[0], "a", MSG_OOB);
    pollpri("full", sv[1]);
    closeb(sv);

    /* cycles through an OOB byte: a socket's own file in its OOB byte, and in an emptied one */
    pair(SOCK_STREAM, sv);
    printf("own file in OOB: %s\n", res(send_fd(sv[0], "x", sv[1], MSG_OOB)));
    closeb(sv);
    pair(SOCK_STREAM, sv);
    printf("own file in OOB: %s\n", res(send_fd(sv[0], "y", sv[1], MSG_OOB)));
    rcv("read OOB", sv[1], 100, MSG_OOB);
    closeb(sv);
    pair(SOCK_STREAM, sv);
    printf("peer's file in OOB: %s\n", res(send_fd(sv[1], "z", sv[0], MSG_OOB)));
    printf("own file in OOB: %s\n", res(send_fd(sv[0], "w", sv[1], MSG_OOB)));
    closeb(sv);

    /* SIGPIPE: the one byte is sent by the OOB path alone */
    signal(SIGPIPE, on_pipe);
    pair(SOCK_STREAM, sv);
    close(sv[1]);
    printf("closed peer, SIGPIPE on: send 1 OOB: %s", res(send(sv[0], "x", 1, MSG_OOB)));
    printf(" SIGPIPE %d\n", n_pipe);
    printf("closed peer, SIGPIPE on: send 2 OOB: %s", res(send(sv[0], "xy", 2, MSG_OOB)));
    printf(" SIGPIPE %d\n", n_pipe);
    close(sv[0]);
    pair(SOCK_STREAM, sv);
    shutdown(sv[1], SHUT_RD);
    printf("peer SHUT_RD, SIGPIPE on: send 1 OOB: %s", res(send(sv[0], "x", 1, MSG_OOB)));
    printf(" SIGPIPE %d\n", n_pipe);
    closeb(sv);
    signal(SIGPIPE, SIG_DFL);

    int v;
    /* a blocking peek past every datagram waits for the next (sent by a thread, before or
       after the peek starts waiting: the same answer) */
    pair(SOCK_DGRAM, sv);
    send(sv[0], "hello", 5, 0);
    v = 5;
    setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v);
    pthread_t t;
    pthread_create(&t, NULL, send_later, &sv[0]);
    char pb[16] = { 0 };
    long pn = recv(sv[1], pb, sizeof pb, MSG_PEEK);
    pthread_join(t, NULL);
    printf("blocking dgram peek at 5: %s '%s' %s\n", res(pn), pb, opt(sv[1], SO_PEEK_OFF));
    closeb(sv);

    /* a zero-length datagram at the peek offset */
    pair(SOCK_DGRAM, sv);
    v = 0;
    setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &v, sizeof v);
    send(sv[0], "", 0, 0);
    send(sv[0], "xy", 2, 0);
    rcv("dgram peek at 0", sv[1], 100, MSG_PEEK);
    printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
    rcv("dgram peek at 0 again", sv[1], 100, MSG_PEEK);
    printf("SO_PEEK_OFF: %s\n", opt(sv[1], SO_PEEK_OFF));
    rcv("dgram peek", sv[1], 100, MSG_PEEK);
    rcv("dgram read", sv[1], 100, 0);
    rcv("dgram read", sv[1], 100, 0);
    closeb(sv);
}

struct reader { int fd; char buf[16]; long n; };

static void *reader(void *arg)
{
    struct reader *r = arg;
    r->n = recv(r->fd, r->buf, sizeof r->buf, 0);
    return NULL;
}

/* A reader thread waits in recv while an OOB send arrives: it gets the bytes before the mark,
   never the OOB byte, whichever part of the send it wakes for. */
static void race(void)
{
    int ok = 0, bad = 0;
    for (int i = 0; i < 40; i++) {
        int sv[2];
        pair(SOCK_STREAM, sv);
        struct reader r = { .fd = sv[1] };
        pthread_t t;
        pthread_create(&t, NULL, reader, &r);
        if (i & 1)
            sched_yield();
        send(sv[0], "ab", 2, MSG_OOB);
        pthread_join(t, NULL);
        char c = 0;
        long n = recv(sv[1], &c, 1, MSG_OOB | MSG_DONTWAIT);
        if (r.n == 1 && r.buf[0] == 'a' && n == 1 && c == 'b')
            ok++;
        else
            bad++;
        closeb(sv);
    }
    printf("race: %d as expected, %d not\n", ok, bad);
}

static void round_(void)
{
    basics();
    inline_();
    other_types();
    signals();
    peek_off();
    hostile();
    race();
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    setvbuf(stdout, NULL, _IONBF, 0);
    for (int r = 1; r <= rounds; r++) {
        pid_t c = fork();
        if (c == 0) {
            setpgid(0, 0);                   /* SIGURG to a group owner reaches this round only */
            round_();
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        printf("unixoob: round %d: status %d\n", r, st);
    }
    return 0;
}
