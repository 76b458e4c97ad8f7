/*
 * execve's half that builds a new user image: the ELF's segments (elf.c), a
 * fresh user stack holding argv, envp and the auxiliary vector, and a trap
 * frame that "returns" to the ELF entry point in ring 3.
 */
#include "kernel.h"
#include "elf.h"
#include "errno.h"
#include "execargs.h"
#include "file.h"
#include "lease.h"
#include "fpu.h"
#include "gdt.h"
#include "ldt.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
#include "rseq.h"
#include "procfs.h"
#include "ptrace.h"
#include "vdso.h"
#include "vm.h"
#include "x86.h"

static uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/*
 * The System V initial process stack (x86-64 psABI 3.4.1, Figure 3.9):
 * argc, argv[], NULL, envp[], NULL, auxv pairs ending in AT_NULL, then
 * AT_RANDOM's 16 bytes and the strings execve staged (execargs.h) above.
 * RSP is 16-byte aligned at argc. The stack is mapped here: USER_STACK_PAGES,
 * or the arguments plus USER_STACK_FREE when that is more (mmu.h), cut to RLIMIT_STACK;
 * it grows down from there on faults (stackgrow.c), as Linux's stack vma.
 * For an i386 image the same in 4-byte words (i386 psABI 2.3.1, Linux's
 * create_elf_tables for a compat task) under USER32_STACK_TOP. The vector starts with the
 * vDSO (vdso.h) as Linux's ARCH_DLINFO starts it: AT_SYSINFO_EHDR for a 64-bit image;
 * AT_SYSINFO (__kernel_vsyscall) then AT_SYSINFO_EHDR for an i386 one (ARCH_DLINFO_IA32).
 */

/* Store n words at w, each `ws` bytes (8, or 4 for an i386 image: every value fits). */
static int put_words(uint64_t *pml4, uint64_t w, const uint64_t *v, uint64_t n, unsigned ws)
{
    if (ws == 8)
        return copyout(pml4, w, v, n * 8);
    uint32_t v32[64];
    for (uint64_t done = 0; done < n;) {
        uint64_t k = n - done < ARRAY_SIZE(v32) ? n - done : ARRAY_SIZE(v32);
        for (uint64_t i = 0; i < k; i++)
            v32[i] = (uint32_t)v[done + i];
        int r = copyout(pml4, w + done * 4, v32, k * 4);
        if (r)
            return r;
        done += k;
    }
    return 0;
}

static int build_stack(uint64_t *pml4, const struct elf_image *img, const struct exec_args *a,
                       const struct cred *cred, bool secure, uint64_t vdso, uint64_t *rsp_out,
                       struct mm *where, const struct proc *p)
{
    const uint64_t top = img->is32 ? USER32_STACK_TOP : USER_STACK_TOP;
    const unsigned ws = img->is32 ? 4 : 8;       /* bytes per word of the vector */
    uint64_t strings = top - a->used;
    uint64_t rnd[2] = { rdtsc() * 0x9e3779b97f4a7c15UL, rdtsc() ^ 0x5851f42d4c957f2dUL };
    uint64_t random_va = ALIGN_DOWN(strings - sizeof rnd, 16);
    uint64_t sysinfo = img->is32 ? vdso32_entry(vdso, VDSO32_VSYSCALL) : 0;
    uint64_t auxv_all[][2] = {
        { AT_SYSINFO, sysinfo },                          /* first, or left out: not i386 */
        { AT_SYSINFO_EHDR, vdso },                        /* then, or left out: no vDSO */
        { AT_PHDR, img->phdr }, { AT_PHENT, img->phent }, { AT_PHNUM, img->phnum },
        { AT_PAGESZ, PAGE_SIZE }, { AT_ENTRY, img->entry }, { AT_UID, cred->uid }, { AT_EUID, cred->euid },
        { AT_GID, cred->gid }, { AT_EGID, cred->egid }, { AT_SECURE, secure }, { AT_CLKTCK, 100 },
        { AT_RANDOM, random_va }, { AT_EXECFN, top - a->execfn },
        { AT_MINSIGSTKSZ, fpu_minsigstksz() }, { AT_HWCAP2, (rcr4() & CR4_FSGSBASE) ? HWCAP2_FSGSBASE : 0 },
        { AT_RSEQ_FEATURE_SIZE, RSEQ_FEATURE_SIZE }, { AT_RSEQ_ALIGN, RSEQ_ALIGN },   /* rseq.c, as Linux 6.3+ */
        { AT_NULL, 0 },
    };
    uint64_t skip = sysinfo ? 0 : vdso ? 1 : 2;
    uint64_t (*auxv)[2] = auxv_all + skip;
    uint64_t nauxv = ARRAY_SIZE(auxv_all) - skip;
    uint64_t words = 1 + (a->argc + 1) + (a->envc + 1) + 2 * nauxv;
    uint64_t sp = ALIGN_DOWN(random_va - words * ws, 16);
    uint64_t len = ALIGN_UP(top - sp, PAGE_SIZE) + USER_STACK_FREE;
    if (len < USER_STACK_PAGES * PAGE_SIZE)
        len = USER_STACK_PAGES * PAGE_SIZE;
    len = rlimit_stack_len(p, ALIGN_UP(top - sp, PAGE_SIZE), len);   /* RLIMIT_STACK (syslimit.c) */
    if (len > USER_STACK_MAX)
        return -E2BIG;                           /* cannot happen within EXEC_ARG_MAX (see the assert) */
    int r = uvm_map_zeroed(pml4, top - len, len, PTE_W | PTE_NX);
    if (r)
        return r;
    where->grows[0] = (struct growsdown){ top - len, top };   /* the grows-down range (stackgrow.c) */

