"""Going backwards without ``reverse-continue``: ``reverse-to LOCATION`` and
``reverse-to-ring``, for gdb attached to a QEMU replay (``invoke gdb --replay DIR``).

QEMU 7.2's ``reverse-continue`` now and then never stops on a loaded host. These commands
use only what stays reliable there: forward execution of the replay (deterministic: the same
instructions every time), QEMU's monitor commands ``info replay`` (the instruction count),
``replay_seek N`` (reload the start snapshot and replay to instruction N) and ``replay_break
N`` (stop at instruction N), and ``reverse-stepi``.

``reverse-to LOCATION``: note where we are (N), seek to the start, replay forward with a
breakpoint on LOCATION and a replay break at N, remember the last hit before N, seek there.
Every ``continue`` ends by N at the latest; past a wall-clock deadline a watchdog interrupts
gdb (SIGINT to itself, as Ctrl-C) and the command ends with a message.
"""
import os
import re
import signal
import threading
import time

import gdb  # provided by gdb itself

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_MAX_HITS = 100000
DEFAULT_MAX_STEPS = 10000
PASS_TIMEOUT_S = 30.0      # one replay pass normally ends in seconds, even on a busy host
PASSES = 3                 # passes started before reverse-to gives up


def icount():
    """The replay's instruction count (``monitor info replay``)."""
    text = gdb.execute("monitor info replay", to_string=True)
    m = re.search(r"instruction count = (\d+)", text)
    if not m:
        raise gdb.GdbError("reverse-to: not a replay (`monitor info replay` says: "
                           f"{text.strip()}); record with invoke boot --record DIR, then "
                           "invoke gdb --replay DIR")
    return int(m.group(1))


class Watchdog:
    """Interrupt the target if it runs past ``deadline`` (time.monotonic()): SIGINT to gdb
    itself, as Ctrl-C, but only while ``run`` has the target running (a SIGINT at any other
    moment would abort gdb's command half way). ``fired`` says the deadline passed."""

    def __init__(self, deadline):
        self.fired = False
        self._running = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(max(0.0, deadline - time.monotonic()), self._fire)
        self._timer.daemon = True

    def _fire(self):
        with self._lock:
            self.fired = True
            if self._running:
                os.kill(os.getpid(), signal.SIGINT)

    def run(self, command):
        """gdb.execute(command) unless the deadline passed; a Quit from the watchdog's
        SIGINT landing just before the target resumed counts as the deadline."""
        with self._lock:
            if self.fired:
                return
            self._running = True
        try:
            gdb.execute(command, to_string=True)
        except (KeyboardInterrupt, gdb.error):
            if not self.fired:
                raise
        finally:
            with self._lock:
                self._running = False

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()


class Stuck(Exception):
    """A replay command did not end by its deadline (the watchdog interrupted it)."""


def run_bounded(command, deadline):
    """gdb.execute(command) under a Watchdog; Stuck if the deadline passed."""
    with Watchdog(deadline) as dog:
        dog.run(command)
    if dog.fired:
        raise Stuck(command)


def seek(n, deadline):
    """Stop at instruction ``n``: reload the start snapshot (instruction 0, at once), then
    replay forward to ``n`` under gdb's control with a replay break. (``replay_seek n`` alone
    would run the CPU to ``n`` behind gdb's back.) Breakpoints on the way are stepped over.

    Raises:
        Stuck: past ``deadline``.
    """
    run_bounded("monitor replay_seek 0", deadline)
    gdb.execute("maintenance flush register-cache", to_string=True)   # gdb's copy is stale
    if n == 0:
        return
    gdb.execute(f"monitor replay_break {n}", to_string=True)
    try:
        while icount() < n:
            run_bounded("continue", deadline)
    finally:
        gdb.execute("monitor replay_delete_break", to_string=True)


