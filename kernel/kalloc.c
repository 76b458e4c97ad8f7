/*
 * Physical page allocator: 4 KiB pages, handed out from a free list threaded
 * through freed pages themselves (reached through the direct map), else from
 * a watermark that walks up through never-used memory. Untouched RAM stays
 * untouched, so QEMU never has to back it: boot stays fast. The free count
 * lets tests prove that a process gives back every page it used.
 *
 * A page can be mapped by several processes (a MAP_SHARED page after fork):
 * one byte per page, at the start of the managed range, counts the mappings
 * beyond the first, and kput() frees the page with its last mapping.
 */
#include "kernel.h"
#include "mmu.h"
#include "proc.h"
#include "sanitize.h"

struct run { struct run *next; };

static struct run *freelist;
static uint64_t nfree;
static uint64_t range_start, range_end;   /* physical range managed */
static uint64_t watermark;                 /* pages at and above it were never handed out */
static uint8_t *shares;                    /* per page: its mappings beyond the first */
#define SHARES_MAX 255                     /* a uint8_t; NPROC sharers fit */
_Static_assert(NPROC - 1 <= SHARES_MAX, "every process can map one shared page");
/* A kcov buffer page can be mapped many times by one process: past SHARES_MAX kcov's mmap and
   fork fail with -ENOMEM (kshare returns false). */

/*
 * The end of RAM that kalloc_init(start_phys, end) needs: the page counters (one byte per
 * page: a page of them covers more than KALLOC_MIN_FREE_PAGES) and KALLOC_MIN_FREE_PAGES
 * to hand out, enough for init's page tables, stacks and first pages. kmain checks it
 * first: below it the range would be empty or negative.
 */
uint64_t kalloc_need_end(uint64_t start_phys)
{
    _Static_assert(KALLOC_MIN_FREE_PAGES < PAGE_SIZE, "one page of counters");
    return ALIGN_UP(start_phys, PAGE_SIZE) + (KALLOC_MIN_FREE_PAGES + 1) * PAGE_SIZE;
}

void kalloc_init(uint64_t start_phys, uint64_t end_phys)
{
    range_start = ALIGN_UP(start_phys, PAGE_SIZE);
    range_end = ALIGN_DOWN(end_phys, PAGE_SIZE);
    uint64_t npages = (range_end - range_start) / PAGE_SIZE;
    shares = P2V(range_start);
    memset(shares, 0, npages);
    range_start += ALIGN_UP(npages, PAGE_SIZE);    /* the counters' own pages are not handed out */
    watermark = range_start;
}

/* The counter of a managed page; panics on any other address (a kernel bug). */
static uint8_t *share_count(void *page, const char *who)
{
    uint64_t pa = V2P(page);
    if (pa % PAGE_SIZE || pa < range_start || pa >= range_end)
        panic("%s-bad-page pa=0x%lx", who, pa);
    return &shares[(pa - range_start) / PAGE_SIZE];
}

void kfree(void *page)
{
    if (*share_count(page, "kfree"))
        panic("kfree-shared-page pa=0x%lx", V2P(page));
    SAN_PAGE_FREE(page);
    struct run *r = page;
    r->next = freelist;
    freelist = r;
    nfree++;
}

/* A page off the free list or the watermark, zeroed if `zero` (else its contents as they
   were). The sanitizer build checks that nothing wrote to a free page since kfree, zeroing it
   in the same pass. */
static void *take_page(bool zero)
{
    struct run *r = freelist;
    if (r) {
        freelist = r->next;
        nfree--;
        if (SAN_PAGE_ALLOC(r, zero))
            return r;
    } else if (watermark < range_end) {
        r = P2V(watermark);
        watermark += PAGE_SIZE;
    } else {
        return NULL;
    }
    if (zero)
        page_fill(r, 0);
    return r;
}

void *kalloc(void)
{
    return take_page(true);
}

/* For a caller that writes every byte of the page before anything reads it (fork's copy of a
   user page): zeroing it first would only be undone. */
void *kalloc_dirty(void)
{
    return take_page(false);
}

uint64_t kalloc_free_pages(void)
{
    return nfree + (range_end - watermark) / PAGE_SIZE;
}

uint64_t kalloc_total_pages(void)
{
    return (range_end - range_start) / PAGE_SIZE;
}

/* One more mapping of `page` (fork keeps a MAP_SHARED page instead of copying it; each mmap
   of a kcov buffer maps its pages): false, and nothing changed, when its counter is full. */
bool kshare(void *page)
{
    uint8_t *n = share_count(page, "kshare");
    if (*n == SHARES_MAX)
        return false;
    (*n)++;
    return true;
}

/* Does `page` have mappings beyond the first? */
bool kshared(void *page)
{
    return *share_count(page, "kshared") != 0;
}

/* One mapping of `page` less: the last one frees it. */
void kput(void *page)
{
    uint8_t *n = share_count(page, "kput");
    if (*n)
        (*n)--;
    else
        kfree(page);
}
