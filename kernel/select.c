/*
 * select and pselect6 (Linux fs/select.c), on poll.c's readiness: an fd is
 * in the read set's answer when poll would report POLLIN, POLLHUP or
 * POLLERR, in the write set's with POLLOUT or POLLERR, in the exception
 * set's with POLLPRI (an AF_UNIX out-of-band byte). Like poll, a waiting select sleeps on the
 * timer tick and looks again.
 *
 * nfds is cut to the size of the caller's descriptor table as Linux sizes
 * it (fdtable max_fds: 64, then 128 times a power of two covering the
 * highest descriptor; here from the highest descriptor open now, where
 * Linux's table never shrinks), so a huge nfds reads only that many bits
 * and a bit past the table is never looked at. A set bit of a closed fd
 * below it is -EBADF (one closed by another thread while the call waits is ready in every
 * set instead, as Linux's). The sets are written back only when the call
 * succeeds; the time left is written back on every return (select's
 * timeval, pselect6's timespec), a failure to write it ignored, as
 * poll_select_finish does.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "sysfs.h"
#include "thread.h"
#include "vm.h"

#define POLLNVAL_   0x020                                     /* poll.c's answer for a closed fd */
#define POLLIN_SET  (0x001 | 0x040 | 0x080 | 0x010 | 0x008 | POLLNVAL_)   /* IN RDNORM RDBAND HUP ERR */
#define POLLOUT_SET (0x004 | 0x100 | 0x200 | 0x008 | POLLNVAL_)           /* OUT WRNORM WRBAND ERR */
#define POLLEX_SET  (0x002 | POLLNVAL_)                                   /* PRI */
#define NR_OPEN_DEFAULT 64            /* Linux: a new fdtable's size (BITS_PER_LONG) */
#define FDT_STEP        128           /* Linux alloc_fdtable: 1024 / sizeof(struct file *) */
#define SET_WORDS (NOFILE_MAX / 64)
#define NS_PER_SEC  1000000000UL

/* in[3], out[3]: the three sets, read and written; one kalloc'd page (3 KiB at NOFILE_MAX). */
struct fdsets {
    uint64_t in[3][SET_WORDS];
    uint64_t out[3][SET_WORDS];
};
_Static_assert(sizeof(struct fdsets) <= PAGE_SIZE, "the sets fit a page");

/* Linux's max_fds for a table whose highest open descriptor is the highest here. */
static uint64_t max_fds(void)
{
    int high = -1;
    for (int fd = 0; fd < NOFILE_MAX; fd++)
        if (fd_file(fd))
            high = fd;
    if (high < NR_OPEN_DEFAULT)
        return NR_OPEN_DEFAULT;
    uint64_t n = 1;
    while (n < (uint64_t)high / FDT_STEP + 1)
        n <<= 1;
    return n * FDT_STEP > NOFILE_MAX ? NOFILE_MAX : n * FDT_STEP;
}

/* The bytes of a set of n bits: whole longs, 8 bytes on x86-64, 4 for i386 (compat_ulong_t,
   Linux compat_get_fd_set); the words are little-endian, so the bits sit alike in memory. */
static uint64_t set_bytes(uint64_t n, bool compat)
{
    return compat ? (n + 31) / 32 * 4 : (n + 63) / 64 * 8;
}

/* One look at every fd asked about: the count of bits set in out, or -EBADF. A closed fd is
   -EBADF on the first look only (Linux max_select_fd, before the call waits); one a sibling
   thread closed while the call slept is ready in every set it is in (POLLNVAL is in Linux's
   POLLIN_SET, POLLOUT_SET and POLLEX_SET). */
