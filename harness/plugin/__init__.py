"""ringlab's pytest plugin: machines as fixtures, evidence for failed tests, grading.

Registered through the ``pytest11`` entry point ``ringlab`` (pyproject.toml), so it loads by
itself once ringlab is installed. Nothing imports this module; it sits on top, with the CLI.

Fixtures:
    ``ringlab`` (function scope): a ``Lab``: ``boot(init=PATH, files=(), append="", cpu=None,
        timeout_s=None, args=None) -> Run``, ``shell(...) -> Shell`` (prompt-synchronised),
        ``debug(...) -> DebugMachine`` (halted, gdb attached), ``program(name)``,
        ``compile(*sources)``; every machine is stopped and reaped after the test.
    ``ringlab_images`` (session scope): builds the kernel and userland on demand with the same
        incremental build as ``invoke build`` (once per process; parallel workers take turns).

Options (and ini keys ``ringlab_cpu`` ...): ``--ringlab-cpu MODEL``, ``--ringlab-kernel ELF``,
``--ringlab-artifacts DIR`` (default ``ringlab-artifacts`` in the rootdir), ``--ringlab-keep
{failed,all,none}`` (default failed), ``--ringlab-grade JSON`` (score table and JSON of the
``points``-marked tests).

Evidence: every machine a test starts (``lab.Session``, also through ``lab.run``, the shell
and DebugMachine) is kept; a failed test that started one gets ``<artifacts>/<test id>/``
(see ``artifacts``), named in its failure message, its report in the JUnit failure element.

Markers: ``unit``, ``boot``, ``quick``, ``gdb``, ``points(N)``.

The sanitizer kernel: with ``RINGLAB_SANITIZE=1`` in the environment (core.constants) the
fixtures build and boot images/sanitize/kernel.elf (``invoke build --sanitize``) instead of
images/kernel.elf, with its ABI file and symbols; a sanitizer report is the run's outcome
(``Outcome.SANITIZER``), never a pass.

After every test no QEMU or gdb started on its behalf (in this process, by an ``invoke``
subprocess, or by hand from a dry-run line: all inherit RINGLAB_OWNER) may still run:
survivors are killed and the test fails.
"""
from __future__ import annotations

import os
import signal
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

import pytest

from .. import lab
from ..core import constants as C
from ..core.errors import RinglabError
from ..debug.machine import DebugMachine
from ..lab.session import Run, Session
from ..lab.shell import Shell
from ..machine import build
from ..machine.qemu import QemuConfig
from . import artifacts, grade

KEEP_CHOICES = ("failed", "all", "none")
#: (name, help, ini default)
OPTIONS = (
    ("cpu", f"QEMU CPU model for the ringlab fixture's machines (default {C.DEFAULT_CPU})", ""),
    ("kernel", "multiboot kernel ELF for the ringlab fixture (default: the checkout's "
               "images/kernel.elf)", ""),
    ("artifacts", "folder for the evidence of failed tests (default: ringlab-artifacts in "
                  "the rootdir)", ""),
    ("keep", "whose evidence to keep: failed (default), all or none", "failed"),
    ("grade", "write the score of the points-marked tests to this JSON file and print the "
              "score table", ""),
)
MARKERS = (
    "unit: no QEMU; runs in seconds",
    "boot: boots real QEMU",
    "quick: the one boot test that `invoke test-quick` adds to the unit tests",
    "gdb: drives real gdb against real QEMU; also marked boot",
    "points(n): the test is worth n points (--ringlab-grade, invoke grade)",
)

SESSIONS = pytest.StashKey[List[Session]]()
WRITTEN = pytest.StashKey[bool]()
STATE = pytest.StashKey["State"]()


@dataclass
class State:
    artifacts: Path
    keep: str
    grade_json: Optional[Path]
    grades: grade.Grades
    owner: str
    recording: bool = True


def pytest_addoption(parser) -> None:
    group = parser.getgroup("ringlab", "ringlab: QEMU machines as fixtures")
    for name, help_text, default in OPTIONS:
        group.addoption(f"--ringlab-{name}", dest=f"ringlab_{name}", default=None,
                        metavar=name.upper(), help=help_text + f" (ini: ringlab_{name})")
        parser.addini(f"ringlab_{name}", help_text, default=default)


def _setting(config, name: str) -> str:
    value = config.getoption(f"ringlab_{name}")
    return value if value is not None else config.getini(f"ringlab_{name}")


