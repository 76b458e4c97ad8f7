/*
 * Credentials through Linux's transitions, printed after each step so that the same binary's
 * transcript on the host's Linux and in ringlab can be compared (tests/test_creds.py): the
 * real/effective/saved/fs uid and gid, the supplementary groups, the capability sets (capget,
 * version 3) and the auxiliary vector's ids. Started as root it walks the setresuid dance
 * (keeping saved uid 0, setfsuid, back to euid 0, then all ids 1000: no way back), re-executes
 * itself with real uid 1000 and effective uid 0 (AT_SECURE) and through a set-user-ID copy;
 * started as a user it tries what a user may not do. Every call is the raw system call.
 *
 *   creds            run the walk for whoever starts it
 *   creds show       print the credentials and exit (after an execve)
 *
 * The capability line prints the 64-bit sets in hex; the test masks them with the host's
 * bounding set (a container may lack some capabilities Linux's root otherwise has).
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "sigtest.h"

/* linux/capability.h (musl-gcc has no kernel headers) */
#define _LINUX_CAPABILITY_VERSION_3 0x20080522
struct __user_cap_header_struct { unsigned version; int pid; };
struct __user_cap_data_struct { unsigned effective, permitted, inheritable; };

#define NONE ((long)(unsigned)-1)            /* (uid_t)-1: "unchanged" */

static void show(const char *when)
{
    unsigned r, e, s, gr, ge, gs;
    unsigned groups[64];
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2];
    syscall(SYS_getresuid, &r, &e, &s);
    syscall(SYS_getresgid, &gr, &ge, &gs);
    long fsuid = syscall(SYS_setfsuid, NONE), fsgid = syscall(SYS_setfsgid, NONE);
    say("%s: uid %u %u %u fs %ld  gid %u %u %u fs %ld  get %ld %ld %ld %ld\n", when, r, e, s, fsuid,
        gr, ge, gs, fsgid, syscall(SYS_getuid), syscall(SYS_geteuid), syscall(SYS_getgid),
        syscall(SYS_getegid));
    long n = syscall(SYS_getgroups, 64, groups);
    char buf[128] = "";
    for (long i = 0; i < n && i < 8; i++)
        snprintf(buf + strlen(buf), sizeof buf - strlen(buf), " %u", groups[i]);
    say("%s: groups %ld:%s\n", when, n, buf);
    if (syscall(SYS_capget, &h, d))
        say("%s: capget: %s\n", when, strerror(errno));
    else
        say("%s: caps e=%llx p=%llx i=%llx\n", when,
            (unsigned long long)d[0].effective | (unsigned long long)d[1].effective << 32,
            (unsigned long long)d[0].permitted | (unsigned long long)d[1].permitted << 32,
            (unsigned long long)d[0].inheritable | (unsigned long long)d[1].inheritable << 32);
}

static void auxv(const char *when)
{
    say("%s: auxv uid %lu euid %lu gid %lu egid %lu secure %lu\n", when, getauxval(AT_UID),
        getauxval(AT_EUID), getauxval(AT_GID), getauxval(AT_EGID), getauxval(AT_SECURE));
}

/* Run `creds show` in a child after `setup` (a step number below); wait for it. */
static void exec_child(const char *label, int setup)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (setup == 1)
            TRY("  setresuid(1000,0,0)", syscall(SYS_setresuid, 1000, 0, 0));
        if (setup == 2)
            TRY("  setresuid(1000,1000,1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
        char *argv[] = { "creds", "show", NULL }, *envp[] = { NULL };
        syscall(SYS_execve, label, argv, envp);
        say("  execve %s: %s\n", label, strerror(errno));
        _exit(1);
    }
    int st;
    waitpid(pid, &st, 0);
    say("  child status %d\n", WEXITSTATUS(st));
}

/* A second thread: each byte read from `go` makes it print its own ids into the transcript. */
static int go[2], done[2];

static void *thread_ids(void *arg)
{
    (void)arg;
    char c;
    while (read(go[0], &c, 1) == 1) {
        unsigned r, e, s;
        syscall(SYS_getresuid, &r, &e, &s);
        say("  thread: uid %u %u %u\n", r, e, s);
        if (write(done[1], "d", 1) != 1)
            break;
    }
    return NULL;
}

static void ask_thread(void)
{
    char c;
    if (write(go[1], "g", 1) != 1 || read(done[0], &c, 1) != 1)
        say("  thread: gone\n");
}

