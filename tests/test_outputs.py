"""Per-invocation outputs: two runs in one checkout never write one file. ``invoke boot
--int-log``, ``invoke iso`` and ``invoke boot --record`` name their output per run (or take the
path given and say when they replace a file there); a folder another run is recording into is
refused; a second replay of one recording that cannot start shows QEMU's own stderr; a build
that waits for another one says so."""
from __future__ import annotations

import os
import re
import threading
from pathlib import Path

import pytest

from ringlab.core import constants as C
from ringlab.core.errors import BadConfig
from ringlab.debug import replay
from ringlab.debug.replay import ReplayMachine
from ringlab.machine import build
from ringlab.machine.qemu import QemuConfig

KEPT_LOG = re.compile(r"^ringlab-boot: QEMU's -d int log \(\d+ lines\): (\S+)( \(replaced the "
                      r"file that was there\))?$", re.M)


@pytest.mark.boot
def test_int_log_is_named_per_run_or_where_given(invoke_cli, images, tmp_path):
    runtime = tmp_path / "runtime"
    kept = []
    for _ in range(2):
        res = invoke_cli(["boot", "--int-log", "--init", "images/user/hlt"])
        assert res.returncode == 139, res.stderr
        m = KEPT_LOG.search(res.stderr)
        assert m and not m.group(2), res.stderr
        kept.append(Path(m.group(1)))
    assert kept[0] != kept[1] and all(p.parent == runtime for p in kept), kept
    for p in kept:      # each run's own log: the #GP of the hlt, from CPL 3
        assert re.search(r"v=0d e=0000 i=0 cpl=3 ", p.read_text()), p
        assert re.fullmatch(r"qemu-int-\d{8}-\d{6}-\d+(-\d+)?\.log", p.name), p.name
    given = tmp_path / "hlt-int.log"
    for replaced in (False, True):
        res = invoke_cli(["boot", f"--int-log={given}", "--init", "images/user/hlt"])
        m = KEPT_LOG.search(res.stderr)
        assert m and Path(m.group(1)) == given and bool(m.group(2)) is replaced, res.stderr
    assert "v=0d e=0000" in given.read_text()
    # --dry-run names the run's own log file too
    res = invoke_cli(["boot", "--dry-run", "--int-log"])
    assert re.search(rf"-D {re.escape(str(runtime))}/qemu-int-\S+\.log", res.stdout), res.stdout


@pytest.mark.boot
def test_recordings_without_a_folder_are_one_per_run_and_a_replaced_one_is_named(
        invoke_cli, images, tmp_path):
    made = []
    for _ in range(2):
        res = invoke_cli(["boot", "--record", "--init", "images/user/ret42"])
        assert res.returncode == 42, res.stderr
        made.append(re.search(r"^ringlab-boot: recorded in (\S+)$", res.stderr, re.M).group(1))
    assert made[0] != made[1] and all(Path(d, replay.MANIFEST).is_file() for d in made)
    res = invoke_cli(["boot", "--record", made[0], "--int-log", "--init", "images/user/ret42"])
    assert res.returncode == 42, res.stderr
    assert f"recorded in {made[0]} (replaced the recording that was there)" in res.stderr
    log = Path(made[0], replay.INT_LOG_FILE)
    assert f"QEMU's -d int log: {log}" in res.stderr and "CPU Reset" in log.read_text()


def test_a_folder_another_run_records_into_is_refused(images, tmp_path):
    with replay._recording_lock(tmp_path / "rec"):
        with pytest.raises(BadConfig, match="another run is recording there now"):
            replay.record(QemuConfig(init=C.USER_IMAGES_DIR / "ret42"), tmp_path / "rec")


@pytest.mark.boot
@pytest.mark.gdb
def test_a_second_replay_of_one_recording_shows_qemus_stderr(invoke_cli, images, tmp_path):
    rec, _ = replay.record(QemuConfig(init=C.USER_IMAGES_DIR / "hlt"), tmp_path / "rec")
    with ReplayMachine(rec.directory):          # the first replay holds the snapshot drive
        res = invoke_cli(["gdb", "--replay", str(rec.directory), "--batch"])
    assert res.returncode == C.EXIT_SETUP_ERROR, res.stderr
    first = res.stderr.splitlines()[0]
    assert first.startswith("ringlab-gdb: error: QEMU exited before opening its gdbstub"), first
    assert 'Failed to get "write" lock' in first, res.stderr
    assert "log tail:" in res.stderr and "Is another process using the image" in res.stderr


def test_a_build_that_waits_for_another_says_so(tmp_path):
    lock = tmp_path / ".build.lock"
    said, waits, done = [], threading.Event(), threading.Event()

    def waiting(holder: str) -> None:
        said.append(holder)
        waits.set()

    def second():
        with build._exclusive(lock, waiting=waiting):
            done.set()

    with build._exclusive(lock):
        t = threading.Thread(target=second)
        t.start()
        assert waits.wait(30), "the second build never said it waits"
        assert said == [str(os.getpid())] and not done.is_set()     # it names the holder
    t.join(30)
    assert done.is_set()


def test_the_waiting_line(capsys):
    build._say_waiting("4242")
    assert capsys.readouterr().err == (f"ringlab: waiting for another build of this checkout "
                                       f"to finish ({build.LOCK_FILE} is held by pid 4242)...\n")
