/*
 * ldtseg: modify_ldt from ring 3, the same on the host's Linux and in ringlab. Built twice:
 * images/user/ldtseg (x86-64, musl) and ldtseg-m32 (i386 glibc, compatibility mode).
 *
 * 1. The table: every flag combination of struct user_desc (seg_32bit, contents,
 *    read_exec_only, limit_in_pages, seg_not_present, useable, lm) through write_old (func 1)
 *    and write (func 0x11), each line the call's raw result and the descriptor read back
 *    (func 0); then the bounds (entry 8191, 8192, -1, bytecount 15/17, a bad pointer, an
 *    unknown func) and the reads (sizes, read_default).
 * 2. Each accepted descriptor used from ring 3 (in a child each: no signal handler): loaded into DS, ES, FS, GS and SS; code
 *    segments (32-bit build) reached by lcall, ljmp and iret and left by lret
 *    ('o' worked, 'S' SIGSEGV, 'B' SIGBUS, '-' not tried).
 * 3. A 16-bit stack (32-bit build): int $0x80 and timer ticks taken with SS a 16-bit LDT
 *    segment and ESP = 0x1234xxxx; ESP's upper half afterwards (espfix: the user's own).
 * 4. The hostile cases, in children: the entry SS names cleared or made not present by
 *    modify_ldt through int $0x80 on that same stack (the return cannot load it); DS naming
 *    a cleared entry (reloaded as null); another thread's SS naming an entry this one clears;
 *    fork copies the LDT, execve drops it.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct udesc {
    uint32_t entry_number, base_addr, limit;
    uint32_t flags;       /* seg_32bit:1 contents:2 read_exec_only:1 limit_in_pages:1
                             seg_not_present:1 useable:1 lm:1 */
};
#define F(s32, cont, reo, lip, snp, use, lm) \
    ((s32) | (cont) << 1 | (reo) << 3 | (lip) << 4 | (snp) << 5 | (use) << 6 | (lm) << 7)
#define EMPTY F(0, 0, 1, 0, 1, 0, 0)
#define ENTRY 5
#define SEL (ENTRY << 3 | 7)          /* TI = 1, RPL 3 */
#define I386_MODIFY_LDT 123
#define I386_GETPID 20
#if defined(__x86_64__)
#define REG "r"
#else
#define REG "e"
#endif

static uint64_t table[8192];
#if defined(__i386__)
static uint8_t stack16[8192] __attribute__((aligned(16)));
#endif
static struct udesc hostile;          /* int $0x80's argument: below 4 GiB in both builds */

static long mldt(int func, void *p, unsigned long n) { return syscall(SYS_modify_ldt, func, p, n); }

/* What a ring-3 operation gave, run in a child (no signal handler needed: i386 and x86-64
   alike): 'o' it worked, 'S' SIGSEGV, 'B' SIGBUS. */
#define TRY(out, stmt)                                              \
    do {                                                            \
        pid_t pid_ = fork();                                        \
        if (pid_ == 0) {                                            \
            stmt;                                                   \
            _exit(0);                                               \
        }                                                           \
        int st_ = -1;                                               \
        waitpid(pid_, &st_, 0);                                     \
        out = st_ == 0 ? 'o' : WIFSIGNALED(st_) && WTERMSIG(st_) == SIGSEGV ? 'S' : \
              WIFSIGNALED(st_) && WTERMSIG(st_) == SIGBUS ? 'B' : '?';             \
    } while (0)

static void write_row(const char *what, int func, struct udesc u, unsigned long n)
{
    memset(table, 0x5a, sizeof table);
    long r = mldt(func, &u, n);
    int e = errno;
    uint32_t i = u.entry_number < 8192 ? u.entry_number : 0;
    long rr = mldt(0, table, (i + 1) * 8);
    printf("ldtseg: %s f=%#x flags=%02x base=%#x limit=%#x entry=%d -> %ld/%d read=%ld d=%016llx\n", what, func,
           u.flags, u.base_addr, u.limit, (int)u.entry_number, r, r == -1 ? e : 0, rr,
           (unsigned long long)table[i]);
}