/*
 * Credentials are per thread (Linux task_struct.cred): libc's setresuid makes every thread
 * change (musl and glibc signal each one to make the call itself), a raw system call only the
 * calling thread.
 */
static void threads(void)
{
    pthread_t t;
    if (pipe(go) || pipe(done) || pthread_create(&t, NULL, thread_ids, NULL)) {
        say("threads: %s\n", strerror(errno));
        return;
    }
    ask_thread();
    TRY("libc setresuid(1000,1000,0)", setresuid(1000, 1000, 0));
    ask_thread();
    TRY("raw setresuid(-1,0,-1) in main", syscall(SYS_setresuid, NONE, 0, NONE));
    unsigned r, e, s;
    syscall(SYS_getresuid, &r, &e, &s);
    say("  main: uid %u %u %u\n", r, e, s);
    ask_thread();
    close(go[1]);
    pthread_join(t, NULL);
}

static void hostile(void)
{
    unsigned g[2] = { 20, 10 };
    TRY("setgroups(100000)", syscall(SYS_setgroups, 100000, g));
    TRY("setgroups(65537)", syscall(SYS_setgroups, 65537, g));
    TRY("setgroups(-1)", syscall(SYS_setgroups, -1, g));
    TRY("setgroups(1, (void*)8)", syscall(SYS_setgroups, 1, (void *)8));
    TRY("setgroups(1, kernel)", syscall(SYS_setgroups, 1, (void *)0xffffffff81000000UL));
    TRY("getgroups(-1)", syscall(SYS_getgroups, -1, g));
    TRY("getresuid(bad)", syscall(SYS_getresuid, (void *)8, (void *)8, (void *)8));
    TRY("setresuid(-1,-1,-1)", syscall(SYS_setresuid, NONE, NONE, NONE));
    TRY("setuid(-1)", syscall(SYS_setuid, NONE));
    TRY("capget(bad version)", syscall(SYS_capget, &(struct __user_cap_header_struct){ 1, 0 }, NULL));
    struct __user_cap_header_struct h = { 0x12345678, 0 };
    struct __user_cap_data_struct d[2];
    TRY("capget(unknown version, data)", syscall(SYS_capget, &h, d));
    say("  header version now %x\n", h.version);
    h = (struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, -5 };
    TRY("capget(pid -5)", syscall(SYS_capget, &h, d));
    h.pid = 1 << 22;
    TRY("capget(no such pid)", syscall(SYS_capget, &h, d));
    h.pid = 0;
    TRY("capget(NULL header)", syscall(SYS_capget, NULL, d));
    TRY("capget(kernel data)", syscall(SYS_capget, &h, (void *)0xffffffff81000000UL));
    TRY("capset(NULL data)", syscall(SYS_capset, &h, NULL));
    TRY("capset(other pid)", syscall(SYS_capset, &(struct __user_cap_header_struct){ _LINUX_CAPABILITY_VERSION_3, 1 << 22 }, d));
    TRY("getgroups(64, (void*)8)", syscall(SYS_getgroups, 64, (void *)8));
    TRY("setfsuid(-1)", syscall(SYS_setfsuid, NONE) == (long)geteuid());
    TRY("fchownat(bad flags)", syscall(SYS_fchownat, AT_FDCWD, "creds", -1, -1, 0x4));
    TRY("chmod(kernel path)", syscall(SYS_chmod, (void *)0xffffffff81000000UL, 0755));
    TRY("chown(page 0 path)", syscall(SYS_chown, (void *)0, -1, -1));
    TRY("fchown(bad fd)", syscall(SYS_fchown, 99, -1, -1));
    TRY("fchmod(stdin: the console)", syscall(SYS_fchmod, 0, 0620) < 0 ? -errno : 0);
}

