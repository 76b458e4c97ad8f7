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
static volatile pid_t watched;               /* the child whose SIGCHLD si_uid is kept */
static volatile int usr1_uid = -1, usr1_from_self, chld_uid = -1;

/* si_uid: the sender's real uid; for SIGCHLD the child's (Linux). */
static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    if (sig == SIGUSR1) {
        usr1_uid = (int)si->si_uid;
        usr1_from_self = si->si_pid == getpid();
    } else if (si->si_pid == watched) {
        chld_uid = (int)si->si_uid;
    }
}

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
        /* another's limits: all its ids equal to our real ones, or CAP_SYS_RESOURCE - which
           this host's root lacks (a container), so root does not ask */
        unsigned long lim[2];
        if (r != 0)
            TRY("  prlimit64(NOFILE) read", syscall(SYS_prlimit64, a, 7, NULL, lim));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
}

int main(void)
{
    struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO | SA_RESTART };
    set_action(SIGUSR1, &sa);
    set_action(SIGCHLD, &sa);
    TRY("kill(self, SIGUSR1)", syscall(SYS_kill, getpid(), SIGUSR1));
    say("  si_uid %d, from self %d\n", usr1_uid, usr1_from_self);
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
    say("a child with real uid 1000, effective 0 signals its parent:\n");
    pid_t pid = fork();
    if (pid == 0) {
        TRY("  setresuid(1000,0,0)", syscall(SYS_setresuid, 1000, 0, 0));
        TRY("  kill(parent, SIGUSR1)", syscall(SYS_kill, getppid(), SIGUSR1));
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    say("  si_uid %d\n", usr1_uid);
    watched = a;
    TRY("root kills A", syscall(SYS_kill, a, SIGTERM));
    waitpid(a, &st, 0);
    say("A: %s %d, SIGCHLD si_uid %d\n", WIFSIGNALED(st) ? "signal" : "exit",
        WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), chld_uid);
    close(hold[1]);
    waitpid(c, &st, 0);
    say("C: %s %d\n", WIFSIGNALED(st) ? "signal" : "exit", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
    return 0;
}
