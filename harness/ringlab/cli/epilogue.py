"""What every ``invoke`` task prints around its own output: one prefix per tool, one error line
(with the same hint for the same problem everywhere), the outcome line, Ctrl-C, exit status.

A task body runs inside ``Epilogue.run``::

    return Epilogue("boot").run(lambda ep: ep.outcome(lab.run(cfg, stream=sys.stdout)))

- A setup error (a missing tool or image, a bad option or file) is one line on stderr,
  ``ringlab-boot: error: ...``, and exit status EXIT_SETUP_ERROR. A missing file under images/
  adds the hint ``(build it first: invoke build)``.
- Any other harness error (gdb, a stub that does not answer...) is that line followed by its
  evidence (command line, console tail, log tail), same exit status.
- Ctrl-C prints ``ringlab-boot: interrupted (...)`` and exits EXIT_INTERRUPTED (130); the
  machines and gdbs the task started are stopped by their own context managers first. A task
  started with SIGINT ignored (a background command of a shell without job control, POSIX)
  keeps it ignored, as Python does: that terminal's Ctrl-C is not the task's.
- The outcome of a machine run is one line, ``ringlab-boot: OUTCOME: detail [0.12 s]``,
  then, if the machine failed, its evidence; the exit status is the machine status.
"""
from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable, Optional, Sequence, TextIO

from ..core import constants as C
from ..core.errors import BadConfig, BadImage, BadRecording, RinglabError, ToolMissing
from ..lab import Run, session
from ..observe.verdict import Outcome
from ..machine.lines import ProcessLineReader

#: errors that stop a task before anything ran: one line, no evidence
SETUP_ERRORS = (ToolMissing, BadImage, BadConfig, BadRecording)
BUILD_HINT = " (build it first: invoke build)"


def missing_image_hint(err: RinglabError) -> str:
    """The hint for a file that ``invoke build`` makes (a path under images/), else ""."""
    if (isinstance(err, BadImage) and err.reason == "no such file"
            and Path(err.path).resolve().is_relative_to(C.IMAGES_DIR.resolve())):
        return BUILD_HINT
    return ""


class Epilogue:
    """The printing conventions of one tool.

    Args:
        tool: the tool's name; every line it prints itself starts ``ringlab-TOOL: ``.
        interrupted: what Ctrl-C stopped, for the ``interrupted (...)`` line.
    """

    def __init__(self, tool: str, *, interrupted: str = "QEMU stopped") -> None:
        self.prefix = f"ringlab-{tool}: "
        self.interrupted_what = interrupted

    def say(self, *lines: str, stream: Optional[TextIO] = None) -> None:
        """Each line under the tool's prefix, on stderr (or ``stream``)."""
        sys.stdout.flush()
        print("\n".join(self.prefix + l for l in lines), file=stream or sys.stderr, flush=True)

    def error(self, message: str) -> int:
        """``ringlab-TOOL: error: MESSAGE``; returns EXIT_SETUP_ERROR."""
        sys.stdout.flush()
        print(self.prefix + "error: " + message, file=sys.stderr, flush=True)
        return C.EXIT_SETUP_ERROR

    def failed(self, err: RinglabError) -> int:
        """An error raised by the harness: one line (setup errors) or the line and its
        evidence; returns EXIT_SETUP_ERROR."""
        if isinstance(err, SETUP_ERRORS):
            return self.error(str(err) + missing_image_hint(err))
        return self.error(err.report())

    def interrupted(self) -> int:
        """The Ctrl-C line; returns EXIT_INTERRUPTED."""
        print("\n" + self.prefix + f"interrupted ({self.interrupted_what})", file=sys.stderr,
              flush=True)
        return C.EXIT_INTERRUPTED

    def outcome(self, run: Run, *, then: Sequence[str] = ()) -> int:
        """The outcome line of a machine run (plus ``then`` lines), its evidence if it failed;
        before it, when init was killed by a signal, the faults the machine took, named
        (``fault: ... at 0x40104a <main+26> hlt.c:12 ...``). Returns the machine's exit
        status."""
        if run.outcome is Outcome.KILLED and run.of("fault"):  # before the outcome line (last)
            self.say(*run.fault_lines(self._reader()))
        self.say(f"{outcome_text(run)} [{run.duration_s:.2f} s]", *then)
        self.evidence(run)
        return run.exit_status

    @staticmethod
    def _reader():
        """The source line reader in use, else machine.symbols in a child process (this one
        need not load pyelftools), installed for the run's reports."""
        if session.source_lines() is None:
            session.use_source_lines(ProcessLineReader())
        return session.source_lines()

    def evidence(self, run: Run) -> None:
        """A failed machine's evidence (its faults and panic backtrace with symbols and source
        lines, command, console tail, QEMU log tail) on stderr. Source lines come from the
        reader in use, else from machine.symbols in a child process (this one need not load
        pyelftools)."""
        if run.outcome.machine_ok:
            return
        self._reader()
        err = run.error()
        if err is not None:
            print(err.report(), file=sys.stderr, flush=True)

    def run(self, body: Callable[["Epilogue"], int]) -> int:
        """Run a task body; harness errors and Ctrl-C become their lines and exit statuses."""
        try:
            return body(self)
        except KeyboardInterrupt:
            return self.interrupted()
        except RinglabError as err:
            return self.failed(err)


def outcome_text(run: Run) -> str:
    """``OUTCOME: detail``, the outcome said once (a timeout's detail starts with it)."""
    detail, value = run.verdict.detail, run.outcome.value
    return detail if detail.startswith(value + ":") else f"{value}: {detail}"


def timeout_or(timeout_s: Optional[float], default_s: float) -> float:
    """``--timeout`` if given, else the task's default."""
    return default_s if timeout_s is None else float(timeout_s)
