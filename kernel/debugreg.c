/*
 * Debug registers of a traced thread (DR0-DR7 through PTRACE_PEEKUSER/POKEUSER at
 * offsetof(struct user, u_debugreg)), checked and answered as Linux's ptrace_set_debugreg
 * and ptrace_get_debugreg (arch/x86/kernel/ptrace.c) with the checks of its breakpoint layer
 * (arch/x86/kernel/hw_breakpoint.c: arch_build_bp_info, hw_breakpoint_arch_parse,
 * arch_check_bp_in_kernelspace): no address of the kernel half (nor the last user page, as
 * Linux's TASK_SIZE_MAX), only data-write, data-read/write and 1-byte execute breakpoints,
 * addresses aligned to their length, DR4/DR5 -EIO. A refused DR7 leaves every breakpoint as
 * it was (Linux's second pass restores the old DR7).
 *
 * The registers the tracer writes are never loaded as given: the scheduler arms the CPU's
 * DR0-DR3 and a DR7 built here (local enables, R/W and LEN fields only; never GD, which
 * would make the kernel's own DR accesses fault) while the thread runs, and disarms DR7 when
 * it is switched out (SDM Vol. 3B 17.2). A #DB taken in ring 3 becomes SIGTRAP with Linux's
 * si_code and its virtual DR6 (arch/x86/kernel/traps.c exc_debug_user).
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"
#include "trap.h"

#define DR6_RESERVED   0xffff0ff0UL   /* DR6 bits that read as 1 (Linux DR6_RESERVED): reads flip them */
#define DR6_TRAP_BITS  0xfUL          /* B0-B3: breakpoint n's condition was met */
#define DR6_BS         0x4000UL       /* single step (TF) */
#define DR7_L(n)       (1UL << ((n) * 2))        /* local enable of breakpoint n */
#define DR7_ENABLE(n)  (3UL << ((n) * 2))        /* local or global enable: either arms it (Linux decode_dr7) */
#define DR7_FIELD(n)   (16 + (n) * 4)            /* its R/W (2 bits) and LEN (2 bits) */
#define DR_RW_EXEC     0              /* break on instruction fetch */
#define DR_RW_WRITE    1              /* data writes */
#define DR_RW_IO       2              /* I/O: refused (Linux has no generic type for it) */
#define DR_RW_RW       3              /* data reads and writes */
#define DR_LEN_1       0              /* LEN encodings (SDM Vol. 3B Table 17-2) */
#define DR_LEN_2       1
#define DR_LEN_8       2
#define DR_LEN_4       3
#define TRAP_HWBKPT    4              /* si_code: hardware breakpoint/watchpoint */

static uint64_t len_bytes(uint8_t len)
{
    return len == DR_LEN_2 ? 2 : len == DR_LEN_4 ? 4 : len == DR_LEN_8 ? 8 : 1;
}

/* Linux hw_breakpoint_parse for a ptrace breakpoint (exclude_kernel): -EINVAL or 0. */
static int check_bp(uint64_t addr, uint8_t len, uint8_t type)
{
    uint64_t n = len_bytes(len);
    if (type == DR_RW_IO || (type == DR_RW_EXEC && len != DR_LEN_1))
        return -EINVAL;                           /* arch_bp_generic_fields */
    if (addr >= USER_LIMIT || addr + n - 1 >= USER_LIMIT)
        return -EINVAL;                           /* arch_check_bp_in_kernelspace */
    if (type != DR_RW_EXEC && (addr & (n - 1)))
        return -EINVAL;                           /* hw_breakpoint_arch_parse: aligned to its length */
    return 0;
}

/* The DR7 the CPU gets while the thread runs. */
static void rearm(struct debugregs *d)
{
    d->hw_dr7 = 0;
    for (int i = 0; i < 4; i++)
        if (d->registered[i] && d->enabled[i])
            d->hw_dr7 |= DR7_L(i) | ((uint64_t)(d->type[i] | d->len[i] << 2) << DR7_FIELD(i));
}

/* Apply `dr7` to the four breakpoints (Linux ptrace_write_dr7's pass): the first error, or 0. */
static int apply_dr7(struct debugregs *d, uint64_t dr7)
{
    for (int i = 0; i < 4; i++) {
        bool enable = dr7 & DR7_ENABLE(i);
        uint8_t type = (dr7 >> DR7_FIELD(i)) & 3, len = (dr7 >> (DR7_FIELD(i) + 2)) & 3;
        if (!enable) {
            d->enabled[i] = false;                /* a disabled breakpoint keeps its len and type */
            continue;
        }
        int r = check_bp(d->registered[i] ? d->addr[i] : 0, len, type);
        if (r)
            return r;
        if (!d->registered[i])
            d->addr[i] = 0;
        d->registered[i] = d->enabled[i] = true;
        d->type[i] = type;
        d->len[i] = len;
    }
    return 0;
}

