/* System V semaphores as Linux's ipc/sem.c: semget with keys, IPC_PRIVATE and its limits;
 * semctl GETVAL/SETVAL/GETALL/SETALL/GETPID/GETNCNT/GETZCNT/IPC_STAT/IPC_SET/IPC_RMID/
 * IPC_INFO/SEM_INFO/SEM_STAT and ERANGE; semop all-or-nothing over several operations,
 * IPC_NOWAIT, wait-for-zero, sleepers woken in queue order (the woken operation already
 * done), IPC_RMID under a sleeper (EIDRM), a signal (EINTR, even with SA_RESTART),
 * semtimedop's timeouts (EAGAIN) and bad timespecs; SEM_UNDO applied at exit (clamped,
 * cleared by SETVAL, out of range: ERANGE), shared by the threads of a process
 * (CLONE_SYSVSEM), and an exit with undos on a removed set; bad pointers and sizes.
 * Waiting is seen through GETNCNT/GETZCNT (no sleeps as synchronisation). The key is made
 * from the pid so runs on the host never meet; everything is removed at the end. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static const char *e(long r)
{
    static char buf[16];
    if (r != -1)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EEXIST: return "EEXIST";
    case ENOENT: return "ENOENT";
    case E2BIG: return "E2BIG";
    case EAGAIN: return "EAGAIN";
    case EIDRM: return "EIDRM";
    case EINTR: return "EINTR";
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EFBIG: return "EFBIG";
    case ERANGE: return "ERANGE";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static long op(int id, unsigned short n, short v, short flg)
{
    struct sembuf b = { n, v, flg };
    return semop(id, &b, 1);
}

#ifdef __i386__                           /* sysvsem-m32: ipc(2)'s SEMOP and SEMTIMEDOP (ipc32.c) */
#define KPTR ((void *)0xfffff000UL)       /* a pointer no i386 process can use */
static long raw_semop(int id, void *sops, unsigned long nsops) { return syscall(SYS_ipc, 1, id, nsops, 0, sops, 0); }
static long timed(int id, void *sops, unsigned long nsops, void *ts) { return syscall(SYS_ipc, 4, id, nsops, 0, sops, ts); }
#else
#define KPTR ((void *)0xffffffff81000000UL)
static long raw_semop(int id, void *sops, unsigned long nsops) { return syscall(SYS_semop, id, sops, nsops); }
static long timed(int id, void *sops, unsigned long nsops, void *ts) { return syscall(SYS_semtimedop, id, sops, nsops, ts); }
#endif
static int val(int id, int n) { return semctl(id, n, GETVAL); }
/* semctl itself, for bad pointers: glibc's i386 semctl converts through a buffer of its own */
static long ctl(int id, int cmd, void *p) { return syscall(SYS_semctl, id, 0, cmd, p); }

static void until(int id, int n, int cmd, int want)
{
    while (semctl(id, n, cmd) != want)
        sched_yield();
}

