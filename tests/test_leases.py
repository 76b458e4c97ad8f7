"""Leases as Linux's tmpfs (kernel/lease.c): userland/leases runs the same on the host and in
ringlab, as root and as user 1000: F_SETLEASE/F_GETLEASE, EAGAIN for conflicting opens, EACCES
for another owner's file, EINVAL for pipes, directories and devices; a conflicting open or
truncate breaks the lease (POLL_MSG to the holder, EWOULDBLOCK with O_NONBLOCK, the opener
waits until the holder downgrades, gives up, closes or exits, or a signal interrupts it)."""
import pytest

from tests.parity import Case, assert_same_as_linux, run_on_ringlab

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_leases_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("leases", user=user), images, tmp_path)


def test_lease_break_time_as_on_linux(images, tmp_path):
    """`leases timeout`: a holder that never answers; the writer waits Linux's default
    lease-break-time, 45 s (a line every 10 s keeps each harness step under its bound), then
    the lease is gone with its O_ASYNC and F_SETSIG, on both systems. The two runs overlap
    (assert_same_as_linux): about 50 s in all, not 2 x 45 s.

    The host's 45 s cannot be shorter: the break time is one host-wide setting
    (/proc/sys/fs/lease-break-time; Linux fs/locks.c lease_break_time, no per-lease or
    per-namespace value) that the suite must not change. ringlab's shorter break, after a root
    write to its own setting, is test_lease_break_time_sysctl."""
    keys = [("", rf"after {s} s") for s in (10, 20, 30, 40)] + [("", r"F_GETSIG")]
    assert_same_as_linux(Case("leases", args=("timeout",), keys=keys), images, tmp_path)


SYSCTL_ROOT = [
    "at start: lease-break-time 45",
    'write "x": EINVAL', 'write "": EINVAL', 'write "1 2": EINVAL', 'write "99999999999": EINVAL',
    'write "-": EINVAL', 'write " 1": ok', "after: lease-break-time 1",
    "read lease: ok", "holder: sig=29 code=128 band=0 fd=-",
    "writer, once the break time passed: ok", "the holder's lease: getlease=F_UNLCK", 'write "45": ok',
]
SYSCTL_USER = ["at start: lease-break-time 45"] + [f'write "{t}": EACCES' for t in ("x", "", "1 2", "99999999999", "-", " 1")] + [
    "after: lease-break-time 45"]


@pytest.mark.parametrize("user, expected", [(None, SYSCTL_ROOT), ((1000, 1000), SYSCTL_USER)],
                         ids=["root", "user1000"])
def test_lease_break_time_sysctl(images, tmp_path, user, expected):
    """/proc/sys/fs/lease-break-time as Linux's proc_dointvec (ringlab only: on the host the
    write would change the machine's setting): root sets 1 s and a break nobody answers ends
    after it (the lease goes); bad input is EINVAL; user 1000 may not open it for writing."""
    lines, status, _ = run_on_ringlab(Case("leases", args=("sysctl",), user=user), images, tmp_path)
    assert (lines, status) == (expected, 0)
