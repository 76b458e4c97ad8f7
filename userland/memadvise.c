/*
 * memadvise: madvise and mremap as Linux does them, compared with the host.
 * MADV_DONTNEED gives zeros back on private anonymous memory and keeps the data of
 * shared anonymous memory; hints are accepted; bad advice, alignment and holes give
 * Linux's errors. mremap shrinks, grows in place, moves (MREMAP_MAYMOVE) and moves to
 * a chosen address (MREMAP_FIXED) keeping the contents. Only contents and errors are
 * printed: where the kernel places a mapping differs between systems.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096L
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22   /* Linux 5.14; not in musl's headers yet */
#define MADV_POPULATE_WRITE 23
#endif

static const char *res(long r)
{
    static char buf[64];
    snprintf(buf, sizeof buf, r == -1 ? "-1 %s" : "%s", r == -1 ? strerror(errno) : "ok");
    return buf;
}

static char *map(long pages, int flags)
{
    return mmap(0, pages * PG, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);
}

static int all(const char *p, long n, char c)
{
    for (long i = 0; i < n; i++)
        if (p[i] != c)
            return 0;
    return 1;
}

static void madvise_cases(void)
{
    char *priv = map(4, MAP_PRIVATE), *shared = map(2, MAP_SHARED);
    memset(priv, 'a', 4 * PG);
    memset(shared, 's', 2 * PG);
    printf("DONTNEED private (pages 1-2): %s\n", res(madvise(priv + PG, 2 * PG, MADV_DONTNEED)));
    printf("  page 0 kept %d, pages 1-2 zero %d, page 3 kept %d\n", all(priv, PG, 'a'), all(priv + PG, 2 * PG, 0),
           all(priv + 3 * PG, PG, 'a'));
    priv[PG] = 'b';
    printf("  written again after DONTNEED: %c\n", priv[PG]);
    long r = madvise(shared, 2 * PG, MADV_DONTNEED);             /* each call before what it shows */
    printf("DONTNEED shared: %s, data kept %d\n", res(r), all(shared, 2 * PG, 's'));
    r = madvise(priv + 3 * PG, 10, MADV_DONTNEED);
    printf("DONTNEED a partial page length: %s, zero %d\n", res(r), all(priv + 3 * PG, PG, 0));

    pid_t pid = fork();                                    /* shared after DONTNEED: still shared */
    if (pid == 0) {
        shared[0] = 'c';
        _exit(0);
    }
    waitpid(pid, 0, 0);
    printf("shared page after DONTNEED, child wrote: %c\n", shared[0]);

    r = madvise(shared + PG, PG, MADV_REMOVE);
    printf("REMOVE shared: %s, zero %d, the other page kept %d\n", res(r), all(shared + PG, PG, 0), shared[0] == 'c');
    printf("REMOVE private: %s\n", res(madvise(priv, PG, MADV_REMOVE)));
    printf("FREE shared: %s\n", res(madvise(shared, PG, MADV_FREE)));
    memset(priv, 'f', PG);
    printf("FREE private: %s\n", res(madvise(priv, PG, MADV_FREE)));
    int hints[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_WILLNEED, MADV_DOFORK, MADV_DONTDUMP,
                    MADV_DODUMP, MADV_KEEPONFORK, MADV_COLD, MADV_PAGEOUT, MADV_POPULATE_READ,
                    MADV_POPULATE_WRITE };
    for (unsigned i = 0; i < sizeof hints / sizeof hints[0]; i++)
        printf("hint %d: %s\n", hints[i], res(madvise(priv, 4 * PG, hints[i])));
    printf("  data after the hints: %d\n", all(priv + 3 * PG, PG, 0) && priv[PG] == 'b');
    printf("unknown advice 999: %s\n", res(madvise(priv, PG, 999)));
    printf("unknown advice 7: %s\n", res(madvise(priv, PG, 7)));
    printf("unaligned start: %s\n", res(madvise(priv + 1, PG, MADV_DONTNEED)));
    printf("length 0: %s\n", res(madvise(priv, 0, MADV_DONTNEED)));
    printf("length wraps: %s\n", res(madvise(priv, -1L, MADV_DONTNEED)));
    munmap(priv + PG, PG);                                 /* a hole in the middle */
    priv[0] = 'h';
    priv[2 * PG] = 'h';
    r = madvise(priv, 3 * PG, MADV_DONTNEED);
    printf("DONTNEED over a hole: %s, around it zero %d %d\n", res(r), all(priv, PG, 0), all(priv + 2 * PG, PG, 0));
    printf("WILLNEED on nothing mapped: %s\n", res(madvise(priv + PG, PG, MADV_WILLNEED)));
    char *ro = mmap(0, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("POPULATE_WRITE read-only: %s\n", res(madvise(ro, PG, MADV_POPULATE_WRITE)));
    printf("kernel address: %s\n", res(madvise((void *)0xffffffff80000000UL, PG, MADV_DONTNEED)));
}

/* Locked pages (mlock): DONTNEED, FREE and REMOVE refuse them, the pages before done;
   MADV_DONTNEED_LOCKED (Linux 5.18) zeroes them. */
static void locked_cases(void)
{
    char *m = map(3, MAP_PRIVATE), *s = map(1, MAP_SHARED);
    memset(m, 'l', 3 * PG);
    memset(s, 'l', PG);
    long r = mlock(m + PG, 2 * PG);
    printf("mlock pages 1-2: %s, shared: %s\n", res(r), res(mlock(s, PG)));
    r = madvise(m + PG, PG, MADV_DONTNEED);
    printf("DONTNEED locked: %s, kept %d\n", res(r), all(m + PG, PG, 'l'));
    r = madvise(m, 2 * PG, MADV_DONTNEED);
    printf("DONTNEED unlocked then locked: %s, page 0 zero %d, page 1 kept %d\n", res(r), all(m, PG, 0),
           all(m + PG, PG, 'l'));
    r = madvise(m + PG, PG, MADV_FREE);
    printf("FREE locked: %s, kept %d\n", res(r), all(m + PG, PG, 'l'));
    r = madvise(s, PG, MADV_REMOVE);
    printf("REMOVE locked shared: %s, kept %d\n", res(r), all(s, PG, 'l'));
    r = madvise(s, PG, MADV_DONTNEED);
    printf("DONTNEED locked shared: %s, kept %d\n", res(r), all(s, PG, 'l'));
    r = madvise(m + PG, 2 * PG, MADV_COLD);
    printf("COLD locked: %s\n", res(r));
    r = madvise(m + PG, 2 * PG, MADV_PAGEOUT);
    printf("PAGEOUT locked: %s, kept %d\n", res(r), all(m + PG, 2 * PG, 'l'));
    r = madvise(m + 2 * PG, PG, 24);                       /* MADV_DONTNEED_LOCKED */
    printf("DONTNEED_LOCKED locked: %s, zero %d\n", res(r), all(m + 2 * PG, PG, 0));
    r = madvise(m + PG, 2 * PG, MADV_POPULATE_WRITE);
    printf("POPULATE_WRITE locked: %s\n", res(r));
    munlock(m + PG, PG);
    r = madvise(m + PG, PG, MADV_DONTNEED);
    printf("munlock page 1, then DONTNEED: %s, zero %d\n", res(r), all(m + PG, PG, 0));
    munlock(s, PG);
    r = madvise(s, PG, MADV_REMOVE);
    printf("REMOVE after munlock: %s, zero %d\n", res(r), all(s, PG, 0));
}

static void mremap_cases(void)
{
    char *a = map(4, MAP_PRIVATE);
    memset(a, 'x', 4 * PG);
    errno = 0;
    char *r = mremap(a, 4 * PG, 2 * PG, 0);
    printf("shrink 4 -> 2 pages: same address %d, data %d\n", r == a, all(a, 2 * PG, 'x'));
    printf("  the cut part is gone: %s\n", res(mremap(a + 2 * PG, PG, PG, 0) == MAP_FAILED ? -1 : 0));

    char *b = map(4, MAP_PRIVATE);
    memset(b, 'y', PG);
    munmap(b + PG, 3 * PG);
    r = mremap(b, PG, 3 * PG, 0);
    printf("grow 1 -> 3 pages in place: same address %d, data %d, new pages zero %d\n", r == b, all(b, PG, 'y'),
           r == b && all(b + PG, 2 * PG, 0));

    char *c = map(3, MAP_PRIVATE);
    memset(c, 'z', 2 * PG);
    memset(c + 2 * PG, 'w', PG);
    r = mremap(c, 2 * PG, 4 * PG, 0);
    printf("grow 2 -> 4 pages, next page taken, no MAYMOVE: %s\n", res(r == MAP_FAILED ? -1 : 0));
    r = mremap(c, 2 * PG, 4 * PG, MREMAP_MAYMOVE);
    printf("  with MAYMOVE: moved %d, data %d, new pages zero %d, neighbour kept %d\n", r != c && r != MAP_FAILED,
           all(r, 2 * PG, 'z'), all(r + 2 * PG, 2 * PG, 0), all(c + 2 * PG, PG, 'w'));
    printf("  old address gone: %s\n", res(mremap(c, PG, PG, 0) == MAP_FAILED ? -1 : 0));

    char *target = map(4, MAP_PRIVATE);
    memset(target, 't', 4 * PG);
    char *d = map(2, MAP_PRIVATE);
    memset(d, 'd', 2 * PG);
    r = mremap(d, 2 * PG, 3 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target);
    printf("FIXED move 2 -> 3 pages onto a mapping: at target %d, data %d, zero %d, rest of target kept %d\n",
           r == target, all(target, 2 * PG, 'd'), all(target + 2 * PG, PG, 0), all(target + 3 * PG, PG, 't'));

    errno = 0;
    printf("FIXED without MAYMOVE: %s\n", res(mremap(target, PG, PG, MREMAP_FIXED, d) == MAP_FAILED ? -1 : 0));
    printf("FIXED overlapping: %s\n",
           res(mremap(target, 2 * PG, 2 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, target + PG) == MAP_FAILED ? -1 : 0));
    printf("FIXED unaligned target: %s\n",
           res(mremap(target, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, target + 10 * PG + 1) == MAP_FAILED ? -1 : 0));
    printf("unaligned address: %s\n", res(mremap(target + 1, PG, PG, 0) == MAP_FAILED ? -1 : 0));
    printf("new length 0: %s\n", res(mremap(target, PG, 0, 0) == MAP_FAILED ? -1 : 0));
    printf("unknown flag: %s\n", res(mremap(target, PG, PG, 8) == MAP_FAILED ? -1 : 0));
    printf("old length 0, private: %s\n", res(mremap(target, 0, PG, MREMAP_MAYMOVE) == MAP_FAILED ? -1 : 0));
    printf("kernel address: %s\n", res(mremap((void *)0xffffffff80000000UL, PG, 2 * PG, MREMAP_MAYMOVE)
                                        == MAP_FAILED ? -1 : 0));
    printf("same size: %s\n", res(mremap(target, PG, PG, 0) == target ? 0 : -1));
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    madvise_cases();
    locked_cases();
    mremap_cases();
    return 0;
}
