"""AF_UNIX out-of-band data and SO_PEEK_OFF as Linux's net/unix/af_unix.c (kernel/unix.c,
kernel/socket.c): userland/unixoob gives the host's output in ringlab, as root and as user
1000 - MSG_OOB's last byte as the out-of-band byte (recv(MSG_OOB), the mark that stops a read,
a byte a read skips, a newer byte leaving the older one in line as Linux 6.18 does,
SO_OOBINLINE, SIOCATMARK, POLLPRI and select's exceptfds, SIGURG to the owner and F_SETSIG's
POLL_PRI), EOPNOTSUPP on datagram and seqpacket sockets, SO_PEEK_OFF on the three types
(huge, negative and short values), and the hostile part: bad pointers, an OOB byte carrying
SCM_RIGHTS, closed and shut peers, a reader thread racing an OOB send - and no page is lost
over rounds (trace=mem)."""
import pytest

from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot

ROUNDS = 3


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_oob_and_peek_off_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("unixoob", user=user), images, tmp_path)


def test_every_page_comes_back_after_oob_rounds(images, tmp_path):
    """Three rounds in ringlab print what one round prints on the host, three times, and the
    free pages after each round's reap are equal: no message an OOB byte, a skipped byte or
    its files in flight left behind outlives its round."""
    assert_rounds_give_every_page_back("unixoob", images, tmp_path, ROUNDS, timeout_s=120)
