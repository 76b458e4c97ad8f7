/*
 * sig_faults: every kind of ring-3 fault caught by the program's own SA_SIGINFO handler,
 * which prints what Linux reports - si_signo, si_code, si_addr, and REG_TRAPNO, REG_ERR,
 * REG_CR2 from uc_mcontext - then moves the saved RIP past the faulting code so the
 * program carries on. Addresses that differ between machines (code, stack) are printed by
 * name: insn (the faulting instruction), next (the one after it), target (the address the
 * case aimed at). Same output and status on Linux and in ringlab.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "sigtest.h"

static const char *name;
static unsigned long insn, next, target, resume;

static const char *where(unsigned long a, char *buf)
{
    if (a == insn) return "insn";
    if (a == next) return "next";
    if (a == target && a) return "target";
    snprintf(buf, 32, "%#lx", a);
    return buf;
}

static void handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    greg_t *g = uc->uc_mcontext.gregs;
    char a[32], r[32], c[32];
    say("%s: signo=%d code=%d addr=%s trapno=%lld err=%#llx rip=%s", name, si->si_signo, si->si_code,
        where((unsigned long)si->si_addr, a), g[REG_TRAPNO], g[REG_ERR], where(g[REG_RIP], r));
    if (g[REG_TRAPNO] == 14)
        say(" cr2=%s", where(g[REG_CR2], c));
    say(" handler_sig=%d\n", sig);
    g[REG_RIP] = resume;
    g[REG_EFL] &= ~0x100L;          /* the single-step case leaves TF set */
}

/* Each case: a global label pair NAME_insn/NAME_next around the faulting instruction and
 * NAME_resume where the handler sends us. */
#define CASE(N, BODY, ...)                                                                 \
    static void case_##N(void)                                                             \
    {                                                                                      \
        extern char N##_insn[], N##_next[], N##_resume[];                                  \
        name = #N; insn = (unsigned long)N##_insn; next = (unsigned long)N##_next;          \
        resume = (unsigned long)N##_resume;                                                \
        __asm__ volatile(BODY "\n" #N "_resume:" ::__VA_ARGS__ : "rax", "rcx", "rdx", "memory", "cc"); \
    }

#define L(N) ".globl " #N "_insn, " #N "_next, " #N "_resume\n"
CASE(null_read, L(null_read) "null_read_insn: movq 0, %%rax\nnull_read_next: nop")
CASE(text_write, L(text_write) "text_write_insn: movb $0x90, text_write_next(%%rip)\ntext_write_next: nop")
CASE(kernel_read, L(kernel_read) "movabs $0xffffffff80100000, %%rdx\nkernel_read_insn: movq (%%rdx), %%rax\nkernel_read_next: nop")
CASE(noncanon, L(noncanon) "movabs $0x8000000000000000, %%rdx\nnoncanon_insn: movq (%%rdx), %%rax\nnoncanon_next: nop")
CASE(ud2, L(ud2) "ud2_insn: ud2\nud2_next: nop")
CASE(div0, L(div0) "xor %%ecx, %%ecx\nmov $1, %%eax\nxor %%edx, %%edx\ndiv0_insn: div %%ecx\ndiv0_next: nop")
CASE(int3, L(int3) "int3_insn: int3\nint3_next: nop")
CASE(hlt, L(hlt) "hlt_insn: hlt\nhlt_next: nop")
CASE(cli, L(cli) "cli_insn: cli\ncli_next: nop")
CASE(inb, L(inb) "inb_insn: inb $0x80, %%al\ninb_next: nop")
CASE(cr0, L(cr0) "cr0_insn: mov %%cr0, %%rax\ncr0_next: nop")
CASE(popf_tf, L(popf_tf) "pushfq\norq $0x100, (%%rsp)\npopfq\npopf_tf_insn: nop\npopf_tf_next: nop")
CASE(nx_jump, L(nx_jump) "nx_jump_insn: jmp *%0\nnx_jump_next: nop", "r"(target))
CASE(ro_write, L(ro_write) "movq (%0), %%rax\nro_write_insn: movq %%rax, (%0)\nro_write_next: nop", "r"(target))

int main(void)
{
    int sigs[] = { SIGSEGV, SIGILL, SIGFPE, SIGTRAP, SIGBUS };
    for (unsigned i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        install(sigs[i], handler, 0);

    case_null_read();
    case_text_write();
    case_kernel_read();
    case_noncanon();
    case_ud2();
    case_div0();
    case_int3();
    case_hlt();
    case_cli();
    case_inb();
    case_cr0();
    case_popf_tf();
    unsigned char stackcode[16] = { 0xc3 };
    target = (unsigned long)stackcode;
    case_nx_jump();
    char *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    target = (unsigned long)ro;
    case_ro_write();
    say("sig_faults: done\n");
    return 0;
}
