/*
 * The vDSO image (vdso/, built by the Makefile into gen/vdso/vdso.so), embedded in the
 * kernel's read-only data, page-aligned: vdso.c copies it into the pages it maps into every
 * 64-bit process.
 */
    .section .rodata
    .balign 4096
    .globl vdso_image_start
vdso_image_start:
    .incbin "gen/vdso/vdso.so"
    .globl vdso_image_end
vdso_image_end:
    .balign 4096
