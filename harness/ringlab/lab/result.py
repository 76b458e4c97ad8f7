"""Lab layer, the run: ``Run``, everything one boot produced (events, the programs' output,
the console, QEMU's status and logs, the verdict) and how it ended (``Run.outcome``,
``Run.status``, ``Run.check()``, ``Run.report()``).

A Run is built by ``ringlab.lab.session`` when a machine is judged; it starts nothing. Its
reports name fault addresses from the ELF symbol tables (machine.elfimage) and, when a source
line reader is set (``use_source_lines``), with source lines.
"""
from __future__ import annotations

import logging
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Tuple

from ..core import constants as C
from ..core.errors import GuestFailure, GuestTimeout, QemuStartError, RinglabError
from ..machine.elfimage import function_symbol
from ..machine.qemu import QemuConfig
from ..observe.events import Event, EventKind, Value, of as events_of
from ..observe.verdict import Outcome, Verdict
from .config import invoke_line

log = logging.getLogger(__name__)


#: ``(ELF path, address) -> "file.c:9"`` or None: a source line reader (machine.symbols)
SourceLine = Callable[[Path, int], Optional[str]]
KERNEL_HALF_START = C.KERNEL_HALF_START     # first address of the upper canonical half
MAX_FAULT_LINES = 8                         # fault/panic lines in a report
MAX_BACKTRACE_LINES = 16                    # return addresses of a panic backtrace shown
#: an exception line of QEMU's -d int log (vectors 0x00-0x1f; interrupts are 0x20 and up)
_EXCEPTION_LINE_RE = re.compile(r"^\s*\d+: v=[01][0-9a-f] ")


