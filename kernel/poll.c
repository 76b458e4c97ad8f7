/*
 * poll and ppoll. Readiness as Linux reports it: a pipe's read end is
 * readable with bytes buffered (and POLLHUP once no writer is left), its write
 * end writable with room (POLLERR once no reader is left); the console is
 * readable when a line is committed; files and the other devices are always
 * ready. A waiting poll sleeps on the timer tick and looks again, so wake-ups
 * come within 10 ms. A waiting poll holds the open files its first look saw
 * until it returns, as Linux's poll table does.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "socket.h"
#include "syscall.h"
#include "sysfs.h"
#include "vm.h"

#define POLLIN     0x001
#define POLLOUT    0x004
#define POLLERR    0x008
#define POLLHUP    0x010
#define POLLNVAL   0x020
#define POLLRDNORM 0x040
#define POLLWRNORM 0x100
#define NS_PER_TICK (1000000000UL / TIMER_HZ)   /* the PIT tick (timer.c) */

struct pollfd {
    /* 0 */ int32_t fd;
    /* 4 */ int16_t events, revents;
};
_Static_assert(sizeof(struct pollfd) == 8, "struct pollfd is 8 bytes");

static int16_t ready(int fd)
{
    struct file *f = fd_file(fd);
    if (!f)
        return POLLNVAL;
    if (f->type == F_PIPE) {
        struct pipe *p = f->pipe;
        if ((f->flags & O_ACCMODE) == O_RDONLY)
            return (int16_t)((pipe_readable(p) ? POLLIN | POLLRDNORM : 0) | (p->writers ? 0 : POLLHUP));
        if (!p->readers)
            return POLLOUT | POLLWRNORM | POLLERR;
        return pipe_writable(p) ? POLLOUT | POLLWRNORM : 0;   /* a free slot (Linux pipe_poll) */
    }
    if (f->type == F_SOCK)
        return unix_poll(f->sock);
    if (f->ip->dev == DEV_CONSOLE)
        return (int16_t)((console_readable() ? POLLIN | POLLRDNORM : 0) | POLLOUT | POLLWRNORM);
    return POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM;
}

#define HOLD_PER_PAGE (PAGE_SIZE / sizeof(struct file *))
_Static_assert(sizeof(((struct pollhold *)0)->page) / sizeof(struct file **) * HOLD_PER_PAGE >= NOFILE_MAX,
               "a poll may hold a file per descriptor it may name (nfds <= RLIMIT_NOFILE)");

/*
 * Hold fd's open file until poll_release (Linux's poll table entries hold theirs from the
 * first look until the call returns): a sibling thread closing the fd meanwhile leaves the
 * file, a pipe's end or a socket, open under the sleeping call, and the next look answers
 * POLLNVAL for the fd. A closed fd holds nothing. -ENOMEM without a page for the pointers.
 */
int poll_hold(struct pollhold *h, int fd)
{
    struct file *f = fd_file(fd);
    if (!f)
        return 0;
    uint64_t pg = h->n / HOLD_PER_PAGE;
    if (pg >= sizeof h->page / sizeof h->page[0])
        return -EINVAL;                      /* never: nfds is at most RLIMIT_NOFILE */
    if (!h->page[pg] && !(h->page[pg] = kalloc()))
        return -ENOMEM;
    h->page[pg][h->n++ % HOLD_PER_PAGE] = file_dup(f);
    return 0;
}

/* Every file poll_hold held goes back (the last reference may close it now), the pages too. */
void poll_release(struct pollhold *h)
{
    for (uint64_t i = 0; i < h->n; i++)
        file_close(h->page[i / HOLD_PER_PAGE][i % HOLD_PER_PAGE]);
    for (uint64_t pg = 0; pg < sizeof h->page / sizeof h->page[0]; pg++)
        if (h->page[pg])
            kfree(h->page[pg]);
    *h = (struct pollhold){ 0 };
}

#define POLL_CHUNK 64                /* pollfds looked at per copy (512 bytes of kernel stack) */

/*
 * One look at every fd, POLL_CHUNK at a time: revents written back (as Linux
 * writes them back however the call ends); returns how many have events. The
 * first look (`hold` not NULL) holds every open file it sees.
 */
