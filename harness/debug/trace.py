"""``invoke trace``: the timeline of every ring transition of a run, witnessed by gdb.

gdb stops the machine at the four places where the CPU crosses the user/kernel boundary in
ringlab's kernel, reads the registers and the frame there, and lets it go on:

- ``syscall_entry`` (MSR_LSTAR): 3->0 by ``syscall``; RAX = number, RCX = user return RIP.
- ``alltraps`` (every vectorN stub jumps there): the stub has pushed the vector and an error
  code on top of the CPU's frame, so [rsp] = vector, error, RIP, CS, RFLAGS, RSP, SS. When the
  saved CS has RPL 3 this is a 3->0 entry through the IDT (``int 0x80``, an exception or an
  interrupt); entered through the vector's stub, ``vectorN``.
- the ``sysretq`` at the end of ``sysret_path``: 0->3; RCX = the user RIP it returns to.
- the ``iretq`` at the end of ``trapret``: 0->3 when the frame's CS has RPL 3 (every
  process's first entry to ring 3 is this iretq); 0->0 otherwise (an interrupt taken in
  the kernel returning), which is not a ring change and is not listed.

"user rip" is the user instruction involved: the ``syscall`` or ``int`` instruction, the
faulting instruction, the instruction an interrupt preempted, or where ring 3 resumes. For
entries through the IDT it is what QEMU's ``-d int`` log prints as IP, so the two agree
line by line (``compare_with_qemu_log``).
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Optional, TextIO, Tuple

from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from ..core.errors import BadImage, GdbError, TargetExited
from ..machine.qemu import QemuConfig
from ..machine.symbols import symbolizer
from ..observe import decode, qemulog
from .gdbext.ringfmt import cpl_of
from .machine import DebugMachine

log = logging.getLogger(__name__)

DEFAULT_TRACE_TIMEOUT_S = 120.0
INT80_VECTOR = 0x80
INT_IMM8_LEN = 2              # `int imm8` is CD ib
SYSCALL_LEN = 2               # `syscall` is 0F 05
TIMER_VECTOR = 32
#: registers read at every stop (pipelined behind the continue)
_READ = ("rax", "rcx", "rsp", "cr3")
#: kernel/include/traps.h names for the vectors that are not exceptions
_IRQ_NAMES = {32: "timer", 36: "com1", 39: "spurious"}


@dataclass
class Transition:
    """One ring change in the timeline.

    Attributes:
        number: 1-based position in the timeline.
        direction: ``"3->0"`` or ``"0->3"``.
        kind: ``syscall``, ``int80``, ``exception``, ``interrupt``, ``sysretq`` or ``iretq``.
        cause: human text, e.g. ``syscall 1 write``, ``exception 13 #GP error=0x0``.
        user_rip: the user instruction involved (see the module docstring).
        user_symbol: ``user_rip`` as ``symbol+offset`` in the init program, or "".
        kernel_symbol: where the kernel was entered (``syscall_entry``, ``vector32``) or the
            instruction that left it (``sysret_path+51``).
        vector: the IDT vector for int80/exception/interrupt.
        error: the error code on the frame (0 when the vector pushes none).
        syscall_nr, syscall_name: for ``syscall`` and ``int80``.
        frame_rip: the RIP saved by the CPU (return address) for IDT entries.
        user_rsp: the user stack pointer.
        cr3: the address space.
        pid: the kernel's current process (``cpu0.current->pid``, kernel/include/percpu.h), if readable.
        first_entry: an iretq into a (pid, address space) not seen in ring 3 before: a
            process's first entry, or the first after an execve.
    """

    number: int
    direction: str
    kind: str
    cause: str
    user_rip: int
    user_symbol: str = ""
    kernel_symbol: str = ""
    vector: Optional[int] = None
    error: Optional[int] = None
    syscall_nr: Optional[int] = None
    syscall_name: Optional[str] = None
    frame_rip: Optional[int] = None
    user_rsp: Optional[int] = None
    cr3: Optional[int] = None
    pid: Optional[int] = None
    first_entry: bool = False

    def row(self) -> str:
        where = f"{self.user_rip:#x}" + (f" <{self.user_symbol}>" if self.user_symbol else "")
        pid = "" if self.pid is None else str(self.pid)
        return (f"{self.number:4d}  {pid:>3}  {self.direction}  {self.cause:<32} {where:<36} "
                f"{self.kernel_symbol}")


HEADER = f"{'#':>4}  {'pid':>3}  ring  {'cause':<32} {'user rip':<36} kernel"


@dataclass
class Trace:
    """A run's timeline and how the run ended."""

    transitions: List[Transition]
    run: object                      # lab.Run
    stops: int = 0
    duration_s: float = 0.0
    qemu_log: str = ""

    def syscalls(self) -> List[str]:
        """The names of the system calls in order (``syscall`` and ``int 0x80`` alike)."""
        return [t.syscall_name for t in self.transitions if t.kind in ("syscall", "int80")]

    def entries(self) -> List[Transition]:
        return [t for t in self.transitions if t.direction == "3->0"]


