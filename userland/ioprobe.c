/*
 * ioprobe [CASE...]: ioperm(2) and iopl(2) at their edges, each case in a child of its own.
 *
 * Every case prints what it checks and ends; the parent reaps it and prints, in the shell's
 * convention (exit code, or 128 + signal):
 *     ioprobe: case=NAME status=S
 * A port access that faults ends the child with SIGSEGV (139); the case's expectation is in
 * the test (tests/test_ioperm.py). The calls go through syscall(2) so that the raw arguments
 * reach the kernel (a wrap-around, an int turn_on beyond 32 bits). Ports touched: only reads,
 * of the UARTs' registers (COM1 0x3f8-0x3ff, COM2's scratch 0x2ff, COM4's 0x2ef) - never a
 * write; every other access faults first. With no CASE: every case.
 * SDM Vol. 1 19.5.2: an access of N bytes checks the N bits of its ports.
 * Cases `refused` and `iopl3_table` show ringlab's port policy (kernel/ioperm.c: only the
 * UARTs' ports, whatever the privilege), where Linux's root would get every port: on Linux
 * they print something else (tests/test_ioperm.py leaves them out of the comparison).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static long ioperm_raw(unsigned long from, unsigned long num, long turn_on)
{
    long r = syscall(SYS_ioperm, from, num, turn_on);
    return r < 0 ? -errno : r;
}

static long iopl_raw(long level)
{
    long r = syscall(SYS_iopl, level);
    return r < 0 ? -errno : r;
}

static unsigned inb_(unsigned short p) { unsigned char v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static unsigned inw_(unsigned short p) { unsigned short v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(p)); return v; }
static unsigned inl_(unsigned short p) { unsigned v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(p)); return v; }

static unsigned long rflags(void)
{
    unsigned long f;
    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(f));
    return f;
}

#define RFLAGS_IF   (1UL << 9)
#define RFLAGS_IOPL (3UL << 12)
#define SAY(...) (printf("ioprobe: " __VA_ARGS__), fflush(stdout))

/* Each case: runs in a child; returns the child's exit code (a fault ends it first). */
static int c_errors(void)
{
    SAY("ioperm(0x80, 0, 1) = %ld\n", ioperm_raw(0x80, 0, 1));
    SAY("ioperm(0xffff, 2, 1) = %ld\n", ioperm_raw(0xffff, 2, 1));
    SAY("ioperm(0x10000, 1, 1) = %ld\n", ioperm_raw(0x10000, 1, 1));
    SAY("ioperm(-1, 2, 1) = %ld\n", ioperm_raw(~0UL, 2, 1));
    SAY("ioperm(0, 0x10001, 0) = %ld\n", ioperm_raw(0, 0x10001, 0));
    SAY("ioperm(0x80, 1, 0) without ioperm = %ld\n", ioperm_raw(0x80, 1, 0));
    SAY("ioperm(0, 0x10000, 0) = %ld\n", ioperm_raw(0, 0x10000, 0));
    SAY("iopl(4) = %ld\n", iopl_raw(4));
    SAY("iopl(-1) = %ld\n", iopl_raw(-1));
    SAY("iopl(0) = %ld\n", iopl_raw(0));
    return 0;
}

static int c_no_ioperm(void) { SAY("inb 0x80\n"); inb_(0x80); return 0; }
static int grant_uart(void) { long r = ioperm_raw(0x3f8, 8, 1); SAY("ioperm(0x3f8, 8, 1) = %ld\n", r); return r != 0; }
static int c_first(void) { if (grant_uart()) return 1; SAY("inb 0x3fd lsr_thre=%u\n", !!(inb_(0x3fd) & 0x20)); return 0; }
static int c_last(void) { if (grant_uart()) return 1; inb_(0x3ff); SAY("inb 0x3ff ok\n"); return 0; }
static int c_inl_inside(void) { if (grant_uart()) return 1; inl_(0x3fc); SAY("inl 0x3fc ok\n"); return 0; }
static int c_below(void) { if (grant_uart()) return 1; SAY("inb 0x3f7\n"); inb_(0x3f7); return 0; }
static int c_above(void) { if (grant_uart()) return 1; SAY("inb 0x400\n"); inb_(0x400); return 0; }
static int c_straddle(void) { if (grant_uart()) return 1; SAY("inw 0x3ff\n"); inw_(0x3ff); return 0; }
static int c_isa_exit(void) { if (grant_uart()) return 1; SAY("inb 0xf4\n"); inb_(0xf4); return 0; }
static int c_turn_on_int(void)
{
    /* turn_on is an int: 1 << 32 reads as 0, so this turns nothing on */
    SAY("ioperm(0x80, 1, 1 << 32) = %ld\n", ioperm_raw(0x80, 1, 1L << 32));
    SAY("inb 0x80\n");
    inb_(0x80);
    return 0;
}

/* The policy: no port outside the UARTs, however asked; a refused range changes nothing. */
static int c_refused(void)
{
    SAY("ioperm(0x80, 1, 1) = %ld\n", ioperm_raw(0x80, 1, 1));          /* DMA page register */
    SAY("ioperm(0xf4, 1, 1) = %ld\n", ioperm_raw(0xf4, 1, 1));          /* isa-debug-exit */
    SAY("ioperm(0x510, 12, 1) = %ld\n", ioperm_raw(0x510, 12, 1));      /* fw_cfg and its DMA */
    SAY("ioperm(0xcf8, 8, 1) = %ld\n", ioperm_raw(0xcf8, 8, 1));        /* PCI configuration */
    SAY("ioperm(0xffff, 1, 1) = %ld\n", ioperm_raw(0xffff, 1, 1));      /* nothing there */
    SAY("ioperm(0x3f0, 16, 1) = %ld\n", ioperm_raw(0x3f0, 16, 1));      /* straddles COM1 */
    SAY("inb 0x3ff\n");                                                 /* not opened either */
    inb_(0x3ff);
    return 0;
}

