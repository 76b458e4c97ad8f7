"""statfs/fstatfs (tmpfs's and pipefs's answers), fsync/fdatasync/syncfs/sync (nothing to write
back in a memory file system; EINVAL where Linux has no fsync) and sethostname's errors, as on
the host's Linux, for root and for user 1000 (userland/fsinfo); sethostname's success and
uname's nodename in ringlab alone (on the host it would rename the machine)."""
import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_statfs_and_fsync_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("fsinfo", user=user), images, tmp_path)


def test_sethostname_changes_unames_nodename(images):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("fsinfo"), append="init.args=set"),
                  timeout_s=60)
    assert not run.of(Panic) and run.outcome.machine_ok, run.report()
    lines = [l for l in run.console.splitlines() if not l.startswith("ringlab:")]
    text = "\n".join(l.rstrip("\r") for l in lines)
    assert "sethostname lab-1: 0\nnodename: lab-1\nsethostname 64 bytes: 0\nnodename length: 64" in text, \
        run.report()
