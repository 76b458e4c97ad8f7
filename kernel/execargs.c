/*
 * execve's first half: the argument and environment strings copied from the
 * caller into kernel pages before the old image goes (execargs.h), with
 * Linux's checks in Linux's order (fs/exec.c do_execveat_common): count argv,
 * count envp (an unreadable entry: -EFAULT), the pointer space against the
 * limit (-E2BIG), then the file name, envp and argv strings, each vector from
 * its last string to its first (-EFAULT, -E2BIG: the first failure wins, so a
 * bad pointer in the middle loses to a too-long string after it, as on Linux).
 * An empty argv gets "" as argv[0] (Linux 5.18+).
 * Pages are taken as the strings need them and all given back by
 * exec_args_free, on success or failure.
 */
#include "kernel.h"
#include "errno.h"
#include "execargs.h"
#include "proc.h"
#include "vm.h"

/* The page holding the byte `below_top` bytes under the top (1-based), allocated on demand. */
static char *page_for(struct exec_args *a, uint64_t below_top, bool alloc)
{
    uint64_t i = (below_top - 1) / PAGE_SIZE;
    if (!a->page[i] && alloc)
        a->page[i] = kalloc();
    return a->page[i];
}

/*
 * Reserve len bytes under what is staged and fill them: from the user's `uva`
 * (kernel NULL) or from kernel memory `kstr`. -E2BIG past the limit `room`.
 */
static int stage(struct exec_args *a, uint64_t room, uint64_t len, uint64_t uva, const char *kstr)
{
    if (len > MAX_ARG_STRLEN)
        return -E2BIG;
    if (a->used + len > room)
        return -E2BIG;
    uint64_t lo = a->used + len;              /* bytes below the top of the string's first byte */
    for (uint64_t done = 0; done < len;) {
        uint64_t at = lo - done;              /* the next byte, counted below the top */
        uint64_t off = (PAGE_SIZE - at % PAGE_SIZE) % PAGE_SIZE;   /* its offset in its page */
        uint64_t n = PAGE_SIZE - off < len - done ? PAGE_SIZE - off : len - done;
        char *pg = page_for(a, at, true);
        if (!pg)
            return -ENOMEM;
        if (kstr)
            memcpy(pg + off, kstr + done, n);
        else if (copyin(myproc()->pml4, pg + off, uva + done, n))
            return -EFAULT;                   /* the user changed the mapping since it was measured */
        done += n;
    }
    /* Its last byte is the NUL user_strnlen found: a thread that changed the string since
       cannot leave it unterminated (build_stack walks from NUL to NUL). */
    char *last = page_for(a, a->used + 1, false);
    last[(PAGE_SIZE - (a->used + 1) % PAGE_SIZE) % PAGE_SIZE] = 0;
    a->used = lo;
    return 0;
}

static int init(struct exec_args *a)
{
    memset(a, 0, sizeof *a);
    a->page = kalloc();
    if (!a->page)
        return -ENOMEM;
    a->used = EXEC_TOP_GAP;
    return page_for(a, 1, true) ? 0 : -ENOMEM;
}

/* Entries of a user vector of `ws`-byte pointers (8; 4 for i386's execve) before its NULL
   (Linux count(): -EFAULT, -E2BIG past MAX_ARG_STRINGS). */
static int64_t count(uint64_t uvec, unsigned ws)
{
    uint64_t n = 0, ptr;
    if (!uvec)
        return 0;
    for (;; n++) {
        ptr = 0;                              /* little-endian: a 4-byte pointer fills the low half */
        if (copyin(myproc()->pml4, &ptr, uvec + ws * n, ws))
            return -EFAULT;
        if (!ptr)
            return (int64_t)n;
        if (n >= MAX_ARG_STRINGS)
            return -E2BIG;
        if (fatal_pending(myproc()))
            return -EINTR;                    /* Linux: -ERESTARTNOHAND; the process is ending anyway */
    }
}

/* The room for strings once the pointers are set aside (Linux bprm_stack_limits). */
static int room_for_strings(const struct exec_args *a, uint64_t *room)
{
    uint64_t ptrs = ((a->argc ? a->argc : 1) + a->envc) * 8;
    if (EXEC_ARG_MAX <= ptrs)
        return -E2BIG;
    *room = EXEC_TOP_GAP + EXEC_ARG_MAX - ptrs;
    return 0;
}

/* Stage n user strings of vector uvec, last first (Linux copy_strings). */
static int stage_user_vector(struct exec_args *a, uint64_t room, uint64_t uvec, uint64_t n, unsigned ws)
{
    uint64_t *pml4 = myproc()->pml4;
    while (n-- > 0) {
        uint64_t ptr = 0;
        if (copyin(pml4, &ptr, uvec + ws * n, ws))
            return -EFAULT;
        int64_t len = user_strnlen(pml4, ptr, MAX_ARG_STRLEN);
        if (len <= 0)
            return -EFAULT;
        int r = stage(a, room, (uint64_t)len, ptr, NULL);
        if (r)
            return r;
        if (fatal_pending(myproc()))
            return -EINTR;
    }
    return 0;
}

int exec_args_from_user(struct exec_args *a, const char *path, uint64_t uargv, uint64_t uenvp, unsigned ptr_bytes)
{
    uint64_t room;
    int r = init(a);
    if (r)
        return r;
    int64_t n = count(uargv, ptr_bytes);
    if (n < 0)
        return (int)n;
    a->argc = (uint64_t)n;
    if ((n = count(uenvp, ptr_bytes)) < 0)
        return (int)n;
    a->envc = (uint64_t)n;
    if ((r = room_for_strings(a, &room)))
        return r;
    if ((r = stage(a, room, strlen(path) + 1, 0, path)))
        return r;
    a->execfn = a->used;
    if ((r = stage_user_vector(a, room, uenvp, a->envc, ptr_bytes)) ||
        (r = stage_user_vector(a, room, uargv, a->argc, ptr_bytes)))
        return r;
    if (!a->argc) {                           /* Linux 5.18+: argv[0] = "", so argv[1] is never envp */
        a->argc = 1;
        r = stage(a, room, 1, 0, "");
    }
    return r;
}

int exec_args_from_kernel(struct exec_args *a, const char *path, const char *const *argv, const char *const *envp)
{
    uint64_t room;
    int r = init(a);
    if (r)
        return r;
    while (argv[a->argc])
        a->argc++;
    while (envp[a->envc])
        a->envc++;
    if ((r = room_for_strings(a, &room)) || (r = stage(a, room, strlen(path) + 1, 0, path)))
        return r;
    a->execfn = a->used;
    for (uint64_t i = a->envc; !r && i-- > 0;)
        r = stage(a, room, strlen(envp[i]) + 1, 0, envp[i]);
    for (uint64_t i = a->argc; !r && i-- > 0;)
        r = stage(a, room, strlen(argv[i]) + 1, 0, argv[i]);
    return r;
}

void exec_args_free(struct exec_args *a)
{
    if (!a->page)
        return;
    for (uint64_t i = 0; i < EXEC_ARG_PAGES; i++)
        if (a->page[i])
            kfree(a->page[i]);
    kfree(a->page);
    a->page = NULL;
}

uint8_t exec_args_byte(const struct exec_args *a, uint64_t below_top)
{
    const char *pg = a->page[(below_top - 1) / PAGE_SIZE];
    return (uint8_t)pg[(PAGE_SIZE - below_top % PAGE_SIZE) % PAGE_SIZE];
}

const char *exec_args_page(const struct exec_args *a, uint64_t i)
{
    return i < EXEC_ARG_PAGES ? a->page[i] : NULL;
}
