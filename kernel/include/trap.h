/*
 * The trap frame: what trapentry.S and syscall_entry push on the kernel stack.
 * Offsets are bytes from the frame's start (the stack pointer passed to trap()).
 * The last five words are the frame the CPU itself pushes on an interrupt or
 * exception (SDM Vol. 3A 6.14.1, Figure 6-9); syscall_entry builds the same
 * words by hand so both paths share one layout.
 */
#pragma once

/* Byte offsets of the words the entry stubs look at (checked against the struct below). */
#define TF_VECTOR   120          /* first word the stub pushes: the vector */
#define TF_RIP      136          /* first CPU-pushed word */
#define TF_CS       144          /* its RPL says which ring the entry came from */
#define TF_RFLAGS   152
#define TF_RSP      160
#define TF_SS       168          /* an LDT selector here: the iretq goes through espfix */
#define TF_SIZE     176          /* the whole frame */

#ifndef __ASSEMBLER__
#include "types.h"

struct trapframe {
    /*   0 */ uint64_t r15;
    /*   8 */ uint64_t r14;
    /*  16 */ uint64_t r13;
    /*  24 */ uint64_t r12;
    /*  32 */ uint64_t r11;
    /*  40 */ uint64_t r10;
    /*  48 */ uint64_t r9;
    /*  56 */ uint64_t r8;
    /*  64 */ uint64_t rbp;
    /*  72 */ uint64_t rdi;
    /*  80 */ uint64_t rsi;
    /*  88 */ uint64_t rdx;
    /*  96 */ uint64_t rcx;
    /* 104 */ uint64_t rbx;
    /* 112 */ uint64_t rax;
    /* 120 */ uint64_t vector;  /* pushed by the stub (T_SYSCALL for syscall) */
    /* 128 */ uint64_t error;   /* CPU error code, or 0 pushed by the stub; for a system
                                   call its number (Linux's orig_ax: a restart reloads RAX) */
    /* 136 */ uint64_t rip;     /* CPU-pushed from here on */
    /* 144 */ uint64_t cs;
    /* 152 */ uint64_t rflags;
    /* 160 */ uint64_t rsp;
    /* 168 */ uint64_t ss;
};
_Static_assert(sizeof(struct trapframe) == TF_SIZE, "trapentry.S assumes a 176-byte trap frame");
_Static_assert(__builtin_offsetof(struct trapframe, vector) == TF_VECTOR, "TF_VECTOR");
_Static_assert(__builtin_offsetof(struct trapframe, rip) == TF_RIP, "TF_RIP");
_Static_assert(__builtin_offsetof(struct trapframe, cs) == TF_CS, "TF_CS");
_Static_assert(__builtin_offsetof(struct trapframe, rflags) == TF_RFLAGS, "TF_RFLAGS");
_Static_assert(__builtin_offsetof(struct trapframe, rsp) == TF_RSP, "TF_RSP");
_Static_assert(__builtin_offsetof(struct trapframe, ss) == TF_SS, "TF_SS");

void trap(struct trapframe *tf);
void syscall_dispatch(struct trapframe *tf);
void syscall32_dispatch(struct trapframe *tf);      /* syscall32.c: the i386 table (int $0x80) */
void compat_fast_syscall(struct trapframe *tf);     /* syscall32.c: compat syscall/sysenter */
noreturn void iret_to_user(struct trapframe *tf);   /* trapentry.S: leave through iretq */
void idt_destroy(void);              /* trap.c: empty IDT (crash=triple) */
void crash_maybe(struct trapframe *tf); /* crash.c: crash=KIND at init's first system call */
#endif
