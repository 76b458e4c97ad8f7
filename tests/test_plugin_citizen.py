"""The plugin as a good citizen in a user's project, without QEMU: small projects in tmp_path
run by a real pytest with the plugin (``-p ringlab.plugin``).

- a bad option value is one usage error at start, naming the plugin's option;
- only the plugin's public markers are registered (not ringlab's own unit/quick);
- the check that no QEMU or gdb is left running runs for tests that boot machines only;
- the artifacts folder keeps the evidence of tests that did not run this time;
- a build on first use says so on the terminal (past pytest's capture);
- a Run says how it ended (``outcome``, ``assert_status``); its report names each fault
  address (symbol, source line) and quotes QEMU's log from the fault, not from reset.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Dict

import pytest

from ringlab.core import constants as C
from ringlab.lab.session import Run
from ringlab.machine import build, symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import parse_console
from ringlab.observe.verdict import Outcome, Verdict
from ringlab.plugin import artifacts

pytestmark = pytest.mark.unit

PYTEST_TIMEOUT_S = 120.0


def make_project(root: Path, tests: Dict[str, str], ini: str = "") -> Path:
    (root / "tests").mkdir(parents=True)
    (root / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests"]\n'
                                         'addopts = "-ra --strict-markers"\n' + ini)
    for name, body in tests.items():
        (root / "tests" / f"{name}.py").write_text(textwrap.dedent(body))
    return root


def run_pytest(project: Path, *args: str) -> subprocess.CompletedProcess:
    # the checkout's package (harness/ringlab); CI: pytest's short summary lines are not cut to
    # 80 columns
    env = dict(os.environ, PYTHONPATH=str(C.REPO_ROOT / "harness"), CI="1")
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:ringlab", "-p",
                           "ringlab.plugin", "-p", "no:cacheprovider", *args], cwd=project,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                          timeout=PYTEST_TIMEOUT_S)


PLAIN = {"test_plain": "def test_one():\n    pass\n"}


@pytest.mark.parametrize("args,ini,line", [
    (["--ringlab-cpu", "bogus"], "",
     "ERROR: --ringlab-cpu bogus: not a CPU model this QEMU knows"),
    ([], 'ringlab_cpu = "bogus"\n',
     "ERROR: ringlab_cpu (ini) bogus: not a CPU model this QEMU knows"),
    (["--ringlab-kernel", "/nonexistent"], "",
     "ERROR: --ringlab-kernel /nonexistent: "),
    (["--ringlab-kernel", "/etc/hostname"], "",
     "ERROR: --ringlab-kernel /etc/hostname: not an ELF file"),
], ids=["cpu", "cpu-ini", "kernel-missing", "kernel-not-elf"])
@pytest.mark.slow
def test_a_bad_option_is_one_usage_error_at_start(tmp_path, args, ini, line):
    project = make_project(tmp_path / "p", PLAIN, ini)
    res = run_pytest(project, *args)
    assert res.returncode == 4, res.stdout + res.stderr
    assert res.stderr.startswith(line) and len(res.stderr.strip().splitlines()) == 1, \
        res.stderr
    assert "Traceback" not in res.stderr and "--cpu " not in res.stderr
    assert "test_one" not in res.stdout                      # no test ran


@pytest.mark.slow
def test_only_the_plugins_public_markers_are_registered(tmp_path):
    project = make_project(tmp_path / "p", PLAIN)
    res = run_pytest(project, "--markers")
    names = set(re.findall(r"^@pytest\.mark\.(\w+)", res.stdout, re.M))
    assert {"boot", "gdb", "points"} <= names, res.stdout
    assert not {"unit", "quick"} & names, res.stdout


LEAKS = """\
    import os
    import subprocess
    from pathlib import Path

    import pytest

    STANDIN = Path(os.environ["STANDIN_DIR"])     # gdb-standin: a link to sleep


    def leave_one():
        proc = subprocess.Popen([str(STANDIN / "gdb-standin"), "60"])
        (STANDIN / f"{proc.pid}.pid").write_text("")
        return proc


    def test_plain_test_is_not_checked():
        leave_one()                    # a plain test pays no scan of /proc: nobody looks


    @pytest.mark.boot
    def test_boot_test_is_checked():
        leave_one()                    # the check finds it, kills it, fails the test


    def test_cleanup():
        for f in STANDIN.glob("*.pid"):
            try:
                os.kill(int(f.stem), 9)
            except ProcessLookupError:
                pass
    """


@pytest.mark.slow
def test_the_leak_check_runs_for_tests_that_boot_machines_only(tmp_path):
    standin = tmp_path / "standin"
    standin.mkdir()
    (standin / "gdb-standin").symlink_to("/bin/sleep")
    project = make_project(tmp_path / "p", {"test_leaks": LEAKS})
    env_before = os.environ.get("STANDIN_DIR")
    os.environ["STANDIN_DIR"] = str(standin)
    try:
        res = run_pytest(project, "-p", "no:randomly")
    finally:
        if env_before is None:
            del os.environ["STANDIN_DIR"]
        else:
            os.environ["STANDIN_DIR"] = env_before
    out = res.stdout + res.stderr
    assert re.search(r"^ERROR tests/test_leaks.py::test_boot_test_is_checked - AssertionError: "
                     r"processes left running", out, re.M), out
    assert re.search(r"\b3 passed, 1 error\b", out), out       # the plain test passed


@pytest.mark.slow
def test_evidence_of_tests_that_did_not_run_is_kept(tmp_path):
    project = make_project(tmp_path / "p", {"test_two": """\
        def test_a():
            pass

        def test_b():
            pass
        """})
    folders = {}
    for name in ("test_a", "test_b"):
        folders[name] = project / "ringlab-artifacts" / artifacts.folder_name(
            f"tests/test_two.py::{name}")
        folders[name].mkdir(parents=True)
        (folders[name] / artifacts.MARKER).write_text("")
        (folders[name] / "report.txt").write_text("an earlier failure\n")
    not_ours = project / "ringlab-artifacts" / "notes"
    not_ours.mkdir()
    res = run_pytest(project, "-k", "test_a")
    assert res.returncode == 0, res.stdout + res.stderr
    assert not folders["test_a"].exists()          # it ran again (and passed): stale evidence
    assert (folders["test_b"] / "report.txt").read_text() == "an earlier failure\n"
    assert not_ours.is_dir()


def _run(outcome: Outcome, status, detail: str, timeout_s=None) -> Run:
    return Run(config=QemuConfig(), command=["qemu-system-x86_64"],
               verdict=Verdict(outcome, status, None, detail), events=[], user_lines=[],
               console="", raw_console="", rc=None, qemu_signal=None, log="", stderr="",
               duration_s=2.0, timeout_s=timeout_s)


def test_a_run_says_it_timed_out():
    run = _run(Outcome.TIMEOUT, None, "timeout: no halt line within 2 s; the guest was at "
               "0x401000 <main> (CPL 3)", 2.0)
    assert run.outcome == "timeout" and run.outcome is Outcome.TIMEOUT and run.status is None
    with pytest.raises(AssertionError) as err:
        run.assert_status(0)
    first = str(err.value).splitlines()[0]
    assert first == "expected exit status 0, got: timed out: no halt line within 2 s; the " \
                    "guest was at 0x401000 <main> (CPL 3)"
    assert "outcome: timeout" in str(err.value)          # then the report


def test_assert_status_passes_and_names_another_status():
    assert _run(Outcome.EXITED, 0, "init exited (status 0)").assert_status(0).status == 0
    with pytest.raises(AssertionError, match=r"^expected exit status 0, got: killed: init "
                                             r"killed by SIGSEGV"):
        _run(Outcome.KILLED, 139, "init killed by SIGSEGV (status 139)").assert_status(0)


def _faulting_run(tmp_path: Path, log: str = "") -> Run:
    """A Run of a -O0 null read whose kernel reported a #PF at main's first instruction."""
    (tmp_path / "nullr.c").write_text("int main(void){return *(volatile int*)0;}\n")
    prog = tmp_path / "nullr"
    build.compile_program([tmp_path / "nullr.c"], prog, optimize="-O0")
    main = symbols.symbol_address(prog, "main")
    console = (f"ringlab: fault pid=1 vector=14 name=#PF error=0x4 cpl=3 rip={main:#x} "
               "cs=0x33 rsp=0x7fffffffee50 ss=0x2b rflags=0x206 cr2=0x0\n"
               "ringlab: kill pid=1 ppid=0 signal=11 name=SIGSEGV\nringlab: halt status=139\n")
    run = _run(Outcome.KILLED, 139, "init killed by SIGSEGV (status 139)")
    run.config = QemuConfig(init=prog)
    run.events = parse_console(console).events
    run.log = log
    return run


