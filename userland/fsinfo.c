/* statfs/fstatfs, the fsync family and sethostname's errors, printed so that the host's Linux
 * (its /dev/shm is tmpfs) and ringlab (one memory file system) print the same lines, as root
 * and as an unprivileged user. sethostname is only ever called where it must fail: on the
 * host it would rename the machine. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#define TMPFS_MAGIC  0x01021994
#define PIPEFS_MAGIC 0x50495045
#define BAD ((void *)8)

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return r == 0 ? "0" : "positive";
    switch (errno) {
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case EROFS: return "EROFS";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static void show(const char *what, long r, const struct statfs *s)
{
    if (r) {
        printf("%s: %s\n", what, e(r));
        return;
    }
    printf("%s: type=%s bsize=%ld frsize=%ld blocks>0=%d bfree<=blocks=%d bavail<=bfree=%d "
           "files>0=%d ffree<=files=%d namelen>0=%d valid=%d\n", what,
           s->f_type == TMPFS_MAGIC ? "tmpfs" : s->f_type == PIPEFS_MAGIC ? "pipefs" : "other",
           (long)s->f_bsize, (long)s->f_frsize, s->f_blocks > 0, s->f_bfree <= s->f_blocks,
           s->f_bavail <= s->f_bfree, s->f_files > 0, s->f_ffree <= s->f_files, s->f_namelen > 0,
           !!(s->f_flags & 0x20));
}

/* ringlab only ("set"): the hostname changes, up to 64 bytes without a NUL. */
static int set_hostname(void)
{
    struct utsname u;
    char name64[64];
    memset(name64, 'n', sizeof name64);
    printf("sethostname lab-1: %s\n", e(sethostname("lab-1", 5)));
    uname(&u);
    printf("nodename: %s\n", u.nodename);
    printf("sethostname 64 bytes: %s\n", e(sethostname(name64, 64)));
    uname(&u);
    printf("nodename length: %zu\n", strlen(u.nodename));
    return 0;
}

int main(int argc, char **argv)
{
    struct statfs s;
    if (argc > 1 && !strcmp(argv[1], "set"))
        return set_hostname();
    show("statfs /dev/shm", statfs("/dev/shm", &s), &s);
    show("statfs /dev/shm/missing", statfs("/dev/shm/missing", &s), &s);
    show("statfs bad path", syscall(SYS_statfs, BAD, &s), &s);
    show("statfs bad buffer", syscall(SYS_statfs, "/dev/shm", BAD), &s);
    int fd = open("/tmp/fsinfo.f", O_CREAT | O_RDWR | O_TRUNC, 0600);
    show("statfs file/below", statfs("/tmp/fsinfo.f/x", &s), &s);
    int dir = open("/dev/shm", O_RDONLY | O_DIRECTORY);
    show("fstatfs /dev/shm fd", fstatfs(dir, &s), &s);
    int p[2];
    if (pipe(p))
        return 2;
    show("fstatfs pipe", fstatfs(p[0], &s), &s);
    show("fstatfs -1", fstatfs(-1, &s), &s);
    show("fstatfs bad buffer", syscall(SYS_fstatfs, dir, BAD), &s);
    printf("fsync file: %s, fdatasync file: %s\n", e(fsync(fd)), e(fdatasync(fd)));
    printf("fsync directory: %s\n", e(fsync(dir)));
    printf("fsync pipe: %s, fdatasync pipe: %s\n", e(fsync(p[1])), e(fdatasync(p[1])));
    int null = open("/dev/null", O_WRONLY);
    printf("fsync /dev/null: %s\n", e(fsync(null)));
    printf("fsync -1: %s\n", e(fsync(-1)));
    sync();
    printf("sync: returned\n");
    printf("syncfs file: %s, syncfs pipe: %s, syncfs -1: %s\n", e(syncfs(fd)), e(syncfs(p[0])),
           e(syncfs(-1)));
    unlink("/tmp/fsinfo.f");
    char big[80];
    memset(big, 'h', sizeof big);
    /* each fails before changing anything: EPERM unprivileged, else EINVAL / EFAULT */
    printf("sethostname 65 bytes: %s\n", e(sethostname(big, 65)));
    printf("sethostname length -1: %s\n", e(syscall(SYS_sethostname, big, -1)));
    printf("sethostname bad pointer: %s\n", e(syscall(SYS_sethostname, BAD, 4)));
    return 0;
}
