"""Record a failing run, replay it under gdb, step backwards into the fault (harness/ringlab/debug/replay.py).

Real QEMU (TCG, ``-icount`` record/replay) and real gdb. One recording of images/user/hlt
(``hlt`` at the symbol ``fault_insn`` in ring 3 -> #GP(0) -> SIGSEGV, status 139) is made
per module and only read afterwards; every test replays it in a machine of its own.

Selectors (kernel/include/gdt.h, Linux's layout): KERNEL_CS 0x10, USER_CS 0x33.
"""
from __future__ import annotations

import ast
import os
import re
import shutil
import signal

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core.errors import BadRecording, GdbCommandError
from ringlab.debug import replay
from ringlab.debug.mi import EXTENSION
from ringlab.machine import symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe import qemulog
from ringlab.observe.events import Fault
from ringlab.observe.verdict import Outcome

pytestmark = [pytest.mark.boot, pytest.mark.gdb]

KERNEL_CS, USER_CS = 0x10, 0x33
SYSCALL_INSN = b"\x0f\x05"      # SDM Vol. 2B "SYSCALL": 0F 05; RCX = the next instruction
REPLAY_TIMEOUT_S = 20.0
REVERSE_TO_TIMEOUT_S = 180.0   # a bound over reverse-to's own 120 s (its passes may stall)


@pytest.fixture(scope="module")
def recording(images, tmp_path_factory):
    """(Recording, recorded Run) of images/user/hlt."""
    d = tmp_path_factory.mktemp("rec") / "hlt"
    return replay.record(QemuConfig(init=images.program("hlt")), d, timeout_s=REPLAY_TIMEOUT_S)


def fault_insn() -> int:
    return symbols.symbol_address(lab.program("hlt"), "fault_insn")


def test_record_keeps_the_run(recording):
    rec, run = recording
    assert run.outcome is Outcome.KILLED and run.status == 139, run.report()
    fault = run.first(Fault)
    assert (fault.get("vector"), fault.get("error"), fault.get("cpl"), fault.get("rip")) == \
        (13, 0, 3, fault_insn())
    for name in (replay.RR_LOG, replay.RR_DISK, replay.MANIFEST, replay.KERNEL_FILE,
                 f"{replay.MODULES_DIR}/hlt"):
        assert (rec.directory / name).is_file(), name
    assert (rec.directory / replay.CONSOLE_FILE).read_text() == run.console
    assert (rec.directory / replay.EVENTS_FILE).read_text().splitlines() == \
        [e.line for e in run.events]
    assert (rec.outcome, rec.status) == ("killed", 139)


def test_replay_gives_the_recorded_console_and_fault(recording):
    rec, run = recording
    again = replay.replay(rec.directory, timeout_s=REPLAY_TIMEOUT_S)
    assert again.console == run.console, again.report()
    assert again.first(Fault).line == run.first(Fault).line
    assert (again.outcome, again.status, again.rc) == (run.outcome, run.status, run.rc)


def continue_to_the_gp(g):
    """Run the replay to the #GP stub's first instruction; check the frame came from the hlt."""
    gp = g.break_at("vector13")
    stop = g.cont(timeout_s=REPLAY_TIMEOUT_S, what="vector13")
    r = g.registers()
    assert stop.breakpoint == gp.number and r["rip"] == g.address_of("vector13")
    assert g.cpl() == 0 and r["cs"] == KERNEL_CS
    error, rip, cs = g.read_u64s(r["rsp"], 3)          # the frame the CPU pushed
    assert (error, rip, cs) == (0, fault_insn(), USER_CS)
    return gp


def test_reverse_stepi_from_the_gp_stub_lands_on_the_hlt_in_ring3(recording):
    rec, run = recording
    with replay.ReplayMachine(rec.directory) as rm:
        g = rm.gdb
        continue_to_the_gp(g)
        # One instruction back: before the #GP was delivered, in ring 3 at the hlt.
        g.stepi(reverse=True, timeout_s=REPLAY_TIMEOUT_S)
        r = g.registers()
        assert g.cpl() == 3 and r["cs"] == USER_CS
        assert r["rip"] == fault_insn() == g.address_of("fault_insn")
        assert g.instruction_at(r["rip"]) == "hlt"
        # ...and forward again: the same #GP, delivered again.
        g.stepi(timeout_s=REPLAY_TIMEOUT_S)
        assert g.registers(["rip"])["rip"] == g.address_of("vector13") and g.cpl() == 0
        end = rm.finish(REPLAY_TIMEOUT_S)
    assert (end.outcome, end.status) == (run.outcome, run.status)
    assert end.first(Fault).line == run.first(Fault).line


