/*
 * Spin in ring 3 so the PIT (100 Hz, vector 32) interrupts user code: the tests stop at the
 * timer's first instruction and look at the frame the CPU pushed.
 *
 * Usage: gdb_spin [ITERATIONS]  (default 20000000; 0 spins forever). The loop is the
 * function spin_loop, so a test can tell a tick taken in it from one taken elsewhere.
 */
#include <stdlib.h>

volatile unsigned long spin_counter;

__attribute__((noinline)) void spin_loop(unsigned long n)
{
    for (unsigned long i = 0; n == 0 || i < n; i++)
        spin_counter++;
}

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], 0, 0) : 20000000UL;
    spin_loop(n);
    return 0;
}
