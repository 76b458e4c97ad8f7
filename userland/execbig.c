/*
 * execbig: execve's argument space as Linux's (fs/exec.c). Each case forks a child that
 * execs this program again with a crafted argv (and an environment of one string that makes
 * it the child); the new image prints what it received: argc, the bytes of its strings, a
 * checksum, argv[0] and AT_EXECFN. The limits: strings + 8 * (argc + envc) at most 2 MiB
 * under an 8 MiB RLIMIT_STACK (a quarter of it), one string at most MAX_ARG_STRLEN = 128 KiB
 * with its NUL, else E2BIG; an unreadable vector entry or string EFAULT, the strings taken
 * from the last to the first (so a too-long string after a bad pointer wins: E2BIG); an
 * empty argv gets "" as argv[0] (Linux 5.18+). Same output on Linux and in ringlab. With the
 * argument "twice" each case runs two times in a row: ringlab's free page count after each
 * child's reap (trace=mem) must then repeat, the proof that no path keeps a page.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sigtest.h"

#define SELF     "execbig"
#define CHILDENV "EXECBIG_CHILD=1"
#define LIMIT    (2u << 20)          /* RLIMIT_STACK / 4 */
#define STRMAX   (128u << 10)        /* MAX_ARG_STRLEN, with the NUL */

static char *childenv[] = { CHILDENV, NULL };
static int twice;                    /* argv[1] "twice": each case runs two times (ringlab's page count) */

static int child(int argc, char **argv)
{
    uint64_t bytes = 0, sum = 14695981039346656037ULL;
    for (int i = 0; i < argc; i++) {
        for (const char *s = argv[i]; *s; s++)
            sum = (sum ^ (uint8_t)*s) * 1099511628211ULL;
        sum = (sum ^ 0xff) * 1099511628211ULL;
        bytes += strlen(argv[i]) + 1;
    }
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    say("  child: argc=%d bytes=%llu sum=%016llx argv[0]=\"%.16s\" AT_EXECFN=\"%s\" argv[argc]=%s\n", argc,
        (unsigned long long)bytes, (unsigned long long)sum, argc ? argv[0] : "-", execfn ? execfn : "-",
        argv[argc] ? "set" : "NULL");
    return 0;
}

/* Fork; the child execs SELF with argv/envp; print how it ended. */
static void run(const char *what, char **argv, char **envp)
{
    say("%s\n", what);
    for (int round = 0; round <= twice; round++) {
        pid_t pid = fork();
        if (pid == 0) {
            execve(SELF, argv, envp);
            say("  execve: %s\n", strerror(errno));
            _exit(1);
        }
        int st;
        waitpid(pid, &st, 0);
        say("  status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
    }
}

static char *filled(size_t len, char c)
{
    char *s = malloc(len + 1);
    memset(s, c, len);
    s[len] = 0;
    return s;
}

/* argv = SELF, then n strings of `len` characters each (NULL-terminated). */
static char **many(size_t n, size_t len)
{
    char **v = calloc(n + 2, sizeof *v);
    v[0] = SELF;
    for (size_t i = 0; i < n; i++) {
        v[i + 1] = filled(len, 'a' + i % 26);
        char num[24];
        int k = snprintf(num, sizeof num, "%zu", i);
        if ((size_t)k <= len)
            memcpy(v[i + 1], num, (size_t)k);      /* each string its own */
    }
    return v;
}

/* argv = SELF, then fillers whose bytes (NULs included) make the total exactly `total`. */
static char **exact(size_t total)
{
    /* strings: "execbig\0" (the file name) + CHILDENV\0 + "execbig\0" + fillers; pointers 8 * (argc + envc) */
    size_t k = 16, fixed = sizeof SELF + sizeof CHILDENV + sizeof SELF + 8 * (1 + k + 1);
    char **v = calloc(k + 2, sizeof *v);
    v[0] = SELF;
    size_t left = total - fixed;
    for (size_t i = 0; i < k; i++) {
        size_t n = left > STRMAX ? STRMAX : left;     /* bytes with the NUL */
        v[i + 1] = filled(n - 1, 'A' + i);
        left -= n;
    }
    return v;
}

int main(int argc, char **argv)
{
    if (getenv("EXECBIG_CHILD"))
        return child(argc, argv);
    twice = argc > 1 && !strcmp(argv[1], "twice");
    /* Linux's limit is a quarter of RLIMIT_STACK: the host's 8 MiB default, whatever the shell set.
       ringlab's arguments may take the same 2 MiB whatever the limit (execargs.h). */
    struct rlimit st = { 8u << 20, RLIM_INFINITY };
    setrlimit(RLIMIT_STACK, &st);

    run("5000 arguments", many(5000, 5), childenv);
    run("128 KiB of strings in 128 arguments", many(128, 1023), childenv);
    run("20000 arguments of 64 bytes", many(20000, 63), childenv);
    run("one string of 131071 characters (MAX_ARG_STRLEN with its NUL)", many(1, STRMAX - 1), childenv);
    run("one string of 131072 characters", many(1, STRMAX), childenv);
    run("one string of 130 KiB", many(1, 130 << 10), childenv);
    run("strings and pointers exactly 2 MiB", exact(LIMIT), childenv);
    run("strings and pointers 2 MiB + 1", exact(LIMIT + 1), childenv);
    run("262144 empty arguments (2 MiB of pointers)", many(262143, 0), childenv);
    run("300000 empty arguments", many(299999, 0), childenv);

    char *bad_mid[] = { SELF, "x", (char *)1, "y", NULL };
    run("a bad pointer in the middle", bad_mid, childenv);
    char *bad_then_big[] = { SELF, (char *)1, filled(2u << 20, 'z'), NULL };
    run("a bad pointer, then a 2 MiB string after it", bad_then_big, childenv);
    char *big_then_bad[] = { SELF, filled(2u << 20, 'z'), (char *)1, NULL };
    run("a 2 MiB string, then a bad pointer after it", big_then_bad, childenv);
    char *kernel[] = { SELF, (char *)0xffffffff81000000UL, NULL };
    run("a kernel address", kernel, childenv);

    /* A string that runs into an unmapped page before its NUL. */
    char *page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(page + 4096, 4096);
    memset(page, 'u', 4096);
    char *unterminated[] = { SELF, page + 4000, NULL };
    run("a string without a NUL before an unmapped page", unterminated, childenv);
    /* ... and one whose first 128 KiB hold no NUL (Linux stops looking there: E2BIG). */
    char *wide = mmap(NULL, 160 << 10, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(wide, 'w', 160 << 10);
    char *too_long[] = { SELF, wide, NULL };
    run("160 KiB without a NUL before an unmapped page", too_long, childenv);
    /* A vector that runs into an unmapped page before its NULL. */
    char **vec = (char **)(page + 4096) - 4;
    for (int i = 0; i < 4; i++)
        vec[i] = SELF;
    run("argv without a NULL before an unmapped page", vec, childenv);
    run("envp without a NULL before an unmapped page", bad_mid, vec);
    run("argv at address 1", (char **)1, childenv);
    char *envbad[] = { CHILDENV, (char *)1, NULL };
    char *argok[] = { SELF, NULL };
    run("a bad pointer in envp", argok, envbad);
    run("argv NULL: Linux gives argv[0] = \"\"", NULL, childenv);
    char *empty[] = { NULL };
    run("argv empty", empty, childenv);
    return 0;
}
