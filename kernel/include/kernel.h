/* Declarations shared across the kernel's C files. */
#pragma once
#include "types.h"
#include <stdarg.h>

/* uname's and /proc/sys/kernel's names (sysproc.c, procfs.c): "Linux" and a release in Linux's
   format, the ABI followed being Linux 6.1's (Debian 12's) */
#define UTS_SYSNAME "Linux"
#define UTS_RELEASE "6.1.0-ringlab"

/* string.c */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);

/* serial.c: COM1 16550 console */
void serial_init(void);
void serial_putc(char c);
void serial_write(const char *s, size_t n);
void serial_start_line(void);
void serial_intr(void);
void serial_rx_enable(void);

/* kprintf.c: `ringlab: ` event lines go through kevent() */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kevent(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* panic.c: stopping the machine */
#define PANIC_STATUS 255                 /* machine status after a panic */
noreturn void panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* QEMU's isa-debug-exit device (the harness puts it here on QEMU's command line): writing V
   makes QEMU exit with status (V << 1) | 1. */
#define DEBUG_EXIT_PORT  0xf4    /* isa-debug-exit iobase */
noreturn void machine_exit(int status);
void backtrace(uint64_t rbp);

/* testhook.c: test-only kernel arguments (test.ukpage=1, test.sanitize=), once at boot */
void testhook_init(void);
void testhook_fs(void);              /* once the file system holds the modules */

/* kalloc.c: physical page allocator */
#define KALLOC_MIN_FREE_PAGES 256        /* pages a boot needs beyond the modules: init's start */
#define NOMEM_STATUS 249                 /* machine status when the modules leave too little RAM */
uint64_t kalloc_need_end(uint64_t start_phys);   /* RAM end kalloc_init(start_phys, ..) needs */
void kalloc_init(uint64_t start_phys, uint64_t end_phys);
void *kalloc(void);                  /* one zeroed page (kernel virtual), or NULL */
void *kalloc_dirty(void);            /* one page the caller overwrites whole at once, or NULL */

/* page.c: whole pages (page-aligned), 8-byte words */
void page_fill(void *page, uint64_t word);       /* every word of the page := word */
void page_copy(void *dst, const void *src);
bool page_differs(const void *page, uint64_t word);   /* some word != word */
/* each block of 8 words := word after a check that it held `expect`: PAGE_SIZE / 8, or the
   index of the first block that did not (it and the blocks after it left as they were) */
uint64_t page_check_fill(void *page, uint64_t expect, uint64_t word);
/* the first i' in [i, n) with words[i'] & mask, else n (n <= 512: one page of words) */
uint64_t page_next_set(const uint64_t *words, uint64_t i, uint64_t n, uint64_t mask);
void kfree(void *page);
uint64_t kalloc_free_pages(void);
uint64_t kalloc_total_pages(void);   /* pages the allocator manages */
bool kshare(void *page);             /* one more mapping of a page; false: its counter is full */
void kput(void *page);               /* one mapping less: the last frees the page */
bool kshared(void *page);            /* mapped more than once (kshare'd) */

/* gdt.c */
void gdt_init(void);

/* cpu.c */
void cpu_init(void);

/* trap.c */
void idt_init(void);
void syscall_init(void);

/* symbols from linker.ld */
extern char __kernel_start[], __text_start[], __text_end[], __rodata_start[], __rodata_end[];
extern char __data_start[], __bss_start[], __kernel_end[];
