/*
 * compat [all | NAME...]: the roads between 64-bit code, compatibility mode (Linux's 32-bit
 * user code selector 0x23) and the kernel, each tried in a child of its own.
 *
 * A 64-bit static program far-jumps, far-calls and far-returns into 32-bit code (CS 0x23) on
 * a stack below 4 GiB (compatibility mode uses ESP, the low half of RSP) and back to 64-bit
 * code (CS 0x33); from 32-bit code it makes system calls through `int $0x80`, `syscall` and
 * `sysenter` (the i386 convention: EAX number, EBX, ECX, EDX, ESI, EDI, EBP arguments), and
 * from 64-bit code through `int $0x80` (the i386 table too, as on Linux). For each NAME the
 * parent prints, in the shell's convention (exit code, or 128 + signal):
 *     compat: case=NAME pid=P status=S
 * after whatever the child printed itself (`compat: NAME ...` lines). First a line with the
 * CPU vendor CPUID reports (`compat: vendor=AuthenticAMD`): whether `syscall` and `sysenter`
 * are valid in compatibility mode depends on it (SDM Vol. 2B SYSCALL, SYSENTER; AMD APM
 * Vol. 3).
 *
 * `syscall` and `sysenter` from compatibility mode follow the vDSO's __kernel_vsyscall
 * convention: ECX, EDX, EBP and a return address are pushed first, EBP carries the second
 * argument (syscall) or the stack pointer (sysenter), and Linux returns to the vDSO's landing
 * pad, which pops them and returns. ringlab maps no 32-bit vDSO (a Linux with
 * abi.vsyscall32=0): the call runs, the return to the missing landing pad is SIGSEGV.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RETURNED 77                   /* a child whose case ended without exiting otherwise */
#define USER32_CS 0x23                /* Linux's __USER32_CS */
#define USER_CS 0x33                  /* Linux's __USER_CS */
#define USER_DS 0x2b                  /* Linux's __USER_DS */
#define NR32_write 4                  /* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
#define NR32_getpid 20
#define NR32_exit 1

/* The 32-bit world: a stack below 4 GiB, and the 64-bit stack pointer parked meanwhile. */
uint8_t stack32[16384] __attribute__((aligned(16)));
uint64_t saved_rsp;
struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far32;
const char msg_int80[] = "compat: int80 from 32-bit code wrote this\n";
const char msg_syscall[] = "compat: syscall from 32-bit code wrote this\n";
const char msg_sysenter[] = "compat: sysenter from 32-bit code wrote this\n";
const char msg_int80_64[] = "compat: int80 from 64-bit code wrote this\n";
uint64_t regs_out[14];

/*
 * run32(entry): far-jump to `entry` with CS 0x23 on stack32, come back at back64 (every
 * 32-bit routine ends with `ljmp $0x33, $back64`), return its EAX. The SDM (Vol. 3A 9.8.5.1)
 * leaves the upper halves of the registers undefined across the mode switch: every register
 * the ABI wants kept is saved on the 64-bit stack.
 */
uint32_t run32(uint32_t entry);
uint32_t run32_lretq(uint64_t entry);      /* the same, entering with a 64-bit far return */
__asm__(".text\n"
        ".globl run32_lretq\n"
        "run32_lretq:\n\t"
        "push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
        "mov %rsp, saved_rsp(%rip)\n\t"
        "lea stack32+16384(%rip), %rsp\n\t"
        "pushq $0x23\n\tpushq %rdi\n\t"
        "lretq\n"
        ".globl run32\n"
        "run32:\n\t"
        "push %rbx\n\tpush %rbp\n\tpush %r12\n\tpush %r13\n\tpush %r14\n\tpush %r15\n\t"
        "mov %rsp, saved_rsp(%rip)\n\t"
        "lea stack32+16384(%rip), %rsp\n\t"
        "mov %edi, far32(%rip)\n\t"
        "movw $0x23, far32+4(%rip)\n\t"
        "ljmpl *far32(%rip)\n"
        ".globl back64\n"
        "back64:\n\t"
        "mov saved_rsp(%rip), %rsp\n\t"
        "pop %r15\n\tpop %r14\n\tpop %r13\n\tpop %r12\n\tpop %rbp\n\tpop %rbx\n\t"
        "ret\n");

