/*
 * ioperm(2) and iopl(2): ring-3 port access through the TSS I/O permission bitmap
 * (bitmaps and offsets in percpu.h). The state is per process, kept in ioperm.c by process
 * slot (the index in proc.c's table) so struct proc stays as it is.
 *
 * The ports ring 3 may be given at all, by device (ioperm.c's header says why these and no
 * others). Everything else - fw_cfg and its DMA, PCI configuration and reset control, the DMA
 * controllers and their page registers, PIC, PIT, keyboard controller, CMOS/RTC,
 * isa-debug-exit, IDE and its bus master, and every port no device here names - is refused
 * with -EPERM whatever the process's privilege, and iopl(3) does not open it either.
 *
 *   port    device                             ring 3
 *   0x2e8   COM4  16550 UART, 8 registers      yes
 *   0x2f8   COM2  16550 UART, 8 registers      yes
 *   0x3e8   COM3  16550 UART, 8 registers      yes
 *   0x3f8   COM1  16550 UART, 8 registers      yes  (the kernel's console; userland/uart.c)
 *   anything else                              no
 */
#pragma once
#include "types.h"

struct trapframe;

#define IOPERM_PAGES  2          /* a process's 8 KiB bitmap: two kalloc pages */
#define IOPL_ALL      3          /* the iopl(2) level that grants every port ioperm could */

#define IOPORT_COM1   0x3f8      /* 16550 UART 1: first of its registers (PC standard) */
#define IOPORT_COM2   0x2f8      /* 16550 UART 2 */
#define IOPORT_COM3   0x3e8      /* 16550 UART 3 */
#define IOPORT_COM4   0x2e8      /* 16550 UART 4 */
#define IOPORT_UART_N 8          /* a 16550 decodes 8 ports: base+0..7 (PC16550D table 2) */

/*
 * The table, as an X macro so that ioperm.c builds its bitmap from it and kabi.c emits it to
 * images/kabi.json (the tests learn the ranges from the build): X(name, first port, count).
 * Ascending by port, ranges disjoint.
 */
#define IOPORT_USER_TABLE(X)                  \
    X(com4, IOPORT_COM4, IOPORT_UART_N)       \
    X(com2, IOPORT_COM2, IOPORT_UART_N)       \
    X(com3, IOPORT_COM3, IOPORT_UART_N)       \
    X(com1, IOPORT_COM1, IOPORT_UART_N)

void ioperm_init(void);                      /* gdt_init: bitmaps closed, table ports for iopl(3) */
void ioperm_switch(int slot);                /* scheduler: slot is about to run */
int ioperm_fork(int child);                  /* fork: child (a slot) gets the running one's; -ENOMEM */
void ioperm_release(int slot);               /* the slot's process is gone: free its bitmap */
int ioperm_regset_get(int slot, uint64_t ubuf, uint64_t len);   /* NT_386_IOPERM: -ENXIO, -EFAULT */
bool ioperm_fixup_cli_sti(struct trapframe *tf);   /* #GP at CPL 3: skip cli/sti after iopl(3) */
