/*
 * User-mode drivers: ioperm(2) and iopl(2) as Linux (5.5 and later) does them, restricted to
 * the ports of devices that cannot reach memory or control the machine.
 *
 * At CPL 3 with RFLAGS.IOPL 0 (always, for every process: FMASK and execve clear it, and
 * popf/iretq at CPL 3 cannot raise it), every in/out/ins/outs consults the TSS's I/O permission
 * bitmap: one bit per port, 0 = allowed, every byte of a multi-byte access checked; a base past
 * the TSS limit means no bitmap and a #GP(0) for every port (SDM Vol. 1 19.5.2; percpu.h has
 * the layout). So:
 *
 *   - ioperm(from, num, on) sets or clears the process's own bits; the scheduler puts them in
 *     the TSS when the process runs (IOMAP_OFF_PROC). A process that never asked (or dropped
 *     everything) runs with IOMAP_OFF_NONE: every port faults, as before ioperm existed.
 *   - iopl(3) does NOT raise RFLAGS.IOPL: like Linux since 5.5 it points the TSS at a bitmap
 *     of its own (IOMAP_OFF_ALL), but cli/sti still need CPL <= IOPL and fault. Linux then
 *     skips a plain cli or sti (a one-byte instruction, no prefix) of an iopl(3) process
 *     instead of killing it, printing a warning once (fixup_iopl_exception,
 *     arch/x86/kernel/traps.c); ioperm_fixup_cli_sti() does the same with an `iopl-skip`
 *     event. Levels 1 and 2 are accepted and grant nothing, as on Linux.
 *   - Errors, in Linux's order (ksys_ioperm, ksys_iopl, arch/x86/kernel/ioport.c): from + num
 *     beyond 0x10000, a zero num or a wrap-around is -EINVAL; iopl(level > 3) is -EINVAL;
 *     then turning ports on (or raising the level) without the privilege is -EPERM, and so is
 *     turning on any port outside the table below. Turning bits off, or lowering the level,
 *     always succeeds.
 *   - Permission: raising needs CAP_SYS_RAWIO (cred.h: root has it, a user or root after
 *     setresuid to nonzero ids does not).
 *   - Inheritance, as Linux: fork copies both (the child starts with the parent's bitmap and
 *     level); execve keeps both (ioperm(2): "preserved across execve(2)"; Linux's flush_thread
 *     does not touch them).
 *
 * The port policy: a deliberate difference from Linux. Linux gives a process with
 * CAP_SYS_RAWIO any port, so its root can do anything with the hardware. ringlab gives even
 * its most privileged process only the ports IOPORT_USER_TABLE (ioperm.h) names, by device,
 * and iopl(3)'s bitmap opens exactly those (built from the same table at boot), because a
 * port open to ring 3 that reaches memory or the machine's control is ring 0 in all but name:
 * QEMU's fw_cfg DMA (0x510-0x51b, the DMA address at 0x514) writes guest-physical memory with
 * no page-table check (a program copied its own code over a system call that way), PCI
 * configuration (0xcf8-0xcff) can turn on a device's bus-master DMA and 0xcf9 resets the
 * machine, the DMA controllers (0x00-0x1f, 0xc0-0xdf, page registers 0x80-0x9f) and the IDE
 * bus master move memory, the PIC and PIT (0x20/0x21, 0xa0/0xa1, 0x40-0x43) take the
 * scheduler's timer, the keyboard controller (0x60/0x64) and isa-debug-exit (0xf4) reset or
 * stop the machine, CMOS (0x70/0x71) gates NMIs. The table holds only the four PC UARTs: a
 * 16550 has no bus-master or DMA logic, and the worst a driver can do with it is disturb the
 * serial line (on COM1 that is the kernel's console, the one the lab's driver, uart.c, writes
 * to). Nothing else is listed: no other device a ring-3 program here drives needs it, and a
 * device is added only when it can neither reach memory nor control the machine. Privilege
 * and policy are separate checks: ioport_privileged() is the one place that decides who may
 * ask at all; the table limits what anyone gets.
 *
 * Cost of a switch (one CPU; the TSS bitmap holds one process's bits at a time): a process
 * without ioperm costs one 16-bit store (iomap_base). Otherwise the bitmap is copied only when
 * the TSS holds other bytes (a sequence number names each bitmap's contents; a forked child
 * keeps its parent's), and only bytes [0, max) where max is one past the last byte with an
 * allowed port: at most 128 bytes, since no table port lies above 0x3ff.
 */
#include "kernel.h"
#include "cred.h"
#include "errno.h"
#include "ioperm.h"
#include "mmu.h"
#include "percpu.h"
#include "proc.h"
#include "syscall.h"
#include "trap.h"
#include "vm.h"

#define OP_CLI  0xfa             /* cli opcode (SDM Vol. 2A "CLI") */
#define OP_STI  0xfb             /* sti opcode (SDM Vol. 2B "STI") */

