"""Addresses to names, from an ELF symbol table: the kernel's panic backtrace and the catalogue
programs' ``fault_insn`` labels. The symbol table is machine.elfimage's (``symbol_table``, the
one ELF symbol reader, struct-only); this module adds gdb's naming rules and, through
pyelftools, the DWARF line table (``source_line``).

    >>> sym = Symbolizer(C.KERNEL_IMAGE)
    >>> sym.describe(0xffffffff801007db, return_address=True)
    'recurse+37'

Every name has gdb's form, decimal offset (``observe.symname``: the one rule the gdb
extension's ``ring``/``step-ring``, ``trace``, reports and panics share).

A backtrace holds *return* addresses: the instruction after each ``call``. When the call is a
function's last instruction (a ``noreturn`` callee), the return address is already the next
function's first byte, so return addresses are looked up at ``addr - 1`` (what gdb and
``addr2line`` users do).
"""
from __future__ import annotations

import bisect
import hashlib
import json
import logging
import os
import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from elftools.elf.elffile import ELFFile

from ..core import constants as C
from ..core.errors import BadImage
from ..observe.symname import symbol_offset, symbol_text
from .elfimage import (SHN_ABS, SHN_UNDEF, STT_FUNC, STT_NOTYPE, STT_OBJECT, nearest_symbol,
                       symbol_table)

SHF_EXECINSTR = 0x4  # ELF section flag: holds executable code
#: the ELF symbol types a Symbolizer keeps, by the kind it gives them
SYMBOL_KINDS = {STT_FUNC: "func", STT_OBJECT: "object", STT_NOTYPE: "label"}

log = logging.getLogger(__name__)

PathLike = Union[str, Path]


@dataclass(frozen=True)
class Symbol:
    """One symbol: name, address and size in bytes (0 for labels such as ``fault_insn``)."""

    name: str
    address: int
    size: int
    kind: str  # "func", "object" or "label"
    section_end: int = 0  # end of the section holding it: a label covers nothing beyond


class Symbolizer:
    """The defined symbols of one ELF file, searchable by name and by address.

    Args:
        path: an ELF file with a ``.symtab`` (images/kernel.elf, images/user/f_*).

    Raises:
        BadImage: not an ELF file, or no symbol table.
    """

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        syms = []
        for s in symbol_table(path):         # elfimage: the one symbol reader
            kind = SYMBOL_KINDS.get(s.type)
            if kind is None or s.shndx in (SHN_UNDEF, SHN_ABS):
                continue
            lo, size, flags = s.section
            if kind == "label" and not (flags & SHF_EXECINSTR and lo <= s.value < lo + size):
                kind = "object"   # a linker-script marker (__bss_end_phys...), not code
            syms.append(Symbol(s.name, s.value, s.size, kind, section_end=lo + size))
        # Functions first at equal addresses, so a lookup names the function, not a label in it.
        syms.sort(key=lambda s: (s.address, s.kind != "func", s.name))
        self.symbols: List[Symbol] = syms
        self._by_name: Dict[str, Symbol] = {}
        for s in syms:
            self._by_name.setdefault(s.name, s)
        # Code symbols: C functions (sized) and assembly labels (NOTYPE, size 0: the kernel's
        # syscall_entry, vector13 ...). A sized function that holds an address names it;
        # otherwise the nearest code symbol at or below the address does.
        self._code = [s for s in syms if s.kind in ("func", "label")]
        self._code_addrs = [s.address for s in self._code]
        self._funcs = [s for s in syms if s.kind == "func" and s.size]
        self._func_addrs = [s.address for s in self._funcs]
        self._lines: Optional[List[LineRow]] = None       # the DWARF line table, on demand
        self._line_addrs: List[int] = []

    def source_line(self, address: int) -> Optional[Tuple[str, int]]:
        """``(file name, line)`` of the instruction at ``address`` from the DWARF line
        table (a file built with ``-g``), or None where it has none (musl's libc, stripped
        files, assembly without ``-g``). The file name is the base name (``nullr.c``)."""
        if self._lines is None:
            self._lines = line_table(self.path)
            self._line_addrs = [r.address for r in self._lines]
        i = bisect.bisect_right(self._line_addrs, address) - 1
        if i < 0 or self._lines[i].end:
            return None
        return self._lines[i].file, self._lines[i].line

    def address(self, name: str) -> int:
        """The address of symbol ``name``.

        Raises:
            KeyError: no such symbol (the message names the file).
        """
        try:
            return self._by_name[name].address
        except KeyError:
            raise KeyError(f"{name} not defined in {self.path}") from None

    def __contains__(self, name: str) -> bool:
        return name in self._by_name

    def function_at(self, address: int) -> Optional[Symbol]:
        """The sized function holding ``address``, else the nearest code label at or below
        it (assembly entry points carry no size), else None."""
        i = bisect.bisect_right(self._func_addrs, address) - 1
        if i >= 0 and address < self._funcs[i].address + self._funcs[i].size:
            return self._funcs[i]
        j = bisect.bisect_right(self._code_addrs, address) - 1
        if j < 0 or self._code[j].size or address >= self._code[j].section_end:
            return None   # before every symbol, past a sized function, or past its section
        return self._code[j]

    def nearest(self, address: int) -> Optional[Tuple[str, int]]:
        """``(symbol, offset)`` of the nearest code symbol at or below ``address``, labels
        included (``write1_insn`` rather than ``main+18``); None before every symbol, past a
        sized function's end, or past its section."""
        j = bisect.bisect_right(self._code_addrs, address) - 1
        if j < 0:
            return None
        s = self._code[j]
        if address >= s.section_end or (s.size and address >= s.address + s.size):
            return None
        return s.name, address - s.address

    def lookup(self, address: int, *, return_address: bool = False) -> Optional[Tuple[str, int]]:
        """``(function, offset)`` for ``address``, or None if no function holds it.

        Args:
            return_address: ``address`` is a return address (look up ``address - 1``; the
                offset is still that of ``address``).
        """
        f = self.function_at(address - 1 if return_address else address)
        return (f.name, address - f.address) if f else None

    def describe(self, address: int, *, return_address: bool = False) -> str:
        """``name+off`` (decimal, as gdb; ``name`` at offset 0), else the address in hex."""
        found = self.lookup(address, return_address=return_address)
        return symbol_offset(*found) if found else f"{address:#x}"

    def backtrace(self, addresses: Sequence[int]) -> List[str]:
        """``describe()`` of each return address of a backtrace."""
        return [self.describe(a, return_address=True) for a in addresses]


