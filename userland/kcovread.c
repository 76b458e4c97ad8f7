/*
 * Kernel coverage of one read(), collected through kcov the way Linux's
 * Documentation/dev-tools/kcov.rst shows it: open /sys/kernel/debug/kcov, size the
 * buffer (KCOV_INIT_TRACE, in words), map it shared, enable PC tracing for this thread,
 * zero the count, make the call, read the count, disable. Prints one line per PC:
 *
 *   kcovread: pcs=N
 *   0xffffffff80...
 *
 * (the PCs of the read() only, in the order the kernel ran them). argv[1] names the file
 * (default: the program itself). Exit status 1 with a message if kcov is missing (a kernel
 * without it: open fails with ENOENT, as on a Linux without CONFIG_KCOV).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define KCOV_INIT_TRACE _IOR('c', 1, unsigned long)   /* include/uapi/linux/kcov.h */
#define KCOV_ENABLE     _IO('c', 100)
#define KCOV_DISABLE    _IO('c', 101)
#define KCOV_TRACE_PC   0
#define COVER_SIZE      (64 << 10)                     /* words */

int main(int argc, char **argv)
{
    const char *path = argc > 1 ? argv[1] : argv[0];
    int kfd = open("/sys/kernel/debug/kcov", O_RDWR);
    if (kfd == -1) {
        printf("kcovread: open kcov: %s (errno=%d)\n", strerror(errno), errno);
        return 1;
    }
    if (ioctl(kfd, KCOV_INIT_TRACE, COVER_SIZE)) {
        perror("kcovread: KCOV_INIT_TRACE");
        return 1;
    }
    unsigned long *cover = mmap(NULL, COVER_SIZE * sizeof(unsigned long), PROT_READ | PROT_WRITE,
                                MAP_SHARED, kfd, 0);
    if (cover == MAP_FAILED) {
        perror("kcovread: mmap");
        return 1;
    }
    int fd = open(path, O_RDONLY);
    char buf[512];
    if (fd < 0) {
        perror("kcovread: open");
        return 1;
    }
    if (ioctl(kfd, KCOV_ENABLE, KCOV_TRACE_PC)) {
        perror("kcovread: KCOV_ENABLE");
        return 1;
    }
    __atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
    ssize_t got = read(fd, buf, sizeof buf);
    unsigned long n = __atomic_load_n(&cover[0], __ATOMIC_RELAXED);
    if (ioctl(kfd, KCOV_DISABLE, 0)) {
        perror("kcovread: KCOV_DISABLE");
        return 1;
    }
    printf("kcovread: read=%zd pcs=%lu\n", got, n);
    for (unsigned long i = 0; i < n && i + 1 < COVER_SIZE; i++)
        printf("0x%lx\n", cover[i + 1]);
    if (munmap(cover, COVER_SIZE * sizeof(unsigned long)) || close(kfd)) {
        perror("kcovread: munmap/close");
        return 1;
    }
    return 0;
}
