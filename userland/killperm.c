/*
 * Who may signal whom (Linux kill_ok_by_cred: the sender's real or effective uid equals the
 * target's real or SAVED uid - not its effective one - or CAP_KILL; SIGCONT within the
 * session), for the same binary on the host and in ringlab (tests/test_creds.py). Run as root:
 * two targets wait on a pipe, A with ids (1000,1000,1000) and C with (4000,1000,5000); senders
 * with other ids try kill, tkill and tgkill with signal 0, SIGTERM and SIGCONT; then root
 * ends the targets. Run as a user, it signals itself and a pid that does not exist.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "sigtest.h"

static int hold[2], ready[2];

static pid_t target(unsigned r, unsigned e, unsigned s)
{
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        close(hold[1]);
        if (syscall(SYS_setresuid, r, e, s))
            say("target setresuid: %s\n", strerror(errno));
        if (write(ready[1], "r", 1) != 1)
            _exit(1);
        while (read(hold[0], &c, 1) != 0)
            ;
        _exit(0);
    }
    return pid;
}

static void sender(const char *label, unsigned r, unsigned e, unsigned s, pid_t a)
{
    pid_t pid = fork();
    if (pid == 0) {
        close(hold[1]);
        if (syscall(SYS_setresuid, r, e, s))
            say("sender setresuid: %s\n", strerror(errno));
        say("%s (%u,%u,%u):\n", label, r, e, s);
        TRY("  kill 0", syscall(SYS_kill, a, 0));
        TRY("  kill SIGCONT", syscall(SYS_kill, a, SIGCONT));
        TRY("  tkill 0", syscall(SYS_tkill, a, 0));
        TRY("  tgkill 0", syscall(SYS_tgkill, a, a, 0));
        TRY("  sigqueue 0", sigqueue(a, 0, (union sigval){ 0 }));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
}

int main(void)
{
    if (geteuid() != 0) {
        TRY("kill(self, 0)", syscall(SYS_kill, getpid(), 0));
        TRY("kill(no such pid)", syscall(SYS_kill, 1 << 22, 0));
        return 0;
    }
    char two[2];
    if (pipe(hold) || pipe(ready))
        return 1;
    pid_t a = target(1000, 1000, 1000), c = target(4000, 1000, 5000);
    close(hold[0]);
    if (read(ready[0], two, 1) != 1 || read(ready[0], two + 1, 1) != 1)   /* both have their ids */
        return 1;
    say("A is (1000,1000,1000)\n");
    sender("as 2000", 2000, 2000, 2000, a);
    sender("as 1000", 1000, 1000, 1000, a);
    sender("real 2000 effective 1000", 2000, 1000, 2000, a);
    sender("real 1000 effective 2000", 1000, 2000, 2000, a);
    sender("saved 1000 only", 2000, 2000, 1000, a);
    say("C is (4000,1000,5000)\n");
    sender("effective 1000 = C's effective only", 2000, 1000, 2000, c);
    sender("effective 5000 = C's saved", 2000, 5000, 2000, c);
    sender("real 4000 = C's real", 4000, 2000, 2000, c);
    sender("root", 0, 0, 0, c);
    TRY("root kills A", syscall(SYS_kill, a, SIGTERM));
    close(hold[1]);
    int st;
    waitpid(a, &st, 0);
    say("A: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    waitpid(c, &st, 0);
    say("C: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}
