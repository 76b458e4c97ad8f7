"""File locks as Linux's fs/locks.c (kernel/locks.c): userland/locks runs the same on the host
and in ringlab, as root and as user 1000: POSIX record locks (merge, split, not inherited,
released by any close, F_SETLKW and EDEADLK), OFD locks, flock(2)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_file_locks_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("locks", user=user), images, tmp_path)


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_deadlock_among_many_processes_as_on_linux(images, tmp_path, user):
    """userland/lockchain: chains of 2 to 20 processes closing a cycle of F_SETLKW waits
    (EDEADLK up to Linux's MAX_DEADLK_ITERATIONS + 1 links, a plain wait past it), and a crowd
    of 50 (root) or 20 waiters with a cycle through one of them: each sleeping thread has its
    own record of whom it waits for, so no record is shared however many sleep."""
    assert_same_as_linux(Case("lockchain", user=user), images, tmp_path)