def test_a_report_names_the_fault_address_symbol_and_source_line(tmp_path):
    run = _faulting_run(tmp_path)
    main = symbols.symbol_address(tmp_path / "nullr", "main")
    line = f"fault: pid 1 #PF (vector 14) error=0x4 at {main:#x} <main> nullr.c:1 from CPL 3, " \
           "cr2=0x0"
    assert run.fault_lines(symbols.source_line) == [line]
    assert run.report(source_line=symbols.source_line).splitlines()[1] == line
    assert run.fault_lines() == [line.replace(" nullr.c:1", "")]   # no reader: symbols only


RESET = "CPU Reset (CPU 0)\nRAX=0000000000000000 RBX=0000000000000000\n"
EXCEPTION = ("     0: v=0e e=0004 i=0 cpl=3 IP=002b:0000000000401142 pc=0000000000401142 "
             "SP=0023:00007fffffffee50 CR2=0000000000000000\n"
             "RAX=0000000000000000 RBX=0000000000401139\n")
TIMER = ("     1: v=20 e=0000 i=0 cpl=0 IP=0008:ffffffff80100000 pc=ffffffff80100000 "
         "SP=0010:ffffffffc0004fd0 env->regs[R_EAX]=0000000000000000\n")


def test_a_report_quotes_qemus_log_from_the_fault_not_from_reset(tmp_path):
    run = _faulting_run(tmp_path, log=RESET * 2)
    assert "qemu log" not in run.report() and "CPU Reset" not in run.report()
    run.log = RESET * 2 + EXCEPTION + TIMER
    report = run.report()
    assert "CPU Reset" not in report
    assert "qemu log (from the last exception it logged):\n  |      0: v=0e e=0004 i=0 cpl=3 " \
        in report, report
    run.log = RESET * 2 + "check_exception old: 0x8 new 0xd\nTriple fault\n" + RESET
    assert "qemu log (from the triple fault):\n  | Triple fault\n  | CPU Reset" in run.report()


