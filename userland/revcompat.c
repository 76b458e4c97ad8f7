/*
 * Hostile programs from the review of the compat (i386) and debugging surfaces of the kernel
 * (tests/test_review_attacks.py): each attack prints only what Linux defines, so the host's
 * output is the reference.
 *
 *   restart: a tracer at a syscall-exit stop sets RAX to -ERESTARTNOINTR and RIP to an
 *            address whose restart (RIP - 2, the `syscall` again) no iretq can return to:
 *            1 (RIP -1, non-canonical), and with CS 0x23 (compatibility mode) 0x100000003
 *            (EIP past the code segment's 4 GiB limit). Linux's restart runs after its
 *            signal delivery, the iretq faults in ring 0 and its bad-iret fixup turns the
 *            fault into a SIGSEGV of the tracee (SI_KERNEL); the tracer sees that stop. The
 *            restart happens only with signal work (a signal the tracer then suppressed):
 *            with none, -ERESTARTNOINTR is the answer and RIP stays.
 *   archprctl: a tracee's GS holds a TLS selector (set_thread_area through int $0x80);
 *            PTRACE_ARCH_PRCTL(ARCH_SET_GS) nulls the selector and sets the base, as the
 *            call on itself does (Linux do_arch_prctl_64), POKEUSER of gs_base sets the base
 *            only and of gs the selector only; the child prints what it then runs with.
 *   sigreturncs: a handler edits its 64-bit frame's CS, SS and RIP: Linux's
 *            restore_sigcontext takes CS and SS as saved (RPL 3), so CS 0x23 returns to
 *            compatibility mode and an LDT data SS stays; without UC_STRICT_RESTORE_SS an SS
 *            no 64-bit code could use becomes 0x2b (force_valid_ss); what iretq cannot load
 *            (a data or kernel CS, a null or code SS, EIP past 4 GiB) is SIGSEGV.
 *   vdsomem: /proc/self/mem, process_vm_readv and PEEKDATA over [vdso] and [vvar].
 *   tlsarea: PTRACE_GET_THREAD_AREA and PTRACE_SET_THREAD_AREA on a 64-bit tracee.
 *   procmem: /proc/self/mem at the offsets an attacker would try.
 *   badiret: a tracer suppresses the SIGSEGV of a return to ring 3 that cannot be made.
 *   xstateregs: NT_X86_XSTATE and NT_PRFPREG through GETREGSET/SETREGSET, hostile ones too.
 *   tlsempty: a TLS entry emptied under the tracee's live GS, and one given another base.
 *   stepcompat: single steps through int $0x80 and far transfers between CS 0x33 and 0x23.
 *   iopermregset: NT_386_IOPERM through GETREGSET/SETREGSET.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/auxv.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <ucontext.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#define ERESTARTNOINTR 513      /* include/linux/errno.h: the kernel's own, never a user's */
#define USER32_CS 0x23          /* Linux's compatibility-mode code selector (GDT entry 4) */
#define MARK 0x5eed0000L        /* the argument that names the call the tracer changes */
#define ARCH_SET_GS 0x1001      /* asm/prctl.h */
#define ARCH_GET_GS 0x1004
#define PTRACE_GET_THREAD_AREA_ 25   /* asm/ptrace-abi.h (glibc names them too, musl not) */
#define PTRACE_SET_THREAD_AREA_ 26

struct tls_desc {               /* asm/ldt.h struct user_desc (musl has no linux/ headers) */
    unsigned int entry_number, base_addr, limit;
    unsigned int seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1, seg_not_present : 1,
        useable : 1;
};

static long pt(int req, pid_t pid, unsigned long addr, unsigned long data)
{
    return syscall(SYS_ptrace, req, pid, addr, data);
}

static int waitfor(pid_t pid)
{
    int st = 0;
    if (waitpid(pid, &st, __WALL) != pid) {
        printf("waitpid: %s\n", strerror(errno));
        exit(1);
    }
    return st;
}

/* A traced child stopped at its SIGSTOP, then making one marked getppid. */
static pid_t marked_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0))
            _exit(90);
        raise(SIGSTOP);
        syscall(SYS_getppid, MARK);
        _exit(0);
    }
    waitfor(pid);
    return pid;
}

/* Run the child to the exit stop of its marked call. */
static int to_marked_exit(pid_t pid, struct user_regs_struct *r)
{
    for (int stops = 0; stops < 64; stops++) {
        pt(PTRACE_SYSCALL, pid, 0, 0);
        if (!WIFSTOPPED(waitfor(pid)))
            return -1;
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)r);
        if (r->rdi == MARK && (long)r->rax != -ENOSYS)
            return 0;                       /* the exit stop: RAX is getppid's answer */
    }
    return -1;
}

/* The marked call's exit stop given RAX -ERESTARTNOINTR, RIP `rip` (and CS `cs` unless 0);
   the tracee resumed with `sig` (0: none), that signal's delivery stop suppressed. */
static void restart_one(const char *what, unsigned long cs, unsigned long rip, int sig)
{
    pid_t pid = marked_child();
    struct user_regs_struct r;
    if (to_marked_exit(pid, &r)) {
        printf("restart %s: no exit stop\n", what);
        return;
    }
    r.rax = (unsigned long)-ERESTARTNOINTR;
    r.rip = rip;
    if (cs)
        r.cs = cs;
    long set = pt(PTRACE_SETREGS, pid, 0, (unsigned long)&r);
    pt(PTRACE_CONT, pid, 0, sig);
    int st = waitfor(pid);
    if (sig && WIFSTOPPED(st) && WSTOPSIG(st) == sig) {
        printf("restart %s: signal-delivery stop %d, suppressed\n", what, sig);
        pt(PTRACE_CONT, pid, 0, 0);
        st = waitfor(pid);
    }
    siginfo_t si;
    memset(&si, 0, sizeof si);
    memset(&r, 0, sizeof r);
    if (WIFSTOPPED(st)) {
        pt(PTRACE_GETSIGINFO, pid, 0, (unsigned long)&si);
        pt(PTRACE_GETREGS, pid, 0, (unsigned long)&r);
    }
    printf("restart %s: setregs %s, status 0x%x signo=%d code=%d rip=0x%lx rax=%ld\n", what,
           set ? strerror(errno) : "ok", st, si.si_signo, si.si_code, (unsigned long)r.rip, (long)r.rax);
    if (WIFSTOPPED(st)) {
        pt(PTRACE_CONT, pid, 0, WSTOPSIG(st));
        st = waitfor(pid);
    }
    if (WIFSIGNALED(st))
        printf("restart %s: killed by %d\n", what, WTERMSIG(st));
    else
        printf("restart %s: status 0x%x\n", what, st);
}

