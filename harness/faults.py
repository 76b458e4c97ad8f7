"""The fault catalogue: every way a ring-3 program can try to cross into the kernel, and every
way the kernel itself can fail on purpose, as data (STYLE.md 13), plus the boot that runs it
and the check that proves each row with three witnesses (harness.witness).

Ring 3 (``CATALOGUE``): one row per program ``userland/f_NAME.c``; each program puts its
faulting instruction at the global symbol ``fault_insn`` (and ``fault_next`` right after it).
A row says what the CPU must do: vector, error code, where RIP and CR2 point, the signal the
kernel must kill with and the status a shell sees (Linux's, 128 + signal). Where QEMU 7.2 TCG
differs from the SDM, the row expects what QEMU does and ``tcg_deviation`` says what hardware
does and why (FACTS.md: "assert what QEMU does and say why it differs").

``boot_catalogue(cpu)`` runs EVERY row in one boot: ``f_all`` (pid 1) forks and execs each
``/f_*`` and reaps it, printing ``f_all: prog=f_hlt pid=3 status=139``; QEMU logs every
delivery (``-d int``); optionally gdb breaks at every exception stub and reads the pushed
frame. ``CatalogueRun.case(row)`` gathers one row's evidence; ``check_case`` asserts it.

Kernel mode (``CRASHES``): one row per ``crash=KIND`` kernel argument (kernel/crash.c), with the
outcome ``invoke boot`` must name; ``PanicReport`` reads the panic lines and symbolizes the
backtrace with images/kernel.elf.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from harness import constants as C
from harness import decode, lab, qemulog
from harness.decode import Signal
from harness.events import Event, Exit, Fault, Kill, Panic
from harness.qemu import QemuConfig
from harness.symbols import Symbolizer, symbolizer
from harness.verdict import Outcome
from harness.witness import (ANY, GDB, KERNEL, QEMU_LOG, Alignment, Evidence, Expected,
                             GdbFrame, align, bits_set, expect_fault, from_kernel, from_qemu,
                             in_range, qemu_fault_records, record_frames, same_as)

log = logging.getLogger(__name__)

KERNEL_DIR = C.REPO_ROOT / "kernel"
RUNNER = "f_all"
STRESS = "stress_faults"

_DEFINE_RE = re.compile(r"^#define\s+(\w+)\s+(0x[0-9a-fA-F]+|\d+)U?L?\b", re.M)


@lru_cache(maxsize=None)
def kernel_define(name: str, file: str = "include/mmu.h") -> int:
    """A numeric ``#define`` from the kernel's sources, so the catalogue never restates the
    memory map by hand (kernel/include/mmu.h is the source of truth).

    Raises:
        KeyError: no such define in that file.
    """
    text = (KERNEL_DIR / file).read_text()
    for m in _DEFINE_RE.finditer(text):
        if m.group(1) == name:
            return int(m.group(2), 0)
    raise KeyError(f"#define {name} not found in kernel/{file}")


def user_stack() -> Tuple[int, int]:
    """[bottom, top) of every process's fixed user stack (kernel/include/mmu.h)."""
    top = kernel_define("USER_STACK_TOP")
    return top - kernel_define("USER_STACK_PAGES") * kernel_define("PAGE_SIZE"), top


def kernel_text() -> int:
    """The kernel's first code byte: KERNBASE + KERNEL_PHYS (linker.ld's load address)."""
    return kernel_define("KERNBASE") + kernel_define("KERNEL_PHYS")


# ---------------------------------------------------------------------------------------------
# Where an address must point, resolved against the row's program

@dataclass(frozen=True)
class Sym:
    """The address of a symbol in the row's program (``fault_insn``, ``fault_next``)."""

    name: str

    def resolve(self, syms: Symbolizer) -> Expected:
        return syms.address(self.name)

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Const:
    """A fixed address (the kernel's text, the end of the user stack...)."""

    value: int
    what: str = ""

    def resolve(self, syms: Symbolizer) -> Expected:
        return self.value

    def __str__(self) -> str:
        return f"{self.value:#x}" + (f" ({self.what})" if self.what else "")


