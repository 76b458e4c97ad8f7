/*
 * kcov: kernel code coverage for user programs, with Linux's ABI (Linux kernel/kcov.c,
 * include/uapi/linux/kcov.h, Documentation/dev-tools/kcov.rst), in the coverage build only
 * (the sanitizer build: make SANITIZE=1 compiles the kernel with
 * -fsanitize-coverage=trace-pc and defines KCOV). A program opens /sys/kernel/debug/kcov,
 * sizes a buffer (KCOV_INIT_TRACE, in 8-byte words), maps it (mmap MAP_SHARED of exactly
 * words * 8 bytes at offset 0) and enables tracing for the calling thread (KCOV_ENABLE,
 * KCOV_TRACE_PC). Every basic block the kernel then runs in that thread's task context (not
 * in an interrupt) appends its PC: word 0 is the count, words 1.. the PCs. The normal build
 * has no node (open: -ENOENT, as a Linux without CONFIG_KCOV) and none of this code.
 *
 * Lifetime (docs/lifetimes.md): a kcov object is held by its open file and by the thread
 * that enabled it (Linux's kcov_get at KCOV_ENABLE); the last of them frees it. Its buffer
 * pages belong to it: each user mapping of one is an extra share (kalloc.c kshare), so a
 * page lives until the kcov object and every mapping (munmap, exit, exec, a forked copy)
 * are gone.
 */
#pragma once
#include "types.h"

/* ioctl numbers (include/uapi/linux/kcov.h: _IOR('c', 1, unsigned long), _IO('c', 100), ...) */
#define KCOV_INIT_TRACE  0x80086301UL  /* arg: buffer size in 8-byte words */
#define KCOV_ENABLE      0x6364UL      /* arg: KCOV_TRACE_PC or KCOV_TRACE_CMP */
#define KCOV_DISABLE     0x6365UL      /* arg: 0 */
#define KCOV_TRACE_PC    0             /* collect PCs */
#define KCOV_TRACE_CMP   1             /* collect comparison operands: not built (-ENOTSUPP) */

#define NKCOV            32            /* kcov objects (open kcov files) system-wide */
#define KCOV_MAX_PAGES   512           /* pages of one buffer: 2 MiB, 262,144 words (one index page) */

struct file;
struct inode;
struct proc;

#ifdef KCOV
/* What the coverage hook has to do (kcov.c), in one word so that its first test costs one
   load while nothing is asked (and the boot, before %gs holds the per-CPU base, never reads
   %gs): threads tracing with kcov, and the machine-wide record (cover.h). */
union kcov_hook_state {
    struct {
        int32_t tracing;           /* threads tracing now: KCOV_ENABLE .. KCOV_DISABLE or exit */
        int32_t cover;             /* 1: the machine-wide record is on (cover_init) */
    };
    uint64_t any;                  /* nonzero: the hook has something to do */
};
extern volatile union kcov_hook_state kcov_hook;

int kcov_open(struct file *f);                      /* open of the kcov node: a new object */
void kcov_close(struct file *f);                    /* the file's last reference went */
int64_t kcov_ioctl(struct file *f, uint64_t cmd, uint64_t arg);
int64_t kcov_mmap(struct file *f, uint64_t *pml4, uint64_t addr, uint64_t len, uint64_t off,
                  uint64_t pte_flags);
void kcov_task_exit(struct proc *p);                /* thread_exit: stop tracing, drop the reference */
void kcov_fs_init(struct inode *root);              /* /sys/kernel/debug/kcov */
void kcov_off_enter(void);                          /* not task context: an interrupt, the scheduler */
void kcov_off_exit(void);
#else
static inline void kcov_close(struct file *f) { (void)f; }
static inline void kcov_task_exit(struct proc *p) { (void)p; }
static inline void kcov_fs_init(struct inode *root) { (void)root; }
static inline void kcov_off_enter(void) {}
static inline void kcov_off_exit(void) {}
#endif
