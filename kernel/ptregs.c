/*
 * A tracee's registers and memory as ptrace reads and writes them (Linux arch/x86/kernel/ptrace.c
 * getreg/putreg, genregs_get/set, xfpregs_set, ptrace_regset; mm/memory.c access_process_vm):
 * struct user_regs_struct word by word from the trap frame and struct proc, every word the
 * tracer sets checked as rt_sigreturn checks a frame (signal.c's signal_user_rflags and
 * signal_fx_valid), the regsets, and one word of user memory at a time. The tracee is stopped
 * (switched out): its FS/GS bases, selectors and fxsave image are in struct proc, where the
 * scheduler loads them from when it runs again.
 */
#include "kernel.h"
#include "errno.h"
#include "fpu.h"
#include "gdt.h"
#include "ioperm.h"
#include "mmu.h"
#include "percpu.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"
#include "trap.h"
#include "traps.h"
#include "vdso.h"
#include "vm.h"

#define REG_ORIG_RAX 15               /* indices of the words handled apart (asm/user_64.h order) */
#define REG_RIP      16
#define REG_CS       17
#define REG_EFLAGS   18
#define REG_SS       20
#define REG_FS_BASE  21
#define REG_GS_BASE  22
#define REG_DS       23               /* ds, es, fs, gs: p->seg[0..3] */
#define REG_GS       26

/* Where each word of struct user_regs_struct lives in the trap frame (-1: elsewhere). */
#define TFO(f) (int16_t)__builtin_offsetof(struct trapframe, f)
static const int16_t regs_tf[USER_REGS] = {
    TFO(r15), TFO(r14), TFO(r13), TFO(r12), TFO(rbp), TFO(rbx), TFO(r11), TFO(r10), TFO(r9), TFO(r8),
    TFO(rax), TFO(rcx), TFO(rdx), TFO(rsi), TFO(rdi), -1 /* orig_rax */, TFO(rip), TFO(cs), -1 /* eflags */,
    TFO(rsp), TFO(ss), -1, -1, -1, -1, -1, -1,
};

/* ---- the tracee's registers ------------------------------------------------ */

/* Did the frame come from a system call (64-bit, int $0x80, compat syscall or sysenter)? */
static bool in_syscall(const struct trapframe *tf)
{
    return tf->vector == T_SYSCALL || tf->vector == T_INT80 || tf->vector == T_SYSCALL32 ||
           tf->vector == T_SYSENTER;
}

static uint64_t *tf_word(struct trapframe *tf, int i)
{
    return (uint64_t *)((uint8_t *)tf + regs_tf[i]);
}

/* Word i of the tracee's struct user_regs_struct (Linux getreg). */
uint64_t ptregs_get(struct proc *c, int i)
{
    struct trapframe *tf = c->tf;
    switch (i) {
    case REG_ORIG_RAX:                          /* -1 unless stopped in a system call (Linux orig_ax) */
        return in_syscall(tf) ? tf->error : (uint64_t)-1;
    case REG_EFLAGS:                            /* the tracer's own TF is not shown (Linux get_flags) */
        return tf->rflags & ~(uint64_t)(c->pt.forced_tf ? RFLAGS_TF : 0);
    case REG_FS_BASE:
        return c->fs_base;
    case REG_GS_BASE:
        return c->gs_base;
    default:
        if (i >= REG_DS)
            return c->seg[i - REG_DS];
        return *tf_word(tf, i);
    }
}

/*
 * Set word i (Linux putreg): selectors must be null or RPL 3 (CS and SS not null), else -EIO;
 * RFLAGS keeps the bits no user sets; FS/GS bases must be below the last user page (Linux
 * TASK_SIZE_MAX), else -EIO. Returns 0 or -EIO.
 */
