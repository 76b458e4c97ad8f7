"""What a Unix socket tells and how long it waits, as Linux's net/socket.c, net/core/sock.c
and net/unix/af_unix.c (kernel/sockasync.c): userland/sockasync gives the host's output in
ringlab, as root and as user 1000 - O_ASYNC on sockets (F_SETFL and FIOASYNC) with the si_code
and si_band of each event (data, a connection, room after a full buffer, a peer's shutdown and
close, a datagram peer's disconnect), the socket ioctls FIOSETOWN/SIOCSPGRP/FIOGETOWN/SIOCGPGRP,
the generic FIONBIO/FIOCLEX/FIONCLEX, SO_RCVTIMEO/SO_SNDTIMEO old and _NEW (Linux's jiffies
read back, EDOM, EINVAL, EFAULT, real waits ending in EAGAIN, EINTR under SA_RESTART),
ETOOMANYREFS past RLIMIT_NOFILE for a user, and the hostile part (an owner that exited, peers
closing in a loop, a socket in flight with O_ASYNC set, in a cycle too, page 0 and kernel
pointers) - and no page is lost: with trace=mem the free pages after each round's reap are
the same every round."""
import pytest

from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot

ROUNDS = 3


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_socket_sigio_timeouts_and_limits_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("sockasync", user=user), images, tmp_path)


def test_every_page_comes_back(images, tmp_path):
    """Three rounds in ringlab print what one round prints on the host, three times, and the
    free pages after each round's reap are equal (sockets with O_ASYNC in flight and in a
    cycle, owners gone, the 300 closes: nothing outlives its round)."""
    assert_rounds_give_every_page_back("sockasync", images, tmp_path, ROUNDS, timeout_s=180)
