"""Lab-level objects: run a machine to completion and say what happened.

``run(config)`` boots, reads the console until QEMU exits (bounded by ``timeout_s``), and
returns a ``Run``: the events, the user program's output, the raw console, QEMU's rc and
logs, and the verdict. ``Session`` is the same with the machine in the caller's hands
in between (a shell on the console, gdb)::

    with Session(QemuConfig(init=path)) as s:
        s.console.expect(r"\\$ ", timeout_s=10)
        ...
        result = s.finish(timeout_s=30)
"""
from __future__ import annotations

import logging
import os
import re
import shlex
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List, Optional, Sequence, TextIO, Tuple, Type, Union

from ..core import constants as C
from ..core.errors import BadConfig, GuestFailure, GuestTimeout, QemuStartError, RinglabError
from ..machine.console import Console, tty_input
from ..machine import place as guest_place
from ..machine.description import Machine, boot_options, stdin_redirect
from ..machine.elfimage import function_symbol
from ..machine.qemu import (Module, QemuConfig, QemuMachine, check_kernel_args, is_default_kernel,
                            parse_user)
from ..observe.events import Event, parse_console
from ..observe.verdict import Outcome, Verdict, judge

log = logging.getLogger(__name__)

PathLike = Union[str, os.PathLike]
#: a program's standard input: the bytes, text (UTF-8), or a host file (a Path) to read
StdinLike = Union[bytes, str, os.PathLike]

#: the kernel argument that starts the console without echo (kernel/include/kargs.h)
NO_ECHO_KARG = ("console.echo", "0")


def stdin_bytes(stdin: StdinLike) -> bytes:
    """The bytes of a ``stdin=`` value: bytes as given, a str encoded as UTF-8, a Path (any
    os.PathLike) read from the host.

    Raises:
        BadConfig: the file cannot be read (its path and the OS error).
    """
    if isinstance(stdin, (bytes, bytearray, memoryview)):
        return bytes(stdin)
    if isinstance(stdin, str):
        return stdin.encode()
    try:
        return Path(stdin).read_bytes()
    except OSError as err:
        raise BadConfig(f"stdin {os.fspath(stdin)}: cannot read it: {err.strerror}") from None


def with_karg(append: str, key: str, value: str) -> str:
    """``append`` with ``key=value`` added, unless it gives ``key`` already."""
    if any(w.partition("=")[0] == key for w in append.split()):
        return append
    return " ".join(append.split() + [f"{key}={value}"])


def with_piped_stdin(config: QemuConfig) -> QemuConfig:
    """``config`` with the console's echo off (``console.echo=0``, for our kernel), as for a
    program whose stdin is a pipe: what it reads is not repeated on the console.

    Raises:
        BadConfig: the command line is then longer than the kernel keeps.
    """
    if not is_default_kernel(config.kernel):
        return config
    append = with_karg(config.append, *NO_ECHO_KARG)
    check_kernel_args(append, config.kernel)
    return config.replace(append=append)


#: ``(ELF path, address) -> "file.c:9"`` or None: a source line reader (machine.symbols)
SourceLine = Callable[[Path, int], Optional[str]]
KERNEL_HALF_START = 0xFFFF_8000_0000_0000   # first address of the upper canonical half
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

    def of(self, kind: Union[str, Type[Event]]) -> List[Event]:
        """Every event of ``kind`` (a kind string or an event class)."""
        k = kind if isinstance(kind, str) else kind.KIND
        return [e for e in self.events if e.kind == k]

    def first(self, kind: Union[str, Type[Event]]) -> Event:
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


# Callables told about every Session that starts (the pytest plugin keeps each test's
# machines as evidence for its artifacts); ``observe`` adds one.
_observers: List[Callable[["Session"], None]] = []


def observe(callback: Callable[["Session"], None]) -> Callable[[], None]:
    """Call ``callback(session)`` for every Session started from now on (in this process).

    Returns:
        the function that stops it.
    """
    _observers.append(callback)
    return lambda: _observers.remove(callback) if callback in _observers else None


