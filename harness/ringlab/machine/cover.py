"""Where a machine's kernel coverage record goes (``RINGLAB_COVERAGE=DIR``): the file QEMU's
isa-debugcon writes for the coverage kernel's machine-wide record (kernel/include/cover.h).
No ELF reading here: qemu.py asks this at every start, and a plain boot loads no pyelftools.
Reading and merging the records is coverage.py's.

A record's file name says which build of the kernel wrote it, ``NAME.BUILD.cov`` (BUILD: the
first 16 hex digits of the kernel file's SHA-256), so records of a kernel rebuilt since are
never read against the new one's symbols.
"""
from __future__ import annotations

import hashlib
import os
from functools import lru_cache
from pathlib import Path
from typing import Optional, Sequence, Union

from ..core import constants as C
from ..core.errors import BadConfig, BadImage

PathLike = Union[str, os.PathLike]
BUILD_ID_HEX = 16
RECORD_REPLAY_OPTION = "-icount"   # harness/ringlab/debug/replay.py's record/replay machines


@lru_cache(maxsize=8)
def _build_id(path: str, mtime_ns: int, size: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:BUILD_ID_HEX]


def build_id(kernel: PathLike) -> str:
    """The kernel file's build id (hex), cached until the file changes.

    Raises:
        BadImage: the file cannot be read.
    """
    p = os.path.realpath(kernel)
    try:
        st = os.stat(p)
        return _build_id(p, st.st_mtime_ns, st.st_size)
    except OSError as err:
        raise BadImage(str(kernel), err.strerror or "cannot read") from None


def record_build_id(path: PathLike) -> Optional[str]:
    """The build id a record's file name carries (``NAME.BUILD.cov``), or None."""
    stem = Path(path).name[:-len(C.COVERAGE_DUMP_SUFFIX)]
    build = stem.rpartition(".")[2]
    return build if "." in stem and len(build) == BUILD_ID_HEX else None


def dump_file(kernel: PathLike, name: str, extra_args: Sequence[str] = ()) -> Optional[Path]:
    """Where a machine booting ``kernel`` records its kernel coverage:
    ``DIR/NAME.BUILD.cov`` when RINGLAB_COVERAGE=DIR is set (read now) and ``kernel`` is the
    coverage kernel: images/sanitize/kernel.elf or a copy of it (the gdb tests boot copies;
    the same build id), else None. Never for a record/replay machine (``-icount`` in
    ``extra_args``): its replay must have exactly the recording's devices, whatever the
    environment of the process that replays it. Creates DIR.

    Raises:
        BadConfig: DIR holds a comma (QEMU's -chardev cannot carry it) or cannot be created.
        BadImage: the kernel cannot be read.
    """
    folder = os.environ.get(C.COVERAGE_ENV)
    if not folder or RECORD_REPLAY_OPTION in extra_args:
        return None
    try:
        ours = build_id(C.SANITIZE_KERNEL_IMAGE)
    except BadImage:
        return None                  # no coverage kernel built: no machine boots it
    build = build_id(kernel)
    if build != ours:
        return None
    path = Path(folder).resolve() / f"{name}.{build}{C.COVERAGE_DUMP_SUFFIX}"
    if "," in str(path):
        raise BadConfig(f"{C.COVERAGE_ENV}={folder}: the path contains a comma, which QEMU's "
                        "-chardev cannot carry")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise BadConfig(f"{C.COVERAGE_ENV}={folder}: cannot create it: {err.strerror}") from None
    return path
