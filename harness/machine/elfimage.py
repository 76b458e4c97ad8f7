"""Checks that a file is what the kernel can run, before QEMU starts.

The kernel loads init as a *static* x86-64 ELF executable: ELFCLASS64, EM_X86_64, ET_EXEC,
no program interpreter (PT_INTERP) and no dynamic section (PT_DYNAMIC). The file's headers
are checked the way the kernel's loader (kernel/elf.c) checks them, so a malformed file is
one ``BadImage`` line (which the kernel would answer with -ENOEXEC), never a traceback.
Section headers are not needed to run a program (Linux and ringlab ignore them) and are not
checked.

Only the ELF header and the program headers are read (System V gABI, "ELF Header" and
"Program Header"), with ``struct``: every ``invoke boot`` runs these checks, and pyelftools,
which the symbol reader (harness.machine.symbols) uses, costs more to import than all of them.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import List, Tuple, Union

from ..core import kabi
from ..core.errors import BadImage

PathLike = Union[str, os.PathLike]

ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2       # e_ident[EI_CLASS]
ELFDATA2LSB = 1                     # e_ident[EI_DATA]: little-endian
ET_EXEC, ET_DYN = 2, 3              # e_type
EM_X86_64 = 62                      # e_machine
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3    # p_type

# ELF-64 Object File Format: the little-endian layouts the kernel's struct elf64_ehdr /
# elf64_phdr (kernel/include/elf.h) also use.
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")   # e_ident .. e_shstrndx, 64 bytes
PHDR = struct.Struct("<IIQQQQQQ")           # p_type p_flags p_offset p_vaddr p_paddr
                                            # p_filesz p_memsz p_align, 56 bytes
_IDENT_TYPE_MACHINE = struct.Struct("<16sHH")   # the same in ELF32 and ELF64
_ETYPE_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_MACHINE_NAMES = {3: "EM_386", 40: "EM_ARM", 183: "EM_AARCH64", 243: "EM_RISCV"}


def _read(path: PathLike, limit: int = -1) -> bytes:
    """The file's bytes (the first ``limit`` only, if given), after checking it exists, is a
    regular file and starts ELF."""
    p = Path(path)
    if not p.exists():
        raise BadImage(str(path), "no such file")
    if not p.is_file():
        raise BadImage(str(path), "not a regular file")
    try:
        with open(p, "rb") as fh:
            data = fh.read(limit)
    except OSError as err:
        raise BadImage(str(path), f"cannot read: {err.strerror}") from err
    if data[:4] != ELF_MAGIC:
        raise BadImage(str(path), "not an ELF file (want a static x86-64 ELF executable, "
                                  "e.g. built with musl-gcc -static)")
    return data


def _class_and_machine(path: PathLike, data: bytes) -> Tuple[int, bool, int, int]:
    """(EI_CLASS, little-endian, e_type, e_machine)."""
    if len(data) < _IDENT_TYPE_MACHINE.size:
        raise BadImage(str(path), f"malformed ELF: {len(data)} bytes, shorter than the "
                                  f"{EHDR.size}-byte ELF64 header")
    ident, etype, machine = _IDENT_TYPE_MACHINE.unpack_from(data)
    return ident[4], ident[5] == ELFDATA2LSB, etype, machine


def _load_check(path: PathLike, data: bytes) -> List[int]:
    """The checks kernel/elf.c makes before it maps anything (-ENOEXEC there), as one line;
    returns every program header's type.

    User memory is [PAGE_SIZE, USER_LIMIT) as the kernel's ABI file states it.

    Raises:
        BadImage: truncated header, wrong e_phentsize, program headers beyond the file,
            a PT_LOAD whose bytes lie beyond the file, p_filesz > p_memsz, a segment or the
            entry point outside user memory (page 0 included), no PT_LOAD segment; and
            images/kabi.json missing (build first).
    """
    def bad(reason: str) -> BadImage:
        return BadImage(str(path), f"malformed ELF: {reason}")

    size = len(data)
    if size < EHDR.size:
        raise bad(f"{size} bytes, shorter than the {EHDR.size}-byte ELF64 header")
    (_, _, _, _, entry, phoff, _, _, _, phentsize, phnum, _, _, _) = EHDR.unpack_from(data)
    if phentsize != PHDR.size:
        raise bad(f"e_phentsize {phentsize}, not {PHDR.size} (ELF64 program header)")
    if phoff > size or phnum * PHDR.size > size - phoff:
        raise bad(f"{phnum} program headers at offset {phoff:#x} end beyond the file "
                  f"({size} bytes)")
    k = kabi.load()
    page, user_end = k.const("PAGE_SIZE"), k.const("USER_LIMIT")
    types, loads = [], 0
    for i in range(phnum):
        ptype, _, off, vaddr, _, filesz, memsz, _ = PHDR.unpack_from(data, phoff + i * PHDR.size)
        types.append(ptype)
        if ptype != PT_LOAD or memsz == 0:
            continue
        if filesz > memsz:
            raise bad(f"segment {i}: p_filesz {filesz:#x} > p_memsz {memsz:#x}")
        if off > size or filesz > size - off:
            raise bad(f"segment {i}: bytes {off:#x}+{filesz:#x} end beyond the file "
                      f"({size} bytes)")
        if vaddr < page or vaddr + memsz > user_end:
            raise bad(f"segment {i}: {vaddr:#x}+{memsz:#x} is not inside user memory "
                      f"[{page:#x}, {user_end:#x})")
        loads += 1
    if not loads:
        raise bad("no PT_LOAD segment")
    if not page <= entry < user_end:
        raise bad(f"entry point {entry:#x} is not inside user memory")
    return types


def check_static_x86_64(path: PathLike) -> None:
    """Check that ``path`` is a static x86-64 ELF executable the kernel can load as a process.

    Raises:
        BadImage: with a one-line reason (missing, not ELF, 32-bit, other machine, PIE,
            dynamically linked, malformed headers: see ``_load_check``).
    """
    data = _read(path)
    elfclass, little, etype, machine = _class_and_machine(path, data)
    if elfclass != ELFCLASS64:
        bits = {ELFCLASS32: "ELF32"}.get(elfclass, f"ELF class {elfclass}")
        raise BadImage(str(path), f"{bits}, not a 64-bit ELF")
    if not little:
        raise BadImage(str(path), "big-endian ELF, not x86-64")
    if machine != EM_X86_64:
        name = _MACHINE_NAMES.get(machine, str(machine))
        raise BadImage(str(path), f"machine {name}, not x86-64 (EM_X86_64)")
    if etype != ET_EXEC:
        what = ("a position-independent executable or shared object" if etype == ET_DYN
                else _ETYPE_NAMES.get(etype, f"ELF type {etype}"))
        raise BadImage(str(path), f"{what}, not a static non-PIE executable "
                                  "(build with musl-gcc -static -no-pie)")
    for ptype in _load_check(path, data):
        if ptype == PT_INTERP:
            raise BadImage(str(path), "dynamically linked (has PT_INTERP); build with "
                                      "musl-gcc -static")
        if ptype == PT_DYNAMIC:
            raise BadImage(str(path), "has a dynamic section (PT_DYNAMIC); build with "
                                      "musl-gcc -static")


def check_elf64(path: PathLike) -> None:
    """Check that ``path`` is an ELF64 x86-64 file (the kernel image: symbols for gdb).

    Raises:
        BadImage: missing or not an x86-64 ELF64.
    """
    data = _read(path, EHDR.size)
    elfclass, little, _, machine = _class_and_machine(path, data)
    if elfclass != ELFCLASS64 or not little or machine != EM_X86_64 or len(data) < EHDR.size:
        raise BadImage(str(path), "not an x86-64 ELF64 file")


def entry_point(path: PathLike) -> int:
    """The ELF entry address (e_entry) of an x86-64 ELF64.

    Raises:
        BadImage: missing or not an x86-64 ELF64.
    """
    check_elf64(path)
    return EHDR.unpack_from(_read(path, EHDR.size))[4]
