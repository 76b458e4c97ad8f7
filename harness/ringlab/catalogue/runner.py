"""One boot running every row of the fault catalogue, and the check that proves each row with
four witnesses (harness.observe.witness).

``boot_catalogue(cpu)`` runs EVERY row in one boot: ``f_all`` (pid 1) forks and execs each
``/f_*`` and reaps it, printing ``f_all: prog=f_hlt pid=3 status=139``; QEMU logs every
delivery (``-d int``); optionally gdb breaks at every exception stub and reads the pushed
frame; each program's own signal handler prints what the kernel's signal frame told it
(``handler: pid=...``, userland/fault_witness.h) before the default action ends it. ``CatalogueRun.case(row)`` gathers one row's evidence; ``check_case`` asserts it.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .. import lab
from ..core import constants as C
from ..debug.frames import record_frames
from ..debug.machine import DebugMachine
from ..machine.qemu import QemuConfig
from ..machine.symbols import Symbolizer, symbolizer
from ..observe import decode, qemulog
from ..observe.events import Exit, Fault, Kill, SignalDelivery, Syscall
from ..observe.witness import (ANY, GDB, HANDLER, KERNEL, QEMU_LOG, Alignment, Evidence,
                               Expected, GdbFrame, HandlerReport, align, bits_set, expect_fault,
                               from_handler, from_kernel, from_qemu, qemu_fault_records)
from .faults import CATALOGUE, Addr, Row, programs_for, rows_for

log = logging.getLogger(__name__)

RUNNER = "f_all"
TRACE_SYSCALLS = "syscall"    # the kernel's trace= word for `syscall` events (kabi kargs)
TRACE_SIGNALS = "signal"      # ... for `signal` and `sigreturn` events: the handler witness's
                              # delivery (every catalogue boot asks for it)


_F_ALL_RE = re.compile(r"^f_all: prog=(?P<prog>\S+) pid=(?P<pid>\d+) status=(?P<status>\d+)\s*$")
_F_ALL_DONE_RE = re.compile(r"^f_all: done ran=(?P<ran>\d+) failed=(?P<failed>\d+) pid=1 alive")


@dataclass
class Case:
    """One row's evidence from a catalogue boot.

    Attributes:
        row: the catalogue row.
        pid: the pid f_all gave the program.
        status: the status f_all saw (shell convention).
        kill, exit: the kernel's event ending that pid.
        evidence: the witnesses' sightings of its fault (kernel None if there was none).
        handler: what the program's own handler reported (None: it reported nothing).
        delivery: the kernel's ``signal`` event calling that handler (a ``trace=signal``
            boot: every catalogue boot is one).
        symbols: the program's symbol table (the i386 ELF's own for a 32-bit program).
        syscalls: the kernel's ``syscall`` events of that pid (a ``trace=syscall`` boot).
    """

    row: Row
    pid: Optional[int]
    status: Optional[int]
    kill: Optional[Kill]
    exit: Optional[Exit]
    evidence: Evidence
    symbols: Symbolizer
    context: str = ""
    handler: Optional[HandlerReport] = None
    delivery: Optional[SignalDelivery] = None
    syscalls: Tuple[Syscall, ...] = ()

    def resolve(self, addr: Optional[Addr]) -> Expected:
        return ANY if addr is None else addr.resolve(self.symbols)


@dataclass
class CatalogueRun:
    """A boot of ``f_all`` over the catalogue's programs, with its witnesses.

    Attributes:
        cpu: the QEMU CPU model.
        run: the lab Run (events, console, verdict).
        qlog: QEMU's parsed -d int log.
        frames: gdb's frames at every exception stub, or None if gdb was not attached.
        statuses: program -> (pid, status) from f_all's lines.
        kernel_faults: the kernel's fault events, in order.
        qemu_alignment / gdb_alignment: the other witnesses matched to kernel_faults.
    """

    cpu: str
    run: lab.Run
    qlog: qemulog.QemuLog
    frames: Optional[List[GdbFrame]]
    statuses: Dict[str, Tuple[int, int]]
    kernel_faults: List[Fault]
    qemu_alignment: Alignment
    gdb_alignment: Optional[Alignment]
    done_line: Optional[str] = None
    handlers: Dict[int, HandlerReport] = None

    @property
    def witnesses(self) -> Tuple[str, ...]:
        return (KERNEL, QEMU_LOG) + ((GDB,) if self.frames is not None else ()) + (HANDLER,)

    def case(self, row: Row) -> Case:
        """The evidence for ``row`` (which must run on this boot's CPU)."""
        if not row.runs_on(self.cpu):
            raise ValueError(f"row {row.id} does not run on -cpu {self.cpu}")
        syms = symbolizer(C.USER_IMAGES_DIR / row.program)
        pid, status = self.statuses.get(row.program, (None, None))
        kill = next(iter(self.run.of(Kill, pid=pid)), None)
        exit_ = next(iter(self.run.of(Exit, pid=pid)), None)
        idx = next((i for i, f in enumerate(self.kernel_faults) if f.pid == pid), None)
        kernel = qemu = gdb = None
        if idx is not None:
            kernel = from_kernel(self.kernel_faults[idx])
            qemu = self.qemu_alignment.matched[idx]
            if self.gdb_alignment is not None:
                gdb = self.gdb_alignment.matched[idx]
        notes = []
        if row.tcg_deviation:
            notes.append("TCG deviation: " + row.tcg_deviation)
        if row.kernel_issue:
            notes.append("kernel issue: " + row.kernel_issue)
        handler = (self.handlers or {}).get(pid)
        delivery = next(iter(self.run.of(SignalDelivery, pid=pid)), None)
        ev = Evidence(kernel, qemu, gdb, handler.sighting if handler else None,
                      collected=self.witnesses,
                      label=f"{row.id} ({row.program}, -cpu {self.cpu})", notes=notes)
        calls = tuple(self.run.of(Syscall, pid=pid))
        return Case(row, pid, status, kill, exit_, ev, syms,
                    context=self.run.report(console_lines=12), handler=handler,
                    delivery=delivery, syscalls=calls)


def _statuses(user_lines: Sequence[str]) -> Tuple[Dict[str, Tuple[int, int]], Optional[str]]:
    found: Dict[str, Tuple[int, int]] = {}
    done = None
    for line in user_lines:
        m = _F_ALL_RE.match(line)
        if m:
            found[m.group("prog")] = (int(m.group("pid")), int(m.group("status")))
        elif _F_ALL_DONE_RE.match(line):
            done = line
    return found, done


def catalogue_config(cpu: str, programs: Optional[Sequence[str]] = None,
                     append: str = "") -> QemuConfig:
    """The machine for a catalogue boot: f_all as init, the programs as files, -d int; with
    the kernel argument ``trace=signal`` (the kernel's ``signal`` event for each handler it
    calls: ``_handler_problems``), and ``trace=syscall,signal`` when a row among them claims a
    ``syscall`` event."""
    programs = programs_for(cpu) if programs is None else programs
    if any(r.syscall is not None and r.program in programs for r in CATALOGUE):
        append = lab.with_trace(append, TRACE_SYSCALLS)
    append = lab.with_trace(append, TRACE_SIGNALS)
    return QemuConfig(init=lab.program(RUNNER), files=[lab.program(p) for p in programs],
                      cpu=cpu, int_log=True, append=append)


def boot_catalogue(cpu: str = C.DEFAULT_CPU, *, gdb: bool = False,
                   programs: Optional[Sequence[str]] = None,
                   timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S) -> CatalogueRun:
    """Run every catalogue program for ``cpu`` in one boot and collect the witnesses.

    Args:
        cpu: QEMU CPU model.
        gdb: also attach gdb and read the CPU-pushed frame at every exception stub.
        programs: a subset of programs (default: every row's program for ``cpu``).
        timeout_s: bound for the whole run.
    """
    cfg = catalogue_config(cpu, programs)
    frames = None
    if gdb:
        with DebugMachine(cfg, extension=False) as dm:
            frames = record_frames(dm.gdb, range(decode.FIRST_USER_VECTOR),
                                   timeout_s=timeout_s)
            run = dm.finish(timeout_s)
    else:
        run = lab.run(cfg, timeout_s=timeout_s)
    return collect(cpu, run, frames)


def collect(cpu: str, run: lab.Run, frames: Optional[List[GdbFrame]] = None) -> CatalogueRun:
    """Align the witnesses of a finished catalogue run."""
    qlog = qemulog.parse(run.log)
    faults = run.of(Fault)
    ksight = [from_kernel(f) for f in faults]
    qalign = align(ksight, [from_qemu(r) for r in qemu_fault_records(qlog.interrupts)])
    galign = align(ksight, [f.sighting() for f in frames]) if frames is not None else None
    statuses, done = _statuses(run.user_lines)
    handlers = {h.pid: h for h in map(from_handler, run.user_lines) if h is not None}
    return CatalogueRun(cpu, run, qlog, frames, statuses, faults, qalign, galign, done, handlers)


def _handler_problems(case: Case) -> List[str]:
    """The handler witness beyond the frame fields: it got the row's signal, and the kernel's
    ``signal`` event that called it names the same signal, si_code and si_addr."""
    h, d, row = case.handler, case.delivery, case.row
    if h is None:
        return []                   # expect_fault already says the handler saw nothing
    problems = []
    if row.signal is not None and h.signo != row.signal:
        problems.append(f"handler: signo {h.signo}, expected {int(row.signal)} ({row.signal.name})")
    if d is None:
        problems.append(f"no kernel `signal pid={case.pid}` event for the handler's call "
                        f"(was the boot run with trace={TRACE_SIGNALS}?)")
    elif (d.signal, d.code, d.addr) != (h.signo, h.code, h.addr):
        problems.append(f"kernel delivered signal={d.signal} code={d.code} addr={d.addr:#x}, "
                        f"the handler saw signo={h.signo} code={h.code} addr={h.addr:#x}")
    return problems


def _syscall_problems(case: Case) -> List[str]:
    """The row's ``syscall`` claim against the kernel's events of its pid: one with the
    claimed number, table (``abi``), name and return value."""
    claim = case.row.syscall
    if claim is None:
        return []
    same_nr = [e for e in case.syscalls if e.nr == claim.nr]
    if any((e.abi, e.name, e.ret) == (claim.abi, claim.name, claim.ret) for e in same_nr):
        return []
    want = (f"`syscall pid={case.pid} nr={claim.nr} name={claim.name}"
            + (f" abi={claim.abi}" if claim.abi else "") + f" ... ret={claim.ret}`")
    got = "; ".join(e.line for e in same_nr) or (
        f"no syscall event with nr={claim.nr} ({len(case.syscalls)} of that pid; was the "
        f"boot run with trace={TRACE_SYSCALLS}?)")
    return [f"expected the kernel's {want}, got {got}"]


def check_case(case: Case) -> None:
    """Assert everything the row claims: the fault seen alike by every witness, the signal,
    the status f_all saw.

    Raises:
        AssertionError: with the witnesses side by side and the console tail.
    """
    row, ev = case.row, case.evidence
    problems = []
    if case.pid is None:
        raise AssertionError(f"{row.id}: f_all never reported {row.program}\n{case.context}")
    if row.vector is None:
        if ev.kernel is not None:
            problems.append(f"the kernel reported a fault: {ev.kernel.source}")
        if case.exit is None or case.exit.status != row.status:
            problems.append(f"expected `exit pid={case.pid} status={row.status}`, got "
                            f"{(case.exit or case.kill).line if (case.exit or case.kill) else 'none'}")
    else:
        if ev.kernel is None:
            raise AssertionError(f"{row.id}: the kernel reported no fault for pid {case.pid} "
                                 f"(status {case.status})\n{case.context}")
        rflags: Expected = (bits_set(row.rflags_set, "the flags the program set")
                            if row.rflags_set else ANY)
        try:
            expect_fault(ev, vector=row.vector, cpl=3, error=row.error, rip=case.resolve(row.rip),
                         cs=row.selector(), handler_error=row.handler_error,
                         cr2=case.resolve(row.cr2) if row.cr2 is not None else ANY,
                         rsp=case.resolve(row.rsp), rflags=rflags,
                         log_rip=case.resolve(row.log_rip) if row.log_rip else None)
        except AssertionError as err:
            problems.append(str(err))
        problems += _handler_problems(case)
        if row.signal is not None and (case.kill is None or case.kill.signal != row.signal):
            problems.append(f"expected `kill pid={case.pid} signal={int(row.signal)}` "
                            f"({row.signal.name}), got "
                            f"{case.kill.line if case.kill else 'no kill event'}")
    problems += _syscall_problems(case)
    if case.status != row.status:
        problems.append(f"f_all saw status {case.status}, expected {row.status}"
                        + (f" (Linux on hardware: {row.linux_status})" if row.linux_status else ""))
    if problems:
        raise AssertionError(f"{row.id}: {row.describe()}\n" + "\n".join(problems)
                             + "\n\n" + case.context)


def _named(table: Symbolizer, address: int) -> str:
    """``main+14 f_hlt.c:12``: the function and decimal offset (as gdb and the reports name
    it), and the source line where the program has one."""
    found = table.lookup(address)
    name = (f"{found[0]}+{found[1]}" if found[1] else found[0]) if found else f"{address:#x}"
    line = table.source_line(address)
    return name + (f" {line[0]}:{line[1]}" if line else "")


def summarize(cr: CatalogueRun, *, verbose: bool = False) -> Tuple[List[str], int]:
    """Each row of a catalogue boot as one line (``invoke faults``), and how many failed.

    A row with a known ``kernel_issue`` that fails is ``KNOWN``; one that passes says so,
    since the row's marker should then go. ``verbose`` adds every failing row's side-by-side
    table.
    """
    lines = [f"-cpu {cr.cpu}: {cr.run.outcome.value} ({cr.run.verdict.detail}), "
             f"witnesses: {', '.join(cr.witnesses)}, {cr.run.duration_s:.2f} s"]
    failed = 0
    details = []
    for row in rows_for(cr.cpu):
        case = cr.case(row)
        try:
            check_case(case)
            mark = "ok" if not row.kernel_issue else "FIXED (drop kernel_issue)"
            err = None
        except AssertionError as e:
            err = str(e)
            mark = "KNOWN" if row.kernel_issue else "FAIL"
            failed += 0 if row.kernel_issue else 1
        k = case.evidence.kernel
        seen = "no fault" if k is None else (
            f"{decode.mnemonic(k.vector)}"
            + ("" if k.error is None else f"({k.error:#x})")
            + f" at {_named(case.symbols, k.rip)}"
            + ("" if k.cr2 is None else f" cr2={k.cr2:#x}"))
        if k is None and row.syscall is not None:
            call = next((e for e in case.syscalls if e.nr == row.syscall.nr), None)
            seen = (f"int $0x80 at {_named(case.symbols, case.symbols.address('fault_insn'))}"
                    if "fault_insn" in case.symbols else "no fault")
            if call is not None:
                seen += f" -> {call.abi or 'x86-64'}:{call.nr} {call.name} ret={call.ret}"
        if row.compat:
            seen += f" cs={row.selector():#x} (user32)"
        lines.append(f"  {mark:5} {row.id:14} {seen:42} status={case.status}")
        if row.tcg_deviation:
            lines.append(f"        {'':14} TCG: {row.tcg_deviation}")
        if row.kernel_issue:
            lines.append(f"        {'':14} kernel: {row.kernel_issue}")
        if err and (verbose or not row.kernel_issue):
            details.append(err.split("\n\n" + case.context)[0])
    return lines + details, failed


