/*
 * A hostile program from the review of the file, pipe and socket surfaces
 * (tests/test_review_files.py). Each attack prints only what Linux defines, so the host's
 * output is the reference; every name is relative to the current directory (the host runs
 * it in a directory of its own) or an abstract socket name with the pid in it.
 *
 *   paths: rename of a directory into its own subtree, of "." and "..", over a non-empty
 *   directory, a file and a directory over each other; a hard link to a directory; a
 *   symlink loop; paths of 4095 and 4096 bytes, names of 255 and 256; a name that ends at
 *   the end of a mapped page, and one that runs into an unmapped page; a working directory
 *   and an open directory removed under them (mkdir, creat, getdents, getcwd in them).
 *
 *   fds: dup2/dup3 onto itself, flags dup3 refuses, F_DUPFD and dup2 at and past
 *   RLIMIT_NOFILE, a table filled up (dup, pipe, socketpair: EMFILE), F_GETPIPE_SZ and
 *   F_SETPIPE_SZ on a file and on a pipe holding bytes.
 *
 *   pipes: a write without a reader (SIGPIPE caught, EPIPE), poll of the ends after the
 *   other side closes, of a closed fd (POLLNVAL) and of fd -1; select naming a closed fd;
 *   non-blocking writes into a full pipe; FIFO opens without a partner.
 *
 *   unix: SCM_RIGHTS into a control buffer too small (MSG_CTRUNC, the fds that fit), with
 *   MSG_PEEK then read again, a closed fd among them, a socket sent inside itself and a
 *   pair sent inside each other (the collector's cycles), SO_PEERCRED, connect to a listener
 *   closed meanwhile, shutdown and then send/recv; an embryo carrying its own listener.
 *   unixnames (in a directory of its own): addresses of every length, autobind, a path
 *   filling sun_path, states AF_UNIX refuses, seqpacket truncation.
 *   inflight: files in flight past RLIMIT_NOFILE (ETOOMANYREFS without CAP_SYS_RESOURCE).
 *
 *   locks: POSIX owners waiting for each other (EDEADLK), OFD and flock locks, a lease broken
 *   while its holder closes it. rounds N: unix and pipes in a child, N times (page leaks).
 *
 *   closerace: a sibling thread asleep in select, poll, read and accept on a descriptor the
 *   main thread closes (each wait confirmed by the thread's state in /proc/TID/stat, 'S');
 *   what each call answers once woken. closerace pollhold: a write into the pipe whose read
 *   end a sleeping poll waits on and the main thread closed (Linux's poll holds the file).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <dirent.h>
#include <stddef.h>
#include <limits.h>

#define PG 4096L

static const char *err(long r)
{
    return r < 0 ? strerror(errno) : "ok";
}

static void say(const char *what, long r)
{
    printf("%s: %s\n", what, err(r));
}

/* ---- paths ------------------------------------------------------------------------------- */

