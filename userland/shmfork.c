/*
 * shmfork: anonymous MAP_SHARED memory is shared with forked children (the
 * same pages), MAP_PRIVATE memory is copied. Same transcript on Linux.
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PG 4096

static void wait_child(pid_t pid)
{
    int st;
    waitpid(pid, &st, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);       /* a pipe too: no buffered line is copied by fork */
    char *shared = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    char *private = mmap(NULL, PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED || private == MAP_FAILED)
        return 1;
    strcpy(shared, "parent");
    strcpy(shared + PG, "parent");
    strcpy(private, "parent");

    pid_t pid = fork();
    if (pid == 0) {
        strcpy(shared, "child wrote page 0");
        strcpy(shared + PG, "child wrote page 1");
        strcpy(private, "child");
        munmap(shared, PG);                 /* the child's view goes; the page stays the parent's */
        _exit(0);
    }
    wait_child(pid);
    printf("shmfork: shared page 0 after the child: %s\n", shared);
    printf("shmfork: shared page 1 after the child: %s\n", shared + PG);
    printf("shmfork: private page after the child: %s\n", private);

    pid = fork();
    if (pid == 0) {
        mprotect(shared, 2 * PG, PROT_READ);   /* only the child's view becomes read-only */
        pid_t grandchild = fork();
        if (grandchild == 0) {
            printf("shmfork: grandchild reads: %s\n", shared);
            _exit(0);
        }
        wait_child(grandchild);
        _exit(0);
    }
    wait_child(pid);
    strcpy(shared, "parent writes again");
    printf("shmfork: parent's view still writable: %s\n", shared);

    pid = fork();
    if (pid == 0) {
        execl("/nonexistent", "nonexistent", (char *)NULL);   /* fails: the mapping stays */
        shared[0] = 'P';
        _exit(0);
    }
    wait_child(pid);
    printf("shmfork: after a child's failed exec: %s\n", shared);
    munmap(shared, 2 * PG);
    printf("shmfork: done\n");
    return 0;
}
