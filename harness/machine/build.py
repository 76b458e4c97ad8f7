"""Build the images: what ``invoke build`` runs, and what the test fixtures run once.

``make -C kernel`` -> images/kernel.elf and images/kabi.json (harness.core.kabi);
``make -C userland`` -> images/user/NAME.
Incremental through make's own dependency tracking.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from typing import List, Optional, Sequence

from ..core import constants as C
from ..core import tools
from ..core.errors import BuildError

log = logging.getLogger(__name__)

SUBDIRS = ("kernel", "userland")


def make_command(subdir: str, jobs: Optional[int] = None) -> List[str]:
    """``make -C SUBDIR``; the kernel's ABI file generator runs on this interpreter (it needs
    pyelftools)."""
    cmd = ["make", "-C", str(C.REPO_ROOT / subdir), f"PYTHON={sys.executable}"]
    if jobs:
        cmd.append(f"-j{jobs}")
    return cmd


def build(subdirs: Sequence[str] = SUBDIRS, *, capture: bool = False,
          timeout_s: float = C.DEFAULT_BUILD_TIMEOUT_S) -> str:
    """Check the tools, then run make in each of ``subdirs``.

    Args:
        capture: collect make's output (returned) instead of letting it through.
        timeout_s: bound for each make.

    Returns:
        make's combined output when ``capture``, else "".

    Raises:
        ToolMissing: make, clang, ld.lld or musl-gcc is missing (names the package).
        BuildError: make failed (carries its command and output tail), or the kernel image
            is missing afterwards.
    """
    tools.require(tools.BUILD_TOOLS)
    out: List[str] = []
    jobs = os.cpu_count() or 1
    for sub in subdirs:
        if not (C.REPO_ROOT / sub / "Makefile").exists():
            raise BuildError(f"{sub}/Makefile is missing")
        cmd = make_command(sub, jobs)
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
        for image in (C.KERNEL_IMAGE, C.KABI_FILE):
            if not image.exists():
                raise BuildError(f"make -C kernel did not produce {image}")
    return "".join(out)
