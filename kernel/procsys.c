/*
 * The files of /proc that belong to no process (procfs.h): meminfo, cpuinfo, uptime, mounts,
 * sys/kernel's ostype, osrelease and pid_max and sys/fs/lease-break-time, in the formats of Linux's
 * fs/proc/{meminfo,cpuinfo,uptime}.c, arch/x86/kernel/cpu/proc.c and kernel/sysctl.c.
 */
#include "kernel.h"
#include "file.h"
#include "lease.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "x86.h"

static const char *const mounts_text = "rootfs / rootfs rw 0 0\nproc /proc proc rw,relatime 0 0\n";

static void show_meminfo(struct pbuf *b)
{
    uint64_t total = kalloc_total_pages() * 4, free = kalloc_free_pages() * 4;
    uint64_t files = fsdata_pages_used() * 4;   /* written file bytes: in RAM, as tmpfs's (Cached, Shmem) */
    /* Linux fs/proc/meminfo.c show_val_kb: the name padded to 16, the value to 8, " kB" */
    /* No LRU lists: every page in use is "Active" (nothing is aged or reclaimed), none
       "Inactive". Slab: fsname.c's name pages (the one slab-like cache that gives pages
       back). Memory is populated when mapped, so what is committed is what is in use;
       CommitLimit is Linux's formula with no swap: half of RAM (overcommit_ratio 50). */
    uint64_t used = total - free, slab = fsname_pages() * 4;
    static const char *const names[] = { "MemTotal:", "MemFree:", "MemAvailable:", "Buffers:",
                                         "Cached:", "SwapCached:", "Active:", "Inactive:",
                                         "SwapTotal:", "SwapFree:", "Shmem:", "Slab:",
                                         "SReclaimable:", "SUnreclaim:", "KernelStack:",
                                         "CommitLimit:", "Committed_AS:" };
    uint64_t vals[] = { total, free, free, file_cache_pages() * 4, files, 0, used, 0, 0, 0, files,
                        slab, 0, slab, (uint64_t)proc_count() * KSTACK_PAGES * 4, total / 2, used };
    _Static_assert(ARRAY_SIZE(names) == ARRAY_SIZE(vals), "a value per name");
    for (uint64_t i = 0; i < ARRAY_SIZE(names); i++) {
        pb_put(b, names[i], strlen(names[i]));
        pb_put(b, "                ", 16 - strlen(names[i]));   /* "%-16s": kprintf has no '-' */
        pb_printf(b, "%8lu kB\n", vals[i]);
    }
}

/* CPUID feature bits by Linux's names (arch/x86/include/asm/cpufeatures.h), in its word order. */
struct cpuflag { uint32_t leaf; uint8_t reg, bit; const char *name; };   /* reg: 0 ebx 1 ecx 2 edx */
static const struct cpuflag cpuflags[] = {
    { 1, 2, 0, "fpu" }, { 1, 2, 1, "vme" }, { 1, 2, 2, "de" }, { 1, 2, 3, "pse" }, { 1, 2, 4, "tsc" },
    { 1, 2, 5, "msr" }, { 1, 2, 6, "pae" }, { 1, 2, 7, "mce" }, { 1, 2, 8, "cx8" }, { 1, 2, 9, "apic" },
    { 1, 2, 11, "sep" }, { 1, 2, 12, "mtrr" }, { 1, 2, 13, "pge" }, { 1, 2, 14, "mca" }, { 1, 2, 15, "cmov" },
    { 1, 2, 16, "pat" }, { 1, 2, 17, "pse36" }, { 1, 2, 19, "clflush" }, { 1, 2, 23, "mmx" },
    { 1, 2, 24, "fxsr" }, { 1, 2, 25, "sse" }, { 1, 2, 26, "sse2" }, { 1, 2, 28, "ht" },
    { 0x80000001, 2, 11, "syscall" }, { 0x80000001, 2, 20, "nx" }, { 0x80000001, 2, 22, "mmxext" },
    { 0x80000001, 2, 26, "pdpe1gb" }, { 0x80000001, 2, 27, "rdtscp" }, { 0x80000001, 2, 29, "lm" },
    { 1, 1, 0, "pni" }, { 1, 1, 1, "pclmulqdq" }, { 1, 1, 9, "ssse3" }, { 1, 1, 12, "fma" },
    { 1, 1, 13, "cx16" }, { 1, 1, 17, "pcid" }, { 1, 1, 19, "sse4_1" }, { 1, 1, 20, "sse4_2" },
    { 1, 1, 21, "x2apic" }, { 1, 1, 22, "movbe" }, { 1, 1, 23, "popcnt" }, { 1, 1, 25, "aes" },
    { 1, 1, 26, "xsave" }, { 1, 1, 28, "avx" }, { 1, 1, 29, "f16c" }, { 1, 1, 30, "rdrand" },
    { 1, 1, 31, "hypervisor" },
    { 0x80000001, 1, 0, "lahf_lm" }, { 0x80000001, 1, 5, "abm" }, { 0x80000001, 1, 6, "sse4a" },
    { 7, 0, 0, "fsgsbase" }, { 7, 0, 3, "bmi1" }, { 7, 0, 5, "avx2" }, { 7, 0, 7, "smep" },
    { 7, 0, 8, "bmi2" }, { 7, 0, 9, "erms" }, { 7, 0, 10, "invpcid" }, { 7, 0, 18, "rdseed" },
    { 7, 0, 19, "adx" }, { 7, 0, 20, "smap" }, { 7, 0, 23, "clflushopt" }, { 7, 0, 24, "clwb" },
    { 7, 0, 29, "sha_ni" },
    { 7, 1, 2, "umip" }, { 7, 1, 22, "rdpid" },
};

