/*
 * Linux x86-64 user ABI constants the system calls speak: the same names and
 * values as Linux's uapi headers (include/uapi/asm-generic/fcntl.h, stat.h,
 * ioctls.h, linux/limits.h, linux/wait.h, arch/x86/include/uapi/asm/signal.h,
 * asm/prctl.h), so a musl-static program sees what it would see on Linux.
 * System-call numbers are in sysnr.h, errno values in errno.h.
 */
#pragma once

/* open flags (asm-generic/fcntl.h) */
#define O_ACCMODE     03         /* access mode bits (3: ioctl only, neither read nor write) */
#define O_RDONLY      00         /* read only */
#define O_WRONLY      01         /* write only */
#define O_RDWR        02         /* read and write */
#define O_CREAT       0100       /* create if missing */
#define O_EXCL        0200       /* with O_CREAT: fail if it exists */
#define O_NOCTTY      0400       /* never become the controlling terminal */
#define O_TRUNC       01000      /* truncate */
#define O_APPEND      02000      /* every write at the end */
#define O_NONBLOCK    04000      /* -EAGAIN instead of waiting */
#define O_DIRECT      040000     /* direct I/O (a pipe: packet mode); not supported here */
#define O_NOATIME     01000000   /* reads leave the access time; not supported here */
#define O_LARGEFILE   0100000    /* always set on 64-bit (F_GETFL shows it) */
#define O_DIRECTORY   0200000    /* fail unless a directory */
#define O_NOFOLLOW    0400000    /* do not follow a final symbolic link */
#define O_CLOEXEC     02000000   /* close on execve */
#define O_PATH        010000000  /* a handle only */
#define O_TMPFILE_    020000000  /* __O_TMPFILE: O_TMPFILE without its O_DIRECTORY bit */

/* *at() (linux/fcntl.h) */
#define AT_FDCWD      (-100)     /* dirfd: the working directory */
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR  0x200      /* unlinkat: rmdir */
#define AT_EACCESS    0x200      /* faccessat: effective ids */
#define AT_SYMLINK_FOLLOW 0x400  /* linkat */
#define AT_NO_AUTOMOUNT 0x800
#define AT_EMPTY_PATH 0x1000     /* *at(): "" names the fd itself */

/* fcntl commands (asm-generic/fcntl.h, linux/fcntl.h) */
#define F_DUPFD       0          /* dup to the lowest fd >= arg */
#define F_GETFD       1          /* fd flags (FD_CLOEXEC) */
#define F_SETFD       2
#define F_GETFL       3          /* open file status flags */
#define F_SETFL       4
#define F_GETLK       5          /* record locks */
#define F_SETLK       6
#define F_SETLKW      7
#define F_OFD_GETLK   36         /* open file description locks */
#define F_OFD_SETLK   37
#define F_OFD_SETLKW  38
#define F_DUPFD_CLOEXEC 1030     /* F_DUPFD, close-on-exec set */
#define F_SETPIPE_SZ  1031       /* set a pipe's capacity, bytes (rounded up) */
#define F_GETPIPE_SZ  1032       /* pipe capacity, bytes */
#define FD_CLOEXEC    1          /* F_GETFD/F_SETFD flag */

/* st_mode file types (linux/stat.h) */
#define S_IFMT        0170000    /* type bits */
#define S_IFIFO       0010000    /* pipe */
#define S_IFCHR       0020000    /* character device */
#define S_IFDIR       0040000    /* directory */
#define S_IFREG       0100000    /* regular file */
#define S_IFLNK       0120000    /* symbolic link */
#define S_IFBLK       0060000    /* block device */
#define S_IFSOCK      0140000    /* socket */
#define S_ISUID       0004000    /* set-user-ID on execution */
#define S_ISGID       0002000    /* set-group-ID on execution; a directory's: new names get its group */
#define S_ISVTX       0001000    /* sticky: in a directory only owners may remove names (/tmp) */
#define S_IALLUGO     0007777    /* every mode bit chmod may set */
#define S_IXGRP       0000010    /* group execute */
#define S_IXUGO       0000111    /* any execute bit */

/* getdents64 d_type (linux/fs.h) */
#define DT_DIR        4          /* directory */
#define DT_REG        8          /* regular file */

/* lseek whence (linux/fs.h) */
#define SEEK_SET      0          /* from the start */
#define SEEK_CUR      1          /* from the current offset */
#define SEEK_END      2          /* from the end */
#define SEEK_DATA     3          /* the next data at or after the offset (include/uapi/linux/fs.h) */
#define SEEK_HOLE     4          /* the next hole at or after the offset */