class Session:
    """A started machine and its console, for callers that interact before the end.

    Args:
        config: what to boot.
        stream: also write the console there as it arrives (``invoke boot``: sys.stdout).
        stdin: bytes ``finish`` types on the console for the programs to read, then the end
            of file (``console.tty_input``: read() returns them, then 0); with echo off
            (``with_piped_stdin``) they are not in the console transcript.

    Attributes:
        interactive: someone may type on the console (``run()`` sets it False: booting the
            same config again gives the same run).
        result: the Run, once ``finish`` judged it.
    """

    def __init__(self, config: Optional[QemuConfig] = None, *,
                 stream: Optional[TextIO] = None, stdin: Optional[bytes] = None) -> None:
        self.config = config or QemuConfig()
        self.stream = stream
        self.stdin = stdin
        self.machine = QemuMachine(self.config)
        self.console: Optional[Console] = None
        self.interactive = True
        self._t0 = 0.0
        self.result: Optional[Run] = None

    def start(self) -> "Session":
        """Start QEMU (ToolMissing / BadImage / BadConfig before anything runs)."""
        self._t0 = time.monotonic()
        process = self.machine.start()
        self.console = Console(process, stream=self.stream, command=self.machine.command)
        for callback in list(_observers):
            callback(self)
        return self

    def finish(self, timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S) -> Run:
        """Read the console until QEMU exits (at most ``timeout_s``), stop, judge.

        A guest that is still running at the deadline is stopped; the Run says ``timeout``.
        """
        if self.result is not None:
            return self.result
        m, console = self.machine, self.console
        place = None
        try:
            deadline = time.monotonic() + timeout_s
            if self.stdin is not None:
                console.feed(tty_input(self.stdin), timeout_s)
            timed_out = not console.read_to_eof(max(0.0, deadline - time.monotonic()))
            if timed_out and m.qmp_socket is not None:
                place = guest_place.where(m.qmp_socket)
            if not timed_out:
                # EOF: QEMU closed the pty, so it is exiting; reaping is bounded anyway.
                m.reap(C.DEFAULT_KILL_TIMEOUT_S)
        finally:
            m.stop()
        duration = time.monotonic() - self._t0
        parsed = parse_console(console.text)
        log_text, stderr = m.log_text(), m.stderr_text()
        rc = m.exit_code if not m.stopped_by_harness else None
        verdict = judge(parsed.events, rc, qemu_signal=m.term_signal, timed_out=timed_out,
                        timeout_s=timeout_s, reset_log=log_text, stderr=stderr)
        where = describe_place(place, self.config, parsed.events) if place else ""
        if where:
            verdict.detail += f"; {where}"
        self.result = Run(config=self.config, command=m.command, verdict=verdict,
                          events=parsed.events, user_lines=parsed.user_lines,
                          console=console.text, raw_console=console.raw, rc=rc,
                          qemu_signal=m.term_signal, log=log_text, stderr=stderr,
                          duration_s=duration, parse_errors=parsed.errors,
                          history=console.history(), where=where, timeout_s=timeout_s)
        log.info("run finished: %s (%.2f s)", verdict.detail, duration)
        return self.result

    def __enter__(self) -> "Session":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.machine.stop()


def describe_place(place: guest_place.GuestPlace, config: QemuConfig,
                   events: Sequence[Event]) -> str:
    """``the guest was at 0x... <sym+off> (CPL 3, pid 2 hello); last kernel event: ...``:
    RIP named from the kernel's symbols or the running program's (by the name the kernel
    holds for it; init's when unknown)."""
    by_name = {m.name: m.path for m in config.modules()}
    path = (Path(config.kernel) if place.rip >= 1 << 63
            else by_name.get(place.program, Path(config.init)))
    found = function_symbol(path, place.rip)
    name = (f"{found[0]}+{found[1]}" if found[1] else found[0]) if found else ""
    who = f", pid {place.pid} {place.program}" if place.pid else ""
    last = next((e.line for e in reversed(events) if e.line), "")
    return (f"the guest was at {place.rip:#x}{' <' + name + '>' if name else ''} "
            f"(CPL {place.cpl}{who})" + (f"; last kernel event: {last}" if last else ""))


def run(config: Optional[QemuConfig] = None, *, timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S,
        stream: Optional[TextIO] = None, stdin: Optional[StdinLike] = None) -> Run:
    """Boot ``config`` and read its console until QEMU exits; never raises for guest outcomes.

    Args:
        config: what to boot (default: images/kernel.elf with images/user/init).
        timeout_s: the most the whole run may take; past it QEMU is stopped (outcome timeout).
        stream: also write the console there as it arrives.
        stdin: what the programs read from the console, as from a pipe: bytes, a str (UTF-8)
            or a host file (a Path); then the end of file (read() = 0, once: the console
            is a terminal, so a read after that waits for more). Any byte value goes through
            (each control byte typed after the console's literal-next key, Ctrl-V); the
            console's echo is off (``console.echo=0``), so ``user_lines`` hold only what the
            programs print. Assumes the console's canonical mode (the default; a program
            that switches to raw mode reads the keystrokes themselves).

    Returns:
        the Run (see ``Run.outcome``, ``Run.status``, ``Run.check()``).

    Raises:
        ToolMissing, BadImage, BadConfig: before QEMU starts (BadConfig also for an
            unreadable ``stdin`` file).
    """
    data = None
    if stdin is not None:
        data = stdin_bytes(stdin)
        config = with_piped_stdin(config or QemuConfig())
    session = Session(config, stream=stream, stdin=data)
    session.interactive = False
    with session as s:
        return s.finish(timeout_s)