static int status(pid_t c)
{
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void on_usr1(int sig) { (void)sig; }

/* A child's result as its exit status (0, or the errno): printed by the parent after
   waitpid, so that the two processes' lines never race. */
static void result_exit(long r) { _exit(r == -1 ? errno : 0); }
static const char *result(int st)
{
    if (st == 0)
        return "ok";
    errno = st;
    return e(-1);
}

static int tid_set;
static void *undo_thread(void *arg)
{
    printf("thread: +1 SEM_UNDO: %s\n", e(op(tid_set, 0, 1, SEM_UNDO)));
    return arg;
}

/* Six processes hammer a set with random operations (mostly IPC_NOWAIT, some timed, some
   SEM_UNDO) while the parent sets values, removes the set under them and makes another:
   nothing may hang or crash, and a fresh set works afterwards. */
static void race(void)
{
    int id = semget(IPC_PRIVATE, 4, 0600);
    pid_t kids[6];
    for (int k = 0; k < 6; k++) {
        if ((kids[k] = fork()) == 0) {
            unsigned x = 12345u + (unsigned)k * 7919u;
            for (int i = 0; i < 300; i++) {
                x = x * 1103515245u + 12345u;
                struct sembuf o = { (unsigned short)((x >> 8) % 4), (short)((int)((x >> 12) % 3) - 1),
                                    (short)(((x >> 16) % 2 ? SEM_UNDO : 0) | ((x >> 20) % 10 ? IPC_NOWAIT : 0)) };
                struct timespec t = { 0, 1000000 };
                long r = timed(id, &o, 1, &t);
                if (r == -1 && (errno == EIDRM || errno == EINVAL))
                    break;
            }
            _exit(0);
        }
    }
    for (int i = 0; i < 200; i++) {
        semctl(id, i % 4, SETVAL, i % 3);
        if (i == 150)
            semctl(id, 0, IPC_RMID);
        sched_yield();
    }
    int bad = 0;
    for (int k = 0; k < 6; k++)
        bad += status(kids[k]) != 0;
    int fresh = semget(IPC_PRIVATE, 2, 0600);
    long r = op(fresh, 1, 1, SEM_UNDO);
    printf("race: children failed %d, a fresh set: %s", bad, e(r));
    printf(" %s\n", e(semctl(fresh, 0, IPC_RMID)));
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc == 2 && strcmp(argv[1], "race") == 0) {
        race();
        return 0;
    }
    int root = geteuid() == 0;
    key_t key = 0x54000000 | (getpid() & 0xffffff);
    (void)root;

    struct seminfo si, si0, si1;
    long mi = semctl(0, 0, IPC_INFO, &si);
    printf("IPC_INFO: %s semmap %d semmni %d semmns %d semmnu %d semmsl %d semopm %d semume %d semusz %d "
           "semvmx %d semaem %d\n", mi >= 0 ? "ok" : e(mi), si.semmap, si.semmni, si.semmns, si.semmnu,
           si.semmsl, si.semopm, si.semume, si.semusz, si.semvmx, si.semaem);
    printf("IPC_INFO id -1: %s\n", e(semctl(-1, 0, IPC_INFO, &si)));
    semctl(0, 0, SEM_INFO, &si0);

    /* semget */
    printf("semget nsems -1: %s\n", e(semget(IPC_PRIVATE, -1, 0600)));
    printf("semget nsems 32001: %s\n", e(semget(IPC_PRIVATE, 32001, 0600)));
    printf("semget nsems 0: %s\n", e(semget(IPC_PRIVATE, 0, 0600)));
    printf("semget key, no IPC_CREAT: %s\n", e(semget(key, 1, 0600)));
    int k = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    printf("semget key IPC_CREAT|IPC_EXCL: %s\n", e(k));
    printf("again IPC_CREAT|IPC_EXCL: %s\n", e(semget(key, 2, IPC_CREAT | IPC_EXCL | 0600)));
    printf("again, more: %s\n", e(semget(key, 3, 0600)));
    printf("again, nsems 0: same id %d\n", semget(key, 0, 0) == k);
    int big = semget(IPC_PRIVATE, 32000, 0600);
    printf("semget nsems 32000: %s\n", e(big));
    semctl(0, 0, SEM_INFO, &si1);
    printf("SEM_INFO: semusz +%d semaem +%d\n", si1.semusz - si0.semusz, si1.semaem - si0.semaem);
    printf("last of 32000: SETVAL %s\n", e(semctl(big, 31999, SETVAL, 7)));
    printf("last of 32000: GETVAL %d\n", val(big, 31999));
    struct sembuf last = { 31999, -7, SEM_UNDO };
    printf("last of 32000: semop SEM_UNDO %s\n", e(semop(big, &last, 1)));

    int id = semget(IPC_PRIVATE, 3, 0600);
    struct semid_ds ds;
    semctl(id, 0, IPC_STAT, &ds);
    printf("IPC_STAT: nsems %lu mode %o otime %ld ctime %d uid-self %d\n", (unsigned long)ds.sem_nsems, ds.sem_perm.mode,
           (long)ds.sem_otime, ds.sem_ctime != 0, ds.sem_perm.uid == geteuid());
    printf("SEM_STAT by index: same id %d\n", semctl(id & 0x7fff, 0, SEM_STAT, &ds) == id);
    printf("SEM_STAT_ANY by index: same id %d\n", semctl(id & 0x7fff, 0, SEM_STAT_ANY, &ds) == id);

    /* values */
    printf("GETVAL: %d, GETPID %d\n", val(id, 0), semctl(id, 0, GETPID));
    printf("SETVAL 5: %s\n", e(semctl(id, 0, SETVAL, 5)));
    printf("GETVAL: %d, GETPID self %d\n", val(id, 0), semctl(id, 0, GETPID) == getpid());
    printf("SETVAL 32767: %s\n", e(semctl(id, 1, SETVAL, 32767)));
    printf("SETVAL 32768: %s\n", e(semctl(id, 1, SETVAL, 32768)));
    printf("SETVAL -1: %s\n", e(semctl(id, 1, SETVAL, -1)));
    printf("SETVAL semnum 3: %s\n", e(semctl(id, 3, SETVAL, 1)));
    printf("SETVAL semnum -1: %s\n", e(semctl(id, -1, SETVAL, 1)));
    printf("SETVAL 40000 on a bad id: %s\n", e(semctl(-5 & 0x7fffffff, 0, SETVAL, 40000)));
    printf("GETVAL semnum 3: %s\n", e(semctl(id, 3, GETVAL)));
    unsigned short all[3] = { 1, 2, 3 }, got[3];
    printf("SETALL 1 2 3: %s\n", e(semctl(id, 0, SETALL, all)));
    printf("GETALL: %s", e(semctl(id, 0, GETALL, got)));
    printf(" %d %d %d\n", got[0], got[1], got[2]);
    all[1] = 40000;
    printf("SETALL with 40000: %s\n", e(semctl(id, 0, SETALL, all)));
    printf("GETALL to page 0: %s\n", e(semctl(id, 0, GETALL, (void *)8)));
    printf("SETALL from the kernel half: %s\n", e(semctl(id, 0, SETALL, KPTR)));
    printf("GETALL to the kernel half: %s\n", e(semctl(id, 0, GETALL, KPTR)));
    semctl(id, 0, IPC_STAT, &ds);
    printf("otime still %ld\n", (long)ds.sem_otime);

    /* semop */
    struct sembuf ops[600];
    memset(ops, 0, sizeof ops);
    printf("nsops 0: %s\n", e(raw_semop(id, ops, 0)));
    printf("nsops 501: %s\n", e(raw_semop(id, ops, 501)));
    ops[0] = (struct sembuf){ 0, 1, 0 };
#ifndef __i386__
    printf("nsops 2^32 (the upper half ignored): %s\n", e(raw_semop(id, ops, 1UL << 32)));
    long rr = raw_semop(id, ops, (1UL << 32) + 1);
#else
    printf("nsops 2^32: no such value on i386\n");
    long rr = raw_semop(id, ops, 1);
#endif
    printf("nsops 2^32+1: %s, GETVAL %d\n", e(rr), val(id, 0));
    for (int i = 1; i <= 500; i++)
        ops[i] = (struct sembuf){ 0, i % 2 ? 1 : -1, 0 };
    rr = raw_semop(id, ops + 1, 500);
    printf("nsops 500, +1 -1 250 times: %s, GETVAL %d\n", e(rr), val(id, 0));
    printf("sops NULL: %s\n", e(raw_semop(id, NULL, 1)));
    printf("sops in the kernel half: %s\n", e(raw_semop(id, KPTR, 1)));
    printf("sem_num 3: %s\n", e(op(id, 3, 1, 0)));
    printf("id -1: %s\n", e(op(-1, 0, 1, 0)));
    printf("below 0, IPC_NOWAIT: %s\n", e(op(id, 0, -3, IPC_NOWAIT)));
    printf("past 32767: %s\n", e(op(id, 2, 32765, 0)));
    rr = op(id, 2, 32764, 0);
    printf("to 32767: %s, GETVAL %d\n", e(rr), val(id, 2));
    struct sembuf two[2] = { { 0, -1, 0 }, { 1, -10, IPC_NOWAIT } };
    printf("two ops, the second cannot: %s\n", e(semop(id, two, 2)));
    printf("values untouched: %d %d\n", val(id, 0), val(id, 1));
    struct sembuf dup[3] = { { 1, 1, 0 }, { 1, 1, 0 }, { 1, -4, 0 } };
    rr = semop(id, dup, 3);
    printf("three ops on one semaphore: %s, GETVAL %d\n", e(rr), val(id, 1));
    printf("wait-for-zero, IPC_NOWAIT: %s\n", e(op(id, 0, 0, IPC_NOWAIT)));
    printf("wait-for-zero on 1 (zero): %s\n", e(op(id, 1, 0, 0)));
    semctl(id, 0, IPC_STAT, &ds);
    printf("otime set %d\n", ds.sem_otime != 0);

    /* sleepers */
    semctl(id, 0, SETVAL, 0);
    pid_t a = fork();
    if (a == 0) {
        result_exit(op(id, 0, -1, 0) == -1 ? -1 : (errno = 1, -1));
    }
    until(id, 0, GETNCNT, 1);
    pid_t b = fork();
    if (b == 0) {
        result_exit(op(id, 0, -1, 0) == -1 ? -1 : (errno = 2, -1));
    }
    until(id, 0, GETNCNT, 2);
    printf("GETNCNT 2, GETZCNT %d\n", semctl(id, 0, GETZCNT));
    rr = op(id, 0, 1, 0);
    printf("+1: %s, GETVAL at once %d\n", e(rr), val(id, 0));
    int st;
    pid_t first = wait(&st);
    printf("first woken: %s (status %d), GETNCNT %d\n", first == a ? "A" : first == b ? "B" : "?",
           WEXITSTATUS(st), semctl(id, 0, GETNCNT));
    printf("+1: %s\n", e(op(id, 0, 1, 0)));
    printf("second: status %d\n", status(first == a ? b : a));

    semctl(id, 2, SETVAL, 3);
    pid_t z = fork();
    if (z == 0) {
        result_exit(op(id, 2, 0, 0));
    }
    until(id, 2, GETZCNT, 1);
    printf("GETZCNT 1; SETVAL 0: %s\n", e(semctl(id, 2, SETVAL, 0)));
    printf("child: wait-for-zero: %s\n", result(status(z)));

    semctl(id, 0, SETVAL, 1);
    semctl(id, 1, SETVAL, 0);
    pid_t m = fork();
    if (m == 0) {
        struct sembuf both[2] = { { 0, -1, 0 }, { 1, -1, 0 } };
        result_exit(semop(id, both, 2));
    }
    until(id, 1, GETNCNT, 1);
    printf("blocked on 1 only: GETNCNT 0=%d 1=%d\n", semctl(id, 0, GETNCNT), semctl(id, 1, GETNCNT));
    printf("+1 on 1: %s\n", e(op(id, 1, 1, 0)));
    int cs = status(m);
    printf("child: both: %s, values %d %d\n", result(cs), val(id, 0), val(id, 1));

    /* a signal, with and without SA_RESTART */
    for (int restart = 0; restart < 2; restart++) {
        pid_t s = fork();
        if (s == 0) {
            struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = restart ? SA_RESTART : 0 };
            sigaction(SIGUSR1, &sa, NULL);
            printf("child (SA_RESTART %d): signalled: %s\n", restart, e(op(id, 0, -1, 0)));
            _exit(0);
        }
        until(id, 0, GETNCNT, 1);
        kill(s, SIGUSR1);
        int ss = status(s);
        printf("status %d, GETNCNT %d\n", ss, semctl(id, 0, GETNCNT));
    }

    /* semtimedop */
    struct timespec ts = { 0, 50 * 1000 * 1000 };
    struct sembuf dec = { 0, -1, 0 };
    printf("semtimedop 50 ms: %s\n", e(timed(id, &dec, 1, &ts)));
    ts = (struct timespec){ 0, 0 };
    printf("semtimedop 0: %s\n", e(timed(id, &dec, 1, &ts)));
    ts = (struct timespec){ 0, 1000000000 };
    printf("semtimedop nsec 1e9: %s\n", e(timed(id, &dec, 1, &ts)));
    ts = (struct timespec){ -1, 0 };
    printf("semtimedop sec -1: %s\n", e(timed(id, &dec, 1, &ts)));
    printf("semtimedop sec -1, nsops 0: %s\n", e(timed(id, &dec, 0, &ts)));
    printf("semtimedop timespec at page 0: %s\n", e(timed(id, &dec, 0, (void *)8)));
    printf("semtimedop timespec in the kernel half: %s\n", e(timed(id, &dec, 1, KPTR)));
    ts = (struct timespec){ 1, 0 };
    semctl(id, 0, SETVAL, 1);
    printf("semtimedop that can go on: %s\n", e(timed(id, &dec, 1, &ts)));
    printf("semtimedop NULL (no timeout), can go on: %s\n", e(timed(id, (struct sembuf[]){ { 0, 0, 0 } }, 1, NULL)));

    /* IPC_RMID under a sleeper */
    int gone = semget(IPC_PRIVATE, 1, 0600);
    pid_t r = fork();
    if (r == 0) {
        struct timespec t = { 30, 0 };
        struct sembuf d = { 0, -1, 0 };
        result_exit(timed(gone, &d, 1, &t));
    }
    until(gone, 0, GETNCNT, 1);
    printf("IPC_RMID: %s\n", e(semctl(gone, 0, IPC_RMID)));
    printf("child: removed while asleep: %s\n", result(status(r)));
    printf("semop on it: %s; GETVAL: %s\n", e(op(gone, 0, 1, 0)), e(semctl(gone, 0, GETVAL)));

    /* SEM_UNDO */
    semctl(id, 0, SETVAL, 5);
    pid_t u = fork();
    if (u == 0) {
        op(id, 0, 3, SEM_UNDO);
        op(id, 0, -1, SEM_UNDO);
        printf("child: +3 -1 SEM_UNDO: GETVAL %d\n", val(id, 0));
        _exit(0);
    }
    cs = status(u);
    printf("status %d, GETVAL %d after the exit\n", cs, val(id, 0));
    u = fork();
    if (u == 0) {
        op(id, 0, 5, SEM_UNDO);
        op(id, 0, -10, 0);
        printf("child: +5 SEM_UNDO, -10: GETVAL %d\n", val(id, 0));
        _exit(0);
    }
    cs = status(u);
    printf("status %d, GETVAL %d after the exit (clamped at 0)\n", cs, val(id, 0));
    u = fork();
    if (u == 0) {
        op(id, 0, 2, SEM_UNDO);
        semctl(id, 0, SETVAL, 10);
        _exit(0);
    }
    cs = status(u);
    printf("status %d, GETVAL %d after SETVAL cleared the undo\n", cs, val(id, 0));
    semctl(id, 0, SETVAL, 0);
    u = fork();
    if (u == 0) {
        printf("child: +32767 SEM_UNDO: %s\n", e(op(id, 0, 32767, SEM_UNDO)));
        printf("child: -32767: %s\n", e(op(id, 0, -32767, 0)));
        printf("child: +32767 SEM_UNDO again: %s\n", e(op(id, 0, 32767, SEM_UNDO)));
        printf("child: +1 SEM_UNDO: %s\n", e(op(id, 0, 1, SEM_UNDO)));
        _exit(0);
    }
    cs = status(u);
    printf("status %d, GETVAL %d\n", cs, val(id, 0));
    u = fork();
    if (u == 0) {
        int doomed = semget(IPC_PRIVATE, 2, 0600);
        op(doomed, 1, 4, SEM_UNDO);
        printf("child: IPC_RMID with an undo: %s\n", e(semctl(doomed, 0, IPC_RMID)));
        op(id, 1, 1, SEM_UNDO);
        _exit(0);
    }
    cs = status(u);
    printf("status %d, GETVAL 1 %d (its other undo done)\n", cs, val(id, 1));
    semctl(id, 0, SETVAL, 0);
    tid_set = id;
    u = fork();
    if (u == 0) {
        pthread_t t;
        pthread_create(&t, NULL, undo_thread, NULL);
        pthread_join(t, NULL);
        printf("child: thread ended, GETVAL %d (the undo list is the process's)\n", val(id, 0));
        _exit(0);
    }
    cs = status(u);
    printf("status %d, GETVAL %d after the process\n", cs, val(id, 0));

    /* permissions, IPC_SET */
    int ro = semget(IPC_PRIVATE, 1, 0400);
    printf("0400 set: GETVAL %s\n", e(semctl(ro, 0, GETVAL)));
    printf("0400 set: SETVAL %s\n", e(semctl(ro, 0, SETVAL, 1)));
    printf("0400 set: semop +1 %s\n", e(op(ro, 0, 1, 0)));
    printf("0400 set: wait-for-zero %s\n", e(op(ro, 0, 0, IPC_NOWAIT)));
    semctl(ro, 0, IPC_RMID);
    semctl(id, 0, IPC_STAT, &ds);
    ds.sem_perm.mode = 0640;
    ds.sem_perm.uid = 0;
    ds.sem_perm.uid = (uid_t)-1;
    printf("IPC_SET uid -1: %s\n", e(semctl(id, 0, IPC_SET, &ds)));
    ds.sem_perm.uid = 0;
    printf("IPC_SET mode 0640 uid 0: %s\n", e(semctl(id, 0, IPC_SET, &ds)));
    semctl(id, 0, IPC_STAT, &ds);
    printf("mode %o uid %d\n", ds.sem_perm.mode, ds.sem_perm.uid);
    printf("semctl cmd 99: %s\n", e(semctl(id, 0, 99)));
    printf("IPC_STAT to NULL: %s\n", e(ctl(id, IPC_STAT, NULL)));
    printf("IPC_STAT to the kernel half: %s\n", e(ctl(id, IPC_STAT, KPTR)));
    printf("IPC_SET from page 0: %s\n", e(ctl(id, IPC_SET, (void *)8)));
    printf("IPC_INFO to NULL: %s\n", e(ctl(0, IPC_INFO, NULL)));
    printf("SEM_STAT of an unused index: %s\n", e(semctl(0x7ffe, 0, SEM_STAT, &ds)));
