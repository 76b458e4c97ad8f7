/* Throwaway multiboot kernel to produce real QEMU -d int,cpu_reset logs. */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003
    .section .multiboot, "a"
    .align 4
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)

    .section .text
    .code32
    .globl _start
_start:
#if SCENARIO == 9
    /* 32-bit protected mode, no IDT: ud2 -> triple fault */
    mov $0x1234, %eax
    ud2
#endif
#if SCENARIO == 8
    /* 32-bit protected mode with a null IDT limit: divide error -> #GP -> #DF -> triple */
    lidt idt_null
    xor %edx, %edx
    xor %ecx, %ecx
    mov $5, %eax
    div %ecx
#endif
    mov $stack_top, %esp
    /* page tables: PML4[0] -> PDPT[0] -> PD with 2 MiB pages */
    mov $pdpt, %eax
    or $0x7, %eax
    mov %eax, pml4
    mov $pd, %eax
    or $0x7, %eax
    mov %eax, pdpt
    /* PD[0]: 0-2MiB kernel, supervisor RW */
    movl $0x00000083, pd
    /* PD[1]: 2-4MiB user code, U RW */
    movl $0x00200087, pd+8
    /* PD[2]: 4-6MiB user data, U RW NX */
    movl $0x00400087, pd+16
    movl $0x80000000, pd+20
    /* PD[3]: 6-8MiB kernel read-only, supervisor */
    movl $0x00600081, pd+24
    mov %cr4, %eax
    or $0x20, %eax          /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xC0000080, %ecx
    rdmsr
    or $0x900, %eax         /* LME | NXE */
    wrmsr
    mov %cr0, %eax
    or $0x80050001, %eax
    mov %eax, %cr0
    lgdt gdtr
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    /* TSS descriptor base */
    lea tss(%rip), %rax
    mov %ax, gdt+0x30+2
    shr $16, %rax
    mov %al, gdt+0x30+4
    mov %ah, gdt+0x30+7
    lea stack_top(%rip), %rax
    mov %rax, tss+4                 /* RSP0 */
    lea df_stack_top(%rip), %rax
    mov %rax, tss+0x24              /* IST1 */
    mov $0x30, %ax
    ltr %ax
    /* IDT: 256 gates to the common stubs */
    xor %ecx, %ecx
1:
    lea stubs(%rip), %rax
    mov %ecx, %edx
    shl $4, %edx
    add %rdx, %rax                  /* stub i at stubs + 16*i */
    lea idt(%rip), %rdi
    shl $4, %rdx
    mov %ecx, %edx
    shl $4, %edx
    add %rdx, %rdi
    mov %ax, (%rdi)
    movw $0x08, 2(%rdi)
    movw $0x8E00, 4(%rdi)           /* present, DPL0, interrupt gate */
    shr $16, %rax
    mov %ax, 6(%rdi)
    shr $16, %rax
    mov %eax, 8(%rdi)
    movl $0, 12(%rdi)
    inc %ecx
    cmp $256, %ecx
    jne 1b
    lea idt(%rip), %rdi
    movw $0xEE00, 3*16+4(%rdi)      /* int3 from ring 3 */
    movw $0xEE00, 0x80*16+4(%rdi)   /* int 0x80 from ring 3 */
    movb $1, 8*16+4(%rdi)           /* #DF on IST1 */
    lidt idtr(%rip)
    /* remap the 8259 PIC to 0x20/0x28, only IRQ0 (PIT) unmasked */
    mov $0x11, %al
    out %al, $0x20
    out %al, $0xa0
    mov $0x20, %al
    out %al, $0x21
    mov $0x28, %al
    out %al, $0xa1
    mov $4, %al
    out %al, $0x21
    mov $2, %al
    out %al, $0xa1
    mov $1, %al
    out %al, $0x21
    out %al, $0xa1
    mov $0xfe, %al
    out %al, $0x21
    mov $0xff, %al
    out %al, $0xa1

#if SCENARIO == 7
    /* ring 0: lose the IDT, then fault -> triple fault in long mode */
    lidt idt_null(%rip)
    mov $0xdead, %rax
    movq 0x40000000, %rax
#endif
    mov %rsp, saved_rsp(%rip)
    /* ring 0 catalogue */
#define TRY(label) lea label(%rip), %rax; mov %rax, resume(%rip)
    TRY(r0_1)
    int3
r0_1:
    TRY(r0_2)
    ud2
r0_2:
    TRY(r0_3)
    xor %edx, %edx
    xor %ecx, %ecx
    mov $7, %eax
    div %ecx
r0_3:
    TRY(r0_4)
    movabs $0x8000000000000000, %rbx
    mov (%rbx), %rax                /* non-canonical -> #GP(0) */
r0_4:
    TRY(r0_5)
    mov $0x1234, %eax
    movq 0x40000000, %rax           /* not present -> #PF(0) cr2 */
