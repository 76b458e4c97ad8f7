"""Going backwards without ``reverse-continue``: ``reverse-to LOCATION`` and
``reverse-to-ring``, for gdb attached to a QEMU replay (``invoke gdb --replay DIR``).

QEMU 7.2's ``reverse-continue`` now and then never stops on a loaded host. These commands
use only what stays reliable there: forward execution of the replay (deterministic: the same
instructions every time), QEMU's monitor commands ``info replay`` (the instruction count),
``loadvm init`` (the start snapshot, instruction 0), ``replay_break N`` (stop at instruction
N), and ``reverse-stepi``.

Why ``loadvm`` and not ``replay_seek 0``: QEMU 7.2's ``replay_seek`` loads the snapshot and
then *starts* the machine with a replay break at the target count, which stops it a moment
later from QEMU's main loop and sends gdb a stop packet (``T02``) it never asked for. The
monitor command has already answered ``OK``, so that packet races gdb's next one: a byte
that reaches QEMU's gdbstub while the machine runs is dropped (it only stops the machine),
gdb waits its 2 s ``remotetimeout`` and resends ("Packet instead of Ack"); or gdb takes the
stray ``T02`` as the answer to its next command ("Invalid hex digit"), and from there
answers and questions are out of step. ``loadvm`` on a stopped replay restores the snapshot
(the replay's position in its log included) and leaves the machine stopped: no stray packet.

``reverse-to LOCATION``: note where we are (N), load the start snapshot, replay forward with
a breakpoint on LOCATION and a replay break at N, remember the last hit before N, go there.

Every pass runs under a watchdog. A pass that does not end by its deadline has stalled, and
its gdb<->QEMU connection is not trusted again: when the harness gave gdb a replay channel
(``ring-replay-channel``, set by ``invoke gdb --replay``), the watchdog asks the harness for
a fresh replay QEMU (same command line); the harness stops the stalled one, which ends
whatever gdb waited for, and gdb reconnects (``target remote``) to the new one for the next
pass. Without a channel the watchdog shuts down gdb's own connection to QEMU (its socket;
a SIGINT does not end gdb's wait for an answer from a QEMU that stopped answering) and the
command ends with a message.
"""
import os
import re
import select
import socket
import stat
import threading
import time

import gdb  # provided by gdb itself

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_HITS = 100000
DEFAULT_MAX_STEPS = 10000
PASS_TIMEOUT_S = 30.0      # one replay pass normally ends in a second, even on a busy host
PASSES = 3                 # passes started before a command gives up
RESTART_TIMEOUT_S = 30.0   # the harness's answer: a fresh replay QEMU, listening
SNAPSHOT = "init"          # the start snapshot: -icount ...,rrsnapshot=init (replay.RR_SNAPSHOT)
RESTART_REQUEST = b"restart\n"
ANSWER_SOCKET = "socket "  # "socket PATH\n": the fresh replay's gdbstub
ANSWER_ERROR = "error "    # "error MESSAGE\n": no fresh replay

#: the harness's replay channel (``ring-replay-channel``), or None
_channel = None


def icount(dog=None):
    """The replay's instruction count (``monitor info replay``), through ``dog`` if given."""
    command = "monitor info replay"
    text = dog.execute(command) if dog else gdb.execute(command, to_string=True)
    m = re.search(r"instruction count = (\d+)", text)
    if not m:
        raise gdb.GdbError("reverse-to: not a replay (`monitor info replay` says: "
                           f"{text.strip()}); record with invoke boot --record DIR, then "
                           "invoke gdb --replay DIR")
    return int(m.group(1))


def cpl():
    return int(gdb.parse_and_eval("(unsigned long)$cs")) & 3


