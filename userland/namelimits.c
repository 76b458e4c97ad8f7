/*
 * namelimits [ROUNDS]: Linux's NAME_MAX (255) and PATH_MAX (4096), as a program meets them.
 * Each round (default 1) runs in a child: names of 255 and 256 bytes through every call that
 * makes or finds a name; paths of 4095 bytes (+ NUL) and 4096; a tree deeper than PATH_MAX
 * walked by relative paths, getcwd and /proc/self/cwd at and past the limit; symbolic link
 * targets of 4095 and 4096 bytes, a target plus the rest of a path beyond PATH_MAX; execve of
 * a 4095-byte path; and hostile paths (running into an unmapped page, in the kernel half, 1 MiB
 * long). Everything is made under tmp/ of the current directory and removed again, so the
 * transcript is the same for root and for an unprivileged user, on Linux and in ringlab; with
 * trace=mem the free pages after each round are the same every round (tests/test_fslimits.py).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096
#define DEEP 20                          /* levels of 255-byte names: 5120 bytes, past PATH_MAX */

static char n255[256], n256[257], big[2 * PG];

static const char *en(long r)
{
    if (r >= 0)
        return "ok";
    switch (errno) {
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case ENOENT: return "ENOENT";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    case ERANGE: return "ERANGE";
    case EEXIST: return "EEXIST";
    default: return strerror(errno);
    }
}

/* `len` bytes of `fill` and then `tail`, NUL-terminated, in big. */
static char *padded(size_t len, char fill, const char *tail)
{
    size_t t = strlen(tail);
    memset(big, fill, len - t);
    memcpy(big + len - t, tail, t + 1);
    return big;
}

static void names(void)
{
    printf("namelimits: mkdir tmp/nl: %s\n", en(mkdir("tmp/nl", 0755)));
    if (chdir("tmp/nl"))
        return;
    int fd = open(n255, O_CREAT | O_WRONLY, 0644);
    printf("namelimits: create a 255-byte name: %s\n", en(fd));
    if (fd >= 0) {
        printf("namelimits: write to it: %s\n", en(write(fd, "x", 1)));
        close(fd);
    }
    printf("namelimits: create a 256-byte name: %s\n", en(open(n256, O_CREAT | O_WRONLY, 0644)));
    struct stat st;
    printf("namelimits: stat 255: %s, stat 256: %s\n", en(stat(n255, &st)), en(stat(n256, &st)));
    printf("namelimits: mkdir 256: %s, symlink named 256: %s, link to 256: %s\n",
           en(mkdir(n256, 0755)), en(symlink("x", n256)), en(link(n255, n256)));
    printf("namelimits: mkfifo 256: %s, rename to 256: %s\n", en(mkfifo(n256, 0600)), en(rename(n255, n256)));
    char path[600];
    snprintf(path, sizeof path, "%s/x", n256);
    printf("namelimits: a 256-byte directory name inside a path: %s\n", en(stat(path, &st)));
    DIR *d = opendir(".");
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.')
            printf("namelimits: readdir: a name of %zu bytes\n", strlen(e->d_name));
    if (d)
        closedir(d);
    char other[256];
    memset(other, 'b', 255);
    other[255] = 0;
    printf("namelimits: rename 255 to another 255: %s\n", en(rename(n255, other)));
    printf("namelimits: link back: %s\n", en(link(other, n255)));
    printf("namelimits: unlink both: %s\n", en(unlink(n255)));
    printf("namelimits: and: %s\n", en(unlink(other)));
    printf("namelimits: mkdir 255: %s\n", en(mkdir(n255, 0)));   /* no search permission */
    snprintf(path, sizeof path, "%s/%s", n255, n256);
    printf("namelimits: a 256-byte name in a directory without search permission: %s\n", en(stat(path, &st)));
    printf("namelimits: rmdir 255: %s\n", en(rmdir(n255)));
    chdir("../..");
}

static void paths(void)
{
    struct stat st;
    printf("namelimits: stat of a 4095-byte absolute path: %s\n", en(stat(padded(4095, '/', "dev/null"), &st)));
    printf("namelimits: open of a 4095-byte path: %s\n", en(open(big, O_RDONLY)));
    printf("namelimits: stat of a 4096-byte path: %s\n", en(stat(padded(4096, '/', "dev/null"), &st)));
    printf("namelimits: stat of a 4095-byte relative path: %s\n", en(stat(padded(4095, '/', "./tmp") + 0, &st)));
    big[0] = '.';
    printf("namelimits: the same from .: %s\n", en(stat(big, &st)));
    printf("namelimits: mkdir of a 4096-byte path: %s\n", en(mkdir(padded(4096, '/', "tmp/x"), 0755)));
}