@dataclass(frozen=True)
class InUserStack:
    """Somewhere in the user stack (e.g. code the program put there)."""

    def resolve(self, syms: Symbolizer) -> Expected:
        lo, hi = user_stack()
        return in_range(lo, hi, "the user stack")

    def __str__(self) -> str:
        return "in the user stack"


@dataclass(frozen=True)
class SameAs:
    """Equal to another field of the same witness (CR2 == RIP for an instruction fetch)."""

    field: str

    def resolve(self, syms: Symbolizer) -> Expected:
        return same_as(self.field)

    def __str__(self) -> str:
        return f"= {self.field}"


Addr = Union[Sym, Const, InUserStack, SameAs]


def pf_error(*, p: bool = False, w: bool = False, u: bool = True, i: bool = False) -> int:
    """A #PF error code from its bits (SDM Vol. 3A 4.7, Figure 4-12)."""
    return ((decode.PF_P if p else 0) | (decode.PF_WR if w else 0)
            | (decode.PF_US if u else 0) | (decode.PF_ID if i else 0))


# ---------------------------------------------------------------------------------------------
# Ring 3

RFLAGS_TF = 1 << 8    # trap flag: single-step (SDM Vol. 1 3.4.3.3)
RFLAGS_AC = 1 << 18   # alignment check (SDM Vol. 1 3.4.3.3)


@dataclass(frozen=True)
class Row:
    """One ring-3 fault of the catalogue.

    Attributes:
        name: short id (test ids, messages).
        program: the userland program (images/user/PROGRAM).
        vector: the exception vector; None when the program must NOT fault (it exits).
        error: the error code (None for vectors that push none).
        rip: where the saved RIP points (kernel event and gdb's frame).
        signal: the signal the kernel kills with (Linux's for this fault); None: no signal.
        status: the status a shell (f_all) sees: 128 + signal, or the program's exit status.
        cr2: #PF only: where CR2 points.
        cpu: ``None`` (any CPU model), ``"qemu64"`` or ``"max"`` (SMEP/SMAP/UMIP).
        log_rip: where QEMU's -d int line puts RIP, when not ``rip`` (software interrupts
            log the ``int`` itself; the pushed frame holds the next instruction).
        rsp: optional claim on the saved RSP.
        rflags_set: RFLAGS bits that must be set in the saved RFLAGS.
        tcg_deviation: what the SDM/hardware does instead, and why QEMU 7.2 TCG differs.
        linux_status: what Linux on hardware gives, when ``status`` differs from it.
        kernel_issue: a known difference between ringlab's kernel and Linux that makes this
            row fail today (the test is then an expected failure that must start passing).
        what: one line for people: what the program does.
    """

    name: str
    program: str
    vector: Optional[int]
    error: Optional[int]
    rip: Optional[Addr]
    signal: Optional[Signal]
    status: int
    what: str = ""
    cr2: Optional[Addr] = None
    cpu: Optional[str] = None
    log_rip: Optional[Addr] = None
    rsp: Optional[Addr] = None
    rflags_set: int = 0
    tcg_deviation: str = ""
    linux_status: Optional[int] = None
    kernel_issue: str = ""

    @property
    def id(self) -> str:
        return self.name + (f"-{self.cpu}" if self.cpu else "")

    def runs_on(self, cpu: str) -> bool:
        return self.cpu is None or self.cpu == cpu

    def describe(self) -> str:
        """One line: program, expected fault, signal and status."""
        if self.vector is None:
            return f"{self.program}: no fault, exits {self.status}"
        err = "" if self.error is None else f"({self.error:#x})"
        cr2 = f" cr2={self.cr2}" if self.cr2 is not None else ""
        sig = self.signal.name if self.signal else "-"
        return (f"{self.program}: {decode.mnemonic(self.vector)}{err} rip={self.rip}{cr2} "
                f"-> {sig} {self.status}")


def _gp0(name: str, what: str, **kw) -> Row:
    return Row(name, f"f_{name}", decode.VECTOR_GP, 0, Sym("fault_insn"), Signal.SIGSEGV, 139,
               what=what, **kw)


