/*
 * struct user_desc, the argument of set_thread_area, get_thread_area (tls.c) and modify_ldt
 * (ldt.c), and the conversions between it and a segment descriptor, as Linux's
 * arch/x86/include/asm/desc.h (fill_ldt, LDT_empty) and arch/x86/kernel/tls.c
 * (fill_user_desc).
 */
#pragma once
#include "types.h"

/* struct user_desc (arch/x86/include/uapi/asm/ldt.h): the same in both ABIs. */
struct user_desc {
    uint32_t entry_number;
    uint32_t base_addr;
    uint32_t limit;
    uint32_t flags;            /* the bitfields below, in this order from bit 0 */
};
_Static_assert(sizeof(struct user_desc) == 16, "struct user_desc is 16 bytes");

#define UD_SEG_32BIT        (1u << 0)
#define UD_CONTENTS_SHIFT   1          /* 2 bits: 0 data, 1 data expand-down, 2 code */
#define UD_READ_EXEC_ONLY   (1u << 3)
#define UD_LIMIT_IN_PAGES   (1u << 4)
#define UD_SEG_NOT_PRESENT  (1u << 5)
#define UD_USEABLE          (1u << 6)
#define UD_LM               (1u << 7)  /* x86-64 only: never set in a descriptor */
#define UD_FLAG_BITS        0xffu

/* Linux's LDT_empty: the "clear this entry" form (base, limit 0, read-exec-only, not present). */
static inline bool ud_empty(const struct user_desc *u)
{
    return u->base_addr == 0 && u->limit == 0 && (u->flags & UD_FLAG_BITS & ~UD_LM) ==
           (UD_READ_EXEC_ONLY | UD_SEG_NOT_PRESENT);
}

uint64_t ud_fill(const struct user_desc *u);            /* fill_ldt: a DPL-3 code/data descriptor */
struct user_desc ud_of(uint32_t idx, uint64_t d);       /* fill_user_desc: the reverse */
