"""Kernel line coverage from kcov PCs: which source lines of each kernel file a set of PCs
reached, out of the lines compiled with coverage instrumentation.

kcov records the return address of each call to ``__sanitizer_cov_trace_pc`` (clang's
-fsanitize-coverage=trace-pc puts one at the start of every basic block). So the
instrumented lines are those of the calls to the hook found in the kernel's code (a direct
``call rel32``: opcode 0xe8), and a PC's line is the line of its call (``address - 1``).

    >>> report = line_coverage(C.SANITIZE_KERNEL_IMAGE, pcs)
    >>> report["sysfile.c"]           # FileCoverage(hit=120, total=160)

The test suite's coverage (``invoke test --coverage``) comes from the kernel's machine-wide
record instead of kcov: each machine booting the coverage kernel with RINGLAB_COVERAGE=DIR
streams the sites it reaches into ``DIR/*.cov`` (kernel/include/cover.h, ``cover.
dump_file``); ``read_dump``/``merge_dumps`` read them and ``suite_coverage`` adds
the per-function view and the unreached lines::

    >>> pcs, machines = merge_dumps(dump_files(folder), C.SANITIZE_KERNEL_IMAGE)
    >>> cov = suite_coverage(C.SANITIZE_KERNEL_IMAGE, pcs, machines=machines)
    >>> print("\n".join(format_suite_report(cov)))
"""
from __future__ import annotations

import html
import struct
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Set, Tuple

from elftools.elf.elffile import ELFFile

from ..core import constants as C
from ..core.errors import BadCoverDump, BadImage
from .cover import build_id, record_build_id
from .symbols import PathLike, lines_of, symbol_address, symbolizer

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

