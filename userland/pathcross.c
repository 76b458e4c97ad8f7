/*
 * pathcross: path names at page boundaries, where the kernel's string copy
 * moves from one page to the next. Same transcript on Linux: a name that runs
 * into an unmapped page is EFAULT, one that crosses into a mapped page is
 * found (or not) by its full text, one of PATH_MAX bytes is ENAMETOOLONG.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PG 4096

static void try_open(const char *what, const char *path)
{
    int fd = open(path, O_RDONLY);
    printf("pathcross: %s: %s\n", what, fd >= 0 ? "opened" : strerror(errno));
    if (fd >= 0)
        close(fd);
}

int main(void)
{
    char *two = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED)
        return 1;
    munmap(two + PG, PG);                              /* [two, two+PG) mapped, then a hole */

    memset(two, 'a', PG);
    try_open("name running into an unmapped page", two + PG - 8);
    two[PG - 1] = 0;
    try_open("name ending on the page's last byte", two + PG - 8);
    strcpy(two + PG - 10, "pathcross");                /* the program itself, in the cwd */
    try_open("existing name ending on the page's last byte", two + PG - 10);

    char *cross = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (cross == MAP_FAILED)
        return 1;
    strcpy(cross + PG - 5, "pathcross");               /* 5 bytes here, 5 on the next page */
    try_open("existing name across a page boundary", cross + PG - 5);
    strcpy(cross + PG - 5, "no-such-file");
    try_open("missing name across a page boundary", cross + PG - 5);

    memset(cross, 'b', 2 * PG);
    cross[0] = '/';
    cross[2 * PG - 1] = 0;                             /* 8191 bytes: beyond PATH_MAX */
    try_open("name of 8191 bytes", cross);
    return 0;
}
