/*
 * portscan [user] [every]: every one of the 65,536 I/O ports, tried from ring 3, and the
 * attacks that an open port would allow (tests/test_ioperm.py compares the output with the
 * kernel's table in images/kabi.json).
 *
 *   1. ioperm(port, 1, 1) for each port 0..0xffff (dropped again at once when granted): the
 *      ranges granted, how many were EPERM, how many anything else. Then ioperm over all
 *      ports and over a range straddling COM1's (0x3f0, 16): both EPERM, nothing granted.
 *   2. Before iopl(3), `inb` at each port ioperm granted: every one #GPs (the drops held and
 *      the refused calls left nothing open).
 *   3. iopl(3), then `inb` at the probed ports: the ranges read without a fault, and how many
 *      #GP'd. A #GP is SIGSEGV, caught and counted. Which ports are probed: every port ioperm
 *      granted, the ports on both sides of each granted range, every port of the devices
 *      named in `devices` below and every 61st port (61 is prime: every bit position of the
 *      bitmap's bytes is hit); with `every`, all 65,536. Why not all by default: each fault
 *      costs the kernel two console lines (`fault`, `signal`); measured, 20,000 faults took
 *      18.4 s and 3.9 MB of console, so all 65,504 refused ports would take a minute per boot
 *      and per CPU model. ioperm itself (step 1) costs no fault and covers every port; the
 *      test also reads the whole iopl(3) bitmap with gdb.
 *   4. The attacks: for each device, ioperm of its ports, then the very accesses the attack
 *      needs (fw_cfg's selector and DMA address registers, PCI configuration address and data,
 *      isa-debug-exit, the keyboard controller's and 0xcf9's resets, PIC mask, PIT, CMOS NMI
 *      gate, DMA controller, IDE). Each must be EPERM and #GP; an attack stops at its first
 *      access that went through (so a half-open device never gets the write that starts a
 *      DMA transfer), and says so.
 *   5. The kernel is alive: getppid() and a fork + wait.
 *
 * One line per step ("portscan: ..."), then "portscan: ok" (exit 0) or "portscan: FAILED: why"
 * (exit 1). Without `user`, the program expects a privileged process: some ports granted,
 * iopl(3) = 0, exactly the granted ports readable after it. With `user` (an unprivileged
 * process): nothing granted, iopl(3) = EPERM, every probed port #GPs. In both, every ioperm
 * answer is 0 or EPERM and every attack is refused. Ports read: only the ones ioperm granted
 * (UART registers); every other access faults before it reaches a device.
 */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/wait.h>
#include <unistd.h>

#define NPORTS  65536
#define STRIDE  61               /* the sample of refused ports: every 61st */

static sigjmp_buf fault_jb;
static volatile unsigned long nfaults;
static unsigned char granted[NPORTS], probed[NPORTS], readable[NPORTS];
static const char *failed;

static void on_segv(int sig)
{
    (void)sig;
    nfaults++;
    siglongjmp(fault_jb, 1);
}

/* One port access; returns 1 if it faulted (#GP, delivered as SIGSEGV), 0 if it went through.
   out: write `value` of `width` bytes; else read. */
static int access_faults(unsigned port, int out, int width, unsigned value)
{
    unsigned short p = (unsigned short)port;
    if (sigsetjmp(fault_jb, 0))
        return 1;
    if (out) {
        if (width == 1)
            __asm__ volatile("outb %b0, %w1" ::"a"(value), "Nd"(p));
        else if (width == 2)
            __asm__ volatile("outw %w0, %w1" ::"a"(value), "Nd"(p));
        else
            __asm__ volatile("outl %0, %w1" ::"a"(value), "Nd"(p));
    } else {
        unsigned v;
        if (width == 1)
            __asm__ volatile("inb %w1, %b0" : "=a"(v) : "Nd"(p));
        else if (width == 2)
            __asm__ volatile("inw %w1, %w0" : "=a"(v) : "Nd"(p));
        else
            __asm__ volatile("inl %w1, %0" : "=a"(v) : "Nd"(p));
    }
    return 0;
}

static void fail(const char *why)
{
    if (!failed)
        failed = why;
}

