/*
 * Load a static ELF64 executable into an address space. Every size and
 * address in the file is checked before use: a bad image is -ENOEXEC, never
 * a kernel fault.
 */
#include "kernel.h"
#include "elf.h"
#include "errno.h"
#include "mmu.h"
#include "vm.h"

int elf_load(uint64_t *pml4, const uint8_t *data, size_t size, struct elf_image *out)
{
    const struct elf64_ehdr *eh = (const void *)data;
    if (size < sizeof *eh || eh->e_magic != ELF_MAGIC || eh->e_class != ELFCLASS64 || eh->e_data != ELFDATA2LSB ||
        eh->e_type != ET_EXEC || eh->e_machine != EM_X86_64 || eh->e_phentsize != sizeof(struct elf64_phdr))
        return -ENOEXEC;
    if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(struct elf64_phdr) > size - eh->e_phoff)
        return -ENOEXEC;

    const struct elf64_phdr *ph = (const void *)(data + eh->e_phoff);
    uint64_t end = 0, phdr_va = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        if (ph[i].p_type == PT_INTERP)
            return -ENOEXEC;                    /* dynamically linked: not supported */
        if (ph[i].p_type == PT_PHDR)
            phdr_va = ph[i].p_vaddr;
        if (ph[i].p_type != PT_LOAD || ph[i].p_memsz == 0)
            continue;
        const struct elf64_phdr *p = &ph[i];
        if (p->p_filesz > p->p_memsz || p->p_offset > size || p->p_filesz > size - p->p_offset ||
            !user_range_ok(p->p_vaddr, p->p_memsz) || p->p_vaddr < PAGE_SIZE)
            return -ENOEXEC;
        /* map writable first so the bytes can be copied in; the real rights come below */
        int r = uvm_map_zeroed(pml4, p->p_vaddr, p->p_memsz, PTE_W | PTE_NX);
        if (r)
            return r;
        r = copyout(pml4, p->p_vaddr, data + p->p_offset, p->p_filesz);
        if (r)
            return r;
        if (p->p_offset == 0 && !phdr_va)
            phdr_va = p->p_vaddr + eh->e_phoff;
        if (p->p_vaddr + p->p_memsz > end)
            end = p->p_vaddr + p->p_memsz;
    }
    if (!end || !user_range_ok(eh->e_entry, 1) || eh->e_entry < PAGE_SIZE)
        return -ENOEXEC;
    /*
     * Final rights, in two passes because segments may share a page: first
     * every segment page becomes read-only and NX, then each segment adds W
     * and/or clears NX, so a shared page gets the union of its segments' rights.
     */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < eh->e_phnum; i++) {
            const struct elf64_phdr *p = &ph[i];
            if (p->p_type != PT_LOAD || p->p_memsz == 0)
                continue;
            uint64_t start = ALIGN_DOWN(p->p_vaddr, PAGE_SIZE), stop = ALIGN_UP(p->p_vaddr + p->p_memsz, PAGE_SIZE);
            for (uint64_t a = start; a < stop; a += PAGE_SIZE) {
                uint64_t *pte = walk(pml4, a, false);
                if (pass == 0)
                    *pte = (*pte & PTE_ADDR_MASK) | PTE_P | PTE_U | PTE_NX;
                else
                    *pte = (*pte | (p->p_flags & PF_W ? PTE_W : 0)) & ~(p->p_flags & PF_X ? PTE_NX : 0);
            }
        }
    }
    out->entry = eh->e_entry;
    out->phdr = phdr_va;
    out->phnum = eh->e_phnum;
    out->end = ALIGN_UP(end, PAGE_SIZE);
    return 0;
}
