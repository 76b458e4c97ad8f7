"""ETXTBSY as Linux gives it (kernel/lease.c's deny-write count, held by each address space
running a file): userland/etxtbsy runs the same on the host and in ringlab, as root and as
user 1000: a running program's file (its own, a copy written at run time, the copy run by a
fork) cannot be opened for writing or truncated, a file open for writing cannot be exec'd,
and the deny ends with the last process running the file or when it execs something else."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_etxtbsy_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("etxtbsy", user=user), images, tmp_path)
