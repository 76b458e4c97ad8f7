"""Signals (issue 10): the same static musl programs on the host's Linux and in ringlab.

Each program prints what its handlers saw - si_signo, si_code, si_addr, REG_TRAPNO, REG_ERR,
REG_CR2, the masks, the results and errnos of the signal system calls - so one transcript
comparison (tests/test_linux_parity.py's runner: same argv, environment, terminal and
keystrokes) checks delivery, the frame, rt_sigreturn and the default actions at once. The
exit status is compared too (128 + N for a program a signal ended).
"""
import pytest

from harness.events import Panic, parse_console
from tests.test_linux_parity import Case, run_on_linux, run_on_ringlab

pytestmark = pytest.mark.boot

CASES = {
    "faults-caught-by-a-handler": Case("sig_faults"),
    "sigaction-kill-tkill-masks-sigchld-abort": Case("sig_basic"),
    # The first read is cut short by SIGALRM (EINTR); the second is restarted (SA_RESTART)
    # and returns the line typed once the eighth SIGALRM has been handled.
    "alarm-itimer-nanosleep-eintr-restart": Case(
        "sig_timers", keys=[("", r"SIGALRM \(14\) #8"), ("hello\n", r"read with SA_RESTART")]),
    "sigaltstack-overflow-caught-on-the-alternate-stack": Case("sig_altstack"),
    "stack-overflow-without-an-alternate-stack": Case("sig_altstack", args=["nostack"]),
    "single-step-a-loop-and-a-syscall-int3": Case("sig_step"),
    **{f"hostile-sigreturn-{mode}": Case("sig_hostile", args=[mode])
       for mode in ("flags", "cs", "ss", "rip", "rip-caught", "kernel-rip", "mxcsr", "badframe",
                    "forged")},
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_as_linux(images, tmp_path, name):
    case = CASES[name]
    (tmp_path / "linux").mkdir()
    (tmp_path / "ringlab").mkdir()
    linux_lines, linux_status, _ = run_on_linux(case, images, tmp_path / "linux")
    ring_lines, ring_status, run = run_on_ringlab(case, images, tmp_path / "ringlab")
    assert ring_lines == linux_lines, (
        f"transcripts differ\nLinux:   {linux_lines}\nringlab: {ring_lines}\n{run.report()}")
    assert ring_status == linux_status, f"status: Linux {linux_status}, ringlab {ring_status}"
