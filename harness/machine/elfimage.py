"""Checks that a file is what the kernel can run, and reads symbols (pyelftools).

The kernel loads init as a *static* x86-64 ELF executable: ELFCLASS64, EM_X86_64,
ET_EXEC, no program interpreter (PT_INTERP) and no dynamic section (PT_DYNAMIC).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Union

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile

from ..core.errors import BadImage
from .symbols import symbolizer

PathLike = Union[str, os.PathLike]

ELF_MAGIC = b"\x7fELF"


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
    fh.seek(0)
    try:
        return fh, ELFFile(fh)
    except ELFError as err:
        fh.close()
        raise BadImage(str(path), f"malformed ELF: {err}") from err


def check_static_x86_64(path: PathLike) -> None:
    """Check that ``path`` is a static x86-64 ELF executable the kernel can load as a process.

    Raises:
        BadImage: with a one-line reason (missing, not ELF, 32-bit, other machine, PIE,
            dynamically linked).
    """
    fh, elf = _open_elf(path)
    with fh:
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
