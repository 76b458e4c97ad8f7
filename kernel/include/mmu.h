/*
 * Virtual memory map (4-level paging, 48-bit canonical addresses): the one
 * place that says where everything lives. vm.c and the system calls use only
 * these names.
 *
 *  0xffffffffffffffff +---------------------------------------+
 *  0xffffffffff600000   VSYSCALL_PAGE: never mapped; a ring-3     (vsyscall.c)
 *                       call there is emulated by the #PF
 *                     | kernel stacks, one KSTACK_SLOT_PAGES   |  PML4[511] PDPT[511]
 *                     | slot per process, guard page first     |
 *  0xffffffffc0000000 +---------------------------------------+  KSTACK_BASE
 *                     | kernel image + direct map of RAM       |  PML4[511] PDPT[510]
 *  0xffffffff80000000 +---------------------------------------+  KERNBASE = physical 0
 *                     | (unmapped)                             |
 *  0xffffff8140200000 +---------------------------------------+
 *                     | execve's view of a written file: its   |  PML4[511] PDPT[5]
 *                     | pages, read-only, during one execve    |
 *  0xffffff8140000000 +---------------------------------------+  EXECMAP_BASE
 *                     | LDTs: LDT_SLOT_BYTES per address space |  PML4[511] PDPT[4]
 *                     | (modify_ldt's pages, ldt.c)            |
 *  0xffffff8100000000 +---------------------------------------+  LDT_AREA
 *                     | espfix: one read-only page at every    |  PML4[511] PDPT[0-3]
 *                     | 64 KiB, 65536 aliases (espfix.c)       |
 *  0xffffff8000000000 +---------------------------------------+  ESPFIX_BASE
 *                     | (unmapped)                             |  supervisor-only half
 *  0xffff800000000000 +---------------------------------------+
 *                     | non-canonical hole: any access is #GP  |
 *  0x0000800000000000 +---------------------------------------+  USER_TOP = PML4[256]
 *                     (the last user page is never mapped)
 *  0x00007ffffffff000 +---------------------------------------+  USER_STACK_TOP = USER_LIMIT
 *                     | user stack: USER_STACK_PAGES at execve |  U/S=1, NX
 *                     | (more under large execve arguments, up |
 *                     | to USER_STACK_MAX), then grows down on |
 *                     | faults up to RLIMIT_STACK (stackgrow.c)|
 *                     | v                                      |
 *                     | room to grow, the last STACK_GUARD_GAP |  never mapped by mmap/brk
 *                     | of it the gap above the mmap region    |
 *  0x00007ffff7fff000 +---------------------------------------+  MMAP_END = top - STACK_GAP_MIN
 *                     | [vdso] (VDSO_ADDR) above [vvar]: exec  |  vdso.h
 *                     | maps both at the region's top          |
 *                     | anonymous mmap region, first fit ^     |  U/S=1, NX
 *  0x0000700000000000 +---------------------------------------+  MMAP_BASE
 *                     | brk heap, grows ^ (ends a page below   |  U/S=1, NX
 *                     | MMAP_BASE and any other mapping)       |
 *                     | ELF segments (text RX, data RW NX)     |  U/S=1
 *  0x0000000000400000 +---------------------------------------+  (usual static ELF base)
 *                     | MAP_FIXED refused below MMAP_MIN_ADDR  |  (EPERM, as Linux)
 *                     (a 32-bit process: ELF segments and brk below 4 GiB, its stack's
 *                     USER_STACK_PAGES end at USER32_STACK_TOP, Linux's IA32 TASK_SIZE,
 *                     and grow as the 64-bit one's; its mmap region ends at MMAP32_END)
 *  0x0000000000010000 +---------------------------------------+  MMAP_MIN_ADDR
 *                     | page 0: never mapped (NULL faults)     |
 *  0x0000000000000000 +---------------------------------------+
 *
 * User pages live only in the first USER_PML4_ENTRIES entries of a PML4 and
 * have U/S set at every level; the kernel half is the single PML4 entry
 * KERNEL_PML4_INDEX, shared by every process. The kernel is linked at
 * KERNBASE + 1 MiB and loaded at physical 1 MiB, so every physical address
 * p below the end of RAM (at most KERNEL_MAP_SIZE) is visible at P2V(p).
 */
