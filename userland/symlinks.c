/* Symbolic links as Linux has them: symlink/symlinkat, readlink, lstat, following on the way
 * and at the end, O_NOFOLLOW, ELOOP past 40 links, trailing slashes, dangling links that
 * O_CREAT fills, hard links to links, the *at calls' AT_SYMLINK_NOFOLLOW/FOLLOW, getdents'
 * DT_LNK. Everything happens in a fresh mkdtemp directory under /tmp and is printed relative
 * to it, so the host's Linux and ringlab print the same lines (as root and as a user). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EEXIST: return "EEXIST";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    case EINVAL: return "EINVAL";
    case EISDIR: return "EISDIR";
    case ENAMETOOLONG: return "ENAMETOOLONG";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EFAULT: return "EFAULT";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static void rl(const char *path, size_t size)
{
    char buf[256];
    memset(buf, 0, sizeof buf);
    long n = readlink(path, buf, size);
    if (n < 0)
        printf("readlink %s (%zu): %s\n", path, size, e(n));
    else
        printf("readlink %s (%zu): %ld \"%.*s\"\n", path, size, n, (int)n, buf);
}

static const char *type(const char *path, int follow)
{
    struct stat st;
    static char buf[64];
    if ((follow ? stat(path, &st) : lstat(path, &st)) < 0)
        return e(-1);
    snprintf(buf, sizeof buf, "%s size=%lld nlink=%lu", S_ISLNK(st.st_mode) ? "link" :
             S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other",
             S_ISDIR(st.st_mode) ? 0LL : (long long)st.st_size, (unsigned long)st.st_nlink);
    return buf;
}

int main(void)
{
    char tmpl[] = "/tmp/symlinksXXXXXX";
    char *top = mkdtemp(tmpl);
    if (!top || chdir(top))
        return 2;
    int fd;
    printf("symlink dangling: %s\n", e(symlink("target", "l1")));
    rl("l1", 255);
    rl("l1", 3);
    printf("readlink bufsiz 0: %s\n", e(readlink("l1", (char[4]){0}, 0)));
    printf("lstat l1: %s\n", type("l1", 0));
    printf("stat l1 (dangling): %s\n", type("l1", 1));
    printf("open l1 O_RDONLY (dangling): %s\n", e(open("l1", O_RDONLY)));
    fd = open("l1", O_CREAT | O_WRONLY, 0644);
    printf("open l1 O_CREAT creates the target: %s, target: %s\n", e(fd), type("target", 0));
    printf("write through the link: %s\n", e(write(fd, "hello", 5)));
    close(fd);
    printf("stat l1: %s\n", type("l1", 1));
    printf("open l1 O_CREAT|O_EXCL: %s\n", e(open("l1", O_CREAT | O_EXCL | O_WRONLY, 0644)));
    printf("open l1 O_NOFOLLOW: %s\n", e(open("l1", O_RDONLY | O_NOFOLLOW)));
    printf("open l1 O_CREAT|O_NOFOLLOW: %s\n", e(open("l1", O_CREAT | O_WRONLY | O_NOFOLLOW, 0644)));
    printf("open target O_NOFOLLOW: %s\n", e(fd = open("target", O_RDONLY | O_NOFOLLOW)));
    close(fd);
    printf("readlink of a file: %s\n", e(readlink("target", (char[8]){0}, 8)));
    printf("readlink missing: %s\n", e(readlink("missing", (char[8]){0}, 8)));
    printf("symlink to an existing name: %s\n", e(symlink("x", "target")));
    printf("symlink empty target: %s\n", e(symlink("", "empty")));
    static char big[5000];
    memset(big, 'a', sizeof big - 1);
    printf("symlink target of 4999 bytes: %s\n", e(symlink(big, "big")));
    printf("symlink bad pointer: %s\n", e(syscall(SYS_symlink, (void *)8, "bad")));

    /* directories through links; relative targets from the link's own directory */
    mkdir("sub", 0755);
    printf("symlink to a directory: %s\n", e(symlink("sub", "d")));
    printf("symlink relative: %s\n", e(symlink("../target", "sub/up")));
    printf("stat d/up: %s\n", type("d/up", 1));
    printf("lstat d/: %s\n", type("d/", 0));
    printf("stat l1/ (a file): %s\n", type("l1/", 1));
    printf("mkdir over a link: %s\n", e(mkdir("d", 0755)));
    printf("rmdir a link to a directory: %s\n", e(rmdir("d")));
    printf("chdir d: %s\n", e(chdir("d")));
    char cwd[512];
    printf("getcwd ends in /sub: %s\n", getcwd(cwd, sizeof cwd) && strstr(cwd, "/sub") ? "yes" : "no");
    printf("chdir back: %s\n", e(chdir("..")));
    char abs[256];
    snprintf(abs, sizeof abs, "%s/target", top);
    printf("symlink absolute: %s\n", e(symlink(abs, "abs")));
    printf("stat abs: %s\n", type("abs", 1));

    /* loops and the 40-link limit */
    symlink("b", "a");
    symlink("a", "b");
    printf("stat a (loop): %s\n", type("a", 1));
    printf("open a (loop): %s\n", e(open("a", O_RDONLY)));
    printf("lstat a: %s\n", type("a", 0));
    char name[16], next[16];
    for (int i = 1; i <= 41; i++) {
        snprintf(name, sizeof name, "c%d", i);
        snprintf(next, sizeof next, i == 41 ? "target" : "c%d", i + 1);
        symlink(next, name);
    }
    printf("stat c2 (40 links): %s\n", type("c2", 1));
    printf("stat c1 (41 links): %s\n", type("c1", 1));

    /* hard links, renames, unlinks act on the link itself unless asked */
    printf("link to a symlink: %s, lstat l1: %s\n", e(link("l1", "hard")), type("l1", 0));
    printf("linkat AT_SYMLINK_FOLLOW: %s, stat target: %s\n",
           e(linkat(AT_FDCWD, "l1", AT_FDCWD, "hard2", AT_SYMLINK_FOLLOW)), type("target", 0));
    printf("rename a link: %s, readlink: ", e(rename("hard", "moved")));
    fflush(stdout);
    rl("moved", 64);
    printf("unlink the link: %s, target still: %s\n", e(unlink("moved")), type("target", 0));
    printf("chmod through a link: %s\n", e(chmod("l1", 0600)));
    struct stat st;
    lstat("l1", &st);
    printf("the link's mode stays 0777: %s\n", (st.st_mode & 0777) == 0777 ? "yes" : "no");
    stat("target", &st);
    printf("the target's mode: %o\n", st.st_mode & 0777);
    printf("fchownat AT_SYMLINK_NOFOLLOW to my own ids: %s\n",
           e(fchownat(AT_FDCWD, "l1", getuid(), getgid(), AT_SYMLINK_NOFOLLOW)));
    printf("lchown to my own ids: %s\n", e(lchown("l1", getuid(), getgid())));
    printf("utimensat AT_SYMLINK_NOFOLLOW: %s\n", e(utimensat(AT_FDCWD, "l1", NULL, AT_SYMLINK_NOFOLLOW)));
    printf("access through a link: %s\n", e(access("l1", R_OK)));
    printf("faccessat AT_SYMLINK_NOFOLLOW: %s\n", e(syscall(SYS_faccessat2, AT_FDCWD, "l1", R_OK, AT_SYMLINK_NOFOLLOW)));
    int dfd = open(".", O_RDONLY | O_DIRECTORY);
    printf("symlinkat: %s\n", e(symlinkat("target", dfd, "l2")));
    char buf[64];
    long n = readlinkat(dfd, "l2", buf, sizeof buf);
    printf("readlinkat: %ld \"%.*s\"\n", n, (int)(n > 0 ? n : 0), buf);
    struct stat fs;
    printf("fstatat AT_SYMLINK_NOFOLLOW: %s link=%s\n", e(fstatat(dfd, "l2", &fs, AT_SYMLINK_NOFOLLOW)),
           S_ISLNK(fs.st_mode) ? "yes" : "no");

    /* getdents' type */
    DIR *dir = opendir(".");
    struct dirent *de;
    int links = 0, files = 0, dirs = 0;
    while ((de = readdir(dir)))
        links += de->d_type == DT_LNK, files += de->d_type == DT_REG, dirs += de->d_type == DT_DIR;
    closedir(dir);
    printf("readdir: %d links, %d files, %d directories\n", links, files, dirs);

    /* leave nothing behind */
    dir = opendir(".");
    while ((de = readdir(dir)))
        if (de->d_type != DT_DIR)
            unlink(de->d_name);
    closedir(dir);
    unlink("sub/up");
    rmdir("sub");
    chdir("/");
    printf("cleaned up: %s\n", e(rmdir(top)));
    return 0;
}
