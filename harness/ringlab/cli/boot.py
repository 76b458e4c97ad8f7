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
from pathlib import Path
from typing import List, Optional, Sequence, Union

from .. import lab
from ..lab.accel import check_accel as accel_check
from ..core import constants as C
from ..core import outputs
from ..machine.description import Machine, stdin_redirect
from ..machine.qemu import QemuConfig, dry_run_command
from .epilogue import Epilogue, timeout_or

INT_LOG_STEM = "qemu-int"       # --int-log: images/qemu-int-YYYYmmdd-HHMMSS-PID.log


def main(init: Optional[str] = None, append: str = "", timeout_s: Optional[float] = None,
         dry_run: bool = False, files: Sequence[str] = (), cpu: Optional[str] = None,
         int_log: Union[bool, str] = False, kernel: Optional[str] = None, shell: bool = False,
         gdb: bool = False, args: Optional[str] = None, accel: Optional[str] = None,
         user: Optional[str] = None, from_dir: Optional[str] = None) -> int:
    """Boot and stream the console to stdout; returns the machine's exit status.

    ``int_log``: True keeps QEMU's -d int log in a file named for this run
    (``int_log_path``), a path keeps it there. ``from_dir``: boot the machine a failed test's
    artifacts folder describes (its machine.json: the same files, or the folder's copies of
    the ones gone or changed since; its stdin and deadline), with no other machine option.

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
        if from_dir is not None:
            given = [o for o, v in (("--init", init), ("--append", append), ("--file", files),
                                    ("--cpu", cpu), ("--kernel", kernel), ("--shell", shell),
                                    ("--args", args), ("--user", user), ("--accel", accel))
                     if v]
            if given:
                return ep.error(f"--from DIR boots what the artifacts say: give no "
                                f"{', '.join(given)} with it")
            return _from(ep, from_dir, dry_run=dry_run, int_log=int_log, timeout_s=timeout_s)
        cfg = lab.boot_config(init, files, shell=shell, int_log=bool(int_log), kernel=kernel,
                              cpu=cpu, append=lab.with_init_argv(append, args or ""), user=user)
        if piped and not shell:
            cfg = lab.with_piped_stdin(cfg)
        cfg.validate()
        cfg = cfg.replace(accel=accel_check(accel, cpu))
        log_path = int_log_path(int_log) if int_log else None
        if dry_run:
            if gdb:
                cfg = cfg.replace(gdb=True)     # the gdbstub changes no file: validated above
            print(dry_run_command(cfg, log_file=log_path), flush=True)
            return 0
        run = (_interactive(ep, cfg, timeout_s, literal=piped and not shell) if interactive
               else lab.run(cfg, timeout_s=timeout_s, stream=sys.stdout))
        return ep.outcome(run, then=kept_int_log(run, log_path) if log_path else ())

    return ep.run(body)


def _from(ep: Epilogue, folder: str, *, dry_run: bool, int_log: Union[bool, str],
          timeout_s: Optional[float]) -> int:
    """``invoke boot --from FOLDER``: the machine of machine.json, with its stdin."""
    machine = Machine.load(folder)
    cfg = machine.config.replace(int_log=machine.config.int_log or bool(int_log))
    cfg.validate()
    log_path = int_log_path(int_log) if cfg.int_log else None
    if dry_run:
        print(dry_run_command(cfg, log_file=log_path)
              + (stdin_redirect(machine) if machine.stdin else ""), flush=True)
        return 0
    deadline = timeout_s or machine.timeout_s or C.DEFAULT_BOOT_TIMEOUT_S
    run = lab.run(cfg, timeout_s=deadline, stream=sys.stdout, stdin=machine.stdin)
    return ep.outcome(run, then=kept_int_log(run, log_path) if log_path else ())


def int_log_path(int_log: Union[bool, str]) -> Path:
    """Where ``--int-log`` keeps QEMU's -d int log: the path given, else a new file named for
    this run in images/ (``qemu-int-YYYYmmdd-HHMMSS-PID.log``: two runs never share one)."""
    if isinstance(int_log, str) and int_log not in ("", "True"):
        return Path(int_log).resolve()
    return outputs.per_run_path(INT_LOG_STEM, ".log")


def kept_int_log(run: lab.Run, path: Path) -> List[str]:
    """Keep QEMU's -d int log (the machine's temp dir is gone) in ``path`` and say where
    (and that it replaced a file there, for a path the user gave)."""
    replaced = path.exists() and path.stat().st_size > 0
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(run.log)
    return [f"QEMU's -d int log ({len(run.log.splitlines())} lines): {path}"
            + (" (replaced the file that was there)" if replaced else "")]


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
