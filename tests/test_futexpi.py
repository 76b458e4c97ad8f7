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


@pytest.mark.parametrize("program", ["futexrace", "futexrace-glibc"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_pi_lock_never_waits_on_an_ended_owner(images, tmp_path, program, user):
    """userland/futexrace: an owner ending (SYS_exit, pthread_exit; with and without a robust
    entry) leaves a word that answers ESRCH (naming it) or is taken with OWNER_DIED; a queued
    waiter gets the lock; a reused id's thread owns the word until it ends; a zombie leader and
    a reaped process own nothing; an owner stopped at PTRACE_EVENT_EXIT still owns it; then
    rounds racing the owner's end (a thread's, and a whole process's with a large address
    space) against LOCK_PI, LOCK_PI2 and TRYLOCK_PI callers. Every call ends (a hang would be
    the run's timeout: a yield put in thread_exit after pi_state_exit made this boot hang) with
    Linux's answers: the transcript must be the host's (the program pins itself to one CPU)."""
    assert_same_as_linux(Case(program, user=user), images, tmp_path)
