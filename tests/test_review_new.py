"""Hostile programs from the second review of the kernel merged on 7 December
(userland/revnew.c), compared with the host's Linux as root and as user 1000: the stack's
grows-down record (kernel/stackgrow.c) after a mapping is put MAP_FIXED into its middle and a
hole is cut into it (Linux splits the stack vma: the mapping between does not grow down, only
the part holding start_stack is [stack], and each part's growth is counted against
RLIMIT_STACK by its own size); a MAP_GROWSDOWN mapping grown in place by mremap (its growth
below counted from its new top) and MAP_GROWSDOWN memory under a one-page RLIMIT_DATA (never
data: mapped and mremap'd where an ordinary private writable mapping is ENOMEM); ordinary
mappings placed after a MAP_GROWSDOWN one leave the guard gap below it free (Linux's
vm_start_gap), and brk grows the heap up to that gap, never into it; part of the stack moved by mremap
keeps growing down where it lands. Built as a 64-bit musl program and as an i386 glibc one."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("attack", ["stacksplit", "remapgrown", "growsdata", "growsgap", "brkgap", "remapmoved"])
@pytest.mark.parametrize("program", ["revnew", "revnew-m32"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_new_attack_as_on_linux(images, tmp_path, program, attack, user):
    assert_same_as_linux(Case(program, args=[attack], user=user), images, tmp_path)
