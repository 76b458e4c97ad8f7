/* mremap of file mappings as Linux (tests/test_mremapfile.py): growing a MAP_SHARED or
 * MAP_PRIVATE mapping of a file, in place or moved, maps the file's next pages (shared: the
 * file's own, private: copies); a page past the end of the file is SIGBUS (BUS_ADRERR at its
 * address) until the file grows over it (ftruncate, write); shrinking and moving keep the
 * offsets; a SysV shm attachment grown past its segment is SIGBUS. Hostile arguments: huge
 * sizes, the kernel half, old_size 0, MREMAP_FIXED over another file mapping,
 * MREMAP_DONTUNMAP, a thread truncating the file while another grows and shrinks a mapping of
 * it. In a fresh mkdtemp directory, as root and as a user, so the host's Linux and ringlab
 * print the same lines (no addresses: offsets from a mapping's start).
 * `rounds N` (tests/parity.py assert_rounds_give_every_page_back): all of it in a child, N
 * rounds (1 without N). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L

static sigjmp_buf jump;
static volatile int got_code;
static char *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(jump, sig);
}

/* Read (or write, `w`) the byte at p: "'c'" or the byte's value, or the signal with its code
   and its address as an offset from base. */
static const char *touch(char *base, char *p, int w)
{
    static char out[64];
    int sig = sigsetjmp(jump, 1);
    if (sig) {
        snprintf(out, sizeof out, "%s code %d at +%ld", sig == SIGBUS ? "SIGBUS" : "SIGSEGV", got_code,
                 (long)(got_addr - base));
        return out;
    }
    if (w)
        *(volatile char *)p = 'W';
    char c = *(volatile char *)p;
    if (c >= ' ' && c < 127)
        snprintf(out, sizeof out, "'%c'", c);
    else
        snprintf(out, sizeof out, "%d", c);
    return out;
}

static const char *e(void *r)
{
    static char buf[16];
    if (r != MAP_FAILED)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

/* A file of `pages` pages 'a', 'b', ... and `tail` bytes more of the next letter. */
static int make_file(const char *name, int pages, int tail)
{
    char buf[PG];
    int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0600);
    for (int i = 0; i <= pages; i++) {
        memset(buf, 'a' + i, sizeof buf);
        (void)!pwrite(fd, buf, i < pages ? PG : tail, i * PG);
    }
    return fd;
}

