/*
 * Every kernel table full at once, from ring 3: processes, open files, pipes, inodes and
 * directory entries, file pages, and memory. A hostile program must get errors (EAGAIN,
 * EMFILE/ENFILE, ENOSPC, ENOMEM), never a panic, and everything must come back when it lets go.
 *
 *   1. take the largest LDT (so that every fork copies it), note the free memory (sysinfo)
 *      and what one round of ordinary work does
 *   2. fork until fork fails; every child takes pipes, files and names until each call fails,
 *      one child also maps memory until mmap fails; each says "full" on a control pipe
 *   3. with everything full: fork, pipe, open, mkdir, mmap and execve must fail cleanly
 *   4. the children are released (the control pipe closes) and reaped; the same ordinary round
 *      works again and the free memory is what it was
 *
 * Output is ringlab's own (Linux's limits are far larger): tests/test_hostile.py checks it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err_name(int e)
{
    switch (e) {
    case EAGAIN: return "EAGAIN";
    case EMFILE: return "EMFILE";
    case ENFILE: return "ENFILE";
    case ENOSPC: return "ENOSPC";
    case ENOMEM: return "ENOMEM";
    case E2BIG: return "E2BIG";
    case EFBIG: return "EFBIG";
    default: return strerror(e);
    }
}

/* Free pages, counting the kernel's caches (bufferram: the open-file cache keeps its pages) */
static unsigned long free_pages(void)
{
    struct sysinfo si;
    sysinfo(&si);
    return (si.freeram + si.bufferram) / 4096;
}

/* Ordinary work: a child, a pipe, a file written and read, a directory, a mapping. */
static int round_ok(const char *when)
{
    int ok = 1, fds[2];
    int c = fork();
    if (c == 0)
        _exit(4);
    int st = 0;
    ok &= c > 0 && waitpid(c, &st, 0) == c && WEXITSTATUS(st) == 4;
    ok &= pipe(fds) == 0 && write(fds[1], "x", 1) == 1 && close(fds[0]) == 0 && close(fds[1]) == 0;
    int fd = open("/tmp/round", O_CREAT | O_RDWR | O_TRUNC, 0600);
    char b[4] = { 0 };
    ok &= fd >= 0 && write(fd, "abc", 3) == 3 && pread(fd, b, 3, 0) == 3 && !strcmp(b, "abc") && close(fd) == 0;
    ok &= unlink("/tmp/round") == 0 && mkdir("/tmp/rounddir", 0700) == 0 && rmdir("/tmp/rounddir") == 0;
    char *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ok &= m != MAP_FAILED && (m[12345] = 1) && munmap(m, 1 << 20) == 0;
    printf("%s: ordinary work %s\n", when, ok ? "works" : "FAILED");
    return ok;
}

/* A child: take what it can of every table, say so, then wait to be let go. */
static void hog(int ctl_r, int ready_w, int index)
{
    char name[64];
    for (;;) {                                   /* descriptors: pipes, then files */
        int fds[2];
        if (pipe(fds))
            break;
    }
    for (int i = 0;; i++) {
        snprintf(name, sizeof name, "/tmp/h%d-%d", index, i);
        int fd = open(name, O_CREAT | O_RDWR, 0600);
        if (fd < 0)
            break;
        if (write(fd, name, 64) < 0)              /* a page of file data each */
            break;
    }
    for (int i = 0;; i++) {                       /* names */
        snprintf(name, sizeof name, "/tmp/d%d-%d", index, i);
        if (mkdir(name, 0700))
            break;
    }
    if (index == 0) {                             /* memory, in one child: all but 16 MiB, */
        char *ring[16] = { 0 }, *m;               /* which the next children take */
        for (int i = 0; (m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)) != MAP_FAILED; i++)
            ring[i % 16] = m;
        for (int i = 0; i < 16; i++)
            if (ring[i])
                munmap(ring[i], 1 << 20);
    }
    if (write(ready_w, "r", 1) != 1)
        _exit(1);
    char b;
    while (read(ctl_r, &b, 1) > 0)
        ;
    _exit(0);                                    /* the kernel closes and frees all of it */
}

