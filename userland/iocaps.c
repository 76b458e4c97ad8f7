/*
 * ioperm/iopl need CAP_SYS_RAWIO to raise (Linux arch/x86/kernel/ioport.c): asked by whoever
 * runs it, then (if root) again after giving up every id. The host has no ioperm/iopl (ENOSYS),
 * so tests/test_creds.py compares with Linux's documented answer (ioperm(2), iopl(2): EPERM
 * without CAP_SYS_RAWIO), not with the host.
 */
#define _GNU_SOURCE
#include <sys/syscall.h>
#include "sigtest.h"

static void ask(const char *who)
{
    say("%s: euid %u\n", who, (unsigned)geteuid());
    TRY("  ioperm(0x3f8, 8, 1)", syscall(SYS_ioperm, 0x3f8, 8, 1));
    TRY("  iopl(3)", syscall(SYS_iopl, 3));
    TRY("  ioperm(0x3f8, 8, 0)", syscall(SYS_ioperm, 0x3f8, 8, 0));
    TRY("  iopl(0)", syscall(SYS_iopl, 0));
}

int main(void)
{
    ask("start");
    if (geteuid() == 0) {
        TRY("setresuid(1000,1000,1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
        ask("after");
    }
    return 0;
}
