/*
 * /proc's names (procfs.h has the tree and the lifetime rules): the nodes, lookup, readdir,
 * readlink, open, read and write (Linux fs/proc/{root,base,generic}.c). The files of a process
 * are procpid.c's, those of the system procsys.c's.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "lease.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "socket.h"
#include "vm.h"

/* A name in a /proc directory: the mode readdir shows (a link's is S_IFLNK) and the mode of the
   node a lookup gives (a link is followed: there are no symbolic links elsewhere). */
struct pent {
    const char *name;
    uint8_t kind, parent;
    uint32_t dmode, mode;
};

#define LNK (S_IFLNK | 0777)
static const struct pent ents[] = {
    { "self", PN_SELF, PN_ROOT, LNK, S_IFDIR | 0555 },
    { "meminfo", PN_MEMINFO, PN_ROOT, S_IFREG | 0444, S_IFREG | 0444 },
    { "cpuinfo", PN_CPUINFO, PN_ROOT, S_IFREG | 0444, S_IFREG | 0444 },
    { "uptime", PN_UPTIME, PN_ROOT, S_IFREG | 0444, S_IFREG | 0444 },
    { "mounts", PN_MOUNTS, PN_ROOT, LNK, S_IFREG | 0444 },
    { "sys", PN_SYS, PN_ROOT, S_IFDIR | 0555, S_IFDIR | 0555 },
    { "kernel", PN_SYSKERNEL, PN_SYS, S_IFDIR | 0555, S_IFDIR | 0555 },
    { "ostype", PN_OSTYPE, PN_SYSKERNEL, S_IFREG | 0444, S_IFREG | 0444 },
    { "osrelease", PN_OSRELEASE, PN_SYSKERNEL, S_IFREG | 0444, S_IFREG | 0444 },
    { "pid_max", PN_PIDMAX, PN_SYSKERNEL, S_IFREG | 0444, S_IFREG | 0444 },  /* not settable here */
    { "fs", PN_SYSFS, PN_SYS, S_IFDIR | 0555, S_IFDIR | 0555 },
    { "lease-break-time", PN_LEASEBREAK, PN_SYSFS, S_IFREG | 0644, S_IFREG | 0644 },
    /* a process's, in Linux's order (fs/proc/base.c tgid_base_stuff) */
    { "fd", PN_FDDIR, PN_PID, S_IFDIR | 0500, S_IFDIR | 0500 },
    { "environ", PN_ENVIRON, PN_PID, S_IFREG | 0400, S_IFREG | 0400 },
    { "auxv", PN_AUXV, PN_PID, S_IFREG | 0400, S_IFREG | 0400 },
    { "status", PN_STATUS, PN_PID, S_IFREG | 0444, S_IFREG | 0444 },
    { "limits", PN_LIMITS, PN_PID, S_IFREG | 0444, S_IFREG | 0444 },
    { "comm", PN_COMM, PN_PID, S_IFREG | 0644, S_IFREG | 0644 },
    { "cmdline", PN_CMDLINE, PN_PID, S_IFREG | 0444, S_IFREG | 0444 },
    { "stat", PN_STAT, PN_PID, S_IFREG | 0444, S_IFREG | 0444 },
    { "maps", PN_MAPS, PN_PID, S_IFREG | 0444, S_IFREG | 0444 },
    { "mem", PN_MEM, PN_PID, S_IFREG | 0600, S_IFREG | 0600 },
    { "cwd", PN_CWD, PN_PID, LNK, 0 },
    { "exe", PN_EXE, PN_PID, LNK, 0 },
};

#define PIDS_COOKIE 1000         /* readdir of /proc: cookies from here are 1000 + a pid */

static struct inode *cache[PROCFS_CACHE];   /* the nodes procfs holds (nlink 1 each) */
static uint64_t last_use[PROCFS_CACHE];     /* lookup stamps: the smallest goes first */
static uint64_t stamp;

void procfs_init(struct inode *root)
{
    struct inode *d = inode_new(S_IFDIR | 0555);
    if (!d || dir_link(root, "proc", d))
        panic("fs-full name=proc");
    d->parent = inode_get(root);
    d->ino = 1;                              /* Linux's PROC_ROOT_INO */
    d->proc_kind = PN_ROOT;                  /* after dir_link: a /proc node links nowhere */
}

