"""tests/parity.py's HostRun and captured_on_host without QEMU: a host run that overlaps the
test's own work types its keys, reports its transcript and status, holds the host-alone lock
until it is reaped, and neither it nor its children outlive a test that fails meanwhile."""
import fcntl
import os
import select
import signal
from pathlib import Path

import pexpect
import pytest

from ringlab.core.errors import BadConfig
from ringlab.core.procs import wait_pid_exit

from tests.parity import STEP_TIMEOUT_S, Case, HostRun, captured_on_host, run_both, start_on_host

# host programs on a terminal, about 0.15 s each: `invoke test` only, not `test-quick`
pytestmark = pytest.mark.slow


def locked(path: Path) -> bool:
    """Whether another open file description holds flock(2) on ``path``."""
    fd = os.open(path, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def read_pids(rd: int) -> list:
    """The pids a program wrote to the FIFO open (non-blocking) on ``rd``, waited for with a bound."""
    ready, _, _ = select.select([rd], [], [], STEP_TIMEOUT_S)
    assert ready
    return [int(p) for p in os.read(rd, 100).split()]


def test_keys_transcript_and_status(tmp_path):
    with HostRun.start(["/bin/sh", "-c", "read a; echo got $a; read b; echo and $b; exit 3"], tmp_path,
                       keys=[("one\r", r"got one"), ("two\r", r"and two")]) as host:
        text, status = host.result()
    assert status == 3
    assert "got one" in text and "and two" in text


def test_a_signal_gives_128_plus_n(tmp_path):
    with start_on_host(["/bin/sh", "-c", "kill -TERM $$"], tmp_path) as host:
        assert host.result()[1] == 128 + signal.SIGTERM


def test_an_unanswered_step_raises_from_result(tmp_path):
    with HostRun.start(["/bin/sh", "-c", "echo nothing"], tmp_path, keys=[("", r"never said")]) as host:
        with pytest.raises(pexpect.EOF):         # the program ended without it
            host.result()


def test_the_alone_lock_is_held_until_the_program_is_reaped(tmp_path):
    lock = tmp_path / "alone.lock"
    with HostRun.start(["/bin/true"], tmp_path, alone_lock=lock) as host:
        host.result()
        assert not locked(lock)
    with HostRun.start(["/bin/sleep", "600"], tmp_path, alone_lock=lock) as host:
        assert locked(lock)
    assert not locked(lock)


def test_a_failing_test_leaves_no_host_process(tmp_path):
    """The test fails while the host's program and its child run: both are killed, the
    program reaped, before the exception leaves the ``with``."""
    fifo = tmp_path / "pids"
    os.mkfifo(fifo)
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(RuntimeError):
            with start_on_host(["/bin/sh", "-c", f"sleep 600 & echo $$ $! > {fifo}; wait"], tmp_path) as host:
                pids = read_pids(rd)
                assert pids[0] == host.pid
                raise RuntimeError("ringlab's side failed")
    finally:
        os.close(rd)
    with pytest.raises(ChildProcessError):
        os.waitpid(pids[0], os.WNOHANG)          # reaped already
    assert wait_pid_exit(pids[1], STEP_TIMEOUT_S), "the program's child survived"


def test_captured_output_and_status(tmp_path):
    with captured_on_host(["/bin/sh", "-c", "echo out; echo err >&2; exit 4"], cwd=tmp_path) as host:
        out, err = host.communicate(timeout=STEP_TIMEOUT_S)
    assert (out, err, host.returncode) == ("out\n", "err\n", 4)


def test_a_failing_test_leaves_no_captured_process(tmp_path):
    fifo = tmp_path / "pids"
    os.mkfifo(fifo)
    rd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(RuntimeError):
            with captured_on_host(["/bin/sh", "-c", f"sleep 600 & echo $$ $! > {fifo}; wait"]) as host:
                pids = read_pids(rd)
                raise RuntimeError("ringlab's side failed")
    finally:
        os.close(rd)
    assert pids[0] == host.pid and host.returncode == -signal.SIGKILL    # reaped
    assert wait_pid_exit(pids[1], STEP_TIMEOUT_S), "the program's child survived"


def processes_in(directory: Path) -> list:
    """Pids of live processes whose current directory is ``directory`` (a zombie has none)."""
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if os.readlink(proc / "cwd") == str(directory):
                    pids.append(int(proc.name))
            except OSError:                     # gone, a zombie, or a kernel thread
                pass
    return pids


@pytest.mark.boot
def test_run_both_ends_the_host_run_when_ringlab_fails(images, tmp_path):
    """`leases timeout` waits 45 s on the host; ringlab's side fails at once (a CPU model this
    QEMU lacks: BadConfig): run_both raises ringlab's error, and neither the host's program
    nor the opener it forked is left in its directory."""
    with pytest.raises(BadConfig):
        run_both(Case("leases", args=("timeout",)), images, tmp_path,
                 ringlab_case=Case("leases", cpu="no-such-cpu-model"))
    assert processes_in(tmp_path / "linux") == []
