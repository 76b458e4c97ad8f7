/*
 * The console line discipline, with the termios settings that matter to it.
 * Canonical mode (ICANON, the default): characters from COM1 are echoed and
 * collected into a line (VERASE and backspace erase, VKILL kills the line);
 * read(0) sleeps until a whole line is there, and returns at most that line.
 * VEOF (Ctrl-D) ends a line without adding to it, as in Linux's n_tty: typed
 * after some characters it makes them readable (read returns them, without a
 * newline); at the start of a line read returns 0, end of file. With IEXTEN,
 * VLNEXT (Ctrl-V) makes the next character literal: data, whatever it is
 * (Ctrl-D, Ctrl-C, DEL, CR are then not edited, signalled or translated), so
 * any byte string can be typed (the harness feeds a program's stdin so).
 * Non-canonical mode (a line editor's raw mode): every byte is readable at
 * once, nothing is edited, and read returns what is there once VMIN (0 or 1)
 * bytes are. ECHO and ICRNL are honoured; the other flags are kept and
 * reported but change nothing (output processing is fixed: TCSETS refuses a
 * different c_oflag). With ISIG, the VINTR and VQUIT characters (Ctrl-C,
 * Ctrl-\) and VSUSP (Ctrl-Z) are the terminal's signal keys in either mode:
 * echoed as ^C / ^\ / ^Z, the input is flushed and SIGINT / SIGQUIT /
 * SIGTSTP go to the terminal's foreground process group (jobctl.c), as
 * Linux's n_tty does. A background process of the terminal's session that
 * reads gets SIGTTIN, one that writes with TOSTOP set SIGTTOU
 * (jobctl_tty_check).
 *
 * Input is never dropped: when the buffer is full, serial_intr() leaves the
 * bytes in the UART (QEMU then holds back the rest, as a throttled Linux tty
 * holds back its driver) until read() makes room and pulls them in. The
 * kernel argument console.echo=0 starts with ECHO off (stty -echo), for input
 * fed as if from a pipe.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "signal.h"
#include "sysfs.h"
#include "vm.h"
#include "kargs.h"
#include "jobctl.h"

#define INPUT_BUF 512
#define TERMIOS_ICRNL  0x100         /* c_iflag: CR read as NL */
#define TERMIOS_ISIG   0x001         /* c_lflag: VINTR/VQUIT raise signals */
#define TERMIOS_ICANON 0x002         /* c_lflag: line editing */
#define TERMIOS_ECHO   0x008         /* c_lflag: echo input */
#define TERMIOS_TOSTOP 0x100         /* c_lflag: a background write gets SIGTTOU */
#define TERMIOS_IEXTEN 0x8000        /* c_lflag: VLNEXT (and other extensions) */
#define TERMIOS_VINTR  0             /* c_cc index: SIGINT key (Ctrl-C) */
#define TERMIOS_VQUIT  1             /* c_cc index: SIGQUIT key (Ctrl-\) */
#define TERMIOS_VERASE 2             /* c_cc index: erase a character (DEL) */
#define TERMIOS_VKILL  3             /* c_cc index: erase the line (Ctrl-U) */
#define TERMIOS_VEOF   4             /* c_cc index: end of line without newline / of file (Ctrl-D) */
#define TERMIOS_VMIN   6             /* c_cc index */
#define TERMIOS_VSUSP  10            /* c_cc index: SIGTSTP key (Ctrl-Z) */
#define TERMIOS_VLNEXT 15            /* c_cc index: take the next character literally (Ctrl-V) */

#define MARK_EOL 1                   /* in.mark: the line ends after this byte ('\n') */
#define MARK_EOF 2                   /* in.mark: a VEOF: ends the line, is not data */

static struct {
    char buf[INPUT_BUF];
    uint8_t mark[INPUT_BUF];     /* per byte: MARK_EOL, MARK_EOF (canonical mode), else 0 */
    uint64_t r;                  /* next byte read() takes */
    uint64_t w;                  /* end of the committed lines */
    uint64_t e;                  /* end of the line being edited */
    bool lnext;                  /* the last byte was VLNEXT: the next one is data */
} in;

static struct linux_termios tio = {
    .c_iflag = 0x500,            /* ICRNL | IXON */
    .c_oflag = 0x5,              /* OPOST | ONLCR */
    .c_cflag = 0xbf,             /* B38400 | CS8 | CREAD */
    .c_lflag = 0x8a3b,           /* ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN */
    .c_cc = { 3, 28, 127, 21, 4, 0, 1,     /* VINTR VQUIT VERASE VKILL VEOF VTIME VMIN */
              [TERMIOS_VSUSP] = 26,       /* Ctrl-Z */
              [TERMIOS_VLNEXT] = 22 },    /* Ctrl-V, as Linux's INIT_C_CC */
};