/* A thread group's (or thread's) process, or NULL once it is gone: the pid is the generation. */
struct proc *procfs_target(const struct inode *ip)
{
    return ip->proc_pid ? proc_find(ip->proc_pid) : NULL;
}

/* Linux task_dump_owner: a dumpable process's nodes are its effective ids', others root's. */
static void set_owner(struct inode *ip, struct proc *p)
{
    bool dumpable = p->mm ? p->mm->dumpable : true;
    ip->uid = dumpable ? p->cred.euid : 0;
    ip->gid = dumpable ? p->cred.egid : 0;
}

static void evict(int i)
{
    struct inode *ip = cache[i];
    cache[i] = NULL;
    ip->nlink = 0;
    inode_maybe_free(ip);                    /* now, or when its last file closes */
}

/* The node (kind, pid, arg) with mode `mode`: the cached one, or a new one. NULL: no inode. */
static struct inode *node(uint8_t kind, int pid, int arg, uint32_t mode, struct inode *parent)
{
    int free = -1, lru = -1;
    stamp++;
    for (int i = 0; i < PROCFS_CACHE; i++) {
        struct inode *ip = cache[i];
        if (!ip) {
            free = i;
            continue;
        }
        if (ip->proc_kind == kind && ip->proc_pid == pid && ip->proc_arg == arg && ip->mode == mode) {
            last_use[i] = stamp;
            return ip;
        }
        if (!ip->ref && (lru < 0 || last_use[i] < last_use[lru]))
            lru = i;
    }
    if (free < 0) {
        if (lru < 0)
            return NULL;                     /* every node is open: -ENOMEM */
        evict(lru);                          /* older than any this call borrowed (procfs.h) */
        free = lru;
    }
    struct inode *ip = inode_new(mode);
    if (!ip)
        return NULL;
    ip->proc_kind = kind;
    ip->proc_pid = pid;
    ip->proc_arg = arg;
    ip->nlink = 1;                           /* the cache's */
    ip->ino = kind == PN_PID ? (uint64_t)pid << 20 | 0xff : (uint64_t)pid << 20 | (uint64_t)arg << 8 | kind;
    if ((mode & S_IFMT) == S_IFDIR)
        ip->parent = inode_get(parent);
    cache[free] = ip;
    last_use[free] = stamp;
    return ip;
}

static bool parse_int(const char *s, int *out)
{
    uint64_t v = 0;
    if (!*s || (s[0] == '0' && s[1]))
        return false;                        /* Linux name_to_int: no leading zero */
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || (v = v * 10 + (uint64_t)(*s - '0')) > 0x7fffffff)
            return false;
    }
    *out = (int)v;
    return true;
}

/* /proc/PID/exe, cwd, fd/N and a process's environ, auxv, mem: Linux's ptrace permission
   (PTRACE_MODE_READ_FSCREDS for links, proc_fd_access_allowed). */
static bool may_look(struct proc *p)
{
    return ptrace_may_access(myproc(), p) == 0;
}

/* Where /proc/PID/fd/N leads: the open file's inode, a node for a pipe, or an error. */
static struct inode *fd_lookup(struct inode *dir, struct proc *p, int fd, int *err)
{
    struct file *f = p->files ? files_fd(p->files, fd) : NULL;
    if (!f) {
        *err = -ENOENT;
        return NULL;
    }
    if (!may_look(p)) {
        *err = -EACCES;
        return NULL;
    }
    if (f->type == F_INODE)
        return f->ip;
    struct inode *ip = node(PN_FD, p->pid, fd, f->type == F_SOCK ? S_IFSOCK | 0777 : S_IFIFO | 0600, dir);   /* stat only */
    if (!ip)
        *err = -ENOMEM;
    else
        set_owner(ip, p);
    return ip;
}

