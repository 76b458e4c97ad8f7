/*
 * Time and randomness. CLOCK_REALTIME is the CMOS real-time clock read once
 * (MC146818 registers 0x00-0x09, BCD or binary per status register B; the
 * RTC's time is taken as UTC, as QEMU's default -rtc base=utc gives it) plus
 * the timer ticks since then; CLOCK_MONOTONIC is the ticks since boot. Both
 * have the PIT tick's resolution, 10 ms (clock_getres says so).
 *
 * Random bytes come from RDRAND where CPUID.01H:ECX.RDRAND[bit 30] says the
 * CPU has it (SDM Vol. 1 7.3.17; QEMU's TCG "-cpu max" has it, fed by the
 * host's getrandom). Without it (-cpu qemu64) they come from a xorshift
 * generator seeded with the TSC and the RTC: unpredictable enough for hash
 * seeds, NOT for cryptography.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"

#define RTC_INDEX      0x70
#define RTC_DATA       0x71
#define RTC_STATUS_A   0x0a         /* bit 7: update in progress */
#define RTC_STATUS_B   0x0b         /* bit 2: binary (else BCD); bit 1: 24-hour */
#define RTC_CENTURY    0x32         /* PC/AT century register (QEMU fills it) */
#define NS_PER_TICK    (1000000000UL / TIMER_HZ)   /* the PIT tick (timer.c) */
#define NS_PER_SEC     1000000000UL
#define CLOCK_REALTIME           0
#define CLOCK_MONOTONIC          1
#define CLOCK_MONOTONIC_RAW      4
#define CLOCK_REALTIME_COARSE    5
#define CLOCK_MONOTONIC_COARSE   6
#define CLOCK_BOOTTIME           7
#define CPUID1_ECX_RDRAND (1u << 30)
#define GRND_NONBLOCK  0x1
#define GRND_RANDOM    0x2
#define GRND_INSECURE  0x4

static bool rtc_read;
static uint64_t rtc_epoch_ns;       /* realtime at rtc_ticks */
static uint64_t rtc_ticks;

static uint8_t cmos(uint8_t reg)
{
    outb(RTC_INDEX, reg);
    return inb(RTC_DATA);
}

/* Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static void rtc_init(void)
{
    uint8_t r[7], again[7];
    static const uint8_t regs[7] = { 0x00, 0x02, 0x04, 0x07, 0x08, 0x09, RTC_CENTURY };
    do {                                    /* read twice outside an update until equal */
        while (cmos(RTC_STATUS_A) & 0x80)
            ;
        for (int i = 0; i < 7; i++)
            r[i] = cmos(regs[i]);
        while (cmos(RTC_STATUS_A) & 0x80)
            ;
        for (int i = 0; i < 7; i++)
            again[i] = cmos(regs[i]);
    } while (memcmp(r, again, sizeof r));
    uint8_t b = cmos(RTC_STATUS_B);
    bool pm = !(b & 0x02) && (r[2] & 0x80);
    r[2] &= 0x7f;
    if (!(b & 0x04))
        for (int i = 0; i < 7; i++)
            r[i] = (uint8_t)((r[i] >> 4) * 10 + (r[i] & 0x0f));
    if (!(b & 0x02))
        r[2] = (uint8_t)(r[2] % 12 + (pm ? 12 : 0));
    int64_t year = (r[6] ? r[6] : 20) * 100 + r[5];
    int64_t days = days_from_civil(year, r[4], r[3]);
    rtc_epoch_ns = (uint64_t)(days * 86400 + r[2] * 3600 + r[1] * 60 + r[0]) * NS_PER_SEC;
    rtc_ticks = ticks;
    rtc_read = true;
}

uint64_t time_monotonic_ns(void)
{
    return ticks * NS_PER_TICK;
}

uint64_t time_realtime_ns(void)
{
    if (!rtc_read)
        rtc_init();
    return rtc_epoch_ns + (ticks - rtc_ticks) * NS_PER_TICK;
}

