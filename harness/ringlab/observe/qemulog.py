"""Parser for QEMU's ``-d int,cpu_reset -D FILE`` log: an independent witness of every fault.

What QEMU 7.2 (TCG) writes, measured on this machine with a throwaway multiboot kernel
(tests/data/qemulog/README.md has the recipe); the formats come from
target/i386/tcg/seg_helper.c (``do_interrupt_all``), excp_helper.c
(``check_exception``), accel/tcg/cpu-exec.c and hw/core/cpu-common.c (``cpu_reset``)::

    CPU Reset (CPU 0)                       <- twice at every boot, each with a dump
    SMM: enter / SMM: after RSM             <- SeaBIOS, each with a dump
    Servicing hardware INT=0x20             <- before the line of an external interrupt
    check_exception old: 0xffffffff new 0xd <- an exception raised (old: the one being
                                               delivered, 0xffffffff = none)
         7: v=0d e=0000 i=0 cpl=3 IP=002b:0000000000200008 pc=0000000000200008 SP=0023:0000000000401000 env->regs[R_EAX]=0000000000005555
    RAX=... RBX=...                         <- full register dump after every such line
    Triple fault                            <- check_exception while delivering #DF

The numbered line is printed when delivery STARTS, only in protected/long mode
(CR0.PE=1), before the IDT gate is read: a line does not prove the handler ran (``int
$0x21`` through a DPL-0 gate logs ``v=21 i=1`` and then the ``v=0d`` it caused). Vector
0x0e lines end with ``CR2=`` instead of ``env->regs[R_EAX]=``. Values are hex without
``0x``; RIP/RSP/CR2 are 16 digits even in 32-bit mode (the dump, though, is 32-bit
there: ``EAX=``, ``EIP=``, ``CR2=00000000``). ``syscall``/``sysret`` produce no line.
The leading counter is a per-process static in QEMU, printed ``%6d``.

The parser never raises on odd input: lines it does not know are kept in
``QemuLog.unknown``; a last line without its newline (QEMU killed mid-write) is kept
in ``QemuLog.truncated_line`` and never parsed into a record, so no half-written hex
value is ever reported as a fact.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Dict, List, Mapping, Optional, Sequence, Tuple, Union

from . import decode

log = logging.getLogger(__name__)

# "%6d: v=%02x e=%04x i=%d cpl=%d IP=%04x:%016lx pc=%016lx SP=%04x:%016lx" then
# " CR2=%016lx" (vector 0x0e) or " env->regs[R_EAX]=%016lx".
_INT_RE = re.compile(
    r"^\s*(?P<seq>\d+): v=(?P<v>[0-9a-f]+) e=(?P<e>[0-9a-f]+) i=(?P<i>\d+) cpl=(?P<cpl>\d)"
    r" IP=(?P<cs>[0-9a-f]+):(?P<rip>[0-9a-f]+) pc=(?P<pc>[0-9a-f]+)"
    r" SP=(?P<ss>[0-9a-f]+):(?P<rsp>[0-9a-f]+)"
    r"(?: CR2=(?P<cr2>[0-9a-f]+)| env->regs\[R_EAX\]=(?P<rax>[0-9a-f]+))?\s*$"
)
# "check_exception old: 0x%x new 0x%x" (QEMU 7.2 has no colon after "new"; accept one).
_CHECK_RE = re.compile(r"^check_exception old: (?P<old>0x[0-9a-f]+) new:? (?P<new>0x[0-9a-f]+)\s*$")
_RESET_RE = re.compile(r"^CPU Reset \(CPU (?P<cpu>\d+)\)\s*$")
_HW_RE = re.compile(r"^Servicing hardware INT=(?P<v>0x[0-9a-f]+)\s*$")
_TRIPLE_RE = re.compile(r"^Triple fault\s*$")
_SMM_RE = re.compile(r"^SMM: (?:enter|after RSM)\s*$")
# A register-dump line: one or more NAME=HEX pairs (segment lines handled apart).
_DUMP_START_RE = re.compile(
    r"^(?:[ER]AX|[ER]SI|R8 |R12|[ER]IP|ES |CS |SS |DS |FS |GS |LDT|TR |GDT|IDT|CR0|DR0|DR6|"
    r"CCS|EFER|FCW|FPR\d|XMM\d|YMM\d|ZMM\d|PKRU|Opmask)"
)
_PAIR_RE = re.compile(r"\b([A-Z][A-Z0-9]*)\s*=\s*([0-9a-f]+)\b")
_SEG_RE = re.compile(
    r"^(?P<name>ES|CS|SS|DS|FS|GS|LDT|TR) ?=(?P<sel>[0-9a-f]{4}) (?P<base>[0-9a-f]+)"
    r" (?P<limit>[0-9a-f]+) (?P<flags>[0-9a-f]+)"
)
_TABLE_RE = re.compile(r"^(?P<name>GDT|IDT)=\s+(?P<base>[0-9a-f]+) (?P<limit>[0-9a-f]+)")

NO_EXCEPTION = 0xFFFFFFFF  # check_exception's "old" when nothing was being delivered

# Dump names -> our names. 32-bit dumps (CR0.PE without long mode) use E.. registers.
_REG_ALIASES = {
    "EAX": "rax", "EBX": "rbx", "ECX": "rcx", "EDX": "rdx", "ESI": "rsi", "EDI": "rdi",
    "EBP": "rbp", "ESP": "rsp", "EIP": "rip", "EFL": "rflags", "RFL": "rflags",
}
_DUMP_KEEP = frozenset({
    "RAX", "RBX", "RCX", "RDX", "RSI", "RDI", "RBP", "RSP", "RIP", "R8", "R9", "R10",
    "R11", "R12", "R13", "R14", "R15", "CPL", "II", "A20", "SMM", "HLT", "CR0", "CR2",
    "CR3", "CR4", "DR0", "DR1", "DR2", "DR3", "DR6", "DR7", "EFER",
}) | frozenset(_REG_ALIASES)


@dataclass(frozen=True)
class Segment:
    """One segment register line of the dump: ``CS =0008 <base> <limit> <flags>``.

    Attributes:
        selector: the visible selector.
        base: the cached base address.
        limit: the cached limit.
        flags: QEMU's packed descriptor flags (bits 8-23 of the descriptor's high dword,
            SDM Vol. 3A 3.4.5 Figure 3-8: type, S, DPL, P, AVL, L, D/B, G).
    """

    selector: int
    base: int
    limit: int
    flags: int


@dataclass(frozen=True)
class RegisterDump:
    """The CPU state QEMU prints after an interrupt line, a reset or an SMM transition.

    Attributes:
        regs: lower-case register name -> value: rax..r15, rip, rflags, cpl, cr0, cr2,
            cr3, cr4, efer, dr0-dr7, a20, smm, hlt, ii. 32-bit dumps are normalised
            (EAX -> rax, EIP -> rip, EFL -> rflags).
        segments: lower-case segment register name (es, cs, ss, ds, fs, gs, ldt, tr)
            -> Segment.
        tables: ``"gdt"``/``"idt"`` -> (base, limit).
        long_mode: True when the dump is the 64-bit form (``RAX=``), False for ``EAX=``.
    """

    regs: Mapping[str, int]
    segments: Mapping[str, Segment]
    tables: Mapping[str, Tuple[int, int]]
    long_mode: bool

    def get(self, name: str) -> Optional[int]:
        """A register's value, or None if the dump did not include it.

        Args:
            name: e.g. ``"cr3"``, ``"rax"``, ``"rflags"`` (case-insensitive).

        Returns:
            The value or None.
        """
        return self.regs.get(name.lower())

    def __getitem__(self, name: str) -> int:
        """A register's value (case-insensitive).

        Args:
            name: e.g. ``"cr2"``.

        Returns:
            The value.

        Raises:
            KeyError: if the dump did not include that register.
        """
        return self.regs[name.lower()]


_EMPTY_DUMP = RegisterDump(MappingProxyType({}), MappingProxyType({}), MappingProxyType({}),
                           False)


def parse_register_dump(lines: Sequence[str]) -> RegisterDump:
    """Parse the register dump QEMU prints with ``log_cpu_state`` (x86_cpu_dump_state).

    Args:
        lines: the dump's lines, without newlines. Unknown lines are ignored.

    Returns:
        The parsed dump (possibly empty).
    """
    regs: Dict[str, int] = {}
    segments: Dict[str, Segment] = {}
    tables: Dict[str, Tuple[int, int]] = {}
    long_mode = False
    for line in lines:
        seg = _SEG_RE.match(line)
        if seg:
            segments[seg["name"].lower()] = Segment(
                int(seg["sel"], 16), int(seg["base"], 16), int(seg["limit"], 16),
                int(seg["flags"], 16))
            continue
        tab = _TABLE_RE.match(line)
        if tab:
            tables[tab["name"].lower()] = (int(tab["base"], 16), int(tab["limit"], 16))
            continue
        if line.startswith(("FPR", "XMM", "YMM", "ZMM", "FCW", "CCS")):
            continue  # FPU/SSE state and TCG's lazy-flags bookkeeping: not needed
        if line.startswith("RAX="):
            long_mode = True
        for name, value in _PAIR_RE.findall(line):
            if name in _DUMP_KEEP:
                regs[_REG_ALIASES.get(name, name.lower())] = int(value, 16)
    return RegisterDump(MappingProxyType(regs), MappingProxyType(segments),
                        MappingProxyType(tables), long_mode)


@dataclass(frozen=True)
class IntRecord:
    """One interrupt or exception delivery as QEMU logged it (``do_interrupt_all``).

    Attributes:
        seq: QEMU's running counter (the number before the colon).
        vector: ``v=``, the vector.
        error: ``e=``, the error code (0 when the vector pushes none).
        software: ``i=1``: a software interrupt (``int n``, ``int3``, ``into``).
        cpl: ``cpl=``, the privilege level the event interrupted.
        cs: the CS selector of the interrupted code (``IP=CS:RIP``).
        rip: the RIP QEMU reports: the faulting instruction for a fault, the
            instruction itself for ``int n``/``int3`` (QEMU logs env->eip before the
            push; the frame will hold the next instruction), the next instruction for
            a trap such as single-step #DB.
        pc: ``pc=``, CS.base + RIP.
        ss: the SS selector (``SP=SS:RSP``).
        rsp: the RSP of the interrupted code.
        rax: ``env->regs[R_EAX]`` (absent on #PF lines, where QEMU prints CR2 instead).
        cr2: CR2 from a #PF line. None for other vectors, even though their register
            dump has a CR2 field: there it is just the last page fault's address, and
            reporting it would make a three-way check compare stale values.
        hardware: True if the line followed ``Servicing hardware INT=`` for the same
            vector (an external interrupt from the PIC/APIC).
        lineno: 1-based line number of the record in the log.
        escalated_from: the vector being delivered when this one was raised (from the
            ``check_exception`` line just before), or None. E.g. a #DF line after
            ``check_exception old: 0xe new 0xe`` has escalated_from=14.
        dump: the register dump printed after the line (empty if cut off).
    """

    seq: int
    vector: int
    error: int
    software: bool
    cpl: int
    cs: int
    rip: int
    pc: int
    ss: int
    rsp: int
    rax: Optional[int] = None
    cr2: Optional[int] = None
    hardware: bool = False
    lineno: int = 0
    escalated_from: Optional[int] = None
    dump: RegisterDump = field(default=_EMPTY_DUMP, compare=False, repr=False)

    @property
    def is_exception(self) -> bool:
        """True for a CPU exception (vector 0-31, not an external interrupt).

        ``int3`` counts (it raises #BP, SDM Vol. 3A 6.3.1 Table 6-1); ``int $0x80``
        does not.

        Returns:
            Whether the record is an exception.
        """
        return self.vector < decode.FIRST_USER_VECTOR and not self.hardware

    @property
    def info(self) -> decode.VectorInfo:
        """The vector's row of SDM Vol. 3A 6.3.1, Table 6-1.

        Returns:
            The row (mnemonic, name, error code, signal).
        """
        return decode.vector_info(self.vector)

    @property
    def mnemonic(self) -> str:
        """E.g. ``"#GP"``, or ``"vector 128"``.

        Returns:
            The vector's label.
        """
        return self.info.label

    @property
    def cr3(self) -> Optional[int]:
        """CR3 from the register dump, or None if the dump was cut off.

        Returns:
            The page-table base at the time of the event.
        """
        return self.dump.get("cr3")

    @property
    def efer(self) -> Optional[int]:
        """IA32_EFER from the register dump, or None.

        Returns:
            EFER (SDM Vol. 3A 2.2.1: LME bit 8, LMA bit 10, NXE bit 11).
        """
        return self.dump.get("efer")

    @property
    def rflags(self) -> Optional[int]:
        """RFLAGS of the interrupted code from the register dump, or None.

        Returns:
            RFLAGS (``RFL=``/``EFL=`` in the dump).
        """
        return self.dump.get("rflags")

    def describe(self) -> str:
        """One line for humans, e.g. ``"#PF e=0x6 (user write to a not-present page) cpl=3 rip=0x... cr2=0x..."``.

        Returns:
            Vector, decoded error code, CPL, RIP and, for #PF, CR2.
        """
        text = f"{self.mnemonic} e={self.error:#x}"
        if self.is_exception and self.info.error_code:
            text += f" ({decode.describe_error(self.vector, self.error)})"
        text += f" cpl={self.cpl} cs={self.cs:#x} rip={self.rip:#x} rsp={self.rsp:#x}"
        if self.cr2 is not None:
            text += f" cr2={self.cr2:#x}"
        if self.software:
            text += " (software)"
        if self.hardware:
            text += " (hardware)"
        return text


@dataclass(frozen=True)
class CheckException:
    """A ``check_exception old: X new: Y`` line: QEMU raising exception Y.

    Attributes:
        old: the exception being delivered when Y arose, or None (``0xffffffff``).
        new: the vector raised.
        lineno: 1-based line number in the log.
    """

    old: Optional[int]
    new: int
    lineno: int

    @property
    def during_delivery(self) -> bool:
        """True when ``new`` arose while delivering ``old`` (SDM Vol. 3A 6.15).

        Returns:
            Whether ``old`` is set.
        """
        return self.old is not None

    @property
    def outcome(self) -> decode.Escalation:
        """What the SDM (Vol. 3A 6.15, Table 6-5) says this pair leads to.

        Returns:
            SERIAL when nothing was being delivered, else the Table 6-5 outcome.
        """
        if self.old is None or not (0 <= self.old <= 255 and 0 <= self.new <= 255):
            return decode.Escalation.SERIAL
        return decode.escalation(self.old, self.new)


@dataclass
class QemuLog:
    """Everything ``parse`` found in one ``-d int,cpu_reset`` log.

    Attributes:
        interrupts: every numbered interrupt/exception line, in order.
        escalations: every ``check_exception`` line, in order.
        resets: the number of ``CPU Reset`` lines (two per boot; more after a reset).
        triple_fault: a ``Triple fault`` line was seen.
        triple_fault_lineno: its line number, or None.
        unknown: (line number, text) of every line the parser does not know, register
            dumps excluded.
        truncated_line: the last line when it had no newline (QEMU killed mid-write),
            else None. It is never parsed into a record.
    """

    interrupts: List[IntRecord] = field(default_factory=list)
    escalations: List[CheckException] = field(default_factory=list)
    resets: int = 0
    triple_fault: bool = False
    triple_fault_lineno: Optional[int] = None
    unknown: List[Tuple[int, str]] = field(default_factory=list)
    truncated_line: Optional[str] = None

    @property
    def truncated(self) -> bool:
        """True if the log ended in the middle of a line.

        Returns:
            Whether ``truncated_line`` is set.
        """
        return self.truncated_line is not None

    @property
    def double_faults(self) -> List[IntRecord]:
        """Every #DF delivery that was logged.

        Returns:
            The records with vector 8.
        """
        return [r for r in self.interrupts if r.vector == decode.VECTOR_DF]

    def exceptions(self, cpl: Optional[int] = None, vector: Optional[int] = None,
                   ) -> List[IntRecord]:
        """CPU exceptions (vectors 0-31, external interrupts excluded), optionally filtered.

        Args:
            cpl: keep only exceptions raised at this privilege level (3: from user mode).
            vector: keep only this vector.

        Returns:
            Matching records, in log order.
        """
        return [r for r in self.interrupts if r.is_exception
                and (cpl is None or r.cpl == cpl)
                and (vector is None or r.vector == vector)]

    def find(self, *, vector: Optional[int] = None, cpl: Optional[int] = None,
             rip: Optional[int] = None, error: Optional[int] = None,
             ) -> List[IntRecord]:
        """Records matching every given field (exceptions and interrupts alike).

        Args:
            vector: the vector.
            cpl: the CPL the event came from.
            rip: the RIP QEMU logged.
            error: the error code.

        Returns:
            Matching records, in log order.
        """
        return [r for r in self.interrupts
                if (vector is None or r.vector == vector)
                and (cpl is None or r.cpl == cpl)
                and (rip is None or r.rip == rip)
                and (error is None or r.error == error)]

    def summary(self) -> str:
        """One line: counts of records, user exceptions, #DF, resets, triple fault.

        Returns:
            The summary.
        """
        text = (f"{len(self.interrupts)} interrupts, {len(self.exceptions(cpl=3))} ring-3 "
                f"exceptions, {len(self.double_faults)} #DF, {self.resets} CPU resets")
        if self.triple_fault:
            text += ", TRIPLE FAULT"
        if self.truncated:
            text += ", truncated"
        return text


def _int(value: str) -> int:
    """Parse a hex field from the log (with or without ``0x``).

    Args:
        value: the text.

    Returns:
        Its value.
    """
    return int(value, 16)


def parse(text: str) -> QemuLog:
    """Parse the text of a QEMU ``-d int,cpu_reset`` log.

    Args:
        text: the whole log (may end mid-line).

    Returns:
        A QemuLog. Never raises on malformed input: what it cannot parse is kept in
        ``unknown`` or ``truncated_line``.
    """
    result = QemuLog()
    lines = text.split("\n")
    # A log ending in "\n" splits into [..., ""]; anything else ends mid-line.
    last = lines.pop()
    if last:
        result.truncated_line = last
        log.debug("QEMU log ends mid-line: %r", last)

    pending: Optional[Tuple[re.Match, int]] = None   # an interrupt line awaiting its dump
    pending_hw: Optional[int] = None                  # vector from "Servicing hardware INT"
    pending_hw_for: Optional[int] = None              # hardware flag of the pending record
    pending_from: Optional[int] = None                # escalated_from of the pending record
    last_check: Optional[CheckException] = None       # check_exception just seen
    dump_lines: List[str] = []
    in_dump = False

    def flush() -> None:
        nonlocal pending, dump_lines
        if pending is not None:
            m, lineno = pending
            dump = parse_register_dump(dump_lines)
            vector = _int(m["v"])
            cr2 = _int(m["cr2"]) if m["cr2"] is not None else None
            if cr2 is None and vector == decode.VECTOR_PF:
                cr2 = dump.get("cr2")
            result.interrupts.append(IntRecord(
                seq=int(m["seq"]), vector=vector, error=_int(m["e"]),
                software=m["i"] != "0", cpl=int(m["cpl"]), cs=_int(m["cs"]),
                rip=_int(m["rip"]), pc=_int(m["pc"]), ss=_int(m["ss"]),
                rsp=_int(m["rsp"]), rax=_int(m["rax"]) if m["rax"] is not None else None,
                cr2=cr2, hardware=bool(pending_hw_for), lineno=lineno,
                escalated_from=pending_from, dump=dump))
        pending = None
        dump_lines = []

    for index, line in enumerate(lines):
        lineno = index + 1
        line = line.rstrip("\r")
        if in_dump and _DUMP_START_RE.match(line):
            dump_lines.append(line)
            continue
        m = _INT_RE.match(line)
        if m:
            flush()
            vector = _int(m["v"])
            pending = (m, lineno)
            pending_hw_for = pending_hw is not None and pending_hw == vector
            pending_from = None
            if last_check is not None and last_check.old is not None:
                pending_from = last_check.old
            pending_hw = None
            last_check = None
            in_dump = True
            continue
        flush()
        in_dump = False
        c = _CHECK_RE.match(line)
        if c:
            old = _int(c["old"])
            last_check = CheckException(None if old == NO_EXCEPTION else old,
                                        _int(c["new"]), lineno)
            result.escalations.append(last_check)
            continue
        if _RESET_RE.match(line):
            result.resets += 1
            in_dump = True          # a dump follows; it is not kept
            last_check, pending_hw = None, None
            continue
        if _TRIPLE_RE.match(line):
            last_check = None
            result.triple_fault = True
            if result.triple_fault_lineno is None:
                result.triple_fault_lineno = lineno
            continue
        h = _HW_RE.match(line)
        if h:
            pending_hw = _int(h["v"])
            continue
        if _SMM_RE.match(line):
            in_dump = True
            continue
        if line:
            result.unknown.append((lineno, line))
    flush()
    log.debug("parsed QEMU log: %s", result.summary())
    return result


def parse_int_log(text: str) -> List[IntRecord]:
    """The interrupt/exception records of a ``-d int`` log, in order.

    Args:
        text: the whole log.

    Returns:
        ``parse(text).interrupts``.
    """
    return parse(text).interrupts


def parse_file(path: Union[str, Path]) -> QemuLog:
    """Read and parse a QEMU log file (bytes QEMU could not encode are replaced).

    Args:
        path: the ``-D`` file.

    Returns:
        The parsed log.

    Raises:
        OSError: if the file cannot be read.
    """
    text = Path(path).read_bytes().decode("utf-8", errors="replace")
    return parse(text)