@dataclass(frozen=True)
class LineRow:
    """One row of a DWARF line table: code from ``address`` on is ``file``:``line``, until
    the next row; ``end`` marks the first address past a sequence (no line there)."""

    address: int
    file: str
    line: int
    end: bool = False


def line_table(path: PathLike) -> List[LineRow]:
    """Every row of every compilation unit's DWARF line program (DWARF 5 numbers files from
    0, earlier versions from 1), sorted by address; a sequence's start wins over the end of
    the one before it at the same address. [] without debug information.

    Raises:
        BadImage: not a readable ELF file.
    """
    rows: List[LineRow] = []
    try:
        fh = open(path, "rb")
    except OSError as err:
        raise BadImage(str(path), err.strerror or "cannot open") from None
    with fh:
        try:
            elf = ELFFile(fh)
            if not elf.has_dwarf_info():
                return []
            dwarf = elf.get_dwarf_info()
            for cu in dwarf.iter_CUs():
                prog = dwarf.line_program_for_CU(cu)
                if prog is None:
                    continue
                files = prog["file_entry"]
                first = 0 if prog["version"] >= 5 else 1
                for entry in prog.get_entries():
                    st = entry.state
                    if st is None:
                        continue
                    if st.end_sequence:
                        rows.append(LineRow(st.address, "", 0, end=True))
                        continue
                    i = st.file - first
                    name = files[i].name if 0 <= i < len(files) else b"?"
                    rows.append(LineRow(st.address, Path(name.decode(errors="replace")).name,
                                        st.line))
        except Exception as err:   # pyelftools raises its own errors on malformed DWARF
            log.debug("%s: no line table (%s)", path, err)
            return []
    rows.sort(key=lambda r: (r.address, not r.end))
    return rows


def source_line(path: PathLike, address: int) -> Optional[str]:
    """``"nullr.c:1"`` for ``address`` in the ELF file ``path``, or None (no debug
    information there, or not an ELF file): ``lab.Run.report``'s source line reader."""
    try:
        found = symbolizer(path).source_line(address)
    except BadImage:
        return None
    return f"{found[0]}:{found[1]}" if found else None


@lru_cache(maxsize=64)
def _cached(path: str, mtime_ns: int) -> Symbolizer:
    return Symbolizer(path)


