/*
 * Pipes: a ring of PIPE_PAGES pages (64 KiB, Linux's default capacity),
 * allocated as they are first written and freed when both ends are closed.
 * Linux semantics (pipe(7)): a read blocks while the pipe is empty and a
 * writer is open, and returns 0 (end of file) once none is; a write of at most
 * PIPE_BUF bytes goes in whole or waits (never interleaved with another
 * writer's); a larger one may be split. Writing with no reader left raises
 * SIGPIPE and fails with -EPIPE. O_NONBLOCK turns each wait into -EAGAIN.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "sanitize.h"
#include "signal.h"
#include "vm.h"

#define NPIPE     64
#define PIPE_SIZE ((uint64_t)PIPE_PAGES * PAGE_SIZE)   /* capacity, bytes */

static struct pipe pipes[NPIPE];

int pipe_new(struct file **rf, struct file **wf)
{
    struct pipe *p = NULL;
    for (int i = 0; i < NPIPE && !p; i++)
        if (!pipes[i].readers && !pipes[i].writers)
            p = &pipes[i];
    if (!p)
        return -ENFILE;
    *rf = file_alloc(F_PIPE);
    *wf = *rf ? file_alloc(F_PIPE) : NULL;
    if (!*wf) {
        if (*rf)
            file_close(*rf);
        return -ENFILE;
    }
    *p = (struct pipe){ .readers = 1, .writers = 1, .uid = myproc()->cred.fsuid, .gid = myproc()->cred.fsgid };
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
static int pipe_wait(struct file *f)
{
    if (f->flags & O_NONBLOCK)
        return -EAGAIN;
    if (signal_pending(myproc()))
        return -ERESTARTSYS;
    sleep(f->pipe);
    return 0;
}

int64_t pipe_read(struct file *f, uint64_t dst, uint64_t n)
{
    struct pipe *p = f->pipe;
    SAN_LIVE(SAN_PIPE, p - pipes, p->readers || p->writers);
    while (p->w == p->r) {
        if (!p->writers)
            return 0;
        int r = pipe_wait(f);
        if (r)
            return r;
    }
    uint64_t done = 0, avail = p->w - p->r;
    if (n > avail)
        n = avail;
    while (done < n) {
        uint64_t pos = p->r % PIPE_SIZE, in = pos % PAGE_SIZE;
        uint64_t len = PAGE_SIZE - in < n - done ? PAGE_SIZE - in : n - done;
        int r = copyout(myproc()->pml4, dst + done, p->pages[pos / PAGE_SIZE] + in, len);
        if (r) {
            if (!done)
                return r;
            break;
        }
        p->r += len;
        done += len;
    }
    wakeup(p);
    return (int64_t)done;
}

int64_t pipe_write(struct file *f, uint64_t src, uint64_t n)
{
    struct pipe *p = f->pipe;
    SAN_LIVE(SAN_PIPE, p - pipes, p->readers || p->writers);
    uint64_t done = 0;
    while (done < n) {
        if (!p->readers) {
            pipe_sigpipe();
            return done ? (int64_t)done : -EPIPE;
        }
        uint64_t space = PIPE_SIZE - (p->w - p->r);
        if (space == 0 || (n <= PIPE_BUF && space < n)) {   /* small writes go in whole */
            int r = pipe_wait(f);
            if (r)
                return done ? (int64_t)done : r;
            continue;
        }
        uint64_t pos = p->w % PIPE_SIZE, in = pos % PAGE_SIZE;
        uint64_t len = PAGE_SIZE - in;
        if (len > n - done)
            len = n - done;
        if (len > space)
            len = space;
        uint8_t **page = &p->pages[pos / PAGE_SIZE];
        if (!*page && !(*page = kalloc()))
            return done ? (int64_t)done : -ENOMEM;
        int r = copyin(myproc()->pml4, *page + in, src + done, len);
        if (r)
            return done ? (int64_t)done : r;
        p->w += len;
        done += len;
        wakeup(p);
    }
    return (int64_t)done;
}

/* One end's last file is closed: wake the other side; the last close frees the pages. */
void pipe_close(struct file *f)
{
    struct pipe *p = f->pipe;
    SAN_LIVE(SAN_PIPE, p - pipes, p->readers || p->writers);
    if ((f->flags & O_ACCMODE) == O_RDONLY)
        REF_PUT(SAN_PIPE, p - pipes, p->readers);
    else
        REF_PUT(SAN_PIPE, p - pipes, p->writers);
    wakeup(p);
    if (!p->readers && !p->writers) {
        for (int i = 0; i < PIPE_PAGES; i++)
            if (p->pages[i])
                kfree(p->pages[i]);
        *p = (struct pipe){ 0 };
        SAN_FREED_TAIL(SAN_PIPE, p - pipes, p, readers);   /* readers, writers: the free marker */
    }
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
