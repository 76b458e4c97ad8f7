"""Checks that a file is what the kernel can run, before QEMU starts.

The kernel loads init as a *static* ELF executable: ELFCLASS64 with EM_X86_64 (a 64-bit
process) or ELFCLASS32 with EM_386 (a 32-bit process, in compatibility mode), ET_EXEC, no
program interpreter (PT_INTERP) and no dynamic section (PT_DYNAMIC). The file's headers
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
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple, Union

from ..core import kabi
from ..core.errors import BadImage

PathLike = Union[str, os.PathLike]

ELF_MAGIC = b"\x7fELF"
ELFCLASS32, ELFCLASS64 = 1, 2       # e_ident[EI_CLASS]
ELFDATA2LSB = 1                     # e_ident[EI_DATA]: little-endian
ET_EXEC, ET_DYN = 2, 3              # e_type
EM_386, EM_X86_64 = 3, 62           # e_machine
PT_LOAD, PT_DYNAMIC, PT_INTERP = 1, 2, 3    # p_type

# ELF-64 Object File Format: the little-endian layouts the kernel's struct elf64_ehdr /
# elf64_phdr (kernel/include/elf.h) also use.
EHDR = struct.Struct("<16sHHIQQQIHHHHHH")   # e_ident .. e_shstrndx, 64 bytes
PHDR = struct.Struct("<IIQQQQQQ")           # p_type p_flags p_offset p_vaddr p_paddr
                                            # p_filesz p_memsz p_align, 56 bytes
# ELF-32 (System V gABI; the kernel's struct elf32_ehdr / elf32_phdr).
EHDR32 = struct.Struct("<16sHHIIIIIHHHHHH")  # e_ident .. e_shstrndx, 52 bytes
PHDR32 = struct.Struct("<IIIIIIII")          # p_type p_offset p_vaddr p_paddr p_filesz p_memsz
                                             # p_flags p_align, 32 bytes
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


def is_elf32(path: PathLike) -> bool:
    """True if ``path`` is an ELF32 file (an i386 program: the kernel runs it in
    compatibility mode).

    Raises:
        BadImage: unreadable, or not an ELF file.
    """
    data = _read(path, EHDR.size)
    return _class_and_machine(path, data)[0] == ELFCLASS32


def _load_check(path: PathLike, data: bytes, is32: bool = False) -> List[int]:
    """The checks kernel/elf.c makes before it maps anything (-ENOEXEC there), as one line;
    returns every program header's type.

    User memory is [PAGE_SIZE, USER_LIMIT) as the kernel's ABI file states it; for an ELF32
    (``is32``) [PAGE_SIZE, USER32_STACK_TOP): below 4 GiB and the 32-bit stack's top.

    Raises:
        BadImage: truncated header, wrong e_phentsize, program headers beyond the file,
            a PT_LOAD whose bytes lie beyond the file, p_filesz > p_memsz, a segment or the
            entry point outside user memory (page 0 included), no PT_LOAD segment; and
            images/kabi.json missing (build first).
    """
    def bad(reason: str) -> BadImage:
        return BadImage(str(path), f"malformed ELF: {reason}")

    ehdr, phdr, what = (EHDR32, PHDR32, "ELF32") if is32 else (EHDR, PHDR, "ELF64")
    size = len(data)
    if size < ehdr.size:
        raise bad(f"{size} bytes, shorter than the {ehdr.size}-byte {what} header")
    (_, _, _, _, entry, phoff, _, _, _, phentsize, phnum, _, _, _) = ehdr.unpack_from(data)
    if phentsize != phdr.size:
        raise bad(f"e_phentsize {phentsize}, not {phdr.size} ({what} program header)")
    if phoff > size or phnum * phdr.size > size - phoff:
        raise bad(f"{phnum} program headers at offset {phoff:#x} end beyond the file "
                  f"({size} bytes)")
    k = kabi.load()
    page = k.const("PAGE_SIZE")
    user_end = k.const("USER32_STACK_TOP") if is32 else k.const("USER_LIMIT")
    types, loads = [], 0
    for i in range(phnum):
        if is32:
            ptype, off, vaddr, _, filesz, memsz, _, _ = PHDR32.unpack_from(data, phoff + i * phdr.size)
        else:
            ptype, _, off, vaddr, _, filesz, memsz, _ = PHDR.unpack_from(data, phoff + i * phdr.size)
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
    """Check that ``path`` is a static ELF executable the kernel can load as a process: x86-64
    (ELF64, EM_X86_64) or i386 (ELF32, EM_386: a 32-bit process in compatibility mode).

    Raises:
        BadImage: with a one-line reason (missing, not ELF, another class or machine, PIE,
            dynamically linked, malformed headers: see ``_load_check``).
    """
    data = _read(path)
    elfclass, little, etype, machine = _class_and_machine(path, data)
    if elfclass not in (ELFCLASS32, ELFCLASS64):
        raise BadImage(str(path), f"ELF class {elfclass}, neither ELF64 nor ELF32")
    if not little:
        raise BadImage(str(path), "big-endian ELF, not x86-64")
    want = EM_386 if elfclass == ELFCLASS32 else EM_X86_64
    if machine != want:
        name = _MACHINE_NAMES.get(machine, str(machine))
        raise BadImage(str(path), f"machine {name}, not x86-64 (EM_X86_64) or, as ELF32, "
                                  "i386 (EM_386)")
    if etype != ET_EXEC:
        what = ("a position-independent executable or shared object" if etype == ET_DYN
                else _ETYPE_NAMES.get(etype, f"ELF type {etype}"))
        raise BadImage(str(path), f"{what}, not a static non-PIE executable "
                                  "(build with musl-gcc -static -no-pie)")
    for ptype in _load_check(path, data, is32=elfclass == ELFCLASS32):
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


# Section headers and symbols (System V gABI, "Sections" and "Symbol Table"; ELF-64 Object
# File Format), read with struct: the one ELF symbol reader of the harness. A plain boot's
# timeout report names RIP with it without loading pyelftools, and machine.symbols's
# Symbolizer (gdb-style names, the DWARF line table through pyelftools) builds on it.
SHDR = struct.Struct("<IIQQQQIIQQ")   # sh_name sh_type sh_flags sh_addr sh_offset sh_size
                                      # sh_link sh_info sh_addralign sh_entsize
SYM = struct.Struct("<IBBHQQ")        # st_name st_info st_other st_shndx st_value st_size
SHDR32 = struct.Struct("<IIIIIIIIII")  # the same fields, 32-bit (sh_flags .. sh_entsize)
SYM32 = struct.Struct("<IIIBBH")      # st_name st_value st_size st_info st_other st_shndx
SHT_SYMTAB = 2                        # section type: the full symbol table
SHN_UNDEF = 0                         # st_shndx: an undefined symbol
SHN_LORESERVE = 0xFF00                # st_shndx from here: no section (SHN_ABS, SHN_COMMON)
SHN_ABS = 0xFFF1                      # st_shndx: an absolute value, not an address in a section
STT_NOTYPE, STT_OBJECT, STT_FUNC = 0, 1, 2   # st_info's low nibble
STT_NAMED = (STT_NOTYPE, STT_OBJECT, STT_FUNC)   # NOTYPE (assembly labels), OBJECT, FUNC


@dataclass(frozen=True)
class ElfSymbol:
    """One named symbol of a .symtab.

    Attributes:
        name: its name.
        value: st_value (an address, in an executable).
        size: st_size in bytes (0 for an assembly label).
        type: STT_* (st_info's low nibble).
        shndx: the index of the section it is defined in (SHN_UNDEF, SHN_ABS... as such).
        section: (sh_addr, sh_size, sh_flags) of that section; (0, 0, 0) for a special index.
    """

    name: str
    value: int
    size: int
    type: int
    shndx: int
    section: Tuple[int, int, int] = (0, 0, 0)


def _symtab(path: PathLike) -> Optional[List[ElfSymbol]]:
    """Every named symbol of ``path``'s SHT_SYMTAB sections in table order (ELF32 or
    ELF64, little-endian); None when it has no symbol table (a stripped file).

    Raises:
        BadImage: unreadable, not an ELF file, or section headers outside the file.
    """
    data = _read(path)
    cls, little, _, _ = _class_and_machine(path, data)
    if cls not in (ELFCLASS32, ELFCLASS64) or not little:
        raise BadImage(str(path), "not a little-endian ELF32/ELF64 file")
    is64 = cls == ELFCLASS64
    ehdr, shdr, sym = (EHDR, SHDR, SYM) if is64 else (EHDR32, SHDR32, SYM32)
    if len(data) < ehdr.size:
        raise BadImage(str(path), f"malformed ELF: {len(data)} bytes, shorter than its header")
    shoff, shentsize, shnum = (ehdr.unpack_from(data)[i] for i in (6, 11, 12))

    def section(i: int) -> Optional[Tuple[int, ...]]:
        off = shoff + i * shentsize
        if i >= shnum or shentsize < shdr.size or off + shdr.size > len(data):
            return None
        # (name, type, flags, addr, offset, size, link, info, addralign, entsize)
        return shdr.unpack_from(data, off)

    def symbol(off: int) -> Tuple[int, int, int, int, int]:
        """(st_name, st_info, st_shndx, st_value, st_size)."""
        if is64:
            name_off, info, _, shndx, value, size = sym.unpack_from(data, off)
        else:
            name_off, value, size, info, _, shndx = sym.unpack_from(data, off)
        return name_off, info, shndx, value, size

    tables = [h for h in (section(i) for i in range(shnum)) if h and h[1] == SHT_SYMTAB]
    if not tables:
        return None
    found: List[ElfSymbol] = []
    sections: Dict[int, Tuple[int, int, int]] = {}    # shndx -> (addr, size, flags)
    for _, _, _, _, sym_off, sym_size, link, _, _, entsize in tables:
        strings = section(link)
        if strings is None or entsize < sym.size:
            continue
        str_off = strings[4]
        for s in range(sym_off, min(sym_off + sym_size, len(data)) - sym.size + 1, entsize):
            name_off, info, shndx, value, size = symbol(s)
            if not name_off:
                continue
            end = data.find(b"\0", str_off + name_off)
            if shndx not in sections:
                h = section(shndx) if shndx < SHN_LORESERVE else None
                sections[shndx] = (h[3], h[5], h[2]) if h else (0, 0, 0)
            found.append(ElfSymbol(data[str_off + name_off:end].decode("ascii", "replace"),
                                   value, size, info & 0xF, shndx, sections[shndx]))
    return found


def symbol_table(path: PathLike) -> List[ElfSymbol]:
    """Every named symbol of ``path``'s symbol table (.symtab), in table order.

    Raises:
        BadImage: unreadable, not an ELF file, or no symbol table (stripped?).
    """
    table = _symtab(path)
    if table is None:
        raise BadImage(str(path), "has no symbol table (stripped?)")
    return table


def symbols(path: PathLike) -> List[Tuple[int, str]]:
    """(value, name) of every named NOTYPE/OBJECT/FUNC symbol defined in ``path``'s .symtab,
    sorted; empty when it has none.

    Raises:
        BadImage: unreadable, or not an ELF file.
    """
    return sorted((s.value, s.name) for s in _symtab(path) or ()
                  if s.shndx != SHN_UNDEF and s.type in STT_NAMED)


def _functions(path: PathLike) -> List[Tuple[int, int, str]]:
    """(value, size, name) of every sized FUNC symbol in ``path``'s .symtab, sorted.

    Raises:
        BadImage: unreadable, or not an ELF file.
    """
    return sorted((s.value, s.size, s.name) for s in _symtab(path) or ()
                  if s.shndx != SHN_UNDEF and s.type == STT_FUNC and s.size)


def function_symbol(path: PathLike, address: int) -> Optional[Tuple[str, int]]:
    """(name, offset) as gdb names a code address (``<main+26>``): the sized function that
    holds it, else the nearest symbol at or below it (an assembly label); None if none.
    The rule of machine.symbols's ``Symbolizer.lookup``, without pyelftools (a plain boot
    loads none)."""
    try:
        funcs = _functions(path)
    except BadImage:
        return None
    holding = [(v, n) for v, size, n in funcs if v <= address < v + size]
    if holding:
        value, name = holding[-1]
        return name, address - value
    return nearest_symbol(path, address)


def nearest_symbol(path: PathLike, address: int) -> Optional[Tuple[str, int]]:
    """(name, offset) of the last symbol at or below ``address`` in ``path``, or None."""
    try:
        table = symbols(path)
    except BadImage:
        return None
    below = [(v, n) for v, n in table if v <= address]
    return (below[-1][1], address - below[-1][0]) if below else None
