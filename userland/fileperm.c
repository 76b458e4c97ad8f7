/*
 * File owners and modes as Linux enforces them, for the same binary on the host and in ringlab
 * (tests/test_creds.py): files and directories made with modes, then open/exec/unlink/rename/
 * chmod/chown/access/truncate/link/utimensat/chdir tried by their owner, by another user and by
 * root, and the sticky-bit rule of tmp/ (mode 1777, root's). Paths are relative: the current
 * directory is "/" in ringlab and a root-owned 0755 directory holding tmp/ on the host. Run
 * as root it plays every part (children drop to uid 1000 or 2000); run as a user, that user's.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include "sigtest.h"

static void st(const char *path)
{
    struct stat s;
    if (stat(path, &s))
        say("  stat %s: %s\n", path, strerror(errno));
    else
        say("  stat %s: mode %o uid %u gid %u\n", path, s.st_mode, s.st_uid, s.st_gid);
}

/* chdir into a directory two levels down (tmp/NAME) and, if that worked, back. */
static long chdir_and_back(const char *dir)
{
    long r = chdir(dir);
    if (r == 0 && chdir("../.."))
        say("  chdir back: %s\n", strerror(errno));
    return r;
}

static long opn(const char *path, int flags, int mode)
{
    long fd = syscall(SYS_open, path, flags, mode);
    if (fd >= 0)
        close((int)fd);
    return fd < 0 ? fd : 0;
}

static void become(unsigned uid)
{
    if (syscall(SYS_setresgid, uid, uid, uid) || syscall(SYS_setgroups, 0, NULL) ||
        syscall(SYS_setresuid, uid, uid, uid))
        say("become %u: %s\n", uid, strerror(errno));
}

/* What any one user tries on its own files (the names carry its uid). */
static void own_files(void)
{
    char f[64], g[64], d[64], x[80], y[80];
    unsigned me = (unsigned)geteuid();
    snprintf(f, sizeof f, "tmp/f%u", me);
    snprintf(g, sizeof g, "tmp/g%u", me);
    snprintf(d, sizeof d, "tmp/d%u", me);
    snprintf(x, sizeof x, "%s/x", d);
    snprintf(y, sizeof y, "%s/y", d);
    umask(022);
    say("- own files, euid %u\n", me);
    int pfd[2];
    struct stat ps;
    if (pipe(pfd) || fstat(pfd[0], &ps))
        say("  pipe: %s\n", strerror(errno));
    else
        say("  pipe: mode %o uid %u gid %u\n", ps.st_mode, ps.st_uid, ps.st_gid);
    close(pfd[0]);
    close(pfd[1]);
    TRY("  create 0644", opn(f, O_CREAT | O_EXCL | O_WRONLY, 0644));
    st(f);
    TRY("  create 0444 O_RDWR (new file: no check)", opn(g, O_CREAT | O_EXCL | O_RDWR, 0444));
    TRY("  reopen 0444 O_RDWR", opn(g, O_RDWR, 0));
    TRY("  reopen 0444 O_RDONLY|O_TRUNC", opn(g, O_RDONLY | O_TRUNC, 0));
    TRY("  truncate 0444", truncate(g, 0));
    TRY("  access(W_OK) 0444", syscall(SYS_access, g, W_OK));
    TRY("  chmod 0000", chmod(f, 0));
    TRY("  open 0000 O_RDONLY", opn(f, O_RDONLY, 0));
    TRY("  access(R_OK) 0000", syscall(SYS_access, f, R_OK));
    TRY("  access(F_OK) 0000", syscall(SYS_access, f, F_OK));
    TRY("  chmod 0644", chmod(f, 0644));
    TRY("  access(X_OK) 0644", syscall(SYS_access, f, X_OK));
    TRY("  execve 0644 file", syscall(SYS_execve, f, (char *[]){ "x", NULL }, (char *[]){ NULL }));
    TRY("  mkdir 0755", mkdir(d, 0755));
    TRY("  create in it", opn(x, O_CREAT | O_WRONLY, 0644));
    TRY("  chmod dir 0500", chmod(d, 0500));
    TRY("  create in r-x dir", opn(y, O_CREAT | O_WRONLY, 0644));
    TRY("  unlink in r-x dir", unlink(x));
    TRY("  open in r-x dir", opn(x, O_RDONLY, 0));
    TRY("  chmod dir 0600", chmod(d, 0600));
    TRY("  open in rw- dir", opn(x, O_RDONLY, 0));
    TRY("  stat in rw- dir", syscall(SYS_stat, x, &(struct stat){ 0 }));
    TRY("  chdir rw- dir", chdir_and_back(d));
    TRY("  chmod dir 0700", chmod(d, 0700));
    TRY("  rename in own dir", rename(x, y));
    TRY("  chmod 02755 own file", chmod(f, 02755));
    st(f);
    TRY("  chmod 06775 own file", chmod(g, 06775));
    st(g);
    long wfd = syscall(SYS_open, g, O_WRONLY | O_APPEND);
    TRY("  write 1 byte to it", write((int)wfd, "x", 1));
    close((int)wfd);
    st(g);
    TRY("  chmod 06755", chmod(g, 06755));
    TRY("  truncate it", truncate(g, 0));
    st(g);
    TRY("  chmod 0077 (owner's class decides)", chmod(g, 0077));
    TRY("  open 0077 own file O_RDONLY", opn(g, O_RDONLY, 0));
    TRY("  chown own file to self (-1 group)", chown(f, me, -1));
    TRY("  chown own file to 2000", chown(f, 2000, -1));
    TRY("  chgrp own file to own gid", chown(f, -1, getegid()));
    TRY("  chgrp own file to 0", chown(f, -1, 0));
    st(f);
}

