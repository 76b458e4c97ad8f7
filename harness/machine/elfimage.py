"""Checks that a file is what the kernel can run, before QEMU starts.

The kernel loads init as a *static* x86-64 ELF executable: ELFCLASS64, EM_X86_64, ET_EXEC,
no program interpreter (PT_INTERP) and no dynamic section (PT_DYNAMIC). These checks read
only the ELF header and the program headers (System V gABI, "ELF Header" and "Program
Header"), with ``struct``: every ``invoke boot`` runs them, and pyelftools, which the
symbol reader (harness.machine.symbols) uses, costs more to import than the whole check.
"""
from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import BinaryIO, List, Tuple, Union

from ..core.errors import BadImage

PathLike = Union[str, os.PathLike]

ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2       # e_ident[EI_CLASS]
ELFDATA2LSB = 1                     # e_ident[EI_DATA]: little-endian
ET_EXEC, ET_DYN = 2, 3              # e_type
EM_X86_64 = 62                      # e_machine
PT_DYNAMIC, PT_INTERP = 2, 3        # p_type

# ELF64 header after e_ident: e_type, e_machine, e_version, e_entry, e_phoff, e_shoff,
# e_flags, e_ehsize, e_phentsize, e_phnum
_EHDR64 = struct.Struct("<HHIQQQIHHH")
_EHDR_COMMON = struct.Struct("<HH")     # e_type, e_machine (ELF32 and ELF64 alike)
_PHDR64_TYPE = struct.Struct("<I")      # p_type, the first field of an Elf64_Phdr
_ETYPE_NAMES = {0: "ET_NONE", 1: "ET_REL", 2: "ET_EXEC", 3: "ET_DYN", 4: "ET_CORE"}
_MACHINE_NAMES = {3: "EM_386", 40: "EM_ARM", 183: "EM_AARCH64", 243: "EM_RISCV"}


class _Header:
    """The fields of an ELF header the checks need."""

    def __init__(self, path: PathLike, data: bytes) -> None:
        self.path = str(path)
        if len(data) < 20:
            raise BadImage(self.path, "malformed ELF: truncated header")
        self.elfclass = data[4]
        self.little = data[5] == ELFDATA2LSB
        self.etype, self.machine = _EHDR_COMMON.unpack_from(data, 16)
        self.entry = self.phoff = self.phentsize = self.phnum = 0
        if self.elfclass == ELFCLASS64 and self.little:
            if len(data) < 16 + _EHDR64.size:
                raise BadImage(self.path, "malformed ELF: truncated header")
            (_, _, _, self.entry, self.phoff, _, _, _, self.phentsize,
             self.phnum) = _EHDR64.unpack_from(data, 16)


def _read_header(path: PathLike) -> Tuple[BinaryIO, _Header]:
    p = Path(path)
    if not p.exists():
        raise BadImage(str(path), "no such file")
    if not p.is_file():
        raise BadImage(str(path), "not a regular file")
    try:
        fh = open(p, "rb")
    except OSError as err:
        raise BadImage(str(path), f"cannot read: {err.strerror}") from err
    data = fh.read(64)
    if data[:4] != ELF_MAGIC:
        fh.close()
        raise BadImage(str(path), "not an ELF file (want a static x86-64 ELF executable, "
                                  "e.g. built with musl-gcc -static)")
    try:
        return fh, _Header(path, data)
    except BadImage:
        fh.close()
        raise


def _segment_types(fh: BinaryIO, h: _Header) -> List[int]:
    if h.phnum and h.phentsize < _PHDR64_TYPE.size:
        raise BadImage(h.path, f"malformed ELF: program header entries of {h.phentsize} bytes")
    fh.seek(h.phoff)
    table = fh.read(h.phnum * h.phentsize)
    if len(table) != h.phnum * h.phentsize:
        raise BadImage(h.path, "malformed ELF: program headers past the end of the file")
    return [_PHDR64_TYPE.unpack_from(table, i * h.phentsize)[0] for i in range(h.phnum)]


def check_static_x86_64(path: PathLike) -> None:
    """Check that ``path`` is a static x86-64 ELF executable the kernel can load as a process.

    Raises:
        BadImage: with a one-line reason (missing, not ELF, 32-bit, other machine, PIE,
            dynamically linked, malformed).
    """
    fh, h = _read_header(path)
    with fh:
        if h.elfclass != ELFCLASS64:
            bits = {ELFCLASS32: "ELF32"}.get(h.elfclass, f"ELF class {h.elfclass}")
            raise BadImage(h.path, f"{bits}, not a 64-bit ELF")
        if not h.little:
            raise BadImage(h.path, "big-endian ELF, not x86-64")
        if h.machine != EM_X86_64:
            name = _MACHINE_NAMES.get(h.machine, str(h.machine))
            raise BadImage(h.path, f"machine {name}, not x86-64 (EM_X86_64)")
        if h.etype != ET_EXEC:
            what = ("a position-independent executable or shared object" if h.etype == ET_DYN
                    else _ETYPE_NAMES.get(h.etype, f"ELF type {h.etype}"))
            raise BadImage(h.path, f"{what}, not a static non-PIE executable "
                                   "(build with musl-gcc -static -no-pie)")
        for ptype in _segment_types(fh, h):
            if ptype == PT_INTERP:
                raise BadImage(h.path, "dynamically linked (has PT_INTERP); build with "
                                       "musl-gcc -static")
            if ptype == PT_DYNAMIC:
                raise BadImage(h.path, "has a dynamic section (PT_DYNAMIC); build with "
                                       "musl-gcc -static")


def check_elf64(path: PathLike) -> None:
    """Check that ``path`` is an ELF64 x86-64 file (the kernel image: symbols for gdb).

    Raises:
        BadImage: missing or not an x86-64 ELF64.
    """
    fh, h = _read_header(path)
    with fh:
        if h.elfclass != ELFCLASS64 or not h.little or h.machine != EM_X86_64:
            raise BadImage(h.path, "not an x86-64 ELF64 file")


def entry_point(path: PathLike) -> int:
    """The ELF entry address (e_entry) of an x86-64 ELF64.

    Raises:
        BadImage: missing or not an x86-64 ELF64.
    """
    check_elf64(path)
    fh, h = _read_header(path)
    with fh:
        return h.entry