def program(name: str) -> Path:
    """Path of a userland program built by ``make -C userland``."""
    return C.USER_IMAGES_DIR / name


def user_programs(directory: Path = C.USER_IMAGES_DIR,
                  exclude_prefixes: Sequence[str] = C.DEFAULT_FS_EXCLUDE_PREFIXES) -> List[Path]:
    """Every program ``make -C userland`` built (ELF files, sorted by name), for "/".

    Leaves out the dependency files and the probes named by ``exclude_prefixes`` (booted as
    init by their own tests).
    """
    try:
        entries = sorted(os.scandir(directory), key=lambda e: e.name)
    except (FileNotFoundError, NotADirectoryError):
        return []               # not built yet: init's own check then says so, with the hint
    found = []
    skip = tuple(exclude_prefixes)
    for e in entries:
        if e.name.startswith(skip) or not e.is_file():
            continue
        fd = os.open(e.path, os.O_RDONLY)
        try:
            if os.pread(fd, 4, 0) == b"\x7fELF":
                found.append(Path(e.path))
        finally:
            os.close(fd)
    return found


def with_init_args(append: str, *args: str) -> str:
    """``append`` with ``args`` added to the kernel's ``init.args=`` (comma list) token."""
    tokens = append.split()
    for i, tok in enumerate(tokens):
        if tok.startswith("init.args="):
            tokens[i] = ",".join([tok] + list(args)) if tok != "init.args=" else tok + ",".join(args)
            return " ".join(tokens)
    return " ".join(tokens + ["init.args=" + ",".join(args)])


TRACE_KEY = "trace"    # kernel argument: which event families to print (kernel/include/kargs.h)


def trace_kinds(append: str) -> Tuple[str, ...]:
    """The event families the ``trace=`` token of ``append`` asks for, in its order:
    ``"trace=syscall,signal init.args=x"`` -> ``("syscall", "signal")``; ``()`` without one."""
    for tok in append.split():
        key, _, value = tok.partition("=")
        if key == TRACE_KEY:
            return tuple(k for k in value.split(",") if k)
    return ()


def with_trace(append: str, *kinds: str) -> str:
    """``append`` asking the kernel also for the events of ``kinds`` (the words of the
    kernel's ``trace=`` set in images/kabi.json: ``"syscall"``, ``"mem"``, ``"signal"``),
    merged into its ``trace=`` token, since the kernel refuses a key given twice:
    ``with_trace("trace=syscall init.args=2", "signal")`` ->
    ``"trace=syscall,signal init.args=2"``; a kind already asked for is not repeated.

    Raises:
        BadConfig: a kind that is empty or holds a comma, ``=`` or white space. A word the
            kernel does not know is refused with the rest of the command line before QEMU
            starts (``check_append``, from the kernel ABI file).
    """
    for k in kinds:
        if not k or any(ch in k for ch in ",=") or any(ch.isspace() for ch in k):
            raise BadConfig(f"trace kind {k!r}: expected one word of the kernel's trace= set")
    tokens = append.split()
    have = trace_kinds(append)
    value = ",".join(have + tuple(dict.fromkeys(k for k in kinds if k not in have)))
    for i, tok in enumerate(tokens):
        if tok.partition("=")[0] == TRACE_KEY:
            tokens[i] = f"{TRACE_KEY}={value}"
            return " ".join(tokens)
    return " ".join(tokens + [f"{TRACE_KEY}={value}"]) if value else append


def with_init_argv(append: str, args: str) -> str:
    """``append`` with the words of ``args`` (shell-quoted) added to init's argv
    (``invoke boot --args``).

    Raises:
        BadConfig: a word is empty or holds a comma or white space (the kernel's
            ``init.args=`` token is a comma list inside a space-separated command line).
    """
    try:
        words = shlex.split(args)
    except ValueError as err:
        raise BadConfig(f"--args {args!r}: {err}") from None
    for w in words:
        if not w or "," in w or any(ch.isspace() for ch in w):
            raise BadConfig(f"--args: {w!r}: init's arguments cannot be empty or hold commas or "
                            "white space")
    return with_init_args(append, *words) if words else append


def invoke_args(cfg: Union[QemuConfig, Machine], *, timeout_s: Optional[float] = None,
                task: str = "boot") -> List[str]:
    """The ``invoke TASK`` options that boot ``cfg`` again (``--init``, ``--file``...), with
    absolute paths, and ``--timeout`` when ``timeout_s`` is not the default: the machine
    description's ``boot_options`` (one translation for every reproduce line), told which
    programs the default init gets in "/" by itself (not repeated)."""
    machine = cfg if isinstance(cfg, Machine) else Machine(cfg, timeout_s=timeout_s)
    if timeout_s is not None:
        machine = Machine(machine.config, stdin=machine.stdin, timeout_s=timeout_s,
                          copies=machine.copies)
    return boot_options(machine, task=task, implied=user_programs())


def invoke_line(cfg: Union[QemuConfig, Machine], *, task: str = "boot",
                extra: Sequence[str] = (), timeout_s: Optional[float] = None) -> str:
    """The shell line that runs ``invoke TASK`` on ``cfg`` again from any directory, e.g.
    ``cd /repo && .venv/bin/invoke boot --init /repo/images/user/hlt`` (with
    ``RINGLAB_SANITIZE=1`` in front when the sanitizer kernel is this process's kernel, and
    ``< FILE`` after it for a Machine whose programs read a file)."""
    env = [f"{C.SANITIZE_ENV}=1"] if C.SANITIZE else []
    redirect = stdin_redirect(cfg) if isinstance(cfg, Machine) and task == "boot" else ""
    return (f"cd {shlex.quote(str(C.REPO_ROOT))} && "
            + shlex.join(env + [".venv/bin/invoke", task]
                         + invoke_args(cfg, timeout_s=timeout_s, task=task) + list(extra))
            + redirect)


def boot_config(init: Optional[PathLike] = None, files: Sequence[PathLike] = (), *,
                shell: bool = False, append: str = "", kernel: Optional[PathLike] = None,
                cpu: Optional[str] = None, user: Union[None, str, int, Tuple[int, int]] = None,
                **config) -> QemuConfig:
    """The machine ``invoke boot`` starts (also ``invoke trace`` and ``--gdb``/``--record``).

    Args:
        init: pid 1 (default images/user/init). With the default init, "/" also holds every
            program of ``user_programs()`` (the demonstration and the shell run them); with
            another init it holds only ``files``.
        files: further host files for "/" (``--file``), named by their base names.
        shell: add ``init.args=--shell`` (init execs /sh after its demonstration).
        append: kernel arguments.
        kernel: the multiboot kernel (None: images/kernel.elf).
        cpu: QEMU's CPU model (None: DEFAULT_CPU).
        user: run init unprivileged: ``"UID[:GID]"`` (``invoke boot --user``), a uid (gid the
            same) or ``(uid, gid)``; None: root.
        config: further QemuConfig fields (int_log, ...).

    Raises:
        BadConfig: an ``append`` argument the kernel would refuse (its ABI file's keys and
            their grammars); a bad ``user``.
        BadImage: images/kabi.json missing (for images/kernel.elf).
    """
    extra: List[Path] = []
    if init is None:
        init = C.DEFAULT_INIT
        names = {Path(f).name for f in files}
        extra = [p for p in user_programs() if p.name != init.name and p.name not in names]
    if shell:
        append = with_init_args(append, C.SHELL_INIT_ARG)
    if kernel:
        config["kernel"] = Path(kernel)
    if cpu:
        config["cpu"] = cpu
    if user is not None:
        config["user"] = user_ids(user)
    cfg = QemuConfig(init=Path(init), files=extra + [Path(f) for f in files], append=append,
                     **config)
    if is_default_kernel(cfg.kernel):
        check_kernel_args(append, cfg.kernel)   # the kernel would panic: say it first
    return cfg


def user_ids(user: Union[str, int, Tuple[int, int]]) -> Tuple[int, int]:
    """``(uid, gid)`` from ``"UID[:GID]"``, a uid (the gid the same) or a pair.

    Raises:
        BadConfig: not ids in 0..2**32-2.
    """
    def is_int(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool)
    if isinstance(user, str):
        return parse_user(user)
    if is_int(user):
        return parse_user(str(user))
    if isinstance(user, tuple) and len(user) == 2 and all(is_int(v) for v in user):
        return parse_user(f"{user[0]}:{user[1]}")
    raise BadConfig(f"user {user!r}: expected \"UID[:GID]\", a uid or (uid, gid)")


def shell_config(files: Sequence[Path] = (), append: str = "", **config) -> QemuConfig:
    """The default init with every program in "/" and ``--shell``: a shell on the console."""
    return boot_config(None, files, shell=True, append=append, **config)
