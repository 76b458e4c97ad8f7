/*
 * The LDT (ldt.c): modify_ldt's per-address-space descriptor table, as Linux's
 * arch/x86/kernel/ldt.c, and the check of every unusual CS/SS an iretq to ring 3 would load.
 */
#pragma once
#include "types.h"

#define LDT_ENTRIES    8192      /* descriptors an LDT may hold (Linux's LDT_ENTRIES) */
#define LDT_ENTRY_SIZE 8         /* bytes per descriptor (Linux's LDT_ENTRY_SIZE) */
#define LDT_DEFAULT_BYTES 128    /* read_default_ldt's zeroes on x86-64 (Linux: 128) */

struct mm;
struct trapframe;

void ldt_init(void);                               /* the LDT windows' page tables */
int ldt_copy(struct mm *to, const struct mm *from);  /* fork: -ENOMEM */
void ldt_free(struct mm *mm);                      /* the address space's last user is gone */
void ldt_switch(const struct mm *mm);              /* lldt of mm's table (none: null) */
uint64_t ldt_descriptor(uint32_t idx);             /* entry idx of the loaded LDT, 0 past its end */
void user_segs_check(struct trapframe *tf);        /* trapentry.S: before an iretq with odd CS/SS */
bool user_frame_faults(const struct trapframe *tf); /* would the iretq to ring 3 fault? (sanitize.c) */
