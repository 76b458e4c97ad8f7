/*
 * Credentials and the checks made with them (the model is in include/cred.h):
 * the uid/gid/groups/capability system calls with Linux's rules and errors
 * (kernel/sys.c, kernel/groups.c, kernel/capability.c, security/commoncap.c),
 * kill and prlimit permission (kernel/signal.c kill_ok_by_cred, kernel/sys.c
 * check_prlimit_permission) and what execve does to the ids and capabilities
 * (fs/exec.c bprm_fill_uid, commoncap cap_bprm_creds_from_file). The file
 * permission checks made with them are fsperm.c.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "syscall.h"
#include "vm.h"

static struct cred *cur(void)
{
    return &myproc()->cred;
}

void cred_init(struct cred *c, uint32_t uid, uint32_t gid)
{
    memset(c, 0, sizeof *c);
    c->uid = c->euid = c->suid = c->fsuid = uid;
    c->gid = c->egid = c->sgid = c->fsgid = gid;
    if (uid == 0)
        c->cap_permitted = c->cap_effective = CAP_FULL_SET;   /* root: every capability */
}

bool capable(int cap)
{
    return cur()->cap_effective & CAP_BIT(cap);
}

bool in_group_p(uint32_t gid)
{
    const struct cred *c = cur();
    if (gid == c->fsgid)
        return true;
    for (int i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

/* Linux kill_ok_by_cred: the sender's real or effective uid is the target's real or saved uid, or CAP_KILL. */
bool kill_permitted(struct proc *q)
{
    const struct cred *c = cur(), *t = &q->cred;
    return c->euid == t->suid || c->euid == t->uid || c->uid == t->suid || c->uid == t->uid || capable(CAP_KILL);
}

/*
 * May `caller` trace `target` (Linux __ptrace_may_access, PTRACE_MODE_ATTACH_REALCREDS; also
 * what /proc/PID/mem and process_vm_readv ask)? A thread of its own group always; else the
 * caller's real uid and gid must be each of the target's real, effective and saved ones, and
 * the target dumpable (no set-id exec or id change since: thread.h mm->dumpable) - or the caller has
 * CAP_SYS_PTRACE. Returns 0, or -EPERM.
 */
int ptrace_may_access(struct proc *caller, struct proc *target)
{
    const struct cred *c = &caller->cred, *t = &target->cred;
    if (caller->leader == target->leader)
        return 0;
    bool cap = c->cap_effective & CAP_BIT(CAP_SYS_PTRACE);
    bool same = c->uid == t->euid && c->uid == t->suid && c->uid == t->uid && c->gid == t->egid &&
                c->gid == t->sgid && c->gid == t->gid;
    if ((!same || (target->mm && !target->mm->dumpable)) && !cap)
        return -EPERM;                              /* Linux: get_dumpable(mm) != SUID_DUMP_USER */
    return 0;
}

/*
 * Linux check_prlimit_permission: another process's limits (even reading
 * them) need all its real/effective/saved uids and gids equal to the
 * caller's real ones, or CAP_SYS_RESOURCE. pid 0 or a thread of the caller's
 * own group is always allowed.
 */
int prlimit_permitted(int pid)
{
    const struct cred *c = cur();
    struct proc *q = pid ? proc_find(pid) : NULL;
    if (!q || q->leader == myproc()->leader)
        return 0;
    const struct cred *t = &q->cred;
    bool same = c->uid == t->uid && c->uid == t->euid && c->uid == t->suid && c->gid == t->gid &&
                c->gid == t->egid && c->gid == t->sgid;
    return same || capable(CAP_SYS_RESOURCE) ? 0 : -EPERM;
}

/*
 * The ids and capabilities a new image runs with (fs/exec.c bprm_fill_uid,
 * commoncap cap_bprm_creds_from_file, no file capabilities, no ambient set):
 * a set-user-ID file makes its owner the effective uid, a set-group-ID file
 * with group execute its group the effective gid; the saved and fs ids
 * follow the effective ones. Real or effective uid 0 gets every capability
 * permitted, effective only with euid 0; anyone else gets none.
 * *secure (AT_SECURE): the effective ids differ from the real ones, or a
 * non-root real uid gained capabilities.
 */
void cred_exec(struct cred *c, const struct inode *ip, bool *secure)
{
    uint64_t old_permitted = c->cap_permitted;
    /* PR_SET_NO_NEW_PRIVS: the set-id bits are ignored (Linux bprm_fill_uid: like nosuid) */
    bool nnp = myproc()->no_new_privs;
    if ((ip->mode & S_ISUID) && !nnp)
        c->euid = ip->uid;
    if ((ip->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && !nnp)
        c->egid = ip->gid;
    c->suid = c->fsuid = c->euid;
    c->sgid = c->fsgid = c->egid;
    if (c->uid == 0 || c->euid == 0)
        c->cap_permitted = CAP_FULL_SET | c->cap_inheritable;
    else
        c->cap_permitted = 0;
    c->cap_effective = c->euid == 0 ? c->cap_permitted : 0;
    *secure = c->euid != c->uid || c->egid != c->gid ||
              (c->uid != 0 && (c->cap_effective || (c->cap_permitted & ~old_permitted)));
}

/*
 * Linux commit_creds: a process whose effective or file-system ids change, or whose permitted
 * capabilities grow, becomes non-dumpable (suid_dumpable 0: only CAP_SYS_PTRACE may then read
 * its memory through /proc or ptrace) and loses its parent-death signal.
 */
static void committed(const struct cred *o)
{
    struct proc *p = myproc();
    const struct cred *n = &p->cred;
    if (n->euid == o->euid && n->egid == o->egid && n->fsuid == o->fsuid && n->fsgid == o->fsgid &&
        !(n->cap_permitted & ~o->cap_permitted))
        return;
    if (p->mm)
        p->mm->dumpable = 0;
    p->pdeathsig = 0;
}

/* ---- capabilities across set*uid (commoncap cap_emulate_setxuid) -------- */

static void fix_setuid(struct cred *n, const struct cred *o)
{
    bool old_root = o->uid == 0 || o->euid == 0 || o->suid == 0;
    bool new_root = n->uid == 0 || n->euid == 0 || n->suid == 0;
    if (old_root && !new_root)
        n->cap_permitted = n->cap_effective = 0;
    if (o->euid == 0 && n->euid != 0)
        n->cap_effective = 0;
    if (o->euid != 0 && n->euid == 0)
        n->cap_effective = n->cap_permitted;
    committed(o);
}

static void fix_setfsuid(struct cred *n, const struct cred *o)
{
    if (o->fsuid == 0 && n->fsuid != 0)
        n->cap_effective &= ~CAP_FS_MASK;
    if (o->fsuid != 0 && n->fsuid == 0)
        n->cap_effective |= n->cap_permitted & CAP_FS_MASK;
    committed(o);
}

/* ---- the system calls ---------------------------------------------------- */

int64_t sys_getuid(struct trapframe *tf) { (void)tf; return cur()->uid; }
int64_t sys_geteuid(struct trapframe *tf) { (void)tf; return cur()->euid; }
int64_t sys_getgid(struct trapframe *tf) { (void)tf; return cur()->gid; }
int64_t sys_getegid(struct trapframe *tf) { (void)tf; return cur()->egid; }

/* getresuid/getresgid: three stores, the first that faults stops them (Linux put_user order). */
static int64_t put3(uint64_t a, uint64_t b, uint64_t c, uint32_t x, uint32_t y, uint32_t z)
{
    uint64_t *pml4 = myproc()->pml4;
    int r = copyout(pml4, a, &x, 4);
    if (!r)
        r = copyout(pml4, b, &y, 4);
    if (!r)
        r = copyout(pml4, c, &z, 4);
    return r;
}

int64_t sys_getresuid(struct trapframe *tf)
{
    const struct cred *c = cur();
    return put3(tf->rdi, tf->rsi, tf->rdx, c->uid, c->euid, c->suid);
}

int64_t sys_getresgid(struct trapframe *tf)
{
    const struct cred *c = cur();
    return put3(tf->rdi, tf->rsi, tf->rdx, c->gid, c->egid, c->sgid);
}

/* setuid(uid): CAP_SETUID sets real, effective and saved; else only effective, to the real or saved uid. */
int64_t sys_setuid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t uid = (uint32_t)tf->rdi;
    if (uid == ID_NONE)
        return -EINVAL;
    if (capable(CAP_SETUID))
        c->uid = c->suid = uid;
    else if (uid != o.uid && uid != o.suid)
        return -EPERM;
    c->euid = c->fsuid = uid;
    fix_setuid(c, &o);
    return 0;
}

int64_t sys_setgid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t gid = (uint32_t)tf->rdi;
    if (gid == ID_NONE)
        return -EINVAL;
    if (capable(CAP_SETGID))
        c->gid = c->egid = c->sgid = c->fsgid = gid;
    else if (gid == c->gid || gid == c->sgid)
        c->egid = c->fsgid = gid;
    else
        return -EPERM;
    committed(&o);
    return 0;
}

/*
 * setreuid(ruid, euid), -1 keeps one: the real uid may become the real or
 * effective one, the effective any of the three; CAP_SETUID anything. The
 * saved uid follows the effective one when the real one is set or the
 * effective one leaves the real one (Linux kernel/sys.c).
 */
int64_t sys_setreuid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t r = (uint32_t)tf->rdi, e = (uint32_t)tf->rsi;
    bool cap = capable(CAP_SETUID);
    if (r != ID_NONE && r != o.uid && r != o.euid && !cap)
        return -EPERM;
    if (e != ID_NONE && e != o.uid && e != o.euid && e != o.suid && !cap)
        return -EPERM;
    if (r != ID_NONE)
        c->uid = r;
    if (e != ID_NONE)
        c->euid = e;
    if (r != ID_NONE || (e != ID_NONE && e != o.uid))
        c->suid = c->euid;
    c->fsuid = c->euid;
    fix_setuid(c, &o);
    return 0;
}

