"""Tiny multiboot kernels built on the fly, to measure and test the harness without ours.

Each is a few lines of 32-bit assembly (QEMU enters multiboot kernels in protected mode)
with a multiboot v1 header using the a.out kludge (flags 0x00010003), linked as an ELF64 at
1 MiB with clang and ld.lld - the same way QEMU loads images/kernel.elf. Kinds:

- ``exit``: prints ``ringlab: halt status=N`` on COM1 and writes N to isa-debug-exit;
- ``triple``: loads an empty IDT and executes ``int3``: #GP -> #DF -> triple fault;
- ``hang``: prints a line, then ``cli; hlt`` forever (a hung guest).
"""
from __future__ import annotations

import subprocess
from pathlib import Path

from ..core import tools
from ..core.errors import BuildError

_HEADER = r"""
    .section .text
    .code32
    .globl _start
mb_header:
    .long 0x1BADB002                       /* multiboot v1 magic */
    .long 0x00010003                       /* page-align, mem info, a.out kludge */
    .long -(0x1BADB002 + 0x00010003)       /* checksum */
    .long mb_header                        /* header_addr */
    .long mb_header                        /* load_addr */
    .long 0                                /* load_end_addr: whole file */
    .long 0                                /* bss_end_addr: no bss */
    .long _start                           /* entry_addr */
puts:                                      /* esi = NUL-terminated string -> COM1 */
    mov $0x3f8, %dx
1:  lodsb
    test %al, %al
    jz 2f
    out %al, %dx
    jmp 1b
2:  ret
"""

_BODIES = {
    "exit": r"""
_start:
    mov $0x200000, %esp
    mov $msg, %esi
    call puts
    mov $0xf4, %dx
    mov $STATUS, %eax
    out %eax, %dx
3:  hlt
    jmp 3b
msg: .asciz "ringlab: halt status=STATUS\r\n"
""",
    "triple": r"""
_start:
    mov $0x200000, %esp
    mov $msg, %esi
    call puts
    lidt idtr
    int3
msg: .asciz "ringlab: tiny kernel about to triple fault\r\n"
    .balign 8
idtr: .word 0
      .long 0
""",
    "hang": r"""
_start:
    mov $0x200000, %esp
    mov $msg, %esi
    call puts
    cli
3:  hlt
    jmp 3b
msg: .asciz "ringlab: tiny kernel hanging now\r\n"
""",
}


def build_tiny_kernel(kind: str, workdir: Path, status: int = 0) -> Path:
    """Assemble and link tiny kernel ``kind`` in ``workdir``; return the ELF path.

    Raises:
        ToolMissing: clang or ld.lld missing.
        BuildError: assembling or linking failed.
    """
    if kind not in _BODIES:
        raise ValueError(f"unknown tiny kernel {kind!r}; one of {sorted(_BODIES)}")
    clang = tools.find_tool("clang")
    lld = tools.find_tool("ld.lld")
    workdir = Path(workdir)
    src = workdir / f"tiny-{kind}.S"
    obj = workdir / f"tiny-{kind}.o"
    elf = workdir / f"tiny-{kind}.elf"
    src.write_text(_HEADER + _BODIES[kind].replace("STATUS", str(status)))
    for cmd in ([clang, "--target=x86_64-unknown-none-elf", "-c", "-o", str(obj), str(src)],
                [lld, "-static", "-nostdlib", "-Ttext=0x100000", "-e", "_start",
                 "-z", "max-page-size=4096", "-o", str(elf), str(obj)]):
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True)
        if proc.returncode != 0:
            raise BuildError(f"building tiny kernel {kind} failed", command=cmd,
                             log_tail=(proc.stdout + proc.stderr).splitlines())
    return elf
