/*
 * Physical page allocator: 4 KiB pages, handed out from a free list threaded
 * through freed pages themselves (reached through the direct map), else from
 * a watermark that walks up through never-used memory. Untouched RAM stays
 * untouched, so QEMU never has to back it: boot stays fast. The free count
 * lets tests prove that a process gives back every page it used.
 */
#include "kernel.h"
#include "mmu.h"

struct run { struct run *next; };

static struct run *freelist;
static uint64_t nfree;
static uint64_t range_start, range_end;   /* physical range managed */
static uint64_t watermark;                 /* pages at and above it were never handed out */

void kalloc_init(uint64_t start_phys, uint64_t end_phys)
{
    range_start = ALIGN_UP(start_phys, PAGE_SIZE);
    range_end = ALIGN_DOWN(end_phys, PAGE_SIZE);
    watermark = range_start;
}

void kfree(void *page)
{
    uint64_t pa = V2P(page);
    if (pa % PAGE_SIZE || pa < range_start || pa >= range_end)
        panic("kfree-bad-page pa=0x%lx", pa);
    struct run *r = page;
    r->next = freelist;
    freelist = r;
    nfree++;
}

/* Zero one 4 KiB page with string stores (one TCG helper loop, not 4096 byte stores). */
static void page_zero(void *page)
{
    uint64_t n = PAGE_SIZE / 8;
    __asm__ volatile("cld; rep stosq" : "+D"(page), "+c"(n) : "a"(0UL) : "memory");
}

void *kalloc(void)
{
    struct run *r = freelist;
    if (r) {
        freelist = r->next;
        nfree--;
    } else if (watermark < range_end) {
        r = P2V(watermark);
        watermark += PAGE_SIZE;
    } else {
        return NULL;
    }
    page_zero(r);
    return r;
}

uint64_t kalloc_free_pages(void)
{
    return nfree + (range_end - watermark) / PAGE_SIZE;
}

uint64_t kalloc_total_pages(void)
{
    return (range_end - range_start) / PAGE_SIZE;
}
