"""The GDB/MI transport: one gdb process, the MI records it writes read and parsed
(pygdbmi's parser), commands written with tokens, each answer and each ``*stopped`` record
waited for with a bound.

It knows nothing of symbols, breakpoints, registers or rings: ``harness.debug.mi.GdbSession``
sits on it, as pygdbmi's ``GdbController`` sits on its ``IoManager``. What gdb needs here:
``--nx``; no 0.2 s read window (every wait is for a record with our token, or for a
``*stopped`` record, which is kept whenever it arrives).

Every gdb started here is reaped (``-gdb-exit``, then SIGTERM, then SIGKILL) when its
transport closes, at interpreter exit, or - if the harness dies - by the kernel
(PR_SET_PDEATHSIG).
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
from typing import Callable, Deque, Dict, List, Optional, Sequence, Union

from pygdbmi import gdbmiparser

from ..core import constants as C
from ..core import procs, tools
from ..core.errors import (BreakpointNotHit, GdbCommandError, GdbError, GdbTimeout,
                           MemoryReadError, SymbolNotFound, TargetExited)

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]


# -----------------------------------------------------------------------------------------
# Records

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

_transports: "procs.Registry[MiTransport]" = procs.Registry("close")
_wait_pid = procs.wait_pid_exit


def started_pids() -> List[int]:
    """PIDs of every gdb this interpreter started (tests check none survives)."""
    return _transports.started_pids()


def close_all() -> None:
    """Close every live gdb (atexit)."""
    _transports.close_all()


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


# The two answers every walk reads by the hundred (a page-table audit, ring stepping):
# ``-data-read-memory-bytes`` of one range and ``-data-list-register-values x N...``. Their
# fields are hex or decimal digits only (no C string escapes), so a regex takes them as
# pygdbmi's parser does (tests/test_gdb.py compares the two); pygdbmi's parser spent 0.2 s on
# the 700 KB of one read of the kernel's process table, and a good part of each step.
_MEMORY_RESULT = re.compile(r'^(\d+)\^done,memory=\[\{begin="(0x[0-9a-f]+)",'
                            r'offset="(0x[0-9a-f]+)",end="(0x[0-9a-f]+)",contents="([0-9a-f]*)"\}\]$')
_REGISTERS_RESULT = re.compile(r'^(\d+)\^done,register-values=\[((?:\{number="\d+",'
                               r'value="[-0-9a-fx]+"\},?)*)\]$')
_REGISTER_VALUE = re.compile(r'\{number="(\d+)",value="([-0-9a-fx]+)"\}')


def parse_line(line: str) -> Dict:
    """One MI output line as pygdbmi's ``gdbmiparser.parse_response`` gives it, the bare
    results and the two frequent answers above without it."""
    m = _BARE_RESULT.match(line)
    if m:
        return {"type": "result", "message": m.group(2), "payload": None,
                "token": int(m.group(1))}
    if line[:1].isdigit():
        m = _MEMORY_RESULT.match(line)
        if m:
            return {"type": "result", "message": "done", "token": int(m.group(1)),
                    "payload": {"memory": [{"begin": m.group(2), "offset": m.group(3),
                                            "end": m.group(4), "contents": m.group(5)}]}}
        m = _REGISTERS_RESULT.match(line)
        if m:
            return {"type": "result", "message": "done", "token": int(m.group(1)),
                    "payload": {"register-values": [
                        {"number": n, "value": v}
                        for n, v in _REGISTER_VALUE.findall(m.group(2))]}}
    return gdbmiparser.parse_response(line)


def _unused(line: str) -> bool:
    return line.startswith("*running") or (line.startswith("=")
                                           and not line.startswith("=thread-group-exited"))


def _mi_quote(text: str) -> str:
    """A C string literal as MI commands take it."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -----------------------------------------------------------------------------------------

