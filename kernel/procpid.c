/*
 * The files of /proc/PID (procfs.h): stat, status, cmdline, comm, environ, auxv, maps, mem, in
 * the formats of Linux's fs/proc/array.c and fs/proc/task_mmu.c for the fields kept here.
 *
 * There are no VMAs: an address space is its page tables plus struct mm's brk and image fields
 * (thread.h), so maps shows runs of pages with equal rights and equal origin, named as Linux
 * names its VMAs: the executable (the ranges execve noted, with their file offsets), [heap] (the
 * brk range), [stack], [vvar] and [vdso] (the bases the vDSO sets), anonymous otherwise.
 * Adjacent anonymous mappings with equal rights are one line here, as Linux merges them.
 *
 * Every access to another process's memory walks its tables in the kernel (no sleep, one CPU:
 * the tables cannot change under the walk) and reaches pages through the direct map.
 */
#include "kernel.h"
#include "cred.h"
#include "elf.h"
#include "errno.h"
#include "file.h"
#include "mmu.h"
#include "proc.h"
#include "procfs.h"
#include "vm.h"
#include "vdso.h"                            /* VSYSCALL_PAGE; [vdso] and [vvar] (vdso_hit) */

#define TASK_COMM_LEN 16                     /* Linux: comm shows at most 15 bytes */

/* ---- image ranges, noted at execve ------------------------------------------------------ */

/* The file-backed part of each PT_LOAD of a 64-bit image (p_filesz, page-rounded as Linux's
   elf_map maps it); the bss beyond is anonymous. An i386 image notes none. */
void procpid_note_image(struct mm *mm, const uint8_t *data, uint64_t size)
{
    const struct elf64_ehdr *eh = (const void *)data;
    mm->nseg = 0;
    if (size < sizeof *eh || eh->e_class != 2 || eh->e_phentsize != sizeof(struct elf64_phdr) ||
        eh->e_phoff > size || (size - eh->e_phoff) / sizeof(struct elf64_phdr) < eh->e_phnum)
        return;
    const struct elf64_phdr *ph = (const void *)(data + eh->e_phoff);
    for (int i = 0; i < eh->e_phnum && mm->nseg < MM_NSEG; i++) {
        if (ph[i].p_type != PT_LOAD || !ph[i].p_filesz)
            continue;
        uint64_t start = ALIGN_DOWN(ph[i].p_vaddr, PAGE_SIZE);
        mm->seg[mm->nseg++] = (struct mm_seg){ start, ALIGN_UP(ph[i].p_vaddr + ph[i].p_filesz, PAGE_SIZE),
                                               ALIGN_DOWN(ph[i].p_offset, PAGE_SIZE) };
    }
}

/* ---- the page walk -------------------------------------------------------------------- */

enum origin { O_ANON, O_EXE, O_HEAP, O_STACK, O_VDSO, O_VVAR };

struct region {
    uint64_t start, end;
    uint64_t pte;                            /* the rights of its pages: PTE_U, PTE_W, PTE_NX, PTE_SHARED */
    enum origin origin;
    uint64_t off;                            /* O_EXE: the file offset of start */
    int seg;                                 /* O_EXE: which PT_LOAD (each is its own VMA in Linux) */
};

#define PTE_RIGHTS (PTE_U | PTE_W | PTE_NX | PTE_SHARED)

/* Where page va comes from; for the executable, its file offset and its PT_LOAD (*seg). */
static enum origin origin_of(const struct mm *mm, uint64_t va, uint64_t *off, int *seg)
{
    for (int i = 0; i < mm->nseg; i++) {
        if (va >= mm->seg[i].start && va < mm->seg[i].end) {
            *off = mm->seg[i].off + (va - mm->seg[i].start);
            *seg = i;
            return O_EXE;
        }
    }
    if (mm->brk > mm->brk_start && va >= mm->brk_start && va < ALIGN_UP(mm->brk, PAGE_SIZE))
        return O_HEAP;
    if (stack_page(mm, va))
        return O_STACK;
    if (mm->vdso_base && va == mm->vdso_base)
        return O_VDSO;
    if (mm->vvar_base && va == mm->vvar_base)
        return O_VVAR;
    return O_ANON;
}

