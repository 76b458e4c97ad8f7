/* System V shared memory as Linux's ipc/shm.c: shmget with keys, IPC_PRIVATE, IPC_CREAT|
 * IPC_EXCL and sizes; shmat anywhere, at an address, SHM_RND, SHM_REMAP, SHM_RDONLY,
 * SHM_EXEC and their errors (page 0, the kernel half, a wrapping range); shm_nattch through
 * fork, execve, exit, shmdt, munmap and mremap; pages shared between processes; IPC_STAT,
 * IPC_SET, IPC_RMID (SHM_DEST: the segment lives until the last detach), IPC_INFO,
 * SHM_INFO, SHM_STAT and bad pointers. The key is made from the pid so runs on the host
 * never meet; everything is removed at the end.
 *
 * `sysvshm rounds N`: N rounds, each a child that makes segments, shares them with a
 * grandchild, removes one while attached and ends without detaching (the free-page test).
 * `sysvshm nattch ID`: prints the segment's shm_nattch (run by execve: attachments go). */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096UL
#ifdef __i386__                           /* sysvshm-m32: an i386 process (ipc32.c) */
#define FIXED_AT 0x60000000UL             /* a free place below both systems' 4 GiB TASK_SIZE */
#define ABOVE_TASK 0xffffe000UL           /* the i386 TASK_SIZE: no user memory above */
#define KPTR ((void *)0xfffff000UL)       /* a pointer no i386 process can use */
#else
#define FIXED_AT 0x600000000000UL         /* a free place in both systems' user halves */
#define ABOVE_TASK 0xffff800000000000UL   /* the kernel half */
#define KPTR ((void *)0xffffffff81000000UL)
#endif