static int c_iopl3_table(void)
{
    SAY("iopl(3) = %ld\n", iopl_raw(3));
    inb_(0x3ff);
    inb_(0x2ef);
    SAY("inb 0x3ff 0x2ef ok\n");
    SAY("inb 0x80\n");
    inb_(0x80);
    return 0;
}

/* Turning bits off is never refused, refused ports included (Linux: no check when !turn_on). */
static int c_drop_wide(void)
{
    if (grant_uart())
        return 1;
    SAY("ioperm(0x3f0, 16, 0) = %ld\n", ioperm_raw(0x3f0, 16, 0));
    SAY("inb 0x3ff\n");
    inb_(0x3ff);
    return 0;
}

static int c_dropped(void)
{
    if (grant_uart())
        return 1;
    SAY("ioperm(0x3f8, 8, 0) = %ld\n", ioperm_raw(0x3f8, 8, 0));
    SAY("inb 0x3ff\n");
    inb_(0x3ff);
    return 0;
}

static int c_partial_drop(void)
{
    if (grant_uart())
        return 1;
    SAY("ioperm(0x3f8, 4, 0) = %ld\n", ioperm_raw(0x3f8, 4, 0));
    inb_(0x3ff);
    SAY("inb 0x3ff ok\n");
    SAY("inb 0x3f8\n");
    inb_(0x3f8);
    return 0;
}

static int c_iopl3(void)
{
    SAY("iopl(3) = %ld\n", iopl_raw(3));
    inb_(0x3ff);
    inb_(0x2ff);
    SAY("inb 0x3ff 0x2ff ok, rflags.iopl=%lu\n", (rflags() & RFLAGS_IOPL) >> 12);
    return 0;
}

static int c_iopl3_cli_sti(void)
{
    SAY("iopl(3) = %ld\n", iopl_raw(3));
    __asm__ volatile("cli");
    SAY("after cli: if=%d\n", !!(rflags() & RFLAGS_IF));
    __asm__ volatile("sti");
    __asm__ volatile("cli\n\tcli");
    SAY("after sti, cli, cli: if=%d\n", !!(rflags() & RFLAGS_IF));
    SAY("data16 cli\n");
    __asm__ volatile(".byte 0x66, 0xfa");
    return 0;
}

static int c_iopl_cli_without(void) { SAY("cli\n"); __asm__ volatile("cli"); return 0; }

static int c_iopl1(void)
{
    SAY("iopl(1) = %ld\n", iopl_raw(1));
    SAY("inb 0x80\n");
    inb_(0x80);
    return 0;
}

static int c_iopl_back(void)
{
    if (grant_uart())
        return 1;
    SAY("iopl(3) = %ld\n", iopl_raw(3));
    inb_(0x2ff);
    SAY("iopl(0) = %ld\n", iopl_raw(0));
    inb_(0x3ff);
    SAY("inb 0x3ff ok\n");
    SAY("inb 0x2ff\n");
    inb_(0x2ff);
    return 0;
}

static int c_fork_inherits(void)
{
    if (grant_uart())
        return 1;
    SAY("iopl(3) = %ld\n", iopl_raw(3));
    pid_t pid = fork();
    if (pid == 0) {
        inb_(0x2ff);
        SAY("child: inb 0x2ff ok\n");
        SAY("child: iopl(0) = %ld\n", iopl_raw(0));
        inb_(0x3ff);
        SAY("child: inb 0x3ff ok\n");
        SAY("child: ioperm(0x3f8, 8, 0) = %ld\n", ioperm_raw(0x3f8, 8, 0));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    inb_(0x2ff);
    inb_(0x3ff);
    SAY("parent: child status %d, inb 0x2ff and 0x3ff still ok\n", WEXITSTATUS(st));
    return 0;
}

static const struct {
    const char *name;
    int (*fn)(void);
} cases[] = {
    { "errors", c_errors },           { "no_ioperm", c_no_ioperm },
    { "first", c_first },             { "last", c_last },
    { "inl_inside", c_inl_inside },   { "below", c_below },
    { "above", c_above },             { "straddle", c_straddle },
    { "isa_exit", c_isa_exit },       { "turn_on_int", c_turn_on_int },
    { "refused", c_refused },         { "iopl3_table", c_iopl3_table },
    { "drop_wide", c_drop_wide },     { "dropped", c_dropped },
    { "partial_drop", c_partial_drop }, { "iopl3", c_iopl3 },
    { "iopl3_cli_sti", c_iopl3_cli_sti }, { "cli_without_iopl", c_iopl_cli_without },
    { "iopl1", c_iopl1 },             { "iopl_back", c_iopl_back },
    { "fork_inherits", c_fork_inherits },
};

static void run(int i)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(cases[i].fn());
    int st;
    if (pid < 0 || waitpid(pid, &st, 0) != pid) {
        perror("ioprobe: fork/waitpid");
        exit(1);
    }
    printf("ioprobe: case=%s status=%d\n", cases[i].name,
           WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st));
}

int main(int argc, char **argv)
{
    int n = sizeof cases / sizeof cases[0];
    for (int i = 0; i < n; i++) {
        int want = argc == 1;
        for (int a = 1; a < argc; a++)
            want |= !strcmp(argv[a], cases[i].name);
        if (want)
            run(i);
    }
    return 0;
}
