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

static uint8_t ukpage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* Walk from the PML4 (level PT_LEVELS - 1) down to the leaf, setting U/S on every entry. */
static void plant_user_kernel_page(uint64_t va)
{
    uint64_t *table = P2V(rcr3() & PTE_ADDR_MASK);
    for (int level = PT_LEVELS - 1; level >= 0; level--) {
        uint64_t *e = &table[PX(level, va)];
        if (!(*e & PTE_P))
            panic("test-ukpage-unmapped va=0x%lx level=%d", va, level);
        *e |= PTE_U;
        if (level == 0 || (*e & PTE_PS))
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
