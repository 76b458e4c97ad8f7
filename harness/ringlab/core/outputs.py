"""Files a command leaves for the user, named per run so that two runs in one checkout never
write over each other (``invoke boot --int-log``, ``invoke iso``, ``invoke boot --record``).

A name is ``STEM-YYYYmmdd-HHMMSS-PID[-N]SUFFIX`` in the runtime folder (images/, or
RINGLAB_RUNTIME_DIR), created exclusively (O_EXCL; a directory by mkdir), so it belongs to
this run alone; a path the user gives is used as given, and the caller says when it replaces
an earlier file.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Optional

from . import constants as C

MAX_TRIES = 1000        # -2, -3, ...: more runs of one process in one second than that is a bug


def per_run_path(stem: str, suffix: str = "", *, directory: Optional[Path] = None,
                 is_dir: bool = False, now: Optional[float] = None) -> Path:
    """A new file (or directory, ``is_dir``) named for this run, created empty.

    Args:
        stem: what it is, e.g. ``qemu-int`` (-> ``qemu-int-20261207-061500-4242.log``).
        suffix: e.g. ``.log``, ``.iso``; "" for a directory.
        directory: where (default the runtime folder, C.RUNTIME_DIR).
        now: the time to name it by (default: now).

    Raises:
        OSError: the folder cannot be created or written.
    """
    d = Path(directory) if directory is not None else C.RUNTIME_DIR
    d.mkdir(parents=True, exist_ok=True)
    base = f"{stem}-{time.strftime('%Y%m%d-%H%M%S', time.localtime(now))}-{os.getpid()}"
    for n in range(1, MAX_TRIES + 1):
        path = d / (base + (f"-{n}" if n > 1 else "") + suffix)
        try:
            if is_dir:
                path.mkdir()
            else:
                os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
            return path
        except FileExistsError:
            continue
    raise FileExistsError(f"{d / base}: {MAX_TRIES} files of this name already")
