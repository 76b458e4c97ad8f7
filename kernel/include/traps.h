/* Interrupt and exception vectors (SDM Vol. 3A 6.3.1, Table 6-1). */
#pragma once

#define T_DE        0            /* divide error */
#define T_DB        1            /* debug */
#define T_NMI       2            /* non-maskable interrupt */
#define T_BP        3            /* breakpoint (int3) */
#define T_OF        4            /* overflow (into) */
#define T_BR        5            /* bound range exceeded */
#define T_UD        6            /* invalid opcode */
#define T_NM        7            /* device not available */
#define T_DF        8            /* double fault (error code 0) */
#define T_CSO       9            /* coprocessor segment overrun (reserved) */
#define T_TS        10           /* invalid TSS (error code) */
#define T_NP        11           /* segment not present (error code) */
#define T_SS        12           /* stack-segment fault (error code) */
#define T_GP        13           /* general protection (error code) */
#define T_PF        14           /* page fault (error code, CR2) */
#define T_MF        16           /* x87 floating-point error */
#define T_AC        17           /* alignment check (error code) */
#define T_MC        18           /* machine check */
#define T_XM        19           /* SIMD floating-point */
#define T_VE        20           /* virtualization exception */
#define T_CP        21           /* control protection (error code) */

#define T_IRQ0      32           /* first vector of the remapped 8259 PIC */
#define T_TIMER     (T_IRQ0 + 0) /* PIT, IRQ 0 */
#define T_COM1      (T_IRQ0 + 4) /* COM1 receive, IRQ 4 */
#define T_SPURIOUS  (T_IRQ0 + 7) /* spurious master PIC interrupt, IRQ 7 */
#define T_INT80     0x80         /* int 0x80 system-call gate, DPL 3 */
#define T_SYSCALL   0x100        /* pseudo-vector in trap frames built by syscall_entry */
#define T_SYSCALL32 0x101        /* ... by entry_SYSCALL_compat (syscall in compatibility mode) */
#define T_SYSENTER  0x102        /* ... by entry_SYSENTER_compat */

#define NVECTORS    256
