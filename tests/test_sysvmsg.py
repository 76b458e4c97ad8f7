"""System V message queues as Linux's ipc/msg.c (kernel/msg.c): userland/sysvmsg gives the
host's output in ringlab, as root and as user 1000."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_message_queues_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("sysvmsg", host_alone=True, user=user), images, tmp_path)


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_message_queues_of_an_i386_process_as_on_linux(images, tmp_path, user):
    """The same program built as a static i386 glibc one (sysvmsg-m32): a 4-byte mtype and the
    i386 msqid structures, through glibc's direct calls and ipc(2) (kernel/ipc32.c)."""
    assert_same_as_linux(Case("sysvmsg-m32", host_alone=True, user=user), images, tmp_path)