_Static_assert(IOPERM_PAGES * PAGE_SIZE == IOMAP_BYTES, "a process bitmap fills its pages");

struct iostate {
    uint8_t *page[IOPERM_PAGES]; /* the bitmap, 1 = denied (the TSS's sense); NULL: none */
    uint32_t max;                /* bytes [0, max) hold every 0 bit, the rest are all 0xff;
                                    a multiple of 8, as Linux counts it in longs */
    uint64_t seq;                /* names the contents: equal seq, equal bytes */
    unsigned iopl;               /* iopl(2) level 0..3; IOPL_ALL grants the table's ports */
    bool warned;                 /* the iopl-skip event was printed (once per process) */
};

static struct iostate io[NPROC];      /* by process slot */
static int running = -1;              /* slot of the process the scheduler last switched to */
static uint64_t next_seq = 1;
static uint64_t loaded_seq;           /* whose bytes cpu0.iomap holds; 0: all 0xff */
static uint32_t loaded_max;           /* cpu0.iomap bytes from loaded_max on are 0xff (x8) */

/* Copy and fill 8 bytes at a time (n: bytes, a multiple of 8): an 8 KiB bitmap is 1024 moves. */
static void quads_copy(void *d, const void *src, uint64_t n)
{
    n /= 8;
    __asm__ volatile("cld; rep movsq" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
}

static void quads_fill_ones(void *d, uint64_t n)
{
    n /= 8;
    __asm__ volatile("cld; rep stosq" : "+D"(d), "+c"(n) : "a"(~0UL) : "memory");
}

/* The ports ring 3 may be given (ioperm.h), by device. */
struct ioport_range {
    uint16_t first;              /* first port */
    uint16_t n;                  /* how many */
};
#define IOPORT_ROW(name, first, n) { (first), (n) },
static const struct ioport_range ioport_user[] = { IOPORT_USER_TABLE(IOPORT_ROW) };

static bool ioport_in_table(uint64_t port)
{
    for (size_t i = 0; i < sizeof ioport_user / sizeof ioport_user[0]; i++)
        if (port - ioport_user[i].first < ioport_user[i].n)
            return true;
    return false;
}

/* Every port of [from, from + num) is in the table (the caller has checked the range). */
static bool ioport_table_allows(uint64_t from, uint64_t num)
{
    for (uint64_t port = from; port < from + num; port++)
        if (!ioport_in_table(port))
            return false;
    return true;
}

/* The privilege that opening ports needs: CAP_SYS_RAWIO, as Linux asks capable(CAP_SYS_RAWIO)
   in ksys_ioperm and ksys_iopl (cred.h). It never widens the table: see the port policy above. */
static bool ioport_privileged(void)
{
    return capable(CAP_SYS_RAWIO);
}

static uint8_t *bm_byte(const struct iostate *st, uint32_t i)
{
    return &st->page[i / PAGE_SIZE][i % PAGE_SIZE];
}

void ioperm_init(void)
{
    struct cpu *c = &cpu0;
    memset(c->iomap, 0xff, sizeof c->iomap);            /* every port denied, closing byte */
    memset(c->iomap_all, 0xff, sizeof c->iomap_all);    /* iopl(3): the table's ports only, */
    for (uint32_t port = 0; port < IOMAP_PORTS; port++) /* and the closing byte stays 0xff */
        if (ioport_in_table(port))
            c->iomap_all[port / 8] &= (uint8_t)~(1u << (port % 8));
    c->tss.iomap_base = IOMAP_OFF_NONE;
    loaded_seq = 0;
    loaded_max = 0;
}

/* Point the TSS at what `st` allows; copy its bitmap in if the TSS holds other bytes. */
static void tss_load(const struct iostate *st)
{
    struct cpu *c = &cpu0;
    if (st->iopl == IOPL_ALL) {
        c->tss.iomap_base = IOMAP_OFF_ALL;
        return;
    }
    if (!st->page[0]) {
        c->tss.iomap_base = IOMAP_OFF_NONE;
        return;
    }
    if (st->seq != loaded_seq) {
        for (uint32_t off = 0; off < st->max; off += PAGE_SIZE) {
            uint32_t n = st->max - off < PAGE_SIZE ? st->max - off : PAGE_SIZE;
            quads_copy(c->iomap + off, st->page[off / PAGE_SIZE], n);
        }
        if (loaded_max > st->max)
            quads_fill_ones(c->iomap + st->max, loaded_max - st->max);
        loaded_seq = st->seq;
        loaded_max = st->max;
    }
    c->tss.iomap_base = IOMAP_OFF_PROC;
}

void ioperm_switch(int slot)
{
    running = slot;
    tss_load(&io[slot]);
}

static void bitmap_free(struct iostate *st)
{
    for (int i = 0; i < IOPERM_PAGES; i++)
        if (st->page[i])
            kfree(st->page[i]);
    memset(st->page, 0, sizeof st->page);
    st->max = 0;
    st->seq = 0;
}

void ioperm_release(int slot)
{
    bitmap_free(&io[slot]);
    memset(&io[slot], 0, sizeof io[slot]);
}

static int bitmap_alloc(struct iostate *st)
{
    for (int i = 0; i < IOPERM_PAGES; i++) {
        if (!(st->page[i] = kalloc())) {
            for (int j = 0; j < i; j++)
                kfree(st->page[j]);
            memset(st->page, 0, sizeof st->page);
            return -ENOMEM;
        }
    }
    return 0;
}

int ioperm_fork(int child)
{
    const struct iostate *p = &io[running];
    struct iostate *c = &io[child];
    ioperm_release(child);
    c->iopl = p->iopl;
    if (!p->page[0])
        return 0;
    if (bitmap_alloc(c))
        return -ENOMEM;
    for (int i = 0; i < IOPERM_PAGES; i++)
        quads_copy(c->page[i], p->page[i], PAGE_SIZE);
    c->max = p->max;
    c->seq = p->seq;                 /* same bytes: switching between the two copies nothing */
    return 0;
}

/*
 * PTRACE_GETREGSET NT_386_IOPERM (Linux ioperm_get): the first `len` bytes (at most
 * IOMAP_BYTES) of the slot's bitmap, in the TSS format (a set bit denies the port), to the
 * caller's ubuf. -ENXIO for a process without one (it never turned a port on, or dropped
 * them all; iopl(3) alone makes none, as Linux 5.5+), -EFAULT.
 */
int ioperm_regset_get(int slot, uint64_t ubuf, uint64_t len)
{
    const struct iostate *st = &io[slot];
    if (!st->page[0])
        return -ENXIO;
    for (uint64_t done = 0; done < len;) {
        uint64_t n = PAGE_SIZE - done % PAGE_SIZE < len - done ? PAGE_SIZE - done % PAGE_SIZE : len - done;
        if (copyout(myproc()->pml4, ubuf + done, bm_byte(st, (uint32_t)done), n))
            return -EFAULT;
        done += n;
    }
    return 0;
}

/* ioperm(unsigned long from, unsigned long num, int turn_on) */
int64_t sys_ioperm(struct trapframe *tf)
{
    uint64_t from = tf->rdi, num = tf->rsi;
    int turn_on = (int)tf->rdx;                  /* an int, as Linux reads it */
    struct iostate *st = &io[running];

    if (from + num <= from || from + num > IOMAP_PORTS)
        return -EINVAL;
    /* Turning on needs the privilege, and every port in the table; turning off never fails. */
    if (turn_on && (!ioport_privileged() || !ioport_table_allows(from, num)))
        return -EPERM;
    if (!st->page[0]) {
        if (!turn_on)
            return 0;                            /* nothing allowed, nothing to clear */
        if (bitmap_alloc(st))
            return -ENOMEM;
        for (int i = 0; i < IOPERM_PAGES; i++)
            quads_fill_ones(st->page[i], PAGE_SIZE);
    }
    for (uint64_t port = from; port < from + num; port++) {
        uint8_t *b = bm_byte(st, (uint32_t)(port / 8)), bit = (uint8_t)(1u << (port % 8));
        *b = turn_on ? *b & ~bit : *b | bit;
    }
    uint32_t max = IOMAP_BYTES;
    while (max > 0 && *bm_byte(st, max - 1) == 0xff)
        max--;
    max = ALIGN_UP(max, 8);
    if (max) {
        st->max = max;
        st->seq = next_seq++;
    } else {
        bitmap_free(st);                         /* everything dropped: free it, as Linux */
    }
    tss_load(st);
    return 0;
}

/* iopl(unsigned int level) */
int64_t sys_iopl(struct trapframe *tf)
{
    uint32_t level = (uint32_t)tf->rdi;
    struct iostate *st = &io[running];
    if (level > 3)
        return -EINVAL;
    /* Raising needs the privilege (Linux: CAP_SYS_RAWIO); lowering never does. Level 3 opens
       only the table's ports: iomap_all is built from it (ioperm_init). */
    if (level > st->iopl && !ioport_privileged())
        return -EPERM;
    st->iopl = level;
    tss_load(st);
    return 0;
}

/*
 * A #GP at CPL 3. After iopl(3), a cli or sti (one byte, no prefix) is skipped as Linux does
 * (the interrupt flag is untouched: the process only believes it changed it); the first one
 * of a process prints `iopl-skip`. Anything else is an ordinary fault: returns false.
 */
bool ioperm_fixup_cli_sti(struct trapframe *tf)
{
    struct iostate *st = &io[running];
    uint8_t op;
    if (st->iopl != IOPL_ALL || copyin(myproc()->pml4, &op, tf->rip, 1))
        return false;
    if (op != OP_CLI && op != OP_STI)
        return false;
    if (!st->warned)
        kevent("iopl-skip pid=%d rip=0x%lx insn=%s", myproc()->pid, tf->rip, op == OP_CLI ? "cli" : "sti");
    st->warned = true;
    tf->rip += 1;
    return true;
}
