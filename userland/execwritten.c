/* execve of files written at run time, as Linux runs them: the program copies its own
 * executable (argv[0] in the current directory, or /proc/self/exe) into a fresh directory,
 * makes it executable and runs the copy, which says so; a copy changed after it was written,
 * one without an execute bit, an empty file and a text file each give Linux's answer. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *e(int err)
{
    switch (err) {
    case 0: return "ok";
    case EACCES: return "EACCES";
    case ENOEXEC: return "ENOEXEC";
    case ENOENT: return "ENOENT";
    default: return strerror(err);
    }
}

static int copy(const char *from, const char *to, mode_t mode)
{
    int in = open(from, O_RDONLY), out = open(to, O_CREAT | O_WRONLY | O_TRUNC, mode);
    char buf[4096];
    long n;
    if (in < 0 || out < 0)
        return -1;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, n) != n)
            return -1;
    close(in);
    close(out);
    return 0;
}

/* Run path with argument "copy"; returns the child's exit status or, if execve failed, the
   errno (+ 1000). */
static int run(const char *path)
{
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return -1;
    pid_t c = fork();
    if (c == 0) {
        execl(path, path, "copy", (char *)NULL);
        int err = errno;
        (void)!write(p[1], &err, sizeof err);
        _exit(127);
    }
    close(p[1]);
    int err = 0, st;
    long n = read(p[0], &err, sizeof err);
    close(p[0]);
    waitpid(c, &st, 0);
    return n == sizeof err ? 1000 + err : WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "copy")) {
        printf("the copy runs: %s\n", argv[0][0] == '/' ? "yes" : "yes (relative)");
        return 7;
    }
    char tmpl[] = "/tmp/execwrittenXXXXXX";
    char *top = mkdtemp(tmpl);
    if (!top)
        return 2;
    char self[256], path[300];
    if (access("/proc/self/exe", R_OK) == 0)
        snprintf(self, sizeof self, "/proc/self/exe");
    else
        snprintf(self, sizeof self, "%s", argv[0]);
    snprintf(path, sizeof path, "%s/copy", top);
    printf("copied: %s\n", copy(self, path, 0755) == 0 ? "ok" : strerror(errno));
    fflush(stdout);
    int s = run(path);
    printf("run the copy: %s\n", s >= 1000 ? e(s - 1000) : s == 7 ? "exit 7" : "other");
    /* written once more in place: the new bytes are what runs */
    int fd = open(path, O_WRONLY);
    struct stat st;
    fstat(fd, &st);
    char b;
    pread(fd, &b, 1, 0);
    close(fd);
    fflush(stdout);
    s = run(path);
    printf("again: %s\n", s >= 1000 ? e(s - 1000) : s == 7 ? "exit 7" : "other");
    chmod(path, 0644);
    s = run(path);
    printf("without an execute bit: %s\n", s >= 1000 ? e(s - 1000) : "ran");
    snprintf(path, sizeof path, "%s/empty", top);
    close(open(path, O_CREAT | O_WRONLY, 0755));
    s = run(path);
    printf("an empty file: %s\n", s >= 1000 ? e(s - 1000) : "ran");
    snprintf(path, sizeof path, "%s/text", top);
    fd = open(path, O_CREAT | O_WRONLY, 0755);
    (void)!write(fd, "hello, this is not an ELF file\n", 31);
    close(fd);
    s = run(path);
    printf("a text file without #!: %s\n", s >= 1000 ? e(s - 1000) : "ran");
    unlink(path);
    snprintf(path, sizeof path, "%s/empty", top);
    unlink(path);
    snprintf(path, sizeof path, "%s/copy", top);
    unlink(path);
    printf("cleaned up: %s\n", rmdir(top) == 0 ? "ok" : strerror(errno));
    return 0;
}