@dataclass
class Run:
    """Everything one boot produced.

    Attributes:
        config: what was booted.
        command: the exact QEMU argv.
        verdict: outcome, machine status and a one-line detail.
        events: kernel events in console order.
        user_lines: console lines that are not kernel lines (the programs' output).
        console: the whole console, line ends normalised to LF.
        raw_console: the console exactly as received.
        rc: QEMU's exit status (None if the harness had to stop it).
        qemu_signal: the signal that ended QEMU, if any.
        log: QEMU's ``-D`` log (cpu_reset; int when asked).
        stderr: QEMU's stderr.
        duration_s: wall time from spawn to reap.
        parse_errors: kernel lines that broke the console contract.
        history: the last console lines (evidence).
        where: for a timeout, where the guest was when the harness paused it (QMP), if read.
        timeout_s: the deadline the run had (repeated in the reproduce line).
    """

    config: QemuConfig
    command: List[str]
    verdict: Verdict
    events: List[Event]
    user_lines: List[str]
    console: str
    raw_console: str
    rc: Optional[int]
    qemu_signal: Optional[int]
    log: str
    stderr: str
    duration_s: float
    parse_errors: List[str] = field(default_factory=list)
    history: List[str] = field(default_factory=list)
    where: str = ""
    timeout_s: Optional[float] = None

    # -- convenience --------------------------------------------------------------------------
    @property
    def outcome(self) -> Outcome:
        return self.verdict.outcome

    @property
    def status(self) -> Optional[int]:
        return self.verdict.status

    @property
    def exit_status(self) -> int:
        return self.verdict.exit_status

    @property
    def user_output(self) -> str:
        return "".join(l + "\n" for l in self.user_lines)

    def of(self, *kinds: EventKind, **fields: Value) -> List[Event]:
        """Every event of ``kinds`` (kind strings or event classes) with ``fields``
        (``observe.events.of``: ``run.of(Exit, pid=1)``)."""
        return events_of(self.events, *kinds, **fields)

    def first(self, kind: EventKind) -> Event:
        """The first event of ``kind``; AssertionError with the evidence if there is none."""
        found = self.of(kind)
        if not found:
            k = kind if isinstance(kind, str) else kind.KIND
            raise AssertionError(f"no {k} event\n{self.report()}")
        return found[0]

    def invoke_args(self) -> List[str]:
        """The ``invoke boot`` options that boot this machine again (``invoke_args``)."""
        return invoke_args(self.config, timeout_s=self.timeout_s)

    def report(self, console_lines: int = C.DEFAULT_HISTORY_LINES,
               source_line: Optional[SourceLine] = None, step_into: str = "") -> str:
        """Multi-line evidence: outcome, each fault with its symbol (and source line, given
        ``source_line`` or ``use_source_lines``), rc, command, how to reproduce and step
        into it (``step_into``: that line instead of ``invoke debug ... --at-fault``),
        console tail, QEMU's log from the fault, parse errors."""
        again = invoke_line(self.config, timeout_s=self.timeout_s)
        stepin = step_into or invoke_line(self.config, task="debug", extra=["--at-fault"])
        out = [f"outcome: {self.outcome.value}: {self.verdict.detail}"]
        out += self.fault_lines(source_line or _source_lines[0])
        out += [f"qemu rc={self.rc} signal={self.qemu_signal} ({self.duration_s:.2f} s)",
               "command: " + shlex.join(self.command),
               f"reproduce: {again}",
               f"step into it: {stepin}"]
        lines = self.console.splitlines()[-console_lines:]
        out.append("console (last %d lines):" % len(lines))
        out += ["  | " + l for l in lines]
        stderr = [l for l in self.stderr.splitlines() if l.strip()][-C.DEFAULT_LOG_TAIL_LINES:]
        if stderr:
            out.append("qemu stderr (tail):")
            out += ["  | " + l for l in stderr]
        evidence = self._log_evidence()
        if evidence:
            out.append(f"qemu log ({evidence[0]}):")
            out += ["  | " + l for l in evidence[1]]
        if self.parse_errors:
            out.append("console contract violations:")
            out += ["  ! " + e for e in self.parse_errors]
        return "\n".join(out)

    def _log_evidence(self) -> Optional[Tuple[str, List[str]]]:
        """QEMU's log lines worth showing, and what they are: from the last exception QEMU
        logged (-d int), else from a triple fault; None when the log holds only the boot's
        CPU reset dumps (-d cpu_reset at power-on: nothing about the run) or the run timed
        out (where the guest was is in the detail, read over QMP)."""
        if self.outcome in (Outcome.TIMEOUT, Outcome.NO_MEMORY):
            return None   # the detail says all
        lines = self.log.splitlines()
        start = next((i for i in range(len(lines) - 1, -1, -1)
                      if _EXCEPTION_LINE_RE.match(lines[i])), None)
        what = "from the last exception it logged"
        if start is None:
            start = next((i for i, l in enumerate(lines) if l.startswith("Triple fault")), None)
            what = "from the triple fault"
        if start is None:
            return None
        return what, lines[start:start + C.DEFAULT_LOG_TAIL_LINES]

    def fault_lines(self, source_line: Optional[SourceLine] = None) -> List[str]:
        """One line per fault and kernel panic the kernel reported, the address named:
        ``fault: pid 1 #PF (vector 14) error=0x4 at 0x401142 <main+9> nullr.c:1 from CPL
        3, cr2=0x0``.

        Args:
            source_line: ``(ELF path, address) -> "file.c:9" or None`` (machine.symbols's
                DWARF reader), for the source line; None: symbols only. A reader with a
                ``prefetch(requests)`` method (``machine.lines.ProcessLineReader``) is given
                every ``(path, address, False)`` first, in one call.
        """
        prefetch = getattr(source_line, "prefetch", None)
        if prefetch is not None:
            wanted: List[Tuple[Path, int, bool]] = []
            self._fault_lines(lambda path, addr: wanted.append((path, addr, False)))
            prefetch(wanted)
        return self._fault_lines(source_line)

    def _fault_lines(self, source_line: Optional[SourceLine]) -> List[str]:
        out = []
        for ev in self.events:
            f = ev.fields
            if ev.kind == "fault" and "rip" in f:
                error = f" error={f['error']:#x}" if isinstance(f.get("error"), int) else ""
                cr2 = f", cr2={f['cr2']:#x}" if isinstance(f.get("cr2"), int) else ""
                out.append(f"fault: pid {f.get('pid')} {f.get('name', '')} (vector "
                           f"{f.get('vector')}){error} at "
                           f"{self.name_address(f['rip'], source_line)} from CPL "
                           f"{f.get('cpl')}{cr2}")
            elif ev.kind == "panic" and isinstance(f.get("rip"), int):
                out.append(f"panic: {f.get('reason', '')} at "
                           f"{self.name_address(f['rip'], source_line)}")
            elif ev.kind == "panic-backtrace":
                # return addresses: named by the call (address - 1), the offset as given
                out += [f"  called from {self.name_address(int(w, 16), source_line, True)}"
                        for w in ev.words if w.startswith("0x")][:MAX_BACKTRACE_LINES]
                continue
            if len(out) >= MAX_FAULT_LINES:
                break
        return out

    def name_address(self, addr: int, source_line: Optional[SourceLine] = None,
                     return_address: bool = False) -> str:
        """``0x401142 <main+9> nullr.c:1``: a kernel address from the kernel's symbols, a
        user address from init's when the machine holds no other program (else bare: the
        kernel does not say which program a pid runs). ``return_address``: the address
        after a call (its source line is the call's: ``addr - 1``)."""
        if addr >= KERNEL_HALF_START:
            path: Optional[Path] = Path(self.config.kernel)
        else:
            path = Path(self.config.init) if not self.config.files else None
        text = f"{addr:#x}"
        if path is None:
            return text
        # as gdb, trace and invoke faults name it; a return address by the call before it
        found = function_symbol(path, addr - 1 if return_address else addr)
        if found and return_address:
            found = (found[0], found[1] + 1)
        if found:
            text += f" <{found[0]}+{found[1]}>" if found[1] else f" <{found[0]}>"
        try:
            where = (source_line(path, addr - 1 if return_address else addr)
                     if source_line is not None else None)
        except RinglabError:            # no line table there (BadImage): the symbol says it
            where = None
        return text + (f" {where}" if where else "")

    def error(self) -> Optional[RinglabError]:
        """The typed error for a failed machine (None when the kernel halted cleanly)."""
        if self.outcome.machine_ok:
            return None
        log_lines = (self._log_evidence() or ("", []))[1]
        again = invoke_line(self.config, timeout_s=self.timeout_s)
        stepin = invoke_line(self.config, task="debug", extra=["--at-fault"])
        evidence = dict(command=self.command, console_tail=self.history,
                        reproduce=self.fault_lines(_source_lines[0])
                        + [f"reproduce: {again}", f"step into it: {stepin}"],
                        log_tail=[l for l in self.stderr.splitlines() + log_lines
                                  if l.strip()]
                        [-C.DEFAULT_LOG_TAIL_LINES:])
        if self.outcome is Outcome.TIMEOUT:
            return GuestTimeout(self.verdict.detail, **evidence)
        if self.outcome is Outcome.QEMU_FAILURE and not self.console.strip():
            return QemuStartError(f"QEMU exited at start: {self.verdict.detail}", **evidence)
        return GuestFailure(f"{self.outcome.value}: {self.verdict.detail}", **evidence)

    def ended(self) -> str:
        """How the run ended, in one line: ``timed out: no halt line within 2 s; the guest
        was at ...``, ``exited: init exited (status 1)``, ``panic: ...``."""
        if self.outcome is Outcome.TIMEOUT:
            detail = self.verdict.detail
            prefix = Outcome.TIMEOUT.value + ": "
            return "timed out: " + (detail[len(prefix):] if detail.startswith(prefix) else detail)
        return f"{self.outcome.value}: {self.verdict.detail}"

    def assert_status(self, expected: int) -> "Run":
        """For tests: assert that the machine halted with status ``expected`` (init's exit
        status, or 128 + N when signal N killed it). ``run.assert_status(0)`` says what
        happened where ``assert run.status == 0`` reads ``assert None == 0`` on a timeout.

        Returns:
            the Run.

        Raises:
            AssertionError: first line ``expected exit status 0, got: timed out: no halt
                line within 2 s; the guest was at ...`` (or ``... got: exited: init exited
                (status 1)``), then the report.
        """
        if self.outcome.machine_ok and self.status == expected:
            return self
        raise AssertionError(f"expected exit status {expected}, got: {self.ended()}\n"
                             f"{self.report()}")

    def check(self, status: Optional[int] = None) -> "Run":
        """Raise the typed error unless the kernel halted cleanly (with ``status`` if given)."""
        err = self.error()
        if err is not None:
            raise err
        if status is not None and self.status != status:
            raise GuestFailure(f"machine status {self.status}, expected {status}: "
                               f"{self.verdict.detail}", command=self.command,
                               console_tail=self.history)
        return self


# The source line reader reports use by default (the pytest plugin sets machine.symbols's:
# reading DWARF needs pyelftools, which a plain `invoke boot` does not load).
_source_lines: List[Optional[SourceLine]] = [None]


def source_lines() -> Optional[SourceLine]:
    """The source line reader reports use now (None: symbols only)."""
    return _source_lines[0]


def use_source_lines(reader: Optional[SourceLine]) -> None:
    """Name fault addresses with source lines in every ``Run.report()`` from now on
    (``reader(path, address) -> "file.c:9"`` or None; None: symbols only)."""
    _source_lines[0] = reader


