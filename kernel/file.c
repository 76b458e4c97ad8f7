/* The system-wide open file table, shared by fork and dup. */
#include "kernel.h"
#include "file.h"

static struct file ftable[NFILE];

/* The console: its own permanent reference (ref 1) means it is never freed. */
struct file console_file = { .type = F_CONSOLE, .ref = 1, .flags = 2 /* O_RDWR */ };

struct file *file_alloc(enum filetype type)
{
    for (int i = 0; i < NFILE; i++) {
        if (ftable[i].ref == 0) {
            ftable[i] = (struct file){ .type = type, .ref = 1 };
            return &ftable[i];
        }
    }
    return NULL;
}

struct file *file_dup(struct file *f)
{
    f->ref++;
    return f;
}

/* Drop one reference; the last one frees the table slot. */
void file_close(struct file *f)
{
    if (--f->ref == 0)
        f->type = F_NONE;
}
