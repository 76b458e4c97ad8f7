/*
 * RLIMIT_NPROC, as Linux's copy_process counts it: the threads of the caller's real uid,
 * zombies included until reaped; fork at the limit is EAGAIN for a uid other than root
 * without CAP_SYS_RESOURCE or CAP_SYS_ADMIN; lowering a limit is allowed, raising the hard one
 * is not. Run as an unprivileged user (tests/test_hostile.py: the host drops to uid 1000).
 *
 *   nproc              the limit set to 8: how many children fork makes, then after one
 *                      child is reaped, one more; the hard limit raised back: EPERM
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("uid %d\n", (int)getuid());
    struct rlimit lim = { 8, 8 };
    printf("setrlimit(RLIMIT_NPROC, 8): %s\n", setrlimit(RLIMIT_NPROC, &lim) ? strerror(errno) : "ok");
    int fds[2];
    if (pipe(fds))
        return 1;
    int kids[64], n = 0, err = 0;
    for (; n < 64; n++) {
        int c = fork();
        if (c < 0) {
            err = errno;
            break;
        }
        if (c == 0) {
            char b;
            close(fds[1]);
            read(fds[0], &b, 1);       /* until the parent lets go */
            _exit(0);
        }
        kids[n] = c;
    }
    /* On the host, this user may already run other processes: count only up to the refusal */
    printf("fork stopped with %s\n", err == EAGAIN ? "EAGAIN" : err ? strerror(err) : "nothing (64 forks)");
    printf("processes of this user at the refusal reached the limit: %s\n", n > 0 && n < 8 ? "yes" : "no");
    kill(kids[0], SIGKILL);
    waitpid(kids[0], NULL, 0);
    int c = fork();
    if (c == 0)
        _exit(0);
    printf("after reaping one: fork %s\n", c > 0 ? "works" : strerror(errno));
    if (c > 0)
        waitpid(c, NULL, 0);
    close(fds[1]);
    while (wait(NULL) > 0)
        ;
    lim.rlim_cur = lim.rlim_max = 16;
    printf("raise the hard limit: %s\n", setrlimit(RLIMIT_NPROC, &lim) ? strerror(errno) : "ok");
    return 0;
}