int ptregs_put(struct proc *c, int i, uint64_t v)
{
    struct trapframe *tf = c->tf;
    uint16_t sel = (uint16_t)v;                 /* Linux truncates a selector to 16 bits */
    switch (i) {
    case REG_CS:
    case REG_SS:
        if (!sel || (sel & SEL_RPL_MASK) != 3)
            return -EIO;
        *tf_word(tf, i) = sel;
        return 0;
    case REG_EFLAGS:
        if (v & RFLAGS_TF)
            c->pt.forced_tf = false;            /* the tracer's TF is now the program's */
        else if (c->pt.forced_tf)
            v |= RFLAGS_TF;
        tf->rflags = signal_user_rflags(tf->rflags, v, PTRACE_FLAGS);
        return 0;
    case REG_FS_BASE:
    case REG_GS_BASE:
        if (v >= USER_LIMIT)
            return -EIO;
        *(i == REG_FS_BASE ? &c->fs_base : &c->gs_base) = v;
        return 0;
    case REG_ORIG_RAX:
        if (in_syscall(tf))
            tf->error = v;
        return 0;
    default:
        if (i >= REG_DS) {
            if (sel && (sel & SEL_RPL_MASK) != 3)
                return -EIO;
            c->seg[i - REG_DS] = sel;           /* the scheduler loads it only if loadable (segs_load) */
            return 0;
        }
        *tf_word(tf, i) = v;
        return 0;
    }
}

/* The first n words of the registers to user memory at `dst`. */
int ptregs_copyout(struct proc *c, uint64_t dst, int n)
{
    uint64_t w[USER_REGS];
    for (int i = 0; i < n; i++)
        w[i] = ptregs_get(c, i);
    return copyout(myproc()->pml4, dst, w, (uint64_t)n * 8) ? -EFAULT : 0;
}

/* n words from user memory at `src`, set in order; the first refused stops (Linux genregs_set). */
int ptregs_copyin(struct proc *c, uint64_t src, int n)
{
    uint64_t w[USER_REGS];
    if (copyin(myproc()->pml4, w, src, (uint64_t)n * 8))
        return -EFAULT;
    for (int i = 0; i < n; i++) {
        int r = ptregs_put(c, i, w[i]);
        if (r)
            return r;
    }
    return 0;
}

/* SETFPREGS / NT_PRFPREG (Linux xfpregs_set): a valid MXCSR, and the software-reserved bytes cleared. */
int ptregs_set_fp(struct proc *c, uint64_t src)
{
    static uint8_t fx[FXSAVE_BYTES] __attribute__((aligned(16)));
    if (copyin(myproc()->pml4, fx, src, sizeof fx))
        return -EFAULT;
    if (!signal_fx_valid(fx))
        return -EINVAL;
    memset(fx + 464, 0, FXSAVE_BYTES - 464);    /* sw_reserved (SDM Vol. 1 Table 10-2: bytes 464-511) */
    fpu_thread_set_fxsave(c, fx);                /* fpu.c: the thread's x87/SSE state */
    return 0;
}

/*
 * GETREGSET/SETREGSET (Linux ptrace_regset): `uiov` points at a struct iovec; its length must
 * be a multiple of the regset's word (8) and is cut to the regset's size, and written back.
 * A set needs the whole regset: NT_PRFPREG -EINVAL otherwise (xfpregs_set), NT_X86_XSTATE
 * -EFAULT (xstateregs_set). NT_X86_XSTATE is the standard-format XSAVE area (fpu.c), -ENODEV
 * on a CPU without XSAVE (qemu64), as Linux's; NT_386_IOPERM the ioperm bitmap (ioperm.c),
 * read only (-EOPNOTSUPP).
 */
