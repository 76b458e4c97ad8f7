/* POSIX shared memory and named semaphores through the C library (shm_open/shm_unlink over
 * /dev/shm, sem_open/sem_post/sem_wait/sem_unlink): a parent and a child that is not forked
 * with the mapping (it opens the names itself after an exec-free fork) pass values through a
 * shared counter guarded by a named semaphore. The same program with musl and with glibc, on
 * the host's Linux and in ringlab. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct shared { int counter; char text[32]; };

static struct shared *open_shared(int create)
{
    int fd = shm_open("/ringlab-posixipc", O_RDWR | (create ? O_CREAT | O_EXCL : 0), 0600);
    if (fd < 0)
        return NULL;
    if (create && ftruncate(fd, sizeof(struct shared)))
        return NULL;
    struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    return s == MAP_FAILED ? NULL : s;
}

int main(void)
{
    shm_unlink("/ringlab-posixipc");
    sem_unlink("/ringlab-posixipc-sem");
    struct shared *s = open_shared(1);
    printf("shm_open, ftruncate, mmap: %s\n", s ? "ok" : strerror(errno));
    sem_t *go = sem_open("/ringlab-posixipc-sem", O_CREAT | O_EXCL, 0600, 0);
    printf("sem_open: %s\n", go != SEM_FAILED ? "ok" : strerror(errno));
    if (!s || go == SEM_FAILED)
        return 1;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        /* the child opens both names on its own (its inherited mappings are not used) */
        struct shared *t = open_shared(0);
        sem_t *g = sem_open("/ringlab-posixipc-sem", 0);
        if (!t || g == SEM_FAILED)
            _exit(2);
        for (int i = 0; i < 100; i++) {
            t->counter++;
            sem_post(g);
        }
        strcpy(t->text, "from the child");
        sem_post(g);
        _exit(0);
    }
    for (int i = 0; i < 101; i++)
        sem_wait(go);
    int st;
    waitpid(c, &st, 0);
    printf("child: exit %d; counter %d; text \"%s\"\n", WEXITSTATUS(st), s->counter, s->text);
    int v = -1;
    sem_getvalue(go, &v);
    printf("semaphore value after: %d\n", v);
    printf("sem_trywait on 0: %s\n", sem_trywait(go) == 0 ? "ok" : errno == EAGAIN ? "EAGAIN" : strerror(errno));
    printf("sem_close: %d, sem_unlink: %d, shm_unlink: %d\n", sem_close(go), sem_unlink("/ringlab-posixipc-sem"),
           shm_unlink("/ringlab-posixipc"));
    printf("shm_open after unlink: %s\n", open_shared(0) ? "ok" : errno == ENOENT ? "ENOENT" : strerror(errno));
    return 0;
}