def _pf(name: str, what: str, error: int, cr2: Addr, rip: Addr = Sym("fault_insn"), **kw) -> Row:
    return Row(name, f"f_{name}", decode.VECTOR_PF, error, rip, Signal.SIGSEGV, 139, what=what,
               cr2=cr2, **kw)


def _catalogue() -> Tuple[Row, ...]:
    ktext = Const(kernel_text(), "kernel text")
    stack_lo, _ = user_stack()
    int0e_sdm = decode.idt_error_code(0x0E)
    int0e_qemu = decode.idt_error_code(0x0E, qemu72_long_mode=True)
    return (
        # Privileged instructions at CPL 3: #GP(0) (SDM Vol. 3A 5.9 "Privileged Instructions").
        _gp0("hlt", "hlt"),
        _gp0("cli", "cli with IOPL 0 (CPL > IOPL)"),
        _gp0("lgdt", "lgdt"),
        _gp0("lidt", "lidt"),
        _gp0("cr0_read", "mov %cr0, %rax"),
        _gp0("cr3_write", "mov %rax, %cr3"),
        _gp0("wrmsr", "wrmsr IA32_LSTAR"),
        _gp0("invlpg", "invlpg"),
        _gp0("in", "inb from COM1 with IOPL 0 and no I/O bitmap"),
        _gp0("out", "outb to isa-debug-exit with IOPL 0 and no I/O bitmap"),
        # Descriptor tables: the kernel loads a null LDTR, so no ring-3 LDT call gate exists.
        Row("ldt_gate", "f_ldt_gate", decode.VECTOR_GP, 0x1004, Sym("fault_insn"),
            Signal.SIGSEGV, 139,
            what="lcall through LDT selector 0x1007 to a call gate the program wrote at 0x1000: "
                 "#GP(0x1004), the LDTR is null (never CPL 0)"),
        # Software interrupts.
        Row("int0e", "f_int0e", decode.VECTOR_GP, int0e_qemu, Sym("fault_insn"), Signal.SIGSEGV,
            139, what="int $0x0e through the DPL-0 #PF gate",
            tcg_deviation=f"SDM Vol. 3A 6.13: the error code names the IDT gate, "
                          f"(0x0e << 3) | 2 = {int0e_sdm:#x}; QEMU 7.2 TCG pushes 0x0e * 16 + 2 = "
                          f"{int0e_qemu:#x} in 64-bit mode (QEMU issue 1382, fixed in 8.0)"),
        Row("int3", "f_int3", decode.VECTOR_BP, None, Sym("fault_next"), Signal.SIGTRAP, 133,
            what="int3 (#BP is a trap: the frame holds the next instruction)",
            log_rip=Sym("fault_insn")),
        # Exceptions of ordinary instructions.
        Row("ud2", "f_ud2", decode.VECTOR_UD, None, Sym("fault_insn"), Signal.SIGILL, 132,
            what="ud2"),
        Row("div0", "f_div0", decode.VECTOR_DE, None, Sym("fault_insn"), Signal.SIGFPE, 136,
            what="divl by zero"),
        Row("popf_tf", "f_popf_tf", decode.VECTOR_DB, None, Sym("fault_next"), Signal.SIGTRAP,
            133, what="popf sets TF: #DB after the next instruction (a trap)",
            rflags_set=RFLAGS_TF),
        Row("ac", "f_ac", decode.VECTOR_UD, None, Sym("fault_next"), Signal.SIGILL, 132,
            what="AC=1, CR0.AM=1, misaligned 8-byte load, then ud2", rflags_set=RFLAGS_AC,
            linux_status=135,
            tcg_deviation="SDM Vol. 3A 6.15 (Interrupt 17): the misaligned load at fault_insn "
                          "raises #AC(0) and Linux sends SIGBUS (135); QEMU 7.2 TCG never checks "
                          "alignment, so the load runs and the ud2 at fault_next raises #UD "
                          "(SIGILL, 132). RFLAGS.AC is set in the frame: the check was armed"),
        # Memory.
        _pf("null", "read address 0", pf_error(), Const(0, "NULL")),
        _pf("kread", "read the kernel's text", pf_error(p=True), ktext),
        _pf("kwrite", "write the kernel's text", pf_error(p=True, w=True), ktext),
        _pf("wcode", "write the program's own code (R-X)", pf_error(p=True, w=True),
            Sym("fault_insn")),
        _pf("nxstack", "call into code on the NX stack", pf_error(p=True, i=True),
            SameAs("rip"), rip=InUserStack()),
        _pf("kjump", "jmp to the kernel's text", pf_error(p=True, i=True), ktext, rip=ktext),
        _gp0("noncanon", "read 0x0000800000000000 (non-canonical): #GP, not #PF"),
        _pf("stack", "push past the bottom of the 128 KiB user stack", pf_error(w=True),
            Const(stack_lo - 8, "below the user stack"),
            rsp=Const(stack_lo, "bottom of the user stack")),
        # UMIP (-cpu max): sgdt/sidt at CPL 3 are #GP(0); without it they leak kernel addresses.
        _gp0("sgdt", "sgdt with CR4.UMIP=1", cpu="max"),
        _gp0("sidt", "sidt with CR4.UMIP=1", cpu="max"),
        Row("sgdt", "f_sgdt", None, None, None, None, 0, cpu="qemu64",
            what="sgdt without UMIP: succeeds, prints the GDT's kernel address, exits 0"),
        Row("sidt", "f_sidt", None, None, None, None, 0, cpu="qemu64",
            what="sidt without UMIP: succeeds, prints the IDT's kernel address, exits 0"),
    )


