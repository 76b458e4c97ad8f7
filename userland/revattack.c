/*
 * Hostile programs for the review of the kernel merged on 7 December (tests/test_review_attacks.py):
 * each attack prints what Linux defines, so the host's output is the reference.
 *
 *   piexit: a PI futex owner ends while a process of its own is woken by that end (a pipe
 *           reaches end of file when the owner's files go) and asks for the lock. Linux's
 *           futex cleanup runs before the files go, so the owner is already "dead" to
 *           attach_to_pi_owner: -ESRCH (handle_exit_race), never a wait on the ended owner.
 *   shmkey: processes race shmget(KEY, big, IPC_CREAT | IPC_EXCL) for one key: Linux makes
 *           one segment (the key's lookup and the new segment's entry are one step under
 *           ids->rwsem); every other caller gets EEXIST, however long the segment's pages
 *           take to allocate.
 *   lockclose: a thread sleeps in F_SETLKW while another thread of its process closes the
 *           descriptor. Linux's fcntl_setlk sees the fd no longer names the file once the lock
 *           is granted, drops the lock and returns EBADF; a lock kept would outlive every
 *           descriptor of its owner (and the owner itself), so nobody could take it again.
 *   txtmap: a program file mapped from an O_RDWR descriptor, which is then closed: the mapping
 *           keeps the file open for writing (Linux: the vma holds the struct file), so execve
 *           of it is ETXTBSY while any part of the mapping lasts - after a munmap that split
 *           it, after mremap moved it, in a forked child until it exits or execs - and runs
 *           once it is all gone. A shared mapping from an O_RDONLY descriptor may not become
 *           writable (mprotect, MADV_REMOVE: EACCES), and a running program's file gives no
 *           writable descriptor (ETXTBSY). txtmaprounds N: txtmap in a child, N rounds.
 *           txtlimit: ringlab's limit of file mappings per address space (not Linux's).
 *   execsleep: threads asleep in semop (SEM_UNDO), FUTEX_LOCK_PI (a lock the exec'ing thread
 *           owns), WAIT_REQUEUE_PI, F_SETLKW and a read of a socket that carries a file in
 *           flight, when another thread execs: the sleepers end, the new image runs, the
 *           SEM_UNDO is applied, and the lock and set are usable by the next process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

#define FUTEX_LOCK_PI 6        /* include/uapi/linux/futex.h (musl has no linux/ headers) */
#define BIG_BYTES (48u << 20)   /* the owner's memory: its release yields many times */