/* /proc/PID: any live or zombie thread's id (readdir lists only the groups'). */
static struct inode *pid_node(struct inode *dir, int pid, int *err)
{
    struct proc *p = proc_find(pid);
    if (!p)
        return NULL;
    struct inode *ip = node(PN_PID, pid, 0, S_IFDIR | 0555, dir);
    if (!ip)
        *err = -ENOMEM;
    else
        set_owner(ip, p);
    return ip;
}

struct inode *procfs_lookup(struct inode *dir, const char *name, int *err)
{
    *err = -ENOENT;
    if (!strcmp(name, "."))
        return dir;
    if (!strcmp(name, ".."))
        return dir->parent;
    struct proc *p = NULL;
    if (dir->proc_kind == PN_PID || dir->proc_kind == PN_FDDIR) {
        if (!(p = procfs_target(dir))) {
            if (dir->proc_kind == PN_PID)
                *err = -ESRCH;               /* gone since the directory was found (Linux) */
            return NULL;
        }
    }
    int n;
    if (dir->proc_kind == PN_FDDIR)
        return parse_int(name, &n) ? fd_lookup(dir, p, n, err) : NULL;
    if (dir->proc_kind == PN_ROOT && parse_int(name, &n))
        return pid_node(dir, n, err);
    for (uint64_t i = 0; i < ARRAY_SIZE(ents); i++) {
        const struct pent *e = &ents[i];
        if (e->parent != dir->proc_kind || strcmp(e->name, name))
            continue;
        if (e->kind == PN_SELF)
            return pid_node(dir, myproc()->tgid, err);
        if (e->kind == PN_EXE || e->kind == PN_CWD) {
            struct inode *to = e->kind == PN_EXE ? (p->mm ? p->mm->exe : NULL) : (p->fs ? p->fs->cwd : NULL);
            if (to && !may_look(p)) {
                *err = -EACCES;
                return NULL;
            }
            return to;                       /* NULL: a zombie's (-ENOENT, as Linux) */
        }
        struct inode *ip = node(e->kind, p ? dir->proc_pid : 0, 0, e->mode, dir);
        if (!ip)
            *err = -ENOMEM;
        else if (p)
            set_owner(ip, p);
        return ip;
    }
    return NULL;
}

/* ---- readdir --------------------------------------------------------------------------- */

/* The next group leader's pid at or after `from`, or 0. */
static int next_tgid(int from)
{
    int best = 0;
    for (int i = 0; i < NPROC; i++) {
        struct proc *q = proc_slot(i);
        if (q && q->state != P_DEAD && q->leader == q && q->pid >= from && (!best || q->pid < best))
            best = q->pid;
    }
    return best;
}

/*
 * dir_entry for a /proc directory (fs.c): the entry at *cookie or the next, as fs.c's. The
 * inode it gives is a view (ino and mode for getdents and stat's link count), not a node:
 * nobody holds it.
 */
int procfs_entry(struct inode *dir, uint64_t *cookie, const char **name, struct inode **ip)
{
    static struct inode view;
    static char num[16];
    memset(&view, 0, sizeof view);
    *ip = &view;
    if (*cookie < 2) {
        *name = *cookie ? ".." : ".";
        *ip = *cookie ? dir->parent : dir;
        (*cookie)++;
        return 1;
    }
    int pid = dir->proc_pid;
    if ((dir->proc_kind == PN_PID || dir->proc_kind == PN_FDDIR) && !procfs_target(dir))
        return 0;                            /* gone: an empty directory, as Linux's */
    if (dir->proc_kind == PN_FDDIR) {
        struct proc *p = procfs_target(dir);
        for (uint64_t fd = *cookie - 2; p->files && fd < NOFILE_MAX; fd++) {
            if (!files_fd(p->files, (int)fd))
                continue;
            snprintf(num, sizeof num, "%lu", fd);
            *name = num;
            view.ino = (uint64_t)pid << 20 | fd << 8 | PN_FD;
            view.mode = S_IFLNK | 0700;
            *cookie = fd + 3;
            return 1;
        }
        *cookie = NOFILE_MAX + 2;
        return 0;
    }
    for (uint64_t i = *cookie - 2; i < ARRAY_SIZE(ents); i++) {
        if (ents[i].parent != dir->proc_kind)
            continue;
        *name = ents[i].name;
        view.ino = (uint64_t)pid << 20 | ents[i].kind;
        view.mode = ents[i].dmode;
        *cookie = i + 3;
        return 1;
    }
    if (dir->proc_kind != PN_ROOT)
        return 0;
    int from = *cookie >= PIDS_COOKIE ? (int)(*cookie - PIDS_COOKIE) : 1;
    int tgid = next_tgid(from);
    if (!tgid) {
        *cookie = PIDS_COOKIE + 0x7fffffffUL;
        return 0;
    }
    snprintf(num, sizeof num, "%d", tgid);
    *name = num;
    view.ino = (uint64_t)tgid << 20 | 0xff;
    view.mode = S_IFDIR | 0555;
    *cookie = PIDS_COOKIE + (uint64_t)tgid + 1;
    return 1;
}

