/*
 * The file system's names: inodes and directory entries, path lookup.
 * Directory entries are one table for all directories (a directory's entries
 * are the table's entries whose dir is it, in table order), so a lookup is a
 * scan, which is plenty for a few hundred names. The layout is in file.h.
 */
#include "kernel.h"
#include "errno.h"
#include "cred.h"
#include "file.h"
#include "kcov.h"
#include "mmu.h"
#include "procfs.h"
#include "sanitize.h"

struct dirent {
    struct inode *dir;           /* NULL: free slot */
    struct inode *ip;
    char *name;                  /* fsname.c's slot sized to fit (up to FS_NAME_MAX + 1 bytes): the
                                    entry owns it from dir_link to dir_unlink */
};

static struct inode inodes[NINODE];
static struct dirent dirents[NDIRENT];
static struct fsfile modules[NFSFILE];
static uint64_t nmodules;
static uint64_t next_ino = 1;
static struct inode *root;

struct inode *inode_new(uint32_t mode)
{
    for (int i = 0; i < NINODE; i++) {
        struct inode *ip = &inodes[i];
        if (ip->mode)
            continue;                         /* in use: mode 0 marks a free slot */
        uint64_t now = time_realtime_ns();
        *ip = (struct inode){ .mode = mode, .ino = next_ino++, .mtime_ns = now, .ctime_ns = now,
                              .atime_ns = now };
        return ip;
    }
    return NULL;
}

/* Free inode slots (statfs's f_ffree). */
int fs_free_inodes(void)
{
    int n = 0;
    for (int i = 0; i < NINODE; i++)
        n += !inodes[i].mode;
    return n;
}

struct inode *inode_get(struct inode *ip)
{
    SAN_LIVE(SAN_INODE, ip - inodes, ip->mode != 0);
    REF_GET(SAN_INODE, ip - inodes, ip->ref);
    return ip;
}

/* Free an inode with neither names nor users: its pages go back to the allocator. */
void inode_maybe_free(struct inode *ip)
{
    SAN_LIVE(SAN_INODE, ip - inodes, ip->mode != 0);
    if (ip->nlink == 0 && ip->ref == 0 && ip != root) {
        struct inode *parent = (ip->mode & S_IFMT) == S_IFDIR ? ip->parent : NULL;
        fsdata_free(ip);
        ip->mode = 0;
        ip->parent = NULL;
        SAN_FREED(SAN_INODE, ip - inodes, ip, mode);
        if (parent)
            inode_put(parent);               /* a directory holds its parent (for "..") */
    }
}

void inode_put(struct inode *ip)
{
    SAN_LIVE(SAN_INODE, ip - inodes, ip->mode != 0);
    REF_PUT(SAN_INODE, ip - inodes, ip->ref);
    inode_maybe_free(ip);
}

/* /etc/passwd and /etc/group: root, nobody and a user 1000 (what `invoke boot --user 1000`
   runs as), as a Debian system names them, so programs can look users up (getpwnam). */
static const char etc_passwd[] = "root:x:0:0:root:/root:/bin/sh\n"
                                 "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"
                                 "user:x:1000:1000:user:/tmp:/bin/sh\n";
static const char etc_group[] = "root:x:0:\n"
                                "nogroup:x:65534:\n"
                                "user:x:1000:\n";

/* A directory under `dir`, mode `mode`, owned by root. */
static struct inode *fs_mkdir(struct inode *dir, const char *name, uint32_t mode)
{
    struct inode *d = inode_new(S_IFDIR | mode);
    d->parent = inode_get(dir);
    dir_link(dir, name, d);
    return d;
}

/* A file under `dir` whose bytes are `text` until first written (as a module's). */
static void fs_text(struct inode *dir, const char *name, const char *text, uint64_t size)
{
    struct inode *f = inode_new(S_IFREG | 0644);
    f->rodata = (const uint8_t *)text;
    f->size = size;
    dir_link(dir, name, f);
}