CATALOGUE: Tuple[Row, ...] = _catalogue()
CPUS = ("qemu64", "max")


def rows_for(cpu: str) -> List[Row]:
    return [r for r in CATALOGUE if r.runs_on(cpu)]


def programs_for(cpu: str) -> List[str]:
    """The catalogue programs a boot on ``cpu`` runs (sorted, as f_all runs them)."""
    return sorted({r.program for r in rows_for(cpu)})


def format_table(rows: Sequence[Row] = CATALOGUE) -> str:
    """The catalogue as a text table (README, ``python -m harness.faults``)."""
    out = [f"{'row':14} {'cpu':7} {'program':12} expectation"]
    for r in rows:
        out.append(f"{r.name:14} {r.cpu or 'any':7} {r.program:12} {r.describe()}")
        for note in (r.tcg_deviation and "TCG: " + r.tcg_deviation,
                     r.kernel_issue and "kernel: " + r.kernel_issue):
            if note:
                out.append(" " * 36 + note)
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------
# One boot running every row

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
        symbols: the program's symbol table.
    """

    row: Row
    pid: Optional[int]
    status: Optional[int]
    kill: Optional[Kill]
    exit: Optional[Exit]
    evidence: Evidence
    symbols: Symbolizer
    context: str = ""

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

    @property
    def witnesses(self) -> Tuple[str, ...]:
        return (KERNEL, QEMU_LOG) + ((GDB,) if self.frames is not None else ())

    def case(self, row: Row) -> Case:
        """The evidence for ``row`` (which must run on this boot's CPU)."""
        if not row.runs_on(self.cpu):
            raise ValueError(f"row {row.id} does not run on -cpu {self.cpu}")
        syms = symbolizer(C.USER_IMAGES_DIR / row.program)
        pid, status = self.statuses.get(row.program, (None, None))
        ends = [e for e in self.run.events if isinstance(e, (Kill, Exit)) and e.pid == pid]
        kill = next((e for e in ends if isinstance(e, Kill)), None)
        exit_ = next((e for e in ends if isinstance(e, Exit)), None)
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
        ev = Evidence(kernel, qemu, gdb, collected=self.witnesses,
                      label=f"{row.id} ({row.program}, -cpu {self.cpu})", notes=notes)
        return Case(row, pid, status, kill, exit_, ev, syms,
                    context=self.run.report(console_lines=12))


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
    """The machine for a catalogue boot: f_all as init, the programs as files, -d int."""
    programs = programs_for(cpu) if programs is None else programs
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
        from harness.gdb import DebugMachine  # the gdb layer is optional for this module
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
    faults = [e for e in run.events if isinstance(e, Fault)]
    ksight = [from_kernel(f) for f in faults]
    qalign = align(ksight, [from_qemu(r) for r in qemu_fault_records(qlog.interrupts)])
    galign = align(ksight, [f.sighting() for f in frames]) if frames is not None else None
    statuses, done = _statuses(run.user_lines)
    return CatalogueRun(cpu, run, qlog, frames, statuses, faults, qalign, galign, done)


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
                         cr2=case.resolve(row.cr2) if row.cr2 is not None else ANY,
                         rsp=case.resolve(row.rsp), rflags=rflags,
                         log_rip=case.resolve(row.log_rip) if row.log_rip else None)
        except AssertionError as err:
            problems.append(str(err))
        if row.signal is not None and (case.kill is None or case.kill.signal != row.signal):
            problems.append(f"expected `kill pid={case.pid} signal={int(row.signal)}` "
                            f"({row.signal.name}), got "
                            f"{case.kill.line if case.kill else 'no kill event'}")
    if case.status != row.status:
        problems.append(f"f_all saw status {case.status}, expected {row.status}"
                        + (f" (Linux on hardware: {row.linux_status})" if row.linux_status else ""))
    if problems:
        raise AssertionError(f"{row.id}: {row.describe()}\n" + "\n".join(problems)
                             + "\n\n" + case.context)


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
            + f" at {case.symbols.describe(k.rip)}"
            + ("" if k.cr2 is None else f" cr2={k.cr2:#x}"))
        lines.append(f"  {mark:5} {row.id:14} {seen:42} status={case.status}")
        if row.tcg_deviation:
            lines.append(f"        {'':14} TCG: {row.tcg_deviation}")
        if row.kernel_issue:
            lines.append(f"        {'':14} kernel: {row.kernel_issue}")
        if err and (verbose or not row.kernel_issue):
            details.append(err.split("\n\n" + case.context)[0])
    return lines + details, failed


