/*
 * Stopping the machine: the halt of a clean run (machine_exit), a kernel
 * panic, and the raw frame-pointer backtrace printed with it. QEMU's
 * isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,iosize=0x04)
 * turns a write of V to its port into QEMU's exit status (V << 1) | 1.
 */
#include "kernel.h"
#include "mmu.h"
#include "x86.h"


/* The caller has already printed the halt or panic line. */
noreturn void machine_exit(int status)
{
    outl(DEBUG_EXIT_PORT, (uint32_t)status & 0xff);
    for (;;) {
        cli();
        hlt();
    }
}

noreturn void panic(const char *fmt, ...)
{
    char line[400];
    va_list ap;
    cli();
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    kevent("panic reason=%s", line);
    machine_exit(PANIC_STATUS);
}

/* Frame-pointer backtrace of the kernel stack, printed raw; the harness symbolizes it. */
void backtrace(uint64_t rbp)
{
    char line[400];
    int n = snprintf(line, sizeof line, "panic-backtrace");
    for (int depth = 0; depth < 16 && rbp >= KERNBASE && rbp % 8 == 0; depth++) {
        uint64_t *frame = (uint64_t *)rbp;
        n += snprintf(line + n, sizeof line - n, " 0x%lx", frame[1]);
        if (frame[0] <= rbp || n >= (int)sizeof line - 24)
            break;
        rbp = frame[0];
    }
    kevent("%s", line);
}
