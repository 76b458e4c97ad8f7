/*
 * fsfuzz SEED [OPS]: a reproducible random sequence of file-system operations in a fresh
 * directory ./fz (names a, b, c, d1, d2 and one level below), one line per operation with
 * its result or errno name, then the tree (types, sizes, link counts, content checksums),
 * then everything removed. Run the same SEED on Linux and in ringlab: the lines must be equal.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t state;

static uint64_t rnd(uint64_t n)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state % n;
}

static const char *res(long r)
{
    static char buf[32];
    if (r >= 0) {
        snprintf(buf, sizeof buf, "%ld", r);
        return buf;
    }
    static const struct { int e; const char *n; } names[] = {
        { ENOENT, "ENOENT" }, { EEXIST, "EEXIST" }, { ENOTDIR, "ENOTDIR" }, { EISDIR, "EISDIR" },
        { ENOTEMPTY, "ENOTEMPTY" }, { EINVAL, "EINVAL" }, { EBADF, "EBADF" }, { EPERM, "EPERM" },
        { EBUSY, "EBUSY" }, { ENOSPC, "ENOSPC" }, { EFBIG, "EFBIG" }, { EACCES, "EACCES" },
    };
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (names[i].e == errno)
            return names[i].n;
    snprintf(buf, sizeof buf, "errno %d", errno);
    return buf;
}

static const char *const paths[] = { "a", "b", "c", "d1", "d2", "d1/a", "d1/b", "d2/a", "d2/d1",
                                     "d1/d2", "a/x", "." };
#define NPATHS (sizeof paths / sizeof paths[0])

static const char *pick(void)
{
    return paths[rnd(NPATHS)];
}

static uint32_t checksum(const char *p)
{
    int fd = open(p, O_RDONLY);
    uint32_t h = 2166136261u;
    unsigned char buf[512];
    ssize_t n;
    if (fd < 0)
        return 0;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < n; i++)
            h = (h ^ buf[i]) * 16777619u;
    close(fd);
    return h;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Print the tree under dir (sorted), depth first; remove it afterwards if `rm`. */
static void tree(const char *dir, int rm)
{
    DIR *d = opendir(dir);
    char *names[64];
    int n = 0;
    struct dirent *e;
    if (!d)
        return;
    while ((e = readdir(d)) && n < 64)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            names[n++] = strdup(e->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], by_name);
    for (int i = 0; i < n; i++) {
        char p[256];
        struct stat st;
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        stat(p, &st);
        if (S_ISDIR(st.st_mode)) {
            printf("fsfuzz: tree %s dir nlink=%lu mode=%o\n", p, (unsigned long)st.st_nlink,
                   st.st_mode & 07777);
            tree(p, rm);
            if (rm && rmdir(p))
                printf("fsfuzz: rmdir %s: %s\n", p, res(-1));
        } else {
            printf("fsfuzz: tree %s file size=%ld nlink=%lu mode=%o sum=%08x\n", p, (long)st.st_size,
                   (unsigned long)st.st_nlink, st.st_mode & 07777, checksum(p));
            if (rm && unlink(p))
                printf("fsfuzz: unlink %s: %s\n", p, res(-1));
        }
        free(names[i]);
    }
}

static int held = -1;                 /* a descriptor kept across operations */

