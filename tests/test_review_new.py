"""Hostile programs from the second review of the kernel merged on 7 December
(userland/revnew.c), compared with the host's Linux as root and as user 1000: the stack's
grows-down record (kernel/stackgrow.c) after a mapping is put MAP_FIXED into its middle and a
hole is cut into it (Linux splits the stack vma: the mapping between does not grow down, only
the part holding start_stack is [stack], and each part's growth is counted against
RLIMIT_STACK by its own size); a MAP_GROWSDOWN mapping grown in place by mremap (its growth
below counted from its new top) and MAP_GROWSDOWN memory under a one-page RLIMIT_DATA (never
data: mapped and mremap'd where an ordinary private writable mapping is ENOMEM)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("attack", ["stacksplit", "remapgrown", "growsdata"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_new_attack_as_on_linux(images, tmp_path, attack, user):
    assert_same_as_linux(Case("revnew", args=[attack], user=user), images, tmp_path)
