/* Multiboot v1 (Multiboot Specification 0.6.96, sections 3.1 and 3.3). */
#pragma once

#define MB_HEADER_MAGIC   0x1BADB002  /* in the image's multiboot header */
#define MB_BOOT_MAGIC     0x2BADB002  /* in EAX when the loader jumps to us */
#define MB_FLAG_ALIGN     (1 << 0)    /* modules page aligned */
#define MB_FLAG_MEMINFO   (1 << 1)    /* give mem_lower/mem_upper */
#define MB_FLAG_AOUT      (1 << 16)   /* load by the header's addresses (the "a.out kludge") */
#define MB_HEADER_FLAGS   (MB_FLAG_ALIGN | MB_FLAG_MEMINFO | MB_FLAG_AOUT)

#define MBI_MEM           (1 << 0)    /* mem_lower/mem_upper valid */
#define MBI_CMDLINE       (1 << 2)    /* cmdline valid */
#define MBI_MODS          (1 << 3)    /* mods_count/mods_addr valid */

#ifndef __ASSEMBLER__
#include "types.h"

struct mb_info {
    uint32_t flags;
    uint32_t mem_lower;        /* KiB below 1 MiB */
    uint32_t mem_upper;        /* KiB above 1 MiB */
    uint32_t boot_device;
    uint32_t cmdline;          /* physical address of a NUL-terminated string */
    uint32_t mods_count;
    uint32_t mods_addr;        /* physical address of struct mb_module[mods_count] */
} __attribute__((packed));

struct mb_module {
    uint32_t start;            /* physical, first byte */
    uint32_t end;              /* physical, one past the last byte */
    uint32_t string;           /* physical address of the module's string */
    uint32_t reserved;
} __attribute__((packed));
#endif