static int paths(void)
{
    mkdir("pd", 0755);
    mkdir("pd/sub", 0755);
    mkdir("pd/sub/deep", 0755);
    say("rename a dir into its subtree", rename("pd", "pd/sub/x"));
    say("rename a dir onto its own child", rename("pd", "pd/sub"));
    say("rename a dir onto itself", rename("pd/sub", "pd/sub"));
    say("rename of .", rename("pd/.", "pe"));
    say("rename of ..", rename("pd/sub/..", "pe"));
    say("rename onto .", rename("pd/sub", "pd/."));
    mkdir("pe", 0755);
    mkdir("pe/full", 0755);
    close(open("pf", O_CREAT | O_WRONLY, 0644));
    say("rename a dir over a non-empty dir", rename("pd", "pe"));
    say("rename a dir over a file", rename("pd", "pf"));
    say("rename a file over a dir", rename("pf", "pd"));
    say("rename a file to name/", rename("pf", "pg/"));
    say("open file/", open("pf/", O_RDONLY));
    say("rename file/ to a new name", rename("pf/", "pg"));
    say("rename a file onto itself/", rename("pf", "pf/"));
    say("rename a dir to name/", rename("pe/full", "pe/moved/"));
    say("rename it back from name/", rename("pe/moved/", "pe/full"));
    say("unlink file/", unlink("pf/"));
    say("link to name/", link("pf", "pg/"));
    say("symlink at name/", symlink("pf", "pg/"));
    say("mkfifo name/", mkfifo("pg/", 0644));
    say("open name/ O_CREAT", open("pg/", O_CREAT | O_WRONLY, 0644));
    say("mkdir name/", mkdir("pg/", 0755));
    say("rmdir name/", rmdir("pg/"));
    say("link to a dir", link("pd", "pl"));
    say("rmdir .", rmdir("pd/."));
    say("rmdir ..", rmdir("pd/sub/.."));
    say("unlink a dir", unlink("pd"));
    say("rmdir a file", rmdir("pf"));

    symlink("loop1", "loop2");
    symlink("loop2", "loop1");
    say("open a symlink loop", open("loop1", O_RDONLY));
    say("mkdir under a symlink loop", mkdir("loop1/x", 0755));
    say("open a loop O_NOFOLLOW", open("loop1", O_RDONLY | O_NOFOLLOW));
    say("link to a symlink", link("loop1", "loop3"));
    struct stat st;
    say("lstat the link's link", lstat("loop3", &st));
    symlink("pf/", "slashlink");
    say("open a link to file/", open("slashlink", O_RDONLY));

    /* lengths: PATH_MAX counts the NUL; NAME_MAX 255 */
    char *p = malloc(8192);
    memset(p, 'a', 8192);
    p[4095] = 0;
    for (int i = 200; i < 4095; i += 201)
        p[i] = '/';
    say("path of 4095 bytes", open(p, O_RDONLY));
    p[4095] = 'a';
    p[4096] = 0;
    say("path of 4096 bytes", open(p, O_RDONLY));
    memset(p, 'b', 300);
    p[255] = 0;
    say("name of 255", open(p, O_RDONLY));
    p[255] = 'b';
    p[256] = 0;
    say("name of 256", open(p, O_RDONLY));
    say("mkdir name of 256", mkdir(p, 0755));

    /* a name at a page's end */
    char *m = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(m + PG, PG);
    memcpy(m + PG - 3, "pf", 3);
    say("stat a name ending at a page's end", stat(m + PG - 3, &st));
    memcpy(m + PG - 2, "pf", 2);
    say("stat a name running into an unmapped page", stat(m + PG - 2, &st));
    say("mkdir a name running into an unmapped page", mkdir(m + PG - 2, 0755));
    say("rename from a name running into an unmapped page", rename(m + PG - 2, "pz"));
    say("symlink to a target running into an unmapped page", symlink(m + PG - 2, "pz"));
    memset(m, 'c', PG);
    say("stat a page of name without NUL", stat(m, &st));

    /* a working directory removed under it */
    int home = open(".", O_RDONLY | O_DIRECTORY);
    mkdir("gone", 0755);
    chdir("gone");
    say("rmdir the cwd by its path", rmdir("../gone"));
    char buf[PATH_MAX];
    say("getcwd in it", getcwd(buf, sizeof buf) ? 0 : -1);
    say("mkdir in it", mkdir("x", 0755));
    say("creat in it", open("x", O_CREAT | O_WRONLY, 0644));
    say("mkfifo in it", mkfifo("x", 0644));
    say("symlink in it", symlink("a", "x"));
    int dot = open(".", O_RDONLY | O_DIRECTORY);
    say("open . in it", dot);
    say("fstat .", fstat(dot, &st));
    printf("removed cwd: nlink %ld\n", (long)st.st_nlink);
    char dents[1024];
    long n = syscall(SYS_getdents64, dot, dents, sizeof dents);
    printf("removed cwd: getdents64 %ld\n", n);
    say("open .. from it", open("..", O_RDONLY | O_DIRECTORY));
    say("rmdir . in it", rmdir("."));
    fchdir(home);
    close(dot);

    /* a working directory replaced by a rename over it */
    mkdir("ra", 0755);
    mkdir("rb", 0755);
    chdir("rb");
    say("rename a directory over the cwd", rename("../ra", "../rb"));
    say("getcwd in the replaced one", getcwd(buf, sizeof buf) ? 0 : -1);
    say("mkdir in it", mkdir("x", 0755));
    say("fstat . in it", stat(".", &st));
    printf("replaced cwd: nlink %ld\n", (long)st.st_nlink);
    fchdir(home);
    say("rmdir the new one", rmdir("rb"));

    /* an open directory removed under it */
    mkdir("gone2", 0755);
    int gd = open("gone2", O_RDONLY | O_DIRECTORY);
    say("rmdir an open directory", rmdir("gone2"));
    say("mkdirat in it", mkdirat(gd, "y", 0755));
    say("openat O_CREAT in it", openat(gd, "y", O_CREAT | O_WRONLY, 0644));
    say("fchdir into it", fchdir(gd));
    say("chdir .. back", chdir(".."));
    fchdir(home);
    say("mkdir its name again", mkdir("gone2", 0755));
    say("fstat the old one", fstat(gd, &st));
    printf("old open directory: nlink %ld\n", (long)st.st_nlink);

    /* an open file unlinked: still read and written */
    int fd = open("ul", O_CREAT | O_RDWR, 0644);
    write(fd, "hello", 5);
    say("unlink an open file", unlink("ul"));
    char rb[8] = { 0 };
    n = pread(fd, rb, 5, 0);
    printf("unlinked open file: read %ld '%s'\n", n, rb);
    fstat(fd, &st);
    printf("unlinked open file: nlink %ld\n", (long)st.st_nlink);
    say("linkat of the unlinked file (AT_EMPTY_PATH)", linkat(fd, "", AT_FDCWD, "ul2", AT_EMPTY_PATH));

    /* SEEK_DATA and SEEK_HOLE of a file without holes (Linux's generic answer: all data) */
    int sf = open("sk", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(sf, "0123456789", 10);
    printf("SEEK_DATA 0: %ld\n", (long)lseek(sf, 0, SEEK_DATA));
    printf("SEEK_HOLE 0: %ld\n", (long)lseek(sf, 0, SEEK_HOLE));
    printf("SEEK_HOLE 4: %ld\n", (long)lseek(sf, 4, SEEK_HOLE));
    printf("the offset after: %ld\n", (long)lseek(sf, 0, SEEK_CUR));
    say("SEEK_DATA at the end", lseek(sf, 10, SEEK_DATA));
    say("SEEK_HOLE past the end", lseek(sf, 11, SEEK_HOLE));
    say("SEEK_DATA -1", lseek(sf, -1, SEEK_DATA));
    say("whence 5", lseek(sf, 0, 5));
    /* a file with holes: pages never written (tmpfs's holes are pages; ext4's blocks) */
    ftruncate(sf, 4 * PG);
    pwrite(sf, "d", 1, 2 * PG + 5);
    printf("sparse: SEEK_DATA 0: %ld\n", (long)lseek(sf, 0, SEEK_DATA));
    printf("sparse: SEEK_DATA %ld: %ld\n", 2 * PG + 100, (long)lseek(sf, 2 * PG + 100, SEEK_DATA));
    printf("sparse: SEEK_HOLE %ld: %ld\n", PG + 3, (long)lseek(sf, PG + 3, SEEK_HOLE));
    printf("sparse: SEEK_HOLE %ld: %ld\n", 2 * PG, (long)lseek(sf, 2 * PG, SEEK_HOLE));
    say("sparse: SEEK_DATA in the last hole", lseek(sf, 3 * PG, SEEK_DATA));
    close(sf);
    unlink("sk");
    return 0;
}

/* ---- fds --------------------------------------------------------------------------------- */

static int fds(void)
{
    int fd = open(".", O_RDONLY | O_DIRECTORY);
    printf("dup2 onto itself: %d\n", dup2(fd, fd) == fd);
    say("dup2 of a closed fd onto itself", dup2(99, 99));
    say("dup3 onto itself", dup3(fd, fd, 0));
    say("dup3 O_NONBLOCK", dup3(fd, fd + 1, O_NONBLOCK));
    say("dup3 of a closed fd", dup3(99, 98, 0));
    say("dup2 onto -1", dup2(fd, -1));
    say("close -1", close(-1));
    say("F_DUPFD -1", fcntl(fd, F_DUPFD, -1));
    struct rlimit rl = { 64, 64 };
    setrlimit(RLIMIT_NOFILE, &rl);
    printf("F_DUPFD 63: %d\n", fcntl(fd, F_DUPFD, 63));
    say("F_DUPFD 63 again", fcntl(fd, F_DUPFD, 63));
    say("F_DUPFD 64", fcntl(fd, F_DUPFD, 64));
    say("F_DUPFD_CLOEXEC 64", fcntl(fd, F_DUPFD_CLOEXEC, 64));
    say("dup2 onto 64", dup2(fd, 64));
    say("dup3 onto 64", dup3(fd, 64, 0));
    printf("dup2 onto 63: %d\n", dup2(fd, 63));
    int last = -1, k;
    while ((k = dup(fd)) >= 0)
        last = k;
    printf("table filled: last %d, then %s\n", last, strerror(errno));
    int pp[2];
    say("pipe with a full table", pipe(pp));
    say("socketpair with a full table", socketpair(AF_UNIX, SOCK_STREAM, 0, pp));
    say("open with a full table", open(".", O_RDONLY));
    close(last);
    say("pipe with one fd free", pipe(pp));
    close(last - 1);
    printf("pipe with two free: %d\n", pipe(pp) == 0 ? pp[1] - pp[0] : -1);
    /* lower the limit under open fds: they stay usable, new ones stop at the limit */
    struct rlimit low = { 10, 64 };
    setrlimit(RLIMIT_NOFILE, &low);
    printf("fcntl on fd 63 over the limit: %d\n", fcntl(63, F_GETFD));
    say("dup2 onto 63 over the limit", dup2(fd, 63));
    say("close 63 over the limit", close(63));
    for (int i = 3; i < 64; i++)
        if (i != fd)
            close(i);
    setrlimit(RLIMIT_NOFILE, &rl);

    char dents[8];
    say("getdents64 into 8 bytes", syscall(SYS_getdents64, fd, dents, sizeof dents));
    say("getdents64 into page 0", syscall(SYS_getdents64, fd, 0, 4096));
    int before = 0;
    for (int i = 0; i < 64; i++)
        before += fcntl(i, F_GETFD) >= 0;
    say("pipe into page 0", pipe((int *)0));
    say("pipe2 with O_APPEND", pipe2(pp, O_APPEND));
    int after = 0;
    for (int i = 0; i < 64; i++)
        after += fcntl(i, F_GETFD) >= 0;
    printf("fds left by the failed pipes: %d\n", after - before);
    /* F_SETFL ignores the bits it does not keep (Linux setfl) */
    pipe(pp);
    static const int setfl[] = { 0x40000000, O_SYNC, O_DSYNC, 04, O_PATH, O_TMPFILE, O_NOFOLLOW | O_DIRECTORY,
                                 O_CREAT | O_TRUNC | O_EXCL | O_WRONLY };
    for (unsigned i = 0; i < sizeof setfl / sizeof setfl[0]; i++) {
        int r = fcntl(pp[0], F_SETFL, setfl[i] | O_NONBLOCK);
        printf("F_SETFL %#x: %s, F_GETFL %#x\n", setfl[i], err(r), fcntl(pp[0], F_GETFL));
        fcntl(pp[0], F_SETFL, 0);
    }
    close(pp[0]);
    close(pp[1]);
    say("F_GETPIPE_SZ of a directory", fcntl(fd, F_GETPIPE_SZ));
    say("F_SETPIPE_SZ of a directory", fcntl(fd, F_SETPIPE_SZ, 4096));
    pipe(pp);
    printf("F_GETPIPE_SZ: %d\n", fcntl(pp[0], F_GETPIPE_SZ));
    printf("F_SETPIPE_SZ 0: %d\n", fcntl(pp[1], F_SETPIPE_SZ, 0));
    printf("F_SETPIPE_SZ 4097: %d\n", fcntl(pp[1], F_SETPIPE_SZ, 4097));
    say("F_SETPIPE_SZ -1", fcntl(pp[1], F_SETPIPE_SZ, -1));
    say("F_SETPIPE_SZ 2^31 + 1", fcntl(pp[1], F_SETPIPE_SZ, (1U << 31) + 1));
    char big[3 * 4096];
    memset(big, 'x', sizeof big);
    write(pp[1], big, sizeof big - 4096);         /* two slots */
    say("F_SETPIPE_SZ 4096 holding two pages", fcntl(pp[1], F_SETPIPE_SZ, 4096));
    printf("F_SETPIPE_SZ 8192 holding two pages: %d\n", fcntl(pp[1], F_SETPIPE_SZ, 8192));
    fcntl(pp[1], F_SETFL, O_NONBLOCK);
    say("a byte into the full pipe", write(pp[1], "y", 1));
    char rb[4096];
    read(pp[0], rb, 100);
    say("a byte after 100 read (no slot free)", write(pp[1], "y", 1));
    read(pp[0], rb, sizeof rb);
    printf("a page after a page read: %ld\n", (long)write(pp[1], big, 4096));
    return 0;
}

/* ---- pipes ------------------------------------------------------------------------------- */

static volatile sig_atomic_t sigpipes;
static void on_sigpipe(int s) { (void)s; sigpipes++; }

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

static void show_poll(const char *what, int fd, short events)
{
    struct pollfd p = { fd, events, 0 };
    int r = poll(&p, 1, 0);
    printf("poll %s: %d revents %#x\n", what, r, p.revents);
}

static int pipes(void)
{
    int pp[2];
    signal(SIGPIPE, on_sigpipe);
    pipe(pp);
    close(pp[0]);
    say("write without a reader", write(pp[1], "x", 1));
    printf("SIGPIPEs: %d\n", (int)sigpipes);
    show_poll("a write end without a reader", pp[1], POLLOUT);
    close(pp[1]);
    pipe(pp);
    write(pp[1], "ab", 2);
    close(pp[1]);
    show_poll("a read end with bytes, no writer", pp[0], POLLIN);
    char b[4];
    read(pp[0], b, 2);
    show_poll("a read end empty, no writer", pp[0], POLLIN);
    printf("read at end of file: %ld\n", (long)read(pp[0], b, 1));
    close(pp[0]);
    show_poll("a closed fd", pp[0], POLLIN);
    show_poll("fd -1", -1, POLLIN);
    fd_set rs;
    FD_ZERO(&rs);
    FD_SET(pp[0], &rs);
    struct timeval tv = { 0, 0 };
    say("select naming a closed fd", select(pp[0] + 1, &rs, NULL, NULL, &tv));
    say("poll of 2^20 fds", poll(NULL, 1 << 20, 0));

    /* non-blocking writes into a full pipe; PIPE_BUF is never split */
    pipe2(pp, O_NONBLOCK);
    char big[70000];
    memset(big, 'z', sizeof big);
    printf("a non-blocking write of 70000: %ld\n", (long)write(pp[1], big, sizeof big));
    say("then PIPE_BUF more", write(pp[1], big, 4096));
    read(pp[0], big, 4000);
    say("PIPE_BUF after 4000 read", write(pp[1], big, 4096));
    read(pp[0], big, 96);
    printf("PIPE_BUF after the slot is read: %ld\n", (long)write(pp[1], big, 4096));
    printf("4097 more: %ld\n", (long)write(pp[1], big, 4097));
    close(pp[0]);
    close(pp[1]);

    /* readv of a pipe is one read of the whole vector (Linux pipe_read): once it has bytes
       it returns when the pipe is empty, never waiting for more to fill a later iovec; an
       alarm bounds the wait of a readv that would */
    struct sigaction al = { .sa_handler = on_alarm };
    sigaction(SIGALRM, &al, NULL);
    pipe(pp);
    write(pp[1], "a", 1);
    char v1, v2;
    struct iovec iv[2] = { { &v1, 1 }, { &v2, 1 } };
    alarm(2);
    long got = readv(pp[0], iv, 2);
    alarm(0);
    printf("readv of 1 + 1 bytes from a pipe holding 1: %ld, alarms %d\n", got, (int)alarms);
    close(pp[0]);
    close(pp[1]);

    /* FIFOs */
    unlink("ff");
    say("mkfifo", mkfifo("ff", 0644));
    say("open a FIFO O_WRONLY|O_NONBLOCK without a reader", open("ff", O_WRONLY | O_NONBLOCK));
    int r = open("ff", O_RDONLY | O_NONBLOCK);
    say("open a FIFO O_RDONLY|O_NONBLOCK", r);
    printf("read of a FIFO without a writer: %ld\n", (long)read(r, b, 1));
    int w = open("ff", O_WRONLY | O_NONBLOCK);
    say("then O_WRONLY|O_NONBLOCK", w);
    say("read of the empty FIFO with a writer", read(r, b, 1));
    close(r);
    say("write into the FIFO with its reader gone", write(w, "q", 1));
    printf("SIGPIPEs: %d\n", (int)sigpipes);
    close(w);
    int rw = open("ff", O_RDWR);
    say("open a FIFO O_RDWR", rw);
    long wn = write(rw, "q", 1);
    printf("write and read through it: %ld %ld\n", wn, (long)read(rw, b, 1));
    printf("F_GETPIPE_SZ of a FIFO: %d\n", fcntl(rw, F_GETPIPE_SZ));
    say("lseek of a FIFO", lseek(rw, 0, SEEK_SET));
    say("pread of a FIFO", pread(rw, b, 1, 0));
    close(rw);
    unlink("ff");
    return 0;
}

/* ---- unix -------------------------------------------------------------------------------- */

static int send_fds(int s, const int *fds, int n, int flags)
{
    char ctl[CMSG_SPACE(300 * sizeof(int))];
    memset(ctl, 0, sizeof ctl);
    struct iovec io = { "m", 1 };
    struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl,
                         .msg_controllen = CMSG_SPACE(n * sizeof(int)) };
    struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(n * sizeof(int));
    memcpy(CMSG_DATA(c), fds, n * sizeof(int));
    return (int)sendmsg(s, &mh, flags);
}

