/*
 * vdsoprobe: the vDSO and the vsyscall page seen from a program, the same static binary on
 * the host's Linux and in ringlab (tests/test_vdso.py). Built with musl (vdsoprobe) and
 * with glibc (vdsoprobe-glibc). Prints facts, never addresses, so both systems print the
 * same lines. Modes (argv[1]):
 *
 *   clock     the vDSO from AT_SYSINFO_EHDR: its ELF header, its symbols (version
 *             LINUX_2.6), and every clock read - through the C library and through the
 *             vDSO's function itself - falling between two clock_gettime system calls made
 *             with syscall(2); clock_getres the same as the system call's; an unknown clock
 *             handed to the system call (-EINVAL); many reads never going backwards
 *   quiet     clock reads through the C library between two marker writes: with
 *             trace=syscall the kernel shows no system call between them
 *   vsyscall  gettimeofday, time and getcpu called at 0xffffffffff600000/0x400/0x800
 *   hostile   each attack in a child of its own, which reports the signal that ended it
 *   reexec    munmap the vDSO, then execve itself ("afterexec"): the new image has a vDSO again
 *   moves     ringlab's layout only ([vvar] one page below [vdso]): mremap both away and
 *             back, the clock working where they are; mprotect of the moved [vvar]
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define VSYSCALL 0xffffffffff600000UL      /* Linux's fixed vsyscall page */
#define KERNEL_PTR 0xffffffff80000000UL    /* an address in the kernel half */

typedef int (*cgt_fn)(clockid_t, struct timespec *);
typedef int (*gtod_fn)(struct timeval *, void *);
typedef time_t (*time_fn)(time_t *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

static uintptr_t vdso;        /* AT_SYSINFO_EHDR */
static uintptr_t vdso_size;   /* its mapping: the end of its PT_LOAD, in pages */

/* ---- finding a symbol in the vDSO (ELF gABI: dynamic section, DT_HASH, versions) ---- */

/* The address of NAME@VERSION in the vDSO image at `base`, or 0. */
static uintptr_t vdso_sym_at(uintptr_t base, const char *name, const char *version)
{
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(base + eh->e_phoff);
    const Elf64_Dyn *dyn = NULL;
    uintptr_t load = 0;
    int have_load = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !have_load) {
            load = base + ph[i].p_offset - ph[i].p_vaddr;
            have_load = 1;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
        }
    }
    if (!dyn || !have_load)
        return 0;
    const Elf64_Sym *syms = NULL;
    const char *strs = NULL;
    const Elf32_Word *hash = NULL;
    const Elf64_Half *versym = NULL;
    const Elf64_Verdef *verdef = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t p = load + dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB: syms = (const Elf64_Sym *)p; break;
        case DT_STRTAB: strs = (const char *)p; break;
        case DT_HASH: hash = (const Elf32_Word *)p; break;
        case DT_VERSYM: versym = (const Elf64_Half *)p; break;
        case DT_VERDEF: verdef = (const Elf64_Verdef *)p; break;
        }
    }
    if (!syms || !strs || !hash)
        return 0;
    for (Elf32_Word i = 0; i < hash[1]; i++) {            /* nchain: the number of symbols */
        if (strcmp(strs + syms[i].st_name, name) || syms[i].st_shndx == SHN_UNDEF)
            continue;
        if (!versym || !verdef)
            return 0;
        Elf64_Half want = versym[i] & 0x7fff;
        for (const Elf64_Verdef *d = verdef;; d = (const Elf64_Verdef *)((const char *)d + d->vd_next)) {
            const Elf64_Verdaux *aux = (const Elf64_Verdaux *)((const char *)d + d->vd_aux);
            if (d->vd_ndx == want && !(d->vd_flags & VER_FLG_BASE))
                return strcmp(strs + aux->vda_name, version) ? 0 : load + syms[i].st_value;
            if (!d->vd_next)
                break;
        }
        return 0;
    }
    return 0;
}

static uintptr_t vdso_sym(const char *name)
{
    return vdso_sym_at(vdso, name, "LINUX_2.6");
}

