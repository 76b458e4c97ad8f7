/*
 * The 8259A PIC pair, remapped to vectors 32-47 (T_IRQ0): every line masked
 * but the cascade until a driver unmasks its IRQ. (Intel 8259A datasheet.)
 */
#include "kernel.h"
#include "proc.h"
#include "traps.h"
#include "x86.h"

#define PIC1_CMD   0x20          /* master command port */
#define PIC1_DATA  0x21          /* master data (mask) port */
#define PIC2_CMD   0xa0          /* slave command port */
#define PIC2_DATA  0xa1          /* slave data (mask) port */
#define PIC_ICW1   0x11          /* edge triggered, cascade, ICW4 follows */
#define PIC_ICW4   0x01          /* 8086 mode */
#define PIC_CASCADE_IRQ 2        /* the slave hangs on the master's IRQ 2 */
#define PIC_EOI    0x20          /* non-specific end of interrupt */

static uint16_t irq_mask = 0xffff & ~(1 << PIC_CASCADE_IRQ);   /* all masked but the cascade */

void pic_init(void)
{
    outb(PIC1_CMD, PIC_ICW1);
    outb(PIC2_CMD, PIC_ICW1);
    outb(PIC1_DATA, T_IRQ0);                     /* ICW2: vector offsets */
    outb(PIC2_DATA, T_IRQ0 + 8);
    outb(PIC1_DATA, 1 << PIC_CASCADE_IRQ);       /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, PIC_CASCADE_IRQ);
    outb(PIC1_DATA, PIC_ICW4);
    outb(PIC2_DATA, PIC_ICW4);
    outb(PIC1_DATA, irq_mask & 0xff);
    outb(PIC2_DATA, irq_mask >> 8);
}

void pic_unmask(int irq)
{
    irq_mask &= ~(1 << irq);
    outb(PIC1_DATA, irq_mask & 0xff);
    outb(PIC2_DATA, irq_mask >> 8);
}

void pic_eoi(uint64_t vector)
{
    if (vector >= T_IRQ0 + 8)
        outb(PIC2_CMD, PIC_EOI);
    outb(PIC1_CMD, PIC_EOI);
}
