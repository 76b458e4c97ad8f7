"""The memory resource limits as Linux's (userland/rlimitmem.c, kernel/syslimit.c): RLIMIT_AS,
RLIMIT_DATA, RLIMIT_STACK and RLIMIT_MEMLOCK set, read back, inherited by fork and kept by
execve, with setrlimit's rules (cur > max EINVAL, raising a hard limit EPERM without
CAP_SYS_RESOURCE, RLIM_INFINITY and huge values); RLIMIT_AS against every mapping and
RLIMIT_DATA against private writable ones at mmap, mremap, brk and mprotect (-ENOMEM; brk keeps
its break), a limit below what is mapped (what is there stays, nothing new comes, MAP_FIXED over
an own page included), Linux's RLIMIT_DATA 0 exception; RLIMIT_STACK cutting execve's stack
(96 KiB of recursion under 64 KiB is SIGSEGV); mlock, mlock2, munlock, mlockall, munlockall and
MAP_LOCKED against RLIMIT_MEMLOCK (VmLck, EPERM at 0, ENOMEM and EAGAIN past it, a hole, page 0
and kernel addresses, fork dropping locks; root passes it with CAP_IPC_LOCK); a thread mapping
while another lowers RLIMIT_AS.
Compared with the host's Linux as root and as user 1000; then failed calls give every page
back, round after round; and busybox sh's ``ulimit -v/-d/-s/-l`` (tests/data/ulimit_memory.sh:
set, read back, dd's 32 MiB buffer refused under a 16 MiB address space and its 8 MiB one
under 4 MiB of data) as the host's, with the same /bin/busybox."""
from pathlib import Path

import pytest

from tests.parity import (Case, assert_busybox_script_same_as_linux,
                          assert_rounds_give_every_page_back, assert_same_as_linux)

pytestmark = pytest.mark.boot

ROUNDS = 3
ULIMIT_SCRIPT = Path(__file__).parent / "data" / "ulimit_memory.sh"
BUSYBOX_TIMEOUT_S = 120.0


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user-1000"])
@pytest.mark.parametrize("program", ["rlimitmem", "rlimitmem-glibc"])
def test_memory_rlimits_as_on_linux(images, tmp_path, program, user):
    # glibc's twin: its mmap hands on the kernel's EPERM for MAP_LOCKED under RLIMIT_MEMLOCK 0,
    # where musl's turns an anonymous mmap's EPERM into ENOMEM
    assert_same_as_linux(Case(program, user=user), images, tmp_path)


def test_failed_calls_against_the_limits_give_every_page_back(images, tmp_path):
    # Each round's child lowers RLIMIT_AS and RLIMIT_DATA and has mmap, mremap and brk refused:
    # a refusal that kept a page (a page table, a reserved pool page) would show as free pages
    # falling round by round.
    assert_rounds_give_every_page_back("rlimitmem", images, tmp_path, ROUNDS, timeout_s=180,
                                       args=["rounds"])


def test_busybox_ulimit_as_on_linux(images, tmp_path):
    assert_busybox_script_same_as_linux(ULIMIT_SCRIPT, images, tmp_path, "dd: out of memory",
                                        BUSYBOX_TIMEOUT_S)