/* The region starting at the first mapped page at or above *va; false past the user half. */
static bool next_region(const struct mm *mm, uint64_t *va, struct region *r)
{
    uint64_t a = uvm_next_mapped(mm->pml4, *va, USER_TOP);
    if (a >= USER_TOP)
        return false;
    uint64_t *pte = uvm_pte(mm->pml4, a);
    *r = (struct region){ .start = a, .end = a + PAGE_SIZE, .pte = *pte & PTE_RIGHTS };
    r->origin = origin_of(mm, a, &r->off, &r->seg);
    for (;;) {
        uint64_t b = r->end, off = 0;
        int seg = -1;
        uint64_t *next = b < USER_TOP ? uvm_pte(mm->pml4, b) : NULL;
        if (!next || (*next & PTE_RIGHTS) != r->pte)
            break;
        enum origin o = origin_of(mm, b, &off, &seg);
        bool special = r->origin == O_VDSO || r->origin == O_VVAR;   /* its pages after the first */
        if (o != r->origin && !(special && o == O_ANON))
            break;
        if (o == O_EXE && (seg != r->seg || off != r->off + (b - r->start)))
            break;                           /* two segments back to back */
        r->end = b + PAGE_SIZE;
    }
    *va = r->end;
    return true;
}

/* ---- maps ------------------------------------------------------------------------------- */

/* Linux show_vma_header_prefix + show_map_vma: the name padded to column 73. */
static void map_line(struct pbuf *b, uint64_t start, uint64_t end, const char *rights, uint64_t off,
                     unsigned major, unsigned minor, uint64_t ino, const char *name)
{
    char line[128];
    int n = snprintf(line, sizeof line, "%08lx-%08lx %s %08lx %02x:%02x %lu ", start, end, rights, off,
                     major, minor, ino);
    pb_put(b, line, (uint64_t)n);
    if (name) {
        for (; n < 72; n++)
            pb_put(b, " ", 1);
        pb_put(b, " ", 1);
        pb_put(b, name, strlen(name));
    }
    pb_put(b, "\n", 1);
}

static void show_maps(struct pbuf *b, struct mm *mm)
{
    struct region r;
    uint64_t va = 0;
    char path[FS_EXE_PATH_MAX + 16];
    snprintf(path, sizeof path, "%s%s", mm->exe_path, mm->exe && !mm->exe->nlink ? " (deleted)" : "");
    while (next_region(mm, &va, &r)) {
        bool u = r.pte & PTE_U;              /* PROT_NONE clears U/S (sysmem.c) */
        char rights[5] = { u ? 'r' : '-', u && (r.pte & PTE_W) ? 'w' : '-', u && !(r.pte & PTE_NX) ? 'x' : '-',
                           r.pte & PTE_SHARED ? 's' : 'p', 0 };
        static const char *const names[] = { [O_HEAP] = "[heap]", [O_STACK] = "[stack]", [O_VDSO] = "[vdso]",
                                             [O_VVAR] = "[vvar]" };
        if (r.origin == O_EXE && mm->exe)
            map_line(b, r.start, r.end, rights, r.off, 0, 1, mm->exe->ino, path);   /* st_dev 1: 00:01 */
        else
            map_line(b, r.start, r.end, rights, 0, 0, 0, 0, r.origin == O_ANON || r.origin == O_EXE ? NULL
                                                                                   : names[r.origin]);
    }
#ifdef VSYSCALL_PAGE
    map_line(b, VSYSCALL_PAGE, VSYSCALL_PAGE + PAGE_SIZE, "--xp", 0, 0, 0, 0, "[vsyscall]");
#endif
}

/* ---- sizes for status and stat --------------------------------------------------------- */

struct vmsize { uint64_t total, data, stack, exe, file, shared; };   /* pages */

static void vm_sizes(struct mm *mm, struct vmsize *s)
{
    struct region r;
    uint64_t va = 0;
    memset(s, 0, sizeof *s);
    while (next_region(mm, &va, &r)) {
        uint64_t n = (r.end - r.start) / PAGE_SIZE;
        s->total += n;
        uint64_t grows = growsdown_pages(mm, r.start, r.end);   /* Linux's VM_STACK: VmStk, the
                                                               stack and MAP_GROWSDOWN mappings */
        if ((r.pte & PTE_SHARED) && r.origin == O_ANON)
            s->shared += n;                  /* MAP_SHARED anonymous memory: Linux's shmem */
        s->stack += grows;
        if (r.origin == O_EXE)
            s->file += n, s->exe += (r.pte & PTE_NX) ? 0 : n;
        else if ((r.pte & (PTE_W | PTE_SHARED)) == PTE_W)
            s->data += n - grows;            /* Linux VmData: private writable, not stack */
    }
}

