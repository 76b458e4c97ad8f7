"""A GDB/MI session on pygdbmi: gdb as the harness's second witness.

``GdbSession`` drives one gdb over GDB/MI: symbols, breakpoints, continue, stepi, registers
as integers, memory, ``cpl()`` and ``step_until_ring_change()`` (harness/ringlab/debug/stepping.py).
It sits on an ``MiTransport`` (harness/ringlab/debug/mitransport.py: the gdb process, MI records
read and written, every wait bounded), as pygdbmi's ``GdbController`` sits on its
``IoManager``. It knows nothing about QEMU; the caller may give it file descriptors to
service while it waits (the machine's serial console, so a guest printing while gdb waits
never blocks on a full pty). ``harness.debug.machine.DebugMachine`` pairs it with a halted
QEMU.

What gdb needs here: ``set architecture i386:x86-64`` before ``target remote``; register
values read with ``-data-list-register-values x`` (numbers, not flag names).
"""
from __future__ import annotations

import logging
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from ..core import constants as C
from ..core.errors import (GdbCommandError, GdbError, GdbTimeout, MemoryReadError,
                           StubNotAnswering, SymbolNotFound)
from . import stepping
from .gdbext.ringfmt import RingState, Transition, cpl_of, normalize_insn
# moved to the transport; the names stay importable from here
from .mitransport import (MiTransport, Result, Stop, _int, _mi_quote,  # noqa: F401
                          close_all, started_pids)

log = logging.getLogger(__name__)

EXTENSION = Path(__file__).resolve().parent / "gdbext" / "ringlab.py"

#: Registers ``registers()`` reads by default: general, segment, and system state.
GENERAL_REGISTERS = ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "rsp", "r8", "r9", "r10",
                     "r11", "r12", "r13", "r14", "r15", "rip", "rflags", "cs", "ss", "ds", "es",
                     "fs", "gs", "fs_base", "gs_base")
SYSTEM_REGISTERS = ("cr0", "cr2", "cr3", "cr4", "efer")
#: Our names -> gdb's names (gdb calls RFLAGS "eflags" even in 64-bit mode).
_GDB_NAMES = {"rflags": "eflags"}

PathLike = Union[str, os.PathLike]

STEP_OFF_ATTEMPTS = 20   # stepi retries when leaving a breakpoint made no progress

# QEMU single-steps with interrupts masked: a `hlt` (or an `sti; hlt` idle loop) never ends.
_STEPI_END = "the end of a stepi (a hlt while stepping never ends: QEMU masks interrupts)"


# -----------------------------------------------------------------------------------------
# Records

@dataclass(frozen=True)
class Breakpoint:
    """A breakpoint gdb inserted: its number, address and what was asked for."""

    number: int
    address: int
    location: str
    hardware: bool = False
    temporary: bool = False


#: how the extension learns where images/kabi.json is (a gdb convenience variable)
KABI_SETTING = 'set $ringlab_kabi = "{path}"'
#: gdb's ``remotetimeout`` (seconds; gdb's default is 2): how long gdb waits for QEMU's Ack or
#: answer before it sends a packet again. QEMU's gdbstub answers every copy it receives, so
#: on a host busy enough to delay QEMU 2 s the second answer is left over, gdb takes it for the
#: answer to its next packet, and from there every answer is one behind ("Packet instead of
#: Ack", "Invalid hex digit", a wait that never ends). Measured: QEMU stopped 2.5 s (SIGSTOP)
#: in a replay pass: gdb resent and got the spare answer in 4 of 4 runs at 2 s, in none of 3
#: at this value. The socket does not lose packets, so nothing needs resending sooner.
REMOTE_TIMEOUT_SETTING = "set remotetimeout 30"


# -----------------------------------------------------------------------------------------

