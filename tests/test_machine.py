"""The harness itself on real QEMU, with tiny purpose-built kernels (harness.machine.tinykernel):
outcomes are named from QEMU's own evidence, every wait is bounded, no QEMU survives."""
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator, List

import pexpect
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core.errors import GuestTimeout, QemuStartError
from ringlab.machine import qemu as qemu_mod
from ringlab.machine.console import Console
from ringlab.machine.qemu import QemuConfig, QemuMachine, _wait_pid_exit
from ringlab.observe.verdict import Outcome
from tests.helpers import TERMINAL_KEY_SIGNALS, invoke_on_a_terminal

pytestmark = pytest.mark.boot


@pytest.fixture(scope="module")
def init_elf(images):
    """Any static ELF: the tiny kernels ignore their modules."""
    return images.program("ret42")


def cfg(kernel, init, **kw) -> QemuConfig:
    return QemuConfig(kernel=kernel, init=init, **kw)


def test_tiny_exit_kernel_status_from_halt_and_rc(tiny, init_elf):
    run = lab.run(cfg(tiny["exit"], init_elf), timeout_s=30)
    assert run.outcome is Outcome.EXITED and run.status == 5 and run.rc == 11, run.report()


def test_triple_fault_is_named_never_success(tiny, init_elf):
    run = lab.run(cfg(tiny["triple"], init_elf), timeout_s=30)
    assert run.rc == 0, run.report()                      # what QEMU says...
    assert run.outcome is Outcome.TRIPLE_FAULT, run.report()  # ...and what it means
    assert "Triple fault" in run.log
    assert run.exit_status == C.EXIT_TRIPLE_FAULT
    assert not run.outcome.machine_ok


def test_triple_fault_without_reset_log_still_not_success(tiny, init_elf):
    run = lab.run(cfg(tiny["triple"], init_elf, reset_log=False), timeout_s=30)
    assert run.outcome is Outcome.TRIPLE_FAULT and "without a halt line" in run.verdict.detail


def test_hung_guest_times_out_with_last_lines_and_qemu_is_reaped(tiny, init_elf):
    t0 = time.monotonic()
    run = lab.run(cfg(tiny["hang"], init_elf), timeout_s=1.0)
    assert time.monotonic() - t0 < 1.0 + C.DEFAULT_STOP_TIMEOUT_S + 2
    assert run.outcome is Outcome.TIMEOUT, run.report()
    err = run.error()
    assert isinstance(err, GuestTimeout)
    assert "within 1 s" in str(err)
    assert err.console_tail == ["ringlab: tiny kernel hanging now"]
    assert "qemu-system-x86_64" in err.report()


def test_qemu_start_error_fails_fast_with_command_and_stderr(tiny, init_elf):
    t0 = time.monotonic()
    run = lab.run(cfg(tiny["exit"], init_elf, extra_args=["-no-such-option"]), timeout_s=30)
    assert time.monotonic() - t0 < 10
    assert run.outcome is Outcome.QEMU_FAILURE
    err = run.error()
    assert isinstance(err, QemuStartError)
    assert "-no-such-option" in str(err)
    assert err.command and err.command[0] == "qemu-system-x86_64"


def test_machine_context_stops_qemu_and_removes_tmpdir(tiny, init_elf):
    with QemuMachine(cfg(tiny["hang"], init_elf)) as m:
        con = Console(m.console_io)
        con.expect(r"hanging now", timeout_s=30)
        pid, tmpdir = m.pid, m.tmpdir
        assert tmpdir.is_dir()
    assert m.stopped_by_harness
    assert _wait_pid_exit(pid, 0)
    assert not tmpdir.exists()


def test_keyboard_interrupt_inside_a_session_stops_qemu(tiny, init_elf):
    with pytest.raises(KeyboardInterrupt):
        with lab.Session(cfg(tiny["hang"], init_elf)) as s:
            s.console.expect(r"hanging now", timeout_s=30)
            pid = s.machine.pid
            raise KeyboardInterrupt
    assert _wait_pid_exit(pid, 0)


def test_ctrl_c_as_a_session_starts_stops_qemu_before_it_propagates(tiny, init_elf):
    """A KeyboardInterrupt once QEMU runs but before the ``with`` block holds the session
    (raised here by a session observer, the last step of Session.start): ``with`` calls no
    ``__exit__`` for a start that raised, so start stops QEMU itself, at once."""
    started = []

    def interrupt(session):
        started.append(session.machine)
        raise KeyboardInterrupt

    stop_observing = lab.session.observe(interrupt)
    try:
        with pytest.raises(KeyboardInterrupt):
            with lab.Session(cfg(tiny["hang"], init_elf)):
                pytest.fail("the block ran")
    finally:
        stop_observing()
    m = started[0]
    assert m.stopped_by_harness and _wait_pid_exit(m.pid, 0), "QEMU ran on"
    assert not m.tmpdir.exists()


