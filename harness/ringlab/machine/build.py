"""Build the images: what ``invoke build`` runs, and what the test fixtures run once.

``make -C kernel`` -> images/kernel.elf and images/kabi.json (harness.core.kabi);
``make -C kernel SANITIZE=1`` -> images/sanitize/kernel.elf and its kabi.json (the sanitizer
kernel: kernel/Makefile); ``make -C userland`` -> images/user/NAME.
Incremental through make's own dependency tracking. One build at a time per checkout: parallel
test workers (pytest -n) and a concurrent ``invoke build`` wait for each other on a lock file
(images/.build.lock) instead of running make over the same files at once, and the one that
waits says so (on stderr, with the pid holding the lock).
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import os
import subprocess
import sys
from typing import Callable, List, Optional, Sequence

from ..core import constants as C
from ..core import tools
from ..core.errors import BuildError

log = logging.getLogger(__name__)

SUBDIRS = ("kernel", "userland")
LOCK_FILE = C.IMAGES_DIR / ".build.lock"


def _say_waiting(holder: str) -> None:
    print(f"ringlab: waiting for another build of this checkout to finish "
          f"({LOCK_FILE} is held{' by pid ' + holder if holder else ''})...",
          file=sys.stderr, flush=True)


@contextlib.contextmanager
def _exclusive(lock_file: os.PathLike = LOCK_FILE,
               waiting: Callable[[str], None] = _say_waiting):
    """Hold an exclusive flock on ``lock_file`` (created) for the block; the holder writes
    its pid into it. When another process holds it, ``waiting(its pid, or "")`` is called
    once (by default a line on stderr), then the wait is without a bound (a build is
    bounded by its own timeout)."""
    os.makedirs(os.path.dirname(lock_file), exist_ok=True)
    with open(lock_file, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            waiting(fh.read().strip())
            fcntl.flock(fh, fcntl.LOCK_EX)
        fh.truncate(0)
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def make_command(subdir: str, jobs: Optional[int] = None, *, sanitize: bool = False) -> List[str]:
    """``make -C SUBDIR``; the kernel's ABI file generator runs on this interpreter (it needs
    pyelftools). ``sanitize``: the kernel's sanitizer build (``SANITIZE=1``)."""
    cmd = ["make", "-C", str(C.REPO_ROOT / subdir), f"PYTHON={sys.executable}"]
    if jobs:
        cmd.append(f"-j{jobs}")
    if sanitize and subdir == "kernel":
        cmd.append("SANITIZE=1")
    return cmd


def up_to_date(subdirs: Sequence[str] = SUBDIRS,
               timeout_s: float = C.DEFAULT_BUILD_TIMEOUT_S) -> bool:
    """Whether ``build`` has nothing to do (``make -q`` in each of ``subdirs``): callers say
    so before a long first build. False when a Makefile or make itself is missing (``build``
    then says what is)."""
    for sub in subdirs:
        if not (C.REPO_ROOT / sub / "Makefile").exists():
            return False
        try:
            rc = subprocess.run(make_command(sub) + ["-q"], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                timeout=timeout_s).returncode
        except (OSError, subprocess.TimeoutExpired):
            return False
        if rc != 0:
            return False
    return True


def build(subdirs: Sequence[str] = SUBDIRS, *, capture: bool = False,
          timeout_s: float = C.DEFAULT_BUILD_TIMEOUT_S, sanitize: bool = C.SANITIZE) -> str:
    """Check the tools, then run make in each of ``subdirs``.

    Args:
        capture: collect make's output (returned) instead of letting it through.
        timeout_s: bound for each make.
        sanitize: build the sanitizer kernel (images/sanitize/) instead of images/kernel.elf
            (default: whether RINGLAB_SANITIZE made it this process's kernel).

    Returns:
        make's combined output when ``capture``, else "".

    Raises:
        ToolMissing: make, clang, ld.lld or musl-gcc is missing (names the package).
        BuildError: make failed (carries its command and output tail), or the kernel image
            is missing afterwards.
    """
    tools.require(tools.BUILD_TOOLS)
    for sub in subdirs:
        if not (C.REPO_ROOT / sub / "Makefile").exists():
            raise BuildError(f"{C.REPO_ROOT / sub / 'Makefile'} is missing: no ringlab checkout "
                             f"there (set {C.HOME_ENV} to one)")
    with _exclusive():
        return _make(subdirs, capture, timeout_s, sanitize)


