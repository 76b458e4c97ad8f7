/*
 * The IDT and trap(): every interrupt and exception arrives here through
 * alltraps with a struct trapframe. Gate format: SDM Vol. 3A 6.14.1,
 * Figure 6-8 (64-bit IDT gate descriptor).
 */
#include "kernel.h"
#include "gdt.h"
#include "ioperm.h"
#include "file.h"
#include "kcov.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "ptrace.h"
#include "signal.h"
#include "trap.h"
#include "traps.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"

struct gate {
    uint16_t off_lo;
    uint16_t sel;
    uint8_t ist;               /* bits 0-2: IST slot, 0 = no stack switch unless CPL changes */
    uint8_t type_attr;         /* P | DPL | type */
    uint16_t off_mid;
    uint32_t off_hi;
    uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct gate) == 16, "64-bit gate is 16 bytes");

#define GATE_P       0x80      /* present */
#define GATE_DPL3    0x60      /* `int n` allowed from ring 3 */
#define GATE_INTR    0x0e      /* interrupt gate: clears IF on entry */

static struct gate idt[NVECTORS];
extern uint64_t vectors[NVECTORS];   /* generated stubs (vectors.py) */

static void set_gate(int v, uint64_t handler, int dpl3, int ist)
{
    idt[v] = (struct gate){
        .off_lo = handler & 0xffff,
        .sel = KERNEL_CS,
        .ist = ist,
        .type_attr = GATE_P | GATE_INTR | (dpl3 ? GATE_DPL3 : 0),
        .off_mid = (handler >> 16) & 0xffff,
        .off_hi = handler >> 32,
    };
}

/*
 * All 256 vectors get an interrupt gate. The gate's DPL decides whether
 * `int n` may name it from ring 3 (SDM Vol. 3A 6.12.1.1): DPL 3 only for
 * int3 (#BP) and into (#OF), as Linux does (arch/x86/kernel/idt.c), and for
 * int 0x80, the second system-call gate. Every other `int n` from ring 3 is
 * a #GP with error code (n << 3) | 2. #DF runs on its own IST stack so a
 * kernel stack overflow can still be reported.
 */
static bool user_gate(int v)
{
    return v == T_BP || v == T_OF || v == T_INT80;
}

void idt_init(void)
{
    for (int v = 0; v < NVECTORS; v++)
        set_gate(v, vectors[v], user_gate(v), v == T_DF ? IST_DF : 0);
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = { sizeof idt - 1, (uint64_t)idt };
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

/* Destroy the IDT (crash=triple): the next exception can't be delivered. */
void idt_destroy(void)
{
    struct { uint16_t limit; uint64_t base; } __attribute__((packed)) idtr = { 0, 0 };
    __asm__ volatile("lidt %0" ::"m"(idtr));
}

extern void syscall_entry(void);
extern void entry_SYSCALL_compat(void);
extern void entry_SYSENTER_compat(void);
extern uint8_t sysenter_stack[SYSENTER_STACK_BYTES];

/*
 * SDM Vol. 3A 5.8.8: STAR holds the selector bases, LSTAR the entry point, FMASK the RFLAGS
 * mask. As Linux's syscall_init (arch/x86/kernel/cpu/common.c) with IA32 emulation:
 * STAR = __USER32_CS << 48 | __KERNEL_CS << 32; CSTAR = entry_SYSCALL_compat, where an
 * AMD-vendor CPU takes a `syscall` from compatibility mode (Intel's is #UD there, AMD APM
 * Vol. 3 SYSCALL), and the SYSENTER MSRs (SDM Vol. 2B SYSENTER) at entry_SYSENTER_compat
 * whatever the vendor: Intel CPUs take sysenter from compatibility mode; AMD ones raise #UD
 * for it in long mode, but QEMU 7.2 TCG checks the vendor only in 64-bit mode and runs a
 * compatibility-mode sysenter on its AMD-vendor models too. A zero CSTAR or SYSENTER_EIP
 * would send ring 3 to kernel address 0 at CPL 0.
 */
void syscall_init(void)
{
    wrmsr(MSR_STAR, ((uint64_t)SYSRET_BASE << 48) | ((uint64_t)KERNEL_CS << 32));
    wrmsr(MSR_LSTAR, (uint64_t)syscall_entry);
    wrmsr(MSR_CSTAR, (uint64_t)entry_SYSCALL_compat);
    wrmsr(MSR_FMASK, SYSCALL_FMASK);    /* TF IF DF IOPL NT AC, as Linux; EFER.SCE: cpu_init */
    wrmsr(MSR_SYSENTER_CS, KERNEL_CS);  /* SS = KERNEL_CS + 8 = KERNEL_SS */
    wrmsr(MSR_SYSENTER_ESP, (uint64_t)sysenter_stack + sizeof sysenter_stack);
    wrmsr(MSR_SYSENTER_EIP, (uint64_t)entry_SYSENTER_compat);
}

static const char *const exception_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "#CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "#15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "#22", "#23", "#24", "#25", "#26", "#27", "#HV", "#VC", "#SX", "#31",
};

static const char *vector_name(uint64_t v)
{
    if (v < 32)
        return exception_names[v];
    if (v == T_INT80)
        return "int0x80";
    if (v == T_TIMER)
        return "timer";
    if (v == T_COM1)
        return "com1";
    return "irq";
}

