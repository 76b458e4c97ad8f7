"""The kernel's ABI as its build states it: images/kabi.json, the only place the harness
learns kernel facts from (constants, struct offsets, system-call names, the symbols it
breaks on, gdb expressions for state no header declares).

kernel/kabi.c is compiled with the kernel's own flags and headers and kernel/kabi.py writes
the file, checking every symbol against images/kernel.elf; tests/test_kabi.py checks the
file against the headers and the gdb expressions against kernel.elf. So a kernel rename the
harness depends on fails the build or that test, never a run::

    k = kabi.load()
    k.const("PAGE_SIZE")            # 4096
    k.offset("trapframe", "rip")    # 136
    k.syscall_name(1)               # "write"
    k.symbol("syscall_entry")       # "syscall_entry" (its address: k.address(...))
    k.gdb("current_pid")            # the expression gdb evaluates for the running pid
    k.ioports["com1"]               # (0x3f8, 0x3ff): ports ring 3 may be given, by device
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Dict, Mapping, Optional, Tuple, Union

from . import constants as C
from .errors import BadImage, KabiError

FORMAT = 1
PathLike = Union[str, os.PathLike]


@dataclass(frozen=True)
class Kabi:
    """One kabi.json, read.

    Attributes:
        path: the file.
        constants: ``#define`` name -> value.
        offsets: ``"struct.field"`` -> byte offset.
        sizes: struct name -> ``sizeof`` in bytes.
        syscalls: system-call number -> name (every ``SYS_name`` the kernel compiles with).
        symbols: symbol name -> address in kernel.elf.
        gdb_expressions: name -> a C expression gdb evaluates over kernel.elf's symbols.
        kargs: the kernel argument keys the kernel accepts (key -> "").
        ioports: device name -> (first, last) port, inclusive: the only ports ioperm/iopl
            give ring 3 (kernel/include/ioperm.h); every other port is refused with EPERM.
    """

    path: Path
    constants: Mapping[str, int]
    offsets: Mapping[str, int]
    sizes: Mapping[str, int]
    syscalls: Mapping[int, str]
    symbols: Mapping[str, int]
    gdb_expressions: Mapping[str, str]
    kargs: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    ioports: Mapping[str, Tuple[int, int]] = field(default_factory=lambda: MappingProxyType({}))

    def _get(self, table: Mapping, key, what: str):
        try:
            return table[key]
        except KeyError:
            raise KabiError(f"{self.path}: no {what} {key!r} (the harness needs it: add it to "
                            "kernel/kabi.c, then invoke build)") from None

    def const(self, name: str) -> int:
        """A kernel constant. Raises KabiError if kabi.c does not export it."""
        return self._get(self.constants, name, "constant")

    def offset(self, struct: str, field: str) -> int:
        """``offsetof(struct STRUCT, FIELD)`` in bytes. Raises KabiError."""
        return self._get(self.offsets, f"{struct}.{field}", "struct offset")

    def size(self, struct: str) -> int:
        """``sizeof(struct STRUCT)`` in bytes. Raises KabiError."""
        return self._get(self.sizes, struct, "struct size")

    def symbol(self, name: str) -> str:
        """``name``, after checking that the kernel build vouched for it. Raises KabiError."""
        self._get(self.symbols, name, "symbol")
        return name

    def address(self, name: str) -> int:
        """The address of symbol ``name`` in kernel.elf. Raises KabiError."""
        return self._get(self.symbols, name, "symbol")

    def gdb(self, name: str) -> str:
        """The gdb expression named ``name`` (e.g. ``current_pid``). Raises KabiError."""
        return self._get(self.gdb_expressions, name, "gdb expression")

    def syscall_name(self, nr: int) -> Optional[str]:
        """The name of system call ``nr``, None if the kernel knows no such number."""
        return self.syscalls.get(nr)

    def user_ports(self) -> Tuple[Tuple[int, int], ...]:
        """The ``ioports`` ranges as sorted (first, last) pairs, inclusive."""
        return tuple(sorted(self.ioports.values()))


def parse(text: str, path: PathLike = "kabi.json") -> Kabi:
    """A Kabi from the file's text.

    Raises:
        KabiError: not JSON, another format, or a table missing.
    """
    try:
        raw = json.loads(text)
        if raw.get("format") != FORMAT:
            raise KabiError(f"{path}: format {raw.get('format')!r}, this harness reads "
                            f"{FORMAT} (rebuild: invoke build)")
        ro = MappingProxyType
        return Kabi(Path(path), ro(dict(raw["constants"])), ro(dict(raw["offsets"])),
                    ro(dict(raw["sizes"])),
                    ro({int(nr): name for nr, name in raw["syscalls"].items()}),
                    ro(dict(raw["symbols"])), ro(dict(raw["gdb"])),
                    ro(dict(raw.get("kargs", {}))),
                    ro({name: (int(r[0]), int(r[1])) for name, r in raw.get("ioports", {}).items()}))
    except (ValueError, KeyError, AttributeError, TypeError) as err:
        raise KabiError(f"{path}: not a kernel ABI file ({err!r}); rebuild: invoke build") \
            from None


_cache: Dict[Path, Tuple[Tuple[int, int], Kabi]] = {}


def load(path: PathLike = C.KABI_FILE) -> Kabi:
    """Read ``path`` (default images/kabi.json); cached until the file changes.

    Raises:
        BadImage: no such file (``invoke build`` writes it; the CLI adds that hint).
        KabiError: unreadable or of another format.
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise BadImage(str(p), "no such file") from None
    stamp = (st.st_mtime_ns, st.st_size)
    hit = _cache.get(p)
    if hit is not None and hit[0] == stamp:
        return hit[1]
    k = parse(p.read_text(), p)
    _cache[p] = (stamp, k)
    return k
