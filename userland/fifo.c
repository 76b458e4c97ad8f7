/* FIFOs and mknod as Linux has them: mkfifo/mknod S_IFIFO, opens that wait for a partner
 * (or do not: O_NONBLOCK, O_RDWR), data through the FIFO between processes, EOF once the
 * writers are gone, a signal ending a waiting open, and mknod's other types and errors
 * (regular files, sockets' names, character devices for CAP_MKNOD: one /dev has works as it,
 * an unassigned number's open is ENXIO). In a fresh mkdtemp directory, printed relatively, so
 * the host's Linux and ringlab print the same lines, as root and as a user. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ENXIO: return "ENXIO";
    case EINTR: return "EINTR";
    case ESPIPE: return "ESPIPE";
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case EAGAIN: return "EAGAIN";
    case EBADF: return "EBADF";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static const char *kind(const char *path)
{
    struct stat st;
    if (lstat(path, &st))
        return e(-1);
    return S_ISFIFO(st.st_mode) ? "fifo" : S_ISREG(st.st_mode) ? "file" : S_ISCHR(st.st_mode) ? "chr" :
           S_ISBLK(st.st_mode) ? "blk" : S_ISSOCK(st.st_mode) ? "sock" : "other";
}

static void on_alarm(int sig) { (void)sig; }

int main(void)
{
    char tmpl[] = "/tmp/fifoXXXXXX";
    char *top = mkdtemp(tmpl);
    if (!top || chdir(top))
        return 2;
    char buf[64];
    long n;
    printf("mkfifo: %s, %s\n", e(mkfifo("f", 0600)), kind("f"));
    printf("mkfifo again: %s\n", e(mkfifo("f", 0600)));
    printf("open O_WRONLY|O_NONBLOCK without a reader: %s\n", e(open("f", O_WRONLY | O_NONBLOCK)));
    int r = open("f", O_RDONLY | O_NONBLOCK);
    printf("open O_RDONLY|O_NONBLOCK without a writer: %s\n", e(r));
    printf("read with no writer: %ld\n", (long)read(r, buf, sizeof buf));
    int w = open("f", O_WRONLY | O_NONBLOCK);
    printf("open O_WRONLY|O_NONBLOCK with a reader: %s\n", e(w));
    printf("write: %ld\n", (long)write(w, "abc", 3));
    n = read(r, buf, sizeof buf);
    printf("read: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    printf("read empty, writer open: %s\n", e(read(r, buf, sizeof buf)));
    printf("lseek: %s\n", e(lseek(r, 0, SEEK_SET)));
    struct stat st;
    fstat(w, &st);
    printf("fstat: fifo=%d\n", S_ISFIFO(st.st_mode));
    printf("fchmod: %s\n", e(fchmod(w, 0640)));
    stat("f", &st);
    printf("mode after fchmod: %o\n", st.st_mode & 0777);
    close(w);
    printf("read after the writer closed: %ld\n", (long)read(r, buf, sizeof buf));
    close(r);

    /* blocking opens meet: the child writes, the parent reads to EOF */
    pid_t c = fork();
    if (c == 0) {
        int fd = open("f", O_WRONLY);
        (void)!write(fd, "hello", 5);
        _exit(fd < 0);
    }
    r = open("f", O_RDONLY);
    n = read(r, buf, sizeof buf);
    printf("blocking open and read: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    int status;
    waitpid(c, &status, 0);
    printf("then EOF: %ld, writer's status %d\n", (long)read(r, buf, sizeof buf), WEXITSTATUS(status));
    close(r);

    int rw = open("f", O_RDWR);
    printf("open O_RDWR does not wait: %s\n", e(rw));
    (void)!write(rw, "self", 4);
    n = read(rw, buf, sizeof buf);
    printf("O_RDWR reads its own write: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    printf("unlink while open: %s\n", e(unlink("f")));
    (void)!write(rw, "more", 4);
    n = read(rw, buf, sizeof buf);
    printf("still works: %ld\n", n);
    close(rw);

    /* a signal ends a waiting open */
    mkfifo("g", 0600);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;                /* no SA_RESTART */
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    printf("open O_RDONLY interrupted: %s\n", e(open("g", O_RDONLY)));
    alarm(1);
    printf("open O_WRONLY interrupted: %s\n", e(open("g", O_WRONLY)));
    unlink("g");

    /* mknod */
    printf("mknod S_IFIFO: %s, %s\n", e(mknod("m", S_IFIFO | 0600, 0)), kind("m"));
    printf("mknod type 0: %s, %s\n", e(mknod("r0", 0600, 0)), kind("r0"));
    printf("mknod S_IFREG: %s, %s\n", e(mknod("r1", S_IFREG | 0600, 0)), kind("r1"));
    printf("mknod S_IFSOCK: %s, %s\n", e(mknod("s", S_IFSOCK | 0600, 0)), kind("s"));
    printf("open a socket's name: %s\n", e(open("s", O_RDONLY)));
    printf("mknod S_IFDIR: %s\n", e(mknod("d", S_IFDIR | 0700, 0)));
    printf("mknod bad type: %s\n", e(mknod("x", 0170000 | 0600, 0)));
    printf("mknod existing: %s\n", e(mknod("m", S_IFIFO | 0600, 0)));
    long k = mknod("null2", S_IFCHR | 0666, makedev(1, 3));
    printf("mknod S_IFCHR 1,3: %s\n", e(k));
    if (k == 0) {
        stat("null2", &st);
        printf("  rdev %u,%u\n", major(st.st_rdev), minor(st.st_rdev));
        int fd = open("null2", O_RDWR);
        printf("  open: %s, write: %ld, read: %ld\n", e(fd), (long)write(fd, "x", 1), (long)read(fd, buf, 8));
        close(fd);
    }
    k = mknod("dev60", S_IFCHR | 0600, makedev(60, 7));
    printf("mknod S_IFCHR 60,7: %s\n", e(k));
    if (k == 0)
        printf("  open an unassigned device: %s\n", e(open("dev60", O_RDONLY)));
    k = mknod("blk", S_IFBLK | 0600, makedev(60, 8));
    printf("mknod S_IFBLK 60,8: %s\n", e(k));
    unlink("m");
    unlink("r0");
    unlink("r1");
    unlink("s");
    unlink("null2");
    unlink("dev60");
    unlink("blk");
    chdir("/");
    printf("cleaned up: %s\n", e(rmdir(top)));
    return 0;
}
