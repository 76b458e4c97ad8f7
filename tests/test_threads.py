"""Threads: every page a thread group used comes back, and a thread group's exit, fatal
signal or stop is reported once, for its process id.

The parity with the host's Linux (pthreads, hostile clone/futex/tgkill/execve arguments,
madvise and mremap) is in test_linux_parity.py; this file holds what only the kernel can
tell: with trace=mem the kernel prints the free-page count whenever a slot is freed, and
threadmem's init prints one line per reaped round, so the last count before each line is
the count after that reap. Each round runs joined, detached and blocked threads, mremap
from a thread, execve from a thread that is not the leader and exit_group from a thread:
kernel stacks, page tables, thread stacks and descriptor tables must all be back.
"""
import re

import pytest

from ringlab import lab
from ringlab.observe.events import Panic
from ringlab.machine.qemu import QemuConfig

pytestmark = pytest.mark.boot

ROUNDS = 4


def free_pages_at_each_round(console: str):
    """The last ``mem free_pages`` count before each ``threadmem: round N`` line."""
    found, last = [], None
    for line in console.splitlines():
        m = re.fullmatch(r"ringlab: mem free_pages=(\d+)", line)
        if m:
            last = int(m[1])
        elif line.startswith("threadmem: round "):
            found.append(last)
    return found


def test_every_page_a_thread_group_used_comes_back(images):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("threadmem"),
                             append=f"trace=mem init.args={ROUNDS}"), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == [f"threadmem: round {r}: status 9" for r in range(1, ROUNDS + 1)], \
        run.report()
    counts = free_pages_at_each_round(run.console)
    assert len(counts) == ROUNDS and None not in counts and len(set(counts)) == 1, counts


def test_a_thread_group_ends_with_one_event_for_its_pid(images):
    """exit_group(9) from a thread of the exec'd image: one ``exit`` line per round, for the
    child's pid (the tgid), never one per thread."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("threadmem"),
                             append="init.args=2"), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    ends = re.findall(r"ringlab: (?:exit|kill) pid=(\d+) ppid=1 (.*)", run.console)
    assert [status for _, status in ends] == ["status=9", "status=9"], run.report()
    assert len({pid for pid, _ in ends}) == 2, ends


def test_a_group_stop_and_a_fatal_signal_are_reported_once_for_the_process(images):
    """threadgroup's children: the two-thread child stops once (one ``stop`` line, for its
    pid) and exits 7; the three-thread one stops once (two SIGSTOPs) and SIGKILL ends it; a
    fault in a non-leader thread, a SIGKILL and a SIGTERM that only a non-leader thread takes
    each end their child with one ``kill`` line for the child's pid; the CLONE_SIGHAND children
    exit 3 and 43."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("threadgroup")), timeout_s=60)
    assert run.status == 0 and not run.of(Panic), run.report()
    ends = re.findall(r"ringlab: (?:exit|kill) pid=(\d+) ppid=1 (\S+)", run.console)
    assert [status for _, status in ends] == ["status=5", "status=7", "signal=9", "status=0", "status=3",
                                              "status=43", "signal=11", "signal=9", "signal=15"], run.report()
    assert len({pid for pid, _ in ends}) == len(ends), ends
    stops = re.findall(r"ringlab: stop pid=(\d+) signal=19 ", run.console)
    assert stops == [ends[1][0], ends[2][0]], run.report()