static int restart(void)
{
    /* no signal: the value is the call's answer, RIP as the tracer left it */
    restart_one("rip=1", 0, 1, 0);
    restart_one("rip=0xffff800000000001", 0, 0xffff800000000001UL, 0);
    restart_one("cs=0x23 rip=0x100000003", USER32_CS, 0x100000003UL, 0);
    /* a signal the tracer suppresses: the call restarts at RIP - 2, non-canonical (64-bit),
       past 4 GiB (compatibility mode) */
    restart_one("rip=0xffff800000000001 sigusr1", 0, 0xffff800000000001UL, SIGUSR1);
    restart_one("cs=0x23 rip=1 sigusr1", USER32_CS, 1, SIGUSR1);
    return 0;
}

/* ---- archprctl ---- */

static char gsmem[2][16] __attribute__((aligned(16))) = { "descriptor", "tracer's base" };

/* A traced child whose GS is a TLS selector (base gsmem[0]); after the tracer's change it
   prints what it runs with: the selector, the base, and the bytes at %gs:0. */
static pid_t gs_child(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* the i386 call through int $0x80 (the x86-64 table has none): its pointer is 32 bits */
        static struct tls_desc u = { .entry_number = -1, .limit = 0xfffff, .seg_32bit = 1, .limit_in_pages = 1,
                                     .useable = 1 };
        u.base_addr = (unsigned)(uintptr_t)gsmem[0];
        if (ptrace(PTRACE_TRACEME, 0, 0, 0))
            _exit(90);
        long r = 243;                        /* i386 set_thread_area */
        __asm__ volatile("int $0x80" : "+a"(r) : "b"(&u) : "memory");
        if (r) {
            printf("  child: set_thread_area %ld\n", r);
            _exit(91);
        }
        uint16_t sel = (uint16_t)(u.entry_number * 8 + 3);
        __asm__ volatile("mov %0, %%gs" ::"r"(sel));
        raise(SIGSTOP);
        uint16_t now;
        unsigned long base = 0;
        char at[16];
        __asm__ volatile("mov %%gs, %0" : "=r"(now));
        syscall(SYS_arch_prctl, ARCH_GET_GS, &base);
        for (int i = 0; i < 15; i++)
            __asm__ volatile("movb %%gs:(%1), %0" : "=q"(at[i]) : "r"((unsigned long)i));
        at[15] = 0;
        printf("  child: gs %s, base %s, %%gs:0 \"%s\"\n", now == sel ? "the TLS selector" : now ? "other" : "0",
               base == (uintptr_t)gsmem[0] ? "the descriptor's" : base == (uintptr_t)gsmem[1] ? "the tracer's" : "other",
               at);
        fflush(stdout);
        _exit(0);
    }
    int st = waitfor(pid);
    if (!WIFSTOPPED(st))
        printf("  child: status 0x%x\n", st);
    return pid;
}

static void gs_show(pid_t pid, const char *what, long r)
{
    unsigned long sel = 1, base = 1;
    pt(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, gs), (uintptr_t)&sel);
    pt(PTRACE_PEEKUSER, pid, offsetof(struct user_regs_struct, gs_base), (uintptr_t)&base);
    printf("archprctl %s: %s; gs reads %s, gs_base %s\n", what, r ? strerror(errno) : "ok",
           sel ? "the TLS selector" : "0",
           base == (uintptr_t)gsmem[0] ? "the descriptor's" : base == (uintptr_t)gsmem[1] ? "the tracer's" : "other");
    fflush(stdout);
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid);
    if (!WIFEXITED(st))
        printf("  child: status 0x%x\n", st);
}

/*
 * archprctl: a tracee's GS holds a TLS selector. PTRACE_ARCH_PRCTL(ARCH_SET_GS) is Linux's
 * do_arch_prctl_64 on the tracee: the selector becomes 0 and the base the new one (as the
 * call on itself does); POKEUSER of gs_base changes the base only (putreg), and of gs the
 * selector only.
 */
static int archprctl(void)
{
    pid_t pid = gs_child();
    gs_show(pid, "before", 0);
    pid = gs_child();
    long r = pt(PTRACE_ARCH_PRCTL, pid, (uintptr_t)gsmem[1], ARCH_SET_GS);
    gs_show(pid, "ARCH_SET_GS", r);
    pid = gs_child();
    r = pt(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, gs_base), (uintptr_t)gsmem[1]);
    gs_show(pid, "POKEUSER gs_base", r);
    pid = gs_child();
    r = pt(PTRACE_POKEUSER, pid, offsetof(struct user_regs_struct, gs), 0);
    gs_show(pid, "POKEUSER gs 0", r);
    return 0;
}

/* ---- sigreturncs ---- */

#define UC_STRICT_RESTORE_SS 0x4   /* asm/ucontext.h */
#define LDT_DATA_SEL 0x7           /* LDT entry 0, RPL 3 */

/* 32-bit code the frame's CS 0x23 returns to: the i386 write and exit_group by int $0x80. */
extern char compat_code[];
__asm__(".pushsection .text\n"
        ".code32\n"
        "compat_code:\n"
        "    movl $4, %eax\n"                  /* i386 write */
        "    movl $1, %ebx\n"
        "    movl $compat_msg, %ecx\n"
        "    movl $compat_msg_end - compat_msg, %edx\n"
        "    int $0x80\n"
        "    movl $252, %eax\n"                /* i386 exit_group */
        "    movl $42, %ebx\n"
        "    int $0x80\n"
        "    ud2\n"
        ".code64\n"
        ".popsection\n"
        ".pushsection .rodata\n"
        "compat_msg: .ascii \"  child: compatibility-mode code ran\\n\"\n"
        "compat_msg_end:\n"
        ".popsection\n");

static unsigned long sr_cs, sr_ss, sr_rip;   /* what the handler writes (0: leave) */
static int sr_strict;                        /* UC_STRICT_RESTORE_SS: 1 set, 0 cleared */

