"""What the ``invoke`` tasks do and print. tasks.py only maps options onto these functions.

Every function returns the process exit status; errors before QEMU starts are one line on
stderr (``ringlab-boot: error: ...``) and exit status ``EXIT_SETUP_ERROR``.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import List, Optional, Sequence

from harness import build as _build
from harness import constants as C
from harness import lab, tools
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
                kernel: Optional[str] = None) -> QemuConfig:
    """The QemuConfig for ``invoke boot``'s options."""
    cfg = QemuConfig(append=append, files=[Path(f) for f in files], int_log=int_log)
    if init:
        cfg = cfg.replace(init=Path(init))
    if kernel:
        cfg = cfg.replace(kernel=Path(kernel))
    if cpu:
        cfg = cfg.replace(cpu=cpu)
    return cfg


def boot(init: Optional[str] = None, append: str = "", timeout_s: float = C.DEFAULT_BOOT_TIMEOUT_S,
         dry_run: bool = False, files: Sequence[str] = (), cpu: Optional[str] = None,
         int_log: bool = False, kernel: Optional[str] = None) -> int:
    """``invoke boot``: stream the console to stdout, exit with the machine status.

    The last line (stderr) names the outcome, e.g. ``ringlab-boot: init exited (status 0)``.
    """
    cfg = make_config(init, append, files, cpu, int_log, kernel)
    try:
        if dry_run:
            cfg.validate()
            print(dry_run_command(cfg), flush=True)
            return 0
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


def pytest(args: Sequence[str]) -> int:
    """Run pytest (from the same interpreter) with ``args``; returns its exit status."""
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+ " + " ".join(cmd), flush=True)
    return subprocess.run(cmd, cwd=C.REPO_ROOT, stdin=subprocess.DEVNULL).returncode