/* Another user's files: root's in tmp/ (made by the root part), 1000's when run as 2000. */
static void others(const char *label, const char *file, const char *priv, const char *dir)
{
    char in[80];
    snprintf(in, sizeof in, "%s/x", dir);
    say("- %s, euid %u\n", label, (unsigned)geteuid());
    st(file);
    TRY("  open 0666 O_RDWR", opn(file, O_RDWR, 0));
    TRY("  unlink in sticky tmp", unlink(file));
    TRY("  rename in sticky tmp", rename(file, "tmp/moved"));
    TRY("  chmod not mine", chmod(file, 0777));
    TRY("  chown not mine (-1,-1)", chown(file, -1, -1));
    TRY("  chown not mine to me", chown(file, geteuid(), -1));
    TRY("  utimensat explicit", utimensat(AT_FDCWD, file, (struct timespec[2]){ { 1, 0 }, { 1, 0 } }, 0));
    TRY("  utimensat now (writable)", utimensat(AT_FDCWD, file, NULL, 0));
    TRY("  open 0600 O_RDONLY", opn(priv, O_RDONLY, 0));
    TRY("  access(R_OK) 0600", syscall(SYS_access, priv, R_OK));
    TRY("  link 0600 (protected_hardlinks)", link(priv, "tmp/hardlink"));
    TRY("  truncate 0600", truncate(priv, 0));
    TRY("  utimensat now 0600", utimensat(AT_FDCWD, priv, NULL, 0));
    TRY("  open in 0700 dir", opn(in, O_RDONLY, 0));
    TRY("  create in 0700 dir", opn(in, O_CREAT | O_WRONLY, 0644));
    TRY("  chdir 0700 dir", chdir_and_back(dir));
    TRY("  mkdir in / (root 0755)", mkdir("newdir", 0755));
    TRY("  create in / (root 0755)", opn("newfile", O_CREAT | O_WRONLY, 0644));
    TRY("  unlink a program in /", unlink("fileperm"));
    TRY("  chmod a program in /", chmod("fileperm", 0644));
    TRY("  execve a 0644 program", syscall(SYS_execve, "tmp/exec0644", (char *[]){ "x", NULL }, (char *[]){ NULL }));
}

static void in_child(void (*fn)(void), unsigned uid)
{
    pid_t pid = fork();
    if (pid == 0) {
        become(uid);
        fn();
        _exit(0);
    }
    int s;
    waitpid(pid, &s, 0);
}

static void user_vs_root(void) { others("root's files", "tmp/root0666", "tmp/root0600", "tmp/rootdir"); }
static void user2_vs_user(void) { others("1000's files", "tmp/u0666", "tmp/u0600", "tmp/udir"); }

static void user_makes(void)
{
    umask(0);
    TRY("  1000 creates 0666", opn("tmp/u0666", O_CREAT | O_WRONLY, 0666));
    TRY("  1000 creates 0600", opn("tmp/u0600", O_CREAT | O_WRONLY, 0600));
    TRY("  1000 mkdir 0700", mkdir("tmp/udir", 0700));
    TRY("  1000 creates in it", opn("tmp/udir/x", O_CREAT | O_WRONLY, 0600));
}

/* Supplementary group 50 reaches a root:50 0640 file; the gid alone would not. */
static void group_member(void)
{
    unsigned g = 50;
    TRY("  setgroups(1,{50})", syscall(SYS_setgroups, 1, &g));
    TRY("  setresgid(1000,...)", syscall(SYS_setresgid, 1000, 1000, 1000));
    TRY("  setresuid(1000,...)", syscall(SYS_setresuid, 1000, 1000, 1000));
    TRY("  open root:50 0640 O_RDONLY", opn("tmp/g50", O_RDONLY, 0));
    TRY("  open root:50 0640 O_WRONLY", opn("tmp/g50", O_WRONLY, 0));
    TRY("  chgrp own new file to 50 (a group of mine)", (opn("tmp/mine50", O_CREAT | O_WRONLY, 0600),
                                                         chown("tmp/mine50", -1, 50)));
    st("tmp/mine50");
}