static void sr_handler(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ucontext_t *uc = ctx;
    unsigned long w = (unsigned long)uc->uc_mcontext.gregs[REG_CSGSFS];   /* cs, gs, fs, ss: 16 bits each */
    if (sr_cs)
        w = (w & ~0xffffUL) | sr_cs;
    if (sr_ss != (unsigned long)-1)
        w = (w & ~(0xffffUL << 48)) | sr_ss << 48;
    uc->uc_mcontext.gregs[REG_CSGSFS] = (long)w;
    uc->uc_mcontext.gregs[REG_RIP] = (long)(sr_rip ? sr_rip : (unsigned long)uc->uc_mcontext.gregs[REG_RIP] + 2);
    if (sr_strict)
        uc->uc_flags |= UC_STRICT_RESTORE_SS;
    else
        uc->uc_flags &= ~UC_STRICT_RESTORE_SS;
}

static void sr_one(const char *what, unsigned long cs, unsigned long ss, unsigned long rip, int strict)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        /* LDT entry 0: a 32-bit writable data segment over the first 4 GiB */
        struct tls_desc u = { .entry_number = 0, .limit = 0xfffff, .seg_32bit = 1, .limit_in_pages = 1 };
        if (syscall(SYS_modify_ldt, 1, &u, sizeof u))
            _exit(91);
        sr_cs = cs, sr_ss = ss, sr_rip = rip, sr_strict = strict;
        struct sigaction sa = { .sa_sigaction = sr_handler, .sa_flags = SA_SIGINFO };
        sigaction(SIGILL, &sa, NULL);
        uint16_t after;
        /* the handler returns past the ud2 (2 bytes) unless it sends RIP elsewhere; no
           system call runs before SS is read (sysretq would load its own) */
        __asm__ volatile("ud2\n\tmov %%ss, %0" : "=r"(after));
        printf("  child: back, ss %s\n", after == LDT_DATA_SEL ? "the LDT selector" : after == 0x2b ? "0x2b" : "other");
        fflush(stdout);
        _exit(0);
    }
    int st = waitfor(pid);
    if (WIFSIGNALED(st))
        printf("sigreturncs %s: killed by %d\n", what, WTERMSIG(st));
    else
        printf("sigreturncs %s: exit %d\n", what, WEXITSTATUS(st));
}

/*
 * sigreturncs: a 64-bit rt_sigreturn frame with another CS or SS (Linux restore_sigcontext:
 * CS and SS as saved, RPL 3; without UC_STRICT_RESTORE_SS a 64-bit frame's unusable SS is
 * repaired to 0x2b, force_valid_ss): CS 0x23 goes to compatibility mode; what iretq cannot
 * load (CS 0x2b, a null SS, EIP past 4 GiB) is SIGSEGV.
 */
static int sigreturncs(void)
{
    unsigned long keep = (unsigned long)-1;
    sr_one("cs=0x23", USER32_CS, keep, (uintptr_t)compat_code, 1);
    sr_one("cs=0x23 rip past 4 GiB", USER32_CS, keep, (uintptr_t)compat_code + 0x100000000UL, 1);
    sr_one("cs=0x2b", 0x2b, keep, 0, 1);
    sr_one("cs=0x10 (kernel)", 0x10, keep, 0, 1);
    sr_one("ss=LDT strict", 0, LDT_DATA_SEL, 0, 1);
    sr_one("ss=LDT not strict", 0, LDT_DATA_SEL, 0, 0);
    sr_one("ss=0 strict", 0, 0, 0, 1);
    sr_one("ss=0 not strict", 0, 0, 0, 0);
    sr_one("ss=0x23 not strict", 0, USER32_CS, 0, 0);
    sr_one("ss=0x23 strict", 0, USER32_CS, 0, 1);
    return 0;
}

/* ---- vdsomem ---- */

/*
 * vdsomem: /proc/self/mem (FOLL_FORCE) over [vdso] and [vvar]. Linux's [vdso] is a private
 * mapping that may become writable: a write breaks copy-on-write, the process's own page gets
 * it, and a process forked before (sharing the image) still reads the original byte. [vvar]
 * is VM_IO | VM_PFNMAP: get_user_pages refuses it, a read or a write is EIO (ptrace's
 * PEEKDATA too; process_vm_readv EFAULT).
 */
static int vdsomem(void)
{
    unsigned long vdso = getauxval(AT_SYSINFO_EHDR), vvar = 0;
    char line[256];
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps))
        if (strstr(line, "[vvar]") && !vvar)
            vvar = strtoul(line, NULL, 16);
    if (maps)
        fclose(maps);
    int go[2];
    if (!vdso || !vvar || pipe(go))
        return 1;
    volatile char *osabi = (volatile char *)(vdso + 7);   /* e_ident[EI_OSABI]: 0 */
    fflush(stdout);
    pid_t before = fork();
    if (before == 0) {
        char c;
        close(go[1]);
        read(go[0], &c, 1);
        printf("vdsomem: a process forked before reads %d\n", *osabi);
        fflush(stdout);
        _exit(0);
    }
    close(go[0]);
    int fd = open("/proc/self/mem", O_RDWR);
    char c = 'X';
    long r = pwrite(fd, &c, 1, (off_t)(uintptr_t)osabi);
    printf("vdsomem: write into [vdso]: %s, reads back '%c'\n", r == 1 ? "1" : strerror(errno), *osabi);
    fflush(stdout);
    write(go[1], "g", 1);
    waitpid(before, NULL, 0);
    fflush(stdout);
    pid_t after = fork();
    if (after == 0) {
        printf("vdsomem: a process forked after reads '%c'\n", *osabi);
        fflush(stdout);
        _exit(0);
    }
    waitpid(after, NULL, 0);
    r = pwrite(fd, &c, 1, (off_t)vvar);
    printf("vdsomem: write into [vvar]: %s\n", r == 1 ? "1" : strerror(errno));
    r = pread(fd, &c, 1, (off_t)vvar);
    printf("vdsomem: read of [vvar]: %s\n", r == 1 ? "1" : strerror(errno));
    struct iovec local = { &c, 1 }, remote = { (void *)vvar, 1 };
    r = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
    printf("vdsomem: process_vm_readv of [vvar]: %s\n", r == 1 ? "1" : strerror(errno));
    /* ptrace's PEEKDATA is the same access_process_vm */
    fflush(stdout);
    pid_t t = fork();
    if (t == 0) {
        ptrace(PTRACE_TRACEME, 0, 0, 0);
        raise(SIGSTOP);
        _exit(0);
    }
    waitfor(t);
    unsigned long word;
    r = pt(PTRACE_PEEKDATA, t, vvar, (uintptr_t)&word);
    printf("vdsomem: PEEKDATA of [vvar]: %s\n", r ? strerror(errno) : "ok");
    r = pt(PTRACE_PEEKDATA, t, vdso, (uintptr_t)&word);
    printf("vdsomem: PEEKDATA of [vdso]: %s\n", r ? strerror(errno) : "ok");
    pt(PTRACE_CONT, t, 0, 0);
    waitfor(t);
    return 0;
}

