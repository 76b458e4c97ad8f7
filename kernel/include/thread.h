/*
 * What the threads of a process share, each a refcounted object a clone flag
 * shares or copies (Linux: mm_struct, files_struct, fs_struct):
 *
 *   struct mm      CLONE_VM     page tables, brk, mmap search hint, a lock
 *   struct files   CLONE_FILES  the descriptor table and its close-on-exec bits
 *   struct fsinfo  CLONE_FS     working directory and umask
 *
 * Each comes from a static table of NPROC (a process has at most one of each),
 * so threads cost no pages but their kernel stacks. A descriptor table holds
 * up to NOFILE_MAX slots in pages taken as descriptors need them: RLIMIT_NOFILE,
 * per process, decides how many may be used; the open files themselves come
 * from file.c's pages.
 */
#pragma once
#include "types.h"

#define NOFILE_MAX 4096          /* a descriptor table's size: RLIMIT_NOFILE's hard default and ceiling
                                    (Linux's INR_OPEN_MAX) */
#define NOFILE_DEF 1024          /* RLIMIT_NOFILE's soft default (Linux's INR_OPEN_CUR): past it -EMFILE */
#define FDS_PER_PAGE 512         /* descriptor slots in a page of a table (PAGE_SIZE / 8) */
#define MM_NSEG      8           /* file-backed PT_LOAD ranges /proc/PID/maps names after the executable */
#define GROWSDOWN_MAX 4          /* grows-down ranges an address space keeps: the stack and 3 MAP_GROWSDOWN
                                    mappings or halves of one a hole split (one more MAP_GROWSDOWN is
                                    -ENOMEM, a hole then stays inside its range; Linux: any number of vmas) */
#define FS_EXE_PATH_MAX 256      /* /proc/PID/exe's path: a longer one is cut (Linux's d_path has PATH_MAX) */

struct file;
struct inode;
struct proc;

struct mm {
    int refs;                  /* threads and CLONE_VM processes using it; 0: a free slot */
    uint64_t *pml4;            /* the page tables (kernel virtual address) */
    uint64_t brk_start, brk;   /* heap: [brk_start, brk) mapped */
    uint64_t mmap_next;        /* next free address in the mmap region */
    bool lock_future;          /* mlockall(MCL_FUTURE): new mappings are locked (mlock.c) */
    bool busy;                 /* a memory call is changing the tables (it may yield) */
    bool busy_waiters;         /* a thread sleeps in mm_lock until busy is false */
    uint32_t ldt_entries;      /* modify_ldt's table: entries in use, 0 = none (ldt.c) */
    /* What /proc shows of the image (procfs.c), set by execve, copied by fork (Linux mm_struct's
       arg_start..env_end, saved_auxv, exe_file, the dumpable bits of flags): */
    uint64_t gen;              /* a number no other address space had (pids are never reused; an
                                  mm slot is): /proc/PID/mem, environ and auxv opened before an
                                  execve read nothing after it, as Linux's hold the old mm */
    uint64_t arg_start, arg_end, env_start, env_end;   /* argv and envp strings on the stack */
    uint64_t auxv_start, auxv_len;                     /* the auxiliary vector (bytes) */
    uint64_t start_stack;      /* the stack pointer execve gave (argc's address) */
    struct growsdown { uint64_t lo, top; } grows[GROWSDOWN_MAX];   /* grows-down ranges (Linux's
                                  VM_GROWSDOWN vmas), [lo, top), lo lowered by growth (stackgrow.c):
                                  [0] the stack execve made, then MAP_GROWSDOWN mappings; top 0: none */
    struct inode *exe;         /* the executable (holds a reference; NULL for none) */
    char exe_path[FS_EXE_PATH_MAX];                    /* its absolute path at execve (/proc/PID/exe) */
    struct mm_seg { uint64_t start, end, off; } seg[MM_NSEG];   /* file-backed ranges of the image:
                                  [start, end) maps the file from offset off (PT_LOAD p_filesz) */
    int nseg;
    int dumpable;              /* SUID_DUMP_USER (1) or SUID_DUMP_DISABLE (0): prctl, set-id execve */
    uint64_t vdso_base;         /* the vDSO image ([vdso]), AT_SYSINFO_EHDR; 0 if none */
    uint64_t vvar_base;         /* the vDSO's data page ([vvar]); 0 if none */
};

struct files {
    int refs;                  /* 0: a free slot */
    struct file **fdpage[NOFILE_MAX / FDS_PER_PAGE];   /* kalloc'd pages of slots, each taken when a
                                                          descriptor first needs it; fd -> its file */
    uint64_t cloexec[NOFILE_MAX / 64];   /* bit fd: close fd's file on execve (FD_CLOEXEC) */
};

static inline struct file *files_fd(const struct files *f, int fd)
{
    if (fd < 0 || fd >= NOFILE_MAX || !f->fdpage[fd / FDS_PER_PAGE])
        return NULL;
    return f->fdpage[fd / FDS_PER_PAGE][fd % FDS_PER_PAGE];
}

static inline bool fd_cloexec(const struct files *f, int fd)
{
    return f->cloexec[fd / 64] >> (fd % 64) & 1;
}

static inline void fd_set_cloexec(struct files *f, int fd, bool on)
{
    f->cloexec[fd / 64] = (f->cloexec[fd / 64] & ~(1UL << (fd % 64))) | ((uint64_t)!!on << (fd % 64));   /* bool is an int here */
}

struct fsinfo {
    int refs;                  /* 0: a free slot */
    struct inode *cwd;         /* working directory (holds a reference) */
    uint32_t umask;            /* file mode creation mask */
};

/* thread.c */
struct mm *mm_new(uint64_t *pml4);
struct mm *mm_get(struct mm *mm);
void mm_copy_image(struct mm *to, const struct mm *from);   /* fork: the image fields /proc shows */
void mm_put(struct mm *mm);                /* the last user frees the page tables */
void mm_lock(struct mm *mm);               /* sleeps while another thread changes the tables */
void mm_unlock(struct mm *mm);
int mm_slot(const struct mm *mm);          /* its index in the table (ldt.c's window) */
struct files *files_new(void);
int files_install(struct files *f, int fd, struct file *file);   /* -ENOMEM: no page for its slot */
void files_clear(struct files *f, int fd);
struct files *files_copy(struct files *from);  /* NULL: out of memory */
struct files *files_get(struct files *f);
void files_put(struct files *f);           /* the last user closes every descriptor */
struct fsinfo *fsinfo_new(struct inode *cwd, uint32_t umask);
struct fsinfo *fsinfo_get(struct fsinfo *fs);
void fsinfo_put(struct fsinfo *fs);

/* futex.c */
#define FUTEX_BITSET_ANY 0xffffffffu       /* FUTEX_BITSET_MATCH_ANY */
int futex_wake(struct proc *p, uint64_t uaddr, bool private, int n, uint32_t bitset);
void robust_list_exit(struct proc *p);     /* Linux exit_robust_list */
void pi_state_exit(struct proc *p);        /* Linux exit_pi_state_list: after robust_list_exit */
void futex_exec_release(struct proc *p);   /* execve: both, and no robust list after */