static int64_t poll_scan(uint64_t ufds, uint64_t nfds, struct pollhold *hold)
{
    struct pollfd fds[POLL_CHUNK];
    int64_t count = 0;
    for (uint64_t at = 0; at < nfds; at += POLL_CHUNK) {
        uint64_t n = nfds - at < POLL_CHUNK ? nfds - at : POLL_CHUNK;
        int r = copyin(myproc()->pml4, fds, ufds + at * sizeof fds[0], n * sizeof fds[0]);
        if (r)
            return r;
        for (uint64_t i = 0; i < n; i++) {
            fds[i].revents = 0;
            if (fds[i].fd < 0)
                continue;
            if (hold && (r = poll_hold(hold, fds[i].fd)))
                return r;
            fds[i].revents = ready(fds[i].fd) & (fds[i].events | POLLERR | POLLHUP | POLLNVAL);
            count += fds[i].revents != 0;
        }
        if ((r = copyout(myproc()->pml4, ufds + at * sizeof fds[0], fds, n * sizeof fds[0])))
            return r;
    }
    return count;
}

/* Wait until an fd is ready or `timeout_ticks` pass (UINT64_MAX: forever). */
static int64_t do_poll(uint64_t ufds, uint64_t nfds, uint64_t timeout_ticks)
{
    if (nfds > rlimit_cur(myproc(), RLIMIT_NOFILE_K))
        return -EINVAL;                      /* Linux: more than RLIMIT_NOFILE */
    if (!user_range_ok(ufds, nfds * sizeof(struct pollfd)))
        return -EFAULT;
    uint64_t deadline = timeout_ticks == ~0UL ? ~0UL : ticks + timeout_ticks;
    struct pollhold hold = { 0 };
    int64_t count;
    for (bool first = true;; first = false) {
        count = poll_scan(ufds, nfds, first ? &hold : NULL);
        if (count || ticks >= deadline)
            break;
        if (signal_pending(myproc())) {
            count = -ERESTARTNOHAND;     /* -EINTR after a handler, else poll again (Linux) */
            break;
        }
        sleep((void *)&ticks);
    }
    poll_release(&hold);
    return count;
}

int64_t sys_poll(struct trapframe *tf)
{
    int timeout_ms = (int)tf->rdx;
    return do_poll(tf->rdi, tf->rsi, timeout_ms < 0 ? ~0UL : ((uint64_t)timeout_ms * 1000000 + NS_PER_TICK - 1) / NS_PER_TICK);
}

/* ppoll(fds, nfds, timeout, sigmask, sigsetsize): no signal is ever delivered, so the mask changes nothing. */
int64_t sys_ppoll(struct trapframe *tf)
{
    uint64_t t = ~0UL, ns;
    if (tf->rdx) {
        int r = timespec_from_user(tf->rdx, &ns);     /* saturates: a huge timeout waits */
        if (r)
            return r;
        t = ns / NS_PER_TICK + (ns % NS_PER_TICK != 0);
    }
    if (tf->r10 && tf->r8 != SIGSET_BYTES)
        return -EINVAL;
    if (!tf->r10)
        return do_poll(tf->rdi, tf->rsi, t);
    /* The mask for the duration of the wait, as rt_sigsuspend: a handler that interrupts it
       runs with it and returns to the caller's mask; otherwise the caller's is back at once. */
    struct proc *p = myproc();
    uint64_t mask;
    if (copyin(p->pml4, &mask, tf->r10, sizeof mask))
        return -EFAULT;
    p->sig.saved_mask = p->sig.blocked;
    p->sig.blocked = mask & ~SIG_UNBLOCKABLE;
    int64_t r = do_poll(tf->rdi, tf->rsi, t);
    if (r == -ERESTARTNOHAND) {
        p->sig.restore_mask = p->sig.work = true;
    } else {
        p->sig.blocked = p->sig.saved_mask;
    }
    return r;
}

/* One descriptor's readiness for select (select.c): POLLNVAL if it is not open. */
int16_t poll_fd_ready(int fd)
{
    return ready(fd);
}
