/*
 * Kernel entry points: interrupts/exceptions (alltraps, reached from the
 * generated vector stubs) and the syscall instruction (syscall_entry). Both
 * build a struct trapframe (include/trap.h) and call C; all decisions are
 * made there.
 *
 * GS: in ring 3 the GS base is the user's, in ring 0 it is this CPU's struct
 * cpu (include/percpu.h). Each entry from ring 3 and each exit to ring 3
 * executes swapgs once (SDM Vol. 2B SWAPGS); whether an interrupt or
 * exception came from ring 3 is read from the RPL of the CS the CPU pushed,
 * so a nested entry from ring 0 (a kernel #PF, a timer tick while the
 * scheduler idles) keeps the kernel's base.
 *
 * Why the RPL rule is enough, and where it is not (Linux: entry_64.S, error_entry and
 * paranoid_entry). With CR4.FSGSBASE on (cpu.c), ring 3 sets its GS base to anything with
 * wrgsbase, a kernel address or the address of cpu0 itself: the value of GS base proves
 * nothing, only where the CPU came from does. An entry whose pushed CS has RPL 3 came from
 * ring 3: swapgs. An entry from ring 0 finds the kernel's base, except in the few
 * instructions where ring 0 runs on the user's: before the first swapgs of syscall_entry /
 * the compat entries, and between the last swapgs and sysretq / iretq. Synchronous faults
 * cannot happen there (the C side checks sysretq's RCX and iretq's CS, SS and RIP first;
 * an iretq that faults anyway is recognised by its RIP, iret_insn; a sysenter with TF is
 * handled first). Only the events that ignore IF can land there: NMI, #MC, #DB (a data
 * breakpoint; ringlab sets none, DR7 is 0) and #DF (on IST1). For those four, an entry
 * from ring 0 is "paranoid" as in Linux with FSGSBASE (its paranoid_entry writes the
 * per-CPU base it finds through the GDT and restores the old one on the way out): the
 * GS base found is saved, cpu0's is written (a link-time constant: one CPU), and the old
 * one is written back before the iretq. Linux without FSGSBASE reads MSR_GS_BASE and
 * trusts its sign (a user cannot write a negative base then); with it, as here, nothing
 * is inferred from the value. From ring 3 they swap as any other entry (Linux: their
 * user-mode path is the normal one). None of them uses an IST stack but #DF; ringlab has
 * no NMI source and QEMU's TCG raises no #MC, so the path serves #DF and a stray #DB.
 */
#include "gdt.h"
#include "mmu.h"
#include "percpu.h"
#include "trap.h"
#include "msr.h"
#include "traps.h"

/* push/pop the 15 general registers in struct trapframe order (rax highest) */
.macro PUSH_GPRS
    pushq %rax          /* tf->rax */
    pushq %rbx          /* tf->rbx */
    pushq %rcx          /* tf->rcx */
    pushq %rdx          /* tf->rdx */
    pushq %rsi          /* tf->rsi */
    pushq %rdi          /* tf->rdi */
    pushq %rbp          /* tf->rbp */
    pushq %r8           /* tf->r8  */
    pushq %r9           /* tf->r9  */
    pushq %r10          /* tf->r10 */
    pushq %r11          /* tf->r11 */
    pushq %r12          /* tf->r12 */
    pushq %r13          /* tf->r13 */
    pushq %r14          /* tf->r14 */
    pushq %r15          /* tf->r15 */
.endm
.macro POP_GPRS
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
.endm

/*
 * Registers on entry (from a vector stub): the CPU has pushed SS, RSP,
 * RFLAGS, CS, RIP (always, in 64-bit mode: SDM Vol. 3A 6.14.2) and maybe an
 * error code; the stub pushed a zero error code if the CPU did not, then the
 * vector. On a change from ring 3 the CPU took RSP from TSS.RSP0 first.
 * GS base: the user's if the pushed CS has RPL 3, else already the kernel's,
 * with one exception: an iretq to ring 3 that faults does so in ring 0 after
 * its swapgs (a bad frame: SDM Vol. 2A IRET, "Protected mode exceptions"), so
 * an entry that interrupted iret_insn swaps back too (Linux: error_entry). A
 * fault of an iretq back to ring 0 would be a corrupt kernel frame, a panic
 * either way. No NMI or #MC can arrive between syscall and its swapgs (their
 * RPL test would be wrong there, hence Linux's "paranoid" entry): nothing
 * here raises an NMI, and QEMU's TCG raises no machine checks.
 */
    .text
    .globl alltraps