def pytest_configure(config) -> None:
    for m in MARKERS:
        config.addinivalue_line("markers", m)
    keep = _setting(config, "keep")
    if keep not in KEEP_CHOICES:
        raise pytest.UsageError(f"--ringlab-keep: {keep!r} is not one of {', '.join(KEEP_CHOICES)}")
    root = Path(config.rootpath)
    folder = Path(_setting(config, "artifacts") or root / "ringlab-artifacts")
    grade_json = _setting(config, "grade")
    owner = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    os.environ[C.OWNER_ENV] = owner        # every QEMU and gdb started from here inherits it
    config.stash[STATE] = State(folder if folder.is_absolute() else root / folder, keep,
                                Path(grade_json).resolve() if grade_json else None,
                                grade.Grades(), owner)
    if not hasattr(config, "workerinput"):   # the controller, not a pytest-xdist worker
        artifacts.clear(config.stash[STATE].artifacts)
        if grade_json:
            config.pluginmanager.register(GradeReporter(config.stash[STATE]), "ringlab-grade")


# -- fixtures ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Images:
    """The built kernel and user programs."""

    kernel: Path
    user: Path

    def program(self, name: str) -> Path:
        return self.user / name


@pytest.fixture(scope="session")
def ringlab_images() -> Images:
    """Build the kernel and userland (incremental, like ``invoke build``) and return their paths."""
    try:
        build.build(capture=True)
    except RinglabError as err:
        pytest.fail("ringlab: building the images failed:\n" + err.report(), pytrace=False)
    return Images(C.KERNEL_IMAGE, C.USER_IMAGES_DIR)


class Lab:
    """The ``ringlab`` fixture: boot machines for one test; all are stopped after it.

    Args:
        images: the built images.
        cpu: default CPU model (None: DEFAULT_CPU).
        kernel: default kernel (None: images/kernel.elf).
        tmp_path: where ``compile`` puts programs.
    """

    def __init__(self, images: Images, *, cpu: Optional[str], kernel: Optional[Path],
                 tmp_path: Path) -> None:
        self.images = images
        self.cpu = cpu or None
        self.kernel = kernel
        self.tmp_path = tmp_path
        self._open: List[object] = []

    def program(self, name: str) -> Path:
        """images/user/NAME (a program of the checkout's userland)."""
        return self.images.program(name)

    def compile(self, *sources, name: Optional[str] = None, cflags: Sequence[str] = ()) -> Path:
        """Compile C sources with ``musl-gcc -static -O2 -g`` into the test's tmp_path.

        Returns:
            the program's path (named after the first source unless ``name``).

        Raises:
            pytest fails the test with the compiler's output when it fails.
        """
        out = self.tmp_path / (name or Path(sources[0]).stem)
        try:
            build.compile_program(sources, out, cflags=cflags)
        except RinglabError as err:
            pytest.fail(err.report(), pytrace=False)
        return out

    def config(self, init=None, files=(), append: str = "", cpu: Optional[str] = None,
               args: Optional[Sequence[str]] = None, **more) -> QemuConfig:
        """The QemuConfig ``boot`` uses (``args``: init's further argv, via init.args=)."""
        if args:
            bad = [a for a in args if "," in a or not a or any(c.isspace() for c in a)]
            if bad:
                raise ValueError(f"init arguments travel in init.args=a,b: {bad!r} cannot "
                                 "(no commas, spaces or empty arguments)")
            append = lab.with_init_args(append, *args)
        return lab.boot_config(init, files, append=append, cpu=cpu or self.cpu,
                               kernel=self.kernel, **more)

    def boot(self, init=None, files=(), append: str = "", cpu: Optional[str] = None,
             timeout_s: Optional[float] = None, args: Optional[Sequence[str]] = None) -> Run:
        """Boot ``init`` (default: the checkout's init with every program in "/") to its end.

        Returns:
            the Run (``status``, ``outcome``, ``user_output``, ``of(kind)``, ``first(kind)``,
            ``report()``); guest failures are outcomes, never exceptions.

        Raises:
            BadImage, BadConfig, ToolMissing: before QEMU starts.
        """
        return lab.run(self.config(init, files, append, cpu, args),
                       timeout_s=timeout_s or C.DEFAULT_BOOT_TIMEOUT_S)

    def shell(self, files=(), append: str = "", cpu: Optional[str] = None,
              timeout_s: Optional[float] = None) -> Shell:
        """The default init with ``--shell``, at its first prompt. ``shell.session`` is the
        lab.Session (``shell.exit()``, then ``shell.session.finish()`` gives the Run)."""
        session = Session(lab.shell_config(files, append, cpu=cpu or self.cpu,
                                           kernel=self.kernel))
        self._open.append(session)
        session.start()
        sh = Shell(session.console)
        sh.session = session
        sh.wait_prompt(timeout_s or C.DEFAULT_SHELL_COMMAND_TIMEOUT_S)
        return sh

    def debug(self, init=None, files=(), append: str = "", cpu: Optional[str] = None,
              symbols: Sequence[Path] = ()) -> DebugMachine:
        """A machine halted at its first instruction with gdb attached (``dm.gdb``)."""
        dm = DebugMachine(self.config(init, files, append, cpu), symbols=symbols)
        self._open.append(dm)
        return dm.start()

    def close(self) -> None:
        """Stop every machine still open (QEMU and gdb reaped)."""
        while self._open:
            m = self._open.pop()
            if isinstance(m, DebugMachine):
                m.stop()                    # QEMU, then gdb, both reaped
            else:
                m.machine.stop()            # a shell's Session


