"""Ring 3: every row of the fault catalogue (harness/ringlab/catalogue/faults.py), proven four ways.

Two boots do the work (module fixtures): ``f_all`` as pid 1 forks and execs every catalogue
program in ONE boot, once on ``-cpu qemu64`` and once on ``-cpu max`` (SMEP, SMAP, UMIP on),
with QEMU's ``-d int`` log and gdb breaking at every exception stub. Each row's test then
checks that row's fault in the kernel's event, QEMU's log, the program's own signal handler
(its signal frame, userland/fault_witness.h) and the CPU-pushed frame gdb read.
Unit tests at the end need no QEMU.
"""
import dataclasses
import re
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from ringlab import lab
from ringlab.catalogue import faults, runner
from ringlab.core import constants as C
from ringlab.lab.shell import Shell
from ringlab.observe import decode, events, qemulog, witness
from ringlab.observe.events import Panic
from ringlab.observe.verdict import Outcome, expected_rc
from ringlab.observe.witness import Evidence, Sighting, expect_fault

DATA = Path(__file__).parent / "data" / "qemulog"
USERLAND = C.REPO_ROOT / "userland"




@pytest.fixture(scope="module")
def qemu64(images):
    """Every catalogue row for -cpu qemu64 in one boot, with all four witnesses."""
    return runner.boot_catalogue("qemu64", gdb=True)


@pytest.fixture(scope="module")
def cpu_max(images):
    """Every catalogue row for -cpu max (SMEP, SMAP, UMIP) in one boot, four witnesses."""
    return runner.boot_catalogue("max", gdb=True)


def _row_param(row: faults.Row):
    marks = [pytest.mark.boot, pytest.mark.gdb]
    if row.kernel_issue:
        marks.append(pytest.mark.xfail(strict=True, reason="kernel: " + row.kernel_issue))
    return pytest.param(row, id=row.id, marks=marks)


@pytest.mark.parametrize("row", [_row_param(r) for r in faults.rows_for("qemu64")])
def test_row_qemu64(qemu64, row):
    runner.check_case(qemu64.case(row))


@pytest.mark.parametrize("row", [_row_param(r) for r in faults.rows_for("max")
                                 if r.cpu == "max"])
def test_row_max(cpu_max, row):
    runner.check_case(cpu_max.case(row))


@pytest.mark.boot
@pytest.mark.gdb
def test_every_row_also_holds_on_cpu_max(cpu_max):
    """SMEP/SMAP/UMIP change nothing for the rows that run on any CPU."""
    failures = []
    for row in faults.rows_for("max"):
        if row.cpu is None and not row.kernel_issue:
            try:
                runner.check_case(cpu_max.case(row))
            except AssertionError as err:
                failures.append(str(err))
    assert not failures, "\n\n".join(failures)


@pytest.mark.boot
@pytest.mark.gdb
@pytest.mark.parametrize("cpu", faults.CPUS)
def test_one_boot_survives_every_row(qemu64, cpu_max, cpu):
    """All rows in one boot: init outlives them all, the kernel never panics, and every
    exception QEMU delivered and gdb saw is one the kernel reported."""
    cr = {"qemu64": qemu64, "max": cpu_max}[cpu]
    run, ev = cr.run, cr.run.report()
    assert run.outcome is Outcome.EXITED and run.status == 0, ev
    assert run.rc == expected_rc(0), ev
    assert not run.of(Panic) and not run.parse_errors, ev
    n = len(faults.programs_for(cpu))
    assert cr.done_line == f"f_all: done ran={n} failed=0 pid=1 alive", ev
    assert sorted(cr.statuses) == faults.programs_for(cpu), ev
    assert all(f.cpl == 3 and f.pid != 1 for f in cr.kernel_faults), ev
    faulting = [r for r in faults.rows_for(cpu) if r.vector is not None]
    assert len(cr.kernel_faults) == len(faulting), ev
    assert not cr.qemu_alignment.unexplained, [s.source for s in cr.qemu_alignment.unexplained]
    assert None not in cr.qemu_alignment.matched
    if cr.gdb_alignment is not None:
        assert not cr.gdb_alignment.unexplained, [s.source for s in cr.gdb_alignment.unexplained]
        assert None not in cr.gdb_alignment.matched
    assert not cr.qlog.triple_fault and not cr.qlog.double_faults


