/* Page tables: the kernel's, and one set per process (see mmu.h for the map). */
#pragma once
#include "types.h"

/* vm.c: the kernel half and address spaces */
void vm_init(uint64_t mem_end_phys);
void vm_switch_kernel(void);
void vm_kernel_region(uint64_t va, uint64_t pd_phys);   /* a kernel-half PDPT entry -> pd */
void espfix_init(void);                                  /* espfix.c */
void vm_switch(uint64_t *pml4);
uint64_t kstack_map(int slot);
void kstack_unmap(int slot);
uint64_t *uvm_create(void);
void uvm_free(uint64_t *pml4);
int uvm_copy(uint64_t *src, uint64_t *dst);
uint64_t *walk(uint64_t *pml4, uint64_t va, bool alloc);
bool user_range_ok(uint64_t va, uint64_t len);

/* Pages reserved before a change that must not fail halfway (uvm.c). */
struct pagepool_page { struct pagepool_page *next; };
struct pagepool {
    struct pagepool_page *head;   /* zeroed pages, linked through their first word */
    uint64_t count;
    bool kalloc_fallback;         /* empty pool: take from kalloc instead of failing */
};
void *pool_take(struct pagepool *pool);
uint64_t *walk_pool(uint64_t *pml4, uint64_t va, struct pagepool *pool);

/* uvm.c: ranges of user memory, costing what is mapped; preemptible */
void uvm_charge(uint64_t *work);
void uvm_atomic(bool on);                                /* preemption points off (nesting) / on */
int uvm_map_zeroed(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags);
int uvm_replace(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags);
int uvm_map_pages(uint64_t *pml4, uint64_t va, void *const *pages, uint64_t n, uint64_t flags);
void uvm_unmap(uint64_t *pml4, uint64_t va, uint64_t len);
int uvm_protect(uint64_t *pml4, uint64_t va, uint64_t len, uint64_t flags);
uint64_t uvm_next_mapped(uint64_t *pml4, uint64_t va, uint64_t end);
uint64_t uvm_find_free(uint64_t *pml4, uint64_t lo, uint64_t hi, uint64_t len);
int uvm_move(uint64_t *pml4, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len);
uint64_t *uvm_pte(uint64_t *pml4, uint64_t va);
int uvm_own(uint64_t *pte, uint64_t va);

/* stackgrow.c: the user stack grows down on faults (Linux's VM_GROWSDOWN stack) */
struct mm;
bool stack_page(const struct mm *mm, uint64_t va);       /* in the stack ([stack]) */
bool growsdown_page(const struct mm *mm, uint64_t va);   /* in a grows-down range (not data) */
uint64_t growsdown_pages(const struct mm *mm, uint64_t start, uint64_t end);   /* VmStk's pages */
int growsdown_add(struct mm *mm, uint64_t lo, uint64_t top);   /* MAP_GROWSDOWN; -ENOMEM: no record */
int growsdown_room(const struct mm *mm, uint64_t start, uint64_t end);   /* 0, or -ENOMEM: records in use */
uint64_t growsdown_find_free(const struct mm *mm, uint64_t lo, uint64_t hi, uint64_t len);   /* the gaps kept */
bool growsdown_gap_hit(const struct mm *mm, uint64_t start, uint64_t end);   /* in a guard gap (brk) */
void growsdown_moved(struct mm *mm, uint64_t from, uint64_t old_len, uint64_t to, uint64_t new_len);
bool stack_fault(struct mm *mm, uint64_t va);            /* grown over va: retry the access */
bool stack_fault_copy(uint64_t *pml4, uint64_t va);      /* the same for a copy (usercopy.c) */
bool stack_fault_remote(struct mm *mm, uint64_t va);     /* ptrace, /proc/PID/mem: never sleeps */
void growsdown_unmapped(struct mm *mm, uint64_t start, uint64_t end);   /* a range unmapped or replaced */
void growsdown_grown(struct mm *mm, uint64_t old_end, uint64_t new_end);  /* mremap grew one in place */

/* usercopy.c */
int copyout(uint64_t *pml4, uint64_t dstva, const void *src, uint64_t len);
int put_user_bytes(uint64_t *pml4, uint64_t dstva, const void *src, uint64_t len);   /* a word, all or nothing */
int copyin(uint64_t *pml4, void *dst, uint64_t srcva, uint64_t len);
int copyinstr(uint64_t *pml4, char *dst, uint64_t srcva, uint64_t max);
int64_t user_strnlen(uint64_t *pml4, uint64_t srcva, uint64_t max);