static int64_t scan(struct fdsets *s, uint64_t n, bool first, struct pollhold *hold)
{
    int64_t count = 0;
    for (uint64_t w = 0; w < (n + 63) / 64; w++) {
        uint64_t all = s->in[0][w] | s->in[1][w] | s->in[2][w];
        if (w == n / 64)
            all &= (1UL << (n % 64)) - 1;        /* the bits past nfds are not looked at */
        s->out[0][w] = s->out[1][w] = s->out[2][w] = 0;
        for (; all; all &= all - 1) {
            int bit = __builtin_ctzl(all);
            int fd = (int)(w * 64 + (uint64_t)bit);
            int16_t r = poll_fd_ready(fd);
            if ((r & POLLNVAL_) && first)        /* not open */
                return -EBADF;
            int hr = first ? poll_hold(hold, fd) : 0;   /* held until the call returns */
            if (hr)
                return hr;
            static const int16_t want[3] = { POLLIN_SET, POLLOUT_SET, POLLEX_SET };
            for (int k = 0; k < 3; k++) {
                if ((s->in[k][w] >> bit & 1) && (r & want[k])) {
                    s->out[k][w] |= 1UL << bit;
                    count++;
                }
            }
        }
    }
    return count;
}

/* Linux core_sys_select: `end_ns` 0 polls once, ~0UL waits forever (monotonic ns). */
static int64_t core_select(int64_t n, const uint64_t uset[3], uint64_t end_ns, bool compat)
{
    struct proc *p = myproc();
    if (n < 0)
        return -EINVAL;
    uint64_t max = max_fds();
    uint64_t nfds = (uint64_t)n > max ? max : (uint64_t)n;
    struct fdsets *s = kalloc();
    if (!s)
        return -ENOMEM;
    int64_t r = 0;
    for (int k = 0; k < 3 && !r; k++)
        if (uset[k] && copyin(p->pml4, s->in[k], uset[k], set_bytes(nfds, compat)))
            r = -EFAULT;
    struct pollhold hold = { 0 };
    for (bool first = true; !r; first = false) {
        r = scan(s, nfds, first, &hold);
        if (r || end_ns == 0 || time_monotonic_ns() >= end_ns)
            break;
        if (signal_pending(p)) {
            r = -ERESTARTNOHAND;
            break;
        }
        sleep((void *)&ticks);
    }
    poll_release(&hold);
    for (int k = 0; k < 3 && r >= 0; k++)
        if (uset[k] && copyout(p->pml4, uset[k], s->out[k], set_bytes(nfds, compat)))
            r = -EFAULT;
    kfree(s);
    return r;
}

/* Linux poll_select_finish: the time left written back (ts: timespec, else timeval; `w32`:
   i386's old 32-bit fields); -EINTR for a restart it could not write back. */
static int64_t finish(uint64_t uaddr, uint64_t end_ns, bool ts, bool w32, int64_t r)
{
    if (!uaddr || end_ns == 0)
        return r;
    uint64_t now = time_monotonic_ns(), left = end_ns > now ? end_ns - now : 0;
    int64_t v[2] = { (int64_t)(left / NS_PER_SEC), (int64_t)(left % NS_PER_SEC) };
    int32_t v32[2];
    if (!ts)
        v[1] /= 1000;
    v32[0] = (int32_t)v[0];
    v32[1] = (int32_t)v[1];
    int bad = w32 ? copyout(myproc()->pml4, uaddr, v32, sizeof v32) : copyout(myproc()->pml4, uaddr, v, sizeof v);
    if (bad && r == -ERESTARTNOHAND)
        r = -EINTR;
    return r;
}

/* Two longs from user space: 64-bit, or i386's signed 32-bit ones. */
static int pair_in(uint64_t uaddr, int64_t v[2], bool w32)
{
    if (!w32)
        return copyin(myproc()->pml4, v, uaddr, 2 * sizeof v[0]);
    int32_t v32[2];
    if (copyin(myproc()->pml4, v32, uaddr, sizeof v32))
        return -EFAULT;
    v[0] = v32[0];
    v[1] = v32[1];
    return 0;
}

/* The deadline for a relative `sec`, `ns` (Linux poll_select_set_timeout): 0 polls once. */
static int deadline(int64_t sec, int64_t ns, uint64_t *end_ns)
{
    if (sec < 0 || ns < 0 || ns >= (int64_t)NS_PER_SEC)
        return -EINVAL;
    if (!sec && !ns) {
        *end_ns = 0;
        return 0;
    }
    uint64_t d = (uint64_t)sec > TIME_NS_MAX / NS_PER_SEC ? TIME_NS_MAX : time_add_ns((uint64_t)sec * NS_PER_SEC, (uint64_t)ns);
    *end_ns = time_add_ns(time_monotonic_ns(), d);
    return 0;
}