    /* The staged pages, each at its place under the top. */
    for (uint64_t i = 0; i * PAGE_SIZE < a->used; i++) {
        uint64_t lo = top - (i + 1) * PAGE_SIZE, from = lo < strings ? strings : lo;
        const char *pg = exec_args_page(a, i);
        if ((r = copyout(pml4, from, pg + (from - lo), top - i * PAGE_SIZE - from)))
            return r;
    }
    if ((r = copyout(pml4, random_va, rnd, sizeof rnd)))
        return r;

    /* argc, then a pointer to each string, found by walking the staged bytes from argv[0] up. */
    uint64_t buf[64], nbuf = 0, w = sp, at = a->used;
    buf[nbuf++] = a->argc;
    where->arg_start = top - a->used;            /* what /proc/PID/cmdline and environ show */
    for (int k = 0; k < 2; k++) {
        uint64_t n = k ? a->envc : a->argc;
        for (uint64_t i = 0; i <= n; i++) {
            if (i < n) {
                buf[nbuf++] = top - at;
                while (at > EXEC_TOP_GAP && exec_args_byte(a, at--))
                    ;                            /* every string ends in a NUL (execargs.c) */
            } else {
                buf[nbuf++] = 0;                 /* the vector's NULL */
            }
            if (nbuf == ARRAY_SIZE(buf)) {
                if ((r = put_words(pml4, w, buf, nbuf, ws)))
                    return r;
                w += nbuf * ws;
                nbuf = 0;
            }
        }
        if (k == 0)
            where->arg_end = where->env_start = top - at;   /* past argv's last NUL */
        else
            where->env_end = top - at;
    }
    if ((r = put_words(pml4, w, buf, nbuf, ws)))
        return r;
    *rsp_out = sp;
    where->start_stack = sp;
    where->auxv_start = w + nbuf * ws;
    where->auxv_len = 2 * nauxv * ws;
    return put_words(pml4, w + nbuf * ws, &auxv[0][0], 2 * nauxv, ws);
}
_Static_assert(EXEC_ARG_MAX + PAGE_SIZE + USER_STACK_FREE <= USER_STACK_MAX,
               "the largest arguments, their auxv page and the free stack fit the stack's region");

/*
 * Replace the current image of `p` with the ELF in data/size, running with
 * `cred` (AT_SECURE = secure). On failure the old image and credentials are
 * untouched. argv/envp strings are in kernel memory.
 */