/* receive with a control buffer of ctllen bytes: prints what arrived */
static void recv_fds(const char *what, int s, size_t ctllen, int flags)
{
    char ctl[4096], d[4];
    memset(ctl, 0, sizeof ctl);
    struct iovec io = { d, sizeof d };
    struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctllen ? ctl : NULL,
                         .msg_controllen = ctllen };
    long n = recvmsg(s, &mh, flags);
    if (n < 0) {
        printf("%s: %s\n", what, strerror(errno));
        return;
    }
    int got = 0;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
            int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
            for (int i = 0; i < k; i++) {
                int fd;
                memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
                got += fcntl(fd, F_GETFD) >= 0;
                close(fd);
            }
        }
    printf("%s: %ld bytes, %d fds, ctrunc %d, controllen %zu\n", what, n, got,
           !!(mh.msg_flags & MSG_CTRUNC), (size_t)mh.msg_controllen);
}

static int count_open(void)
{
    int n = 0;
    for (int i = 0; i < 1024; i++)
        n += fcntl(i, F_GETFD) >= 0;
    return n;
}

static int unix_attacks(void)
{
    int sv[2], pp[2];
    pipe(pp);
    int before = count_open();
    socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
    int three[3] = { pp[0], pp[1], pp[0] };
    send_fds(sv[0], three, 3, 0);
    recv_fds("3 fds, no control buffer", sv[1], 0, 0);
    send_fds(sv[0], three, 3, 0);
    recv_fds("3 fds, a buffer for the header", sv[1], CMSG_LEN(0), 0);
    send_fds(sv[0], three, 3, 0);
    recv_fds("3 fds, a buffer for 1", sv[1], CMSG_LEN(sizeof(int)), 0);
    send_fds(sv[0], three, 3, 0);
    recv_fds("3 fds, a buffer for 2 and a half", sv[1], CMSG_LEN(2 * sizeof(int) + 2), 0);
    send_fds(sv[0], three, 3, 0);
    recv_fds("3 fds, peeked", sv[1], CMSG_SPACE(3 * sizeof(int)), MSG_PEEK);
    recv_fds("3 fds, peeked again with no room", sv[1], CMSG_LEN(0), MSG_PEEK);
    recv_fds("3 fds, read", sv[1], CMSG_SPACE(3 * sizeof(int)), 0);
    printf("fds open after: %d more\n", count_open() - before - 2);

    /* a stream socket: peeked, then read with MSG_CMSG_CLOEXEC */
    int st[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, st);
    send_fds(st[0], three, 3, 0);
    send(st[0], "tail", 4, 0);
    recv_fds("stream: 3 fds, peeked", st[1], CMSG_SPACE(3 * sizeof(int)), MSG_PEEK);
    {
        char ctl[CMSG_SPACE(3 * sizeof(int))], d[8];
        struct iovec io = { d, sizeof d };
        struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
        long n = recvmsg(st[1], &mh, MSG_CMSG_CLOEXEC);
        struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
        int fd0 = -1;
        if (c)
            memcpy(&fd0, CMSG_DATA(c), sizeof fd0);
        printf("stream: read %ld bytes (a message with files ends the read), FD_CLOEXEC %d\n", n,
               fd0 >= 0 && fcntl(fd0, F_GETFD) == FD_CLOEXEC);
        for (int i = 0; c && i < 3; i++) {
            memcpy(&fd0, CMSG_DATA(c) + i * sizeof(int), sizeof fd0);
            close(fd0);
        }
        printf("stream: then %ld bytes\n", (long)recv(st[1], d, sizeof d, MSG_DONTWAIT));
    }
    close(st[0]);
    close(st[1]);
    printf("fds open after the stream: %d more\n", count_open() - before - 2);

    /* Linux's SCM_MAX_FD (253) files and more are ENOMEM on the host before the count is
       looked at (its fd list allocation): only bad fds among them are compared */
    int bad[2] = { pp[0], 1000 };
    say("a closed fd among them", send_fds(sv[0], bad, 2, 0));
    say("an fd of -1", send_fds(sv[0], (int[]){ -1 }, 1, 0));
    /* a socket in its own queue, a pair in each other's: the collector's cycles */
    printf("itself: %d\n", send_fds(sv[0], &sv[1], 1, 0));
    printf("its peer: %d\n", send_fds(sv[1], &sv[0], 1, 0));
    close(sv[0]);
    close(sv[1]);
    int a[2], b2[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, a);
    socketpair(AF_UNIX, SOCK_STREAM, 0, b2);
    send_fds(a[0], &b2[0], 1, 0);
    send_fds(b2[0], &a[0], 1, 0);
    send_fds(a[0], a, 2, 0);
    for (int i = 0; i < 2; i++)
        close(a[i]), close(b2[i]);
    /* an embryo (connected, never accepted) carrying its own listener in its queue */
    struct sockaddr_un ea = { .sun_family = AF_UNIX };
    socklen_t ealen = offsetof(struct sockaddr_un, sun_path) + 1 +
                      snprintf(ea.sun_path + 1, sizeof ea.sun_path - 1, "revfiles-embryo-%d", getpid());
    int el = socket(AF_UNIX, SOCK_STREAM, 0);
    bind(el, (struct sockaddr *)&ea, ealen);
    listen(el, 1);
    int ec = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect to a listener that will travel in its embryo", connect(ec, (struct sockaddr *)&ea, ealen));
    printf("the listener into the embryo: %d\n", send_fds(ec, &el, 1, 0));
    close(ec);
    close(el);
    printf("fds open after the cycles: %d more\n", count_open() - before);

    /* SO_PEERCRED, names, closed listeners, shutdown */
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    struct ucred uc;
    socklen_t ul = sizeof uc;
    getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul);
    printf("SO_PEERCRED of a pair: pid is mine %d, uid %u, len %u\n", uc.pid == getpid(), uc.uid, ul);
    ul = 4;
    say("SO_PEERCRED into 4 bytes", getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    printf("its length: %u\n", ul);
    say("shutdown SHUT_WR", shutdown(sv[0], SHUT_WR));
    say("send after SHUT_WR", send(sv[0], "x", 1, MSG_NOSIGNAL));
    char d[4];
    printf("peer's recv after SHUT_WR: %ld\n", (long)recv(sv[1], d, 1, MSG_DONTWAIT));
    say("shutdown 3", shutdown(sv[0], 3));
    say("shutdown SHUT_RDWR twice", shutdown(sv[0], SHUT_RDWR) | shutdown(sv[0], SHUT_RDWR));
    close(sv[0]);
    close(sv[1]);

    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    socklen_t salen = offsetof(struct sockaddr_un, sun_path) + 1 +
                      snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "revfiles-%d", getpid());
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind an abstract name", bind(l, (struct sockaddr *)&sa, salen));
    say("listen", listen(l, 1));
    int c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect", connect(c1, (struct sockaddr *)&sa, salen));
    int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    say("connect past the backlog, non-blocking", connect(c2, (struct sockaddr *)&sa, salen));
    close(l);
    char x;
    say("read of a connection its listener dropped", read(c1, &x, 1));
    int c3 = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect to a closed listener", connect(c3, (struct sockaddr *)&sa, salen));
    close(c1); close(c2); close(c3);

    sa.sun_path[0] = 0;
    unlink("us");
    strcpy(sa.sun_path, "us");
    salen = sizeof sa;
    l = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind a path", bind(l, (struct sockaddr *)&sa, salen));
    say("bind it again", bind(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa, salen));
    c1 = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect before listen", connect(c1, (struct sockaddr *)&sa, salen));
    say("connect a datagram socket to a stream one",
        connect(socket(AF_UNIX, SOCK_DGRAM, 0), (struct sockaddr *)&sa, salen));
    close(l);
    say("connect to a closed path listener", connect(c1, (struct sockaddr *)&sa, salen));
    unlink("us");
    say("connect to a removed path", connect(c1, (struct sockaddr *)&sa, salen));

    return 0;
}

