/*
 * fsprobe: the file system calls and their Linux errno values, on example.txt in the
 * current directory. Every line is the same on Linux (run it there in a directory holding
 * example.txt).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(long r)
{
    static char buf[64];
    if (r >= 0) {
        snprintf(buf, sizeof buf, "%ld", r);
        return buf;
    }
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EBADF: return "EBADF";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ESPIPE: return "ESPIPE";
    case ENOTDIR: return "ENOTDIR";
    case EISDIR: return "EISDIR";
    case EROFS: return "EROFS";
    default: snprintf(buf, sizeof buf, "errno %d", errno); return buf;
    }
}

/* The bytes read, with a newline shown as \n so every report stays one line. */
static const char *show(const char *buf, ssize_t n)
{
    static char out[128];
    size_t o = 0;
    for (ssize_t i = 0; i < n && o + 3 < sizeof out; i++) {
        if (buf[i] == '\n') {
            out[o++] = '\\';
            out[o++] = 'n';
        } else {
            out[o++] = buf[i];
        }
    }
    out[o] = 0;
    return out;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(void)
{
    char buf[512];
    int fd = open("example.txt", O_RDONLY);
    printf("fsprobe: open example.txt: %s\n", fd >= 0 ? "ok" : err(fd));
    if (fd < 0)
        return 1;
    struct stat st;
    int r = fstat(fd, &st);
    printf("fsprobe: fstat: %s size=%lld regular=%d\n", err(r), (long long)st.st_size,
           S_ISREG(st.st_mode));
    ssize_t n = read(fd, buf, 5);
    printf("fsprobe: read 5: %s \"%s\"\n", err(n), show(buf, n));
    printf("fsprobe: lseek end: %s\n", err(lseek(fd, 0, SEEK_END)));
    printf("fsprobe: read at end: %s\n", err(read(fd, buf, sizeof buf)));
    printf("fsprobe: lseek end-3: %s\n", err(lseek(fd, -3, SEEK_END)));
    n = read(fd, buf, sizeof buf);
    printf("fsprobe: read tail: %s \"%s\"\n", err(n), show(buf, n));
    printf("fsprobe: lseek cur+100: %s\n", err(lseek(fd, 100, SEEK_CUR)));
    printf("fsprobe: lseek -1: %s\n", err(lseek(fd, -1, SEEK_SET)));
    printf("fsprobe: lseek whence 9: %s\n", err(lseek(fd, 0, 9)));
    printf("fsprobe: lseek set 0: %s\n", err(lseek(fd, 0, SEEK_SET)));
    printf("fsprobe: read NULL: %s\n", err(read(fd, NULL, 4)));
    printf("fsprobe: read kernel address: %s\n", err(read(fd, (void *)0xffffffff80100000UL, 4)));
    printf("fsprobe: write to O_RDONLY fd: %s\n", err(write(fd, "x", 1)));
    printf("fsprobe: lseek on stdin: %s\n", err(lseek(0, 0, SEEK_SET)));
    printf("fsprobe: read fd 99: %s\n", err(read(99, buf, 1)));
    printf("fsprobe: close fd 99: %s\n", err(close(99)));
    printf("fsprobe: close: %s\n", err(close(fd)));
    printf("fsprobe: read closed fd: %s\n", err(read(fd, buf, 1)));
    printf("fsprobe: open missing.txt: %s\n", err(open("missing.txt", O_RDONLY)));
    printf("fsprobe: open example.txt/x: %s\n", err(open("example.txt/x", O_RDONLY)));
    printf("fsprobe: stat missing.txt: %s\n", err(stat("missing.txt", &st)));
    r = stat("example.txt", &st);
    printf("fsprobe: stat example.txt: %s size=%lld\n", err(r), (long long)st.st_size);
    r = stat(".", &st);
    printf("fsprobe: stat .: %s dir=%d\n", err(r), S_ISDIR(st.st_mode));
    printf("fsprobe: open . for reading: %s\n", (fd = open(".", O_RDONLY)) >= 0 ? "ok" : err(fd));
    if (fd >= 0) {
        printf("fsprobe: read a directory: %s\n", err(read(fd, buf, sizeof buf)));
        close(fd);
    }

    DIR *d = opendir(".");
    char *names[64];
    int count = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) && count < 64)
        if (e->d_name[0] != '.')
            names[count++] = strdup(e->d_name);
    if (d)
        closedir(d);
    qsort(names, count, sizeof names[0], by_name);
    printf("fsprobe: listing:");
    for (int i = 0; i < count; i++)
        printf(" %s", names[i]);
    printf("\n");

    int w = open("example.txt", O_WRONLY | O_APPEND);
    printf("fsprobe: open for writing: %s\n", w >= 0 ? "ok" : err(w));
    printf("fsprobe: append 4: %s\n", err(write(w, "more", 4)));
    r = stat("example.txt", &st);
    printf("fsprobe: stat after append: %s size=%lld\n", err(r), (long long)st.st_size);
    return 0;
}
