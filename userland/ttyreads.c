/* ttyreads: report every read(0) until it returns 0 (or fails): its count and its bytes,
   escaped (\n, \xHH), one line per read. On a terminal in canonical mode each read returns
   at most one line, and a Ctrl-D alone is the end of file: the same keystrokes give the same
   lines on ringlab's console and on a Linux pty (tests/test_stdin.py). */
#include <stdio.h>
#include <unistd.h>

int main(void)
{
    char buf[64];
    for (;;) {
        ssize_t n = read(0, buf, sizeof buf);
        printf("read %zd:", n);
        for (ssize_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)buf[i];
            if (c == '\n')
                printf(" \\n");
            else if (c < 0x20 || c >= 0x7f)
                printf(" \\x%02x", c);
            else
                printf(" %c", c);
        }
        printf("\n");
        fflush(stdout);
        if (n <= 0)
            return n < 0;
    }
}
