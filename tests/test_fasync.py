"""O_ASYNC and SIGIO as Linux's fs/fcntl.c (kernel/fasync.c): userland/fasync runs the same on
the host and in ringlab, as root and as user 1000: F_SETFL O_ASYNC on pipes, FIFOs and the
terminal, F_SETOWN/F_GETOWN (a process, a group, a gone owner), F_SETOWN_EX with a thread,
F_SETSIG's si_code/si_band/si_fd, which pipe end hears what, sigio_perm between users, and the
hostile arguments (a pid that does not exist, INT_MIN, pid 1, signals out of range); an
SA_SIGINFO handler's siginfo, also of an i386 program."""
import pytest

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

KEYS = [("", r"type a line"), ("hi\n", r"tty async off")]


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_sigio_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("fasync", keys=KEYS, user=user), images, tmp_path)


@pytest.mark.parametrize("program", ["sigiohandler", "sigiohandler-m32"])
def test_sigio_handler_siginfo_as_on_linux(images, tmp_path, program):
    """An SA_SIGINFO handler of F_SETSIG's signal (real-time, SIGSEGV's SI_SIGIO, plain SIGIO),
    from a 64-bit program and from an i386 one (glibc, fcntl64: the compat siginfo carries
    si_band and si_fd where Linux's compat_siginfo_t puts them, signal32.c)."""
    assert_same_as_linux(Case(program), images, tmp_path)
