/*
 * execprobe [FILE...]: execve each FILE (a name without '/' means "/FILE"; no FILE: every
 * regular file in "/" but execprobe itself, in name order; not /tmp and /dev) and print what the kernel answered:
 *     execprobe: FILE errno=8 (Exec format error)
 * then "execprobe: done". A FILE that loads replaces this program, so it is for files that
 * must be refused (malformed ELF images: -ENOEXEC from the kernel's loader).
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

#define MAX_FILES 64

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv)
{
    char *names[MAX_FILES];
    int n = 0;
    if (argc > 1) {
        for (int i = 1; i < argc && n < MAX_FILES; i++)
            names[n++] = argv[i];
    } else {
        DIR *d = opendir("/");
        struct dirent *e;
        while (d && (e = readdir(d)) && n < MAX_FILES)
            if (e->d_type == DT_REG && strcmp(e->d_name, "execprobe"))
                names[n++] = strdup(e->d_name);
        if (d)
            closedir(d);
        qsort(names, n, sizeof names[0], by_name);
    }
    for (int i = 0; i < n; i++) {
        char path[256];
        snprintf(path, sizeof path, "%s%s", strchr(names[i], '/') ? "" : "/", names[i]);
        char *child_argv[] = { names[i], NULL };
        execve(path, child_argv, environ);
        printf("execprobe: %s errno=%d (%s)\n", names[i], errno, strerror(errno));
    }
    puts("execprobe: done");
    return 0;
}
