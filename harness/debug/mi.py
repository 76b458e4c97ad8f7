"""A GDB/MI session on pygdbmi: gdb as the harness's second witness.

``GdbSession`` drives one gdb process over GDB/MI: symbols, breakpoints, continue, stepi,
registers as integers, memory, ``cpl()`` and ``step_until_ring_change()``. It knows nothing
about QEMU; the caller may give it file descriptors to service while it waits (the machine's
serial console, so a guest printing while gdb waits never blocks on a full pty).
``harness.debug.machine.DebugMachine`` pairs it with a halted QEMU.

What gdb and pygdbmi need here: ``--nx``; ``set architecture i386:x86-64`` before
``target remote``; no 0.2 s read window (every wait is for a record with our token, or for
a ``*stopped`` record, which is kept whenever it arrives); register values read with
``-data-list-register-values x`` (numbers, not flag names).

Every gdb started here is reaped (``-gdb-exit``, then SIGTERM, then SIGKILL) when its session
closes, at interpreter exit, or - if the harness dies - by the kernel (PR_SET_PDEATHSIG).
"""
from __future__ import annotations

import collections
import itertools
import logging
import os
import re
import select
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Deque, Dict, Iterable, List, Optional, Sequence, Tuple, Union

from pygdbmi import gdbmiparser

from ..core import constants as C
from ..core import procs, tools
from ..core.errors import (BreakpointNotHit, GdbCommandError, GdbError, GdbTimeout, MemoryReadError,
                           StubNotAnswering, SymbolNotFound, TargetExited)
from .gdbext.ringfmt import RingState, Transition, cpl_of, normalize_insn

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


@dataclass
class Stop:
    """A ``*stopped`` record: why the CPU stopped and where.

    Attributes:
        reason: gdb's reason (``breakpoint-hit``, ``end-stepping-range``, ``signal-received``...).
        rip: the address it stopped at.
        breakpoint: the breakpoint number for ``breakpoint-hit``.
        func: the function gdb names for ``rip`` (from any symbol file), if any.
        record: the whole MI payload.
        registers: registers read at the stop when ``cont(read=...)`` asked for them.
    """

    reason: str
    rip: int
    breakpoint: Optional[int] = None
    func: Optional[str] = None
    record: Dict = field(default_factory=dict)
    registers: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def of(cls, payload: Dict) -> "Stop":
        frame = payload.get("frame") or {}
        bkpt = payload.get("bkptno")
        return cls(reason=payload.get("reason", ""), rip=_int(frame.get("addr", "0")),
                   breakpoint=int(bkpt) if bkpt else None, func=frame.get("func"),
                   record=payload)


@dataclass
class Result:
    """A command's ``^done``/``^running``/``^connected`` answer and the console text it printed."""

    message: str
    payload: Dict
    console: str = ""


# -----------------------------------------------------------------------------------------
# Process bookkeeping: no gdb outlives the harness.

_sessions: "procs.Registry[GdbSession]" = procs.Registry("close")
_wait_pid = procs.wait_pid_exit


def started_pids() -> List[int]:
    """PIDs of every gdb this interpreter started (tests check none survives)."""
    return _sessions.started_pids()


def close_all() -> None:
    """Close every live gdb session (atexit)."""
    _sessions.close_all()


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


def _int(text: Union[str, int]) -> int:
    """gdb prints numbers as ``0x..`` or decimal (negative for signed registers)."""
    if isinstance(text, int):
        return text
    text = text.strip().split()[0]
    value = int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text, 10)
    return value & 0xFFFF_FFFF_FFFF_FFFF


# Records nobody here reads: `*running`, and every `=` notification but thread-group-exited
# (a breakpoint hit alone sends `=breakpoint-modified` with the whole breakpoint). Parsing
# them was a third of the harness's time per stop.
_BARE_RESULT = re.compile(r"^(\d+)\^(running|done|connected)$")


def _unused(line: str) -> bool:
    return line.startswith("*running") or (line.startswith("=")
                                           and not line.startswith("=thread-group-exited"))