static void find_vdso(void)
{
    vdso = getauxval(AT_SYSINFO_EHDR);
    if (!vdso)
        return;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)vdso;
    const Elf64_Phdr *ph = (const Elf64_Phdr *)(vdso + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum; i++)
        if (ph[i].p_type == PT_LOAD) {
            uintptr_t end = ph[i].p_vaddr + ph[i].p_memsz;
            if (end > vdso_size)
                vdso_size = end;
        }
    vdso_size = (vdso_size + 4095) & ~4095UL;
}

/* ---- clock ---- */

static long long ns_of(const struct timespec *t)
{
    return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

static int sys_cgt(clockid_t c, struct timespec *t)
{
    return (int)syscall(SYS_clock_gettime, c, t);
}

/* A read that falls between two system calls: "yes", or what went wrong. */
static const char *between(clockid_t c, cgt_fn f)
{
    struct timespec a, v, b;
    if (sys_cgt(c, &a) || f(c, &v) || sys_cgt(c, &b))
        return "error";
    if (v.tv_nsec < 0 || v.tv_nsec >= 1000000000)
        return "bad-nsec";
    return ns_of(&a) <= ns_of(&v) && ns_of(&v) <= ns_of(&b) ? "yes" : "no";
}

static const char *between_tod(gtod_fn f)
{
    struct timespec a, b;
    struct timeval v;
    if (sys_cgt(CLOCK_REALTIME, &a) || f(&v, NULL) || sys_cgt(CLOCK_REALTIME, &b))
        return "error";
    long long us = (long long)v.tv_sec * 1000000 + v.tv_usec;
    return ns_of(&a) / 1000 <= us && us <= ns_of(&b) / 1000 ? "yes" : "no";
}

/* Linux's time() system call and vDSO give the coarse real-time clock's seconds (the last
   tick's), which may lag CLOCK_REALTIME's near a second's turn; musl's time() reads
   CLOCK_REALTIME. Either falls between CLOCK_REALTIME_COARSE before and CLOCK_REALTIME after
   (in ringlab every clock is the tick's). */
static const char *between_time(time_fn f)
{
    struct timespec a, b;
    time_t stored = 0;
    if (sys_cgt(CLOCK_REALTIME_COARSE, &a))
        return "error";
    time_t v = f(&stored);
    if (sys_cgt(CLOCK_REALTIME, &b))
        return "error";
    return a.tv_sec <= v && v <= b.tv_sec && stored == v ? "yes" : "no";
}

static int libc_gtod(struct timeval *tv, void *tz)
{
    return gettimeofday(tv, tz);
}

static time_t libc_time(time_t *t)
{
    return time(t);
}

static int mode_clock(void)
{
    static const char *const names[] = {
        "__vdso_clock_gettime", "__vdso_gettimeofday", "__vdso_time", "__vdso_getcpu",
        "__vdso_clock_getres", "clock_gettime", "gettimeofday", "time", "getcpu", "clock_getres",
    };
    static const struct { clockid_t id; const char *name; } clocks[] = {
        { CLOCK_REALTIME, "REALTIME" }, { CLOCK_MONOTONIC, "MONOTONIC" },
        { CLOCK_MONOTONIC_RAW, "MONOTONIC_RAW" }, { CLOCK_REALTIME_COARSE, "REALTIME_COARSE" },
        { CLOCK_MONOTONIC_COARSE, "MONOTONIC_COARSE" }, { CLOCK_BOOTTIME, "BOOTTIME" },
    };
    printf("clock: AT_SYSINFO_EHDR %s\n", vdso ? "present" : "absent");
    if (!vdso)
        return 1;
    const Elf64_Ehdr *eh = (const Elf64_Ehdr *)vdso;
    printf("clock: ELF magic %s, type %s, machine %s\n", memcmp(eh->e_ident, ELFMAG, SELFMAG) ? "bad" : "ok",
           eh->e_type == ET_DYN ? "ET_DYN" : "other", eh->e_machine == EM_X86_64 ? "x86-64" : "other");
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        printf("clock: %s@LINUX_2.6 %s\n", names[i], vdso_sym(names[i]) ? "found" : "missing");
    cgt_fn cgt = (cgt_fn)vdso_sym("__vdso_clock_gettime");
    cgt_fn getres = (cgt_fn)vdso_sym("__vdso_clock_getres");
    for (size_t i = 0; i < sizeof clocks / sizeof clocks[0]; i++) {
        struct timespec r1 = { -1, -1 }, r2 = { -2, -2 };
        clock_getres(clocks[i].id, &r1);
        syscall(SYS_clock_getres, clocks[i].id, &r2);
        printf("clock: %s libc between syscalls %s, vDSO between syscalls %s, getres as the syscall's %s\n",
               clocks[i].name, between(clocks[i].id, clock_gettime), between(clocks[i].id, cgt),
               ns_of(&r1) == ns_of(&r2) && (!getres || (getres(clocks[i].id, &r1), ns_of(&r1) == ns_of(&r2)))
                   ? "yes" : "no");
    }
    printf("clock: gettimeofday libc %s, vDSO %s\n", between_tod(libc_gtod),
           between_tod((gtod_fn)vdso_sym("__vdso_gettimeofday")));
    printf("clock: time libc %s, vDSO %s\n", between_time(libc_time),
           between_time((time_fn)vdso_sym("__vdso_time")));
    struct timezone tz = { -1, -1 };
    struct timeval tv;
    int r = ((gtod_fn)vdso_sym("__vdso_gettimeofday"))(&tv, &tz);
    printf("clock: vDSO gettimeofday with a timezone: %d, minuteswest %d, dsttime %d\n", r, tz.tz_minuteswest,
           tz.tz_dsttime);
    unsigned cpu = 99999, node = 99999;
    long g = ((getcpu_fn)vdso_sym("__vdso_getcpu"))(&cpu, &node, NULL);
    printf("clock: vDSO getcpu: %ld, cpu in range %s, node in range %s\n", g, cpu < 4096 ? "yes" : "no",
           node < 1024 ? "yes" : "no");
    /* A clock the vDSO does not keep goes to the system call: its error, returned as -errno. */
    struct timespec t;
    printf("clock: vDSO clock_gettime(12345): %d\n", cgt(12345, &t));
    printf("clock: vDSO clock_getres(12345): %d\n", getres(12345, &t));
    /* Many reads across many clock updates: never backwards, and the clock moves. */
    struct timespec first, last, now;
    cgt(CLOCK_MONOTONIC, &first);
    last = first;
    long reads = 0, back = 0;
    while (ns_of(&last) - ns_of(&first) < 50000000LL && reads < 200000000L) {   /* 50 ms */
        cgt(CLOCK_MONOTONIC, &now);
        if (ns_of(&now) < ns_of(&last))
            back++;
        last = now;
        reads++;
    }
    printf("clock: monotonic over 50 ms of reads: backwards %ld, moved %s\n", back,
           ns_of(&last) - ns_of(&first) >= 50000000LL ? "yes" : "no");
    return 0;
}

static int mode_quiet(void)
{
    static const char begin[] = "quiet: begin\n", end[] = "quiet: end\n";
    struct timespec t;
    struct timeval tv;
    long sum = 0;
    write(1, begin, sizeof begin - 1);
    for (int i = 0; i < 100; i++) {
        clock_gettime(CLOCK_REALTIME, &t);
        sum += t.tv_nsec & 1;
        clock_gettime(CLOCK_MONOTONIC, &t);
        sum += t.tv_nsec & 1;
        gettimeofday(&tv, NULL);
        sum += tv.tv_usec & 1;
        sum += time(NULL) & 1;
    }
    write(1, end, sizeof end - 1);
    printf("quiet: %s\n", sum >= 0 ? "done" : "?");
    return 0;
}

/* ---- the vsyscall page ---- */

static int mode_vsyscall(void)
{
    gtod_fn gtod = (gtod_fn)(VSYSCALL + 0x000);
    time_fn vtime = (time_fn)(VSYSCALL + 0x400);
    getcpu_fn vgetcpu = (getcpu_fn)(VSYSCALL + 0x800);
    printf("vsyscall: gettimeofday between syscalls %s\n", between_tod(gtod));
    printf("vsyscall: time between syscalls %s\n", between_time(vtime));
    struct timeval tv;
    printf("vsyscall: gettimeofday(tv, NULL) returns %d\n", gtod(&tv, NULL));
    printf("vsyscall: gettimeofday(NULL, NULL) returns %d\n", gtod(NULL, NULL));
    printf("vsyscall: time(NULL) is a time %s\n", vtime(NULL) > 1000000000 ? "yes" : "no");
    unsigned cpu = 99999, node = 99999;
    long g = vgetcpu(&cpu, &node, NULL);
    printf("vsyscall: getcpu returns %ld, cpu in range %s, node in range %s\n", g, cpu < 4096 ? "yes" : "no",
           node < 1024 ? "yes" : "no");
    printf("vsyscall: getcpu(NULL, NULL) returns %ld\n", vgetcpu(NULL, NULL, NULL));
    return 0;
}

/* ---- attacks, each in a child ---- */

static uintptr_t expect_addr;            /* an address the signal may name: printed by name */
static const char *expect_name = "";

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char buf[160];
    const char *where = (uintptr_t)si->si_addr == expect_addr ? expect_name : "other";
    if (!si->si_addr)
        where = "0";
    int n = snprintf(buf, sizeof buf, "  -> signal %d code %d addr %s\n", sig, si->si_code, where);
    write(1, buf, (size_t)n);
    _exit(0);
}

