"""Live page-table audit: stop a machine under gdb and walk its page tables from physical memory.

The thin adapter around ``ringlab.observe.pagetables`` (the pure walker and invariants):

- physical reads: QEMU's gdbstub answers ``maintenance packet Qqemu.PhyMemMode:1`` by
  switching memory reads to guest PHYSICAL addresses, so the walk follows CR3 and the
  entries themselves, never the kernel's own direct map;
- the address spaces: the current CR3, the kernel's own PML4 (symbol ``kpml4``) and the PML4
  of every process in the kernel's table (``procs[]``; addresses, ``struct proc`` offsets and
  ``P_UNUSED`` from the kernel's ABI file, images/kabi.json; each ``pml4`` pointer is
  translated to a physical address through the walked tables);
- the invariants: ``pagetables.check`` for each space, ``pagetables.kernel_half_differences``
  across them, and the kernel ELF's executable segments as "text" (pyelftools).

``audit(gdb, layout, point)`` audits a machine stopped now; ``audit_points(config, labels)``
boots one, breaks at each label (temporary breakpoints, any order) and audits at each stop.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

from ..core import constants as C
from ..core import kabi
from ..core.errors import RinglabError, TargetExited
from ..machine.qemu import QemuConfig
from ..observe import pagetables as pt
from .machine import DebugMachine
from .mi import GdbSession

log = logging.getLogger(__name__)

PathLike = Union[str, Path]

PHYS_MODE_ON = "maintenance packet Qqemu.PhyMemMode:1"    # QEMU gdbstub: physical reads
PHYS_MODE_OFF = "maintenance packet Qqemu.PhyMemMode:0"   # back to virtual (current CR3)
PROC_STATE_ENUM = "procstate"  # kernel/include/proc.h: enum procstate (names from DWARF)
DEFAULT_POINT_TIMEOUT_S = 30.0
DEFAULT_PROGRAM = "gdb_ptpoints"  # userland/gdb_ptpoints.c: one label per audited moment
DEFAULT_POINTS = ("pt_boot", "pt_fork_parent", "pt_fork_child", "pt_exec", "pt_mmap",
                  "pt_mprotect", "pt_munmap")
SIGNAL_POINT = "pt_signal"    # `gdb_ptpoints signal`: inside a SIGUSR1 handler (signal delivery)


class AuditError(RinglabError):
    """The audit could not read the machine (physical mode refused, a table unreadable)."""


@dataclass(frozen=True)
class KernelLayout:
    """From the kernel ELF: ``text`` = executable PT_LOAD segments (virtual ranges),
    ``image_phys`` = every PT_LOAD segment's physical range."""
    text: Tuple[Tuple[int, int], ...]
    image_phys: Tuple[Tuple[int, int], ...]


def kernel_layout(path: PathLike = C.KERNEL_IMAGE) -> KernelLayout:
    """The text and physical image ranges of a kernel ELF (program headers, pyelftools)."""
    with open(path, "rb") as fh:
        segs = [s for s in ELFFile(fh).iter_segments() if s["p_type"] == "PT_LOAD"]
        text = tuple((s["p_vaddr"], s["p_vaddr"] + s["p_memsz"]) for s in segs
                     if s["p_flags"] & P_FLAGS.PF_X)
        image = tuple((s["p_paddr"], s["p_paddr"] + s["p_memsz"]) for s in segs)
    return KernelLayout(text, image)


@dataclass
class Space:
    """One audited address space: where its PML4 is, its leaves and its violations."""
    name: str
    cr3: int
    leaves: List[pt.Leaf]
    violations: List[pt.Violation]
    pid: Optional[int] = None
    _ranges: Optional[Tuple[List[pt.Leaf], List[pt.Range]]] = field(default=None, repr=False,
                                                                     compare=False)

    @property
    def ranges(self) -> List[pt.Range]:
        """``pt.merge(leaves)``, merged once (until ``leaves`` is another list)."""
        if self._ranges is None or self._ranges[0] is not self.leaves:
            self._ranges = (self.leaves, pt.merge(self.leaves))
        return self._ranges[1]


