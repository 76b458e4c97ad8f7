"""mremap of file mappings as Linux's (kernel/filemap.c filemap_grow, kernel/sysmem.c
mremap_grow): userland/mremapfile runs the same on the host and in ringlab, as root and as
user 1000: growth of MAP_SHARED and MAP_PRIVATE mappings in place and moved maps the file's
next pages, SIGBUS past the end of the file until the file grows over the page, shrinking and
moving keep the offsets, a SysV shm attachment grown past its segment is SIGBUS; hostile sizes
and addresses, old_size 0, MREMAP_FIXED over another file mapping, MREMAP_DONTUNMAP, a thread
truncating the file meanwhile. Every page comes back, round after round."""
import pytest

from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot

ROUNDS = 3


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_mremap_of_file_mappings_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("mremapfile", user=user), images, tmp_path)


def test_mremap_rounds_give_every_page_back(images, tmp_path):
    # Each round grows, moves, shrinks and duplicates file mappings (their past-the-end pages
    # included) and a shm attachment: a page or a file reference a record or a PTE_BUS page
    # kept would make the free pages fall round by round.
    assert_rounds_give_every_page_back("mremapfile", images, tmp_path, ROUNDS,
                                       timeout_s=240, args=["rounds"])
