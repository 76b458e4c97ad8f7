/*
 * Control messages, as Linux's net/core/scm.c and net/compat.c: what sendmsg's control
 * buffer carries in (scm_send) and what recvmsg's gets out (scm_recv).
 *
 * The cmsgs are read from the user's buffer where they lie (socket.c has checked the whole
 * buffer readable first, as Linux copies it in; for an i386 caller Linux reads the compat
 * cmsgs where they lie too). SCM_RIGHTS takes a reference on each file (owned by the message
 * from then on); SCM_CREDENTIALS may name oneself (pid = tgid, uid/gid among the real,
 * effective and saved ids), or anyone with CAP_SYS_ADMIN (pid), CAP_SETUID and CAP_SETGID
 * (ids): Linux's scm_check_creds.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "socket.h"
#include "sysfs.h"
#include "vm.h"

#define CMSG_HDR      16                                  /* sizeof(struct cmsghdr) */
#define CMSG_ALIGN(n) (((n) + 7) & ~7UL)

struct cmsghdr_k {
    uint64_t len;
    int32_t level, type;
};

/* A cmsghdr's size, alignment and fields: struct cmsghdr, or an i386 caller's compat_cmsghdr
   (a 32-bit length, 4-byte alignment). */
#define CMSG_HDR32      12
#define CMSG_ALIGN32(n) (((n) + 3) & ~3UL)

static uint64_t cmsg_hdr(bool compat) { return compat ? CMSG_HDR32 : CMSG_HDR; }
static uint64_t cmsg_align(bool compat, uint64_t n) { return compat ? CMSG_ALIGN32(n) : CMSG_ALIGN(n); }

static int cmsg_read(bool compat, uint64_t at, struct cmsghdr_k *h)
{
    if (!compat)
        return copyin(myproc()->pml4, h, at, sizeof *h) ? -EFAULT : 0;
    int32_t c[3];
    if (copyin(myproc()->pml4, c, at, sizeof c))
        return -EFAULT;
    *h = (struct cmsghdr_k){ (uint32_t)c[0], c[1], c[2] };
    return 0;
}

static int cmsg_write(bool compat, uint64_t at, uint64_t len, int type)
{
    if (!compat) {
        struct cmsghdr_k h = { len, SOL_SOCKET, type };
        return copyout(myproc()->pml4, at, &h, sizeof h);
    }
    int32_t c[3] = { (int32_t)len, SOL_SOCKET, type };
    return copyout(myproc()->pml4, at, c, sizeof c);
}

/* Linux scm_check_creds: one's own pid and ids, or the capability to name others. */
static int check_creds(int32_t pid, uint32_t uid, uint32_t gid)
{
    struct proc *p = myproc();
    struct cred *c = &p->cred;
    if (uid == ID_NONE || gid == ID_NONE)
        return -EINVAL;
    if ((pid == p->tgid || capable(CAP_SYS_ADMIN)) &&
        (uid == c->uid || uid == c->euid || uid == c->suid || capable(CAP_SETUID)) &&
        (gid == c->gid || gid == c->egid || gid == c->sgid || capable(CAP_SETGID)))
        return 0;
    return -EPERM;
}

/* Linux __scm_send: every cmsg must fit the buffer (-EINVAL); SOL_SOCKET ones must be
   SCM_RIGHTS (at most SCM_MAX_FD files in all: -EINVAL; a bad fd: -EBADF) or
   SCM_CREDENTIALS (exactly a struct ucred); other levels are skipped. */
