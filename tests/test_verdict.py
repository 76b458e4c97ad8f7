"""Unit tests for the verdict: events and QEMU's exit status together (no QEMU)."""
import pytest

from ringlab.core import constants as C
from ringlab.observe.events import parse_console
from ringlab.observe.verdict import Outcome, expected_rc, judge

pytestmark = pytest.mark.unit

EXIT0 = "ringlab: exit pid=1 status=0\nringlab: halt status=0\n"
KILL11 = ("ringlab: fault pid=1 vector=13 name=#GP error=0x0 cpl=3 rip=0x401000\n"
          "ringlab: kill pid=1 signal=11 name=SIGSEGV\nringlab: halt status=139\n")
PANIC = "ringlab: panic reason=page-fault vector=14\nringlab: panic-regs rax=0x0\n"
TRIPLE_LOG = "CPU Reset (CPU 0)\ncheck_exception old: 0x8 new 0xd\nTriple fault\n"

NOMEM = ("ringlab: no-memory need_kib=33024 mem_kib=32640 modules_kib=31744\n"
         "ringlab: halt status=249\n")

# (name, console, rc, kwargs, outcome, status, exit_status)
CASES = [
    ("modules leave too little memory", NOMEM, expected_rc(249), {}, Outcome.NO_MEMORY, None,
     C.EXIT_NO_MEMORY),
    ("no-memory but rc contradicts", NOMEM, 1, {}, Outcome.QEMU_FAILURE, None,
     C.EXIT_QEMU_FAILURE),
    ("exit 0", EXIT0, 1, {}, Outcome.EXITED, 0, 0),
    ("exit 42", "ringlab: exit pid=1 status=42\nringlab: halt status=42\n", 85, {},
     Outcome.EXITED, 42, 42),
    ("killed", KILL11, expected_rc(139), {}, Outcome.KILLED, 139, 139),
    ("halt but rc contradicts", EXIT0, 3, {}, Outcome.QEMU_FAILURE, None, C.EXIT_QEMU_FAILURE),
    ("halt but rc 0", EXIT0, 0, {}, Outcome.QEMU_FAILURE, None, C.EXIT_QEMU_FAILURE),
    ("panic", PANIC, 255, {}, Outcome.PANIC, None, C.EXIT_PANIC),
    ("triple: rc 0 no halt", "ringlab: boot cmdline=\"k\"\n", 0, {}, Outcome.TRIPLE_FAULT, None,
     C.EXIT_TRIPLE_FAULT),
    ("triple: from the log", "", 0, {"reset_log": TRIPLE_LOG}, Outcome.TRIPLE_FAULT, None,
     C.EXIT_TRIPLE_FAULT),
    ("triple in log beats a halt line", EXIT0, 1, {"reset_log": TRIPLE_LOG},
     Outcome.TRIPLE_FAULT, None, C.EXIT_TRIPLE_FAULT),
    ("timeout", "ringlab: boot cmdline=\"k\"\n", None, {"timed_out": True, "timeout_s": 3},
     Outcome.TIMEOUT, None, C.EXIT_TIMEOUT),
    ("halt printed, QEMU hung", EXIT0, None, {"timed_out": True}, Outcome.TIMEOUT, None,
     C.EXIT_TIMEOUT),
    ("qemu start error", "", 1, {"stderr": "qemu-system-x86_64: -bogus: invalid option\n"},
     Outcome.QEMU_FAILURE, None, C.EXIT_QEMU_FAILURE),
    ("qemu killed", "", None, {"qemu_signal": 9}, Outcome.QEMU_FAILURE, None,
     C.EXIT_QEMU_FAILURE),
    ("qemu stopped by a signal exits 0: not a triple fault", "ringlab: boot cmdline=\"k\"\n", 0,
     {"stderr": "qemu-system-x86_64: terminating on signal 2\n"}, Outcome.QEMU_FAILURE, None,
     C.EXIT_QEMU_FAILURE),
]


@pytest.mark.parametrize("name,console,rc,kw,outcome,status,exit_status", CASES,
                         ids=[c[0] for c in CASES])
def test_judge(name, console, rc, kw, outcome, status, exit_status):
    v = judge(parse_console(console).events, rc, **kw)
    assert v.outcome is outcome, v.detail
    assert v.status == status
    assert v.exit_status == exit_status
    assert v.detail and "\n" not in v.detail


def test_only_exit_and_kill_are_machine_success():
    assert {o for o in Outcome if o.machine_ok} == {Outcome.EXITED, Outcome.KILLED}


def test_killed_names_signal():
    v = judge(parse_console(KILL11).events, expected_rc(139))
    assert v.signal == 11 and "SIGSEGV" in v.detail


def test_start_error_detail_quotes_stderr():
    v = judge([], 1, stderr="qemu-system-x86_64: -bogus: invalid option\n")
    assert "invalid option" in v.detail


@pytest.mark.parametrize("status,rc", [(0, 1), (13, 27), (14, 29), (42, 85), (139, 23), (255, 255)])
def test_expected_rc(status, rc):
    assert expected_rc(status) == rc


def test_report_says_how_to_reproduce_and_step_in(tmp_path):
    from ringlab import lab
    from ringlab.machine.qemu import QemuConfig
    from tests.test_elfimage import make_elf64
    prog, extra = make_elf64(tmp_path / "prog"), tmp_path / "data.txt"
    extra.write_text("x")
    cfg = QemuConfig(init=prog, files=[extra], append="trace=syscall", cpu="qemu64")
    run = lab.Run(config=cfg, command=["qemu-system-x86_64"],
                  verdict=judge([], 0), events=[], user_lines=[], console="", raw_console="",
                  rc=0, qemu_signal=None, log="", stderr="", duration_s=0.1)
    args = f"--init {prog} --file {extra} --append trace=syscall --cpu qemu64"
    env = f"{C.SANITIZE_ENV}=1 " if C.SANITIZE else ""      # the sanitizer kernel: boot it again
    here = f"cd {C.REPO_ROOT} && {env}.venv/bin/invoke"
    assert f"reproduce: {here} boot {args}\n" in run.report()
    assert f"step into it: {here} debug {args} --at-fault\n" in run.report()
