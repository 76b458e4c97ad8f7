/*
 * The vDSO images (vdso/, built by the Makefile into gen/vdso/: vdso.so for 64-bit processes,
 * vdso32.so for i386 ones), embedded in the kernel's read-only data, page-aligned: vdso.c
 * copies each into the pages it maps at exec.
 */
    .section .rodata
    .balign 4096
    .globl vdso_image_start
vdso_image_start:
    .incbin "gen/vdso/vdso.so"
    .globl vdso_image_end
vdso_image_end:
    .balign 4096

    .balign 4096
    .globl vdso32_image_start
vdso32_image_start:
    .incbin "gen/vdso/vdso32.so"
    .globl vdso32_image_end
vdso32_image_end:
    .balign 4096
