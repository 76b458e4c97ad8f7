/*
 * COM1 console: a 16550 UART at I/O port 0x3f8, polled for output and
 * interrupt-driven for input (IRQ 4). Register map: PC16550D datasheet, table 2.
 */
#include "kernel.h"
#include "x86.h"

#define COM1        0x3f8
#define UART_DATA   0        /* RBR/THR (DLAB=0), divisor low (DLAB=1) */
#define UART_IER    1        /* interrupt enable (DLAB=0), divisor high (DLAB=1) */
#define UART_FCR    2        /* FIFO control */
#define UART_LCR    3        /* line control */
#define UART_MCR    4        /* modem control */
#define UART_LSR    5        /* line status */

#define IER_RX      0x01     /* interrupt on received data */
#define LCR_8N1     0x03     /* 8 data bits, no parity, 1 stop bit */
#define LCR_DLAB    0x80     /* divisor latch access */
#define MCR_DTR_RTS_OUT2 0x0b /* OUT2 gates the UART's IRQ line to the PIC */
#define LSR_DR      0x01     /* data ready */
#define LSR_THRE    0x20     /* transmit holding register empty */

void serial_init(void)
{
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_DLAB);
    outb(COM1 + UART_DATA, 1);            /* divisor 1: 115200 baud */
    outb(COM1 + UART_IER, 0);
    outb(COM1 + UART_LCR, LCR_8N1);
    /* FIFOs stay off, as at reset: changing FCR's enable bit empties the receive FIFO and
       the holding register (PC16550D, FCR bit 0; QEMU's serial.c too), losing a byte typed
       (or fed) before this point; with them off, QEMU holds every further byte until the one
       in the holding register is read, so no input is lost, ever. */
    outb(COM1 + UART_FCR, 0);
    outb(COM1 + UART_MCR, MCR_DTR_RTS_OUT2);
}

void serial_putc(char c)
{
    while (!(inb(COM1 + UART_LSR) & LSR_THRE))
        ;
    outb(COM1 + UART_DATA, (uint8_t)c);
}

static bool at_line_start = true;

/* Write bytes to the console, turning "\n" into "\r\n" as a terminal expects. */
void serial_write(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n')
            serial_putc('\r');
        serial_putc(s[i]);
    }
    if (n)
        at_line_start = s[n - 1] == '\n';
}

/* Kernel event lines must start a line even if the user's output did not end one. */
void serial_start_line(void)
{
    if (!at_line_start)
        serial_write("\n", 1);
}

/* Enable the receive interrupt. */
void serial_rx_enable(void)
{
    outb(COM1 + UART_IER, IER_RX);
}

void console_rx(char c);  /* console.c */
bool console_room(void);  /* console.c */

/* IRQ 4 (and console reads): move the receive FIFO into the console line discipline while it
   has room; the rest stays in the UART, and QEMU holds back what follows (no byte lost). */
void serial_intr(void)
{
    while (console_room() && (inb(COM1 + UART_LSR) & LSR_DR))
        console_rx((char)inb(COM1 + UART_DATA));
}