# ---------------------------------------------------------------------------------------------
# Kernel mode: crash=KIND

@dataclass(frozen=True)
class Crash:
    """One ``crash=KIND`` boot (kernel/crash.c) and what it must produce.

    Attributes:
        kind: the crash= value.
        cpu: the CPU model it needs.
        outcome: what ``invoke boot`` names (never a success).
        vector: the ring-0 exception the kernel reports (None: no fault event).
        error: its error code.
        rip: where RIP must be: ``"target"`` (the user address of the crash line), or a
            kernel function name the RIP must be inside.
        cr2: ``"target"``, an int, or ``"guard"`` (pid 1's kernel-stack guard page).
        backtrace: kernel functions the symbolized backtrace must name.
        reason: the panic reason (None: no panic line, e.g. a triple fault).
        what: one line for people.
    """

    kind: str
    cpu: str
    outcome: Outcome
    vector: Optional[int]
    error: Optional[int]
    rip: Optional[str]
    cr2: Union[None, int, str]
    backtrace: Tuple[str, ...]
    reason: Optional[str]
    what: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.cpu}"

    @property
    def exit_status(self) -> int:
        from harness.verdict import OUTCOME_EXIT_STATUS
        return OUTCOME_EXIT_STATUS[self.outcome]


CRASHES: Tuple[Crash, ...] = (
    Crash("null", "qemu64", Outcome.PANIC, decode.VECTOR_PF, pf_error(u=False), "crash_maybe", 0,
          ("syscall_dispatch",), "kernel-fault",
          what="ring-0 read of address 0: #PF error 0x0 (supervisor read, not present)"),
    Crash("stack", "qemu64", Outcome.DOUBLE_FAULT, decode.VECTOR_DF, 0, "recurse", "guard",
          ("recurse",), "kernel-double-fault",
          what="kernel stack overflow into its guard page: the #PF cannot push its frame, "
               "so #DF, taken on the IST1 stack"),
    Crash("smep", "max", Outcome.PANIC, decode.VECTOR_PF, pf_error(p=True, u=False, i=True),
          "target", "target", (), "kernel-fault",
          what="ring 0 calls init's code: SMEP #PF error 0x11 (P, I/D), RIP = CR2 = user page"),
    Crash("smap", "max", Outcome.PANIC, decode.VECTOR_PF, pf_error(p=True, u=False), "crash_maybe",
          "target", ("syscall_dispatch",), "kernel-fault",
          what="ring 0 reads init's stack without stac: SMAP #PF error 0x1 (P, read)"),
    Crash("smep", "qemu64", Outcome.PANIC, None, None, None, None, (), "crash-survived",
          what="no SMEP on qemu64: the call into user code returns; the kernel says so"),
    Crash("smap", "qemu64", Outcome.PANIC, None, None, None, None, (), "crash-survived",
          what="no SMAP on qemu64: the read succeeds; the kernel says so"),
    Crash("triple", "qemu64", Outcome.TRIPLE_FAULT, None, None, None, None, (), None,
          what="empty IDT, then a fault: no gate for the #PF nor the #DF: triple fault, "
               "QEMU exits 0"),
)


