/*
 * A process reads its own /proc and prints facts that must be the same on Linux and in ringlab
 * (tests/test_procfs.py runs it on both and compares): what kinds of regions maps lists and
 * where its own code, data, bss, heap, stack and mappings are; the fields of stat and status;
 * its cmdline, environ and auxv as it knows them; its fd directory and links; its memory
 * through /proc/self/mem; the files of the system; prctl, getcpu, process_vm_readv/writev and
 * the parent-death signal. Numbers that must differ (pids, addresses, inode numbers, sizes)
 * are printed as checks ("ok"), not as values. Lines starting "maps kind: [v" (vdso, vvar,
 * vsyscall) and "rseq:" are the test's to judge.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static char text[1 << 16];
static int data_var = 42;                    /* .data: the executable's rw-p pages */
static char bss_var[1 << 16];                /* .bss past the file: anonymous rw-p */
static const char rodata_var[64] = "read-only";

static const char *err_name(int e)
{
    switch (e) {
    case 0: return "0";
    case EPERM: return "EPERM";
    case ENOENT: return "ENOENT";
    case ESRCH: return "ESRCH";
    case EIO: return "EIO";
    case EACCES: return "EACCES";
    case EFAULT: return "EFAULT";
    case EINVAL: return "EINVAL";
    case ENOSYS: return "ENOSYS";
    case EXDEV: return "EXDEV";
    case EBUSY: return "EBUSY";
    case ENXIO: return "ENXIO";
    default: return "other";
    }
}

/* A call's result as "RET ERRNO-NAME" (errno read after the call: RES sequences them). */
static char resbuf[64];
static const char *res(long r)
{
    snprintf(resbuf, sizeof resbuf, "%ld %s", r, r < 0 ? err_name(errno) : "");
    return resbuf;
}
#define RES(expr) (errno = 0, res((long)(expr)))

/* The whole file, NUL-terminated, in text; its length or -errno. */
static long slurp(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -errno;
    long n = 0, r;
    while ((r = read(fd, text + n, sizeof text - 1 - n)) > 0)
        n += r;
    close(fd);
    if (r < 0)
        return -errno;
    text[n] = 0;
    return n;
}

static const char *base(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

/* ---- maps ------------------------------------------------------------------------------ */

struct mapline { unsigned long lo, hi, off; char rights[5]; char name[256]; };
static struct mapline maps[256];
static int nmaps;

static void load_maps(void)
{
    nmaps = 0;
    if (slurp("/proc/self/maps") < 0)
        return;
    int format_ok = 1;
    for (char *l = text, *nl; *l && nmaps < 256; l = nl + 1) {
        nl = strchr(l, '\n');
        *nl = 0;
        struct mapline *m = &maps[nmaps++];
        unsigned maj, min;
        unsigned long ino;
        int pos = 0;
        m->name[0] = 0;
        if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &m->lo, &m->hi, m->rights, &m->off, &maj, &min, &ino, &pos) < 7)
            format_ok = 0;
        /* Linux show_map_vma: a name starts at column 74, after padding; none: a trailing space */
        if (strlen(l) > 73 && l[72] == ' ' && l[73] != ' ')
            snprintf(m->name, sizeof m->name, "%s", l + 73);
        else if (l[strlen(l) - 1] != ' ')
            format_ok = 0;
        if (m->name[0] == 0 && strlen(l) > 73)
            format_ok = 0;
    }
    printf("maps: format %s\n", format_ok ? "ok" : "BAD");
}

static const char *kind(const struct mapline *m, const char *exe)
{
    if (!m->name[0])
        return "anon";
    if (!strcmp(m->name, exe))
        return "exe";
    return m->name;
}

static const struct mapline *find_map(const void *p)
{
    for (int i = 0; i < nmaps; i++)
        if ((unsigned long)p >= maps[i].lo && (unsigned long)p < maps[i].hi)
            return &maps[i];
    return NULL;
}

static void show_where(const char *what, const void *p, const char *exe)
{
    const struct mapline *m = find_map(p);
    printf("maps %s: %s %s\n", what, m ? m->rights : "-", m ? kind(m, exe) : "none");
}