def test_ctrl_c_as_qemu_starts_stops_qemu_before_it_propagates(tiny, init_elf, monkeypatch):
    """The same inside QemuMachine.start once QEMU runs (its last step, the sweep of stale
    temp dirs, interrupted): QEMU stopped, reaped, its temp dir gone, not left to atexit."""
    def interrupt():
        raise KeyboardInterrupt

    monkeypatch.setattr(qemu_mod, "_sweep_stale_tmpdirs", interrupt)
    m = QemuMachine(cfg(tiny["hang"], init_elf))
    with pytest.raises(KeyboardInterrupt):
        m.start()
    assert m.pid is not None and m.stopped_by_harness and _wait_pid_exit(m.pid, 0), "QEMU ran on"
    assert not m.tmpdir.exists()
    assert m.pid not in [x.pid for x in qemu_mod._machines._live]


def test_qemu_dies_with_a_sigkilled_harness(tiny, init_elf, tmp_path):
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from ringlab.machine.qemu import QemuConfig, QemuMachine\n"
        "from ringlab.machine.console import Console\n"
        f"m = QemuMachine(QemuConfig(kernel=Path({str(tiny['hang'])!r}), init=Path({str(init_elf)!r})))\n"
        "m.start()\n"
        "Console(m.console_io).expect(r'hanging now', timeout_s=30)\n"
        "print(m.pid, flush=True)\n"
        "sys.stdin.read()\n"
    )
    # The killed harness cannot remove its machine's temp dir: keep it under tmp_path.
    env = dict(os.environ, TMPDIR=str(tmp_path))
    # run from harness/: the child imports this checkout's package
    harness = subprocess.Popen([sys.executable, "-c", code], cwd=C.REPO_ROOT / "harness",
                               text=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    try:
        qemu_pid = int(harness.stdout.readline())
        harness.kill()
        harness.wait(timeout=10)
        assert _wait_pid_exit(qemu_pid, 10), "QEMU outlived its SIGKILLed harness"
        stale = list(tmp_path.glob("ringlab-*"))
        assert len(stale) == 1
        # The next machine started removes the dead harness's temp dir.
        old = qemu_mod.tempfile.tempdir
        qemu_mod.tempfile.tempdir = str(tmp_path)
        try:
            qemu_mod._sweep_stale_tmpdirs()
        finally:
            qemu_mod.tempfile.tempdir = old
        assert not stale[0].exists()
    finally:
        harness.kill()
        harness.wait(timeout=10)


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """This process with SIGINT and SIGQUIT ignored, as a suite started with ``&`` by a shell
    without job control runs (what a child started meanwhile inherits); restored on leaving."""
    old = {sig: signal.signal(sig, signal.SIG_IGN) for sig in TERMINAL_KEY_SIGNALS}
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)


def qemu_children(pid: int) -> List[int]:
    """The QEMUs process ``pid`` started (its children whose command is QEMU's)."""
    kids = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    out = []
    for kid in kids:
        try:
            if Path(f"/proc/{kid}/comm").read_text().strip() == "qemu-system-x86":
                out.append(int(kid))
        except FileNotFoundError:
            pass
    return out


@pytest.mark.parametrize("suite_sigint", ["default", "ignored"])
def test_ctrl_c_on_invoke_boot_stops_qemu(tiny, init_elf, suite_sigint):
    """Ctrl-C on the terminal of ``invoke boot`` stops QEMU: ``interrupted``, status 130, no
    QEMU left. ``ignored``: the suite itself runs with SIGINT ignored (started in the
    background); the child on the terminal is still a foreground job. (It failed once so,
    before helpers.as_a_foreground_job: ``^C`` echoed, the boot ran on to its timeout.)"""
    args = ("boot", "--kernel", str(tiny["hang"]), "--init", str(init_elf))
    with contextlib.ExitStack() as on_exit:
        with sigint_ignored() if suite_sigint == "ignored" else contextlib.nullcontext():
            child = on_exit.enter_context(invoke_on_a_terminal(*args))   # inherits it here
        child.expect("hanging now")
        qemus = qemu_children(child.pid)
        assert len(qemus) == 1, qemus
        child.sendintr()                       # Ctrl-C from the terminal
        child.expect(r"ringlab-boot: interrupted \(QEMU stopped\)")
        child.expect(pexpect.EOF)
    assert child.exitstatus == C.EXIT_INTERRUPTED, child.before
    assert _wait_pid_exit(qemus[0], 0), "QEMU outlived its interrupted invoke boot"


def test_invoke_boot_timeout_exit_status(tiny, init_elf, invoke_cli):
    res = invoke_cli(["boot", "--kernel", str(tiny["hang"]), "--init", str(init_elf),
                      "--timeout", "1"])
    assert res.returncode == C.EXIT_TIMEOUT, res.stderr
    assert "ringlab-boot: timeout" in res.stderr and "hanging now" in res.stderr


def test_invoke_boot_triple_fault_exit_status(tiny, init_elf, invoke_cli):
    res = invoke_cli(["boot", "--kernel", str(tiny["triple"]), "--init", str(init_elf)])
    assert res.returncode == C.EXIT_TRIPLE_FAULT, res.stderr
    assert "ringlab-boot: triple-fault" in res.stderr
