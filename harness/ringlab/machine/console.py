"""The serial console on pexpect's terms.

``Console.expect(patterns, timeout_s)`` returns which pattern matched, with ``before``,
``match`` and ``after``; ``Console.EOF`` and ``Console.TIMEOUT`` are outcomes a caller may
list among the patterns (then they are returned, not raised). Everything read is kept: the
whole transcript (CRLF normalised to LF) and a ring buffer of the last lines for evidence;
it can also be streamed to a file such as stdout as it arrives.
"""
from __future__ import annotations

import collections
import fcntl
import logging
import os
import re
import select
import termios
import time
import tty
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, TextIO, Union

import pexpect
from pexpect.spawnbase import SpawnBase

from ..core import constants as C
from ..core.errors import ConsoleClosed, GuestTimeout

log = logging.getLogger(__name__)

Pattern = Union[str, "re.Pattern[str]", type]

INTERACT_ESCAPE = b"\x1d"     # Ctrl-], as telnet and pexpect's interact()

# The kernel's console line discipline in canonical mode (kernel/console.c, as Linux's n_tty)
VLNEXT = 0x16                 # Ctrl-V: the next byte is data, whatever it is (IEXTEN)
VEOF = 0x04                   # Ctrl-D: ends a line without a newline; alone, end of file
FEED_CHUNK = 4096             # bytes written to the console at a time


def tty_literal(data: bytes) -> bytes:
    """``data`` as keystrokes a canonical-mode console takes as plain data: every control
    byte but newline and tab (the signal keys, erase, kill, VEOF, CR, VLNEXT itself) and DEL
    after a VLNEXT, so the program reads exactly ``data`` (newlines still end its lines)."""
    out = bytearray()
    for b in data:
        if (b < 0x20 and b not in (0x0A, 0x09)) or b == 0x7F:
            out.append(VLNEXT)
        out.append(b)
    return bytes(out)


def tty_eof(last: Optional[int]) -> bytes:
    """The keystrokes that end a canonical-mode console's input after a last byte ``last``
    (None: nothing was sent): VEOF at the start of a line, the end of file (read() = 0);
    after an unfinished line, a first VEOF hands that line over without a newline."""
    return bytes([VEOF] if last in (None, 0x0A) else [VEOF, VEOF])


def tty_input(data: bytes) -> bytes:
    """``data`` then the end of file, as keystrokes (``tty_literal`` + ``tty_eof``): what a
    program that reads the console to its end then reads, as from a pipe holding ``data``."""
    return tty_literal(data) + tty_eof(data[-1] if data else None)


class _Tap:
    """pexpect ``logfile_read``: sees every character read, whatever the caller expects."""

    def __init__(self, history_lines: int, stream: Optional[TextIO]) -> None:
        self.raw: List[str] = []
        self.text: List[str] = []
        self.history = collections.deque(maxlen=history_lines)
        self.partial = ""
        self.pending_cr = ""
        self.stream = stream
        self.raw_stream = False   # stream exactly as received (a raw terminal needs the CRs)

    def write(self, data: str) -> None:
        self.raw.append(data)
        if self.stream is not None and self.raw_stream:
            self.stream.write(data)
            self.stream.flush()
        # The kernel sends CRLF and the pty may add a CR: "\r\r\n". Turn any run of CRs
        # before LF into LF, holding CRs at a chunk's end until the next chunk decides.
        data = self.pending_cr + data
        stripped = data.rstrip("\r")
        self.pending_cr = data[len(stripped):]
        norm = re.sub(r"\r+\n", "\n", stripped)
        if not norm:
            return
        self.text.append(norm)
        pieces = (self.partial + norm).split("\n")
        self.partial = pieces.pop()
        self.history.extend(pieces)
        if self.stream is not None and not self.raw_stream:
            self.stream.write(norm)
            self.stream.flush()

    def flush(self) -> None:
        pass


@dataclass
class Match:
    """What ``Console.expect`` found.

    Attributes:
        index: position of the matching pattern in the list given.
        pattern: that pattern (``Console.EOF`` / ``Console.TIMEOUT`` for those outcomes).
        before: text read before the match (raw: CRLF as sent).
        match: the ``re.Match`` (None for EOF / TIMEOUT).
        after: the matched text (None for EOF / TIMEOUT).
    """

    index: int
    pattern: Any
    before: str
    match: Optional["re.Match[str]"]
    after: Optional[str]

    @property
    def eof(self) -> bool:
        return self.pattern is pexpect.EOF

    @property
    def timeout(self) -> bool:
        return self.pattern is pexpect.TIMEOUT