static void check_maps(const char *exe)
{
    unsigned long brk0 = syscall(SYS_brk, 0);
    syscall(SYS_brk, brk0 + 3 * 4096);       /* a heap, whatever malloc does */
    char *ro = mmap(NULL, 2 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *rw = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rw[0] = 1;
    bss_var[0] = 1;
    int local = 0;
    load_maps();
    char seen[16][32];
    int nseen = 0;
    for (int i = 0; i < nmaps; i++) {
        const char *k = kind(&maps[i], exe);
        int j = 0;
        while (j < nseen && strcmp(seen[j], k))
            j++;
        if (j == nseen && nseen < 16) {
            snprintf(seen[nseen++], 32, "%s", k);
            printf("maps kind: %s\n", k);
        }
    }
    for (int i = 0; i < nmaps; i++)
        if (!strcmp(kind(&maps[i], exe), "exe"))
            printf("maps exe: %s %08lx\n", maps[i].rights, maps[i].off);
    show_where("text", (void *)check_maps, exe);
    show_where("data", &data_var, exe);
    show_where("rodata", rodata_var, exe);
    show_where("bss", &bss_var[sizeof bss_var / 2], exe);
    show_where("heap", (void *)(brk0 + 4096), exe);
    show_where("stack", &local, exe);
    show_where("mmap-r", ro, exe);
    show_where("mmap-none", none, exe);
    show_where("mmap-rw", rw + 4096, exe);
    munmap(ro, 2 * 4096);
    munmap(none, 4096);
    munmap(rw, 3 * 4096);
}

/* ---- stat, status ------------------------------------------------------------------------ */

static void check_stat(void)
{
    if (slurp("/proc/self/stat") < 0)
        return;
    char *close_paren = strrchr(text, ')');
    int pid = atoi(text);
    char comm[64] = "";
    sscanf(text, "%*d (%63[^)])", comm);
    char state = close_paren[2];
    int fields = 2;
    unsigned long f[64] = { 0 };
    char *s = close_paren + 2;
    for (char *tok = strtok(s, " \n"); tok; tok = strtok(NULL, " \n"))
        f[++fields] = strtoul(tok, NULL, 10);
    /* f[n] is field n (1-based): 4 ppid, 20 num_threads, 48..51 arg_start..env_end */
    long cmdline = 0;
    int fd = open("/proc/self/cmdline", O_RDONLY);
    cmdline = read(fd, text, sizeof text);
    close(fd);
    printf("stat: fields=%d pid=%s comm=(%s) state=%c ppid=%s threads=%lu args=%s\n", fields,
           pid == getpid() ? "ok" : "BAD", comm, state, (int)f[4] == getppid() ? "ok" : "BAD", f[20],
           f[49] - f[48] == (unsigned long)cmdline && f[51] > f[50] ? "ok" : "BAD");
}

static const char *const status_names[] = {
    "Name", "Umask", "State", "Tgid", "Ngid", "Pid", "PPid", "TracerPid", "Uid", "Gid", "FDSize",
    "Groups", "NStgid", "NSpid", "NSpgid", "NSsid", "Kthread", "VmSize", "VmLck", "VmPin", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmData", "VmStk", "VmExe", "VmLib",
    "VmSwap", "Threads", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "CapInh", "CapPrm",
    "CapEff", "CapBnd", "CapAmb", "NoNewPrivs", "Seccomp", "Seccomp_filters", "Cpus_allowed",
    "Cpus_allowed_list",
};

static void on_usr1(int sig) { (void)sig; }

static void check_status(void)
{
    signal(SIGUSR1, on_usr1);
    signal(SIGUSR2, SIG_IGN);
    if (slurp("/proc/self/status") < 0)
        return;
    char names[2048] = "";
    int known = 0;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n")) {
        char *tab = strchr(l, ':');
        if (!tab || tab[1] != '\t')
            continue;
        *tab = 0;
        char *v = tab + 2;
        for (size_t i = 0; i < sizeof status_names / sizeof *status_names; i++) {
            if (strcmp(l, status_names[i]))
                continue;
            known++;
            strcat(names, " ");
            strcat(names, l);
            if (!strcmp(l, "Name") || !strcmp(l, "Umask") || !strcmp(l, "State") || !strcmp(l, "Uid") ||
                !strcmp(l, "Gid") || !strcmp(l, "Threads") || !strcmp(l, "SigIgn") || !strcmp(l, "SigCgt") ||
                !strcmp(l, "SigBlk") || !strcmp(l, "NoNewPrivs") || !strcmp(l, "TracerPid"))
                printf("status %s: %s\n", l, v);
            if (!strcmp(l, "Pid") || !strcmp(l, "Tgid"))
                printf("status %s: %s\n", l, atoi(v) == getpid() ? "ok" : "BAD");
            if (!strcmp(l, "PPid"))
                printf("status %s: %s\n", l, atoi(v) == getppid() ? "ok" : "BAD");
        }
    }
    printf("status: %d known fields:%s\n", known, names);
    signal(SIGUSR1, SIG_DFL);
    signal(SIGUSR2, SIG_DFL);
}

