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
 *
 *   test.sanitize=KIND  plant one bug of a kind the sanitizer build reports, once the file
 *                  system exists and before init starts (testhook_fs); each bug is on a line
 *                  of its own here, which the report must name:
 *                  uaf       fs info freed, then taken again (fsinfo_get of a freed entry);
 *                  refcount  a put of an inode nobody holds (its count goes below 0);
 *                  overflow  INT_MAX + 1 in signed arithmetic;
 *                  pagefree  a page given back to kalloc twice;
 *                  pagewrite a byte written to a page after kfree (seen when kalloc hands
 *                            the page out again: the free list is last in, first out).
 *                  The normal build runs the same code and reports nothing: the first two
 *                  leave a leaked slot, the third a wrapped number, the fourth a page twice on
 *                  the free list (taken off again at once here), the fifth a page written
 *                  while free (the kernel goes on).
 */
#include "kernel.h"
#include "file.h"
#include "kargs.h"
#include "mmu.h"
#include "thread.h"
#include "x86.h"

/* In the first 4 MiB (linker.ld), where vm.c maps the kernel with 4 KiB pages: the bss of the
   sanitizer build reaches past it, into a 2 MiB page, which U/S would open whole. */
static uint8_t ukpage[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE), section(".bss.pages4k")));

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

/* The planted bugs: `noinline` so that each stays a call from this file (the report names it). */
static __attribute__((noinline)) void plant_uaf(void)
{
    struct fsinfo *fs = fsinfo_new(fs_root(), 022);
    fsinfo_put(fs);                                          /* TEST-FREE uaf: the last reference */
    fsinfo_get(fs);                                          /* TEST-BUG uaf */
    kevent("test sanitize=uaf unreported");
}

static __attribute__((noinline)) void plant_refcount(void)
{
    struct inode *ip = inode_new(S_IFREG | 0600);            /* no name, nobody holds it */
    if (!ip)
        panic("test-sanitize-no-inode");
    inode_put(ip);                                           /* TEST-BUG refcount */
    kevent("test sanitize=refcount unreported");
}

static __attribute__((noinline)) void plant_overflow(void)
{
    volatile int big = __INT_MAX__;                          /* volatile: not folded at compile time */
    int sum = big + 1;                                       /* TEST-BUG overflow */
    kevent("test sanitize=overflow unreported sum=%d", sum);
}

static __attribute__((noinline)) void plant_pagefree(void)
{
    void *page = kalloc();
    kfree(page);
    kfree(page);                                             /* TEST-BUG pagefree */
    if (kalloc() != page || kalloc() != page)                /* normal build: off the list again */
        panic("test-sanitize-pagefree");
    kevent("test sanitize=pagefree unreported");
}

static __attribute__((noinline)) void plant_pagewrite(void)
{
    uint8_t *page = kalloc();
    kfree(page);
    page[100] = 1;                                           /* written after kfree */
    void *again = kalloc();                                  /* TEST-BUG pagewrite */
    kfree(again);
    kevent("test sanitize=pagewrite unreported");
}

void testhook_fs(void)
{
    switch (kargs.test_sanitize) {
    case TEST_BUG_UAF:
        plant_uaf();
        break;
    case TEST_BUG_REFCOUNT:
        plant_refcount();
        break;
    case TEST_BUG_OVERFLOW:
        plant_overflow();
        break;
    case TEST_BUG_PAGEFREE:
        plant_pagefree();
        break;
    case TEST_BUG_PAGEWRITE:
        plant_pagewrite();
        break;
    case TEST_BUG_NONE:
        break;
    }
}
