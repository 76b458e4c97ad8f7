/* What an ordinary i386 glibc program with threads, sleeps, timers and signal waits asks of the
 * kernel: pthread_create/join (clone with CLONE_SETTLS naming a struct user_desc), mutexes,
 * condition variables, sem_t and pthread_cond_timedwait (futex / futex_time64), nanosleep and
 * clock_nanosleep (32-bit timespec and time64), alarm, setitimer/getitimer (32-bit itimerval),
 * sigtimedwait/sigwaitinfo (32-bit siginfo, rt_sigtimedwait and its time64 form), mremap and
 * poll. Then the raw i386 calls with hostile arguments: bad pointers, page 0, the top page of
 * the 4 GiB, invalid timespecs, a struct user_desc with bad fields. Every line is the same on
 * Linux (IA32 emulation) and ringlab. Built only as i386 (m32thr-m32).
 * `m32thr N`: N rounds of the thread churn (default 1). */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define NR_futex 240
#define NR_futex_time64 422
#define NR_nanosleep 162
#define NR_clock_nanosleep 267
#define NR_clock_nanosleep_time64 407
#define NR_rt_sigtimedwait 177
#define NR_rt_sigtimedwait_time64 421
#define NR_mremap 163
#define NR_setitimer 104
#define NR_getitimer 105
#define NR_clone 120
#define TOP_PAGE ((void *)0xfffff000u)     /* above an i386 process's TASK_SIZE (0xffffe000) */

static const char *e(long r)
{
    static char bufs[8][16];              /* a printf's worth of answers */
    static unsigned next;
    char *buf = bufs[next++ % 8];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EINVAL: return "EINVAL";
    case EFAULT: return "EFAULT";
    case EPERM: return "EPERM";
    case EAGAIN: return "EAGAIN";
    case EINTR: return "EINTR";
    case ENOMEM: return "ENOMEM";
    case ENOSYS: return "ENOSYS";
    case ETIMEDOUT: return "ETIMEDOUT";
    case ESRCH: return "ESRCH";
    default: snprintf(buf, 16, "errno%d", errno); return buf;
    }
}

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long counter, ready;
static sem_t sem;
static __thread int tls_word = 7;

static void *worker(void *arg)
{
    long id = (long)arg;
    tls_word = (int)id * 10;              /* each thread its own copy: %gs names its own TLS entry */
    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&mu);
        counter++;
        pthread_mutex_unlock(&mu);
    }
    pthread_mutex_lock(&mu);
    ready++;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    sem_post(&sem);
    return (void *)(long)(tls_word + (int)id);
}

/* A robust mutex whose owner thread ends holding it: the next locker gets EOWNERDEAD (the
   kernel walked the thread's i386 robust list, set_robust_list 311, at its exit). */
static pthread_mutex_t robust;
static void *die_holding(void *arg)
{
    pthread_mutex_lock(&robust);
    return arg;
}

static void robust_mutex(void)
{
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
    pthread_mutex_init(&robust, &a);
    pthread_t t;
    pthread_create(&t, NULL, die_holding, NULL);
    pthread_join(t, NULL);
    int r = pthread_mutex_lock(&robust);
    int c = r == EOWNERDEAD ? pthread_mutex_consistent(&robust) : -1;
    int u = pthread_mutex_unlock(&robust);
    printf("m32thr: robust lock=%s consistent=%d unlock=%d\n", r == EOWNERDEAD ? "EOWNERDEAD" : "other", c, u);
    uint32_t head = 0, len = 0;
    long g = syscall(312, 0, &head, &len);   /* get_robust_list: 32-bit head and length */
    printf("m32thr: get_robust_list=%ld len=%u head_set=%d\n", g, len, head != 0);
}