void console_init(void)
{
    if (kargs.console_noecho)
        tio.c_lflag &= ~(uint32_t)TERMIOS_ECHO;
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

/* Room for one more byte (serial_intr leaves the rest in the UART until there is). */
bool console_room(void)
{
    return in.e - in.r < INPUT_BUF;
}

/* Queue one byte of the line being edited (mark: MARK_EOL / MARK_EOF / 0). */
static void put(char c, uint8_t mark)
{
    in.mark[in.e % INPUT_BUF] = mark;
    in.buf[in.e++ % INPUT_BUF] = c;
}

/* A line (or, not canonical, a byte) became readable: wake read(2), and tell the O_ASYNC
   files (Linux n_tty: kill_fasync POLL_IN where it wakes its readers). */
static void readable_now(void)
{
    wakeup(&in);
    fasync_notify(console_fasync, POLL_IN, FA_ANY);
}

void console_rx(char c)
{
    const uint8_t *cc = tio.c_cc;
    bool canon = tio.c_lflag & TERMIOS_ICANON;
    if (!console_room())
        return;                               /* serial_intr checks first: never reached */
    if (in.lnext) {                           /* Linux n_tty_receive_char_lnext: no ICRNL either */
        in.lnext = false;
        put(c, 0);
        echo(&c, 1);
        if (!canon || in.e - in.r == INPUT_BUF) {
            in.w = in.e;
            readable_now();
        }
        return;
    }
    if (c == '\r' && (tio.c_iflag & TERMIOS_ICRNL))
        c = '\n';
    if ((tio.c_lflag & TERMIOS_ISIG) && c &&
        (c == cc[TERMIOS_VINTR] || c == cc[TERMIOS_VQUIT] || c == cc[TERMIOS_VSUSP])) {
        int sig = c == cc[TERMIOS_VINTR] ? SIGINT : c == cc[TERMIOS_VQUIT] ? SIGQUIT : SIGTSTP;
        echo(sig == SIGINT ? "^C" : sig == SIGQUIT ? "^\\" : "^Z", 2);   /* ECHOCTL */
        in.e = in.w = in.r;                   /* the input is flushed (NOFLSH clear) */
        jobctl_tty_signal(sig);               /* to the foreground process group */
        return;
    }
    if ((tio.c_lflag & TERMIOS_IEXTEN) && c && c == cc[TERMIOS_VLNEXT]) {
        in.lnext = true;
        return;
    }
    if (!canon) {
        put(c, 0);
        in.w = in.e;
        echo(&c, 1);
        readable_now();
        return;
    }
    if (c == '\b' || (c && c == cc[TERMIOS_VERASE])) {
        if (in.e != in.w) {
            in.e--;
            echo("\b \b", 3);
        }
        return;
    }
    if (c && c == cc[TERMIOS_VKILL]) {
        while (in.e != in.w) {
            in.e--;
            echo("\b \b", 3);
        }
        return;
    }
    bool eof = c && c == cc[TERMIOS_VEOF];
    put(c, eof ? MARK_EOF : c == '\n' ? MARK_EOL : 0);
    if (!eof)
        echo(&c, 1);
    if (eof || c == '\n' || in.e - in.r == INPUT_BUF) {
        in.w = in.e;
        readable_now();
    }
}

bool console_readable(void)
{
    return in.r != in.w;
}

/*
 * read(2) on the console. Canonical: up to the end of one line; a VEOF ends the line and is
 * consumed, not copied (alone, read returns 0: end of file). Else what is there.
 */
int64_t console_read(uint64_t *pml4, uint64_t dst, uint64_t n)
{
    bool canon = tio.c_lflag & TERMIOS_ICANON;
    uint64_t got = 0;
    int r = jobctl_tty_check(SIGTTIN);       /* a background group may not read */
    if (r)
        return r;
    while (in.r == in.w) {
        if (!canon && tio.c_cc[TERMIOS_VMIN] == 0)
            return 0;
        if (signal_pending(myproc()))
            return -ERESTARTSYS;              /* -EINTR, or restarted under SA_RESTART */
        sleep(&in);
        canon = tio.c_lflag & TERMIOS_ICANON;
    }
    bool line_ended = false;
    while (got < n && in.r != in.w) {
        uint64_t at = in.r % INPUT_BUF;
        char c = in.buf[at];
        uint8_t mark = in.mark[at];
        in.r++;
        if (canon && mark == MARK_EOF) {      /* Linux canon_copy_from_read_buf: not data */
            line_ended = true;
            break;
        }
        int r = copyout(pml4, dst + got, &c, 1);
        if (r) {
            in.r--;
            return got ? (int64_t)got : r;
        }
        got++;
        if (canon && mark == MARK_EOL) {
            line_ended = true;
            break;
        }
    }
    /* The buffer filled right before a VEOF: it ends this read's line, as Linux sees it (it
       looks one byte past the buffer), not the next read's (which would be a false EOF). */
    if (canon && got && !line_ended && in.r != in.w && in.mark[in.r % INPUT_BUF] == MARK_EOF)
        in.r++;
    serial_intr();                            /* room again: take what waits in the UART */
    return (int64_t)got;
}

int64_t console_write(uint64_t *pml4, uint64_t src, uint64_t n)
{
    char buf[256];
    uint64_t done = 0;
    if (!user_range_ok(src, n))
        return -EFAULT;
    if (tio.c_lflag & TERMIOS_TOSTOP) {
        int r = jobctl_tty_check(SIGTTOU);    /* a background group may not write */
        if (r)
            return r;
    }
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