/* A free stretch of n pages (mapped and unmapped again). */
static char *hole(long n)
{
    char *p = mmap(NULL, n * PG, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(p, n * PG);
    return p;
}

static void grow(int fd, int flags, const char *what)
{
    char buf[8];
    /* in place: the pages above are free (no MREMAP_MAYMOVE) */
    char *h = hole(8);
    char *p = mmap(h, PG, PROT_READ | PROT_WRITE, flags | MAP_FIXED, fd, 0);
    char *q = mremap(p, PG, 5 * PG, 0);
    printf("%s grown in place: %s, same address %d\n", what, e(q), q == p);
    for (int i = 1; i < 5; i++)
        printf("%s in place page %d: %s\n", what, i, touch(q, q + i * PG + 7, 0));
    printf("%s write to page 1: %s\n", what, touch(q, q + PG, 1));
    pread(fd, buf, 1, PG);
    printf("%s the file's byte there: '%c'\n", what, buf[0]);
    pwrite(fd, "b", 1, PG);
    if (flags == MAP_SHARED) {               /* (a private page copies the file here when mapped:
                                                docs/kernel.md's difference) */
        pwrite(fd, "C", 1, 2 * PG + 1);
        printf("%s write(2) seen by page 2: %s\n", what, touch(q, q + 2 * PG + 1, 0));
        pwrite(fd, "c", 1, 2 * PG + 1);
    }
    munmap(q, 5 * PG);

    /* moved: a mapping right above it blocks the growth */
    h = hole(3);
    p = mmap(h, PG, PROT_READ, flags | MAP_FIXED, fd, 0);
    char *block = mmap(h + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("%s blocked growth without MREMAP_MAYMOVE: %s\n", what, e(mremap(p, PG, 4 * PG, 0)));
    q = mremap(p, PG, 4 * PG, MREMAP_MAYMOVE);
    printf("%s moved: %s, moved %d, old address %s\n", what, e(q), q != p, touch(p, p, 0));
    for (int i = 0; i < 4; i++)
        printf("%s moved page %d: %s\n", what, i, touch(q, q + i * PG + 9, 0));
    /* shrink, then grow again: the same offsets */
    char *s = mremap(q, 4 * PG, PG, 0);
    printf("%s shrunk: %s, page 1 %s\n", what, e(s), touch(s, s + PG, 0));
    s = mremap(s, PG, 3 * PG, MREMAP_MAYMOVE);
    printf("%s grown again: %s, pages %s", what, e(s), touch(s, s, 0));
    printf(" %s", touch(s, s + PG, 0));
    printf(" %s\n", touch(s, s + 2 * PG, 0));
    munmap(s, 3 * PG);
    munmap(block, PG);

    /* from offset one page, its middle page moved and grown: the offsets go on from it */
    p = mmap(NULL, 2 * PG, PROT_READ, flags, fd, PG);
    q = mremap(p + PG, PG, 3 * PG, MREMAP_MAYMOVE);
    printf("%s middle moved: %s, %s", what, e(q), touch(q, q, 0));
    printf(" %s", touch(q, q + PG, 0));
    printf(" %s\n", touch(q, q + 2 * PG, 0));
    printf("%s the first page stays: %s\n", what, touch(p, p, 0));
    munmap(p, PG);
    munmap(q, 3 * PG);
}

/* A page past the end of the file at mremap time, then the file grows over it. */
static void later(int fd, int flags, const char *what)
{
    ftruncate(fd, 2 * PG + 100);
    char *p = mmap(NULL, PG, PROT_READ | PROT_WRITE, flags, fd, 0);
    char *q = mremap(p, PG, 6 * PG, MREMAP_MAYMOVE);
    printf("%s grown past the end: %s, page 3 %s\n", what, e(q), touch(q, q + 3 * PG + 5, 0));
    ftruncate(fd, 4 * PG + 1);
    printf("%s after ftruncate: page 3 %s", what, touch(q, q + 3 * PG + 5, 0));
    printf(", page 4 %s", touch(q, q + 4 * PG, 0));
    printf(", page 5 %s\n", touch(q, q + 5 * PG, 0));
    pwrite(fd, "L", 1, 5 * PG + 3);
    printf("%s after a write past the end: page 5 %s\n", what, touch(q, q + 5 * PG + 3, 0));
    printf("%s a write to page 3: %s", what, touch(q, q + 3 * PG, 1));
    char c = 0;
    pread(fd, &c, 1, 3 * PG);
    printf(", the file's byte %d\n", c);
    munmap(q, 6 * PG);
    ftruncate(fd, 2 * PG + 100);
}

/* Past the end of the file an access the rights refuse is SIGSEGV (Linux checks the vma's
   rights before the file), and a PROT_NONE page stays inaccessible once the file grows. */
static void protnone(int fd)
{
    char *p = mmap(NULL, 3 * PG, PROT_READ, MAP_SHARED, fd, 0);
    char *q = mremap(p, 3 * PG, 5 * PG, MREMAP_MAYMOVE);
    mprotect(q + 4 * PG, PG, PROT_NONE);
    printf("past the end: PROT_NONE page %s", touch(q, q + 4 * PG, 0));
    printf(", a write to a PROT_READ page %s", touch(q, q + 3 * PG, 1));
    printf(", a read of it %s\n", touch(q, q + 3 * PG, 0));
    ftruncate(fd, 5 * PG);
    printf("PROT_NONE page past the end, file grown: %s", touch(q, q + 4 * PG, 0));
    printf(", page 3 %s\n", touch(q, q + 3 * PG, 0));
    munmap(q, 5 * PG);
    ftruncate(fd, 2 * PG + 100);
}

/* MREMAP_DONTUNMAP (Linux 5.7, file mappings since 5.13): the pages move, the old range stays
   mapped as a fresh mapping of the same thing (a file's pages again, zeros for private anonymous
   memory, the same pages for shared anonymous memory). */
static void dontunmap(int fd)
{
    static const struct { int flags; const char *what; } kinds[] = {
        { MAP_SHARED, "shared file" }, { MAP_PRIVATE, "private file" },
        { MAP_SHARED | MAP_ANONYMOUS, "shared anonymous" }, { MAP_PRIVATE | MAP_ANONYMOUS, "private anonymous" },
    };
    for (int k = 0; k < 4; k++) {
        int anon = kinds[k].flags & MAP_ANONYMOUS;
        char *p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, kinds[k].flags, anon ? -1 : fd, 0);
        p[5] = 'M';
        printf("DONTUNMAP %s, growing: %s\n", kinds[k].what,
               e(mremap(p, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP)));
        printf("DONTUNMAP %s, no MREMAP_MAYMOVE: %s\n", kinds[k].what,
               e(mremap(p, 2 * PG, 2 * PG, MREMAP_DONTUNMAP)));
        char *q = mremap(p, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
        printf("DONTUNMAP %s: %s, moved %d", kinds[k].what, e(q), q != p);
        if (q != MAP_FAILED) {
            printf(", new %s", touch(q, q + 5, 0));
            printf(" %s", touch(q, q + PG + 1, 0));
            printf(", old %s", touch(p, p + 5, 0));
            printf(" %s", touch(p, p + PG + 1, 0));
            q[6] = 'N';
            printf(", old after a write to the new %s", touch(p, p + 6, 0));
            munmap(q, 2 * PG);
        }
        printf("\n");
        if (!anon)
            pwrite(fd, "aa", 2, 5);
        munmap(p, 2 * PG);
    }
}

static void hostile(int fd)
{
    char *p = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0);
    printf("huge growth, 2^47: %s\n", e(mremap(p, PG, 1L << 47, MREMAP_MAYMOVE)));
    printf("huge growth, 2^64 - 4096: %s\n", e(mremap(p, PG, -PG, MREMAP_MAYMOVE)));
    printf("to the kernel half: %s\n",
           e(mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0xffff800000000000UL)));
    printf("to the top of the user half: %s\n",
           e(mremap(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(0x800000000000UL - PG))));
    if (getuid())                            /* root may map page 0 on Linux (CAP_SYS_RAWIO), not here */
        printf("to page 0: %s\n", e(mremap(p, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0)));
    printf("from the kernel half: %s\n", e(mremap((void *)0xffff800000000000UL, PG, 2 * PG, MREMAP_MAYMOVE)));
    printf("old range past the mapping: %s\n", e(mremap(p, 3 * PG, 4 * PG, MREMAP_MAYMOVE)));
    dontunmap(fd);
    char *pr = mmap(NULL, PG, PROT_READ, MAP_PRIVATE, fd, 0);
    printf("old_size 0 of a private file mapping: %s\n", e(mremap(pr, 0, PG, MREMAP_MAYMOVE)));
    printf("old_size 0 without MREMAP_MAYMOVE: %s\n", e(mremap(p, 0, 2 * PG, 0)));
    char *d = mremap(p, 0, 4 * PG, MREMAP_MAYMOVE);
    printf("old_size 0 of a shared file mapping: %s, a new mapping %d\n", e(d), d != p);
    if (d != MAP_FAILED) {
        pwrite(fd, "D", 1, 10);
        printf("the duplicate: %s", touch(d, d + 10, 0));
        printf(" %s", touch(d, d + PG, 0));
        printf(" %s\n", touch(d, d + 3 * PG, 0));
        munmap(d, 4 * PG);
    }
    pwrite(fd, "a", 1, 10);
    /* MREMAP_FIXED over another file's mapping: replaced, the rest of it stays */
    int g = make_file("g", 4, 0);
    char *t = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, g, 0);
    char *m = mremap(p, PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, t + PG);
    printf("over another file mapping: %s, %s", e(m), touch(t, t, 0));
    printf(" %s", touch(t, t + PG, 0));
    printf(" %s", touch(t, t + 2 * PG, 0));
    printf(" %s\n", touch(t, t + 3 * PG, 0));
    munmap(t, 4 * PG);
    munmap(pr, PG);
    close(g);
    unlink("g");
}

