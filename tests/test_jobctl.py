"""Process groups, sessions and job control (kernel/jobctl.c) as Linux's.

userland/jobctl starts as a session leader on its terminal on both systems (ringlab: pid 1 on
the console; the host: a pexpect child on a pty); a child takes a session and the terminal of
its own, then: setsid/setpgid/getpgid/getsid and their errors, kill(0) and kill(-pgid)
reaching only the group, waitpid(0) and waitpid(-pgid), setpgid of a child that exec'd
(EACCES), tcsetpgrp/read/write (with TOSTOP) from a background group (SIGTTOU/SIGTTIN stops,
EIO when ignored), TIOCSCTTY with and without force, /dev/tty, and an orphaned group with a
stopped member getting SIGHUP and SIGCONT, where SIGTSTP then does not stop. Both systems
must print the same lines and end the same way.
"""
from pathlib import Path

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("cpu", [C.DEFAULT_CPU])
def test_groups_sessions_and_terminal_jobs_as_on_linux(images, tmp_path, cpu):
    assert_same_as_linux(Case("jobctl", cpu=cpu), images, tmp_path)


SETUP = "mkdir -p /bin && /busybox --install /bin\nsetsid -c sh -i\necho session ended $?\n"
STEP_S = 30.0


def test_busybox_job_control_background_pipeline_ctrl_z_and_fg(images, tmp_path):
    """Debian's busybox sh as an interactive shell in a session of its own (`setsid -c sh -i`,
    as getty starts a login shell): a pipeline in the background, Ctrl-Z stopping the
    foreground job (SIGTSTP to its group, not to the shell), `fg` continuing it in the
    foreground (SIGCONT, told to the shell as CLD_CONTINUED), Ctrl-C ending it. Each step waits
    for its evidence: the shell's own words or the kernel's event lines."""
    busybox = Path("/bin/busybox")
    if not busybox.is_file():
        pytest.fail("/bin/busybox missing: install the Debian package busybox-static (.ci/setup)")
    setup = tmp_path / "jobs.sh"
    setup.write_text(SETUP)
    cfg = QemuConfig(kernel=images.kernel, init=busybox, files=[setup],
                     append="init.args=sh,/jobs.sh trace=signal")   # trace=signal: fg's SIGCHLD
    with lab.Session(cfg) as s:
        c = s.console
        c.expect(r"/ # ", STEP_S)
        c.sendline("echo piped | tr a-z A-Z &")
        c.expect(r"/ # ", STEP_S)
        c.sendline("wait; echo wai''ted")
        c.expect(r"waited\r*\n", STEP_S)
        c.sendline("sh -c 'echo sta''rted; exec sleep 600'")
        c.expect(r"started\r*\n", STEP_S)          # the job runs, in the foreground group
        c.send("\x1a")                               # Ctrl-Z
        job = int(c.expect(r"ringlab: stop pid=(\d+) signal=20 name=SIGTSTP", STEP_S).match.group(1))
        c.expect(r"\+\s+Stopped\s+sh -c", STEP_S)
        c.expect(r"/ # ", STEP_S)
        c.sendline("jobs")
        c.expect(r"\[\d\]\+\s+Stopped\s+sh -c", STEP_S)
        c.sendline("fg")
        c.expect(r"name=SIGCHLD handler=0x[0-9a-f]+ code=6", STEP_S)   # CLD_CONTINUED
        c.send("\x03")                               # Ctrl-C: to the job's group only
        c.expect(rf"ringlab: kill pid={job} ppid=\d+ signal=2 name=SIGINT", STEP_S)
        c.expect(r"/ # ", STEP_S)
        c.sendline("exit 3")
        c.expect(r"session ended 3", STEP_S)
        run = s.finish(STEP_S)
    assert not run.of(Panic) and run.outcome.machine_ok, run.report()
    assert run.status == 0, run.report()
    assert "PIPED" in run.console, run.report()       # the background pipeline's output
    # the shell itself was never stopped
    shell_stops = [l for l in run.console.splitlines() if "ringlab: stop" in l and f"pid={job} " not in l]
    assert not shell_stops, run.report()
