/*
 * The vDSO and its data page, the vsyscall page (vdso.c, vsyscall.c, vdso/).
 *
 * Every 64-bit process gets, at exec, two special mappings (Linux's [vvar] and [vdso]):
 *
 *      VDSO_ADDR + VDSO_PAGES pages  +-----------------------------+
 *                                    | [vdso]  the ELF image of     |  U/S=1, R-X, shared
 *                                    | vdso/ (AT_SYSINFO_EHDR)      |
 *      VDSO_ADDR                     +-----------------------------+
 *                                    | [vvar]  struct vvar, updated |  U/S=1, R--, NX, shared
 *                                    | by the kernel at every tick  |
 *      VVAR_ADDR                     +-----------------------------+
 *
 * placed at the top of the mmap region, under the stack's guard gap (mmu.h), where Linux
 * puts them near the stack. The pages belong to the kernel (allocated once at boot, never
 * freed); each mapping holds a share (kshare/kput), so fork shares them and exit drops
 * them. Their entries carry PTE_SPECIAL: mprotect, madvise and mremap treat them as Linux
 * treats its special mappings (sysmem.c). The vDSO finds [vvar] at the fixed offset
 * -PAGE_SIZE from itself (vdso/vdso.lds), as Linux's vDSO finds its vvar pages.
 *
 * An i386 process gets the same [vvar] and the 32-bit image (vdso/vdso32.S: __kernel_vsyscall,
 * the sigreturns; vdso/vclock32.c: the clocks; AT_SYSINFO and AT_SYSINFO_EHDR) at
 * VDSO32_ADDR, under its 4 GiB.
 *
 * The vsyscall page (Linux's default vsyscall=xonly): nothing is mapped at VSYSCALL_PAGE (mmu.h);
 * a ring-3 instruction fetch at one of its three entry points faults and is emulated
 * (vsyscall.c), any other access is a SIGSEGV.
 */
#pragma once
#include "mmu.h"

#define VDSO_PAGES     1                                      /* pages of the vDSO image (the Makefile checks it fits) */
#define VDSO_ADDR      (MMAP_END - VDSO_PAGES * PAGE_SIZE)   /* [vdso]: the top of the mmap region */
#define VVAR_ADDR      (VDSO_ADDR - PAGE_SIZE)               /* [vvar]: the page right below it */
#define VDSO32_ADDR    (MMAP32_END - VDSO_PAGES * PAGE_SIZE) /* an i386 process's [vdso]: under 4 GiB */
#define VSYSCALL_GTOD  0x000                                 /* offset of gettimeofday in the vsyscall page */
#define VSYSCALL_TIME  0x400                                 /* offset of time */
#define VSYSCALL_CPU   0x800                                 /* offset of getcpu */

#ifndef __ASSEMBLER__
#include "types.h"

struct mm;
struct trapframe;

#define VDSO_HIT_VVAR  1                                      /* vdso_hit: [vvar] is in the range */
#define VDSO_HIT_VDSO  2                                      /* vdso_hit: [vdso] is in the range */

/* vdso.c */
void vdso_init(void);                          /* boot: the pages, the image, the first time */
void vdso_tick(void);                          /* the timer interrupt: the time in [vvar] */
void vdso_set_tz(int32_t minuteswest, int32_t dsttime);   /* settimeofday's zone in [vvar] */
int vdso_map(uint64_t *pml4, bool is32, uint64_t *base);   /* exec: the image(s); *base = [vdso] */

/* The 32-bit vDSO's entry points (vdso/vdso32.S) */
enum vdso32_entry {
    VDSO32_VSYSCALL,          /* __kernel_vsyscall: AT_SYSINFO */
    VDSO32_LANDING_PAD,       /* int80_landing_pad: where compat syscall/sysenter return */
    VDSO32_SIGRETURN,         /* __kernel_sigreturn: an ia32 sigframe's return without SA_RESTORER */
    VDSO32_RT_SIGRETURN,      /* __kernel_rt_sigreturn: an ia32 rt_sigframe's */
};
uint64_t vdso32_entry(uint64_t vdso_base, enum vdso32_entry which);   /* 0: no 32-bit vDSO there */
int vdso_hit(const struct mm *mm, uint64_t start, uint64_t end);  /* VDSO_HIT_* in [start, end) */
void vdso_unmapped(struct mm *mm, uint64_t start, uint64_t end);  /* [start, end) was unmapped */
void vdso_moved(struct mm *mm, uint64_t from, uint64_t to);       /* mremap moved the page at from */
int vdso_unshare(uint64_t *pml4, const struct mm *mm);   /* [vdso] made writable: own copies */

/* vsyscall.c */
bool vsyscall_emulate(struct trapframe *tf);   /* a #PF from ring 3: true if it was handled */
#endif
