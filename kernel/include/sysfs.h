/* Helpers the file system calls share (sysfile.c: descriptors, syspath.c: paths). */
#pragma once
#include "file.h"
#include "types.h"

/* Linux struct stat for x86-64 (arch/x86/include/uapi/asm/stat.h). */
struct linux_stat {
    /*   0 */ uint64_t st_dev, st_ino, st_nlink;
    /*  24 */ uint32_t st_mode, st_uid, st_gid, pad0;
    /*  40 */ uint64_t st_rdev;
    /*  48 */ int64_t st_size, st_blksize, st_blocks;
    /*  72 */ uint64_t st_atime, st_atime_ns, st_mtime, st_mtime_ns, st_ctime, st_ctime_ns;
    /* 120 */ int64_t unused[3];
};
_Static_assert(sizeof(struct linux_stat) == 144, "Linux x86-64 struct stat is 144 bytes");

/* struct termios as Linux's TCGETS returns it (include/uapi/asm-generic/termbits.h). */
struct linux_termios {
    /*  0 */ uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    /* 16 */ uint8_t c_line, c_cc[19];
};
_Static_assert(sizeof(struct linux_termios) == 36, "Linux struct termios is 36 bytes");

struct file *fd_file(int fd);
struct inode *lookup_at(int dirfd, uint64_t upath, char *name, int *err);   /* syspath.c */
struct inode *lookup_at_nofollow(int dirfd, uint64_t upath, int *err);
int fd_alloc(struct file *f, int min, bool cloexec);
int fd_free(int min);
int fd_limit(void);
int stat_copyout(struct inode *ip, struct pipe *pipe, uint64_t ust);
void console_tcgets(struct linux_termios *t);      /* console.c */
int console_tcsets(const struct linux_termios *t);

