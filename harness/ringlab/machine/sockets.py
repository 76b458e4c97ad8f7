"""Wait for a unix socket a child process creates (QEMU's gdbstub), without polling."""
from __future__ import annotations

import ctypes
import os
import select
import time
from pathlib import Path

from ..core.errors import StubNotAnswering

# inotify(7) flags (linux/inotify.h)
_IN_CREATE = 0x100
_IN_MOVED_TO = 0x80
_libc = ctypes.CDLL(None, use_errno=True)  # the process's own libc: no ldconfig run
_IN_NONBLOCK = os.O_NONBLOCK
_IN_CLOEXEC = os.O_CLOEXEC

def wait_for_socket(path: Path, pid: int, timeout_s: float) -> None:
    """Block until the unix socket ``path`` exists (inotify: no polling, no sleep).

    Raises:
        StubNotAnswering: it did not appear within ``timeout_s``, or process ``pid`` (QEMU)
            exited first.
    """
    ifd = _libc.inotify_init1(_IN_NONBLOCK | _IN_CLOEXEC)
    if ifd < 0:
        raise OSError(ctypes.get_errno(), "inotify_init1")
    try:
        if _libc.inotify_add_watch(ifd, str(path.parent).encode(), _IN_CREATE | _IN_MOVED_TO) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {path.parent}")
        pidfd = os.pidfd_open(pid)
        try:
            deadline = time.monotonic() + timeout_s
            while not path.exists():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise StubNotAnswering(f"QEMU did not open its gdbstub socket {path} "
                                           f"within {timeout_s:g} s")
                ready, _, _ = select.select([ifd, pidfd], [], [], remaining)
                if pidfd in ready:
                    raise StubNotAnswering(f"QEMU exited before opening its gdbstub {path}")
                if ifd in ready:
                    try:
                        os.read(ifd, 4096)
                    except BlockingIOError:
                        pass
        finally:
            os.close(pidfd)
    finally:
        os.close(ifd)

