/*
 * Files: the in-memory file system (inodes, directories), open files, pipes
 * and the devices in /dev.
 *
 *   /                  directory; every multiboot module is a read-only file here
 *   /tmp               directory (1777)
 *   /dev/null, /dev/zero, /dev/console, /dev/urandom   character devices
 *   /etc/passwd, /etc/group   root, nobody and user 1000 (fs.c)
 *   /sys/kernel/debug/kcov   the coverage build's kcov node (kcov.h); absent otherwise
 *
 * Owners and modes are enforced as Linux does (cred.c: generic_permission,
 * the sticky /tmp, CAP_DAC_OVERRIDE...); what the boot creates is root:root.
 * A module's bytes stay where the loader put them until the file is first
 * written: then they are copied into pages of its own (copy on write). A written file's
 * bytes live in pages listed in one index page, so one file holds at most
 * FS_FILE_MAX_PAGES pages (-EFBIG past that) and all files together at most
 * FS_MAX_PAGES (-ENOSPC). An inode and its pages are freed when its last name
 * is gone and its last open file closed.
 */
#pragma once
#include "types.h"
#include "uapi.h"
#include "fasync.h"

#define NFILE       65536        /* open files system-wide (Linux's file-max): then -ENFILE; 16 times
                                    one process's RLIMIT_NOFILE ceiling, so no process starves the rest */
#define NFSFILE     256          /* multiboot modules (files in "/") */
#define NINODE      512          /* inodes in the file system */
#define NDIRENT     1024         /* directory entries in the file system */
#define FMAPS_PER_MM 64          /* file mappings of one address space (filemap.c): -ENOMEM past
                                    it (Linux vm.max_map_count, 65530, counts every vma) */
#define FS_NAME_MAX 255          /* longest name in a directory (bytes): Linux's NAME_MAX */
#define FS_PATH_MAX 4096         /* longest path (bytes, with the NUL): Linux's PATH_MAX, one page;
                                    a path buffer is a kalloc'd page, never on the kernel stack */
#define FS_FILE_MAX_PAGES 512    /* pages per written file: 2 MiB, then -EFBIG */
#define FS_MAX_PAGES 4096        /* pages for all written files: 16 MiB, then -ENOSPC */
#define PIPE_BUF    4096         /* writes up to this size are atomic (POSIX) */
#define PIPE_DEF_SLOTS 16        /* a new pipe's slots: 64 KiB, Linux's PIPE_DEF_BUFFERS */
#define PIPE_MAX_SLOTS 256       /* F_SETPIPE_SZ's most: 1 MiB, Linux's default pipe-max-size */

/* DEV_KCOV: /sys/kernel/debug/kcov, in the coverage build only (kcov.h). */
/* DEV_TTY: /dev/tty, opened as the caller's controlling terminal (the console; jobctl.c). */
enum devkind { DEV_NONE, DEV_NULL, DEV_ZERO, DEV_CONSOLE, DEV_URANDOM, DEV_KCOV, DEV_TTY };

struct inode {
    int nlink;                   /* names (directory entries) pointing here */
    int ref;                     /* open files, working directories and exec'ing processes */
    uint32_t mode;               /* S_IF* type | permission bits; 0: a free slot */
    uint32_t uid, gid;           /* owner and group (cred.c inode_init_owner); boot's files: root */
    enum devkind dev;            /* for S_IFCHR */
    uint64_t ino;
    uint64_t size;               /* bytes (files) */
    const uint8_t *rodata;       /* module bytes until the first write, else NULL */
    uint8_t **pages;             /* index page: pages[i] holds bytes [i*4096, (i+1)*4096) */
    struct inode *parent;        /* directories: ".." (holds a reference) */
    struct pipe *fifo;           /* S_IFIFO: the pipe while an end is open, else NULL (pipe.c) */
    uint64_t rdev;               /* S_IFCHR/S_IFBLK made by mknod with no driver: its number */
    uint64_t mtime_ns, ctime_ns, atime_ns;   /* CLOCK_REALTIME, ns */
    uint8_t proc_kind;           /* a /proc node (procfs.h enum procnode), 0 for every other inode */
    int proc_pid;                /* its process (or thread) id; 0 for the ones of no process */
    int proc_arg;                /* /proc/PID/fd/N: N */
    int writecount;              /* lease.c (Linux i_writecount): > 0 open files that may write,
                                    < 0 executing images that deny it (ETXTBSY) */
    int readcount;               /* lease.c (Linux i_readcount): open files that only read */
    struct file *leases;         /* lease.c: the open files holding a lease here (file->lease_next) */
};

struct fsfile {                  /* a multiboot module, as main.c sees it (its name: "/"'s entry) */
    const uint8_t *data;
    uint64_t size;
    struct inode *ip;
};

/* One slot of a pipe's ring (Linux struct pipe_buffer): bytes [off, off + len) of a page. */
struct pipe_buf {
    uint8_t *page;
    uint32_t off, len;
};

