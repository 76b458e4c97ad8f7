/*
 * sig_default MODE: a signal's default action, with no handler installed. The status says
 * what happened (128 + N for a signal that ended the program):
 *   alarm   alarm(1), then pause(): SIGALRM terminates (142)
 *   pipe    write to a pipe whose reader is gone: SIGPIPE terminates (141), write never returns
 *   usr1    raise(SIGUSR1): terminates (138)
 *   quit    raise(SIGQUIT): "core" - terminates, no core file (131)
 *   ignore  SIGCHLD, SIGURG, SIGWINCH, SIGCONT raised: ignored, exit 0
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "ignore";
    printf("sig_default: %s\n", mode);
    fflush(stdout);
    if (!strcmp(mode, "alarm")) {
        alarm(1);
        pause();
    } else if (!strcmp(mode, "pipe")) {
        int fds[2];
        signal(SIGPIPE, SIG_DFL);   /* ignored dispositions survive exec: a Python parent ignores it */
        pipe(fds);
        close(fds[0]);
        write(fds[1], "x", 1);
    } else if (!strcmp(mode, "usr1")) {
        raise(SIGUSR1);
    } else if (!strcmp(mode, "quit")) {
        raise(SIGQUIT);
    } else {
        int sigs[] = { SIGCHLD, SIGURG, SIGWINCH, SIGCONT };
        for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
            raise(sigs[i]);
        puts("sig_default: still here");
        return 0;
    }
    puts("sig_default: survived (wrong)");
    return 1;
}
