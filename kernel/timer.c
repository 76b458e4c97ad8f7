/*
 * The 8259A PIC pair, remapped to vectors 32-47, and the 8254 PIT on IRQ 0
 * at TIMER_HZ: the preemption tick. (Intel 8259A and 8254 datasheets.)
 */
#include "kernel.h"
#include "proc.h"
#include "traps.h"
#include "x86.h"

#define PIC1_CMD   0x20
#define PIC1_DATA  0x21
#define PIC2_CMD   0xa0
#define PIC2_DATA  0xa1
#define PIC_EOI    0x20
#define PIT_CH0    0x40
#define PIT_CMD    0x43
#define PIT_HZ     1193182      /* PIT input clock */
#define TIMER_HZ   100          /* preemption ticks per second */

volatile uint64_t ticks;
static uint16_t irq_mask = 0xffff & ~(1 << 2);   /* all masked but the cascade line */

void pic_init(void)
{
    outb(PIC1_CMD, 0x11);            /* ICW1: edge triggered, cascade, ICW4 follows */
    outb(PIC2_CMD, 0x11);
    outb(PIC1_DATA, T_IRQ0);         /* ICW2: vector offsets */
    outb(PIC2_DATA, T_IRQ0 + 8);
    outb(PIC1_DATA, 1 << 2);         /* ICW3: slave on IRQ 2 */
    outb(PIC2_DATA, 2);
    outb(PIC1_DATA, 0x01);           /* ICW4: 8086 mode */
    outb(PIC2_DATA, 0x01);
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

void timer_init(void)
{
    uint16_t divisor = PIT_HZ / TIMER_HZ;
    outb(PIT_CMD, 0x34);             /* channel 0, lo/hi byte, mode 2 (rate generator) */
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
    pic_unmask(0);
}

void timer_intr(void)
{
    ticks++;
    wakeup((void *)&ticks);          /* poll and nanosleep look at the clock again */
    pic_eoi(T_TIMER);
}