static long futex(uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
    return syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

static int piexit(void)
{
    uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int fds[2];
    if (word == MAP_FAILED || pipe(fds))
        return 1;
    fflush(stdout);
    pid_t owner = fork();
    if (owner == 0) {
        close(fds[0]);
        char *big = malloc(BIG_BYTES);
        if (!big)
            _exit(2);
        memset(big, 1, BIG_BYTES);
        if (futex(word, FUTEX_LOCK_PI, 0, NULL))
            _exit(3);
        _exit(0);                          /* holding the lock; the pipe's write end goes with it */
    }
    pid_t waiter = fork();
    if (waiter == 0) {
        close(fds[1]);
        char c;
        while (read(fds[0], &c, 1) > 0)
            ;
        /* The owner is ending (its files went); it held the lock. */
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_sec += 3;                    /* a bound only: Linux answers at once */
        long r = syscall(SYS_futex, word, FUTEX_LOCK_PI, 0, &ts, NULL, 0);
        int e = errno;
        printf("piexit: lock after the owner ended: %ld %s\n", r, r ? strerror(e) : "taken");
        fflush(stdout);
        _exit(0);
    }
    close(fds[0]);
    close(fds[1]);
    int st;
    waitpid(waiter, &st, 0);
    waitpid(owner, &st, 0);
    printf("piexit: owner status %d\n", WEXITSTATUS(st));
    return 0;
}

#define SHMKEY_RACERS 3
#define SHMKEY_BYTES  (16u << 20)   /* long enough to allocate that the racers overlap */

static int shmkey(int round)
{
    key_t key = 0x52560000 + round;
    int tried[2], go[2];
    if (pipe(tried) || pipe(go))
        return 1;
    fflush(stdout);
    pid_t kids[SHMKEY_RACERS];
    for (int i = 0; i < SHMKEY_RACERS; i++) {
        if ((kids[i] = fork()) == 0) {
            close(tried[0]);
            close(go[1]);
            int id = shmget(key, SHMKEY_BYTES, IPC_CREAT | IPC_EXCL | 0600);
            int e = errno;
            char c = id >= 0 ? 'y' : e == EEXIST ? 'n' : 'e';
            if (write(tried[1], &c, 1) != 1)
                _exit(2);
            /* Hold the segment until every racer has tried: a removal would let the next make
               one legitimately. */
            while (read(go[0], &c, 1) > 0)
                ;
            if (id >= 0)
                shmctl(id, IPC_RMID, NULL);
            _exit(0);
        }
    }
    close(tried[1]);
    close(go[0]);
    int made = 0, refused = 0, other = 0;
    char c;
    for (int i = 0; i < SHMKEY_RACERS && read(tried[0], &c, 1) == 1; i++)
        made += c == 'y', refused += c == 'n', other += c == 'e';
    close(go[1]);
    close(tried[0]);
    for (int i = 0; i < SHMKEY_RACERS; i++)
        waitpid(kids[i], NULL, 0);
    printf("shmkey: round %d: %d made, %d EEXIST, %d other\n", round, made, refused, other);
    return 0;
}

static volatile int lc_tid;
static int lc_fd;

static void *lc_thread(void *arg)
{
    (void)arg;
    lc_tid = (int)syscall(SYS_gettid);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    long r = fcntl(lc_fd, F_SETLKW, &fl);
    int e = errno;
    printf("lockclose: F_SETLKW after the fd was closed: %ld %s\n", r, r ? strerror(e) : "locked");
    fflush(stdout);
    return NULL;
}

/* The state letter of thread tid (/proc/TID/stat's third field), or 0. */
static char thread_state(int tid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", tid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *q = strrchr(buf, ')');
    return q && q[1] && q[2] ? q[2] : 0;
}

static int lockclose(void)
{
    const char *name = "revattack.lock";
    int fd = open(name, O_RDWR | O_CREAT | O_TRUNC, 0600), sync[2], go[2];
    char c;
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (fd < 0 || pipe(sync) || pipe(go) || fcntl(fd, F_SETLK, &fl))
        return 1;
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        close(sync[0]);
        close(go[1]);
        if ((lc_fd = open(name, O_RDWR)) < 0)
            _exit(2);
        pthread_t t;
        if (pthread_create(&t, NULL, lc_thread, NULL))
            _exit(3);
        while (!lc_tid || thread_state(lc_tid) != 'S')
            sched_yield();                 /* asleep in F_SETLKW (the lock is the parent's) */
        close(lc_fd);
        if (write(sync[1], "c", 1) != 1)
            _exit(4);
        pthread_join(t, NULL);
        if (write(sync[1], "j", 1) != 1)
            _exit(5);
        while (read(go[0], &c, 1) > 0)     /* alive until the parent has looked */
            ;
        _exit(0);
    }
    close(sync[1]);
    close(go[0]);
    if (read(sync[0], &c, 1) != 1)
        return 1;
    fl.l_type = F_UNLCK;
    fcntl(fd, F_SETLK, &fl);               /* the sleeper gets the lock now */
    if (read(sync[0], &c, 1) != 1)         /* its F_SETLKW has returned */
        return 1;
    fl.l_type = F_WRLCK;
    fcntl(fd, F_GETLK, &fl);
    printf("lockclose: while its process lives, the file is %s\n",
           fl.l_type == F_UNLCK ? "unlocked" : "locked by it");
    close(go[1]);
    int st;
    waitpid(kid, &st, 0);
    fl.l_type = F_WRLCK;
    long r = fcntl(fd, F_SETLK, &fl);      /* its owner has ended: free for anyone */
    int e = errno;
    printf("lockclose: the lock after its would-be owner ended: %ld %s\n", r, r ? strerror(e) : "locked");
    close(fd);
    close(sync[0]);
    unlink(name);
    return 0;
}

#define PG 4096
static char tm_copy[64];             /* /tmp/revattack.PID.txt: runs side by side on the host keep apart */

/* execve of the copy in a child (it runs "none": exits at once): "ran" or execve's error. */
static const char *tm_exec(void)
{
    fflush(stdout);
    int p[2];
    if (pipe2(p, O_CLOEXEC))
        return "pipe2 failed";
    pid_t kid = fork();
    if (kid == 0) {
        char *argv[] = { (char *)tm_copy, "none", NULL };
        execv(tm_copy, argv);
        int e = errno;
        if (write(p[1], &e, sizeof e) != sizeof e)
            _exit(3);
        _exit(2);
    }
    close(p[1]);
    int e = 0, st;
    ssize_t got = read(p[0], &e, sizeof e);
    close(p[0]);
    waitpid(kid, &st, 0);
    return got == sizeof e ? strerror(e) : "ran";
}