/* A pipe (Linux struct pipe_inode_info), itself in a kalloc'd page, its ring in another. */
struct pipe {
    struct pipe_buf *bufs;       /* PIPE_MAX_SLOTS slots, indexed mod PIPE_MAX_SLOTS */
    uint32_t head, tail;         /* free-running: slots [tail, head) hold bytes */
    uint32_t slots;              /* slots in use at most (Linux max_usage): capacity / PAGE_SIZE */
    int readers, writers;        /* open read and write ends */
    uint32_t uid, gid;           /* fstat's owner: the creator's fsuid/fsgid (Linux pipefs inode) */
    uint64_t ino;                /* st_ino: a counter, as Linux's pipefs (get_next_ino) */
    uint8_t *spare;              /* the last page a read emptied, for the next write (Linux's
                                    pipe->tmp_page): a pipe in use writes without allocating */
    uint32_t r_counter, w_counter;   /* FIFO opens for reading / writing so far (fifo_open's waits) */
    struct inode *fifo;          /* a FIFO's inode (its ip->fifo is this pipe), NULL for pipe(2) */
    struct file *fasync;         /* its ends with O_ASYNC (fasync.c; Linux's fasync_readers/_writers) */
};

enum filetype { F_NONE, F_INODE, F_PIPE, F_SOCK };   /* F_SOCK: a socket (socket.h) */

struct file {
    struct file *next_free;      /* file.c's free list, while unused */
    enum filetype type;
    int ref;                     /* fds (in every process) sharing this open file */
    int flags;                   /* open flags: O_ACCMODE, O_APPEND, O_NONBLOCK... */
    struct inode *ip;            /* F_INODE */
    struct pipe *pipe;           /* F_PIPE: the read end if (flags & O_ACCMODE) == O_RDONLY */
    uint64_t off;                /* file offset; directories: the next entry's cookie */
    struct kcov *kcov;           /* an open kcov node: its kcov object (holds a reference) */
    uint64_t proc_mm_gen;        /* /proc/PID/{mem,environ,auxv}: the address space opened (mm->gen) */
    void *proc_page;             /* /proc/PID/auxv: the vector as open found it (a kalloc'd page, freed
                                    with the file: Linux's file holds the mm and its saved_auxv) */
    struct fown own;             /* fasync.c: F_SETOWN/F_SETSIG, who hears SIGIO (Linux f_owner) */
    struct file *fa_next;        /* fasync.c: the next file on the same O_ASYNC list */
    struct file **fa_list;       /* the O_ASYNC list this file is on, or NULL */
    int fa_fd;                   /* si_fd: the descriptor O_ASYNC was set through */
    uint8_t counted;             /* lease.c: counted in ip->writecount (1) or ip->readcount (2) */
    bool leased;                 /* lease.c: holds a lease on ip, of lease_type (F_RDLCK/F_WRLCK) */
    int8_t lease_type;
    uint8_t lease_pending;       /* lease.c: a break asked it to go (1) or to become a read lease (2) */
    int lease_fd;                /* si_fd of a break: the descriptor F_SETLEASE came through */
    uint64_t lease_break_tick, lease_downgrade_tick;   /* when a break stops waiting (0: not set) */
    struct file *lease_next;     /* lease.c: the next lease holder of ip */
    struct unix_sock *sock;      /* F_SOCK: the socket (the file holds its first reference; socket.h) */
};

/* fs.c: names and directories */
void fs_add(const char *name, const uint8_t *data, uint64_t size);
struct fsfile *fs_at(uint64_t index);
struct inode *fs_root(void);
int fs_free_inodes(void);
void execmap_init(void);                                            /* execmap.c */
const uint8_t *execmap_map(struct inode *ip, int *err);
void execmap_unmap(struct inode *ip);
struct files;
int64_t locks_fcntl(struct file *f, int fd, int cmd, uint64_t uarg);      /* locks.c */
void locks_close_posix(const struct files *owner, struct file *f);
void locks_close_file(struct file *f);
void *fsdata_page(struct inode *ip, uint64_t i, int *err);
void fsdata_copy_page(struct inode *ip, uint64_t off, void *dst);
int64_t file_mmap(struct file *f, uint64_t *pml4, uint64_t addr, uint64_t len, uint64_t off,
                  uint64_t pte_flags, bool shared);
/* filemap.c: the open file each file mapping holds (Linux's vma->vm_file); the caller holds
   the address space's lock (thread.c mm_lock) */
