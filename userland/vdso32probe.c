/*
 * vdso32probe: the 32-bit vDSO from an i386 process (gcc -m32 -static, glibc: built as
 * images/user/vdso32probe-m32), the same binary on the host's Linux and in ringlab
 * (tests/test_vdso.py). Prints facts, never addresses:
 *
 *   - AT_SYSINFO and AT_SYSINFO_EHDR, an ELF32 i386 ET_DYN image whose __kernel_vsyscall,
 *     __kernel_sigreturn and __kernel_rt_sigreturn carry version LINUX_2.5, AT_SYSINFO being
 *     __kernel_vsyscall; the sigreturns' bytes those of Linux's (unwinders look for them);
 *   - system calls through __kernel_vsyscall: getpid as int $0x80 gives it, a write, mmap2
 *     with six arguments, EBX ESI EDI EBP kept;
 *   - a compatibility-mode `syscall` (AMD CPUs: the host's and QEMU's TCG models) returning
 *     through the vDSO's landing pad, which pops the three words __kernel_vsyscall pushes;
 *   - the clock functions (LINUX_2.6): __vdso_clock_gettime64, __vdso_clock_gettime (32-bit
 *     timespec), __vdso_gettimeofday, __vdso_time and the C library's clock_gettime all
 *     between two clock_gettime64 system calls; an unknown clock is the system call's -EINVAL;
 *   - a call to 0xff600000 (where a 64-bit process has its vsyscall page, the top of its
 *     address space): an ordinary unmapped address here, SIGSEGV.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#ifdef __i386__
#define NR_write   4        /* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define NR_getpid  20
#define NR_mmap2   192
#define NR_clock_gettime64 403

static uintptr_t sym32(uintptr_t base, const char *name, const char *version)
{
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)base;
    const Elf32_Phdr *ph = (const Elf32_Phdr *)(base + eh->e_phoff);
    const Elf32_Dyn *dyn = NULL;
    uintptr_t load = 0;
    int have_load = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_LOAD && !have_load) {
            load = base + ph[i].p_offset - ph[i].p_vaddr;
            have_load = 1;
        } else if (ph[i].p_type == PT_DYNAMIC) {
            dyn = (const Elf32_Dyn *)(base + ph[i].p_offset);
        }
    }
    if (!dyn || !have_load)
        return 0;
    const Elf32_Sym *syms = NULL;
    const char *strs = NULL;
    const Elf32_Word *hash = NULL;
    const Elf32_Half *versym = NULL;
    const Elf32_Verdef *verdef = NULL;
    for (; dyn->d_tag != DT_NULL; dyn++) {
        uintptr_t p = load + dyn->d_un.d_ptr;
        switch (dyn->d_tag) {
        case DT_SYMTAB: syms = (const Elf32_Sym *)p; break;
        case DT_STRTAB: strs = (const char *)p; break;
        case DT_HASH: hash = (const Elf32_Word *)p; break;
        case DT_VERSYM: versym = (const Elf32_Half *)p; break;
        case DT_VERDEF: verdef = (const Elf32_Verdef *)p; break;
        }
    }
    if (!syms || !strs || !hash || !versym || !verdef)
        return 0;
    for (Elf32_Word i = 0; i < hash[1]; i++) {
        if (strcmp(strs + syms[i].st_name, name) || syms[i].st_shndx == SHN_UNDEF)
            continue;
        for (const Elf32_Verdef *d = verdef;; d = (const Elf32_Verdef *)((const char *)d + d->vd_next)) {
            const Elf32_Verdaux *aux = (const Elf32_Verdaux *)((const char *)d + d->vd_aux);
            if (d->vd_ndx == (versym[i] & 0x7fff) && !(d->vd_flags & VER_FLG_BASE))
                return strcmp(strs + aux->vda_name, version) ? 0 : load + syms[i].st_value;
            if (!d->vd_next)
                return 0;
        }
    }
    return 0;
}

/* A system call through __kernel_vsyscall with six arguments; the callee-saved registers
   checked: *kept = 1 if EBX, ESI, EDI and EBP came back as they went in. */
