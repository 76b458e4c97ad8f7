/*
 * uart: a user-mode driver for the 16550 UART at COM1 (I/O ports 0x3f8-0x3ff), the microkernel
 * idea in one program. It writes to the serial console by itself: poll the line status register
 * (LSR, 0x3fd) until the transmit holding register is empty (THRE), then `outb` the byte into
 * it (THR, 0x3f8) - no write(2). It only transmits; the line settings (baud, 8N1) stay the
 * kernel's, which shares the UART for its own console. Register map: PC16550D datasheet, table 2.
 *
 * The run, each step printed (stdio lines "uart: ..." through write(2); the driver's own lines
 * start "uart-thr: ", through the UART):
 *   1. before ioperm, a child executes the driver's outb: #GP, killed by SIGSEGV (status 139);
 *   2. ioperm(0x3f8, 8, 1), then the driver writes a line to COM1 itself;
 *   3. a forked child inherits the permission and writes a line;
 *   4. an execve'd image (`uart --exec`) keeps it, as on Linux (ioperm(2): "preserved across
 *      execve(2)"), and writes a line without calling ioperm;
 *   5. ioperm(0x3f8, 8, 0) drops it: a child's outb is a #GP again.
 * Exits 0 if every step went as described, 1 otherwise. Every outb and inb the driver does is
 * at the global symbols uart_outb_insn and uart_inb_insn (one instruction each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define COM1      0x3f8          /* first port of the UART */
#define COM1_N    8              /* its eight registers */
#define UART_THR  0              /* transmit holding register (DLAB=0, write) */
#define UART_LSR  5              /* line status register (read) */
#define LSR_THRE  0x20           /* THR empty: the next byte may be written */

__attribute__((noinline)) static void port_out(unsigned short port, unsigned char v)
{
    __asm__ volatile(".globl uart_outb_insn\nuart_outb_insn: outb %0, %1" ::"a"(v), "Nd"(port) : "memory");
}

__attribute__((noinline)) static unsigned char port_in(unsigned short port)
{
    unsigned char v;
    __asm__ volatile(".globl uart_inb_insn\nuart_inb_insn: inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
    return v;
}

static void uart_putc(char c)
{
    while (!(port_in(COM1 + UART_LSR) & LSR_THRE))
        ;
    port_out(COM1 + UART_THR, (unsigned char)c);
}

/*
 * The driver's own output: "\n" becomes "\r\n", as a terminal expects. The console's stdio
 * lines go out first: fflush, then tcdrain (Linux's serial driver may still be sending them
 * from its buffer; ringlab's console writes synchronously, so there it has nothing to wait for).
 */
static void uart_puts(const char *s)
{
    fflush(stdout);
    tcdrain(STDOUT_FILENO);
    for (; *s; s++) {
        if (*s == '\n')
            uart_putc('\r');
        uart_putc(*s);
    }
}

/* Run fn in a child, reap it; its status in the shell's convention (128 + signal). */
static int in_child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("uart: fork");
        exit(1);
    }
    if (pid == 0) {
        fn();
        _exit(0);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        perror("uart: waitpid");
        exit(1);
    }
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void child_outb(void)
{
    port_out(COM1 + UART_THR, '!');
}

static void child_driver(void)
{
    char line[80];
    snprintf(line, sizeof line, "uart-thr: forked child pid=%d inherited the ports\n", getpid());
    uart_puts(line);
}

static char *self;

static void child_exec(void)
{
    execl(self, "uart", "--exec", (char *)0);
    perror("uart: execl");
    _exit(127);
}

static int check(const char *what, int got, int want)
{
    printf("uart: %s: status %d\n", what, got);
    return got == want;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--exec")) {
        uart_puts("uart-thr: execve'd image kept the ports\n");
        return 0;
    }
    self = argc > 0 && argv[0][0] == '/' ? argv[0] : "/uart";
    int ok = 1;
    ok &= check("outb to THR before ioperm, in a child", in_child(child_outb), 139);

    int r = ioperm(COM1, COM1_N, 1);
    printf("uart: ioperm(0x3f8, 8, 1) = %d\n", r);
    fflush(stdout);
    ok &= r == 0;
    uart_puts("uart-thr: hello from ring 3, written to COM1 by outb\n");

    ok &= check("forked child drives the UART", in_child(child_driver), 0);
    ok &= check("execve'd child drives the UART", in_child(child_exec), 0);

    r = ioperm(COM1, COM1_N, 0);
    printf("uart: ioperm(0x3f8, 8, 0) = %d\n", r);
    ok &= r == 0;
    ok &= check("outb to THR after dropping it, in a child", in_child(child_outb), 139);
    printf("uart: %s\n", ok ? "done" : "FAILED");
    return ok ? 0 : 1;
}
