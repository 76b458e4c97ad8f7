/*
 * Copies between the kernel and user memory. User memory is reached through
 * the direct map after a page-table walk, never through the user address
 * itself: a bad pointer is -EFAULT, not a kernel #PF, and SMAP needs no
 * stac/clac here. Each walk serves a whole page (one walk per page, not per
 * byte); a page must be present with U/S set (and R/W for copyout). A page
 * missing below the caller's stack may be the stack's to grow over, as Linux's
 * copy_to_user fault grows it (stackgrow.c).
 */
#include "kernel.h"
#include "errno.h"
#include "mmu.h"
#include "vm.h"

/* The kernel address of user address `va`, or NULL: its page is absent or lacks the rights. */
static void *user_page(uint64_t *pml4, uint64_t va, bool write)
{
    uint64_t *pte = walk(pml4, va, false);
    if ((!pte || !(*pte & PTE_P)) && stack_fault_copy(pml4, va))
        pte = walk(pml4, va, false);
    uint64_t need = PTE_P | PTE_U | (write ? PTE_W : 0);
    if (!pte || (*pte & need) != need)
        return NULL;
    return (uint8_t *)P2V(*pte & PTE_ADDR_MASK) + (va % PAGE_SIZE);
}

/* The first NUL of k[0..n), or NULL. */
static const char *memchr_k(const char *k, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++)
        if (!k[i])
            return k + i;
    return NULL;
}

/* Bytes from va to the end of its page, at most len. */
static uint64_t in_page(uint64_t va, uint64_t len)
{
    uint64_t n = PAGE_SIZE - va % PAGE_SIZE;
    return n < len ? n : len;
}

int copyout(uint64_t *pml4, uint64_t dstva, const void *src, uint64_t len)
{
    if (!user_range_ok(dstva, len))
        return -EFAULT;
    while (len) {
        uint64_t n = in_page(dstva, len);
        void *k = user_page(pml4, dstva, true);
        if (!k)
            return -EFAULT;
        memcpy(k, src, n);
        src = (const uint8_t *)src + n, dstva += n, len -= n;
    }
    return 0;
}

/*
 * Store a word (len at most a page) all or nothing, as Linux's put_user: one store
 * instruction, so a fault on its second page leaves the first untouched (measured on the
 * host: a tid stored over a page's end writes no byte). -EFAULT when any byte can't be written.
 */
int put_user_bytes(uint64_t *pml4, uint64_t dstva, const void *src, uint64_t len)
{
    if (!user_range_ok(dstva, len))
        return -EFAULT;
    if (len && (!user_page(pml4, dstva, true) || !user_page(pml4, dstva + len - 1, true)))
        return -EFAULT;
    return copyout(pml4, dstva, src, len);
}

int copyin(uint64_t *pml4, void *dst, uint64_t srcva, uint64_t len)
{
    if (!user_range_ok(srcva, len))
        return -EFAULT;
    while (len) {
        uint64_t n = in_page(srcva, len);
        void *k = user_page(pml4, srcva, false);
        if (!k)
            return -EFAULT;
        memcpy(dst, k, n);
        dst = (uint8_t *)dst + n, srcva += n, len -= n;
    }
    return 0;
}

/*
 * Copy a NUL-terminated string of at most max-1 bytes; returns its length,
 * -EFAULT (a byte before the NUL is outside user memory or unmapped) or
 * -ENAMETOOLONG (no NUL within max bytes).
 */
int copyinstr(uint64_t *pml4, char *dst, uint64_t srcva, uint64_t max)
{
    uint64_t i = 0;
    while (i < max) {
        uint64_t n = in_page(srcva + i, max - i);
        if (!user_range_ok(srcva + i, 1))
            return -EFAULT;
        const char *k = user_page(pml4, srcva + i, false);
        if (!k)
            return -EFAULT;
        for (uint64_t j = 0; j < n; j++, i++) {
            dst[i] = k[j];
            if (!k[j])
                return (int)i;
        }
    }
    return -ENAMETOOLONG;
}

/*
 * The length of a user string with its NUL, looking at no more than max bytes
 * (Linux strnlen_user): 1..max, max + 1 when none of the max bytes is a NUL,
 * or -EFAULT when a byte before the NUL cannot be read.
 */
int64_t user_strnlen(uint64_t *pml4, uint64_t srcva, uint64_t max)
{
    uint64_t i = 0;
    while (i < max) {
        uint64_t n = in_page(srcva + i, max - i);
        if (!user_range_ok(srcva + i, 1))
            return -EFAULT;
        const char *k = user_page(pml4, srcva + i, false);
        if (!k)
            return -EFAULT;
        const char *nul = memchr_k(k, n);
        if (nul)
            return (int64_t)(i + (uint64_t)(nul - k) + 1);
        i += n;
    }
    return (int64_t)max + 1;
}