/* ---- tlsarea ---- */

static void ud_show(const char *what, long r, const struct tls_desc *u)
{
    if (r) {
        printf("tlsarea %s: %s\n", what, strerror(errno));
        return;
    }
    printf("tlsarea %s: ok entry %u base %s limit 0x%x 32bit %u contents %u ro %u pages %u np %u useable %u\n",
           what, u->entry_number,
           u->base_addr == (uintptr_t)gsmem[0] ? "gsmem[0]" : u->base_addr == (uintptr_t)gsmem[1] ? "gsmem[1]" : u->base_addr ? "other" : "0",
           u->limit, u->seg_32bit, u->contents, u->read_exec_only, u->limit_in_pages, u->seg_not_present, u->useable);
}

/*
 * tlsarea: PTRACE_GET_THREAD_AREA and PTRACE_SET_THREAD_AREA from a 64-bit tracer (Linux
 * arch_ptrace with IA32 emulation: do_get_thread_area / do_set_thread_area on the tracee, the
 * entry number in addr, -EIO for a negative one): the tracee's TLS entries read and written
 * (gdb reads an i386 inferior's thread pointer this way), bad entries and descriptors refused.
 */
static int tlsarea(void)
{
    pid_t pid = gs_child();                 /* GS = TLS entry 12, base gsmem[0] */
    struct tls_desc u;
    long r;
    for (unsigned long idx = 11; idx <= 15; idx++) {
        char what[32];
        memset(&u, 0xaa, sizeof u);
        r = pt(PTRACE_GET_THREAD_AREA_, pid, idx, (uintptr_t)&u);
        snprintf(what, sizeof what, "get %lu", idx);
        ud_show(what, r, &u);
    }
    ud_show("get -1", pt(PTRACE_GET_THREAD_AREA_, pid, (unsigned long)-1, (uintptr_t)&u), &u);
    ud_show("get 0x80000000", pt(PTRACE_GET_THREAD_AREA_, pid, 0x80000000UL, (uintptr_t)&u), &u);
    ud_show("get 0x100000000c", pt(PTRACE_GET_THREAD_AREA_, pid, 0x10000000cUL, (uintptr_t)&u), &u);
    ud_show("get bad buffer", pt(PTRACE_GET_THREAD_AREA_, pid, 12, 8), &u);
    struct tls_desc n = { .entry_number = 99, .limit = 0xfff, .seg_32bit = 1, .limit_in_pages = 1 };
    n.base_addr = (unsigned)(uintptr_t)gsmem[1];
    ud_show("set 13", pt(PTRACE_SET_THREAD_AREA_, pid, 13, (uintptr_t)&n), &n);
    r = pt(PTRACE_GET_THREAD_AREA_, pid, 13, (uintptr_t)&u);
    ud_show("get 13 after", r, &u);
    struct tls_desc bad = n;
    bad.seg_32bit = 0;                      /* tls_desc_okay: no 16-bit segment */
    ud_show("set 14 16-bit", pt(PTRACE_SET_THREAD_AREA_, pid, 14, (uintptr_t)&bad), &bad);
    bad = n;
    bad.contents = 2;                       /* code */
    ud_show("set 14 code", pt(PTRACE_SET_THREAD_AREA_, pid, 14, (uintptr_t)&bad), &bad);
    ud_show("set 15", pt(PTRACE_SET_THREAD_AREA_, pid, 15, (uintptr_t)&n), &n);
    ud_show("set -1", pt(PTRACE_SET_THREAD_AREA_, pid, (unsigned long)-1, (uintptr_t)&n), &n);
    ud_show("set bad buffer", pt(PTRACE_SET_THREAD_AREA_, pid, 13, 8), &n);
    /* an entry emptied (Linux's LDT_empty form) */
    struct tls_desc empty = { .entry_number = 13, .read_exec_only = 1, .seg_not_present = 1 };
    ud_show("set 13 empty", pt(PTRACE_SET_THREAD_AREA_, pid, 13, (uintptr_t)&empty), &empty);
    r = pt(PTRACE_GET_THREAD_AREA_, pid, 13, (uintptr_t)&u);
    ud_show("get 13 after", r, &u);
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid);
    if (!WIFEXITED(st))
        printf("  child: status 0x%x\n", st);
    return 0;
}

/*
 * tlsempty: the tracer empties the TLS entry the stopped tracee's GS names. The selector can
 * no longer be loaded when the tracee runs again: it becomes 0, and the saved GS base takes
 * the empty entry's base, 0 (Linux's do_set_thread_area on a task not current), so %gs:0
 * faults (SIGSEGV). Then the entry given another base (gsmem[1]): GS keeps the selector,
 * with the new base.
 */
static int tlsempty(void)
{
    pid_t pid = gs_child();
    struct tls_desc empty = { .entry_number = 12, .read_exec_only = 1, .seg_not_present = 1 };
    ud_show("set 12 empty", pt(PTRACE_SET_THREAD_AREA_, pid, 12, (uintptr_t)&empty), &empty);
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid);
    if (!WIFEXITED(st))
        printf("  child: status 0x%x\n", st);
    if (WIFSTOPPED(st)) {
        pt(PTRACE_CONT, pid, 0, WSTOPSIG(st));
        waitfor(pid);
    }
    pid = gs_child();
    struct tls_desc moved = { .entry_number = 12, .base_addr = (unsigned)(uintptr_t)gsmem[1], .limit = 0xfffff,
                              .seg_32bit = 1, .limit_in_pages = 1, .useable = 1 };
    ud_show("set 12 to the tracer's base", pt(PTRACE_SET_THREAD_AREA_, pid, 12, (uintptr_t)&moved), &moved);
    pt(PTRACE_CONT, pid, 0, 0);
    st = waitfor(pid);
    if (!WIFEXITED(st))
        printf("  child: status 0x%x\n", st);
    return 0;
}

/* ---- iopermregset ---- */

