/*
 * doors [NAME...]: try every door from ring 3 into ring 0, each in a child of its own.
 *
 * For each door (or only the NAMEs given): fork; the child tries the door, which must end in
 * a signal (a fault) and never at CPL 0; the parent reaps it and prints, in the shell's
 * convention (exit code, or 128 + signal):
 *     doors: door=mov_ds_kcs pid=5 status=139
 * A door that does not fault exits with a code of its own (77: "the instruction returned").
 * Then, without faulting: `doors: segs ds=.. es=.. fs=.. gs=..` (the data segment registers
 * a process starts with) and one `doors: sel=0x.. lar=.. lsl=.. verr=.. verw=..` line per
 * selector tried with lar/lsl/verr/verw (-1: ZF clear, the CPU refused to say), and
 * `doors: readonly ...`: system calls that store into read-only memory (-14, -EFAULT).
 * `doors int` tries `int n` for n = 0..255 instead: `doors: int=N pid=P status=S`;
 * `doors all` does both.
 *
 * ringlab's GDT is Linux's (0x10/0x18 kernel code/data, 0x23/0x2b/0x33 user 32-bit code,
 * data and 64-bit code, 0x38 unused, the TSS at 0x40), so every selector means the same on
 * the host's Linux and a run there ends the same way.
 * The program reads its own CS and SS for the iretq frames, so those doors run anywhere.
 * SDM references: segment loads Vol. 3A 5.5-5.8 and Vol. 2B MOV/LxS; far transfers Vol. 2A
 * CALL/JMP; IRET Vol. 2A; I/O Vol. 1 19.5; UMIP Vol. 3A 2.5; debug registers Vol. 3A 18.2.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define RETURNED 77                  /* exit code of a child whose door did not fault */
#define KSEL_CS 0x10                 /* kernel code (Linux's __KERNEL_CS) */
#define KSEL_SS 0x18                 /* kernel data (__KERNEL_DS) */
#define KSEL_NULLDESC 0x38           /* GDT entry 7: a zero descriptor on both */
#define RL_TSS 0x40                  /* the TSS (GDT_ENTRY_TSS 8) */
#define LDT_SEL 0x1007               /* LDT index 0x200, TI=1, RPL 3 */
#define BEYOND_GDT 0x100             /* index 32: past both GDTs' limits */
#define NONCANONICAL 0x0000800000000000UL
#define LAST_PAGE 0x00007ffffffff000UL /* the last user page: never mappable (ringlab, Linux) */

static uint16_t own_cs, own_ss;

static void load_ds(uint16_t s) { __asm__ volatile("mov %0, %%ds" ::"r"(s)); }
static void load_es(uint16_t s) { __asm__ volatile("mov %0, %%es" ::"r"(s)); }
static void load_fs(uint16_t s) { __asm__ volatile("mov %0, %%fs" ::"r"(s)); }
static void load_gs(uint16_t s) { __asm__ volatile("mov %0, %%gs" ::"r"(s)); }
static void load_ss(uint16_t s) { __asm__ volatile("mov %0, %%ss" ::"r"(s)); }

static void far_call(uint16_t sel)
{
    struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far = { 0, sel };
    __asm__ volatile("lcall *%0" ::"m"(far) : "memory");
}
static void far_jmp(uint16_t sel)
{
    struct { uint32_t off; uint16_t sel; } __attribute__((packed)) far = { 0, sel };
    __asm__ volatile("ljmp *%0" ::"m"(far) : "memory");
}

/* iretq with a hand-made frame: SS, RSP, RFLAGS, CS, RIP (SDM Vol. 3A 6.14.1, Figure 6-9). */
static void iretq_frame(uint64_t rip, uint64_t cs, uint64_t rflags, uint64_t ss)
{
    __asm__ volatile("mov %%rsp, %%rax\n\t"
                     "pushq %[ss]\n\tpushq %%rax\n\tpushq %[fl]\n\tpushq %[cs]\n\tpushq %[rip]\n\t"
                     "iretq"
                     :: [ss] "r"(ss), [fl] "r"(rflags), [cs] "r"(cs), [rip] "r"(rip) : "rax", "memory");
}
static void after_iret_cli(void)
{
    __asm__ volatile("cli");          /* IOPL stayed 0: #GP */
    _exit(RETURNED);
}
static void back_here(void) { _exit(RETURNED); }
static void main_text_probe(void) { __asm__ volatile("nop; nop; nop; nop"); }