int exec_image(struct proc *p, const char *name, const uint8_t *data, size_t size, const struct exec_args *args,
               const struct cred *cred, bool secure, struct inode *exe, const char *exe_path)
{
    struct elf_image img;
    uint64_t sp;
    struct mm where;                             /* the stack's layout, for /proc */
    uint64_t *pml4 = uvm_create();
    if (!pml4)
        return -ENOMEM;
    int r = elf_load(pml4, data, size, &img);
    uint64_t vdso = 0;
    if (!r)
        r = vdso_map(pml4, img.is32, &vdso);
    if (!r)
        r = build_stack(pml4, &img, args, cred, secure, vdso, &sp, &where, p);
    struct mm *mm = r ? NULL : mm_new(pml4);
    if (!mm) {
        uvm_free(pml4);
        return r ? r : -ENOMEM;
    }
    mm->arg_start = where.arg_start, mm->arg_end = where.arg_end;
    mm->env_start = where.env_start, mm->env_end = where.env_end;
    mm->auxv_start = where.auxv_start, mm->auxv_len = where.auxv_len;
    mm->start_stack = where.start_stack;
    mm->grows[0] = where.grows[0];
    procpid_note_image(mm, data, size);
    mm->exe = exe ? inode_get(exe) : NULL;
    if (exe)
        exe->writecount--;                       /* the image denies writing while it runs (Linux
                                                    set_mm_exe_file); the caller's deny covers the check */
    snprintf(mm->exe_path, sizeof mm->exe_path, "%s", exe_path);
    /* Linux begin_new_exec: dumpable unless the ids or capabilities change (suid_dumpable 0) */
    mm->dumpable = !secure && cred->euid == p->cred.euid && cred->egid == p->cred.egid &&
                   cred->fsuid == p->cred.fsuid && cred->fsgid == p->cred.fsgid &&
                   !(cred->cap_permitted & ~p->cred.cap_permitted);
    if (p->mm)
        futex_exec_release(p);                   /* Linux exec_mm_release, in the old image */
    struct mm *old = p->mm;                      /* shared with a CLONE_VM process: it keeps it */
    p->mm = mm;
    p->pml4 = pml4;
    p->cred = *cred;                             /* the new image's ids, with it (Linux commit_creds) */
    if (!mm->dumpable)
        p->pdeathsig = 0;                        /* Linux commit_creds: ids changed */
    bool running = p == myproc();
    if (running) {
        vm_switch(pml4);
        ldt_switch(mm);                          /* a new address space has no LDT (Linux) */
    }
    if (old)
        mm_put(old);
    p->mm->brk_start = p->mm->brk = img.end;
    p->mm->mmap_next = MMAP_BASE;
    p->mm->vdso_base = vdso;
    p->mm->vvar_base = vdso ? vdso - PAGE_SIZE : 0;
    p->fs_base = p->gs_base = 0;                 /* Linux: a new image starts with both bases 0 */
    memset(p->seg, 0, sizeof p->seg);            /* and null DS, ES, FS, GS selectors; a 32-bit
                                                    image DS = ES = the user data selector
                                                    (Linux compat_start_thread): compatibility
                                                    mode uses them */
    if (img.is32)
        p->seg[0] = p->seg[1] = USER_SS;
    memset(p->tls, 0, sizeof p->tls);            /* and no TLS descriptors (Linux flush_thread) */
    fpu_init_state(p->xstate);                   /* and the x87/SSE/AVX init state: no XMM or YMM
                                                    value of the old program survives */
    if (running) {
        tls_load(p->tls);
        segs_load(p->seg);                       /* before the bases: a load rewrites them */
        wrmsr(MSR_FS_BASE, 0);
        wrmsr(MSR_KERNEL_GS_BASE, 0);            /* the user's GS base while in ring 0 */
        fpu_restore(p->xstate);
        /* Leave through iretq with the whole frame, as Linux does (its RCX and R11 are 0, not
           the RIP and RFLAGS sysretq would put there): no register of the old program or of
           the system call survives into the new one. */
        p->sig.restored = true;
        p->sig.work = true;
    }
    signal_exec(p);                              /* handlers back to SIG_DFL, no alternate stack */
    if (exec_over_rlimit(p))
        signal_force_sigsegv(p);                 /* past RLIMIT_AS (syslimit.c): Linux's failure
                                                    after the point of no return */
    rseq_exec(p);                                /* no rseq area: it was the old image's */
    ptimer_exit(p->leader->pid);                 /* POSIX timers go (Linux begin_new_exec: exit_itimers) */
    const char *base = name;
    for (const char *s = name; *s; s++)
        if (*s == '/' && s[1])
            base = s + 1;
    snprintf(p->name, sizeof p->name, "%s", base);

    memset(p->tf, 0, sizeof *p->tf);
    p->tf->rip = img.entry;
    p->tf->rsp = sp;
    p->tf->cs = img.is32 ? USER32_CS : USER_CS;
    p->tf->ss = USER_SS;
    p->tf->rflags = RFLAGS_IF | RFLAGS_RSV1;
    return 0;
}

