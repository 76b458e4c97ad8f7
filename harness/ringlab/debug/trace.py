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

A fifth breakpoint, on the kernel's ``signal_delivered`` (kernel/signal.c: RDI = pid, RSI =
signal, RDX = handler), marks a signal delivery: the kernel has pushed a signal frame, and
the next return to ring 3 enters the handler instead of the interrupted code. That return is
listed as kind ``delivery`` (``signal SIGALRM -> handler``); the return from the
``rt_sigreturn`` system call, back into the interrupted code, as kind ``sigreturn``.

The ``cs`` column is the user code selector and what it means: ``0x33 user64`` (64-bit
mode) or ``0x23 user32`` (compatibility mode: a 32-bit program; the ABI file's USER32_CS).
A ``syscall`` to MSR_LSTAR comes from 64-bit mode only and ``sysretq`` returns to it; the
IDT entries and ``iretq`` read CS from the frame. Compatibility mode's own fast entries are traced too:
``entry_SYSCALL_compat`` (MSR_CSTAR: ``syscall`` from 32-bit code; RCX = the return EIP) and
``entry_SYSENTER_compat`` (``sysenter``, which saves no EIP: its user rip is shown as 0), kinds
``syscall32`` and ``sysenter``; both return through ``trapret``'s ``iretq``. An ``int 0x80`` is
named with the i386 table (images/kabi.json ``syscalls32``), its addresses with its ELF32 symbols;
one made inside the 32-bit vDSO's ``__kernel_vsyscall`` is named there (images/vdso32.so)
and ``caller`` names the program's instruction after its call (the return address
``__kernel_vsyscall`` finds above the three registers it pushed, kernel/vdso/vdso32.S).

"user rip" is the user instruction involved: the ``syscall`` or ``int`` instruction, the
faulting instruction, the instruction an interrupt preempted, or where ring 3 resumes. For
entries through the IDT it is what QEMU's ``-d int`` log prints as IP, so the two agree
line by line (``compare_with_qemu_log``).

