"""Restartable sequences (rseq(2): kernel/rseq.c), compared with the host's Linux.

userland/rseq.c, built with musl (raw calls: musl never registers), with glibc (glibc
registers every thread at start: its __rseq_size and sched_getcpu() == 0, then the program
unregisters glibc's area) and as a static i386 glibc program (call 386), runs in ringlab as
root and as user 1000 and must print what it prints on the host: the registration rules
(flags, alignment, the original and the longer sizes, page 0, the kernel half, the top of
the address space, a read-only area - registered, then SIGSEGV on the way out -, a stale
rseq_cs), the ids the kernel writes (0: one CPU, one node), unregistration; a section a
signal interrupts (the handler's frame holds abort_ip), sections that spin until they are
preempted (all three aborted; on the host a process pinned beside them competes for CPU 0),
invalid sections and rseq_cs pointers (SIGSEGV), an area unmapped after registration then
signalled or preempted (SIGSEGV); a timer's SIGALRM aborting a spinning section; two threads
pinned to CPU 0, each registered, aborting each other's sections; fork keeps the registration,
a thread has none and cannot unregister another's area, execve clears it.
"""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("program", ["rseq", "rseq-glibc", "rseq-m32"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_rseq_as_on_linux(images, tmp_path, program, user):
    assert_same_as_linux(Case(program, user=user), images, tmp_path)