int scm_send(struct msgio *m, uint64_t ctl, uint64_t ctllen)
{
    uint64_t *pml4 = myproc()->pml4, hdr = cmsg_hdr(m->compat);
    uint64_t at = ctllen >= hdr ? ctl : 0;
    int r;
    if (m->compat) {
        /* Linux cmsghdr_from_user_compat_to_kern: every cmsg checked first, and none at all
           is -EINVAL */
        if (!at)
            return -EINVAL;
        for (uint64_t a = at; a; ) {
            struct cmsghdr_k h;
            if ((r = cmsg_read(true, a, &h)))
                return r;
            if (h.len < hdr || h.len > ctl + ctllen - a)
                return -EINVAL;
            uint64_t next = a + cmsg_align(true, h.len);
            a = next + hdr - ctl > ctllen ? 0 : next;
        }
    }
    while (at) {
        struct cmsghdr_k h;
        if ((r = cmsg_read(m->compat, at, &h)))
            return r;
        if (h.len < hdr || h.len > ctl + ctllen - at)
            return -EINVAL;
        if (h.level == SOL_SOCKET) {
            if (h.type == SCM_RIGHTS) {
                int64_t num = (int64_t)(h.len - hdr) / 4;
                if (num > SCM_MAX_FD || (num > 0 && m->nfd + num > SCM_MAX_FD))
                    return -EINVAL;
                if (num > 0 && !m->fds && !(m->fds = kalloc()))
                    return -ENOMEM;
                for (int64_t i = 0; i < num; i++) {
                    int32_t fd;
                    if (copyin(pml4, &fd, at + hdr + (uint64_t)i * 4, sizeof fd))
                        return -EFAULT;
                    struct file *f = fd >= 0 ? fd_file(fd) : NULL;
                    if (!f)
                        return -EBADF;
                    m->fds[m->nfd++] = file_dup(f);
                }
            } else if (h.type == SCM_CREDENTIALS) {
                struct { int32_t pid; uint32_t uid, gid; } u;
                if (h.len != hdr + sizeof u)
                    return -EINVAL;
                if (copyin(pml4, &u, at + hdr, sizeof u))
                    return -EFAULT;
                if ((r = check_creds(u.pid, u.uid, u.gid)))
                    return r;
                if (u.pid != myproc()->tgid && !proc_find(u.pid))
                    return -ESRCH;
                m->has_cred = true;
                m->pid = u.pid, m->uid = u.uid, m->gid = u.gid;
            } else {
                return -EINVAL;
            }
        }
        uint64_t next = at + cmsg_align(m->compat, h.len);
        at = next + hdr - ctl > ctllen ? 0 : next;   /* Linux __cmsg_nxthdr */
    }
    return 0;
}

/* Linux put_cmsg (put_cmsg_compat): a header and as much of the data as fits (MSG_CTRUNC
   if not all). */
static void put_cmsg(struct ctlout *c, int type, const void *data, uint64_t len)
{
    uint64_t hdr = cmsg_hdr(c->compat), cmlen = hdr + len;
    if (!c->at || c->left < hdr) {
        c->flags |= MSG_CTRUNC;
        return;
    }
    if (c->left < cmlen) {
        c->flags |= MSG_CTRUNC;
        cmlen = c->left;
    }
    if (cmsg_write(c->compat, c->at, cmlen, type) || copyout(myproc()->pml4, c->at + hdr, data, cmlen - hdr))
        return;                              /* Linux: -EFAULT, which scm_recv ignores */
    cmlen = cmsg_align(c->compat, hdr + len) < c->left ? cmsg_align(c->compat, hdr + len) : c->left;
    c->at += cmlen;
    c->left -= cmlen;
}

/* Linux scm_detach_fds (scm_detach_fds_compat): as many files as the buffer has room for
   become fds (the number written before the fd is installed); the rest are closed, with
   MSG_CTRUNC. */
static void detach_fds(struct msgio *m, struct ctlout *c, bool cloexec)
{
    uint64_t hdr = cmsg_hdr(c->compat);
    int64_t room = c->at && c->left > hdr ? (int64_t)(c->left - hdr) / 4 : 0;
    int fdmax = room < m->nfd ? (int)room : m->nfd, i;
    for (i = 0; i < fdmax; i++) {
        int fd = fd_free(0);
        if (fd < 0)
            break;
        if (copyout(myproc()->pml4, c->at + hdr + (uint64_t)i * 4, &fd, sizeof fd))
            break;
        if (fd_alloc(m->fds[i], 0, cloexec) < 0)
            break;
        m->fds[i] = NULL;                    /* the fd owns the reference now */
    }
    if (i > 0 && !cmsg_write(c->compat, c->at, hdr + (uint64_t)i * 4, SCM_RIGHTS)) {
        uint64_t cmlen = cmsg_align(c->compat, hdr + (uint64_t)i * 4);
        cmlen = cmlen < c->left ? cmlen : c->left;
        c->at += cmlen;
        c->left -= cmlen;
    }
    if (i < m->nfd)
        c->flags |= MSG_CTRUNC;
    for (int j = i; j < m->nfd; j++)
        file_close(m->fds[j]);
    m->nfd = 0;
}

/* Linux scm_recv: credentials (with SO_PASSCRED) first, then the files. No buffer at all:
   MSG_CTRUNC if either was there to give. */
void scm_recv(struct unix_sock *s, struct msgio *m, struct ctlout *c)
{
    if (!c->at) {
        if (s->passcred || m->nfd)
            c->flags |= MSG_CTRUNC;
        return;                              /* msg_done closes the files */
    }
    if (s->passcred && m->has_cred) {
        struct { int32_t pid; uint32_t uid, gid; } u = { m->pid, m->uid, m->gid };
        put_cmsg(c, SCM_CREDENTIALS, &u, sizeof u);
    }
    if (m->nfd)
        detach_fds(m, c, m->flags & MSG_CMSG_CLOEXEC);
}
