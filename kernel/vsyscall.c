/*
 * The vsyscall page as Linux's default vsyscall=xonly (arch/x86/entry/vsyscall/
 * vsyscall_64.c): old binaries call gettimeofday, time and getcpu at fixed addresses in
 * the kernel half (VSYSCALL_PAGE + 0x000, 0x400, 0x800). Nothing is mapped there, so the
 * call is a #PF, an instruction fetch from ring 3 (error code U and I/D: the I/D bit is
 * reported because EFER.NXE is on, SDM Vol. 3A 4.7), and trap() hands it here first.
 *
 * As Linux's emulate_vsyscall:
 *   - a write, a fault from ring 0, or a read (CR2 != RIP) is not emulated: the normal
 *     SIGSEGV (SEGV_MAPERR at CR2);
 *   - an instruction fetch at any other offset of the page: SIGSEGV, SI_KERNEL
 *     ("misaligned vsyscall");
 *   - the return address is read from the user stack like any user memory (copyin: a
 *     stack pointer outside user memory or on an unmapped page is -EFAULT, nothing in the
 *     kernel half is ever read): if that fails, SIGSEGV, SI_KERNEL ("bad stack");
 *   - an output pointer outside user memory: SIGSEGV, SEGV_MAPERR at it (write_ok_or_segv);
 *     a user pointer the call then cannot write: SIGSEGV, SI_KERNEL;
 *   - else the call runs, RAX gets its result, and the `ret` is emulated: RIP = the
 *     caller's return address, RSP + 8.
 * A 32-bit process cannot fetch there: its addresses end at 4 GiB, so 0xff600000 is an
 * ordinary unmapped address (SIGSEGV, as on Linux).
 */
#include "kernel.h"
#include "errno.h"
#include "kargs.h"
#include "mmu.h"
#include "proc.h"
#include "signal.h"
#include "syscall.h"
#include "trap.h"
#include "traps.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"

/* Linux's write_ok_or_segv: a pointer outside user memory is SIGSEGV at once. NULL passes
   (access_ok accepts address 0; the call then skips it or faults). */
static bool write_ok_or_segv(struct proc *p, uint64_t ptr, uint64_t size)
{
    if (user_range_ok(ptr, size))
        return true;
    signal_force_segv_at(p, ptr);
    return false;
}

/* Linux's sys_getcpu for the one CPU: cpu 0, node 0 (gdt.h's CPUNODE says the same). */
static int64_t vgetcpu(struct proc *p, uint64_t ucpu, uint64_t unode)
{
    uint32_t zero = 0;
    if (ucpu && copyout(p->pml4, ucpu, &zero, sizeof zero))
        return -EFAULT;
    if (unode && copyout(p->pml4, unode, &zero, sizeof zero))
        return -EFAULT;
    return 0;
}

static void bad_vsyscall(struct proc *p, struct trapframe *tf, const char *why)
{
    kevent("vsyscall pid=%d rip=0x%lx rsp=0x%lx bad=%s", p->pid, tf->rip, tf->rsp, why);
    signal_force_sigsegv(p);
}

bool vsyscall_emulate(struct trapframe *tf)
{
    uint64_t addr = rcr2();
    struct proc *p = myproc();
    if (ALIGN_DOWN(addr, PAGE_SIZE) != VSYSCALL_PAGE)
        return false;
    if ((tf->error & (PF_ERR_W | PF_ERR_U)) != PF_ERR_U || addr != tf->rip || !(tf->error & PF_ERR_I))
        return false;                                /* a read or write: the normal SIGSEGV */
    uint64_t off = addr - VSYSCALL_PAGE;
    if (off != VSYSCALL_GTOD && off != VSYSCALL_TIME && off != VSYSCALL_CPU) {
        bad_vsyscall(p, tf, "misaligned");
        return true;
    }
    uint64_t caller;
    if (copyin(p->pml4, &caller, tf->rsp, sizeof caller)) {
        bad_vsyscall(p, tf, "stack");
        return true;
    }
    int64_t ret;
    const char *name;
    if (off == VSYSCALL_GTOD) {
        name = "gettimeofday";
        if (!write_ok_or_segv(p, tf->rdi, 16) || !write_ok_or_segv(p, tf->rsi, 8))
            return true;
        ret = sys_gettimeofday(tf);
    } else if (off == VSYSCALL_TIME) {
        name = "time";
        if (!write_ok_or_segv(p, tf->rdi, 8))
            return true;
        ret = sys_time(tf);
    } else {
        name = "getcpu";
        if (!write_ok_or_segv(p, tf->rdi, 4) || !write_ok_or_segv(p, tf->rsi, 4))
            return true;
        ret = vgetcpu(p, tf->rdi, tf->rsi);
    }
    if (ret == -EFAULT) {
        bad_vsyscall(p, tf, "fault");
        return true;
    }
    if (kargs.trace_syscall)
        kevent("vsyscall pid=%d name=%s ret=%ld caller=0x%lx", p->pid, name, ret, caller);
    tf->rax = (uint64_t)ret;
    tf->rip = caller;                                /* the `ret` the page would have run */
    tf->rsp += 8;
    return true;
}
