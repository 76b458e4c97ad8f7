/* readline: read lines from stdin (the console) and echo each back with its length, until EOF or "quit". */
#include <stdio.h>
#include <string.h>

int main(void)
{
    char line[256];
    while (fgets(line, sizeof line, stdin)) {
        line[strcspn(line, "\n")] = 0;
        if (!strcmp(line, "quit"))
            break;
        printf("readline: got \"%s\" (%zu bytes)\n", line, strlen(line));
    }
    return 0;
}
