"""Hostile programs from the review of processes, threads, signals, futexes and timers
(userland/revproc.c): clone flags and clone3 sizes, bad futex operations and robust lists,
alternate stacks, restorers and sigreturn frames in the kernel half, spoofed si_codes, wait
on threads, timers of ended threads, credentials and prctl, each compared with the host's
Linux as root and as user 1000."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

REVPROC_ATTACKS = ["clone", "futex", "robust", "signals", "wait", "timers", "creds", "prctl", "execrace"]


@pytest.mark.parametrize("attack", REVPROC_ATTACKS)
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_proc_attack_as_on_linux(images, tmp_path, attack, user):
    assert_same_as_linux(Case("revproc", args=[attack], user=user), images, tmp_path)


@pytest.mark.xfail(strict=True, reason="wait4 fills no struct rusage (ringlab keeps no per-child "
                   "resource usage): a rusage pointer into the kernel half is not EFAULT, as on Linux")
def test_wait4_rusage_into_the_kernel_as_on_linux(images, tmp_path):
    assert_same_as_linux(Case("revproc", args=["waitrusage"]), images, tmp_path)
