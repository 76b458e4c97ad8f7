/*
 * execve's argument and environment strings, staged in kernel pages exactly as
 * they will sit at the top of the new user stack (Linux fs/exec.c copy_strings:
 * bprm->p counts down from the stack's top). Linux's limits:
 *
 *   USER_STACK_TOP  +--------------------------+
 *                   | 8 bytes of zero          |  bprm->p starts one pointer below the top
 *                   | the file name            |  AT_EXECFN
 *                   | envp[envc-1] ... envp[0] |  copied last to first
 *                   | argv[argc-1] ... argv[0] |  copied last to first
 *   top - used      +--------------------------+  argv[0]'s first byte
 *
 * strings + 8 * (max(argc, 1) + envc) at most EXEC_ARG_MAX (else -E2BIG), one
 * string with its NUL at most MAX_ARG_STRLEN (else -E2BIG), a string or vector
 * entry that cannot be read -EFAULT.
 */
#pragma once
#include "types.h"
#include "mmu.h"

#define MAX_ARG_STRLEN  (32 * PAGE_SIZE)   /* one string with its NUL (include/uapi/linux/binfmts.h) */
#define MAX_ARG_STRINGS 0x7fffffffUL       /* entries of argv or of envp (same file) */
#define EXEC_ARG_MAX    0x200000UL         /* strings + pointers: Linux's min(6 MiB, RLIMIT_STACK / 4) at its
                                              default 8 MiB RLIMIT_STACK (fs/exec.c bprm_stack_limits) */
#define EXEC_ARG_PAGES  (EXEC_ARG_MAX / PAGE_SIZE)   /* pages the staged strings can take */
#define EXEC_TOP_GAP    8                  /* the zero pointer above the file name */

struct exec_args {
    uint64_t argc, envc;
    uint64_t used;             /* bytes staged below the top, the gap included (Linux: top - bprm->p) */
    uint64_t execfn;           /* bytes below the top where the file name starts */
    char **page;               /* a kalloc'd page of EXEC_ARG_PAGES pointers: page[i] holds the
                                  bytes [top - (i + 1) * PAGE_SIZE, top - i * PAGE_SIZE), or NULL */
};
_Static_assert(EXEC_ARG_PAGES * sizeof(char *) <= PAGE_SIZE, "the page table of the staged strings fits a page");

/* uargv/uenvp: arrays of ptr_bytes-byte pointers (8; 4 for the i386 execve) */
int exec_args_from_user(struct exec_args *a, const char *path, uint64_t uargv, uint64_t uenvp, unsigned ptr_bytes);
int exec_args_from_kernel(struct exec_args *a, const char *path, const char *const *argv, const char *const *envp);
void exec_args_free(struct exec_args *a);      /* every page, whatever state `a` is in */
uint8_t exec_args_byte(const struct exec_args *a, uint64_t below_top);   /* 1 <= below_top <= used */
const char *exec_args_page(const struct exec_args *a, uint64_t i);      /* page i, or NULL */