# QEMU 7.2's reverse-continue sometimes never stops when the host is loaded: its first
# replay pass ends and the second (to the breakpoint it found) never starts; gdb's interrupt
# gets no answer either. Measured: 0 of 70 hung on an idle host, 5-10 of 40 with three busy
# loops on the two cores, 2 of 14 next to `invoke test` (reverse-stepi: 0 of 80 under the
# same load). A test that fails that often is not added to the suite; run it by hand.
# Since replays run without kvmvapic (replay.rr_args says why), 20 of 20 passed with two busy
# loops: too few tries to call it fixed.
REVERSE_CONTINUE_ENV = "RINGLAB_TEST_REVERSE_CONTINUE"


@pytest.mark.skipif(not os.environ.get(REVERSE_CONTINUE_ENV),
                    reason=f"QEMU 7.2 reverse-continue hangs now and then on a loaded host; "
                           f"set {REVERSE_CONTINUE_ENV}=1 to run it")
def test_reverse_continue_reaches_the_previous_syscall(recording):
    rec, run = recording
    with replay.ReplayMachine(rec.directory) as rm:
        g = rm.gdb
        gp = continue_to_the_gp(g)
        g.stepi(reverse=True, timeout_s=REPLAY_TIMEOUT_S)
        assert g.cpl() == 3
        # Back to the system call before it (printf's write): ring 0 at the syscall entry,
        # RCX = the user's return address, right behind a `syscall`.
        g.break_at("syscall_entry")
        stop = g.cont(timeout_s=REPLAY_TIMEOUT_S, what="syscall_entry", reverse=True)
        r = g.registers()
        assert stop.reason == "breakpoint-hit" and r["rip"] == g.address_of("syscall_entry")
        assert g.cpl() == 0 and r["cs"] == KERNEL_CS
        assert r["rcx"] < C.USER_HALF_END
        assert g.read_memory(r["rcx"] - 2, 2) == SYSCALL_INSN
        # ...and it is the last one: forward from there, the next stop is the #GP again.
        stop = g.cont(timeout_s=REPLAY_TIMEOUT_S, what="vector13")
        assert stop.breakpoint == gp.number

        end = rm.finish(REPLAY_TIMEOUT_S)
    assert (end.outcome, end.status) == (run.outcome, run.status)
    assert end.first(Fault).line == run.first(Fault).line


@pytest.mark.unit
def test_the_extension_loads_the_snapshot_the_recording_saves():
    """ringreverse.py runs inside gdb (no harness import): its SNAPSHOT is read from source."""
    tree = ast.parse(EXTENSION.with_name("ringreverse.py").read_text())
    names = {t.id: n.value.value for n in tree.body if isinstance(n, ast.Assign)
             for t in n.targets if isinstance(t, ast.Name) and isinstance(n.value, ast.Constant)}
    assert names["SNAPSHOT"] == replay.RR_SNAPSHOT
    assert f"rrsnapshot={replay.RR_SNAPSHOT}" in " ".join(replay.rr_args(C.REPO_ROOT, "replay"))


def test_reverse_to_over_mi_shows_no_internal_breakpoint_number(recording):
    """reverse-to's breakpoint is an internal one (negative number): over MI, where gdb
    prints the stops of a CLI command, none says `Breakpoint -1`; reverse-to says where it
    stopped in its own words."""
    rec, run = recording
    with replay.ReplayMachine(rec.directory) as rm:
        g = rm.gdb
        continue_to_the_gp(g)
        out = g.console("reverse-to *syscall_entry 120", timeout_s=REVERSE_TO_TIMEOUT_S)
    assert re.search(r"^reverse-to: at \*syscall_entry, instruction \d+ \(\d+ instructions "
                     r"back\)$", out, re.M), out
    assert not re.search(r"Breakpoint -\d+", out), out


