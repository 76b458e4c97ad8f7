/*
 * m32tls: set_thread_area and get_thread_area from a 32-bit program (i386 glibc, built as
 * images/user/m32tls-m32), the same on the host's Linux and in ringlab. For each struct
 * user_desc in a table (every flag combination Linux's tls_desc_okay judges, entry numbers
 * in and out of range) it prints the call's result and what get_thread_area reads back; then
 * it loads %fs with a TLS selector and reads through it; then, in children, the hostile
 * cases: clearing the entry %fs or %ss names (a live selector must not reach the kernel's
 * iretq), and a full entry table (-ESRCH).
 */
#include <errno.h>
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
#define F(s32, cont, reo, lip, snp, use) ((s32) | (cont) << 1 | (reo) << 3 | (lip) << 4 | (snp) << 5 | (use) << 6)
#define EMPTY F(0, 0, 1, 0, 1, 0)

static long sta(struct udesc *u) { return syscall(SYS_set_thread_area, u); }
static long gta(struct udesc *u) { return syscall(SYS_get_thread_area, u); }
static uint32_t word = 0x5a5a1234;

static void show(const char *what, struct udesc u)
{
    long r = sta(&u);
    int e = r < 0 ? errno : 0;
    struct udesc g = { .entry_number = u.entry_number };
    long gr = (u.entry_number >= 12 && u.entry_number <= 14) ? gta(&g) : -2;
    printf("m32tls: %s set=%ld/%d entry=%d get=%ld base=%#x limit=%#x flags=%#x\n", what, r, e,
           (int)u.entry_number, gr, g.base_addr, g.limit, g.flags);
}

static int child(void (*fn)(void))
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        fn();
        _exit(77);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

static void clear_fs_entry(void)
{
    struct udesc u = { 13, (uint32_t)(uintptr_t)&word, 0xfffff, F(1, 0, 0, 1, 0, 1) };
    sta(&u);
    __asm__ volatile("mov %0, %%fs" ::"r"(13 * 8 + 3));
    u = (struct udesc){ 13, 0, 0, EMPTY };
    sta(&u);                                       /* %fs named it: reloaded as null */
    unsigned short fs;
    __asm__ volatile("mov %%fs, %0" : "=r"(fs));
    printf("m32tls: after clearing, fs=%#x\n", fs);
    fflush(stdout);
}

static void clear_ss_entry(void)
{
    struct udesc u = { 14, 0, 0xfffff, F(1, 0, 0, 1, 0, 1) };
    sta(&u);
    struct udesc e = { 14, 0, 0, EMPTY };
    long r;
    /* SS = the TLS entry, then int $0x80 set_thread_area(empty) on that same stack: the
       return to user mode cannot load SS any more. */
    __asm__ volatile("mov %%ss, %%si\n\tmov %2, %%ss\n\tint $0x80\n\tmov %%si, %%ss"
                     : "=a"(r) : "a"(SYS_set_thread_area), "r"(14 * 8 + 3), "b"(&e) : "esi", "memory");
    printf("m32tls: returned with SS on a cleared entry: %ld\n", r);
}

static void fill_all(void)
{
    for (int i = 0; i < 4; i++) {
        struct udesc u = { (uint32_t)-1, 0x1000 * (i + 1), 0xfff, F(1, 0, 0, 0, 0, 1) };
        long r = sta(&u);
        printf("m32tls: alloc %d -> %ld/%d entry=%d\n", i, r, r < 0 ? errno : 0, (int)u.entry_number);
    }
}

int main(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    /* glibc already took entry 12 for its own TLS: the table uses 13 and 14 */
    static const struct { const char *what; uint32_t entry, base, limit, flags; } t[] = {
        { "data32", 13, 0x12345678, 0xfffff, F(1, 0, 0, 1, 0, 1) },
        { "data32_ro", 13, 0x1000, 0xfff, F(1, 0, 1, 0, 0, 0) },
        { "expand_down", 14, 0x2000, 0x10, F(1, 1, 0, 0, 0, 0) },
        { "code", 13, 0, 0xfffff, F(1, 2, 0, 1, 0, 0) },
        { "conforming_code", 13, 0, 0xfffff, F(1, 3, 0, 1, 0, 0) },
        { "data16", 13, 0, 0xffff, F(0, 0, 0, 0, 0, 0) },
        { "not_present", 13, 0x1000, 0xfff, F(1, 0, 0, 0, 1, 0) },
        { "lm_bit", 13, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0) | 1u << 7 },
        { "empty", 13, 0, 0, EMPTY },
        { "zero", 14, 0, 0, 0 },
        { "entry_11", 11, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0) },
        { "entry_15", 15, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0) },
        { "entry_huge", 0x7fffffff, 0x1000, 0xfff, F(1, 0, 0, 0, 0, 0) },
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        show(t[i].what, (struct udesc){ t[i].entry, t[i].base, t[i].limit, t[i].flags });
    printf("m32tls: bad pointer set=%ld/%d get=%ld/%d\n", sta((void *)16), errno,
           gta((void *)16), errno);

    struct udesc u = { 13, (uint32_t)(uintptr_t)&word, 0xfffff, F(1, 0, 0, 1, 0, 1) };
    sta(&u);
    uint32_t via_fs;
    __asm__ volatile("mov %1, %%fs\n\tmov %%fs:0, %0" : "=r"(via_fs) : "r"(13 * 8 + 3));
    printf("m32tls: read through fs=0x6b: %#x\n", via_fs);
    __asm__ volatile("mov %0, %%fs" ::"r"(0));

    printf("m32tls: clear_fs_entry status=%d\n", child(clear_fs_entry));
    printf("m32tls: clear_ss_entry status=%d\n", child(clear_ss_entry));
    printf("m32tls: fill_all status=%d\n", child(fill_all));
    return 0;
}
