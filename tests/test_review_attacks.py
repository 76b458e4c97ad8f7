"""Hostile programs from the review of the kernel merged on 7 December (userland/revattack.c),
each an attack on an owner or a lifetime the review suspected, compared with the host's Linux
(the attacks print only what Linux defines) as root and as user 1000."""
import pytest

from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("attack", ["piexit", "shmkey", "lockclose", "execsleep", "txtmap"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_attack_as_on_linux(images, tmp_path, attack, user):
    # host_alone: the attacks use fixed SysV keys and /tmp names on the host; two runs side by
    # side (xdist workers, the sanitizer pass beside the main one) would race each other
    assert_same_as_linux(Case("revattack", args=[attack], user=user, host_alone=True), images, tmp_path)


TXTMAP_ROUNDS = 3


def test_txtmap_rounds_give_every_page_back(images, tmp_path):
    # Each round maps, splits, moves and forks mappings of a fresh copy of the program, then
    # unlinks it: a file a mapping record kept (kernel/filemap.c) would keep its inode and its
    # pages, and the free pages after a round would fall round by round.
    assert_rounds_give_every_page_back("revattack", images, tmp_path, TXTMAP_ROUNDS,
                                       timeout_s=180, args=["txtmaprounds"])
