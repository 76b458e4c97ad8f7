"""Fixtures shared by the test suite.

- ``images``: builds the kernel and userland once per session with the same code
  ``invoke build`` runs (harness.machine.build), and returns their paths.
- ``tiny``: tiny multiboot kernels (harness.machine.tinykernel) for testing the harness itself.
- ``invoke_cli``: runs the real ``invoke`` command line in a subprocess.
- Leak check: every QEMU started during the session - by the harness in this process, by an
  ``invoke`` subprocess, or by hand from a dry-run command - inherits RINGLAB_OWNER set to a
  value unique to this session. After each test no live qemu-system process may carry it
  (a survivor is killed - it is ours - and the test fails). Other people's QEMUs are never
  looked at twice.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Sequence

import pytest

from harness.core import constants as C
from harness.core.errors import RinglabError
from harness.machine import build
from harness.machine.tinykernel import build_tiny_kernel

OWNER = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
os.environ[C.OWNER_ENV] = OWNER

INVOKE_TIMEOUT_S = 120.0


def ours(program: str) -> List[int]:
    """PIDs of live processes named ``program*`` started on behalf of this test session."""
    found = []
    needle = f"{C.OWNER_ENV}={OWNER}".encode()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as fh:
                argv0 = fh.read().split(b"\0", 1)[0]
            if not os.path.basename(argv0).startswith(program.encode()):
                continue
            with open(f"/proc/{entry}/environ", "rb") as fh:
                if needle in fh.read().split(b"\0"):
                    found.append(int(entry))
        except OSError:  # gone meanwhile, or not ours to read
            continue
    return found


def pytest_collection_modifyitems(config, items):
    """A test without ``boot`` is a unit test (covers files written without markers)."""
    for item in items:
        if item.get_closest_marker("boot") is None and item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.unit)


@pytest.fixture(autouse=True)
def nothing_left_behind():
    """After each test no QEMU and no gdb of this session may still run (survivors are killed)."""
    yield
    left = {name: ours(name) for name in ("qemu-system", "gdb")}
    for pid in left["qemu-system"] + left["gdb"]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not any(left.values()), f"processes left running by this test (now killed): {left}"


@dataclass(frozen=True)
class Images:
    kernel: Path
    user: Path

    def program(self, name: str) -> Path:
        return self.user / name


@pytest.fixture(scope="session")
def images() -> Images:
    """Build everything once (incremental) and return the image paths."""
    try:
        build.build(capture=True)
    except RinglabError as err:
        pytest.fail("build failed:\n" + err.report(), pytrace=False)
    return Images(C.KERNEL_IMAGE, C.USER_IMAGES_DIR)


@pytest.fixture(scope="session")
def tiny(tmp_path_factory) -> Dict[str, Path]:
    """Tiny kernels: 'exit' (status 5), 'triple', 'hang'."""
    d = tmp_path_factory.mktemp("tiny")
    try:
        return {"exit": build_tiny_kernel("exit", d, status=5),
                "triple": build_tiny_kernel("triple", d),
                "hang": build_tiny_kernel("hang", d)}
    except RinglabError as err:
        pytest.fail(err.report(), pytrace=False)


def run_invoke(args: Sequence[str], *, env: Dict[str, str] = None,
               timeout_s: float = INVOKE_TIMEOUT_S) -> subprocess.CompletedProcess:
    """Run ``invoke ARGS`` (the real CLI, from this interpreter) in the repository root."""
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=C.REPO_ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout_s, env=env)


@pytest.fixture
def invoke_cli():
    return run_invoke
