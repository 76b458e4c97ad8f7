"""The project's own fixtures, on top of ringlab's pytest plugin (ringlab.plugin).

The plugin (loaded from this checkout: pyproject.toml blocks an installed one with
``-p no:ringlab``) gives the ``ringlab`` and ``ringlab_images`` fixtures, the markers, the
leak check after every test (no QEMU or gdb of the session survives) and the artifacts of
failed tests. Here only what is about this repository itself:

- ``images``: the plugin's ``ringlab_images`` under the name the suite has always used.
- ``tiny``: tiny multiboot kernels (ringlab.machine.tinykernel) for testing the harness itself.
- ``sanitizer_kernel``: images/sanitize/kernel.elf (the sanitizer and coverage build), built
  incrementally like ``invoke build --sanitize``; ``normal_kernel``: images/kernel.elf, also
  when RINGLAB_SANITIZE=1 made the sanitizer kernel the session's.
- ``invoke_cli``: runs the real ``invoke`` command line of this checkout in a subprocess, with
  a runtime folder of the test's own (RINGLAB_RUNTIME_DIR: the dry-run gdb socket and log and
  the gdb target file), so parallel tests never share those files.
- The markers ``unit``, ``slow`` and ``quick`` (the plugin's are ``boot``, ``gdb``,
  ``points``); a test without ``boot`` is a unit test; a test that runs the real command
  line (``invoke_cli``) or reads the sanitizer kernel (``sanitizer_kernel``) is ``slow``.
  ``invoke test-quick`` runs ``-m "unit and not slow or quick"``.
- ``harness.x`` is ``ringlab.x``: a test still importing the old name gets the very same
  module objects (never a second copy of the harness), and tests/test_layers.py names it.
"""
from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Optional, Sequence

import pytest

from ringlab.core import constants as C
from ringlab.core.errors import RinglabError
from ringlab.machine import build
from ringlab.machine.tinykernel import build_tiny_kernel

pytest_plugins = ["ringlab.plugin", "tests.schedule"]


class HarnessIsRinglab(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Import ``harness[.x]`` as the already imported (or now imported) ``ringlab[.x]``."""

    OLD, NEW = "harness", "ringlab"

    def find_spec(self, fullname, path=None, target=None):
        if fullname == self.OLD or fullname.startswith(self.OLD + "."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        module = importlib.import_module(self.NEW + spec.name[len(self.OLD):])
        self._spec = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = self._spec       # keep ringlab's own spec (the import machinery set
                                           # the alias's)


sys.meta_path.insert(0, HarnessIsRinglab())

INVOKE_TIMEOUT_S = 120.0


#: this repository's own markers (the plugin registers only its public ones: boot, gdb, points)
MARKERS = (
    "unit: no QEMU; runs in seconds",
    "quick: the one boot test that `invoke test-quick` adds to the unit tests",
    "slow: runs pytest, invoke or Python in a subprocess, or reads a whole kernel's DWARF "
    "(seconds, not milliseconds): `invoke test` runs it, `invoke test-quick` leaves it out "
    "even when it is a unit test",
)

#: a test that uses one of these fixtures is ``slow`` (a subprocess of the real command
#: line per call; the sanitizer kernel's build check and its DWARF)
SLOW_FIXTURES = frozenset({"invoke_cli", "sanitizer_kernel"})


def pytest_configure(config):
    for m in MARKERS:
        config.addinivalue_line("markers", m)


def pytest_collection_modifyitems(config, items):
    """A ``gdb`` test boots a machine too (it is also ``boot``); a test without ``boot`` is a
    unit test (covers files written without markers); a test using a SLOW_FIXTURES fixture
    is ``slow``."""
    for item in items:
        if item.get_closest_marker("gdb") is not None and item.get_closest_marker("boot") is None:
            item.add_marker(pytest.mark.boot)
        if item.get_closest_marker("boot") is None and item.get_closest_marker("unit") is None:
            item.add_marker(pytest.mark.unit)
        if (SLOW_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("slow") is None):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def images(ringlab_images):
    """The built images (the plugin's ``ringlab_images``)."""
    return ringlab_images


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


def run_invoke(args: Sequence[str], *, env: Optional[Dict[str, str]] = None,
               timeout_s: float = INVOKE_TIMEOUT_S,
               runtime_dir: Optional[Path] = None) -> subprocess.CompletedProcess:
    """Run ``invoke ARGS`` (the real CLI, from this interpreter) in the repository root."""
    env = dict(os.environ if env is None else env)
    if runtime_dir is not None:
        runtime_dir.mkdir(parents=True, exist_ok=True)
        env.setdefault(C.RUNTIME_ENV, str(runtime_dir))
    return subprocess.run([sys.executable, "-m", "invoke", *args], cwd=C.REPO_ROOT,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=timeout_s, env=env)


@pytest.fixture
def invoke_cli(tmp_path):
    """``run_invoke`` with this test's own runtime folder."""
    def run(args: Sequence[str], **kw) -> subprocess.CompletedProcess:
        kw.setdefault("runtime_dir", tmp_path / "runtime")
        return run_invoke(args, **kw)
    return run


@pytest.fixture(scope="session")
def sanitizer_kernel(images) -> Path:
    """images/sanitize/kernel.elf, built (incrementally) like ``invoke build --sanitize``."""
    try:
        build.build(("kernel",), capture=True, sanitize=True)
    except RinglabError as err:
        pytest.fail("building the sanitizer kernel failed:\n" + err.report(), pytrace=False)
    return C.SANITIZE_KERNEL_IMAGE


@pytest.fixture(scope="session")
def normal_kernel(images) -> Path:
    """images/kernel.elf, built (incrementally) like ``invoke build`` (also when
    RINGLAB_SANITIZE=1 made the sanitizer kernel the session's)."""
    try:
        build.build(("kernel",), capture=True, sanitize=False)
    except RinglabError as err:
        pytest.fail("building the kernel failed:\n" + err.report(), pytrace=False)
    return C.IMAGES_DIR / "kernel.elf"