# The machine-wide record's stream (kernel/include/cover.h): magic, the kernel's __text_start,
# then one u32 per site reached (its return address - __text_start), little-endian.
DUMP_MAGIC = b"RLCOVER1"
DUMP_HEADER = struct.Struct("<8sQ")
DUMP_RECORD = struct.Struct("<I")
TEXT_START = "__text_start"    # linker.ld: the address the records count from


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
    (what kcov would record for each site). [] if the kernel has no hook. Scanned once until
    the file changes.

    Raises:
        BadImage: not an ELF file.
    """
    p = Path(kernel).resolve()
    try:
        mtime_ns = p.stat().st_mtime_ns
    except OSError as err:
        raise BadImage(str(kernel), err.strerror or "cannot open") from None
    return list(_hook_call_sites(str(p), mtime_ns))


@lru_cache(maxsize=8)
def _hook_call_sites(kernel: str, mtime_ns: int) -> Tuple[int, ...]:
    try:
        hook = symbol_address(kernel, HOOK)
    except KeyError:
        return ()
    try:
        with open(kernel, "rb") as fh:
            text = ELFFile(fh).get_section_by_name(".text")
            if text is None:
                return ()
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
    return tuple(sites)


def _where(text: Optional[str]) -> Optional[Tuple[str, int]]:
    if not text:
        return None
    f, _, line = text.rpartition(":")
    return f, int(line)


def _lines(kernel: PathLike, addresses: Iterable[int]) -> Set[Tuple[str, int]]:
    """(file, line) of each return address's call; line 0 (DWARF: code of no source line,
    compiler-made) counts as none."""
    out = set()
    table = lines_of(kernel)
    for a in addresses:
        where = _where(table.line(a, return_address=True))
        if where and where[1]:
            out.add(where)
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


# -- the test suite's coverage: the machine-wide record -------------------------------------

@dataclass(frozen=True)
class CoverDump:
    """One machine's record: the kernel's text start it states, the return addresses of the
    sites it reached, and whether its last record was cut short (QEMU killed between the
    record's bytes: that record is dropped)."""

    path: Path
    base: int
    pcs: FrozenSet[int]
    truncated: bool = False


def read_dump(path: PathLike) -> Optional[CoverDump]:
    """The record in ``path`` (kernel/include/cover.h), or None for an empty file (QEMU
    stopped before the kernel found the device: a machine killed at once, or a kernel
    without the record).

    Raises:
        BadCoverDump: unreadable, or not a record (wrong magic, header cut short).
    """
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise BadCoverDump(f"{path}: cannot read it: {err.strerror}") from None
    if not data:
        return None
    if len(data) < DUMP_HEADER.size or data[:len(DUMP_MAGIC)] != DUMP_MAGIC:
        raise BadCoverDump(f"{path}: not a coverage record (it does not start with "
                           f"{DUMP_MAGIC.decode()} and the text address)")
    _, base = DUMP_HEADER.unpack_from(data)
    body = data[DUMP_HEADER.size:]
    whole = len(body) - len(body) % DUMP_RECORD.size
    pcs = frozenset(base + off for (off,) in DUMP_RECORD.iter_unpack(body[:whole]))
    return CoverDump(Path(path), base, pcs, truncated=whole != len(body))


def dump_files(folder: PathLike) -> List[Path]:
    """The records in ``folder`` (``*.cov``, C.COVERAGE_DUMP_SUFFIX), sorted; [] if it does
    not exist."""
    d = Path(folder)
    return sorted(d.glob(f"*{C.COVERAGE_DUMP_SUFFIX}")) if d.is_dir() else []


def merge_dumps(paths: Iterable[PathLike], kernel: PathLike) -> Tuple[Set[int], int]:
    """Every site the records in ``paths`` reached, as return addresses in ``kernel``, and
    how many records held any (empty files are skipped).

    Raises:
        BadCoverDump: a file is not a record, its name carries another build id than
            ``kernel``'s (cover.py: a kernel rebuilt since), or it states another text address
            than ``kernel``'s __text_start (a record of another kernel).
        BadImage: ``kernel`` cannot be read or has no __text_start.
    """
    try:
        base = symbol_address(kernel, TEXT_START)
    except KeyError:
        raise BadImage(str(kernel), f"no {TEXT_START} symbol (not our kernel?)") from None
    build = build_id(kernel)
    pcs: Set[int] = set()
    machines = 0
    for p in paths:
        recorded = record_build_id(p)
        if recorded is not None and recorded != build:
            raise BadCoverDump(f"{p}: recorded by another build of the kernel ({recorded}, "
                               f"{kernel} is {build}): rebuilt since? run the tests again")
        dump = read_dump(p)
        if dump is None:
            continue
        if dump.base != base:
            raise BadCoverDump(f"{p}: recorded by a kernel whose text starts at "
                               f"{dump.base:#x}, not {kernel} ({base:#x})")
        pcs |= dump.pcs
        machines += 1
    return pcs, machines


@dataclass(frozen=True)
class FunctionCoverage:
    """One kernel function: where it starts (file base name and line of its first
    instruction) and ``hit`` of its ``total`` instrumented lines reached (lines of functions
    inlined into it count as its own, where the code runs)."""

    name: str
    file: str
    line: int
    hit: int
    total: int

    @property
    def percent(self) -> float:
        return 100.0 * self.hit / self.total if self.total else 0.0


@dataclass
class SuiteCoverage:
    """Coverage of one kernel from many machines.

    Attributes:
        files: per source file, as ``line_coverage`` (the fuzzer's report counts the same way).
        functions: every function with an instrumented line, by file then line.
        unreached: per source file, the instrumented lines no machine reached, ascending.
        reached: per source file, the instrumented lines reached, ascending.
        machines: how many records were merged.
    """

    files: Dict[str, FileCoverage]
    functions: List[FunctionCoverage]
    unreached: Dict[str, List[int]] = field(default_factory=dict)
    reached: Dict[str, List[int]] = field(default_factory=dict)
    machines: int = 0


def suite_coverage(kernel: PathLike, pcs: Iterable[int], *, machines: int = 0) -> SuiteCoverage:
    """Per file, per function and per line: which of ``kernel``'s instrumented code the
    return addresses ``pcs`` reached (addresses that are no hook call site are ignored).
    Functions come from the ELF symbol table (symbols.Symbolizer), lines from DWARF.

    Raises:
        BadImage: the kernel cannot be read or has no symbol or DWARF line table.
    """
    sites = hook_call_sites(kernel)
    hit_sites = set(pcs) & set(sites)
    sym = symbolizer(kernel)
    lines_all: Set[Tuple[str, int]] = set()
    lines_hit: Set[Tuple[str, int]] = set()
    funcs: Dict[Tuple[int, str], List[Set[Tuple[str, int]]]] = {}
    table = lines_of(kernel)
    for site in sites:
        where = _where(table.line(site, return_address=True))
        if where is None or not where[1]:
            continue
        lines_all.add(where)
        fn = sym.function_at(site - 1)
        row = funcs.setdefault((fn.address, fn.name) if fn else (0, "?"), [set(), set()])
        row[0].add(where)
        if site in hit_sites:
            lines_hit.add(where)
            row[1].add(where)
    functions = []
    for (address, name), (total, hit) in funcs.items():
        start = _where(table.line(address)) if address else None
        f, line = start or min(total)
        functions.append(FunctionCoverage(name, f, line, len(hit), len(total)))
    functions.sort(key=lambda fc: (fc.file, fc.line, fc.name))
    unreached: Dict[str, List[int]] = {}
    reached: Dict[str, List[int]] = {}
    for f, line in sorted(lines_all):
        (reached if (f, line) in lines_hit else unreached).setdefault(f, []).append(line)
    return SuiteCoverage(line_coverage(kernel, hit_sites), functions, unreached, reached,
                         machines)


def line_ranges(lines: Sequence[int]) -> str:
    """``[3, 4, 5, 9]`` -> ``"3-5 9"`` (ascending line numbers)."""
    out: List[str] = []
    i = 0
    while i < len(lines):
        j = i
        while j + 1 < len(lines) and lines[j + 1] == lines[j] + 1:
            j += 1
        out.append(f"{lines[i]}-{lines[j]}" if j > i else f"{lines[i]}")
        i = j + 1
    return " ".join(out)


def least_covered(report: Dict[str, FileCoverage], n: int = 5,
                  files=CORE_FILES) -> List[Tuple[str, FileCoverage]]:
    """The ``n`` files of ``files`` in ``report`` with the lowest share of lines reached."""
    rows = [(f, c) for f, c in report.items() if f in files]
    return sorted(rows, key=lambda fc: (fc[1].percent, fc[0]))[:n]


def format_suite_summary(cov: SuiteCoverage) -> List[str]:
    """The short report (what ``invoke coverage`` prints): the per-file table
    (``format_report``), the least-covered core files and the functions no machine reached,
    per file."""
    never = [fc for fc in cov.functions if fc.hit == 0]
    out = [f"kernel coverage from {cov.machines} machines (lines reached/instrumented; "
           "* core: system-call, memory, file-system, process, thread and signal code)"]
    out += format_report(cov.files)
    worst = ", ".join(f"{f} {c.percent:.0f}%" for f, c in least_covered(cov.files))
    out.append(f"least covered core files: {worst}")
    out.append(f"functions never reached: {len(never)} of {len(cov.functions)}")
    by_file: Dict[str, List[str]] = {}
    for fc in never:
        by_file.setdefault(fc.file, []).append(fc.name)
    for f, names in sorted(by_file.items()):
        # a static inline function of a header is one copy per file that calls it
        out.append(f"  {f}: {', '.join(dict.fromkeys(names))}")
    return out


def format_suite_report(cov: SuiteCoverage) -> List[str]:
    """The whole report (report.txt): the summary, then every function's lines reached, and
    every file's unreached lines as ranges."""
    out = format_suite_summary(cov)
    out.append("")
    out.append("per function (lines reached/instrumented), by file and line:")
    for fc in cov.functions:
        out.append(f"  {fc.file + ':' + str(fc.line):<18} {fc.name:<32} "
                   f"{fc.hit:4d}/{fc.total:<4d} {fc.percent:5.1f}%")
    out.append("")
    out.append("unreached lines, by file:")
    for f, lines in sorted(cov.unreached.items()):
        out.append(f"  {f}: {line_ranges(lines)}")
    return out


HTML_STYLE = ("body{font-family:monospace} .hit{background:#cfc} .miss{background:#fcc} "
              "table{border-collapse:collapse} td{padding:0 .6em}")


def write_html(cov: SuiteCoverage, sources: Sequence[Path], out: Path) -> List[Path]:
    """An annotated copy of each kernel source file (``out/FILE.html``: reached lines green,
    unreached red, lines without a site plain) and ``out/index.html`` (the per-file table,
    each file linked). A file is looked up by base name in ``sources`` (folders, in order);
    one not found gets no page. Returns the pages written.

    Raises:
        OSError: ``out`` cannot be written.
    """
    out.mkdir(parents=True, exist_ok=True)
    pages = []
    rows = []
    for f, c in cov.files.items():
        src = next((d / f for d in sources if (d / f).is_file()), None)
        name = html.escape(f)
        cell = name
        if src is not None:
            hit, miss = set(cov.reached.get(f, ())), set(cov.unreached.get(f, ()))
            body = []
            for n, text in enumerate(src.read_text(errors="replace").splitlines(), 1):
                cls = " class=hit" if n in hit else " class=miss" if n in miss else ""
                body.append(f"<tr{cls}><td>{n}</td><td><pre style=margin:0>"
                            f"{html.escape(text)}</pre></td></tr>")
            page = out / f"{f}.html"
            page.write_text(f"<!doctype html><meta charset=utf-8><title>{name}</title>"
                            f"<style>{HTML_STYLE}</style><h1>{name} {c.hit}/{c.total} "
                            f"{c.percent:.1f}%</h1><table>{''.join(body)}</table>\n")
            pages.append(page)
            cell = f"<a href=\"{html.escape(page.name)}\">{name}</a>"
        star = "*" if f in CORE_FILES else ""
        rows.append(f"<tr><td>{cell}{star}</td><td>{c.hit}/{c.total}</td>"
                    f"<td>{c.percent:.1f}%</td></tr>")
    index = out / "index.html"
    summary = html.escape("\n".join(format_suite_summary(cov)))
    index.write_text(f"<!doctype html><meta charset=utf-8><title>kernel coverage</title>"
                     f"<style>{HTML_STYLE}</style><h1>kernel coverage</h1>"
                     f"<table>{''.join(rows)}</table><pre>{summary}</pre>\n")
    return [index] + pages
