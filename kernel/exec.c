/*
 * execve's half that builds a new user image: the ELF's segments (elf.c), a
 * fresh user stack holding argv, envp and the auxiliary vector, and a trap
 * frame that "returns" to the ELF entry point in ring 3.
 */
#include "kernel.h"
#include "elf.h"
#include "errno.h"
#include "file.h"
#include "gdt.h"
#include "mmu.h"
#include "msr.h"
#include "proc.h"
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
 * argc, argv[], NULL, envp[], NULL, auxv pairs ending in AT_NULL, then the
 * strings and AT_RANDOM's 16 bytes above. RSP is 16-byte aligned at argc.
 * For an i386 image the same in 4-byte words (i386 psABI 2.3.1, Linux's
 * create_elf_tables for a compat task), below USER32_STACK_TOP; no
 * AT_SYSINFO/AT_SYSINFO_EHDR: there is no 32-bit vDSO.
 */
static int build_stack(uint64_t *pml4, const struct elf_image *img, char *const *argv, int argc,
                       char *const *envp, int envc, const struct cred *cred, bool secure, uint64_t *rsp_out)
{
    uint64_t sp = img->is32 ? USER32_STACK_TOP : USER_STACK_TOP;
    uint64_t argv_va[MAXARG + 1], envp_va[MAXARG + 1];
    int r;

    for (int i = envc - 1; i >= 0; i--) {
        size_t n = strlen(envp[i]) + 1;
        sp -= n;
        if ((r = copyout(pml4, sp, envp[i], n)))
            return r;
        envp_va[i] = sp;
    }
    for (int i = argc - 1; i >= 0; i--) {
        size_t n = strlen(argv[i]) + 1;
        sp -= n;
        if ((r = copyout(pml4, sp, argv[i], n)))
            return r;
        argv_va[i] = sp;
    }
    uint64_t execfn = argc ? argv_va[0] : 0;
    uint64_t rnd[2] = { rdtsc() * 0x9e3779b97f4a7c15UL, rdtsc() ^ 0x5851f42d4c957f2dUL };
    sp = ALIGN_DOWN(sp - sizeof rnd, 16);
    if ((r = copyout(pml4, sp, rnd, sizeof rnd)))
        return r;
    uint64_t random_va = sp;

    uint64_t auxv[][2] = {
        { AT_PHDR, img->phdr }, { AT_PHENT, img->phent }, { AT_PHNUM, img->phnum },
        { AT_PAGESZ, PAGE_SIZE }, { AT_ENTRY, img->entry }, { AT_UID, cred->uid }, { AT_EUID, cred->euid },
        { AT_GID, cred->gid }, { AT_EGID, cred->egid }, { AT_SECURE, secure }, { AT_CLKTCK, 100 },
        { AT_RANDOM, random_va }, { AT_EXECFN, execfn },
        { AT_NULL, 0 },
    };
    uint64_t words = 1 + (argc + 1) + (envc + 1) + 2 * ARRAY_SIZE(auxv);
    if (img->is32) {
        /* the same vector in 32-bit words: every value fits (addresses below 4 GiB) */
        uint32_t v[1 + 2 * (MAXARG + 1) + 2 * ARRAY_SIZE(auxv)], n = 0;
        v[n++] = (uint32_t)argc;
        for (int i = 0; i < argc; i++)
            v[n++] = (uint32_t)argv_va[i];
        v[n++] = 0;
        for (int i = 0; i < envc; i++)
            v[n++] = (uint32_t)envp_va[i];
        v[n++] = 0;
        for (size_t i = 0; i < ARRAY_SIZE(auxv); i++) {
            v[n++] = (uint32_t)auxv[i][0];
            v[n++] = (uint32_t)auxv[i][1];
        }
        sp = ALIGN_DOWN(sp - n * 4, 16);
        *rsp_out = sp;
        return copyout(pml4, sp, v, n * 4);
    }
    sp -= words * 8;
    sp = ALIGN_DOWN(sp, 16);
    *rsp_out = sp;

    uint64_t w = sp, argc64 = (uint64_t)argc, zero = 0;
    if ((r = copyout(pml4, w, &argc64, 8)))
        return r;
    w += 8;
    if ((r = copyout(pml4, w, argv_va, 8 * argc)) || (r = copyout(pml4, w + 8 * argc, &zero, 8)))
        return r;
    w += 8 * (argc + 1);
    if ((r = copyout(pml4, w, envp_va, 8 * envc)) || (r = copyout(pml4, w + 8 * envc, &zero, 8)))
        return r;
    w += 8 * (envc + 1);
    return copyout(pml4, w, auxv, sizeof auxv);
}

