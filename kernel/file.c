/* The system-wide open file table, shared by fork and dup. */
#include "kernel.h"
#include "file.h"

static struct file ftable[NFILE];

/* The console never closes: fds 0, 1 and 2 of init refer to it. */
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

void file_close(struct file *f)
{
    if (--f->ref == 0 && f != &console_file)
        f->type = F_NONE;
    if (f == &console_file && f->ref == 0)
        f->ref = 1;
}
