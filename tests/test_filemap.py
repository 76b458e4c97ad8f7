"""mmap of regular files as Linux's (kernel/filemap.c): userland/filemap runs the same on the
host and in ringlab, as root and as user 1000: MAP_SHARED pages shared by forked children,
other processes' mappings, read(2) and write(2); MAP_PRIVATE copies; SIGBUS past the end of
the file; EACCES/ENODEV/EOVERFLOW; msync."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_file_mappings_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("filemap", user=user), images, tmp_path)
