/*
 * Segment selectors and descriptor layout: Linux's x86-64 GDT (arch/x86/include/asm/segment.h),
 * so programs that hard-code its selectors (0x23 and 0x33 for far transfers between 32- and
 * 64-bit code, 0x63 for i386 TLS) see the same segments here.
 *
 *   index  selector  descriptor                   used by
 *   -----  --------  ---------------------------  ------------------------------------------
 *     0     0x00     null
 *     1     0x08     null (Linux: 32-bit kernel   -
 *                    code, for its 32-bit boot
 *                    and EFI paths; ringlab has
 *                    none)
 *     2     0x10     kernel code, 64-bit, DPL0    syscall/sysenter: CS = STAR[47:32] / SYSENTER_CS
 *     3     0x18     kernel data, DPL0            syscall/sysenter: SS = that + 8
 *     4     0x23     user code, 32-bit, DPL3      STAR[63:48]: sysretl CS; sysretq adds 16 (CS)
 *     5     0x2b     user data, DPL3              sysret SS = STAR[63:48] + 8; every user SS
 *     6     0x33     user code, 64-bit, DPL3      sysretq CS = STAR[63:48] + 16
 *     7     0x38     null
 *   8-9     0x40     64-bit TSS (16 bytes)        ltr
 *  10-11    0x50     LDT system descriptor (16    lldt, at every switch to a process
 *                    bytes, DPL0), the running    whose address space has an LDT
 *                    process's modify_ldt table   (ldt.c); else LDTR is null
 *    12     0x63     TLS entry 0, DPL3 when set   set_thread_area (null until then)
 *    13     0x6b     TLS entry 1
 *    14     0x73     TLS entry 2
 *    15     0x7b     CPUNODE: read-only data,     lsl gives (node << 12) | cpu (Linux's
 *                    DPL3, limit = cpu number     vgetcpu; cpu 0, node 0 here)
 *
 * SDM Vol. 2B SYSCALL/SYSRET and Vol. 3A 5.8.8 fix the order of 4-6: sysret takes the 32-bit
 * user code selector from STAR[63:48], the user data selector 8 above it and the 64-bit user
 * code selector 16 above it.
 *
 * The DPL-3 descriptors are the two user code segments, the user data segment, the CPUNODE
 * segment and the TLS entries a process sets: no call gate, no LDT and no TSS a ring-3
 * program could name. The LDT register holds the null selector unless the running process
 * made an LDT with modify_ldt (ldt.c: DPL-3 code/data descriptors only, as Linux's). A 32-bit code segment at DPL
 * 3 lets ring 3 far-jump into compatibility mode, where `syscall` goes through MSR_CSTAR and
 * `sysenter` through the SYSENTER MSRs: both point at real entries (trapentry.S), never 0.
 */
#pragma once

#define GDT_NENTRIES  16         /* descriptors, counting the TSS as two (Linux: GDT_ENTRIES) */

#define KERNEL_CS     0x10       /* kernel code selector, RPL 0 (Linux: __KERNEL_CS) */
#define KERNEL_SS     0x18       /* kernel data/stack selector, RPL 0 (Linux: __KERNEL_DS) */
#define SYSRET_BASE   0x23       /* STAR[63:48]: sysret adds 8 (SS) and, for sysretq, 16 (CS) */
#define USER32_CS     0x23       /* user 32-bit code selector 0x20 with RPL 3 (__USER32_CS) */
#define USER_SS       0x2b       /* user data selector 0x28 with RPL 3 (__USER_DS) */
#define USER_CS       0x33       /* user 64-bit code selector 0x30 with RPL 3 (__USER_CS) */
#define TSS_SEL       0x40       /* TSS selector (GDT_ENTRY_TSS 8) */
#define TLS_ENTRY_MIN 12         /* first TLS descriptor (GDT_ENTRY_TLS_MIN) */
#define TLS_ENTRIES   3          /* TLS descriptors per thread (GDT_ENTRY_TLS_ENTRIES) */
#define TLS_SEL0      0x63       /* TLS entry 12 with RPL 3: i386 glibc's %gs */
#define CPUNODE_SEL   0x7b       /* GDT_ENTRY_CPUNODE 15 with RPL 3 */
#define NULL_SEL      0x00       /* DS, ES, FS, GS in the kernel and at ring-3 entry */
#define LDT_NULL_SEL  0x00       /* lldt operand: no LDT, every TI=1 selector is #GP */
#define LDT_SEL       0x50       /* the LDT's system descriptor (GDT_ENTRY_LDT 10), RPL 0 */

#define SEL_RPL_MASK  0x3        /* requested privilege level bits of a selector */
#define SEL_TI        0x4        /* table indicator: 1 = the LDT (SDM Vol. 3A 3.4.2) */

#define IST_DF        1          /* IST slot used by the #DF gate */
#define SYSENTER_STACK_BYTES 512 /* MSR_SYSENTER_ESP's stack: only a #DB frame lands there */

#ifndef __ASSEMBLER__
#include "types.h"
#define NSEGS 4                          /* DS, ES, FS, GS: the selectors a process owns */
#define SEG_FS 2                         /* index of FS in such an array (DS, ES, FS, GS) */
#define SEG_GS 3
void segs_load(const uint16_t seg[NSEGS]);   /* then write FS_BASE and KERNEL_GS_BASE (they change) */
void tls_load(const uint64_t tls[TLS_ENTRIES]); /* a thread's TLS descriptors into GDT 12-14 */
bool sel_loadable(uint16_t sel);             /* would a data segment load of sel work at CPL 3? */
void segs_save(uint16_t seg[NSEGS]);
uint64_t seg_descriptor(uint16_t sel);       /* the GDT or LDT descriptor sel names, 0 if none */
void gdt_set_ldt(uint64_t base, uint32_t nentries);  /* LDT descriptor + lldt; 0 entries: lldt 0 */
#endif
