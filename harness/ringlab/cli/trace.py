"""``invoke trace``: the timeline of every ring transition of a run, witnessed by gdb, and
whether QEMU's own ``-d int`` log agrees."""
from __future__ import annotations

import json
import sys
from dataclasses import asdict
from typing import Optional

from .. import lab
from ..core import constants as C
from ..core.errors import BreakpointNotHit
from ..debug import trace as tracer
from .epilogue import Epilogue


def main(init: Optional[str] = None, append: str = "",
         timeout_s: float = tracer.DEFAULT_TRACE_TIMEOUT_S, as_json: bool = False,
         check_log: bool = True, show_console: bool = False) -> int:
    """Print the timeline; returns the machine status as ``invoke boot`` does (init's exit
    status, 128 + signal, or the outcome's status; EXIT_TIMEOUT, 252, when the run did not
    end within ``timeout_s``), or 1 if QEMU's log disagrees with gdb.

    Args:
        init: program to run as pid 1 (default images/user/init).
        append: kernel arguments.
        as_json: one JSON object per transition instead of the table.
        check_log: also run with QEMU's ``-d int`` log and say whether it agrees.
        show_console: stream the serial console (stderr) while tracing.
    """
    out = sys.stdout

    def emit(t: tracer.Transition) -> None:
        out.write((json.dumps(asdict(t)) if as_json else t.row()) + "\n")
        out.flush()

    def body(ep: Epilogue) -> int:
        cfg = lab.boot_config(init, append=append, int_log=check_log)
        cfg.validate()                  # a missing image: one error line, no table header
        if not as_json:
            print(f"ring transitions of {cfg.init} (gdb breakpoints on syscall_entry, "
                  "alltraps, sysretq, iretq)")
            print(tracer.HEADER, flush=True)
        try:
            tr = tracer.trace(cfg, timeout_s=timeout_s,
                              stream=sys.stderr if show_console else None,
                              on_transition=emit)
        except BreakpointNotHit as err:     # a long run: a timeout (252), not bad input (2)
            ep.say(f"timed out: {err}")
            print(err.report().split("\n", 1)[-1], file=sys.stderr, flush=True)
            return C.EXIT_TIMEOUT
        run = tr.run
        summary = (f"{len(tr.transitions)} transitions ({len(tr.syscalls())} system calls), "
                   f"{tr.stops} gdb stops, {tr.duration_s:.2f} s; machine: "
                   f"{run.outcome.value}: {run.verdict.detail}")
        problems = tracer.compare_with_qemu_log(tr, tr.qemu_log) if check_log else []
        if check_log:
            n_log = len([t for t in tr.transitions if t.vector is not None])
            summary += (f"; QEMU -d int agrees ({n_log} IDT entries from ring 3)"
                        if not problems else
                        "; QEMU -d int DISAGREES:\n  " + "\n  ".join(problems))
        ep.say(summary, stream=sys.stderr if as_json else sys.stdout)
        ep.evidence(run)
        if problems and run.exit_status == 0:
            return 1
        return run.exit_status

    return Epilogue("trace", interrupted="QEMU and gdb stopped").run(body)