struct mm;
int filemap_room(struct mm *mm, uint64_t start, uint64_t end, int more);   /* -ENOMEM */
int filemap_room_move(struct mm *mm, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len);
void filemap_hold(struct mm *mm, uint64_t start, uint64_t end, struct file *f, uint64_t off, bool shared);
void filemap_unmapped(struct mm *mm, uint64_t start, uint64_t end);
void filemap_moved(struct mm *mm, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len);
void filemap_grown(struct mm *mm, uint64_t old_end, uint64_t new_end);
#define FILEMAP_NOT_FILE 1       /* filemap_grow: not a file mapping's page (anonymous memory) */
int filemap_grow(struct mm *mm, uint64_t *pml4, uint64_t old_end, uint64_t to, uint64_t len);
bool filemap_fault(struct mm *mm, uint64_t *pml4, uint64_t va);     /* a grown file's page: retry */
bool filemap_fault_locked(struct mm *mm, uint64_t *pml4, uint64_t va);   /* the same, mm locked */
bool filemap_shared_at(struct mm *mm, uint64_t va);
int filemap_dup(struct mm *mm, uint64_t *pml4, uint64_t addr, uint64_t to, uint64_t len);
int filemap_room_dontunmap(struct mm *mm, uint64_t from, uint64_t len, uint64_t to);   /* -ENOMEM */
int filemap_dontunmap(struct mm *mm, uint64_t *pml4, uint64_t from, uint64_t len, uint64_t to);
int filemap_may_write(struct mm *mm, uint64_t start, uint64_t end, bool remove);   /* -EACCES */
void filemap_fork(struct mm *to, struct mm *from);
void filemap_mm_release(struct mm *mm);
struct inode *namei(struct inode *cwd, const char *path, int *err);
struct inode *namei_nofollow(struct inode *cwd, const char *path, int *err);
int symlink_target(struct inode *ip, char *buf, uint64_t size);
struct inode *namei_parent(struct inode *cwd, const char *path, char *name, int *err);
struct inode *dir_lookup(struct inode *dir, const char *name);
int dir_link(struct inode *dir, const char *name, struct inode *ip);
int dir_unlink(struct inode *dir, const char *name);
int dir_move(struct inode *odir, const char *oname, struct inode *ndir, const char *nname);
bool dir_empty(struct inode *dir);
int dir_entry(struct inode *dir, uint64_t *cookie, const char **name, struct inode **ip);
int dir_path(struct inode *dir, char *buf, uint64_t size);
bool dir_is_ancestor(struct inode *a, struct inode *d);
int inode_path(struct inode *ip, char *buf, uint64_t size);
struct inode *inode_new(uint32_t mode);
struct inode *inode_get(struct inode *ip);
void inode_put(struct inode *ip);
void inode_maybe_free(struct inode *ip);
char *path_alloc(void);                  /* a FS_PATH_MAX buffer (a kalloc'd page) or NULL */
void path_free(char *path);
char *fsname_alloc(const char *name);    /* fsname.c: a directory entry's name, sized to fit */
void fsname_free(char *name);
uint64_t fsname_pages(void);
int fs_exec_image(struct inode *cwd, const char *path, const uint8_t **data, uint64_t *size, struct inode **ipp);

/* fsdata.c: file contents */
int64_t fsdata_read(struct inode *ip, uint64_t *pml4, uint64_t dst, uint64_t off, uint64_t n);
int64_t fsdata_write(struct inode *ip, uint64_t *pml4, uint64_t src, uint64_t off, uint64_t n);
int fsdata_truncate(struct inode *ip, uint64_t size);
int64_t fsdata_seek(struct inode *ip, int64_t off, bool hole);   /* SEEK_DATA, SEEK_HOLE */
int64_t fsize_check(uint64_t off, uint64_t n);
void fsdata_free(struct inode *ip);
uint64_t fsdata_pages_used(void);

/* file.c: the open file table */
struct file *file_alloc(enum filetype type);
struct file *file_dup(struct file *f);
uint64_t file_cache_pages(void);           /* pages the open-file cache keeps (sysinfo) */
void file_close(struct file *f);
int64_t file_read(struct file *f, uint64_t dst, uint64_t n);
int64_t file_write(struct file *f, uint64_t src, uint64_t n);
extern struct file console_file;

/* pipe.c */
int pipe_new(struct file **rf, struct file **wf);
int fifo_open(struct inode *ip, struct file *f);
int64_t pipe_read(struct file *f, uint64_t dst, uint64_t n);
int64_t pipe_write(struct file *f, uint64_t src, uint64_t n);
void pipe_close(struct file *f);
void pipe_sigpipe(void);
bool pipe_readable(const struct pipe *p);
bool pipe_writable(const struct pipe *p);
int64_t pipe_set_size(struct pipe *p, uint64_t bytes);

/* dev.c */
int64_t dev_read(struct inode *ip, uint64_t dst, uint64_t n);
int64_t dev_write(struct inode *ip, uint64_t src, uint64_t n);
void dev_init(struct inode *devdir);

/* time.c */
uint64_t time_realtime_ns(void);
uint64_t time_monotonic_ns(void);
#define TIME_NS_MAX 0x7fffffffffffffffUL   /* Linux's KTIME_MAX: a timeout saturates here, never wraps */
int timespec_from_user(uint64_t uts, uint64_t *ns);
int timespec32_from_user(uint64_t uts, uint64_t *ns);           /* i386 old_timespec32 */
int timespec_any_from_user(uint64_t uts, uint64_t *ns, bool ts32);
uint64_t time_add_ns(uint64_t t, uint64_t ns);
int random_fill(void *buf, uint64_t n);

/* console.c */
int64_t console_read(uint64_t *pml4, uint64_t dst, uint64_t n);
int64_t console_write(uint64_t *pml4, uint64_t src, uint64_t n);
void console_init(void);
bool console_readable(void);
