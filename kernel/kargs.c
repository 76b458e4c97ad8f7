/* Kernel arguments, parsed once at boot (the grammar is in include/kargs.h). */
#include "kernel.h"
#include "kargs.h"

struct kargs kargs;

static char init_args_buf[KARGS_VALUE_MAX];

#define KARGS_INT_MAX 0x7fffffffffffffffUL      /* the largest int64_t */

/* The word `index` of a "a|b|c" list, copied into out (truncated to fit); "" if none. */
static void word_at(const char *words, int index, char *out, size_t size)
{
    const char *w = words;
    for (int i = 0; i < index && w; i++) {
        w = strchr(w, '|');
        if (w)
            w++;
    }
    size_t n = 0;
    while (w && w[n] && w[n] != '|' && n + 1 < size) {
        out[n] = w[n];
        n++;
    }
    out[n] = 0;
}

const char *crash_kind_name(enum crash_kind kind)
{
    static char name[16];
    if (kind <= CRASH_NONE || kind > CRASH_TRIPLE)
        return "none";
    word_at(KARGS_CRASH_KINDS, kind - CRASH_NULL, name, sizeof name);
    return name;
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

/* Index of [v, v+n) among the words of "a|b|c", -1 if it is none of them. */
static int word_index(const char *words, const char *v, size_t n)
{
    int i = 0;
    for (const char *w = words;; i++) {
        size_t len = 0;
        while (w[len] && w[len] != '|')
            len++;
        if (len == n && !strncmp(w, v, n))
            return i;
        if (!w[len])
            return -1;
        w += len + 1;
    }
}

/* A decimal integer [s, s+n), optionally negative; false if it is not one or overflows. */
static bool parse_int(const char *s, size_t n, int64_t *out)
{
    bool neg = n && *s == '-';
    uint64_t v = 0;
    size_t i = neg;
    if (i == n)
        return false;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9' || v > (KARGS_INT_MAX - (uint64_t)(s[i] - '0')) / 10)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = neg ? -(int64_t)v : (int64_t)v;
    return true;
}

/*
 * Check `value` against `grammar` (include/kargs.h); refuse it, or return what the key's
 * apply function gets: the enum index, the set's bit mask, the integer, the list's item
 * count, the text's length.
 */
static uint64_t check_value(const char *key, const char *grammar, const char *value)
{
    const char *arg = strchr(grammar, ' ');
    arg = arg ? arg + 1 : "";
    size_t vlen = strlen(value);
    if (!strncmp(grammar, "enum ", 5)) {
        int i = word_index(arg, value, vlen);
        if (i < 0)
            refuse(key, value, "unknown-value");
        return (uint64_t)i;
    }
    if (!strncmp(grammar, "set ", 4)) {
        uint64_t mask = 0;
        for (const char *s = value;;) {
            size_t n = 0;
            while (s[n] && s[n] != ',')
                n++;
            int i = word_index(arg, s, n);
            if (i < 0)
                refuse(key, value, "unknown-value");
            mask |= 1UL << i;
            if (!s[n])
                return mask;
            s += n + 1;
        }
    }
    if (!strncmp(grammar, "int ", 4)) {
        const char *dots = arg;
        while (*dots && strncmp(dots, "..", 2))
            dots++;
        int64_t v, lo, hi;
        if (!parse_int(arg, (size_t)(dots - arg), &lo) || !*dots ||
            !parse_int(dots + 2, strlen(dots + 2), &hi))
            panic("karg-grammar key=%s", key);        /* a bad KARGS_KEYS row */
        if (!parse_int(value, vlen, &v))
            refuse(key, value, "not-a-number");
        if (v < lo || v > hi)
            refuse(key, value, "out-of-range");
        return (uint64_t)v;
    }
    if (!strncmp(grammar, "list ", 5)) {
        int64_t max;
        if (!parse_int(arg, strlen(arg), &max))
            panic("karg-grammar key=%s", key);
        uint64_t items = 0;
        for (size_t i = 0; i < vlen; i++)
            items += value[i] == ',';
        if (vlen && value[vlen - 1] != ',')
            items++;                                  /* a final comma ends the list */
        if (items > (uint64_t)max)
            refuse(key, value, "too-many");
        return items;
    }
    if (!strcmp(grammar, "text"))
        return vlen;
    panic("karg-grammar key=%s", key);
}

static void karg_trace(const char *v, uint64_t mask)
{
    (void)v;
    kargs.trace_syscall = mask & 1;                   /* "set syscall|mem|signal": bits 0, 1, 2 */
    kargs.trace_mem = mask & 2;
    kargs.trace_signal = mask & 4;
}

static void karg_crash(const char *v, uint64_t index)
{
    (void)v;
    kargs.crash = (enum crash_kind)(CRASH_NULL + index);
}

static void karg_init_args(const char *v, uint64_t items)
{
    memcpy(init_args_buf, v, strlen(v) + 1);
    char *s = init_args_buf;
    for (uint64_t i = 0; i < items; i++) {
        kargs.init_argv[kargs.init_argc++] = s;
        while (*s && *s != ',')
            s++;
        if (*s)
            *s++ = 0;
    }
}

static void karg_test_ukpage(const char *v, uint64_t index)
{
    (void)v;
    (void)index;
    kargs.test_ukpage = true;
}

static void karg_test_sanitize(const char *v, uint64_t index)
{
    (void)v;
    kargs.test_sanitize = (enum test_bug)(TEST_BUG_UAF + index);   /* KARGS_TEST_BUGS order */
}

/* init.uid=N, init.gid=N (cred.h): init.gid defaults to init.uid */
static bool gid_given;

static void karg_init_uid(const char *v, uint64_t n)
{
    (void)v;
    kargs.init_uid = (uint32_t)n;
    if (!gid_given)
        kargs.init_gid = kargs.init_uid;
}

static void karg_init_gid(const char *v, uint64_t n)
{
    (void)v;
    kargs.init_gid = (uint32_t)n;
    gid_given = true;
}

static void karg_console_echo(const char *v, uint64_t index)
{
    (void)v;
    kargs.console_noecho = index == 0;                /* "enum 0|1" */
}

#define KARGS_ROW(name, key, grammar, apply) { key, grammar, apply },
static const struct {
    const char *key;
    const char *grammar;
    void (*apply)(const char *value, uint64_t checked);
} keys[] = { KARGS_KEYS(KARGS_ROW) };
#undef KARGS_ROW

void kargs_init(const char *s)
{
    size_t n = s ? strnlen(s, KARGS_CMDLINE_MAX - 1) : 0;
    kargs.truncated = s && s[n];
    memcpy(kargs.text, s, n);
    while (n && kargs.text[n - 1] == ' ')     /* QEMU adds "FILE " before an empty -append */
        n--;
    kargs.text[n] = 0;
}

void kargs_parse(void)
{
    bool seen[ARRAY_SIZE(keys)] = { false };
    bool first = true;
    if (kargs.truncated)                      /* the end of the line is lost: refuse it all */
        refuse("cmdline", "", "too-long");
    for (const char *p = kargs.text; *p;) {
        while (*p == ' ')
            p++;
        size_t len = 0, klen = 0;
        while (p[len] && p[len] != ' ')
            len++;
        while (klen < len && p[klen] != '=')
            klen++;
        char key[64], value[KARGS_VALUE_MAX];
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
        keys[i].apply(value, check_value(key, keys[i].grammar, value));
    }
    kargs.syscall_hooks = kargs.trace_syscall || kargs.crash != CRASH_NONE;
}