static void load_data(char out[5])
{
    unsigned short old;
#if defined(__x86_64__)
    /* FS is musl's thread pointer: its base comes back through ARCH_SET_FS at once, raw */
    unsigned long fsbase;
    syscall(SYS_arch_prctl, 0x1003 /* ARCH_GET_FS */, &fsbase);
#endif
    TRY(out[0], ({ __asm__ volatile("mov %%ds, %0\n\tmov %1, %%ds\n\tmov %0, %%ds" : "=&r"(old) : "r"(SEL)); }));
    TRY(out[1], ({ __asm__ volatile("mov %%es, %0\n\tmov %1, %%es\n\tmov %0, %%es" : "=&r"(old) : "r"(SEL)); }));
#if defined(__x86_64__)
    TRY(out[2], ({ long rax = SYS_arch_prctl;   /* musl's FS selector is null */
                   __asm__ volatile("mov %w3, %%fs\n\tmov %w4, %%fs\n\tsyscall"
                                    : "+a"(rax) : "D"(0x1002L), "S"(fsbase), "r"(SEL), "r"(0)
                                    : "rcx", "r11", "memory"); }));
#else
    TRY(out[2], ({ __asm__ volatile("mov %%fs, %0\n\tmov %1, %%fs\n\tmov %0, %%fs" : "=&r"(old) : "r"(SEL)); }));
#endif
    TRY(out[3], ({ __asm__ volatile("mov %%gs, %0\n\tmov %1, %%gs\n\tmov %0, %%gs" : "=&r"(old) : "r"(SEL)); }));
    TRY(out[4], ({ __asm__ volatile("mov %%ss, %0\n\tmov %1, %%ss\n\tmov %0, %%ss" : "=&r"(old) : "r"(SEL)); }));
}

#if defined(__i386__)
/* Far-return stubs for the code segments (base = stub32 or stub16, offset 0). */
__asm__(".text\n\t.globl stub32\nstub32:\n\tlret\n\t.globl stub16\nstub16:\n\t.byte 0x66, 0xcb\n");
extern char stub32[], stub16[];

static void use_code(char out[3])
{
    static struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far = { 0, SEL };
    TRY(out[0], ({ __asm__ volatile("lcall *%0" ::"m"(far) : "memory"); }));
    TRY(out[1], ({ __asm__ volatile("push %%cs\n\tpush $1f\n\tljmp *%0\n1:" ::"m"(far) : "memory"); }));
    TRY(out[2], ({ __asm__ volatile("push %%cs\n\tpush $1f\n\tpushf\n\tpush %0\n\tpush $0\n\tiret\n1:"
                                    ::"i"(SEL) : "memory"); }));
}
#endif

static void use_row(uint32_t flags)
{
    struct udesc u = { ENTRY, 0x1000, 0xfff, flags };
    char data[6] = "-----", code[4] = "---";
    uint32_t contents = (flags >> 1) & 3;
#if defined(__i386__)
    if (contents >= 2)
        u.base_addr = (uint32_t)(uintptr_t)((flags & 1) ? stub32 : stub16);
#endif
    if (mldt(0x11, &u, sizeof u) != 0)
        return;
    load_data(data);
#if defined(__i386__)
    if (contents >= 2)
        use_code(code);
#endif
    (void)contents;
    printf("ldtseg: use flags=%02x ds,es,fs,gs,ss=%s lcall,ljmp,iret=%s\n", flags, data, code);
}

#if defined(__i386__)
/* int $0x80 getpid and a spin of timer ticks on a 16-bit stack, ESP = 0x1234xxxx. */
static void stack16_test(void)
{
    struct udesc u = { ENTRY, (uint32_t)(uintptr_t)stack16, 0xffff, F(0, 0, 0, 0, 0, 0, 0) };
    long r = mldt(0x11, &u, sizeof u);
    uint32_t esp_after, esp_spin, pid;
    /* registers only while SS:ESP are the test's (a stack operand would use them) */
    __asm__ volatile("mov %%ss, %%si\n\tmov %%esp, %%edi\n\t"
                     "mov %3, %%ecx\n\tmov %%cx, %%ss\n\tmov $0x12340ff0, %%esp\n\t"
                     "int $0x80\n\t"
                     "mov %%esp, %%ebx\n\t"
                     "mov $40000000, %%ecx\n1:\tdec %%ecx\n\tjnz 1b\n\t"   /* timer ticks here */
                     "mov %%esp, %%edx\n\t"
                     "mov %%si, %%ss\n\tmov %%edi, %%esp"
                     : "=a"(pid), "=b"(esp_after), "=d"(esp_spin)
                     : "i"(SEL), "0"(I386_GETPID)
                     : "ecx", "esi", "edi", "memory");
    printf("ldtseg: 16-bit stack write=%ld getpid_ok=%d esp_after_int80=%#x esp_after_ticks=%#x\n", r,
           pid == (uint32_t)getpid(), esp_after, esp_spin);
}
#endif