/* ---- stat and status --------------------------------------------------------------------- */

static char state_char(struct proc *p)
{
    switch (p->state) {
    case P_ZOMBIE: return 'Z';
    case P_DEAD: return 'X';
    case P_RUNNING:
    case P_RUNNABLE: return 'R';
    default: return p->sig.stopped ? 'T' : 'S';
    }
}

static const char *state_name(char c)
{
    switch (c) {
    case 'R': return "R (running)";
    case 'Z': return "Z (zombie)";
    case 'X': return "X (dead)";
    case 'T': return "T (stopped)";
    default: return "S (sleeping)";
    }
}

static void sigsets(struct proc *p, uint64_t *ign, uint64_t *cgt)
{
    *ign = *cgt = 0;
    for (int s = 1; p->sighand && s < NSIG; s++) {
        uint64_t h = p->sighand->action[s].handler;
        if (h == SIG_IGN)
            *ign |= SIGBIT(s);
        else if (h != SIG_DFL)
            *cgt |= SIGBIT(s);
    }
}

static void comm(struct proc *p, char out[TASK_COMM_LEN])
{
    snprintf(out, TASK_COMM_LEN, "%s", p->name);
}

/* Linux do_task_stat: 52 fields. What is not kept here is 0 (minflt, priority beyond 20...), as
   Linux prints 0 for the fields it hides (kstkesp, kstkeip, wchan) or no longer keeps (nswap);
   code, stack and argument addresses only to a caller with ptrace's permission. */
static void show_stat(struct pbuf *b, struct proc *p)
{
    char name[TASK_COMM_LEN], c = state_char(p);
    comm(p, name);
    struct mm *mm = p->mm;
    struct vmsize vs = { 0 };
    if (mm)
        vm_sizes(mm, &vs);
    bool permitted = ptrace_may_access(myproc(), p) == 0;
    uint64_t ign, cgt, code[2] = { 0, 0 }, data[2] = { 0, 0 };
    sigsets(p, &ign, &cgt);
    for (int i = 0; mm && i < mm->nseg; i++) {
        uint64_t *to = i ? data : code;      /* Linux: start_code..end_code is the first, then data */
        if (!to[0])
            to[0] = mm->seg[i].start;
        to[1] = mm->seg[i].end;
    }
    int ppid = p->leader->parent ? p->leader->parent->tgid : 0;
    uint64_t pending = p->leader->sig.shared.set | p->sig.pending.set;
    /* 1-13: pid comm state ppid pgrp session tty_nr (the console, 5:1) tpgid flags faults */
    pb_printf(b, "%d (%s) %c %d 1 1 %d 1 0 0 0 0 0 ", p->pid, name, c, ppid, (5 << 8) | 1);
    /* 14-25: utime stime cutime cstime priority nice num_threads itrealvalue starttime vsize rss rsslim */
    pb_printf(b, "%lu %lu 0 0 20 0 %d 0 %lu %lu %lu %lu ", p->utime, p->stime, p->leader->nthreads,
              p->start_ticks, vs.total * PAGE_SIZE, vs.total, ~0UL);
    /* 26-30: startcode endcode startstack kstkesp kstkeip */
    uint64_t hidden = mm ? 1 : 0;
    pb_printf(b, "%lu %lu %lu 0 0 ", mm && permitted ? code[0] : hidden, mm && permitted ? code[1] : hidden,
              mm && permitted ? mm->start_stack : 0);
    /* 31-44: signal blocked sigignore sigcatch wchan nswap cnswap exit_signal processor
       rt_priority policy delayacct_blkio_ticks guest_time cguest_time */
    pb_printf(b, "%lu %lu %lu %lu 0 0 0 17 0 0 0 0 0 0", pending, p->sig.blocked, ign, cgt);
    /* 45-52: start_data end_data start_brk arg_start arg_end env_start env_end exit_code */
    if (mm && permitted)
        pb_printf(b, " %lu %lu %lu %lu %lu %lu %lu", data[0], data[1], mm->brk_start, mm->arg_start, mm->arg_end,
                  mm->env_start, mm->env_end);
    else
        pb_printf(b, " 0 0 0 0 0 0 0");
    pb_printf(b, " %d\n", permitted && p->state == P_ZOMBIE ? p->leader->wstatus : 0);
}