static void shm(void)
{
    int id = shmget(IPC_PRIVATE, 2 * PG, IPC_CREAT | 0600);
    char *a = shmat(id, NULL, 0);
    shmctl(id, IPC_RMID, NULL);
    a[PG] = 'S';
    char *q = mremap(a, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
    printf("shm attachment grown: %s, page 1 %s", e(q), touch(q, q + PG, 0));
    printf(", page 2 %s\n", touch(q, q + 2 * PG + 8, 0));
    shmdt(q);
    munmap(q, 4 * PG);
}

static volatile int racing;

static void *truncator(void *arg)
{
    int fd = (int)(intptr_t)arg;
    for (int i = 0; racing; i++)
        ftruncate(fd, (i % 5 + 1) * PG);
    return NULL;
}

/* A thread truncates the file while this one grows, moves and shrinks a mapping of it, reads
   its first page (always inside the file: 'a') and touches its fourth (inside or past the end
   as the race goes, either way as Linux: not printed). */
static void race(int fd)
{
    pthread_t t;
    racing = 1;
    pthread_create(&t, NULL, truncator, (void *)(intptr_t)fd);
    int bad = 0;
    for (int i = 0; i < 200; i++) {
        char *p = mmap(NULL, PG, PROT_READ, i % 2 ? MAP_SHARED : MAP_PRIVATE, fd, 0);
        char *q = mremap(p, PG, 6 * PG, MREMAP_MAYMOVE);
        if (q == MAP_FAILED) {
            bad++;
            munmap(p, PG);
            continue;
        }
        bad += *q != 'a';
        touch(q, q + 3 * PG, 0);             /* past the end or not, as the race goes: either */
        q = mremap(q, 6 * PG, 2 * PG, 0);
        munmap(q, 2 * PG);
    }
    racing = 0;
    pthread_join(t, NULL);
    printf("racing a truncating thread: %d bad\n", bad);
    ftruncate(fd, 2 * PG + 100);
}

static int all(void)
{
    char tmpl[] = "/tmp/mremapfileXXXXXX";
    char *top = mkdtemp(tmpl);
    if (!top || chdir(top))
        return 2;
    struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_SIGINFO | SA_NODEFER };
    sigaction(SIGBUS, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    int fd = make_file("f", 2, 100);         /* 'a' 'b' and 100 bytes of 'c': 3 pages */
    grow(fd, MAP_SHARED, "shared");
    grow(fd, MAP_PRIVATE, "private");
    later(fd, MAP_SHARED, "shared");
    later(fd, MAP_PRIVATE, "private");
    protnone(fd);
    hostile(fd);
    shm();
    race(fd);
    close(fd);
    unlink("f");
    chdir("/");
    printf("cleaned up: %d\n", rmdir(top));
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "rounds"))
        return all();
    int rounds = argc > 2 ? atoi(argv[2]) : 1;
    for (int round = 1; round <= rounds; round++) {
        pid_t c = fork();
        if (c == 0)
            _exit(all());
        int st;
        waitpid(c, &st, 0);
        printf("mremapfile: round %d: status %d\n", round, st);
        fflush(stdout);
    }
    return 0;
}
