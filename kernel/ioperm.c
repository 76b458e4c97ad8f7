/*
 * User-mode drivers: ioperm(2) and iopl(2) as Linux (5.5 and later) does them.
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
 *     of zeros (IOMAP_OFF_ALL), so every port is allowed but cli/sti still need CPL <= IOPL
 *     and fault. Linux then skips a plain cli or sti (a one-byte instruction, no prefix) of an
 *     iopl(3) process instead of killing it, printing a warning once (fixup_iopl_exception,
 *     arch/x86/kernel/traps.c); ioperm_fixup_cli_sti() does the same with an `iopl-skip`
 *     event. Levels 1 and 2 are accepted and grant nothing, as on Linux.
 *   - Permission: raising needs CAP_SYS_RAWIO (cred.h: root has it, a user or root after
 *     setresuid to nonzero ids does not: -EPERM). from + num beyond 0x10000, a
 *     zero num or a wrap-around is -EINVAL; iopl(level > 3) is -EINVAL.
 *   - Inheritance, as Linux: fork copies both (the child starts with the parent's bitmap and
 *     level); execve keeps both (ioperm(2): "preserved across execve(2)"; Linux's flush_thread
 *     does not touch them). No port is special: a process that asks for 0xf4 (QEMU's
 *     isa-debug-exit) gets it and can stop the machine, as root on Linux can power off; the
 *     harness then sees QEMU exit without the kernel's halt line and never calls it a pass.
 *
 * Cost of a switch (one CPU; the TSS bitmap holds one process's bits at a time): a process
 * without ioperm costs one 16-bit store (iomap_base). Otherwise the bitmap is copied only when
 * the TSS holds other bytes (a sequence number names each bitmap's contents; a forked child
 * keeps its parent's), and only bytes [0, max) where max is one past the last byte with an
 * allowed port: ioperm(0x3f8, 8, 1) copies 128 bytes, ioperm of port 0xffff 8 KiB.
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
    unsigned iopl;               /* iopl(2) level 0..3; IOPL_ALL grants every port */
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

static uint8_t *bm_byte(const struct iostate *st, uint32_t i)
{
    return &st->page[i / PAGE_SIZE][i % PAGE_SIZE];
}

void ioperm_init(void)
{
    struct cpu *c = &cpu0;
    memset(c->iomap, 0xff, sizeof c->iomap);            /* every port denied, closing byte */
    memset(c->iomap_all, 0, IOMAP_BYTES);               /* every port allowed (iopl 3) */
    c->iomap_all[IOMAP_BYTES] = 0xff;                   /* SDM Vol. 1 19.5.2: the closing byte */
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

/* ioperm(unsigned long from, unsigned long num, int turn_on) */
int64_t sys_ioperm(struct trapframe *tf)
{
    uint64_t from = tf->rdi, num = tf->rsi;
    int turn_on = (int)tf->rdx;                  /* an int, as Linux reads it */
    struct iostate *st = &io[running];

    if (from + num <= from || from + num > IOMAP_PORTS)
        return -EINVAL;
    if (turn_on && !capable(CAP_SYS_RAWIO))
        return -EPERM;                           /* Linux ksys_ioperm: turning on needs CAP_SYS_RAWIO */
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
    if (level > st->iopl && !capable(CAP_SYS_RAWIO))
        return -EPERM;                           /* raising needs CAP_SYS_RAWIO; lowering never (Linux) */
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