/* "0x2e8-0x2ef 0x3f8-0x3ff" for the ports set in `set`; "none" if empty. Returns the count. */
static unsigned print_ranges(const unsigned char *set)
{
    unsigned n = 0, first = 0;
    int open = 0;
    for (unsigned p = 0; p <= NPORTS; p++) {
        int in = p < NPORTS && set[p];
        if (in && !open) {
            first = p;
            open = 1;
        } else if (!in && open) {
            printf("%s0x%x-0x%x", n ? " " : "", first, p - 1);
            n += p - first;
            open = 0;
        }
    }
    if (!n)
        printf("none");
    return n;
}

static const char *err_name(long r)
{
    return r == 0 ? "0" : errno == EPERM ? "EPERM" : errno == EINVAL ? "EINVAL" : strerror(errno);
}

struct access {
    unsigned port;
    int out, width;
    unsigned value;
};

/* Devices whose ports give away the machine (the attacks of step 4, the named sample of 3). */
static const struct device {
    const char *name;
    unsigned first, n;           /* the device's ports: ioperm(first, n, 1) */
    struct access steps[5];      /* the attack's accesses, in order (width 0 ends) */
} devices[] = {
    /* fw_cfg: select the signature item, read it, then a DMA descriptor address (high, then
       the low half whose write starts the transfer: QEMU docs/specs/fw_cfg.rst) */
    { "fw_cfg_dma", 0x510, 12, { { 0x510, 1, 2, 0x0000 }, { 0x511, 0, 1, 0 },
                                 { 0x514, 1, 4, 0 }, { 0x518, 1, 4, 0 } } },
    /* PCI configuration mechanism #1: host bridge's command register, then bus master on */
    { "pci_config", 0xcf8, 8, { { 0xcf8, 1, 4, 0x80000004 }, { 0xcfc, 1, 2, 0x0007 } } },
    { "reset_control", 0xcf9, 1, { { 0xcf9, 1, 1, 0x06 } } },        /* hard reset */
    { "isa_debug_exit", 0xf4, 4, { { 0xf4, 1, 1, 0x07 } } },          /* QEMU exits 15 */
    { "kbc_reset", 0x60, 5, { { 0x64, 1, 1, 0xfe } } },               /* pulse the reset line */
    { "pic_mask", 0x20, 2, { { 0x21, 1, 1, 0xff } } },                /* mask the timer */
    { "pic_slave", 0xa0, 2, { { 0xa1, 1, 1, 0xff } } },
    { "pit", 0x40, 4, { { 0x43, 1, 1, 0x30 } } },                     /* stop channel 0 */
    { "cmos_nmi", 0x70, 2, { { 0x70, 1, 1, 0x80 } } },                /* NMI off */
    { "dma_controller", 0x00, 32, { { 0x0a, 1, 1, 0x00 } } },         /* unmask channel 0 */
    { "dma_page", 0x80, 32, { { 0x87, 1, 1, 0x00 } } },
    { "dma_controller2", 0xc0, 32, { { 0xd4, 1, 1, 0x00 } } },
    { "ide_primary", 0x1f0, 8, { { 0x1f7, 0, 1, 0 } } },
    { "ide_secondary", 0x170, 8, { { 0x177, 0, 1, 0 } } },
};
#define NDEVICES (sizeof devices / sizeof devices[0])

/* The UARTs a driver may want (probed in every mode, so `user` sees them refused too). */
static const unsigned uarts[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };

static void scan_ioperm(int user)
{
    unsigned long eperm = 0, other = 0;
    for (unsigned p = 0; p < NPORTS; p++) {
        if (ioperm(p, 1, 1) == 0) {
            granted[p] = 1;
            if (ioperm(p, 1, 0))
                fail("ioperm(port, 1, 0) after a grant");
        } else if (errno == EPERM) {
            eperm++;
        } else {
            other++;
        }
    }
    printf("portscan: ioperm granted ");
    unsigned n = print_ranges(granted);
    printf(" (%u ports), EPERM %lu, other %lu\n", n, eperm, other);
    if (other)
        fail("ioperm gave an error other than EPERM");
    if (user ? n != 0 : n == 0)
        fail(user ? "ioperm granted a port to an unprivileged process" : "ioperm granted nothing");

    long r_all = ioperm(0, NPORTS, 1);
    const char *all = err_name(r_all);
    long r_str = ioperm(0x3f0, 16, 1);
    printf("portscan: ioperm(0, 0x10000, 1) = %s, ioperm(0x3f0, 16, 1) = %s\n", all, err_name(r_str));
    if (r_all == 0 || r_str == 0)
        fail("a range with refused ports was granted");
}

