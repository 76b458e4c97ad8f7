/*
 * Linux x86-64 user ABI constants the system calls speak: the same names and
 * values as Linux's uapi headers (include/uapi/asm-generic/fcntl.h, stat.h,
 * ioctls.h, linux/limits.h, linux/wait.h, arch/x86/include/uapi/asm/signal.h,
 * asm/prctl.h), so a musl-static program sees what it would see on Linux.
 * System-call numbers are in sysnr.h, errno values in errno.h.
 */
#pragma once

/* open flags (asm-generic/fcntl.h) */
#define O_ACCMODE     03         /* access mode bits */
#define O_WRONLY      01         /* write only */
#define O_RDWR        02         /* read and write */
#define O_CREAT       0100       /* create if missing */
#define O_TRUNC       01000      /* truncate */
#define O_DIRECTORY   0200000    /* fail unless a directory */
#define AT_EMPTY_PATH 0x1000     /* *at(): "" names the fd itself */

/* st_mode file types (linux/stat.h) */
#define S_IFCHR       0020000    /* character device */
#define S_IFDIR       0040000    /* directory */
#define S_IFREG       0100000    /* regular file */

/* getdents64 d_type (linux/fs.h) */
#define DT_DIR        4          /* directory */
#define DT_REG        8          /* regular file */

/* lseek whence (linux/fs.h) */
#define SEEK_SET      0          /* from the start */
#define SEEK_CUR      1          /* from the current offset */
#define SEEK_END      2          /* from the end */

/* terminal ioctls (asm-generic/ioctls.h) */
#define TCGETS        0x5401     /* get struct termios */
#define TCSETS        0x5402     /* set struct termios */
#define TIOCGWINSZ    0x5413     /* get struct winsize */

#define PATH_MAX      4096       /* linux/limits.h: bytes in a path, NUL included */

/* wait4 options (linux/wait.h) */
#define WNOHANG       1          /* do not block if no child has changed state */

/* arch_prctl codes (asm/prctl.h) */
#define ARCH_SET_GS   0x1001     /* set the GS base */
#define ARCH_SET_FS   0x1002     /* set the FS base */
#define ARCH_GET_FS   0x1003     /* store the FS base at *addr */
#define ARCH_GET_GS   0x1004     /* store the GS base at *addr */

/* signal numbers (x86-64, asm/signal.h) */
#define SIGHUP        1
#define SIGINT        2
#define SIGQUIT       3
#define SIGILL        4
#define SIGTRAP       5
#define SIGABRT       6
#define SIGBUS        7
#define SIGFPE        8
#define SIGKILL       9
#define SIGUSR1       10
#define SIGSEGV       11
#define SIGUSR2       12
#define SIGPIPE       13
#define SIGALRM       14
#define SIGTERM       15
#define SIGCHLD       17
#define SIGCONT       18
#define SIGSTOP       19
#define SIGURG        23
#define SIGWINCH      28
#define NSIG          65         /* signals 1..64 */
