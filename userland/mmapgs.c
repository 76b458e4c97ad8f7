/*
 * mmapgs: a system call that yields inside the kernel (a 32 MiB mmap passes
 * preemption points) keeps the caller's GS and FS state: after it, %gs-relative
 * loads and ARCH_GET_GS still give the caller's own base, while a child with a
 * base of its own spun meanwhile and checked its own every iteration. Same
 * output on Linux (where nothing yields visibly, and nothing may change either).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define ARCH_SET_GS 0x1001   /* asm/prctl.h */
#define ARCH_GET_GS 0x1004
#define LEN (32UL << 20)

static uint64_t parent_area[2] = { 0, 0x9a7e47a9a7e47aUL }, child_area[2] = { 0, 0xc41dc41dc41dUL };

static uint64_t gs_word1(void)
{
    uint64_t v;
    __asm__ volatile("movq %%gs:8, %0" : "=r"(v));
    return v;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    syscall(SYS_arch_prctl, ARCH_SET_GS, parent_area);
    pid_t pid = fork();
    if (pid == 0) {
        syscall(SYS_arch_prctl, ARCH_SET_GS, child_area);
        for (;;)
            if (gs_word1() != child_area[1])
                _exit(1);                       /* someone else's GS base: report by status */
    }
    for (int round = 0; round < 3; round++) {
        char *p = mmap(NULL, LEN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        uint64_t base = 0;
        syscall(SYS_arch_prctl, ARCH_GET_GS, &base);
        printf("mmapgs: round %d: mmap %s, %%gs:8 %s, ARCH_GET_GS %s\n", round, p == MAP_FAILED ? "failed" : "ok",
               gs_word1() == parent_area[1] ? "mine" : "NOT MINE", base == (uint64_t)parent_area ? "mine" : "NOT MINE");
        if (p != MAP_FAILED)
            munmap(p, LEN);
    }
    kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    printf("mmapgs: the child %s\n", WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? "always saw its own base"
                                                                                 : "saw another GS base");
    return 0;
}
