"""Symbolic links as Linux's (kernel/fs.c walk, syspath.c): userland/symlinks runs the same on
the host and in ringlab, as root and as user 1000 (symlink/symlinkat, readlink, lstat, following
on the way and at the end, O_NOFOLLOW, ELOOP past 40 links, dangling links O_CREAT fills, hard
links to links, AT_SYMLINK_NOFOLLOW/FOLLOW, DT_LNK)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_symbolic_links_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("symlinks", user=user), images, tmp_path)
