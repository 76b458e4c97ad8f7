"""execve of files written at run time (kernel/execmap.c): userland/execwritten copies its own
executable, runs the copy, and tries files without an execute bit, empty and text files, with
the host's answers, as root and as user 1000."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_exec_of_a_written_file_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("execwritten", user=user), images, tmp_path)