/* ---- cmdline, environ, auxv -------------------------------------------------------------- */

extern char **environ;

static void check_args(int argc, char **argv)
{
    long n = slurp("/proc/self/cmdline");
    printf("cmdline:");
    for (long i = 0; i < n; i++)
        printf(text[i] ? "%c" : "\\0", text[i]);
    printf("\n");
    long m = 0;
    for (int i = 0; i < argc; i++)
        m += strlen(argv[i]) + 1;
    printf("cmdline: %s\n", m == n ? "the argv strings" : "BAD");
    n = slurp("/proc/self/environ");
    long at = 0;
    int count = 0, same = 1;
    for (char **e = environ; *e; e++, count++) {
        if (at + (long)strlen(*e) + 1 > n || strcmp(text + at, *e))
            same = 0;
        at += strlen(*e) + 1;
    }
    printf("environ: %s\n", count && same && at == n ? "the environ strings" : "BAD");
    n = slurp("/proc/self/auxv");
    unsigned long *av = (unsigned long *)text;
    int pagesz = 0, entry = 0, phdr = 0, random = 0, last_null = 0;
    for (long i = 0; i + 1 < n / 8; i += 2) {
        if (av[i] == AT_PAGESZ) pagesz = av[i + 1] == 4096;
        if (av[i] == AT_ENTRY) entry = av[i + 1] == getauxval(AT_ENTRY);
        if (av[i] == AT_PHDR) phdr = av[i + 1] == getauxval(AT_PHDR);
        if (av[i] == AT_RANDOM) random = av[i + 1] == getauxval(AT_RANDOM);
        last_null = av[i] == AT_NULL && i + 2 == n / 8;
    }
    printf("auxv: pagesz=%d entry=%d phdr=%d random=%d ends-with-AT_NULL=%d\n", pagesz, entry, phdr, random,
           last_null);
}

/* ---- links and directories ----------------------------------------------------------------- */

