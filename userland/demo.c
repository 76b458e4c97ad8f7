/*
 * An ordinary C program: printf, malloc small and large, string
 * functions and argv; its output goes to stdout and its return value is the exit status.
 *   invoke boot --init images/user/demo    -> exit status 7
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int main(int argc, char **argv)
{
    printf("demo: argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("demo: argv[%d]=%s\n", i, argv[i]);

    const char *words[] = {"ring", "kernel", "syscall", "user", "fault"};
    size_t n = sizeof words / sizeof words[0];
    char **copy = malloc(n * sizeof *copy);             /* small: brk */
    for (size_t i = 0; i < n; i++)
        copy[i] = strdup(words[i]);
    qsort(copy, n, sizeof *copy, cmp);

    char line[128] = "";
    for (size_t i = 0; i < n; i++) {
        strcat(line, copy[i]);
        if (i + 1 < n)
            strcat(line, ",");
    }
    printf("demo: sorted=%s len=%zu\n", line, strlen(line));

    size_t big_len = 3 << 20;                            /* large: mmap */
    char *big = malloc(big_len);
    if (!big) {
        printf("demo: large malloc failed\n");
        return 1;
    }
    for (size_t i = 0; i < big_len; i++)
        big[i] = (char)('a' + i % 26);
    big[big_len - 1] = '\0';
    char *hit = strstr(big + (2 << 20), "xyzabc");
    printf("demo: large=%zu KiB strlen=%zu found at +%ld\n", big_len >> 10, strlen(big),
           hit ? (long)(hit - big) : -1L);

    char buf[64];
    snprintf(buf, sizeof buf, "%s-%d-%x", "ringlab", 42, 0x2b);
    printf("demo: snprintf=%s\n", buf);

    for (size_t i = 0; i < n; i++)
        free(copy[i]);
    free(copy);
    free(big);
    printf("demo: returning 7\n");
    return 7;
}