static void probe_before_iopl(void)
{
    unsigned n = 0, gp = 0;
    for (unsigned p = 0; p < NPORTS; p++)
        if (granted[p]) {
            n++;
            gp += access_faults(p, 0, 1, 0);
        }
    printf("portscan: before iopl(3), inb at the granted ports: #GP at %u of %u\n", gp, n);
    if (gp != n)
        fail("a dropped or refused ioperm left a port open");
}

static void probe_after_iopl(int user, int every)
{
    long r = iopl(3);
    printf("portscan: iopl(3) = %s\n", err_name(r));
    if (user ? !(r == -1 && errno == EPERM) : r != 0)
        fail(user ? "iopl(3) was not EPERM unprivileged" : "iopl(3) failed");

    for (unsigned p = 0; p < NPORTS; p++) {
        if (every || granted[p] || p % STRIDE == 0)
            probed[p] = 1;
        if (granted[p]) {
            if (p > 0 && !granted[p - 1])
                probed[p - 1] = 1;
            if (p + 1 < NPORTS && !granted[p + 1])
                probed[p + 1] = 1;
        }
    }
    for (unsigned i = 0; i < NDEVICES; i++)
        for (unsigned p = devices[i].first; p < devices[i].first + devices[i].n; p++)
            probed[p] = 1;
    for (unsigned i = 0; i < sizeof uarts / sizeof uarts[0]; i++)
        for (unsigned p = uarts[i]; p < uarts[i] + 8; p++)
            probed[p] = 1;

    unsigned nprobed = 0, gp = 0;
    for (unsigned p = 0; p < NPORTS; p++) {
        if (!probed[p])
            continue;
        nprobed++;
        if (access_faults(p, 0, 1, 0))
            gp++;
        else
            readable[p] = 1;
    }
    printf("portscan: after iopl(3), inb without a fault at ");
    unsigned n = print_ranges(readable);
    printf(" (%u ports); #GP at %u of %u probed (%s)\n", n, gp, nprobed,
           every ? "every port" : "granted, their neighbours, named devices, every 61st");
    if (memcmp(readable, granted, sizeof granted))
        fail("iopl(3) opened other ports than ioperm grants");
}

static void attacks(void)
{
    for (unsigned i = 0; i < NDEVICES; i++) {
        const struct device *d = &devices[i];
        char line[256];
        int len;
        long r = ioperm(d->first, d->n, 1);
        len = snprintf(line, sizeof line, "attack %s ioperm(0x%x, %u, 1) = %s", d->name, d->first, d->n,
                       err_name(r));
        if (r == 0) {
            fail("ioperm granted a device that reaches memory or controls the machine");
            ioperm(d->first, d->n, 0);
        }
        /* the line is printed whole afterwards: the kernel's fault lines would split it */
        for (const struct access *a = d->steps; a->width; a++) {
            int went = !access_faults(a->port, a->out, a->width, a->value);
            len += snprintf(line + len, sizeof line - len, " %s%d 0x%x %s", a->out ? "out" : "in", a->width * 8,
                            a->port, went ? "WENT-THROUGH" : "#GP");
            if (went) {
                fail("an attack's port access went through");
                break;
            }
        }
        printf("portscan: %s\n", line);
    }
}

static void alive(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0)
        _exit(42);
    int st = 0;
    int ok = pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 42;
    printf("portscan: kernel alive: getppid() = %d, fork + wait %s\n", (int)getppid(), ok ? "ok" : "FAILED");
    if (!ok)
        fail("fork + wait after the attacks");
}

int main(int argc, char **argv)
{
    int user = 0, every = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "user"))
            user = 1;
        else if (!strcmp(argv[i], "every"))
            every = 1;
        else {
            fprintf(stderr, "usage: portscan [user] [every]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    struct sigaction sa = { .sa_handler = on_segv, .sa_flags = SA_NODEFER };
    sigaction(SIGSEGV, &sa, NULL);

    scan_ioperm(user);
    probe_before_iopl();
    probe_after_iopl(user, every);
    attacks();
    alive();
    printf("portscan: faults caught %lu\n", nfaults);
    if (failed) {
        printf("portscan: FAILED: %s\n", failed);
        return 1;
    }
    printf("portscan: ok\n");
    return 0;
}