@pytest.mark.boot
def test_shell_still_alive_after_every_row(images):
    """After every row in one boot, init (f_all) runs the shell, which still runs a faulting
    program and reports it; then the shell exits and init halts cleanly."""
    cfg = runner.catalogue_config("qemu64", faults.programs_for("qemu64") + ["sh"],
                                  append="init.args=sh")
    with lab.Session(cfg) as s:
        sh = Shell(s.console)
        r = sh.run("f_hlt")
        assert r.signal == 11 and "f_hlt: killed by SIGSEGV" in r.lines, r.describe()
        sh.exit(7)
        run = s.finish()
    ev = run.report()
    assert run.outcome is Outcome.EXITED and run.status == 0, ev
    assert "f_all: prog=sh pid=" in run.console and "status=7" in run.console, ev
    assert any(l.startswith("f_all: done ran=") and "failed=0" in l for l in run.user_lines), ev
    assert not run.of(Panic), ev


# One program per Linux status, booted as pid 1: the machine status is the shell status.
LINUX_STATUS = [("f_hlt", 139), ("f_ud2", 132), ("f_div0", 136), ("f_popf_tf", 133)]


@pytest.mark.boot
@pytest.mark.parametrize("program,status", LINUX_STATUS, ids=[p for p, _ in LINUX_STATUS])
def test_row_as_init_gives_linux_status(images, program, status):
    run = lab.run(lab.boot_config(images.program(program)))
    ev = run.report()
    assert run.outcome is Outcome.KILLED and run.status == status, ev
    assert run.rc == expected_rc(status), ev


def _host_status(path: Path) -> int:
    """Run a static x86-64 program on the host's Linux; its status in the shell convention."""
    res = subprocess.run([str(path)], stdin=subprocess.DEVNULL, capture_output=True, timeout=30)
    return 128 - res.returncode if res.returncode < 0 else res.returncode


# The same binaries on the host's Linux (real hardware checks alignment) and in ringlab.
# f_ac is the one row QEMU 7.2 TCG can't reproduce: it never raises #AC, so the ud2 after the
# misaligned load decides (132); Linux on hardware gives SIGBUS (135).
HOST_PARITY = LINUX_STATUS + [("f_ac", 135)] + [
    # the compatibility-mode rows: the same i386 binaries under the host's IA32 emulation
    ("f_m32gp-m32", 139), ("f_m32pf-m32", 139), ("f_m32ud2-m32", 132), ("f_m32nullret-m32", 139)]
TCG_DIFFERS = {"f_ac": 132}


@pytest.mark.boot
@pytest.mark.skipif(platform.machine() != "x86_64" or sys.platform != "linux",
                    reason="runs the x86-64 Linux binaries on the host")
@pytest.mark.parametrize("program,status", HOST_PARITY, ids=[p for p, _ in HOST_PARITY])
def test_same_binary_same_status_on_host_linux(images, program, status):
    assert _host_status(images.program(program)) == status
    run = lab.run(lab.boot_config(images.program(program)))
    assert run.outcome is Outcome.KILLED, run.report()
    assert run.status == TCG_DIFFERS.get(program, status), run.report()


@pytest.mark.boot
def test_invoke_boot_exit_status_is_linux_status(images, invoke_cli):
    res = invoke_cli(["boot", "--init", str(images.program("f_div0"))])
    assert res.returncode == 136, res.stdout + res.stderr
    assert "killed" in res.stderr and "SIGFPE" in res.stderr, res.stderr


@pytest.mark.boot
def test_invoke_faults_prints_every_row(images, invoke_cli):
    res = invoke_cli(["faults", "--cpu", "max", "--no-gdb"])
    assert res.returncode == 0, res.stdout + res.stderr
    for row in faults.rows_for("max"):
        assert f" {row.id} " in res.stdout, res.stdout
    assert "every catalogue row holds" in res.stderr
    # each fault named: function, decimal offset and source line
    assert re.search(r"^  ok    hlt +#GP\(0x0\) at main\+\d+ f_hlt\.c:\d+ +status=139$",
                     res.stdout, re.M), res.stdout