static int child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        signal(SIGSEGV, SIG_DFL);
        signal(SIGBUS, SIG_DFL);
        fn();
        _exit(77);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* SS = the entry, then int $0x80 modify_ldt(0x11, &hostile) rewriting it on that same stack. */
static void ss_entry_rewritten(void)
{
    struct udesc u = { ENTRY, 0, 0xfffff, F(1, 0, 0, 1, 0, 0, 0) };
    mldt(0x11, &u, sizeof u);
    long r;
    __asm__ volatile("push %%" REG "bx\n\tmov %%ss, %%si\n\tmov %4, %%ss\n\tmov %1, %%ebx\n\tint $0x80\n\t"
                     "mov %%si, %%ss\n\tpop %%" REG "bx"
                     : "=a"(r) : "i"(0x11), "c"(&hostile), "d"(sizeof hostile), "r"(SEL), "0"(I386_MODIFY_LDT)
                     : "esi", "memory");
    printf("ldtseg: returned on a rewritten SS entry: %ld\n", r);
}
static void ss_cleared(void)
{
    hostile = (struct udesc){ ENTRY, 0, 0, EMPTY };
    ss_entry_rewritten();
}

static void ss_not_present(void)
{
    hostile = (struct udesc){ ENTRY, 0, 0xfffff, F(1, 0, 0, 1, 1, 0, 0) };
    ss_entry_rewritten();
}

static void ss_read_only(void)
{
    hostile = (struct udesc){ ENTRY, 0, 0xfffff, F(1, 0, 1, 1, 0, 0, 0) };
    ss_entry_rewritten();
}

static void ds_cleared(void)
{
    struct udesc u = { ENTRY, 0, 0xfffff, F(1, 0, 0, 1, 0, 0, 0) };
    mldt(0x11, &u, sizeof u);
    unsigned short ds, old;
    __asm__ volatile("mov %%ds, %0\n\tmov %1, %%ds" : "=&r"(old) : "r"(SEL));
    u = (struct udesc){ ENTRY, 0, 0, EMPTY };
    mldt(0x11, &u, sizeof u);
    __asm__ volatile("mov %%ds, %0\n\tmov %1, %%ds" : "=&r"(ds) : "r"(old));   /* printf needs it */
    printf("ldtseg: DS after its entry was cleared: %#x\n", ds);
    fflush(stdout);
    _exit(0);
}

/* Another thread runs on SS = the entry (preempted there, or on another CPU) when this one
   clears it: the spinner's next return to ring 3 cannot load SS, SIGSEGV ends the process. */
#if defined(__x86_64__)
static volatile int on_ldt_ss;

static void *ss_spinner(void *arg)
{
    (void)arg;
    __asm__ volatile("mov %0, %%ss\n\tmovl $1, %1\n1:\tjmp 1b" ::"r"(SEL), "m"(on_ldt_ss) : "memory");
    return NULL;
}

static void other_thread_ss(void)
{
    struct udesc u = { ENTRY, 0, 0xfffff, F(1, 0, 0, 1, 0, 0, 0) };
    mldt(0x11, &u, sizeof u);
    pthread_t t;
    if (pthread_create(&t, NULL, ss_spinner, NULL))
        _exit(2);
    while (!on_ldt_ss)
        sched_yield();
    u = (struct udesc){ ENTRY, 0, 0, EMPTY };
    mldt(0x11, &u, sizeof u);
    for (;;)
        sched_yield();
}
#endif

static void forked_copy(void)
{
    memset(table, 0, sizeof table);
    long r = mldt(0, table, 16 * 8);
    printf("ldtseg: child reads %ld bytes, entry %d=%016llx\n", r, ENTRY, (unsigned long long)table[ENTRY]);
    fflush(stdout);
    _exit(0);
}

/* execve drops the LDT: the new image reads none. */
static char *self;

