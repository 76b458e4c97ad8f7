/*
 * forkshare: fork shares a read-only private page between parent and child (ringlab's
 * kernel/vm.c copy_table, where Linux shares every private page copy-on-write); every way of
 * writing into such a page afterwards must change only the writer's copy:
 *
 *   mprotect   the child makes the page writable and writes it; the parent makes its own
 *              writable and writes it while the child still maps the old bytes
 *   text       the child makes its own code page writable and patches a byte of a function
 *   ptrace     the parent pokes (PTRACE_POKEDATA, which writes through a read-only mapping:
 *              Linux's FOLL_FORCE) into a traced child's page and the child's code page
 *   madvise    the child discards the page (MADV_DONTNEED): it reads zeros, the parent its bytes
 *
 * One line per check, the same on Linux and on ringlab (tests/test_memory.py compares them).
 * A 256-page region goes through the same as the single page.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define BIG (256 * PAGE)

static uint8_t *ro;                     /* one page, 'A', read-only before every fork */
static uint8_t *big;                    /* BIG bytes, 'b', read-only */

__attribute__((noinline)) static int patched(void) { return 7; }

/* The bytes of patched() through a volatile pointer: a compiler may take a function's bytes
 * for constants and reuse an earlier load across a call. */
static volatile uint8_t *code_of(void) { return (volatile uint8_t *)(uintptr_t)patched; }

static uint8_t *page_of(const void *p) { return (uint8_t *)((uintptr_t)p & ~(PAGE - 1)); }

static int child_status(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void say(const char *what, int ok) { printf("forkshare: %s: %s\n", what, ok ? "ok" : "WRONG"); fflush(stdout); }

static void by_mprotect(void)
{
    int to_child[2], to_parent[2];
    char c;
    if (pipe(to_child) || pipe(to_parent))
        return;
    pid_t pid = fork();
    if (pid == 0) {
        int ok = mprotect(ro, PAGE, PROT_READ | PROT_WRITE) == 0;
        if (ok) {
            memset(ro, 'C', PAGE);
        }
        ok = ok && mprotect(big, BIG, PROT_READ | PROT_WRITE) == 0;
        if (ok)
            big[BIG - 1] = 'c';
        (void)!write(to_parent[1], "x", 1);
        (void)!read(to_child[0], &c, 1);      /* the parent has written its own copies */
        _exit(ok && ro[0] == 'C' && ro[PAGE - 1] == 'C' && big[0] == 'b' && big[BIG - 1] == 'c' ? 0 : 1);
    }
    (void)!read(to_parent[0], &c, 1);
    say("child's write after mprotect leaves the parent's page", ro[0] == 'A' && ro[PAGE - 1] == 'A' &&
        big[BIG - 1] == 'b');
    int ok = mprotect(ro, PAGE, PROT_READ | PROT_WRITE) == 0;
    if (ok)
        ro[0] = 'P';
    say("the parent's write after mprotect", ok && ro[0] == 'P' && ro[1] == 'A' && mprotect(ro, PAGE, PROT_READ) == 0);
    (void)!write(to_child[1], "x", 1);
    say("the child kept its own bytes", child_status(pid) == 0);
    ok = mprotect(ro, PAGE, PROT_READ | PROT_WRITE) == 0;
    if (ok)
        ro[0] = 'A';
    say("restored", ok && mprotect(ro, PAGE, PROT_READ) == 0);
    close(to_child[0]), close(to_child[1]), close(to_parent[0]), close(to_parent[1]);
}

static void by_text(void)
{
    volatile uint8_t *code = code_of();
    uint8_t before = code[0], after = (uint8_t)~before;
    pid_t pid = fork();
    if (pid == 0) {
        if (mprotect(page_of((const void *)code), PAGE, PROT_READ | PROT_WRITE | PROT_EXEC))
            _exit(2);
        code[0] = after;
        _exit(code[0] == after ? 0 : 1);
    }
    int st = child_status(pid);
    say("a child patching its code", st == 0);
    say("leaves the parent's code", code[0] == before && patched() == 7);
}

static void by_ptrace(void)
{
    volatile uint8_t *code = code_of();
    uint64_t code_word = 0, ro_word;
    for (int i = 0; i < 8; i++)
        code_word |= (uint64_t)code[i] << (8 * i);
    memcpy(&ro_word, ro, 8);
    pid_t pid = fork();
    if (pid == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        /* the parent poked both: this copy sees its words, the parent's are unchanged */
        _exit(ro[0] == 'Z' && code[0] == (uint8_t)~(code_word & 0xff) ? 0 : 1);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFSTOPPED(st)) {
        say("ptrace stop", 0);
        return;
    }
    long a = ptrace(PTRACE_POKEDATA, pid, ro, (void *)((ro_word & ~0xffUL) | 'Z'));
    long b = ptrace(PTRACE_POKETEXT, pid, (void *)code, (void *)((code_word & ~0xffUL) | (uint8_t)~(code_word & 0xff)));
    say("ptrace pokes into a read-only page and code", a == 0 && b == 0);
    say("the tracer's own page and code are unchanged", ro[0] == 'A' && code[0] == (uint8_t)(code_word & 0xff) &&
        patched() == 7);
    ptrace(PTRACE_CONT, pid, 0, 0);
    say("the tracee sees the poked bytes", child_status(pid) == 0);
}

static void by_madvise(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        int ok = madvise(ro, PAGE, MADV_DONTNEED) == 0 && madvise(big, BIG, MADV_DONTNEED) == 0;
        _exit(ok && ro[0] == 0 && big[PAGE] == 0 ? 0 : 1);
    }
    say("MADV_DONTNEED in the child reads zeros", child_status(pid) == 0);
    say("and leaves the parent's bytes", ro[0] == 'A' && ro[PAGE - 1] == 'A' && big[PAGE] == 'b');
}

int main(void)
{
    ro = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    big = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (ro == MAP_FAILED || big == MAP_FAILED)
        return 1;
    memset(ro, 'A', PAGE);
    memset(big, 'b', BIG);
    if (mprotect(ro, PAGE, PROT_READ) || mprotect(big, BIG, PROT_READ))
        return 1;
    by_mprotect();
    by_text();
    by_ptrace();
    by_madvise();
    printf("forkshare: done\n");
    return 0;
}
