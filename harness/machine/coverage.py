"""Kernel line coverage from kcov PCs: which source lines of each kernel file a set of PCs
reached, out of the lines compiled with coverage instrumentation.

kcov records the return address of each call to ``__sanitizer_cov_trace_pc`` (clang's
-fsanitize-coverage=trace-pc puts one at the start of every basic block). So the
instrumented lines are those of the calls to the hook found in the kernel's code (a direct
``call rel32``: opcode 0xe8), and a PC's line is the line of its call (``address - 1``).

    >>> report = line_coverage(C.SANITIZE_KERNEL_IMAGE, pcs)
    >>> report["sysfile.c"]           # FileCoverage(hit=120, total=160)
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Set, Tuple

from elftools.elf.elffile import ELFFile

from ..core.errors import BadImage
from .symbols import PathLike, source_line, symbol_address

HOOK = "__sanitizer_cov_trace_pc"

#: The system-call, memory, file-system, process, thread and signal code: the files whose
#: line coverage the fuzzer is judged by (``core`` in format_report). Boot, devices, the
#: console, the sanitizer runtime and test hooks are outside it.
CORE_FILES = frozenset({
    "syscall.c", "syscall32.c", "sysfile.c", "sysmem.c", "syspath.c", "sysproc.c",
    "syssignal.c", "syslimit.c", "sysattr.c", "usercopy.c", "execargs.c", "exec.c",
    "file.c", "fs.c", "fsperm.c", "pipe.c", "poll.c", "vm.c", "uvm.c", "kalloc.c",
    "proc.c", "thread.c", "cred.c", "tls.c", "time.c", "timer.c", "futex.c",
    "signal.c", "sigsend.c",
})
CALL_REL32 = 0xE8              # call rel32 (SDM Vol. 2A CALL): 5 bytes


@dataclass(frozen=True)
class FileCoverage:
    """Lines of one source file: ``hit`` of ``total`` instrumented lines were reached."""

    hit: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.hit / self.total if self.total else 0.0


def hook_call_sites(kernel: PathLike) -> List[int]:
    """The return addresses of every direct call to the coverage hook in the kernel's .text
    (what kcov would record for each site). [] if the kernel has no hook.

    Raises:
        BadImage: not an ELF file.
    """
    try:
        hook = symbol_address(kernel, HOOK)
    except KeyError:
        return []
    try:
        with open(kernel, "rb") as fh:
            text = ELFFile(fh).get_section_by_name(".text")
            if text is None:
                return []
            data, base = text.data(), text["sh_addr"]
    except OSError as err:
        raise BadImage(str(kernel), err.strerror or "cannot open") from None
    sites = []
    i = data.find(bytes([CALL_REL32]))
    while 0 <= i <= len(data) - 5:
        rel = struct.unpack_from("<i", data, i + 1)[0]
        if base + i + 5 + rel == hook:
            sites.append(base + i + 5)
        i = data.find(bytes([CALL_REL32]), i + 1)
    return sites


def _lines(kernel: PathLike, addresses: Iterable[int]) -> Set[Tuple[str, int]]:
    out = set()
    for a in addresses:
        where = source_line(kernel, a, return_address=True)
        if where:
            f, _, line = where.rpartition(":")
            out.add((f, int(line)))
    return out


def line_coverage(kernel: PathLike, pcs: Iterable[int]) -> Dict[str, FileCoverage]:
    """Per kernel source file (base name): instrumented lines reached by ``pcs`` (kcov PCs of
    this kernel) and instrumented lines in all. Files with no instrumented line are left out.

    Raises:
        BadImage: the kernel cannot be read or has no DWARF line table.
    """
    total = _lines(kernel, hook_call_sites(kernel))
    hit = _lines(kernel, pcs) & total
    files: Dict[str, List[int]] = {}
    for f, _ in total:
        files.setdefault(f, [0, 0])[1] += 1
    for f, _ in hit:
        files[f][0] += 1
    return {f: FileCoverage(h, t) for f, (h, t) in sorted(files.items())}


def group_total(report: Dict[str, FileCoverage], files=CORE_FILES) -> FileCoverage:
    """The lines of ``files`` (base names; those absent from ``report`` count nothing) taken
    together."""
    rows = [c for f, c in report.items() if f in files]
    return FileCoverage(sum(c.hit for c in rows), sum(c.total for c in rows))


def format_report(report: Dict[str, FileCoverage]) -> List[str]:
    """One line per file, ``  sysfile.c   120/160  75.0%`` (core files marked ``*``), then
    the core files' total (CORE_FILES) and the total of all."""
    out = [f"  {f + ('*' if f in CORE_FILES else ''):<14} {c.hit:5d}/{c.total:<5d} {c.percent:5.1f}%"
           for f, c in report.items()]
    core = group_total(report)
    out.append(f"  {'core*':<14} {core.hit:5d}/{core.total:<5d} {core.percent:5.1f}%")
    hit = sum(c.hit for c in report.values())
    total = sum(c.total for c in report.values())
    out.append(f"  {'all':<14} {hit:5d}/{total:<5d} {FileCoverage(hit, total).percent:5.1f}%")
    return out
