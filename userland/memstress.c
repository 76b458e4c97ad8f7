/*
 * memstress [CHILDREN] [CALLS]: seeded random brk/mmap/munmap/mprotect calls
 * with hostile arguments (unaligned, huge, wrapping, kernel-half and
 * non-canonical addresses, the edges of the user half), each child writing
 * to the writable mappings it gets. A child killed by a signal is a data point; the kernel must
 * neither panic nor keep a page: with trace=mem, every reap reports the same
 * free page count. Child i uses seed i + 1: `memstress` is reproducible.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096UL

static uint64_t state;

static uint64_t rnd(void)
{
    state ^= state << 13, state ^= state >> 7, state ^= state << 17;   /* xorshift64 */
    return state;
}

static uint64_t pick(const uint64_t *v, unsigned n)
{
    return v[rnd() % n];
}

static uint64_t address(uint64_t heap)
{
    static const uint64_t edges[] = {
        0, PG, 0xf000, 0x10000, 0x400000, 0x700000000000UL, 0x7fffffffe000UL, 0x7ffffffff000UL,
        0x800000000000UL, 0xffff800000000000UL, 0xffffffff80000000UL, 0xffffffffc0000000UL,
        0xfffffffffffff000UL, 0x0000800000001000UL,
    };
    switch (rnd() % 4) {
    case 0: return pick(edges, sizeof edges / sizeof *edges) + (rnd() % 3 == 0 ? rnd() % 64 : 0);
    case 1: return (heap & ~(PG - 1)) + (rnd() % 256) * PG;
    case 2: return 0x700000000000UL + (rnd() % 4096) * PG;
    default: return rnd() & 0x7ffffffff000UL;
    }
}

static uint64_t length(void)
{
    static const uint64_t lens[] = {
        0, 1, PG - 1, PG, 2 * PG, 1UL << 20, 1UL << 30, 1UL << 40, 0x7ffffffff000UL,
        0x800000000000UL, ~0UL, ~0UL - PG + 2, 1UL << 63,
    };
    return rnd() % 2 ? pick(lens, sizeof lens / sizeof *lens) : (rnd() % 64) * PG + rnd() % 2;
}

static uint64_t own_lo, own_hi, stack_lo;   /* our code and data; our stack */

/* Would [a, a+len) hit our own code, data or stack? Then most of the time pick again. */
static int spare(uint64_t a, uint64_t len)
{
    uint64_t end = a + len < a ? ~0UL : a + len;
    int hits = (a < own_hi && end > own_lo) || end > stack_lo;
    return !hits || rnd() % 64 == 0;
}

static void child(unsigned seed, unsigned calls)
{
    int here;
    own_lo = 0x400000;
    own_hi = (syscall(SYS_brk, 0) + PG - 1) & ~(PG - 1);
    stack_lo = ((uint64_t)&here & ~(PG - 1)) - 16 * PG;
    state = 0x9e3779b97f4a7c15UL * (seed + 1);
    uint64_t heap = syscall(SYS_brk, 0);
    for (unsigned i = 0; i < calls; i++) {
        long r = 0, prot;
        uint64_t a = address(heap), len = length();
        int kind = (int)(rnd() % 5);
        if (kind != 0 && !spare(a, len)) {
            i--;
            continue;
        }
        switch (kind) {
        case 0: r = syscall(SYS_brk, rnd() % 2 ? heap + (rnd() % 128) * PG + rnd() % PG : a); break;
        case 1:
            prot = rnd() % 8;
            /* MAP_SHARED/PRIVATE/SHARED_VALIDATE or an invalid type, ANONYMOUS, maybe FIXED(_NOREPLACE) */
            r = syscall(SYS_mmap, a, len, prot, (rnd() % 5) | 0x20 | (rnd() % 3 ? 0 : 0x10 | (rnd() % 2) << 20),
                        -1, rnd() % 8 ? 0 : rnd());
            if (r > 0 && (unsigned long)r < 0x800000000000UL && (prot & 2))
                *(volatile char *)r = 1;     /* a fresh writable mapping takes a write */
            break;
        case 2: r = syscall(SYS_munmap, a, len); break;
        case 3: r = syscall(SYS_mprotect, a, len, rnd() % 16); break;
        default:
            if (rnd() % 64 == 0) {            /* a grandchild shares our MAP_SHARED pages, then dies */
                pid_t g = fork();
                if (g == 0)
                    _exit(0);
                if (g > 0)
                    waitpid(g, NULL, 0);
            }
            r = syscall(SYS_madvise, a, len, 0);
            break;
        }
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    unsigned children = argc > 1 ? (unsigned)atoi(argv[1]) : 20;
    unsigned calls = argc > 2 ? (unsigned)atoi(argv[2]) : 1000;
    unsigned exited = 0, killed = 0;
    for (unsigned c = 0; c < children; c++) {
        pid_t pid = fork();
        if (pid == 0)
            child(c, calls);
        int st;
        if (waitpid(pid, &st, 0) != pid)
            return 1;
        if (WIFEXITED(st))
            exited++;
        else
            killed++;
    }
    printf("memstress: %u children, %u calls each: %u exited, %u killed by a signal\n", children, calls, exited,
           killed);
    return 0;
}