@pytest.mark.slow
def test_a_build_on_first_use_is_announced_past_the_capture(tmp_path):
    # the lab's conftest stands in for a stale checkout: make would have work (up_to_date
    # False) and the build itself is skipped; the test uses ringlab_images
    project = make_project(tmp_path / "p", {
        "conftest": """\
            from ringlab.machine import build
            build.up_to_date = lambda *a, **k: False
            build.build = lambda *a, **k: ""
            """,
        "test_images": """\
            def test_images(ringlab_images):
                assert ringlab_images.kernel.name == "kernel.elf"
            """})
    res = run_pytest(project)
    assert res.returncode == 0, res.stdout + res.stderr
    assert re.search(r"^ringlab: building the kernel and userland in \S+ \(make; the first "
                     r"build takes about 30 s\)\.\.\.$", res.stdout, re.M), res.stdout
    assert re.search(r"^ringlab: images built in \d+\.\d s$", res.stdout, re.M), res.stdout


def test_an_up_to_date_checkout_builds_silently(images):
    assert build.up_to_date()


@pytest.mark.slow
def test_a_log_per_test_on_request(tmp_path):
    project = make_project(tmp_path / "p", {"test_logs": """\
        import logging

        def test_one():
            logging.getLogger("ringlab.lab.session").debug("one's record")

        def test_two():
            logging.getLogger("ringlab.machine.qemu").info("two's record")
        """})
    res = run_pytest(project, "--ringlab-log", "logs")
    assert res.returncode == 0, res.stdout + res.stderr
    one = (project / "logs" / "tests_test_logs.py__test_one.log").read_text()
    two = (project / "logs" / "tests_test_logs.py__test_two.log").read_text()
    assert one.startswith("ringlab log of tests/test_logs.py::test_one\n")
    assert re.search(r" DEBUG ringlab.lab.session: one's record$", one, re.M), one
    assert "two's record" not in one and " INFO ringlab.machine.qemu: two's record" in two
