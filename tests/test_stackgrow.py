"""The main thread's stack grows down after execve as Linux 6.x's (kernel/stackgrow.c,
userland/stackgrow.c): recursion past 128 KiB, 1 MiB and 4 MiB under the default 8 MiB
RLIMIT_STACK; a touch far below the stack (RSP nowhere near) within the limit, then past it
(SIGSEGV, SEGV_MAPERR at the address); read(2) and write(2) buffers below the stack (the
kernel's copy grows it; past the limit EFAULT); Linux's 1 MiB guard gap above a mapping placed
below the stack (a PROT_NONE one does not count); setrlimit lowering the limit below the
stack's size (what is mapped stays, nothing more comes) and a small limit counted from the
top; RLIMIT_STACK unlimited; RLIMIT_AS counting the growth; a huge VLA probed page by page;
the grown range as ordinary memory (fork's copy, mprotect, madvise, mremap, munmap of its
bottom and of a hole in it, growth again, /proc/PID/maps' [stack]); ptrace PEEK/POKE and
/proc/PID/mem on it and below it (Linux's access_remote_vm grows the stack; process_vm_readv
does not); MAP_GROWSDOWN; mlockall(MCL_CURRENT) locking the growth, MCL_FUTURE alone not; a
thread's stack not growing; growth racing a sibling's munmap of the range below.
The same program built with musl, glibc and as an i386 one, compared with the host's Linux as
root and as user 1000; then grown stacks give every page back at exit, round after round
(growth racing a sibling that unmaps the very range being grown, and one past the machine's
memory, included); and busybox sh's ``ulimit -s`` and /proc/self/limits
(tests/data/stack_limits.sh) as the host's."""
from pathlib import Path

import pytest

from tests.parity import (Case, assert_busybox_script_same_as_linux,
                          assert_rounds_give_every_page_back, assert_same_as_linux)

pytestmark = pytest.mark.boot

ROUNDS = 3
ROUNDS_TIMEOUT_S = 180.0
LIMITS_SCRIPT = Path(__file__).parent / "data" / "stack_limits.sh"
BUSYBOX_TIMEOUT_S = 120.0


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user-1000"])
@pytest.mark.parametrize("program", ["stackgrow", "stackgrow-glibc", "stackgrow-m32"])
def test_stack_grows_as_on_linux(images, tmp_path, program, user):
    assert_same_as_linux(Case(program, user=user), images, tmp_path)


def test_grown_stacks_give_every_page_back(images, tmp_path):
    # Each round's child grows its stack 1 MiB, and its own child has a growth past a 2 MiB
    # RLIMIT_STACK refused (SIGSEGV): a grown page or page table kept at exit, or one taken by
    # the refused growth, would show as free pages falling round by round.
    assert_rounds_give_every_page_back("stackgrow", images, tmp_path, ROUNDS,
                                       timeout_s=ROUNDS_TIMEOUT_S, args=["rounds"])


def test_ulimit_s_and_proc_limits_as_on_linux(images, tmp_path):
    # "8192": the host's default, Linux's 8 MiB
    assert_busybox_script_same_as_linux(LIMITS_SCRIPT, images, tmp_path, "8192", BUSYBOX_TIMEOUT_S)
