/*
 * Multiboot v1 entry and the switch to 64-bit long mode.
 *
 * Registers on entry (Multiboot Specification 3.2): 32-bit protected mode,
 * paging off, interrupts off, EAX = 0x2BADB002, EBX = physical address of
 * the multiboot information structure. Nothing else, not even a stack.
 *
 * We map physical 0-1 GiB twice with 2 MiB pages, at 0 (identity, so the next
 * instruction after enabling paging still fetches) and at KERNBASE (where the
 * kernel is linked), enable PAE, EFER.LME/NXE and paging (SDM Vol. 3A 10.8.5
 * "Initializing IA-32e Mode"), far-jump into the 64-bit code segment, then jump
 * to the higher half. vm_init() later replaces these tables with final ones
 * that drop the identity map and give each kernel section its own rights.
 */
#include "apic.h"
#include "gdt.h"
#include "mmu.h"
#include "msr.h"
#include "multiboot.h"

    .section .multiboot, "a"
    .balign 4
mb_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
    .long V2P(mb_header)        /* header_addr */
    .long __load_start_phys     /* load_addr: file bytes from here ...       */
    .long __load_end_phys       /* load_end_addr: ... to here               */
    .long __bss_end_phys        /* bss_end_addr: zeroed up to here          */
    .long _start_phys           /* entry_addr                               */

    .section .boot.text, "ax"
    .code32
    .globl _start32
_start32:
    cli
    mov %eax, %edi                      /* multiboot magic -> kmain arg 1 */
    mov %ebx, %esi                      /* multiboot info  -> kmain arg 2 */
    mov $V2P(boot_stack_top), %esp

    /* The local APIC in virtual-wire mode (include/apic.h says why): while paging is off
       its register page is reachable at its physical address. */
    mov $1, %eax
    xor %ecx, %ecx
    cpuid
    test $CPUID1_EDX_APIC, %edx
    jz 1f
    mov $MSR_APIC_BASE, %ecx
    rdmsr
    test $APIC_BASE_ENABLE, %eax
    jz 1f
    and $APIC_BASE_ADDR_MASK, %eax
    movl $(APIC_SVR_ENABLE | APIC_SPURIOUS_VECTOR), APIC_SVR(%eax)
    movl $(APIC_LVT_LEVEL | APIC_DM_EXTINT), APIC_LVT_LINT0(%eax)
    movl $(APIC_LVT_LEVEL | APIC_DM_NMI), APIC_LVT_LINT1(%eax)
1:
    mov $V2P(boot_pml4), %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $CR4_PAE, %eax
    mov %eax, %cr4
    mov $MSR_EFER, %ecx
    rdmsr
    or $(EFER_LME | EFER_NXE | EFER_SCE), %eax
    wrmsr
    mov %cr0, %eax
    or $(CR0_PG | CR0_WP | CR0_PE), %eax
    mov %eax, %cr0

    lgdt V2P(boot_gdtr)
    ljmp $KERNEL_CS, $V2P(start64_low)

    .code64
start64_low:
    mov $KERNEL_SS, %ax
    mov %ax, %ds
    mov %ax, %es
    mov %ax, %ss
    xor %ax, %ax
    mov %ax, %fs
    mov %ax, %gs
    movabs $start64_high, %rax
    jmp *%rax

    .text
start64_high:
    movabs $boot_stack_top, %rsp
    xor %ebp, %ebp
    call kmain                          /* kmain(magic, mbi_phys): never returns */
1:  hlt
    jmp 1b

    .data
    .balign 8
boot_gdt:
    .quad 0                             /* null */
    .quad 0                             /* 0x08: unused (final GDT: include/gdt.h) */
    .quad 0x00af9a000000ffff            /* KERNEL_CS 0x10: 64-bit code, DPL 0 */
    .quad 0x00cf92000000ffff            /* KERNEL_SS 0x18: data, DPL 0 */
boot_gdt_end:
boot_gdtr:
    .word boot_gdt_end - boot_gdt - 1
    .quad V2P(boot_gdt)

    .balign 4096
boot_pml4:
    .quad V2P(boot_pdpt) + (PTE_P | PTE_W)      /* PML4[0]: identity */
    .fill 510, 8, 0
    .quad V2P(boot_pdpt) + (PTE_P | PTE_W)      /* PML4[511]: KERNBASE */
boot_pdpt:
    .quad V2P(boot_pd) + (PTE_P | PTE_W)        /* PDPT[0]: 0-1 GiB */
    .fill 509, 8, 0
    .quad V2P(boot_pd) + (PTE_P | PTE_W)        /* PDPT[510]: KERNBASE */
    .quad 0
boot_pd:
    .set i, 0
    .rept 512
    .quad (i << 21) + (PTE_P | PTE_W | PTE_PS)
    .set i, i + 1
    .endr

    .bss
    .balign 4096
    .globl boot_stack_top
boot_stack:
    .skip 4 * PAGE_SIZE
boot_stack_top:
