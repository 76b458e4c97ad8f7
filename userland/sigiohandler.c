/* F_SETSIG's signal as an SA_SIGINFO handler sees it: si_code, si_band and si_fd, for a
 * real-time signal, for SIGSEGV (a signal with codes of its own: SI_SIGIO) and for plain SIGIO.
 * Built as a 64-bit musl program and as an i386 glibc one (sigiohandler-m32: the compat
 * siginfo, signal32.c); the same lines on the host's Linux and in ringlab. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t h_sig, h_code, h_fd, h_count;
static volatile long h_band;

static void on_io(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    h_sig = sig;
    h_code = si->si_code;
    h_fd = si->si_fd;
    h_band = si->si_band;
    h_count++;
}

static void one(int p[2], int sig, const char *what)
{
    h_count = h_sig = h_code = h_fd = 0;
    h_band = 0;
    fcntl(p[0], F_SETSIG, sig);
    write(p[1], "x", 1);
    printf("%s: %d call(s), sig=%d code=%d band=%#lx fd=%s\n", what, h_count, h_sig, h_code,
           h_code == SI_KERNEL ? 0L : h_band, h_code == SI_KERNEL ? "-" : h_fd == p[0] ? "read end" : "other");
    fflush(stdout);
}

int main(void)
{
    int p[2];
    struct sigaction sa = { .sa_sigaction = on_io, .sa_flags = SA_SIGINFO };
    sigaction(42, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGIO, &sa, NULL);
    pipe(p);
    fcntl(p[0], F_SETFL, O_ASYNC);
    fcntl(p[0], F_SETOWN, getpid());
    one(p, 42, "real-time");
    one(p, SIGSEGV, "SIGSEGV");
    one(p, 0, "plain SIGIO");
    struct f_owner_ex ex = { F_OWNER_PGRP, getpgrp() }, got;
    fcntl(p[0], F_SETOWN_EX, &ex);
    fcntl(p[0], F_GETOWN_EX, &got);
    printf("owner_ex: type=%d own group=%d getown=-pgrp %d\n", got.type, got.pid == getpgrp(),
           fcntl(p[0], F_GETOWN) == -getpgrp());
    return 0;
}
