/*
 * The 32-bit vDSO's code (i386), for 32-bit processes: Linux's entry points with Linux's
 * instructions (arch/x86/entry/vdso/vdso32/system_call.S, sigreturn.S), so C libraries and
 * unwinders that look for them find what they expect.
 *
 * __kernel_vsyscall (AT_SYSINFO) makes a system call with the i386 registers: EAX the number,
 * EBX, ECX, EDX, ESI, EDI, EBP the arguments. It saves ECX, EDX and EBP as Linux's does,
 * because a compatibility-mode `syscall` or `sysenter` returns to int80_landing_pad with
 * those three on the stack (syscall32.c: the sixth argument is the EBP pushed here); this one
 * enters with `int $0x80` only, which returns to the same place.
 *
 * __kernel_sigreturn and __kernel_rt_sigreturn are where an ia32 signal handler returns when
 * sigaction gave no SA_RESTORER: i386 sigreturn (119) after dropping the signal number, and
 * rt_sigreturn (173) (arch/x86/entry/syscalls/syscall_32.tbl). Their bytes are Linux's:
 * 58 b8 77 00 00 00 cd 80 and b8 ad 00 00 00 cd 80.
 */
#define NR32_SIGRETURN      119      /* i386 sigreturn */
#define NR32_RT_SIGRETURN   173      /* i386 rt_sigreturn */

    .text
    .globl __kernel_vsyscall
    .type __kernel_vsyscall, @function
    .p2align 4
__kernel_vsyscall:
    .cfi_startproc
    pushl %ecx
    .cfi_adjust_cfa_offset 4
    pushl %edx
    .cfi_adjust_cfa_offset 4
    pushl %ebp
    .cfi_adjust_cfa_offset 4
    int $0x80
    .globl int80_landing_pad
    .hidden int80_landing_pad
int80_landing_pad:
    popl %ebp
    .cfi_adjust_cfa_offset -4
    popl %edx
    .cfi_adjust_cfa_offset -4
    popl %ecx
    .cfi_adjust_cfa_offset -4
    ret
    .cfi_endproc
    .size __kernel_vsyscall, . - __kernel_vsyscall

    .globl __kernel_sigreturn
    .type __kernel_sigreturn, @function
    .p2align 5
__kernel_sigreturn:
    popl %eax
    movl $NR32_SIGRETURN, %eax
    int $0x80
    .size __kernel_sigreturn, . - __kernel_sigreturn

    .globl __kernel_rt_sigreturn
    .type __kernel_rt_sigreturn, @function
    .p2align 5
__kernel_rt_sigreturn:
    movl $NR32_RT_SIGRETURN, %eax
    int $0x80
    .size __kernel_rt_sigreturn, . - __kernel_rt_sigreturn

    .section .note.GNU-stack, "", @progbits
