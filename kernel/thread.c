/*
 * The objects threads share (thread.h): address spaces, descriptor tables,
 * working directory + umask. Each lives in a static table and goes with its
 * last reference, as Linux's mm_struct, files_struct and fs_struct do.
 */
#include "kernel.h"
#include "errno.h"
#include "file.h"
#include "ipc.h"
#include "ldt.h"
#include "proc.h"
#include "sanitize.h"
#include "thread.h"
#include "vm.h"

/*
 * One address space per process slot, plus one: execve makes the new image's before it drops
 * the old one (a failed exec keeps the old image), with no sleep between the two, so at most
 * one exec at a time holds two. A full process table can still exec.
 */
static struct mm mms[NPROC + 1];
static struct files filetabs[NPROC];
static struct fsinfo fsinfos[NPROC];
static uint64_t mm_gens;                   /* the last struct mm's gen */

/* ---- address spaces ----------------------------------------------------- */

/* NULL when the table is full (see its size: that cannot happen; the callers say -ENOMEM). */
struct mm *mm_new(uint64_t *pml4)
{
    for (int i = 0; i < (int)ARRAY_SIZE(mms); i++) {
        if (mms[i].refs == 0) {
            memset(&mms[i], 0, sizeof mms[i]);
            mms[i].refs = 1;
            mms[i].pml4 = pml4;
            mms[i].gen = ++mm_gens;
            return &mms[i];
        }
    }
    return NULL;
}

int mm_slot(const struct mm *mm)
{
    return (int)(mm - mms);
}

void mm_copy_image(struct mm *to, const struct mm *from)
{
    to->arg_start = from->arg_start, to->arg_end = from->arg_end;
    to->env_start = from->env_start, to->env_end = from->env_end;
    to->auxv_start = from->auxv_start, to->auxv_len = from->auxv_len;
    to->start_stack = from->start_stack;
    memcpy(to->grows, from->grows, sizeof to->grows);
    to->exe = from->exe ? inode_get(from->exe) : NULL;
    if (to->exe)
        to->exe->writecount--;                   /* a copy runs the image too (Linux dup_mm_exe_file) */
    memcpy(to->exe_path, from->exe_path, sizeof to->exe_path);
    memcpy(to->seg, from->seg, sizeof to->seg);
    to->nseg = from->nseg;
    to->dumpable = from->dumpable;
    to->vdso_base = from->vdso_base;
    to->vvar_base = from->vvar_base;
}

struct mm *mm_get(struct mm *mm)
{
    SAN_LIVE(SAN_MM, mm - mms, mm->refs > 0);
    REF_GET(SAN_MM, mm - mms, mm->refs);
    return mm;
}

/* The caller runs on another CR3 (or the kernel's) when it drops the last reference. */
void mm_put(struct mm *mm)
{
    SAN_LIVE(SAN_MM, mm - mms, mm->refs > 0);
    if (REF_PUT(SAN_MM, mm - mms, mm->refs) > 0)
        return;
    ldt_free(mm);
    shm_mm_release(mm);                    /* its SysV attachments (the tables give back the pages) */
    filemap_mm_release(mm);                /* its file mappings give their files back (filemap.c) */
    if (mm->pml4)
        uvm_free(mm->pml4);
    if (mm->exe) {
        mm->exe->writecount++;                   /* its deny-write ends with it (lease.c) */
        inode_put(mm->exe);
    }
    memset(mm, 0, sizeof *mm);
    SAN_FREED(SAN_MM, mm - mms, mm, refs);
}

/*
 * The memory calls yield inside long work (uvm.c's preemption points): a
 * sibling thread must not change the same tables meanwhile (a freed page
 * table under a walk). A sleeping lock, taken by brk, mmap, munmap,
 * mprotect, madvise, mremap and fork; nothing else walks and yields.
 */
void mm_lock(struct mm *mm)
{
    SAN_LIVE(SAN_MM, mm - mms, mm->refs > 0);
    while (mm->busy) {
        mm->busy_waiters = true;
        sleep(mm);
    }
    mm->busy = true;
}

/* wakeup looks at every process slot: only when someone sleeps on the lock (every memory
   call and fork ends here; a woken waiter that finds the lock taken again says so again). */
void mm_unlock(struct mm *mm)
{
    mm->busy = false;
    if (mm->busy_waiters) {
        mm->busy_waiters = false;
        wakeup(mm);
    }
}

/* ---- descriptor tables -------------------------------------------------- */

