/*
 * Kernel entry points: interrupts/exceptions (alltraps, reached from the
 * generated vector stubs) and the syscall instruction (syscall_entry). Both
 * build a struct trapframe (include/trap.h) and call C; all decisions are
 * made there.
 */
#include "gdt.h"
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
 */
    .text
    .globl alltraps
alltraps:
    cld
    PUSH_GPRS
    mov %rsp, %rdi                      /* trap(struct trapframe *) */
    call trap
    .globl trapret
trapret:
    POP_GPRS
    add $16, %rsp                       /* drop vector and error code */
    .globl iret_insn
iret_insn:                              /* ring 3 again if the frame's CS has RPL 3 */
    iretq

/*
 * Registers on entry (SDM Vol. 2B SYSCALL): RCX = user RIP, R11 = user
 * RFLAGS, RSP = user RSP (unchanged!), CS/SS from STAR[47:32], RFLAGS masked
 * by FMASK (IF clear, so nothing can interrupt us before the stack switch).
 * The CPU does not switch stacks: we save the user RSP and load the current
 * process's kernel stack top (the same value as TSS.RSP0) ourselves.
 */
    .globl syscall_entry
syscall_entry:
    mov %rsp, syscall_user_rsp(%rip)
    mov syscall_kstack_top(%rip), %rsp
    pushq $USER_SS                      /* tf->ss */
    pushq syscall_user_rsp(%rip)        /* tf->rsp */
    pushq %r11                          /* tf->rflags */
    pushq $USER_CS                      /* tf->cs */
    pushq %rcx                          /* tf->rip */
    pushq $0                            /* tf->error */
    pushq $T_SYSCALL                    /* tf->vector */
    PUSH_GPRS
    mov %rsp, %rdi
    call syscall_dispatch
    /* After rt_sigreturn every register comes from the signal frame, RCX and
       R11 included, which sysretq would overwrite: leave through iretq. */
    test %eax, %eax
    jnz trapret
    .globl sysret_path
sysret_path:
    POP_GPRS
    add $16, %rsp                       /* vector, error */
    /* The C side guarantees tf->rip is a canonical user address: sysretq
       with a non-canonical RCX would #GP in ring 0 (SDM Vol. 2B SYSRET). */
    popq %rcx                           /* tf->rip    -> RCX -> RIP    */
    add $8, %rsp                        /* tf->cs (sysretq loads USER_CS) */
    popq %r11                           /* tf->rflags -> R11 -> RFLAGS */
    popq %rsp                           /* tf->rsp: user stack; tf->ss implied */
    .globl sysret_insn
sysret_insn:                            /* the instruction that returns to ring 3 */
    sysretq

/* Context switch: swtch(struct context **save, struct context *load) */
    .globl swtch
swtch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .bss
    .balign 8
    .globl syscall_kstack_top
syscall_kstack_top:
    .quad 0
syscall_user_rsp:
    .quad 0
