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
    k.karg_grammar("crash").refusal("nul")   # "unknown-value" (what the kernel would say)
"""
from __future__ import annotations

import json
import os
import re
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
        kargs: the kernel argument keys the kernel accepts, each with its grammar
            (key -> ``"enum a|b"``, ``"set a|b"``, ``"int MIN..MAX"``, ``"list N"``,
            ``"text"``: kernel/include/kargs.h; ``KargGrammar`` reads it).
        ioports: device name -> (first, last) port, inclusive: the only ports ioperm/iopl
            give ring 3 (kernel/include/ioperm.h); every other port is refused with EPERM.
        syscalls32: i386 system-call number -> name: the calls ``int $0x80`` (and
            ``syscall``/``sysenter`` from compatibility mode) implement, every
            ``SYS32_name`` (kernel/include/sysnr32.h); any other number is -ENOSYS.
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
    syscalls32: Mapping[int, str] = field(default_factory=lambda: MappingProxyType({}))

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

    def karg_grammar(self, key: str) -> "KargGrammar":
        """The grammar of kernel argument ``key``. Raises KabiError for a key the kernel
        does not accept."""
        return KargGrammar.parse(self._get(self.kargs, key, "kernel argument"))

    def syscall_name(self, nr: int) -> Optional[str]:
        """The name of system call ``nr``, None if the kernel knows no such number."""
        return self.syscalls.get(nr)

    def syscall32_name(self, nr: int) -> Optional[str]:
        """The name of i386 system call ``nr`` (``int $0x80``), None if not implemented."""
        return self.syscalls32.get(nr)

    def user_ports(self) -> Tuple[Tuple[int, int], ...]:
        """The ``ioports`` ranges as sorted (first, last) pairs, inclusive."""
        return tuple(sorted(self.ioports.values()))


_INT_RE = re.compile(r"-?[0-9]+\Z")


@dataclass(frozen=True)
class KargGrammar:
    """What one kernel argument's value may be (the grammar kernel/include/kargs.h states and
    kernel/kargs.c checks at boot): ``refusal(value)`` gives the reason the kernel would
    refuse ``value`` with, in the kernel's words, or None.

    Attributes:
        kind: ``enum`` (one word), ``set`` (a comma list of words), ``int`` (a decimal in
            [low, high]), ``list`` (free text, at most ``high`` comma-separated items; a final
            comma ends the list) or ``text``.
        words: the words of ``enum`` and ``set``.
        low, high: the range of ``int``; ``high`` is the item limit of ``list``.
    """

    kind: str
    words: Tuple[str, ...] = ()
    low: int = 0
    high: int = 0

    @classmethod
    def parse(cls, text: str) -> "KargGrammar":
        """``"enum null|stack"`` -> KargGrammar("enum", ("null", "stack")).

        Raises:
            KabiError: a grammar this harness does not know (a newer kernel: rebuild both).
        """
        kind, _, arg = text.partition(" ")
        try:
            if kind in ("enum", "set") and arg:
                return cls(kind, tuple(arg.split("|")))
            if kind == "int":
                low, high = arg.split("..")
                return cls(kind, (), int(low), int(high))
            if kind == "list":
                return cls(kind, (), 0, int(arg))
            if kind == "text" and not arg:
                return cls(kind)
        except ValueError:
            pass
        raise KabiError(f"kernel argument grammar {text!r}: not one this harness reads "
                        "(kernel/include/kargs.h)")

    def refusal(self, value: str) -> Optional[str]:
        """The kernel's reason for refusing ``value`` (``unknown-value``, ``not-a-number``,
        ``out-of-range``, ``too-many``), or None if it takes it. Length is the caller's
        (one limit for every key, ``KARGS_VALUE_MAX``)."""
        if self.kind == "enum":
            return None if value in self.words else "unknown-value"
        if self.kind == "set":
            return None if all(v in self.words for v in value.split(",")) else "unknown-value"
        if self.kind == "int":
            if not _INT_RE.match(value) or abs(int(value)) >= 1 << 63:
                return "not-a-number"       # the kernel reads an int64_t, -2**63 excepted
            n = int(value)
            return None if self.low <= n <= self.high else "out-of-range"
        if self.kind == "list":
            items = value.count(",") + (1 if value and not value.endswith(",") else 0)
            return None if items <= self.high else "too-many"
        return None

    def describe(self) -> str:
        """What the key takes, for a message: ``one of null|stack``, ``an integer in 0..9``."""
        if self.kind == "enum":
            return "one of " + "|".join(self.words)
        if self.kind == "set":
            return "a comma list of " + "|".join(self.words)
        if self.kind == "int":
            return f"an integer in {self.low}..{self.high}"
        if self.kind == "list":
            return f"a comma list of at most {self.high} items"
        return "any text"


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
                    ro({name: (int(r[0]), int(r[1])) for name, r in raw.get("ioports", {}).items()}),
                    ro({int(nr): name for nr, name in raw.get("syscalls32", {}).items()}))
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
