"""Debian's busybox-static (a glibc static binary nobody here wrote)
runs as init.

The script tests/data/busybox_script.sh (pipes, redirections, a here-document, read, loops,
functions, subshells, command substitution and a dozen applets) runs under the very same
/bin/busybox on the host's Linux and in ringlab, both on a terminal, in an empty working
directory named ``w``; the transcripts and exit statuses must be equal. First
``/busybox --install /bin`` hard-links every applet name into /bin (as a busybox system is
installed), found through init's PATH; without it busybox re-executes /proc/self/exe
(tests/test_procfs.py).
"""
import sys
from pathlib import Path
from typing import List, Tuple

import pexpect
import pytest

from ringlab.core import constants as C
from ringlab import lab
from ringlab.observe.events import Panic, parse_console
from ringlab.machine.qemu import QemuConfig
from tests.parity import BUSYBOX, busybox_script_on_linux

pytestmark = pytest.mark.boot

SCRIPT = Path(__file__).parent / "data" / "busybox_script.sh"
SETUP = "mkdir -p /bin /tmp/w && /busybox --install /bin && cd /tmp/w && exec sh /{script}\n"
TIMEOUT_S = 120.0
STEP_TIMEOUT_S = 30.0


@pytest.fixture(scope="module")
def busybox():
    if not BUSYBOX.is_file():
        pytest.fail(f"{BUSYBOX} missing: install the Debian package busybox-static (.ci/setup)")
    return BUSYBOX


def on_linux(workdir: Path) -> Tuple[List[str], int]:
    (workdir / "w").mkdir()
    return busybox_script_on_linux(SCRIPT, workdir / "w", TIMEOUT_S)


def on_ringlab(images, workdir: Path) -> Tuple[List[str], int, lab.Run]:
    setup = workdir / "setup.sh"
    setup.write_text(SETUP.format(script=SCRIPT.name))
    cfg = QemuConfig(kernel=images.kernel, init=BUSYBOX, files=[setup, SCRIPT],
                     append="init.args=sh,/setup.sh")
    run = lab.run(cfg, timeout_s=TIMEOUT_S)
    assert not run.of(Panic) and run.outcome.machine_ok, run.report()
    return parse_console(run.console).user_lines, run.status, run


def test_a_busybox_script_gives_the_hosts_output_and_status(images, busybox, tmp_path):
    linux_lines, linux_status = on_linux(tmp_path)
    ring_lines, ring_status, run = on_ringlab(images, tmp_path)
    assert ring_lines == linux_lines, (
        f"transcripts differ\nLinux:   {linux_lines}\nringlab: {ring_lines}\n{run.report()}")
    assert (ring_status, linux_status) == (7, 7)


def test_invoke_boot_busybox_sh_is_an_interactive_shell(images, busybox):
    """`invoke boot --init /bin/busybox --args sh` on a terminal, driven with pexpect."""
    child = pexpect.spawn(sys.executable, ["-m", "invoke", "boot", "--init", str(BUSYBOX),
                                           "--args", "sh"],
                          cwd=str(C.REPO_ROOT), encoding="utf-8", timeout=STEP_TIMEOUT_S)
    try:
        child.expect(r"/ # ")
        child.sendline("echo $((6 * 7)) | /busybox tr 4 X")
        child.expect(r"X2\r+\n")
        # busybox's line editor switches the console to non-canonical mode and echoes
        # itself: each typed line shows once, not twice
        assert child.before.count("echo $((6 * 7))") == 1, child.before
        child.expect(r"/ # ")
        child.sendline("/busybox mkdir /tmp/d && cd /tmp/d && /busybox pwd")
        child.expect(r"\n/tmp/d\r+\n")
        child.sendline("exit 5")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 5, child.before