/* ---- locks ------------------------------------------------------------------------------- */

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len };
    return fcntl(fd, cmd, &fl);
}

/* Until process or thread `id` sleeps ('S' in /proc/ID/stat): it sleeps nowhere but in the
   call it announced by writing to `ready` first. */
static char state(int tid);
static void asleep(int id)
{
    while (state(id) != 'S')
        sched_yield();
}

/* A child that locks byte `mine`, says so on `up`, then waits (F_SETLKW) for byte `want`;
   it prints what that answered and exits. */
static pid_t locker(int fd, int mine, int want, int up[2])
{
    pid_t c = fork();
    if (c == 0) {
        setlk(fd, F_SETLK, F_WRLCK, mine, 1);
        write(up[1], "l", 1);
        long r = setlk(fd, F_SETLKW, F_WRLCK, want, 1);
        printf("locks: child holding %d, waiting for %d: %s\n", mine, want, err(r));
        _exit(0);
    }
    char b;
    read(up[0], &b, 1);
    return c;
}

static volatile sig_atomic_t sigios;
static void on_sigio(int s) { (void)s; sigios++; }

static int lock_attacks(void)
{
    int fd = open("lk", O_CREAT | O_RDWR | O_TRUNC, 0644);
    write(fd, "0123456789", 10);
    int up[2];
    pipe(up);
    /* two owners waiting for each other: the second wait closes the cycle, EDEADLK */
    setlk(fd, F_SETLK, F_WRLCK, 0, 1);
    pid_t a = locker(fd, 1, 0, up);
    asleep(a);
    say("locks: the parent waiting for the child that waits for it", setlk(fd, F_SETLKW, F_WRLCK, 1, 1));
    say("locks: F_SETLK of it instead", setlk(fd, F_SETLK, F_WRLCK, 1, 1));
    setlk(fd, F_SETLK, F_UNLCK, 0, 1);
    waitpid(a, NULL, 0);
    /* a chain of three: parent holds 0; B holds 1 and waits for 0; C holds 2 and waits for 1;
       the parent's wait for 2 closes the cycle through both */
    setlk(fd, F_SETLK, F_WRLCK, 0, 1);
    pid_t b = locker(fd, 1, 0, up);
    asleep(b);
    pid_t c = locker(fd, 2, 1, up);
    asleep(c);
    say("locks: the parent closing a cycle of three", setlk(fd, F_SETLKW, F_WRLCK, 2, 1));
    setlk(fd, F_SETLK, F_UNLCK, 0, 1);            /* B gets 0, exits; C gets 1, exits */
    waitpid(b, NULL, 0);
    waitpid(c, NULL, 0);
    /* OFD locks have no deadlock detection; a cycle through one is not looked at (Linux) */
    int ofd = open("lk", O_RDWR);
    setlk(ofd, F_OFD_SETLK, F_WRLCK, 5, 1);
    say("locks: POSIX F_SETLK over an OFD lock of the same process", setlk(fd, F_SETLK, F_WRLCK, 5, 1));
    struct flock q = { .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 5, .l_len = 1 };
    fcntl(fd, F_GETLK, &q);
    printf("locks: F_GETLK sees it: type %d pid %d\n", q.l_type, q.l_pid);
    close(ofd);
    say("locks: the OFD lock gone with its file", setlk(fd, F_SETLK, F_WRLCK, 5, 1));
    /* flock: a conversion, a second open's conflict, a pipe */
    int f2 = open("lk", O_RDONLY);
    say("flock: LOCK_SH", flock(fd, LOCK_SH));
    say("flock: LOCK_SH by another open", flock(f2, LOCK_SH | LOCK_NB));
    say("flock: LOCK_EX while another holds LOCK_SH", flock(fd, LOCK_EX | LOCK_NB));
    say("flock: the other's LOCK_EX now (ours went first)", flock(f2, LOCK_EX | LOCK_NB));
    say("flock: 0", flock(fd, 0));
    int pp[2];
    pipe(pp);
    say("flock: a pipe", flock(pp[0], LOCK_EX));
    say("locks: F_SETLK of a pipe", setlk(pp[1], F_SETLK, F_WRLCK, 0, 1));
    say("locks: a read lock on a write-only end", setlk(pp[1], F_SETLK, F_RDLCK, 0, 1));
    close(pp[0]);
    close(pp[1]);
    close(f2);

    /* a lease broken by an opener while its holder closes it */
    signal(SIGIO, on_sigio);
    int lf = open("ls", O_CREAT | O_RDONLY, 0644);
    say("lease: F_RDLCK", fcntl(lf, F_SETLEASE, F_RDLCK));
    pid_t o = fork();
    if (o == 0) {
        close(lf);                              /* the lease's file is the parent's alone */
        write(up[1], "o", 1);
        int w = open("ls", O_WRONLY);
        printf("lease: the opener for writing: %s\n", err(w));
        _exit(0);
    }
    char ch;
    read(up[0], &ch, 1);
    asleep(o);
    printf("lease: F_GETLEASE while broken: %d, SIGIO %d\n", fcntl(lf, F_GETLEASE), (int)sigios);
    close(lf);                                  /* the lease goes with it: the opener goes on */
    waitpid(o, NULL, 0);
    lf = open("ls", O_RDONLY);
    int lr = open("ls", O_RDONLY);
    say("lease: F_WRLCK with another open file of ours", fcntl(lf, F_SETLEASE, F_WRLCK));
    close(lr);
    say("lease: F_WRLCK once it is closed", fcntl(lf, F_SETLEASE, F_WRLCK));
    say("lease: F_UNLCK", fcntl(lf, F_SETLEASE, F_UNLCK));
    int lw = open("ls", O_WRONLY);
    say("lease: F_RDLCK with a writer open", fcntl(lf, F_SETLEASE, F_RDLCK));
    close(lw);
    close(lf);
    return 0;
}