static bool has_rdrand(void)
{
    uint32_t a, b, c, d;
    cpuid(1, 0, &a, &b, &c, &d);
    return c & CPUID1_ECX_RDRAND;
}

static uint64_t rand64(void)
{
    static int rdrand = -1;
    static uint64_t state;
    if (rdrand < 0)
        rdrand = has_rdrand();
    if (rdrand) {
        for (int tries = 0; tries < 10; tries++) {   /* SDM Vol. 1 7.3.17.1: retry on CF=0 */
            uint64_t v;
            uint8_t ok;
            __asm__ volatile("rdrand %0; setc %1" : "=r"(v), "=qm"(ok) :: "cc");
            if (ok)
                return v;
        }
    }
    if (!state) {
        uint32_t lo, hi;
        __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
        state = (((uint64_t)hi << 32) | lo) ^ time_realtime_ns() ^ 0x9e3779b97f4a7c15UL;
    }
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int random_fill(void *buf, uint64_t n)
{
    uint8_t *p = buf;
    while (n) {
        uint64_t v = rand64(), k = n < 8 ? n : 8;
        memcpy(p, &v, k);
        p += k;
        n -= k;
    }
    return 0;
}

static int clock_ns(uint64_t clk, uint64_t *ns)
{
    switch (clk) {
    case CLOCK_REALTIME: case CLOCK_REALTIME_COARSE:
        *ns = time_realtime_ns();
        return 0;
    case CLOCK_MONOTONIC: case CLOCK_MONOTONIC_RAW: case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME:
        *ns = time_monotonic_ns();
        return 0;
    default:
        return -EINVAL;                  /* CPU-time and alarm clocks are not kept */
    }
}

int64_t sys_clock_gettime(struct trapframe *tf)
{
    uint64_t ns;
    int r = clock_ns(tf->rdi, &ns);
    if (r)
        return r;
    uint64_t ts[2] = { ns / NS_PER_SEC, ns % NS_PER_SEC };
    return copyout(myproc()->pml4, tf->rsi, ts, sizeof ts);
}

int64_t sys_clock_getres(struct trapframe *tf)
{
    uint64_t ns;
    int r = clock_ns(tf->rdi, &ns);
    if (r || !tf->rsi)
        return r;
    uint64_t ts[2] = { 0, NS_PER_TICK };
    return copyout(myproc()->pml4, tf->rsi, ts, sizeof ts);
}

/* ---- setting the clock (Linux kernel/time/time.c, posix-timers.c) ---------- */

#define TIME_SETTOD_SEC_MAX  8277292036LL   /* Linux: KTIME_SEC_MAX less 30 years of uptime */
#define TZ_MINUTES_MAX       (15 * 60)      /* a time zone within +-15 hours */

static int32_t sys_tz[2];                   /* minutes west, DST kind (Linux sys_tz): UTC at boot */

/*
 * Linux do_sys_settimeofday64: the time checked (timespec64_valid_settod: -EINVAL),
 * then CAP_SYS_TIME (-EPERM), then the zone's range (-EINVAL). CLOCK_REALTIME
 * jumps; MONOTONIC does not move, and a deadline on REALTIME (a futex's,
 * clock_nanosleep's) is compared with the new time at the next tick. The vDSO
 * sees the change at once.
 */
static int set_time(const int64_t *ts, const int32_t *tz)
{
    if (ts && (ts[0] < 0 || ts[0] > TIME_SETTOD_SEC_MAX || ts[1] < 0 || ts[1] >= (int64_t)NS_PER_SEC))
        return -EINVAL;
    if (!capable(CAP_SYS_TIME))
        return -EPERM;
    if (tz && (tz[0] > TZ_MINUTES_MAX || tz[0] < -TZ_MINUTES_MAX))
        return -EINVAL;
    if (tz)
        sys_tz[0] = tz[0], sys_tz[1] = tz[1];
    if (ts) {
        time_realtime_ns();                 /* the RTC read first, so it does not undo this */
        rtc_epoch_ns = (uint64_t)ts[0] * NS_PER_SEC + (uint64_t)ts[1];
        rtc_ticks = ticks;
    }
    vdso_set_tz(sys_tz[0], sys_tz[1]);
    vdso_tick();
    return 0;
}

/*
 * clock_settime(clock, tp): only CLOCK_REALTIME has a setter; any other clock,
 * the CPU-time ones included, is -EINVAL before the timespec is read (measured
 * on the host's 6.18), then -EFAULT for a bad one.
 */
int64_t sys_clock_settime(struct trapframe *tf)
{
    int64_t ts[2];
    if (tf->rdi != CLOCK_REALTIME)
        return -EINVAL;
    if (copyin(myproc()->pml4, ts, tf->rsi, sizeof ts))
        return -EFAULT;
    return set_time(ts, NULL);
}

/*
 * settimeofday(tv, tz) (Linux kernel/time/time.c): each given pointer read
 * (-EFAULT), tv_usec beyond 1000000 -EINVAL (Linux's own check lets 1000000
 * through to the settod check, which refuses it too), then as set_time.
 */
int64_t sys_settimeofday(struct trapframe *tf)
{
    struct proc *p = myproc();
    int64_t tv[2], ts[2];
    int32_t tz[2];
    if (tf->rdi) {
        if (copyin(p->pml4, tv, tf->rdi, sizeof tv))
            return -EFAULT;
        if (tv[1] > 1000000 || tv[1] < 0)
            return -EINVAL;
        ts[0] = tv[0], ts[1] = tv[1] * 1000;
    }
    if (tf->rsi && copyin(p->pml4, tz, tf->rsi, sizeof tz))
        return -EFAULT;
    return set_time(tf->rdi ? ts : NULL, tf->rsi ? tz : NULL);
}

/*
 * The i386 calls with 32-bit time fields (Linux's compat clock_settime with an
 * old_timespec32, settimeofday with an old_timeval32): the same checks, the
 * fields sign-extended. clock_settime64 takes the 64-bit call itself.
 */
int64_t sys_clock_settime32(struct trapframe *tf)
{
    int32_t t32[2];
    if (tf->rdi != CLOCK_REALTIME)
        return -EINVAL;
    if (copyin(myproc()->pml4, t32, tf->rsi, sizeof t32))
        return -EFAULT;
    int64_t ts[2] = { t32[0], t32[1] };
    return set_time(ts, NULL);
}

int64_t sys_settimeofday32(struct trapframe *tf)
{
    struct proc *p = myproc();
    int32_t tv[2], tz[2];
    int64_t ts[2];
    if (tf->rdi) {
        if (copyin(p->pml4, tv, tf->rdi, sizeof tv))
            return -EFAULT;
        if (tv[1] > 1000000 || tv[1] < 0)
            return -EINVAL;
        ts[0] = tv[0], ts[1] = (int64_t)tv[1] * 1000;
    }
    if (tf->rsi && copyin(p->pml4, tz, tf->rsi, sizeof tz))
        return -EFAULT;
    return set_time(tf->rdi ? ts : NULL, tf->rsi ? tz : NULL);
}

/* gettimeofday's stores: the timeval (tv_bytes of it: 64- or 32-bit fields) to RDI if given,
   then the timezone to RSI if given: settimeofday's, UTC (minutes west 0, no DST) until one is set. */
static int64_t put_timeofday(struct trapframe *tf, const void *tv, uint64_t tv_bytes)
{
    int32_t tz[2] = { sys_tz[0], sys_tz[1] };   /* settimeofday's, UTC by default */
    int r = 0;
    if (tf->rdi)
        r = copyout(myproc()->pml4, tf->rdi, tv, tv_bytes);
    if (!r && tf->rsi)
        r = copyout(myproc()->pml4, tf->rsi, tz, sizeof tz);
    return r;
}

int64_t sys_gettimeofday(struct trapframe *tf)
{
    uint64_t ns = time_realtime_ns();
    uint64_t tv[2] = { ns / NS_PER_SEC, ns % NS_PER_SEC / 1000 };
    return put_timeofday(tf, tv, sizeof tv);
}

/*
 * The i386 calls with 32-bit time structures (Linux's compat old_time32_t, old_timespec32,
 * old_timeval32: kernel/time/time.c): the same values in 32-bit fields.
 */
int64_t sys_clock_gettime32(struct trapframe *tf)
{
    uint64_t ns;
    int r = clock_ns(tf->rdi, &ns);
    if (r)
        return r;
    int32_t ts[2] = { (int32_t)(ns / NS_PER_SEC), (int32_t)(ns % NS_PER_SEC) };
    return copyout(myproc()->pml4, tf->rsi, ts, sizeof ts);
}

int64_t sys_gettimeofday32(struct trapframe *tf)
{
    uint64_t ns = time_realtime_ns();
    int32_t tv[2] = { (int32_t)(ns / NS_PER_SEC), (int32_t)(ns % NS_PER_SEC / 1000) };
    return put_timeofday(tf, tv, sizeof tv);
}

int64_t sys_time32(struct trapframe *tf)
{
    int32_t s = (int32_t)(time_realtime_ns() / NS_PER_SEC);
    if (tf->rdi && copyout(myproc()->pml4, tf->rdi, &s, sizeof s))
        return -EFAULT;
    return s;
}

int64_t sys_time(struct trapframe *tf)
{
    int64_t s = (int64_t)(time_realtime_ns() / NS_PER_SEC);
    if (tf->rdi && copyout(myproc()->pml4, tf->rdi, &s, sizeof s))
        return -EFAULT;
    return s;
}

/* getrandom(buf, len, flags): never blocks (the source is always ready). */
int64_t sys_getrandom(struct trapframe *tf)
{
    uint64_t buf = tf->rdi, n = tf->rsi, flags = tf->rdx;
    if (flags & ~(uint64_t)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_RANDOM) && (flags & GRND_INSECURE))
        return -EINVAL;
    if (n > 33554431)
        n = 33554431;                    /* Linux's cap per call */
    if (!user_range_ok(buf, n))
        return -EFAULT;
    uint8_t chunk[256];
    uint64_t done = 0;
    while (done < n) {
        uint64_t k = n - done < sizeof chunk ? n - done : sizeof chunk;
        random_fill(chunk, k);
        int r = copyout(myproc()->pml4, buf + done, chunk, k);
        if (r)
            return done ? (int64_t)done : r;
        done += k;
    }
    return (int64_t)done;
}