class Channel:
    """Two pipes to the harness that started this gdb: ``request`` asks for a fresh replay
    QEMU, ``answer`` reads the socket path of the one the harness started."""

    def __init__(self, to_harness, from_harness):
        self.to_harness, self.from_harness = to_harness, from_harness

    def request(self):
        os.write(self.to_harness, RESTART_REQUEST)

    def answer(self, timeout_s):
        """The fresh replay's socket path. Raises gdb.GdbError: the harness said no, closed
        the channel, or did not answer within ``timeout_s``."""
        data = b""
        deadline = time.monotonic() + timeout_s
        while not data.endswith(b"\n"):
            ready, _, _ = select.select([self.from_harness], [], [],
                                        max(0.0, deadline - time.monotonic()))
            if not ready:
                raise gdb.GdbError(f"no fresh replay from the harness within {timeout_s:g} s")
            chunk = os.read(self.from_harness, 4096)
            if not chunk:
                raise gdb.GdbError("the harness closed the replay channel")
            data += chunk
        line = data.decode().strip()
        if line.startswith(ANSWER_SOCKET):
            return line[len(ANSWER_SOCKET):]
        raise gdb.GdbError("no fresh replay: " + line[len(ANSWER_ERROR):])


class Stuck(Exception):
    """A pass did not end by its deadline (the watchdog fired); the text says in what."""


def shut_connection():
    """Shut down this gdb's sockets (its connection to QEMU's gdbstub: the only socket gdb
    holds; the harness's channel is pipes), so whatever gdb waits for ends at once with
    "Remote connection closed". The file descriptors stay gdb's to close."""
    for name in os.listdir("/proc/self/fd"):
        try:
            if not stat.S_ISSOCK(os.fstat(int(name)).st_mode):
                continue
            sock = socket.socket(fileno=int(name))
        except OSError:
            continue
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            sock.detach()


class Watchdog:
    """At ``deadline`` (time.monotonic()): ask the harness for a fresh replay (``_channel``),
    which stops the stalled QEMU and so ends whatever gdb waits for; without a channel, shut
    gdb's connection to QEMU down. ``fired`` says the deadline passed; ``doing`` is the
    command that was running then."""

    def __init__(self, deadline):
        self.fired = False
        self.doing = ""
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def _fire(self):
        with self._lock:
            self.fired = True
            if _channel is not None:
                _channel.request()
            else:
                shut_connection()

    def execute(self, command):
        """gdb.execute(command) to a string; past the deadline, Stuck instead."""
        with self._lock:
            if self.fired:
                raise Stuck(self.doing or command)
            self.doing = command
        return gdb.execute(command, to_string=True)

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


def bounded(fn, deadline):
    """fn(watchdog) under a Watchdog. Whatever fn raised or returned, once the deadline
    passed the pass counts as stalled.

    Raises:
        Stuck: past ``deadline``.
    """
    dog = Watchdog(deadline)
    with dog:
        try:
            result = fn(dog)
        except (gdb.error, KeyboardInterrupt, Stuck):
            if not dog.fired:
                raise
    with dog._lock:
        if dog.fired:
            raise Stuck(dog.doing)
    return result


def reconnect():
    """After a stall: the harness's fresh replay (it stopped the stalled QEMU), attached.
    QEMU creates its socket before it listens: a refusal is tried again (bounded).

    Raises:
        gdb.GdbError: no fresh replay, or it refused every connection for RESTART_TIMEOUT_S.
    """
    deadline = time.monotonic() + RESTART_TIMEOUT_S
    path = _channel.answer(RESTART_TIMEOUT_S)
    try:
        gdb.execute("disconnect", to_string=True)
    except gdb.error:
        pass                                            # the old connection already ended
    while True:
        try:
            gdb.execute(f"target remote {path}", to_string=True)
            return
        except gdb.error as err:
            if "refused" not in str(err) or time.monotonic() >= deadline:
                raise gdb.GdbError(f"cannot attach to the fresh replay: {err}") from None


def recover(name, stuck):
    """After a stall: gdb on a fresh replay (at its first instruction).

    Raises:
        gdb.GdbError: there is no replay channel (the stalled connection is not used again).
    """
    if _channel is None:
        raise gdb.GdbError(
            f"{name}: the replay stalled in `{stuck}`; gdb closed its connection (never "
            "used again): start the replay again (invoke gdb --replay DIR starts a fresh "
            "one by itself)")
    reconnect()


