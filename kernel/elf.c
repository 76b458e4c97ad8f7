/*
 * Load a static ELF64 (x86-64) or ELF32 (i386) executable into an address space. Every size
 * and address in the file is checked before use: a bad image is -ENOEXEC, never a kernel
 * fault. An ELF32's segments and entry must lie below USER32_STACK_TOP (compatibility mode
 * addresses 4 GiB, and the stack sits at its top).
 */
#include "kernel.h"
#include "elf.h"
#include "errno.h"
#include "mmu.h"
#include "vm.h"

/* The file's header, whichever class, in the ELF64 layout; 0 or -ENOEXEC. */
static int read_ehdr(const uint8_t *data, size_t size, struct elf64_ehdr *eh, bool *is32)
{
    const struct elf64_ehdr *e64 = (const void *)data;
    const struct elf32_ehdr *e32 = (const void *)data;
    if (size < sizeof *e32 || e32->e_magic != ELF_MAGIC || e32->e_data != ELFDATA2LSB || e32->e_type != ET_EXEC)
        return -ENOEXEC;
    if (e32->e_class == ELFCLASS32 && e32->e_machine == EM_386 && e32->e_phentsize == sizeof(struct elf32_phdr)) {
        *is32 = true;
        *eh = (struct elf64_ehdr){ .e_entry = e32->e_entry, .e_phoff = e32->e_phoff, .e_phnum = e32->e_phnum,
                                   .e_phentsize = e32->e_phentsize };
        return 0;
    }
    if (size < sizeof *e64 || e64->e_class != ELFCLASS64 || e64->e_machine != EM_X86_64 ||
        e64->e_phentsize != sizeof(struct elf64_phdr))
        return -ENOEXEC;
    *is32 = false;
    *eh = *e64;
    return 0;
}

/* Program header i in the ELF64 layout (the caller checked the table lies in the file). */
static struct elf64_phdr phdr_at(const uint8_t *data, const struct elf64_ehdr *eh, bool is32, int i)
{
    if (!is32)
        return ((const struct elf64_phdr *)(data + eh->e_phoff))[i];
    const struct elf32_phdr *p = (const struct elf32_phdr *)(data + eh->e_phoff) + i;
    return (struct elf64_phdr){ .p_type = p->p_type, .p_flags = p->p_flags, .p_offset = p->p_offset,
                                .p_vaddr = p->p_vaddr, .p_paddr = p->p_paddr, .p_filesz = p->p_filesz,
                                .p_memsz = p->p_memsz, .p_align = p->p_align };
}

/* Inside the user half, and for an ELF32 below its stack (no wrap: len <= limit). */
static bool range_ok(uint64_t va, uint64_t len, bool is32)
{
    if (!user_range_ok(va, len))
        return false;
    return !is32 || (len <= USER32_STACK_TOP && va <= USER32_STACK_TOP - len);
}

int elf_load(uint64_t *pml4, const uint8_t *data, size_t size, struct elf_image *out)
{
    struct elf64_ehdr ehdr, *eh = &ehdr;
    bool is32;
    if (read_ehdr(data, size, eh, &is32))
        return -ENOEXEC;
    if (eh->e_phoff > size || (uint64_t)eh->e_phnum * eh->e_phentsize > size - eh->e_phoff)
        return -ENOEXEC;

    uint64_t end = 0, phdr_va = 0;
    for (int i = 0; i < eh->e_phnum; i++) {
        struct elf64_phdr ph = phdr_at(data, eh, is32, i), *p = &ph;
        if (p->p_type == PT_INTERP)
            return -ENOEXEC;                    /* dynamically linked: not supported */
        if (p->p_type == PT_PHDR)
            phdr_va = p->p_vaddr;
        if (p->p_type != PT_LOAD || p->p_memsz == 0)
            continue;
        if (p->p_filesz > p->p_memsz || p->p_offset > size || p->p_filesz > size - p->p_offset ||
            !range_ok(p->p_vaddr, p->p_memsz, is32) || p->p_vaddr < PAGE_SIZE)
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
    if (!end || !range_ok(eh->e_entry, 1, is32) || eh->e_entry < PAGE_SIZE)
        return -ENOEXEC;
    /*
     * Final rights, in two passes because segments may share a page: first
     * every segment page becomes read-only and NX, then each segment adds W
     * and/or clears NX, so a shared page gets the union of its segments' rights.
     */
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < eh->e_phnum; i++) {
            struct elf64_phdr ph = phdr_at(data, eh, is32, i), *p = &ph;
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
    out->phent = eh->e_phentsize;
    out->end = ALIGN_UP(end, PAGE_SIZE);
    out->is32 = is32;
    return 0;
}