alltraps:
    cld
    /* A sysenter with TF set traps (#DB) before the entry's first instruction, at CPL 0 with
       the user's GS base, on the sysenter stack (SDM Vol. 2B SYSENTER leaves TF alone). As
       Linux's exc_debug does for its SYSENTER entry: clear TF and return to the entry, which
       saves the user's flags without it. Nothing else may raise #DB in ring 0. */
    cmpq $T_DB, (%rsp)
    jne 3f
    cmpq $entry_SYSENTER_compat, (TF_RIP - TF_VECTOR)(%rsp)
    jne 3f
    andq $~RFLAGS_TF, (TF_RFLAGS - TF_VECTOR)(%rsp)
    add $16, %rsp                       /* vector, error */
    iretq
3:  testb $SEL_RPL_MASK, (TF_CS - TF_VECTOR)(%rsp)
    jnz 1f                              /* from ring 3 */
    cmpq $iret_insn, (TF_RIP - TF_VECTOR)(%rsp)
    je 1f                               /* a faulting iretq to ring 3, after its swapgs */
    cmpq $T_NMI, (%rsp)
    je paranoid_entry
    cmpq $T_DB, (%rsp)
    je paranoid_entry
    cmpq $T_DF, (%rsp)
    je paranoid_entry
    cmpq $T_MC, (%rsp)
    je paranoid_entry
    jmp 2f                              /* from ring 0 with the kernel's GS base */
1:  swapgs                              /* GS base: user's -> struct cpu */
2:  /* Kernel RFLAGS from a known value: the gate cleared TF, NT and IF but not AC or DF
       (SDM Vol. 3A 6.12.1.3), and ring 3 may set AC: with SMAP on, AC=1 would let the
       kernel touch user pages (SDM Vol. 3A 4.6.1). popfq works with or without SMAP. */
    pushq $RFLAGS_RSV1
    popfq
    PUSH_GPRS
    mov %rsp, %rdi                      /* trap(struct trapframe *) */
    call trap
    .globl trapret
trapret:
    /* Back to ring 3 with anything but the user code and data selectors (an LDT segment, a
       TLS entry, a 16-bit stack): ldt.c checks that the iretq can load them, and where it
       would fault in ring 0 delivers the signal Linux's bad-iret fixup gives instead. */
    testb $SEL_RPL_MASK, TF_CS(%rsp)
    jz 5f
    cmpq $USER_SS, TF_SS(%rsp)
    jne 4f
    cmpq $USER_CS, TF_CS(%rsp)
    je 5f
    cmpq $USER32_CS, TF_CS(%rsp)
    je 5f
4:  mov %rsp, %rdi
    call user_segs_check                /* user_segs_check(tf): may rewrite the frame */
5:
#ifdef SANITIZE
    mov %rsp, %rdi                      /* san_user_return(tf): checks before ring 3 */
    call san_user_return
#endif
    POP_GPRS
    add $16, %rsp                       /* drop vector and error code */
    testb $SEL_RPL_MASK, (TF_CS - TF_RIP)(%rsp)
    jz iret_insn                        /* back to ring 0: keep the kernel's GS base */
    testb $SEL_TI, (TF_SS - TF_RIP)(%rsp)
    jnz espfix_return                   /* an LDT stack segment: espfix.c */
    swapgs                              /* GS base: struct cpu -> user's */
    .globl iret_insn
iret_insn:                              /* ring 3 again if the frame's CS has RPL 3 */
    iretq

/*
 * espfix (espfix.c; Linux: entry_64.S, native_irq_return_ldt): the iretq to an LDT stack
 * segment runs from the read-only alias of espfix_page whose address has the user's RSP
 * bits 31:16, so a 16-bit SS leaves ESP's upper half as the user had it, not the kernel
 * stack's. Registers on entry: all the user's, RSP at the iretq frame (RIP, CS, RFLAGS,
 * RSP, SS) on the kernel stack, the kernel's GS base. RAX and RDI are borrowed: RDI back
 * from the kernel stack, RAX from the espfix page (the word below the frame).
 */
