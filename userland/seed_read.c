/* The seed example's variant: open example.txt, print what it holds. */
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
int main() {
    int fileDescriptor = open("example.txt", O_RDONLY);
    if (fileDescriptor == -1) { perror("Error opening file"); return 1; }
    char buf[256];
    ssize_t n;
    while ((n = read(fileDescriptor, buf, sizeof buf)) > 0)
        fwrite(buf, 1, n, stdout);
    if (n < 0) { perror("Error reading file"); return 1; }
    close(fileDescriptor);
    return 0;
}
