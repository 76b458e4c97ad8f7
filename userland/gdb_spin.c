/*
 * Spin in ring 3 so the PIT (100 Hz, vector 32) interrupts user code: the tests stop at the
 * timer's first instruction and look at the frame the CPU pushed. The gdb benchmark
 * (harness/ringlab/bench/gdb.py) stops at spin_step once per iteration.
 *
 * Usage: gdb_spin [ITERATIONS]  (default 20000000; 0 spins forever).
 */
#include <stdlib.h>

volatile unsigned long spin_counter;

/* One iteration; noinline and global so it is a breakpoint address of its own. */
__attribute__((noinline)) void spin_step(void)
{
    spin_counter++;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], 0, 0) : 20000000UL;
    for (unsigned long i = 0; n == 0 || i < n; i++)
        spin_step();
    return 0;
}
