"""Four independent witnesses of one fault, and an assertion that reads like the claim.

A fault is *seen* four ways:

- **kernel**: the ``ringlab: fault ...`` event the kernel prints from its trapframe;
- **qemu-log**: QEMU's own ``-d int`` line for the delivery (harness.observe.qemulog), written by the
  emulator before the guest runs a single handler instruction;
- **gdb**: the frame the CPU pushed, read through QEMU's gdbstub at the first instruction of
  the vector's stub (``vectorN``), plus CR2 read from the CPU there;
- **handler**: the program's own SA_SIGINFO handler (userland/fault_witness.h), which prints
  what the kernel's signal frame told it - REG_TRAPNO, REG_ERR, REG_CR2 and the saved
  registers of uc_mcontext - in a ``handler: pid=... trapno=... err=...`` line.

Each becomes a ``Sighting`` with the same fields. ``expect_fault(evidence, vector=13, error=0,
cpl=3, rip=...)`` compares every sighting with the claim and, on failure, raises an
AssertionError showing the witnesses side by side::

    field   expected       kernel         qemu-log       gdb
    vector  13 (#GP)       13             13             13
    error   0x0            0x0            0x0            0x4   <-- differs
    ...

Witness conventions that differ on purpose (all measured, see tests/data/qemulog/README.md):

- QEMU logs the address of ``int3``/``int n`` itself; the frame (kernel, gdb) holds the next
  instruction. ``expect_fault(..., log_rip=...)`` states the log's value.
- For vectors that push no error code QEMU logs ``e=0000`` and the kernel prints its stub's
  dummy 0; gdb sees no error-code slot at all. All three are normalised to ``None``.
- CR2 is only part of a #PF sighting (QEMU prints CR2 only on #PF lines; the kernel only in
  #PF events; gdb reads it only for #PF).

Matching sightings across witnesses is by order (``align``): the kernel reports every
exception it takes, in order; QEMU logs every delivery, in order; gdb stops at every stub
breakpoint, in order. The k-th kernel fault event is matched with the next unmatched sighting
of the same vector and CPL; what is left over on the other side is reported as unexplained.
A software interrupt whose delivery fails (``int $0x0e`` through a DPL-0 gate: QEMU logs
``v=0e i=1`` and then the ``v=0d`` it caused) is an attempt, not a fault: dropped.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from . import decode
from .events import Fault, parse_fields
from .qemulog import IntRecord

log = logging.getLogger(__name__)

KERNEL = "kernel"
QEMU_LOG = "qemu-log"
GDB = "gdb"
HANDLER = "handler"
WITNESSES = (KERNEL, QEMU_LOG, GDB, HANDLER)

# The fields a sighting has, in the order the comparison table shows them.
FIELDS = ("vector", "error", "cpl", "rip", "cr2", "cs", "rsp", "ss", "rflags")


@dataclass(frozen=True)
class Sighting:
    """What one witness saw of one fault. ``None`` means the witness has no such value.

    Attributes:
        witness: ``kernel``, ``qemu-log`` or ``gdb``.
        vector: the exception vector.
        error: the error code, None for vectors that push none (SDM Vol. 3A 6.3.1 Table 6-1).
        cpl: the privilege level the fault came from (RPL of the saved CS).
        rip: the saved RIP (QEMU's log: see the module notes on software interrupts).
        cr2: CR2, #PF only.
        cs, rsp, ss, rflags: the rest of the interrupted context, where the witness has it.
        source: the evidence itself (the console line, the log line number, the gdb stop).
    """

    witness: str
    vector: int
    error: Optional[int]
    cpl: int
    rip: int
    cr2: Optional[int] = None
    cs: Optional[int] = None
    rsp: Optional[int] = None
    ss: Optional[int] = None
    rflags: Optional[int] = None
    software: bool = False
    source: str = ""

    def get(self, name: str) -> Optional[int]:
        return getattr(self, name)


def _error_or_none(vector: int, error: Optional[int]) -> Optional[int]:
    if vector < decode.FIRST_USER_VECTOR and decode.has_error_code(vector):
        return error
    return None


def from_kernel(ev: Fault) -> Sighting:
    """The kernel's ``fault`` event as a sighting."""
    return Sighting(KERNEL, ev.vector, _error_or_none(ev.vector, ev.error), ev.cpl, ev.rip,
                    cr2=ev.cr2 if ev.vector == decode.VECTOR_PF else None, cs=ev.cs, rsp=ev.rsp,
                    ss=ev.ss, rflags=ev.rflags, source=ev.line)


def from_qemu(rec: IntRecord) -> Sighting:
    """A QEMU ``-d int`` record as a sighting (RFLAGS from its register dump)."""
    return Sighting(QEMU_LOG, rec.vector, _error_or_none(rec.vector, rec.error), rec.cpl,
                    rec.rip, cr2=rec.cr2 if rec.vector == decode.VECTOR_PF else None,
                    cs=rec.cs, rsp=rec.rsp, ss=rec.ss, rflags=rec.rflags,
                    software=rec.software, source=f"qemu log line {rec.lineno}: {rec.describe()}")


_HANDLER_RE = re.compile(r"^handler: (?P<fields>pid=\d+ .*)$")


@dataclass(frozen=True)
class HandlerReport:
    """A fault as the program's own signal handler saw it (userland/fault_witness.h).

    Attributes:
        pid: the program's pid.
        signo, code, addr: siginfo's si_signo, si_code, si_addr.
        sighting: the uc_mcontext values as a ``handler`` sighting (vector = REG_TRAPNO,
            error = REG_ERR, cr2 = REG_CR2, and the saved RIP, RSP, CS, SS, RFLAGS).
    """

    pid: int
    signo: int
    code: int
    addr: int
    sighting: Sighting


def from_handler(line: str) -> Optional[HandlerReport]:
    """Parse a ``handler: pid=.. signo=.. code=.. addr=.. trapno=.. err=.. rip=.. rsp=..
    cs=.. ss=.. rflags=.. cr2=..`` line; None if ``line`` is not one."""
    m = _HANDLER_RE.match(line.strip())
    if not m:
        return None
    f, _ = parse_fields(m.group("fields"))
    try:
        vector = int(f["trapno"])
        s = Sighting(HANDLER, vector, _error_or_none(vector, int(f["err"])), int(f["cs"]) & 3,
                     int(f["rip"]), cr2=int(f["cr2"]) if vector == decode.VECTOR_PF else None,
                     cs=int(f["cs"]), rsp=int(f["rsp"]), ss=int(f["ss"]), rflags=int(f["rflags"]),
                     source=line.strip())
        return HandlerReport(int(f["pid"]), int(f["signo"]), int(f["code"]), int(f["addr"]), s)
    except (KeyError, TypeError, ValueError):
        return None


@dataclass(frozen=True)
class GdbFrame:
    """The CPU-pushed frame read by gdb at the first instruction of stub ``vectorN``.

    Attributes:
        vector: N (from the breakpoint that stopped).
        rsp: RSP at the stub's first instruction (points at the frame).
        words: the 64-bit words at RSP: [error,] rip, cs, rflags, rsp, ss
            (SDM Vol. 3A 6.14.2, Figure 6-9: 64-bit mode always pushes SS:RSP).
        cr2: CR2 at that moment.
    """

    vector: int
    rsp: int
    words: Tuple[int, ...]
    cr2: int

    @property
    def has_error(self) -> bool:
        return self.vector < decode.FIRST_USER_VECTOR and decode.has_error_code(self.vector)

    def sighting(self) -> Sighting:
        w = list(self.words)
        error = w.pop(0) if self.has_error else None
        rip, cs, rflags, rsp, ss = w[:5]
        return Sighting(GDB, self.vector, error, decode.cpl_of(cs & 0xFFFF), rip,
                        cr2=self.cr2 if self.vector == decode.VECTOR_PF else None,
                        cs=cs, rsp=rsp, ss=ss, rflags=rflags,
                        source=f"gdb at vector{self.vector}: rsp={self.rsp:#x} frame="
                               + " ".join(f"{x:#x}" for x in self.words))


# ---------------------------------------------------------------------------------------------
# Matching the witnesses' sequences

def qemu_fault_records(records: Iterable[IntRecord]) -> List[IntRecord]:
    """The exception deliveries of a QEMU log, failed software-interrupt attempts dropped.

    Kept: every record with vector < 32 that is not an external interrupt. Dropped: a
    software interrupt (``i=1``) immediately followed by a #GP whose error code names that
    vector's IDT gate (SDM Vol. 3A 6.13: IDT bit set; QEMU 7.2 and SDM encodings both
    accepted): the ``int n`` never reached its gate.
    """
    recs = [r for r in records if not r.hardware]
    out = []
    for i, r in enumerate(recs):
        if r.software and i + 1 < len(recs):
            nxt = recs[i + 1]
            codes = {decode.idt_error_code(r.vector),
                     decode.idt_error_code(r.vector, qemu72_long_mode=True)}
            if nxt.vector == decode.VECTOR_GP and nxt.error in codes and nxt.cpl == r.cpl:
                continue
        if r.is_exception:
            out.append(r)
    return out


@dataclass
class Alignment:
    """Result of ``align``: for each kernel fault, the other witness's sighting (or None),
    and the other witness's sightings no kernel fault explains."""

    matched: List[Optional[Sighting]]
    unexplained: List[Sighting]


def align(kernel: Sequence[Sighting], other: Sequence[Sighting]) -> Alignment:
    """Match two ordered sequences of sightings by vector and CPL, keeping order.

    For each kernel sighting, the next unmatched sighting of ``other`` with the same vector
    and CPL is its match; sightings skipped over are unexplained (the other witness saw a
    fault the kernel did not report). A kernel sighting with no match gets None.
    """
    matched: List[Optional[Sighting]] = []
    unexplained: List[Sighting] = []
    j = 0
    for k in kernel:
        found = None
        for i in range(j, len(other)):
            if other[i].vector == k.vector and other[i].cpl == k.cpl:
                found = i
                break
        if found is None:
            matched.append(None)
            continue
        unexplained.extend(other[j:found])
        matched.append(other[found])
        j = found + 1
    unexplained.extend(other[j:])
    return Alignment(matched, unexplained)


# ---------------------------------------------------------------------------------------------
# The claim and its check

class Rule:
    """An expected value that is not one number: ``Rule(pred, "in the user stack")``.

    ``pred(value, sighting)`` returns True if ``value`` (from ``sighting``) is acceptable.
    """

    def __init__(self, pred: Callable[[int, Sighting], bool], text: str) -> None:
        self.pred = pred
        self.text = text

    def matches(self, value: Optional[int], sighting: Sighting) -> bool:
        return value is not None and bool(self.pred(value, sighting))

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Rule({self.text!r})"


def in_range(lo: int, hi: int, what: str) -> Rule:
    """A value in [lo, hi)."""
    return Rule(lambda v, s: lo <= v < hi, f"in {what} [{lo:#x}, {hi:#x})")


def same_as(field_name: str) -> Rule:
    """Equal to another field of the same sighting (e.g. CR2 == RIP for a fetch fault)."""
    return Rule(lambda v, s: v == s.get(field_name), f"= this witness's {field_name}")


def bits_set(mask: int, what: str) -> Rule:
    return Rule(lambda v, s: v & mask == mask, f"has {what} ({mask:#x}) set")


class _Any:
    def __repr__(self) -> str:
        return "ANY"


ANY: Any = _Any()
"""Don't check this field."""

Expected = Any  # int, None (the witness must have no value), a Rule, or ANY


def _fmt(name: str, value: Optional[int]) -> str:
    if value is None:
        return "-"
    if name in ("vector", "cpl"):
        if name == "vector":
            return f"{value} ({decode.mnemonic(value)})" if 0 <= value <= 255 else str(value)
        return str(value)
    return f"{value:#x}"


def _fmt_expected(name: str, exp: Expected) -> str:
    if exp is ANY:
        return "(any)"
    if isinstance(exp, Rule):
        return str(exp)
    return _fmt(name, exp)


def _matches(exp: Expected, value: Optional[int], s: Sighting) -> bool:
    if exp is ANY:
        return True
    if isinstance(exp, Rule):
        return exp.matches(value, s)
    return value == exp


@dataclass
class Evidence:
    """Everything known about one fault: each witness's sighting.

    Attributes:
        kernel: the kernel's sighting (None if the kernel reported no fault).
        qemu: QEMU's log's sighting; None if the log was read and shows none.
        gdb: gdb's sighting; None if gdb was attached and saw none.
        handler: the program's own handler's sighting; None if it reported none.
        collected: which witnesses were asked at all (gdb and the handler are optional).
        label: what the fault is (a catalogue row), for messages.
        notes: extra lines for the failure message (e.g. why a value differs from the SDM).
    """

    kernel: Optional[Sighting]
    qemu: Optional[Sighting] = None
    gdb: Optional[Sighting] = None
    handler: Optional[Sighting] = None
    collected: Tuple[str, ...] = (KERNEL, QEMU_LOG)
    label: str = ""
    notes: List[str] = field(default_factory=list)

    def sightings(self) -> Dict[str, Optional[Sighting]]:
        every = {KERNEL: self.kernel, QEMU_LOG: self.qemu, GDB: self.gdb, HANDLER: self.handler}
        return {w: every[w] for w in WITNESSES if w in self.collected}

    def table(self, expected: Dict[str, Dict[str, Expected]]) -> str:
        """The witnesses side by side, one row per field; ``<--`` marks each mismatch.

        Args:
            expected: per witness, per field, what was expected.
        """
        sightings = self.sightings()
        names = list(sightings)
        header = ["field", "expected"] + names
        rows = [header]
        marks = []
        for f in FIELDS:
            exps = {w: expected.get(w, {}).get(f, ANY) for w in names}
            base = exps[names[0]] if names else ANY
            exp_text = _fmt_expected(f, base)
            differing = [w for w in names if exps[w] is not base and str(exps[w]) != str(base)]
            if differing:
                exp_text += "; " + ", ".join(f"{w}: {_fmt_expected(f, exps[w])}"
                                            for w in differing)
            cells = [f, exp_text]
            bad = False
            for w in names:
                s = sightings[w]
                if s is None:
                    cells.append("(none)")
                    continue
                v = s.get(f)
                ok = _matches(exps[w], v, s)
                cells.append(_fmt(f, v) + ("" if ok else " !"))
                bad |= not ok
            rows.append(cells)
            marks.append("  <-- differs" if bad else "")
        widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
        lines = ["  ".join(c.ljust(widths[i]) for i, c in enumerate(rows[0])).rstrip()]
        for r, m in zip(rows[1:], marks):
            lines.append("  ".join(c.ljust(widths[i]) for i, c in enumerate(r)).rstrip() + m)
        return "\n".join(lines)


def check(evidence: Evidence, expected: Dict[str, Dict[str, Expected]]) -> List[str]:
    """Every disagreement between the claim and a witness, one line each (empty: all agree).

    Besides the claim, witnesses that have CS, SS and RSP must agree with each other.
    """
    problems = []
    sightings = evidence.sightings()
    for w, s in sightings.items():
        if s is None:
            problems.append(f"{w}: saw no such fault")
            continue
        for f, exp in expected.get(w, {}).items():
            v = s.get(f)
            if not _matches(exp, v, s):
                problems.append(f"{w}: {f} = {_fmt(f, v)}, expected {_fmt_expected(f, exp)}")
    present = [s for s in sightings.values() if s is not None]
    for f in ("cs", "ss", "rsp"):
        vals = {s.witness: s.get(f) for s in present if s.get(f) is not None}
        if len(set(vals.values())) > 1:
            problems.append(f"witnesses disagree on {f}: "
                            + ", ".join(f"{w}={v:#x}" for w, v in vals.items()))
    return problems


def expect_fault(evidence: Evidence, *, vector: int, cpl: int, rip: Expected,
                 error: Expected = ANY, cr2: Expected = ANY, rsp: Expected = ANY,
                 rflags: Expected = ANY, log_rip: Expected = None,
                 log_error: Expected = None, cs: Expected = ANY,
                 handler_error: Expected = None) -> None:
    """Assert that every witness saw a fault of ``vector`` with ``error`` from ``cpl`` at ``rip``.

    Args:
        evidence: the witnesses' sightings of one fault.
        vector, cpl: exact.
        rip: the saved RIP (an int or a Rule).
        error: the error code; None for vectors that push none. ANY: not checked.
        cr2: #PF only (None: must be absent). ANY: not checked.
        rsp, rflags: optional further claims (ints or Rules).
        cs: the code selector at the fault (0x33 64-bit user code, 0x23 compatibility mode:
            images/kabi.json's USER_CS and USER32_CS). ANY: not checked.
        log_rip: where QEMU's log puts RIP when it differs from the frame (software
            interrupts log the ``int`` itself). Default: ``rip``.
        log_error: the log's error code when it differs. Default: ``error``.
        handler_error: the error code the signal frame tells the handler when it differs
            (a #PF from CPL 3 always has the user bit there, as Linux's). Default: ``error``.

    Raises:
        AssertionError: listing each disagreement, then the side-by-side table.
    """
    if error is ANY and vector < decode.FIRST_USER_VECTOR and not decode.has_error_code(vector):
        error = None
    if cr2 is ANY and vector != decode.VECTOR_PF:
        cr2 = None
    claim = {"vector": vector, "cpl": cpl, "rip": rip, "error": error, "cr2": cr2,
             "rsp": rsp, "rflags": rflags, "cs": cs}
    expected = {w: dict(claim) for w in WITNESSES}
    if log_rip is not None:
        expected[QEMU_LOG]["rip"] = log_rip
    if log_error is not None:
        expected[QEMU_LOG]["error"] = log_error
    if handler_error is not None:
        expected[HANDLER]["error"] = handler_error
    problems = check(evidence, expected)
    if problems:
        head = f"fault {evidence.label}: " if evidence.label else "fault: "
        msg = [head + f"{len(problems)} disagreement(s) between the claim and the witnesses"]
        msg += ["  - " + p for p in problems]
        msg += ["", evidence.table(expected), ""]
        msg += [f"{w}: {s.source}" for w, s in evidence.sightings().items() if s is not None]
        msg += evidence.notes
        raise AssertionError("\n".join(msg))


# ---------------------------------------------------------------------------------------------
# gdb: the CPU-pushed frame at each exception stub

def frame_words(vector: int) -> int:
    """How many 64-bit words the CPU pushes for ``vector`` in 64-bit mode (5, or 6 with an
    error code; SDM Vol. 3A 6.14.2)."""
    return 6 if vector < decode.FIRST_USER_VECTOR and decode.has_error_code(vector) else 5
