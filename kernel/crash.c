/*
 * Kernel faults on purpose, for the lab and the tests: the kernel argument
 * crash=KIND makes the kernel fail at init's first system call (so a user
 * address space is live):
 *   null    ring-0 read of address 0: #PF (error 0x0: supervisor read, not present)
 *   stack   unbounded recursion on the kernel stack into its guard page: the
 *           #PF can't push its frame, so the CPU raises #DF, taken on IST1
 *           (SDM Vol. 3A 6.15 "Interrupt 8 - Double Fault Exception")
 *   smep    ring 0 executes a user page: #PF with I/D set (needs SMEP, -cpu max)
 *   smap    ring 0 reads a user page without stac: #PF (needs SMAP, -cpu max)
 *   triple  load an empty IDT, then fault: no handler can be found for the
 *           fault, nor for the #DF: the CPU shuts down (triple fault)
 * syscall_dispatch calls crash_maybe() only when kargs.crash is set (one
 * predictable branch otherwise); kargs_parse() has refused any other KIND.
 */
#include "kernel.h"
#include "kargs.h"
#include "proc.h"

static volatile uint64_t sink;

__attribute__((noinline)) static uint64_t recurse(uint64_t depth)
{
    volatile uint8_t frame[512];
    frame[0] = (uint8_t)depth;
    if (depth == ~0UL)          /* never: the guard page stops us long before */
        return 0;
    return recurse(depth + 1) + frame[0];
}

void crash_maybe(struct trapframe *tf)
{
    enum crash_kind kind = kargs.crash;
    kargs.crash = CRASH_NONE;                    /* once */
    switch (kind) {
    case CRASH_NULL:
        kevent("crash kind=null");
        sink = *(volatile uint64_t *)0;
        break;
    case CRASH_STACK:
        kevent("crash kind=stack");
        sink = recurse(0);
        break;
    case CRASH_SMEP:
        kevent("crash kind=smep target=0x%lx", tf->rip);
        ((void (*)(void))tf->rip)();
        break;
    case CRASH_SMAP:
        kevent("crash kind=smap target=0x%lx", tf->rsp);
        sink = *(volatile uint64_t *)tf->rsp;
        break;
    case CRASH_TRIPLE:
        kevent("crash kind=triple");
        idt_destroy();
        sink = *(volatile uint64_t *)0;
        break;
    case CRASH_NONE:
        return;
    }
    panic("crash-survived kind=%s", crash_kind_name(kind));   /* e.g. smep/smap on a CPU without them */
}
