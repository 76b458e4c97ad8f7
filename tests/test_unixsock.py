"""AF_UNIX sockets as Linux's net/unix (kernel/socket.c, kernel/unix.c): userland/unixsock gives
the host's output in ringlab, as root and as user 1000 - stream, datagram and seqpacket
sockets, path and abstract names, SCM_RIGHTS and SCM_CREDENTIALS (forged ones too), files in
flight in cycles and to closed peers, and hostile pointers and lengths in every argument - and
no page is lost: with trace=mem, the free-page count after each round's child is reaped is the
same every round (the collector freed every cycle)."""
import pytest

from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot

ROUNDS = 3


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_unix_sockets_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("unixsock", user=user), images, tmp_path)


def test_every_page_comes_back_after_cycles_and_hostile_calls(images, tmp_path):
    """Three rounds in ringlab print what one round prints on the host, three times, and the
    free pages after each round's reap are equal (the first round's included: nothing a round
    allocates outlives it but the open-file cache, carved before the first reap)."""
    assert_rounds_give_every_page_back("unixsock", images, tmp_path, ROUNDS, timeout_s=120)


def test_i386_socket_calls_as_on_linux(images, tmp_path):
    """An i386 process (userland/m32sock.c as m32sock-m32) through the direct i386 calls and
    socketcall, with the compat msghdr, iovec and cmsghdr, gives the host's output."""
    assert_same_as_linux(Case("m32sock-m32"), images, tmp_path)
