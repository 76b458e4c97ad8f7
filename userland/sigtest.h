/*
 * What the sig_*.c programs share: say() to print, TRY() to print a call's result, and the
 * two ways to install a handler. Their output is compared line by line with the same program
 * on the host's Linux (tests/test_signals.py), so every line goes out through one write(2) to
 * fd 1 at once: no stdio buffer that a handler, a fork, abort() or _exit() could reorder or
 * lose. Include it after the system headers (the programs define _GNU_SOURCE first).
 */
#pragma once
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define SAY_MAX 256                     /* say()'s buffer (bytes, with the NUL): longer lines are cut */

__attribute__((format(printf, 1, 2))) static inline void say(const char *fmt, ...)
{
    char buf[SAY_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n > 0)
        write(1, buf, n < (int)sizeof buf ? (size_t)n : sizeof buf - 1);
}

/* A call's result, and errno's name when it failed (evaluated after the call). */
#define TRY(label, expr) do { long r_ = (long)(expr); \
        say("%s: %ld%s%s\n", label, r_, r_ < 0 ? " " : "", r_ < 0 ? strerror(errno) : ""); } while (0)

/* sigaction(sig, sa, NULL); a failure is printed (so the transcripts then differ). */
static inline void set_action(int sig, const struct sigaction *sa)
{
    if (sigaction(sig, sa, NULL))
        say("sigaction(%d): %s\n", sig, strerror(errno));
}

/* An SA_SIGINFO handler fn(sig, siginfo, ucontext) for sig, with SA_SIGINFO | flags. */
static inline void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sa.sa_flags = SA_SIGINFO | flags;
    set_action(sig, &sa);
}

/* A plain handler fn(sig) for sig (no SA_SIGINFO), with flags (SA_RESTART, SA_NODEFER...). */
static inline void install_handler(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    set_action(sig, &sa);
}