/* terminal ioctls (asm-generic/ioctls.h) */
#define TCGETS        0x5401     /* get struct termios */
#define TCSETS        0x5402     /* set struct termios */
#define TCSETSW       0x5403     /* ... after output drains */
#define TCSETSF       0x5404     /* ... and flush input */
#define TIOCGWINSZ    0x5413     /* get struct winsize */

#define PATH_MAX      4096       /* linux/limits.h: bytes in a path, NUL included */

/* wait4 options (linux/wait.h) */
#define WNOHANG       1          /* do not block if no child has changed state */
#define WUNTRACED     2          /* also report a stopped child */
#define WCONTINUED    8          /* also report a continued child */
#define WNOTHREAD_    0x20000000 /* __WNOTHREAD: only the calling thread's children (not kept) */
#define WALL_         0x40000000 /* __WALL: clone and non-clone children alike */
#define WCLONE_       0x80000000 /* __WCLONE: only children whose exit signal is not SIGCHLD */
#define WAIT_KNOWN    (WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD_ | WALL_ | WCLONE_)
                                 /* others are -EINVAL */

/* clone flags (linux/sched.h); the low byte is the exit signal (CSIGNAL) */
#define CSIGNAL              0x000000ff  /* signal sent to the parent at exit */
#define CLONE_VM             0x00000100  /* share the address space */
#define CLONE_FS             0x00000200  /* share working directory and umask */
#define CLONE_FILES          0x00000400  /* share the descriptor table */
#define CLONE_SIGHAND        0x00000800  /* share signal handlers */
#define CLONE_PIDFD          0x00001000  /* a pidfd in parent_tid */
#define CLONE_PTRACE         0x00002000  /* traced too */
#define CLONE_VFORK          0x00004000  /* the parent sleeps until the child execs or exits */
#define CLONE_PARENT         0x00008000  /* the caller's parent is the child's */
#define CLONE_THREAD         0x00010000  /* same thread group */
#define CLONE_NEWNS          0x00020000  /* new mount namespace */
#define CLONE_SYSVSEM        0x00040000  /* share SysV semaphore undo lists */
#define CLONE_SETTLS         0x00080000  /* FS base = tls argument */
#define CLONE_PARENT_SETTID  0x00100000  /* store the tid at parent_tid (caller's memory) */
#define CLONE_CHILD_CLEARTID 0x00200000  /* zero child_tid and futex-wake it at thread exit */
#define CLONE_DETACHED       0x00400000  /* ignored by Linux */
#define CLONE_UNTRACED       0x00800000  /* no forced CLONE_PTRACE */
#define CLONE_CHILD_SETTID   0x01000000  /* store the tid at child_tid (child's memory) */
#define CLONE_NEWUSER        0x10000000  /* new user namespace */
#define CLONE_NEWTIME        0x00000080  /* a time namespace (clone3: inside CSIGNAL's bits) */
#define CLONE_CLEAR_SIGHAND  0x100000000ULL  /* clone3: the child's handlers back to SIG_DFL */
#define CLONE_INTO_CGROUP    0x200000000ULL  /* clone3: into the cgroup args.cgroup names */
#define CLONE_LEGACY_FLAGS   0xffffffffULL   /* what clone(2) can say (Linux kernel/fork.c) */
#define CLONE_ARGS_WORDS     11          /* struct clone_args: flags pidfd child_tid parent_tid exit_signal
                                            stack stack_size tls set_tid set_tid_size cgroup */
#define CLONE_ARGS_SIZE_VER0 64          /* the first struct clone_args (Linux 5.3) */
#define CLONE_ARGS_SIZE_VER2 88          /* with cgroup (Linux 5.7) */
#define CLONE_MAX_PID_NS_LEVEL 32        /* set_tid_size at most (Linux MAX_PID_NS_LEVEL) */

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
#define SIGSTKFLT     16
#define SIGCHLD       17
#define SIGCONT       18
#define SIGSTOP       19
#define SIGTSTP       20
#define SIGTTIN       21
#define SIGTTOU       22
#define SIGURG        23
#define SIGXCPU       24
#define SIGXFSZ       25
#define SIGVTALRM     26
#define SIGPROF       27
#define SIGWINCH      28
#define SIGIO         29
#define SIGPWR        30
#define SIGSYS        31
#define NSIG          65         /* signals 1..64 */