static void exec_drops(void)
{
    struct udesc u = { 9, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0, 0) };
    mldt(0x11, &u, sizeof u);
    char *argv[] = { self, "exec", NULL };
    execve(self, argv, NULL);
    _exit(3);
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1) {                        /* exec_drops' new image */
        printf("ldtseg: after execve: read=%ld\n", mldt(0, table, sizeof table));
        return 0;
    }
    self = argv[0];

    printf("ldtseg: no LDT yet: read=%ld\n", mldt(0, table, sizeof table));
    for (int func = 1; func <= 0x11; func += 0x10)
        for (uint32_t f = 0; f < 256; f++)
            write_row("row", func, (struct udesc){ ENTRY, 0x12345678, 0xabcde, f }, 16);
    write_row("empty_new", 0x11, (struct udesc){ ENTRY, 0, 0, EMPTY }, 16);
    write_row("zero_new", 0x11, (struct udesc){ ENTRY, 0, 0, 0 }, 16);
    write_row("zero_old", 1, (struct udesc){ ENTRY, 0, 0, F(1, 2, 0, 1, 0, 1, 0) }, 16);
    write_row("empty_old", 1, (struct udesc){ ENTRY, 0, 0, EMPTY }, 16);
    write_row("base_only_old", 1, (struct udesc){ ENTRY, 0x1000, 0, F(1, 0, 0, 0, 0, 1, 0) }, 16);
    write_row("limit_bits", 0x11, (struct udesc){ ENTRY, 0xffffffff, 0xffffffff, F(1, 0, 0, 1, 0, 0, 0) }, 16);
    write_row("flags_high", 0x11, (struct udesc){ ENTRY, 0x1000, 0xfff, 0xffffff01 }, 16);
    write_row("entry_8191", 0x11, (struct udesc){ 8191, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0, 0) }, 16);
    write_row("entry_8192", 0x11, (struct udesc){ 8192, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0, 0) }, 16);
    write_row("entry_neg", 0x11, (struct udesc){ 0xffffffff, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0, 0) }, 16);
    write_row("count_15", 0x11, (struct udesc){ ENTRY, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0, 0) }, 15);
    write_row("count_17", 0x11, (struct udesc){ ENTRY, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0, 0) }, 17);
    long r = mldt(0x11, (void *)16, 16);
    printf("ldtseg: bad pointer %ld/%d\n", r, r == -1 ? errno : 0);
    r = mldt(3, table, 16);
    printf("ldtseg: func 3 %ld/%d\n", r, r == -1 ? errno : 0);
    r = mldt(-1, table, 16);
    printf("ldtseg: func -1 %ld/%d\n", r, r == -1 ? errno : 0);
    unsigned long counts[] = { 0, 7, 8, 65535, 65536, 70000 };
    for (unsigned i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        memset(table, 0x5a, sizeof table);
        r = mldt(0, table, counts[i]);
        printf("ldtseg: read %lu -> %ld last=%016llx\n", counts[i], r, (unsigned long long)table[8191]);
    }
    memset(table, 0x5a, sizeof table);
    r = mldt(2, table, 200);
    printf("ldtseg: read_default 200 -> %ld first=%016llx word16=%016llx\n", r, (unsigned long long)table[0],
           (unsigned long long)table[16]);
    r = mldt(2, (void *)16, 8);
    printf("ldtseg: read_default bad pointer %ld/%d, 0 bytes %ld\n", r, r == -1 ? errno : 0, mldt(2, (void *)16, 0));
    r = mldt(0, (void *)16, 8);
    printf("ldtseg: read bad pointer %ld/%d\n", r, r == -1 ? errno : 0);

    for (uint32_t f = 0; f < 64; f++)     /* useable and lm change no behaviour */
        use_row(f);
#if defined(__i386__)
    stack16_test();
#endif
    struct udesc u = { ENTRY, 0x4000, 0x1f, F(1, 0, 1, 0, 0, 1, 0) };
    mldt(0x11, &u, sizeof u);
    printf("ldtseg: fork copies: status=%d\n", child(forked_copy));
    printf("ldtseg: exec_drops status=%d\n", child(exec_drops));
    printf("ldtseg: ds_cleared status=%d\n", child(ds_cleared));
    printf("ldtseg: ss_cleared status=%d\n", child(ss_cleared));
    printf("ldtseg: ss_not_present status=%d\n", child(ss_not_present));
    printf("ldtseg: ss_read_only status=%d\n", child(ss_read_only));
#if defined(__x86_64__)
    /* (64-bit only: ringlab's i386 clone does not take CLONE_SETTLS's user_desc yet) */
    printf("ldtseg: other_thread_ss status=%d\n", child(other_thread_ss));
#endif
    printf("ldtseg: done\n");
    return 0;
}