static char altstack[65536];

/* Jump (not call) to `target` with RSP = `rsp`: what a call leaves, with any stack. */
static void jump_with_stack(uintptr_t target, uintptr_t rsp)
{
    __asm__ volatile("mov %1, %%rsp\n\tjmp *%0" ::"r"(target), "r"(rsp) : "memory");
}

static void call_at(uintptr_t target)
{
    ((void (*)(void))target)();
}

enum attack {
    A_MISALIGNED, A_OFFSET_100, A_NEXT_PAGE, A_READ, A_WRITE, A_STACK_LOW, A_STACK_KERNEL,
    A_STACK_NONCANON, A_GTOD_KPTR, A_GTOD_BADPTR, A_TIME_KPTR, A_GETCPU_BADPTR,
    A_VDSO_WRITE, A_VDSO_MUNMAP_CALL, A_VDSO_MPROTECT_PRIVATE, A_VDSO_MREMAP,
};

static const char *const attack_names[] = {
    "call vsyscall+0x001", "call vsyscall+0x100", "call vsyscall+0x1000 (the next page)",
    "read the vsyscall page", "write the vsyscall page", "vsyscall with RSP at 0x1000",
    "vsyscall with RSP in the kernel half", "vsyscall with a non-canonical RSP",
    "vsyscall gettimeofday(kernel pointer)", "vsyscall gettimeofday(unmapped pointer)",
    "vsyscall time(kernel pointer)", "vsyscall getcpu(unmapped pointer)",
    "write the vDSO", "munmap the vDSO, then call it", "mprotect the vDSO writable and write it",
    "mremap the vDSO",
};

