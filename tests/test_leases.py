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


def test_lease_break_time_as_on_linux(images, tmp_path):
    """`leases timeout`: a holder that never answers; the writer waits Linux's default
    lease-break-time, 45 s (a line every 10 s keeps each harness step under its bound), then
    the lease is gone with its O_ASYNC and F_SETSIG, on both systems. About 100 s in all."""
    keys = [("", rf"after {s} s") for s in (10, 20, 30, 40)] + [("", r"F_GETSIG")]
    assert_same_as_linux(Case("leases", args=("timeout",), keys=keys), images, tmp_path)
