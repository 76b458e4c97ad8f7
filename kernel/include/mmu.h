/*
 * Virtual memory map (4-level paging, 48-bit canonical addresses).
 *
 *  0xffffffffffffffff +---------------------------------------+
 *                     | kernel image + direct map of RAM       |  PML4[511], PDPT[510]
 *  0xffffffff80000000 +---------------------------------------+  KERNBASE = physical 0
 *                     | (unmapped)                             |  supervisor-only half
 *  0xffff800000000000 +---------------------------------------+
 *                     | non-canonical hole: any access is #GP  |
 *  0x0000800000000000 +---------------------------------------+  USER_TOP
 *                     | user stack (USER_STACK_PAGES), grows v |  U/S=1, NX
 *  0x00007ffffffff000 +---------------------------------------+  USER_STACK_TOP = USER_LIMIT
 *                     (the last user page is never mapped)
 *                     | guard gap (unmapped)                   |
 *                     | anonymous mmap region, grows ^         |  U/S=1, NX
 *  0x0000700000000000 +---------------------------------------+  MMAP_BASE
 *                     | brk heap, grows ^                      |  U/S=1, NX
 *                     | ELF segments (text RX, data RW NX)     |  U/S=1
 *  0x0000000000400000 +---------------------------------------+  (usual static ELF base)
 *                     | page 0: never mapped (NULL faults)     |
 *  0x0000000000000000 +---------------------------------------+
 *
 * The kernel is linked at KERNBASE + 1 MiB and loaded at physical 1 MiB, so
 * every physical address p < RAM size is visible at P2V(p).
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
#define USER_STACK_PAGES 32                    /* 128 KiB user stack, fixed */
#define MMAP_BASE        0x0000700000000000    /* anonymous mmap region start */
#define KSTACK_PAGES     4                     /* per-process kernel stack (16 KiB) */

#define PTE_P     (1UL << 0)     /* present */
#define PTE_W     (1UL << 1)     /* writable */
#define PTE_U     (1UL << 2)     /* user/supervisor: 1 = ring 3 may access */
#define PTE_PWT   (1UL << 3)     /* write-through */
#define PTE_PCD   (1UL << 4)     /* cache disable */
#define PTE_A     (1UL << 5)     /* accessed */
#define PTE_D     (1UL << 6)     /* dirty */
#define PTE_PS    (1UL << 7)     /* page size: 2 MiB in a PD entry */
#define PTE_G     (1UL << 8)     /* global */
#define PTE_NX    (1UL << 63)    /* no-execute (needs EFER.NXE) */
#define PTE_ADDR_MASK 0x000ffffffffff000UL /* physical frame bits of an entry */

#define PF_ERR_P   (1 << 0)      /* page-fault error: protection violation (else not present) */
#define PF_ERR_W   (1 << 1)      /* page-fault error: write access */
#define PF_ERR_U   (1 << 2)      /* page-fault error: access from CPL 3 */
#define PF_ERR_I   (1 << 4)      /* page-fault error: instruction fetch */

#ifndef __ASSEMBLER__
#define P2V(p) ((void *)((uint64_t)(p) + KERNBASE))
#define V2P(v) ((uint64_t)(v) - KERNBASE)
#define PML4_INDEX(va) (((uint64_t)(va) >> 39) & 0x1ff)
#define PDPT_INDEX(va) (((uint64_t)(va) >> 30) & 0x1ff)
#define PD_INDEX(va)   (((uint64_t)(va) >> 21) & 0x1ff)
#define PT_INDEX(va)   (((uint64_t)(va) >> 12) & 0x1ff)
#else
#define V2P(v) ((v) - KERNBASE)
#endif
