/* ELF64 and ELF32 (System V gABI; x86-64 and i386 psABIs) structures the loader needs. */
#pragma once
#include "types.h"

#define ELF_MAGIC   0x464c457f  /* "\x7fELF" little-endian */
#define ELFCLASS32  1
#define ELFCLASS64  2
#define ELFDATA2LSB 1
#define ET_EXEC     2
#define EM_386      3
#define EM_X86_64   62
#define PT_LOAD     1
#define PT_INTERP   3
#define PT_PHDR     6
#define PF_X        1
#define PF_W        2
#define PF_R        4

/* auxiliary vector types (include/uapi/linux/auxvec.h) */
#define AT_NULL     0
#define AT_PHDR     3
#define AT_PHENT    4
#define AT_PHNUM    5
#define AT_PAGESZ   6
#define AT_ENTRY    9
#define AT_UID      11
#define AT_EUID     12
#define AT_GID      13
#define AT_EGID     14
#define AT_HWCAP    16
#define AT_CLKTCK   17
#define AT_SECURE   23
#define AT_RANDOM   25
#define AT_EXECFN   31
#define AT_HWCAP2   26           /* HWCAP2_* bits (arch/x86/include/uapi/asm/hwcap2.h) */
#define AT_MINSIGSTKSZ 51        /* the largest signal frame (Linux get_sigframe_size) */
#define AT_RSEQ_FEATURE_SIZE 27  /* struct rseq's fields the kernel fills (include/rseq.h, Linux 6.3+) */
#define AT_RSEQ_ALIGN 28         /* its alignment */
#define HWCAP2_FSGSBASE (1 << 1) /* CR4.FSGSBASE: rd/wr{fs,gs}base usable in ring 3 */
#define AT_SYSINFO  32       /* i386: __kernel_vsyscall in the 32-bit vDSO (include/vdso.h) */
#define AT_SYSINFO_EHDR 33   /* the vDSO's ELF header (include/vdso.h) */

struct elf64_ehdr {
    uint32_t e_magic;
    uint8_t e_class, e_data, e_version, e_osabi;
    uint8_t e_pad[8];
    uint16_t e_type, e_machine;
    uint32_t e_version2;
    uint64_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf64_phdr {
    uint32_t p_type, p_flags;
    uint64_t p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_align;
};

struct elf32_ehdr {
    uint32_t e_magic;
    uint8_t e_class, e_data, e_version, e_osabi;
    uint8_t e_pad[8];
    uint16_t e_type, e_machine;
    uint32_t e_version2;
    uint32_t e_entry, e_phoff, e_shoff;
    uint32_t e_flags;
    uint16_t e_ehsize, e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx;
};

struct elf32_phdr {
    uint32_t p_type, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz, p_flags, p_align;
};

struct elf_image {
    uint64_t entry;            /* e_entry */
    uint64_t phdr;             /* user address of the program headers (AT_PHDR) */
    uint64_t phnum;
    uint64_t phent;            /* bytes per program header (AT_PHENT) */
    uint64_t end;              /* first page above the highest segment: brk start */
    bool is32;                 /* an i386 ELF32: runs in compatibility mode (CS USER32_CS) */
};

int elf_load(uint64_t *pml4, const uint8_t *data, size_t size, struct elf_image *out);
