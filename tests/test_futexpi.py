"""PI futexes and robust mutexes as Linux's kernel/futex/ (kernel/futex.c): userland/futexpi,
built for musl and for glibc, gives the host's output in ringlab: FUTEX_LOCK_PI/LOCK_PI2/
TRYLOCK_PI/UNLOCK_PI/WAIT_REQUEUE_PI/CMP_REQUEUE_PI with their errors and timeouts, the lock
handed to the top waiter, a waiter restarted after a signal, and the C library's robust and
PTHREAD_PRIO_INHERIT mutexes (contended counters, EOWNERDEAD when an owner ends holding one,
a condition variable over a PI mutex). As root and as user 1000 (the calls need no privilege:
the answers must not change)."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("program", ["futexpi", "futexpi-glibc"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_pi_and_robust_futexes_as_on_linux(images, tmp_path, program, user):
    assert_same_as_linux(Case(program, user=user), images, tmp_path)