#pragma once

#define PAGE_SIZE        4096
#define PAGE_SHIFT       12
#define HUGE_PAGE_SIZE   0x200000              /* 2 MiB page (PS in a PD entry) */

#define KERNBASE         0xffffffff80000000    /* virtual address of physical 0 */
#define KERNEL_PHYS      0x100000              /* load address of the kernel image */
#define KERNEL_MAP_SIZE  0x40000000            /* direct map covers the first 1 GiB */
#define USER_TOP         0x0000800000000000    /* first address above the user half */
#define USER_LIMIT       (USER_TOP - PAGE_SIZE) /* user memory ends here: see user_range_ok() */
#define USER_STACK_TOP   0x00007ffffffff000    /* initial user RSP region ends here */
#define USER_STACK_PAGES 32                    /* 128 KiB user stack at execve (less under a smaller RLIMIT_STACK);
                                                  it grows on faults afterwards (stackgrow.c) */
#define USER_STACK_RLIMIT 0x20000              /* RLIMIT_STACK's soft default, 128 KiB (Linux's _STK_LIM is
                                                  8 MiB): glibc sizes every thread's stack by it, and
                                                  here mmap populates every page and fork copies them */
#define STACK_GAP_MIN    0x8000000             /* the stack's room above the mmap region: Linux's mmap_base gap
                                                  at an RLIMIT_STACK below it without ASLR (arch/x86/mm/mmap.c
                                                  SIZE_128M), the guard gap included */
#define MMAP_BASE        0x0000700000000000    /* anonymous mmap region start (and brk's ceiling) */
#define USER32_STACK_TOP 0x00000000ffffe000    /* a 32-bit process's stack ends here (IA32_PAGE_OFFSET) */
#define MMAP32_BASE      0x0000000055555000    /* i386 mmap region: Linux's legacy TASK_UNMAPPED_BASE for
                                                  a 32-bit task, PAGE_ALIGN(IA32_PAGE_OFFSET / 3) */
#define MMAP_MIN_ADDR    0x10000               /* Linux's default vm.mmap_min_addr: no MAP_FIXED below */
#define STACK_GUARD_GAP  0x100000              /* Linux's stack_guard_gap (256 pages) below the stack */
#define USER_STACK_FREE  0x10000               /* stack left below execve's arguments, at least (64 KiB) */
#define USER_STACK_MAX   0x220000              /* execve's stack at most: its 2 MiB of arguments (execargs.h),
                                                  a page for argc/auxv/AT_RANDOM, USER_STACK_FREE, rounded */
#define MMAP_END         (USER_STACK_TOP - STACK_GAP_MIN)
#define MMAP32_END       (USER32_STACK_TOP - STACK_GAP_MIN)
#define ESPFIX_BASE      0xffffff8000000000    /* espfix aliases: bits 31:16 free (espfix.c) */
#define ESPFIX_SPAN      0x100000000           /* 4 GiB: every value of bits 31:16 */
#define LDT_AREA         0xffffff8100000000    /* per-address-space LDT windows (ldt.c) */
#define EXECMAP_BASE     0xffffff8140000000    /* a written file's pages during execve (execmap.c) */
#define LDT_SLOT_BYTES   0x10000               /* LDT_ENTRIES (8192) * 8 bytes, each a window */
#define KSTACK_BASE      0xffffffffc0000000    /* kernel stacks: PDPT[511] of the kernel half */
#define VSYSCALL_PAGE    0xffffffffff600000ULL /* Linux's fixed vsyscall page (VSYSCALL_ADDR): emulated
                                                  calls, nothing mapped (vsyscall.c) */
#define KSTACK_SLOT_PAGES 8                    /* per process: guard page + stack + spare */
#define KSTACK_PAGES     4                     /* per-process kernel stack (16 KiB) */

