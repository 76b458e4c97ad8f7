/*
 * Names of directory entries, each in a slot sized to fit it: 16, 32, 64, 128 or 256
 * bytes (NAME_MAX 255 and its NUL fit the largest). A class's slots are carved out of
 * kalloc'd pages; a page starts with its header and goes back to kalloc when its last
 * name is freed, so an empty file system holds no name pages beyond the boot's own.
 * Linux keeps short names inside the dentry (DNAME_INLINE_LEN) and kmallocs longer
 * ones (fs/dcache.c __d_alloc); this is the same idea without a general kmalloc.
 *
 *   page:  | struct namepage | slot | slot | ... | slot |    (slots from the first
 *                                                           one past the header)
 * Owner: the directory entry holding the pointer (fs.c dirents[i].name): dir_link
 * takes a slot, dir_unlink and dir_move give it back (docs/lifetimes.md).
 */
#include "kernel.h"
#include "file.h"
#include "mmu.h"

#define NAME_CLASSES   5         /* slot sizes 16 << 0 .. 16 << 4 */
#define NAME_MIN_SLOT  16        /* bytes of the smallest slot */

struct namepage {
    struct namepage *next;       /* the class's other pages */
    uint32_t slot;               /* bytes per slot */
    uint32_t used;               /* slots taken */
    uint64_t map[4];             /* bit i: slot i taken (at most 4096 / 16 = 256 slots) */
};
_Static_assert(NAME_MIN_SLOT << (NAME_CLASSES - 1) >= FS_NAME_MAX + 1, "the largest slot holds NAME_MAX");
_Static_assert(PAGE_SIZE / NAME_MIN_SLOT <= 4 * 64, "the map covers every slot");

static struct namepage *classes[NAME_CLASSES];
static uint64_t name_pages;

/* The first slot index past the header, and one past the last. */
static uint32_t first_slot(uint32_t slot) { return (uint32_t)((sizeof(struct namepage) + slot - 1) / slot); }
static uint32_t end_slot(uint32_t slot) { return PAGE_SIZE / slot; }

/* A copy of name (at most FS_NAME_MAX bytes) in a slot of its own, or NULL (no memory). */
char *fsname_alloc(const char *name)
{
    uint64_t len = strlen(name);
    int c = 0;
    while ((uint64_t)(NAME_MIN_SLOT << c) < len + 1)
        c++;
    if (c >= NAME_CLASSES)
        panic("fsname-too-long len=%lu", len);     /* dir_link checks FS_NAME_MAX first */
    uint32_t slot = NAME_MIN_SLOT << c;
    struct namepage *pg = classes[c];
    while (pg && pg->used == end_slot(slot) - first_slot(slot))
        pg = pg->next;
    if (!pg) {
        if (!(pg = kalloc()))
            return NULL;
        pg->slot = slot;
        pg->next = classes[c];
        classes[c] = pg;
        name_pages++;
    }
    for (uint32_t i = first_slot(slot); i < end_slot(slot); i++) {
        if (pg->map[i / 64] >> (i % 64) & 1)
            continue;
        pg->map[i / 64] |= 1UL << (i % 64);
        pg->used++;
        char *s = (char *)pg + (uint64_t)i * slot;
        memcpy(s, name, len + 1);
        return s;
    }
    panic("fsname-page-full slot=%u", slot);       /* used said a slot was free */
}

/* Give a name's slot back; its page goes back to kalloc with its last name. */
void fsname_free(char *name)
{
    struct namepage *pg = (struct namepage *)((uint64_t)name & ~(uint64_t)(PAGE_SIZE - 1));
    uint32_t i = (uint32_t)(((uint64_t)name - (uint64_t)pg) / pg->slot);
    if ((uint64_t)name % pg->slot || !(pg->map[i / 64] >> (i % 64) & 1))
        panic("fsname-bad-free name=0x%lx", (uint64_t)name);     /* not a slot, or a free one: a double free */
    pg->map[i / 64] &= ~(1UL << (i % 64));
    if (--pg->used)
        return;
    int c = 0;
    while ((uint32_t)(NAME_MIN_SLOT << c) != pg->slot)
        c++;
    struct namepage **pp = &classes[c];
    while (*pp != pg)
        pp = &(*pp)->next;
    *pp = pg->next;
    name_pages--;
    kfree(pg);
}

/* Pages holding names now (sysinfo-style accounting, tests). */
uint64_t fsname_pages(void)
{
    return name_pages;
}
