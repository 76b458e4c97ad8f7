"""Hostile programs from the review of the file, pipe and socket surfaces (userland/revfiles.c):
paths, descriptors, pipes and FIFOs, AF_UNIX and descriptors closed under a sibling thread's
blocking call, each compared with the host's Linux (as root, and as user 1000 where the attack
needs no directory of its own: ringlab's user 1000 runs in "/", which it may not write)."""
import pytest

from tests.parity import Case, assert_rounds_give_every_page_back, assert_same_as_linux

pytestmark = pytest.mark.boot


@pytest.mark.parametrize("attack", ["paths", "locks", "unixnames"])
def test_attack_in_a_directory_as_on_linux(images, tmp_path, attack):
    # paths: renames into a directory's own subtree, of "." and "..", over non-empty
    # directories, to and from "name/" (a file: ENOTDIR); unlink, link, symlink, mkfifo and
    # open(O_CREAT) of "name/" (Linux's filename_create: ENOENT, unlink ENOTDIR, open EISDIR;
    # ringlab unlinked the file and made the others); hard links to directories; symlink loops;
    # 4095- and 4096-byte paths, 255- and 256-byte names; names at a page's end and running
    # into an unmapped page; a cwd and an open directory removed under them (st_nlink 0 and
    # getdents64 ENOENT, as Linux's IS_DEADDIR; ringlab said 2 and listed "." and "..");
    # lseek SEEK_DATA/SEEK_HOLE of a file and of a sparse one (holes: pages never written, as
    # tmpfs's; ringlab answered EINVAL).
    # locks: two and three POSIX owners waiting for each other (EDEADLK closing the cycle,
    # Linux's posix_locks_deadlock), a POSIX lock over an OFD lock of the same process, flock
    # conversions (the old lock goes first) and pipes, a lease broken by an opener whose
    # holder then closes it (the opener goes on), F_SETLEASE against other opens.
    # (nothing found: the same as the host). unixnames: AF_UNIX addresses of every length
    # (past sockaddr_un, 1, 2: autobind, twice), a path filling sun_path without its NUL,
    # listen/accept/connect/sendto in states Linux refuses, seqpacket truncation (MSG_TRUNC),
    # a closed peer (nothing found: the same as the host).
    assert_same_as_linux(Case("revfiles", args=[attack]), images, tmp_path)


# fds: dup2/dup3 onto themselves, F_DUPFD and dup2 at RLIMIT_NOFILE, a full table, a limit
# lowered under open fds, F_GETPIPE_SZ/F_SETPIPE_SZ, F_SETFL with bits Linux ignores (O_SYNC,
# O_DSYNC, O_PATH, O_TMPFILE, unknown ones: ringlab answered EINVAL). pipes: SIGPIPE, poll of ends whose other
# side closed, of a closed fd, select naming one, full pipes, FIFO opens without a partner.
# unix: SCM_RIGHTS into short control buffers (MSG_CTRUNC, the fds Linux closes), MSG_PEEK,
# bad fds, cycles for the collector, SO_PEERCRED, closed listeners, shutdown. inflight: files in
# flight past RLIMIT_NOFILE (ETOOMANYREFS as user 1000; a per-user count on the host, so
# revfiles is in SHARED_NAME_PROGRAMS). pipes also: readv of a pipe holding fewer bytes than
# the vector returns them (ringlab read each iovec on its own and waited for the second).
@pytest.mark.parametrize("attack", ["fds", "pipes", "unix", "inflight"])
@pytest.mark.parametrize("user", [None, (1000, 1000)], ids=["root", "user1000"])
def test_files_attack_as_on_linux(images, tmp_path, attack, user):
    assert_same_as_linux(Case("revfiles", args=[attack], user=user), images, tmp_path)


def test_descriptor_closed_under_a_blocking_call_as_on_linux(images, tmp_path):
    # closerace: a sibling thread asleep (its state 'S' in /proc/TID/stat) in select, poll,
    # read and accept on a descriptor the main thread closes; the read and the accept hold
    # the file and finish their work, poll answers POLLNVAL once another fd wakes it, select
    # puts the closed fd in all three sets (Linux's POLLIN/OUT/EX_SET hold POLLNVAL; only
    # its first look is EBADF). ringlab's select answered EBADF.
    assert_same_as_linux(Case("revfiles", args=["closerace"]), images, tmp_path)


def test_poll_holds_its_files_as_on_linux(images, tmp_path):
    # closerace pollhold: poll sleeps on a pipe's only read end, the main thread closes it
    # and writes into the pipe: on Linux the write goes in (the poll's reference keeps the
    # read end, __pollwait's get_file) and wakes the poll, which answers POLLNVAL. ringlab's
    # poll held nothing: the read end went with the close, the write was EPIPE and SIGPIPE.
    assert_same_as_linux(Case("revfiles", args=["closerace", "pollhold"]), images, tmp_path)


def test_sockets_and_pipes_give_every_page_back(images, tmp_path):
    # revfiles rounds: each round's child runs the unix and pipes attacks (files in flight
    # peeked, truncated and received, a socket in its own queue, a pair in each other's, an
    # embryo carrying its listener, full pipes, FIFOs) and ends: the free pages after each
    # round are equal, so the collector and the closes gave every socket and page back.
    assert_rounds_give_every_page_back("revfiles", images, tmp_path, 3, timeout_s=120, args=["rounds"])
