/* The seed example, unmodified: open a file, report failure with perror. */
#include <stdio.h>
#include <fcntl.h>
#include <unistd.h>
int main() {
    int fileDescriptor = open("example.txt", O_RDONLY);
    if (fileDescriptor == -1) { perror("Error opening file"); return 1; }
    close(fileDescriptor);
    return 0;
}
