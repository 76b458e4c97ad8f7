"""POSIX timers (timer_create, timer_settime, timer_gettime, timer_getoverrun, timer_delete:
kernel/ptimer.c) and select/pselect6 (kernel/select.c): userland/ptimers.c, the same static
binary built with musl, glibc (glibc's SIGEV_THREAD makes a helper thread with
SIGEV_THREAD_ID) and as a static i386 glibc program (the compat sigevent, old_itimerspec32,
32-bit fd_set words, _newselect and pselect6's 32-bit pack and timespec), gives the host's output in ringlab, as root and as user 1000 - siginfo of
SI_TIMER, overruns, SIGEV_NONE, TIMER_ABSTIME, a pending signal of a deleted or re-set timer
dropped, a timer deleting itself from its handler, timers of an ended thread, timers at exec,
RLIMIT_SIGPENDING's count, hostile pointers and ids, select's sets, nfds, EBADF and the time
written back, pselect6's mask. Then 1,000 timers asked for in each of three children: the
limit's 32 are made (half of them firing every tick), the rest are EAGAIN, and the free pages
after every child is reaped are the same (trace=mem)."""
import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

# The exact number of timers RLIMIT_SIGPENDING lets a child make is the limit less the entries
# the user's other processes hold: on the host any process of root's or user 1000's may hold
# some, so the line is compared only in ringlab (below).
COUNT = "ptimers: (count)"


@pytest.mark.parametrize("program", ["ptimers", "ptimers-glibc", "ptimers-m32"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_timers_and_select_as_on_linux(images, tmp_path, program, user):
    assert_same_as_linux(Case(program, user=user, ignore=(COUNT,)), images, tmp_path)


def test_a_thousand_timers_stop_at_the_limit_and_give_every_page_back(images):
    rounds = 3
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("ptimers"),
                             append=f"trace=mem init.args=many,{rounds}"), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    want = []
    for r in range(rounds):
        want += ["ptimers: timers with RLIMIT_SIGPENDING 32: some, at most the limit 1, then EAGAIN",
                 f"{COUNT} 32 timers",            # ringlab's processes hold no other entry
                 "ptimers: sigqueue with every entry held by a timer: EAGAIN",
                 f"ptimers: round {r + 1}: status 0"]
    assert run.user_lines == want, run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]      # the first is the boot count
    assert len(after_reap) == rounds and len(set(after_reap)) == 1, after_reap
