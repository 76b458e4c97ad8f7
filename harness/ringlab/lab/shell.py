"""The guest shell (userland/sh.c) on pexpect's terms, on top of ``console.Console``.

``Shell.run(command)`` is prompt-synchronised: it waits for the prompt, sends the line,
waits for the kernel's echo of it and for the next prompt, and returns a ``CommandResult``
with the command's output and its status. The status is evidence, not a guess: it comes from
the kernel's ``exit``/``kill`` events printed between the echo and the next prompt::

    with lab.Session(lab.shell_config()) as s:
        sh = Shell(s.console)
        r = sh.run("crashme")
        assert r.signal == 11 and "crashme: killed by SIGSEGV" in r.lines
        sh.exit()
        assert s.finish().status == 0

Interactive programs: ``start(command)``, then ``sendline``/``expect``, then ``wait()``.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Union

from ..core import constants as C
from ..machine.console import Console, Match, Pattern
from ..observe.events import Event, EventKind, Exit, Kill, Value, of as events_of, parse_console

log = logging.getLogger(__name__)

# The prompt: "$ " at the start of a line. \A covers a prompt right after the echo of a
# built-in's line (the echo match ends at a newline, so the unread text starts a line).
PROMPT_RE = re.compile(r"(?:\A|\n)\$ ")


@dataclass
class CommandResult:
    """What one command line did.

    Attributes:
        command: the line sent.
        text: the console between the echo of the line and the next prompt (LF line ends),
            kernel lines included.
        lines: the user output lines (kernel lines removed).
        events: the kernel events printed meanwhile (exit, kill, fault, mem, ...).
        pid: the pid of the shell's child: the lowest pid among the ``exit``/``kill`` events
            (the kernel hands out pids in increasing order, so the shell's child is older
            than anything it started). None for a built-in (no process ended).
        exit_code: the child's exit status (``exit`` event), or None.
        signal: the signal that killed the child (``kill`` event), or None.
        signal_name: e.g. ``"SIGSEGV"``.
    """

    command: str
    text: str
    lines: List[str]
    events: List[Event]
    pid: Optional[int] = None
    exit_code: Optional[int] = None
    signal: Optional[int] = None
    signal_name: Optional[str] = None
    parse_errors: List[str] = field(default_factory=list)

    @property
    def status(self) -> Optional[int]:
        """The shell convention: the exit code, or 128 + signal; None for a built-in."""
        if self.signal is not None:
            return 128 + self.signal
        return self.exit_code

    @property
    def output(self) -> str:
        """The user output, one LF-terminated line each."""
        return "".join(l + "\n" for l in self.lines)

    def of(self, *kinds: EventKind, **fields: Value) -> List[Event]:
        """The command's events of ``kinds`` with ``fields`` (``observe.events.of``)."""
        return events_of(self.events, *kinds, **fields)

    def describe(self) -> str:
        """Multi-line evidence for assertion messages."""
        head = (f"command {self.command!r}: pid={self.pid} exit_code={self.exit_code} "
                f"signal={self.signal}")
        return head + "\n" + "\n".join("  | " + l for l in self.text.splitlines())


def command_result(command: str, text: str) -> CommandResult:
    """Build a CommandResult from the console text a command produced (after its echo)."""
    parsed = parse_console(text)
    ended = events_of(parsed.events, Exit, Kill)
    res = CommandResult(command=command, text=text.replace("\r", ""), lines=parsed.user_lines,
                        events=parsed.events, parse_errors=parsed.errors)
    if ended:
        child = min(ended, key=lambda e: e.pid)
        res.pid = child.pid
        if isinstance(child, Kill):
            res.signal, res.signal_name = child.signal, child.name
        else:
            res.exit_code = child.status
    return res


class Shell:
    """Drives the guest shell through a Console.

    Args:
        console: the serial console of a machine booted with the shell
            (``lab.shell_config()``: init with ``init.args=--shell`` and the programs in "/").
        prompt: regex of the prompt, anchored at a line start.
    """

    def __init__(self, console: Console, *, prompt: Union[str, "re.Pattern[str]"] = PROMPT_RE):
        self.console = console
        self.prompt = re.compile(prompt) if isinstance(prompt, str) else prompt
        self.at_prompt = False
        self.banner = ""          # everything before the first prompt
        self._command: Optional[str] = None

    # -- pexpect's terms ----------------------------------------------------------------------
    def send(self, text: str) -> None:
        """Send raw characters (e.g. "\\x04" for Ctrl-D, "\\x7f" for backspace)."""
        self.at_prompt = False
        self.console.send(text)

    def sendline(self, text: str = "") -> None:
        """Send ``text`` and a newline."""
        self.at_prompt = False
        self.console.sendline(text)

    def expect(self, patterns: Union[Pattern, Sequence[Pattern]],
               timeout_s: float = C.DEFAULT_SHELL_COMMAND_TIMEOUT_S) -> Match:
        """``Console.expect``: returns the Match, whose ``index`` says which pattern matched."""
        return self.console.expect(patterns, timeout_s)

    # -- prompt-synchronised ------------------------------------------------------------------
    def wait_prompt(self, timeout_s: float = C.DEFAULT_SHELL_COMMAND_TIMEOUT_S) -> str:
        """Wait for the prompt; returns the text before it (as sent: CRLF line ends).

        Raises:
            GuestTimeout: no prompt within ``timeout_s`` (with the last console lines).
            ConsoleClosed: the machine ended instead.
        """
        found = self.console.expect(self.prompt, timeout_s)
        self.at_prompt = True
        return found.before

    def start(self, command: str, timeout_s: float = C.DEFAULT_SHELL_COMMAND_TIMEOUT_S) -> None:
        """Wait for the prompt if needed, send ``command`` and wait for the kernel's echo of it."""
        if "\n" in command or "\r" in command:
            raise ValueError(f"one line at a time: {command!r}")
        if not self.at_prompt:
            before = self.wait_prompt(timeout_s)
            if self._command is None and not self.banner:
                self.banner = before
        self.sendline(command)
        self.console.expect(re.compile(re.escape(command) + r"\r*\n"), timeout_s)
        self._command = command

    def wait(self, timeout_s: float = C.DEFAULT_SHELL_COMMAND_TIMEOUT_S) -> CommandResult:
        """Wait for the prompt that ends the command ``start`` sent; the result."""
        if self._command is None:
            raise RuntimeError("no command started")
        text = self.wait_prompt(timeout_s)
        res = command_result(self._command, text)
        log.info("shell: %r -> pid=%s status=%s", self._command, res.pid, res.status)
        self._command = None
        return res

    def run(self, command: str,
            timeout_s: float = C.DEFAULT_SHELL_COMMAND_TIMEOUT_S) -> CommandResult:
        """Run one command line and return its output and status (see ``CommandResult``).

        Args:
            command: a line for the shell, e.g. ``"ls"`` or ``"cat example.txt"``.
            timeout_s: bounds each wait (prompt, echo, next prompt).
        """
        self.start(command, timeout_s)
        return self.wait(timeout_s)

    def exit(self, status: Optional[int] = None,
             timeout_s: float = C.DEFAULT_SHELL_COMMAND_TIMEOUT_S) -> str:
        """Send the ``exit`` built-in and read until QEMU exits; returns the text after the echo.

        The caller then judges the machine (``Session.finish()``): status ``status`` or 0.
        """
        line = "exit" if status is None else f"exit {status}"
        self.start(line, timeout_s)
        self.console.read_to_eof(timeout_s)
        return self.console.text