#define TIMER_ABSTIME 1

/*
 * Sleep until the monotonic or real-time clock reaches `until_ns`, tick by
 * tick. A deliverable signal first: -EINTR with the time left in *urem (a
 * handler runs; a default action ends or stops the process before it sees it),
 * in 32-bit fields for the i386 calls (ts32: Linux's old_timespec32).
 */
static int64_t sleep_until(uint64_t clk, uint64_t until_ns, uint64_t urem, bool ts32)
{
    uint64_t now;
    while (clock_ns(clk, &now) == 0 && now < until_ns) {
        if (signal_pending(myproc())) {
            uint64_t left = until_ns - now, rem[2] = { left / NS_PER_SEC, left % NS_PER_SEC };
            int32_t rem32[2] = { (int32_t)rem[0], (int32_t)rem[1] };
            if (urem)
                copyout(myproc()->pml4, urem, ts32 ? (void *)rem32 : (void *)rem,
                        ts32 ? sizeof rem32 : sizeof rem);
            return -EINTR;
        }
        sleep((void *)&ticks);
    }
    return 0;
}

/*
 * A user struct timespec as nanoseconds: -EFAULT, or -EINVAL for a negative
 * tv_sec or a tv_nsec outside [0, 1e9) (Linux timespec64_valid). Seconds past
 * what 63 bits of nanoseconds hold give TIME_NS_MAX, about 292 years, as
 * Linux's timespec64_to_ktime gives KTIME_MAX: a huge timeout never wraps
 * into a short (or past) one.
 */