/* s left-justified in a field of at least w bytes, then `end` (Linux's "%-25s "; kprintf pads
   on the left only). */
static void pb_field(struct pbuf *b, const char *s, uint64_t w, char end)
{
    static const char spaces[] = "                         ";   /* the widest field: 25 */
    uint64_t n = strlen(s);
    pb_put(b, s, n);
    pb_put(b, spaces, n < w ? w - n : 0);
    pb_put(b, &end, 1);
}

/* Linux proc_pid_limits (fs/proc/base.c): the group's limits, its names, widths and units. */
static void show_limits(struct pbuf *b, struct proc *p)
{
    static const struct { const char *name, *unit; } names[RLIM_NLIMITS] = {
        { "Max cpu time", "seconds" }, { "Max file size", "bytes" }, { "Max data size", "bytes" },
        { "Max stack size", "bytes" }, { "Max core file size", "bytes" }, { "Max resident set", "bytes" },
        { "Max processes", "processes" }, { "Max open files", "files" }, { "Max locked memory", "bytes" },
        { "Max address space", "bytes" }, { "Max file locks", "locks" }, { "Max pending signals", "signals" },
        { "Max msgqueue size", "bytes" }, { "Max nice priority", NULL }, { "Max realtime priority", NULL },
        { "Max realtime timeout", "us" },
    };
    const struct rlimit64 *rlim = p->leader->sig.rlim;
    pb_field(b, "Limit", 25, ' '), pb_field(b, "Soft Limit", 20, ' '), pb_field(b, "Hard Limit", 20, ' ');
    pb_field(b, "Units", 10, '\n');
    for (int i = 0; i < RLIM_NLIMITS; i++) {
        pb_field(b, names[i].name, 25, ' ');
        for (int k = 0; k < 2; k++) {
            uint64_t v = k ? rlim[i].max : rlim[i].cur;
            char num[24];
            snprintf(num, sizeof num, "%lu", v);
            pb_field(b, v == ~0UL ? "unlimited" : num, 20, ' ');   /* RLIM_INFINITY */
        }
        if (names[i].unit)
            pb_field(b, names[i].unit, 10, '\n');
        else
            pb_put(b, "\n", 1);
    }
}

