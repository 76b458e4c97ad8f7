/* Process groups, sessions and job control on a terminal, printed as facts that do not depend
 * on pid numbers, so that the host's Linux and ringlab print the same lines. (Children report
 * by exit status, so that no two processes print at once.)
 *
 * The program starts as a session leader with its terminal (ringlab: pid 1 on the console;
 * the host: a pexpect child on a pty). A child "A" makes a session of its own and takes the
 * terminal (TIOCSCTTY, stealing it as root may), so every job below has a parent that is not
 * pid 1 on both systems (a group whose parent is pid 1 counts as orphaned, POSIX). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static const char *err(long r)
{
    static char buf[32];
    if (r >= 0)
        return "ok";
    switch (errno) {
    case EPERM: return "EPERM";
    case ESRCH: return "ESRCH";
    case EINVAL: return "EINVAL";
    case EACCES: return "EACCES";
    case ENOTTY: return "ENOTTY";
    case ENXIO: return "ENXIO";
    case EIO: return "EIO";
    case ECHILD: return "ECHILD";
    default: snprintf(buf, sizeof buf, "errno%d", errno); return buf;
    }
}

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    (void)!write(1, buf, n);
}

static const char *how(int st)
{
    static char buf[48];
    if (WIFEXITED(st))
        snprintf(buf, sizeof buf, "exit %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, sizeof buf, "killed by %s", strsignal(WTERMSIG(st)));
    else if (WIFSTOPPED(st))
        snprintf(buf, sizeof buf, "stopped by %s", strsignal(WSTOPSIG(st)));
    else
        snprintf(buf, sizeof buf, "0x%x", st);
    return buf;
}

static volatile sig_atomic_t got;
static void on_signal(int sig) { got = sig; }

/* A child in a group of its own (background), running f; returns its pid. */
static pid_t background(void (*f)(void))
{
    pid_t c = fork();
    if (c == 0) {
        setpgid(0, 0);
        f();
        _exit(0);
    }
    setpgid(c, c);                      /* both sides, as shells do: no race */
    return c;
}

static void try_tcsetpgrp(void)
{
    long r = tcsetpgrp(0, getpgrp());
    say("  background tcsetpgrp: %s\n", err(r));
}

static void try_tcsetpgrp_ignoring_ttou(void)
{
    signal(SIGTTOU, SIG_IGN);
    long r = tcsetpgrp(0, getpgrp());
    say("  background tcsetpgrp with SIGTTOU ignored: %s, foreground is me: %s\n", err(r),
        tcgetpgrp(0) == getpgrp() ? "yes" : "no");
    r = tcsetpgrp(0, getppid());        /* back to the session leader's group (its pid) */
    say("  and back to the leader's group: %s\n", err(r));
}

static void try_read(void)
{
    char c;
    long r = read(0, &c, 1);
    say("  background read: %s\n", err(r));
}

static void try_read_ignoring_ttin(void)
{
    signal(SIGTTIN, SIG_IGN);
    char c;
    long r = read(0, &c, 1);
    say("  background read with SIGTTIN ignored: %s\n", err(r));
}

static void try_write(void)
{
    say("  background write with TOSTOP\n");
}

/* Run f in the background and tell how it ended or stopped; a stopped job is killed. */
static void job(const char *what, void (*f)(void))
{
    say("%s\n", what);
    pid_t c = background(f);
    int st;
    waitpid(c, &st, WUNTRACED);
    say("  job: %s\n", how(st));
    if (WIFSTOPPED(st)) {
        kill(c, SIGKILL);
        waitpid(c, &st, 0);
        say("  after SIGKILL: %s\n", how(st));
    }
}

static void groups_and_signals(void)
{
    pid_t me = getpid();
    say("session leader: sid is me: %s, group is me: %s\n", getsid(0) == me ? "yes" : "no",
        getpgrp() == me ? "yes" : "no");
    say("setsid again: %s\n", err(setsid()));
    say("setpgid(0, 0) as session leader: %s\n", err(setpgid(0, 0)));
    say("setpgid(0, -1): %s\n", err(setpgid(0, -1)));
    say("getpgid(nonexistent): %s\n", err(getpgid(999999)));
    say("getsid(nonexistent): %s\n", err(getsid(999999)));
    say("kill(-nonexistent, 0): %s\n", err(kill(-999999, 0)));

    /* a child in our group, one in its own group; kill(0) and kill(-pgid) reach whom they should */
    int up[2];
    if (pipe(up))
        exit(2);
    signal(SIGUSR1, SIG_IGN);           /* kill(0) reaches us too */
    pid_t same = fork();
    if (same == 0) {
        signal(SIGUSR1, on_signal);
        signal(SIGUSR2, on_signal);
        close(up[0]);
        (void)!write(up[1], "s", 1);
        while (!got)
            pause();
        _exit(got == SIGUSR1 ? 1 : 2);  /* which signal came: its exit status */
    }
    pid_t other = fork();
    if (other == 0) {
        setpgid(0, 0);
        signal(SIGUSR1, on_signal);
        signal(SIGUSR2, on_signal);
        close(up[0]);
        (void)!write(up[1], "o", 1);
        while (!got)
            pause();
        _exit(got == SIGUSR1 ? 1 : 2);
    }
    setpgid(other, other);
    close(up[1]);
    char b;
    for (int i = 0; i < 2; i++)
        (void)!read(up[0], &b, 1);      /* both have their handlers */
    say("child's group: ours: %s, own: %s\n", getpgid(same) == getpgrp() ? "yes" : "no",
        getpgid(other) == other ? "yes" : "no");
    say("setpgid(other child, nonexistent group): %s\n", err(setpgid(other, 999999)));
    say("waitpid(-other group, WNOHANG) while it runs: %ld\n", (long)waitpid(-other, NULL, WNOHANG));
    say("kill(0, SIGUSR1): %s\n", err(kill(0, SIGUSR1)));
    int st;
    pid_t w = waitpid(0, &st, 0);       /* only the child in our group can be reported */
    say("waitpid(0): the child in our group: %s, %s\n", w == same ? "yes" : "no", how(st));
    say("waitpid(0) again: %s\n", err(waitpid(0, &st, WNOHANG)));
    say("kill(-other group, SIGUSR2): %s\n", err(kill(-other, SIGUSR2)));
    w = waitpid(-other, &st, 0);
    say("waitpid(-other group): %s, %s\n", w == other ? "yes" : "no", how(st));
    signal(SIGUSR1, SIG_DFL);

    /* setpgid of a child that has exec'd: EACCES */
    int ex[2];
    if (pipe2(ex, O_CLOEXEC))
        exit(2);
    pid_t c = fork();
    if (c == 0) {
        close(ex[0]);
        execl("/proc/self/exe", "jobctl", "sleeper", (char *)NULL);
        execl("./jobctl", "jobctl", "sleeper", (char *)NULL);
        execl("/jobctl", "jobctl", "sleeper", (char *)NULL);
        _exit(3);
    }
    close(ex[1]);
    while (read(ex[0], &b, 1) > 0)      /* EOF: the child exec'd (close-on-exec) */
        ;
    close(ex[0]);
    say("setpgid(child that exec'd): %s\n", err(setpgid(c, c)));
    kill(c, SIGKILL);
    waitpid(c, &st, 0);
    say("setpgid(not my child): %s\n", err(setpgid(getppid(), 0)));
}