static int timespec_ns(int64_t sec, int64_t nsec, uint64_t *ns)
{
    if (sec < 0 || nsec < 0 || nsec >= (int64_t)NS_PER_SEC)
        return -EINVAL;
    if ((uint64_t)sec >= TIME_NS_MAX / NS_PER_SEC)
        *ns = TIME_NS_MAX;
    else
        *ns = time_add_ns((uint64_t)sec * NS_PER_SEC, (uint64_t)nsec);
    return 0;
}

int timespec_from_user(uint64_t uts, uint64_t *ns)
{
    int64_t ts[2];
    if (copyin(myproc()->pml4, ts, uts, sizeof ts))
        return -EFAULT;
    return timespec_ns(ts[0], ts[1], ns);
}

/* The i386 old_timespec32 (two signed 32-bit words, Linux get_old_timespec32): the same checks. */
int timespec32_from_user(uint64_t uts, uint64_t *ns)
{
    int32_t ts[2];
    if (copyin(myproc()->pml4, ts, uts, sizeof ts))
        return -EFAULT;
    return timespec_ns(ts[0], ts[1], ns);
}

/* Either form: ts32 for the i386 calls without _time64. */
int timespec_any_from_user(uint64_t uts, uint64_t *ns, bool ts32)
{
    return ts32 ? timespec32_from_user(uts, ns) : timespec_from_user(uts, ns);
}