/* Create "/", /tmp, /dev and /etc before the first module goes in. */
static void fs_init(void)
{
    root = inode_new(S_IFDIR | 0755);
    root->parent = root;
    fs_mkdir(root, "tmp", 01777);
    struct inode *dev = fs_mkdir(root, "dev", 0755);
    dev_init(dev);
    fs_mkdir(dev, "shm", 01777);              /* Linux's /dev/shm: a tmpfs directory for everyone */
    struct inode *etc = fs_mkdir(root, "etc", 0755);
    fs_text(etc, "passwd", etc_passwd, sizeof etc_passwd - 1);
    fs_text(etc, "group", etc_group, sizeof etc_group - 1);
    kcov_fs_init(root);                  /* the coverage build's /sys/kernel/debug/kcov */
    procfs_init(root);                   /* /proc: procfs.c answers for what is below it */
}

struct inode *fs_root(void)
{
    return root;
}

/* A boot module becomes the read-only-until-written file "/name". */
void fs_add(const char *name, const uint8_t *data, uint64_t size)
{
    if (!root)
        fs_init();
    if (nmodules == NFSFILE)
        panic("fs-full name=%s", name);
    struct fsfile *m = &modules[nmodules];
    /* A name "/" cannot hold (the harness refuses it first) is left out, and said so: too
       long (not cut: that could make two modules one), or one "/" has already (an earlier
       module's - init is placed first - or tmp, dev). */
    if (strlen(name) > FS_NAME_MAX) {
        kevent("module-skipped name=%s size=%lu reason=name-too-long", name, size);
        return;
    }
    if (dir_lookup(root, name)) {
        kevent("module-skipped name=%s size=%lu reason=duplicate-name", name, size);
        return;
    }
    nmodules++;
    m->data = data;
    m->size = size;
    m->ip = inode_new(S_IFREG | 0755);
    if (!m->ip || dir_link(root, name, m->ip))
        panic("fs-full name=%s", name);
    m->ip->rodata = data;
    m->ip->size = size;
}

struct fsfile *fs_at(uint64_t index)
{
    return index < nmodules ? &modules[index] : NULL;
}

static struct dirent *dirent_find(struct inode *dir, const char *name)
{
    for (int i = 0; i < NDIRENT; i++)
        if (dirents[i].dir == dir && !strcmp(dirents[i].name, name))
            return &dirents[i];
    return NULL;
}

struct inode *dir_lookup(struct inode *dir, const char *name)
{
    if (!strcmp(name, "."))
        return dir;
    if (!strcmp(name, ".."))
        return dir->parent;
    if (dir->proc_kind) {
        int err;
        return procfs_lookup(dir, name, &err);
    }
    struct dirent *d = dirent_find(dir, name);
    return d ? d->ip : NULL;
}

/* Add name -> ip in dir. -EEXIST, -ENOSPC (entry table full), -ENAMETOOLONG, -ENOENT (dir removed). */
int dir_link(struct inode *dir, const char *name, struct inode *ip)
{
    if (strlen(name) > FS_NAME_MAX)
        return -ENAMETOOLONG;
    if (dir->proc_kind)
        return -ENOENT;                      /* nothing is created in /proc (Linux proc_root_lookup) */
    if (ip->proc_kind)
        return -EXDEV;                       /* a /proc node has no name outside it */
    if (dir->nlink == 0 && dir != root)
        return -ENOENT;                      /* a removed directory (someone's cwd) stays empty */
    if (dir_lookup(dir, name))
        return -EEXIST;
    for (int i = 0; i < NDIRENT; i++) {
        struct dirent *d = &dirents[i];
        if (d->dir)
            continue;
        if (!(d->name = fsname_alloc(name)))
            return -ENOMEM;                  /* no page for the name: Linux's d_alloc fails so */
        d->dir = dir;
        d->ip = ip;
        ip->nlink++;
        dir->mtime_ns = dir->ctime_ns = ip->ctime_ns = time_realtime_ns();
        return 0;
    }
    return -ENOSPC;
}

/* Remove the name; the inode goes when its last name and last user are gone. */
int dir_unlink(struct inode *dir, const char *name)
{
    if (dir->proc_kind)
        return -EPERM;                       /* Linux: /proc's names are not removed */
    struct dirent *d = dirent_find(dir, name);
    if (!d)
        return -ENOENT;
    struct inode *ip = d->ip;
    if (ip->proc_kind)
        return -EBUSY;                       /* /proc itself: a mount point */
    d->dir = NULL;
    fsname_free(d->name);
    d->name = NULL;
    ip->nlink--;
    dir->mtime_ns = dir->ctime_ns = ip->ctime_ns = time_realtime_ns();
    inode_maybe_free(ip);
    return 0;
}

