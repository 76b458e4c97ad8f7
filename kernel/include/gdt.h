/*
 * Segment selectors and descriptor layout.
 *
 *   index  selector  descriptor                 used by
 *   -----  --------  -------------------------  ------------------------------------
 *     0     0x00     null
 *     1     0x08     kernel code, 64-bit, DPL0   syscall loads CS = STAR[47:32]
 *     2     0x10     kernel data, DPL0           syscall loads SS = STAR[47:32] + 8
 *     3     0x18     null (user 32-bit slot)     STAR[63:48] base for sysretq
 *     4     0x20     user data, DPL3             sysretq loads SS = STAR[63:48] + 8 (RPL 3 -> 0x23)
 *     5     0x28     user code, 64-bit, DPL3     sysretq loads CS = STAR[63:48] + 16 (RPL 3 -> 0x2b)
 *   6-7     0x30     64-bit TSS (16 bytes)       ltr
 *
 * SDM Vol. 2B SYSCALL/SYSRET and Vol. 3A 5.8.8 fix this order: the user data
 * descriptor must sit directly below the 64-bit user code descriptor.
 *
 * The only DPL-3 descriptors are the user code and data segments: no call gate, no LDT
 * and no TSS a ring-3 program could name (lar/lsl/verr/verw at CPL 3 see those two and
 * nothing else). The LDT register holds the null selector.
 */
#pragma once

#define GDT_NENTRIES  8          /* descriptors, counting the TSS as two */

#define KERNEL_CS     0x08       /* kernel code selector, RPL 0 */
#define KERNEL_SS     0x10       /* kernel data/stack selector, RPL 0 */
#define SYSRET_BASE   0x18       /* STAR[63:48]: sysretq adds 8 (SS) and 16 (CS) */
#define USER_SS       0x23       /* user data selector 0x20 with RPL 3 */
#define USER_CS       0x2b       /* user 64-bit code selector 0x28 with RPL 3 */
#define TSS_SEL       0x30       /* TSS selector */
#define NULL_SEL      0x00       /* DS, ES, FS, GS in the kernel and at ring-3 entry */
#define LDT_NULL_SEL  0x00       /* lldt operand: no LDT, every TI=1 selector is #GP */

#define SEL_RPL_MASK  0x3        /* requested privilege level bits of a selector */

#define IST_DF        1          /* IST slot used by the #DF gate */

#ifndef __ASSEMBLER__
#include "types.h"
#define NSEGS 4                          /* DS, ES, FS, GS: the selectors a process owns */
void segs_load(const uint16_t seg[NSEGS]);   /* then write FS_BASE and KERNEL_GS_BASE (they change) */
void segs_save(uint16_t seg[NSEGS]);
#endif