static void tm_show(const char *what)
{
    const char *r = tm_exec();
    printf("txtmap: %s: execve %s\n", what, r);
}

/* The copy opened with `mode` and mapped [0, pages) with prot and flags, the fd closed. */
static char *tm_map(int mode, int pages, int prot, int flags)
{
    int fd = open(tm_copy, mode);
    if (fd < 0)
        return MAP_FAILED;
    char *m = mmap(NULL, (size_t)pages * PG, prot, flags, fd, 0);
    close(fd);
    return m;
}

static const char *tm_err(long r)
{
    return r == -1 ? strerror(errno) : "ok";
}

/* Racing threads: one maps the copy, splits, moves and unmaps it while the other forks
   children that exit at once with whatever the address space held at that moment. */
#define TM_RACE_ROUNDS 100
static int tm_race_fd;

static void *tm_mapper(void *arg)
{
    (void)arg;
    for (int i = 0; i < TM_RACE_ROUNDS; i++) {
        char *m = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, tm_race_fd, 0);
        if (m == MAP_FAILED)
            return (void *)1;
        munmap(m + PG, PG);
        char *t = mremap(m + 2 * PG, PG, 2 * PG, MREMAP_MAYMOVE);
        munmap(m, PG);
        if (t != MAP_FAILED)
            munmap(t, 2 * PG);
    }
    return NULL;
}

static void *tm_forker(void *arg)
{
    (void)arg;
    for (int i = 0; i < TM_RACE_ROUNDS / 4; i++) {
        pid_t kid = fork();
        if (kid == 0)
            _exit(0);
        int st;
        if (kid > 0)
            waitpid(kid, &st, 0);
    }
    return NULL;
}

/* A child that holds the parent's mappings until the parent writes to (or closes) `go`, then
   exits, or execs the program itself ("none") when `exec_self`. */
static pid_t tm_holder(int go[2], const char *self, int exec_self)
{
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        char c;
        close(go[1]);
        if (read(go[0], &c, 1) < 0)
            _exit(3);
        if (exec_self) {
            char *argv[] = { (char *)self, "none", NULL };
            execv(self, argv);
            _exit(4);
        }
        _exit(0);
    }
    close(go[0]);
    return kid;
}

/* A copy of the running program at /tmp/revattack.PID.txt: its size, or -1. */
static off_t tm_make(void)
{
    snprintf(tm_copy, sizeof tm_copy, "/tmp/revattack.%d.txt", (int)getpid());
    int in = open("/proc/self/exe", O_RDONLY), out = open(tm_copy, O_RDWR | O_CREAT | O_TRUNC, 0755);
    char buf[4096];
    ssize_t n;
    off_t size = 0;
    if (in < 0 || out < 0)
        return -1;
    while ((n = read(in, buf, sizeof buf)) > 0)
        if (write(out, buf, (size_t)n) != n)
            return -1;
        else
            size += n;
    close(in);
    close(out);
    return size;
}