/* rename's last step: the entry oname in odir becomes nname in ndir (which has no such name:
   the caller removed a target first), keeping its slot. The new name is allocated before the
   old one is given back, so a failure (-ENOMEM) leaves the entry as it was. */
int dir_move(struct inode *odir, const char *oname, struct inode *ndir, const char *nname)
{
    struct dirent *d = dirent_find(odir, oname);
    if (!d)
        return -ENOENT;
    if (strlen(nname) > FS_NAME_MAX)
        return -ENAMETOOLONG;
    char *n = fsname_alloc(nname);
    if (!n)
        return -ENOMEM;
    fsname_free(d->name);
    d->name = n;
    d->dir = ndir;
    odir->mtime_ns = odir->ctime_ns = ndir->mtime_ns = ndir->ctime_ns = d->ip->ctime_ns = time_realtime_ns();
    return 0;
}

bool dir_empty(struct inode *dir)
{
    for (int i = 0; i < NDIRENT; i++)
        if (dirents[i].dir == dir)
            return false;
    return true;
}

/*
 * The entry at *cookie (0 ".", 1 "..", then table slot + 2) or the next one
 * after it; advances *cookie past it. Returns 1, or 0 at the end.
 */
int dir_entry(struct inode *dir, uint64_t *cookie, const char **name, struct inode **ip)
{
    if (dir->proc_kind)
        return procfs_entry(dir, cookie, name, ip);
    if (*cookie < 2) {
        *name = *cookie ? ".." : ".";
        *ip = *cookie ? dir->parent : dir;
        (*cookie)++;
        return 1;
    }
    for (uint64_t i = *cookie - 2; i < NDIRENT; i++) {
        if (dirents[i].dir == dir) {
            *name = dirents[i].name;
            *ip = dirents[i].ip;
            *cookie = i + 3;
            return 1;
        }
    }
    *cookie = NDIRENT + 2;
    return 0;
}

/* Is a the directory d or one of its ancestors? */
bool dir_is_ancestor(struct inode *a, struct inode *d)
{
    for (;;) {
        if (d == a)
            return true;
        if (d == root)
            return false;
        d = d->parent;
    }
}

static int dir_path_in(struct inode *dir, char *tmp, char *buf, uint64_t size);

/* A path buffer of FS_PATH_MAX bytes (Linux's __getname: a PATH_MAX object, never the kernel
   stack's 16 KiB). The caller owns it and gives it back with path_free on every return. */
char *path_alloc(void)
{
    _Static_assert(FS_PATH_MAX <= PAGE_SIZE, "a path fits one page");
    return kalloc();
}

void path_free(char *path)
{
    if (path)
        kfree(path);
}

/* The absolute path of a directory, NUL-terminated, into buf. Returns its length + 1, -ERANGE
   (longer than size), -ENAMETOOLONG (longer than FS_PATH_MAX), -ENOENT (removed), -ENOMEM. */
int dir_path(struct inode *dir, char *buf, uint64_t size)
{
    char *tmp = path_alloc();                /* built from its end, as Linux's prepend_path */
    if (!tmp)
        return -ENOMEM;
    int r = dir_path_in(dir, tmp, buf, size);
    path_free(tmp);
    return r;
}

/* dir_path's work in tmp (FS_PATH_MAX bytes): a path that does not fit is -ENAMETOOLONG
   (Linux's getcwd), one longer than size -ERANGE. */
