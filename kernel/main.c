/*
 * kmain: from boot.S, in 64-bit mode on the boot stack, running in the
 * higher half with the boot page tables. Sets up the machine, makes the first
 * multiboot module pid 1, and hands the CPU to the scheduler.
 */
#include "kernel.h"
#include "cover.h"
#include "file.h"
#include "kargs.h"
#include "ldt.h"
#include "mmu.h"
#include "multiboot.h"
#include "percpu.h"
#include "proc.h"
#include "trap.h"
#include "vdso.h"
#include "vm.h"

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* A module's file name: the text after the last space of its string, else the basename of the path. */
static const char *module_name(const char *s)
{
    const char *name = s;
    for (const char *p = s; *p; p++)
        if (*p == ' ' && p[1])
            name = p + 1;
    if (name == s)
        for (const char *p = s; *p; p++)
            if (*p == '/' && p[1])
                name = p + 1;
    return name;
}

noreturn void kmain(uint32_t magic, uint32_t mbi_phys)
{
    serial_init();
    cover_init();                        /* the coverage build's record, if its device is there */
    percpu_init();
    if (magic != MB_BOOT_MAGIC)
        panic("not-multiboot eax=0x%x", magic);
    struct mb_info *mbi = P2V(mbi_phys);
    const char *cmd = (mbi->flags & MBI_CMDLINE) ? P2V(mbi->cmdline) : "";
    kargs_init(cmd);
    uint64_t mem_end = 0x100000 + (uint64_t)mbi->mem_upper * 1024;
    if (mem_end > KERNEL_MAP_SIZE)
        mem_end = KERNEL_MAP_SIZE;
    kevent("boot cmdline=\"%s\" mem_kib=%lu", kargs.text, mem_end / 1024);
    kargs_parse();

    cpu_init();
    gdt_init();
    idt_init();
    syscall_init();

    /* Everything the loader put above the kernel (modules, their strings) stays reserved. */
    uint64_t reserved_end = V2P(__kernel_end);
    reserved_end = max_u64(reserved_end, mbi_phys + sizeof *mbi);
    reserved_end = max_u64(reserved_end, mbi->cmdline + strlen(cmd) + 1);
    struct mb_module *mods = P2V(mbi->mods_addr);
    uint32_t nmods = (mbi->flags & MBI_MODS) ? mbi->mods_count : 0;
    if (nmods > NFSFILE)
        panic("too-many-modules count=%u max=%d", nmods, NFSFILE);
    reserved_end = max_u64(reserved_end, mbi->mods_addr + nmods * sizeof *mods);
    for (uint32_t i = 0; i < nmods; i++) {
        reserved_end = max_u64(reserved_end, mods[i].end);
        reserved_end = max_u64(reserved_end, mods[i].string + strlen(P2V(mods[i].string)) + 1);
    }
    /* Modules that end past usable RAM (QEMU silently drops what does not fit in it) or
       leave too little of it: say how much the machine needs, and stop cleanly. */
    uint64_t need_end = kalloc_need_end(reserved_end);
    if (need_end > mem_end) {
        uint64_t modules = 0;
        for (uint32_t i = 0; i < nmods; i++)
            modules += mods[i].end - mods[i].start;
        kevent("no-memory need_kib=%lu mem_kib=%lu modules_kib=%lu", ALIGN_UP(need_end, 1024) / 1024,
               mem_end / 1024, ALIGN_UP(modules, 1024) / 1024);
        kevent("halt status=%d", NOMEM_STATUS);
        machine_exit(NOMEM_STATUS);
    }
    vm_init(mem_end);
    espfix_init();                  /* espfix aliases and LDT windows: kernel-half regions */
    ldt_init();
    execmap_init();
    testhook_init();
    kalloc_init(reserved_end, mem_end);

    for (uint32_t i = 0; i < nmods; i++)
        fs_add(module_name(P2V(mods[i].string)), P2V(mods[i].start), mods[i].end - mods[i].start);
    if (nmods == 0)
        panic("no-init-module");
    testhook_fs();

    vdso_init();                     /* before the first tick writes its page */
    pic_init();
    timer_init();
    console_init();
    kevent("mem free_pages=%lu", kalloc_free_pages());

    /* init's argv: its name, then `init.args=a,b,c` from the kernel command line. init is
       the first module itself, whether or not "/" took it (a name "/" already has, such as
       tmp, leaves it out: module-skipped). */
    const char *argv[KARGS_MAX_INIT_ARGS + 2];
    int argc = 0;
    const char *init_name = module_name(P2V(mods[0].string));
    argv[argc++] = init_name;
    for (int i = 0; i < kargs.init_argc; i++)
        argv[argc++] = kargs.init_argv[i];
    argv[argc] = NULL;
    proc_spawn_init(init_name, P2V(mods[0].start), mods[0].end - mods[0].start, argv);
    scheduler();
}