#define NT_386_IOPERM_ 0x201
#define COM2_PORT 0x2f8

/*
 * iopermregset [ports]: GETREGSET / SETREGSET of NT_386_IOPERM (Linux ioperm_get: the
 * tracee's ioperm bitmap, a set bit denying its port; -ENXIO without one; no set: EOPNOTSUPP).
 * With "ports" the tracee first opens COM2's eight ports with ioperm (ringlab only: the host's
 * Linux has no ioperm) and the tracer reads them back.
 */
static int iopermregset(int ports)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0))
            _exit(90);
        if (ports && syscall(SYS_ioperm, COM2_PORT, 8, 1))
            _exit(91);
        raise(SIGSTOP);
        _exit(0);
    }
    int st = waitfor(pid);
    if (!WIFSTOPPED(st)) {
        printf("iopermregset: child status 0x%x\n", st);
        return 1;
    }
    static uint8_t bm[8192 + 64];
    memset(bm, 0x5a, sizeof bm);
    struct iovec iov = { bm, sizeof bm };
    long r = pt(PTRACE_GETREGSET, pid, NT_386_IOPERM_, (uintptr_t)&iov);
    printf("iopermregset get: %s len=%zu\n", r ? strerror(errno) : "ok", iov.iov_len);
    if (!r) {
        int open_bytes = 0, other = 0;
        for (size_t i = 0; i < iov.iov_len; i++) {
            if (i == COM2_PORT / 8)
                open_bytes += bm[i] == 0;
            else
                other += bm[i] != 0xff;
        }
        printf("iopermregset get: COM2's byte clear %d, every other byte 0xff %d, past it untouched %d\n",
               open_bytes, !other, bm[8192] == 0x5a);
    }
    iov = (struct iovec){ bm, 5 };
    printf("iopermregset get 5 bytes: %s\n", pt(PTRACE_GETREGSET, pid, NT_386_IOPERM_, (uintptr_t)&iov) ? strerror(errno) : "ok");
    iov = (struct iovec){ bm, 8 };
    printf("iopermregset set: %s\n", pt(PTRACE_SETREGSET, pid, NT_386_IOPERM_, (uintptr_t)&iov) ? strerror(errno) : "ok");
    pt(PTRACE_CONT, pid, 0, 0);
    waitfor(pid);
    return 0;
}

/* ---- stepcompat ---- */

extern char sc_start[], sc_end[];
__asm__(".pushsection .text\n"
        ".code64\n"
        "sc_start:\n"
        "    movl $20, %eax\n"                 /* i386 getpid by int $0x80 from 64-bit code */
        "    int $0x80\n"
        "    nop\n"
        "    pushq $0x23\n"                    /* lretq to compatibility mode */
        "    leaq sc_code32(%rip), %rax\n"
        "    pushq %rax\n"
        "    lretq\n"
        ".code32\n"
        "sc_code32:\n"
        "    nop\n"
        "    movl $20, %eax\n"
        "    int $0x80\n"
        "    movl $1, %ecx\n"                  /* no stack here: ESP is RSP's low half */
        "    ljmp $0x33, $sc_back64\n"        /* and back to 64-bit mode */
        ".code64\n"
        "sc_back64:\n"
        "    nop\n"
        "sc_end:\n"
        "    nop\n"
        "    ret\n"
        ".popsection\n");

static void sc_child(void)
{
    __asm__ volatile("call sc_start" ::: "rax", "rcx", "rdx", "r11", "memory");
}

/*
 * stepcompat: PTRACE_SINGLESTEP through int $0x80 from 64-bit code, an lretq into
 * compatibility mode, int $0x80 there, and an ljmp back to CS 0x33: one stop per
 * instruction, the trap right after each int $0x80 (Linux reports the step at the system
 * call's exit), CS as each instruction left it, TF never visible to the tracee.
 */
static int stepcompat(void)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0))
            _exit(90);
        raise(SIGSTOP);
        sc_child();
        _exit(0);
    }
    waitfor(pid);
    struct user_regs_struct r;
    memset(&r, 0, sizeof r);
    int n = 0;
    do {                                    /* out of raise() to the sequence */
        pt(PTRACE_SINGLESTEP, pid, 0, 0);
        waitfor(pid);
        pt(PTRACE_GETREGS, pid, 0, (uintptr_t)&r);
    } while (r.rip != (uintptr_t)sc_start && ++n < 100000);
    printf("stepcompat: reached the start: %s\n", r.rip == (uintptr_t)sc_start ? "yes" : "no");
    for (int i = 0; i < 16 && r.rip != (uintptr_t)sc_end; i++) {
        pt(PTRACE_SINGLESTEP, pid, 0, 0);
        int st = waitfor(pid);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        pt(PTRACE_GETREGS, pid, 0, (uintptr_t)&r);
        pt(PTRACE_GETSIGINFO, pid, 0, (uintptr_t)&si);
        printf("stepcompat %d: status 0x%x rip=start+%ld cs=0x%lx code=%d tf=%d\n", i, st,
               (long)(r.rip - (uintptr_t)sc_start), (unsigned long)r.cs, si.si_code, (int)!!(r.eflags & 0x100));
        if (!WIFSTOPPED(st))
            return 0;
    }
    /* Not run on: RSP's upper half after compatibility mode is the CPU's business (this AMD
       host's is 0 after those steps, so the `ret` at sc_end faults; QEMU keeps it). */
    pt(PTRACE_KILL, pid, 0, 0);
    waitfor(pid);
    return 0;
}

/* ---- procrace ---- */

#define PROCRACE_EXECS 12

/*
 * procrace: the files of /proc/PID read over and over - opened once and opened anew - while
 * PID execs itself PROCRACE_EXECS times (each image a little different: its argv) and ends,
 * then after it was reaped. Only the end is printed (what was read depends on timing); the
 * sanitizer kernel checks the reads on the way (a freed address space or file walked).
 */
