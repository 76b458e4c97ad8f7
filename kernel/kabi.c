/*
 * The kernel's ABI as the harness sees it: every constant, struct offset, system-call
 * number and symbol the Python harness relies on, compiled from the very headers the
 * kernel compiles with.
 *
 * This file is compiled with the kernel's CFLAGS into gen/kabi.o, which is NOT linked
 * into the kernel. Its one array lands in the section .kabi; kabi.py reads that section
 * (and checks every named symbol against images/kernel.elf) and writes images/kabi.json,
 * which harness/ringlab/core/kabi.py is the only reader of. So:
 *
 *   - a constant or field renamed in a header fails to compile here;
 *   - a symbol the harness breaks on that is renamed or removed fails kabi.py;
 *   - a gdb expression (what gdb evaluates over kernel.elf's symbols, e.g. the running
 *     process's pid) is checked by tests/test_kabi.py with gdb against kernel.elf.
 *
 * Entries hold no pointers (names are char arrays), so .kabi needs no relocation.
 */
#include "types.h"
#include "kernel.h"
#include "cover.h"
#include "file.h"
#include "gdt.h"
#include "ioperm.h"
#include "kargs.h"
#include "mmu.h"
#include "percpu.h"
#include "proc.h"
#include "sysnr.h"
#include "sysnr32.h"
#include "trap.h"
#include "traps.h"
#include "vdso.h"

#define KABI_KIND_MAX 16
#define KABI_NAME_MAX 48
#define KABI_TEXT_MAX 80

struct kabi_entry {
    /*   0 */ char kind[KABI_KIND_MAX];  /* const, offset, size, syscall, symbol, symbols, gdb */
    /*  16 */ char name[KABI_NAME_MAX];  /* NUL-padded */
    /*  64 */ char text[KABI_TEXT_MAX];  /* gdb: the expression; karg: the grammar; else empty */
    /* 144 */ uint64_t value;            /* const/offset/size/syscall value; symbols: count;
                                            ioports: first port << 32 | last port */
};
_Static_assert(sizeof(struct kabi_entry) == 152, "kabi.py reads 152-byte entries");

#define KABI_CONST(n)          { "const", #n, "", (uint64_t)(n) }
#define KABI_OFFSET(s, f)      { "offset", #s "." #f, "", __builtin_offsetof(struct s, f) }
#define KABI_SIZE(s)           { "size", #s, "", sizeof(struct s) }
#define KABI_SYSCALL(n)        { "syscall", #n, "", SYS_##n }
#define KABI_SYSCALL32(n)      { "syscall32", #n, "", SYS32_##n }
#define KABI_SYMBOL(n)         { "symbol", #n, "", 0 }
#define KABI_SYMBOLS(p, count) { "symbols", p, "", (count) }   /* p0 .. p(count-1) */
#define KABI_GDB(n, expr)      { "gdb", #n, expr, 0 }
#define KABI_KARG(name, key, grammar, apply) { "karg", key, grammar, 0 },   /* KARGS_KEYS row */
#define KABI_IOPORTS(n, first, count) { "ioports", #n, "", ((uint64_t)(first) << 32) | ((first) + (count) - 1) },