# ---------------------------------------------------------------------------------------------
# Unit tests: no QEMU

def test_catalogue_rows_are_consistent():
    ids = [r.id for r in faults.CATALOGUE]
    assert len(ids) == len(set(ids)), ids
    for r in faults.CATALOGUE:
        assert (USERLAND / r.source).is_file(), r
        assert r.cs in ("USER_CS", "USER32_CS"), r
        # a 32-bit row is an i386-only program (userland/Makefile's f_m32* rule), and back
        assert r.compat == r.program.endswith("-m32") == r.source.startswith("f_m32"), r
        if r.vector is None:
            assert r.signal is None and r.status == 0, r
            continue
        # The signal is Linux's for the vector, and the status the shell convention.
        assert r.signal == decode.vector_info(r.vector).signal, r
        assert r.status == r.signal.shell_status, r
        assert (r.error is None) == (not decode.has_error_code(r.vector)), r
        assert (r.cr2 is not None) == (r.vector == decode.VECTOR_PF), r
        assert r.cpu in (None, "qemu64", "max"), r
        if r.linux_status is not None:
            assert r.tcg_deviation, f"{r.id}: a status other than Linux's needs the reason"


def test_catalogue_covers_every_crossing():
    names = {r.name for r in faults.CATALOGUE}
    assert {"hlt", "cli", "lgdt", "lidt", "cr0_read", "cr3_write", "wrmsr", "invlpg", "in",
            "out", "int0e", "int3", "ud2", "div0", "popf_tf", "ac", "null", "kread", "kwrite",
            "wcode", "nxstack", "kjump", "noncanon", "stack", "sgdt", "sidt"} <= names
    statuses = {r.linux_status or r.status for r in faults.CATALOGUE}
    assert {139, 132, 136, 133, 135} <= statuses


def test_catalogue_has_the_compat_mode_rows():
    """Issue 19: a 32-bit #GP, #PF, #UD, an int $0x80 with a bad number, a far return to a
    null selector; all under CS 0x23 (images/kabi.json's USER32_CS)."""
    by = {r.name: r for r in faults.CATALOGUE if r.compat}
    assert set(by) == {"m32gp", "m32pf", "m32ud2", "m32badsys", "m32nullret"}
    assert all(r.selector() == 0x23 for r in by.values())
    assert all(r.selector() == 0x33 for r in faults.CATALOGUE if not r.compat)
    assert (by["m32gp"].vector, by["m32gp"].error) == (decode.VECTOR_GP, 0x10)
    ret = {r.cpu: r for r in faults.CATALOGUE if r.name == "m32nullret"}
    assert (ret["qemu64"].vector, ret["qemu64"].error) == (decode.VECTOR_GP, 0)
    # QEMU 7.2 reads the far-return frame as the supervisor: SMAP's #PF first (measured)
    assert (ret["max"].vector, ret["max"].error) == (decode.VECTOR_PF, 0x1)
    assert "SMAP" in ret["max"].tcg_deviation and ret["max"].status == 139
    assert ret["max"].handler_error == 0x5       # the frame tells ring 3 the user bit (Linux)
    assert by["m32pf"].cr2.value == 0xFFFFE000 and by["m32pf"].error == faults.pf_error()
    assert by["m32ud2"].signal == decode.Signal.SIGILL
    bad = by["m32badsys"]
    assert bad.vector is None and bad.syscall == faults.SyscallClaim(1000, -38, "i386", "unknown")
    # the boot that runs it asks the kernel for its syscall events
    cfg = runner.catalogue_config("qemu64")
    assert runner.TRACE_SYSCALLS in lab.trace_kinds(cfg.append)
    assert runner.TRACE_SYSCALLS not in lab.trace_kinds(runner.catalogue_config(
        "qemu64", ["f_hlt"]).append)
    # and every catalogue boot asks for the handler witness's delivery events
    assert runner.TRACE_SIGNALS in lab.trace_kinds(cfg.append)
    assert runner.TRACE_SIGNALS in lab.trace_kinds(runner.catalogue_config(
        "qemu64", ["f_hlt"]).append)