static int procrace(const char *self)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char n[16];
        snprintf(n, sizeof n, "%d", PROCRACE_EXECS);
        execl(self, self, "procrace-child", n, (char *)NULL);
        _exit(127);
    }
    static const char *const names[] = { "maps", "mem", "stat", "status", "cmdline", "environ", "auxv", "comm" };
    enum { N = sizeof names / sizeof names[0] };
    int kept[N];
    char path[64], buf[4096];
    for (int i = 0; i < N; i++) {
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, names[i]);
        kept[i] = open(path, O_RDONLY);
    }
    int st = 0, rounds = 0;
    for (;;) {
        pid_t w = waitpid(pid, &st, WNOHANG);
        for (int i = 0; i < N; i++) {
            snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, names[i]);
            int fd = open(path, O_RDONLY);
            if (fd >= 0) {
                while (read(fd, buf, sizeof buf) > 0)
                    ;
                close(fd);
            }
            if (kept[i] >= 0) {
                pread(kept[i], buf, sizeof buf, 0);
                pread(kept[i], buf, sizeof buf, 0x400000);
            }
        }
        rounds++;
        if (w == pid)
            break;
        sched_yield();
    }
    for (int i = 0; i < N; i++)
        if (kept[i] >= 0)
            close(kept[i]);
    /* (how many rounds ran is timing's: a loaded host ran one where ringlab ran several) */
    printf("procrace: the child ended with %d after %s\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1,
           rounds >= 1 ? "reads in every round" : "no round");
    return 0;
}

