"""ringlab's pytest plugin: machines as fixtures, evidence for failed tests, grading.

Registered through the ``pytest11`` entry point ``ringlab`` (pyproject.toml), so it loads by
itself once ringlab is installed. Nothing imports this module; it sits on top, with the CLI.

Fixtures:
    ``ringlab`` (function scope): a ``Lab``: ``boot(init=PATH, files=(), append="", cpu=None,
        timeout_s=None, args=None) -> Run``, ``shell(...) -> Shell`` (prompt-synchronised),
        ``debug(...) -> DebugMachine`` (halted, gdb attached), ``program(name)``,
        ``compile(*sources)``; every machine is stopped and reaped after the test.
    ``ringlab_images`` (session scope): builds the kernel and userland on demand with the same
        incremental build as ``invoke build`` (once per process; parallel workers take turns),
        saying so on the terminal when there is something to build.

Options (and ini keys ``ringlab_cpu`` ...): ``--ringlab-cpu MODEL``, ``--ringlab-kernel ELF``,
``--ringlab-artifacts DIR`` (default ``ringlab-artifacts`` in the rootdir), ``--ringlab-keep
{failed,all,none}`` (default failed), ``--ringlab-grade JSON`` (score table and JSON of the
``points``-marked tests), ``--ringlab-log DIR`` (a log per test: the harness's records and
every machine's command and console, as labgrid's ``--lg-log`` does).

Evidence: every machine a test starts (``lab.Session``, also through ``lab.run``, the shell
and DebugMachine) is kept; a failed test that started one gets ``<artifacts>/<test id>/``
(see ``artifacts``), named in its failure message, its report in the JUnit failure element.

Bad option values (``--ringlab-cpu bogus``, ``--ringlab-kernel /nonexistent``) stop pytest at
start with one usage error naming the option.

The sanitizer kernel: with ``RINGLAB_SANITIZE=1`` in the environment (core.constants) the
fixtures build and boot images/sanitize/kernel.elf (``invoke build --sanitize``) instead of
images/kernel.elf, with its ABI file and symbols; a sanitizer report is the run's outcome
(``Outcome.SANITIZER``), never a pass.

Markers: ``boot``, ``gdb``, ``points(N)`` (a project registers its own).

After every test that boots machines (uses the ``ringlab`` or ``ringlab_images`` fixture, is
marked ``boot`` or ``gdb``, or started a machine) no QEMU or gdb started on its behalf (in
this process, by an ``invoke`` subprocess, or by hand from a dry-run line: all inherit
RINGLAB_OWNER) may still run: survivors are killed and the test fails.

The artifacts folder keeps the evidence of tests that did not run this time: a test's own
folder is removed when it runs again.
"""
from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence, Tuple

import pytest

from .. import lab
from ..core import constants as C
from ..core.errors import BadConfig, BadImage, RinglabError
from ..debug.machine import DebugMachine
from ..lab.session import Run, Session
from ..lab.shell import Shell
from ..machine import build, elfimage, symbols
from ..machine.qemu import QemuConfig, check_cpu
from . import artifacts, grade

KEEP_CHOICES = ("failed", "all", "none")
#: ``ringlab.compile``'s optimisation level: a student's code debugs as written
STUDENT_OPTIMIZE = "-O0"
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
    ("log", "write a log per test into this folder (TEST-ID.log): ringlab's log records "
            "(DEBUG) and every machine's command and console", ""),
)
#: the harness's loggers (``logging.getLogger(__name__)`` in every module) hang below this
PACKAGE_LOGGER = __name__.split(".")[0]
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
#: the plugin's public markers (a project's own, such as ringlab's unit/quick, are its own)
MARKERS = (
    "boot: the test boots ringlab machines (real QEMU); the plugin checks none is left running",
    "gdb: the test drives gdb against a ringlab machine",
    "points(n): the test is worth n points (--ringlab-grade, invoke grade)",
)
#: fixtures whose tests get the check that no QEMU or gdb is left running
MACHINE_FIXTURES = ("ringlab", "ringlab_images")
MACHINE_MARKERS = ("boot", "gdb")

SESSIONS = pytest.StashKey[List[Session]]()
WRITTEN = pytest.StashKey[bool]()
STATE = pytest.StashKey["State"]()
BAD_POINTS = pytest.StashKey[str]()


