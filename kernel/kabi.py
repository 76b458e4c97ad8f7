#!/usr/bin/env python3
"""Write images/kabi.json from gen/kabi.o (kabi.c compiled with the kernel's CFLAGS) and
images/kernel.elf.

    kabi.py gen/kabi.o ../images/kernel.elf ../images/kabi.json

Reads the .kabi section of kabi.o (152-byte entries, see struct kabi_entry in kabi.c) with
pyelftools, looks every named symbol up in kernel.elf's symbol table, and writes::

    {"format": 1, "kernel": "kernel.elf",
     "constants": {"PAGE_SIZE": 4096, ...}, "offsets": {"trapframe.rip": 136, ...},
     "sizes": {"trapframe": 176}, "syscalls": {"0": "read", ...},
     "syscalls32": {"1": "exit", ...},
     "symbols": {"syscall_entry": 18446744071563170816, ...}, "gdb": {"current_pid": "..."},
     "ioports": {"com1": [1016, 1023], ...},
     "kargs": {"crash": "enum null|stack|smep|smap|triple", ...}}

(a kernel argument key -> its grammar, include/kargs.h).

Exits 1, naming it, if a symbol is missing from kernel.elf (a kernel rename the harness
would otherwise meet at run time), if an entry is malformed, or a name is defined twice.
"""
import json
import os
import struct
import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

FORMAT = 1
ENTRY = struct.Struct("<16s48s80sQ")      # struct kabi_entry: kind, name, text, value
SECTIONS = {"const": "constants", "offset": "offsets", "size": "sizes", "syscall": "syscalls",
            "syscall32": "syscalls32",
            "symbol": "symbols", "gdb": "gdb", "karg": "kargs",
            "ioports": "ioports"}


def cstr(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("ascii")


def entries(obj_path: str):
    with open(obj_path, "rb") as fh:
        section = ELFFile(fh).get_section_by_name(".kabi")
        if section is None:
            sys.exit(f"kabi.py: {obj_path} has no .kabi section")
        data = section.data()
    if len(data) % ENTRY.size:
        sys.exit(f"kabi.py: .kabi is {len(data)} bytes, not a multiple of {ENTRY.size}")
    for off in range(0, len(data), ENTRY.size):
        kind, name, text, value = ENTRY.unpack_from(data, off)
        yield cstr(kind), cstr(name), cstr(text), value


def kernel_symbols(elf_path: str):
    with open(elf_path, "rb") as fh:
        symtab = ELFFile(fh).get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            sys.exit(f"kabi.py: {elf_path} has no symbol table")
        return {s.name: s["st_value"] for s in symtab.iter_symbols()
                if s.name and s["st_info"]["type"] in ("STT_FUNC", "STT_OBJECT", "STT_NOTYPE")}


def main(obj_path: str, elf_path: str, out_path: str) -> None:
    syms = kernel_symbols(elf_path)
    out = {"format": FORMAT, "kernel": os.path.basename(elf_path)}
    out.update({key: {} for key in SECTIONS.values()})
    missing = []
    for kind, name, text, value in entries(obj_path):
        if kind == "symbols":                       # a numbered series: vector0 .. vectorN-1
            names = [f"{name}{i}" for i in range(value)]
            kind = "symbol"
        else:
            names = [name]
        if kind not in SECTIONS:
            sys.exit(f"kabi.py: unknown entry kind {kind!r} ({name})")
        table = out[SECTIONS[kind]]
        for n in names:
            key = str(value) if kind in ("syscall", "syscall32") else n
            if key in table:
                sys.exit(f"kabi.py: {kind} {key} defined twice")
            if kind == "symbol":
                if n not in syms:
                    missing.append(n)
                    continue
                table[key] = syms[n]
            elif kind in ("syscall", "syscall32"):
                table[key] = n
            elif kind in ("gdb", "karg"):
                table[key] = text
            elif kind == "ioports":                 # first << 32 | last: [first, last]
                table[key] = [value >> 32, value & 0xFFFFFFFF]
            else:
                table[key] = value
    if missing:
        sys.exit(f"kabi.py: kabi.c names symbols that {elf_path} does not define: "
                 f"{', '.join(missing)} (renamed in the kernel? update kabi.c and the harness)")
    tmp = f"{out_path}.tmp.{os.getpid()}"
    with open(tmp, "w") as fh:
        json.dump(out, fh, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, out_path)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit("usage: kabi.py KABI_O KERNEL_ELF OUT_JSON")
    main(*sys.argv[1:])
