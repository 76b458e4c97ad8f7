"""clone(CLONE_PARENT) as Linux's copy_process (kernel/sysproc.c, kernel/proc.c): userland/
clonepar gives the host's output in ringlab as root and as user 1000 (the child's parent is
the caller's parent, which reaps it; the caller gets ECHILD; CSIGNAL 0 still ends with
SIGCHLD), and init's CLONE_PARENT is EINVAL in both: the host's run is init of a new PID
namespace (`unshare --pid --fork`, root), which Linux refuses the same way."""
import shutil
import subprocess

import pytest

from tests.parity import Case, assert_same_as_linux, run_on_ringlab

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_clone_parent_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("clonepar", user=user), images, tmp_path)


def test_clone_parent_from_init_is_einval_as_on_linux(images, tmp_path):
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("no unshare(1) on the host (Debian package util-linux)")
    host = subprocess.run([unshare, "--pid", "--fork", images.program("clonepar"), "init"],
                          capture_output=True, text=True, timeout=60)
    assert host.stdout.splitlines() == ["clone(CLONE_PARENT) as pid 1: EINVAL"], host.stderr
    lines, status, _ = run_on_ringlab(Case("clonepar", args=("init",)), images, tmp_path)
    assert (lines, status) == (host.stdout.splitlines(), host.returncode)