static int dir_path_in(struct inode *dir, char *tmp, char *buf, uint64_t size)
{
    uint64_t pos = FS_PATH_MAX - 1;
    tmp[pos] = 0;
    for (struct inode *d = dir; d != root; d = d->parent) {
        struct dirent *e = NULL;
        char num[16];
        const char *ename = d->proc_kind && d->proc_kind != PN_ROOT ? procfs_name(d, num, sizeof num) : NULL;
        for (int i = 0; i < NDIRENT && !e && !ename; i++)
            if (dirents[i].ip == d && dirents[i].dir == d->parent)
                e = &dirents[i];
        if (!e && !ename)
            return -ENOENT;                  /* removed: Linux says so too */
        if (!ename)
            ename = e->name;
        uint64_t n = strlen(ename);
        if (pos < n + 1)
            return -ENAMETOOLONG;
        pos -= n;
        memcpy(tmp + pos, ename, n);
        tmp[--pos] = '/';
    }
    if (pos == FS_PATH_MAX - 1)
        tmp[--pos] = '/';
    uint64_t len = FS_PATH_MAX - pos;
    if (len > size)
        return -ERANGE;
    memcpy(buf, tmp + pos, len);
    return (int)len;
}

/* A symbolic link's target into buf (size bytes, NUL-terminated). Returns its length. */
int symlink_target(struct inode *ip, char *buf, uint64_t size)
{
    uint64_t n = ip->size < size - 1 ? ip->size : size - 1;
    if (n)
        memcpy(buf, ip->rodata ? ip->rodata : ip->pages[0], n);   /* at most FS_PATH_MAX: one page */
    buf[n] = 0;
    return (int)n;
}

/* The path of any inode with a name (the first one found), for /proc/PID/fd/N: its directory's
   path and its name. Returns the length + 1, -ENOENT (no name left) or -ERANGE. */
int inode_path(struct inode *ip, char *buf, uint64_t size)
{
    if ((ip->mode & S_IFMT) == S_IFDIR)
        return dir_path(ip, buf, size);
    for (int i = 0; i < NDIRENT; i++) {
        if (dirents[i].ip != ip || !dirents[i].dir)
            continue;
        int n = dir_path(dirents[i].dir, buf, size);
        if (n < 0)
            return n;
        int m = snprintf(buf + n - 1, size - (uint64_t)n + 1, "%s%s", n > 2 ? "/" : "", dirents[i].name);
        return (uint64_t)(n + m) > size ? -ERANGE : n + m;
    }
    return -ENOENT;
}

/*
 * Walk `path` from cwd (or "/" if it starts with '/'). With `name` set, stop
 * before the last component, copy it into name (FS_NAME_MAX + 1 bytes) and
 * return its directory. Symbolic links met on the way are followed (Linux's
 * MAXSYMLINKS, 40, in all: -ELOOP past it), the last component's only with
 * `follow`; a link's target starts from "/" or from the link's directory.
 * Errors: -ENOENT, -ENOTDIR, -ENAMETOOLONG (a component over FS_NAME_MAX), -ELOOP.
 *
 * Nothing is copied: as Linux's nd->stack, what remains to walk is a stack of
 * segments, the caller's path at the bottom and above it the bodies of the links
 * being followed, read where the links keep them (one page: a target is at most
 * FS_PATH_MAX - 1 bytes). The kernel does not preempt itself and the walk does not
 * sleep, so no link changes under it. A target and the rest of the path together
 * may exceed PATH_MAX, as on Linux. The text still to walk is the segments joined,
 * top first; a link's rest starts with '/' or is empty, so no component spans two.
 */
#define WALK_MAXSYMLINKS 40          /* Linux include/linux/namei.h MAXSYMLINKS */

struct walkseg {
    const char *p, *end;             /* bytes [p, end) still to walk */
};

/* The first byte of what remains (the segments joined from the top), 0 at the end. */
static char rest_first(const struct walkseg *seg, int top)
{
    for (int i = top; i >= 0; i--)
        if (seg[i].p < seg[i].end)
            return *seg[i].p;
    return 0;
}

/* Does a component (a byte other than '/') remain? */
static bool rest_has_name(const struct walkseg *seg, int top)
{
    for (int i = top; i >= 0; i--)
        for (const char *q = seg[i].p; q < seg[i].end; q++)
            if (*q != '/')
                return true;
    return false;
}