int64_t sys_setregid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t r = (uint32_t)tf->rdi, e = (uint32_t)tf->rsi;
    bool cap = capable(CAP_SETGID);
    if (r != ID_NONE && r != o.gid && r != o.egid && !cap)
        return -EPERM;
    if (e != ID_NONE && e != o.gid && e != o.egid && e != o.sgid && !cap)
        return -EPERM;
    if (r != ID_NONE)
        c->gid = r;
    if (e != ID_NONE)
        c->egid = e;
    if (r != ID_NONE || (e != ID_NONE && e != o.gid))
        c->sgid = c->egid;
    c->fsgid = c->egid;
    committed(&o);
    return 0;
}

/* One of setresuid's new ids is one the caller does not hold already (Linux's *_new). */
static bool id_new(uint32_t v, uint32_t a, uint32_t b, uint32_t c)
{
    return v != ID_NONE && v != a && v != b && v != c;
}

/* setresuid(r, e, s), -1 keeps one: each may become any of the three current ids; CAP_SETUID anything. */
int64_t sys_setresuid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t r = (uint32_t)tf->rdi, e = (uint32_t)tf->rsi, s = (uint32_t)tf->rdx;
    if ((r == ID_NONE || r == o.uid) && (e == ID_NONE || (e == o.euid && e == o.fsuid)) &&
        (s == ID_NONE || s == o.suid))
        return 0;                                 /* nothing changes (Linux's no-op check) */
    if ((id_new(r, o.uid, o.euid, o.suid) || id_new(e, o.uid, o.euid, o.suid) ||
         id_new(s, o.uid, o.euid, o.suid)) && !capable(CAP_SETUID))
        return -EPERM;
    if (r != ID_NONE)
        c->uid = r;
    if (e != ID_NONE)
        c->euid = e;
    if (s != ID_NONE)
        c->suid = s;
    c->fsuid = c->euid;
    fix_setuid(c, &o);
    return 0;
}

