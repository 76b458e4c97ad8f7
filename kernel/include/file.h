/* Open files: the console and read-only files from the in-memory file system. */
#pragma once
#include "types.h"

#define NFILE     128            /* system-wide open file table */
#define NFSFILE   64             /* files in the in-memory file system */
#define FS_NAME_MAX 64

struct fsfile {
    char name[FS_NAME_MAX];      /* name in "/" */
    const uint8_t *data;         /* module bytes (kernel virtual, read-only) */
    uint64_t size;
    uint64_t ino;
};

enum filetype { F_NONE, F_CONSOLE, F_FS, F_DIR };

struct file {
    enum filetype type;
    int ref;
    int flags;                   /* open flags (O_ACCMODE, O_APPEND...) */
    struct fsfile *fs;
    uint64_t off;                /* read offset; for F_DIR the next entry index */
};

/* fs.c */
void fs_add(const char *name, const uint8_t *data, uint64_t size);
struct fsfile *fs_lookup(const char *path, int *err);
struct fsfile *fs_at(uint64_t index);
bool fs_is_root(const char *path);

/* file.c */
struct file *file_alloc(enum filetype type);
struct file *file_dup(struct file *f);
void file_close(struct file *f);
extern struct file console_file;

/* console.c */
int64_t console_read(uint64_t *pml4, uint64_t dst, uint64_t n);
int64_t console_write(uint64_t *pml4, uint64_t src, uint64_t n);
void console_init(void);