``Tracer`` holds one traced run and has one method per crossing kind (``syscall``,
``compat_entry``, ``idt_entry``, ``sysretq``, ``iretq``, ``signal_delivered``), each called at
its breakpoint; ``trace(config)`` is ``Tracer(config).run()``.
"""
from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Set, TextIO, Tuple

from ..core import kabi
from ..core.errors import (BadImage, BreakpointNotHit, GdbCommandError, GdbError, KabiError,
                           MemoryReadError, TargetExited)
from ..machine.qemu import QemuConfig
from ..machine.symbols import Symbolizer, symbolizer
from ..observe import decode, qemulog
from ..observe.symname import symbol_offset
from .gdbext.ringfmt import cpl_of, mode_of, selector_modes
from .machine import DebugMachine

log = logging.getLogger(__name__)

DEFAULT_TRACE_TIMEOUT_S = 120.0
INT_IMM8_LEN = 2              # `int imm8` is CD ib
SYSCALL_LEN = 2               # `syscall` is 0F 05
#: registers read at every stop (pipelined behind the continue)
_READ = ("rax", "rcx", "rsp", "cr3")
#: the trap-frame words from ``vector`` on: what alltraps finds on the stack
_STUB_FRAME = ("vector", "error", "rip", "cs", "rflags", "rsp", "ss")
#: the CPU's frame: what the iretq pops
_CPU_FRAME = ("rip", "cs", "rflags", "rsp", "ss")
#: the kinds of transition that are system calls
SYSCALL_KINDS = ("syscall", "int80", "syscall32", "sysenter")
VDSO32_FILE = "vdso32.so"     # the 32-bit vDSO's symbol file, beside the kernel (kernel/Makefile)
VSYSCALL_ENTRY = "__kernel_vsyscall"
#: bytes __kernel_vsyscall pushes (ECX, EDX, EBP) above its caller's return address before its
#: `int $0x80` (kernel/vdso/vdso32.S, as Linux's arch/x86/entry/vdso/vdso32/system_call.S)
VSYSCALL_PUSHED = 12


@dataclass(frozen=True)
class KernelFacts:
    """What the trace needs to know about the kernel, from its ABI file (images/kabi.json).

    Attributes:
        syscalls: number -> name (the x86-64 table: ``syscall``).
        int80: the vector of the ``int 0x80`` gate.
        irqs: vector -> name of the vectors that are not exceptions (timer, com1, spurious).
        stub_frame: trap-frame field -> word index from the ``vector`` field (alltraps).
        cpu_frame: field -> word index of the frame ``iretq`` pops.
        pid_expression: the gdb expression for the running process's pid.
        name_expression: the gdb expression for its program's base name.
        syscalls32: i386 number -> name (the table ``int 0x80`` uses, as Linux's IA32
            emulation: EAX selects the call).
        modes: CS value -> ``user32``, ``user64``, ``kernel`` (ringfmt.selector_modes).
        user_cs: the 64-bit user CS (``syscall``/``sysretq``'s, USER_CS).
        user32_cs: the 32-bit user CS (compatibility mode's ``syscall``/``sysenter``, USER32_CS).
        vdso32: [start, end) of the 32-bit vDSO in a 32-bit process (VDSO32_ADDR).
    """

    syscalls: Dict[int, str]
    int80: int
    irqs: Dict[int, str]
    stub_frame: Dict[str, int]
    cpu_frame: Dict[str, int]
    pid_expression: str
    name_expression: str
    syscalls32: Dict[int, str] = field(default_factory=dict)
    modes: Dict[int, str] = field(default_factory=dict)
    user_cs: Optional[int] = None
    user32_cs: Optional[int] = None
    vdso32: Tuple[int, int] = (0, 0)

    @classmethod
    def of(cls, k: kabi.Kabi) -> "KernelFacts":
        """Raises KabiError if the ABI file lacks any of it."""
        def words(fields: Tuple[str, ...]) -> Dict[str, int]:
            base = k.offset("trapframe", fields[0])
            return {f: (k.offset("trapframe", f) - base) // 8 for f in fields}
        return cls(syscalls=dict(k.syscalls), int80=k.const("T_INT80"),
                   irqs={k.const("T_TIMER"): "timer", k.const("T_COM1"): "com1",
                         k.const("T_SPURIOUS"): "spurious"},
                   stub_frame=words(_STUB_FRAME), cpu_frame=words(_CPU_FRAME),
                   pid_expression=k.gdb("current_pid"),
                   name_expression=k.gdb("current_name"), syscalls32=dict(k.syscalls32),
                   modes=selector_modes(k.constants), user_cs=k.const("USER_CS"),
                   user32_cs=k.const("USER32_CS"),
                   vdso32=(k.const("VDSO32_ADDR"), k.const("VDSO32_ADDR")
                           + k.const("VDSO_PAGES") * k.const("PAGE_SIZE")))

    def mode(self, cs: Optional[int]) -> str:
        """``user32`` / ``user64`` / ``kernel`` (or ``cplN``) for ``cs``; "" if unknown."""
        return "" if cs is None else mode_of(cs, self.modes)

    def sysname(self, nr: int) -> str:
        return self.syscalls.get(nr, f"nr{nr}")

    def sysname32(self, nr: int) -> str:
        """The i386 call EAX = ``nr`` names (``int 0x80``); ``i386:nrN`` if none."""
        return self.syscalls32.get(nr & 0xFFFFFFFF, f"i386:nr{nr & 0xFFFFFFFF}")


@dataclass
class Transition:
    """One ring change in the timeline.

    Attributes:
        number: 1-based position in the timeline.
        direction: ``"3->0"`` or ``"0->3"``.
        kind: ``syscall``, ``int80``, ``syscall32`` / ``sysenter`` (from compatibility mode),
            ``exception``, ``interrupt``, ``sysretq``, ``iretq``,
            ``delivery`` (a return to ring 3 that enters a signal handler) or ``sigreturn``
            (the return of ``rt_sigreturn`` into the interrupted code).
        cause: human text, e.g. ``syscall 1 write``, ``exception 13 #GP error=0x0``.
        user_rip: the user instruction involved (see the module docstring).
        user_symbol: ``user_rip`` as ``symbol+offset`` in the running process's program
            (its name as the kernel holds it, set by execve), or "".
        kernel_symbol: where the kernel was entered (``syscall_entry``, ``vector32``) or the
            instruction that left it (``sysret_path+51``).
        vector: the IDT vector for int80/exception/interrupt.
        error: the error code on the frame (0 when the vector pushes none).
        syscall_nr, syscall_name: for ``syscall`` and ``int80``.
        frame_rip: the RIP saved by the CPU (return address) for IDT entries.
        user_rsp: the user stack pointer.
        cr3: the address space.
        pid: the running process (the kernel ABI's ``current_pid`` expression), None when
            no process is running.
        first_entry: an iretq into a (pid, address space) not seen in ring 3 before: a
            process's first entry, or the first after an execve.
        cs: the user code selector (see the module docstring), None if not known.
        mode: what it means: ``user32`` (compatibility mode, 0x23) or ``user64`` (0x33).
        caller: for an ``int 0x80`` in the 32-bit vDSO's ``__kernel_vsyscall``: the
            program's return address from it, as ``symbol+offset`` (its ELF32 symbols).
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
    cs: Optional[int] = None
    mode: str = ""
    caller: str = ""

    def row(self) -> str:
        where = f"{self.user_rip:#x}" + (f" <{self.user_symbol}>" if self.user_symbol else "")
        pid = "" if self.pid is None else str(self.pid)
        cs = "" if self.cs is None else f"{self.cs:#x} {self.mode}".rstrip()
        return (f"{self.number:4d}  {pid:>3}  {self.direction}  {cs:<11}  {self.cause:<32} "
                f"{where:<36} {self.kernel_symbol}"
                + (f" caller=<{self.caller}>" if self.caller else ""))


HEADER = f"{'#':>4}  {'pid':>3}  ring  {'cs':<11}  {'cause':<32} {'user rip':<36} kernel"


@dataclass
class Trace:
    """A run's timeline and how the run ended."""

    transitions: List[Transition]
    run: object                      # lab.Run
    stops: int = 0
    duration_s: float = 0.0
    qemu_log: str = ""

    def syscalls(self) -> List[str]:
        """The names of the system calls in order (``syscall``, ``int 0x80`` and the
        compatibility-mode ``syscall``/``sysenter`` alike)."""
        return [t.syscall_name for t in self.transitions if t.kind in SYSCALL_KINDS]

    def entries(self) -> List[Transition]:
        return [t for t in self.transitions if t.direction == "3->0"]


# -----------------------------------------------------------------------------------------
# User symbols from the init program (harness.machine.symbols).

def vdso32_symbolizer(kernel: Path, facts: KernelFacts) -> Callable[[int], str]:
    """``address -> "symbol+offset"`` inside a 32-bit process's vDSO (``facts.vdso32``),
    from images/vdso32.so beside ``kernel`` (linked at 0); "" elsewhere or without it."""
    start, end = facts.vdso32
    describe = user_symbolizer(Path(kernel).parent / VDSO32_FILE)

    def name(addr: int) -> str:
        return describe(addr - start) if start <= addr < end else ""
    return name


def user_symbolizer(path: Optional[Path]) -> Callable[[int], str]:
    """``address -> "symbol+offset"`` (decimal offset) in the init program: the function that
    holds it, else the code label below it (``Symbolizer.lookup``), the name gdb gives it in
    ``ring``, ``step-ring``, ``bt`` and ``x/i`` (a label inside a function, such as
    ``write1_insn``, is ``main+18`` there too); "" where none holds it or the program has no
    symbol table (harness.machine.symbols). The table is read on the first address named
    (a trace holds one for every module of "/", and names addresses in few of them)."""
    tables: List[Optional[Symbolizer]] = []

    def describe(addr: int) -> str:
        if not tables:
            try:
                tables.append(symbolizer(path) if path is not None else None)
            except BadImage:
                tables.append(None)
        table = tables[0]
        found = table.lookup(addr) if table is not None else None
        if not found:
            return ""
        return symbol_offset(*found)
    return describe


# -----------------------------------------------------------------------------------------

def signal_name(sig: int) -> str:
    """``SIGALRM`` for 14; ``SIG<n>`` for a number decode.Signal does not name."""
    try:
        return decode.Signal(sig).name
    except ValueError:
        return f"SIG{sig}"


def cause_of_vector(vector: int, error: int, syscall: str = "", *, int80: int,
                    irqs: Dict[int, str]) -> Tuple[str, str]:
    """(kind, cause text) for an IDT entry from ring 3 (``int80`` and ``irqs``: KernelFacts)."""
    if vector == int80:
        return "int80", f"int 0x80 {syscall}".rstrip()
    if vector < decode.FIRST_USER_VECTOR:
        text = f"exception {vector} {decode.mnemonic(vector)}"
        if decode.has_error_code(vector):
            text += f" error={error:#x}"
        return "exception", text
    return "interrupt", f"interrupt {vector} {irqs.get(vector, 'irq')}"


class Tracer:
    """One traced run: the breakpoints at the boundary and one method per crossing kind.

    ``run()`` boots the machine under gdb, arms a breakpoint at every crossing (the module
    docstring lists them) and, at each stop, calls the crossing's method, which reads what that
    crossing leaves in the registers and on the stack and records a Transition (or nothing, for
    a crossing that does not change the ring). ``trace()`` is its one-call form.

    Args:
        config: what to boot (``int_log=True`` to keep QEMU's ``-d int`` log for comparison).
        timeout_s: bound for the whole run.
        stream: the serial console is written there as it arrives (None: kept only).
        on_transition: called with each Transition as it is recorded.

    Raises (from the constructor): BadImage (a missing images/kabi.json), KabiError (the ABI
    file lacks a constant the trace needs).
    """

    def __init__(self, config: QemuConfig, *, timeout_s: float = DEFAULT_TRACE_TIMEOUT_S,
                 stream: Optional[TextIO] = None,
                 on_transition: Optional[Callable[[Transition], None]] = None) -> None:
        self.config = config
        self.timeout_s = timeout_s
        self.stream = stream
        self.on_transition = on_transition
        self.kabi = kabi.load()
        self.facts = KernelFacts.of(self.kabi)
        self.transitions: List[Transition] = []
        self.stops = 0
        self._seen_spaces: Set[Tuple[Optional[int], int]] = set()
        self._programs: Dict[Optional[int], str] = {}   # pid -> program, read again after execve
        self._deliveries: List[Tuple[int, int]] = []    # (signal, handler) since the last exit
        self._in_sigreturn = False
        self._dm: Optional[DebugMachine] = None
        self._user_sym: Callable[[int], str] = lambda addr: ""
        self._vdso32_sym: Callable[[int], str] = lambda addr: ""
        self._symbols_of: Dict[str, Callable[[int], str]] = {}
        self._compat: Dict[int, str] = {}               # entry address -> kind

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> Trace:
        """Boot, trace every crossing until the run ends, and judge it.

        Returns:
            the Trace (transitions, the lab Run with the verdict, the QEMU log).

        Raises:
            ToolMissing, BadImage, BadConfig: before anything starts.
            KabiError: gdb cannot evaluate the ABI's ``current_pid`` expression.
            BreakpointNotHit: the run did not end within ``timeout_s``.
            GdbError: gdb stopped somewhere that is not one of the trace's breakpoints.
        """
        t0 = time.monotonic()
        deadline = t0 + self.timeout_s
        self._dm = dm = DebugMachine(self.config, stream=self.stream, extension=False)
        with dm:
            handlers = self._arm()
            while True:
                try:
                    stop = dm.gdb.cont(timeout_s=max(0.0, deadline - time.monotonic()),
                                       what="the end of the run", read=_READ)
                except TargetExited:
                    break
                except BreakpointNotHit as err:     # the whole run's bound, not this stop's
                    raise BreakpointNotHit(
                        f"the run did not end within {self.timeout_s:g} s (--timeout); "
                        f"{len(self.transitions)} transitions traced", command=err.command,
                        console_tail=err.console_tail, log_tail=err.log_tail) from None
                self.stops += 1
                handler = handlers.get(stop.rip)
                if handler is None:
                    raise GdbError(f"stopped at {stop.rip:#x} ({stop.reason}), not at a "
                                   "breakpoint of the trace")
                handler(stop.rip, stop.registers)
            run = dm.finish(timeout_s=max(1.0, deadline - time.monotonic()))
        return Trace(self.transitions, run, self.stops, time.monotonic() - t0, run.log)

    def _arm(self) -> Dict[int, Callable[[int, Dict[str, int]], None]]:
        """Load the symbol tables and set the breakpoints; address -> crossing method."""
        dm, k = self._dm, self.kabi
        g = dm.gdb
        # the very files QEMU booted and gdb loaded (DebugMachine's snapshot)
        self._user_sym = user_symbolizer(Path(dm.config.init))
        self._vdso32_sym = vdso32_symbolizer(Path(dm.config.kernel), self.facts)
        self._symbols_of = {m.name: user_symbolizer(m.path) for m in self.config.modules()}
        self._symbols_of[Path(self.config.init).name] = self._user_sym
        self._compat = {g.address_of(k.symbol(sym)): kind for sym, kind in
                        (("entry_SYSCALL_compat", "syscall32"),
                         ("entry_SYSENTER_compat", "sysenter"))}
        sysretq, self._sysretq_sym = g.find_instruction(k.symbol("sysret_path"), "sysretq")
        iretq, self._iretq_sym = g.find_instruction(k.symbol("trapret"), "iretq")
        handlers: Dict[int, Callable[[int, Dict[str, int]], None]] = {
            g.address_of(k.symbol("syscall_entry")): self.syscall,
            g.address_of(k.symbol("alltraps")): self.idt_entry,
            sysretq: self.sysretq,
            iretq: self.iretq,
            g.address_of(k.symbol("signal_delivered")): self.signal_delivered,
        }
        handlers.update({addr: self.compat_entry for addr in self._compat})
        for addr in handlers:
            g.break_at(addr)
        return handlers

    # -- one method per crossing: (stop address, registers read at the stop) ------------------

    def syscall(self, rip: int, r: Dict[str, int]) -> None:
        """3->0 by 64-bit ``syscall`` (MSR_LSTAR): RAX = number, RCX = user return RIP."""
        nr = r["rax"]
        name = self.facts.sysname(nr)
        self._in_sigreturn = name == "rt_sigreturn"
        self._add(direction="3->0", kind="syscall", cause=f"syscall {nr} {name}",
                  user_rip=r["rcx"] - SYSCALL_LEN, kernel_symbol="syscall_entry",
                  cs=self.facts.user_cs, syscall_nr=nr, syscall_name=name,
                  frame_rip=r["rcx"], user_rsp=r["rsp"], cr3=r["cr3"])

    def compat_entry(self, rip: int, r: Dict[str, int]) -> None:
        """3->0 by compatibility mode's ``syscall`` (MSR_CSTAR; RCX = return EIP) or
        ``sysenter`` (no EIP saved; EBP holds the user stack pointer, the vDSO's convention);
        RSP is still the user's at syscall's entry (the stub switches stacks)."""
        kind, nr = self._compat[rip], r["rax"] & 0xFFFFFFFF
        name = self.facts.sysname32(nr)
        fast_syscall = kind == "syscall32"
        self._in_sigreturn = name in ("rt_sigreturn", "sigreturn")
        self._add(direction="3->0", kind=kind,
                  cause=f"{'syscall' if fast_syscall else 'sysenter'} {nr} {name}",
                  user_rip=(r["rcx"] & 0xFFFFFFFF) - SYSCALL_LEN if fast_syscall else 0,
                  kernel_symbol=self.kabi.symbol(
                      "entry_SYSCALL_compat" if fast_syscall else "entry_SYSENTER_compat"),
                  syscall_nr=nr, syscall_name=name,
                  frame_rip=r["rcx"] & 0xFFFFFFFF if fast_syscall else None,
                  user_rsp=r["rsp"] if fast_syscall else None, cr3=r["cr3"],
                  cs=self.facts.user32_cs)

    def idt_entry(self, rip: int, r: Dict[str, int]) -> None:
        """``alltraps``: an entry through the IDT (``int 0x80``, an exception, an interrupt);
        a 3->0 crossing when the frame's CS has RPL 3, else nothing (taken in the kernel)."""
        facts, stub = self.facts, self.facts.stub_frame
        w = self._dm.gdb.read_u64s(r["rsp"], len(stub))
        vector, error, frame_rip, cs, rsp = (w[stub[f]] for f in
                                             ("vector", "error", "rip", "cs", "rsp"))
        if cpl_of(cs) != 3:
            return
        nr = r["rax"] & 0xFFFFFFFF if vector == facts.int80 else None
        kind, cause = cause_of_vector(
            vector, error, f"{nr} {facts.sysname32(nr)}" if nr is not None else "",
            int80=facts.int80, irqs=facts.irqs)
        self._add(direction="3->0", kind=kind, cause=cause,
                  user_rip=frame_rip - INT_IMM8_LEN if vector == facts.int80 else frame_rip,
                  kernel_symbol=f"vector{vector}", vector=vector, error=error, cs=cs,
                  syscall_nr=nr, syscall_name=facts.sysname32(nr) if nr is not None else None,
                  frame_rip=frame_rip, user_rsp=rsp, cr3=r["cr3"])

    def sysretq(self, rip: int, r: Dict[str, int]) -> None:
        """0->3 by ``sysretq`` (end of ``sysret_path``): RCX = the user RIP it returns to."""
        self._seen_spaces.add((self._pid(), r["cr3"]))
        kind, cause = self._exit_cause("sysretq", "sysretq", r["rcx"])
        self._add(direction="0->3", kind=kind, cause=cause, user_rip=r["rcx"],
                  kernel_symbol=self._sysretq_sym, cr3=r["cr3"], cs=self.facts.user_cs)

    def iretq(self, rip: int, r: Dict[str, int]) -> None:
        """``trapret``'s ``iretq``: 0->3 when the popped CS has RPL 3 (a process's first entry
        to ring 3 is one), else an interrupt taken in the kernel returning: nothing."""
        cpu = self.facts.cpu_frame
        w = self._dm.gdb.read_u64s(r["rsp"], len(cpu))
        user_rip, cs, rsp = w[cpu["rip"]], w[cpu["cs"]], w[cpu["rsp"]]
        if cpl_of(cs) != 3:
            return
        space = (self._pid(), r["cr3"])       # a new process, or a new image (execve)
        first = space not in self._seen_spaces
        self._seen_spaces.add(space)
        kind, cause = self._exit_cause("iretq", "iretq (first entry)" if first else "iretq",
                                       user_rip)
        self._add(direction="0->3", kind=kind, cause=cause, user_rip=user_rip,
                  kernel_symbol=self._iretq_sym, user_rsp=rsp, cr3=r["cr3"],
                  first_entry=first, cs=cs)

    def signal_delivered(self, rip: int, r: Dict[str, int]) -> None:
        """The kernel's ``signal_delivered`` (RSI = signal, RDX = handler): not a crossing;
        it names the next return to ring 3 (``delivery``)."""
        d = self._dm.gdb.registers(["rsi", "rdx"])
        self._deliveries.append((d["rsi"], d["rdx"]))

    # -- what every crossing shares -----------------------------------------------------------

    def _exit_cause(self, default_kind: str, default_cause: str,
                    user_rip: int) -> Tuple[str, str]:
        """(kind, cause) of a 0->3 return: into a handler, out of rt_sigreturn, or plain."""
        kind, cause = default_kind, default_cause
        if self._deliveries and self._deliveries[-1][1] == user_rip:
            sigs = ",".join(signal_name(s) for s, _ in self._deliveries)
            kind, cause = "delivery", f"signal {sigs} -> handler"
        elif self._in_sigreturn:
            kind, cause = "sigreturn", f"rt_sigreturn ({default_kind})"
        self._deliveries, self._in_sigreturn = [], False
        return kind, cause

    def _pid(self) -> Optional[int]:
        """The running process's pid (None: no process is running). Raises KabiError when gdb
        cannot evaluate the ABI's expression (never a silently empty pid column)."""
        expression = self.facts.pid_expression
        try:
            return self._dm.gdb.evaluate(expression)
        except MemoryReadError:          # no process is running (current is NULL)
            return None
        except GdbCommandError as err:   # the kernel moved what the expression names
            raise KabiError(f"gdb cannot evaluate the kernel ABI expression current_pid = "
                            f"{expression!r} (kernel/kabi.c): {err.gdb_message}",
                            command=err.command, console_tail=err.console_tail,
                            log_tail=err.log_tail) from None

    def _program(self, p: Optional[int]) -> str:
        """The base name of process ``p``'s program (read again after its execve)."""
        last = next((t for t in reversed(self.transitions) if t.pid == p), None)
        if p not in self._programs or (last is not None and last.syscall_name == "execve"):
            try:
                self._programs[p] = self._dm.gdb.evaluate_string(self.facts.name_expression)
            except MemoryReadError:
                self._programs[p] = ""
        return self._programs[p]

    def _add(self, **kw) -> None:
        """Record a Transition (fields as keywords) with its pid, mode and user symbols."""
        t = Transition(number=len(self.transitions) + 1, pid=self._pid(), **kw)
        t.mode = self.facts.mode(t.cs)
        name = self._program(t.pid) if t.pid is not None else ""
        named = self._symbols_of.get(name, self._user_sym)
        t.user_symbol = named(t.user_rip)
        if t.mode == "user32" and not t.user_symbol:
            t.user_symbol = self._vdso32_sym(t.user_rip)
            if (t.kind == "int80" and t.user_rsp is not None
                    and t.user_symbol.split("+")[0] == VSYSCALL_ENTRY):
                try:
                    ret = int.from_bytes(
                        self._dm.gdb.read_memory(t.user_rsp + VSYSCALL_PUSHED, 4), "little")
                except MemoryReadError:
                    ret = None
                if ret is not None:
                    t.caller = named(ret)
        self.transitions.append(t)
        if self.on_transition:
            self.on_transition(t)


def trace(config: QemuConfig, *, timeout_s: float = DEFAULT_TRACE_TIMEOUT_S,
          stream: Optional[TextIO] = None, on_transition=None) -> Trace:
    """Run ``config`` under gdb and record every ring transition (``Tracer(...).run()``).

    Args:
        config: what to boot (``int_log=True`` to keep QEMU's ``-d int`` log for comparison).
        timeout_s: bound for the whole run.
        stream: the serial console is written there as it arrives (None: kept only).
        on_transition: called with each Transition as it is recorded.

    Returns:
        the Trace (transitions, the lab Run with the verdict, the QEMU log).

    Raises:
        ToolMissing, BadImage, BadConfig: before anything starts (BadImage also for a
            missing images/kabi.json).
        KabiError: the kernel ABI file lacks something, or gdb cannot evaluate its
            ``current_pid`` expression (never a silently empty pid column).
        BreakpointNotHit: the run did not end within ``timeout_s``.
    """
    return Tracer(config, timeout_s=timeout_s, stream=stream,
                  on_transition=on_transition).run()


def compare_with_qemu_log(tr: Trace, log_text: str) -> List[str]:
    """Where the trace and QEMU's ``-d int`` log disagree (empty list: they agree).

    QEMU logs every delivery through the IDT, with the CPL it came from; ``syscall`` and
    ``sysret`` produce no line. So the trace's IDT entries from ring 3 must be,
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
