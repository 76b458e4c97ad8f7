/*
 * A hostile program from the review of the kernel merged on 7 December
 * (tests/test_review_attacks.py): locked file mappings whose pages past the end of the file
 * change under them. Each step prints only what Linux defines, so the host's output is the
 * reference.
 *
 *   A shared file mapping of two pages over a one-page file, locked by mlockall(MCL_CURRENT |
 *   MCL_FUTURE): the vma is locked as a whole (Linux's locked_vm counts the page past the end
 *   too, /proc/PID/status VmLck). The file grows over that page and ring 3 touches it (the
 *   fault maps the file's page): still as locked, VmLck unchanged. mremap grows the mapping
 *   in place by two pages (past the end again): a locked vma grows locked (mm/mremap.c:
 *   locked_vm += the growth), VmLck grows by 8 kB. A second mapping, private, the same way.
 *   munlockall then mlock of the two pages: mlock's populate meets the page past the end
 *   (SIGBUS to a fault: -EFAULT, mlock's ENOMEM) and the pages stay locked anyway; so does a
 *   PROT_NONE mapping's (Linux's populate_vma_page_range: no FOLL_FORCE for an inaccessible
 *   vma), and mlock2(MLOCK_ONFAULT) populates nothing: 0.
 *
 *   membus: /proc/self/mem (FOLL_FORCE) over a shared file mapping's page past the end of
 *   the file: Linux's fault there is SIGBUS, so a read or a write of it is EIO.
 *
 *   statusrace: /proc/PID/status read over and over while PID, a process with 32 MiB mapped,
 *   ends: VmLck counts its locked pages by walking its page tables (mlock.c), and that walk
 *   yields; the reader must keep the address space alive across it (Linux's get_task_mm in
 *   proc_pid_status), or it walks freed page tables. Linux reads every time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L

/* /proc/self/status VmLck, in kB, or -1 */
static long vmlck(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmLck:", 6))
            kb = strtol(line + 6, NULL, 10);
    if (f)
        fclose(f);
    return kb;
}

static const char *err(long r)
{
    return r < 0 ? strerror(errno) : "ok";
}

static void one(int shared)
{
    const char *kind = shared ? "shared" : "private";
    char path[] = "/tmp/revlockXXXXXX";
    int fd = mkstemp(path);
    char page[PG];
    memset(page, 'a', sizeof page);
    if (fd < 0 || write(fd, page, PG) != PG) {
        printf("revlock: %s: setup failed\n", kind);
        return;
    }
    unlink(path);
    /* six pages of room, the file's two mapped at its start, the other four left free */
    char *room = mmap(NULL, 6 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *p = mmap(room, 2 * PG, PROT_READ | PROT_WRITE, (shared ? MAP_SHARED : MAP_PRIVATE) | MAP_FIXED, fd, 0);
    munmap(room + 2 * PG, 4 * PG);
    long r = mlockall(MCL_CURRENT | MCL_FUTURE);
    printf("revlock: %s: mlockall: %s\n", kind, err(r));
    long before = vmlck();
    ftruncate(fd, 2 * PG);
    p[PG] = 'b';                             /* the page past the old end, the file's now */
    printf("revlock: %s: the grown-over page touched: VmLck %+ld kB\n", kind, vmlck() - before);
    before = vmlck();
    char *q = mremap(p, 2 * PG, 4 * PG, 0);
    printf("revlock: %s: mremap growing it in place: %s\n", kind, q == MAP_FAILED ? strerror(errno) : "ok");
    printf("revlock: %s: after the growth: VmLck %+ld kB\n", kind, vmlck() - before);
    munlockall();
    printf("revlock: %s: munlockall: VmLck %ld kB\n", kind, vmlck());
    munmap(p, 4 * PG);
    /* mlock over a page past the end: the pages are locked, the populate fails */
    ftruncate(fd, PG);
    p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, shared ? MAP_SHARED : MAP_PRIVATE, fd, 0);
    r = mlock(p, 2 * PG);
    printf("revlock: %s: mlock past the end: %s, VmLck %ld kB\n", kind, err(r), vmlck());
    munlock(p, 2 * PG);
    munmap(p, 2 * PG);
    close(fd);
}

#define RACE_ROUNDS 6
#define RACE_PAGES 8192                      /* the ending process's memory: a long walk */

static int statusrace(void)
{
    for (int round = 0; round < RACE_ROUNDS; round++) {
        int go[2];
        if (pipe(go))
            return 1;
        pid_t c = fork();
        if (c == 0) {
            char *m = mmap(NULL, RACE_PAGES * PG, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
            write(go[1], m == MAP_FAILED ? "n" : "y", 1);
            for (volatile long i = 0; i < 2000000L * (round + 1); i++)
                ;                                /* ends at a different moment each round */
            _exit(0);
        }
        char ok = 0, path[64], buf[4096];
        read(go[0], &ok, 1);
        close(go[0]);
        close(go[1]);
        snprintf(path, sizeof path, "/proc/%d/status", (int)c);
        for (;;) {                               /* until it is a zombie (or reaped: not here) */
            int fd = open(path, O_RDONLY);
            ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
            if (fd >= 0)
                close(fd);
            if (n <= 0)
                break;
            buf[n] = 0;
            if (strstr(buf, "State:\tZ"))
                break;
        }
        int st = -1;
        waitpid(c, &st, 0);
        printf("revlock: statusrace round %d: mapped %s, status %d\n", round + 1, ok == 'y' ? "yes" : "no", st);
    }
    return 0;
}

/* membus: /proc/self/mem over a shared file mapping's page past the file's end */
static int membus(void)
{
    char path[] = "/tmp/revlockXXXXXX", page[PG];
    int fd = mkstemp(path);
    memset(page, 'a', sizeof page);
    if (fd < 0 || write(fd, page, PG) != PG)
        return 1;
    unlink(path);
    char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    int mem = open("/proc/self/mem", O_RDWR);
    ssize_t r = pread(mem, page, 16, (off_t)(uintptr_t)(p + PG));
    printf("revlock: membus: read past the end: %s\n", r < 0 ? strerror(errno) : "bytes");
    memset(page, 'z', 16);
    r = pwrite(mem, page, 16, (off_t)(uintptr_t)(p + PG));
    printf("revlock: membus: write past the end: %s\n", r < 0 ? strerror(errno) : "bytes");
    r = pread(mem, page, 16, (off_t)(uintptr_t)(p + PG - 8));
    printf("revlock: membus: read across the end: %zd\n", r);
    ftruncate(fd, 2 * PG);
    printf("revlock: membus: the file grown, its page reads '%c'\n", p[PG] ? p[PG] : '0');
    r = pread(mem, page, 16, (off_t)(uintptr_t)(p + PG));
    printf("revlock: membus: read of it now: %zd\n", r);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && !strcmp(argv[1], "membus"))
        return membus();
    if (argc > 1 && !strcmp(argv[1], "statusrace"))
        return statusrace();
    one(1);
    one(0);
    /* PROT_NONE: mlock's populate may not touch it (no FOLL_FORCE: -EFAULT, ENOMEM), locked anyway */
    char *n = mmap(NULL, 2 * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long r = mlock(n, 2 * PG);
    printf("revlock: mlock of PROT_NONE: %s, VmLck %ld kB\n", err(r), vmlck());
    r = syscall(SYS_mlock2, n, 2 * PG, 1);   /* MLOCK_ONFAULT: nothing populated, nothing fails */
    printf("revlock: mlock2 MLOCK_ONFAULT of PROT_NONE: %s, VmLck %ld kB\n", err(r), vmlck());
    return 0;
}