static int procrace_child(const char *self, int left)
{
    if (left <= 0)
        return 7;
    char *m = mmap(NULL, 64 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    (void)m;
    char n[16];
    snprintf(n, sizeof n, "%d", left - 1);
    execl(self, self, "procrace-child", n, (char *)NULL);
    return 127;
}

/* ---- procmem ---- */

static const char *errname_or(long r, long ok)
{
    static char buf[8][48];
    static int next;
    char *b = buf[next++ % 8];
    if (r < 0)
        snprintf(b, 48, "%s", strerror(errno));
    else
        snprintf(b, 48, "%ld%s", r, r == ok ? "" : " (short)");
    return b;
}

/*
 * procmem: /proc/self/mem at addresses a file offset can name (Linux mem_lseek: any offset,
 * FMODE_UNSIGNED_OFFSET, returned as it is; pread's negative offset EINVAL): past the user
 * half, the canonical hole, the vsyscall page, the kernel's text, 2^63 - 1 and 2^64 - 1 are
 * EIO; a read running from a mapped page into an unmapped one stops at its end.
 */
static int procmem(void)
{
    int fd = open("/proc/self/mem", O_RDWR);
    if (fd < 0)
        return 1;
    static const unsigned long at[] = {
        0, 0x7ffffffff000UL, 0x800000000000UL, 0xffff800000000000UL, 0xffffffff81000000UL,
        0xffffffffff600000UL, 0x7fffffffffffffffUL, 0xfffffffffffff000UL, 0xffffffffffffffffUL,
    };
    char buf[16] = "";
    for (size_t i = 0; i < sizeof at / sizeof at[0]; i++) {
        long pos = syscall(SYS_lseek, fd, (long)at[i], SEEK_SET);
        long r = syscall(SYS_read, fd, buf, 8);
        long w = syscall(SYS_write, fd, buf, 1);
        long now = syscall(SYS_lseek, fd, 0L, SEEK_CUR);
        printf("procmem 0x%lx: lseek %s, read %s, write %s, offset after %s\n", at[i],
               (unsigned long)pos == at[i] ? "=" : "differs", errname_or(r, 8), errname_or(w, 1),
               (unsigned long)now == at[i] ? "=" : "moved");
    }
    printf("procmem SEEK_END: %s\n", errname_or(syscall(SYS_lseek, fd, 0L, SEEK_END), 0));
    printf("procmem SEEK_CUR -1 from 0: %s\n",
           (syscall(SYS_lseek, fd, 0L, SEEK_SET), syscall(SYS_lseek, fd, -1L, SEEK_CUR)) == -1 ? "-1" : "other");
    printf("procmem pread at -4096: %s\n", errname_or(syscall(SYS_pread64, fd, buf, 8, -4096L), 8));
    /* a page, then a hole */
    char *m = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(m + 4096, 4096);
    static char big[3 * 4096];
    printf("procmem read over a page's end: %s\n",
           errname_or(syscall(SYS_pread64, fd, big, sizeof big, (long)(uintptr_t)m + 4000), 96));
    printf("procmem write over a page's end: %s\n",
           errname_or(syscall(SYS_pwrite64, fd, big, sizeof big, (long)(uintptr_t)m + 4000), 96));
    printf("procmem read into a bad buffer: %s\n", errname_or(syscall(SYS_pread64, fd, (void *)8, 8, (long)(uintptr_t)m), 8));
    printf("procmem read into a kernel buffer: %s\n",
           errname_or(syscall(SYS_pread64, fd, (void *)0xffffffff81000000UL, 8, (long)(uintptr_t)m), 8));
    printf("procmem read into a PROT_READ buffer: %s\n",
           (mprotect(m, 4096, PROT_READ), errname_or(syscall(SYS_pread64, fd, m, 8, (long)(uintptr_t)big), 8)));
    close(fd);
    return 0;
}

/* ---- badiret ---- */

/*
 * badiret: a tracer sets a selector iretq cannot load (CS 0x2b, the data selector; SS 0x23,
 * code; CS 0x23 with EIP past 4 GiB): the return to ring 3 faults, SIGSEGV, whose delivery
 * stop the tracer sees; it suppresses the signal and leaves the registers as they are, so the
 * next return faults again: another SIGSEGV stop, every time (Linux: the bad-iret fixup after
 * each iretq). Then it lets the signal through: killed by SIGSEGV.
 */
static void badiret_one(const char *what, unsigned long cs, unsigned long ss, unsigned long rip)
{
    pid_t pid = marked_child();
    struct user_regs_struct r;
    pt(PTRACE_GETREGS, pid, 0, (uintptr_t)&r);
    if (cs)
        r.cs = cs;
    if (ss)
        r.ss = ss;
    if (rip)
        r.rip = rip;
    long set = pt(PTRACE_SETREGS, pid, 0, (uintptr_t)&r);
    printf("badiret %s: setregs %s\n", what, set ? strerror(errno) : "ok");
    int st = 0;
    for (int round = 0; round < 3; round++) {
        pt(PTRACE_CONT, pid, 0, 0);           /* the SIGSEGV suppressed (none the first time) */
        st = waitfor(pid);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (WIFSTOPPED(st))
            pt(PTRACE_GETSIGINFO, pid, 0, (uintptr_t)&si);
        printf("badiret %s: resumed, status 0x%x signo=%d code=%d\n", what, st, si.si_signo, si.si_code);
        if (!WIFSTOPPED(st))
            return;
    }
    pt(PTRACE_CONT, pid, 0, SIGSEGV);
    st = waitfor(pid);
    if (WIFSIGNALED(st))
        printf("badiret %s: killed by %d\n", what, WTERMSIG(st));
    else
        printf("badiret %s: status 0x%x\n", what, st);
}

static int badiret(void)
{
    badiret_one("cs=0x2b", 0x2b, 0, 0);
    badiret_one("ss=0x23", 0, USER32_CS, 0);
    badiret_one("cs=0x23 rip=0x100000000", USER32_CS, 0, 0x100000000UL);
    badiret_one("rip=0x800000000000", 0, 0, 0x800000000000UL);
    return 0;
}

/* ---- xstateregs ---- */

#define NT_PRFPREG_ 2
#define NT_X86_XSTATE_ 0x202
#define XSAVE_HDR 512              /* XSTATE_BV, XCOMP_BV, 48 reserved bytes */

static volatile int xs_ready;

/* The tracee: XMM0 and YMM0's upper half, MXCSR and x87 ST0 set to known values, then stopped. */
static void xs_child(void)
{
    static const uint8_t lo[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };
    static const uint8_t hi[32] = { [16] = 0xa1, [31] = 0xb2 };
    uint32_t mxcsr = 0x1f80 | 0x6000;       /* round toward zero */
    double st = 2.5;
    __asm__ volatile("vmovdqu %0, %%ymm0\n\tvinserti128 $0, %1, %%ymm0, %%ymm0\n\tldmxcsr %2\n\tfldl %3"
                     ::"m"(hi), "m"(lo), "m"(mxcsr), "m"(st) : "xmm0");
    raise(SIGSTOP);
    uint8_t back[32];
    uint32_t m;
    __asm__ volatile("vmovdqu %%ymm0, %0\n\tstmxcsr %1" : "=m"(back), "=m"(m));
    printf("  child: xmm0[0]=%u ymm0[16]=0x%x mxcsr=0x%x\n", back[0], back[16], m);
    fflush(stdout);
}

/*
 * xstateregs: PTRACE_GETREGSET / SETREGSET of NT_X86_XSTATE (Linux xstateregs_get/set: the
 * standard-format XSAVE area, XCR0 in bytes 464..471; a set
 * needs the whole area, EFAULT otherwise, and is refused (EINVAL) for XSTATE_BV outside
 * XCR0, a nonzero XCOMP_BV or reserved header byte, reserved MXCSR bits), and lengths of
 * NT_PRFPREG. The values set reach the tracee's registers.
 */
static int xstateregs(void)
{
    unsigned a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(0));
    unsigned size = b;                      /* the area for the XCR0 set */
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0xd), "c"(2));
    unsigned ymm_off = b;                   /* YMM_Hi128's offset */
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, 0, 0))
            _exit(90);
        xs_child();
        _exit(0);
    }
    waitfor(pid);
    static uint8_t buf[16384] __attribute__((aligned(64)));
    struct iovec iov = { buf, sizeof buf };
    long r = pt(PTRACE_GETREGSET, pid, NT_X86_XSTATE_, (uintptr_t)&iov);
    printf("xstateregs get: %s len=cpuid size %d\n", r ? strerror(errno) : "ok", iov.iov_len == size);
    /* bytes 464..511: XCR0, then zeros (asm/user.h USER_XSTATE_XCR0_WORD), not a signal
       frame's sw bytes */
    uint64_t sw[6], hdr[8], pad = 0;
    memcpy(sw, buf + 464, sizeof sw);
    memcpy(hdr, buf + XSAVE_HDR, sizeof hdr);
    for (int i = 416; i < 464; i++)
        pad |= buf[i];
    uint32_t xlo, xhi;
    __asm__ volatile("xgetbv" : "=a"(xlo), "=d"(xhi) : "c"(0));
    printf("xstateregs get: sw word 0 = xcr0 %d, the rest 0 %d, padding 0 %d\n",
           sw[0] == ((uint64_t)xhi << 32 | xlo), !(sw[1] | sw[2] | sw[3] | sw[4] | sw[5]), !pad);
    printf("xstateregs get: xmm0[0]=%u ymm0[16]=0x%x mxcsr=0x%x fcw=0x%x xcomp_bv=%lu reserved=%lu%lu\n",
           buf[160], buf[ymm_off], *(uint32_t *)(buf + 24), *(uint16_t *)buf, (unsigned long)hdr[1],
           (unsigned long)hdr[2], (unsigned long)hdr[7]);
    iov = (struct iovec){ buf, 5 };
    printf("xstateregs get 5 bytes: %s\n", pt(PTRACE_GETREGSET, pid, NT_X86_XSTATE_, (uintptr_t)&iov) ? strerror(errno) : "ok");
    iov = (struct iovec){ buf, 24 };
    r = pt(PTRACE_GETREGSET, pid, NT_X86_XSTATE_, (uintptr_t)&iov);
    printf("xstateregs get 24 bytes: %s len=%zu\n", r ? strerror(errno) : "ok", iov.iov_len);
    /* sets */
    static uint8_t good[16384] __attribute__((aligned(64)));
    iov = (struct iovec){ buf, sizeof buf };
    pt(PTRACE_GETREGSET, pid, NT_X86_XSTATE_, (uintptr_t)&iov);
    memcpy(good, buf, size);
    struct { const char *what; int field; uint64_t v; size_t len; } sets[] = {
        { "partial", 0, 0, 512 },
        { "XSTATE_BV outside XCR0", 1, 1UL << 9, 0 },
        { "XCOMP_BV", 2, 1UL << 63 | 7, 0 },
        { "reserved header byte", 3, 1, 0 },
        { "MXCSR reserved bit", 4, 0x1f80 | (1UL << 20), 0 },
        { "bad buffer", 5, 0, 0 },
    };
    for (size_t i = 0; i < sizeof sets / sizeof sets[0]; i++) {
        memcpy(buf, good, size);
        uint64_t *h = (uint64_t *)(buf + XSAVE_HDR);
        if (sets[i].field == 1)
            h[0] |= sets[i].v;
        else if (sets[i].field == 2)
            h[1] = sets[i].v;
        else if (sets[i].field == 3)
            h[5] = sets[i].v;
        else if (sets[i].field == 4)
            *(uint32_t *)(buf + 24) = (uint32_t)sets[i].v;
        iov = (struct iovec){ sets[i].field == 5 ? (void *)8 : buf, sets[i].len ? sets[i].len : size };
        r = pt(PTRACE_SETREGSET, pid, NT_X86_XSTATE_, (uintptr_t)&iov);
        printf("xstateregs set %s: %s\n", sets[i].what, r ? strerror(errno) : "ok");
    }
    /* a good one: XMM0 byte 0, YMM0 byte 16, MXCSR changed */
    memcpy(buf, good, size);
    buf[160] = 42;
    buf[ymm_off] = 0x55;
    *(uint32_t *)(buf + 24) = 0x1f80;
    iov = (struct iovec){ buf, sizeof buf };
    r = pt(PTRACE_SETREGSET, pid, NT_X86_XSTATE_, (uintptr_t)&iov);
    printf("xstateregs set: %s len=cpuid size %d\n", r ? strerror(errno) : "ok", iov.iov_len == size);
    /* NT_PRFPREG lengths: a set needs all 512 bytes */
    iov = (struct iovec){ buf, 8 };
    r = pt(PTRACE_GETREGSET, pid, NT_PRFPREG_, (uintptr_t)&iov);
    printf("prfpreg get 8: %s len=%zu fcw=0x%x\n", r ? strerror(errno) : "ok", iov.iov_len, *(uint16_t *)buf);
    iov = (struct iovec){ buf, 8 };
    printf("prfpreg set 8: %s\n", pt(PTRACE_SETREGSET, pid, NT_PRFPREG_, (uintptr_t)&iov) ? strerror(errno) : "ok");
    iov = (struct iovec){ buf, 0 };
    printf("prfpreg set 0: %s\n", pt(PTRACE_SETREGSET, pid, NT_PRFPREG_, (uintptr_t)&iov) ? strerror(errno) : "ok");
    pt(PTRACE_CONT, pid, 0, 0);
    int st = waitfor(pid);
    if (!WIFEXITED(st))
        printf("  child: status 0x%x\n", st);
    return 0;
}

