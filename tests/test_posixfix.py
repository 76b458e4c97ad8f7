"""Issue 22's list, the items no other test file compares with the host: setrlimit lowering and
raising (and RLIMIT_FSIZE's SIGXFSZ/EFBIG), /proc/meminfo as programs parse it, and thread
cancellation at cancellation points with musl and with glibc (userland/posixsurf.c), as root
and as user 1000. docs/testing.md maps every item of the issue to its test."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user-1000"])
@pytest.mark.parametrize("program", ["posixsurf", "posixsurf-glibc"])
def test_rlimits_meminfo_and_cancellation_as_on_linux(images, tmp_path, program, user):
    assert_same_as_linux(Case(program, user=user), images, tmp_path)
