/*
 * Test-only hooks: each is off unless its kernel argument is given, and runs
 * once at boot (never on a system-call or interrupt path).
 *
 *   test.ukpage=1  make one kernel page user-accessible: U/S set at every
 *                  level of its walk (SDM Vol. 3A 4.6: U/S is ANDed over the
 *                  levels), so that a test can prove the harness's page-table
 *                  audit catches a kernel page ring 3 could read. The page is
 *                  a page of its own in .bss that nothing else touches (with
 *                  SMAP a kernel access to it would fault). Runs before the
 *                  first process exists, so every PML4 copies the planted
 *                  entry and the kernel half stays the same in all of them.
 */
#include "kernel.h"
#include "kargs.h"
#include "mmu.h"
#include "x86.h"

#define TESTHOOK_LEVELS 4        /* PML4, PDPT, PD, PT */

static uint8_t ukpage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static void plant_user_kernel_page(uint64_t va)
{
    static const int shifts[TESTHOOK_LEVELS] = { 39, 30, 21, 12 };
    uint64_t *table = P2V(rcr3() & PTE_ADDR_MASK);
    for (int level = 0; level < TESTHOOK_LEVELS; level++) {
        uint64_t *e = &table[(va >> shifts[level]) & 0x1ff];
        if (!(*e & PTE_P))
            panic("test-ukpage-unmapped va=0x%lx level=%d", va, level);
        *e |= PTE_U;
        if (level == TESTHOOK_LEVELS - 1 || (*e & PTE_PS))
            break;
        table = P2V(*e & PTE_ADDR_MASK);
    }
    invlpg(va);
}

void testhook_init(void)
{
    if (kargs.test_ukpage) {
        plant_user_kernel_page((uint64_t)ukpage);
        kevent("test ukpage va=0x%lx", (uint64_t)ukpage);
    }
}