static long vcall(uintptr_t fn, long nr, long a, long b, long c, long d, long e, long f, int *kept)
{
    long regs[9] = { nr, a, b, c, d, e, f, (long)fn, 0 };
    long *p = regs;
    __asm__ volatile(
        "pushl %%ebp\n\t"
        "pushl %%ebx\n\t"
        "pushl %%esi\n\t"
        "pushl %%edi\n\t"
        "pushl %%ecx\n\t"                 /* regs, for after the call */
        "movl 4(%%ecx), %%ebx\n\t"
        "movl 12(%%ecx), %%edx\n\t"
        "movl 16(%%ecx), %%esi\n\t"
        "movl 20(%%ecx), %%edi\n\t"
        "movl 24(%%ecx), %%ebp\n\t"
        "movl 0(%%ecx), %%eax\n\t"
        "pushl 28(%%ecx)\n\t"             /* fn */
        "movl 8(%%ecx), %%ecx\n\t"
        "call *(%%esp)\n\t"
        "addl $4, %%esp\n\t"
        "xchgl %%eax, (%%esp)\n\t"        /* eax = regs, the result on the stack */
        "xorl 4(%%eax), %%ebx\n\t"
        "xorl 16(%%eax), %%esi\n\t"
        "xorl 20(%%eax), %%edi\n\t"
        "xorl 24(%%eax), %%ebp\n\t"
        "orl %%esi, %%ebx\n\t"
        "orl %%edi, %%ebx\n\t"
        "orl %%ebp, %%ebx\n\t"
        "movl %%ebx, 32(%%eax)\n\t"       /* 0: all four kept */
        "popl %%eax\n\t"                  /* the result */
        "popl %%edi\n\t"
        "popl %%esi\n\t"
        "popl %%ebx\n\t"
        "popl %%ebp\n\t"
        : "+c"(p), "=a"(regs[0])
        :
        : "edx", "memory");
    *kept = regs[8] == 0;
    return regs[0];
}

struct ts64 { long long sec; long long nsec; };   /* i386 __kernel_timespec */

static int sys_cgt64(int clk, struct ts64 *t)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(NR_clock_gettime64), "b"(clk), "c"(t) : "memory");
    return (int)r;
}

static long long ns64(const struct ts64 *t)
{
    return t->sec * 1000000000LL + t->nsec;
}

typedef int (*cgt64_fn)(int, struct ts64 *);
typedef int (*cgt32_fn)(int, struct timespec *);
typedef int (*gtod32_fn)(struct timeval *, void *);
typedef long (*time32_fn)(long *);

/* The i386 vDSO's clock functions (LINUX_2.6) and the C library's clock_gettime, each read
   between two clock_gettime64 system calls made with int $0x80. */
static void clocks(uintptr_t ehdr)
{
    static const char *const names[] = { "__vdso_clock_gettime", "__vdso_clock_gettime64", "__vdso_gettimeofday",
                                         "__vdso_time", "__vdso_clock_getres" };
    uintptr_t f[5];
    for (int i = 0; i < 5; i++) {
        f[i] = sym32(ehdr, names[i], "LINUX_2.6");
        printf("vdso32: %s@LINUX_2.6 %s\n", names[i], f[i] ? "found" : "missing");
        if (!f[i])
            return;
    }
    static const int ids[] = { CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME, CLOCK_REALTIME_COARSE };
    for (int i = 0; i < 4; i++) {
        struct ts64 a, b, v64;
        struct timespec v32, vl;
        sys_cgt64(ids[i], &a);
        int r1 = ((cgt64_fn)f[1])(ids[i], &v64);
        int r2 = ((cgt32_fn)f[0])(ids[i], &v32);
        int r3 = clock_gettime(ids[i], &vl);
        sys_cgt64(ids[i], &b);
        long long n32 = (long long)v32.tv_sec * 1000000000LL + v32.tv_nsec;
        long long nl = (long long)vl.tv_sec * 1000000000LL + vl.tv_nsec;
        int ok = !r1 && !r2 && !r3 && ns64(&a) <= ns64(&v64) && ns64(&v64) <= n32 && n32 <= nl && nl <= ns64(&b);
        printf("vdso32: clock %d through the vDSO (64- and 32-bit) and the C library between syscalls %s\n", ids[i],
               ok ? "yes" : "no");
    }
    struct ts64 a, b;
    struct timeval tv;
    sys_cgt64(CLOCK_REALTIME, &a);
    int r = ((gtod32_fn)f[2])(&tv, NULL);
    sys_cgt64(CLOCK_REALTIME, &b);
    long long us = (long long)tv.tv_sec * 1000000 + tv.tv_usec;
    printf("vdso32: gettimeofday between syscalls %s\n", !r && ns64(&a) / 1000 <= us && us <= ns64(&b) / 1000 ? "yes" : "no");
    sys_cgt64(CLOCK_REALTIME_COARSE, &a);          /* time(): the coarse seconds on Linux (vdsoprobe.c) */
    long stored = 0, t = ((time32_fn)f[3])(&stored);
    sys_cgt64(CLOCK_REALTIME, &b);
    printf("vdso32: time between syscalls %s\n", a.sec <= t && t <= b.sec && stored == t ? "yes" : "no");
    struct ts64 bad;
    printf("vdso32: clock_gettime64(12345) through the vDSO: %d\n", ((cgt64_fn)f[1])(12345, &bad));
}

static long int80_getpid(void)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(NR_getpid) : "memory");
    return r;
}

/* getpid through a compatibility-mode `syscall`, the stack laid out as __kernel_vsyscall lays
   it (ECX, EDX, EBP pushed, EBP = ECX): the kernel returns to the vDSO's landing pad, which
   pops them and returns to label 1. */
