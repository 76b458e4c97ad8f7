"""System V shared memory as Linux's ipc/shm.c (kernel/shm.c): userland/sysvshm gives the
host's output in ringlab, as root and as user 1000; and every page a segment used comes
back after IPC_RMID and the last detach, also when threads attach, detach, remap and unmap
a segment while it is removed under them (with trace=mem, the free-page count after each
round's child is reaped is the same every round)."""
import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_shared_memory_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("sysvshm", host_alone=True, user=user), images, tmp_path)


def test_every_page_comes_back_after_ipc_rmid_and_the_last_detach(images):
    rounds = 3
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("sysvshm"),
                             append=f"trace=mem init.args=rounds,{rounds}"), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    want = []
    for r in range(1, rounds + 1):
        want += [f"sysvshm: round {r}: g EINVAL", f"sysvshm: round {r}: status 0"]
    assert run.user_lines == want, run.report()
    frees = [m.free_pages for m in run.of(Mem)][1:]          # the first is the boot count
    assert len(frees) == 4 * rounds, frees                    # a grandchild, two threads, the child
    assert len(set(frees[3::4])) == 1, frees                  # after each round's child
    assert len(set(frees[0::4])) == 1, frees                  # after each round's grandchild


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_shared_memory_of_an_i386_process_as_on_linux(images, tmp_path, user):
    """The same program built as a static i386 glibc one (sysvshm-m32): glibc's direct calls
    (Linux 5.1's i386 numbers) and ipc(2)'s, with the i386 structures (kernel/ipc32.c)."""
    assert_same_as_linux(Case("sysvshm-m32", host_alone=True, user=user), images, tmp_path)
