/*
 * The console line discipline: characters from COM1 are echoed and collected
 * into a line (backspace and DEL erase, Ctrl-U kills the line, Ctrl-D ends
 * input); read(0) sleeps until a whole line (or Ctrl-D) is there, like a
 * cooked terminal. Ctrl-C and Ctrl-\ are the terminal's signal keys (ISIG):
 * echoed as ^C / ^\, the input is flushed and SIGINT / SIGQUIT go to the
 * processes on the console, as Linux's n_tty does for the foreground group.
 */
#include "kernel.h"
#include "file.h"
#include "errno.h"
#include "proc.h"
#include "signal.h"
#include "vm.h"

#define INPUT_BUF 512
#define CTRL_C    0x03           /* VINTR: SIGINT */
#define CTRL_BSL  0x1c           /* VQUIT (Ctrl-\): SIGQUIT */

static struct {
    char buf[INPUT_BUF];
    uint64_t r;                  /* next byte read() takes */
    uint64_t w;                  /* end of the committed lines */
    uint64_t e;                  /* end of the line being edited */
} in;

void console_init(void)
{
    serial_rx_enable();
    pic_unmask(4);
    serial_intr();          /* bytes typed before the kernel was ready */
}

void console_rx(char c)
{
    switch (c) {
    case CTRL_C:
    case CTRL_BSL:
        serial_write(c == CTRL_C ? "^C" : "^\\", 2);
        in.e = in.w = in.r;                   /* flush typed-ahead input, as n_tty does */
        signal_console(c == CTRL_C ? SIGINT : SIGQUIT);
        return;
    case '\b':
    case 0x7f:
        if (in.e != in.w) {
            in.e--;
            serial_write("\b \b", 3);
        }
        return;
    case 0x15:                                /* Ctrl-U */
        while (in.e != in.w) {
            in.e--;
            serial_write("\b \b", 3);
        }
        return;
    }
    if (c == '\r')
        c = '\n';
    if (in.e - in.r >= INPUT_BUF)
        return;                               /* full: drop */
    in.buf[in.e++ % INPUT_BUF] = c;
    if (c != 0x04)
        serial_write(&c, 1);
    if (c == '\n' || c == 0x04 || in.e - in.r == INPUT_BUF) {
        in.w = in.e;
        wakeup(&in);
    }
}

/* read(2) on the console: up to one line; 0 at Ctrl-D on an empty line. */
int64_t console_read(uint64_t *pml4, uint64_t dst, uint64_t n)
{
    uint64_t got = 0;
    while (in.r == in.w) {
        struct proc *p = myproc();
        if (signal_pending(p))
            return -ERESTARTSYS;              /* -EINTR, or restarted under SA_RESTART */
        sleep(&in);
    }
    while (got < n && in.r != in.w) {
        char c = in.buf[in.r % INPUT_BUF];
        if (c == 0x04) {                      /* Ctrl-D: end of file (consumed if alone) */
            if (got == 0)
                in.r++;
            break;
        }
        in.r++;
        int r = copyout(pml4, dst + got, &c, 1);
        if (r)
            return r;
        got++;
        if (c == '\n')
            break;
    }
    return (int64_t)got;
}

int64_t console_write(uint64_t *pml4, uint64_t src, uint64_t n)
{
    char buf[256];
    uint64_t done = 0;
    if (!user_range_ok(src, n))
        return -14;                           /* -EFAULT */
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