/* Linux proc_pid_status (fs/proc/array.c): its fields in its order, those kept here. */
static void show_status(struct pbuf *b, struct proc *p)
{
    char name[TASK_COMM_LEN], c = state_char(p);
    comm(p, name);
    const struct cred *cr = &p->cred;
    int ppid = p->leader->parent ? p->leader->parent->tgid : 0;
    pb_printf(b, "Name:\t%s\n", name);
    if (p->fs) {
        uint32_t m = p->fs->umask;           /* "%04o" (kprintf has no %o) */
        pb_printf(b, "Umask:\t%c%c%c%c\n", '0' + (m >> 9 & 7), '0' + (m >> 6 & 7), '0' + (m >> 3 & 7), '0' + (m & 7));
    }
    pb_printf(b, "State:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", state_name(c),
              p->tgid, p->pid, ppid);
    pb_printf(b, "Uid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n", cr->uid, cr->euid, cr->suid, cr->fsuid,
              cr->gid, cr->egid, cr->sgid, cr->fsgid);
    int slots = 0;
    for (int i = 0; p->files && i < NOFILE_MAX / FDS_PER_PAGE; i++)
        slots += p->files->fdpage[i] ? FDS_PER_PAGE : 0;
    pb_printf(b, "FDSize:\t%d\nGroups:\t", slots);
    for (int g = 0; g < cr->ngroups; g++)
        pb_printf(b, g ? " %u" : "%u", cr->groups[g]);
    pb_printf(b, " \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t1\nNSsid:\t1\nKthread:\t0\n", p->tgid, p->pid);
    /* The page-table walk of VmLck yields (mlock.c): a reference of our own keeps p's address
       space alive across it, as Linux's get_task_mm in proc_pid_status; an ending p's whose
       last reference is going (refs 0) is not shown. */
    struct mm *mm = p->mm && p->mm->refs > 0 ? mm_get(p->mm) : NULL;
    if (mm) {
        struct vmsize vs;
        vm_sizes(mm, &vs);
        uint64_t kb = PAGE_SIZE / 1024, anon = vs.total - vs.file - vs.shared;
        /* Linux task_mem: every page is resident here (no swap, no lazy faults; VmLck: mlock.c); the
           peaks (VmPeak, VmHWM) are not kept, so they are not shown */
        pb_printf(b, "VmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmPin:\t%8lu kB\n", vs.total * kb,
                  vm_locked_pages(mm) * kb, 0UL);
        pb_printf(b, "VmRSS:\t%8lu kB\nRssAnon:\t%8lu kB\nRssFile:\t%8lu kB\nRssShmem:\t%8lu kB\n",
                  vs.total * kb, anon * kb, vs.file * kb, vs.shared * kb);
        pb_printf(b, "VmData:\t%8lu kB\nVmStk:\t%8lu kB\nVmExe:\t%8lu kB\nVmLib:\t%8lu kB\n", vs.data * kb,
                  vs.stack * kb, vs.exe * kb, 0UL);
        pb_printf(b, "VmSwap:\t%8lu kB\n", 0UL);
        mm_put(mm);
    }
    uint64_t ign, cgt;
    sigsets(p, &ign, &cgt);
    pb_printf(b, "Threads:\t%d\n", p->leader->nthreads);
    pb_printf(b, "SigPnd:\t%016lx\nShdPnd:\t%016lx\nSigBlk:\t%016lx\nSigIgn:\t%016lx\nSigCgt:\t%016lx\n",
              p->sig.pending.set, p->leader->sig.shared.set, p->sig.blocked, ign, cgt);
    pb_printf(b, "CapInh:\t%016lx\nCapPrm:\t%016lx\nCapEff:\t%016lx\nCapBnd:\t%016lx\nCapAmb:\t%016lx\n",
              cr->cap_inheritable, cr->cap_permitted, cr->cap_effective, (uint64_t)CAP_FULL_SET, 0UL);
    pb_printf(b, "NoNewPrivs:\t%d\nSeccomp:\t0\nSeccomp_filters:\t0\n", p->no_new_privs);
    pb_printf(b, "Cpus_allowed:\t1\nCpus_allowed_list:\t0\n");
}

/* ---- memory of another process ----------------------------------------------------------- */

/*
 * Copy n bytes between kbuf and the user address space of p at addr: every page present in
 * the user half (a PROT_NONE one too: Linux's FOLL_FORCE); a write also into a read-only
 * private page (text: Linux FOLL_FORCE breaks copy on write, and so does uvm_own for a page
 * fork shares read-only; [vdso], a private mapping on Linux, becomes p's own copy first,
 * vdso_unshare), never into a read-only shared one, nor a page past a mapped file's end
 * (PTE_BUS) either way, nor [vvar] (Linux's VM_IO | VM_PFNMAP, which get_user_pages
 * refuses, reads too). Returns the bytes done before the first page that is not.
 */
