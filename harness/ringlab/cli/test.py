"""``invoke test`` and ``invoke test-quick``: pytest from the same interpreter (``invoke test``:
the whole suite and, beside it, its sanitizer pass; ``invoke test --coverage`` is
cli.coverage's)."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from typing import IO, List, Mapping, Optional, Sequence

from ..core import constants as C


# What ``invoke test`` adds in front of the caller's options: every core (pytest-xdist), the
# suite's own scheduling (``--dist loadgroup``: tests/schedule.py keeps the tests that share a
# module's boot on one worker and starts the longest first) and a JUnit report, so the
# README's one test command is also exactly what CI runs. Options after ``--`` come later and
# win (``invoke test -- -n 0`` runs serially).
WHOLE_SUITE_ARGS = ("-n", "auto", "--dist", "loadgroup", f"--junitxml={C.JUNIT_FILE}")


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
    "tests/test_sysvshm.py", "tests/test_sysvsem.py",
    "tests/test_posixfix.py",
    "tests/test_fasync.py", "tests/test_leases.py", "tests/test_etxtbsy.py",
    "tests/test_futexpi.py", "tests/test_clonepar.py", "tests/test_clockset.py",
    "tests/test_unixsock.py", "tests/test_review_attacks.py",
    "tests/test_sockasync.py", "tests/test_ptimers.py", "tests/test_mremapfile.py",
    "tests/test_rlimitmem.py", "tests/test_unixoob.py",
    "tests/test_rseq.py",
    "tests/test_stackgrow.py",
    "tests/test_review_new.py",
    "tests/test_review_proc.py",
    "tests/test_review_files.py",
)
SANITIZER_ARGS = ("-n", "auto", "--dist", "loadgroup", f"--junitxml={C.SANITIZER_JUNIT_FILE}",
                  *SANITIZER_FILES)


# ``invoke test-quick``: the unit tests (parsers, decoders, tables; no QEMU) that run in
# milliseconds, and the boots marked ``quick``; the ``slow`` unit tests (a subprocess of pytest
# or invoke, a whole kernel's DWARF) are left to ``invoke test``. Serial: starting pytest-xdist's
# workers costs more than the few seconds it would share.
QUICK_ARGS = ("-m", "unit and not slow or quick")


def command(args: Sequence[str], env: Optional[Mapping[str, str]] = None) -> List[str]:
    """``python -m pytest ARGS`` from this interpreter, printed first (with ``env``)."""
    cmd = [sys.executable, "-m", "pytest", *args]
    print("+ " + " ".join([*(f"{k}={v}" for k, v in (env or {}).items()), *cmd]), flush=True)
    return cmd


def start(args: Sequence[str], env: Optional[Mapping[str, str]] = None,
          stdout: Optional[IO] = None) -> subprocess.Popen:
    """Start ``python -m pytest ARGS`` in the repository, in ``env`` added to this process's
    environment, its output to ``stdout`` (None: this process's)."""
    return subprocess.Popen(command(args, env), cwd=C.REPO_ROOT, stdin=subprocess.DEVNULL,
                            stdout=stdout, stderr=subprocess.STDOUT if stdout else None,
                            env={**os.environ, **(env or {})})


def main(args: Sequence[str] = (), env: Optional[Mapping[str, str]] = None) -> int:
    """Run ``python -m pytest ARGS`` in the repository, in ``env`` added to this process's
    environment; returns pytest's exit status (5, no test collected, is a failure like any
    other non-zero status)."""
    return start(args, env).wait()


def whole(args: Sequence[str] = ()) -> int:
    """``invoke test``: the whole suite (WHOLE_SUITE_ARGS, then ``args``); when no ``args``
    narrowed it, the sanitizer pass (SANITIZER_ARGS) runs at the same time, its output held
    in a temporary file and printed once the whole suite ended (each pass's waits - guest
    timers, gdb round trips, a worker's last long test - are the other's CPU time). Returns
    the whole suite's status if not 0, else the sanitizer pass's."""
    if args:
        return main([*WHOLE_SUITE_ARGS, *args])
    with tempfile.TemporaryFile("w+") as held:
        sanitizer = start(SANITIZER_ARGS, {C.SANITIZE_ENV: "1"}, stdout=held)
        try:
            status = main(WHOLE_SUITE_ARGS)
            sanitizer_status = sanitizer.wait()
        finally:
            if sanitizer.poll() is None:        # Ctrl-C or an error here: no orphan pass
                sanitizer.terminate()
                sanitizer.wait()
        print("+ the sanitizer pass (RINGLAB_SANITIZE=1), run beside it:", flush=True)
        held.seek(0)
        shutil.copyfileobj(held, sys.stdout)
        sys.stdout.flush()
    return status or sanitizer_status


def quick(args: Sequence[str] = ()) -> int:
    """``invoke test-quick``: QUICK_ARGS, then ``args``; pytest's exit status."""
    return main([*QUICK_ARGS, *args])