class MiTransport:
    """One gdb process spoken to over GDB/MI.

    Args:
        command_timeout_s: default bound for one MI command.
        watch: file descriptors to service while waiting for gdb: ``{fd: callback}``;
            the callback runs whenever the fd is readable and returns False once the fd is
            finished (EOF), True otherwise. ``DebugMachine`` passes the serial console.
        console_tail: returns the machine's last console lines, quoted in errors.
        target_exited: returns True once the machine has exited (checked while waiting).
        gdb_binary: the gdb to run.
        symbol_files: returns the symbol files gdb holds, named in SymbolNotFound errors.

    Attributes:
        stops: ``*stopped`` records not yet taken (oldest first).
        disconnected: gdb lost the remote (the machine exited).
        stops_seen: how many ``*stopped`` records arrived.
    """

    def __init__(self, *, command_timeout_s: float = C.DEFAULT_GDB_COMMAND_TIMEOUT_S,
                 watch: Optional[Dict[int, Callable[[], bool]]] = None,
                 console_tail: Optional[Callable[[], List[str]]] = None,
                 target_exited: Optional[Callable[[], bool]] = None,
                 gdb_binary: str = C.GDB_BINARY,
                 symbol_files: Optional[Callable[[], Sequence[PathLike]]] = None) -> None:
        self.command_timeout_s = command_timeout_s
        self.watch: Dict[int, Callable[[], bool]] = dict(watch or {})
        self._console_tail = console_tail or (lambda: [])
        self.target_exited = target_exited or (lambda: False)
        self._symbol_files = symbol_files or (lambda: [])
        self.gdb_binary = gdb_binary
        self.command: List[str] = []
        self.process: Optional[subprocess.Popen] = None
        self._partial = {"stdout": b"", "stderr": b""}
        self._tokens = itertools.count(1)
        self._results: Dict[int, Dict] = {}
        self.stops: Deque[Stop] = collections.deque()
        self._console: List[str] = []
        self._log: Deque[str] = collections.deque(maxlen=C.DEFAULT_LOG_TAIL_LINES)
        self.unresponsive = False    # a command timed out: gdb will not read -gdb-exit
        self.disconnected = False    # gdb lost the remote (the machine exited)
        self.stops_seen = 0

    def __repr__(self) -> str:
        return f"<MiTransport pid={self.pid}>"

    @property
    def pid(self) -> Optional[int]:
        return self.process.pid if self.process else None

    def start(self) -> "MiTransport":
        """Spawn ``gdb --nx --quiet --interpreter=mi3`` (its output read without blocking).

        Raises:
            ToolMissing: gdb is not installed (names the Debian package ``gdb``).
        """
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
        _transports.add(self, self.process.pid)
        for f in (self.process.stdout, self.process.stderr):
            os.set_blocking(f.fileno(), False)
        log.info("gdb pid %d: %s", self.process.pid, " ".join(self.command))
        return self

    def close(self, timeout_s: float = C.DEFAULT_STOP_TIMEOUT_S) -> None:
        """Make gdb exit (``-gdb-exit``, then SIGTERM, then SIGKILL) and reap it. Idempotent."""
        proc = self.process
        if proc is None:
            return
        try:
            if proc.poll() is None:
                polite = not self.unresponsive
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
            _transports.discard(self)

    def evidence(self) -> Dict[str, List[str]]:
        """What an error carries: gdb's command line, the machine's last console lines, gdb's
        last log lines."""
        return dict(command=self.command, console_tail=self._console_tail(),
                    log_tail=list(self._log))

    def pump(self, timeout_s: float) -> None:
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
                               **self.evidence())
            lines = (self._partial[stream] + data).split(b"\n")
            self._partial[stream] = lines.pop()
            for raw in lines:
                line = raw.decode(errors="replace").rstrip("\r")
                if not line or gdbmiparser.response_is_finished(line) or _unused(line):
                    continue
                rec = parse_line(line)
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
            self.stops.append(stop)
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
            raise GdbError(f"cannot write to gdb: {err}", **self.evidence()) from err
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
                self.unresponsive = True
                raise GdbTimeout(f"gdb did not answer {command!r} within {timeout_s:g} s",
                                 **self.evidence())
            self.pump(remaining)
        rec = self._results.pop(token)
        payload = rec.get("payload") or {}
        if rec.get("message") == "error":
            msg = payload.get("msg", "") if isinstance(payload, dict) else str(payload)
            if "No symbol" in msg and "in current context" in msg:
                loaded = ", ".join(Path(p).name for p in self._symbol_files()) or "none"
                raise SymbolNotFound(command, f"{msg} (symbol files loaded: {loaded})",
                                     **self.evidence())
            if "Cannot access memory" in msg or "Unable to read memory" in msg:
                raise MemoryReadError(command, msg, **self.evidence())
            if "Remote connection closed" in msg or "The program is not being run" in msg:
                self.disconnected = True
                raise TargetExited(f"gdb: {command}: {msg}", **self.evidence())
            raise GdbCommandError(command, msg, **self.evidence())
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
        self.stops.clear()
        return text + fence.console

    def wait_stop(self, timeout_s: float, what: str) -> Stop:
        deadline = time.monotonic() + timeout_s
        while not self.stops:
            if self.disconnected or self.target_exited():
                raise TargetExited(f"the machine exited before {what} was hit",
                                   **self.evidence())
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.interrupt()
                raise BreakpointNotHit(f"{what} was not hit within {timeout_s:g} s "
                                       "(machine interrupted)", **self.evidence())
            self.pump(remaining)
        return self.stops.popleft()

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
        while not self.stops and not self.disconnected and time.monotonic() < deadline:
            self.pump(deadline - time.monotonic())
        return self.stops.popleft() if self.stops else None