# -----------------------------------------------------------------------------------------
# Symbols from the ELF files (pyelftools): the kernel's own system-call names, user symbols.

def _vaddr_reader(elf: ELFFile):
    segments = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]

    def read(vaddr: int, size: int) -> bytes:
        for seg in segments:
            if seg["p_vaddr"] <= vaddr < seg["p_vaddr"] + seg["p_filesz"]:
                off = vaddr - seg["p_vaddr"]
                return seg.data()[off:off + size]
        return b""
    return read


def kernel_syscall_names(kernel: Path) -> Dict[int, str]:
    """The system-call names of the kernel's own table (``syscalls[]`` in kernel/syscall.c:
    16-byte entries ``{const char *name; fn}``), read from images/kernel.elf.

    Returns an empty dict if the table is not there (the trace then prints numbers).
    """
    names: Dict[int, str] = {}
    with open(kernel, "rb") as fh:
        elf = ELFFile(fh)
        symtab = elf.get_section_by_name(".symtab")
        if not isinstance(symtab, SymbolTableSection):
            return names
        syms = symtab.get_symbol_by_name("syscalls") or []
        if not syms:
            return names
        sym = syms[0]
        read = _vaddr_reader(elf)
        table = read(sym["st_value"], sym["st_size"])
        for nr in range(len(table) // 16):
            ptr = int.from_bytes(table[nr * 16:nr * 16 + 8], "little")
            if ptr:
                raw = read(ptr, 64)
                names[nr] = raw.split(b"\0", 1)[0].decode("ascii", "replace")
    return names


def user_symbolizer(path: Optional[Path]) -> Callable[[int], str]:
    """``address -> "symbol+offset"`` (decimal offset, nearest label or function) in the init
    program; "" where none holds it or the program has no symbol table (harness.machine.symbols)."""
    try:
        table = symbolizer(path) if path is not None else None
    except BadImage:
        table = None

    def describe(addr: int) -> str:
        found = table.nearest(addr) if table is not None else None
        if not found:
            return ""
        name, off = found
        return f"{name}+{off}" if off else name
    return describe


# -----------------------------------------------------------------------------------------

def cause_of_vector(vector: int, error: int, syscall: str = "") -> Tuple[str, str]:
    """(kind, cause text) for an IDT entry from ring 3."""
    if vector == INT80_VECTOR:
        return "int80", f"int 0x80 {syscall}".rstrip()
    if vector < decode.FIRST_USER_VECTOR:
        text = f"exception {vector} {decode.mnemonic(vector)}"
        if decode.has_error_code(vector):
            text += f" error={error:#x}"
        return "exception", text
    return "interrupt", f"interrupt {vector} {_IRQ_NAMES.get(vector, 'irq')}"


def trace(config: QemuConfig, *, timeout_s: float = DEFAULT_TRACE_TIMEOUT_S,
          stream: Optional[TextIO] = None, on_transition=None) -> Trace:
    """Run ``config`` under gdb and record every ring transition.

    Args:
        config: what to boot (``int_log=True`` to keep QEMU's ``-d int`` log for comparison).
        timeout_s: bound for the whole run.
        stream: the serial console is written there as it arrives (None: kept only).
        on_transition: called with each Transition as it is recorded.

    Returns:
        the Trace (transitions, the lab Run with the verdict, the QEMU log).

    Raises:
        ToolMissing, BadImage, BadConfig: before anything starts.
        BreakpointNotHit: the run did not end within ``timeout_s``.
    """
    t0 = time.monotonic()
    transitions: List[Transition] = []
    seen_spaces = set()

    current_pid = "cpu0.current->pid"

    def pid() -> Optional[int]:
        nonlocal current_pid
        if current_pid is None:
            return None
        try:
            return dm.gdb.evaluate(current_pid)
        except GdbError:                 # a kernel without that variable: no pid column
            current_pid = None
            return None

    def add(**kw) -> None:
        t = Transition(number=len(transitions) + 1, pid=pid(), **kw)
        t.user_symbol = user_sym(t.user_rip)
        transitions.append(t)
        if on_transition:
            on_transition(t)

    def sysname(nr: int) -> str:
        return names.get(nr, f"nr{nr}")

    dm = DebugMachine(config, stream=stream, extension=False)
    stops = 0
    with dm:
        g = dm.gdb
        # the very files QEMU booted and gdb loaded (DebugMachine's snapshot)
        names = kernel_syscall_names(Path(dm.config.kernel))
        user_sym = user_symbolizer(Path(dm.config.init))
        entry_syscall = g.address_of("syscall_entry")
        entry_trap = g.address_of("alltraps")
        sysretq, sysretq_sym = g.find_instruction("sysret_path", "sysretq")
        iretq, iretq_sym = g.find_instruction("trapret", "iretq")
        for addr in (entry_syscall, entry_trap, sysretq, iretq):
            g.break_at(addr)
        deadline = t0 + timeout_s
        previous = None
        while True:
            try:
                stop = g.cont(timeout_s=max(0.0, deadline - time.monotonic()),
                              what="the end of the run", read=_READ)
            except TargetExited:
                break
            stops += 1
            r = stop.registers
            # Every path from one of these breakpoints back to the same one passes another
            # (entry -> exit -> entry), so the same breakpoint twice in a row with the same
            # stack is not a second event: gdb re-reported a stop that made no progress
            # (seen under load; harness/witness.py steps off for the same reason).
            if (stop.rip, r["rsp"]) == previous:
                log.info("phantom repeat stop at %#x skipped", stop.rip)
                continue
            previous = (stop.rip, r["rsp"])
            if stop.rip == entry_syscall:
                add(direction="3->0", kind="syscall",
                    cause=f"syscall {r['rax']} {sysname(r['rax'])}",
                    user_rip=r["rcx"] - SYSCALL_LEN, kernel_symbol="syscall_entry",
                    syscall_nr=r["rax"], syscall_name=sysname(r["rax"]),
                    frame_rip=r["rcx"], user_rsp=r["rsp"], cr3=r["cr3"])
            elif stop.rip == entry_trap:
                vector, error, rip, cs, _rflags, rsp = g.read_u64s(r["rsp"], 6)
                if cpl_of(cs) != 3:
                    continue            # an interrupt or fault in the kernel: no ring change
                nr = r["rax"] if vector == INT80_VECTOR else None
                kind, cause = cause_of_vector(vector, error,
                                              f"{nr} {sysname(nr)}" if nr is not None else "")
                add(direction="3->0", kind=kind, cause=cause,
                    user_rip=rip - INT_IMM8_LEN if vector == INT80_VECTOR else rip,
                    kernel_symbol=f"vector{vector}", vector=vector, error=error,
                    syscall_nr=nr, syscall_name=sysname(nr) if nr is not None else None,
                    frame_rip=rip, user_rsp=rsp, cr3=r["cr3"])
            elif stop.rip == sysretq:
                seen_spaces.add((pid(), r["cr3"]))
                add(direction="0->3", kind="sysretq", cause="sysretq", user_rip=r["rcx"],
                    kernel_symbol=sysretq_sym, cr3=r["cr3"])
            elif stop.rip == iretq:
                rip, cs, _rflags, rsp, _ss = g.read_u64s(r["rsp"], 5)
                if cpl_of(cs) != 3:
                    continue
                space = (pid(), r["cr3"])       # a new process, or a new image (execve)
                first = space not in seen_spaces
                seen_spaces.add(space)
                add(direction="0->3", kind="iretq",
                    cause="iretq (first entry)" if first else "iretq", user_rip=rip,
                    kernel_symbol=iretq_sym, user_rsp=rsp, cr3=r["cr3"], first_entry=first)
            else:
                raise GdbError(f"stopped at {stop.rip:#x} ({stop.reason}), not at a "
                               "breakpoint of the trace")
        run = dm.finish(timeout_s=max(1.0, deadline - time.monotonic()))
    return Trace(transitions, run, stops, time.monotonic() - t0, run.log)


def compare_with_qemu_log(tr: Trace, log_text: str) -> List[str]:
    """Where the trace and QEMU's ``-d int`` log disagree (empty list: they agree).

    QEMU logs every delivery through the IDT, with the CPL it came from; ``syscall`` and
    ``sysret`` produce no line (FACTS.md). So the trace's IDT entries from ring 3 must be,
    one for one and in order, the log's records with ``cpl=3``: same vector, same error
    code, same RIP.
    """
    records = qemulog.parse(log_text).interrupts
    theirs = []
    for i, r in enumerate(records):
        if r.cpl != 3:
            continue
        # QEMU logs a software `int n` before it checks the gate's DPL; through a DPL-0
        # gate the next line is the #GP that check raised (error code naming the gate,
        # SDM form or QEMU 7.2's). Only that #GP enters the kernel: skip the attempt.
        nxt = records[i + 1] if i + 1 < len(records) else None
        if (r.software and nxt is not None and nxt.vector == decode.VECTOR_GP
                and nxt.cpl == 3 and nxt.rip == r.rip
                and nxt.error in (decode.idt_error_code(r.vector),
                                  decode.idt_error_code(r.vector, qemu72_long_mode=True))):
            continue
        theirs.append(r)
    ours = [t for t in tr.transitions if t.direction == "3->0" and t.vector is not None]
    problems = []
    if len(theirs) != len(ours):
        problems.append(f"{len(ours)} IDT entries from ring 3 in the trace, "
                        f"{len(theirs)} cpl=3 records in QEMU's log")
    for t, r in zip(ours, theirs):
        if (t.vector, t.error, t.user_rip) != (r.vector, r.error, r.rip):
            problems.append(f"trace #{t.number} vector={t.vector} error={t.error:#x} "
                            f"rip={t.user_rip:#x} vs log line {r.lineno} v={r.vector:#x} "
                            f"e={r.error:#x} rip={r.rip:#x}")
    return problems
