"""Checks that a file is what the kernel can run, and reads symbols (pyelftools).

The kernel loads init as a *static* x86-64 ELF executable: ELFCLASS64, EM_X86_64,
ET_EXEC, no program interpreter (PT_INTERP) and no dynamic section (PT_DYNAMIC). Before
pyelftools reads a program header, the file's headers are checked the way the kernel's loader
(kernel/elf.c) checks them, so a malformed file is one ``BadImage`` line (which the kernel
would answer with -ENOEXEC), never a traceback. Section headers are not needed to run a
program (Linux and ringlab ignore them) and are not checked.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import List, Tuple, Union

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ..core import constants as C
from ..core.errors import BadImage
from .symbols import symbolizer

PathLike = Union[str, os.PathLike]

ELF_MAGIC = b"\x7fELF"

# ELF-64 Object File Format (System V gABI, "ELF Header" and "Program Header"): sizes and
# the little-endian layouts the kernel's struct elf64_ehdr / elf64_phdr (kernel/include/elf.h)
# also use.
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")   # e_ident .. e_shstrndx, 64 bytes
PHDR = struct.Struct("<IIQQQQQQ")           # p_type p_flags p_offset p_vaddr p_paddr
                                            # p_filesz p_memsz p_align, 56 bytes
PT_LOAD = 1
PAGE_SIZE = 4096


def _open_elf(path: PathLike):
    p = Path(path)
    if not p.exists():
        raise BadImage(str(path), "no such file")
    if not p.is_file():
        raise BadImage(str(path), "not a regular file")
    try:
        fh = open(p, "rb")
    except OSError as err:
        raise BadImage(str(path), f"cannot read: {err.strerror}") from err
    magic = fh.read(4)
    if magic != ELF_MAGIC:
        fh.close()
        raise BadImage(str(path), "not an ELF file (want a static x86-64 ELF executable, "
                                  "e.g. built with musl-gcc -static)")
    header = magic + fh.read(EHDR.size - len(magic))
    if len(header) < EHDR.size:
        fh.close()
        raise BadImage(str(path), f"malformed ELF: {len(header)} bytes, shorter than the "
                                  f"{EHDR.size}-byte ELF64 header")
    fh.seek(0)
    try:
        return fh, ELFFile(fh)
    except ELFError as err:
        fh.close()
        raise BadImage(str(path), f"malformed ELF: {err}") from err


def _load_check(path: PathLike, data: bytes) -> None:
    """The checks kernel/elf.c makes before it maps anything (-ENOEXEC there), as one line.

    Raises:
        BadImage: truncated header, wrong e_phentsize, program headers beyond the file,
            a PT_LOAD whose bytes lie beyond the file, p_filesz > p_memsz, a segment or the
            entry point outside user memory (page 0 included), no PT_LOAD segment.
    """
    def bad(reason: str) -> BadImage:
        return BadImage(str(path), f"malformed ELF: {reason}")

    size = len(data)
    if size < EHDR.size:
        raise bad(f"{size} bytes, shorter than the {EHDR.size}-byte ELF header")
    (_, _, _, _, entry, phoff, _, _, _, phentsize, phnum, _, _, _) = EHDR.unpack_from(data)
    if phentsize != PHDR.size:
        raise bad(f"e_phentsize {phentsize}, not {PHDR.size} (ELF64 program header)")
    if phoff > size or phnum * PHDR.size > size - phoff:
        raise bad(f"{phnum} program headers at offset {phoff:#x} end beyond the file "
                  f"({size} bytes)")
    loads: List[Tuple[int, int]] = []
    for i in range(phnum):
        ptype, _, off, vaddr, _, filesz, memsz, _ = PHDR.unpack_from(data, phoff + i * PHDR.size)
        if ptype != PT_LOAD or memsz == 0:
            continue
        if filesz > memsz:
            raise bad(f"segment {i}: p_filesz {filesz:#x} > p_memsz {memsz:#x}")
        if off > size or filesz > size - off:
            raise bad(f"segment {i}: bytes {off:#x}+{filesz:#x} end beyond the file "
                      f"({size} bytes)")
        if vaddr < PAGE_SIZE or vaddr + memsz > C.USER_MEMORY_END:
            raise bad(f"segment {i}: {vaddr:#x}+{memsz:#x} is not inside user memory "
                      f"[{PAGE_SIZE:#x}, {C.USER_MEMORY_END:#x})")
        loads.append((vaddr, memsz))
    if not loads:
        raise bad("no PT_LOAD segment")
    if not PAGE_SIZE <= entry < C.USER_MEMORY_END:
        raise bad(f"entry point {entry:#x} is not inside user memory")


def check_static_x86_64(path: PathLike) -> None:
    """Check that ``path`` is a static x86-64 ELF executable the kernel can load as a process.

    Raises:
        BadImage: with a one-line reason (missing, not ELF, 32-bit, other machine, PIE,
            dynamically linked, malformed headers: see ``_load_check``).
    """
    fh, elf = _open_elf(path)
    with fh:
        try:
            return _check_static(path, fh, elf)
        except ELFError as err:   # a corner _load_check did not foresee: still one line
            raise BadImage(str(path), f"malformed ELF: {err}") from err


def _check_static(path: PathLike, fh, elf: ELFFile) -> None:
    if elf.elfclass != 64:
        raise BadImage(str(path), f"ELF{elf.elfclass}, not a 64-bit ELF")
    machine = elf["e_machine"]
    if machine != "EM_X86_64":
        raise BadImage(str(path), f"machine {machine}, not x86-64 (EM_X86_64)")
    etype = elf["e_type"]
    if etype != "ET_EXEC":
        what = "a position-independent executable or shared object" if etype == "ET_DYN" \
            else etype
        raise BadImage(str(path), f"{what}, not a static non-PIE executable "
                                  "(build with musl-gcc -static -no-pie)")
    fh.seek(0)
    _load_check(path, fh.read())
    for seg in elf.iter_segments():
        if seg["p_type"] == "PT_INTERP":
            raise BadImage(str(path), "dynamically linked (has PT_INTERP); build with "
                                      "musl-gcc -static")
        if seg["p_type"] == "PT_DYNAMIC":
            raise BadImage(str(path), "has a dynamic section (PT_DYNAMIC); build with "
                                      "musl-gcc -static")


def check_elf64(path: PathLike) -> None:
    """Check that ``path`` is an ELF64 x86-64 file (the kernel image: symbols for gdb).

    Raises:
        BadImage: missing or not an x86-64 ELF64.
    """
    fh, elf = _open_elf(path)
    with fh:
        if elf.elfclass != 64 or elf["e_machine"] != "EM_X86_64":
            raise BadImage(str(path), "not an x86-64 ELF64 file")


def symbol_address(path: PathLike, name: str) -> int:
    """Return the value (address) of symbol ``name`` in the ELF file's symbol table.

    Raises:
        BadImage: not an ELF file, or it has no symbol table.
        KeyError: the symbol is not defined in it.
    """
    return symbolizer(path).address(name)   # harness.symbols: the one symbol-table reader


def entry_point(path: PathLike) -> int:
    """Return the ELF entry address (e_entry)."""
    fh, elf = _open_elf(path)
    with fh:
        return int(elf["e_entry"])