/*
 * ldtpages: an LDT grown to its last entry (every page of its window), copied by fork, the
 * copy's entry changed, and dropped by an execve in another child: the pages of each table
 * go back when its address space goes (ldtpagesrounds N: tests/test_review_attacks.py counts
 * them round by round). Prints what modify_ldt reads back.
 */
static int ldtpages(const char *self)
{
    struct tls_desc u = { .entry_number = 8191, .limit = 0xfffff, .seg_32bit = 1, .limit_in_pages = 1 };
    long r = syscall(SYS_modify_ldt, 1, &u, sizeof u);
    static uint64_t table[8192];
    long n = syscall(SYS_modify_ldt, 0, table, sizeof table);
    printf("ldtpages: write entry 8191: %ld, read %ld bytes, entry 8191 set %d\n", r, n, table[8191] != 0);
    fflush(stdout);
    pid_t kid = fork();
    if (kid == 0) {
        u.entry_number = 4000;
        long w = syscall(SYS_modify_ldt, 1, &u, sizeof u);
        long m = syscall(SYS_modify_ldt, 0, table, sizeof table);
        printf("ldtpages: the fork's copy: write entry 4000 %ld, read %ld bytes, 8191 kept %d\n", w, m,
               table[8191] != 0);
        fflush(stdout);
        _exit(0);
    }
    waitpid(kid, NULL, 0);
    memset(table, 0, sizeof table);
    n = syscall(SYS_modify_ldt, 0, table, sizeof table);
    printf("ldtpages: the parent's: entry 4000 still empty %d\n", table[4000] == 0);
    fflush(stdout);
    kid = fork();
    if (kid == 0) {
        execl(self, self, "none", (char *)NULL);      /* a new address space: no LDT */
        _exit(127);
    }
    int st;
    waitpid(kid, &st, 0);
    printf("ldtpages: an exec'd child: status %d\n", WEXITSTATUS(st));
    return 0;
}

static int ldtpages_rounds(const char *self, int rounds)
{
    for (int round = 1; round <= rounds; round++) {
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            int r = ldtpages(self);
            fflush(stdout);
            _exit(r);
        }
        int st;
        waitpid(kid, &st, 0);
        printf("revcompat: round %d: status %d\n", round, st);
    }
    return 0;
}

/* vdsomemrounds N: vdsomem in a child, N rounds (tests/parity.py's page count after each):
   the [vdso] copies /proc/self/mem made go back when the process ends. */
static int vdsomem_rounds(int rounds)
{
    for (int round = 1; round <= rounds; round++) {
        fflush(stdout);
        pid_t kid = fork();
        if (kid == 0) {
            int r = vdsomem();
            fflush(stdout);
            _exit(r);
        }
        int st;
        waitpid(kid, &st, 0);
        printf("revcompat: round %d: status %d\n", round, st);
    }
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    const char *what = argc > 1 ? argv[1] : "";
    if (!strcmp(what, "restart"))
        return restart();
    if (!strcmp(what, "archprctl"))
        return archprctl();
    if (!strcmp(what, "sigreturncs"))
        return sigreturncs();
    if (!strcmp(what, "vdsomem"))
        return vdsomem();
    if (!strcmp(what, "ldtpagesrounds"))
        return ldtpages_rounds(argv[0], argc > 2 ? atoi(argv[2]) : 1);
    if (!strcmp(what, "none"))
        return 0;
    if (!strcmp(what, "vdsomemrounds"))
        return vdsomem_rounds(argc > 2 ? atoi(argv[2]) : 1);
    if (!strcmp(what, "tlsarea"))
        return tlsarea();
    if (!strcmp(what, "tlsempty"))
        return tlsempty();
    if (!strcmp(what, "iopermregset"))
        return iopermregset(argc > 2 && !strcmp(argv[2], "ports"));
    if (!strcmp(what, "stepcompat"))
        return stepcompat();
    if (!strcmp(what, "procrace"))
        return procrace(argv[0]);
    if (!strcmp(what, "procrace-child") && argc > 2)
        return procrace_child(argv[0], atoi(argv[2]));
    if (!strcmp(what, "procmem"))
        return procmem();
    if (!strcmp(what, "badiret"))
        return badiret();
    if (!strcmp(what, "xstateregs"))
        return xstateregs();
    printf("usage: revcompat restart|archprctl|sigreturncs|vdsomem|tlsarea|tlsempty|iopermregset|stepcompat|procrace|procmem|badiret|xstateregs\n");
    return 2;
}