static void threads(int rounds)
{
    long sum = 0;
    robust_mutex();
    sem_init(&sem, 0, 0);
    for (int r = 0; r < rounds; r++) {
        pthread_t t[4];
        counter = ready = 0;
        for (long i = 0; i < 4; i++)
            if (pthread_create(&t[i], NULL, worker, (void *)(i + 1)))
                printf("m32thr: pthread_create failed\n");
        pthread_mutex_lock(&mu);
        while (ready < 4)
            pthread_cond_wait(&cv, &mu);  /* blocks in futex: the workers wake it */
        pthread_mutex_unlock(&mu);
        for (int i = 0; i < 4; i++)
            sem_wait(&sem);
        for (int i = 0; i < 4; i++) {
            void *ret;
            pthread_join(t[i], &ret);
            sum += (long)ret;
        }
    }
    printf("m32thr: threads counter=%ld ret_sum=%ld main_tls=%d\n", counter, sum / rounds, tls_word);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000)
        ts.tv_sec++, ts.tv_nsec -= 1000000000;
    pthread_mutex_lock(&mu);
    int rc = pthread_cond_timedwait(&cv, &mu, &ts);
    pthread_mutex_unlock(&mu);
    printf("m32thr: cond_timedwait=%s\n", rc == ETIMEDOUT ? "ETIMEDOUT" : "other");
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += 20000000;
    if (ts.tv_nsec >= 1000000000)
        ts.tv_sec++, ts.tv_nsec -= 1000000000;
    errno = 0;
    int sr = sem_timedwait(&sem, &ts);
    printf("m32thr: sem_timedwait=%d %s\n", sr, sr ? e(-1) : "ok");
}

static double since(const struct timespec *a)
{
    struct timespec b;
    clock_gettime(CLOCK_MONOTONIC, &b);
    return (double)(b.tv_sec - a->tv_sec) + (b.tv_nsec - a->tv_nsec) / 1e9;
}

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

static void sleeps(void)
{
    struct timespec t0, d = { 0, 20000000 }, rem = { 9, 9 };
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int a = nanosleep(&d, &rem);
    int b = clock_nanosleep(CLOCK_MONOTONIC, 0, &d, NULL);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 20000000;
    if (abs.tv_nsec >= 1000000000)
        abs.tv_sec++, abs.tv_nsec -= 1000000000;
    int c = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL);
    printf("m32thr: sleeps %d %d %d slept_enough=%d\n", a, b, c, since(&t0) >= 0.06);

    signal(SIGALRM, on_alarm);
    struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, old;
    int s = setitimer(ITIMER_REAL, &it, NULL);
    while (alarms < 3)
        pause();
    getitimer(ITIMER_REAL, &old);
    int interval_ok = old.it_interval.tv_sec == 0 && old.it_interval.tv_usec >= 20000 &&
                      old.it_interval.tv_usec < 30000;
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, &old);
    printf("m32thr: setitimer=%d alarms>=3 interval_ok=%d\n", s, interval_ok);
    alarms = 0;
    alarm(1);
    unsigned left = alarm(0);
    printf("m32thr: alarm left=%u\n", left);

    /* nanosleep interrupted by a handler: -EINTR, the remainder written in 32-bit fields */
    it = (struct itimerval){ { 0, 0 }, { 0, 20000 } };
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec longer = { 5, 0 };
    memset(&rem, 0xff, sizeof rem);
    int n = nanosleep(&longer, &rem);
    printf("m32thr: nanosleep interrupted=%s rem_ok=%d\n", e(n), rem.tv_sec >= 3 && rem.tv_sec <= 5 &&
           rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
}

static void sigwaits(void)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGUSR2);
    sigprocmask(SIG_BLOCK, &set, NULL);
    union sigval v = { .sival_int = 1234 };
    int q = sigqueue(getpid(), SIGUSR2, v);   /* rt_sigqueueinfo with a compat siginfo */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    struct timespec t = { 1, 0 };
    int r = sigtimedwait(&set, &si, &t);
    printf("m32thr: sigqueue=%d sigtimedwait=%d signo=%d code=%d pid_ok=%d value=%d\n", q, r, si.si_signo,
           si.si_code, si.si_pid == getpid(), si.si_value.sival_int);
    raise(SIGUSR1);
    memset(&si, 0, sizeof si);
    r = sigwaitinfo(&set, &si);
    printf("m32thr: sigwaitinfo=%d signo=%d code=%d uid=%d\n", r, si.si_signo, si.si_code, si.si_uid);
    struct timespec z = { 0, 10000000 };
    r = sigtimedwait(&set, &si, &z);
    printf("m32thr: sigtimedwait empty=%s\n", e(r));
    /* rt_tgsigqueueinfo (335) with a compat siginfo, to this thread */
    memset(&si, 0, sizeof si);
    si.si_code = SI_QUEUE;
    si.si_pid = getpid();
    si.si_value.sival_int = 77;
    long t3 = syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2, &si);
    memset(&si, 0, sizeof si);
    r = sigtimedwait(&set, &si, &t);
    printf("m32thr: rt_tgsigqueueinfo=%s sigtimedwait=%d code=%d value=%d\n", e(t3), r, si.si_code,
           si.si_value.sival_int);
    printf("m32thr: rt_tgsigqueueinfo info at 4 GiB - 16: %s\n",
           e(syscall(SYS_rt_tgsigqueueinfo, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR2, (void *)0xfffffff0)));
}