def where(name, timeout_s):
    """(instruction count, CPL) where a command starts, bounded as one pass.

    Raises:
        gdb.GdbError: it stalled (gdb is on a fresh replay, or has no channel).
    """
    try:
        return bounded(lambda dog: (icount(dog), cpl()),
                       time.monotonic() + min(PASS_TIMEOUT_S, timeout_s / PASSES))
    except Stuck as stuck:
        recover(name, stuck)
        raise gdb.GdbError(f"{name}: the replay stalled in `{stuck}` before it started; "
                           "gdb reconnected to a fresh replay, at its first instruction: "
                           "go forward to where you were and try again") from None


def attempts(name, fn, deadline, timeout_s):
    """fn(watchdog) until one pass ends in time: at most PASSES, each bounded by a third of
    ``timeout_s`` (at most PASS_TIMEOUT_S), all by ``deadline``; fn must work from any
    instruction of the replay (a retry starts on a fresh replay, at instruction 0).

    Raises:
        gdb.GdbError: every pass stalled, or one stalled and there is no replay channel.
    """
    pass_s = min(PASS_TIMEOUT_S, timeout_s / PASSES)
    for attempt in range(1, PASSES + 1):
        try:
            return bounded(fn, min(deadline, time.monotonic() + pass_s))
        except Stuck as stuck:
            recover(name, stuck)
            if attempt == PASSES or time.monotonic() >= deadline:
                raise gdb.GdbError(
                    f"{name}: gave up after {attempt} stalled pass(es) in {timeout_s:g} s "
                    f"(the last stalled in `{stuck}`); gdb is on a fresh replay, at its "
                    "first instruction") from None
            gdb.write(f"{name}: the replay stalled in `{stuck}`; gdb reconnected to a fresh "
                      f"replay QEMU, pass {attempt + 1}\n")
    raise AssertionError("not reached")


def seek(n, dog):
    """Stop at instruction ``n``: load the start snapshot (instruction 0, the machine stays
    stopped), then replay forward to ``n`` under gdb's control with a replay break
    (``replay_seek`` would run the CPU behind gdb's back; see the module's docstring).
    Breakpoints on the way are stepped over.

    Raises:
        gdb.GdbError: QEMU refused to load the snapshot (its message).
    """
    said = dog.execute(f"monitor loadvm {SNAPSHOT}")
    refused = re.search(r"^Error: (.*?)\r?$", said, re.M)   # QEMU's monitor: "Error: ..."
    if refused:
        raise gdb.GdbError(f"loadvm {SNAPSHOT}: {refused.group(1)}")
    dog.execute("maintenance flush register-cache")     # gdb's copy is stale
    if n == 0:
        return
    dog.execute(f"monitor replay_break {n}")
    try:
        while icount(dog) < n:
            dog.execute("continue")
    finally:
        dog.execute("monitor replay_delete_break")


class ReplayChannelCommand(gdb.Command):
    """Pipes to the harness that started this gdb: reverse-to and reverse-to-ring ask it
for a fresh replay QEMU when one stalls (invoke gdb --replay sets this).

Usage: ring-replay-channel FD-TO-HARNESS FD-FROM-HARNESS"""

    def __init__(self):
        # internal (invoke gdb --replay gives it): not listed by `help` (class none)
        super().__init__("ring-replay-channel", gdb.COMMAND_NONE)

    def invoke(self, arg, from_tty):
        global _channel
        words = gdb.string_to_argv(arg)
        if len(words) != 2 or not all(w.isdigit() for w in words):
            raise gdb.GdbError("usage: ring-replay-channel FD-TO-HARNESS FD-FROM-HARNESS")
        _channel = Channel(int(words[0]), int(words[1]))


