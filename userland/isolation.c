/*
 * isolation: each process reaches only its own memory.
 *  1. a child's write to a global is invisible to the parent;
 *  2. a child reading a parent's buffer by address reads its own copy, taken at fork;
 *  3. a program exec'd by a child can't read a page the parent mapped (it faults);
 *  4. nobody can read kernel memory (the child faults).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int shared_global = 1;
static char buf[64] = "parent-v1";

static int wait_child(pid_t pid, const char *what)
{
    int st;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st))
        printf("isolation: %s: child killed by signal %d\n", what, WTERMSIG(st));
    else
        printf("isolation: %s: child exited %d\n", what, WEXITSTATUS(st));
    return st;
}

int main(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        shared_global = 42;
        printf("isolation: child wrote global=%d\n", shared_global);
        _exit(0);
    }
    wait_child(pid, "global write");
    printf("isolation: parent sees global=%d\n", shared_global);

    pid = fork();
    if (pid == 0) {
        printf("isolation: child reads parent buffer at %p: \"%s\"\n", (void *)buf, buf);
        _exit(strcmp(buf, "parent-v1") == 0 ? 0 : 1);
    }
    strcpy(buf, "parent-v2");       /* whenever the child runs, it sees its own copy */
    wait_child(pid, "read by address");

    char *secret = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(secret, "parent secret");
    char addr[32];
    snprintf(addr, sizeof addr, "%p", (void *)secret);
    pid = fork();
    if (pid == 0) {
        char *argv[] = { "peek", addr, NULL };
        execv("/peek", argv);
        perror("isolation: execv /peek");
        _exit(127);
    }
    wait_child(pid, "peek at parent page");

    pid = fork();
    if (pid == 0) {
        char *argv[] = { "peek", "0xffffffff80100000", NULL };
        execv("/peek", argv);
        perror("isolation: execv /peek");
        _exit(127);
    }
    wait_child(pid, "peek at kernel");
    printf("isolation: parent still has \"%s\" and global=%d\n", secret, shared_global);
    return 0;
}