/* The absolute path of the file `path` names from cwd, for /proc/PID/exe (Linux d_path of the
   file execve opened): its directory's path and its last name; "." and ".." are resolved. */
static void exe_abspath(struct inode *cwd, const char *path, char *out, uint64_t size)
{
    char name[FS_NAME_MAX + 1];
    int err;
    struct inode *d = namei_parent(cwd, path, name, &err), *ip;
    if (d && d->proc_kind && (ip = namei(cwd, path, &err)) && inode_path(ip, out, size) > 0)
        return;                                  /* through /proc/PID/exe: the file's own name */
    char *dir = path_alloc();                    /* freed below */
    if (!d || !dir || dir_path(d, dir, FS_PATH_MAX) < 0)
        snprintf(out, size, "%s", path);
    else
        snprintf(out, size, "%s%s%s", dir, strcmp(dir, "/") ? "/" : "", name);
    path_free(dir);
}

/*
 * execve: the file's image replaces the caller's; then the close-on-exec fds
 * are closed. Called from a thread, the other threads of the group end first
 * and the caller takes over the group's pid (Linux de_thread); they are gone
 * even if the image then turns out not to load (ENOEXEC, ENOMEM), where Linux
 * would have kept them for a malformed ELF.
 */
int proc_exec(const char *path, const struct exec_args *args)
{
    struct proc *p = myproc();
    const uint8_t *data;
    uint64_t size;
    struct inode *ip;
    int r = fs_exec_image(p->fs->cwd, path, &data, &size, &ip);
    if (r)
        return r;
    ip = inode_get(ip);                          /* held to the end: de_thread may sleep, and an
                                                    unlink meanwhile must not free it */
    if ((r = lease_break_exec(ip))) {            /* Linux opens the file for reading: a write lease
                                                    breaks, and this waits (may sleep) */
        inode_put(ip);
        return r;
    }
    data = ip->rodata;                           /* the file as it is after any wait (fs_exec_image's) */
    size = ip->size;
    if ((r = inode_deny_write(ip))) {            /* open for writing: -ETXTBSY (Linux do_open_execat) */
        inode_put(ip);
        return r;
    }
    char exe_path[FS_EXE_PATH_MAX];
    if (!r)
        exe_abspath(p->fs->cwd, path, exe_path, sizeof exe_path);
    struct cred cred = p->cred;
    bool secure = false;
    if (!r) {
        cred_exec(&cred, ip, &secure);           /* set-id bits and capabilities of the new image */
        ptrace_exec_creds(p, &cred);             /* ... none gained under a tracer without CAP_SYS_PTRACE */
    }
    if (!r)
        r = proc_dethread();                     /* Linux de_thread: the other threads end first */
    if (!r && p->files->refs > 1) {              /* Linux unshare_files: a CLONE_FILES sharer keeps its table */
        struct files *own = files_copy(p->files);
        if (!own) {
            r = -ENOMEM;
        } else {
            files_put(p->files);
            p->files = own;
        }
    }
    const uint8_t *view = NULL;                  /* a written file's pages, contiguous (execmap.c) */
    if (!r && !data) {
        size = ip->size;
        data = view = execmap_map(ip, &r);
    }
    if (!r)
        r = exec_image(p, path, data, size, args, &cred, secure, ip, exe_path);
    if (view)
        execmap_unmap(ip);
    inode_allow_write(ip);                       /* the new image holds its own deny (mm->exe) */
    inode_put(ip);
    if (!r) {
        proc_vfork_release(p);                   /* the memory it borrowed is no longer in use */
        p->leader->did_exec = true;              /* setpgid by the parent: EACCES from now on */
    }
    for (int fd = 0; !r && fd < NOFILE_MAX; fd++) {
        if (fd_cloexec(p->files, fd) && files_fd(p->files, fd)) {
            locks_close_posix(p->files, files_fd(p->files, fd));
            file_close(files_fd(p->files, fd));
            files_clear(p->files, fd);
        }
    }
    if (!r)
        memset(p->files->cloexec, 0, sizeof p->files->cloexec);
    return r;
}