@pytest.fixture
def ringlab(request, ringlab_images, tmp_path) -> Lab:
    """Machines for this test (see ``Lab``); stopped and reaped after it."""
    config = request.config
    kernel = _setting(config, "kernel")
    lab_ = Lab(ringlab_images, cpu=_setting(config, "cpu"),
               kernel=Path(kernel).resolve() if kernel else None, tmp_path=tmp_path)
    yield lab_
    lab_.close()


def ours(program: str, owner: str) -> List[int]:
    """PIDs of live processes named ``program*`` whose environment has RINGLAB_OWNER=owner."""
    found = []
    needle = f"{C.OWNER_ENV}={owner}".encode()
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


@pytest.fixture(autouse=True)
def ringlab_nothing_left_behind(request):
    """After each test no QEMU and no gdb of this session may still run (survivors are killed)."""
    yield
    owner = request.config.stash[STATE].owner
    left = {name: ours(name, owner) for name in ("qemu-system", "gdb")}
    for pid in left["qemu-system"] + left["gdb"]:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    assert not any(left.values()), f"processes left running by this test (now killed): {left}"


# -- evidence of failed tests, and grading -----------------------------------------------------

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    """Keep every Session this test starts (setup, call and teardown)."""
    st = item.config.stash[STATE]
    sessions: List[Session] = []
    item.stash[SESSIONS] = sessions
    stop = lab.session.observe(lambda s: sessions.append(s) if st.recording else None)
    try:
        yield
    finally:
        stop()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    m = item.get_closest_marker("points")
    if m is not None:
        item.user_properties.append((grade.POINTS_PROPERTY, m.args[0] if m.args else 1))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    rep = (yield).get_result()
    st = item.config.stash[STATE]
    wanted = (rep.failed and not item.stash.get(WRITTEN, False)) or \
        (st.keep == "all" and rep.when == "teardown" and not item.stash.get(WRITTEN, False))
    sessions = list(item.stash.get(SESSIONS, []))
    if st.keep == "none" or not wanted or not sessions:     # no machine: nothing to keep
        return
    folder = st.artifacts / artifacts.folder_name(item.nodeid)
    st.recording = False                    # the int-log boot of the evidence is not the test's
    try:
        text = artifacts.write(folder, sessions, rep.longreprtext if rep.failed else "")
    except (OSError, RinglabError) as err:
        text = f"ringlab artifacts: {folder}: could not be written: {err}"
    finally:
        st.recording = True
    item.stash[WRITTEN] = True
    if rep.failed:
        _attach(rep, folder, text, artifacts.summary(sessions))


def _attach(rep, folder: Path, text: str, summary: Optional[str]) -> None:
    """Name the folder in the failure message and put report.txt into the failure text (the
    JUnit failure element)."""
    note = f"ringlab artifacts: {folder}" + (f" ({summary})" if summary else "")
    longrepr = rep.longrepr
    if isinstance(longrepr, str):
        rep.longrepr = f"{longrepr}\n[{note}]\n\n{text}"
    elif hasattr(longrepr, "addsection"):
        longrepr.addsection("ringlab report", text)
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None:
            crash.message = f"{note}\n{crash.message}"


class GradeReporter:
    """Collects the points-marked tests' reports (in the controller under pytest-xdist) and
    prints the score table at the end (registered when --ringlab-grade is given)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report) -> None:
        st = self.state
        st.grades.add(report, st.artifacts / artifacts.folder_name(report.nodeid))

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        st = self.state
        terminalreporter.write_sep("=", "ringlab grade")
        for line in st.grades.table():
            terminalreporter.write_line(line)
        st.grades.write_json(st.grade_json)
        terminalreporter.write_line(f"ringlab grade: {st.grades.score:g}/"
                                    f"{st.grades.max_score:g} points, written to "
                                    f"{st.grade_json}")
