/* stdinsum: read stdin to end of file (read() == 0) and describe what came, in text: the
   byte count, the newlines, a 64-bit FNV-1a hash, the first and last bytes, and how many of
   each byte class. The same input gives the same line on ringlab's console and on Linux
   from a pipe (tests/test_stdin.py). */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    unsigned char buf[300];
    uint64_t hash = 0xcbf29ce484222325ull, bytes = 0, lines = 0, ctrl = 0, high = 0;
    int first = -1, last = -1;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = buf[i];
            hash = (hash ^ c) * 0x100000001b3ull;
            lines += c == '\n';
            ctrl += c < 0x20 || c == 0x7f;
            high += c >= 0x80;
            if (first < 0)
                first = c;
            last = c;
        }
        bytes += (uint64_t)n;
    }
    if (n < 0) {
        perror("read");
        return 1;
    }
    printf("bytes=%llu lines=%llu ctrl=%llu high=%llu first=%d last=%d fnv=%016llx\n",
           (unsigned long long)bytes, (unsigned long long)lines, (unsigned long long)ctrl,
           (unsigned long long)high, first, last, (unsigned long long)hash);
    return 0;
}