@dataclass
class Audit:
    """What one stop showed: the current space first, then the kernel's and each process's.

    Attributes:
        point: where the machine was stopped (a label, or ``rip=0x...``).
        cr3: CR3 at the stop.
        pid: the process whose PML4 CR3 holds, if any.
        spaces: every address space audited.
        violations: all of them, each prefixed by its space; plus kernel-half differences
            and register rules (CR0.WP, EFER.NXE).
        seconds: wall time the audit took.
    """
    point: str
    cr3: int
    pid: Optional[int]
    spaces: List[Space]
    violations: List[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def current(self) -> Space:
        return self.spaces[0]

    def report(self, *, show_map: bool = True) -> str:
        """The compact map of the current space (``info mem`` style) and every violation."""
        head = (f"== {self.point}: pid={self.pid if self.pid is not None else '-'} "
                f"cr3={self.cr3:#x}, {len(self.spaces)} address spaces, "
                f"{len(self.violations)} violations ({self.seconds:.2f} s)")
        lines = [head]
        if show_map:
            lines += ["   " + str(r) for r in self.current.ranges]
        lines += ["   VIOLATION " + v for v in self.violations]
        return "\n".join(lines)


class PhysicalMemory:
    """Guest physical reads through gdb while the machine is stopped (a context manager).

    Each 4 KiB table is read once per audit (the machine does not run meanwhile).

    Raises:
        AuditError: the stub refused physical mode (not QEMU, or too old).
    """

    def __init__(self, gdb: GdbSession) -> None:
        self.gdb = gdb
        self.cache: Dict[Tuple[int, int], bytes] = {}

    def __enter__(self) -> "PhysicalMemory":
        reply = self.gdb.console(PHYS_MODE_ON)
        if '"OK"' not in reply:
            raise AuditError(f"the gdbstub refused physical memory mode: {reply.strip()!r}")
        return self

    def __exit__(self, *exc) -> None:
        self.gdb.console(PHYS_MODE_OFF)

    def read(self, addr: int, size: int) -> bytes:
        key = (addr, size)
        if key not in self.cache:
            self.cache[key] = self.gdb.read_memory(addr, size)
        return self.cache[key]


def translate(leaves: Sequence[pt.Leaf], va: int) -> Optional[int]:
    """The physical address ``va`` maps to in ``leaves`` (sorted by address, as ``pt.walk``
    gives them: a binary search), or None."""
    lo, hi = 0, len(leaves)
    while lo < hi:                      # the first leaf starting above va
        mid = (lo + hi) // 2
        if leaves[mid].va <= va:
            lo = mid + 1
        else:
            hi = mid
    if lo and leaves[lo - 1].va <= va < leaves[lo - 1].end:
        return leaves[lo - 1].pa + (va - leaves[lo - 1].va)
    return None


def process_table(gdb: GdbSession, k: kabi.Kabi) -> List[Tuple[int, str, int]]:
    """``(pid, state name, pml4 kernel address)`` of every used slot of the kernel's ``procs``
    (layout from the ABI file; state names from the kernel's DWARF, through gdb)."""
    size, count = k.size("proc"), k.const("NPROC")
    off = {f: k.offset("proc", f) for f in ("pid", "state", "pml4")}
    unused = k.const("P_UNUSED")
    names: Dict[int, str] = {}
    data = gdb.read_memory(k.address("procs"), size * count)
    out = []
    for i in range(count):
        rec = data[i * size:(i + 1) * size]
        state = int.from_bytes(rec[off["state"]:off["state"] + 4], "little")
        if state == unused:
            continue
        if state not in names:
            value = gdb.mi(f'-data-evaluate-expression "(enum {PROC_STATE_ENUM}){state}"')
            names[state] = str(value.payload["value"]).removeprefix("P_").lower()
        pid = int.from_bytes(rec[off["pid"]:off["pid"] + 4], "little", signed=True)
        out.append((pid, names[state], int.from_bytes(rec[off["pml4"]:off["pml4"] + 8], "little")))
    return out


def audit(gdb: GdbSession, layout: KernelLayout, point: str = "",
          k: Optional[kabi.Kabi] = None) -> Audit:
    """Audit the stopped machine: every address space the kernel knows, from physical memory.

    Args:
        k: the kernel's ABI facts (default: images/kabi.json).

    Raises:
        AuditError: physical mode refused, a table unreadable, or the ABI file is not the
            booted kernel's.
        KabiError: a fact missing from the ABI file.
    """
    t0 = time.monotonic()
    k = k or kabi.load()
    kpml4_va = k.address("kpml4")
    if gdb.address_of("kpml4") != kpml4_va:
        raise AuditError(f"{k.path} is not the ABI file of the kernel gdb loaded "
                         f"(kpml4 at {kpml4_va:#x} there)")
    regs = gdb.registers(["cr3", "cr0", "efer", "rip"])
    procs = process_table(gdb, k)
    nxe = bool(regs["efer"] & pt.EFER_NXE)
    try:
        with PhysicalMemory(gdb) as mem:
            shared: Dict[tuple, tuple] = {}     # the kernel half, walked once for all spaces
            current = pt.walk(mem.read, regs["cr3"], nxe=nxe, shared=shared)
            kpml4_pa = translate(current, kpml4_va)
            if kpml4_pa is None:
                raise AuditError(f"kpml4 ({kpml4_va:#x}) is not mapped in cr3 "
                                 f"{regs['cr3']:#x}")
            cr3s: List[Tuple[str, int, Optional[int]]] = [("kernel", kpml4_pa, None)]
            for pid, state, pml4_va in procs:
                if not pml4_va:
                    continue            # a zombie: its address space is freed already
                pa = translate(current, pml4_va)
                if pa is None:
                    raise AuditError(f"pid {pid}'s PML4 {pml4_va:#x} is not mapped")
                cr3s.append((f"pid {pid} ({state})", pa, pid))
            now = regs["cr3"] & pt.CR3_ADDR_MASK
            if now not in {pa for _, pa, _ in cr3s}:
                cr3s.append(("cr3 of no process", now, None))
            cr3s.sort(key=lambda c: c[1] != now)        # the current space first
            spaces = [Space(name, pa, current if pa == now else
                            pt.walk(mem.read, pa, nxe=nxe, shared=shared), [], pid)
                      for name, pa, pid in cr3s]
            pml4s = {s.name: pt.read_table(mem.read, s.cr3) for s in spaces}
    except pt.PageTableError as err:
        raise AuditError(str(err)) from err
    found: List[str] = [str(v) for v in pt.check([], text=layout.text, cr0=regs["cr0"],
                                                  efer=regs["efer"])]
    checked: List[tuple] = []     # the shared kernel half, checked once for all spaces
    for s in spaces:
        s.violations = pt.check(s.leaves, text=layout.text, image_phys=layout.image_phys,
                                user_limit=k.const("USER_LIMIT"), shared=checked)
        found += [f"[{s.name}] {v}" for v in s.violations]
    found += [str(v) for v in pt.kernel_half_differences(pml4s, "kernel")]
    return Audit(point or f"rip={regs['rip']:#x}", regs["cr3"], spaces[0].pid, spaces, found,
                 time.monotonic() - t0)


def audit_points(config: QemuConfig, labels: Sequence[str], *, symbols: Sequence[PathLike] = (),
                 timeout_s: float = DEFAULT_POINT_TIMEOUT_S, stream=None):
    """Boot ``config`` under gdb, audit at each of ``labels`` (symbols of the kernel, init or
    ``symbols``; one temporary breakpoint each, hit in any order, so a label is audited
    once), then let the machine run to its end.

    Returns:
        ``(audits, run)``: one Audit per label hit, in the order hit, and the lab Run.

    Raises:
        BreakpointNotHit: a bounded wait (``timeout_s`` per stop) ended without a stop.
        AuditError: see ``audit``.
    """
    audits: List[Audit] = []
    with DebugMachine(config, symbols=symbols, extension=False, stream=stream) as dm:
        layout = kernel_layout(dm.config.kernel)
        by_addr = {dm.gdb.break_at(label, temporary=True).address: label for label in labels}
        done = set()
        while by_addr:
            try:
                stop = dm.gdb.cont(timeout_s=timeout_s, what=f"one of {sorted(by_addr.values())}")
            except TargetExited:
                break
            label = by_addr.pop(stop.rip, None)
            if label is None and stop.rip in done:
                # gdb re-reported the stop it just made (seen under load; debug/trace.py
                # skips the same phantom): the breakpoint is gone, nothing ran
                log.info("phantom repeat stop at %#x skipped", stop.rip)
                continue
            if label is None:
                raise AuditError(f"stopped at {stop.rip:#x} ({stop.reason}), not at a point")
            done.add(stop.rip)
            audits.append(audit(dm.gdb, layout, label))
        run = dm.finish(timeout_s=timeout_s)
    return audits, run

