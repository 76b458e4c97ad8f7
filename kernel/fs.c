/*
 * The in-memory, read-only file system: each multiboot module is one file in
 * "/", named by its module string. There are no subdirectories.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"

static struct fsfile files[NFSFILE];
static uint64_t nfiles;

void fs_add(const char *name, const uint8_t *data, uint64_t size)
{
    if (nfiles == NFSFILE)
        panic("fs-full name=%s", name);
    struct fsfile *f = &files[nfiles];
    snprintf(f->name, sizeof f->name, "%s", name);
    f->data = data;
    f->size = size;
    f->ino = nfiles + 2;                     /* 1 is the root directory */
    nfiles++;
}

/* "/", "", "." and "/." name the root directory. */
bool fs_is_root(const char *path)
{
    while (*path == '/')
        path++;
    return !*path || !strcmp(path, ".") || !strcmp(path, "./");
}

/*
 * Look up "/name", "name" or "./name". Returns the file, or NULL with
 * *err = -ENOENT (absent) or -ENOTDIR ("file/more": a file used as a directory).
 */
struct fsfile *fs_lookup(const char *path, int *err)
{
    while (*path == '/')
        path++;
    if (path[0] == '.' && path[1] == '/')
        path += 2;
    size_t n = 0;
    while (path[n] && path[n] != '/')
        n++;
    for (uint64_t i = 0; i < nfiles; i++) {
        if (strlen(files[i].name) == n && !strncmp(files[i].name, path, n)) {
            if (path[n]) {
                *err = -ENOTDIR;
                return NULL;
            }
            return &files[i];
        }
    }
    *err = -ENOENT;
    return NULL;
}


struct fsfile *fs_at(uint64_t index)
{
    return index < nfiles ? &files[index] : NULL;
}