int debugreg_set(struct proc *p, int n, uint64_t val)
{
    struct debugregs *d = &p->pt.dr;
    if (n < 4) {
        uint8_t len = d->registered[n] ? d->len[n] : DR_LEN_1;
        uint8_t type = d->registered[n] ? d->type[n] : DR_RW_WRITE;   /* Linux's stub breakpoint */
        int r = check_bp(val, len, type);
        if (r)
            return r;
        if (!d->registered[n]) {
            d->registered[n] = true;
            d->len[n] = len;
            d->type[n] = type;
        }
        d->addr[n] = val;
    } else if (n == 6) {
        d->virtual_dr6 = val ^ DR6_RESERVED;
    } else if (n == 7) {
        struct debugregs old = *d;
        int r = apply_dr7(d, val);
        if (r) {
            *d = old;                             /* Linux: a second pass restores the old DR7 */
            return r;
        }
        d->dr7 = val;
    } else {
        return -EIO;                              /* DR4, DR5 */
    }
    rearm(d);
    return 0;
}

int debugreg_get(struct proc *p, int n, uint64_t *val)
{
    struct debugregs *d = &p->pt.dr;
    if (n < 4)
        *val = d->registered[n] ? d->addr[n] : 0;
    else if (n == 6)
        *val = d->virtual_dr6 ^ DR6_RESERVED;
    else if (n == 7)
        *val = d->dr7;
    else
        *val = 0;                                 /* DR4, DR5 read as 0 */
    return 0;
}

/* The scheduler switches to p: its breakpoints go live (mov to DRn: SDM Vol. 3B 17.2). */
void debugreg_switch_in(struct proc *p)
{
    struct debugregs *d = &p->pt.dr;
    if (!d->hw_dr7)
        return;
    __asm__ volatile("mov %0, %%dr0\n\tmov %1, %%dr1\n\tmov %2, %%dr2\n\tmov %3, %%dr3\n\tmov %4, %%dr7"
                     ::"r"(d->addr[0]), "r"(d->addr[1]), "r"(d->addr[2]), "r"(d->addr[3]),
                     "r"(d->hw_dr7 | DR7_INIT));
}

/* ... and away from it: nobody else's accesses trap. */
void debugreg_switch_out(struct proc *p)
{
    if (p->pt.dr.hw_dr7)
        __asm__ volatile("mov %0, %%dr7" ::"r"(DR7_INIT));
}

/* execve (Linux flush_ptrace_hw_breakpoint): the new image starts without breakpoints. */
void debugreg_flush(struct proc *p)
{
    debugreg_switch_out(p);
    memset(&p->pt.dr, 0, sizeof p->pt.dr);
}

/*
 * A #DB. From ring 3 (Linux exc_debug_user): the virtual DR6 starts with the single-step bit
 * and gets the bits of the armed breakpoints that fired; SIGTRAP goes with TRAP_TRACE (a
 * step), TRAP_HWBKPT (a breakpoint) or TRAP_BRKPT (no cause recorded: icebp), si_addr the
 * RIP; an instruction breakpoint sets RF in the frame so the return does not fire it again
 * (SDM Vol. 3B 17.3.1.1). From ring 0 there is nothing to do but clear DR6: TF is clear in
 * the kernel (FMASK, interrupt gates) and the kernel reaches user memory only through its
 * direct map, never through the user addresses the breakpoints watch. Returns true: handled.
 */
bool debugreg_exception(struct trapframe *tf, bool from_user)
{
    uint64_t dr6;
    __asm__ volatile("mov %%dr6, %0\n\tmov %1, %%dr6" : "=&r"(dr6) : "r"(DR6_INIT));
    dr6 ^= DR6_RESERVED;                          /* 1 = condition met, as Linux reads it */
    struct proc *p = myproc();
    if (!from_user || !p)
        return true;
    struct debugregs *d = &p->pt.dr;
    uint64_t armed = 0;
    for (int i = 0; i < 4; i++)
        if (d->registered[i] && d->enabled[i])
            armed |= 1UL << i;
    uint64_t hit = dr6 & DR6_TRAP_BITS & armed;
    d->virtual_dr6 = (dr6 & DR6_BS) | hit;
    for (int i = 0; i < 4; i++)
        if ((hit & (1UL << i)) && d->type[i] == DR_RW_EXEC)
            tf->rflags |= RFLAGS_RF;
    if (!(dr6 & (DR6_BS | DR6_TRAP_BITS)) || (dr6 & DR6_BS) || hit)
        signal_force_trap(p, (dr6 & DR6_BS) ? TRAP_TRACE : hit ? TRAP_HWBKPT : TRAP_BRKPT, tf->rip);
    return true;
}