/* Addresses and states AF_UNIX refuses, as Linux's net/unix/af_unix.c. */
static int unix_names(void)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct sockaddr_un got;
    socklen_t gl = sizeof got;
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    say("bind with addrlen past sockaddr_un", bind(s, (struct sockaddr *)&sa, sizeof sa + 1));
    say("bind with addrlen 1", bind(s, (struct sockaddr *)&sa, 1));
    say("autobind (addrlen 2)", bind(s, (struct sockaddr *)&sa, 2));
    getsockname(s, (struct sockaddr *)&got, &gl);
    printf("autobound name: length %u, abstract %d\n", gl, got.sun_path[0] == 0);
    say("bind again", bind(s, (struct sockaddr *)&sa, 2));
    close(s);
    /* a path filling sun_path, no NUL */
    s = socket(AF_UNIX, SOCK_STREAM, 0);
    memset(sa.sun_path, 'u', sizeof sa.sun_path);
    say("bind a 108-byte path without its NUL", bind(s, (struct sockaddr *)&sa, sizeof sa));
    gl = sizeof got + 8;
    char big[sizeof got + 8];
    getsockname(s, (struct sockaddr *)big, &gl);
    printf("its name's length: %u\n", gl);
    say("listen", listen(s, 1));
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    say("connect to it", connect(c, (struct sockaddr *)&sa, sizeof sa));
    say("connect with addrlen 2", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa, 2));
    say("connect with addrlen 1", connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&sa, 1));
    say("sendto with an address on a connected stream", sendto(c, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa));
    say("listen on a connected socket", listen(c, 1));
    say("accept on a connected socket", accept(c, NULL, NULL));
    int a = accept(s, NULL, NULL);
    say("accept", a);
    say("connect again", connect(c, (struct sockaddr *)&sa, sizeof sa));
    unlink(sa.sun_path);
    close(a);
    close(c);
    close(s);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    say("listen on a datagram socket", listen(d, 1));
    say("send on an unconnected datagram socket", send(d, "x", 1, 0));
    strcpy(sa.sun_path, "nosuch");
    say("sendto a path that is not there", sendto(d, "x", 1, 0, (struct sockaddr *)&sa, sizeof sa));
    char b[16];
    say("recv MSG_PEEK|MSG_DONTWAIT of an empty socket", recv(d, b, 1, MSG_PEEK | MSG_DONTWAIT));
    close(d);
    /* a seqpacket message longer than the buffer: MSG_TRUNC */
    int sp[2];
    socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp);
    send(sp[0], "0123456789", 10, 0);
    send(sp[0], "0123456789", 10, 0);
    struct iovec io = { b, 4 };
    struct msghdr mh = { .msg_iov = &io, .msg_iovlen = 1 };
    long n = recvmsg(sp[1], &mh, 0);
    printf("seqpacket of 10 into 4: %ld, MSG_TRUNC %d\n", n, !!(mh.msg_flags & MSG_TRUNC));
    n = recv(sp[1], b, 4, MSG_TRUNC);
    printf("with MSG_TRUNC asked: %ld\n", n);
    say("recv MSG_OOB of a seqpacket socket", recv(sp[1], b, 1, MSG_OOB | MSG_DONTWAIT));
    close(sp[0]);
    say("send to a closed peer", send(sp[1], "x", 1, MSG_NOSIGNAL));
    printf("recv from a closed peer: %ld\n", (long)recv(sp[1], b, 1, 0));
    close(sp[1]);
    return 0;
}