/* fsuid 1000 with euid 0: files are made as 1000 and checked as 1000, without the DAC caps. */
static void fsuid_only(void)
{
    TRY("  setfsuid(1000)", syscall(SYS_setfsuid, 1000));
    TRY("  create", opn("tmp/byfsuid", O_CREAT | O_WRONLY, 0600));
    st("tmp/byfsuid");
    TRY("  open root 0600 as fsuid 1000", opn("tmp/root0600", O_RDONLY, 0));
    TRY("  setfsuid(0)", syscall(SYS_setfsuid, 0));
    TRY("  open root 0600 as fsuid 0", opn("tmp/root0600", O_RDONLY, 0));
}

/* Real uid 1000, effective 0: access() answers for 1000, AT_EACCESS for 0. */
static void access_real(void)
{
    TRY("  setresuid(1000,0,0)", syscall(SYS_setresuid, 1000, 0, 0));
    TRY("  access(R_OK) 0600 root", syscall(SYS_access, "tmp/root0600", R_OK));
    TRY("  faccessat2(R_OK, AT_EACCESS)", syscall(SYS_faccessat2, AT_FDCWD, "tmp/root0600", R_OK, AT_EACCESS));
    TRY("  faccessat2(R_OK, 0)", syscall(SYS_faccessat2, AT_FDCWD, "tmp/root0600", R_OK, 0));
    TRY("  access(F_OK) in 0700 dir", syscall(SYS_access, "tmp/rootdir/x", F_OK));
    TRY("  open 0600 root (effective 0)", opn("tmp/root0600", O_RDONLY, 0));
}

static void root_part(void)
{
    umask(0);
    say("- root makes files\n");
    TRY("  create 0666", opn("tmp/root0666", O_CREAT | O_WRONLY, 0666));
    TRY("  create 0600", opn("tmp/root0600", O_CREAT | O_WRONLY, 0600));
    TRY("  mkdir 0700", mkdir("tmp/rootdir", 0700));
    TRY("  create in it", opn("tmp/rootdir/x", O_CREAT | O_WRONLY, 0600));
    /* a program file made 0644: root may not execute it (no x bit at all) */
    TRY("  link fileperm tmp/exec0644", link("fileperm", "tmp/exec0644"));
    TRY("  chmod 0644", chmod("tmp/exec0644", 0644));
    TRY("  execve 0644 as root", syscall(SYS_execve, "tmp/exec0644", (char *[]){ "x", NULL }, (char *[]){ NULL }));
    TRY("  open 0000 as root", (chmod("tmp/root0600", 0), opn("tmp/root0600", O_RDWR, 0)));
    TRY("  chmod 0600", chmod("tmp/root0600", 0600));
    say("- uid 1000 and uid 2000\n");
    in_child(user_vs_root, 1000);
    in_child(user_makes, 1000);
    in_child(user2_vs_user, 2000);
    say("- supplementary group 50\n");
    TRY("  root makes tmp/g50 root:50 0640", (opn("tmp/g50", O_CREAT | O_WRONLY, 0640), chown("tmp/g50", -1, 50)));
    in_child(group_member, 0);
    say("- setfsuid\n");
    in_child(fsuid_only, 0);
    say("- access with real uid 1000\n");
    in_child(access_real, 0);
    say("- root on the users' files\n");
    st("tmp/u0600");
    TRY("  open 1000's 0600", opn("tmp/u0600", O_RDWR, 0));
    TRY("  create in 1000's 0700 dir", opn("tmp/udir/r", O_CREAT | O_WRONLY, 0600));
    TRY("  chown 1000's file to 2000:2000", chown("tmp/u0666", 2000, 2000));
    st("tmp/u0666");
    TRY("  chmod 02775 it", chmod("tmp/u0666", 02775));
    TRY("  chown -1,-1 (g+x: setgid goes)", chown("tmp/u0666", -1, -1));
    st("tmp/u0666");
    TRY("  chmod 04755 it", chmod("tmp/u0666", 04755));
    TRY("  chown to 2000 again (setuid goes)", chown("tmp/u0666", 2000, -1));
    st("tmp/u0666");
    TRY("  unlink 1000's file in sticky tmp", unlink("tmp/u0600"));
    say("- uid 2000 now owns tmp/u0666\n");
    in_child(user2_vs_user, 2000);
    TRY("  mkdir setgid dir 2775 group 1000", (mkdir("tmp/sgid", 0775), chown("tmp/sgid", 0, 1000)));
    TRY("  chmod 02775", chmod("tmp/sgid", 02775));
    TRY("  create in it", opn("tmp/sgid/f", O_CREAT | O_WRONLY, 0644));
    TRY("  mkdir in it", mkdir("tmp/sgid/d", 0755));
    st("tmp/sgid/f");
    st("tmp/sgid/d");
}

int main(void)
{
    if (geteuid() == 0) {
        root_part();
        in_child(own_files, 1000);
    }
    own_files();
    return 0;
}