/* The 32-bit routines (.code32): each returns through `ljmp $0x33, $back64` with EAX. */
__asm__(".text\n.code32\n"
        /* CS as the 32-bit code sees it */
        "c32_cs:\n\t"
        "mov %cs, %eax\n\t"
        "ljmp $0x33, $back64\n"
        /* i386 getpid through the gate */
        "c32_int80_getpid:\n\t"
        "mov $20, %eax\n\t"
        "int $0x80\n\t"
        "ljmp $0x33, $back64\n"
        /* i386 write(1, msg_int80, len) */
        "c32_int80_write:\n\t"
        "mov $4, %eax\n\tmov $1, %ebx\n\tmov $msg_int80, %ecx\n\tmov $msg_int80_len, %edx\n\t"
        "int $0x80\n\t"
        "ljmp $0x33, $back64\n"
        /* a number no table has: -ENOSYS */
        "c32_int80_bad:\n\t"
        "mov $0x7fffffff, %eax\n\t"
        "int $0x80\n\t"
        "ljmp $0x33, $back64\n"
        /* back to 64-bit code with a 32-bit far return instead of a far jump */
        "c32_lret_to_64:\n\t"
        "mov %cs, %eax\n\t"
        "pushl $0x33\n\tpushl $back64\n\t"
        "lret\n"
        /* entered by a far call from 64-bit code: a 32-bit far return goes back */
        "c32_far_called:\n\t"
        "mov %cs, %eax\n\t"
        "lret\n"
        /* write through `syscall`, as __kernel_vsyscall makes it */
        "c32_syscall_write:\n\t"
        "pushl $1f\n\tpush %ecx\n\tpush %edx\n\tpush %ebp\n\t"
        "mov $4, %eax\n\tmov $1, %ebx\n\tmov $msg_syscall, %ebp\n\tmov $msg_syscall_len, %edx\n\t"
        "syscall\n"
        "1:\tljmp $0x33, $back64\n"
        /* write through `sysenter`: EBP = ESP, as __kernel_vsyscall makes it */
        "c32_sysenter_write:\n\t"
        "pushl $1f\n\tpush %ecx\n\tpush %edx\n\tpush %ebp\n\t"
        "mov $4, %eax\n\tmov $1, %ebx\n\tmov $msg_sysenter, %ecx\n\tmov $msg_sysenter_len, %edx\n\t"
        "mov %esp, %ebp\n\t"
        "sysenter\n"
        "1:\tljmp $0x33, $back64\n"
        /* sysenter with TF set: the #DB comes at the kernel's entry, at CPL 0 */
        "c32_sysenter_tf:\n\t"
        "pushl $1f\n\tpush %ecx\n\tpush %edx\n\tpush %ebp\n\t"
        "mov $20, %eax\n\tmov %esp, %ebp\n\t"
        "pushfl\n\torl $0x100, (%esp)\n\tpopfl\n\t"
        "sysenter\n"
        "1:\tljmp $0x33, $back64\n"
        /* sysenter with AC, NT and DF set (the kernel must not run with them) */
        "c32_sysenter_flags:\n\t"
        "pushl $1f\n\tpush %ecx\n\tpush %edx\n\tpush %ebp\n\t"
        "mov $20, %eax\n\tmov %esp, %ebp\n\t"
        "pushfl\n\torl $0x44400, (%esp)\n\tpopfl\n\t"
        "sysenter\n"
        "1:\tljmp $0x33, $back64\n"
        /* sysenter with EBP (the user stack for the sixth argument) at unmapped 0xfffff000 */
        "c32_sysenter_badstack:\n\t"
        "mov $20, %eax\n\tmov $0xfffff000, %ebp\n\t"
        "sysenter\n\t"
        "ljmp $0x33, $back64\n"
        /* syscall with ESP at unmapped 0xfffff000 */
        "c32_syscall_badstack:\n\t"
        "mov $20, %eax\n\tmov $0xfffff000, %esp\n\t"
        "syscall\n\t"
        "ljmp $0x33, $back64\n"
        /* exceptions in compatibility mode: #UD, and #GP(0x10) for the kernel's CS as DS */
        "c32_ud2:\n\t"
        "ud2\n"
        "c32_load_kcs:\n\t"
        "mov $0x10, %eax\n\tmov %eax, %ds\n\t"
        "ljmp $0x33, $back64\n"
        /* int $0x80 exit(5) from 32-bit code */
        "c32_int80_exit:\n\t"
        "mov $1, %eax\n\tmov $5, %ebx\n\t"
        "int $0x80\n\t"
        "ud2\n"
        ".code64\n"
        ".set msg_int80_len, 42\n"
        ".set msg_syscall_len, 44\n"
        ".set msg_sysenter_len, 45\n");