/* t + ns, at most TIME_NS_MAX (Linux ktime_add_safe): a deadline that saturates. */
uint64_t time_add_ns(uint64_t t, uint64_t ns)
{
    if (t >= TIME_NS_MAX || ns >= TIME_NS_MAX - t)
        return TIME_NS_MAX;
    return t + ns;
}

static int64_t do_nanosleep(struct trapframe *tf, bool ts32)
{
    uint64_t ns;
    int r = timespec_any_from_user(tf->rdi, &ns, ts32);
    if (r)
        return r;
    return sleep_until(CLOCK_MONOTONIC, time_add_ns(time_monotonic_ns(), ns), tf->rsi, ts32);
}

/*
 * clock_nanosleep(clock, flags, request, remain): flags bits other than TIMER_ABSTIME are
 * ignored, as by Linux's common_nsleep (measured on the host: flags 2 sleeps).
 */
static int64_t do_clock_nanosleep(struct trapframe *tf, bool ts32)
{
    uint64_t ns, now;
    bool abs = tf->rsi & TIMER_ABSTIME;
    int r = clock_ns(tf->rdi, &now);
    if (!r)
        r = timespec_any_from_user(tf->rdx, &ns, ts32);
    if (r)
        return r;
    return sleep_until(tf->rdi, abs ? ns : time_add_ns(now, ns), abs ? 0 : tf->r10, ts32);
}

int64_t sys_nanosleep(struct trapframe *tf)
{
    return do_nanosleep(tf, false);
}

int64_t sys_clock_nanosleep(struct trapframe *tf)
{
    return do_clock_nanosleep(tf, false);
}

/* i386 nanosleep (162) and clock_nanosleep (267): old_timespec32 in and out (Linux's
   compat entries in kernel/time/hrtimer.c and posix-timers.c). */
int64_t sys_nanosleep32(struct trapframe *tf)
{
    return do_nanosleep(tf, true);
}

int64_t sys_clock_nanosleep32(struct trapframe *tf)
{
    return do_clock_nanosleep(tf, true);
}