#ifdef __i386__
    /* ipc(2)'s SEMCTL: its fourth argument points to the union semun; without IPC_64 the old
       structure (16-bit ids) */
    struct { int key; unsigned short uid, gid, cuid, cgid, mode, seq; int otime, ctime; unsigned b, p, pl, u;
             unsigned short nsems, pad; } old;
    memset(&old, 0xff, sizeof old);
    void *arg = &old;
    long r0 = syscall(SYS_ipc, 3, id, 0, IPC_STAT, &arg, 0);
    printf("ipc SEMCTL IPC_STAT, old structure: %s nsems %d mode %o uid %d base %u\n", e(r0), old.nsems, old.mode,
           old.uid, old.b);
    arg = (void *)7;
    r0 = syscall(SYS_ipc, 3, id, 2, SETVAL, &arg, 0);
    printf("ipc SEMCTL SETVAL 7: %s, GETVAL %d\n", e(r0), val(id, 2));
    printf("ipc SEMCTL with no argument: %s\n", e(syscall(SYS_ipc, 3, id, 2, GETVAL, NULL, 0)));
    printf("ipc SEMCTL argument at page 0: %s\n", e(syscall(SYS_ipc, 3, id, 2, GETVAL, (void *)8, 0)));
    printf("ipc SEMGET: %s\n", e(r0 = syscall(SYS_ipc, 2, IPC_PRIVATE, 1, 0600, NULL, 0)));
    arg = NULL;
    printf("ipc SEMCTL IPC_RMID|IPC_64: %s\n", e(syscall(SYS_ipc, 3, r0, 0, IPC_RMID | 0x100, &arg, 0)));
#endif
    printf("IPC_RMID: %s %s %s\n", e(semctl(id, 0, IPC_RMID)), e(semctl(k, 0, IPC_RMID)), e(semctl(big, 0, IPC_RMID)));
    printf("IPC_RMID again: %s\n", e(semctl(id, 0, IPC_RMID)));
    return 0;
}