def test_syscall_claim_against_events():
    """The kernel's i386 syscall event (kernel/syscall32.c) proves the bad int $0x80 row;
    the x86-64 table's, another return value, or no event does not."""
    row = next(r for r in faults.CATALOGUE if r.name == "m32badsys")
    case = runner.Case(row, 5, 0, None, None, Evidence(None, collected=()), symbols=None)

    def problems(*lines):
        calls = tuple(e for e in map(events.parse_line, lines) if e is not None)
        return runner._syscall_problems(dataclasses.replace(case, syscalls=calls))

    ok = "ringlab: syscall pid=5 nr=1000 name=unknown abi=i386 args=0x0,0x0,0x0 ret=-38"
    assert problems(ok) == []
    assert problems(ok.replace(" abi=i386", ""))
    assert problems(ok.replace("ret=-38", "ret=0"))
    assert "trace=syscall" in problems()[0]


def test_catalogue_deviations_are_the_measured_ones():
    by = {r.id: r for r in faults.CATALOGUE}
    # int $0x0e: SDM (0x0e << 3) | 2 = 0x72; QEMU 7.2 TCG pushes 0x0e * 16 + 2 = 0xe2.
    assert by["int0e"].error == 0xE2 and "0x72" in by["int0e"].tcg_deviation
    # #AC never raised by TCG: the ud2 after the load decides; Linux on hardware gives 135.
    assert by["ac"].vector == decode.VECTOR_UD and by["ac"].linux_status == 135
    # The user stack row derives its numbers from the kernel's ABI file (images/kabi.json).
    lo, hi = faults.user_stack()
    assert (lo, hi) == (0x7FFFFFFDF000, 0x7FFFFFFFF000)
    assert by["stack"].cr2.value == lo - 8 and by["stack"].rsp.value == lo
    assert faults.kernel_text() == 0xFFFFFFFF80100000


def test_pf_error_bits_match_the_decoder():
    for kw, code in [({}, 0x4), ({"p": True}, 0x5), ({"p": True, "w": True}, 0x7),
                     ({"w": True}, 0x6), ({"p": True, "i": True}, 0x15),
                     ({"u": False}, 0x0), ({"p": True, "u": False, "i": True}, 0x11)]:
        e = faults.pf_error(**kw)
        assert e == code, kw
        d = decode.PageFaultError.decode(e)
        assert d.present == kw.get("p", False) and d.write == kw.get("w", False)
        assert d.user == kw.get("u", True) and d.fetch == kw.get("i", False)


def test_format_table_names_every_row_and_deviation():
    text = faults.format_table()
    for r in faults.CATALOGUE:
        assert r.program in text
    assert "TCG:" in text
    assert ("kernel:" in text) == any(r.kernel_issue for r in faults.CATALOGUE)


def _s(witness_name, vector=13, error=0, cpl=3, rip=0x401000, **kw):
    return Sighting(witness_name, vector, error, cpl, rip, **kw)


def test_align_matches_in_order_and_reports_leftovers():
    k = [_s("kernel", 13), _s("kernel", 14, 4, cr2=0), _s("kernel", 6, None)]
    other = [_s("qemu-log", 32, None), _s("qemu-log", 13), _s("qemu-log", 14, 4, cr2=0),
             _s("qemu-log", 13, 0, cpl=0), _s("qemu-log", 6, None)]
    a = witness.align(k, other)
    assert [m.vector for m in a.matched] == [13, 14, 6]
    assert [(u.vector, u.cpl) for u in a.unexplained] == [(32, 3), (13, 0)]
    a = witness.align(k, other[:2])
    assert a.matched[1] is None and a.matched[2] is None


