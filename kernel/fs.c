/*
 * The in-memory, read-only file system: each multiboot module is one file in
 * "/", named by its module string. There are no subdirectories.
 */
#include "kernel.h"
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

/* Look up "/name", "name" or "./name"; NULL if absent. */
struct fsfile *fs_lookup(const char *path)
{
    while (*path == '/')
        path++;
    if (path[0] == '.' && path[1] == '/')
        path += 2;
    for (uint64_t i = 0; i < nfiles; i++)
        if (!strcmp(files[i].name, path))
            return &files[i];
    return NULL;
}

struct fsfile *fs_at(uint64_t index)
{
    return index < nfiles ? &files[index] : NULL;
}

uint64_t fs_count(void)
{
    return nfiles;
}