/* Files in flight past RLIMIT_NOFILE: a user without CAP_SYS_RESOURCE may have no more than
   its limit in flight before a send (Linux too_many_unix_fds: ETOOMANYREFS). Run in a process
   of its own, before anything else is in flight: Linux counts per user, and its collector
   takes cycles out of the count only when it runs. */
static int inflight(void)
{
    struct rlimit old, low = { 16, 16 };
    getrlimit(RLIMIT_NOFILE, &old);
    int sv[2], pp[2];
    pipe(pp);
    socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    setrlimit(RLIMIT_NOFILE, &low);
    int four[4] = { pp[0], pp[1], pp[0], pp[1] }, sent = 0;
    long r = 0;
    while (sent < 12 && (r = send_fds(sv[0], four, 4, MSG_DONTWAIT)) > 0)
        sent++;
    printf("messages of 4 files in flight under RLIMIT_NOFILE 16: %d, then %s\n", sent,
           r > 0 ? "-" : errno == ETOOMANYREFS ? "ETOOMANYREFS" : strerror(errno));
    close(sv[0]);
    close(sv[1]);
    setrlimit(RLIMIT_NOFILE, &old);
    r = socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
    printf("once they are gone: %s\n", err(r | send_fds(sv[0], four, 4, MSG_DONTWAIT)));
    close(sv[0]);
    close(sv[1]);
    return 0;
}

