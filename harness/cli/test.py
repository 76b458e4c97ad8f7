"""``invoke test`` and ``invoke test-quick``: pytest from the same interpreter (``invoke test``:
the whole suite, then its sanitizer pass; ``invoke test --coverage`` is cli.coverage's)."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Mapping, Optional, Sequence

from ..core import constants as C


# What ``invoke test`` adds in front of the caller's options: every core (pytest-xdist) and a
# JUnit report, so the README's one test command is also exactly what CI runs. Options after
# ``--`` come later and win (``invoke test -- -n 0`` runs serially).
WHOLE_SUITE_ARGS = ("-n", "auto", f"--junitxml={C.JUNIT_FILE}")


# The second pass of ``invoke test``: every boundary, memory, file-system, process, thread and
# signal test again, on the sanitizer kernel (RINGLAB_SANITIZE=1: images/sanitize/kernel.elf,
# UBSan, poisoned free objects, refcount and stack-canary checks), where a silent use-after-free
# of the normal kernel becomes a `sanitizer` outcome. JUnit in its own file.
SANITIZER_FILES = (
    "tests/test_hostile.py", "tests/test_boundary.py", "tests/test_doors.py", "tests/test_ioperm.py",
    "tests/test_creds.py", "tests/test_memory.py", "tests/test_files.py", "tests/test_fslimits.py",
    "tests/test_processes.py", "tests/test_threads.py", "tests/test_signals.py",
    "tests/test_linux_parity.py", "tests/test_sh_pipes.py", "tests/test_stdin.py",
    "tests/test_stress.py", "tests/test_fuzz.py", "tests/test_sanitize.py",
    "tests/test_jobctl.py", "tests/test_symlinks.py", "tests/test_fifo.py", "tests/test_filemap.py",
    "tests/test_locks.py", "tests/test_posixipc.py",
    "tests/test_execwritten.py", "tests/test_ptrace.py", "tests/test_sysvmsg.py",
    "tests/test_unixsock.py",
)
SANITIZER_ARGS = ("-n", "auto", f"--junitxml={C.SANITIZER_JUNIT_FILE}", *SANITIZER_FILES)


def main(args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None) -> int:
    """Run ``python -m pytest ARGS`` in the repository, in ``env`` added to this process's
    environment; returns pytest's exit status (5, no test collected, is a failure like any
    other non-zero status)."""
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+ " + " ".join([*(f"{k}={v}" for k, v in (env or {}).items()), *cmd]), flush=True)
    return subprocess.run(cmd, cwd=C.REPO_ROOT, stdin=subprocess.DEVNULL,
                          env={**os.environ, **(env or {})}).returncode


def whole(args: Sequence[str] = ()) -> int:
    """``invoke test``: the whole suite (WHOLE_SUITE_ARGS, then ``args``); when it passed and
    no ``args`` narrowed it, the sanitizer pass (SANITIZER_ARGS). Returns the first non-zero
    status, else 0."""
    status = main([*WHOLE_SUITE_ARGS, *args])
    if status != 0 or args:
        return status
    return main(SANITIZER_ARGS, env={C.SANITIZE_ENV: "1"})