static void op(int i)
{
    const char *p = pick(), *q = pick();
    char buf[300];
    long r;
    int fd;
    struct stat st;
    switch (rnd(14)) {
    case 12:                          /* open a file and keep it: it outlives unlink and rename */
        if (held >= 0) {
            printf("fsfuzz: %d close held: %s\n", i, res(close(held)));
            held = -1;
        } else {
            held = open(p, O_RDWR | O_CREAT | (rnd(2) ? O_APPEND : 0), 0600);
            printf("fsfuzz: %d hold %s: %s\n", i, p, res(held < 0 ? -1 : 0));
        }
        break;
    case 13:
        if (held < 0)
            break;
        r = write(held, "held", 4);
        printf("fsfuzz: %d write held: %s", i, res(r));
        r = fstat(held, &st);
        printf(" fstat: %s size=%ld nlink=%lu\n", res(r), (long)st.st_size, (unsigned long)st.st_nlink);
        break;
    case 0: case 1: {
        static const int modes[] = { O_WRONLY | O_CREAT, O_WRONLY | O_CREAT | O_EXCL, O_RDWR | O_TRUNC,
                                     O_WRONLY | O_APPEND, O_RDWR | O_CREAT | O_APPEND, O_RDONLY };
        int m = (int)rnd(6);
        fd = open(p, modes[m], 0644);
        size_t len = rnd(sizeof buf);
        for (size_t k = 0; k < len; k++)
            buf[k] = (char)('A' + rnd(26));
        r = fd < 0 ? -1 : write(fd, buf, len);
        printf("fsfuzz: %d open %s mode%d: %s", i, p, m, res(fd));
        printf(" write %zu: %s\n", len, fd < 0 ? "-" : res(r));
        if (fd >= 0)
            close(fd);
        break;
    }
    case 2:
        printf("fsfuzz: %d unlink %s: %s\n", i, p, res(unlink(p)));
        break;
    case 3:
        printf("fsfuzz: %d mkdir %s: %s\n", i, p, res(mkdir(p, 0755)));
        break;
    case 4:
        printf("fsfuzz: %d rmdir %s: %s\n", i, p, res(rmdir(p)));
        break;
    case 5:
        printf("fsfuzz: %d rename %s %s: %s\n", i, p, q, res(rename(p, q)));
        break;
    case 6:
        printf("fsfuzz: %d link %s %s: %s\n", i, p, q, res(link(p, q)));
        break;
    case 7: {
        long len = (long)rnd(9000);
        printf("fsfuzz: %d truncate %s %ld: %s\n", i, p, len, res(truncate(p, len)));
        break;
    }
    case 8:
        r = stat(p, &st);
        printf("fsfuzz: %d stat %s: %s", i, p, res(r));
        if (r == 0)
            printf(" %s size=%ld nlink=%lu", S_ISDIR(st.st_mode) ? "dir" : "file",
                   S_ISDIR(st.st_mode) ? 0L : (long)st.st_size, (unsigned long)st.st_nlink);
        printf("\n");
        break;
    case 9:
        fd = open(p, O_RDONLY);
        r = fd < 0 ? -1 : read(fd, buf, sizeof buf);
        printf("fsfuzz: %d read %s: %s", i, p, res(fd));
        printf(" -> %s\n", fd < 0 ? "-" : res(r));
        if (fd >= 0)
            close(fd);
        break;
    case 10: {                        /* a write past the end leaves a hole */
        fd = open(p, O_WRONLY);
        off_t off = (off_t)rnd(10000);
        r = fd < 0 ? -1 : pwrite(fd, "hole", 4, off);
        printf("fsfuzz: %d pwrite %s at %ld: %s", i, p, (long)off, res(fd));
        printf(" -> %s\n", fd < 0 ? "-" : res(r));
        if (fd >= 0)
            close(fd);
        break;
    }
    default:
        r = chdir(p);
        printf("fsfuzz: %d chdir %s: %s", i, p, res(r));
        if (r == 0) {
            struct stat here;
            stat(".", &here);
            printf(" then: %s", res(access("a", F_OK)));
            printf(" back: %s", res(chdir(strchr(p, '/') ? "../.." : strcmp(p, ".") ? ".." : ".")));
        }
        printf("\n");
        break;
    }
}

int main(int argc, char **argv)
{
    state = argc > 1 ? strtoull(argv[1], NULL, 10) * 2654435761u + 1 : 1;
    int ops = argc > 2 ? atoi(argv[2]) : 300;
    setvbuf(stdout, NULL, _IOLBF, 0);
    umask(022);
    if (mkdir("fz", 0755) || chdir("fz")) {
        printf("fsfuzz: cannot set up ./fz: %s\n", res(-1));
        return 1;
    }
    for (int i = 0; i < ops; i++)
        op(i);
    if (held >= 0)
        close(held);
    tree(".", 1);
    chdir("..");
    printf("fsfuzz: rmdir fz: %s\n", res(rmdir("fz")));
    return 0;
}