int64_t sys_setresgid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t r = (uint32_t)tf->rdi, e = (uint32_t)tf->rsi, s = (uint32_t)tf->rdx;
    if ((r == ID_NONE || r == o.gid) && (e == ID_NONE || (e == o.egid && e == o.fsgid)) &&
        (s == ID_NONE || s == o.sgid))
        return 0;
    if ((id_new(r, o.gid, o.egid, o.sgid) || id_new(e, o.gid, o.egid, o.sgid) ||
         id_new(s, o.gid, o.egid, o.sgid)) && !capable(CAP_SETGID))
        return -EPERM;
    if (r != ID_NONE)
        c->gid = r;
    if (e != ID_NONE)
        c->egid = e;
    if (s != ID_NONE)
        c->sgid = s;
    c->fsgid = c->egid;
    committed(&o);
    return 0;
}

/* setfsuid(uid): always returns the old fsuid; changes it only to one of the caller's ids or with CAP_SETUID. */
int64_t sys_setfsuid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t uid = (uint32_t)tf->rdi;
    if (uid == ID_NONE)
        return o.fsuid;
    if ((uid == o.uid || uid == o.euid || uid == o.suid || uid == o.fsuid || capable(CAP_SETUID)) &&
        uid != o.fsuid) {
        c->fsuid = uid;
        fix_setfsuid(c, &o);
    }
    return o.fsuid;
}

