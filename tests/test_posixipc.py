"""POSIX shared memory and named semaphores through musl and glibc (shm_open over /dev/shm,
mmap MAP_SHARED of the file, sem_open/sem_post/sem_wait across processes that open the names
themselves): userland/posixipc gives the host's output in ringlab, as root and as user 1000."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("program", ["posixipc", "posixipc-glibc"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_shm_open_and_sem_open_as_on_linux(images, tmp_path, program, user):
    assert_same_as_linux(Case(program, user=user), images, tmp_path)
