/*
 * ioperm(2) and iopl(2): ring-3 port access through the TSS I/O permission bitmap
 * (bitmaps and offsets in percpu.h). The state is per process, kept in ioperm.c by process
 * slot (the index in proc.c's table) so struct proc stays as it is.
 */
#pragma once
#include "types.h"

struct trapframe;

#define IOPERM_PAGES  2          /* a process's 8 KiB bitmap: two kalloc pages */
#define IOPL_ALL      3          /* the iopl(2) level that grants every port */

void ioperm_init(void);                      /* gdt_init: bitmaps closed, no port for ring 3 */
void ioperm_switch(int slot);                /* scheduler: slot is about to run */
int ioperm_fork(int child);                  /* fork: child (a slot) gets the running one's; -ENOMEM */
void ioperm_release(int slot);               /* the slot's process is gone: free its bitmap */
bool ioperm_fixup_cli_sti(struct trapframe *tf);   /* #GP at CPL 3: skip cli/sti after iopl(3) */