static void attack(enum attack a)
{
    struct timespec t;
    switch (a) {
    case A_MISALIGNED: call_at(VSYSCALL + 1); break;
    case A_OFFSET_100: call_at(VSYSCALL + 0x100); break;
    case A_NEXT_PAGE:
        expect_addr = VSYSCALL + 0x1000, expect_name = "vsyscall+0x1000";
        call_at(VSYSCALL + 0x1000);
        break;
    case A_READ:
        expect_addr = VSYSCALL, expect_name = "vsyscall";
        printf("%d\n", *(volatile int *)VSYSCALL);
        break;
    case A_WRITE:
        expect_addr = VSYSCALL, expect_name = "vsyscall";
        *(volatile int *)VSYSCALL = 1;
        break;
    case A_STACK_LOW: jump_with_stack(VSYSCALL, 0x1000); break;
    case A_STACK_KERNEL: jump_with_stack(VSYSCALL, KERNEL_PTR + 0x1000); break;
    case A_STACK_NONCANON: jump_with_stack(VSYSCALL, 0x0000800000000000UL); break;
    case A_GTOD_KPTR:
        expect_addr = KERNEL_PTR, expect_name = "the pointer";
        ((gtod_fn)VSYSCALL)((struct timeval *)KERNEL_PTR, NULL);
        break;
    case A_GTOD_BADPTR: ((gtod_fn)VSYSCALL)((struct timeval *)0x1000, NULL); break;
    case A_TIME_KPTR:
        expect_addr = KERNEL_PTR, expect_name = "the pointer";
        ((time_fn)(VSYSCALL + 0x400))((time_t *)KERNEL_PTR);
        break;
    case A_GETCPU_BADPTR: ((getcpu_fn)(VSYSCALL + 0x800))((unsigned *)8, NULL, NULL); break;
    case A_VDSO_WRITE:
        expect_addr = vdso, expect_name = "the vDSO";
        *(volatile char *)vdso = 0;
        break;
    case A_VDSO_MUNMAP_CALL: {
        cgt_fn cgt = (cgt_fn)vdso_sym("__vdso_clock_gettime");
        printf("  munmap: %d\n", munmap((void *)vdso, vdso_size));
        printf("  munmap again: %d\n", munmap((void *)vdso, vdso_size));
        fflush(stdout);
        expect_addr = (uintptr_t)cgt, expect_name = "__vdso_clock_gettime";
        cgt(CLOCK_MONOTONIC, &t);
        break;
    }
    case A_VDSO_MPROTECT_PRIVATE: {
        int r = mprotect((void *)vdso, vdso_size, PROT_READ | PROT_WRITE | PROT_EXEC);
        printf("  mprotect rwx: %d\n", r);
        ((volatile char *)vdso)[EI_PAD + 2] = 'X';          /* a byte the ELF header leaves unused */
        pid_t pid = fork();
        if (pid == 0) {
            printf("  a child sees the write: %s\n", ((volatile char *)vdso)[EI_PAD + 2] == 'X' ? "yes" : "no");
            _exit(0);
        }
        waitpid(pid, NULL, 0);
        cgt_fn cgt = (cgt_fn)vdso_sym("__vdso_clock_gettime");
        printf("  the clock still works: %s\n", between(CLOCK_MONOTONIC, cgt));
        _exit(0);
    }
    case A_VDSO_MREMAP: {
        errno = 0;
        void *r = mremap((void *)vdso, vdso_size, vdso_size + 4096, 0);
        printf("  grow in place: %s errno %d\n", r == MAP_FAILED ? "failed" : "moved", errno);
        errno = 0;
        r = mremap((void *)vdso, vdso_size, vdso_size + 4096, MREMAP_MAYMOVE);
        printf("  grow, may move: %s errno %d\n", r == MAP_FAILED ? "failed" : "moved", errno);
        errno = 0;
        r = mremap((void *)vdso, vdso_size, vdso_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)0);
        printf("  to page 0: %s errno %d\n", r == MAP_FAILED ? "failed" : "moved", errno);
        errno = 0;
        r = mremap((void *)vdso, vdso_size, vdso_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)KERNEL_PTR);
        printf("  over the kernel: %s errno %d\n", r == MAP_FAILED ? "failed" : "moved", errno);
        errno = 0;
        r = mremap((void *)vdso, vdso_size, vdso_size, MREMAP_MAYMOVE);
        printf("  same size, may move: %s\n", r == (void *)vdso ? "stays" : "moved");
        _exit(0);
    }
    }
    printf("  -> no signal\n");
    _exit(0);
}