int64_t sys_setfsgid(struct trapframe *tf)
{
    struct cred *c = cur(), o = *c;
    uint32_t gid = (uint32_t)tf->rdi, old = c->fsgid;
    if (gid == ID_NONE)
        return old;
    if (gid == c->gid || gid == c->egid || gid == c->sgid || gid == c->fsgid || capable(CAP_SETGID))
        c->fsgid = gid;
    committed(&o);
    return old;
}

/* getgroups(size, list): size 0 asks for the count; a smaller nonzero size is -EINVAL. */
int64_t sys_getgroups(struct trapframe *tf)
{
    const struct cred *c = cur();
    int size = (int)tf->rdi;
    if (size < 0)
        return -EINVAL;
    if (size) {
        if (c->ngroups > size)
            return -EINVAL;
        int r = copyout(myproc()->pml4, tf->rsi, c->groups, 4 * (uint64_t)c->ngroups);
        if (r)
            return r;
    }
    return c->ngroups;
}

/*
 * setgroups(size, list): CAP_SETGID (else -EPERM, checked first as Linux
 * does); size above Linux's NGROUPS_MAX is -EINVAL there and here, and
 * above NGROUPS_RL here as well (the documented difference). Stored sorted,
 * as Linux's groups_sort leaves them.
 */
int64_t sys_setgroups(struct trapframe *tf)
{
    struct cred *c = cur();
    int size = (int)tf->rdi;
    uint32_t g[NGROUPS_RL];
    if (!capable(CAP_SETGID))
        return -EPERM;
    if ((unsigned)size > NGROUPS_MAX_LX || size > NGROUPS_RL)
        return -EINVAL;
    int r = copyin(myproc()->pml4, g, tf->rsi, 4 * (uint64_t)size);
    if (r)
        return r;
    for (int i = 1; i < size; i++)                /* insertion sort: at most NGROUPS_RL */
        for (int j = i; j > 0 && g[j - 1] > g[j]; j--) {
            uint32_t t = g[j];
            g[j] = g[j - 1];
            g[j - 1] = t;
        }
    memcpy(c->groups, g, 4 * (uint64_t)size);
    c->ngroups = size;
    return 0;
}