static void cleanup_names(void)
{
    char name[64];
    for (int i = 0; i < 64; i++) {
        int misses = 0;
        for (int j = 0; misses < 4; j++) {
            snprintf(name, sizeof name, "/tmp/h%d-%d", i, j);
            misses = unlink(name) ? misses + 1 : 0;
        }
        for (int j = 0;; j++) {
            snprintf(name, sizeof name, "/tmp/d%d-%d", i, j);
            if (rmdir(name))
                break;
        }
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* The largest LDT (entry 8191: 64 KiB, 16 pages in ringlab, ldt.c): every fork below copies
       it (Linux's ldt_dup_context), so forks also fail in that copy once memory runs out, and
       each child's copy is its address space's, to go with it. */
    struct { uint32_t entry_number, base_addr, limit, flags; } ldt = { 8191, 0, 0xfffff,
        1 | 1 << 4 };                                /* 32-bit data, limit in pages, present */
    printf("ldt: %s\n", syscall(SYS_modify_ldt, 0x11, &ldt, sizeof ldt) ? err_name(errno) : "entry 8191 set");
    round_ok("before");
    unsigned long before = free_pages();
    int ctl[2], ready[2];
    if (pipe(ctl) || pipe(ready))
        return 1;
    int children = 0;
    for (;;) {
        int c = fork();
        if (c < 0) {
            printf("fork stopped with %s\n", err_name(errno));
            break;
        }
        if (c == 0) {
            close(ctl[1]);
            close(ready[0]);
            hog(ctl[0], ready[1], children);
        }
        char b;
        if (read(ready[0], &b, 1) != 1)          /* one at a time: each takes what is left */
            return 1;
        children++;
        if (children == 200)
            break;
    }
    printf("children holding everything: %s\n", children > 1 ? "many" : "few");
    /*
     * Everything is full: each call fails with an error, none panics the kernel. A probe may
     * still work: the last child stops at the first allocation that fails, and the partial
     * allocations it (and the failed fork before) gave back can be enough for one pipe (a
     * struct pipe page and its slot array, pipe.c) or a page or two more. What a probe gets
     * is this process's: its pipe's pages live until both ends are closed, a mapping until
     * munmap, a child until it is reaped (docs/lifetimes.md). So each one that worked is given
     * back here, before the children are let go: the comparison below then measures only what
     * the kernel gives back, not what this process still holds (a pipe left open here read as
     * "2 pages LESS" whenever the memory left over happened to fit one).
     */
    int fds[2];
    int c = fork();
    if (c == 0)
        _exit(0);
    printf("fork: %s\n", c < 0 ? err_name(errno) : "worked");
    if (c > 0)
        waitpid(c, NULL, 0);
    if (pipe(fds)) {
        printf("pipe: %s\n", err_name(errno));
    } else {
        printf("pipe: worked\n");
        close(fds[0]);
        close(fds[1]);
    }
    char *m = mmap(NULL, 1 << 24, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    printf("mmap: %s\n", m == MAP_FAILED ? err_name(errno) : "worked");
    if (m != MAP_FAILED)
        munmap(m, 1 << 24);
    /* Let go: the children's last reads see EOF and they end; the kernel frees their tables. */
    close(ctl[1]);
    int reaped = 0;
    while (wait(NULL) > 0)
        reaped++;
    printf("reaped every child: %s\n", reaped == children ? "yes" : "no");
    close(ctl[0]);
    close(ready[0]);
    close(ready[1]);
    cleanup_names();
    round_ok("after");
    unsigned long after = free_pages();
    if (after == before)
        printf("free memory back: exactly\n");
    else if (after < before)
        printf("free memory back: LESS, %lu pages lost (before %lu pages, after %lu)\n", before - after, before,
               after);
    else
        printf("free memory back: more, %lu pages gained (before %lu pages, after %lu)\n", after - before, before,
               after);
    return 0;
}
