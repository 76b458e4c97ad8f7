/*
 * Kernel arguments: the multiboot command line, parsed once at boot into
 * struct kargs. Space-separated key=value tokens; keys and values match
 * exactly. Multiboot loaders may put the image's file name first (QEMU's
 * -kernel does): a first token without '=' is that name and is skipped.
 *
 * Every key is one row of KARGS_KEYS below: its name, its grammar and the
 * function that applies a value the grammar accepted. kargs_parse() checks
 * the grammar for every key the same way, and kabi.c emits each row into
 * images/kabi.json, so the harness refuses, before QEMU starts, exactly what
 * the kernel would. A new key is one row (and its apply function).
 *
 * Grammars (the text after the type word is the type's argument):
 *
 *   enum A|B|C      exactly one of the words; apply gets its index
 *   set A|B|C       one or more of the words, comma separated; apply gets the
 *                   bit mask (bit i: word i)
 *   int MIN..MAX    a decimal integer (optional '-') in [MIN, MAX]; apply gets it
 *   list N          free text split at commas into at most N items (a final
 *                   comma ends the list: "a," is one item, "" none); apply
 *                   gets the item count
 *   text            free text; apply gets its length
 *
 * Every value is at most KARGS_VALUE_MAX - 1 bytes, a command line at most
 * KARGS_CMDLINE_MAX - 1. Anything else (an unknown key, a value the grammar
 * refuses, a duplicate key, a token without '=', a longer line) is refused:
 * kargs_parse() prints `bad-arg key=K value=V reason=R` and panics, right
 * after the boot event and before any process exists. Reasons: unknown-key,
 * unknown-value (enum, set), not-a-number, out-of-range (int), too-many
 * (list), too-long, duplicate, not-key-value.
 */
#pragma once
#include "types.h"

#define KARGS_CMDLINE_MAX    512     /* bytes of command line kept (boot event), NUL included */
#define KARGS_VALUE_MAX      256     /* bytes of one value, NUL included */
#define KARGS_MAX_INIT_ARGS  16      /* init.args entries */

#define KARGS_STR_(x) #x
#define KARGS_STR(x)  KARGS_STR_(x)

/* crash=KIND (crash.c), in enum crash_kind order from CRASH_NULL */
#define KARGS_CRASH_KINDS "null|stack|smep|smap|triple"

/* test.sanitize=KIND (testhook.c), in enum test_bug order from TEST_BUG_UAF */
#define KARGS_TEST_BUGS "uaf|refcount|overflow|pagefree|pagewrite"

/* The keys the kernel accepts: X(NAME, "key", "grammar", apply). Any other key panics the
   boot; the harness refuses it first, reading these rows from the kernel ABI file. */
#define KARGS_KEYS(X)                                                                        \
    X(TRACE,       "trace",       "set syscall|mem|signal",         karg_trace)             \
    X(CRASH,       "crash",       "enum " KARGS_CRASH_KINDS,        karg_crash)             \
    X(INIT_ARGS,   "init.args",   "list " KARGS_STR(KARGS_MAX_INIT_ARGS), karg_init_args)   \
    X(TEST_UKPAGE, "test.ukpage", "enum 1",                         karg_test_ukpage)       \
    X(CONSOLE_ECHO, "console.echo", "enum 0|1",                     karg_console_echo)      \
    X(INIT_UID,    "init.uid",    "int 0..4294967294",              karg_init_uid)          \
    X(INIT_GID,    "init.gid",    "int 0..4294967294",              karg_init_gid)          \
    X(TEST_SANITIZE, "test.sanitize", "enum " KARGS_TEST_BUGS,      karg_test_sanitize)

/* trace=syscall,mem,signal
                          syscall: a `syscall` event per system call; mem: a `mem` event
                          after each reap; signal: a `signal` event per handler called and a
                          `sigreturn` event per frame restored (signal.h; off by default: two
                          console lines per signal cost far more than the delivery itself)
   crash=KIND             null|stack|smep|smap|triple: crash.c
   init.args=a,b,c        more argv for init (at most KARGS_MAX_INIT_ARGS)
   test.ukpage=1          test only: one kernel page made user-accessible (testhook.c), for
                          the page-table audit's test
   console.echo=0|1       0: the console starts with ECHO off (stty -echo), for input fed
                          as from a pipe (console.c); 1, the default: on
   init.uid=N, init.gid=N init runs as uid/gid N ((uid_t)-1 is no id), with no supplementary
                          groups and, unless N is 0, no capabilities; init.gid defaults to
                          init.uid (cred.h)
   test.sanitize=KIND     test only: plant one bug the sanitizer build reports (testhook.c) */

/* test.sanitize=: the bug testhook.c plants (after the file system exists, before init) */
enum test_bug {
    TEST_BUG_NONE, TEST_BUG_UAF, TEST_BUG_REFCOUNT, TEST_BUG_OVERFLOW, TEST_BUG_PAGEFREE, TEST_BUG_PAGEWRITE
};

enum crash_kind { CRASH_NONE, CRASH_NULL, CRASH_STACK, CRASH_SMEP, CRASH_SMAP, CRASH_TRIPLE };

struct kargs {
    bool syscall_hooks;                          /* crash= or trace=syscall: syscall_dispatch's slow path */
    bool trace_syscall;                          /* trace=syscall */
    bool trace_mem;                              /* trace=mem */
    bool trace_signal;                           /* trace=signal */
    enum crash_kind crash;                       /* crash=KIND, CRASH_NONE if absent */
    bool test_ukpage;                            /* test.ukpage=1 (testhook.c) */
    bool console_noecho;                         /* console.echo=0 (console.c) */
    enum test_bug test_sanitize;                 /* test.sanitize=KIND (testhook.c) */
    int init_argc;                               /* init.args=... split at commas */
    const char *init_argv[KARGS_MAX_INIT_ARGS];
    uint32_t init_uid, init_gid;                 /* init.uid=, init.gid= (0: root) */
    char text[KARGS_CMDLINE_MAX];                /* the command line as given */
    bool truncated;                              /* it was longer than KARGS_CMDLINE_MAX - 1 */
};

extern struct kargs kargs;

void kargs_init(const char *cmdline);     /* keep the text (boot event) */
void kargs_parse(void);                  /* fill struct kargs, or refuse */
const char *crash_kind_name(enum crash_kind kind);