static void d_mov_ds_kcs(void) { load_ds(KSEL_CS | 3); }
static void d_mov_es_kss(void) { load_es(KSEL_SS); }
static void d_mov_fs_nulldesc(void) { load_fs(KSEL_NULLDESC | 3); }
static void d_mov_gs_kss(void) { load_gs(KSEL_SS | 3); }
static void d_mov_ss_kss(void) { load_ss(KSEL_SS); }
static void d_mov_ss_null(void) { load_ss(0); }
static void d_mov_ss_ucs(void) { load_ss(own_cs); }
static void d_mov_ds_ldt(void) { load_ds(LDT_SEL); }
static void d_mov_fs_tss(void) { load_fs(RL_TSS | 3); }
static void d_mov_gs_beyond(void) { load_gs(BEYOND_GDT | 3); }
static void d_lcall_kcs(void) { far_call(KSEL_CS); }
static void d_ljmp_kcs(void) { far_jmp(KSEL_CS | 3); }
static void d_lcall_kss(void) { far_call(KSEL_SS); }
static void d_lcall_ldt(void) { far_call(LDT_SEL); }
static void d_lcall_beyond(void) { far_call(BEYOND_GDT); }
static void d_lcall_tss(void) { far_call(RL_TSS); }
static void d_ljmp_tss(void) { far_jmp(RL_TSS); }
static void d_iretq_kcs(void) { iretq_frame((uint64_t)back_here, KSEL_CS, 0x202, own_ss); }
static void d_iretq_kss(void) { iretq_frame((uint64_t)back_here, own_cs, 0x202, KSEL_SS); }
static void d_iretq_noncanon(void) { iretq_frame(NONCANONICAL, own_cs, 0x202, own_ss); }
static void d_iretq_iopl3(void) { iretq_frame((uint64_t)after_iret_cli, own_cs, 0x3202, own_ss); }
static void d_iretq_nt(void)
{
    /* NT set by popf (allowed at any CPL), then iretq: a task return, #GP(0) in IA-32e mode */
    __asm__ volatile("pushfq\n\torq $0x4000, (%%rsp)\n\tpopfq" ::: "memory", "cc");
    iretq_frame((uint64_t)back_here, own_cs, 0x202, own_ss);
}
static void d_sysretq(void) { __asm__ volatile("sysretq"); }
static void d_sysexit(void) { __asm__ volatile("sysexitq"); }
static void d_sysenter(void) { __asm__ volatile("sysenter"); }
static void d_swapgs(void) { __asm__ volatile("swapgs"); }
static void d_wrgsbase(void) { __asm__ volatile("wrgsbase %0" ::"r"(0x1000UL)); }
static void d_syscall_last_page(void)
{
    /* A syscall in the last user page would return to a non-canonical RCX (sysretq #GP in
       ring 0): the page is never mappable, so the jump there is a ring-3 #PF. */
    void *p = mmap((void *)LAST_PAGE, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != MAP_FAILED)
        memcpy((char *)LAST_PAGE + 4094, "\x0f\x05", 2);      /* syscall at the very end */
    ((void (*)(void))(LAST_PAGE + 4094))();
}
static void d_icebp(void) { __asm__ volatile(".byte 0xf1"); }            /* int1: #DB */
static void d_into(void) { __asm__ volatile(".byte 0xce"); }             /* #UD in 64-bit mode */
static void d_dr7_read(void) { uint64_t v; __asm__ volatile("mov %%dr7, %0" : "=r"(v)); }
static void d_dr7_write(void) { __asm__ volatile("mov %0, %%dr7" ::"r"(0x1UL)); }
static void d_dr0_write(void) { __asm__ volatile("mov %0, %%dr0" ::"r"(0x401000UL)); }
static void d_dr6_read(void) { uint64_t v; __asm__ volatile("mov %%dr6, %0" : "=r"(v)); }
static void d_inb_f4(void) { uint8_t v; __asm__ volatile("inb $0xf4, %0" : "=a"(v)); }
static void d_outb_f4(void) { __asm__ volatile("outb %0, $0xf4" ::"a"((uint8_t)0)); }
static void d_outl_cf8(void) { __asm__ volatile("outl %0, %1" ::"a"(0x80000000U), "d"((uint16_t)0xcf8)); }
static void d_inl_cfc(void) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "d"((uint16_t)0xcfc)); }
static void d_inw_60(void) { uint16_t v; __asm__ volatile("inw $0x60, %0" : "=a"(v)); }
static void d_insb_3f8(void)
{
    char buf[4];
    __asm__ volatile("insb" :: "D"(buf), "d"((uint16_t)0x3f8) : "memory");
}
static void d_outsb_80(void)
{
    static const char b[1] = { 1 };
    __asm__ volatile("outsb" :: "S"(b), "d"((uint16_t)0x80) : "memory");
}
static void d_rdmsr(void) { uint32_t a, d; __asm__ volatile("rdmsr" : "=a"(a), "=d"(d) : "c"(0xc0000082U)); }
static void d_ltr(void) { __asm__ volatile("ltr %0" ::"r"((uint16_t)RL_TSS)); }
static void d_lldt(void) { __asm__ volatile("lldt %0" ::"r"((uint16_t)0)); }
static void d_clts(void) { __asm__ volatile("clts"); }
static void d_wbinvd(void) { __asm__ volatile("wbinvd"); }
static void d_sgdt(void) { struct { uint16_t l; uint64_t b; } __attribute__((packed)) d; __asm__ volatile("sgdt %0" : "=m"(d)); }
static void d_sidt(void) { struct { uint16_t l; uint64_t b; } __attribute__((packed)) d; __asm__ volatile("sidt %0" : "=m"(d)); }
static void d_smsw(void) { uint64_t v; __asm__ volatile("smsw %0" : "=r"(v)); }
static void d_str(void) { uint64_t v; __asm__ volatile("str %0" : "=r"(v)); }
static void d_sldt(void) { uint64_t v; __asm__ volatile("sldt %0" : "=r"(v)); }

