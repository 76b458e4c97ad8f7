"""``invoke boot``: boot the kernel with an init, stream the console, exit with the machine
status (``--dry-run``: print the QEMU command; ``--shell``: hand the console to stdin).

``--gdb`` and ``--record`` are ``harness.cli.boot_debug`` (they need the debug layer, which
a plain boot does not load).
"""
from __future__ import annotations

import os
import stat
import sys
import time
from typing import List, Optional, Sequence

from .. import lab
from ..lab.accel import check_accel as accel_check
from ..core import constants as C
from ..machine.qemu import QemuConfig, dry_run_command
from .epilogue import Epilogue, timeout_or


def main(init: Optional[str] = None, append: str = "", timeout_s: Optional[float] = None,
         dry_run: bool = False, files: Sequence[str] = (), cpu: Optional[str] = None,
         int_log: bool = False, kernel: Optional[str] = None, shell: bool = False,
         gdb: bool = False, args: Optional[str] = None, accel: Optional[str] = None,
         user: Optional[str] = None) -> int:
    """Boot and stream the console to stdout; returns the machine's exit status.

    The last line (stderr) names the outcome, e.g. ``ringlab-boot: exited: init exited
    (status 0) [0.12 s]``. With ``shell`` or ``args`` (init's argv[1:], shell-quoted, e.g.
    ``"sh"`` for busybox) the console is also handed to stdin (a terminal or a pipe); on a
    terminal the default timeout is then a day instead of DEFAULT_BOOT_TIMEOUT_S. A stdin
    that is a pipe or a file always goes to the console, then the console's end of file (a
    program reading stdin to its end gets read() = 0): for ``shell`` as keystrokes (a script),
    else as the program's data (every byte literal, the console's echo off, as for
    ``prog < file``). ``gdb`` only matters with ``dry_run`` (the command line then has the
    gdbstub). ``user``
    (``"UID[:GID]"``) runs init unprivileged; a bad value is refused before QEMU (exit 2).
    """
    ep = Epilogue("boot")
    piped = not dry_run and stdin_is_data(sys.stdin)
    interactive = shell or args is not None or piped
    long_wait = shell or (interactive and os.isatty(sys.stdin.fileno()))
    timeout_s = timeout_or(timeout_s, C.DEFAULT_SHELL_BOOT_TIMEOUT_S if long_wait
                           else C.DEFAULT_BOOT_TIMEOUT_S)

    def body(ep: Epilogue) -> int:
        cfg = lab.boot_config(init, files, shell=shell, int_log=int_log, kernel=kernel, cpu=cpu,
                              append=lab.with_init_argv(append, args or ""), user=user)
        if piped and not shell:
            cfg = lab.with_piped_stdin(cfg)
        cfg.validate()
        cfg = cfg.replace(accel=accel_check(accel, cpu))
        if dry_run:
            if gdb:
                cfg = cfg.replace(gdb=True)     # the gdbstub changes no file: validated above
            print(dry_run_command(cfg), flush=True)
            return 0
        run = (_interactive(ep, cfg, timeout_s, literal=piped and not shell) if interactive
               else lab.run(cfg, timeout_s=timeout_s, stream=sys.stdout))
        return ep.outcome(run, then=_kept_int_log(run) if int_log else ())

    return ep.run(body)


def _kept_int_log(run: lab.Run) -> List[str]:
    """Keep QEMU's -d int log (the machine's temp dir is gone) and say where it is."""
    C.INT_LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    C.INT_LOG_FILE.write_text(run.log)
    return [f"QEMU's -d int log ({len(run.log.splitlines())} lines): {C.INT_LOG_FILE}"]


def stdin_is_data(stdin) -> bool:
    """True if ``stdin`` is a pipe or a regular file (data for the guest, with an end), False
    for a terminal, /dev/null or a closed stdin."""
    try:
        mode = os.fstat(stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISREG(mode)


def _interactive(ep: Epilogue, cfg: QemuConfig, timeout_s: float, *,
                 literal: bool = False) -> lab.Run:
    """Boot with the console handed to stdin/stdout (``invoke boot --shell``; a piped stdin:
    ``literal``, its bytes are the program's data)."""
    if os.isatty(sys.stdin.fileno()):
        ep.say("the console is yours; the shell's `exit` ends the machine, Ctrl-] stops it "
               "(Ctrl-C and Ctrl-\\ are the guest's: SIGINT, SIGQUIT)")
    t0 = time.monotonic()
    with lab.Session(cfg, stream=sys.stdout) as s:
        how = s.console.interact(sys.stdin.fileno(), timeout_s,
                                 input_ready=C.CONSOLE_INPUT_READY_RE, literal=literal)
        if how in ("escape", "interrupt"):
            raise KeyboardInterrupt
        return s.finish(max(0.0, timeout_s - (time.monotonic() - t0)))
