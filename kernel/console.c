/*
 * The console line discipline, with the termios settings that matter to it.
 * Canonical mode (ICANON, the default): characters from COM1 are echoed and
 * collected into a line (backspace and DEL erase, Ctrl-U kills the line,
 * Ctrl-D ends input); read(0) sleeps until a whole line (or Ctrl-D) is
 * there. Non-canonical mode (a line editor's raw mode): every byte is
 * readable at once, nothing is edited, and read returns what is there once
 * VMIN (0 or 1) bytes are. ECHO and ICRNL are honoured; the other flags are
 * kept and reported but change nothing (output processing is fixed: TCSETS
 * refuses a different c_oflag). With ISIG, the VINTR and VQUIT characters
 * (Ctrl-C, Ctrl-\) are the terminal's signal keys in either mode: echoed as
 * ^C / ^\, the input is flushed and SIGINT / SIGQUIT go to the processes on
 * the console, as Linux's n_tty does for the foreground process group.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "sysfs.h"
#include "vm.h"

#define INPUT_BUF 512
#define TERMIOS_ICRNL  0x100         /* c_iflag: CR read as NL */
#define TERMIOS_ISIG   0x001         /* c_lflag: VINTR/VQUIT raise signals */
#define TERMIOS_ICANON 0x002         /* c_lflag: line editing */
#define TERMIOS_ECHO   0x008         /* c_lflag: echo input */
#define TERMIOS_VINTR  0             /* c_cc index: SIGINT key (Ctrl-C) */
#define TERMIOS_VQUIT  1             /* c_cc index: SIGQUIT key (Ctrl-\) */
#define TERMIOS_VMIN   6             /* c_cc index */

static struct {
    char buf[INPUT_BUF];
    uint64_t r;                  /* next byte read() takes */
    uint64_t w;                  /* end of the committed lines */
    uint64_t e;                  /* end of the line being edited */
} in;

static struct linux_termios tio = {
    .c_iflag = 0x500,            /* ICRNL | IXON */
    .c_oflag = 0x5,              /* OPOST | ONLCR */
    .c_cflag = 0xbf,             /* B38400 | CS8 | CREAD */
    .c_lflag = 0x8a3b,           /* ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN */
    .c_cc = { 3, 28, 127, 21, 4, 0, 1 },   /* VINTR VQUIT VERASE VKILL VEOF VTIME VMIN */
};

void console_init(void)
{
    serial_rx_enable();
    pic_unmask(4);
    serial_intr();          /* bytes typed before the kernel was ready */
}

void console_tcgets(struct linux_termios *t)
{
    *t = tio;
}

/* TCSETS*: -EINVAL for output settings this console cannot apply. */
int console_tcsets(const struct linux_termios *t)
{
    if (t->c_oflag != tio.c_oflag)
        return -EINVAL;
    tio = *t;
    if (!(tio.c_lflag & TERMIOS_ICANON)) {   /* a line being edited becomes readable */
        in.w = in.e;
        wakeup(&in);
    }
    return 0;
}

static void echo(const char *s, size_t n)
{
    if (tio.c_lflag & TERMIOS_ECHO)
        serial_write(s, n);
}

void console_rx(char c)
{
    if (c == '\r' && (tio.c_iflag & TERMIOS_ICRNL))
        c = '\n';
    if ((tio.c_lflag & TERMIOS_ISIG) && c && (c == tio.c_cc[TERMIOS_VINTR] || c == tio.c_cc[TERMIOS_VQUIT])) {
        int sig = c == tio.c_cc[TERMIOS_VINTR] ? SIGINT : SIGQUIT;
        echo(sig == SIGINT ? "^C" : "^\\", 2);   /* ECHOCTL */
        in.e = in.w = in.r;                   /* the input is flushed (NOFLSH clear) */
        signal_console(sig);
        return;
    }
    if (in.e - in.r >= INPUT_BUF)
        return;                               /* full: drop */
    if (!(tio.c_lflag & TERMIOS_ICANON)) {
        in.buf[in.e++ % INPUT_BUF] = c;
        in.w = in.e;
        echo(&c, 1);
        wakeup(&in);
        return;
    }
    switch (c) {
    case '\b':
    case 0x7f:
        if (in.e != in.w) {
            in.e--;
            echo("\b \b", 3);
        }
        return;
    case 0x15:                                /* Ctrl-U */
        while (in.e != in.w) {
            in.e--;
            echo("\b \b", 3);
        }
        return;
    }
    in.buf[in.e++ % INPUT_BUF] = c;
    if (c != 0x04)
        echo(&c, 1);
    if (c == '\n' || c == 0x04 || in.e - in.r == INPUT_BUF) {
        in.w = in.e;
        wakeup(&in);
    }
}

bool console_readable(void)
{
    return in.r != in.w;
}

/* read(2) on the console: canonical, up to one line, 0 at Ctrl-D on an empty line; else what is there. */
int64_t console_read(uint64_t *pml4, uint64_t dst, uint64_t n)
{
    bool canon = tio.c_lflag & TERMIOS_ICANON;
    uint64_t got = 0;
    while (in.r == in.w) {
        if (!canon && tio.c_cc[TERMIOS_VMIN] == 0)
            return 0;
        if (signal_pending(myproc()))
            return -ERESTARTSYS;              /* -EINTR, or restarted under SA_RESTART */
        sleep(&in);
        canon = tio.c_lflag & TERMIOS_ICANON;
    }
    while (got < n && in.r != in.w) {
        char c = in.buf[in.r % INPUT_BUF];
        if (canon && c == 0x04) {             /* Ctrl-D: end of file (consumed if alone) */
            if (got == 0)
                in.r++;
            break;
        }
        in.r++;
        int r = copyout(pml4, dst + got, &c, 1);
        if (r)
            return r;
        got++;
        if (canon && c == '\n')
            break;
    }
    return (int64_t)got;
}

int64_t console_write(uint64_t *pml4, uint64_t src, uint64_t n)
{
    char buf[256];
    uint64_t done = 0;
    if (!user_range_ok(src, n))
        return -EFAULT;
    while (done < n) {
        uint64_t chunk = n - done < sizeof buf ? n - done : sizeof buf;
        int r = copyin(pml4, buf, src + done, chunk);
        if (r)
            return done ? (int64_t)done : r;
        serial_write(buf, chunk);
        done += chunk;
    }
    return (int64_t)done;
}