def kernel_stack_guard(slot: int = 0) -> Tuple[int, int]:
    """[lo, hi) of the unmapped guard page below process slot ``slot``'s kernel stack
    (kernel/include/mmu.h: each slot is KSTACK_SLOT_PAGES pages, the first one a guard)."""
    base = kernel_define("KSTACK_BASE")
    lo = base + slot * kernel_define("KSTACK_SLOT_PAGES") * kernel_define("PAGE_SIZE")
    return lo, lo + kernel_define("PAGE_SIZE")


@dataclass
class PanicReport:
    """The kernel's panic lines, parsed.

    Attributes:
        crash: ``ringlab: crash kind=K [target=0x..]``.
        fault: the ring-0 ``fault`` event.
        regs: every ``panic-regs`` field (rax..r15, cr0, cr2, cr3, cr4).
        backtrace: the raw return addresses of ``panic-backtrace``.
        panic: the ``panic`` event.
    """

    crash: Optional[Event]
    fault: Optional[Fault]
    regs: Dict[str, int]
    backtrace: List[int]
    panic: Optional[Panic]

    @classmethod
    def from_events(cls, events: Sequence[Event]) -> "PanicReport":
        crash = next((e for e in events if e.kind == "crash"), None)
        fault = next((e for e in events if isinstance(e, Fault) and e.cpl == 0), None)
        regs: Dict[str, int] = {}
        bt: List[int] = []
        for e in events:
            if e.kind == "panic-regs":
                regs.update({k: v for k, v in e.fields.items() if isinstance(v, int)})
            elif e.kind == "panic-backtrace":
                bt = [int(w, 16) for w in e.words if w.startswith("0x")]
        panic = next((e for e in events if isinstance(e, Panic)), None)
        return cls(crash, fault, regs, bt, panic)

    @property
    def target(self) -> Optional[int]:
        t = self.crash.get("target") if self.crash else None
        return t if isinstance(t, int) else None

    def symbolized(self, kernel: Path = C.KERNEL_IMAGE) -> List[str]:
        return symbolizer(kernel).backtrace(self.backtrace)

    def describe(self, kernel: Path = C.KERNEL_IMAGE) -> str:
        """The report as a person reads it: fault, decoded error, CR2, RIP's function,
        the symbolized backtrace."""
        sym = symbolizer(kernel)
        out = []
        if self.fault:
            f = self.fault
            out.append(f"{decode.mnemonic(f.vector)} in ring 0 at {sym.describe(f.rip)} "
                       f"(rip={f.rip:#x})")
            if decode.has_error_code(f.vector):
                out.append(f"error {f.error:#x}: {decode.describe_error(f.vector, f.error)}")
        if "cr2" in self.regs:
            out.append(f"cr2={self.regs['cr2']:#x}")
        if self.backtrace:
            out.append("backtrace: " + " <- ".join(self.symbolized(kernel)))
        if self.panic:
            out.append(f"panic reason={self.panic.reason}")
        return "\n".join(out)


def crash_config(crash: Crash) -> QemuConfig:
    return QemuConfig(append=f"crash={crash.kind}", cpu=crash.cpu, int_log=True)


if __name__ == "__main__":  # python -m harness.faults: print the catalogue
    print(format_table())