__attribute__((section(".kabi"), used))
static const struct kabi_entry kabi[] = {
    /* Memory map (mmu.h): the fault catalogue's expected addresses */
    KABI_CONST(PAGE_SIZE),
    KABI_CONST(KERNBASE),
    KABI_CONST(KERNEL_PHYS),
    KABI_CONST(USER_TOP),
    KABI_CONST(USER_LIMIT),          /* user memory ends here (ELF checks) */
    KABI_CONST(USER_STACK_TOP),
    KABI_CONST(USER32_STACK_TOP),    /* a 32-bit process: its stack ends here, its ELF below */
    KABI_CONST(USER_STACK_PAGES),
    KABI_CONST(MMAP_BASE),
    KABI_CONST(FMAPS_PER_MM),        /* file mappings an address space holds (filemap.c) */
    KABI_CONST(GROWSDOWN_MAX),       /* grows-down ranges an address space keeps (stackgrow.c) */
    KABI_CONST(KSTACK_PAGES),
    KABI_CONST(KSTACK_BASE),
    KABI_CONST(KSTACK_SLOT_PAGES),

    /* The vDSO and the vsyscall page (vdso.h): gdb loads images/vdso.so at VDSO_ADDR */
    KABI_CONST(VDSO_ADDR),           /* [vdso] of a 64-bit process after exec */
    KABI_CONST(VVAR_ADDR),           /* [vvar], the page below it */
    KABI_CONST(VDSO_PAGES),
    KABI_CONST(VDSO32_ADDR),         /* an i386 process's [vdso] (images/vdso32.so) */
    KABI_CONST(VSYSCALL_PAGE),       /* Linux's fixed vsyscall page (emulated, never mapped) */

    /* The machine: the isa-debug-exit port the kernel writes its status to, and the
       isa-debugcon port the coverage kernel streams its sites to (QEMU's devices go there) */
    KABI_CONST(DEBUG_EXIT_PORT),
    KABI_CONST(COVER_PORT),

    /* The machine status of a boot whose modules leave too little memory (no-memory event) */
    KABI_CONST(NOMEM_STATUS),

    /* Limits */
    KABI_CONST(NPROC),
    KABI_CONST(NFSFILE),             /* multiboot modules the file system takes */
    KABI_CONST(FS_NAME_MAX),         /* the longest module (file) name "/" takes */

    /* Selectors (gdt.h) */
    KABI_CONST(KERNEL_CS),
    KABI_CONST(KERNEL_SS),
    KABI_CONST(USER_SS),
    KABI_CONST(USER_CS),
    KABI_CONST(USER32_CS),           /* 32-bit user code: compatibility mode */
    KABI_CONST(TLS_SEL0),            /* the first TLS entry's selector */
    KABI_CONST(CPUNODE_SEL),
    KABI_CONST(TSS_SEL),
    KABI_CONST(LDT_SEL),             /* the LDT's descriptor: LDTR while a process has an LDT */

    /* Vectors that are not exceptions (traps.h) */
    KABI_CONST(T_TIMER),
    KABI_CONST(T_COM1),
    KABI_CONST(T_SPURIOUS),
    KABI_CONST(T_INT80),
    KABI_CONST(NVECTORS),

    /* The trap frame (trap.h): what alltraps finds on the stack; the general registers'
       slots are where gdb's entry-stub unwinder (ringunwind.py) reads the interrupted
       context's registers */
    KABI_SIZE(trapframe),
    KABI_OFFSET(trapframe, r15),
    KABI_OFFSET(trapframe, r14),
    KABI_OFFSET(trapframe, r13),
    KABI_OFFSET(trapframe, r12),
    KABI_OFFSET(trapframe, r11),
    KABI_OFFSET(trapframe, r10),
    KABI_OFFSET(trapframe, r9),
    KABI_OFFSET(trapframe, r8),
    KABI_OFFSET(trapframe, rbp),
    KABI_OFFSET(trapframe, rdi),
    KABI_OFFSET(trapframe, rsi),
    KABI_OFFSET(trapframe, rdx),
    KABI_OFFSET(trapframe, rcx),
    KABI_OFFSET(trapframe, rbx),
    KABI_OFFSET(trapframe, rax),
    KABI_OFFSET(trapframe, vector),
    KABI_OFFSET(trapframe, error),
    KABI_OFFSET(trapframe, rip),
    KABI_OFFSET(trapframe, cs),
    KABI_OFFSET(trapframe, rflags),
    KABI_OFFSET(trapframe, rsp),
    KABI_OFFSET(trapframe, ss),

    /* Per-CPU state (percpu.h) */
    KABI_OFFSET(cpu, current),
    KABI_OFFSET(cpu, tss),
    KABI_OFFSET(proc, name),         /* a timeout report names the running program */
    KABI_OFFSET(proc, tf),           /* and, stopped in ring 0, where its ring 3 was */
    KABI_OFFSET(tss, rsp),           /* RSP0 (SDM Vol. 3A Figure 8-11: offset 4) */
    KABI_CONST(TSS_LIMIT),           /* TR's limit: the TSS and the I/O bitmaps */
    KABI_CONST(IOMAP_OFF_PROC),      /* TSS I/O map base: the process's own bitmap */
    KABI_CONST(IOMAP_OFF_NONE),      /* TSS I/O map base past the limit: every port denied */
    KABI_CONST(IOMAP_OFF_ALL),       /* TSS I/O map base after iopl(3): the table's ports */

    /* The ports ring 3 may be given, by device (ioperm.h); ioperm refuses every other one */
    IOPORT_USER_TABLE(KABI_IOPORTS)

    /* Where the harness breaks (invoke trace, the fault catalogue, the tests) */
    KABI_SYMBOL(syscall_entry),      /* MSR_LSTAR: 3->0 by syscall */
    KABI_SYMBOL(entry_SYSCALL_compat), /* MSR_CSTAR: 3->0 by syscall in compatibility mode */
    KABI_SYMBOL(entry_SYSENTER_compat), /* MSR_SYSENTER_EIP: 3->0 by sysenter */
    KABI_SYMBOL(alltraps),           /* every vectorN stub jumps here */
    KABI_SYMBOL(sysret_path),        /* ends in the sysretq back to ring 3 */
    KABI_SYMBOL(trapret),            /* ends in the iretq back to ring 3 */
    KABI_SYMBOL(iret_insn),          /* the iretq itself (gdb's unwinder: end of trapret) */
    KABI_SYMBOL(sysret_insn),        /* the sysretq itself (end of sysret_path) */
    KABI_SYMBOLS("vector", NVECTORS),/* the IDT stubs vector0 .. vector255 */
    KABI_SYMBOL(kmain),
    KABI_SYMBOL(trap),
    KABI_SYMBOL(syscall_dispatch),   /* crash= rows: in the panic backtrace */
    KABI_SYMBOL(crash_maybe),        /* crash= rows: where the ring-0 fault is */
    KABI_SYMBOL(recurse),            /* crash=stack: the overflowing function */
    KABI_SYMBOL(cpu0),               /* the per-CPU struct (IA32_GS_BASE in ring 0) */
    KABI_SYMBOL(signal_delivered),   /* a signal frame pushed: RSI = signal, RDX = handler */
    KABI_SYMBOL(sys_rt_sigreturn),   /* a signal frame restored */

    /* The live page-table audit (harness/ringlab/debug/ptaudit.py): every process's PML4 */
    KABI_SYMBOL(procs),              /* the process table, struct proc procs[NPROC] */
    KABI_SIZE(proc),
    KABI_OFFSET(proc, pid),
    KABI_OFFSET(proc, state),
    KABI_OFFSET(proc, pml4),         /* kernel virtual address of the PML4; NULL once freed */
    KABI_CONST(P_UNUSED),            /* a free slot of procs[] */
    KABI_SYMBOL(kpml4),              /* the kernel's own PML4: each process copies its kernel half */
    KABI_SYMBOL(ukpage),             /* test.ukpage=1 makes this page user-accessible (testhook.c) */

    /* Kernel arguments it accepts (kargs.h), each with its grammar: the harness refuses what
       the kernel would (any other key, a value the grammar refuses, a longer line) */
    KARGS_KEYS(KABI_KARG)
    KABI_CONST(KARGS_VALUE_MAX),     /* bytes of one value, NUL included */
    KABI_CONST(KARGS_CMDLINE_MAX),   /* bytes of the whole command line, NUL included */

    /* State no header declares, as gdb evaluates it against kernel.elf */
    KABI_GDB(current_pid, "cpu0.current->pid"),   /* the running process's pid */
    KABI_GDB(tss_rsp0, "cpu0.tss.rsp[0]"),         /* the TSS's RSP0 */
    KABI_GDB(current_name, "cpu0.current->name"),  /* its program's base name (execve sets it) */
    KABI_GDB(user_rsp, "cpu0.user_rsp"),           /* the user RSP syscall_entry parks */

#ifndef KABI_MACROS_ONLY
#include "kabi_syscalls.h"           /* KABI_SYSCALL(name) for every SYS_name: the Makefile, in its gen dir */
#include "kabi_syscalls32.h"         /* KABI_SYSCALL32(name) for every SYS32_name: the same */
#endif
};
