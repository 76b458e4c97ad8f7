/* ls: list the files of the root directory (or of the directory given), with sizes. */
#include <dirent.h>
#include <stdio.h>
#include <sys/stat.h>

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "/";
    DIR *d = opendir(dir);
    if (!d) {
        perror(dir);
        return 1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char path[512];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        if (stat(path, &st) == 0)
            printf("%8lld %s\n", (long long)st.st_size, e->d_name);
        else
            printf("%8s %s\n", "?", e->d_name);
    }
    closedir(d);
    return 0;
}
