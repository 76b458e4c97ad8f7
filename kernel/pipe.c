/*
 * Pipes, as Linux's fs/pipe.c: a ring of slots, each holding bytes of one
 * page (16 slots, 64 KiB, by default; F_SETPIPE_SZ sets 1 to 256). A write
 * first puts its last (length mod 4096) bytes' worth - taken from its start -
 * into the newest slot if they fit there whole; everything else goes into
 * fresh slots, a page each. A reader frees a slot only once it has read all
 * of it. So capacity is counted in slots, not bytes: after a reader takes 100
 * bytes of a full pipe no slot is free and a 100-byte write waits (-EAGAIN
 * with O_NONBLOCK), and a write of at most PIPE_BUF bytes is never split.
 * A read blocks while the pipe is empty and a writer is open, and returns 0
 * (end of file) once none is. Writing with no reader left raises SIGPIPE and
 * fails with -EPIPE. The pipe and its ring are kalloc'd: there is no table
 * of pipes to run out of, only memory. Ends with O_ASYNC are on the pipe's
 * fasync list (fasync.c): every write tells the read ends (POLL_IN), every
 * read the write ends (POLL_OUT), as Linux's pipe_write and pipe_read do.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "sanitize.h"
#include "signal.h"
#include "vm.h"

_Static_assert(sizeof(struct pipe) <= PAGE_SIZE, "a pipe fits its page");
_Static_assert(PIPE_MAX_SLOTS * sizeof(struct pipe_buf) <= PAGE_SIZE, "the ring fits its page");

static uint64_t next_ino = 1;    /* Linux get_next_ino: numbers, never addresses */

static struct pipe_buf *slot(struct pipe *p, uint32_t i)
{
    return &p->bufs[i % PIPE_MAX_SLOTS];
}

bool pipe_readable(const struct pipe *p)
{
    return p->head != p->tail;
}

bool pipe_writable(const struct pipe *p)
{
    return p->head - p->tail < p->slots;
}

/* A pipe with no ends open yet, or NULL without memory (Linux alloc_pipe_info). */
static struct pipe *pipe_alloc(void)
{
    struct pipe *p = kalloc();
    struct pipe_buf *bufs = p ? kalloc() : NULL;
    if (!bufs) {
        if (p)
            kfree(p);
        return NULL;
    }
    *p = (struct pipe){ .bufs = bufs, .slots = PIPE_DEF_SLOTS, .ino = next_ino++,
                        .uid = myproc()->cred.fsuid, .gid = myproc()->cred.fsgid };
    return p;
}

/* No end is open any more: the pages go, and a FIFO's inode forgets the pipe. */
static void pipe_free_if_unused(struct pipe *p)
{
    if (p->readers || p->writers)
        return;
    if (p->fifo)
        p->fifo->fifo = NULL;
    for (; p->tail != p->head; p->tail++)
        kfree(slot(p, p->tail)->page);
    if (p->spare)
        kfree(p->spare);
    kfree(p->bufs);
    kfree(p);
}

int pipe_new(struct file **rf, struct file **wf)
{
    struct pipe *p = pipe_alloc();
    if (!p)
        return -ENFILE;                      /* Linux: alloc_pipe_info failing is -ENFILE too */
    *rf = file_alloc(F_PIPE);
    *wf = *rf ? file_alloc(F_PIPE) : NULL;
    if (!*wf) {
        if (*rf) {
            (*rf)->type = F_NONE;            /* no pipe behind it yet: nothing to close */
            file_close(*rf);
        }
        pipe_free_if_unused(p);
        return -ENFILE;
    }
    p->readers = p->writers = 1;
    (*rf)->pipe = (*wf)->pipe = p;
    (*rf)->flags = O_RDONLY;
    (*wf)->flags = O_WRONLY;
    return 0;
}

/*
 * The wait every blocking path shares: -EAGAIN (O_NONBLOCK), -ERESTARTSYS
 * when a signal is deliverable (-EINTR, or the call again under SA_RESTART),
 * else 0 after a wakeup.
 */