struct files *files_new(void)
{
    for (int i = 0; i < NPROC; i++) {
        if (filetabs[i].refs == 0) {
            memset(&filetabs[i], 0, sizeof filetabs[i]);
            filetabs[i].refs = 1;
            return &filetabs[i];
        }
    }
    panic("files-table-full");
}

/* Put `file` in slot fd (NULL empties it); the slot's page is taken on first use. */
int files_install(struct files *f, int fd, struct file *file)
{
    struct file ***page = &f->fdpage[fd / FDS_PER_PAGE];
    if (!*page && !(*page = kalloc()))
        return -ENOMEM;
    (*page)[fd % FDS_PER_PAGE] = file;
    return 0;
}

void files_clear(struct files *f, int fd)
{
    if (f->fdpage[fd / FDS_PER_PAGE])
        f->fdpage[fd / FDS_PER_PAGE][fd % FDS_PER_PAGE] = NULL;
    fd_set_cloexec(f, fd, false);
}

/* Every descriptor closed and every page given back (the table itself stays). Only the
   pages of slots there are get looked at, a present slot found by page_next_set: every exit
   went through all NOFILE_MAX slots before. */
static void files_release(struct files *f)
{
    for (int i = 0; i < NOFILE_MAX / FDS_PER_PAGE; i++) {
        struct file **slots = f->fdpage[i];
        if (!slots)
            continue;
        for (uint64_t j = page_next_set((const uint64_t *)slots, 0, FDS_PER_PAGE, ~0UL); j < FDS_PER_PAGE;
             j = page_next_set((const uint64_t *)slots, j + 1, FDS_PER_PAGE, ~0UL)) {
            locks_close_posix(f, slots[j]);
            file_close(slots[j]);
        }
    }
    for (int i = 0; i < NOFILE_MAX / FDS_PER_PAGE; i++)
        if (f->fdpage[i])
            kfree(f->fdpage[i]);
    memset(f, 0, sizeof *f);
}

/*
 * A private copy (fork, or execve of a process sharing its table): every open
 * file gains a reference. NULL when a page for the slots cannot be had.
 */
struct files *files_copy(struct files *from)
{
    SAN_LIVE(SAN_FILES, from - filetabs, from->refs > 0);
    struct files *f = files_new();
    for (int i = 0; i < NOFILE_MAX / FDS_PER_PAGE; i++) {
        if (!from->fdpage[i])
            continue;
        if (!(f->fdpage[i] = kalloc())) {
            files_release(f);
            return NULL;
        }
        for (int j = 0; j < FDS_PER_PAGE; j++)
            if (from->fdpage[i][j])
                f->fdpage[i][j] = file_dup(from->fdpage[i][j]);
    }
    memcpy(f->cloexec, from->cloexec, sizeof f->cloexec);
    return f;
}

struct files *files_get(struct files *f)
{
    SAN_LIVE(SAN_FILES, f - filetabs, f->refs > 0);
    REF_GET(SAN_FILES, f - filetabs, f->refs);
    return f;
}

void files_put(struct files *f)
{
    SAN_LIVE(SAN_FILES, f - filetabs, f->refs > 0);
    if (REF_PUT(SAN_FILES, f - filetabs, f->refs) > 0)
        return;
    files_release(f);
    SAN_FREED(SAN_FILES, f - filetabs, f, refs);
}

/* ---- working directory and umask ---------------------------------------- */

struct fsinfo *fsinfo_new(struct inode *cwd, uint32_t umask)
{
    for (int i = 0; i < NPROC; i++) {
        if (fsinfos[i].refs == 0) {
            fsinfos[i].refs = 1;
            fsinfos[i].cwd = inode_get(cwd);
            fsinfos[i].umask = umask;
            return &fsinfos[i];
        }
    }
    panic("fsinfo-table-full");
}

struct fsinfo *fsinfo_get(struct fsinfo *fs)
{
    SAN_LIVE(SAN_FSINFO, fs - fsinfos, fs->refs > 0);
    REF_GET(SAN_FSINFO, fs - fsinfos, fs->refs);
    return fs;
}

void fsinfo_put(struct fsinfo *fs)
{
    SAN_LIVE(SAN_FSINFO, fs - fsinfos, fs->refs > 0);
    if (REF_PUT(SAN_FSINFO, fs - fsinfos, fs->refs) > 0)
        return;
    inode_put(fs->cwd);
    memset(fs, 0, sizeof *fs);
    SAN_FREED(SAN_FSINFO, fs - fsinfos, fs, refs);
}
