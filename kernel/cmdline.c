/*
 * Kernel arguments: space-separated key=value tokens from the multiboot
 * command line. Tokens without '=' (QEMU puts the kernel's file name first)
 * are ignored.
 */
#include "kernel.h"

#define CMDLINE_MAX 512

static char cmdline[CMDLINE_MAX];
bool trace_syscalls;

void cmdline_init(const char *s)
{
    size_t n = s ? strnlen(s, CMDLINE_MAX - 1) : 0;
    memcpy(cmdline, s, n);
    while (n && cmdline[n - 1] == ' ')     /* QEMU adds "FILE " before an empty -append */
        n--;
    cmdline[n] = 0;
    trace_syscalls = cmdline_has("trace", "syscall");
}

/* Value of the last `key=` token, as a pointer into the line (ends at space or NUL). */
const char *cmdline_get(const char *key)
{
    const char *found = NULL;
    size_t klen = strlen(key);
    for (const char *p = cmdline; *p;) {
        while (*p == ' ')
            p++;
        if (!strncmp(p, key, klen) && p[klen] == '=')
            found = p + klen + 1;
        while (*p && *p != ' ')
            p++;
    }
    return found;
}

/* Does `key=` have `value` among its comma-separated values? */
bool cmdline_has(const char *key, const char *value)
{
    const char *v = cmdline_get(key);
    size_t n = strlen(value);
    while (v && *v && *v != ' ') {
        if (!strncmp(v, value, n) && (v[n] == 0 || v[n] == ' ' || v[n] == ','))
            return true;
        while (*v && *v != ' ' && *v != ',')
            v++;
        if (*v == ',')
            v++;
    }
    return false;
}

const char *cmdline_text(void) { return cmdline; }
