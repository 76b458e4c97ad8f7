/* Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h). */
#pragma once

#define EPERM    1   /* operation not permitted */
#define ENOENT   2   /* no such file or directory */
#define ESRCH    3   /* no such process */
#define EINTR    4   /* interrupted system call */
#define EIO      5   /* I/O error */
#define E2BIG    7   /* argument list too long */
#define ENOEXEC  8   /* exec format error */
#define EBADF    9   /* bad file descriptor */
#define ECHILD  10   /* no child processes */
#define EAGAIN  11   /* try again */
#define ENOMEM  12   /* out of memory */
#define EACCES  13   /* permission denied */
#define EFAULT  14   /* bad address */
#define EEXIST  17   /* file exists */
#define ENOTDIR 20   /* not a directory */
#define EISDIR  21   /* is a directory */
#define EINVAL  22   /* invalid argument */
#define ENFILE  23   /* file table overflow */
#define EMFILE  24   /* too many open files */
#define ENOTTY  25   /* not a typewriter */
#define ETXTBSY 26   /* text file busy: a running program's file, or execve of one open for writing */
#define ESPIPE  29   /* illegal seek */
#define EROFS   30   /* read-only file system */
#define ERANGE  34   /* result out of range */
#define ENAMETOOLONG 36 /* file name too long */
#define ENOSYS  38   /* function not implemented */
#define ENODEV  19   /* no such device */
#define ENXIO    6   /* no such device or address */
#define EXDEV   18   /* cross-device link */
#define EFBIG   27   /* file too large */
#define ENOSPC  28   /* no space left on device */
#define EMLINK  31   /* too many links */
#define EPIPE   32   /* broken pipe */
#define EDOM    33   /* argument out of domain: a socket timeout's usec (sock_set_timeout) */
#define ENOLCK  37   /* no record locks available */
#define ENOTEMPTY 39 /* directory not empty */
#define ELOOP   40   /* too many symbolic links */
#define EDEADLK 35   /* a lock wait would deadlock */
#define ENOMSG  42   /* no message of the desired type */
#define EIDRM   43   /* identifier removed */
#define EOVERFLOW 75 /* value too large for the type */
#define EBUSY   16   /* device or resource busy */
#define ETIMEDOUT 110 /* connection (here: futex wait) timed out */
/* sockets (include/uapi/asm-generic/errno.h) */
#define ETOOMANYREFS 109 /* too many references: SCM_RIGHTS past RLIMIT_NOFILE in flight */
#define ENOTSOCK 88  /* socket operation on a non-socket */
#define EDESTADDRREQ 89 /* destination address required */
#define EMSGSIZE 90  /* message too long */
#define EPROTOTYPE 91 /* protocol wrong type for socket */
#define ENOPROTOOPT 92 /* protocol not available (an unknown socket option) */
#define EPROTONOSUPPORT 93 /* protocol not supported */
#define ESOCKTNOSUPPORT 94 /* socket type not supported */
#define EOPNOTSUPP 95 /* operation not supported on this socket */
#define EAFNOSUPPORT 97 /* address family not supported */
#define EADDRINUSE 98 /* address already in use */
#define ENOBUFS 105  /* no buffer space available */
#define EISCONN 106  /* already connected */
#define ENOTCONN 107 /* not connected */
#define ECONNRESET 104 /* connection reset by peer */
#define ECONNREFUSED 111 /* connection refused */