/* getcwd through the system call: ok with the length past the starting directory's, or the error. */
static void show_cwd(const char *what, long base)
{
    static char buf[2 * PG];
    long n = syscall(SYS_getcwd, buf, sizeof buf);
    if (n < 0)
        printf("namelimits: getcwd %s: %s\n", what, en(n));
    else
        printf("namelimits: getcwd %s: base + %ld\n", what, n - base);
    ssize_t r = readlink("/proc/self/cwd", buf, sizeof buf);
    printf("namelimits: /proc/self/cwd %s: %s\n", what, r < 0 ? en(r) : r - (base - 1) >= 0 ? "ok" : "short");
}

static void deep(void)
{
    char buf[PG];
    long base = syscall(SYS_getcwd, buf, sizeof buf);       /* with its NUL */
    mkdir("tmp/deep", 0755);
    if (chdir("tmp/deep"))
        return;
    base += 9;                                             /* "/tmp/deep" */
    int depth = 0;
    for (; depth < DEEP; depth++) {
        if (mkdir(n255, 0755) || chdir(n255))
            break;
        long n = syscall(SYS_getcwd, buf, sizeof buf);
        if (depth == 14 || depth == 15)
            printf("namelimits: depth %d: getcwd %s\n", depth + 1, n < 0 ? en(n) : "ok");
    }
    printf("namelimits: made %d levels of 255-byte names\n", depth);
    show_cwd("at the bottom", base);
    int fd = open("f", O_CREAT | O_RDWR, 0644);
    printf("namelimits: a file at the bottom: %s\n", en(fd));
    printf("namelimits: write %s\n", en(write(fd, "deep", 4)));
    snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
    char link[PG];
    printf("namelimits: readlink of its /proc/self/fd: %s\n", en(readlink(buf, link, sizeof link)));
    close(fd);
    /* up five levels and down again by a relative path of 5 * 256 + 1 bytes */
    for (int i = 0; i < 5; i++)
        chdir("..");
    char rel[6 * 256 + 8] = "";
    for (int i = 0; i < 5; i++)
        strcat(strcat(rel, n255), "/");
    strcat(rel, "f");
    struct stat st;
    long r = stat(rel, &st);
    printf("namelimits: stat by a relative path through 5 levels: %s, size %ld\n", en(r), (long)st.st_size);
    for (int i = 0; i < 5; i++)
        chdir(n255);
    /* the exact limit: the full path of 4095 bytes (+ NUL) is the longest getcwd returns */
    char sub[PG];
    int d = 0;
    for (int i = 0; i < DEEP - 15 && !chdir(".."); i++)
        d++;
    long now = syscall(SYS_getcwd, buf, sizeof buf);       /* depth 15, its length with NUL */
    long room = 4096 - now;                                /* a "/" and a name fill it exactly */
    if (room > 1 && room - 1 <= 255) {
        memset(sub, 'c', (size_t)room - 1);
        sub[room - 1] = 0;
        /* beside the 255-byte name of depth 16 */
        printf("namelimits: mkdir of the exact name: %s\n", en(mkdir(sub, 0755)));
        chdir(sub);
        long n = syscall(SYS_getcwd, buf, sizeof buf);
        printf("namelimits: getcwd of a 4095-byte path: %s\n", n < 0 ? en(n) : n == 4096 ? "4096 with NUL" : "other");
        printf("namelimits: getcwd into 4095 bytes: %s\n", en(syscall(SYS_getcwd, buf, 4095)));
        chdir("..");
        rmdir(sub);
        sub[room - 1] = 'c', sub[room] = 0;
        mkdir(sub, 0755);
        chdir(sub);
        n = syscall(SYS_getcwd, buf, sizeof buf);
        printf("namelimits: getcwd of a 4096-byte path: %s\n", en(n));
        chdir("..");
        rmdir(sub);
    } else {
        printf("namelimits: no room for the exact name (%ld)\n", room);
    }
    for (int i = 0; i < d; i++)
        chdir(n255);
    unlink("f");
    int removed = 0;
    for (int i = 0; i < depth; i++)
        removed += !chdir("..") && !rmdir(n255);
    printf("namelimits: removed %d levels\n", removed);
    chdir("..");
    printf("namelimits: rmdir tmp/deep: %s\n", en(rmdir("deep")));
    chdir("..");
}