class GdbSession:
    """One gdb process driven over GDB/MI.

    Args:
        command_timeout_s: default bound for one MI command.
        watch: file descriptors to service while waiting for gdb: ``{fd: callback}``
            (``MiTransport``). ``DebugMachine`` passes the serial console.
        console_tail: returns the machine's last console lines, quoted in errors.
        target_exited: returns True once the machine has exited (checked while waiting).
        gdb_binary: the gdb to run.

    Attributes:
        io: the transport (process, MI records, bounded waits).

    Raises (from ``start``):
        ToolMissing: gdb is not installed (names the Debian package ``gdb``).
    """

    def __init__(self, *, command_timeout_s: float = C.DEFAULT_GDB_COMMAND_TIMEOUT_S,
                 watch: Optional[Dict[int, Callable[[], bool]]] = None,
                 console_tail: Optional[Callable[[], List[str]]] = None,
                 target_exited: Optional[Callable[[], bool]] = None,
                 gdb_binary: str = C.GDB_BINARY) -> None:
        self.symbol_files: List[Path] = []
        self.io = MiTransport(command_timeout_s=command_timeout_s, watch=watch,
                              console_tail=console_tail, target_exited=target_exited,
                              gdb_binary=gdb_binary, symbol_files=lambda: self.symbol_files)
        self._regnums: Dict[str, int] = {}
        self.connected = False
        self._breakpoints: Dict[int, Breakpoint] = {}   # number -> breakpoint
        self._resume_from: Optional[int] = None        # the breakpoint the CPU stopped at

    def __repr__(self) -> str:
        return f"<GdbSession pid={self.pid}>"

    # -- the transport's state, as the session's ------------------------------------------------
    @property
    def pid(self) -> Optional[int]:
        return self.io.pid

    @property
    def process(self):
        return self.io.process

    @property
    def command(self) -> List[str]:
        return self.io.command

    @property
    def command_timeout_s(self) -> float:
        return self.io.command_timeout_s

    @property
    def watch(self) -> Dict[int, Callable[[], bool]]:
        return self.io.watch

    @property
    def disconnected(self) -> bool:
        return self.io.disconnected

    @property
    def stops_seen(self) -> int:
        return self.io.stops_seen

    @property
    def _stops(self):
        return self.io.stops

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> "GdbSession":
        """Spawn gdb (``MiTransport.start``) and set it up for an x86-64 kernel."""
        self.io.start()
        for setting in ("pagination off", "confirm off", "height 0", "width 0",
                        "print pretty off", "breakpoint pending off",
                        # a stop's frame without arguments: gdb reads none from the stack
                        "print frame-arguments none",
                        # QEMU sends the 64-bit register set: say so before connecting.
                        "architecture i386:x86-64"):
            self.mi(f"-gdb-set {setting}")
        return self

    def close(self, timeout_s: float = C.DEFAULT_STOP_TIMEOUT_S) -> None:
        """Make gdb exit (``-gdb-exit``, then SIGTERM, then SIGKILL) and reap it. Idempotent."""
        self.io.close(timeout_s)

    def __enter__(self) -> "GdbSession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- MI plumbing (the transport's) ------------------------------------------------------------
    def evidence(self) -> Dict[str, List[str]]:
        """What an error carries: gdb's command line, the machine's last console lines, gdb's
        last log lines."""
        return self.io.evidence()

    _evidence = evidence

    def send(self, commands: Sequence[str]) -> List[int]:
        """Write MI commands (each gets a token) without waiting; returns the tokens."""
        return self.io.send(commands)

    def wait_result(self, token: int, command: str, timeout_s: Optional[float] = None) -> Result:
        """Wait for the result record of ``token`` (``MiTransport.wait_result``)."""
        return self.io.wait_result(token, command, timeout_s)

    def mi(self, command: str, timeout_s: Optional[float] = None) -> Result:
        """Run one MI command and return its result (see ``wait_result`` for errors)."""
        return self.io.mi(command, timeout_s)

    def console(self, command: str, timeout_s: Optional[float] = None) -> str:
        """Run a CLI command (``ring``, ``step-ring``, ``info registers``...) and return
        everything it printed (``MiTransport.console``)."""
        return self.io.console(command, timeout_s)

    # -- symbols and target --------------------------------------------------------------------
    def load_kernel(self, path: PathLike = C.KERNEL_IMAGE) -> None:
        """Load the kernel ELF64 as gdb's executable and symbol file."""
        self.mi(f"-file-exec-and-symbols {_mi_quote(str(Path(path).resolve()))}")
        self.symbol_files.append(Path(path))

    def add_symbol_file(self, path: PathLike) -> None:
        """Add a user program's symbols (a static non-PIE ELF: its own addresses)."""
        self.console(f"add-symbol-file {Path(path).resolve()}")
        self.symbol_files.append(Path(path))

    def source_extension(self, path: PathLike = EXTENSION) -> None:
        """Load the ``ring`` / ``step-ring`` extension into this gdb (told where the kernel
        ABI file is: ``$ringlab_kabi``)."""
        self.console(KABI_SETTING.format(path=C.KABI_FILE.resolve()))
        self.console(f"source {Path(path).resolve()}")

    def connect(self, target: str, timeout_s: float = C.DEFAULT_GDB_CONNECT_TIMEOUT_S) -> None:
        """``target remote TARGET`` (a unix socket path or ``host:port``).

        Raises:
            StubNotAnswering: the connection was refused or the stub did not answer in time.
        """
        deadline = time.monotonic() + timeout_s
        self.console(REMOTE_TIMEOUT_SETTING)
        attempts = 0
        while True:
            attempts += 1
            try:
                self.mi(f"-target-select remote {target}",
                        timeout_s=max(0.1, deadline - time.monotonic()))
                break
            except GdbTimeout as err:
                raise StubNotAnswering(f"QEMU's gdbstub at {target} did not answer within "
                                       f"{timeout_s:g} s", **self._evidence()) from err
            except GdbCommandError as err:
                # QEMU binds the socket before it listens: a refusal right after the socket
                # appeared is retried (bounded), anything else is final.
                refused = "refused" in err.gdb_message.lower()
                if not refused or attempts >= 100 or time.monotonic() >= deadline:
                    raise StubNotAnswering(f"cannot connect to QEMU's gdbstub at {target}: "
                                           f"{err.gdb_message}", **self._evidence()) from err
        self.connected = True
        self._stops.clear()

    # -- breakpoints and execution --------------------------------------------------------------
    def address_of(self, symbol: str) -> int:
        """The address of ``symbol`` in any loaded symbol file.

        Raises:
            SymbolNotFound: no symbol file defines it.
        """
        try:
            res = self.mi(f"-data-evaluate-expression {_mi_quote(f'(unsigned long)&{symbol}')}")
        except SymbolNotFound as err:
            loaded = ", ".join(str(p) for p in self.symbol_files) or "none"
            raise SymbolNotFound(f"address of {symbol}", f"symbol {symbol!r} not found in "
                                 f"the symbol files loaded ({loaded})",
                                 command=err.command, console_tail=err.console_tail,
                                 log_tail=err.log_tail) from None
        return _int(res.payload["value"])

    def evaluate(self, expression: str) -> int:
        """The value of a C expression over the loaded symbols as an integer, e.g.
        ``cpu0.current->pid``.

        Raises:
            GdbCommandError: gdb cannot evaluate it (SymbolNotFound for a missing symbol).
        """
        res = self.mi(f"-data-evaluate-expression {_mi_quote(f'(long)({expression})')}")
        return _int(res.payload["value"])

    def evaluate_string(self, expression: str) -> str:
        """The C string (a char array or pointer) ``expression`` names, e.g.
        ``cpu0.current->name``.

        Raises:
            GdbCommandError: gdb cannot evaluate it (MemoryReadError: unreadable memory).
        """
        res = self.mi(f"-data-evaluate-expression {_mi_quote(expression)}")
        m = re.search(r'"((?:[^"\\]|\\.)*)"', res.payload["value"])
        return m.group(1) if m else ""

    def _location(self, where: Union[str, int]) -> int:
        return where if isinstance(where, int) else self.address_of(where)

    def break_at(self, where: Union[str, int], *, hardware: bool = False,
                 temporary: bool = False) -> Breakpoint:
        """Insert a breakpoint on the FIRST instruction of ``where`` (a symbol or an address).

        ``break sym`` in gdb lands after the prologue; this always stops at ``*sym``.

        Args:
            hardware: a hardware breakpoint (``hbreak``; QEMU's stub takes both under TCG).
            temporary: deleted when hit.

        Raises:
            SymbolNotFound: ``where`` names no symbol.
        """
        addr = self._location(where)
        flags = ("-h " if hardware else "") + ("-t " if temporary else "")
        res = self.mi(f"-break-insert {flags}*{addr:#x}")
        bkpt = res.payload["bkpt"]
        bp = Breakpoint(int(bkpt["number"]), _int(bkpt.get("addr", addr)),
                        where if isinstance(where, str) else f"{addr:#x}", hardware, temporary)
        self._breakpoints[bp.number] = bp
        return bp

    def delete(self, bp: Union[Breakpoint, int]) -> None:
        number = bp.number if isinstance(bp, Breakpoint) else bp
        self.mi(f"-break-delete {number}")
        self._breakpoints.pop(number, None)

    def _breakpoint_at(self, address: int) -> Optional[Breakpoint]:
        return next((b for b in self._breakpoints.values() if b.address == address), None)

    def _step_off(self, address: int) -> Optional[Stop]:
        """``stepi`` until RIP has left the breakpoint at ``address``; returns the stop if
        that step landed on another breakpoint (a hit ``continue`` would step over).

        Measured here (QEMU 7.2 TCG, gdb 13.1, a loaded 2-core host): continuing from a
        breakpoint sometimes reports a second ``breakpoint-hit`` at the SAME address with the
        same frame, CR3 and registers: gdb's step over the breakpoint came back from QEMU's
        stub without executing an instruction, and the re-inserted breakpoint "hit" again.
        Such a phantom stop would look like a second event (a second fault, a second system
        call). Stepping off explicitly, retrying a step that made no progress, before every
        continue means every stop ``cont`` reports is a real one.

        Raises:
            GdbError: no progress in STEP_OFF_ATTEMPTS steps. TargetExited: the machine
                exited meanwhile.
        """
        for _ in range(STEP_OFF_ATTEMPTS):
            stop = self.stepi()
            if stop.rip != address:
                bp = self._breakpoint_at(stop.rip)
                if bp is None:
                    return None
                stop.reason, stop.breakpoint = "breakpoint-hit", bp.number
                return stop
        raise GdbError(f"stepi made no progress from {address:#x} in {STEP_OFF_ATTEMPTS} "
                       "attempts", **self._evidence())

    def cont(self, timeout_s: float = C.DEFAULT_GDB_CONTINUE_TIMEOUT_S,
             what: str = "a breakpoint", read: Sequence[str] = (),
             reverse: bool = False) -> Stop:
        """Continue until the CPU stops (breakpoint, watchpoint...), at most ``timeout_s``.

        Args:
            what: names the awaited stop in the error message.
            read: registers to read at the stop (``Stop.registers``). The read is sent right
                behind the continue; gdb answers it once the CPU has stopped, which saves a
                round trip per stop.
            reverse: ``reverse-continue`` (a replayed machine only, harness/ringlab/debug/replay.py); with
                no breakpoint before, it stops at the start of the recording (reason
                ``no-history``).

        A continue from a breakpoint first steps off it (``_step_off``: the one place that
        handles QEMU's phantom repeated stop); so a breakpoint hit twice in a row is two
        real hits.

        Raises:
            BreakpointNotHit: nothing stopped the machine in time (it is interrupted first,
                so the session stays usable); carries the last console lines.
            TargetExited: the machine exited instead.
        """
        resume_from, self._resume_from = self._resume_from, None
        if resume_from is not None and not reverse:
            landed = self._step_off(resume_from)
            if landed is not None:
                if read:
                    landed.registers = self.registers(read)
                self._resume_from = landed.rip
                return landed
        self._stops.clear()
        commands = ["-exec-continue" + (" --reverse" if reverse else "")]
        if read:
            nums = self._register_numbers(read)
            commands.append("-data-list-register-values x " + " ".join(map(str, nums)))
        tokens = self.send(commands)
        self.wait_result(tokens[0], commands[0])
        stop = self._wait_stop(timeout_s, what)
        if read:
            res = self.wait_result(tokens[1], commands[1])
            stop.registers = self._decode_registers(read, nums, res.payload)
        if stop.reason == "breakpoint-hit":
            self._resume_from = stop.rip
        return stop

    def _wait_stop(self, timeout_s: float, what: str) -> Stop:
        return self.io.wait_stop(timeout_s, what)

    def interrupt(self, timeout_s: float = C.DEFAULT_GDB_COMMAND_TIMEOUT_S) -> Optional[Stop]:
        """Stop a running machine; returns the stop, None if there was none (machine gone).
        (``MiTransport.interrupt``: SIGINT to gdb, as a person's Ctrl-C.)"""
        return self.io.interrupt(timeout_s)

    def stepi_reading(self, names: Sequence[str]) -> Dict[str, int]:
        """One ``stepi`` and the registers ``names`` read right behind it (one pipelined
        round trip); a breakpoint the CPU stood on is not stepped off first."""
        self._resume_from = None
        nums = self._register_numbers(names)
        read = "-data-list-register-values x " + " ".join(map(str, nums))
        self._stops.clear()
        t_step, t_regs = self.send(["-exec-step-instruction", read])
        self.wait_result(t_step, "-exec-step-instruction")
        self._wait_stop(self.command_timeout_s, _STEPI_END)
        return self._decode_registers(names, nums, self.wait_result(t_regs, read).payload)

    def stepi(self, count: int = 1, timeout_s: Optional[float] = None,
              reverse: bool = False) -> Stop:
        """Execute ``count`` instructions (``stepi``; QEMU masks interrupts while stepping);
        with ``reverse``, undo them (``reverse-stepi``, a replayed machine only)."""
        stop = None
        self._resume_from = None
        command = "-exec-step-instruction" + (" --reverse" if reverse else "")
        for _ in range(count):
            self._stops.clear()
            token, = self.send([command])
            self.wait_result(token, command, timeout_s)
            stop = self._wait_stop(self.command_timeout_s if timeout_s is None else timeout_s,
                                   _STEPI_END)
        return stop

    # -- registers and memory ---------------------------------------------------------------------
    def _register_numbers(self, names: Iterable[str]) -> List[int]:
        if not self._regnums:
            res = self.mi("-data-list-register-names")
            self._regnums = {n: i for i, n in enumerate(res.payload["register-names"]) if n}
        nums = []
        for name in names:
            gname = _GDB_NAMES.get(name, name)
            if gname not in self._regnums:
                raise GdbError(f"no register {name!r} in gdb's x86-64 register set")
            nums.append(self._regnums[gname])
        return nums

    def registers(self, names: Optional[Sequence[str]] = None) -> Dict[str, int]:
        """Registers as unsigned integers, by our names (``rflags``, not gdb's ``eflags``).

        Args:
            names: which ones; default: GENERAL_REGISTERS + SYSTEM_REGISTERS.
        """
        names = list(names) if names else list(GENERAL_REGISTERS + SYSTEM_REGISTERS)
        nums = self._register_numbers(names)
        res = self.mi("-data-list-register-values x " + " ".join(map(str, nums)))
        return self._decode_registers(names, nums, res.payload)

    def _decode_registers(self, names: Sequence[str], nums: Sequence[int],
                          payload: Dict) -> Dict[str, int]:
        by_num = {int(r["number"]): r["value"] for r in payload["register-values"]}
        return {name: _int(by_num[num]) for name, num in zip(names, nums)}

    def register(self, name: str) -> int:
        return self.registers([name])[name]

    def cpl(self) -> int:
        """The current privilege level: CS's RPL bits (SDM Vol. 3A 5.5)."""
        return cpl_of(self.register("cs"))

    def ring_state(self) -> RingState:
        """What the ``ring`` command prints, read over MI."""
        r = self.registers(["cs", "ss", "rsp", "cr3", "rip"])
        return RingState(cpl=cpl_of(r["cs"]), cs=r["cs"], ss=r["ss"], rsp=r["rsp"],
                         cr3=r["cr3"], rip=r["rip"])

    def read_memory(self, address: int, size: int) -> bytes:
        """``size`` bytes of guest virtual memory (through the current CR3).

        Raises:
            MemoryReadError: not mapped.
        """
        res = self.mi(f"-data-read-memory-bytes {address:#x} {size}")
        blocks = res.payload["memory"]
        data = b"".join(bytes.fromhex(b["contents"]) for b in blocks)
        if len(data) != size:
            raise MemoryReadError(f"read {address:#x} {size}", f"only {len(data)} bytes readable",
                                  **self._evidence())
        return data

    def read_u64s(self, address: int, count: int) -> List[int]:
        """``count`` little-endian 64-bit words starting at ``address``."""
        data = self.read_memory(address, 8 * count)
        return [int.from_bytes(data[i:i + 8], "little") for i in range(0, len(data), 8)]

    def instruction_at(self, address: int) -> str:
        """The instruction at ``address`` as gdb disassembles it (AT&T, no comment)."""
        res = self.mi(f"-data-disassemble -s {address:#x} -e {address + 16:#x} -- 0")
        insns = res.payload.get("asm_insns") or []
        if not insns:
            raise MemoryReadError(f"disassemble {address:#x}", "nothing disassembled",
                                  **self._evidence())
        return normalize_insn(insns[0]["inst"])

    def find_instruction(self, symbol: str, mnemonic: str, window: int = 256) -> Tuple[int, str]:
        """Address and ``symbol+offset`` of the first ``mnemonic`` in ``window`` bytes from
        ``symbol``, e.g. the ``sysretq`` of ``sysret_path``.

        Read from the symbol file's read-only text, so it works before paging is on.

        Raises:
            SymbolNotFound: no such symbol. GdbError: no such instruction there.
        """
        start = self.address_of(symbol)
        self.mi("-gdb-set trust-readonly-sections on")
        try:
            res = self.mi(f"-data-disassemble -s {start:#x} -e {start + window:#x} -- 0")
        finally:
            self.mi("-gdb-set trust-readonly-sections off")
        for insn in res.payload.get("asm_insns") or []:
            if insn["inst"].split()[0] == mnemonic:
                addr = _int(insn["address"])
                return addr, f"{symbol}+{addr - start}"
        raise GdbError(f"no {mnemonic} within {window} bytes of {symbol}", **self._evidence())

    # -- ring changes ------------------------------------------------------------------------------
    def step_until_ring_change(self, max_steps: int = C.DEFAULT_STEP_LIMIT) -> Transition:
        """``stepi`` until the CPL changes; return the transition
        (harness/ringlab/debug/stepping.py, with the classifier the gdb extension's
        ``step-ring`` uses).

        Raises:
            GdbError: the CPL did not change within ``max_steps`` instructions.
        """
        return stepping.step_until_ring_change(self, max_steps)