/* unix and pipes in a child per round (ROUNDS): the free pages after each must be equal
   (tests/test_review_files.py, trace=mem): sockets in flight, cycles and pipes all go back. */
static int rounds(int n)
{
    for (int round = 1; round <= n; round++) {
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            int r = unix_attacks();
            r = r ? r : pipes();
            fflush(stdout);
            _exit(r);
        }
        int st;
        waitpid(kid, &st, 0);
        printf("revfiles: round %d: status %d\n", round, st);
    }
    return 0;
}

/* ---- closerace --------------------------------------------------------------------------- */

/* The sibling thread's call: kinds in race(). It announces itself, then blocks. */
enum { R_SELECT, R_POLL, R_POLLHOLD, R_READ, R_ACCEPT };
static volatile int entering, racer_tid;
static int race_fd, race_other, race_kind;
static long race_result;
static int race_errno;
static int race_sets[3];
static short race_revents[2];

static void *racer(void *arg)
{
    (void)arg;
    char b[8];
    racer_tid = (int)syscall(SYS_gettid);
    __atomic_store_n(&entering, 1, __ATOMIC_SEQ_CST);
    errno = 0;
    if (race_kind == R_SELECT) {
        fd_set s[3];
        for (int k = 0; k < 3; k++) {
            FD_ZERO(&s[k]);
            FD_SET(race_fd, &s[k]);
        }
        FD_SET(race_other, &s[0]);
        struct timeval tv = { 20, 0 };
        race_result = select((race_fd > race_other ? race_fd : race_other) + 1, &s[0], &s[1], &s[2], &tv);
        for (int k = 0; k < 3; k++)
            race_sets[k] = FD_ISSET(race_fd, &s[k]);
    } else if (race_kind == R_POLL || race_kind == R_POLLHOLD) {
        struct pollfd p[2] = { { race_fd, POLLIN, 0 }, { race_other, POLLIN, 0 } };
        race_result = poll(p, race_kind == R_POLL ? 2 : 1, 20000);
        race_revents[0] = p[0].revents;
        race_revents[1] = p[1].revents;
    } else if (race_kind == R_READ) {
        race_result = read(race_fd, b, sizeof b);
    } else {
        race_result = accept(race_fd, NULL, NULL);
    }
    race_errno = errno;
    return NULL;
}