int64_t ptregs_regset(struct proc *c, bool set, uint64_t type, uint64_t uiov)
{
    static uint8_t xbuf[FPU_AREA_MAX] __attribute__((aligned(64)));   /* no sleep while in use */
    struct proc *me = myproc();
    struct { uint64_t base, len; } iov;
    if (copyin(me->pml4, &iov, uiov, sizeof iov))
        return -EFAULT;
    uint64_t size = type == NT_PRSTATUS ? USER_REGS_BYTES : type == NT_PRFPREG ? FXSAVE_BYTES :
                    type == NT_386_IOPERM ? IOMAP_BYTES : fpu_xsave ? fpu_user_size : 0;
    if ((type != NT_PRSTATUS && type != NT_PRFPREG && type != NT_X86_XSTATE && type != NT_386_IOPERM) ||
        iov.len % 8)
        return -EINVAL;
    if (type == NT_X86_XSTATE && !fpu_xsave)
        return -ENODEV;
    if (type == NT_386_IOPERM && set)
        return -EOPNOTSUPP;                     /* Linux: the regset has no set */
    if (iov.len > size)
        iov.len = size;
    int r;
    if (type == NT_386_IOPERM) {
        r = ioperm_regset_get(proc_index(c), iov.base, iov.len);
    } else if (type == NT_PRSTATUS) {
        r = set ? ptregs_copyin(c, iov.base, (int)(iov.len / 8)) : ptregs_copyout(c, iov.base, (int)(iov.len / 8));
    } else if (type == NT_PRFPREG) {
        if (set)
            r = iov.len != FXSAVE_BYTES ? -EINVAL : ptregs_set_fp(c, iov.base);
        else
            r = copyout(me->pml4, iov.base, fpu_thread_fxsave(c), iov.len) ? -EFAULT : 0;
    } else if (set) {
        r = iov.len != size || copyin(me->pml4, xbuf, iov.base, size) ? -EFAULT : fpu_thread_set_xstate(c, xbuf);
    } else {
        fpu_thread_get_xstate(c, xbuf);
        r = copyout(me->pml4, iov.base, xbuf, iov.len) ? -EFAULT : 0;
    }
    if (r)
        return r;
    return copyout(me->pml4, uiov + 8, &iov.len, sizeof iov.len) ? -EFAULT : 0;
}

/* ---- the tracee's memory ----------------------------------------------------- */

/*
 * One word of the tracee's memory (Linux access_process_vm with FOLL_FORCE): a page must be
 * present and user; a write goes through even to a read-only private page (a breakpoint into
 * text: one that fork shares becomes the tracee's own copy first, uvm_own, as Linux's COW),
 * never into a read-only shared one;
 * the vDSO is first made the tracee's own copy (vdso_unshare: a breakpoint there changes no
 * other process's, as Linux's COW of its special mapping); [vvar] is never reached (Linux's
 * VM_IO | VM_PFNMAP). -EIO unless all 8 bytes are reachable.
 */
int ptrace_access_word(struct proc *c, uint64_t va, uint64_t *word, bool write)
{
    if (!user_range_ok(va, sizeof *word))
        return -EIO;
    uint8_t *w = (uint8_t *)word;
    for (uint64_t done = 0; done < sizeof *word;) {
        uint64_t a = va + done, n = PAGE_SIZE - a % PAGE_SIZE;
        if (n > sizeof *word - done)
            n = sizeof *word - done;
        if (vdso_hit(c->mm, a, a + 1) & VDSO_HIT_VVAR)
            return -EIO;
        uint64_t *pte = walk(c->pml4, a, false);
        if (write && pte && (*pte & PTE_SHARED) && c->mm->vdso_base && a >= c->mm->vdso_base &&
            a < c->mm->vdso_base + VDSO_PAGES * PAGE_SIZE) {
            if (vdso_unshare(c->pml4, c->mm))
                return -EIO;
            pte = walk(c->pml4, a, false);
        }
        if ((!pte || !(*pte & PTE_P)) && stack_fault_remote(c->mm, a))
            pte = walk(c->pml4, a, false);       /* below the stack: grown as Linux's access_remote_vm */
        if (!pte || (*pte & (PTE_P | PTE_U)) != (PTE_P | PTE_U) ||
            (write && !(*pte & PTE_W) && (*pte & PTE_SHARED)))
            return -EIO;
        if (write && uvm_own(pte, a))
            return -EIO;                     /* a read-only page fork shares: the tracee's copy */
        uint8_t *k = (uint8_t *)P2V(*pte & PTE_ADDR_MASK) + a % PAGE_SIZE;
        if (write)
            memcpy(k, w + done, n);
        else
            memcpy(w + done, k, n);
        done += n;
    }
    return 0;
}
