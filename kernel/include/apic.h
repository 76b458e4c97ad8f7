/*
 * The local APIC, only as far as the PIC's interrupts need it (SDM Vol. 3A chapter 11).
 *
 * The kernel takes every device interrupt from the 8259A PIC pair (pic.c). On a CPU with a
 * local APIC the PIC's INTR reaches the core only through LVT LINT0 set to ExtINT, with the
 * APIC software-enabled (the MP specification's virtual-wire mode); a masked LINT0 (where
 * QEMU's qboot firmware leaves it) drops every PIC interrupt. SeaBIOS sets exactly these
 * values; boot.S sets them itself, so the kernel works whatever the firmware left.
 * Included from assembly: macros only.
 */
#pragma once

#define MSR_APIC_BASE        0x1b        /* IA32_APIC_BASE (SDM Vol. 3A 11.4.4) */
#define APIC_BASE_ENABLE     (1 << 11)   /* global enable; 0: no APIC, nothing to set */
#define APIC_BASE_ADDR_MASK  0xfffff000  /* the register page's physical address (below 4 GiB) */
#define CPUID1_EDX_APIC      (1 << 9)    /* an on-chip local APIC (SDM Vol. 2A, CPUID leaf 1) */

#define APIC_SVR             0xf0        /* spurious-interrupt vector register (11.9) */
#define APIC_LVT_LINT0       0x350       /* local vector table: LINT0 pin (11.5.1) */
#define APIC_LVT_LINT1       0x360       /* local vector table: LINT1 pin */

#define APIC_SVR_ENABLE      (1 << 8)    /* APIC software enable */
#define APIC_SPURIOUS_VECTOR 0xff        /* as SeaBIOS and Linux choose */
#define APIC_LVT_LEVEL       (1 << 15)   /* level-triggered (the PC's virtual wire, as SeaBIOS) */
#define APIC_DM_NMI          (4 << 8)    /* delivery mode NMI: LINT1 carries the chipset's NMI */
#define APIC_DM_EXTINT       (7 << 8)    /* delivery mode ExtINT: the vector comes from the PIC */