static const struct door { const char *name; void (*fn)(void); } doors[] = {
    { "mov_ds_kcs", d_mov_ds_kcs }, { "mov_es_kss", d_mov_es_kss },
    { "mov_fs_nulldesc", d_mov_fs_nulldesc }, { "mov_gs_kss", d_mov_gs_kss },
    { "mov_ss_kss", d_mov_ss_kss }, { "mov_ss_null", d_mov_ss_null },
    { "mov_ss_ucs", d_mov_ss_ucs }, { "mov_ds_ldt", d_mov_ds_ldt },
    { "mov_fs_tss", d_mov_fs_tss }, { "mov_gs_beyond", d_mov_gs_beyond },
    { "lcall_kcs", d_lcall_kcs }, { "ljmp_kcs", d_ljmp_kcs }, { "lcall_kss", d_lcall_kss },
    { "lcall_ldt", d_lcall_ldt }, { "lcall_beyond", d_lcall_beyond },
    { "lcall_tss", d_lcall_tss }, { "ljmp_tss", d_ljmp_tss },
    { "iretq_kcs", d_iretq_kcs }, { "iretq_kss", d_iretq_kss },
    { "iretq_noncanon", d_iretq_noncanon }, { "iretq_iopl3", d_iretq_iopl3 },
    { "iretq_nt", d_iretq_nt }, { "sysretq", d_sysretq }, { "sysexit", d_sysexit },
    { "sysenter", d_sysenter }, { "swapgs", d_swapgs }, { "wrgsbase", d_wrgsbase },
    { "syscall_last_page", d_syscall_last_page }, { "icebp", d_icebp }, { "into", d_into },
    { "dr7_read", d_dr7_read }, { "dr7_write", d_dr7_write }, { "dr0_write", d_dr0_write },
    { "dr6_read", d_dr6_read }, { "inb_f4", d_inb_f4 }, { "outb_f4", d_outb_f4 },
    { "outl_cf8", d_outl_cf8 }, { "inl_cfc", d_inl_cfc }, { "inw_60", d_inw_60 },
    { "insb_3f8", d_insb_3f8 }, { "outsb_80", d_outsb_80 }, { "rdmsr", d_rdmsr },
    { "ltr", d_ltr }, { "lldt", d_lldt }, { "clts", d_clts }, { "wbinvd", d_wbinvd },
    { "sgdt", d_sgdt }, { "sidt", d_sidt }, { "smsw", d_smsw }, { "str", d_str },
    { "sldt", d_sldt },
};

/* int $n for every n: a table of 4-byte entries `int $n; ret; nop` (0xcd n 0xc3 0x90). */
__asm__(".text\n.globl int_table\nint_table:\n"
        ".set n, 0\n.rept 256\n.byte 0xcd, n, 0xc3, 0x90\n.set n, n + 1\n.endr\n");
extern const char int_table[];

static void int_n(int n)
{
    /* rax: no system call has this number, so int $0x80 returns -ENOSYS and we exit 77 */
    __asm__ volatile("call *%1" ::"a"(0x7fffffffUL), "r"(int_table + 4 * n) : "rcx", "rdx", "rsi", "rdi",
                     "r8", "r9", "r10", "r11", "memory", "cc");
}

