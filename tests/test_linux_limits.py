"""Limits and register state as Linux's: the same static musl program on the host's Linux and in ringlab, the
transcripts and exit statuses compared (tests/parity.py).

- hugewait: timeouts too large to reach saturate (Linux's KTIME_MAX) instead of wrapping into
  "already past"; each wait is cut short by a 100 ms timer's signal (EINTR), the evidence that
  it waited; invalid timespecs are EINVAL.
- execbig: execve's argument space (2 MiB of strings and pointers, 128 KiB per string, E2BIG
  beyond; thousands of arguments; hostile vectors: EFAULT or E2BIG in Linux's order).
- sigpending: RLIMIT_SIGPENDING is a real limit, settable, and the signal queue honours it
  (EAGAIN for sigqueue/tgkill of a real-time signal past it, information lost otherwise).
- pipecap: a pipe's capacity in page slots as Linux's (EAGAIN after a reader takes 100 bytes
  of a full pipe), F_GETPIPE_SZ/F_SETPIPE_SZ, st_ino a counter.
- futexwake0: FUTEX_WAKE with a count of 0 or -1 wakes one waiter.
- nofile: RLIMIT_NOFILE per process (1024 soft, 4096 hard), EMFILE/EBADF/EINVAL at it, and
  five processes holding all the files they may while a sixth still opens files.
- sigrcx: RCX and R11 at a handler's first instruction after a system call are the syscall's
  return address and saved RFLAGS (Linux returns through IRET), not the handler's address.
"""
import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic
from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

CASES = {
    "hugewait-huge-timeouts-saturate-invalid-ones-einval": Case("hugewait"),
    "execbig-execve-argument-space-and-hostile-vectors": Case("execbig"),
    "sigpending-rlimit-sigpending-queue-limit": Case("sigpending"),
    "pipecap-pipe-capacity-in-slots-pipe-sz-st-ino": Case("pipecap"),
    "futexwake0-futex-wake-count-0-wakes-one": Case("futexwake0"),
    "nofile-rlimit-nofile-per-process-no-global-starvation": Case("nofile"),
    "sigrcx-rcx-r11-at-handler-entry-after-a-syscall": Case("sigrcx"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_same_output_and_status_as_on_linux(images, tmp_path, name):
    assert_same_as_linux(CASES[name], images, tmp_path)


def test_execve_gives_back_every_page_on_every_path(images):
    """Each execbig case twice in a row (the parent allocates nothing between the two): the
    free page count after the second child's reap equals the first's, for every case, the
    failing ones (EFAULT, E2BIG halfway through the strings) and the 2 MiB ones alike."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("execbig"),
                             append="trace=mem init.args=twice"), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    after_reap = [m.free_pages for m in run.of(Mem)][1:]      # the first is the boot count
    cases = sum(1 for line in run.user_lines if not line.startswith(" "))
    assert cases >= 20 and len(after_reap) == 2 * cases, (cases, after_reap)
    assert after_reap[0::2] == after_reap[1::2], after_reap
