/*
 * segkeep: data segment selectors belong to the process that loaded them.
 *
 * The parent loads its own stack selector (user data: 0x2b, Linux's __USER_DS, in both) into
 * DS and ES, while a sibling that did not keeps yielding the CPU. Each line prints booleans,
 * so the host's Linux and ringlab print the same transcript:
 *   - the parent's DS/ES survive 100 sched_yield()s (saved and restored at each switch);
 *   - the sibling's DS/ES stay null all along (nothing leaks between processes);
 *   - a forked child inherits them (fork copies the registers);
 *   - after execve they are null again (a new program starts clean).
 * `segkeep exec` is the exec'd half: it prints its selectors and exits.
 */
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static uint16_t ds(void) { uint16_t v; __asm__ volatile("mov %%ds, %0" : "=r"(v)); return v; }
static uint16_t es(void) { uint16_t v; __asm__ volatile("mov %%es, %0" : "=r"(v)); return v; }

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && !strcmp(argv[1], "exec")) {
        printf("segkeep: after execve null=%d\n", ds() == 0 && es() == 0);
        return 0;
    }
    uint16_t ss;
    __asm__ volatile("mov %%ss, %0" : "=r"(ss));
    pid_t sibling = fork();
    if (sibling == 0) {
        int clean = 1;
        for (int i = 0; i < 200; i++) {
            sched_yield();
            clean &= ds() == 0 && es() == 0;
        }
        printf("segkeep: sibling stayed null=%d\n", clean);
        return 0;
    }
    __asm__ volatile("mov %0, %%ds\n\tmov %0, %%es" ::"r"(ss));
    int kept = 1;
    for (int i = 0; i < 100; i++) {
        sched_yield();
        kept &= ds() == ss && es() == ss;
    }
    waitpid(sibling, NULL, 0);
    printf("segkeep: parent kept=%d\n", kept);
    pid_t child = fork();
    if (child == 0) {
        printf("segkeep: child inherited=%d\n", ds() == ss && es() == ss);
        char path[256];
        snprintf(path, sizeof path, "%s%s", argv[0][0] == '/' ? "" : "/", argv[0]);
        char *cargv[] = { argv[0], "exec", NULL };
        execve(path, cargv, environ);
        perror("segkeep: execve");
        return 1;
    }
    int st;
    waitpid(child, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