def _make(subdirs: Sequence[str], capture: bool, timeout_s: float, sanitize: bool) -> str:
    out: List[str] = []
    jobs = os.cpu_count() or 1
    for sub in subdirs:
        cmd = make_command(sub, jobs, sanitize=sanitize)
        log.info("running %s", " ".join(cmd))
        try:
            proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, text=True,
                                  stdout=subprocess.PIPE if capture else None,
                                  stderr=subprocess.STDOUT if capture else None,
                                  timeout=timeout_s)
        except subprocess.TimeoutExpired as err:
            raise BuildError(f"{' '.join(cmd)} took longer than {timeout_s:g} s",
                             command=cmd) from err
        if capture and proc.stdout:
            out.append(proc.stdout)
        if proc.returncode != 0:
            tail = (proc.stdout or "").splitlines()[-C.DEFAULT_LOG_TAIL_LINES:]
            raise BuildError(f"{' '.join(cmd)} failed (exit {proc.returncode})",
                             command=cmd, log_tail=tail)
    if "kernel" in subdirs:
        images = ((C.SANITIZE_KERNEL_IMAGE, C.SANITIZE_KABI_FILE) if sanitize
                  else (C.IMAGES_DIR / "kernel.elf", C.IMAGES_DIR / "kabi.json"))
        for image in images:
            if not image.exists():
                raise BuildError(f"make -C kernel did not produce {image}")
    return "".join(out)


MUSL_CC = "musl-gcc"
DEFAULT_CFLAGS = ("-static", "-g")
#: userland/'s optimisation level; a student's program is compiled at -O0 (plugin.Lab.compile)
DEFAULT_OPTIMIZE = "-O2"
OPTIMIZE_LEVELS = ("-O0", "-O1", "-O2", "-O3", "-Os", "-Og")


def compile_program(sources: Sequence[os.PathLike], output: os.PathLike, *,
                    cflags: Sequence[str] = (), optimize: str = DEFAULT_OPTIMIZE,
                    timeout_s: float = C.DEFAULT_BUILD_TIMEOUT_S) -> str:
    """Compile C ``sources`` into the static x86-64 program ``output`` with
    ``musl-gcc -static -g OPTIMIZE CFLAGS``, for a lab's own programs.

    Args:
        sources: C (or assembly) files, in the order the compiler takes them.
        output: the program's path.
        cflags: more compiler options, after the defaults (a later ``-O`` wins).
        optimize: the optimisation level, one of OPTIMIZE_LEVELS (``-O2``: what userland/
            uses).
        timeout_s: bound on the compiler's run, in seconds.

    Returns:
        the compiler's output (warnings).

    Raises:
        ValueError: ``optimize`` is not one of OPTIMIZE_LEVELS.
        ToolMissing: musl-gcc is missing (names the package).
        BuildError: the compiler failed (carries its command and output).
    """
    if optimize not in OPTIMIZE_LEVELS:
        raise ValueError(f"optimize={optimize!r}: want one of {', '.join(OPTIMIZE_LEVELS)}")
    tools.require([MUSL_CC])
    cmd = [MUSL_CC, *DEFAULT_CFLAGS, optimize, *cflags, "-o", str(output), *map(str, sources)]
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, text=True, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, timeout=timeout_s)
    except subprocess.TimeoutExpired as err:
        raise BuildError(f"{' '.join(cmd)} took longer than {timeout_s:g} s", command=cmd) from err
    if proc.returncode != 0:
        raise BuildError(f"{' '.join(cmd)} failed (exit {proc.returncode})", command=cmd,
                         log_tail=proc.stdout.splitlines()[-C.DEFAULT_LOG_TAIL_LINES:])
    return proc.stdout