static void remaps(void)
{
    char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(p, "kept");
    char *block = mmap(p + 4096, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    char *q = mremap(p, 4096, 64 * 4096, MREMAP_MAYMOVE);
    int moved = q != p;
    q[64 * 4096 - 1] = 1;
    printf("m32thr: mremap ok=%d moved=%d kept=%s below4g=1\n", q != MAP_FAILED, moved, q);
    char *s = mremap(q, 64 * 4096, 4096, 0);
    printf("m32thr: mremap shrink same=%d\n", s == q);
    munmap(s, 4096);
    if (block != MAP_FAILED)
        munmap(block, 4096);
    int fds[2];
    pipe(fds);
    struct pollfd pf = { fds[0], POLLIN, 0 };
    int a = poll(&pf, 1, 10);
    write(fds[1], "x", 1);
    int b = poll(&pf, 1, 1000);
    printf("m32thr: poll %d %d revents=%d\n", a, b, pf.revents);
}

/* The raw i386 calls with hostile arguments: each line the error Linux gives. */
static long raw(long nr, long a, long b, long c, long d, long f, long g)
{
    return syscall(nr, a, b, c, d, f, g);
}

/* raw()'s outcome as a word at once: printf's arguments are evaluated in any order */
static const char *R(long nr, long a, long b, long c, long d, long f, long g)
{
    return e(raw(nr, a, b, c, d, f, g));
}

static void hostile(void)
{
    static uint32_t word = 5;
    int32_t ts32_bad[2] = { 0, 1000000000 }, ts32_neg[2] = { -1, 0 }, ts32_ok[2] = { 0, 1000000 };
    int64_t ts64_bad[2] = { 0, 1000000000 }, ts64_ok[2] = { 0, 1000000 };
    long P0 = 0, TOP = (long)TOP_PAGE, BAD = 1;
    printf("m32thr: futex wait NULL=%s top=%s bad=%s\n", R(NR_futex, P0, FUTEX_WAIT, 0, 0, 0, 0),
           R(NR_futex, TOP, FUTEX_WAIT, 0, 0, 0, 0), R(NR_futex, BAD, FUTEX_WAIT, 0, 0, 0, 0));
    printf("m32thr: futex wait val=%s ts_bad=%s ts_neg=%s ts_ptr=%s ts_top=%s timeout=%s\n",
           R(NR_futex, (long)&word, FUTEX_WAIT, 4, 0, 0, 0),
           R(NR_futex, (long)&word, FUTEX_WAIT, 5, (long)ts32_bad, 0, 0),
           R(NR_futex, (long)&word, FUTEX_WAIT, 5, (long)ts32_neg, 0, 0),
           R(NR_futex, (long)&word, FUTEX_WAIT, 5, BAD, 0, 0),
           R(NR_futex, (long)&word, FUTEX_WAIT, 5, TOP, 0, 0),
           R(NR_futex, (long)&word, FUTEX_WAIT, 5, (long)ts32_ok, 0, 0));
    /* futex_time64 reads 16 bytes: { 0, 1000000000 } as two 32-bit words would be fine */
    printf("m32thr: futex_time64 ts_bad=%s ts32_layout=%s timeout=%s wake=%ld op=%s\n",
           R(NR_futex_time64, (long)&word, FUTEX_WAIT, 5, (long)ts64_bad, 0, 0),
           R(NR_futex_time64, (long)&word, FUTEX_WAIT, 5, (long)ts32_bad, 0, 0),
           R(NR_futex_time64, (long)&word, FUTEX_WAIT, 5, (long)ts64_ok, 0, 0),
           raw(NR_futex_time64, (long)&word, FUTEX_WAKE, 1, 0, 0, 0),
           R(NR_futex, (long)&word, 99, 0, 0, 0, 0));
    printf("m32thr: futex bitset0=%s requeue_top=%s wake_top=%ld\n",
           R(NR_futex, (long)&word, FUTEX_WAIT_BITSET, 5, 0, 0, 0),
           R(NR_futex, (long)&word, FUTEX_CMP_REQUEUE, 1, 1, TOP, 5),
           raw(NR_futex, TOP, FUTEX_WAKE, 1, 0, 0, 0));

    printf("m32thr: nanosleep bad=%s neg=%s ptr=%s top=%s\n", R(NR_nanosleep, (long)ts32_bad, 0, 0, 0, 0, 0),
           R(NR_nanosleep, (long)ts32_neg, 0, 0, 0, 0, 0), R(NR_nanosleep, P0, 0, 0, 0, 0, 0),
           R(NR_nanosleep, TOP, 0, 0, 0, 0, 0));
    printf("m32thr: clock_nanosleep clk=%s flags=%s bad=%s ptr=%s ok=%ld t64bad=%s t64ok=%ld\n",
           R(NR_clock_nanosleep, 99, 0, (long)ts32_ok, 0, 0, 0),
           R(NR_clock_nanosleep, CLOCK_MONOTONIC, 2, (long)ts32_ok, 0, 0, 0),
           R(NR_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)ts32_bad, 0, 0, 0),
           R(NR_clock_nanosleep, CLOCK_MONOTONIC, 0, P0, 0, 0, 0),
           raw(NR_clock_nanosleep, CLOCK_MONOTONIC, 0, (long)ts32_ok, 0, 0, 0),
           R(NR_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, (long)ts64_bad, 0, 0, 0),
           raw(NR_clock_nanosleep_time64, CLOCK_MONOTONIC, 0, (long)ts64_ok, 0, 0, 0));

    uint64_t set = 1u << (SIGUSR1 - 1);
    sigset_t blk;
    sigemptyset(&blk);
    sigaddset(&blk, SIGUSR1);
    sigprocmask(SIG_BLOCK, &blk, NULL);
    printf("m32thr: rt_sigtimedwait size=%s set=%s set_top=%s ts_bad=%s ts_ptr=%s poll=%s\n",
           R(NR_rt_sigtimedwait, (long)&set, 0, (long)ts32_ok, 4, 0, 0),
           R(NR_rt_sigtimedwait, P0, 0, (long)ts32_ok, 8, 0, 0),
           R(NR_rt_sigtimedwait, TOP, 0, (long)ts32_ok, 8, 0, 0),
           R(NR_rt_sigtimedwait, (long)&set, 0, (long)ts32_bad, 8, 0, 0),
           R(NR_rt_sigtimedwait, (long)&set, 0, BAD, 8, 0, 0),
           R(NR_rt_sigtimedwait, (long)&set, 0, (long)ts32_ok, 8, 0, 0));
    raise(SIGUSR1);
    const char *r1 = R(NR_rt_sigtimedwait, (long)&set, TOP, (long)ts32_ok, 8, 0, 0);
    printf("m32thr: rt_sigtimedwait info_top=%s then=%s\n", r1,
           R(NR_rt_sigtimedwait, (long)&set, 0, (long)ts32_ok, 8, 0, 0));
    raise(SIGUSR1);
    uint32_t info[32];
    memset(info, 0xee, sizeof info);
    long r2 = raw(NR_rt_sigtimedwait_time64, (long)&set, (long)info, (long)ts64_ok, 8, 0, 0);
    printf("m32thr: rt_sigtimedwait_time64=%ld signo=%u errno=%u code=%d pid_ok=%d tail=%08x ts_bad=%s\n", r2,
           info[0], info[1], (int)info[2], info[3] == (uint32_t)getpid(), info[31],
           R(NR_rt_sigtimedwait_time64, (long)&set, 0, (long)ts64_bad, 8, 0, 0));

    uint32_t itv[4] = { 0, 0, 0, 1000000 }, oitv[4];
    printf("m32thr: setitimer usec=%s which=%s ptr=%s old_top=%s getitimer_top=%s which=%s\n",
           R(NR_setitimer, ITIMER_REAL, (long)itv, 0, 0, 0, 0),
           R(NR_setitimer, 7, (long)oitv, 0, 0, 0, 0),
           R(NR_setitimer, ITIMER_REAL, TOP, 0, 0, 0, 0),
           R(NR_setitimer, ITIMER_REAL, 0, TOP, 0, 0, 0),
           R(NR_getitimer, ITIMER_REAL, TOP, 0, 0, 0, 0),
           R(NR_getitimer, 7, (long)oitv, 0, 0, 0, 0));

    char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const char *mr[7];                    /* in this order: fixed0 would move m to page 0 */
    mr[0] = R(NR_mremap, 0, 4096, 8192, MREMAP_MAYMOVE, 0, 0);
    mr[1] = R(NR_mremap, TOP, 4096, 8192, MREMAP_MAYMOVE, 0, 0);
    mr[2] = R(NR_mremap, (long)m, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, 0, 0);
    mr[3] = R(NR_mremap, (long)m, 4096, 8192, MREMAP_MAYMOVE | MREMAP_FIXED, (long)0xffffd000u, 0);
    mr[4] = R(NR_mremap, (long)m + 1, 4096, 8192, MREMAP_MAYMOVE, 0, 0);
    mr[5] = R(NR_mremap, (long)m, 4096, (long)0xf0000000u, MREMAP_MAYMOVE, 0, 0);
    mr[6] = R(NR_mremap, (long)m, 4096, 8192, 64, 0, 0);
    printf("m32thr: mremap page0=%s top=%s fixed0=%s fixed_top=%s unaligned=%s huge=%s flags=%s\n",
           mr[0], mr[1], mr[2], mr[3], mr[4], mr[5], mr[6]);
    munmap(m, 8192);

    uint32_t h = 0, l = 0;
    const char *rl[5];
    rl[0] = R(311, (long)&h, 24, 0, 0, 0, 0);            /* the 64-bit head's size */
    rl[1] = R(312, 0, TOP, (long)&l, 0, 0, 0);
    rl[2] = R(312, 0, (long)&h, TOP, 0, 0, 0);
    rl[3] = R(312, 0x7ffffff, (long)&h, (long)&l, 0, 0, 0);
    rl[4] = R(178, getpid(), SIGUSR1, TOP, 0, 0, 0);
    printf("m32thr: set_robust_list len24=%s get head_top=%s len_top=%s pid=%s sigqueueinfo_top=%s\n",
           rl[0], rl[1], rl[2], rl[3], rl[4]);

    /* i386 clone with CLONE_SETTLS: the tls argument is a struct user_desc. No CLONE_VM, so a
       child that should not exist only exits. */
    struct user_desc ud = { .entry_number = 12, .base_addr = 0x1000, .limit = 0xfffff,
                            .seg_32bit = 1, .limit_in_pages = 1, .useable = 1 };
    struct user_desc code = ud, idx5 = ud, alloc = ud, notp = ud;
    code.contents = 2;
    idx5.entry_number = 5;
    alloc.entry_number = (unsigned)-1;
    notp.seg_not_present = 1;
    long fl = SIGCHLD | CLONE_SETTLS;
    const char *names[] = { "null", "top", "code", "idx5", "alloc", "not_present" };
    long args[] = { 0, TOP, (long)&code, (long)&idx5, (long)&alloc, (long)&notp };
    char line[512];                       /* one write: the children's exits come between */
    int n = snprintf(line, sizeof line, "m32thr: clone settls");
    for (int i = 0; i < 6; i++) {
        long c = raw(NR_clone, fl, 0, 0, args[i], 0, 0);
        if (c == 0)
            _exit(0);
        if (c > 0)
            waitpid((int)c, NULL, 0);
        n += snprintf(line + n, sizeof line - n, " %s=%s", names[i], e(c));
    }
    /* clone3 (435): the same struct clone_args in both ABIs, its tls a user_desc here too */
    for (int i = 0; i < 6; i++) {
        uint64_t ca[11] = { CLONE_SETTLS, 0, 0, 0, SIGCHLD, 0, 0, (uint32_t)args[i], 0, 0, 0 };
        long c = raw(435, (long)ca, 88, 0, 0, 0, 0);
        if (c == 0)
            _exit(0);
        if (c > 0)
            waitpid((int)c, NULL, 0);
        n += snprintf(line + n, sizeof line - n, " %s3=%s", names[i], e(c));
    }
    /* a good one: the child's %gs names entry 13 with base 0x1000... read through %fs-free code */
    struct user_desc mine = ud;
    mine.entry_number = 13;
    mine.base_addr = (unsigned)(uintptr_t)&word;
    long c = raw(NR_clone, fl, 0, 0, (long)&mine, 0, 0);
    if (c == 0) {
        uint32_t v;
        __asm__ volatile("mov $0x6b, %%ax; mov %%ax, %%fs; mov %%fs:0, %0" : "=r"(v) : : "eax");
        _exit(v == 5 ? 42 : 1);
    }
    int st = 0;
    waitpid((int)c, &st, 0);
    struct user_desc back = { .entry_number = 13 };
    long g = syscall(SYS_get_thread_area, &back);
    printf("%s good=%d parent_entry13_empty=%d\n", line, WIFEXITED(st) ? WEXITSTATUS(st) : -1,
           g == 0 && back.base_addr == 0 && back.seg_not_present == 1);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    threads(argc > 1 ? atoi(argv[1]) : 1);
    sleeps();
    sigwaits();
    remaps();
    hostile();
    printf("m32thr: done\n");
    return 0;
}