static void check_links(char *exe, size_t exesize)
{
    char buf[512], want[32];
    ssize_t n = readlink("/proc/self", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    snprintf(want, sizeof want, "%d", getpid());
    printf("readlink /proc/self: %s\n", n > 0 && !strcmp(buf, want) ? "the pid" : "BAD");
    n = readlink("/proc/self/exe", exe, exesize - 1);
    exe[n > 0 ? n : 0] = 0;
    printf("readlink /proc/self/exe: %s absolute=%d\n", base(exe), exe[0] == '/');
    n = readlink("/proc/self/exe", buf, 3);
    printf("readlink /proc/self/exe, 3 bytes: %zd, its start: %d\n", n, n == 3 && !strncmp(buf, exe, 3));
    printf("readlink /proc/self/stat: %s\n", RES(readlink("/proc/self/stat", buf, 10)));
    n = readlink("/proc/mounts", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink /proc/mounts: %s\n", buf);
    int fd = open("procfs-probe", O_CREAT | O_RDWR, 0644);
    snprintf(want, sizeof want, "/proc/self/fd/%d", fd);
    n = readlink(want, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink fd of a file: %s absolute=%d\n", base(buf), buf[0] == '/');
    n = readlink("/proc/self/fd/0", buf, sizeof buf - 1);
    printf("readlink fd 0: starts with /dev/: %d\n", n > 5 && !strncmp(buf, "/dev/", 5));
    DIR *d = opendir("/proc/self/fd");
    int nfd = 0, has_file = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.')
            continue;
        nfd++;
        has_file |= atoi(e->d_name) == fd && e->d_type == DT_LNK;
    }
    closedir(d);
    printf("fd dir: %d entries, the file's a link: %d\n", nfd, has_file);
    close(fd);
    unlink("procfs-probe");
    struct stat st, st2;
    printf("stat /proc/self/exe is the program: %d\n",
           !stat("/proc/self/exe", &st) && !stat(exe, &st2) && st.st_ino == st2.st_ino);
    /* /proc's directory: its files and our pid */
    d = opendir("/proc");
    int self = 0, mypid = 0, meminfo = 0;
    for (struct dirent *e; (e = readdir(d));) {
        self |= !strcmp(e->d_name, "self") && e->d_type == DT_LNK;
        mypid |= atoi(e->d_name) == getpid() && e->d_type == DT_DIR;
        meminfo |= !strcmp(e->d_name, "meminfo") && e->d_type == DT_REG;
    }
    closedir(d);
    printf("/proc lists: self=%d own-pid=%d meminfo=%d\n", self, mypid, meminfo);
    static const char *const mine[] = { "fd", "environ", "auxv", "status", "comm", "cmdline", "stat",
                                        "maps", "mem", "cwd", "exe" };
    d = opendir("/proc/self");
    int found = 0;
    for (struct dirent *e; (e = readdir(d));)
        for (size_t i = 0; i < sizeof mine / sizeof *mine; i++)
            found += !strcmp(e->d_name, mine[i]);
    closedir(d);
    printf("/proc/self lists %d of %zu\n", found, sizeof mine / sizeof *mine);
    char cwd[256];
    chdir("/proc/self/fd");
    snprintf(want, sizeof want, "/proc/%d/fd", getpid());
    printf("getcwd in /proc/self/fd: %s\n", getcwd(cwd, sizeof cwd) && !strcmp(cwd, want) ? "/proc/PID/fd" : "BAD");
    chdir("/");
    printf("open /proc/self/nonexistent: %s\n", RES(open("/proc/self/nonexistent", O_RDONLY)));
    printf("open /proc/2147483647/stat: %s\n", RES(open("/proc/2147483647/stat", O_RDONLY)));
    printf("mkdir /proc/x: %s\n", RES(mkdir("/proc/x", 0755)));
    printf("unlink /proc/meminfo: %s\n", RES(unlink("/proc/meminfo")));
    printf("rename /proc/meminfo: %s\n", RES(rename("/proc/meminfo", "/tmp/x")));
}

/* ---- memory through /proc/self/mem ---------------------------------------------------------- */

static void check_mem(void)
{
    int fd = open("/proc/self/mem", O_RDWR);
    long v = 0x1122334455667788, got = 0;
    printf("mem: read own variable: %d\n", pread(fd, &got, 8, (off_t)&v) == 8 && got == v);
    long nv = 77;
    printf("mem: write own variable: %d\n", pwrite(fd, &nv, 8, (off_t)&v) == 8 && v == 77);
    char s[16] = "patched";
    /* FOLL_FORCE: a private read-only page is written (Linux copies it on write) */
    printf("mem: write read-only data: %zd now \"%s\"\n", pwrite(fd, s, 8, (off_t)rodata_var), rodata_var);
    printf("mem: read page 0: %s\n", RES(pread(fd, &got, 8, 0)));
    close(fd);
}

/* ---- system files ------------------------------------------------------------------------ */

static void check_system(void)
{
    slurp("/proc/meminfo");
    char a[32] = "", b[32] = "", c[32] = "";
    unsigned long total = 0;
    sscanf(text, "%31s %lu kB\n%31s %*u kB\n%31s", a, &total, b, c);
    printf("meminfo: %s %s %s total>0=%d\n", a, b, c, total > 0);
    int ok = 1;
    for (char *l = strtok(text, "\n"); l; l = strtok(NULL, "\n"))
        if (strlen(l) > 3 && !strcmp(l + strlen(l) - 3, " kB"))
            ok &= strlen(l) >= 16 + 8 + 3 && l[strlen(l) - 4] >= '0' && l[strlen(l) - 4] <= '9';
    printf("meminfo: kB lines padded as Linux: %d\n", ok);
    slurp("/proc/uptime");
    unsigned long s1, c1, s2, c2;
    char tail = 0;
    printf("uptime: format %d\n", sscanf(text, "%lu.%2lu %lu.%2lu%c", &s1, &c1, &s2, &c2, &tail) == 5 && tail == '\n');
    slurp("/proc/cpuinfo");
    printf("cpuinfo: processor 0: %d, flags: %d, fpu: %d\n", !strncmp(text, "processor\t: 0\n", 14),
           strstr(text, "\nflags\t\t: ") != NULL, strstr(text, " fpu ") != NULL);
    slurp("/proc/mounts");
    printf("mounts: proc on /proc: %d\n", strstr(text, "proc /proc proc ") != NULL);
    slurp("/proc/self/mounts");
    printf("self/mounts: proc on /proc: %d\n", strstr(text, "proc /proc proc ") != NULL);
    slurp("/proc/sys/kernel/ostype");
    printf("ostype: %s", text);
    struct utsname u;
    uname(&u);
    slurp("/proc/sys/kernel/osrelease");
    printf("osrelease: uname's: %d\n", !strncmp(text, u.release, strlen(u.release)) && text[strlen(u.release)] == '\n');
    slurp("/proc/sys/kernel/pid_max");
    printf("pid_max: a number above our pid: %d\n", atoi(text) > getpid());
}

/* ---- prctl and the small calls ------------------------------------------------------------ */

static void check_prctl(void)
{
    char name[32] = "";
    printf("PR_SET_NAME: %d\n", prctl(PR_SET_NAME, "a-name-longer-than-15", 0, 0, 0));
    prctl(PR_GET_NAME, name, 0, 0, 0);
    printf("PR_GET_NAME: %s\n", name);
    slurp("/proc/self/comm");
    printf("comm: %s", text);
    slurp("/proc/self/stat");
    *strchr(text, ')') = 0;
    printf("stat comm: %s)\n", strchr(text, '('));
    printf("PR_SET_PDEATHSIG 65: %s\n", RES(prctl(PR_SET_PDEATHSIG, 65, 0, 0, 0)));
    int sig = -1;
    prctl(PR_SET_PDEATHSIG, SIGUSR2, 0, 0, 0);
    prctl(PR_GET_PDEATHSIG, &sig, 0, 0, 0);
    printf("PR_GET_PDEATHSIG: %d\n", sig);
    pid_t kid = fork();
    if (kid == 0) {
        int s = -1;
        prctl(PR_GET_PDEATHSIG, &s, 0, 0, 0);
        printf("PR_GET_PDEATHSIG in a forked child: %d\n", s);   /* not inherited */
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
    printf("PR_GET_PDEATHSIG to NULL: %s\n", RES(prctl(PR_GET_PDEATHSIG, NULL, 0, 0, 0)));
    printf("PR_GET_DUMPABLE: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    printf("PR_SET_DUMPABLE 2: %s\n", RES(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0)));
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
    printf("PR_SET_DUMPABLE 0, then GET: %d\n", prctl(PR_GET_DUMPABLE, 0, 0, 0, 0));
    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    printf("PR_SET_NO_NEW_PRIVS 1,1: %s\n", RES(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0)));
    printf("PR_GET_NO_NEW_PRIVS: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    printf("PR_SET_NO_NEW_PRIVS 1: %d\n", prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    printf("PR_GET_NO_NEW_PRIVS: %d\n", prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0));
    slurp("/proc/self/status");
    printf("status NoNewPrivs: %d\n", strstr(text, "\nNoNewPrivs:\t1\n") != NULL);
    printf("prctl 12345: %s\n", RES(prctl(12345, 0, 0, 0, 0)));
    unsigned cpu = 99, node = 99;
    long r = syscall(SYS_getcpu, &cpu, &node, NULL);
    printf("getcpu: %ld cpu-in-range=%d node=%u\n", r, cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF), node);
    printf("getcpu to a bad pointer: %s\n", RES(syscall(SYS_getcpu, (void *)8, NULL, NULL)));
    errno = 0;
    printf("rseq: %s\n", RES(syscall(SYS_rseq, NULL, 0, 0, 0)));
}

static void check_process_vm(void)
{
    static char secret[32] = "the child's secret";
    int to_child[2], to_parent[2];
    pipe(to_child);
    pipe(to_parent);
    pid_t pid = fork();
    if (pid == 0) {
        char c;
        write(to_parent[1], "r", 1);
        read(to_child[0], &c, 1);            /* the parent has read and written */
        printf("child sees: %s\n", secret);
        fflush(stdout);
        _exit(0);
    }
    char c, buf[32] = "";
    read(to_parent[0], &c, 1);
    struct iovec local = { buf, sizeof buf }, remote = { secret, sizeof secret };
    long n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    printf("process_vm_readv child: %ld \"%s\"\n", n, buf);
    char repl[32] = "written by the parent";
    local = (struct iovec){ repl, sizeof repl };
    printf("process_vm_writev child: %ld\n", (long)process_vm_writev(pid, &local, 1, &remote, 1, 0));
    printf("process_vm_readv flags 1: %s\n", RES((long)process_vm_readv(pid, &local, 1, &remote, 1, 1)));
    printf("process_vm_readv no such pid: %s\n", RES((long)process_vm_readv(0x7ffffff0, &local, 1, &remote, 1, 0)));
    struct iovec bad = { (void *)4096, 16 };
    printf("process_vm_readv unmapped remote: %s\n", RES((long)process_vm_readv(pid, &local, 1, &bad, 1, 0)));
    struct iovec two[2] = { { secret, 8 }, { (void *)4096, 8 } };
    errno = 0;
    printf("process_vm_readv remote half unmapped: %ld\n", (long)process_vm_readv(pid, &local, 1, two, 2, 0));
    printf("process_vm_readv to a bad local buffer: %s\n", RES((long)process_vm_readv(pid, &bad, 1, &remote, 1, 0)));
    /* no FOLL_FORCE here, unlike /proc/PID/mem: read-only memory is not written, PROT_NONE not read */
    struct iovec ro = { (void *)rodata_var, 8 };
    printf("process_vm_writev into read-only data: %s\n", RES(process_vm_writev(pid, &local, 1, &ro, 1, 0)));
    char *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    struct iovec nv = { none, 8 };
    printf("process_vm_readv of a PROT_NONE page: %s\n", RES(process_vm_readv(getpid(), &local, 1, &nv, 1, 0)));
    munmap(none, 4096);
    write(to_child[1], "g", 1);
    waitpid(pid, NULL, 0);
}

/* The parent-death signal: a grandchild asks for SIGUSR1 when its parent (our child) ends. */
static void check_pdeathsig(void)
{
    int up[2], go[2];
    pipe(up);
    pipe(go);
    pid_t child = fork();
    if (child == 0) {
        pid_t me = getpid();
        if (fork() == 0) {
            sigset_t set;
            sigemptyset(&set);
            sigaddset(&set, SIGUSR1);
            sigprocmask(SIG_BLOCK, &set, NULL);
            prctl(PR_SET_PDEATHSIG, SIGUSR1, 0, 0, 0);
            write(go[1], "r", 1);             /* armed: the parent may end */
            siginfo_t si;
            int s = sigwaitinfo(&set, &si);
            char line[64];
            int n = snprintf(line, sizeof line, "pdeathsig: got %d, from the parent: %d\n", s, si.si_pid == me);
            write(up[1], line, n);
            _exit(0);
        }
        char c;
        read(go[0], &c, 1);
        _exit(0);
    }
    close(up[1]);
    waitpid(child, NULL, 0);
    char line[64] = "";
    long n = read(up[0], line, sizeof line - 1);
    printf("%s", n > 0 ? line : "pdeathsig: nothing\n");
}

int main(int argc, char **argv)
{
    char exe[512];
    setvbuf(stdout, NULL, _IONBF, 0);
    check_links(exe, sizeof exe);
    check_maps(exe);
    check_stat();
    check_status();
    check_args(argc, argv);
    check_mem();
    check_system();
    check_process_vm();
    check_pdeathsig();
    check_prctl();
    return 0;
}