class ReverseToCommand(gdb.Command):
    """Go back to the last time the CPU was at LOCATION before this point (a replay only).

Usage: reverse-to LOCATION [TIMEOUT-SECONDS]   e.g. reverse-to *syscall_entry
Replays forward from the start with a breakpoint on LOCATION up to the current instruction,
then seeks to its last hit. A pass that does not end within 30 s (QEMU 7.2's replay can
stall on a loaded host) is interrupted and started again; after TIMEOUT-SECONDS (default
60) it gives up with a message."""

    def __init__(self):
        super().__init__("reverse-to", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        words = gdb.string_to_argv(arg)
        if not words or len(words) > 2:
            raise gdb.GdbError("usage: reverse-to LOCATION [TIMEOUT-SECONDS]")
        timeout_s = float(words[1]) if len(words) > 1 else DEFAULT_TIMEOUT_S
        here = icount()
        deadline = time.monotonic() + timeout_s
        gdb.execute("set suppress-cli-notifications on", to_string=True)
        try:
            last = self._passes(words[0], here, deadline, timeout_s)
        finally:
            gdb.execute("set suppress-cli-notifications off", to_string=True)
        gdb.execute("frame", to_string=False)
        gdb.write(f"reverse-to: at {words[0]}, instruction {last} "
                  f"({here - last} instructions back)\n")

    def _passes(self, location, here, deadline, timeout_s):
        for attempt in range(1, PASSES + 1):
            pass_deadline = min(deadline, time.monotonic() + PASS_TIMEOUT_S)
            try:
                return self._pass(location, here, pass_deadline)
            except Stuck as stuck:
                if time.monotonic() >= deadline or attempt == PASSES:
                    raise gdb.GdbError(
                        f"reverse-to: gave up after {timeout_s:g} s ({attempt} passes; the "
                        f"last stalled in `{stuck}`), at instruction {icount()} of {here}: "
                        "start the replay again") from None
                gdb.write(f"reverse-to: the replay stalled in `{stuck}` for "
                          f"{PASS_TIMEOUT_S:g} s; starting pass {attempt + 1}\n")
        raise AssertionError("not reached")

    def _pass(self, location, here, deadline):
        """One replay from the start to ``here``; returns the last hit's instruction count
        (at it, stopped).

        Raises:
            Stuck: past ``deadline``.
            gdb.GdbError: LOCATION not reached before ``here``.
        """
        bp = gdb.Breakpoint(location, internal=True)
        last = None
        try:
            seek(0, deadline)
            gdb.execute(f"monitor replay_break {here}", to_string=True)
            try:
                for _ in range(DEFAULT_MAX_HITS):
                    run_bounded("continue", deadline)
                    now = icount()
                    if now >= here:
                        break
                    last = now
            finally:
                gdb.execute("monitor replay_delete_break", to_string=True)
        finally:
            bp.delete()
        if last is None:
            seek(here, deadline)
            raise gdb.GdbError(f"reverse-to: {location} was not reached before "
                               f"instruction {here} (still there)")
        seek(last, deadline)
        return last


class ReverseToRingCommand(gdb.Command):
    """reverse-stepi until the CPL changes: back to the other ring (a replay only).

Usage: reverse-to-ring [MAX-STEPS]   (default 10000)
From a kernel entry stub this is the user instruction that entered the kernel. Gives up with
a message after 60 s."""

    def __init__(self):
        super().__init__("reverse-to-ring", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        max_steps = int(arg.strip(), 0) if arg.strip() else DEFAULT_MAX_STEPS
        deadline = time.monotonic() + DEFAULT_TIMEOUT_S

        def cpl():
            return int(gdb.parse_and_eval("(unsigned long)$cs")) & 3
        start = cpl()
        for step in range(1, max_steps + 1):
            with Watchdog(deadline) as dog:
                dog.run("reverse-stepi")
            if dog.fired:
                raise gdb.GdbError(f"reverse-to-ring: gave up after {DEFAULT_TIMEOUT_S:g} s "
                                   f"({step} instructions back)")
            if cpl() != start:
                gdb.execute("frame", to_string=False)
                gdb.write(f"reverse-to-ring: {start}->{cpl()} going back, "
                          f"{step} instruction(s)\n")
                return
        raise gdb.GdbError(f"reverse-to-ring: CPL stayed {start} for {max_steps} "
                           "instructions back")


ReverseToCommand()
ReverseToRingCommand()