def symbolizer(path: PathLike) -> Symbolizer:
    """A Symbolizer for ``path``, cached until the file changes (tests symbolize often)."""
    p = Path(path).resolve()
    try:
        mtime = p.stat().st_mtime_ns
    except OSError:
        mtime = -1
    return _cached(str(p), mtime)


def may_define(path: PathLike, name: str) -> bool:
    """False when the file ``path`` cannot define symbol ``name``: its bytes hold no
    NUL-framed ``name`` (as every name in an ELF string table is). True says only "maybe":
    ask ``name in symbolizer(path)``; a file that cannot be read is a maybe too."""
    try:
        return b"\0" + name.encode() + b"\0" in Path(path).read_bytes()
    except OSError:
        return True


def symbol_address(path: PathLike, name: str) -> int:
    """The value (address) of symbol ``name`` in the ELF file's symbol table.

    Raises:
        BadImage: not an ELF file, or it has no symbol table.
        KeyError: the symbol is not defined in it.
    """
    return symbolizer(path).address(name)


@dataclass(frozen=True)
class LineTable:
    """The DWARF line table of one ELF file: ``starts`` (sorted addresses) and, for each,
    ``(file base name, line)``, or None where a sequence ends."""

    starts: List[int]
    rows: List[Optional[Tuple[str, int]]]

    def at(self, address: int) -> Optional[Tuple[str, int]]:
        i = bisect.bisect_right(self.starts, address) - 1
        return self.rows[i] if i >= 0 else None

    def line(self, address: int, *, return_address: bool = False) -> Optional[str]:
        """``FILE:LINE`` of ``address``, or None (as ``source_line``, without its path
        lookups: for callers naming thousands of addresses of one file)."""
        found = self.at(address - 1 if return_address else address)
        return f"{found[0]}:{found[1]}" if found else None


def _read_line_table(path: str) -> LineTable:
    rows: List[Tuple[int, Optional[Tuple[str, int]]]] = []
    with open(path, "rb") as fh:
        elf = ELFFile(fh)
        if not elf.has_dwarf_info():
            raise BadImage(path, "has no DWARF line table (built without -g?)")
        dwarf = elf.get_dwarf_info()
        for cu in dwarf.iter_CUs():
            prog = dwarf.line_program_for_CU(cu)
            if prog is None:
                continue
            # DWARF 5 numbers files from 0, earlier versions from 1 (DWARF 5, 6.2.4 item 20).
            first = 0 if prog.header["version"] >= 5 else 1
            names = [Path(f.name.decode()).name for f in prog.header["file_entry"]]
            for entry in prog.get_entries():
                st = entry.state
                if st is None:
                    continue
                idx = st.file - first
                where = (names[idx] if 0 <= idx < len(names) else "?", st.line)
                # line 0: code the compiler attributes to no source line (DWARF 5, 6.2.2)
                rows.append((st.address, None if st.end_sequence or not st.line else where))
    rows.sort(key=lambda r: r[0])
    return LineTable([a for a, _ in rows], [w for _, w in rows])


#: a line table this long or longer (a kernel's, a glibc program's) is kept in C.CACHE_DIR
CACHED_ROWS_MIN = 20000


def _line_cache_file(path: str) -> Path:
    return C.CACHE_DIR / "lines" / (hashlib.sha256(path.encode()).hexdigest()[:32] + ".json")


def _load_line_table(path: str, key: List[int]) -> Optional[LineTable]:
    """The table kept for ``path`` if it was kept for this ``key`` (size, mtime); else None."""
    try:
        kept = json.loads(_line_cache_file(path).read_text())
        if kept["path"] != path or kept["key"] != key:
            return None
        names = kept["names"]
        return LineTable(kept["starts"],
                         [(names[r[0]], r[1]) if r else None for r in kept["rows"]])
    except (OSError, ValueError, KeyError, IndexError, TypeError):
        return None


def _keep_line_table(path: str, key: List[int], table: LineTable) -> None:
    """Write ``table`` for ``path`` (one file per path: a rebuilt file's replaces it), whole
    or not at all (a temporary file renamed); a cache that cannot be written is skipped."""
    names: Dict[str, int] = {}
    rows = [[names.setdefault(r[0], len(names)), r[1]] if r else None for r in table.rows]
    dest = _line_cache_file(path)
    tmp = dest.with_name(f"{dest.name}.{os.getpid()}.tmp")
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"path": path, "key": key, "names": list(names),
                                   "starts": table.starts, "rows": rows}))
        os.replace(tmp, dest)
    except OSError as err:
        log.debug("line table of %s not kept: %s", path, err)
        tmp.unlink(missing_ok=True)