static long compat_syscall_getpid(void)
{
    long r;
    __asm__ volatile(
        "pushl %%ebp\n\t"
        "pushl $1f\n\t"
        "pushl %%ecx\n\t"
        "pushl %%edx\n\t"
        "pushl %%ebp\n\t"
        "movl %%ecx, %%ebp\n\t"
        "syscall\n\t"
        "ud2\n"                           /* never: the return is the landing pad's */
        "1:\n\t"
        "popl %%ebp\n\t"
        : "=a"(r)
        : "a"(NR_getpid)
        : "ecx", "edx", "memory");
    return r;
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    uintptr_t sysinfo = getauxval(AT_SYSINFO), ehdr = getauxval(AT_SYSINFO_EHDR);
    printf("vdso32: AT_SYSINFO %s, AT_SYSINFO_EHDR %s\n", sysinfo ? "present" : "absent",
           ehdr ? "present" : "absent");
    if (!sysinfo || !ehdr)
        return 1;
    const Elf32_Ehdr *eh = (const Elf32_Ehdr *)ehdr;
    printf("vdso32: ELF magic %s, class %s, type %s, machine %s\n", memcmp(eh->e_ident, ELFMAG, SELFMAG) ? "bad" : "ok",
           eh->e_ident[EI_CLASS] == ELFCLASS32 ? "ELF32" : "other", eh->e_type == ET_DYN ? "ET_DYN" : "other",
           eh->e_machine == EM_386 ? "i386" : "other");
    uintptr_t vsys = sym32(ehdr, "__kernel_vsyscall", "LINUX_2.5");
    uintptr_t sig = sym32(ehdr, "__kernel_sigreturn", "LINUX_2.5");
    uintptr_t rtsig = sym32(ehdr, "__kernel_rt_sigreturn", "LINUX_2.5");
    printf("vdso32: __kernel_vsyscall %s, __kernel_sigreturn %s, __kernel_rt_sigreturn %s (LINUX_2.5)\n",
           vsys ? "found" : "missing", sig ? "found" : "missing", rtsig ? "found" : "missing");
    printf("vdso32: AT_SYSINFO is __kernel_vsyscall: %s\n", sysinfo == vsys ? "yes" : "no");
    static const unsigned char sig_bytes[] = { 0x58, 0xb8, 0x77, 0, 0, 0, 0xcd, 0x80 };
    static const unsigned char rt_bytes[] = { 0xb8, 0xad, 0, 0, 0, 0xcd, 0x80 };
    printf("vdso32: sigreturn bytes as Linux's %s, rt_sigreturn bytes as Linux's %s\n",
           sig && !memcmp((void *)sig, sig_bytes, sizeof sig_bytes) ? "yes" : "no",
           rtsig && !memcmp((void *)rtsig, rt_bytes, sizeof rt_bytes) ? "yes" : "no");

    int kept;
    long pid = vcall(sysinfo, NR_getpid, 1, 2, 3, 4, 5, 6, &kept);
    printf("vdso32: getpid through __kernel_vsyscall as through int $0x80: %s, registers kept %s\n",
           pid == int80_getpid() ? "yes" : "no", kept ? "yes" : "no");
    static const char msg[] = "vdso32: a write through __kernel_vsyscall\n";
    long w = vcall(sysinfo, NR_write, 1, (long)msg, sizeof msg - 1, 0, 0, 0, &kept);
    printf("vdso32: the write returned %s\n", w == (long)sizeof msg - 1 ? "its length" : "something else");
    long m = vcall(sysinfo, NR_mmap2, 0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0, &kept);
    int usable = (unsigned long)m < 0xfffff000ul && m % 4096 == 0;   /* not -errno: addresses above 2 GiB are negative */
    if (usable)
        ((volatile char *)m)[8191] = 1;
    printf("vdso32: mmap2 with six arguments through it: %s, registers kept %s\n", usable ? "a mapping" : "failed",
           kept ? "yes" : "no");
    printf("vdso32: compat syscall returns through the landing pad: %s\n",
           compat_syscall_getpid() == int80_getpid() ? "yes" : "no");

    clocks(ehdr);

    printf("vdso32: call 0xff600000\n");
    pid_t child = fork();
    if (child == 0) {
        ((void (*)(void))0xff600000u)();
        printf("  -> no signal\n");
        _exit(0);
    }
    /* The signal only, no handler (i386 handlers are another piece of work): Linux grows a
       32-bit stack down to a fault below it (SEGV_ACCERR there: no exec right), ringlab's
       stack is fixed (SEGV_MAPERR); both end the child with SIGSEGV. */
    int status;
    waitpid(child, &status, 0);
    printf("  -> %s %d\n", WIFSIGNALED(status) ? "killed by signal" : "exited", WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return 0;
}
#else
/* The userland Makefile builds every program for x86-64 too: this one means nothing there. */
int main(void)
{
    fputs("vdso32probe: an i386 program: run images/user/vdso32probe-m32\n", stderr);
    return 2;
}
#endif