/* select(nfds, readfds, writefds, exceptfds, struct timeval *timeout); `compat`: i386's
   _newselect (32-bit set words, old_timeval32) */
static int64_t do_select(struct trapframe *tf, bool compat)
{
    uint64_t end = ~0UL;
    if (tf->r8) {
        int64_t tv[2];
        if (pair_in(tf->r8, tv, compat))
            return -EFAULT;
        /* Linux kern_select: seconds + usec / 10^6, (usec % 10^6) * 1000 ns */
        int r = deadline(tv[0] + tv[1] / 1000000, tv[1] % 1000000 * 1000, &end);
        if (r)
            return r;
    }
    uint64_t sets[3] = { tf->rsi, tf->rdx, tf->r10 };
    return finish(tf->r8, end, false, compat, core_select((int32_t)tf->rdi, sets, end, compat));
}

/* pselect6(nfds, r, w, e, struct timespec *, { const sigset_t *ss; size_t ss_len } *);
   `compat`: i386 (32-bit set words, the pack of two 32-bit words), `ts32`: its old_timespec32 */
static int64_t do_pselect6(struct trapframe *tf, bool compat, bool ts32)
{
    struct proc *p = myproc();
    uint64_t pack[2] = { 0, 0 }, end = ~0UL;
    if (tf->r9) {
        uint32_t pack32[2];
        if (compat ? copyin(p->pml4, pack32, tf->r9, sizeof pack32) : copyin(p->pml4, pack, tf->r9, sizeof pack))
            return -EFAULT;
        if (compat) {
            pack[0] = pack32[0];
            pack[1] = pack32[1];
        }
    }
    if (tf->r8) {
        int64_t ts[2];
        if (pair_in(tf->r8, ts, ts32))
            return -EFAULT;
        int r = deadline(ts[0], ts[1], &end);
        if (r)
            return r;
    }
    uint64_t sets[3] = { tf->rsi, tf->rdx, tf->r10 };
    if (!pack[0])
        return finish(tf->r8, end, true, ts32, core_select((int32_t)tf->rdi, sets, end, compat));
    uint64_t mask;
    if (pack[1] != SIGSET_BYTES)
        return -EINVAL;                          /* Linux set_user_sigmask */
    if (copyin(p->pml4, &mask, pack[0], sizeof mask))
        return -EFAULT;
    /* The mask for the wait, as ppoll (poll.c): kept for the handler of an interruption. */
    p->sig.saved_mask = p->sig.blocked;
    p->sig.blocked = mask & ~SIG_UNBLOCKABLE;
    int64_t r = finish(tf->r8, end, true, ts32, core_select((int32_t)tf->rdi, sets, end, compat));
    if (r == -ERESTARTNOHAND)
        p->sig.restore_mask = p->sig.work = true;
    else
        p->sig.blocked = p->sig.saved_mask;
    return r;
}

int64_t sys_select(struct trapframe *tf) { return do_select(tf, false); }
int64_t sys_pselect6(struct trapframe *tf) { return do_pselect6(tf, false, false); }
/* i386 _newselect (142), pselect6 (308, old_timespec32) and pselect6_time64 (413) */
int64_t sys_newselect32(struct trapframe *tf) { return do_select(tf, true); }

/* i386 select (82): Linux's compat_sys_old_select, the five arguments in a block of 32-bit
   words at ebx (struct sel_arg_struct: n, inp, outp, exp, tvp), read again on a restart. */
int64_t sys_old_select32(struct trapframe *tf)
{
    uint32_t a[5];
    if (copyin(myproc()->pml4, a, tf->rdi, sizeof a))
        return -EFAULT;
    struct trapframe args = *tf;
    args.rdi = (uint64_t)(int64_t)(int32_t)a[0];
    args.rsi = a[1];
    args.rdx = a[2];
    args.r10 = a[3];
    args.r8 = a[4];
    return do_select(&args, true);
}
int64_t sys_pselect6_32(struct trapframe *tf) { return do_pselect6(tf, true, true); }
int64_t sys_pselect6_time64_32(struct trapframe *tf) { return do_pselect6(tf, true, false); }
