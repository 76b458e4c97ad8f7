/* Page tables: the kernel's, and one set per process (see mmu.h for the map). */
#pragma once
#include "types.h"

void vm_init(uint64_t mem_end_phys);
void vm_switch_kernel(void);
void vm_switch(uint64_t *pml4);
uint64_t *uvm_create(void);
void uvm_free(uint64_t *pml4);
int uvm_map_zeroed(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags);
void uvm_unmap(uint64_t *pml4, uint64_t va, uint64_t len);
int uvm_protect(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags);
int uvm_copy(uint64_t *src, uint64_t *dst);
uint64_t *walk(uint64_t *pml4, uint64_t va, bool alloc);
bool user_range_ok(uint64_t va, uint64_t len);
int copyout(uint64_t *pml4, uint64_t dstva, const void *src, uint64_t len);
int copyin(uint64_t *pml4, void *dst, uint64_t srcva, uint64_t len);
int copyinstr(uint64_t *pml4, char *dst, uint64_t srcva, uint64_t max);
uint64_t kstack_map(int slot);
void kstack_unmap(int slot);
