/*
 * The 8254 PIT channel 0 on IRQ 0 at TIMER_HZ: the preemption tick and the
 * clock behind clock_gettime. (Intel 8254 datasheet.)
 */
#include "kernel.h"
#include "proc.h"
#include "signal.h"
#include "traps.h"
#include "vdso.h"
#include "x86.h"

#define PIT_CH0    0x40          /* channel 0 data port */
#define PIT_CMD    0x43          /* mode/command port */
#define PIT_MODE2  0x34          /* channel 0, lo/hi byte, mode 2 (rate generator) */
#define PIT_HZ     1193182       /* PIT input clock */

volatile uint64_t ticks;
uint64_t idle_ticks;

void timer_init(void)
{
    uint16_t divisor = PIT_HZ / TIMER_HZ;
    outb(PIT_CMD, PIT_MODE2);
    outb(PIT_CH0, divisor & 0xff);
    outb(PIT_CH0, divisor >> 8);
    pic_unmask(0);
}

/* Who the tick found (trap.c, before it may yield): the running thread's ring 3 or kernel time,
   or the idle scheduler (Linux account_process_tick, at tick granularity). */
void timer_account(const struct trapframe *tf)
{
    struct proc *p = myproc();
    if (!p)
        idle_ticks++;
    else if ((tf->cs & 3) == 3)
        p->utime++;
    else
        p->stime++;
    if (p)
        rlimit_cpu_tick(p);
}

void timer_intr(void)
{
    ticks++;
    vdso_tick();                     /* the vDSO's clocks ([vvar]) follow the tick */
    wakeup((void *)&ticks);          /* poll and nanosleep look at the clock again */
    pic_eoi(T_TIMER);
}