@lru_cache(maxsize=8)
def _cached_lines(path: str, size: int, mtime_ns: int) -> LineTable:
    key = [size, mtime_ns]
    table = _load_line_table(path, key)
    if table is None:
        table = _read_line_table(path)
        if len(table.starts) >= CACHED_ROWS_MIN:
            _keep_line_table(path, key, table)
    return table


def lines_of(path: PathLike) -> LineTable:
    """The DWARF line table of the ELF file ``path`` (``source_line``'s), read once until the
    file changes: in this process, and for a long table in C.CACHE_DIR for the next ones.

    Raises:
        BadImage: the file cannot be read or has no DWARF line table.
    """
    p = Path(path).resolve()
    try:
        st = p.stat()
        return _cached_lines(str(p), st.st_size, st.st_mtime_ns)
    except OSError as err:
        raise BadImage(str(path), err.strerror or "cannot open") from None


def source_line(path: PathLike, address: int, *, return_address: bool = False) -> Optional[str]:
    """``FILE:LINE`` (the source file's base name) of ``address`` in the ELF file ``path``,
    from its DWARF line table; None if no line covers it. ``return_address``: the address
    after a call (the call's own line is looked up, at ``address - 1``). Each call looks the
    file up again (a rebuilt kernel is read anew); for many addresses of one file take
    ``lines_of(path)`` once and ask its ``line()``.

    Raises:
        BadImage: the file cannot be read or has no DWARF line table.
    """
    return lines_of(path).line(address, return_address=return_address)


#: a kernel-half address written in hex in a line of text (``name_kernel_addresses``)
_KERNEL_HEX_RE = re.compile(r"(?<!-)\b0x(ffff[89a-f][0-9a-f]{11})\b")   # not a range end


def name_address(path: PathLike, address: int, *, return_address: bool = False) -> str:
    """``0xffffffff8010083f <crash_maybe+175> crash.c:41``: the address, its function and
    offset, and its source line, from the ELF file ``path`` (what it has of them; the bare
    address when it has neither). ``return_address``: named as the call before it.
    The one way fault and panic addresses are named (``invoke boot``'s evidence, ``invoke
    faults``, ``invoke pagetables``, test reports)."""
    text = f"{address:#x}"
    try:
        found = symbolizer(path).lookup(address, return_address=return_address)
    except BadImage:
        return text
    if not found and not return_address:        # data: the object (or label) below it
        found = nearest_symbol(path, address)
    if found:       # decimal offset, as gdb prints <main+26>
        text += " " + symbol_text(*found)
    try:
        where = source_line(path, address, return_address=return_address)
    except BadImage:
        where = None
    return text + (f" {where}" if where else "")


def name_kernel_addresses(text: str, kernel: PathLike) -> str:
    """``text`` with every kernel-half address (``0xffff8...`` and up, 16 hex digits) followed
    by ``<function+off> file:line`` from ``kernel`` (where it has them); the end of a range
    (``START-END``) is left as it is."""
    def repl(m: "re.Match[str]") -> str:
        return name_address(kernel, int(m.group(1), 16))
    return _KERNEL_HEX_RE.sub(repl, text)


def main(argv: Sequence[str]) -> int:
    """``python -m ringlab.machine.symbols --lines PATH ADDR [PATH ADDR ...]``: one line per
    pair, its ``FILE:LINE`` or ``-`` (``machine.lines``: a plain ``invoke boot`` asks this in a
    child process, so that it never loads pyelftools itself). ADDR is hex or decimal; a
    trailing ``r`` marks a return address. Exit status 2 for bad arguments."""
    if not argv or argv[0] != "--lines" or len(argv) % 2 != 1:
        print("usage: python -m ringlab.machine.symbols --lines PATH ADDR [PATH ADDR ...]",
              file=sys.stderr)
        return 2
    for path, addr in zip(argv[1::2], argv[2::2]):
        ret = addr.endswith("r")
        try:
            where = source_line(path, int(addr.rstrip("r"), 0), return_address=ret)
        except (BadImage, ValueError):
            where = None
        print(where or "-")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