static void report_fault(struct trapframe *tf, int pid)
{
    char cr2[40] = "";
    if (tf->vector == T_PF)
        snprintf(cr2, sizeof cr2, " cr2=0x%lx", rcr2());
    kevent("fault pid=%d vector=%lu name=%s error=0x%lx cpl=%lu rip=0x%lx cs=0x%lx rsp=0x%lx ss=0x%lx rflags=0x%lx%s",
           pid, tf->vector, vector_name(tf->vector), tf->error, tf->cs & SEL_RPL_MASK, tf->rip, tf->cs,
           tf->rsp, tf->ss, tf->rflags, cr2);
}

/* A fault in ring 0 is a kernel bug: report everything and stop. */
static noreturn void kernel_fault(struct trapframe *tf)
{
    static bool in_fault;
    if (in_fault) {
        /* faulted while reporting a fault (say, a bad frame pointer): stop now */
        kevent("panic reason=kernel-fault-in-fault-report vector=%lu rip=0x%lx", tf->vector, tf->rip);
        machine_exit(PANIC_STATUS);
    }
    in_fault = true;
    struct proc *p = myproc();
    report_fault(tf, p ? p->pid : 0);
    kevent("panic-regs rax=0x%lx rbx=0x%lx rcx=0x%lx rdx=0x%lx rsi=0x%lx rdi=0x%lx rbp=0x%lx", tf->rax, tf->rbx,
           tf->rcx, tf->rdx, tf->rsi, tf->rdi, tf->rbp);
    kevent("panic-regs r8=0x%lx r9=0x%lx r10=0x%lx r11=0x%lx r12=0x%lx r13=0x%lx r14=0x%lx r15=0x%lx", tf->r8,
           tf->r9, tf->r10, tf->r11, tf->r12, tf->r13, tf->r14, tf->r15);
    kevent("panic-regs cr0=0x%lx cr2=0x%lx cr3=0x%lx cr4=0x%lx", rcr0(), rcr2(), rcr3(), rcr4());
    backtrace(tf->rbp);
    panic("kernel-%s vector=%lu error=0x%lx rip=0x%lx", tf->vector == T_DF ? "double-fault" : "fault", tf->vector,
          tf->error, tf->rip);
}

/*
 * Every vector lands here. Whatever was taken in ring 3 leaves through
 * signal_return(), where pending signals are delivered by editing `tf`
 * (signal.c) before trapret's iretq.
 */
void trap(struct trapframe *tf)
{
    bool from_user = (tf->cs & SEL_RPL_MASK) == 3;
    /* A hardware interrupt is not the interrupted thread's work: kcov does not trace it
       (Linux: in_task()). Exceptions and system calls are. trap.c is not instrumented
       itself (kernel/Makefile), as Linux's entry code is noinstr. */
    bool irq = tf->vector >= T_IRQ0 && tf->vector != T_INT80;
    if (irq)
        kcov_off_enter();

    switch (tf->vector) {
    case T_TIMER:
        timer_account(tf);
        timer_intr();
        signal_tick();               /* ITIMER_REAL expiries: SIGALRM */
        if (from_user) {
            kcov_off_exit();         /* the yield switches to another thread's task context */
            irq = false;
            yield();
        }
        break;
    case T_COM1:
        pic_eoi(tf->vector);
        serial_intr();               /* Ctrl-C / Ctrl-\ raise SIGINT / SIGQUIT here */
        break;
    case T_SPURIOUS:
        break;
    case T_INT80:
        /* The i386 table from 64-bit code too, as Linux's IA32 emulation (syscall32.c). */
        tf->error = (uint32_t)tf->rax;   /* the number, as syscall_entry saves it (orig_ax) */
        syscall32_dispatch(tf);      /* delivers signals itself, then returns with iretq */
        return;
    default:
        if (tf->vector >= T_IRQ0) {
            pic_eoi(tf->vector);
            break;
        }
        if (!from_user && tf->vector == T_DB && debugreg_exception(tf, false))
            break;                   /* a #DB in ring 0: only DR6 to clear (debugreg.c) */
        if (!from_user)
            kernel_fault(tf);
        /* cli/sti after iopl(3): skipped, as Linux does (ioperm.c). */
        if (tf->vector == T_GP && ioperm_fixup_cli_sti(tf))
            break;
        /* A not-present page below the stack that the stack may grow over (stackgrow.c), or a
           page past a mapped file's end that the file has grown over since (filemap.c): mapped
           now and the access retried. CR2 put back for the signal if it may have slept. */
        if (tf->vector == T_PF) {
            uint64_t cr2 = rcr2();
            if (!(tf->error & PF_ERR_P) && stack_fault(myproc()->mm, cr2))
                break;
            if (filemap_fault(myproc()->mm, myproc()->pml4, cr2))
                break;
            lcr2(cr2);
        }
        /* A call into the vsyscall page: emulated, or its own SIGSEGV (vsyscall.c). */
        if (tf->vector == T_PF && vsyscall_emulate(tf))
            break;
        /* An exception in ring 3: report it and turn it into the signal Linux sends. */
        report_fault(tf, myproc()->pid);
        if (tf->vector == T_DB)
            debugreg_exception(tf, true);   /* a step or a breakpoint: SIGTRAP as Linux's exc_debug_user */
        else
            signal_fault(tf);
        break;
    }
    if (irq)
        kcov_off_exit();
    if (from_user)
        signal_return(tf, -1);
}
