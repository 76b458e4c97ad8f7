/*
 * The character devices in /dev: null, zero, console (the serial console's
 * line discipline, console.c), urandom (time.c's random_fill) and tty (the
 * caller's controlling terminal: open gives the console, jobctl.c). Device
 * numbers are Linux's (Documentation/admin-guide/devices.txt).
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "proc.h"
#include "vm.h"

static const struct {
    const char *name;
    enum devkind kind;
    uint32_t mode;
} devices[] = {
    { "null", DEV_NULL, 0666 },
    { "zero", DEV_ZERO, 0666 },
    { "console", DEV_CONSOLE, 0600 },
    { "urandom", DEV_URANDOM, 0666 },
    { "tty", DEV_TTY, 0666 },
};

/* The console's open file: its own permanent reference means it is never freed. */
struct file console_file = { .type = F_INODE, .ref = 1, .flags = O_RDWR | O_LARGEFILE };

void dev_init(struct inode *devdir)
{
    for (uint64_t i = 0; i < ARRAY_SIZE(devices); i++) {
        struct inode *ip = inode_new(S_IFCHR | devices[i].mode);
        if (!ip || dir_link(devdir, devices[i].name, ip))
            panic("dev-init name=%s", devices[i].name);
        ip->dev = devices[i].kind;
        if (ip->dev == DEV_CONSOLE)
            console_file.ip = inode_get(ip);
    }
}

/* Fill user memory from a generator of kernel bytes, one chunk at a time. */
static int64_t fill_user(uint64_t dst, uint64_t n, bool random)
{
    uint8_t buf[256];
    uint64_t done = 0;
    memset(buf, 0, sizeof buf);
    while (done < n) {
        uint64_t len = n - done < sizeof buf ? n - done : sizeof buf;
        if (random)
            random_fill(buf, len);
        int r = copyout(myproc()->pml4, dst + done, buf, len);
        if (r)
            return done ? (int64_t)done : r;
        done += len;
    }
    return (int64_t)done;
}

int64_t dev_read(struct inode *ip, uint64_t dst, uint64_t n)
{
    switch (ip->dev) {
    case DEV_NULL:
        return 0;
    case DEV_ZERO:
        return fill_user(dst, n, false);
    case DEV_URANDOM:
        return fill_user(dst, n, true);
    case DEV_CONSOLE:
        return console_read(myproc()->pml4, dst, n);
    case DEV_KCOV:
        return -EINVAL;                  /* Linux's kcov file has no read (vfs_read: -EINVAL) */
    default:
        return -ENXIO;
    }
}

/* Writes to null, zero and urandom are accepted and discarded, as on Linux (urandom: no entropy is credited). */
int64_t dev_write(struct inode *ip, uint64_t src, uint64_t n)
{
    switch (ip->dev) {
    case DEV_NULL:
    case DEV_ZERO:
    case DEV_URANDOM:
        return (int64_t)n;
    case DEV_CONSOLE:
        return console_write(myproc()->pml4, src, n);
    case DEV_KCOV:
        return -EINVAL;                  /* nor write */
    default:
        return -ENXIO;
    }
}