int procpid_vm_copy(struct proc *p, uint64_t addr, void *kbuf, uint64_t n, bool write, bool force)
{
    uint64_t need = force ? 0 : PTE_U | (write ? PTE_W : 0);   /* without FOLL_FORCE: the rights ring 3 has */
    uint64_t done = 0;
    struct mm *mm = p->mm;
    while (mm && done < n) {
        uint64_t va = addr + done;
        if (va < addr || va >= USER_LIMIT)
            break;                           /* wrapped, or the kernel half (and the hole) */
        int hit = vdso_hit(mm, va, va + 1);
        if (hit & VDSO_HIT_VVAR)
            break;
        uint64_t *pte = uvm_pte(mm->pml4, va);
        if (!pte && force && stack_fault_remote(mm, va))
            pte = uvm_pte(mm->pml4, va);     /* below the stack: Linux's access_remote_vm grows it
                                                (FOLL_FORCE's callers; process_vm_* do not) */
        if (pte && write && force && (hit & VDSO_HIT_VDSO) && (*pte & PTE_SHARED)) {
            if (vdso_unshare(mm->pml4, mm))
                break;
            pte = uvm_pte(mm->pml4, va);
        }
        if (!pte || (write && !(*pte & PTE_W) && (*pte & PTE_SHARED)) || (*pte & need) != need)
            break;
        if (*pte & PTE_BUS)
            break;                           /* past a mapped file's end: Linux's fault is SIGBUS, the
                                                access -EFAULT, even with FOLL_FORCE (filemap.c) */
        if (write && uvm_own(pte, va))
            break;                           /* a read-only page fork shares: p's own copy first */
        uint64_t k = PAGE_SIZE - va % PAGE_SIZE;
        if (k > n - done)
            k = n - done;
        uint8_t *page = (uint8_t *)P2V(*pte & PTE_ADDR_MASK) + va % PAGE_SIZE;
        if (write)
            memcpy(page, (uint8_t *)kbuf + done, k);
        else
            memcpy((uint8_t *)kbuf + done, page, k);
        done += k;
    }
    return (int)done;
}

/*
 * /proc/PID/mem at address addr (Linux mem_rw): through a page of the kernel, a page at a
 * time, until a page that is not there. Bytes done, or -EIO when the first page is not
 * there, -EFAULT when the caller's buffer is not (even after some bytes, as Linux).
 */
int64_t procpid_mem(struct proc *p, uint64_t ubuf, uint64_t addr, uint64_t n, bool write)
{
    if (!n)
        return 0;
    if (!user_range_ok(ubuf, n))
        return -EFAULT;
    uint8_t *k = kalloc();
    if (!k)
        return -ENOMEM;
    int64_t done = 0;
    while ((uint64_t)done < n) {
        uint64_t want = n - (uint64_t)done < PAGE_SIZE ? n - (uint64_t)done : PAGE_SIZE;
        if (write && copyin(myproc()->pml4, k, ubuf + (uint64_t)done, want)) {
            done = -EFAULT;                  /* Linux mem_rw: the caller's buffer, whatever was done */
            break;
        }
        int got = procpid_vm_copy(p, addr + (uint64_t)done, k, want, write, true);
        if (!got) {
            if (!done)
                done = -EIO;                 /* the first page is not there */
            break;
        }
        if (!write && copyout(myproc()->pml4, ubuf + (uint64_t)done, k, (uint64_t)got)) {
            done = -EFAULT;
            break;
        }
        done += got;
    }
    kfree(k);
    return done;
}

/* [start, end) of p's memory, the window [b->off, b->off + b->want) of it (cmdline, environ, auxv). */
static void show_range(struct pbuf *b, struct proc *p, uint64_t start, uint64_t end)
{
    if (!p->mm || end <= start || b->off >= end - start)
        return;
    uint64_t n = end - start - b->off < b->want ? end - start - b->off : b->want;
    uint64_t got = (uint64_t)procpid_vm_copy(p, start + b->off, b->buf, n, false, true);
    b->pos = b->off + got;                   /* the bytes are in the window already */
}

int procpid_show(struct pbuf *b, enum procnode kind, struct proc *p, const struct file *f)
{
    struct mm *mm = p->mm;
    switch (kind) {
    case PN_STAT: show_stat(b, p); return 0;
    case PN_STATUS: show_status(b, p); return 0;
    case PN_LIMITS: show_limits(b, p); return 0;
    case PN_COMM: {
        char name[TASK_COMM_LEN];
        comm(p, name);
        pb_printf(b, "%s\n", name);
        return 0;
    }
    case PN_MAPS:
        if (mm)
            show_maps(b, mm);
        return 0;
    case PN_CMDLINE:
        if (mm)
            show_range(b, p, mm->arg_start, mm->arg_end);
        return 0;
    case PN_ENVIRON:
        if (!mm || mm->gen != f->proc_mm_gen)
            return 0;                        /* the image opened is gone (Linux: 0) */
        show_range(b, p, mm->env_start, mm->env_end);
        return 0;
    default:
        return -EINVAL;
    }
}
