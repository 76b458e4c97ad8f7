/*
 * Context switch between two kernel stacks: swtch(struct context **save,
 * struct context *load). Pushes the callee-saved registers (System V x86-64
 * psABI 3.2.1) in struct context order (include/proc.h), stores RSP in
 * *save, loads `load` as RSP and pops the other side's. The `ret` resumes
 * whoever saved `load`: the scheduler, a process in sched(), or forkret for
 * a process that never ran.
 */
    .text
    .globl swtch
swtch:
    pushq %rbp                          /* context->rbp */
    pushq %rbx                          /* context->rbx */
    pushq %r12                          /* context->r12 */
    pushq %r13                          /* context->r13 */
    pushq %r14                          /* context->r14 */
    pushq %r15                          /* context->r15 (lowest) */
    mov %rsp, (%rdi)
    mov %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret                                 /* context->rip */
