"""What the ``invoke`` tasks do and print. tasks.py only maps options onto these functions.

Every function returns the process exit status; errors before QEMU starts are one line on
stderr (``ringlab-boot: error: ...``) and exit status ``EXIT_SETUP_ERROR``.
"""
from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

from harness import build as _build
from harness import constants as C
from harness import lab
from harness.errors import BadConfig, BadImage, BuildError, RinglabError, ToolMissing
from harness.qemu import QemuConfig, dry_run_command

log = logging.getLogger(__name__)

ERROR_PREFIX = "ringlab-boot: error: "
OUTCOME_PREFIX = "ringlab-boot: "


def _error(msg: str) -> int:
    print(ERROR_PREFIX + msg, file=sys.stderr, flush=True)
    return C.EXIT_SETUP_ERROR


def build() -> int:
    """``invoke build``: tool checks, then make in kernel/ and userland/."""
    try:
        _build.build()
    except RinglabError as err:
        print(ERROR_PREFIX + str(err), file=sys.stderr)
        if isinstance(err, BuildError) and err.log_tail:
            print("\n".join(err.log_tail), file=sys.stderr)
        return 1 if isinstance(err, BuildError) else C.EXIT_SETUP_ERROR
    return 0


def make_config(init: Optional[str] = None, append: str = "", files: Sequence[str] = (),
                cpu: Optional[str] = None, int_log: bool = False,
                kernel: Optional[str] = None, shell: bool = False) -> QemuConfig:
    """The QemuConfig for ``invoke boot``'s options.

    Without ``init`` "/" holds every program of images/user besides ``files``
    (``lab.boot_config``); ``shell`` adds ``init.args=--shell``.
    """
    cfg = lab.boot_config(Path(init) if init else None, [Path(f) for f in files], shell=shell,
                          append=append, int_log=int_log)
    if kernel:
        cfg = cfg.replace(kernel=Path(kernel))
    if cpu:
        cfg = cfg.replace(cpu=cpu)
    return cfg


def init_args_append(append: str, args: str) -> str:
    """``append`` with the words of ``args`` (shell-quoted) added to init's argv.

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
    return lab.with_init_args(append, *words) if words else append


def boot(init: Optional[str] = None, append: str = "", timeout_s: Optional[float] = None,
         dry_run: bool = False, files: Sequence[str] = (), cpu: Optional[str] = None,
         int_log: bool = False, kernel: Optional[str] = None, shell: bool = False,
         gdb: bool = False, args: Optional[str] = None) -> int:
    """``invoke boot``: stream the console to stdout, exit with the machine status.

    The last line (stderr) names the outcome, e.g. ``ringlab-boot: init exited (status 0)``.
    With ``shell`` or ``args`` (init's argv[1:], e.g. ``"sh"`` for busybox) the console is
    also handed to stdin (a terminal or a pipe); on a terminal the default timeout is then a
    day instead of DEFAULT_BOOT_TIMEOUT_S.
    """
    interactive = shell or args is not None
    if timeout_s is None:
        long_wait = shell or (interactive and os.isatty(sys.stdin.fileno()))
        timeout_s = C.DEFAULT_SHELL_BOOT_TIMEOUT_S if long_wait else C.DEFAULT_BOOT_TIMEOUT_S
    try:
        append = init_args_append(append, args or "")
    except BadConfig as err:
        return _error(str(err))
    cfg = make_config(init, append, files, cpu, int_log, kernel, shell)
    try:
        if dry_run:
            if gdb:
                cfg = cfg.replace(gdb=True)
            cfg.validate()
            print(dry_run_command(cfg), flush=True)
            return 0
        if interactive:
            result = _interactive(cfg, timeout_s)
        else:
            result = lab.run(cfg, timeout_s=timeout_s, stream=sys.stdout)
    except BadImage as err:
        hint = ""
        if err.reason == "no such file" and Path(err.path).resolve().is_relative_to(C.IMAGES_DIR):
            hint = " (build it first: invoke build)"
        return _error(str(err) + hint)
    except (ToolMissing, BadConfig) as err:
        return _error(str(err))
    except KeyboardInterrupt:
        print("\n" + OUTCOME_PREFIX + "interrupted (QEMU stopped)", file=sys.stderr, flush=True)
        return C.EXIT_INTERRUPTED
    sys.stdout.flush()
    print(OUTCOME_PREFIX + f"{result.outcome.value}: {result.verdict.detail} "
          f"[{result.duration_s:.2f} s]", file=sys.stderr, flush=True)
    err = result.error()
    if err is not None:
        print(err.report(), file=sys.stderr, flush=True)
    return result.exit_status


def _interactive(cfg: QemuConfig, timeout_s: float) -> "lab.Run":
    """Boot with the console handed to stdin/stdout (``invoke boot --shell``)."""
    if os.isatty(sys.stdin.fileno()):
        print(OUTCOME_PREFIX + "the console is yours; the shell's `exit` ends the machine, "
              "Ctrl-] or Ctrl-C stops it", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    with lab.Session(cfg, stream=sys.stdout) as s:
        how = s.console.interact(sys.stdin.fileno(), timeout_s,
                                 input_ready=C.CONSOLE_INPUT_READY_RE)
        if how in ("escape", "interrupt"):
            raise KeyboardInterrupt
        return s.finish(max(0.0, timeout_s - (time.monotonic() - t0)))


def faults(cpu: Optional[str] = None, gdb: bool = True, verbose: bool = False) -> int:
    """``invoke faults``: run every ring-3 fault catalogue row (harness/faults.py) in one boot
    per CPU model and print, per row, what the three witnesses (kernel event, QEMU's -d int
    log, gdb's view of the pushed frame) saw. Exit 0 if every row holds, else 1."""
    from harness import faults as catalogue
    cpus = catalogue.CPUS if not cpu else (cpu,)
    failed = 0
    try:
        for c in cpus:
            lines, n = catalogue.summarize(catalogue.boot_catalogue(c, gdb=gdb), verbose=verbose)
            print("\n".join(lines), flush=True)
            failed += n
    except (ToolMissing, BadImage, BadConfig) as err:
        return _error(str(err))
    print(OUTCOME_PREFIX + (f"{failed} catalogue row(s) failed" if failed else
                            "every catalogue row holds"), file=sys.stderr, flush=True)
    return 1 if failed else 0


def pytest(args: Sequence[str]) -> int:
    """Run pytest (from the same interpreter) with ``args``; returns its exit status."""
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=C.REPO_ROOT, stdin=subprocess.DEVNULL).returncode