static void links(void)
{
    char buf[2 * PG];
    mkdir("tmp/nl", 0755);
    if (chdir("tmp/nl"))
        return;
    /* "./" 2047 times and ".": 4095 bytes naming the link's own directory */
    for (int i = 0; i < 2047; i++)
        memcpy(big + 2 * i, "./", 2);
    big[4094] = '.', big[4095] = 0;
    printf("namelimits: symlink with a 4095-byte target: %s\n", en(symlink(big, "L")));
    ssize_t n = readlink("L", buf, sizeof buf);
    printf("namelimits: readlink: %s, %zd bytes, same: %d\n", en(n), n, n == 4095 && !memcmp(buf, big, 4095));
    struct stat st;
    long r = lstat("L", &st);
    printf("namelimits: lstat size: %s, %ld\n", en(r), (long)st.st_size);
    close(open(n255, O_CREAT | O_WRONLY, 0644));
    char path[600];
    snprintf(path, sizeof path, "L/%s", n255);
    printf("namelimits: through it to a 255-byte name (target and rest past PATH_MAX): %s\n", en(stat(path, &st)));
    printf("namelimits: readlink into 10 bytes: %zd\n", readlink("L", buf, 10));
    big[4095] = '.', big[4096] = 0;
    printf("namelimits: symlink with a 4096-byte target: %s\n", en(symlink(big, "M")));
    snprintf(buf, sizeof buf, "%s/x", n256);
    printf("namelimits: symlink to a 256-byte name: %s\n", en(symlink(buf, "N")));
    printf("namelimits: following it: %s\n", en(stat("N", &st)));
    unlink("N");
    /* 41 links, each a 4000-byte target ending in the next one's name: Lc40 -> ".", so a path
       through Lc0 follows 41 links (ELOOP) and one through Lc1 follows 40 (found), every
       target still being walked when the next one starts */
    char lname[16];
    for (int k = 0; k <= 40; k++) {
        snprintf(lname, sizeof lname, "Lc%d", k + 1);
        for (int i = 0; i < 1995; i++)
            memcpy(big + 2 * i, "./", 2);
        snprintf(big + 3990, 16, "%s", k == 40 ? "." : lname);
        snprintf(lname, sizeof lname, "Lc%d", k);
        symlink(big, lname);
    }
    snprintf(path, sizeof path, "Lc0/%s", n255);
    printf("namelimits: through 41 links of 4000 bytes: %s\n", en(stat(path, &st)));
    snprintf(path, sizeof path, "Lc1/%s", n255);
    printf("namelimits: through 40 of them: %s\n", en(stat(path, &st)));
    printf("namelimits: through 40, no-follow at the end: %s\n", en(lstat("Lc1", &st)));
    for (int k = 0; k <= 40; k++) {
        snprintf(lname, sizeof lname, "Lc%d", k);
        unlink(lname);
    }
    unlink("L");
    unlink(n255);
    chdir("../..");
    printf("namelimits: rmdir tmp/nl: %s\n", en(rmdir("tmp/nl")));
}

static void exec_long(const char *self)
{
    /* "./" then "/" padding then the program's name: a 4095-byte relative path */
    size_t t = strlen(self);
    memset(big, '/', 4095);
    big[0] = '.';
    memcpy(big + 4095 - t, self, t + 1);
    pid_t pid = fork();
    if (pid == 0) {
        execl(big, self, "child", (char *)NULL);
        printf("namelimits: execve of a 4095-byte path: %s\n", en(-1));
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    memset(big, '/', 4096);
    big[0] = '.';
    memcpy(big + 4096 - t, self, t + 1);
    printf("namelimits: execve of a 4096-byte path: %s\n", en(execl(big, self, "child", (char *)NULL)));
}

static void hostile(void)
{
    struct stat st;
    char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(two + PG, PG);
    memset(two, '/', PG);
    printf("namelimits: 4096 bytes without a NUL, then an unmapped page: %s\n", en(stat(two, &st)));
    printf("namelimits: 4095 bytes without a NUL, then an unmapped page: %s\n", en(stat(two + 1, &st)));
    printf("namelimits: symlink target running into the unmapped page: %s\n", en(symlink(two + 1, "tmp/h")));
    printf("namelimits: link name running into the unmapped page: %s\n", en(symlink("x", two + 1)));
    printf("namelimits: a path in the kernel half: %s\n", en(stat((char *)0xffffffff81000000UL, &st)));
    printf("namelimits: a symlink target in the kernel half: %s\n",
           en(symlink((char *)0xffff800000000000UL, "tmp/h")));
    printf("namelimits: getcwd into the kernel half: %s\n", en(syscall(SYS_getcwd, 0xffffffff81000000UL, 4096)));
    char *mb = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(mb, 'a', (1 << 20) - 1);
    mb[(1 << 20) - 1] = 0;
    printf("namelimits: a 1 MiB path: %s\n", en(stat(mb, &st)));
    printf("namelimits: as a symlink target: %s\n", en(symlink(mb, "tmp/h")));
    printf("namelimits: to execve: %s\n", en(execl(mb, "x", (char *)NULL)));
    memset(mb, '/', (1 << 20) - 1);
    printf("namelimits: 1 MiB of slashes: %s\n", en(stat(mb, &st)));
    munmap(mb, 1 << 20);
    munmap(two, PG);
}

static void round_(const char *self)
{
    names();
    paths();
    deep();
    links();
    exec_long(self);
    hostile();
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "child")) {
        printf("namelimits: execve of a 4095-byte path: ran\n");
        return 0;
    }
    memset(n255, 'a', 255);
    memset(n256, 'a', 256);
    int rounds = argc > 1 ? atoi(argv[1]) : 1;
    for (int r = 0; r < rounds; r++) {
        pid_t pid = fork();
        if (pid == 0) {
            round_(argv[0]);
            _exit(0);
        }
        int st;
        waitpid(pid, &st, 0);
        printf("namelimits: round %d: status %d\n", r + 1, st);
    }
    return 0;
}