/*
 * Replace the current image of `p` with the ELF in data/size, running with
 * `cred` (AT_SECURE = secure). On failure the old image and credentials are
 * untouched. argv/envp strings are in kernel memory.
 */
int exec_image(struct proc *p, const char *name, const uint8_t *data, size_t size, char *const *argv, int argc,
                      char *const *envp, int envc, const struct cred *cred, bool secure)
{
    struct elf_image img;
    uint64_t sp;
    uint64_t *pml4 = uvm_create();
    if (!pml4)
        return -ENOMEM;
    int r = elf_load(pml4, data, size, &img);
    uint64_t stack_top = img.is32 ? USER32_STACK_TOP : USER_STACK_TOP;
    if (!r)
        r = uvm_map_zeroed(pml4, stack_top - USER_STACK_PAGES * PAGE_SIZE, USER_STACK_PAGES * PAGE_SIZE,
                           PTE_W | PTE_NX);
    if (!r)
        r = build_stack(pml4, &img, argv, argc, envp, envc, cred, secure, &sp);
    struct mm *mm = r ? NULL : mm_new(pml4);
    if (!mm) {
        uvm_free(pml4);
        return r ? r : -ENOMEM;
    }
    struct mm *old = p->mm;                      /* shared with a CLONE_VM process: it keeps it */
    p->mm = mm;
    p->pml4 = pml4;
    p->cred = *cred;                             /* the new image's ids, with it (Linux commit_creds) */
    bool running = p == myproc();
    if (running)
        vm_switch(pml4);
    if (old)
        mm_put(old);
    p->mm->brk_start = p->mm->brk = img.end;
    p->mm->mmap_next = MMAP_BASE;
    p->fs_base = p->gs_base = 0;                 /* Linux: a new image starts with both bases 0 */
    memset(p->seg, 0, sizeof p->seg);            /* and null DS, ES, FS, GS selectors; a 32-bit
                                                    image DS = ES = the user data selector
                                                    (Linux compat_start_thread): compatibility
                                                    mode uses them */
    if (img.is32)
        p->seg[0] = p->seg[1] = USER_SS;
    memset(p->tls, 0, sizeof p->tls);            /* and no TLS descriptors (Linux flush_thread) */
    fpu_reset(p->fxstate);                       /* and the x87/SSE state of a new process: no
                                                    XMM value of the old program survives */
    if (running) {
        tls_load(p->tls);
        segs_load(p->seg);                       /* before the bases: a load rewrites them */
        wrmsr(MSR_FS_BASE, 0);
        wrmsr(MSR_KERNEL_GS_BASE, 0);            /* the user's GS base while in ring 0 */
        __asm__ volatile("fxrstor %0" ::"m"(*(const uint8_t(*)[512])p->fxstate));
        /* Leave through iretq with the whole frame, as Linux does (its RCX and R11 are 0, not
           the RIP and RFLAGS sysretq would put there): no register of the old program or of
           the system call survives into the new one. */
        p->sig.restored = true;
        p->sig.work = true;
    }
    signal_exec(p);                              /* handlers back to SIG_DFL, no alternate stack */
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

/*
 * execve: the file's image replaces the caller's; then the close-on-exec fds
 * are closed. Called from a thread, the other threads of the group end first
 * and the caller takes over the group's pid (Linux de_thread); they are gone
 * even if the image then turns out not to load (ENOEXEC, ENOMEM), where Linux
 * would have kept them for a malformed ELF.
 */
int proc_exec(const char *path, char *const *argv, int argc, char *const *envp, int envc)
{
    struct proc *p = myproc();
    const uint8_t *data;
    uint64_t size;
    struct inode *ip;
    int r = fs_exec_image(p->fs->cwd, path, &data, &size, &ip);
    struct cred cred = p->cred;
    bool secure = false;
    if (!r)
        cred_exec(&cred, ip, &secure);           /* set-id bits and capabilities of the new image */
    if (!r)
        r = proc_dethread();                     /* Linux de_thread: the other threads end first */
    if (!r && p->files->refs > 1) {              /* Linux unshare_files: a CLONE_FILES sharer keeps its table */
        struct files *own = files_copy(p->files);
        files_put(p->files);
        p->files = own;
    }
    if (!r)
        r = exec_image(p, path, data, size, argv, argc, envp, envc, &cred, secure);
    if (!r)
        proc_vfork_release(p);                   /* the memory it borrowed is no longer in use */
    for (int fd = 0; !r && fd < NOFILE; fd++) {
        if ((p->files->cloexec >> fd & 1) && p->files->ofile[fd]) {
            file_close(p->files->ofile[fd]);
            p->files->ofile[fd] = NULL;
        }
    }
    if (!r)
        p->files->cloexec = 0;
    return r;
}