@dataclass
class State:
    artifacts: Path
    keep: str
    grade_json: Optional[Path]
    grades: grade.Grades
    owner: str
    log_dir: Optional[Path] = None
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


def _option_name(config, name: str) -> str:
    """How the user gave option ``name``: ``--ringlab-NAME`` or the ini key ``ringlab_NAME``."""
    if config.getoption(f"ringlab_{name}") is not None:
        return f"--ringlab-{name}"
    return f"ringlab_{name} (ini)"


def check_options(config) -> None:
    """Refuse bad plugin options once, before any test runs.

    Raises:
        pytest.UsageError: one line naming the plugin's option (``--ringlab-cpu bogus: not
            a CPU model this QEMU knows ...``), so pytest stops with status 4.
    """
    keep = _setting(config, "keep")
    if keep not in KEEP_CHOICES:
        raise pytest.UsageError(f"--ringlab-keep: {keep!r} is not one of {', '.join(KEEP_CHOICES)}")
    cpu = _setting(config, "cpu")
    if cpu:
        try:
            check_cpu(cpu)
        except BadConfig as err:       # its message names invoke's --cpu: say ours
            raise pytest.UsageError(f"{_option_name(config, 'cpu')} {cpu}: "
                                    f"{str(err).split(': ', 1)[-1]}") from None
    kernel = _setting(config, "kernel")
    if kernel:
        try:
            elfimage.check_elf64(Path(kernel))
        except BadImage as err:
            raise pytest.UsageError(f"{_option_name(config, 'kernel')} {kernel}: "
                                    f"{err.reason}") from None


def pytest_configure(config) -> None:
    for m in MARKERS:
        config.addinivalue_line("markers", m)
    check_options(config)
    lab.session.use_source_lines(symbols.source_line)   # fault lines in reports: file:line
    keep = _setting(config, "keep")
    root = Path(config.rootpath)
    folder = Path(_setting(config, "artifacts") or root / "ringlab-artifacts")
    grade_json = _setting(config, "grade")
    owner = f"pytest-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    os.environ[C.OWNER_ENV] = owner        # every QEMU and gdb started from here inherits it
    log_dir = _setting(config, "log")
    config.stash[STATE] = State(folder if folder.is_absolute() else root / folder, keep,
                                Path(grade_json).resolve() if grade_json else None,
                                grade.Grades(), owner,
                                log_dir=(root / log_dir).resolve() if log_dir else None)
    if not hasattr(config, "workerinput"):   # the controller, not a pytest-xdist worker
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
def ringlab_images(request) -> Images:
    """Build the kernel and userland (incremental, like ``invoke build``) and return their
    paths. When there is something to build (a fresh checkout: some 30 s), the terminal says
    so before and after."""
    start = time.monotonic()
    busy = not build.up_to_date()
    if busy:
        _tell(request.config, f"ringlab: building the kernel and userland in {C.REPO_ROOT} "
                              "(make; the first build takes about 30 s)...")
    try:
        build.build(capture=True)
    except RinglabError as err:
        pytest.fail("ringlab: building the images failed:\n" + err.report(), pytrace=False)
    if busy:
        _tell(request.config, f"ringlab: images built in {time.monotonic() - start:.1f} s")
    return Images(C.KERNEL_IMAGE, C.USER_IMAGES_DIR)


