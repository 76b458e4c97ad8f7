/*
 * Releasing AF_UNIX sockets and collecting the cycles of files in flight (Linux
 * net/unix/garbage.c).
 *
 * A socket whose file's last reference goes is put on the release list and
 * released from unix_gc_settle's loop, never from inside another release: a
 * release frees its queue, whose files' closes may release more sockets, and
 * a chain of sockets inside sockets would otherwise recurse once per link.
 *
 * The collector runs from the same loop whenever a socket file's references
 * fall to the number its messages in flight hold (unix_file_put): only then
 * can a cycle have become unreachable. Linux's runs at the next release or
 * send that finds files in flight. The sockets freed are the same, only sooner;
 * one thing differs in between: a Linux O_ASYNC owner of an unreachable socket
 * can still hear its peer close before the collector runs, where here the
 * socket is already gone (docs/kernel.md, sockets).
 */
#include "kernel.h"
#include "file.h"
#include "socket.h"

static struct unix_sock *release_list;
static bool settling, gc_wanted;

/* The file's last reference went (file.c): the socket is released, from the release list. */
void unix_file_closed(struct file *f)
{
    struct unix_sock *s = f->sock;
    s->file = NULL;
    f->sock = NULL;
    s->next_release = release_list;
    release_list = s;
    unix_gc_settle();
}

/* A reference of a socket file went and the rest may all be in flight: maybe a cycle. */
void unix_file_put(struct file *f)
{
    if (f->ref > 0 && f->ref == f->sock->inflight) {
        gc_wanted = true;
        unix_gc_settle();
    }
}

/* Every socket a message in s's queues (an embryo's too) carries, given to fn. */
static void for_each_child(struct unix_sock *s, void (*fn)(struct unix_sock *child))
{
    for (struct unix_sock *e = s; e; e = e == s ? s->acc_head : e->next_acc)
        for (struct skb *b = e->rq_head; b; b = b->next)
            for (int i = 0; i < b->nfd; i++)
                if (b->fds[i]->type == F_SOCK && b->fds[i]->sock->gc_candidate)
                    fn(b->fds[i]->sock);
}

static void gc_dec(struct unix_sock *c) { c->gc_count--; }

static bool gc_changed;
static void gc_mark(struct unix_sock *c)
{
    if (!c->gc_alive)
        c->gc_alive = gc_changed = true;
}

/*
 * The collector (Linux net/unix/garbage.c, the algorithm before 6.10). Candidates: socket
 * files every reference of which is in flight. Take away the references that come from
 * candidates' queues; a candidate with one left is referenced from outside (an fd, a
 * queue a live socket reads), so alive, and so is every candidate it carries. The rest can
 * never be read: their queues are freed, which drops the last references of their files.
 */
static void gc_run(void)
{
    bool any = false;
    for (struct unix_sock *s = unix_socks; s; s = s->next_all) {
        s->gc_candidate = s->file && s->inflight > 0 && s->file->ref == s->inflight;
        s->gc_count = s->inflight;
        s->gc_alive = false;
        any |= s->gc_candidate;
    }
    if (!any)
        return;
    for (struct unix_sock *s = unix_socks; s; s = s->next_all)
        if (s->gc_candidate)
            for_each_child(s, gc_dec);
    for (struct unix_sock *s = unix_socks; s; s = s->next_all)
        s->gc_alive = s->gc_candidate && s->gc_count > 0;
    do {
        gc_changed = false;
        for (struct unix_sock *s = unix_socks; s; s = s->next_all)
            if (s->gc_candidate && s->gc_alive)
                for_each_child(s, gc_mark);
    } while (gc_changed);
    /* The garbage's messages, taken off their queues first, then freed: freeing closes files,
       which puts sockets on the release list (drained by the caller, settle). */
    struct skb *hit = NULL;
    for (struct unix_sock *s = unix_socks; s; s = s->next_all) {
        if (!s->gc_candidate || s->gc_alive)
            continue;
        for (struct unix_sock *e = s; e; e = e == s ? s->acc_head : e->next_acc) {
            struct skb *b;
            while ((b = unix_queue_pop(e))) {
                b->next = hit;
                hit = b;
            }
        }
    }
    for (struct unix_sock *s = unix_socks; s; s = s->next_all)
        s->gc_candidate = false;
    while (hit) {
        struct skb *b = hit;
        hit = b->next;
        skb_free(b);
    }
}

/* Drain the release list and run the collector when asked, in a loop: never recursively. */
void unix_gc_settle(void)
{
    if (settling)
        return;
    settling = true;
    for (;;) {
        if (release_list) {
            struct unix_sock *s = release_list;
            release_list = s->next_release;
            unix_release(s, false);
        } else if (gc_wanted) {
            gc_wanted = false;
            gc_run();
        } else {
            break;
        }
    }
    settling = false;
}