espfix_return:
    pushq %rax                          /* user RAX */
    pushq %rdi                          /* user RDI */
    leaq espfix_page(%rip), %rdi        /* the writable view */
    movq 8(%rsp), %rax
    movq %rax, 0(%rdi)                  /* user RAX, popped from the alias */
    movq 16(%rsp), %rax
    movq %rax, 8(%rdi)                  /* RIP */
    movq 24(%rsp), %rax
    movq %rax, 16(%rdi)                 /* CS */
    movq 32(%rsp), %rax
    movq %rax, 24(%rdi)                 /* RFLAGS */
    movq 48(%rsp), %rax
    movq %rax, 40(%rdi)                 /* SS */
    movq 40(%rsp), %rax
    movq %rax, 32(%rdi)                 /* RSP */
    andl $0xffff0000, %eax              /* the user's RSP bits 31:16 (63:32 cleared) */
    movabsq $ESPFIX_BASE, %rdi
    orq %rdi, %rax                      /* the alias of espfix_page with those bits */
    popq %rdi                           /* user RDI */
    swapgs                              /* GS base: struct cpu -> user's */
    movq %rax, %rsp                     /* read-only from here on */
    popq %rax                           /* user RAX */
    jmp iret_insn

/*
 * An NMI, #DB, #DF or #MC from ring 0 (see the top of this file): the GS base found is
 * saved in RBX (callee-saved: trap() keeps it), cpu0's written; the old one is written
 * back before trapret, which does not swap for a ring-0 frame. Registers on entry: as
 * alltraps', RFLAGS already the kernel's.
 */
paranoid_entry:
    pushq $RFLAGS_RSV1
    popfq
    PUSH_GPRS
    mov $MSR_GS_BASE, %ecx
    rdmsr
    shlq $32, %rdx
    orq %rax, %rdx
    movq %rdx, %rbx                     /* the GS base the event found */
    leaq cpu0(%rip), %rax
    movq %rax, %rdx
    shrq $32, %rdx
    wrmsr                               /* GS base: cpu0's, whatever it was */
    mov %rsp, %rdi
    call trap
    mov $MSR_GS_BASE, %ecx
    movl %ebx, %eax
    movq %rbx, %rdx
    shrq $32, %rdx
    wrmsr                               /* the interrupted code's GS base again */
    jmp trapret

/*
 * A new process's or thread's first run: proc_alloc points its context here,
 * so swtch's ret arrives with RSP = its trap frame. A kill that came before
 * it ever ran (exit_group, a fatal signal to the group) ends it here, before
 * ring 3 (Linux does the same exit work on the way out of ret_from_fork).
 */
    .globl forkret
forkret:
    call proc_first_run                 /* returns only if not killed */
    jmp trapret

/*
 * iret_to_user(struct trapframe *tf): leave the kernel through trapret's
 * iretq with the frame `tf` (the top of the current kernel stack), whatever
 * path entered. The system-call path takes it when sysretq can't return the
 * frame (signal.c: after rt_sigreturn, or with TF set).
 */
    .globl iret_to_user
iret_to_user:
    mov %rdi, %rsp
    jmp trapret

/*
 * Registers on entry (SDM Vol. 2B SYSCALL): RCX = user RIP, R11 = user
 * RFLAGS, RSP = user RSP (unchanged!), GS base = the user's, CS/SS from
 * STAR[47:32], RFLAGS masked by FMASK (IF clear, so nothing can interrupt us
 * before the stack switch). The CPU does not switch stacks: swapgs makes
 * %gs reach struct cpu, where we park the user RSP and find the current
 * process's kernel stack top (the same value as TSS.RSP0).
 */
    .globl syscall_entry
syscall_entry:
    swapgs                              /* GS base: user's -> struct cpu */
    mov %rsp, %gs:CPU_USER_RSP
    mov %gs:CPU_KSTACK_TOP, %rsp
    pushq $USER_SS                      /* tf->ss */
    pushq %gs:CPU_USER_RSP              /* tf->rsp */
    pushq %r11                          /* tf->rflags */
    pushq $USER_CS                      /* tf->cs */
    pushq %rcx                          /* tf->rip */
    pushq %rax                          /* tf->error: the number (orig_rax, for a restart) */
    pushq $T_SYSCALL                    /* tf->vector */
    PUSH_GPRS
    mov %rsp, %rdi
    call syscall_dispatch
    .globl sysret_path
sysret_path:
#ifdef SANITIZE
    mov %rsp, %rdi                      /* san_user_return(tf): checks before ring 3 */
    call san_user_return
