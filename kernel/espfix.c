/*
 * espfix: an iretq to a 16-bit stack segment must not hand ring 3 the kernel's stack address.
 *
 * The problem (SDM Vol. 3A 6.14.x, Vol. 2A IRET; Linux's arch/x86/kernel/espfix_64.c): an
 * iretq that returns to compatibility mode with an SS whose B flag is 0 (a 16-bit stack,
 * which only an LDT can hold: modify_ldt with seg_32bit = 0) loads only SP, bits 15:0;
 * bits 31:16 of ESP (and 63:16 of RSP) keep what RSP held when iretq ran, the kernel stack's
 * address. The program reads them with `mov %esp, %eax`. QEMU's TCG does the same
 * (helper_ret_protected masks the new RSP with the SS size).
 *
 * What ringlab does, as Linux: every iretq to a frame whose SS is in the LDT first copies the
 * frame to the espfix page and runs from one of its read-only aliases (trapentry.S,
 * espfix_return): ESPFIX_BASE | (the user's RSP & 0xffff0000) | the frame's offset. The
 * espfix page is mapped read-only at the start of every 64 KiB of ESPFIX_SPAN (65536
 * aliases; one page table repeats in every entry of one page directory, which fills four
 * PDPT entries), so any value of bits 31:16 lands on it. After the iretq ESP holds the
 * user's own bits 31:16 again; RSP's bits 63:32 are ESPFIX_BASE's, a constant of this
 * layout (as Linux's ESPFIX_BASE_ADDR), never the kernel stack. The frame is checked before
 * (ldt.c, user_segs_check), so that iretq does not fault: a fault there would push onto the
 * read-only alias and become a #DF (a panic: the kernel says so, it does not run on).
 * One CPU: one page (Linux: one per CPU).
 */
#include "kernel.h"
#include "mmu.h"
#include "vm.h"

#define ESPFIX_ALIAS_STRIDE 0x10000   /* one alias per 64 KiB: each value of bits 31:16 */
#define ESPFIX_PT_STEP (ESPFIX_ALIAS_STRIDE / PAGE_SIZE)   /* every 16th PTE */
_Static_assert(ESPFIX_BASE % ESPFIX_SPAN == 0, "ESPFIX_BASE's bits 31:16 are 0");
_Static_assert(ESPFIX_SPAN == 4 * PX_SPAN(2), "four PDPT entries");

/* The frame is written here (kernel image: writable) and read through the aliases. */
uint8_t espfix_page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static uint64_t espfix_pt[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));
static uint64_t espfix_pd[PT_ENTRIES] __attribute__((aligned(PAGE_SIZE)));

void espfix_init(void)
{
    for (int i = 0; i < PT_ENTRIES; i += ESPFIX_PT_STEP)
        espfix_pt[i] = V2P(espfix_page) | PTE_P | PTE_NX;         /* read-only, supervisor */
    for (int i = 0; i < PT_ENTRIES; i++)
        espfix_pd[i] = V2P(espfix_pt) | PTE_P | PTE_W;
    for (uint64_t va = ESPFIX_BASE; va < ESPFIX_BASE + ESPFIX_SPAN; va += PX_SPAN(2))
        vm_kernel_region(va, V2P(espfix_pd));
}