static int status_of(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

/* Fork, run fn(arg) in the child, print the line; the parent never tries a door itself. */
static void try(const char *kind, const char *name, int n, void (*fn)(void), void (*fn_n)(int))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("doors: fork");
        exit(1);
    }
    if (pid == 0) {
        if (fn)
            fn();
        else
            fn_n(n);
        _exit(RETURNED);
    }
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        perror("doors: waitpid");
        exit(1);
    }
    if (name)
        printf("doors: %s=%s pid=%d status=%d\n", kind, name, (int)pid, status_of(st));
    else
        printf("doors: %s=%d pid=%d status=%d\n", kind, n, (int)pid, status_of(st));
}

/* lar/lsl/verr/verw on one selector: -1 where the CPU clears ZF (not visible at CPL 3). */
static void probe(uint16_t sel)
{
    uint64_t ar = 0, lim = 0;
    uint8_t ok_ar, ok_lim, r, w;
    __asm__ volatile("lar %2, %0\n\tsetz %1" : "=r"(ar), "=q"(ok_ar) : "r"((uint64_t)sel) : "cc");
    __asm__ volatile("lsl %2, %0\n\tsetz %1" : "=r"(lim), "=q"(ok_lim) : "r"((uint64_t)sel) : "cc");
    __asm__ volatile("verr %1\n\tsetz %0" : "=q"(r) : "r"(sel) : "cc");
    __asm__ volatile("verw %1\n\tsetz %0" : "=q"(w) : "r"(sel) : "cc");
    printf("doors: sel=%#x lar=%s%#lx lsl=%s%#lx verr=%d verw=%d\n", sel, ok_ar ? "" : "-",
           ok_ar ? ar : 1UL, ok_lim ? "" : "-", ok_lim ? lim : 1UL, r, w);
}

static long raw2(long nr, long a, long b)
{
    long ret;
    __asm__ volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
    return ret;
}

/*
 * The kernel writes user memory only with the user page's own rights (CR0.WP and copyout's
 * check): system calls that store into a read-only mapping or into the program's code get
 * -EFAULT (-14), as on Linux, and the bytes stay as they were.
 */
static void readonly_copyout(void)
{
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    long uname_ro = raw2(63 /* uname */, (long)ro, 0);
    long clock_ro = raw2(228 /* clock_gettime */, 1 /* CLOCK_MONOTONIC */, (long)ro);
    long getcwd_ro = raw2(79 /* getcwd */, (long)ro, 64);
    long uname_text = raw2(63, (long)main_text_probe, 0);
    int untouched = ro[0] == 0 && ro[4095] == 0;
    printf("doors: readonly uname=%ld clock_gettime=%ld getcwd=%ld uname_text=%ld untouched=%d\n",
           uname_ro, clock_ro, getcwd_ro, uname_text, untouched);
}

int main(int argc, char **argv)
{
    __asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(own_cs), "=r"(own_ss));
    setvbuf(stdout, NULL, _IOLBF, 0);
    bool all = argc > 1 && !strcmp(argv[1], "all");
    if (all || (argc > 1 && !strcmp(argv[1], "int"))) {
        for (int n = 0; n < 256; n++)
            try("int", NULL, n, NULL, int_n);
        if (!all) {
            puts("doors: done");
            return 0;
        }
        argc = 1;
    }
    int ran = 0;
    for (size_t i = 0; i < sizeof doors / sizeof doors[0]; i++) {
        int wanted = argc == 1;
        for (int a = 1; a < argc; a++)
            wanted |= !strcmp(argv[a], doors[i].name);
        if (wanted) {
            try("door", doors[i].name, 0, doors[i].fn, NULL);
            ran++;
        }
    }
    uint16_t ds, es, fs, gs;
    __asm__ volatile("mov %%ds, %0\n\tmov %%es, %1\n\tmov %%fs, %2\n\tmov %%gs, %3"
                     : "=r"(ds), "=r"(es), "=r"(fs), "=r"(gs));
    printf("doors: segs ds=%#x es=%#x fs=%#x gs=%#x\n", ds, es, fs, gs);
    readonly_copyout();
    for (uint16_t sel = 0; sel < 0x80; sel += 8)
        probe(sel | 3);
    probe(LDT_SEL);
    probe(BEYOND_GDT | 3);
    printf("doors: done ran=%d\n", ran);
    return 0;
}
