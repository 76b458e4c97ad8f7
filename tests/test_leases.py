"""Leases as Linux's tmpfs (kernel/lease.c): userland/leases runs the same on the host and in
ringlab, as root and as user 1000: F_SETLEASE/F_GETLEASE, EAGAIN for conflicting opens, EACCES
for another owner's file, EINVAL for pipes, directories and devices; a conflicting open or
truncate breaks the lease (POLL_MSG to the holder, EWOULDBLOCK with O_NONBLOCK, the opener
waits until the holder downgrades, gives up, closes or exits, or a signal interrupts it)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_leases_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("leases", user=user), images, tmp_path)
