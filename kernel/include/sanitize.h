/*
 * The sanitizer build's object checks (make SANITIZE=1; `invoke build --sanitize`). In the
 * normal build every macro here is the plain expression (REF_GET(r) is ++r) or nothing, so
 * the normal kernel's code does not change.
 *
 * Each kernel table (processes, address spaces, descriptor tables, fs info, inodes, open
 * files, pipes) keeps a free slot recognisable by one field (refs == 0, state == P_UNUSED,
 * mode == 0...). When an entry is freed, SAN_FREED fills every other byte with
 * SAN_POISON_BYTE (Linux's POISON_FREE, include/linux/poison.h) and records the code that
 * freed it (the return address of the freeing function: the caller of mm_put, inode_put...).
 * A stale pointer then reads 0x6b6b... (a non-canonical address: #GP on use), and every
 * get, put and lookup first checks SAN_LIVE: a dead entry is reported
 *
 *   ringlab: sanitizer check=use-after-free object=KIND slot=N at=FILE:LINE used=0x.. freed=0x..
 *
 * (at: the check; used: the caller of the get/put; freed: the freeing code's caller, 0 if the
 * slot was never used) and the kernel panics. Reference counts go through REF_GET/REF_PUT,
 * which report check=refcount-overflow (a get at INT_MAX, where Linux's refcount_t saturates)
 * and check=refcount-underflow (a put at 0 or below). The harness turns the return addresses
 * into source lines (the kernel has no line table at run time).
 *
 * Physical pages (kalloc.c) are poisoned the same way when freed (Linux's page poisoning,
 * CONFIG_PAGE_POISONING): a second kfree of a free page is check=double-free, and kalloc
 * taking a free page whose poison changed is check=write-after-free (a stale pointer wrote to
 * it: reported at the next allocation of the page, with the offset and the value found).
 */
#pragma once
#include "types.h"

/* The object kinds (names in sanitize.c). */
enum san_object { SAN_PROC, SAN_MM, SAN_FILES, SAN_FSINFO, SAN_INODE, SAN_FILE, SAN_PIPE, SAN_KCOV, SAN_NOBJECTS };

#define SAN_POISON_BYTE  0x6b                   /* Linux's POISON_FREE */
#define SAN_STACK_CANARY 0x57ac4ca9a11ed0feull  /* the bottom word of each kernel stack */
#define SAN_MAX_SLOTS    512                    /* the largest table (NINODE) */

#define SAN_STR_(x) #x
#define SAN_STR(x) SAN_STR_(x)

#ifdef SANITIZE
struct trapframe;

void san_freed(enum san_object kind, long index, void *obj, size_t size, size_t keep_off, size_t keep_len,
               void *by);
void san_live(enum san_object kind, long index, bool live, void *by, const char *at);
int san_ref(int *ref, int delta, enum san_object kind, long index, void *by, const char *at);
void san_kstack_arm(uint64_t bottom);
void san_page_free(void *page, void *by);
void san_page_alloc(void *page, bool zero, void *by);
void san_user_return(struct trapframe *tf);   /* trapentry.S: trapret and sysret_path */

#define SAN_HERE __FILE__ ":" SAN_STR(__LINE__)
#define SAN_CALLER __builtin_return_address(0)
/* obj was freed: poison all of it but `field` (the table's free-slot marker). */
#define SAN_FREED(kind, index, obj, field)                                                   \
    san_freed(kind, index, obj, sizeof *(obj), __builtin_offsetof(__typeof__(*(obj)), field), \
              sizeof((obj)->field), SAN_CALLER)
/* obj was freed: poison all of it but the bytes from `field` to its end. */
#define SAN_FREED_TAIL(kind, index, obj, field)                                              \
    san_freed(kind, index, obj, sizeof *(obj), __builtin_offsetof(__typeof__(*(obj)), field), \
              sizeof *(obj) - __builtin_offsetof(__typeof__(*(obj)), field), SAN_CALLER)
#define SAN_LIVE(kind, index, live) san_live(kind, index, live, SAN_CALLER, SAN_HERE)
#define REF_GET(kind, index, ref) san_ref(&(ref), 1, kind, index, SAN_CALLER, SAN_HERE)
#define REF_PUT(kind, index, ref) san_ref(&(ref), -1, kind, index, SAN_CALLER, SAN_HERE)
#define SAN_PAGE_FREE(page) san_page_free(page, SAN_CALLER)
/* checks a page kalloc takes off the free list and, if `zero`, zeroes it in the same pass:
   true (the normal build: false, kalloc zeroes it) */
#define SAN_PAGE_ALLOC(page, zero) (san_page_alloc(page, zero, SAN_CALLER), true)
#else
#define SAN_FREED(kind, index, obj, field) ((void)0)
#define SAN_FREED_TAIL(kind, index, obj, field) ((void)0)
#define SAN_LIVE(kind, index, live) ((void)0)
#define REF_GET(kind, index, ref) (++(ref))
#define REF_PUT(kind, index, ref) (--(ref))
#define SAN_PAGE_FREE(page) ((void)0)
#define SAN_PAGE_ALLOC(page, zero) false
#endif