def _mi_quote(text: str) -> str:
    """A C string literal as MI commands take it."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -----------------------------------------------------------------------------------------

class GdbSession:
    """One gdb process driven over GDB/MI.

    Args:
        command_timeout_s: default bound for one MI command.
        watch: file descriptors to service while waiting for gdb: ``{fd: callback}``;
            the callback runs whenever the fd is readable and returns False once the fd is
            finished (EOF), True otherwise. ``DebugMachine`` passes the serial console.
        console_tail: returns the machine's last console lines, quoted in errors.
        target_exited: returns True once the machine has exited (checked while waiting).
        gdb_binary: the gdb to run.

    Raises (from ``start``):
        ToolMissing: gdb is not installed (names the Debian package ``gdb``).
    """

    def __init__(self, *, command_timeout_s: float = C.DEFAULT_GDB_COMMAND_TIMEOUT_S,
                 watch: Optional[Dict[int, Callable[[], bool]]] = None,
                 console_tail: Optional[Callable[[], List[str]]] = None,
                 target_exited: Optional[Callable[[], bool]] = None,
                 gdb_binary: str = C.GDB_BINARY) -> None:
        self.command_timeout_s = command_timeout_s
        self.watch: Dict[int, Callable[[], bool]] = dict(watch or {})
        self._console_tail = console_tail or (lambda: [])
        self._target_exited = target_exited or (lambda: False)
        self.gdb_binary = gdb_binary
        self.command: List[str] = []
        self.process: Optional[subprocess.Popen] = None
        self._partial = {"stdout": b"", "stderr": b""}
        self._tokens = itertools.count(1)
        self._results: Dict[int, Dict] = {}
        self._stops: Deque[Stop] = collections.deque()
        self._console: List[str] = []
        self._log: Deque[str] = collections.deque(maxlen=C.DEFAULT_LOG_TAIL_LINES)
        self._regnums: Dict[str, int] = {}
        self.symbol_files: List[Path] = []
        self._unresponsive = False   # a command timed out: gdb will not read -gdb-exit
        self.connected = False
        self.disconnected = False    # gdb lost the remote (the machine exited)
        self.stops_seen = 0
        self._breakpoints: Dict[int, Breakpoint] = {}   # number -> breakpoint
        self._resume_from: Optional[int] = None        # the breakpoint the CPU stopped at

    def __repr__(self) -> str:
        return f"<GdbSession pid={self.pid}>"

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process else None

    # -- life cycle ----------------------------------------------------------------------------
    def start(self) -> "GdbSession":
        """Spawn ``gdb --nx --quiet --interpreter=mi3`` and set it up for an x86-64 kernel."""
        if self.process is not None:
            raise RuntimeError("gdb session already started")
        gdb = tools.find_tool(self.gdb_binary)
        self.command = [gdb, "--nx", "--quiet", "--interpreter=mi3"]
        env = dict(os.environ)
        env.setdefault(C.OWNER_ENV, f"pid-{os.getpid()}")

        # A session of its own: Ctrl-C at the terminal goes to the harness, which then
        # closes gdb itself; gdb never sees a stray SIGINT.
        self.process = subprocess.Popen(procs.dying_with_parent(self.command),
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, bufsize=0, env=env,
                                        start_new_session=True)
        _sessions.add(self, self.process.pid)
        for f in (self.process.stdout, self.process.stderr):
            os.set_blocking(f.fileno(), False)
        log.info("gdb pid %d: %s", self.process.pid, " ".join(self.command))
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
        proc = self.process
        if proc is None:
            return
        try:
            if proc.poll() is None:
                polite = not self._unresponsive
                if polite:
                    try:
                        proc.stdin.write(b"-gdb-exit\n")
                        proc.stdin.flush()
                    except OSError:
                        polite = False
                for sig in ((None,) if polite else ()) + (signal.SIGTERM, signal.SIGKILL):
                    if sig is not None:
                        try:
                            proc.send_signal(sig)
                        except ProcessLookupError:
                            pass
                    if _wait_pid(proc.pid, timeout_s):
                        break
            proc.wait(timeout=C.DEFAULT_KILL_TIMEOUT_S)
            log.info("gdb pid %d exited: rc=%s", proc.pid, proc.returncode)
        finally:
            for f in (proc.stdin, proc.stdout, proc.stderr):
                try:
                    f.close()
                except OSError:
                    pass
            _sessions.discard(self)

    def __enter__(self) -> "GdbSession":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.close()

    # -- MI plumbing ---------------------------------------------------------------------------
    def _evidence(self) -> Dict[str, List[str]]:
        return dict(command=self.command, console_tail=self._console_tail(),
                    log_tail=list(self._log))

    def _pump(self, timeout_s: float) -> None:
        """Wait at most ``timeout_s`` for output from gdb or a watched fd and handle it.

        gdb's output is read here and each complete line parsed with pygdbmi's MI parser
        (``gdbmiparser.parse_response``). Not through pygdbmi's IoManager: besides its read
        window (docs/qemu-facts.md, pygdbmi), it pretty-prints every record for a debug log
        even when that log is off, which alone cost a third of the time of a breakpoint stop.
        """
        proc = self.process
        streams = {proc.stdout.fileno(): "stdout", proc.stderr.fileno(): "stderr"}
        ready, _, _ = select.select(list(streams) + list(self.watch), [], [],
                                    max(0.0, timeout_s))
        for fd in ready:
            if fd in self.watch and not self.watch[fd]():
                del self.watch[fd]
        for fd in ready:
            stream = streams.get(fd)
            if stream is None:
                continue
            try:
                data = os.read(fd, 1 << 16)
            except BlockingIOError:
                continue
            if not data:
                proc.poll()
                raise GdbError(f"gdb exited unexpectedly (rc {proc.returncode})",
                               **self._evidence())
            lines = (self._partial[stream] + data).split(b"\n")
            self._partial[stream] = lines.pop()
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                if not line or gdbmiparser.response_is_finished(line) or _unused(line):
                    continue
                m = _BARE_RESULT.match(line)
                rec = ({"type": "result", "message": m.group(2), "payload": None,
                        "token": int(m.group(1))} if m else gdbmiparser.parse_response(line))
                rec["stream"] = stream
                self._note(rec)

    def _note(self, rec: Dict) -> None:
        kind, msg, payload = rec.get("type"), rec.get("message"), rec.get("payload")
        if kind == "result":
            token = rec.get("token")
            if token is not None:
                self._results[int(token)] = rec
        elif kind == "notify" and msg == "stopped":
            stop = Stop.of(payload or {})
            self.stops_seen += 1
            self._stops.append(stop)
        elif kind == "notify" and msg == "thread-group-exited":
            self.disconnected = True
        elif kind == "console":
            self._console.append(payload or "")
        elif kind == "log":
            text = (payload or "").rstrip("\n")
            self._log.append(text)
            if "Remote connection closed" in text or "Remote communication error" in text:
                self.disconnected = True
        elif rec.get("stream") == "stderr" and payload:
            self._log.append(str(payload).rstrip("\n"))

    def send(self, commands: Sequence[str]) -> List[int]:
        """Write MI commands (each gets a token) without waiting; returns the tokens."""
        tokens = [next(self._tokens) for _ in commands]
        data = "".join(f"{t}{c}\n" for t, c in zip(tokens, commands))
        log.debug("-> %s", data.rstrip())
        try:
            self.process.stdin.write(data.encode())
            self.process.stdin.flush()
        except OSError as err:
            raise GdbError(f"cannot write to gdb: {err}", **self._evidence()) from err
        return tokens

    def wait_result(self, token: int, command: str, timeout_s: Optional[float] = None) -> Result:
        """Wait for the result record of ``token``.

        Raises:
            GdbCommandError: ``^error`` (SymbolNotFound / MemoryReadError when that is what
                gdb said).
            GdbTimeout: no answer within ``timeout_s``.
        """
        timeout_s = self.command_timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        while token not in self._results:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._unresponsive = True
                raise GdbTimeout(f"gdb did not answer {command!r} within {timeout_s:g} s",
                                 **self._evidence())
            self._pump(remaining)
        rec = self._results.pop(token)
        payload = rec.get("payload") or {}
        if rec.get("message") == "error":
            msg = payload.get("msg", "") if isinstance(payload, dict) else str(payload)
            if "No symbol" in msg and "in current context" in msg:
                loaded = ", ".join(p.name for p in self.symbol_files) or "none"
                raise SymbolNotFound(command, f"{msg} (symbol files loaded: {loaded})",
                                     **self._evidence())
            if "Cannot access memory" in msg or "Unable to read memory" in msg:
                raise MemoryReadError(command, msg, **self._evidence())
            if "Remote connection closed" in msg or "The program is not being run" in msg:
                self.disconnected = True
                raise TargetExited(f"gdb: {command}: {msg}", **self._evidence())
            raise GdbCommandError(command, msg, **self._evidence())
        console, self._console = "".join(self._console), []
        return Result(rec.get("message", ""), payload if isinstance(payload, dict) else {}, console)

    def mi(self, command: str, timeout_s: Optional[float] = None) -> Result:
        """Run one MI command and return its result (see ``wait_result`` for errors)."""
        self._console = []
        (token,) = self.send([command])
        return self.wait_result(token, command, timeout_s)

    def console(self, command: str, timeout_s: Optional[float] = None) -> str:
        """Run a CLI command (``ring``, ``step-ring``, ``info registers``...) and return
        everything it printed.

        A command that resumes the CPU (``stepi``, ``step-ring``) is answered ``^running``
        at its first step while it goes on printing; a no-op sent right behind it is
        answered only once gdb is done with it, so its answer marks the end.
        """
        self._console = []
        cmd = f"-interpreter-exec console {_mi_quote(command)}"
        t_cmd, t_fence = self.send([cmd, "-data-evaluate-expression 0"])
        try:
            text = self.wait_result(t_cmd, cmd, timeout_s).console
        finally:
            fence = self.wait_result(t_fence, f"(after) {cmd}", timeout_s)
        self._stops.clear()
        return text + fence.console

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
            reverse: ``reverse-continue`` (a replayed machine only, harness/debug/replay.py); with
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
        deadline = time.monotonic() + timeout_s
        while not self._stops:
            if self.disconnected or self._target_exited():
                raise TargetExited(f"the machine exited before {what} was hit",
                                   **self._evidence())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.interrupt()
                raise BreakpointNotHit(f"{what} was not hit within {timeout_s:g} s "
                                       "(machine interrupted)", **self._evidence())
            self._pump(remaining)
        return self._stops.popleft()

    def interrupt(self, timeout_s: float = C.DEFAULT_GDB_COMMAND_TIMEOUT_S) -> Optional[Stop]:
        """Stop a running machine; returns the stop, None if there was none (machine gone).

        gdb runs MI synchronously (it reads no command while the target runs), so this is
        what a person's Ctrl-C does: SIGINT to gdb, which interrupts the target
        (``*stopped,reason="signal-received",signal-name="SIGINT"``).
        """
        try:
            self.process.send_signal(signal.SIGINT)
        except ProcessLookupError:
            return None
        deadline = time.monotonic() + timeout_s
        while not self._stops and not self.disconnected and time.monotonic() < deadline:
            self._pump(deadline - time.monotonic())
        return self._stops.popleft() if self._stops else None

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
        """``stepi`` until the CPL changes; return the transition.

        Each step is one pipelined round trip (stepi, then CS/RIP/RSP/SS), so a few thousand
        kernel instructions take a few seconds. A return to ring 3 on which the kernel passed
        ``signal_delivered`` (RSI = the signal) is ``event="delivery"``; one that passed
        ``sys_rt_sigreturn`` is ``event="rt_sigreturn"`` (as the ``step-ring`` command says).

        Raises:
            GdbError: the CPL did not change within ``max_steps`` instructions.
        """
        self._resume_from = None
        names = ["cs", "rip", "rsp", "ss"]
        nums = self._register_numbers(names)
        regs = self.registers(names)
        start = cpl_of(regs["cs"])
        read = "-data-list-register-values x " + " ".join(map(str, nums))
        marks = {}
        for symbol in ("signal_delivered", "sys_rt_sigreturn"):
            try:
                marks[self.address_of(symbol)] = symbol
            except SymbolNotFound:          # a kernel without signals
                pass
        event, signal = ("rt_sigreturn", 0) if marks.get(regs["rip"]) == "sys_rt_sigreturn" else (
            ("delivery", self.register("rsi")) if marks.get(regs["rip"]) == "signal_delivered"
            else ("", 0))
        for step in range(1, max_steps + 1):
            before = regs
            self._stops.clear()
            t_step, t_regs = self.send(["-exec-step-instruction", read])
            self.wait_result(t_step, "-exec-step-instruction")
            self._wait_stop(self.command_timeout_s, _STEPI_END)
            res = self.wait_result(t_regs, read)
            regs = self._decode_registers(names, nums, res.payload)
            mark = marks.get(regs["rip"])
            if mark == "signal_delivered":
                event, signal = "delivery", self.register("rsi")
            elif mark == "sys_rt_sigreturn":
                event, signal = "rt_sigreturn", 0
            if cpl_of(regs["cs"]) != start:
                return Transition(from_cpl=start, to_cpl=cpl_of(regs["cs"]), steps=step,
                                  insn_addr=before["rip"],
                                  insn=self.instruction_at(before["rip"]),
                                  rip_before=before["rip"], rsp_before=before["rsp"],
                                  rip_after=regs["rip"], rsp_after=regs["rsp"],
                                  cs_after=regs["cs"], ss_after=regs["ss"],
                                  event=event if start == 0 else "",
                                  signal=signal if start == 0 else 0)
        raise GdbError(f"CPL stayed {start} for {max_steps} instructions", **self._evidence())