static const char *e(long r)
{
    static char buf[16];
    if (r != -1)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case ENOMEM: return "ENOMEM";
    case ENOSPC: return "ENOSPC";
    case EIDRM: return "EIDRM";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case ENOSYS: return "ENOSYS";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static long at(int id, uintptr_t addr, int flg) { return (long)syscall(SYS_shmat, id, addr, flg); }
static const char *ate(long r) { return r == -1 ? e(-1) : "ok"; }
/* shmctl itself, for bad pointers: glibc's i386 shmctl converts through a buffer of its own */
static long ctl(int id, int cmd, void *p) { return syscall(SYS_shmctl, id, cmd, p); }

static long nattch(int id)
{
    struct shmid_ds ds;
    return shmctl(id, IPC_STAT, &ds) == -1 ? -errno : (long)ds.shm_nattch;
}

/* How a child that touches p (write or read) ends: "ok" or the signal. */
static const char *touch(volatile char *p, int write)
{
    static char buf[32];
    pid_t c = fork();
    if (c == 0) {
        if (write)
            p[0] = 'w';
        else
            (void)p[0];
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "signal %d", WTERMSIG(st));
    else
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    return buf;
}

/* Threads of one process attach, touch and detach a segment, remap it over itself and
   unmap it, while the main thread removes it under them: nothing may crash, and every page
   comes back when the process ends (the rounds' free-page count says so). */
static int race_id;
/* SHM_LOCK against RLIMIT_MEMLOCK (Linux's user_shm_lock: the real uid's locked segment
   pages, a count apart from mlock's), under a 64 KiB soft limit set here (any host's hard
   limit allows it): root has CAP_IPC_LOCK, user 1000 gets ENOMEM and EPERM. */
static void shm_lock_limit(void)
{
    struct rlimit old, lim;
    getrlimit(RLIMIT_MEMLOCK, &old);
    lim = old;
    lim.rlim_cur = 64 << 10;
    printf("MEMLOCK 64 KiB: %s\n", setrlimit(RLIMIT_MEMLOCK, &lim) ? strerror(errno) : "ok");
    int a = shmget(IPC_PRIVATE, 40 << 10, IPC_CREAT | 0600), b = shmget(IPC_PRIVATE, 32 << 10, IPC_CREAT | 0600);
    struct shmid_ds ds;
    printf("SHM_LOCK 40 KiB: %s\n", e(shmctl(a, SHM_LOCK, NULL)));
    printf("SHM_LOCK it again: %s\n", e(shmctl(a, SHM_LOCK, NULL)));
    printf("SHM_LOCK 32 KiB more: %s\n", e(shmctl(b, SHM_LOCK, NULL)));
    shmctl(b, IPC_STAT, &ds);
    printf("  its mode %o\n", ds.shm_perm.mode);
    char *m = mmap(0, 40 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("mlock 40 KiB beside it: %s\n", e(mlock(m, 40 << 10)));
    munlock(m, 40 << 10);
    printf("SHM_UNLOCK 40 KiB: %s\n", e(shmctl(a, SHM_UNLOCK, NULL)));
    printf("SHM_UNLOCK it again: %s\n", e(shmctl(a, SHM_UNLOCK, NULL)));
    printf("SHM_LOCK 32 KiB: %s\n", e(shmctl(b, SHM_LOCK, NULL)));
    printf("SHM_LOCK 40 KiB: %s\n", e(shmctl(a, SHM_LOCK, NULL)));
    shmctl(b, IPC_RMID, NULL);                       /* a removed segment gives its charge back */
    printf("SHM_LOCK 40 KiB after the 32 KiB one's IPC_RMID: %s\n", e(shmctl(a, SHM_LOCK, NULL)));
    shmctl(a, SHM_UNLOCK, NULL);
    pid_t pid = fork();                               /* the count is the user's, not the process's */
    if (pid == 0) {
        _exit(shmctl(a, SHM_LOCK, NULL) ? 10 + errno % 50 : 0);
    }
    int st;
    waitpid(pid, &st, 0);
    printf("SHM_LOCK 40 KiB in a child that ends: %d\n", WEXITSTATUS(st));
    int c = shmget(IPC_PRIVATE, 32 << 10, IPC_CREAT | 0600);
    printf("SHM_LOCK 32 KiB in the parent after it: %s\n", e(shmctl(c, SHM_LOCK, NULL)));
    shmctl(a, SHM_UNLOCK, NULL);
    shmctl(c, IPC_RMID, NULL);
    lim.rlim_cur = 0;
    setrlimit(RLIMIT_MEMLOCK, &lim);
    printf("MEMLOCK 0, SHM_LOCK: %s\n", e(shmctl(a, SHM_LOCK, NULL)));
    printf("MEMLOCK 0, SHM_UNLOCK: %s\n", e(shmctl(a, SHM_UNLOCK, NULL)));
    shmctl(a, IPC_RMID, NULL);
    munmap(m, 40 << 10);
    setrlimit(RLIMIT_MEMLOCK, &old);
}

static void *race_thread(void *arg)
{
    for (int i = 0; i < 100; i++) {
        char *p = shmat(race_id, arg, arg ? SHM_REMAP : 0);
        if (p == (char *)-1)
            continue;
        p[i % (2 * PG)]++;
        if (i % 2)
            shmdt(p);
        else
            munmap(p, 2 * PG);
    }
    return NULL;
}

static void rounds(int n)
{
    for (int r = 1; r <= n; r++) {
        pid_t c = fork();
        if (c == 0) {
            int a = shmget(IPC_PRIVATE, 5 * PG + 1, 0600), b = shmget(IPC_PRIVATE, 3 * PG, 0600);
            char *pa = shmat(a, NULL, 0), *pb = shmat(b, NULL, 0);
            memset(pa, 'a', 5 * PG + 1);
            memset(pb, 'b', 3 * PG);
            pid_t g = fork();
            if (g == 0) {
                pa[0] = 'g';
                _exit(0);
            }
            waitpid(g, NULL, 0);
            shmctl(a, IPC_RMID, NULL);                     /* freed when this child ends */
            shmdt(pb);
            shmctl(b, IPC_RMID, NULL);                     /* freed now */
            printf("sysvshm: round %d: %c %s\n", r, pa[0], e(shmctl(b, IPC_STAT, NULL)));
            race_id = shmget(IPC_PRIVATE, 2 * PG, 0600);
            pthread_t t1, t2;
            pthread_create(&t1, NULL, race_thread, NULL);
            pthread_create(&t2, NULL, race_thread, (void *)FIXED_AT);
            for (int i = 0; i < 50; i++)
                sched_yield();
            shmctl(race_id, IPC_RMID, NULL);
            pthread_join(t1, NULL);
            pthread_join(t2, NULL);
            _exit(0);
        }
        int st;
        waitpid(c, &st, 0);
        printf("sysvshm: round %d: status %d\n", r, st);
    }
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 3 && strcmp(argv[1], "nattch") == 0) {
        printf("after execve: nattch %ld\n", nattch(atoi(argv[2])));
        return 0;
    }
    if (argc == 3 && strcmp(argv[1], "rounds") == 0) {
        rounds(atoi(argv[2]));
        return 0;
    }
    int root = geteuid() == 0;
    key_t key = 0x53000000 | (getpid() & 0xffffff);

    struct shminfo info;
    long mi = shmctl(0, IPC_INFO, (struct shmid_ds *)&info);
    printf("IPC_INFO: %s shmmax %lu shmmin %lu shmmni %lu shmseg %lu shmall %lu\n", mi >= 0 ? "ok" : e(mi),
           info.shmmax, info.shmmin, info.shmmni, info.shmseg, info.shmall);
    struct shm_info si0, si1;
    shmctl(0, SHM_INFO, (struct shmid_ds *)&si0);

    /* shmget */
    printf("shmget size 0: %s\n", e(shmget(IPC_PRIVATE, 0, 0600)));
#ifndef __i386__                          /* (a 32-bit size fits the host's memory) */
    printf("shmget size SHMMAX+1: %s\n", e(shmget(IPC_PRIVATE, info.shmmax + 1, 0600)));
    printf("shmget size 2^46: %s\n", e(shmget(IPC_PRIVATE, 1UL << 46, 0600)));
#endif
    printf("shmget key, no IPC_CREAT: %s\n", e(shmget(key, PG, 0600)));
    int k = shmget(key, 2 * PG, IPC_CREAT | IPC_EXCL | 0600);
    printf("shmget key IPC_CREAT|IPC_EXCL: %s\n", e(k));
    printf("again IPC_CREAT|IPC_EXCL: %s\n", e(shmget(key, 2 * PG, IPC_CREAT | IPC_EXCL | 0600)));
    printf("again, larger: %s\n", e(shmget(key, 3 * PG, 0600)));
    printf("again, smaller: same id %d\n", shmget(key, PG, 0) == k);
    printf("again, asking 0666: %s\n", e(shmget(key, PG, 0666)));

    int id = shmget(IPC_PRIVATE, 3 * PG + 100, 0600);
    shmctl(0, SHM_INFO, (struct shmid_ds *)&si1);
    printf("SHM_INFO: used_ids +%d shm_tot +%lu\n", si1.used_ids - si0.used_ids, si1.shm_tot - si0.shm_tot);
    struct shmid_ds ds;
    shmctl(id, IPC_STAT, &ds);
    printf("IPC_STAT: segsz %zu nattch %lu mode %o cpid-self %d lpid %d uid-self %d key %d atime %d\n",
           ds.shm_segsz, ds.shm_nattch, ds.shm_perm.mode, ds.shm_cpid == getpid(), ds.shm_lpid,
           ds.shm_perm.uid == geteuid(), ds.shm_perm.__key, ds.shm_atime != 0);
    printf("SHM_STAT by index: same id %d\n", shmctl(id & 0x7fff, SHM_STAT, &ds) == id);
    printf("SHM_STAT_ANY by index: same id %d\n", shmctl(id & 0x7fff, SHM_STAT_ANY, &ds) == id);

    /* shmat anywhere, shared with a child */
    char *p = shmat(id, NULL, 0);
    printf("shmat NULL: %s, page aligned %d, zeroed %d\n", ate((long)p), ((uintptr_t)p & (PG - 1)) == 0,
           p[0] == 0 && p[3 * PG + 99] == 0);
    strcpy(p, "parent");
    shmctl(id, IPC_STAT, &ds);
    printf("attached: nattch %lu lpid-self %d atime %d\n", ds.shm_nattch, ds.shm_lpid == getpid(),
           ds.shm_atime != 0);
    printf("past the size, in the last page: %s\n", touch(p + 3 * PG + 200, 1));
    pid_t c = fork();
    if (c == 0) {
        printf("child sees \"%s\", nattch %ld\n", p, nattch(id));
        strcpy(p + 3 * PG, "child");
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent sees \"%s\" after the child ended, nattch %ld\n", p + 3 * PG, nattch(id));
    c = fork();
    if (c == 0) {
        char num[16];
        snprintf(num, sizeof num, "%d", id);
        char *args[] = { argv[0], "nattch", num, NULL };
        printf("before execve: nattch %ld\n", nattch(id));
        execv(argv[0], args);
        _exit(99);
    }
    waitpid(c, NULL, 0);
    /* a second attachment: both see one copy */
    char *q = shmat(id, NULL, SHM_RDONLY);
    long r;
    printf("shmat SHM_RDONLY: %s, sees \"%s\", nattch %ld\n", ate((long)q), q, nattch(id));
    printf("write to the read-only one: %s\n", touch(q, 1));
    printf("mprotect it PROT_WRITE: %s\n", e(mprotect(q, PG, PROT_READ | PROT_WRITE)));
    printf("mprotect it PROT_READ: %s\n", e(mprotect(q, PG, PROT_READ)));
    printf("madvise it MADV_REMOVE: %s, still \"%s\"\n", e(madvise(q, PG, MADV_REMOVE)), p);
    r = shmdt(q);
    printf("shmdt: %s, nattch %ld\n", e(r), nattch(id));
    printf("shmdt again: %s\n", e(shmdt(q)));
    printf("read after shmdt: %s\n", touch(q, 0));
    printf("shmdt misaligned: %s\n", e(shmdt(p + 1)));
    printf("shmdt NULL: %s\n", e(shmdt(NULL)));

    /* shmat at an address */
    printf("shmat at %#lx: %s\n", FIXED_AT, at(id, FIXED_AT, 0) == (long)FIXED_AT ? "there" : ate(at(id, FIXED_AT, 0)));
    printf("nattch %ld\n", nattch(id));
    printf("again, no SHM_REMAP: %s\n", ate(at(id, FIXED_AT, 0)));
    printf("again, overlapping: %s\n", ate(at(id, FIXED_AT + PG, 0)));
    r = at(id, FIXED_AT, SHM_REMAP);
    printf("again, SHM_REMAP: %s, nattch %ld\n", r == (long)FIXED_AT ? "there" : ate(r), nattch(id));
    printf("misaligned: %s\n", ate(at(id, FIXED_AT + 10 * PG + 123, 0)));
    r = at(id, FIXED_AT + 10 * PG + 123, SHM_RND);
    printf("misaligned, SHM_RND: %s\n", r == (long)(FIXED_AT + 10 * PG) ? "rounded down" : ate(r));
    printf("SHM_REMAP with NULL: %s\n", ate(at(id, 0, SHM_REMAP)));
    printf("SHM_RND|SHM_REMAP below SHMLBA: %s\n", ate(at(id, 123, SHM_RND | SHM_REMAP)));
    printf("kernel half: %s\n", ate(at(id, ABOVE_TASK, 0)));
    printf("kernel half, SHM_REMAP: %s\n", ate(at(id, ABOVE_TASK, SHM_REMAP)));
    printf("wrapping: %s\n", ate(at(id, (uintptr_t)-PG, 0)));
#ifndef __i386__
    printf("non-canonical: %s\n", ate(at(id, 0x800000000000UL, 0)));
#endif
    if (!root) {                                   /* root may map there on Linux (CAP_SYS_RAWIO) */
        printf("page 0 by SHM_RND: %s\n", ate(at(id, 123, SHM_RND)));
    }
    printf("bad id: %s\n", ate(at(-1, 0, 0)));
    printf("unused id: %s\n", ate(at(id + 0x8000 * 7, 0, 0)));
    printf("nattch %ld\n", nattch(id));
    r = munmap((void *)(FIXED_AT + 10 * PG), 4 * PG);
    printf("munmap one whole attachment: %s, nattch %ld\n", e(r), nattch(id));
    void *m = mremap((void *)FIXED_AT, 4 * PG, 4 * PG, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(FIXED_AT + 20 * PG));
    printf("mremap the other: %s, sees \"%s\", nattch %ld\n", m == MAP_FAILED ? e(-1) : "moved", (char *)m, nattch(id));
    printf("shmdt the old place: %s\n", e(shmdt((void *)FIXED_AT)));
    r = shmdt(m);
    printf("shmdt the new place: %s, nattch %ld\n", e(r), nattch(id));

    /* permissions and SHM_EXEC */
    int ro = shmget(IPC_PRIVATE, PG, 0400);
    printf("0400 segment: rw %s\n", ate(at(ro, 0, 0)));
    printf("0400 segment: SHM_RDONLY %s\n", ate(at(ro, 0, SHM_RDONLY)));
    printf("0400 segment: SHM_RDONLY|SHM_EXEC %s\n", ate(at(ro, 0, SHM_RDONLY | SHM_EXEC)));
    printf("0400 segment, nattch %ld\n", nattch(ro));
    shmctl(ro, IPC_RMID, NULL);
    printf("0400 segment after IPC_RMID: nattch %ld\n", nattch(ro));
    int x = shmget(IPC_PRIVATE, PG, 0700);
    char *xp = shmat(x, NULL, SHM_EXEC);
    printf("0700 segment, SHM_EXEC: %s\n", ate((long)xp));
    if (xp != (char *)-1) {
        xp[0] = (char)0xc3;                        /* ret */
        ((void (*)(void))xp)();
        printf("ran code in it\n");
        shmdt(xp);
    }
    shmctl(x, IPC_RMID, NULL);

    /* IPC_SET, SHM_LOCK */
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.mode = 0640;
    printf("IPC_SET mode 0640: %s\n", e(shmctl(id, IPC_SET, &ds)));
    ds.shm_perm.uid = (uid_t)-1;
    printf("IPC_SET uid -1: %s\n", e(shmctl(id, IPC_SET, &ds)));
    ds.shm_perm.uid = geteuid();
    ds.shm_perm.gid = (gid_t)-1;
    printf("IPC_SET gid -1: %s\n", e(shmctl(id, IPC_SET, &ds)));
    shmctl(id, IPC_STAT, &ds);
    printf("mode %o ctime %d\n", ds.shm_perm.mode, ds.shm_ctime != 0);
    printf("SHM_LOCK: %s\n", e(shmctl(id, SHM_LOCK, NULL)));
    shmctl(id, IPC_STAT, &ds);
    printf("mode %o\n", ds.shm_perm.mode);
    printf("SHM_UNLOCK: %s\n", e(shmctl(id, SHM_UNLOCK, NULL)));
    shmctl(id, IPC_STAT, &ds);
    printf("mode %o\n", ds.shm_perm.mode);
    shm_lock_limit();

    /* bad calls */
    printf("shmctl cmd 99: %s\n", e(shmctl(id, 99, &ds)));
    printf("shmctl IPC_STAT|IPC_64 (raw): %s\n", e(syscall(SYS_shmctl, id, IPC_STAT | 0x100, &ds)));
    printf("shmctl id -1: %s\n", e(shmctl(-1, IPC_STAT, &ds)));
    printf("IPC_STAT to NULL: %s\n", e(ctl(id, IPC_STAT, NULL)));
    printf("IPC_STAT to page 0: %s\n", e(ctl(id, IPC_STAT, (void *)8)));
    printf("IPC_STAT to the kernel half: %s\n", e(ctl(id, IPC_STAT, KPTR)));
    printf("IPC_SET from the kernel half: %s\n", e(ctl(id, IPC_SET, KPTR)));
    printf("IPC_INFO to NULL: %s\n", e(ctl(0, IPC_INFO, NULL)));
    printf("SHM_INFO to NULL: %s\n", e(ctl(0, SHM_INFO, NULL)));
    printf("SHM_STAT of an unused index: %s\n", e(shmctl(0x7ffe, SHM_STAT, &ds)));
#ifdef __i386__
    /* ipc(2) itself: SHMAT's address through its third argument, the old structures (16-bit
       ids) without IPC_64, a version-1 SHMAT, an unknown call */
    unsigned long raddr = 0;
    r = syscall(SYS_ipc, 21, id, 0, &raddr, NULL, 0);
    printf("ipc SHMAT: %s, an address %d, nattch %ld\n", e(r), raddr != 0, nattch(id));
    printf("ipc SHMDT: %s\n", e(syscall(SYS_ipc, 22, 0, 0, 0, (void *)raddr, 0)));
    r = syscall(SYS_ipc, 21, id, 0, KPTR, NULL, 0);
    printf("ipc SHMAT to a bad pointer: %s, nattch %ld (attached all the same)\n", e(r), nattch(id));
    printf("ipc SHMAT version 1: %s\n", e(syscall(SYS_ipc, 21 | 0x10000, id, 0, &raddr, NULL, 0)));
    struct { int key; unsigned short uid, gid, cuid, cgid, mode, seq; int segsz, atime, dtime, ctime;
             unsigned short cpid, lpid, nattch, unused; unsigned u2, u3; } old;
    memset(&old, 0xff, sizeof old);
    r = syscall(SYS_ipc, 24, id, IPC_STAT, 0, &old, 0);
    printf("ipc SHMCTL IPC_STAT, old structure: %s segsz %d mode %o nattch %d uid-self %d cpid-self %d unused %d\n",
           e(r), old.segsz, old.mode, old.nattch, old.uid == geteuid(), old.cpid == (getpid() & 0xffff), old.unused);
    int oi[5];
    r = syscall(SYS_ipc, 24, 0, IPC_INFO, 0, oi, 0);
    printf("ipc SHMCTL IPC_INFO, old structure: %s shmmax %d shmmin %d shmmni %d shmseg %d shmall %d\n", r >= 0 ? "ok" : e(r),
           oi[0], oi[1], oi[2], oi[3], oi[4]);
    old.mode = 0604;
    old.uid = 0xffff;
    printf("ipc SHMCTL IPC_SET, old structure, uid 0xffff: %s\n", e(syscall(SYS_ipc, 24, id, IPC_SET, 0, &old, 0)));
    shmctl(id, IPC_STAT, &ds);
    printf("uid %d\n", ds.shm_perm.uid);
    old.uid = (unsigned short)geteuid();
    printf("ipc SHMCTL IPC_SET, old structure: %s\n", e(syscall(SYS_ipc, 24, id, IPC_SET, 0, &old, 0)));
    shmctl(id, IPC_STAT, &ds);
    printf("mode %o\n", ds.shm_perm.mode);
    printf("ipc SHMCTL IPC_STAT|IPC_64 to page 0: %s\n", e(syscall(SYS_ipc, 24, id, IPC_STAT | 0x100, 0, (void *)8, 0)));
    printf("ipc MSGGET: %s\n", e(r = syscall(SYS_ipc, 13, IPC_PRIVATE, 0600, 0, NULL, 0)));
    printf("ipc call 99: %s\n", e(syscall(SYS_ipc, 99, 0, 0, 0, NULL, 0)));
    if (r >= 0)
        syscall(SYS_ipc, 14, r, IPC_RMID | 0x100, 0, NULL, 0);
#endif

    /* IPC_RMID while attached: the key goes, the segment stays until the last detach */
    char *p2 = shmat(k, NULL, 0);
    strcpy(p2, "keyed");
    c = fork();
    if (c == 0) {
        char *cp = shmat(shmget(key, 0, 0), NULL, 0);   /* no fork: by the key */
        printf("another process by the key sees \"%s\"\n", cp);
        strcpy(cp, "written by key");
        shmdt(cp);
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("parent sees \"%s\"\n", p2);
    printf("IPC_RMID attached: %s\n", e(shmctl(k, IPC_RMID, NULL)));
    shmctl(k, IPC_STAT, &ds);
    printf("now: mode %o key %d nattch %lu\n", ds.shm_perm.mode, ds.shm_perm.__key, ds.shm_nattch);
    printf("shmget the key: %s\n", e(shmget(key, 0, 0)));
    char *p3 = shmat(k, NULL, 0);
    printf("shmat a removed one: %s, sees \"%s\", nattch %ld\n", ate((long)p3), p3, nattch(k));
    c = fork();
    if (c == 0) {
        shmdt(p2);
        shmdt(p3);
        printf("child detached both: nattch %ld\n", nattch(k));
        _exit(0);
    }
    waitpid(c, NULL, 0);
    printf("after the child: nattch %ld\n", nattch(k));
    shmdt(p3);
    printf("shmdt one: nattch %ld\n", nattch(k));
    printf("IPC_RMID again: %s\n", e(shmctl(k, IPC_RMID, NULL)));
    shmdt(p2);
    printf("shmdt the last: IPC_STAT %s\n", e(shmctl(k, IPC_STAT, &ds)));
    printf("shmat it: %s\n", ate(at(k, 0, 0)));

    /* ownership */
    shmctl(id, IPC_STAT, &ds);
    ds.shm_perm.uid = 0;
    ds.shm_perm.mode = 0600;
    printf("IPC_SET uid 0: %s\n", e(shmctl(id, IPC_SET, &ds)));
    shmctl(id, IPC_STAT, &ds);
    printf("uid %d cuid-self %d\n", ds.shm_perm.uid, ds.shm_perm.cuid == geteuid());
    printf("IPC_SET again (creator): %s\n", e(shmctl(id, IPC_SET, &ds)));
    printf("shmat as the creator, owner root: %s\n", ate(at(id, 0, SHM_RDONLY)));
    printf("shmdt p: %s\n", e(shmdt(p)));
    r = shmctl(id, IPC_RMID, NULL);
    printf("IPC_RMID: %s, IPC_STAT after: %s\n", e(r), e(shmctl(id, IPC_STAT, &ds)));
    printf("IPC_RMID again: %s\n", e(shmctl(id, IPC_RMID, NULL)));
    return 0;
}