/* ---- capget / capset (kernel/capability.c) ------------------------------- */

struct cap_header {
    uint32_t version;
    int32_t pid;
};

struct cap_data {                /* one per 32 capabilities: 1 with version 1, 2 with 2 and 3 */
    uint32_t effective, permitted, inheritable;
};

/* The header's version: how many cap_data words it takes; an unknown one is -EINVAL after
   Linux writes its own version (3) back into the header. */
static int cap_words(uint64_t uhdr, int *words)
{
    uint32_t v;
    if (copyin(myproc()->pml4, &v, uhdr, 4))
        return -EFAULT;
    switch (v) {
    case LINUX_CAPABILITY_VERSION_1:
        *words = 1;
        return 0;
    case LINUX_CAPABILITY_VERSION_2:
    case LINUX_CAPABILITY_VERSION_3:
        *words = 2;
        return 0;
    default:
        v = LINUX_CAPABILITY_VERSION_3;
        if (copyout(myproc()->pml4, uhdr, &v, 4))
            return -EFAULT;
        return -EINVAL;
    }
}

/* capget(hdr, data): a NULL data with an unknown version only reports the version (0). */
int64_t sys_capget(struct trapframe *tf)
{
    struct cap_header h;
    int words;
    int r = cap_words(tf->rdi, &words);
    if (!tf->rsi || r)
        return !tf->rsi && r == -EINVAL ? 0 : r;
    if (copyin(myproc()->pml4, &h, tf->rdi, sizeof h))
        return -EFAULT;
    if (h.pid < 0)
        return -EINVAL;
    struct proc *q = h.pid == 0 ? myproc() : proc_find(h.pid);
    if (!q || q->state == P_EMBRYO)
        return -ESRCH;
    struct cap_data d[2];
    for (int i = 0; i < 2; i++) {
        d[i].effective = (uint32_t)(q->cred.cap_effective >> (32 * i));
        d[i].permitted = (uint32_t)(q->cred.cap_permitted >> (32 * i));
        d[i].inheritable = (uint32_t)(q->cred.cap_inheritable >> (32 * i));
    }
    return copyout(myproc()->pml4, tf->rsi, d, sizeof d[0] * (uint64_t)words) ? -EFAULT : 0;
}

/*
 * capset(hdr, data): only the caller's own sets (pid 0 or its own tid; else
 * -EPERM). Linux's rules (commoncap cap_capset): inheritable within the old
 * inheritable + permitted (unless CAP_SETPCAP) and the bounding set,
 * permitted within the old permitted, effective within the new permitted.
 */
int64_t sys_capset(struct trapframe *tf)
{
    struct cred *c = cur();
    struct cap_header h;
    struct cap_data d[2] = { 0 };
    int words;
    int r = cap_words(tf->rdi, &words);
    if (r)
        return r;
    if (copyin(myproc()->pml4, &h, tf->rdi, sizeof h))
        return -EFAULT;
    if (h.pid != 0 && h.pid != myproc()->pid)
        return -EPERM;
    if (copyin(myproc()->pml4, d, tf->rsi, sizeof d[0] * (uint64_t)words))
        return -EFAULT;
    uint64_t e = (d[0].effective | (uint64_t)d[1].effective << 32) & CAP_FULL_SET;
    uint64_t p = (d[0].permitted | (uint64_t)d[1].permitted << 32) & CAP_FULL_SET;
    uint64_t i = (d[0].inheritable | (uint64_t)d[1].inheritable << 32) & CAP_FULL_SET;
    if (!capable(CAP_SETPCAP) && (i & ~(c->cap_inheritable | c->cap_permitted)))
        return -EPERM;
    if ((p & ~c->cap_permitted) || (e & ~p))
        return -EPERM;
    c->cap_effective = e;
    c->cap_permitted = p;
    c->cap_inheritable = i;
    return 0;
}
