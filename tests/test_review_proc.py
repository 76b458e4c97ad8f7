"""Hostile programs from the review of processes, threads, signals, futexes and timers
(userland/revproc.c): clone flags and clone3 sizes, bad futex operations and robust lists,
alternate stacks, restorers and sigreturn frames in the kernel half, spoofed si_codes, wait
on threads, timers of ended threads, credentials and prctl, each compared with the host's
Linux as root and as user 1000."""
import pytest

from ringlab import lab
from ringlab.core import kabi
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

REVPROC_ATTACKS = ["clone", "futex", "robust", "signals", "wait", "timers", "creds", "prctl", "execrace", "ptexec", "zltimers", "waitflags", "wnothread", "vforkkill",
                   "zlstop"]


@pytest.mark.parametrize("attack", REVPROC_ATTACKS)
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_proc_attack_as_on_linux(images, tmp_path, attack, user):
    assert_same_as_linux(Case("revproc", args=[attack], user=user), images, tmp_path)


@pytest.mark.xfail(strict=True, reason="wait4 fills no struct rusage (ringlab keeps no per-child "
                   "resource usage): a rusage pointer into the kernel half is not EFAULT, as on Linux")
def test_wait4_rusage_into_the_kernel_as_on_linux(images, tmp_path):
    assert_same_as_linux(Case("revproc", args=["waitrusage"]), images, tmp_path)


TABLEFULL_ROUNDS = 3


def test_full_process_table_gives_everything_back(images):
    # ringlab's own table (NPROC slots; the host's limits are others), so not compared with
    # Linux: init and each round's child hold two slots, the round's children the rest; then
    # fork, pthread_create, a CLONE_VFORK child, clone3 and a CLONE_THREAD clone are EAGAIN,
    # one child execs in the full table, every child is reaped, and fork and threads work
    # again. The free pages after each round's last reap are equal: a refused clone keeps no
    # page, slot or table (files, fs info, address space).
    nproc = kabi.load().const("NPROC")
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("revproc"),
                             append=f"trace=mem init.args=tablefull,{TABLEFULL_ROUNDS}"), timeout_s=180)
    assert run.status == 0 and not run.of(Panic), run.report()
    one_round = [
        f"tablefull: {nproc - 2} children, then fork EAGAIN",
        "tablefull: pthread_create EAGAIN",
        "tablefull: vfork EAGAIN",
        "tablefull: clone3 EAGAIN",
        "tablefull: clone THREAD EAGAIN",
        "tablefull: exec in a full table ran",
        "tablefull: the exec'd child: status 0",
        f"tablefull: reaped {nproc - 2}",
        "tablefull: fork after: status 1024",
        "tablefull: a thread after: 1",
    ]
    want = []
    for r in range(TABLEFULL_ROUNDS):
        want += one_round + [f"revproc: round {r + 1}: status 0"]
    assert run.user_lines == want, run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]
    per_round = len(after_reap) // TABLEFULL_ROUNDS
    assert per_round >= 1 and len(after_reap) == per_round * TABLEFULL_ROUNDS, after_reap
    assert len(set(after_reap[per_round - 1::per_round])) == 1, after_reap


def test_rlimit_nproc_counts_the_users_threads(images):
    # ringlab only (the host's user 1000 runs other processes): RLIMIT_NPROC 4 for a user with
    # one process: three children, then fork and pthread_create EAGAIN (Linux copy_process
    # counts every task of the real uid); once they are reaped a thread starts again.
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("revproc"), user=(1000, 1000),
                             append="init.args=nproc"), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == [
        "nproc: setrlimit ok",
        "nproc: 3 children, then fork EAGAIN",
        "nproc: pthread_create EAGAIN",
        "nproc: a thread after: ok",
    ], run.report()