static int pipe_wait(struct file *f, bool reading)
{
    if (f->flags & O_NONBLOCK)
        return -EAGAIN;
    /* O_ASYNC ends hear of the wait first (Linux pipe_read / pipe_write, before they sleep) */
    if (reading)
        fasync_notify(f->pipe->fasync, POLL_OUT, FA_WRITERS);
    if (signal_pending(myproc()))
        return -ERESTARTSYS;
    if (!reading)
        fasync_notify(f->pipe->fasync, POLL_IN, FA_READERS);
    sleep(f->pipe);
    return 0;
}

static int64_t do_pipe_read(struct file *f, uint64_t dst, uint64_t n)
{
    struct pipe *p = f->pipe;
    while (!pipe_readable(p)) {
        if (!p->writers)
            return 0;
        int r = pipe_wait(f, true);
        if (r)
            return r;
    }
    uint64_t done = 0;
    while (done < n && pipe_readable(p)) {
        struct pipe_buf *b = slot(p, p->tail);
        uint64_t len = b->len < n - done ? b->len : n - done;
        int r = copyout(myproc()->pml4, dst + done, b->page + b->off, len);
        if (r) {
            if (!done)
                return r;
            break;
        }
        b->off += (uint32_t)len;
        b->len -= (uint32_t)len;
        done += len;
        if (!b->len) {                       /* all of it read: the slot is free (Linux pipe_read) */
            if (!p->spare)
                p->spare = b->page;          /* kept for the next write (anon_pipe_buf_release) */
            else
                kfree(b->page);
            *b = (struct pipe_buf){ 0 };
            p->tail++;
        }
    }
    wakeup(p);
    return (int64_t)done;
}

/*
 * read(2) of a pipe: a read of 0 bytes is 0 at once; every other read ends by telling the
 * O_ASYNC write ends there may be room (POLL_OUT), as Linux's pipe_read does - unless a
 * signal ended its wait, when they heard before it.
 */
int64_t pipe_read(struct file *f, uint64_t dst, uint64_t n)
{
    if (!n)
        return 0;
    int64_t r = do_pipe_read(f, dst, n);
    if (r != -ERESTARTSYS)
        fasync_notify(f->pipe->fasync, POLL_OUT, FA_WRITERS);
    return r;
}

static int64_t do_pipe_write(struct file *f, uint64_t src, uint64_t n)
{
    struct pipe *p = f->pipe;
    uint64_t done = 0, merge = n % PAGE_SIZE;
    if (!p->readers) {
        pipe_sigpipe();
        return -EPIPE;
    }
    /* The write's first (n mod 4096) bytes join the newest slot if they fit there whole. */
    if (merge && pipe_readable(p)) {
        struct pipe_buf *b = slot(p, p->head - 1);
        if (b->off + b->len + merge <= PAGE_SIZE) {
            if (copyin(myproc()->pml4, b->page + b->off + b->len, src, merge))
                return -EFAULT;
            b->len += (uint32_t)merge;
            done = merge;
            wakeup(p);
        }
    }
    while (done < n) {
        if (!p->readers) {
            pipe_sigpipe();
            return done ? (int64_t)done : -EPIPE;
        }
        if (!pipe_writable(p)) {
            int r = pipe_wait(f, false);
            if (r)
                return done ? (int64_t)done : r;
            continue;
        }
        uint8_t *page = p->spare ? p->spare : kalloc();
        p->spare = NULL;
        if (!page)
            return done ? (int64_t)done : -ENOMEM;
        uint64_t len = n - done < PAGE_SIZE ? n - done : PAGE_SIZE;
        if (copyin(myproc()->pml4, page, src + done, len)) {
            kfree(page);
            return done ? (int64_t)done : -EFAULT;
        }
        *slot(p, p->head) = (struct pipe_buf){ .page = page, .off = 0, .len = (uint32_t)len };
        p->head++;
        done += len;
        wakeup(p);
    }
    return (int64_t)done;
}

/* write(2) of a pipe: every write of bytes, however it ends, tells the O_ASYNC read ends
   (POLL_IN), as Linux's pipe_write does. */
int64_t pipe_write(struct file *f, uint64_t src, uint64_t n)
{
    if (!n)
        return 0;
    int64_t r = do_pipe_write(f, src, n);
    fasync_notify(f->pipe->fasync, POLL_IN, FA_READERS);
    return r;
}

