/*
 * /proc's names (procfs.h has the tree and the lifetime rules): the nodes, lookup, readdir,
 * readlink, and the files of no process (Linux fs/proc/{root,base,generic,meminfo,cpuinfo,
 * uptime}.c and kernel/sysctl.c). The files of a process are procpid.c's.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "vm.h"
#include "x86.h"

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
    /* a process's, in Linux's order (fs/proc/base.c tgid_base_stuff) */
    { "fd", PN_FDDIR, PN_PID, S_IFDIR | 0500, S_IFDIR | 0500 },
    { "environ", PN_ENVIRON, PN_PID, S_IFREG | 0400, S_IFREG | 0400 },
    { "auxv", PN_AUXV, PN_PID, S_IFREG | 0400, S_IFREG | 0400 },
    { "status", PN_STATUS, PN_PID, S_IFREG | 0444, S_IFREG | 0444 },
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
static struct inode *proc_root;

void procfs_init(struct inode *root)
{
    struct inode *d = inode_new(S_IFDIR | 0555);
    if (!d || dir_link(root, "proc", d))
        panic("fs-full name=proc");
    d->parent = inode_get(root);
    d->ino = 1;                              /* Linux's PROC_ROOT_INO */
    d->proc_kind = PN_ROOT;                  /* after dir_link: a /proc node links nowhere */
    proc_root = d;
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
    return ptrace_may_access(myproc(), p);
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
    struct inode *ip = node(PN_FD, p->pid, fd, S_IFIFO | 0600, dir);   /* a pipe: stat only */
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
        if (!(p = procfs_target(dir)))
            return NULL;                     /* gone since the walk passed it */
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

static const char *const mounts_text = "rootfs / rootfs rw 0 0\nproc /proc proc rw,relatime 0 0\n";

static void show_meminfo(struct pbuf *b)
{
    uint64_t total = kalloc_total_pages() * 4, free = kalloc_free_pages() * 4;
    uint64_t files = fsdata_pages_used() * 4;   /* written file bytes: in RAM, as tmpfs's (Cached, Shmem) */
    /* Linux fs/proc/meminfo.c show_val_kb: the name padded to 16, the value to 8, " kB" */
    static const char *const names[] = { "MemTotal:", "MemFree:", "MemAvailable:", "Buffers:",
                                         "Cached:", "SwapCached:", "SwapTotal:", "SwapFree:",
                                         "Shmem:", "SReclaimable:", "KernelStack:" };
    uint64_t vals[] = { total, free, free, file_cache_pages() * 4, files, 0, 0, 0, files, 0,
                        (uint64_t)proc_count() * KSTACK_PAGES * 4 };
    for (uint64_t i = 0; i < ARRAY_SIZE(names); i++) {
        pb_put(b, names[i], strlen(names[i]));
        pb_put(b, "                ", 16 - strlen(names[i]));   /* "%-16s": kprintf has no '-' */
        pb_printf(b, "%8lu kB\n", vals[i]);
    }
}

/* CPUID feature bits by Linux's names (arch/x86/include/asm/cpufeatures.h), in its word order. */
struct cpuflag { uint32_t leaf; uint8_t reg, bit; const char *name; };   /* reg: 0 ebx 1 ecx 2 edx */
static const struct cpuflag cpuflags[] = {
    { 1, 2, 0, "fpu" }, { 1, 2, 1, "vme" }, { 1, 2, 2, "de" }, { 1, 2, 3, "pse" }, { 1, 2, 4, "tsc" },
    { 1, 2, 5, "msr" }, { 1, 2, 6, "pae" }, { 1, 2, 7, "mce" }, { 1, 2, 8, "cx8" }, { 1, 2, 9, "apic" },
    { 1, 2, 11, "sep" }, { 1, 2, 12, "mtrr" }, { 1, 2, 13, "pge" }, { 1, 2, 14, "mca" }, { 1, 2, 15, "cmov" },
    { 1, 2, 16, "pat" }, { 1, 2, 17, "pse36" }, { 1, 2, 19, "clflush" }, { 1, 2, 23, "mmx" },
    { 1, 2, 24, "fxsr" }, { 1, 2, 25, "sse" }, { 1, 2, 26, "sse2" }, { 1, 2, 28, "ht" },
    { 0x80000001, 2, 11, "syscall" }, { 0x80000001, 2, 20, "nx" }, { 0x80000001, 2, 22, "mmxext" },
    { 0x80000001, 2, 26, "pdpe1gb" }, { 0x80000001, 2, 27, "rdtscp" }, { 0x80000001, 2, 29, "lm" },
    { 1, 1, 0, "pni" }, { 1, 1, 1, "pclmulqdq" }, { 1, 1, 9, "ssse3" }, { 1, 1, 12, "fma" },
    { 1, 1, 13, "cx16" }, { 1, 1, 17, "pcid" }, { 1, 1, 19, "sse4_1" }, { 1, 1, 20, "sse4_2" },
    { 1, 1, 21, "x2apic" }, { 1, 1, 22, "movbe" }, { 1, 1, 23, "popcnt" }, { 1, 1, 25, "aes" },
    { 1, 1, 26, "xsave" }, { 1, 1, 28, "avx" }, { 1, 1, 29, "f16c" }, { 1, 1, 30, "rdrand" },
    { 1, 1, 31, "hypervisor" },
    { 0x80000001, 1, 0, "lahf_lm" }, { 0x80000001, 1, 5, "abm" }, { 0x80000001, 1, 6, "sse4a" },
    { 7, 0, 0, "fsgsbase" }, { 7, 0, 3, "bmi1" }, { 7, 0, 5, "avx2" }, { 7, 0, 7, "smep" },
    { 7, 0, 8, "bmi2" }, { 7, 0, 9, "erms" }, { 7, 0, 10, "invpcid" }, { 7, 0, 18, "rdseed" },
    { 7, 0, 19, "adx" }, { 7, 0, 20, "smap" }, { 7, 0, 23, "clflushopt" }, { 7, 0, 24, "clwb" },
    { 7, 0, 29, "sha_ni" },
    { 7, 1, 2, "umip" }, { 7, 1, 22, "rdpid" },
};

static void show_cpuinfo(struct pbuf *b)
{
    uint32_t a, r[3], d, max, maxext, vendor[4] = { 0 }, brand[13] = { 0 };
    cpuid(0, 0, &max, &vendor[0], &vendor[2], &vendor[1]);
    cpuid(0x80000000, 0, &maxext, &r[0], &r[1], &d);
    uint32_t sig, misc, c1, d1;
    cpuid(1, 0, &sig, &misc, &c1, &d1);
    for (uint32_t i = 0; i < 3 && maxext >= 0x80000004; i++)
        cpuid(0x80000002 + i, 0, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2], &brand[4 * i + 3]);
    uint32_t family = (sig >> 8) & 0xf, model = (sig >> 4) & 0xf;
    if (family == 0xf)
        family += (sig >> 20) & 0xff;        /* Linux x86_family */
    if (family >= 6)
        model += ((sig >> 16) & 0xf) << 4;   /* Linux x86_model */
    /* Linux arch/x86/kernel/cpu/proc.c show_cpuinfo, the fields it prints whatever the CPU */
    pb_printf(b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
                 "stepping\t: %u\n", (char *)vendor, family, model, brand[0] ? (char *)brand : "unknown",
              sig & 0xf);
    pb_printf(b, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: %u\n"
                 "initial apicid\t: %u\nfpu\t\t: %s\nfpu_exception\t: %s\ncpuid level\t: %u\nwp\t\t: yes\n"
                 "flags\t\t:", misc >> 24, misc >> 24, d1 & 1 ? "yes" : "no", d1 & 1 ? "yes" : "no", max);
    for (uint64_t i = 0; i < ARRAY_SIZE(cpuflags); i++) {
        const struct cpuflag *f = &cpuflags[i];
        if ((f->leaf >= 0x80000000 ? maxext : max) < f->leaf)
            continue;
        cpuid(f->leaf, 0, &a, &r[0], &r[1], &r[2]);
        if (r[f->reg] >> f->bit & 1)
            pb_printf(b, " %s", f->name);
    }
    uint32_t sizes = 0;
    if (maxext >= 0x80000008)
        cpuid(0x80000008, 0, &sizes, &r[0], &r[1], &d);
    pb_printf(b, "\nclflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits "
                 "virtual\npower management:\n\n", (misc >> 8 & 0xff) * 8, (misc >> 8 & 0xff) * 8,
              sizes & 0xff, sizes >> 8 & 0xff);
}

/* Linux fs/proc/uptime.c: seconds since boot and idle seconds (summed over CPUs), 1/100 s. */
static void show_uptime(struct pbuf *b)
{
    uint64_t up = ticks * 100 / TIMER_HZ, idle = idle_ticks * 100 / TIMER_HZ;
    pb_printf(b, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
}

static int show(struct pbuf *b, struct file *f)
{
    struct inode *ip = f->ip;
    switch (ip->proc_kind) {
    case PN_MEMINFO: show_meminfo(b); return 0;
    case PN_CPUINFO: show_cpuinfo(b); return 0;
    case PN_UPTIME: show_uptime(b); return 0;
    case PN_MOUNTS: pb_put(b, mounts_text, strlen(mounts_text)); return 0;
    case PN_OSTYPE: pb_printf(b, "%s\n", UTS_SYSNAME); return 0;
    case PN_OSRELEASE: pb_printf(b, "%s\n", UTS_RELEASE); return 0;
    case PN_PIDMAX: pb_printf(b, "%d\n", PROCFS_PID_MAX); return 0;
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
    return ip->proc_pid ? -EINVAL : -EIO;   /* Linux: no write op (base.c) / proc_reg_write */
}