static int mode_hostile(void)
{
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof altstack };
    sigaltstack(&ss, NULL);
    struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_ONSTACK };
    sigaction(SIGSEGV, &sa, NULL);
    for (int a = A_MISALIGNED; a <= A_VDSO_MREMAP; a++) {
        printf("hostile: %s\n", attack_names[a]);
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0)
            attack((enum attack)a);
        int status;
        waitpid(pid, &status, 0);
        if (!WIFEXITED(status) || WEXITSTATUS(status))
            printf("  -> child status 0x%x\n", status);
    }
    /* The parent's vDSO is untouched by its children's writes and unmaps. */
    printf("hostile: the parent's vDSO header byte %s, its clock %s\n",
           ((volatile char *)vdso)[EI_PAD + 2] == 0 ? "unchanged" : "changed",
           between(CLOCK_MONOTONIC, (cgt_fn)vdso_sym("__vdso_clock_gettime")));
    return 0;
}

/* ---- ringlab's layout: [vvar] is the page below [vdso] ---- */

static int mode_moves(void)
{
    uintptr_t vvar = vdso - 4096, len = vdso_size + 4096;
    char *area = mmap(NULL, len + 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    uintptr_t to = (uintptr_t)area + 4096;
    void *a = mremap((void *)vvar, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)to);
    void *b = mremap((void *)vdso, vdso_size, vdso_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(to + 4096));
    printf("moves: [vvar] moved %s, [vdso] moved %s\n", a == (void *)to ? "yes" : "no",
           b == (void *)(to + 4096) ? "yes" : "no");
    cgt_fn moved = (cgt_fn)vdso_sym_at(to + 4096, "__vdso_clock_gettime", "LINUX_2.6");
    printf("moves: the moved vDSO's clock between syscalls %s\n", between(CLOCK_REALTIME, moved));
    errno = 0;
    int r = mprotect((void *)to, 4096, PROT_READ | PROT_WRITE);
    printf("moves: mprotect(moved [vvar], write) %d errno %d\n", r, errno);
    errno = 0;
    r = mprotect((void *)vvar, 4096, PROT_READ);
    printf("moves: mprotect(old [vvar], read) %d errno %d\n", r, errno);
    pid_t pid = fork();
    if (pid == 0) {
        printf("moves: in a child the moved clock between syscalls %s\n", between(CLOCK_MONOTONIC, moved));
        errno = 0;
        r = mprotect((void *)to, 4096, PROT_EXEC);
        printf("moves: in a child mprotect(moved [vvar], exec) %d errno %d\n", r, errno);
        _exit(0);
    }
    waitpid(pid, NULL, 0);
    a = mremap((void *)to, 4096, 4096, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)vvar);
    b = mremap((void *)(to + 4096), vdso_size, vdso_size, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)vdso);
    printf("moves: back %s, the C library's clock between syscalls %s\n",
           a == (void *)vvar && b == (void *)vdso ? "yes" : "no", between(CLOCK_MONOTONIC, clock_gettime));
    /* A MAP_FIXED over [vvar] replaces it: then it is ordinary memory, writable. */
    void *over = mmap((void *)vvar, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    errno = 0;
    r = mprotect((void *)vvar, 4096, PROT_READ | PROT_WRITE);
    printf("moves: MAP_FIXED over [vvar] %s, then mprotect write %d errno %d\n", over == (void *)vvar ? "yes" : "no",
           r, errno);
    return 0;
}