/*
 * F_SETPIPE_SZ (Linux pipe_set_size): the size rounded up to a power-of-two
 * number of pages, at least one; above 2 GiB -EINVAL, more than 1 MiB -EPERM (Linux: without
 * CAP_SYS_RESOURCE; here the ring holds no more), fewer slots than hold bytes
 * -EBUSY. Returns the new size in bytes.
 */
int64_t pipe_set_size(struct pipe *p, uint64_t bytes)
{
    uint64_t slots = 1;
    if (bytes > (1UL << 31))
        return -EINVAL;                      /* Linux round_pipe_size gives 0 */
    if (bytes > (uint64_t)PIPE_MAX_SLOTS * PAGE_SIZE)
        return -EPERM;
    while (slots * PAGE_SIZE < bytes)
        slots <<= 1;
    if (p->head - p->tail > slots)
        return -EBUSY;
    p->slots = (uint32_t)slots;
    wakeup(p);                               /* a writer may have room now */
    return (int64_t)(slots * PAGE_SIZE);
}

/* One end's last file is closed (a FIFO opened O_RDWR is both ends): wake the other side;
   the last close frees the pages. */
void pipe_close(struct file *f)
{
    struct pipe *p = f->pipe;
    int acc = f->flags & O_ACCMODE;
    SAN_LIVE(SAN_PIPE, -1, p->readers || p->writers);
    if (acc != O_WRONLY)
        REF_PUT(SAN_PIPE, -1, p->readers);
    if (acc != O_RDONLY)
        REF_PUT(SAN_PIPE, -1, p->writers);
    if (!p->readers != !p->writers) {         /* the last end of one side: Linux pipe_release */
        fasync_notify(p->fasync, POLL_IN, FA_READERS);
        fasync_notify(p->fasync, POLL_OUT, FA_WRITERS);
    }
    wakeup(p);
    pipe_free_if_unused(p);
}

/*
 * Open a FIFO (Linux fs/pipe.c fifo_open): every open shares the inode's
 * pipe, made by the first. A reader waits until a writer has opened (and a
 * writer until a reader has), unless O_NONBLOCK: then a reader goes on
 * (reading end of file meanwhile) and a writer without a reader is -ENXIO.
 * O_RDWR is both ends and never waits. The wait counts opens, not open ends,
 * so a partner that came and went still ends it. `f` is a fresh file with
 * the open flags set; on success it is an F_PIPE end holding the inode
 * (the caller's reference). A signal ends the wait: -ERESTARTSYS.
 */
int fifo_open(struct inode *ip, struct file *f)
{
    struct pipe *p = ip->fifo;
    int acc = f->flags & O_ACCMODE;
    bool nonblock = f->flags & O_NONBLOCK;
    if (!p) {
        if (!(p = pipe_alloc()))
            return -ENFILE;
        p->fifo = ip;
        ip->fifo = p;
    }
    if (acc == O_WRONLY && nonblock && !p->readers) {
        pipe_free_if_unused(p);
        return -ENXIO;
    }
    uint32_t *partner = NULL, seen = 0;
    if (acc != O_WRONLY) {
        p->r_counter++;
        p->readers++;
    }
    if (acc != O_RDONLY) {
        p->w_counter++;
        p->writers++;
    }
    wakeup(p);
    if (acc == O_RDONLY && !p->writers && !nonblock)
        partner = &p->w_counter;
    else if (acc == O_WRONLY && !p->readers)
        partner = &p->r_counter;
    if (partner)
        seen = *partner;
    while (partner && *partner == seen) {     /* the pipe lives on: we hold an end of it */
        if (signal_pending(myproc())) {
            if (acc == O_RDONLY)
                p->readers--;
            else
                p->writers--;
            wakeup(p);
            pipe_free_if_unused(p);
            return -ERESTARTSYS;
        }
        sleep(p);
    }
    f->type = F_PIPE;
    f->pipe = p;
    return 0;
}

/*
 * The one place a write to a pipe without readers raises SIGPIPE (Linux
 * send_sig: SI_USER from the writer itself); the write fails with -EPIPE,
 * and the signal's handler or default action comes on the way out.
 */
void pipe_sigpipe(void)
{
    signal_send(myproc(), SIGPIPE, SI_USER, myproc()->pid);
}
