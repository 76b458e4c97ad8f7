"""The child processes the harness starts (QEMU, gdb): none may outlive it.

A ``Registry`` per kind keeps the live objects and every PID ever started (tests check
that none survives); on the first ``add`` it registers ``close_all`` with atexit. A child
started through ``dying_with_parent(argv)`` gets SIGKILL when the harness dies, even by
SIGKILL (Linux prctl(2) PR_SET_PDEATHSIG, set by util-linux's setpriv(1) before it execs the
command: same pid). ``wait_pid_exit`` waits for a child's exit on a pidfd: no polling, no
sleep.
"""
from __future__ import annotations

import atexit
import logging
import os
import select
import signal
import subprocess
import threading
import time
from typing import Generic, List, Optional, Sequence, Set, TypeVar

from . import tools

log = logging.getLogger(__name__)

T = TypeVar("T")


def dying_with_parent(argv: Sequence[str]) -> List[str]:
    """``argv`` wrapped so that the command gets SIGKILL when the harness dies.

    ``setpriv --pdeathsig KILL -- ARGV`` sets the parent-death signal and execs ARGV in the
    same process (its pid is the one Popen returns). No preexec function runs in the child,
    so subprocess can vfork: starting QEMU costs 0.5 ms of the harness's time instead of
    2.5-3 ms for a fork that runs Python code before exec.

    Raises:
        ToolMissing: no setpriv on PATH (Debian package util-linux).
    """
    return [tools.find_tool("setpriv"), "--pdeathsig", "KILL", "--", *argv]


def wait_pid_exit(pid: int, timeout_s: float) -> bool:
    """Block until process ``pid`` (our child) has exited, at most ``timeout_s`` seconds.

    Returns True if it exited (or is already gone). Does not reap it.
    """
    try:
        fd = os.pidfd_open(pid)
    except ProcessLookupError:
        return True
    except (AttributeError, OSError):  # very old kernel: bounded poll
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None:
                    return True
            except ChildProcessError:
                return True
            time.sleep(0.005)
        return False
    try:
        ready, _, _ = select.select([fd], [], [], max(0.0, timeout_s))
        return bool(ready)
    finally:
        os.close(fd)


def end(proc: "Optional[subprocess.Popen]", term_timeout_s: float,
        kill_timeout_s: float) -> None:
    """End a child started with subprocess.Popen if it still runs: SIGTERM, then SIGKILL
    after ``term_timeout_s`` seconds, then reap it (at most ``kill_timeout_s`` seconds)."""
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    if not wait_pid_exit(proc.pid, term_timeout_s):
        proc.kill()
    proc.wait(timeout=kill_timeout_s)


class Registry(Generic[T]):
    """Live objects of one kind, and the PIDs of every process of that kind ever started.

    Args:
        closer: the name of the method that ends one object (``stop``, ``close``).
    """

    def __init__(self, closer: str) -> None:
        self._closer = closer
        self._live: Set[T] = set()
        self._lock = threading.Lock()
        self._pids: List[int] = []
        self._atexit = False

    def add(self, obj: T, pid: int) -> None:
        with self._lock:
            self._live.add(obj)
            self._pids.append(pid)
            if not self._atexit:
                atexit.register(self.close_all)
                self._atexit = True

    def discard(self, obj: T) -> None:
        with self._lock:
            self._live.discard(obj)

    def started_pids(self) -> List[int]:
        """PIDs of every process of this kind this interpreter started."""
        return list(self._pids)

    def close_all(self) -> None:
        """End every live object (atexit and signal handlers call this)."""
        with self._lock:
            live = list(self._live)
        for obj in live:
            try:
                getattr(obj, self._closer)()
            except Exception:  # keep ending the others
                log.exception("%s of %s", self._closer, obj)
