"""AF_UNIX sockets as Linux's net/unix (kernel/socket.c, kernel/unix.c): userland/unixsock gives
the host's output in ringlab, as root and as user 1000 - stream, datagram and seqpacket
sockets, path and abstract names, SCM_RIGHTS and SCM_CREDENTIALS (forged ones too), files in
flight in cycles and to closed peers, and hostile pointers and lengths in every argument - and
no page is lost: with trace=mem, the free-page count after each round's child is reaped is the
same every round (the collector freed every cycle)."""
import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Mem, Panic
from tests.parity import Case, assert_same_as_linux, run_on_linux

pytestmark = pytest.mark.boot

ROUNDS = 3


@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_unix_sockets_as_on_linux(images, tmp_path, user):
    assert_same_as_linux(Case("unixsock", user=user), images, tmp_path)


def test_every_page_comes_back_after_cycles_and_hostile_calls(images, tmp_path):
    """Three rounds in ringlab print what one round prints on the host, three times, and the
    free pages after each round's reap are equal (the first round's included: nothing a round
    allocates outlives it but the open-file cache, carved before the first reap)."""
    linux, status, _ = run_on_linux(Case("unixsock"), images, tmp_path)
    assert status == 0, linux
    round_lines = linux[:-1]
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("unixsock"),
                             append=f"trace=mem init.args={ROUNDS}"), timeout_s=120)
    assert run.status == 0 and not run.of(Panic), run.report()
    want = []
    for r in range(ROUNDS):
        want += round_lines + [f"unixsock: round {r + 1}: status 0"]
    assert run.user_lines == want, run.report()
    # After the boot count, each round reaps the children it forks itself (their counts still
    # hold the round's open sockets), then the round: the last of each round's reaps.
    after_reap = [m.free_pages for m in run.of(Mem)][1:]
    per_round = len(after_reap) // ROUNDS
    assert per_round >= 1 and len(after_reap) == per_round * ROUNDS, after_reap
    rounds = after_reap[per_round - 1::per_round]
    assert len(set(rounds)) == 1, after_reap


def test_i386_socket_calls_as_on_linux(images, tmp_path):
    """An i386 process (userland/m32sock.c as m32sock-m32) through the direct i386 calls and
    socketcall, with the compat msghdr, iovec and cmsghdr, gives the host's output."""
    assert_same_as_linux(Case("m32sock-m32"), images, tmp_path)