class ReverseToCommand(gdb.Command):
    """Go back to the last time the CPU was at LOCATION before this point (a replay only).

Usage: reverse-to LOCATION [TIMEOUT-SECONDS]   e.g. reverse-to *syscall_entry
Replays forward from the start with a breakpoint on LOCATION up to the current instruction,
then goes to its last hit. A pass that does not end within a third of TIMEOUT-SECONDS
(default 60; at most 30 s a pass) has stalled: under invoke gdb --replay, gdb reconnects to
a fresh replay and tries again; it gives up with a message after three stalled passes."""

    def __init__(self):
        super().__init__("reverse-to", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if not words or len(words) > 2:
            raise gdb.GdbError("usage: reverse-to LOCATION [TIMEOUT-SECONDS]")
        try:
            timeout_s = float(words[1]) if len(words) > 1 else DEFAULT_TIMEOUT_S
        except ValueError:
            raise gdb.GdbError(f"reverse-to: TIMEOUT-SECONDS {words[1]!r} is not a number")
        if not timeout_s > 0:
            raise gdb.GdbError("reverse-to: TIMEOUT-SECONDS must be positive")
        location = words[0]
        deadline = time.monotonic() + timeout_s
        here, _ = where("reverse-to", timeout_s)
        gdb.execute("set suppress-cli-notifications on", to_string=True)
        try:
            last = attempts("reverse-to", lambda dog: self._pass(location, here, dog),
                            deadline, timeout_s)
        finally:
            gdb.execute("set suppress-cli-notifications off", to_string=True)
        gdb.execute("frame", to_string=False)
        gdb.write(f"reverse-to: at {location}, instruction {last} "
                  f"({here - last} instructions back)\n")

    def _pass(self, location, here, dog):
        """One replay from the start to ``here``; returns the last hit's instruction count
        (at it, stopped).

        Raises:
            gdb.GdbError: LOCATION not reached before ``here`` (back at ``here``).
        """
        bp = gdb.Breakpoint(location, internal=True)
        # silent: gdb's stop line would name it by its internal (negative) number,
        # `Breakpoint -14, syscall_entry () ...`; reverse-to says where it stopped itself
        bp.silent = True
        last = None
        try:
            seek(0, dog)
            dog.execute(f"monitor replay_break {here}")
            try:
                for _ in range(DEFAULT_MAX_HITS):
                    dog.execute("continue")
                    now = icount(dog)
                    if now >= here:
                        break
                    last = now
            finally:
                dog.execute("monitor replay_delete_break")
        finally:
            bp.delete()
        if last is None:
            seek(here, dog)
            raise gdb.GdbError(f"reverse-to: {location} was not reached before "
                               f"instruction {here} (still there)")
        seek(last, dog)
        return last


class ReverseToRingCommand(gdb.Command):
    """reverse-stepi until the CPL changes: back to the other ring (a replay only).

Usage: reverse-to-ring [MAX-STEPS]   (default 10000)
From a kernel entry stub this is the user instruction that entered the kernel. A stalled
replay is handled as in reverse-to; it gives up with a message after 60 s."""

    def __init__(self):
        super().__init__("reverse-to-ring", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        try:
            max_steps = int(arg.strip(), 0) if arg.strip() else DEFAULT_MAX_STEPS
        except ValueError:
            raise gdb.GdbError(f"reverse-to-ring: MAX-STEPS {arg.strip()!r} is not a number")
        deadline = time.monotonic() + DEFAULT_TIMEOUT_S
        here, start = where("reverse-to-ring", DEFAULT_TIMEOUT_S)

        def walk(dog):
            if icount(dog) != here:                 # a fresh replay, after a stall
                seek(here, dog)
            for step in range(1, max_steps + 1):
                dog.execute("reverse-stepi")
                if cpl() != start:
                    return step
            raise gdb.GdbError(f"reverse-to-ring: CPL stayed {start} for {max_steps} "
                               "instructions back")

        steps = attempts("reverse-to-ring", walk, deadline, DEFAULT_TIMEOUT_S)
        gdb.execute("frame", to_string=False)
        gdb.write(f"reverse-to-ring: {start}->{cpl()} going back, {steps} instruction(s)\n")


ReplayChannelCommand()
ReverseToCommand()
ReverseToRingCommand()