static void show_cpuinfo(struct pbuf *b)
{
    uint32_t a, r[3], d, max, maxext, vendor[4] = { 0 }, brand[13] = { 0 };
    cpuid(0, 0, &max, &vendor[0], &vendor[2], &vendor[1]);
    cpuid(0x80000000, 0, &maxext, &r[0], &r[1], &d);
    uint32_t sig, misc, c1, d1;
    cpuid(1, 0, &sig, &misc, &c1, &d1);
    for (uint32_t i = 0; i < 3 && maxext >= 0x80000004; i++)
        cpuid(0x80000002 + i, 0, &brand[4 * i], &brand[4 * i + 1], &brand[4 * i + 2], &brand[4 * i + 3]);
    uint32_t family = (sig >> 8) & 0xf, model = (sig >> 4) & 0xf;
    if (family == 0xf)
        family += (sig >> 20) & 0xff;        /* Linux x86_family */
    if (family >= 6)
        model += ((sig >> 16) & 0xf) << 4;   /* Linux x86_model */
    /* Linux arch/x86/kernel/cpu/proc.c show_cpuinfo, the fields it prints whatever the CPU */
    pb_printf(b, "processor\t: 0\nvendor_id\t: %s\ncpu family\t: %u\nmodel\t\t: %u\nmodel name\t: %s\n"
                 "stepping\t: %u\n", (char *)vendor, family, model, brand[0] ? (char *)brand : "unknown",
              sig & 0xf);
    pb_printf(b, "physical id\t: 0\nsiblings\t: 1\ncore id\t\t: 0\ncpu cores\t: 1\napicid\t\t: %u\n"
                 "initial apicid\t: %u\nfpu\t\t: %s\nfpu_exception\t: %s\ncpuid level\t: %u\nwp\t\t: yes\n"
                 "flags\t\t:", misc >> 24, misc >> 24, d1 & 1 ? "yes" : "no", d1 & 1 ? "yes" : "no", max);
    for (uint64_t i = 0; i < ARRAY_SIZE(cpuflags); i++) {
        const struct cpuflag *f = &cpuflags[i];
        if ((f->leaf >= 0x80000000 ? maxext : max) < f->leaf)
            continue;
        cpuid(f->leaf, 0, &a, &r[0], &r[1], &r[2]);
        if (r[f->reg] >> f->bit & 1)
            pb_printf(b, " %s", f->name);
    }
    uint32_t sizes = 0;
    if (maxext >= 0x80000008)
        cpuid(0x80000008, 0, &sizes, &r[0], &r[1], &d);
    pb_printf(b, "\nclflush size\t: %u\ncache_alignment\t: %u\naddress sizes\t: %u bits physical, %u bits "
                 "virtual\npower management:\n\n", (misc >> 8 & 0xff) * 8, (misc >> 8 & 0xff) * 8,
              sizes & 0xff, sizes >> 8 & 0xff);
}

/* Linux fs/proc/uptime.c: seconds since boot and idle seconds (summed over CPUs), 1/100 s. */
static void show_uptime(struct pbuf *b)
{
    uint64_t up = ticks * 100 / TIMER_HZ, idle = idle_ticks * 100 / TIMER_HZ;
    pb_printf(b, "%lu.%02lu %lu.%02lu\n", up / 100, up % 100, idle / 100, idle % 100);
}

void procsys_show(struct pbuf *b, enum procnode kind)
{
    switch (kind) {
    case PN_MEMINFO: show_meminfo(b); break;
    case PN_CPUINFO: show_cpuinfo(b); break;
    case PN_UPTIME: show_uptime(b); break;
    case PN_MOUNTS: pb_put(b, mounts_text, strlen(mounts_text)); break;
    case PN_OSTYPE: pb_printf(b, "%s\n", UTS_SYSNAME); break;
    case PN_OSRELEASE: pb_printf(b, "%s\n", UTS_RELEASE); break;
    case PN_PIDMAX: pb_printf(b, "%d\n", PROCFS_PID_MAX); break;
    case PN_LEASEBREAK: pb_printf(b, "%d\n", lease_break_time); break;
    default: break;
    }
}