/* The name of a /proc directory in its parent, for getcwd (fs.c dir_path). */
const char *procfs_name(const struct inode *ip, char *buf, uint64_t size)
{
    if (ip->proc_kind == PN_PID) {
        snprintf(buf, size, "%d", ip->proc_pid);
        return buf;
    }
    for (uint64_t i = 0; i < ARRAY_SIZE(ents); i++)
        if (ents[i].kind == ip->proc_kind)
            return ents[i].name;
    return "proc";
}

/* ---- readlink ---------------------------------------------------------------------------- */

/* The target of /proc's link `name` in dir, into buf (no NUL): its length, -EINVAL for a name
   that is not a link, -ENOENT, -EACCES (Linux proc_pid_readlink's ptrace check). */
int64_t procfs_readlink(struct inode *dir, const char *name, char *buf, uint64_t size)
{
    int err, n;
    if (!procfs_lookup(dir, name, &err))
        return err;
    struct proc *p = procfs_target(dir);
    if (dir->proc_kind == PN_ROOT && !strcmp(name, "self"))
        return snprintf(buf, size, "%d", myproc()->tgid);
    if (dir->proc_kind == PN_ROOT && !strcmp(name, "mounts"))
        return snprintf(buf, size, "self/mounts");
    if (dir->proc_kind == PN_PID && p && !strcmp(name, "exe")) {
        struct mm *mm = p->mm;
        return snprintf(buf, size, "%s%s", mm->exe_path, mm->exe->nlink ? "" : " (deleted)");
    }
    if (dir->proc_kind == PN_PID && p && !strcmp(name, "cwd"))
        return (n = dir_path(p->fs->cwd, buf, size)) < 0 ? n : n - 1;
    if (dir->proc_kind == PN_FDDIR && p && parse_int(name, &n)) {
        struct file *f = files_fd(p->files, n);
        if (f->type == F_PIPE)
            return snprintf(buf, size, "pipe:[%lu]", f->pipe->ino);
        if (f->type == F_SOCK)
            return sock_fdlink(f, buf, size);
        return (n = inode_path(f->ip, buf, size)) < 0 ? n : n - 1;
    }
    return -EINVAL;
}

/* ---- open, read, write --------------------------------------------------------------------- */

int procfs_open(struct file *f)
{
    struct inode *ip = f->ip;
    if (ip->proc_kind == PN_FD)
        return -ENXIO;                       /* a pipe is not reopened here (Linux can) */
    if (ip->proc_kind != PN_MEM && ip->proc_kind != PN_ENVIRON && ip->proc_kind != PN_AUXV &&
        ip->proc_kind != PN_MAPS)
        return 0;                            /* Linux proc_mem_open: these four need ptrace's access */
    struct proc *p = procfs_target(ip);
    if (!p)
        return -ESRCH;
    if (!may_look(p))
        return -EACCES;                      /* Linux proc_mem_open: mm_access */
    f->proc_mm_gen = p->mm ? p->mm->gen : 0;
    if (ip->proc_kind == PN_AUXV && p->mm) {
        /* Linux auxv_read reads mm->saved_auxv, kept while the file is open: after the
           process has exec'd or ended too. The vector as it is now, in the file. */
        uint64_t *page = kalloc();
        if (!page)
            return -ENOMEM;
        uint64_t n = p->mm->auxv_len < PAGE_SIZE - 8 ? p->mm->auxv_len : PAGE_SIZE - 8;
        n = (uint64_t)procpid_vm_copy(p, p->mm->auxv_start, page + 1, n, false, true);
        page[0] = n;
        f->proc_page = page;
    }
    return 0;
}

