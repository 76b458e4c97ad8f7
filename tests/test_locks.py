"""File locks as Linux's fs/locks.c (kernel/locks.c): userland/locks runs the same on the host
and in ringlab, as root and as user 1000: POSIX record locks (merge, split, not inherited,
released by any close, F_SETLKW and EDEADLK), OFD locks, flock(2)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_file_locks_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("locks", user=user), images, tmp_path)