_Static_assert(sizeof msg_int80 - 1 == 42, "msg_int80_len");
_Static_assert(sizeof msg_syscall - 1 == 44, "msg_syscall_len");
_Static_assert(sizeof msg_sysenter - 1 == 45, "msg_sysenter_len");

extern char c32_cs[], c32_int80_getpid[], c32_int80_write[], c32_int80_bad[], c32_lret_to_64[],
    c32_far_called[], c32_syscall_write[], c32_sysenter_write[], c32_sysenter_tf[],
    c32_sysenter_flags[], c32_sysenter_badstack[], c32_syscall_badstack[], c32_ud2[],
    c32_load_kcs[], c32_int80_exit[];

#define E(sym) ((uint32_t)(uintptr_t)(sym))

/* Far call (64-bit code, m16:32 operand) into c32_far_called on stack32; back by its lret. */
static uint32_t far_call32(void)
{
    uint32_t cs;
    __asm__ volatile("push %%rbx\n\tpush %%rbp\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n\t"
                     "mov %%rsp, saved_rsp(%%rip)\n\t"
                     "lea stack32+16384(%%rip), %%rsp\n\t"
                     "movl $c32_far_called, far32(%%rip)\n\t"
                     "movw $0x23, far32+4(%%rip)\n\t"
                     "lcalll *far32(%%rip)\n\t"
                     "mov saved_rsp(%%rip), %%rsp\n\t"
                     "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbp\n\tpop %%rbx"
                     : "=a"(cs) :: "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    return cs;
}

/* A 64-bit far return to 0x23 with an offset past 4 GiB: #GP(0) (the CS limit), at CPL 3.
   (lretq, not a REX.W far jump: AMD CPUs ignore REX.W there and would jump to the low half.) */
static void lretq_above_4g(void) { run32_lretq(0x100000000UL | E(c32_cs)); }

/* Far jumps to selectors that are not code: user data (#GP(0x28)), a null TLS entry (#GP(0x60)). */
static void ljmp_sel(uint16_t sel)
{
    static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far;
    far.off = E(c32_cs);
    far.sel = sel;
    __asm__ volatile("ljmpl *%0" ::"m"(far));
}

/* int $0x80 from 64-bit code: i386 numbers and registers; every other register is kept. */
static long int80_64(long nr, long b, long c, long d)
{
    long ret;
    __asm__ volatile("int $0x80" : "=a"(ret) : "a"(nr), "b"(b), "c"(c), "d"(d) : "memory");
    return ret;
}

static int regs_kept_by_int80(void)
{
    /* r8-r15 and rbx, rcx, rdx, rsi, rdi, rbp with 64-bit patterns around an i386 getpid
       (RAX's upper half set: EAX alone selects the call); every one compared afterwards. */
    long pid;
    __asm__ volatile(
        "push %%rbp\n\tpush %%rbx\n\tpush %%r12\n\tpush %%r13\n\tpush %%r14\n\tpush %%r15\n\t"
        "movabs $0x1111111111111111, %%r8\n\tmovabs $0x2222222222222222, %%r9\n\t"
        "movabs $0x3333333333333333, %%r10\n\tmovabs $0x4444444444444444, %%r11\n\t"
        "movabs $0x5555555555555555, %%r12\n\tmovabs $0x6666666666666666, %%r13\n\t"
        "movabs $0x7777777777777777, %%r14\n\tmovabs $0x8888888888888888, %%r15\n\t"
        "movabs $0x9999999999999999, %%rbx\n\tmovabs $0xaaaaaaaaaaaaaaaa, %%rcx\n\t"
        "movabs $0xbbbbbbbbbbbbbbbb, %%rdx\n\tmovabs $0xcccccccccccccccc, %%rsi\n\t"
        "movabs $0xdddddddddddddddd, %%rdi\n\tmovabs $0xeeeeeeeeeeeeeeee, %%rbp\n\t"
        "movabs $0x100000014, %%rax\n\t"
        "int $0x80\n\t"
        "mov %%rdi, regs_out+96(%%rip)\n\t"
        "lea regs_out(%%rip), %%rdi\n\t"
        "mov %%r8, 0(%%rdi)\n\tmov %%r9, 8(%%rdi)\n\tmov %%r10, 16(%%rdi)\n\tmov %%r11, 24(%%rdi)\n\t"
        "mov %%r12, 32(%%rdi)\n\tmov %%r13, 40(%%rdi)\n\tmov %%r14, 48(%%rdi)\n\tmov %%r15, 56(%%rdi)\n\t"
        "mov %%rbx, 64(%%rdi)\n\tmov %%rcx, 72(%%rdi)\n\tmov %%rdx, 80(%%rdi)\n\tmov %%rsi, 88(%%rdi)\n\t"
        "mov %%rbp, 104(%%rdi)\n\t"
        "pop %%r15\n\tpop %%r14\n\tpop %%r13\n\tpop %%r12\n\tpop %%rbx\n\tpop %%rbp"
        : "=a"(pid) :: "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
    for (int i = 0; i < 14; i++) {
        uint64_t want = 0x1111111111111111UL * (uint64_t)(i + 1);
        if (regs_out[i] != want)
            return 0;
    }
    return pid == getpid();
}

static uint16_t own_cs(void)
{
    uint16_t cs;
    __asm__ volatile("mov %%cs, %0" : "=r"(cs));
    return cs;
}
static void case_ljmp(void) { printf("compat: ljmp cs32=%#x back=%#x\n", run32(E(c32_cs)), own_cs()); }
static void case_lret32(void) { printf("compat: lret32 cs32=%#x back=%#x\n", run32(E(c32_lret_to_64)), own_cs()); }
static void case_far_call(void) { printf("compat: far_call cs32=%#x back=%#x\n", far_call32(), own_cs()); }
static void case_lretq(void) { printf("compat: lretq cs32=%#x back=%#x\n", run32_lretq(E(c32_cs)), own_cs()); }

/* sysenter from 64-bit code: #UD on AMD (and on QEMU's AMD-vendor models); an Intel CPU
   enters the kernel's sysenter entry, which takes it as an i386 call (Linux the same). */
static void sysenter64(int tf)
{
    long ret;
    if (tf)        /* popfq right before: the single-step trap comes after the sysenter */
        __asm__ volatile("push %%rbp\n\tmov %%rsp, %%rbp\n\t"
                         "pushfq\n\torq $0x100, (%%rsp)\n\tpopfq\n\tsysenter\n\tpop %%rbp"
                         : "=a"(ret) : "a"(20L) : "memory", "cc");
    else
        __asm__ volatile("push %%rbp\n\tmov %%rsp, %%rbp\n\tsysenter\n\tpop %%rbp"
                         : "=a"(ret) : "a"(20L) : "memory", "cc");
    printf("compat: sysenter64 returned %ld\n", ret);
}
static void case_sysenter64(void) { sysenter64(0); }
static void case_sysenter64_tf(void) { sysenter64(1); }
static void case_int80_32(void)
{
    uint32_t pid = run32(E(c32_int80_getpid));
    uint32_t wrote = run32(E(c32_int80_write));
    printf("compat: int80_32 getpid_ok=%d wrote=%u enosys=%d\n", pid == (uint32_t)getpid(), wrote,
           (int32_t)run32(E(c32_int80_bad)));
}
static void case_int80_exit32(void) { run32(E(c32_int80_exit)); }
static void case_syscall32(void) { printf("compat: syscall32 ret=%d\n", (int32_t)run32(E(c32_syscall_write))); }
static void case_sysenter32(void) { printf("compat: sysenter32 ret=%d\n", (int32_t)run32(E(c32_sysenter_write))); }
static void case_sysenter_tf(void) { run32(E(c32_sysenter_tf)); }
static void case_sysenter_flags(void) { run32(E(c32_sysenter_flags)); }
static void case_sysenter_badstack(void) { run32(E(c32_sysenter_badstack)); }
static void case_syscall_badstack(void) { run32(E(c32_syscall_badstack)); }
static void case_ud2_32(void) { run32(E(c32_ud2)); }
static void case_gp32(void) { run32(E(c32_load_kcs)); }
static void case_lretq_above_4g(void) { lretq_above_4g(); }
static void case_ljmp_data(void) { ljmp_sel(USER_DS); }
static void case_ljmp_tls(void) { ljmp_sel(0x63); }
static void case_int80_64(void)
{
    long pid = int80_64(NR32_getpid, 0, 0, 0);
    long wrote = int80_64(NR32_write, 1, (long)msg_int80_64, sizeof msg_int80_64 - 1);
    /* ECX holds only the low half of a pointer: bit 32 set still writes msg_int80_64 */
    long wrote_hi = int80_64(NR32_write, 1, (long)msg_int80_64 | (1L << 32), sizeof msg_int80_64 - 1);
    printf("compat: int80_64 getpid_ok=%d wrote=%ld wrote_hi=%ld enosys=%ld regs_kept=%d\n",
           pid == getpid(), wrote, wrote_hi, int80_64(0x7fffffff, 0, 0, 0), regs_kept_by_int80());
    /* The i386 calls with 32-bit structures: time (13), gettimeofday (78), clock_gettime
       (265, CLOCK_REALTIME), ugetrlimit (191, RLIMIT_NOFILE); buffers below 4 GiB. */
    static int32_t t32, tv[2], ts[2];
    static uint32_t rl[2];
    long now = (long)time(NULL);
    long t = int80_64(13, (long)&t32, 0, 0);
    long tod = int80_64(78, (long)tv, 0, 0);
    long clk = int80_64(265, 0, (long)ts, 0);
    long lim = int80_64(191, 7, (long)rl, 0);
    printf("compat: int80_64_time time_ok=%d tod_ok=%d clock_ok=%d rlimit_ok=%d\n",
           t == t32 && t - now >= 0 && t - now < 5, tod == 0 && tv[0] - now >= 0 && tv[0] - now < 5,
           clk == 0 && ts[0] - now >= 0 && ts[0] - now < 5 && ts[1] >= 0 && ts[1] < 1000000000,
           lim == 0 && rl[0] > 0 && rl[0] <= rl[1]);
    int80_64(NR32_exit, 7, 0, 0);                  /* exit(7) through the gate */
}

static const struct { const char *name; void (*fn)(void); } cases[] = {
    { "ljmp", case_ljmp }, { "lret32", case_lret32 }, { "far_call", case_far_call },
    { "lretq", case_lretq }, { "int80_32", case_int80_32 },
    { "int80_exit32", case_int80_exit32 }, { "int80_64", case_int80_64 },
    { "syscall32", case_syscall32 }, { "sysenter32", case_sysenter32 },
    { "sysenter_tf", case_sysenter_tf }, { "sysenter_flags", case_sysenter_flags },
    { "sysenter_badstack", case_sysenter_badstack }, { "syscall_badstack", case_syscall_badstack },
    { "ud2_32", case_ud2_32 }, { "gp32", case_gp32 }, { "lretq_above_4g", case_lretq_above_4g },
    { "ljmp_data", case_ljmp_data }, { "ljmp_tls", case_ljmp_tls },
    { "sysenter64", case_sysenter64 }, { "sysenter64_tf", case_sysenter64_tf },
};

static int status_of(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    uint32_t a, b, c, d;
    __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
    char vendor[13];
    memcpy(vendor, &b, 4);
    memcpy(vendor + 4, &d, 4);
    memcpy(vendor + 8, &c, 4);
    vendor[12] = 0;
    printf("compat: vendor=%s\n", vendor);
    int all = argc < 2 || !strcmp(argv[1], "all");
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int wanted = all;
        for (int k = 1; k < argc; k++)
            wanted |= !strcmp(argv[k], cases[i].name);
        if (!wanted)
            continue;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            perror("compat: fork");
            return 1;
        }
        if (pid == 0) {
            cases[i].fn();
            fflush(stdout);
            _exit(RETURNED);
        }
        int st;
        if (waitpid(pid, &st, 0) != pid) {
            perror("compat: waitpid");
            return 1;
        }
        printf("compat: case=%s pid=%d status=%d\n", cases[i].name, (int)pid, status_of(st));
    }
    puts("compat: done");
    return 0;
}