#endif
    POP_GPRS
    add $16, %rsp                       /* vector, error */
    /* The C side guarantees tf->rip is a canonical user address: sysretq
       with a non-canonical RCX would #GP in ring 0 with the user's RSP and
       GS base already loaded (SDM Vol. 2B SYSRET). */
    popq %rcx                           /* tf->rip    -> RCX -> RIP    */
    add $8, %rsp                        /* tf->cs (sysretq loads USER_CS) */
    popq %r11                           /* tf->rflags -> R11 -> RFLAGS */
    popq %rsp                           /* tf->rsp: user stack; tf->ss implied */
    swapgs                              /* GS base: struct cpu -> user's (IF is still 0) */
    .globl sysret_insn
sysret_insn:                            /* the instruction that returns to ring 3 */
    sysretq

/*
 * The compatibility-mode entries (Linux: arch/x86/entry/entry_64_compat.S). Both build the
 * trap frame a 32-bit process would have from int $0x80 (CS USER32_CS, SS USER_SS) and call
 * compat_fast_syscall(), which runs the i386 call as Linux's do_fast_syscall_32 does (the
 * return address is the vDSO's landing pad, the sixth argument is read from the user stack),
 * then leave through trapret's iretq: sysretl/sysexit would need the checks Linux makes
 * before it takes them, and iretq is always right.
 *
 * Registers on entry from `syscall` in compatibility mode (AMD APM Vol. 3 SYSCALL; the SDM
 * Vol. 2B SYSCALL: #UD on Intel there): RCX = the return EIP (zero-extended), R11 = user
 * RFLAGS, RSP = the user's (unchanged), GS base the user's, CS/SS from STAR[47:32], RFLAGS
 * masked by FMASK (IF, TF, AC, NT, DF clear). ECX is lost, so the i386 convention passes the
 * second argument in EBP (Linux: "pt_regs->cx (stashed in bp)").
 */
    .globl entry_SYSCALL_compat
entry_SYSCALL_compat:
    swapgs                              /* GS base: user's -> struct cpu */
    mov %rsp, %gs:CPU_USER_RSP
    mov %gs:CPU_KSTACK_TOP, %rsp
    pushq $USER_SS                      /* tf->ss */
    pushq %gs:CPU_USER_RSP              /* tf->rsp */
    pushq %r11                          /* tf->rflags */
    pushq $USER32_CS                    /* tf->cs */
    pushq %rcx                          /* tf->rip (compat_fast_syscall replaces it) */
    pushq %rax                          /* tf->error: the number (orig_ax) */
    pushq $T_SYSCALL32                  /* tf->vector */
    mov %rbp, %rcx                      /* the second argument: tf->rcx = EBP */
    PUSH_GPRS
    mov %rsp, %rdi
    call compat_fast_syscall
    jmp trapret

/*
 * Registers on entry from `sysenter` (SDM Vol. 2B SYSENTER): CS = SYSENTER_CS (KERNEL_CS),
 * SS = KERNEL_SS, RSP = SYSENTER_ESP (sysenter_stack), RIP = here, IF and VM clear; nothing
 * else is saved: no return address, the user's stack pointer is in EBP by the i386
 * convention (Linux: "pt_regs->sp (stashed in bp)"), and TF, AC, NT and DF are the user's
 * (a TF #DB was handled in alltraps). Interrupts are off, so nothing runs on sysenter_stack
 * but that #DB frame. The user's RFLAGS had IF set (ring 3 cannot clear it with IOPL 0).
 */
    .globl entry_SYSENTER_compat
entry_SYSENTER_compat:
    swapgs                              /* GS base: user's -> struct cpu */
    mov %gs:CPU_KSTACK_TOP, %rsp
    pushq $USER_SS                      /* tf->ss */
    pushq %rbp                          /* tf->rsp */
    pushfq                              /* tf->rflags (IF added below) */
    orq $RFLAGS_IF, (%rsp)
    pushq $USER32_CS                    /* tf->cs */
    pushq $0                            /* tf->rip: compat_fast_syscall sets the landing pad */
    pushq %rax                          /* tf->error: the number (orig_ax) */
    pushq $T_SYSENTER                   /* tf->vector */
    /* Kernel RFLAGS from a known value before any C: the user's AC would open user pages
       under SMAP, DF would reverse string copies, NT would make an iretq a task return. */
    pushq $RFLAGS_RSV1
    popfq
    PUSH_GPRS
    mov %rsp, %rdi
    call compat_fast_syscall
    jmp trapret