static int show(struct pbuf *b, struct file *f)
{
    struct inode *ip = f->ip;
    switch (ip->proc_kind) {
    case PN_MEMINFO:
    case PN_CPUINFO:
    case PN_UPTIME:
    case PN_MOUNTS:
    case PN_OSTYPE:
    case PN_OSRELEASE:
    case PN_PIDMAX:
    case PN_LEASEBREAK:
        procsys_show(b, ip->proc_kind);
        return 0;
    default: {
        struct proc *p = procfs_target(ip);
        if (ip->proc_kind == PN_AUXV) {
            const uint64_t *page = f->proc_page;   /* procfs_open's copy */
            if (page)
                pb_put(b, (const char *)(page + 1), page[0]);
            return 0;
        }
        if (!p && ip->proc_kind == PN_ENVIRON)
            return 0;                        /* Linux: the mm the file held is gone: nothing */
        return p ? procpid_show(b, ip->proc_kind, p, f) : -ESRCH;
    }
    }
}

void pb_put(struct pbuf *b, const char *s, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++, b->pos++)
        if (b->pos >= b->off && b->pos - b->off < b->want)
            b->buf[b->pos - b->off] = s[i];
}

void pb_printf(struct pbuf *b, const char *fmt, ...)
{
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    pb_put(b, line, n < (int)sizeof line ? (uint64_t)n : sizeof line - 1);
}

/*
 * A read of bytes [off, off + n): the text is made again and the window kept, at most a page
 * per call (Linux's seq_file reads give a page at a time too). /proc/PID/mem reads memory.
 */
int64_t procfs_read(struct file *f, uint64_t dst, uint64_t off, uint64_t n)
{
    struct inode *ip = f->ip;
    if (ip->proc_kind == PN_MEM) {
        struct proc *p = procfs_target(ip);
        if (!p || !p->mm || p->mm->gen != f->proc_mm_gen)
            return 0;                        /* the address space opened is gone (Linux: 0) */
        return procpid_mem(p, dst, off, n, false);
    }
    if (!n)
        return 0;
    if (!user_range_ok(dst, n))
        return -EFAULT;
    struct pbuf b = { .buf = kalloc(), .off = off, .want = n < PAGE_SIZE ? n : PAGE_SIZE };
    if (!b.buf)
        return -ENOMEM;
    int r = show(&b, f);
    uint64_t got = b.pos > off ? b.pos - off : 0;
    if (got > b.want)
        got = b.want;
    if (!r && got)
        r = copyout(myproc()->pml4, dst, b.buf, got);
    kfree(b.buf);
    return r ? r : (int64_t)got;
}

int64_t procfs_write(struct file *f, uint64_t src, uint64_t off, uint64_t n)
{
    struct inode *ip = f->ip;
    struct proc *p = procfs_target(ip);
    if (ip->proc_kind == PN_MEM) {
        if (!p || !p->mm || p->mm->gen != f->proc_mm_gen)
            return 0;
        return procpid_mem(p, src, off, n, true);
    }
    if (ip->proc_kind == PN_COMM) {
        /* Linux comm_write: the first 15 bytes as they are (a newline too), own group only */
        char name[16] = { 0 };
        if (!p)
            return -ESRCH;
        int r = copyin(myproc()->pml4, name, src, n < 15 ? n : 15);
        if (r)
            return r;
        if (p->tgid != myproc()->tgid)
            return -EINVAL;
        snprintf(p->name, sizeof p->name, "%s", name);
        return (int64_t)n;
    }
    if (ip->proc_kind == PN_LEASEBREAK)
        return lease_sysctl_write(src, off, n);
    return ip->proc_pid ? -EINVAL : -EIO;   /* Linux: no write op (base.c) / proc_reg_write */
}
