"""System V semaphores as Linux's ipc/sem.c (kernel/sem.c): userland/sysvsem gives the
host's output in ringlab, as root and as user 1000 (sleepers, IPC_RMID and signals under
them, semtimedop, SEM_UNDO at exit and across threads, bad pointers and sizes)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_semaphores_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("sysvsem", host_alone=True, user=user), images, tmp_path)


def test_racing_sleepers_removal_and_undos_as_on_linux(images, tmp_path):
    """Six processes' random operations (IPC_NOWAIT, timed, SEM_UNDO) race SETVAL and an
    IPC_RMID of their set: none hangs or crashes, and a fresh set works afterwards."""
    assert_same_as_linux(Case("sysvsem", host_alone=True, args=("race",)), images, tmp_path)


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_semaphores_of_an_i386_process_as_on_linux(images, tmp_path, user):
    """The same program built as a static i386 glibc one (sysvsem-m32): glibc's direct calls
    (Linux 5.1's i386 numbers) and ipc(2)'s, with the i386 structures (kernel/ipc32.c)."""
    assert_same_as_linux(Case("sysvsem-m32", host_alone=True, user=user), images, tmp_path)