def test_qemu_fault_records_drop_failed_int_attempts():
    """The measured log (tests/data/qemulog): ``int $0x21`` through a DPL-0 gate logs
    ``v=21 i=1`` then ``v=0d e=0212``; the attempt is dropped, the #GP kept."""
    log = qemulog.parse_file(DATA / "catalogue_long_mode.log")
    recs = witness.qemu_fault_records(log.interrupts)
    assert all(r.vector < 32 and not r.hardware for r in recs)
    gp212 = [r for r in recs if r.vector == 13 and r.error == 0x212]
    assert len(gp212) == 1 and gp212[0].cpl == 3
    assert not [r for r in recs if r.vector == 0x21]
    assert [r for r in recs if r.vector == 3 and r.software]   # int3 is a real #BP


def test_expect_fault_passes_and_shows_witnesses_side_by_side_on_failure():
    ok = Evidence(_s("kernel", source="k"), _s("qemu-log", source="q"), _s("gdb", error=0),
                  collected=("kernel", "qemu-log", "gdb"), label="demo")
    expect_fault(ok, vector=13, error=0, cpl=3, rip=0x401000)
    bad = Evidence(_s("kernel"), _s("qemu-log", error=0x72), _s("gdb", rip=0x401001),
                   collected=("kernel", "qemu-log", "gdb"), label="demo")
    with pytest.raises(AssertionError) as exc:
        expect_fault(bad, vector=13, error=0, cpl=3, rip=0x401000)
    text = str(exc.value)
    assert "qemu-log: error = 0x72, expected 0x0" in text
    assert "gdb: rip = 0x401001, expected 0x401000" in text
    header = next(l for l in text.splitlines() if l.startswith("field"))
    assert header.split() == ["field", "expected", "kernel", "qemu-log", "gdb"]
    assert any(l.startswith("error") and "<-- differs" in l for l in text.splitlines())


def test_expect_fault_rules_and_log_rip():
    ev = Evidence(_s("kernel", vector=3, error=None, rip=0x401001),
                  _s("qemu-log", vector=3, error=None, rip=0x401000), label="int3")
    expect_fault(ev, vector=3, cpl=3, rip=0x401001, log_rip=0x401000)
    with pytest.raises(AssertionError):
        expect_fault(ev, vector=3, cpl=3, rip=0x401001)
    nx = Evidence(_s("kernel", 14, 0x15, rip=0x7FFFFFFFEE50, cr2=0x7FFFFFFFEE50), None,
                  collected=("kernel",))
    expect_fault(nx, vector=14, error=0x15, cpl=3,
                 rip=witness.in_range(0x7FFFFFFDF000, 0x7FFFFFFFF000, "the user stack"),
                 cr2=witness.same_as("rip"))


def test_witnesses_must_agree_on_the_interrupted_stack():
    ev = Evidence(_s("kernel", rsp=0x1000), _s("qemu-log", rsp=0x2000))
    assert any("disagree on rsp" in p for p in witness.check(ev, {}))


def test_gdb_frame_layout():
    """SDM Vol. 3A 6.14.2: [error,] rip, cs, rflags, rsp, ss at the stub's RSP."""
    gp = witness.GdbFrame(13, 0xFFFFFFFFC0004FD0, (0, 0x401000, 0x33, 0x202, 0x7FFE0, 0x2B), 0)
    s = gp.sighting()
    assert (s.vector, s.error, s.rip, s.cs, s.cpl, s.rsp, s.ss, s.cr2) == \
           (13, 0, 0x401000, 0x33, 3, 0x7FFE0, 0x2B, None)
    ud = witness.GdbFrame(6, 0, (0x401000, 0x33, 0x202, 0x7FFE0, 0x2B), 0x1234).sighting()
    assert ud.error is None and ud.rip == 0x401000 and ud.cr2 is None
    assert witness.frame_words(14) == 6 and witness.frame_words(3) == 5


def test_f_all_status_lines_parse():
    found, done = runner._statuses(["f_hlt: about to fault", "f_all: prog=f_hlt pid=3 status=139",
                                    "f_all: done ran=1 failed=0 pid=1 alive"])
    assert found == {"f_hlt": (3, 139)} and done.startswith("f_all: done")
