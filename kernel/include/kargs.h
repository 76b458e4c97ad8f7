/*
 * Kernel arguments: the multiboot command line, parsed once at boot into
 * struct kargs. Space-separated key=value tokens; keys and values match
 * exactly. Multiboot loaders may put the image's file name first (QEMU's
 * -kernel does): a first token without '=' is that name and is skipped.
 *
 *   trace=syscall,mem       syscall: a `syscall` event per system call;
 *                           mem: a `mem` event after each reap
 *   crash=KIND              null|stack|smep|smap|triple: crash.c
 *   init.args=a,b,c         more argv for init (at most KARGS_MAX_INIT_ARGS)
 *   test.ukpage=1           test only: one kernel page made user-accessible
 *                           (testhook.c), for the page-table audit's test
 *   test.sanitize=KIND      test only: plant one bug the sanitizer build reports
 *                           (testhook.c): uaf|refcount|overflow|pagefree|pagewrite
 *
 * Anything else (an unknown key or value, a duplicate key, a token without
 * '=') is refused: kargs_parse() prints `bad-arg key=K value=V reason=R` and
 * panics, right after the boot event and before any process exists.
 */
#pragma once
#include "types.h"

#define KARGS_CMDLINE_MAX    512     /* bytes of command line kept (boot event) */
#define KARGS_MAX_INIT_ARGS  16      /* init.args entries */
#define KARGS_INIT_ARGS_MAX  256     /* bytes of init.args */

/* The keys the kernel accepts (any other key panics the boot; the harness refuses it first,
   reading them from the kernel ABI file) */
#define KARG_TRACE           "trace"      /* trace=syscall,mem */
#define KARG_CRASH           "crash"      /* crash=null|stack|smep|smap|triple */
#define KARG_INIT_ARGS       "init.args"  /* init's argv[1:], comma separated */
#define KARG_TEST_UKPAGE     "test.ukpage" /* test.ukpage=1: a planted user-accessible kernel page */
#define KARG_TEST_SANITIZE   "test.sanitize" /* test.sanitize=uaf|refcount|...: a planted bug */

/* test.sanitize=: the bug testhook.c plants (after the file system exists, before init) */
enum test_bug {
    TEST_BUG_NONE, TEST_BUG_UAF, TEST_BUG_REFCOUNT, TEST_BUG_OVERFLOW, TEST_BUG_PAGEFREE, TEST_BUG_PAGEWRITE
};

enum crash_kind { CRASH_NONE, CRASH_NULL, CRASH_STACK, CRASH_SMEP, CRASH_SMAP, CRASH_TRIPLE };

struct kargs {
    bool syscall_hooks;                          /* crash= or trace=syscall: syscall_dispatch's slow path */
    bool trace_syscall;                          /* trace=syscall */
    bool trace_mem;                              /* trace=mem */
    enum crash_kind crash;                       /* crash=KIND, CRASH_NONE if absent */
    bool test_ukpage;                            /* test.ukpage=1 (testhook.c) */
    enum test_bug test_sanitize;                 /* test.sanitize=KIND (testhook.c) */
    int init_argc;                               /* init.args=... split at commas */
    const char *init_argv[KARGS_MAX_INIT_ARGS];
    char text[KARGS_CMDLINE_MAX];                /* the command line as given */
};

extern struct kargs kargs;

void kargs_init(const char *cmdline);     /* keep the text (boot event) */
void kargs_parse(void);                  /* fill struct kargs, or refuse */
const char *crash_kind_name(enum crash_kind kind);