r0_5:
    TRY(r0_6)
    movq $1, 0x600010               /* write to read-only supervisor page -> #PF(3) */
r0_6:
    TRY(r0_7)
    mov $0x48, %ax
    mov %ax, %ds                    /* selector beyond the GDT limit -> #GP(0x48) */
r0_7:
    TRY(r0_7b)
    mov $0x4c, %ax
    mov %ax, %es                    /* LDT selector with a null LDT -> #GP(0x4c) */
r0_7b:
    TRY(r0_8)
    int $0x80
r0_8:
    /* ring 3 catalogue: each entry starts a fresh iretq */
    lea user_tests(%rip), %r15
next_user:
    mov (%r15), %rax
    test %rax, %rax
    jz do_df
    add $8, %r15
    lea next_user(%rip), %rbx
    mov %rbx, resume(%rip)
    mov saved_rsp(%rip), %rsp
    pushq $0x23                     /* SS */
    pushq $0x401000                 /* RSP */
    pushq $0x202                    /* RFLAGS */
    pushq $0x2b                     /* CS */
    pushq %rax                      /* RIP */
    mov $0x5555, %eax
    iretq

do_df:
    /* ring 0 #PF on an unmapped stack -> #DF on IST1 */
    mov saved_rsp(%rip), %rsp
    lea finish(%rip), %rax
    mov %rax, resume(%rip)
    movabs $0x40001000, %rsp
    ud2
finish:
    mov $0x2a, %al
    out %al, $0xf4
    hlt

/* Common handler: record nothing, resume at `resume` in ring 0. */
    .align 16
stubs:
    .set i, 0
    .rept 256
    .align 16
    .if (i == 8) || (i == 10) || (i == 11) || (i == 12) || (i == 13) || (i == 14) || (i == 17) || (i == 21) || (i == 29) || (i == 30)
    add $8, %rsp                    /* drop the error code */
    .endif
    jmp common
    .set i, i+1
    .endr
common:
    mov $0x20, %al
    out %al, $0x20
    /* frame: rip, cs, rflags, rsp, ss */
    mov resume(%rip), %rax
    mov %rax, 0(%rsp)
    movq $0x08, 8(%rsp)
    movq $0x2, 16(%rsp)             /* RFLAGS: clear TF, AC, IF */
    mov saved_rsp(%rip), %rax
    mov %rax, 24(%rsp)
    movq $0x10, 32(%rsp)
    iretq

    .section .utext, "ax"
u_int80:
    mov $0x1234, %eax
    int $0x80
    hlt
u_hlt:
    hlt
u_int21:
    int $0x21                       /* DPL0 gate -> #GP(0x10a) */
u_ud2:
    ud2
u_int3:
    int3
u_cli:
    cli
u_rd_kernel:
    mov 0x100000, %rax              /* supervisor page -> #PF(5) */
u_wr_unmapped:
    movq $1, 0x40000008             /* -> #PF(6) */
u_nx:
    mov $0x400800, %rax
    movw $0x0b0f, (%rax)
    jmp *%rax                       /* NX -> #PF(0x15) */
u_noncanon:
    movabs $0x0000800000000000, %rbx
    mov (%rbx), %rax                /* -> #GP(0) */
u_div:
    xor %edx, %edx
    xor %ecx, %ecx
    div %ecx
u_ac:
    pushfq
    orl $0x40000, (%rsp)
    popfq
    mov 0x401001, %rax              /* misaligned with CR0.AM and RFLAGS.AC -> #AC(0) */
    ud2                             /* reached if no #AC was raised */
u_tf:
    pushfq
    orl $0x100, (%rsp)
    popfq
    nop                             /* #DB after the instruction following popf */
u_spin:
    mov $0x7777, %eax
1:  jmp 1b                          /* wait for the PIT: hardware IRQ0 -> vector 0x20 */

    .section .data
    .align 8
user_tests:
    .quad u_int80, u_hlt, u_int21, u_ud2, u_int3, u_cli, u_rd_kernel, u_wr_unmapped, u_nx, u_noncanon, u_div, u_ac, u_tf, u_spin, 0
resume: .quad 0
saved_rsp: .quad 0
    .align 16
gdt:
    .quad 0
    .quad 0x00209A0000000000        /* 0x08 kernel code 64 */
    .quad 0x0000920000000000        /* 0x10 kernel data */
    .quad 0
    .quad 0x0000F20000000000        /* 0x20 user data */
    .quad 0x0020FA0000000000        /* 0x28 user code 64 */
    .quad 0x0000890000000067        /* 0x30 TSS (base patched) */
    .quad 0
gdt_end:
gdtr:
    .word gdt_end - gdt - 1
    .quad gdt
idtr:
    .word 256*16 - 1
    .quad idt
idt_null:
    .word 0
    .quad 0

    .section .bss
    .align 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
idt:  .skip 4096
tss:  .skip 104
    .align 16
    .skip 8192
stack_top:
    .skip 4096
df_stack_top:
