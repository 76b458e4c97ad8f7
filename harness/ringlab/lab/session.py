"""Lab layer, the machine: run a machine to completion and say what happened.

``run(config)`` boots, reads the console until QEMU exits (bounded by ``timeout_s``), and
returns a ``Run``: the events, the user program's output, the raw console, QEMU's rc and
logs, and the verdict. ``Session`` is the same with the machine in the caller's hands
in between (a shell on the console, gdb)::

    with Session(QemuConfig(init=path)) as s:
        s.console.expect(r"\\$ ", timeout_s=10)
        ...
        result = s.finish(timeout_s=30)

The run (``Run``) is ``ringlab.lab.result``'s, the configuration (``boot_config``,
``invoke_line``, ``stdin=``...) ``ringlab.lab.config``'s; both are re-exported here.
"""
from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable, List, Optional, Sequence, TextIO

from ..core import constants as C
from ..machine.console import Console, tty_input
from ..machine import place as guest_place
from ..machine.elfimage import function_symbol
from ..machine.qemu import QemuConfig, QemuMachine
from ..observe.events import Event, parse_console
from ..observe.verdict import judge
from .config import (NO_ECHO_KARG, TRACE_KEY, PathLike, StdinLike, boot_config,  # noqa: F401
                     invoke_args, invoke_line, program, shell_config, stdin_bytes, trace_kinds,
                     user_ids, user_programs, with_init_args, with_init_argv, with_karg,
                     with_piped_stdin, with_trace)
from .result import (KERNEL_HALF_START, MAX_BACKTRACE_LINES, MAX_FAULT_LINES,  # noqa: F401
                     Run, SourceLine, source_lines, use_source_lines)

log = logging.getLogger(__name__)


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
        """Start QEMU (ToolMissing / BadImage / BadConfig before anything runs).

        Whatever is raised once QEMU runs (a KeyboardInterrupt, an observer's error) is raised
        after QEMU was stopped: ``with Session(...)`` calls no ``__exit__`` when ``start``
        raises.
        """
        self._t0 = time.monotonic()
        process = self.machine.start()
        try:
            self.console = Console(process, stream=self.stream, command=self.machine.command)
            for callback in list(_observers):
                callback(self)
        except BaseException:
            self.machine.stop()
            raise
        return self

    def finish(self, timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S) -> Run:
        """Read the console until QEMU exits (at most ``timeout_s``), stop, judge.

        A guest that is still running at the deadline is stopped; the Run says ``timeout``.
        Under KVM, a guest QEMU stopped by itself (a KVM internal error: QEMU keeps running,
        the console never ends) is stopped as soon as QEMU's monitor says so; the verdict
        comes from QEMU's stderr (``qemu-failure``), not from a timeout.
        """
        if self.result is not None:
            return self.result
        m, console = self.machine, self.console
        place = None
        try:
            deadline = time.monotonic() + timeout_s
            if self.stdin is not None:
                console.feed(tty_input(self.stdin), timeout_s)
            if self.config.accel == "kvm" and m.qmp_socket is not None:
                ended = self._read_to_eof_or_stop(deadline)
            else:
                ended = ("eof" if console.read_to_eof(max(0.0, deadline - time.monotonic()))
                         else "timeout")
            timed_out = ended == "timeout"
            if timed_out and m.qmp_socket is not None:
                place = guest_place.where(m.qmp_socket)
            if ended == "eof":
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

    def _read_to_eof_or_stop(self, deadline: float) -> str:
        """Read the console until QEMU exits or stops the guest by itself (``place.
        watch_stopped``: a child on QEMU's monitor, started once the console shows output,
        so QEMU's monitor socket is listening by then).

        Returns:
            ``"eof"``, ``"stopped"`` (QEMU still runs, the guest stopped) or ``"timeout"``.
        """
        console = self.console
        got = console.read_until(max(0.0, deadline - time.monotonic()), first_output=True)
        if got != "output":
            return got
        watch = guest_place.watch_stopped(self.machine.qmp_socket,
                                          max(0.0, deadline - time.monotonic()))
        try:
            got = console.read_until(max(0.0, deadline - time.monotonic()),
                                     other=watch.stdout.fileno())
        finally:
            state = guest_place.end_watch(watch)
        if got == "other" and state is not None:
            log.info("QEMU stopped the guest (%s): stopping QEMU", state)
            return "stopped"
        if got == "other":      # the watcher gave up (no monitor): the console alone decides
            return ("eof" if console.read_to_eof(max(0.0, deadline - time.monotonic()))
                    else "timeout")
        return got

    def __enter__(self) -> "Session":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.machine.stop()


def describe_place(place: guest_place.GuestPlace, config: QemuConfig,
                   events: Sequence[Event]) -> str:
    """``the guest was at 0x... <sym+off> (CPL 3, pid 2 hello); last kernel event: ...``:
    RIP named from the kernel's symbols or the running program's (by the name the kernel
    holds for it; init's when unknown). Paused in ring 0 with the process's ring-3 RIP known
    (``GuestPlace.user_rip``), that place too: ``(CPL 0, pid 1 spin, from ring 3 at 0x...
    <main+2>)`` - a timer interrupt taken in a spinning program names the program's loop."""
    by_name = {m.name: m.path for m in config.modules()}
    program = by_name.get(place.program, Path(config.init))

    def named(rip: int) -> str:
        found = function_symbol(Path(config.kernel) if rip >= 1 << 63 else program, rip)
        name = (f"{found[0]}+{found[1]}" if found[1] else found[0]) if found else ""
        return f"{rip:#x}{' <' + name + '>' if name else ''}"

    who = f", pid {place.pid} {place.program}" if place.pid else ""
    if place.user_rip is not None:
        who += f", from ring 3 at {named(place.user_rip)}"
    last = next((e.line for e in reversed(events) if e.line), "")
    return (f"the guest was at {named(place.rip)} "
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


