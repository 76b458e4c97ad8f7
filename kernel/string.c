/* The few C string functions the kernel uses (and the compiler may call). */
#include "kernel.h"

/* A word that may alias any object (the copies below move any type through it). */
typedef uint64_t __attribute__((may_alias)) word_t;

/*
 * memset and memcpy move 8-byte words where the addresses allow, bytes at the edges. Under
 * QEMU's TCG every guest load and store is a software TLB lookup; a signal delivery and its
 * return copy about 6 KiB (the frame, the XSAVE area, both ways), and one access per byte
 * made those copies most of a delivery's cost.
 */
void *memset(void *d, int c, size_t n)
{
    uint8_t *p = d;
    for (; n && ((uintptr_t)p & 7); n--)
        *p++ = (uint8_t)c;
    word_t w = 0x0101010101010101UL * (uint8_t)c;
    for (; n >= 8; n -= 8, p += 8)
        *(word_t *)p = w;
    while (n--)
        *p++ = (uint8_t)c;
    return d;
}

/* Ascending order, each word read before it is written: memmove relies on it when d < s. */
void *memcpy(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if ((((uintptr_t)dp ^ (uintptr_t)sp) & 7) == 0) {
        for (; n && ((uintptr_t)dp & 7); n--)
            *dp++ = *sp++;
        for (; n >= 8; n -= 8, dp += 8, sp += 8)
            *(word_t *)dp = *(const word_t *)sp;
    }
    while (n--)
        *dp++ = *sp++;
    return d;
}

void *memmove(void *d, const void *s, size_t n)
{
    uint8_t *dp = d;
    const uint8_t *sp = s;
    if (dp < sp || dp >= sp + n)
        return memcpy(d, s, n);
    while (n--)
        dp[n] = sp[n];
    return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
    const uint8_t *x = a, *y = b;
    for (size_t i = 0; i < n; i++)
        if (x[i] != y[i])
            return x[i] - y[i];
    return 0;
}

size_t strlen(const char *s)
{
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

size_t strnlen(const char *s, size_t max)
{
    size_t n = 0;
    while (n < max && s[n])
        n++;
    return n;
}

int strcmp(const char *a, const char *b)
{
    while (*a && *a == *b)
        a++, b++;
    return (uint8_t)*a - (uint8_t)*b;
}

int strncmp(const char *a, const char *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (a[i] != b[i] || !a[i])
            return (uint8_t)a[i] - (uint8_t)b[i];
    }
    return 0;
}

char *strchr(const char *s, int c)
{
    for (; *s; s++)
        if (*s == (char)c)
            return (char *)s;
    return c ? NULL : (char *)s;
}