/* exec replaces the address space: a program that unmapped its vDSO gets a new one. */
static int mode_reexec(const char *self)
{
    printf("reexec: munmap the vDSO: %d\n", munmap((void *)vdso, vdso_size));
    char *const args[] = { (char *)self, "afterexec", NULL };
    execv(self, args);
    perror("reexec: execv");
    return 1;
}

static int mode_afterexec(void)
{
    printf("afterexec: AT_SYSINFO_EHDR %s, the C library's clock between syscalls %s, the vDSO's %s\n",
           vdso ? "present" : "absent", between(CLOCK_MONOTONIC, clock_gettime),
           vdso ? between(CLOCK_MONOTONIC, (cgt_fn)vdso_sym("__vdso_clock_gettime")) : "none");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    find_vdso();
    const char *mode = argc > 1 ? argv[1] : "clock";
    if (!strcmp(mode, "reexec"))
        return mode_reexec(argv[0]);
    if (!strcmp(mode, "afterexec"))
        return mode_afterexec();
    if (!strcmp(mode, "clock"))
        return mode_clock();
    if (!strcmp(mode, "quiet"))
        return mode_quiet();
    if (!strcmp(mode, "vsyscall"))
        return mode_vsyscall();
    if (!strcmp(mode, "hostile"))
        return mode_hostile();
    if (!strcmp(mode, "moves"))
        return mode_moves();
    fprintf(stderr, "vdsoprobe: unknown mode %s\n", mode);
    return 2;
}
