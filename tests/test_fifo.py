"""FIFOs and mknod as Linux's (kernel/pipe.c fifo_open, syspath.c mknod_at): userland/fifo runs
the same on the host and in ringlab, as root and as user 1000 (opens that wait for a partner
or not, data and EOF between processes, a signal ending a waiting open, mknod's types and
errors, a character device with /dev's number working as that device)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_fifos_and_mknod_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("fifo", user=user), images, tmp_path)
