/* FS and GS of a process: selectors and bases across switches, and the FSGSBASE feature (fsgs.c). */
#pragma once
#include "types.h"

struct proc;

extern bool cpu_fsgsbase;          /* CR4.FSGSBASE is on (cpu.c): rd/wr{fs,gs}base in ring 3 */
void fsgs_load(struct proc *p);    /* p's DS ES FS GS and FS/GS bases into the CPU */
void fsgs_save(struct proc *p);    /* and back when p leaves it */
void fsgs_set_base(struct proc *p, bool gs, uint64_t base);   /* arch_prctl ARCH_SET_FS/GS */
void fsgs_set_base_stopped(struct proc *p, bool gs, uint64_t base);   /* the same on a switched-out thread (ptrace) */