/* G in its own group forks H in G's group; H stops; G ends: the group is orphaned with a
   stopped member, so H gets SIGHUP and SIGCONT (POSIX). There, SIGTSTP does not stop H. */
static void g_body(void);

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "sleeper")) {
        for (;;)
            pause();
    }
    pid_t a = fork();
    if (a == 0) {
        say("setsid: %s\n", err(setsid()));
        say("a new session has no terminal: tcgetpgrp %s, /dev/tty %s\n", err(tcgetpgrp(0)),
            err(open("/dev/tty", O_RDWR)));
        say("TIOCSCTTY without force: %s\n", err(ioctl(0, TIOCSCTTY, 0)));
        say("TIOCSCTTY, forced as root: %s\n", err(ioctl(0, TIOCSCTTY, 1)));
        say("now the terminal's: foreground is me: %s, tcgetsid is me: %s, /dev/tty %s\n",
            tcgetpgrp(0) == getpid() ? "yes" : "no", tcgetsid(0) == getpid() ? "yes" : "no",
            err(open("/dev/tty", O_RDWR) >= 0 ? 0 : -1));
        groups_and_signals();
        job("tcsetpgrp from the background", try_tcsetpgrp);
        job("tcsetpgrp from the background, SIGTTOU ignored", try_tcsetpgrp_ignoring_ttou);
        job("read from the background", try_read);
        job("read from the background, SIGTTIN ignored", try_read_ignoring_ttin);
        job("write from the background", try_write);
        struct termios t, saved;
        tcgetattr(0, &saved);
        t = saved;
        t.c_lflag |= TOSTOP;
        tcsetattr(0, TCSANOW, &t);
        job("write from the background with TOSTOP", try_write);
        tcsetattr(0, TCSANOW, &saved);
        int ready[2];
        if (pipe(ready))
            exit(2);
        pid_t s = fork();
        if (s == 0) {
            setsid();
            close(ready[0]);
            close(ready[1]);            /* EOF: the new session exists */
            pause();
            _exit(0);
        }
        close(ready[1]);
        char b;
        (void)!read(ready[0], &b, 1);
        close(ready[0]);
        int st;
        say("tcsetpgrp(another session's group): %s\n", err(tcsetpgrp(0, s) ? -1 : 0));
        say("tcsetpgrp(nonexistent): %s\n", err(tcsetpgrp(0, 999999) ? -1 : 0));
        kill(s, SIGKILL);
        waitpid(s, &st, 0);
        g_body();
        _exit(0);
    }
    int st;
    waitpid(a, &st, 0);
    say("session child: %s\n", how(st));
    return 0;
}

static void h_body(int fd)
{
    signal(SIGHUP, on_signal);
    raise(SIGSTOP);                      /* G waits for this stop, then ends */
    say("  H continued after %s\n", got == SIGHUP ? "SIGHUP" : "no SIGHUP");
    raise(SIGTSTP);                      /* orphaned: discarded, H runs on */
    say("  H: SIGTSTP in an orphaned group did not stop it\n");
    (void)!write(fd, "h", 1);
    _exit(0);
}

static void g_body(void)
{
    say("orphaned group with a stopped member\n");
    int done[2];
    if (pipe(done))
        exit(2);
    pid_t g = fork();
    if (g == 0) {
        setpgid(0, 0);
        pid_t h = fork();
        if (h == 0)
            h_body(done[1]);
        int st;
        waitpid(h, &st, WUNTRACED);
        say("  G: H %s; G ends\n", how(st));
        _exit(0);
    }
    setpgid(g, g);
    close(done[1]);
    int st;
    waitpid(g, &st, 0);
    char b;
    long n = read(done[0], &b, 1);       /* H's word, or EOF if H died */
    say("  H finished: %s\n", n == 1 ? "yes" : "no");
}