def _tell(config, line: str) -> None:
    """Write ``line`` to the terminal past pytest's output capture (nothing in a pytest-xdist
    worker, which has no terminal)."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is None:
        return
    with (capture.global_and_fixture_disabled() if capture is not None
          else contextlib.nullcontext()):
        reporter.ensure_newline()
        reporter.write_line(line)


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

    def compile(self, *sources, name: Optional[str] = None, cflags: Sequence[str] = (),
                optimize: str = STUDENT_OPTIMIZE) -> Path:
        """Compile C sources with ``musl-gcc -static -g -O0`` into the test's tmp_path.

        -O0 by default: a student's program debugs as written (every variable in gdb, no
        ``<optimized out>``, one source line after another); ``optimize="-O2"`` builds it
        the way the checkout's userland/ is built.

        Args:
            sources: C (or assembly) files; the first names the program.
            name: the program's file name instead (in tmp_path).
            cflags: more compiler options, after the defaults (``["-Wall", "-DN=3"]``).
            optimize: ``-O0`` (default), ``-O1``, ``-O2``, ``-O3``, ``-Os`` or ``-Og``.

        Returns:
            the program's path (named after the first source unless ``name``).

        Raises:
            ValueError: an ``optimize`` not in that list.
            pytest fails the test with the compiler's output when it fails.
        """
        out = self.tmp_path / (name or Path(sources[0]).stem)
        try:
            build.compile_program(sources, out, cflags=cflags, optimize=optimize)
        except RinglabError as err:
            pytest.fail(err.report(), pytrace=False)
        return out

    def config(self, init=None, files=(), append: str = "", cpu: Optional[str] = None,
               args: Optional[Sequence[str]] = None, **more) -> QemuConfig:
        """The QemuConfig ``boot`` uses (``args``: init's further argv, via init.args=;
        ``user=1000``, ``"1000:100"`` or ``(1000, 100)`` in ``more``: init unprivileged)."""
        if args:
            bad = [a for a in args if "," in a or not a or any(c.isspace() for c in a)]
            if bad:
                raise ValueError(f"init arguments travel in init.args=a,b: {bad!r} cannot "
                                 "(no commas, spaces or empty arguments)")
            append = lab.with_init_args(append, *args)
        return lab.boot_config(init, files, append=append, cpu=cpu or self.cpu,
                               kernel=self.kernel, **more)

    def boot(self, init=None, files=(), append: str = "", cpu: Optional[str] = None,
             timeout_s: Optional[float] = None, args: Optional[Sequence[str]] = None,
             stdin: Optional[lab.StdinLike] = None, user=None) -> Run:
        """Boot ``init`` (default: the checkout's init with every program in "/") to its end.
        ``user``: run init as that user (``1000``, ``"1000:100"``, ``(1000, 100)``), with no
        supplementary groups and no capabilities, as Linux runs a normal user's program.

        ``stdin``: what the programs read from the console, as from a pipe (bytes, a str, or
        a host file as a Path), then the end of file; the console's echo is off then
        (``lab.run``'s ``stdin``).

        Returns:
            the Run (``status``, ``outcome``, ``user_output``, ``of(kind)``, ``first(kind)``,
            ``report()``); guest failures are outcomes, never exceptions.

        Raises:
            BadImage, BadConfig, ToolMissing: before QEMU starts.
        """
        return lab.run(self.config(init, files, append, cpu, args, user=user),
                       timeout_s=timeout_s or C.DEFAULT_BOOT_TIMEOUT_S, stdin=stdin)

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


def _boots_machines(request) -> bool:
    """Whether the test is one that may leave QEMU or gdb behind: it uses the plugin's
    fixtures, is marked ``boot``/``gdb``, or started a machine in this process."""
    node = request.node
    return (any(f in request.fixturenames for f in MACHINE_FIXTURES)
            or any(node.get_closest_marker(m) is not None for m in MACHINE_MARKERS)
            or bool(node.stash.get(SESSIONS, None)))


@pytest.fixture(autouse=True)
def ringlab_nothing_left_behind(request):
    """After a test that boots machines (``_boots_machines``) no QEMU and no gdb of this
    session may still run (survivors are killed, the test fails); other tests of a project
    pay nothing (no scan of /proc)."""
    yield
    if not _boots_machines(request):
        return
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
    # this test's evidence from an earlier run goes; other tests' stays (pytest -k other)
    artifacts.clear_one(st.artifacts / artifacts.folder_name(item.nodeid))
    sessions: List[Session] = []
    item.stash[SESSIONS] = sessions
    stop = lab.session.observe(lambda s: sessions.append(s) if st.recording else None)
    test_log = _open_test_log(st.log_dir, item.nodeid) if st.log_dir else None
    try:
        yield
    finally:
        stop()
        if test_log is not None:
            _close_test_log(*test_log, sessions)


def _open_test_log(folder: Path, nodeid: str) -> Tuple[logging.FileHandler, int]:
    """Start ``folder/<test id>.log``: ringlab's log records at DEBUG from now on; returns
    the handler and the logger's level before."""
    folder.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(folder / f"{artifacts.folder_name(nodeid)}.log", mode="w")
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.setLevel(logging.DEBUG)
    handler.stream.write(f"ringlab log of {nodeid}\n")
    logger = logging.getLogger(PACKAGE_LOGGER)
    previous = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    return handler, previous


def _close_test_log(handler: logging.FileHandler, previous_level: int,
                    sessions: Sequence[Session]) -> None:
    """End a test's log with each machine's command and console, as received."""
    logger = logging.getLogger(PACKAGE_LOGGER)
    logger.removeHandler(handler)
    logger.setLevel(previous_level)
    for i, s in enumerate(sessions, 1):
        command = s.machine.command if s.machine is not None else None
        handler.stream.write(f"== machine {i}: " + (shlex.join(command) if command else
                                                     "(not started)") + "\n")
        if s.console is not None:
            handler.stream.write(s.console.raw.replace("\r\n", "\n"))
            handler.stream.write("\n== end of machine %d's console\n" % i)
    handler.close()


def pytest_itemcollected(item) -> None:
    """Read the test's ``points`` marker: its value travels in ``user_properties`` (to the
    controller under pytest-xdist, and into JUnit); a bad value fails this test at setup."""
    m = item.get_closest_marker("points")
    if m is None:
        return
    try:
        points = grade.points_value(m.args, m.kwargs)
    except ValueError as err:
        item.stash[BAD_POINTS] = str(err)
        points = 0.0
    item.user_properties.append((grade.POINTS_PROPERTY, points))


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items) -> None:
    """Grading (--ringlab-grade) runs the points-marked tests only."""
    if config.stash[STATE].grade_json is None:
        return
    unmarked = [i for i in items if i.get_closest_marker("points") is None]
    if unmarked:
        config.hook.pytest_deselected(items=unmarked)
        items[:] = [i for i in items if i.get_closest_marker("points") is not None]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    bad = item.stash.get(BAD_POINTS, None)
    if bad is not None:
        pytest.fail(bad, pytrace=False)


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
    """Name the folder in the failure message's second line, after the failed check (the
    first line, what ``-ra`` and JUnit's ``message=`` show, stays the assertion), and put
    report.txt into the failure text (the JUnit failure element)."""
    note = f"ringlab artifacts: {folder}" + (f" ({summary})" if summary else "")
    longrepr = rep.longrepr
    if isinstance(longrepr, str):
        rep.longrepr = f"{longrepr}\n[{note}]\n\n{text}"
    elif hasattr(longrepr, "addsection"):
        longrepr.addsection("ringlab report", text)
        crash = getattr(longrepr, "reprcrash", None)
        if crash is not None:       # the note second: JUnit keeps the message's first lines
            first, _, rest = crash.message.partition("\n")
            crash.message = f"{first}\n{note}" + (f"\n{rest}" if rest else "")


class GradeReporter:
    """Collects the points-marked tests' reports (in the controller under pytest-xdist) and
    prints the score table at the end (registered when --ringlab-grade is given)."""

    def __init__(self, state: State) -> None:
        self.state = state

    def pytest_runtest_logreport(self, report) -> None:
        st = self.state
        st.grades.add(report, st.artifacts / artifacts.folder_name(report.nodeid))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session) -> None:
        """The score as <testsuite> properties of the JUnit file (before junitxml writes it):
        the plugin that has ``add_global_property`` is junitxml's, the one
        ``record_testsuite_property`` writes to."""
        for plugin in session.config.pluginmanager.get_plugins():
            if callable(getattr(plugin, "add_global_property", None)):
                for name, value in self.state.grades.suite_properties().items():
                    plugin.add_global_property(name, value)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter) -> None:
        st = self.state
        terminalreporter.write_sep("=", "ringlab grade")
        for line in st.grades.table():
            terminalreporter.write_line(line)
        st.grades.write_json(st.grade_json)
        skipped = st.grades.skipped
        terminalreporter.write_line(
            f"ringlab grade: {st.grades.score:g}/{st.grades.max_score:g} points"
            + (f" ({len(skipped)} skipped, {st.grades.skipped_points:g} points, not counted)"
               if skipped else "") + f", written to {st.grade_json}")