static struct inode *walk(struct inode *cwd, const char *path, char *name, bool follow, int *err)
{
    struct walkseg seg[WALK_MAXSYMLINKS + 1];
    int top = 0, links = 0;
    seg[0] = (struct walkseg){ path, path + strlen(path) };
    struct inode *ip = path[0] == '/' ? root : cwd;
    if (!path[0]) {
        *err = -ENOENT;
        return NULL;
    }
    char comp[FS_NAME_MAX + 1];
    for (;;) {
        while (top >= 0) {                    /* past slashes, and off the segments walked */
            while (seg[top].p < seg[top].end && *seg[top].p == '/')
                seg[top].p++;
            if (seg[top].p < seg[top].end)
                break;
            top--;
        }
        if (top < 0) {
            if (name)
                snprintf(name, FS_NAME_MAX + 1, ".");
            return ip;
        }
        struct walkseg *s = &seg[top];
        uint64_t n = 0;
        while (s->p + n < s->end && s->p[n] != '/')
            n++;
        /* Linux's order (link_path_walk): not a directory, no search permission (may_lookup),
           then the name's length (the file system's lookup: shmem's simple_lookup) */
        if ((ip->mode & S_IFMT) != S_IFDIR) {
            *err = -ENOTDIR;
            return NULL;
        }
        if ((*err = inode_permission(ip, MAY_EXEC)))
            return NULL;
        if (n > FS_NAME_MAX) {
            *err = -ENAMETOOLONG;
            return NULL;
        }
        memcpy(comp, s->p, n);
        comp[n] = 0;
        s->p += n;
        bool slash = rest_first(seg, top) == '/';     /* "comp/": a directory is asked for */
        bool more = rest_has_name(seg, top);
        if (name && !more) {
            memcpy(name, comp, n + 1);
            return ip;
        }
        int lerr = -ENOENT;
        struct inode *next = ip->proc_kind ? procfs_lookup(ip, comp, &lerr) : dir_lookup(ip, comp);
        if (!next) {
            *err = lerr;                      /* /proc: -EACCES, -ENOMEM too */
            return NULL;
        }
        /* a link is followed unless it is the last component of a no-follow lookup; a
           trailing slash ("link/") asks for the directory, so it is followed too */
        if ((next->mode & S_IFMT) == S_IFLNK && (more || slash || follow)) {
            if (++links > WALK_MAXSYMLINKS) {
                *err = -ELOOP;
                return NULL;
            }
            if (!next->size) {
                *err = -ENOENT;               /* an empty target names nothing */
                return NULL;
            }
            const char *body = next->rodata ? (const char *)next->rodata : (const char *)next->pages[0];
            uint64_t tl = next->size < FS_PATH_MAX - 1 ? next->size : FS_PATH_MAX - 1;
            seg[++top] = (struct walkseg){ body, body + tl };
            if (body[0] == '/')
                ip = root;                    /* else from the link's directory: ip */
            continue;
        }
        if (slash && !more && (next->mode & S_IFMT) != S_IFDIR) {
            *err = -ENOTDIR;                  /* "file/" */
            return NULL;
        }
        ip = next;
    }
}

struct inode *namei(struct inode *cwd, const char *path, int *err)
{
    return walk(cwd, path, NULL, true, err);
}

/* The last component itself, even a symbolic link (lstat, readlink, O_NOFOLLOW). */
struct inode *namei_nofollow(struct inode *cwd, const char *path, int *err)
{
    return walk(cwd, path, NULL, false, err);
}

struct inode *namei_parent(struct inode *cwd, const char *path, char *name, int *err)
{
    return walk(cwd, path, name, false, err);
}

/*
 * The bytes of an executable file for execve and its inode (set-id bits,
 * owner): a module's bytes, or NULL for a file written at run time (execmap.c
 * maps its pages for the loader); -EACCES for a directory or a file the
 * caller may not execute (Linux may_open with MAY_EXEC: root too needs an x bit).
 */
int fs_exec_image(struct inode *cwd, const char *path, const uint8_t **data, uint64_t *size, struct inode **ipp)
{
    int err;
    struct inode *ip = namei(cwd, path, &err);
    if (!ip)
        return err;
    if ((ip->mode & S_IFMT) != S_IFREG || inode_permission(ip, MAY_EXEC))
        return -EACCES;
    *data = ip->rodata;                      /* NULL for a written file: execmap.c maps its pages */
    *size = ip->size;
    *ipp = ip;
    return 0;
}
