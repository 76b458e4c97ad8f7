/*
 * iobench MODE [TICKS]: the cost of switching the I/O bitmap, measured as sched_yield round
 * trips between two processes during TICKS (default 50) ticks of the 100 Hz clock. Prints
 *     iobench: mode=MODE round_trips=N ns_per_switch=X
 * (a round trip is two process switches). MODE:
 *   none    neither process called ioperm: each switch stores TSS.iomap_base only
 *   shared  ioperm(0x3f8, 8, 1) before fork: both hold the same bitmap, nothing is copied
 *   uart    each calls ioperm(0x3f8, 8, 1) itself: every switch copies 128 bytes, the most
 *           any process can cause (kernel/ioperm.c gives no port above COM1's 0x3ff)
 *   iopl    iopl(3) before fork: each switch stores iomap_base only
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/io.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

static long now_ticks(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 100 + ts.tv_nsec / 10000000;
}

static int own(const char *mode)
{
    if (!strcmp(mode, "uart"))
        return ioperm(0x3f8, 8, 1);
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "none";
    long ticks = argc > 2 ? atol(argv[2]) : 50;
    if ((!strcmp(mode, "shared") && ioperm(0x3f8, 8, 1)) || (!strcmp(mode, "iopl") && iopl(3)) ||
        own(mode)) {
        perror("iobench: ioperm/iopl");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        if (own(mode))
            _exit(1);
        for (;;)
            sched_yield();
    }
    long start = now_ticks();
    while (now_ticks() == start)
        sched_yield();
    start = now_ticks();
    long n = 0;
    while (now_ticks() - start < ticks) {
        sched_yield();
        n++;
    }
    kill(pid, SIGKILL);
    printf("iobench: mode=%s round_trips=%ld ns_per_switch=%ld\n", mode, n,
           n ? ticks * 10000000L / (2 * n) : 0);
    return 0;
}
