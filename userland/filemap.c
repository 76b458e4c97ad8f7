/* mmap of regular files as Linux: MAP_SHARED pages are the file's (a forked child's writes, an
 * unrelated process's own mapping, read(2) and write(2) all see one copy), MAP_PRIVATE is a
 * copy, a page past the end of the file is SIGBUS, the open mode is checked (EACCES), files
 * without mmap are ENODEV, msync's rules. In a fresh mkdtemp directory, as root and as a
 * user, so the host's Linux and ringlab print the same lines. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EBADF: return "EBADF";
    case EOVERFLOW: return "EOVERFLOW";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static long m(void *p) { return p == MAP_FAILED ? -1 : 0; }

static const char *how(int st)
{
    static char buf[48];
    if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by %s", strsignal(WTERMSIG(st)));
    else
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    return buf;
}

int main(void)
{
    char tmpl[] = "/tmp/filemapXXXXXX";
    char *top = mkdtemp(tmpl);
    if (!top || chdir(top))
        return 2;
    char buf[64];
    int fd = open("f", O_CREAT | O_RDWR, 0600);
    (void)!write(fd, "hello", 5);
    char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("mmap MAP_SHARED: %s\n", e(m(p)));
    printf("through the map: \"%.5s\", past the end of the file in its page: %d\n", p, p[100]);
    p[0] = 'J';
    pread(fd, buf, 5, 0);
    printf("read(2) sees the map's write: \"%.5s\"\n", buf);
    pwrite(fd, "W", 1, 1);
    printf("the map sees write(2): \"%.5s\"\n", p);
    pid_t c = fork();
    if (c == 0) {
        memcpy(p + 200, "child", 5);
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    printf("a forked child's write: \"%.5s\"\n", p[200] ? p + 200 : "none");
    c = fork();
    if (c == 0) {                            /* an unrelated mapping of the same file */
        int f2 = open("f", O_RDWR);
        char *q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, f2, 0);
        if (q == MAP_FAILED)
            _exit(3);
        memcpy(q + 300, "other", 5);
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("another process's own mapping: %s, \"%.5s\"\n", how(st), p + 300);
    c = fork();
    if (c == 0) {
        volatile char x = p[4096];           /* the file is 5 bytes: page 1 is past its end */
        (void)x;
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("reading past the end of the file: %s\n", how(st));
    c = fork();
    if (c == 0) {
        p[5000] = 1;
        _exit(0);
    }
    waitpid(c, &st, 0);
    printf("writing past the end of the file: %s\n", how(st));

    char *priv = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    printf("mmap MAP_PRIVATE: %s, \"%.5s\"\n", e(m(priv)), priv);
    priv[0] = 'P';
    pread(fd, buf, 5, 0);
    printf("a private write stays private: file \"%.5s\", map \"%.5s\"\n", buf, priv);
    munmap(priv, 4096);

    printf("msync MS_SYNC: %s\n", e(msync(p, 4096, MS_SYNC)));
    printf("msync MS_ASYNC|MS_SYNC: %s\n", e(msync(p, 4096, MS_ASYNC | MS_SYNC)));
    printf("msync unaligned: %s\n", e(msync(p + 1, 4096, MS_SYNC)));
    printf("msync bad flag: %s\n", e(msync(p, 4096, 8)));
    char *hole = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(hole + 4096, 4096);
    printf("msync over a hole: %s\n", e(msync(hole, 3 * 4096, MS_SYNC)));

    int ro = open("f", O_RDONLY), wo = open("f", O_WRONLY);
    printf("MAP_SHARED PROT_WRITE of an O_RDONLY fd: %s\n",
           e(m(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0))));
    printf("MAP_PRIVATE PROT_WRITE of an O_RDONLY fd: %s\n",
           e(m(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0))));
    printf("MAP_SHARED PROT_READ of an O_WRONLY fd: %s\n", e(m(mmap(NULL, 4096, PROT_READ, MAP_SHARED, wo, 0))));
    int dir = open(".", O_RDONLY | O_DIRECTORY);
    printf("a directory: %s\n", e(m(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, dir, 0))));
    int null = open("/dev/null", O_RDWR), zero = open("/dev/zero", O_RDWR);
    printf("/dev/null: %s\n", e(m(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, null, 0))));
    char *z = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero, 0);
    printf("/dev/zero: %s, %d\n", e(m(z)), z != MAP_FAILED ? z[10] : -1);
    printf("offset wraps: %s\n", e(m(mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, -4096L & ~4095L))));
    printf("length 0: %s\n", e(m(mmap(NULL, 0, PROT_READ, MAP_SHARED, fd, 0))));

    /* a file of three pages, mapped from its second */
    int g = open("g", O_CREAT | O_RDWR, 0600);
    for (int i = 0; i < 3; i++) {
        memset(buf, 'a' + i, sizeof buf);
        pwrite(g, buf, sizeof buf, i * 4096);
    }
    char *q = mmap(NULL, 4096, PROT_READ, MAP_SHARED, g, 4096);
    printf("offset 4096: %s, '%c'\n", e(m(q)), q != MAP_FAILED ? q[0] : '?');
    printf("unlink while mapped: %d, still '%c'\n", unlink("g"), q[1]);
    close(g);
    printf("closed too, still '%c'\n", q[2]);
    munmap(q, 4096);
    munmap(p, 8192);
    unlink("f");
    chdir("/");
    printf("cleaned up: %s\n", e(rmdir(top)));
    return 0;
}
