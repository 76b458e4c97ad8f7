/*
 * What a socket tells and how long it waits, as Linux's net/core/sock.c and net/socket.c:
 * SIGIO through fasync.c's hook (sock_wake_async), the write-space call (unix_write_space),
 * SO_RCVTIMEO / SO_SNDTIMEO (sock_set_timeout, sock_get_timeout, sock_rcvtimeo) and the waits
 * that honour them, and the per-user limit of files in flight (too_many_unix_fds).
 *
 * Who owns what: a socket's O_ASYNC list (unix_sock.fasync) holds its one file while the file
 * has O_ASYNC; the file leaves it at its last close (fasync_close), before the socket is
 * released, so the list never names a closed file.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "fasync.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "socket.h"
#include "gdt.h"
#include "trap.h"
#include "vm.h"

/*
 * Linux sock_wake_async: the socket's O_ASYNC files tell their owners. SOCK_WAKE_WAITD
 * (POLL_IN, or POLL_HUP at a peer's close) is held back while a stream reader sleeps for data
 * (SOCKWQ_ASYNC_WAITDATA: it is about to read it); SOCK_WAKE_SPACE (POLL_OUT) is sent only
 * if a send found no room since the last one (SOCKWQ_ASYNC_NOSPACE); SOCK_WAKE_IO always.
 */
void sock_wake_async(struct unix_sock *s, int how, int band)
{
    if (!s->fasync)
        return;
    if (how == SOCK_WAKE_WAITD && s->waitdata)
        return;
    if (how == SOCK_WAKE_SPACE) {
        if (!s->nospace)
            return;
        s->nospace = false;
    }
    fasync_notify(s->fasync, band, FA_ANY);
}

/* Linux unix_write_space: the sender's buffer shrank (its callers wake its writers); writable
   again (a quarter or less of SO_SNDBUF in use, as unix_writable) may send POLL_OUT. */
void sock_write_space(struct unix_sock *s)
{
    if (s->state == US_LISTEN || (s->wmem << 2) > (uint64_t)s->sndbuf)
        return;
    sock_wake_async(s, SOCK_WAKE_SPACE, POLL_OUT);
}

/* ---- timeouts ------------------------------------------------------------------------------ */

static bool in_compat(void)
{
    return myproc()->tf->cs == USER32_CS;
}

/*
 * Linux sock_set_timeout: SO_*TIMEO_OLD takes a struct __kernel_old_timeval (two longs; an
 * i386 caller's two int32), _NEW a struct __kernel_sock_timeval (two int64); a shorter optlen
 * is -EINVAL, usec outside [0, 1e6) -EDOM, a negative second 0 (every wait ends at once), 0:0
 * or a time past MAX_SCHEDULE_TIMEOUT / HZ - 1 seconds no timeout, else jiffies rounded up.
 */
int sock_set_timeout(int64_t *timeo, uint64_t uval, int optlen, bool old)
{
    int64_t tv[2];
    if (old && in_compat()) {
        int32_t tv32[2];
        if (optlen < (int)sizeof tv32)
            return -EINVAL;
        if (copyin(myproc()->pml4, tv32, uval, sizeof tv32))
            return -EFAULT;
        tv[0] = tv32[0], tv[1] = tv32[1];
    } else {
        if (optlen < (int)sizeof tv)
            return -EINVAL;
        if (copyin(myproc()->pml4, tv, uval, sizeof tv))
            return -EFAULT;
    }
    if (tv[1] < 0 || tv[1] >= 1000000)
        return -EDOM;
    if (tv[0] < 0) {
        *timeo = 0;
        return 0;
    }
    *timeo = LX_MAX_TIMEOUT;
    if ((tv[0] || tv[1]) && tv[0] < LX_MAX_TIMEOUT / LX_HZ - 1)
        *timeo = tv[0] * LX_HZ + (tv[1] + 1000000 / LX_HZ - 1) / (1000000 / LX_HZ);
    return 0;
}

/* Linux sock_get_timeout: the value as a timeval of the option's size (no timeout: 0:0);
   fills out[] and returns its length in bytes. */
int sock_get_timeout(int64_t timeo, bool old, void *out)
{
    int64_t sec = 0, usec = 0;
    if (timeo != LX_MAX_TIMEOUT) {
        sec = timeo / LX_HZ;
        usec = (timeo % LX_HZ) * 1000000 / LX_HZ;
    }
    if (old && in_compat()) {
        int32_t tv32[2] = { (int32_t)sec, (int32_t)usec };
        memcpy(out, tv32, sizeof tv32);
        return sizeof tv32;
    }
    int64_t tv[2] = { sec, usec };
    memcpy(out, tv, sizeof tv);
    return sizeof tv;
}

/* The tick at which a wait of `timeo` jiffies (Linux sock_rcvtimeo/sock_sndtimeo, taken once
   per call) ends: SOCK_NOWAIT for a non-blocking call or a 0 timeout, SOCK_FOREVER for none;
   the jiffies become this kernel's ticks rounded up, so a wait never ends early. */
uint64_t sock_deadline(int64_t timeo, bool nonblock)
{
    if (nonblock || timeo == 0)
        return SOCK_NOWAIT;
    if (timeo == LX_MAX_TIMEOUT || (uint64_t)timeo > ~0UL / 2 / TIMER_HZ)
        return SOCK_FOREVER;
    return ticks + ((uint64_t)timeo * TIMER_HZ + LX_HZ - 1) / LX_HZ;
}

/*
 * One sleep of a socket wait on `chan` (Linux sock_intr_errno and the timeo countdown): 0 after
 * sleeping (the caller looks at its state again), -EAGAIN when the call may not wait or its
 * time ran out, and for a pending signal -ERESTARTSYS without a timeout but -EINTR with one
 * (Linux: a timed socket call is never restarted).
 */
int sock_wait(void *chan, uint64_t deadline)
{
    if (deadline == SOCK_NOWAIT || (deadline != SOCK_FOREVER && ticks >= deadline))
        return -EAGAIN;
    if (signal_pending(myproc()))
        return deadline == SOCK_FOREVER ? -ERESTARTSYS : -EINTR;
    sleep(deadline == SOCK_FOREVER ? chan : (void *)&ticks);   /* a timed wait looks every tick */
    return 0;
}

/* ---- files in flight ----------------------------------------------------------------------- */

/*
 * Linux too_many_unix_fds: a sender whose user (its real uid) already has more files in flight
 * than the sender's RLIMIT_NOFILE may send no more (-ETOOMANYREFS), unless it has
 * CAP_SYS_RESOURCE or CAP_SYS_ADMIN. Linux keeps the count in the user_struct; here it is the
 * sum over every queued message the user sent, so it can never drift from what is queued.
 */
bool sock_too_many_fds(void)
{
    struct proc *p = myproc();
    uint64_t n = 0;
    for (struct unix_sock *s = unix_socks; s; s = s->next_all)
        for (struct skb *b = s->rq_head; b; b = b->next)
            if (b->nfd && b->fp_uid == p->cred.uid)
                n += (uint64_t)b->nfd;
    if (n <= rlimit_cur(p, RLIMIT_NOFILE_K))
        return false;
    return !capable(CAP_SYS_RESOURCE) && !capable(CAP_SYS_ADMIN);
}
