"""O_ASYNC and SIGIO as Linux's fs/fcntl.c (kernel/fasync.c): userland/fasync runs the same on
the host and in ringlab, as root and as user 1000: F_SETFL O_ASYNC on pipes, FIFOs and the
terminal, F_SETOWN/F_GETOWN (a process, a group, a gone owner), F_SETOWN_EX with a thread,
F_SETSIG's si_code/si_band/si_fd, which pipe end hears what, sigio_perm between users, and the
hostile arguments (a pid that does not exist, INT_MIN, pid 1, signals out of range)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

KEYS = [("", r"type a line"), ("hi\n", r"tty async off")]


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_sigio_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("fasync", keys=KEYS, user=user), images, tmp_path)