class Console:
    """A serial console read through pexpect (normally ``QemuMachine.console_io``).

    Args:
        process: the pexpect reader/writer of the serial line (QEMU's console pty, or any
            pexpect spawn, e.g. a program on a pty).
        history_lines: how many recent lines to keep for evidence.
        stream: if given, every character read is also written there (normalised to LF).
        command: the command line, quoted in errors.
    """

    EOF = pexpect.EOF
    TIMEOUT = pexpect.TIMEOUT

    def __init__(self, process: SpawnBase, *, history_lines: int = C.DEFAULT_HISTORY_LINES,
                 stream: Optional[TextIO] = None, command: Optional[Sequence[str]] = None) -> None:
        self.process = process
        self.command = list(command) if command else None
        self._tap = _Tap(history_lines, stream)
        process.logfile_read = self._tap
        self.eof = False
        self._typed: List[str] = []       # what send/sendline typed, in order

    @property
    def typed(self) -> str:
        """Everything ``send``/``sendline`` typed on the console so far (a shell test's
        commands: the artifacts replay them as the machine's stdin)."""
        return "".join(self._typed)

    # -- reading ------------------------------------------------------------------------------
    def expect(self, patterns: Union[Pattern, Sequence[Pattern]], timeout_s: float) -> Match:
        """Read until one of ``patterns`` matches.

        Args:
            patterns: a regex (str or compiled), ``Console.EOF``, ``Console.TIMEOUT``, or a
                list of them. Regexes are searched in the text as sent (lines end "\\r\\n").
            timeout_s: the most this call waits.

        Returns:
            the Match; ``index`` says which pattern.

        Raises:
            GuestTimeout: ``timeout_s`` passed and ``Console.TIMEOUT`` was not listed.
            ConsoleClosed: QEMU exited (EOF) and ``Console.EOF`` was not listed.
        """
        plist = list(patterns) if isinstance(patterns, (list, tuple)) else [patterns]
        compiled = [re.compile(p) if isinstance(p, str) else p for p in plist]
        search = list(compiled)
        if pexpect.EOF not in search:
            search.append(pexpect.EOF)
        if pexpect.TIMEOUT not in search:
            search.append(pexpect.TIMEOUT)
        idx = self.process.expect(search, timeout=timeout_s)
        got = search[idx]
        before = self.process.before if isinstance(self.process.before, str) else ""
        if got is pexpect.EOF:
            self.eof = True
        if got in (pexpect.EOF, pexpect.TIMEOUT):
            if got not in compiled:
                wanted = ", ".join(_describe(p) for p in plist)
                if got is pexpect.EOF:
                    raise ConsoleClosed(f"QEMU exited while waiting for {wanted}",
                                        command=self.command, console_tail=self.history())
                raise GuestTimeout(f"no {wanted} on the console within {timeout_s:g} s",
                                   command=self.command, console_tail=self.history())
            return Match(compiled.index(got), got, before, None, None)
        m = self.process.match
        return Match(idx, plist[idx], before, m, m.group(0))

    def expect_line(self, regex: str, timeout_s: float) -> "re.Match[str]":
        """Wait for a whole line matching ``regex`` (anchored at the line's start)."""
        found = self.expect(re.compile(r"(?m)^" + regex + r"\r*$"), timeout_s)
        return found.match

    def read_to_eof(self, timeout_s: float) -> bool:
        """Read everything until QEMU closes the console. Returns False on timeout."""
        if self.eof:
            return True
        return not self.expect([pexpect.EOF, pexpect.TIMEOUT], timeout_s).timeout

    def read_until(self, timeout_s: float, *, other: Optional[int] = None,
                   first_output: bool = False) -> str:
        """Read the console until QEMU closes it, or until ``other`` (a file descriptor) is
        readable, or (``first_output``) until the console has given anything at all.

        Returns:
            ``"eof"``, ``"other"``, ``"output"`` or ``"timeout"`` (``timeout_s`` passed first).
        """
        if self.eof:
            return "eof"
        deadline = time.monotonic() + timeout_s
        fd = self.process.child_fd
        fds = [fd] + ([other] if other is not None else [])
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return "timeout"
            readable, _, _ = select.select(fds, [], [], remaining)
            if fd in readable:
                self._read_available()
                if self.eof:
                    return "eof"
                if first_output:
                    return "output"
            if other is not None and other in readable:
                return "other"

    # -- writing (the guest shell) ------------------------------------------------------------
    def send(self, text: str) -> None:
        self._typed.append(text)
        self.process.send(text)

    def feed(self, data: bytes, timeout_s: float) -> bool:
        """Write ``data`` to the console while reading it (the guest may print as much as it
        reads: a blocking write could wait on a QEMU that waits on us). The guest's console
        takes bytes as it has room; QEMU holds back the rest.

        Returns:
            True once every byte is written; False if QEMU exited or ``timeout_s`` passed first.
        """
        deadline = time.monotonic() + timeout_s
        fd = self.process.child_fd
        flags = fcntl.fcntl(fd, fcntl.F_GETFL)
        fcntl.fcntl(fd, fcntl.F_SETFL, flags | os.O_NONBLOCK)
        sent = 0
        try:
            while sent < len(data) and not self.eof:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                readable, writable, _ = select.select([fd], [fd], [], remaining)
                if readable:
                    self._read_available()
                if writable:
                    try:
                        sent += os.write(fd, data[sent:sent + FEED_CHUNK])
                    except BlockingIOError:
                        pass
            return sent == len(data)
        finally:
            fcntl.fcntl(fd, fcntl.F_SETFL, flags)

    def _read_available(self) -> None:
        """Read what the console has now (into the transcript); notes QEMU's exit."""
        try:
            self.process.read_nonblocking(4096, timeout=0)  # logged by the tap
        except pexpect.EOF:
            self.eof = True
        except pexpect.TIMEOUT:
            pass

    def sendline(self, text: str = "") -> None:
        self.send(text + "\n")

    def interact(self, stdin_fd: int = 0, timeout_s: float = C.DEFAULT_SHELL_BOOT_TIMEOUT_S,
                 escape: Optional[bytes] = INTERACT_ESCAPE,
                 input_ready: Optional[str] = None,
                 interrupt: Optional[bytes] = None, literal: bool = False) -> str:
        """Hand the console to the caller's terminal, or pipe, until QEMU exits.

        Everything read still goes through the transcript (and the stream, if any). When
        ``stdin_fd`` is a terminal it is put in raw mode (restored afterwards), so keystrokes
        reach the guest's line discipline as typed (backspace, Ctrl-U, Ctrl-D), the stream gets
        the console exactly as sent, and ``escape`` (Ctrl-]) detaches. Otherwise (a pipe, a
        file) its bytes are forwarded as they come, and at its end the console's end of file
        (``tty_eof``: a program reading stdin to its end gets read() = 0); the console is still
        read after that.

        Args:
            stdin_fd: where the keystrokes come from.
            timeout_s: the most this call waits.
            escape: the byte that detaches from a terminal (None: never).
            interrupt: a second byte that detaches with ``"interrupt"`` (None, the default:
                Ctrl-C is forwarded like any other byte - the guest's console turns it into
                SIGINT for the running program).
            input_ready: a regex; stdin is not read until the console shows it (earlier
                keystrokes wait in the terminal or pipe).
            literal: (a pipe or file) every byte is data for the program (``tty_literal``:
                control bytes are not keys); False: bytes are keystrokes (a script for the
                shell).

        Returns:
            ``"eof"`` (QEMU exited), ``"escape"``, ``"interrupt"`` or ``"timeout"``.
        """
        is_tty = os.isatty(stdin_fd)
        saved = termios.tcgetattr(stdin_fd) if is_tty else None
        old_raw, self._tap.raw_stream = self._tap.raw_stream, is_tty
        deadline = time.monotonic() + timeout_s
        child_fd = self.process.child_fd
        reading_stdin = True
        last: Optional[int] = None
        gate = re.compile(input_ready) if input_ready else None
        try:
            if is_tty:
                tty.setraw(stdin_fd)
            while not self.eof:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return "timeout"
                if gate is not None and gate.search(self.text):
                    gate = None
                fds = [child_fd] + ([stdin_fd] if reading_stdin and gate is None else [])
                ready, _, _ = select.select(fds, [], [], remaining)
                if child_fd in ready:
                    self._read_available()
                if stdin_fd in ready:
                    data = os.read(stdin_fd, 1024)
                    if not data:
                        reading_stdin = False
                        if not is_tty and not self.eof:
                            self.feed(tty_eof(last), max(0.0, deadline - time.monotonic()))
                        continue
                    for key, how in ((escape, "escape"), (interrupt, "interrupt")):
                        if is_tty and key and key in data:
                            os.write(child_fd, data[:data.index(key)])
                            return how
                    last = data[-1]
                    if not is_tty:
                        self.feed(tty_literal(data) if literal else data,
                                  max(0.0, deadline - time.monotonic()))
                    else:
                        os.write(child_fd, data)
            return "eof"
        finally:
            if saved is not None:
                termios.tcsetattr(stdin_fd, termios.TCSADRAIN, saved)
            self._tap.raw_stream = old_raw

    # -- evidence -----------------------------------------------------------------------------
    def history(self) -> List[str]:
        """The last lines read (ring buffer) plus the unfinished one, LF-normalised."""
        lines = list(self._tap.history)
        if self._tap.partial:
            lines.append(self._tap.partial)
        return lines

    @property
    def text(self) -> str:
        """Everything read so far, with line ends normalised to LF."""
        return "".join(self._tap.text)

    @property
    def raw(self) -> str:
        """Everything read so far, exactly as received."""
        return "".join(self._tap.raw)


def _describe(p: Any) -> str:
    if p is pexpect.EOF:
        return "EOF"
    if p is pexpect.TIMEOUT:
        return "TIMEOUT"
    return repr(p.pattern if hasattr(p, "pattern") else p)