/* Page-table geometry (SDM Vol. 3A 4.5): level 3 = PML4, 2 = PDPT, 1 = PD, 0 = PT. */
#define PT_ENTRIES       512                   /* 8-byte entries in every page-table page */
#define PT_LEVELS        4                     /* PML4, PDPT, PD, PT */
#define PX_SHIFT(level)  (PAGE_SHIFT + 9 * (level)) /* lowest address bit a level indexes */
#define PX_SPAN(level)   (1UL << PX_SHIFT(level))   /* bytes one entry at `level` maps */

#define PTE_P     (1UL << 0)     /* present */
#define PTE_W     (1UL << 1)     /* writable */
#define PTE_U     (1UL << 2)     /* user/supervisor: 1 = ring 3 may access */
#define PTE_PWT   (1UL << 3)     /* write-through */
#define PTE_PCD   (1UL << 4)     /* cache disable */
#define PTE_A     (1UL << 5)     /* accessed */
#define PTE_D     (1UL << 6)     /* dirty */
#define PTE_PS    (1UL << 7)     /* page size: 2 MiB in a PD entry */
#define PTE_G     (1UL << 8)     /* global */
#define PTE_SHARED (1UL << 9)    /* software (ignored by the CPU): MAP_SHARED, kept by fork */
#define PTE_BUS   (1UL << 10)    /* software: a mapped file's page past its end (filemap.c): a
                                    supervisor-only page whose user access is SIGBUS */
#define PTE_BUS_U (1UL << 11)    /* software: a PTE_BUS page's PTE_U once the file reaches it
                                    (its rights: PROT_NONE or not) */
#define PTE_LOCKED (1UL << 52)   /* software (bits 62:52 are ignored, CR4.PKE off): mlock'd
                                    (mlock.c); fork's copy drops it */
#define PTE_NX    (1UL << 63)    /* no-execute (needs EFER.NXE) */
#define PTE_ADDR_MASK 0x000ffffffffff000UL /* physical frame bits of an entry */

#define PF_ERR_P   (1 << 0)      /* page-fault error: protection violation (else not present) */
#define PF_ERR_W   (1 << 1)      /* page-fault error: write access */
#define PF_ERR_U   (1 << 2)      /* page-fault error: access from CPL 3 */
#define PF_ERR_I   (1 << 4)      /* page-fault error: instruction fetch */

#ifndef __ASSEMBLER__
#define P2V(p) ((void *)((uint64_t)(p) + KERNBASE))
#define V2P(v) ((uint64_t)(v) - KERNBASE)
#define PX(level, va)  (((uint64_t)(va) >> PX_SHIFT(level)) & (PT_ENTRIES - 1))  /* index at `level` */
#define PML4_INDEX(va) PX(3, va)
#define PDPT_INDEX(va) PX(2, va)
#define PD_INDEX(va)   PX(1, va)
#define PT_INDEX(va)   PX(0, va)
#define USER_PML4_ENTRIES  (USER_TOP >> PX_SHIFT(3))   /* PML4[0..255]: the user half */
#define KERNEL_PML4_INDEX  PML4_INDEX(KERNBASE)       /* PML4[511]: the shared kernel half */
#define KERNBASE_PDPT_INDEX PDPT_INDEX(KERNBASE)      /* PDPT[510]: image + direct map */
#define KSTACK_PDPT_INDEX  PDPT_INDEX(KSTACK_BASE)    /* PDPT[511]: kernel stacks */
_Static_assert(USER_PML4_ENTRIES == 256, "the user half is the lower 256 PML4 entries");
_Static_assert(USER_STACK_MAX + STACK_GUARD_GAP <= STACK_GAP_MIN && USER_STACK_RLIMIT < STACK_GAP_MIN,
               "execve's largest stack, and one grown to the default RLIMIT_STACK, fit above the mmap region");
_Static_assert(KERNEL_PML4_INDEX == PML4_INDEX(KSTACK_BASE), "kernel stacks share the kernel's PML4 entry");
_Static_assert(KERNBASE_PDPT_INDEX != KSTACK_PDPT_INDEX, "kernel stacks have their own PDPT entry");
#else
#define V2P(v) ((v) - KERNBASE)
#endif