def test_a_stalled_reverse_to_without_the_harness_channel_ends_with_one_message(recording):
    """Plain gdb on a replay (no ``invoke gdb --replay`` channel, so no fresh QEMU to go
    to): QEMU frozen (SIGSTOP) stops answering; the watchdog closes gdb's connection and the
    command ends with one message instead of waiting forever."""
    rec, run = recording
    with replay.ReplayMachine(rec.directory) as rm:
        g = rm.gdb
        continue_to_the_gp(g)
        g.console("ring")                      # gdb idle: nothing in flight when QEMU stops
        os.kill(rm.machine.pid, signal.SIGSTOP)
        with pytest.raises(GdbCommandError) as err:
            g.console("reverse-to *syscall_entry 6", timeout_s=REPLAY_TIMEOUT_S)
    assert "reverse-to: the replay stalled in `monitor info replay`; gdb closed its " \
        "connection (never used again): start the replay again" in err.value.gdb_message


def test_timer_preemption_replays_identically(images, tmp_path):
    """icount does not break the timer: preempt's spinning child is preempted from ring 3,
    and the replay takes the same timer interrupts at the same instructions."""
    rec, run = replay.record(QemuConfig(init=images.program("preempt"), int_log=True),
                             tmp_path / "preempt", timeout_s=REPLAY_TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert "preempt: parent got the CPU back" in run.user_lines
    again = lab.run(rec.replay_config(gdb=False).replace(int_log=True),
                    timeout_s=REPLAY_TIMEOUT_S)
    assert again.console == run.console, again.report()

    def ints(r):
        return [(e.vector, e.cpl, e.rip) for e in qemulog.parse(r.log).interrupts]

    assert ints(again) == ints(run)
    assert any(v == 0x20 and cpl == 3 for v, cpl, _ in ints(run)), ints(run)


def test_a_moved_or_changed_recording_is_refused(recording, tmp_path):
    rec, _ = recording
    moved = tmp_path / "moved"
    shutil.copytree(rec.directory, moved)
    with pytest.raises(BadRecording, match="recorded in"):
        replay.Recording.load(moved)
    with pytest.raises(BadRecording, match="no recording here"):
        replay.Recording.load(tmp_path)
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "x").write_text("x")
    with pytest.raises(replay.BadConfig, match="not a recording"):
        replay.record(QemuConfig(init=lab.program("hlt")), tmp_path / "junk")
    # a recording again, with init changed afterwards
    fresh, _ = replay.record(QemuConfig(init=lab.program("hlt")), tmp_path / "fresh",
                             timeout_s=REPLAY_TIMEOUT_S)
    with open(fresh.init, "ab") as fh:
        fh.write(b"\0")
    with pytest.raises(BadRecording, match="changed since it was recorded"):
        replay.Recording.load(fresh.directory)


def test_invoke_boot_record_then_invoke_gdb_replay(images, invoke_cli, tmp_path):
    d = tmp_path / "rec"
    res = invoke_cli(["boot", "--record", str(d), "--init", str(images.program("hlt"))])
    assert res.returncode == 139, res.stderr
    assert f"invoke gdb --replay {d}" in res.stderr
    assert "ringlab: fault pid=1 vector=13" in res.stdout

    res = invoke_cli(["gdb", "--replay", str(d), "--batch", "--ex", "break *vector13",
                      "--ex", "continue", "--ex", "ring", "--ex", "reverse-stepi",
                      "--ex", "ring"], timeout_s=60)
    assert res.returncode == 0, res.stdout + res.stderr
    rings = [l for l in res.stdout.splitlines() if l.startswith("ring: ")]
    assert len(rings) == 2, res.stdout
    assert "cpl=0" in rings[0] and "half=kernel" in rings[0]
    assert "cpl=3" in rings[1] and f"rip={fault_insn():#x}" in rings[1]
    assert "reverse-stepi" in res.stderr
    assert (d / replay.REPLAY_CONSOLE_FILE).read_text().startswith("ringlab: boot ")

    res = invoke_cli(["boot", "--record", str(d), "--gdb"])
    assert res.returncode == C.EXIT_SETUP_ERROR and "cannot be combined" in res.stderr