static int txtmap(const char *self)
{
    off_t size = tm_make();
    if (size < 4 * PG)
        return 1;

    /* The mapping keeps the file open for writing, the file's length or a part of it */
    char *m = tm_map(O_RDWR, (int)(size / PG), PROT_READ | PROT_WRITE, MAP_SHARED);
    if (m == MAP_FAILED)
        return 1;
    tm_show("while mapped writable");
    munmap(m, (size_t)(size / PG * PG));
    tm_show("after munmap");
    m = tm_map(O_RDWR, 1, PROT_READ, MAP_PRIVATE);
    tm_show("private read-only mapping from an O_RDWR fd");
    munmap(m, PG);
    tm_show("after its munmap");
    m = tm_map(O_RDONLY, 1, PROT_READ, MAP_SHARED);
    tm_show("shared mapping from an O_RDONLY fd");

    /* ... which may not become writable (no VM_MAYWRITE): the attacker writes if it may */
    long r = mprotect(m, PG, PROT_READ | PROT_WRITE);
    printf("txtmap: mprotect(PROT_WRITE) of it: %s\n", tm_err(r));
    if (r == 0)
        memcpy(m, "HACKED", 6);
    r = madvise(m, PG, MADV_REMOVE);
    printf("txtmap: MADV_REMOVE of it: %s\n", tm_err(r));
    munmap(m, PG);
    m = tm_map(O_RDONLY, 1, PROT_READ, MAP_PRIVATE);
    r = mprotect(m, PG, PROT_READ | PROT_WRITE);
    printf("txtmap: mprotect(PROT_WRITE) of a private one: %s\n", tm_err(r));
    if (r == 0)
        memcpy(m, "COPIED", 6);
    r = madvise(m, PG, MADV_REMOVE);
    printf("txtmap: MADV_REMOVE of a private one: %s\n", tm_err(r));
    munmap(m, PG);

    /* A partial munmap splits the mapping: each part holds the file */
    m = tm_map(O_RDWR, 3, PROT_READ | PROT_WRITE, MAP_SHARED);
    munmap(m + PG, PG);
    tm_show("split by munmap of its middle");
    munmap(m, PG);
    tm_show("its first part unmapped");
    munmap(m + 2 * PG, PG);
    tm_show("its last part unmapped");

    /* mremap moves the hold with the pages */
    m = tm_map(O_RDWR, 2, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *t = mmap(NULL, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *moved = mremap(m, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, t);
    printf("txtmap: mremap of its first page onto another mapping: %s\n",
           moved == t ? "moved" : strerror(errno));
    munmap(m + PG, PG);
    tm_show("the part left behind unmapped");
    munmap(t, 2 * PG);
    tm_show("the moved part unmapped");
    m = tm_map(O_RDWR, 2, PROT_READ | PROT_WRITE, MAP_SHARED);
    munmap(m + PG, PG);
    char *wall = mmap(m + PG, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    moved = mremap(m, PG, 3 * PG, MREMAP_MAYMOVE);
    printf("txtmap: mremap growing it past another mapping: %s\n",
           moved == MAP_FAILED ? strerror(errno) : moved == m ? "in place" : "moved");
    munmap(wall, PG);
    tm_show("grown and moved");
    munmap(moved, 3 * PG);
    tm_show("grown and moved, unmapped");

    /* A mapping over it (MAP_FIXED) ends its hold */
    m = tm_map(O_RDWR, 2, PROT_READ | PROT_WRITE, MAP_SHARED);
    mmap(m, 2 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    tm_show("MAP_FIXED anonymous memory over it");
    munmap(m, 2 * PG);

    /* fork: the child's copy holds the file of its own, until it exits or execs */
    for (int exec_self = 0; exec_self < 2; exec_self++) {
        int go[2];
        m = tm_map(O_RDWR, 2, PROT_READ | PROT_WRITE, MAP_SHARED);
        if (pipe(go))
            return 1;
        pid_t kid = tm_holder(go, self, exec_self);
        munmap(m, 2 * PG);
        tm_show(exec_self ? "the parent unmapped, a child that will exec holds it" :
                            "the parent unmapped, a child holds it");
        close(go[1]);
        int st;
        waitpid(kid, &st, 0);
        printf("txtmap: the child %s: status %d\n", exec_self ? "execs itself" : "exits", st);
        tm_show(exec_self ? "after the child's execve" : "after the child's exit");
    }

    /* Racing threads: what they leave behind holds nothing */
    tm_race_fd = open(tm_copy, O_RDWR);
    pthread_t a, b;
    void *ra = NULL;
    fflush(stdout);
    if (pthread_create(&a, NULL, tm_mapper, NULL) || pthread_create(&b, NULL, tm_forker, NULL))
        return 1;
    pthread_join(a, &ra);
    pthread_join(b, NULL);
    close(tm_race_fd);
    printf("txtmap: racing threads: mapper %s\n", ra ? "failed" : "done");
    tm_show("after the race");

    /* The other way round: a running program's file is not opened for writing, and a
       read-only descriptor of it gives no shared writable mapping */
    int fd = open("/proc/self/exe", O_RDWR);
    printf("txtmap: open(O_RDWR) of the running program: %s\n", tm_err(fd));
    fd = open("/proc/self/exe", O_RDONLY);
    m = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("txtmap: MAP_SHARED PROT_WRITE of it from O_RDONLY: %s\n", m == MAP_FAILED ? strerror(errno) : "mapped");
    close(fd);

    /* Nothing above wrote to the file */
    fd = open(tm_copy, O_RDONLY);
    char head[8] = { 0 };
    if (pread(fd, head, 6, 0) != 6)
        return 1;
    close(fd);
    printf("txtmap: the file begins %s\n", memcmp(head, "\177ELF", 4) ? head : "\\177ELF");
    unlink(tm_copy);
    return 0;
}

static const char *tm_errname(long r)
{
    return r != -1 ? "ok" : errno == ENOMEM ? "ENOMEM" : strerror(errno);
}

/*
 * ringlab's own limit, not Linux's (tests/test_review_attacks.py checks ringlab's answers, the
 * host maps 65,530): an address space holds FMAPS_PER_MM file mappings; past it mmap is
 * ENOMEM, and so is a munmap or mremap that would split one, while a change that needs no new
 * record works; a fork copies them all. Everything it held gives the file back at the end.
 */
#define TL_MAX 4096
static int txtlimit(void)
{
    static char *maps[TL_MAX];
    if (tm_make() < 4 * PG)
        return 1;
    int fd = open(tm_copy, O_RDWR), n = 1;
    char *first = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (first == MAP_FAILED)
        return 1;
    long r = 0;
    for (; n < TL_MAX; n++)
        if ((maps[n] = mmap(NULL, PG, PROT_READ, MAP_SHARED, fd, 0)) == MAP_FAILED)
            break;
    printf("txtlimit: file mappings: %d, the next: %s\n", n, tm_errname(-1));
    r = munmap(first + PG, PG);
    printf("txtlimit: munmap of the first one's middle: %s\n", tm_errname(r));
    r = (long)mremap(first, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, maps[1]);
    printf("txtlimit: mremap of its first page over another: %s\n", tm_errname(r == (long)maps[1] ? 0 : -1));
    r = munmap(first, PG);
    printf("txtlimit: munmap of its first page: %s\n", tm_errname(r));
    r = (long)mmap(first + 2 * PG, PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    printf("txtlimit: MAP_FIXED over its last page: %s\n", tm_errname(r == (long)(first + 2 * PG) ? 0 : -1));
    r = (long)mmap(maps[2], PG, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    printf("txtlimit: MAP_FIXED over a whole one: %s\n", tm_errname(r == (long)maps[2] ? 0 : -1));
    r = (long)mremap(maps[3], PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, maps[4]);
    printf("txtlimit: mremap of a whole one over another: %s\n", tm_errname(r == (long)maps[4] ? 0 : -1));
    if (r != -1)
        maps[3] = NULL;
    r = (long)mremap(maps[n - 1], PG, 2 * PG, MREMAP_MAYMOVE);
    printf("txtlimit: mremap growing a whole one: %s\n", tm_errname(r == -1 ? -1 : 0));
    if (r != -1)
        maps[n - 1] = (char *)r;
    close(fd);
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0)
        _exit(0);
    int st;
    waitpid(kid, &st, 0);
    printf("txtlimit: a fork copying them: status %d\n", st);
    tm_show("all of them mapped");
    munmap(first, 3 * PG);
    for (int i = 1; i < n; i++)
        if (maps[i])
            munmap(maps[i], 2 * PG);
    tm_show("none of them mapped");
    unlink(tm_copy);
    return 0;
}

/* txtmap in a child per round (ROUNDS): the free pages after each must be equal
   (tests/test_review_attacks.py, trace=mem). */
static int txtmap_rounds(const char *self, int rounds)
{
    for (int round = 1; round <= rounds; round++) {
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            int r = txtmap(self);
            fflush(stdout);
            _exit(r);
        }
        int st;
        waitpid(kid, &st, 0);
        printf("revattack: round %d: status %d\n", round, st);
    }
    return 0;
}

static int es_sem, es_fd, es_sock;
static uint32_t es_pi, es_plain;
static volatile int es_asleep[5];

static void *es_semop(void *arg)
{
    (void)arg;
    struct sembuf op = { 0, -1, SEM_UNDO };
    es_asleep[0] = (int)syscall(SYS_gettid);
    semop(es_sem, &op, 1);
    return NULL;
}

static void *es_pilock(void *arg)
{
    (void)arg;
    es_asleep[1] = (int)syscall(SYS_gettid);
    futex(&es_pi, FUTEX_LOCK_PI, 0, NULL);
    return NULL;
}

static void *es_requeue(void *arg)
{
    (void)arg;
    es_asleep[2] = (int)syscall(SYS_gettid);
    syscall(SYS_futex, &es_plain, 11 /* FUTEX_WAIT_REQUEUE_PI */, 0, NULL, &es_pi, 0);
    return NULL;
}

static void *es_lock(void *arg)
{
    (void)arg;
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    es_asleep[3] = (int)syscall(SYS_gettid);
    fcntl(es_fd, F_SETLKW, &fl);
    return NULL;
}

static void *es_recv(void *arg)
{
    (void)arg;
    char c;
    es_asleep[4] = (int)syscall(SYS_gettid);
    recv(es_sock, &c, 1, 0);
    return NULL;
}

static int execsleep(void)
{
    es_sem = semget(0x52560100, 1, IPC_CREAT | 0600);
    int sv[2], lk = open("/tmp/revattack.es", O_RDWR | O_CREAT | O_TRUNC, 0600);
    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    if (es_sem < 0 || lk < 0 || socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
        return 1;
    fflush(stdout);
    pid_t holder = fork();                 /* holds the record lock the sleeper waits for */
    if (holder == 0) {
        int p[2];
        if (pipe(p) || fcntl(lk, F_SETLK, &fl))
            _exit(2);
        pause();
        _exit(0);
    }
    pid_t kid = fork();
    if (kid == 0) {
        es_fd = open("/tmp/revattack.es", O_RDWR);
        es_sock = sv[0];
        /* a file in flight to the socket the reader sleeps on: sv[1] inside its own peer */
        char c = 'x';
        char ctl[CMSG_SPACE(sizeof(int))] = { 0 };
        struct iovec iov = { &c, 1 };
        struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl };
        struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET, cm->cmsg_type = SCM_RIGHTS, cm->cmsg_len = CMSG_LEN(sizeof(int));
        memcpy(CMSG_DATA(cm), &sv[0], sizeof(int));
        if (sendmsg(sv[0], &mh, 0) != 1)   /* sv[0] rides to sv[1]'s queue */
            _exit(3);
        if (futex(&es_pi, FUTEX_LOCK_PI, 0, NULL))
            _exit(4);
        void *(*fns[5])(void *) = { es_semop, es_pilock, es_requeue, es_lock, es_recv };
        pthread_t t[5];
        while (fcntl(es_fd, F_GETLK, &fl) == 0 && fl.l_type == F_UNLCK)
            fl.l_type = F_WRLCK;           /* the holder's lock first */
        for (int i = 0; i < 5; i++)
            if (pthread_create(&t[i], NULL, fns[i], NULL))
                _exit(5);
        for (int i = 0; i < 5; i++)
            while (!es_asleep[i] || thread_state(es_asleep[i]) != 'S')
                sched_yield();
        char *argv[] = { "revattack", "execsleep2", NULL };
        execv("/proc/self/exe", argv);
        _exit(6);
    }
    int st;
    waitpid(kid, &st, 0);
    printf("execsleep: the exec'ing process ended with %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st));
    kill(holder, SIGKILL);
    waitpid(holder, &st, 0);
    struct sembuf op = { 0, 1, IPC_NOWAIT };
    int sr = semop(es_sem, &op, 1);
    printf("execsleep: the set still works: %d, value %d\n", sr, semctl(es_sem, 0, GETVAL));
    semctl(es_sem, 0, IPC_RMID);
    fl.l_type = F_WRLCK;
    printf("execsleep: the file lock is free: %d\n", fcntl(lk, F_SETLK, &fl));
    close(lk);
    close(sv[0]);
    close(sv[1]);
    unlink("/tmp/revattack.es");
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "all";
    int r = 0;
    if (!strcmp(what, "piexit") || !strcmp(what, "all"))
        for (int i = 0; i < 3 && !r; i++)
            r = piexit();
    if (!strcmp(what, "shmkey") || !strcmp(what, "all"))
        for (int i = 0; i < 4 && !r; i++)
            r = shmkey(i);
    if (!strcmp(what, "lockclose") || !strcmp(what, "all"))
        r = r ? r : lockclose();
    if (!strcmp(what, "txtmap") || !strcmp(what, "all"))
        r = r ? r : txtmap(argv[0]);
    if (!strcmp(what, "txtlimit"))
        return txtlimit();
    if (!strcmp(what, "txtmaprounds"))
        return txtmap_rounds(argv[0], argc > 2 ? atoi(argv[2]) : 1);
    if (!strcmp(what, "none"))
        return 0;
    if (!strcmp(what, "execsleep2")) {
        printf("execsleep: the new image runs\n");
        return 0;
    }
    if (!strcmp(what, "execsleep") || !strcmp(what, "all"))
        r = r ? r : execsleep();
    printf("revattack: done\n");
    return r;
}
