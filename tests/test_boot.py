"""On real QEMU: the kernel boots, enters ring 3, runs musl programs, judges faults.

Every test boots images/kernel.elf for real (never mocked); assertions print the run's
evidence (outcome, command line, console tail, QEMU log tail) when they fail.
"""
import re
import shlex
import subprocess

import pytest

from ringlab import lab
from ringlab.machine import elfimage, symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import EnterUser, Exit, Fault, Halt, Kill, Panic, Syscall
from ringlab.observe.qemulog import parse_int_log
from ringlab.observe.verdict import Outcome, expected_rc

pytestmark = pytest.mark.boot

USER_CS = 0x33   # README, The console contract: USER_CS = 0x30 | 3
USER_SS = 0x2B   # README, The console contract: USER_SS = 0x28 | 3
SIGSEGV = 11


def boot(images, name=None, **config) -> lab.Run:
    cfg = QemuConfig(kernel=images.kernel, **config)
    if name:
        cfg = cfg.replace(init=images.program(name))
    return lab.run(cfg)


def assert_clean_halt(run: lab.Run, outcome: Outcome, status: int) -> None:
    """The kernel halted with ``status`` and QEMU's rc agrees; no panic, no contract break."""
    ev = run.report()
    assert run.outcome is outcome, ev
    assert run.status == status, ev
    assert run.rc == expected_rc(status), ev
    assert not run.of(Panic), ev
    assert not run.parse_errors, ev
    assert run.of(Halt)[-1].status == status, ev


@pytest.mark.quick
def test_default_init_greets_from_ring3_and_exits_0(images):
    run = boot(images)
    assert_clean_halt(run, Outcome.EXITED, 0)
    assert run.events[0].kind == "boot", run.report()
    enter = run.first(EnterUser)
    assert enter.pid == 1 and enter.rpl == 3 and enter.cs == USER_CS and enter.ss == USER_SS
    assert enter.rip == elfimage.entry_point(images.program("init")), run.report()
    assert enter.rsp < 0x0000_8000_0000_0000, "user stack must be in the lower half"
    greeting = [l for l in run.user_lines if l.startswith("hello from ring 3")]
    assert greeting, run.report()
    m = re.fullmatch(r"hello from ring 3: cs=(0x[0-9a-f]+) cpl=(\d)", greeting[0])
    assert m and int(m.group(1), 16) == enter.cs and m.group(2) == "3", greeting
    assert "getpid() = 1" in run.user_lines
    exit_ = [e for e in run.of(Exit) if e.pid == 1]   # init's children exit before it
    assert [(e.pid, e.status) for e in exit_] == [(1, 0)], run.report()


def test_invoke_boot_default_init_exits_0(images, invoke_cli):
    res = invoke_cli(["boot"])
    assert res.returncode == 0, res.stdout + res.stderr
    assert "hello from ring 3: cs=0x33 cpl=3\n" in res.stdout
    assert "ringlab: halt status=0\n" in res.stdout
    assert "\r" not in res.stdout
    assert res.stderr.strip().startswith("ringlab-boot: exited: init exited (status 0)")


# Declarative: program -> machine status `invoke boot --init` must exit with.
EXIT_STATUS = [
    ("ret42", 42),
    ("hlt", 128 + SIGSEGV),
    ("demo", 7),
]


@pytest.mark.parametrize("name,status", EXIT_STATUS, ids=[n for n, _ in EXIT_STATUS])
def test_invoke_boot_init_exit_status(images, invoke_cli, name, status):
    res = invoke_cli(["boot", "--init", str(images.program(name))])
    assert res.returncode == status, res.stdout + res.stderr


def test_hlt_in_ring3_is_gp0_and_sigsegv_matching_qemu_log(images):
    run = boot(images, "hlt", int_log=True)
    assert_clean_halt(run, Outcome.KILLED, 139)
    hlt_rip = symbols.symbol_address(images.program("hlt"), "fault_insn")

    fault = run.first(Fault)
    assert (fault.pid, fault.vector, fault.name, fault.error, fault.cpl) == (1, 13, "#GP", 0, 3), \
        run.report()
    assert fault.rip == hlt_rip, f"fault rip {fault.rip:#x} != fault_insn {hlt_rip:#x}"
    assert fault.cs == USER_CS and fault.ss == USER_SS
    kill = run.first(Kill)
    assert (kill.pid, kill.signal, kill.name) == (1, SIGSEGV, "SIGSEGV")
    assert run.verdict.signal == SIGSEGV
    assert "hlt: executing hlt at CPL 3" in run.user_lines
    assert not any("still alive" in l for l in run.user_lines)

    # QEMU's own log is the independent witness: same vector, error code, CPL and RIP.
    records = parse_int_log(run.log)
    user_gp = [r for r in records if r.vector == 13 and r.cpl == 3 and not r.software]
    assert len(user_gp) == 1, f"expected one ring-3 #GP in QEMU's log, got {user_gp}\n" \
                              + run.report()
    q = user_gp[0]
    assert (q.vector, q.error, q.cpl, q.rip) == (fault.vector, fault.error, fault.cpl, fault.rip)
    assert q.cs == fault.cs and q.rsp == fault.rsp


def test_write_bad_pointers_return_efault(images):
    run = boot(images, "efault", append="trace=syscall")
    assert_clean_halt(run, Outcome.EXITED, 0)
    assert run.user_lines == ["efault: kernel=-14 wrap=-14 userwrap=-14"], run.report()
    writes = [s for s in run.of(Syscall) if s.nr == 1]
    assert [s.ret for s in writes] == [-14, -14, -14], run.report()


def test_ordinary_musl_program_printf_malloc_strings_argv(images):
    run = boot(images, "demo")
    assert_clean_halt(run, Outcome.EXITED, 7)
    assert run.user_lines == [
        "demo: argc=1",
        "demo: argv[0]=demo",
        "demo: sorted=fault,kernel,ring,syscall,user len=30",
        "demo: large=3072 KiB strlen=3145727 found at +2097157",
        "demo: snprintf=ringlab-42-2b",
        "demo: returning 7",
    ], run.report()


def test_trace_syscall_reports_each_call(images):
    run = boot(images, "ret42", append="trace=syscall")
    assert_clean_halt(run, Outcome.EXITED, 42)
    names = [s.name for s in run.of(Syscall)]
    assert names and names[-1] in ("exit_group", "exit"), run.report()
    assert all(s.pid == 1 for s in run.of(Syscall))
    assert run.first("boot").cmdline.endswith("trace=syscall")


def test_dry_run_command_boots_the_same_machine_by_hand(images, invoke_cli):
    res = invoke_cli(["boot", "--dry-run"])
    assert res.returncode == 0, res.stderr
    line = res.stdout
    assert line.endswith("\n") and line.count("\n") == 1, line
    argv = shlex.split(line)
    assert argv[0] == "qemu-system-x86_64"
    by_hand = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                             timeout=60)
    out = by_hand.stdout.replace("\r", "")
    assert by_hand.returncode == expected_rc(0), by_hand.stderr
    assert "hello from ring 3: cs=0x33 cpl=3\n" in out and "ringlab: halt status=0\n" in out
