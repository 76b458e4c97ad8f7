"""Every exception type of the harness, one per failure kind; each carries the evidence
needed to act on it.

``str(err)`` is always one line (what ``invoke`` prints); ``err.report()`` adds the
evidence: the command line, the last console lines and the tail of QEMU's log.
"""
from __future__ import annotations

import shlex
from typing import Optional, Sequence


class RinglabError(Exception):
    """Base class of every harness error.

    Args:
        message: one line saying what is wrong (and what to do about it).
        command: the command line involved, if any.
        console_tail: the last serial console lines, if a machine ran.
        log_tail: the last lines of QEMU's log (or stderr, or make's output).
        reproduce: shell lines that run it again (``invoke boot ...``), one per line.
    """

    def __init__(self, message: str, *, command: Optional[Sequence[str]] = None,
                 console_tail: Sequence[str] = (), log_tail: Sequence[str] = (),
                 reproduce: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.reproduce = list(reproduce)
        self.message = message
        self.command = list(command) if command is not None else None
        self.console_tail = list(console_tail)
        self.log_tail = list(log_tail)

    def __str__(self) -> str:
        return self.message

    def report(self) -> str:
        """The message followed by every piece of evidence, one block each."""
        parts = [self.message]
        if self.command:
            parts.append("command: " + shlex.join(self.command))
        parts += self.reproduce
        if self.console_tail:
            parts.append("last console lines:\n" + "\n".join("  | " + l for l in self.console_tail))
        if self.log_tail:
            parts.append("log tail:\n" + "\n".join("  | " + l for l in self.log_tail))
        return "\n".join(parts)


class ToolMissing(RinglabError):
    """A host tool is not installed; the message names the Debian package."""

    def __init__(self, tool: str, package: str) -> None:
        super().__init__(f"{tool} not found: install the Debian package {package} "
                         f"(sudo apt-get install {package})")
        self.tool = tool
        self.package = package


class BadImage(RinglabError):
    """A file that should be a static x86-64 ELF executable (or the kernel) is not."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


class BadConfig(RinglabError):
    """A machine configuration QEMU or the kernel cannot take (e.g. ',' in a module path)."""


class BuildError(RinglabError):
    """``make`` failed or its output is missing."""


class QemuStartError(RinglabError):
    """QEMU exited before the guest printed anything (bad option, unreadable kernel...)."""


class GuestTimeout(RinglabError):
    """The guest did not reach the expected point within the timeout."""


class ConsoleClosed(RinglabError):
    """The console reached EOF (QEMU exited) while a caller was waiting for a pattern."""


class QemuStopError(RinglabError):
    """QEMU could not be terminated and reaped (should never happen; the evidence says why)."""


class GuestFailure(RinglabError):
    """A run ended in an outcome the caller did not accept (panic, triple fault, wrong status...)."""


class BadCoverDump(RinglabError):
    """A file that should be a coverage kernel's record (kernel/include/cover.h) is not, or
    belongs to another kernel."""


class BadRecording(RinglabError):
    """A directory that holds no usable recording (missing, moved, modified files)."""


class EventParseError(ValueError):
    """A ``ringlab:`` line whose fields do not fit its event type."""


# -- gdb ----------------------------------------------------------------------------------------

class GdbError(RinglabError):
    """gdb failed in a way none of the more precise errors below describes."""


class GdbCommandError(GdbError):
    """gdb answered a command with ``^error``; ``gdb_message`` is gdb's own words."""

    def __init__(self, mi_command: str, gdb_message: str, **evidence) -> None:
        super().__init__(f"gdb: {mi_command}: {gdb_message}", **evidence)
        self.mi_command = mi_command
        self.gdb_message = gdb_message


class SymbolNotFound(GdbCommandError):
    """A symbol is in none of the symbol files loaded (kernel.elf, the user programs)."""


class MemoryReadError(GdbCommandError):
    """gdb could not read guest memory at that address (not mapped in the current CR3)."""


class GdbTimeout(GdbError):
    """gdb did not answer a command within its timeout."""


class StubNotAnswering(GdbError):
    """QEMU's gdbstub did not come up or did not answer (connect or first packet)."""


class BreakpointNotHit(GdbError):
    """The machine ran for the whole timeout without stopping (console tail attached)."""


class TargetExited(GdbError):
    """The machine exited (QEMU closed the console or the gdb connection) while gdb waited."""


class KabiError(RinglabError):
    """images/kabi.json lacks what the harness needs, or is not a kernel ABI file."""