static void as_user(void)
{
    unsigned g[1] = { 0 };
    TRY("setuid(0)", syscall(SYS_setuid, 0));
    TRY("setresuid(-1,0,-1)", syscall(SYS_setresuid, NONE, 0, NONE));
    TRY("setreuid(2000,-1)", syscall(SYS_setreuid, 2000, NONE));
    TRY("setgid(0)", syscall(SYS_setgid, 0));
    TRY("setresgid(5,5,5)", syscall(SYS_setresgid, 5, 5, 5));
    TRY("setgroups(1,{0})", syscall(SYS_setgroups, 1, g));
    TRY("setgroups(0,NULL)", syscall(SYS_setgroups, 0, NULL));
    TRY("setfsuid(0)", syscall(SYS_setfsuid, 0));
    TRY("setfsgid(0)", syscall(SYS_setfsgid, 0));
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = { { 1u << 17, 1u << 17, 0 }, { 0, 0, 0 } };
    TRY("capset(CAP_SYS_RAWIO)", syscall(SYS_capset, &h, d));
    TRY("setreuid(-1,uid)", syscall(SYS_setreuid, NONE, getuid()));
    TRY("setresuid(uid,uid,uid)", syscall(SYS_setresuid, getuid(), getuid(), getuid()));
    show("user");
}

static void as_root(void)
{
    unsigned g[3] = { 20, 10, 30 };
    TRY("setgroups(3,{20,10,30})", syscall(SYS_setgroups, 3, g));
    show("groups");
    TRY("setgroups(0,NULL)", syscall(SYS_setgroups, 0, NULL));
    struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
    struct __user_cap_data_struct d[2] = { { 1u << 17, 1u << 17 | 1u << 7, 1u << 7 }, { 0, 0, 0 } };
    TRY("capset(e=RAWIO p=RAWIO|SETUID i=SETUID)", syscall(SYS_capset, &h, d));
    show("capset");
    d[0].effective = 1u << 7;
    d[0].permitted = 1u << 7 | 1u << 6;
    TRY("capset(raise SETGID)", syscall(SYS_capset, &h, d));
    /* back to every capability: a fresh uid 0 -> 0 setuid does not restore them; exec does */
    exec_child("creds", 0);
    pid_t pid = fork();
    if (pid == 0) {
        TRY("setresuid(0,0,0)", syscall(SYS_setresuid, 0, 0, 0));
        show("after capset, setresuid(0,0,0)");
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    _exit(0);
}

static void dance(void)
{
    TRY("setresuid(1000,1000,0)", syscall(SYS_setresuid, 1000, 1000, 0));
    show("saved 0");
    TRY("setfsuid(0)", syscall(SYS_setfsuid, 0));
    show("fsuid 0");
    TRY("setfsuid(1000)", syscall(SYS_setfsuid, 1000));
    show("fsuid 1000");
    TRY("setresuid(-1,0,-1)", syscall(SYS_setresuid, NONE, 0, NONE));
    show("euid 0 again");
    TRY("setreuid(-1,1000)", syscall(SYS_setreuid, NONE, 1000));
    show("setreuid(-1,1000)");
    TRY("setuid(0)", syscall(SYS_setuid, 0));
    show("setuid(0) with saved 0");
    TRY("setresuid(1000,1000,1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
    TRY("setgid(1000)", syscall(SYS_setgid, 1000));
    TRY("setregid(1000,2000)", syscall(SYS_setregid, 1000, 2000));
    TRY("setresuid(1000,1000,1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
    show("all 1000");
    as_user();
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "show")) {
        auxv("exec");
        show("exec");
        return 0;
    }
    auxv("start");
    show("start");
    hostile();
    if (geteuid() != 0) {
        as_user();
        return 0;
    }
    say("-- exec with real uid 1000, effective 0\n");
    exec_child("creds", 1);
    say("-- exec of a set-user-ID root copy by uid 1000\n");
    TRY("chmod(creds, 04755)", chmod("creds", 04755));
    exec_child("creds", 2);
    TRY("chmod(creds, 0755)", chmod("creds", 0755));
    say("-- exec of a set-group-ID copy (group 50) by uid 1000\n");
    TRY("chown(creds, -1, 50)", chown("creds", -1, 50));
    TRY("chmod(creds, 02755)", chmod("creds", 02755));
    exec_child("creds", 2);
    TRY("chown(creds, -1, 0)", chown("creds", -1, 0));
    TRY("chmod(creds, 0755)", chmod("creds", 0755));
    say("-- threads\n");
    pid_t tp = fork();
    if (tp == 0) {
        threads();
        _exit(0);
    }
    waitpid(tp, NULL, 0);
    say("-- capset, then exec\n");
    pid_t pid = fork();
    if (pid == 0)
        as_root();
    waitpid(pid, NULL, 0);
    say("-- the dance\n");
    dance();
    return 0;
}