/* the racer's state letter in /proc/TID/stat */
static char state(int tid)
{
    char path[64], buf[512];
    snprintf(path, sizeof path, "/proc/%d/stat", tid);
    int fd = open(path, O_RDONLY);
    long n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
    if (fd >= 0)
        close(fd);
    if (n <= 0)
        return '?';
    buf[n] = 0;
    char *e = strrchr(buf, ')');
    return e && e[1] == ' ' ? e[2] : '?';
}

/* Until the racer has announced itself and sleeps: it sleeps nowhere but in its call. */
static void wait_asleep(void)
{
    while (!__atomic_load_n(&entering, __ATOMIC_SEQ_CST))
        sched_yield();
    while (state(racer_tid) != 'S')
        sched_yield();
}

static void race(int kind)
{
    int pp[2], qq[2];
    pipe(pp);
    pipe(qq);
    int sfd = -1, c = -1;
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    socklen_t salen = offsetof(struct sockaddr_un, sun_path) + 1 +
                      snprintf(sa.sun_path + 1, sizeof sa.sun_path - 1, "revfiles-race-%d", getpid());
    if (kind == R_ACCEPT) {
        sfd = socket(AF_UNIX, SOCK_STREAM, 0);
        bind(sfd, (struct sockaddr *)&sa, salen);
        listen(sfd, 4);
    }
    race_fd = kind == R_ACCEPT ? sfd : pp[0];
    race_other = qq[0];
    race_kind = kind;
    entering = 0;
    pthread_t t;
    pthread_create(&t, NULL, racer, NULL);
    wait_asleep();
    close(race_fd);
    switch (kind) {
    case R_SELECT:
    case R_POLL:
        write(qq[1], "w", 1);                /* the other fd wakes it */
        break;
    case R_POLLHOLD:
        /* Linux's sleeping poll holds the files it waits on (__pollwait's get_file): the read
           end is still open, the write goes in, and it wakes the poll */
        printf("closerace pollhold: write to the pipe: %s\n", err(write(pp[1], "w", 1)));
        break;
    case R_READ:
        write(pp[1], "w", 1);                /* the read holds the file: it gets the byte */
        break;
    case R_ACCEPT:
        c = socket(AF_UNIX, SOCK_STREAM, 0);
        say("closerace accept: connect to the closed listener it holds", connect(c, (struct sockaddr *)&sa, salen));
        break;
    }
    pthread_join(t, NULL);
    const char *what[] = { "select", "poll", "pollhold", "read", "accept" };
    if (race_result < 0)
        printf("closerace %s: %s\n", what[kind], strerror(race_errno));
    else if (kind == R_SELECT)
        printf("closerace select: %ld, the closed fd in the sets %d %d %d\n", race_result,
               race_sets[0], race_sets[1], race_sets[2]);
    else if (kind == R_POLL || kind == R_POLLHOLD)
        printf("closerace %s: %ld, revents %#x %#x\n", what[kind], race_result, race_revents[0],
               race_revents[1]);
    else
        printf("closerace %s: %ld\n", what[kind], kind == R_READ ? race_result : race_result >= 0);
    if (kind == R_ACCEPT && race_result >= 0)
        close((int)race_result);
    if (c >= 0)
        close(c);
    close(pp[1]);
    close(qq[0]);
    close(qq[1]);
}

static int closerace(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc > 2 && !strcmp(argv[2], "pollhold")) {
        race(R_POLLHOLD);
        return 0;
    }
    race(R_SELECT);
    race(R_POLL);
    race(R_READ);
    race(R_ACCEPT);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *a = argc > 1 ? argv[1] : "";
    if (!strcmp(a, "paths"))
        return paths();
    if (!strcmp(a, "fds"))
        return fds();
    if (!strcmp(a, "pipes"))
        return pipes();
    if (!strcmp(a, "unix"))
        return unix_attacks();
    if (!strcmp(a, "unixnames"))
        return unix_names();
    if (!strcmp(a, "inflight"))
        return inflight();
    if (!strcmp(a, "rounds"))
        return rounds(argc > 2 ? atoi(argv[2]) : 1);
    if (!strcmp(a, "locks"))
        return lock_attacks();
    if (!strcmp(a, "closerace"))
        return closerace(argc, argv);
    fprintf(stderr, "usage: revfiles paths|fds|pipes|unix|unixnames|inflight|locks|rounds [N]|closerace [pollhold]\n");
    return 2;
}
