/*
 * The i386 half of the review of the compat surfaces (tests/test_review_attacks.py; the
 * 64-bit half is revcompat.c). Built only as i386 (revcompat32-m32). Each line is what Linux
 * (IA32 emulation, AMD: `syscall` works in compatibility mode) prints.
 *
 *   fastrestart: a child blocks in read(2) entered by the compat `syscall` instruction, is
 *          stopped (SIGSTOP) and continued (SIGCONT): no handler runs, so the call restarts
 *          at the return address minus 2, which a fast system call takes from the vDSO's
 *          landing pad (the `int $0x80` before it: Linux do_fast_syscall_32). With the vDSO,
 *          the read goes on and gets the byte the parent then writes. With the vDSO unmapped
 *          first there is no landing pad: ringlab returns to address 0, and the restart's RIP
 *          wrapped to 2^64 - 2 with CS 0x23, an EIP past the code segment's limit, after the
 *          kernel's check of RIP: the iretq faulted in ring 0 (a panic on hardware; QEMU's
 *          TCG faults in ring 3, and the sanitizer kernel reports it). Linux's landing pad is
 *          the unmapped vDSO's address: SIGSEGV either way.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_read 3                  /* i386 system call numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define NR_munmap 91

/* The state letter of process pid (/proc/PID/stat's third field), or 0. */
static char proc_state(pid_t pid)
{
    char path[64], buf[256];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = 0;
    char *q = strrchr(buf, ')');
    return q && q[1] && q[2] ? q[2] : 0;
}

/* int $0x80 with up to three arguments: glibc's own calls go through the vDSO's
   __kernel_vsyscall, which the child may have unmapped. */
static long raw80(long nr, long a, long b, long c)
{
    __asm__ volatile("int $0x80" : "+a"(nr) : "b"(a), "c"(b), "d"(c) : "memory");
    return nr;
}

/*
 * read(fd, buf, 1) through the `syscall` instruction the way the vDSO's __kernel_vsyscall
 * makes it (Linux arch/x86/entry/vdso/vdso32/system_call.S): ECX, EDX and EBP pushed, EBP =
 * ECX (syscall overwrites ECX; the kernel reads the sixth argument at ESP), then `syscall`;
 * the kernel returns to the vDSO's landing pad, which pops the three and returns to the
 * caller of this stub.
 */
extern long fast_vsyscall(void);
__asm__(".pushsection .text\n"
        "fast_vsyscall:\n"
        "    pushl %ecx\n"
        "    pushl %edx\n"
        "    pushl %ebp\n"
        "    movl %ecx, %ebp\n"
        "    syscall\n"
        "    ud2\n"                       /* never: the return is at the landing pad */
        ".popsection\n");

static long fast_read(int fd, char *buf)
{
    long r = NR_read;
    __asm__ volatile("call fast_vsyscall" : "+a"(r), "+c"(buf) : "b"(fd), "d"(1) : "memory");
    return r;
}

static void fastrestart_one(int unmap)
{
    const char *what = unmap ? "without the vDSO" : "with the vDSO";
    /* [vvar] (and Linux's [vvar_vclock]) and [vdso]: one range on both systems */
    unsigned long lo = ~0UL, hi = 0;
    char line[256];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps)) {
        if (!strstr(line, "[vvar") && !strstr(line, "[vdso]"))
            continue;
        char *dash;
        unsigned long start = strtoul(line, &dash, 16), end = strtoul(dash + 1, NULL, 16);
        lo = start < lo ? start : lo;
        hi = end > hi ? end : hi;
    }
    if (maps)
        fclose(maps);
    int fds[2];
    if (!getauxval(AT_SYSINFO_EHDR) || !hi || pipe(fds)) {
        printf("fastrestart %s: setup failed\n", what);
        return;
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char c = 0;
        if (unmap)
            raw80(NR_munmap, (long)lo, (long)(hi - lo), 0);
        long r = fast_read(fds[0], &c);
        raw80(1 /* exit */, r == 1 ? c : 100, 0, 0);
    }
    while (proc_state(pid) != 'S')
        sched_yield();                     /* asleep in the read: a bound is the test's timeout */
    kill(pid, SIGSTOP);
    int st;
    waitpid(pid, &st, WUNTRACED);
    printf("fastrestart %s: %s\n", what, WIFSTOPPED(st) ? "stopped" : "not stopped");
    kill(pid, SIGCONT);
    write(fds[1], "x", 1);
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("fastrestart %s: killed by %d\n", what, WTERMSIG(st));
    else
        printf("fastrestart %s: exit '%c'\n", what, WEXITSTATUS(st));
    close(fds[0]);
    close(fds[1]);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "fastrestart")) {
        fastrestart_one(0);
        fastrestart_one(1);
        return 0;
    }
    printf("usage: revcompat32-m32 fastrestart\n");
    return 2;
}
