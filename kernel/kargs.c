/* Kernel arguments, parsed once at boot (the grammar is in include/kargs.h). */
#include "kernel.h"
#include "kargs.h"

struct kargs kargs;

static char init_args_buf[KARGS_INIT_ARGS_MAX];

static const char *const crash_names[] = {
    [CRASH_NULL] = "null", [CRASH_STACK] = "stack", [CRASH_SMEP] = "smep",
    [CRASH_SMAP] = "smap", [CRASH_TRIPLE] = "triple",
};

const char *crash_kind_name(enum crash_kind kind)
{
    return kind > CRASH_NONE && kind < (int)ARRAY_SIZE(crash_names) ? crash_names[kind] : "none";
}

/* One token [s, s+n) copied out as a C string (truncated to fit). */
static void token(char *out, size_t size, const char *s, size_t n)
{
    if (n >= size)
        n = size - 1;
    memcpy(out, s, n);
    out[n] = 0;
}

static noreturn void refuse(const char *key, const char *value, const char *reason)
{
    kevent("bad-arg key=%s value=%s reason=%s", key, value, reason);
    panic("bad-kernel-argument key=%s", key);
}

static void parse_trace(const char *key, const char *v)
{
    char one[32];
    for (const char *s = v;;) {
        size_t n = 0;
        while (s[n] && s[n] != ',')
            n++;
        token(one, sizeof one, s, n);
        if (!strcmp(one, "syscall"))
            kargs.trace_syscall = true;
        else if (!strcmp(one, "mem"))
            kargs.trace_mem = true;
        else
            refuse(key, v, "unknown-value");
        if (!s[n])
            return;
        s += n + 1;
    }
}

static void parse_crash(const char *key, const char *v)
{
    for (int k = CRASH_NULL; k < (int)ARRAY_SIZE(crash_names); k++)
        if (!strcmp(v, crash_names[k])) {
            kargs.crash = k;
            return;
        }
    refuse(key, v, "unknown-value");
}

static void parse_init_args(const char *key, const char *v)
{
    if (strlen(v) >= sizeof init_args_buf)
        refuse(key, v, "too-long");
    memcpy(init_args_buf, v, strlen(v) + 1);
    for (char *s = init_args_buf; *s;) {
        if (kargs.init_argc == KARGS_MAX_INIT_ARGS)
            refuse(key, v, "too-many");
        kargs.init_argv[kargs.init_argc++] = s;
        while (*s && *s != ',')
            s++;
        if (*s)
            *s++ = 0;
    }
}

static void parse_test_ukpage(const char *key, const char *v)
{
    if (strcmp(v, "1"))
        refuse(key, v, "unknown-value");
    kargs.test_ukpage = true;
}

static void parse_test_sanitize(const char *key, const char *v)
{
    static const char *const bugs[] = {
        [TEST_BUG_UAF] = "uaf", [TEST_BUG_REFCOUNT] = "refcount", [TEST_BUG_OVERFLOW] = "overflow",
        [TEST_BUG_PAGEFREE] = "pagefree", [TEST_BUG_PAGEWRITE] = "pagewrite",
    };
    for (int k = TEST_BUG_UAF; k < (int)ARRAY_SIZE(bugs); k++)
        if (!strcmp(v, bugs[k])) {
            kargs.test_sanitize = k;
            return;
        }
    refuse(key, v, "unknown-value");
}

static const struct {
    const char *key;
    void (*parse)(const char *key, const char *value);
} keys[] = {
    { KARG_TRACE, parse_trace },
    { KARG_CRASH, parse_crash },
    { KARG_INIT_ARGS, parse_init_args },
    { KARG_TEST_UKPAGE, parse_test_ukpage },
    { KARG_TEST_SANITIZE, parse_test_sanitize },
};

void kargs_init(const char *s)
{
    size_t n = s ? strnlen(s, KARGS_CMDLINE_MAX - 1) : 0;
    memcpy(kargs.text, s, n);
    while (n && kargs.text[n - 1] == ' ')     /* QEMU adds "FILE " before an empty -append */
        n--;
    kargs.text[n] = 0;
}

void kargs_parse(void)
{
    bool seen[ARRAY_SIZE(keys)] = { false };
    bool first = true;
    for (const char *p = kargs.text; *p;) {
        while (*p == ' ')
            p++;
        size_t len = 0, klen = 0;
        while (p[len] && p[len] != ' ')
            len++;
        while (klen < len && p[klen] != '=')
            klen++;
        char key[64], value[KARGS_INIT_ARGS_MAX + 1];
        token(key, sizeof key, p, klen);
        token(value, sizeof value, p + klen + (klen < len), len - klen - (klen < len));
        bool image_name = first && klen == len;
        first = false;
        p += len;
        if (!len || image_name)
            continue;
        if (klen == len)
            refuse(key, "", "not-key-value");
        size_t i = 0;
        while (i < ARRAY_SIZE(keys) && strcmp(key, keys[i].key))
            i++;
        if (i == ARRAY_SIZE(keys))
            refuse(key, value, "unknown-key");
        if (seen[i])
            refuse(key, value, "duplicate");
        seen[i] = true;
        if (len - klen - 1 >= sizeof value)
            refuse(key, value, "too-long");
        keys[i].parse(key, value);
    }
    kargs.syscall_hooks = kargs.trace_syscall || kargs.crash != CRASH_NONE;
}
