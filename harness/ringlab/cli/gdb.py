"""``invoke gdb``: an interactive gdb attached to the machine ``invoke boot --gdb`` started (or
to ``--target``), or to the replay of a recording (``--replay DIR``), with the kernel's and
init's symbols and the ring extension loaded."""
from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional, Sequence, TextIO

from .. import lab
from ..core import constants as C
from ..core import procs, tools
from ..core.errors import RinglabError
from ..debug import machine as debug_machine
from ..debug import replay as rr
from ..machine.qemu import QemuConfig
from .epilogue import Epilogue


def attach(target: Optional[str] = None, init: Optional[str] = None,
           ex: Sequence[str] = (), batch: bool = False) -> int:
    """Replace this process with an interactive gdb attached to the machine ``invoke boot
    --gdb`` started (or to ``target``, a gdbstub socket or host:port)."""
    def body(ep: Epilogue) -> int:
        nonlocal target, init
        waiting = debug_machine.read_target_files()
        if target is None:
            if not waiting:
                return ep.error("no machine is waiting for gdb: start one with `invoke boot "
                                "--gdb` in another terminal (or give --target SOCKET)")
            if len(waiting) > 1:
                return ep.error(f"{len(waiting)} machines wait for gdb; pick one: " + "; ".join(
                    f"invoke gdb --target {w['socket']} ({Path(w['init']).name})"
                    for w in waiting))
            info = waiting[0]
        else:
            info = next((w for w in waiting if w["socket"] == str(target)), {})
            if not info and "/" in str(target) and not Path(target).exists():
                return ep.error(f"--target {target}: no such socket")
        target = info.get("socket", target)
        kernel = info.get("kernel", C.KERNEL_IMAGE)
        init = init or info.get("init")
        programs = info.get("programs", ())
        gdb = tools.find_tool(C.GDB_BINARY)
        cmd = debug_machine.interactive_command(target, init=init, kernel=kernel, ex=ex,
                                                batch=batch, programs=programs)
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(gdb, [gdb] + cmd[1:])
        return 0  # not reached

    return Epilogue("gdb").run(body)


def replay(directory: str, *, ex: Sequence[str] = (), batch: bool = False,
           timeout_s: float = C.DEFAULT_GDB_BOOT_TIMEOUT_S) -> int:
    """``invoke gdb --replay DIR``: start the recording's replay halted at its first
    instruction and run an interactive gdb on it (kernel and init symbols, the ring
    extension), like ``invoke gdb``; the replay's console goes to DIR/replay-console.txt.
    gdb gets a replay channel (``ring-replay-channel``): when a ``reverse-to`` pass stalls,
    the extension asks for a fresh replay QEMU, this process stops the stalled one and
    starts another (same command line), and gdb reconnects to it. Every QEMU is stopped
    when gdb exits. Returns gdb's exit status."""
    def body(ep: Epilogue) -> int:
        rec = rr.Recording.load(directory)
        gdb = tools.find_tool(C.GDB_BINARY)
        console_path = rec.directory / rr.REPLAY_CONSOLE_FILE
        deadline = time.monotonic() + timeout_s
        proc: Optional[subprocess.Popen] = None
        old_sigint = signal.getsignal(signal.SIGINT)
        timed_out = False
        # The replay channel: gdb writes to request_w and reads answer_r.
        request_r, request_w = os.pipe()
        answer_r, answer_w = os.pipe()
        with open(console_path, "w") as console_file:
            replays = Replays(rec.replay_config(gdb=True), console_file, ep)
            try:
                socket = replays.start()
                ep.say(f"replaying {rec.directory} ({rec.detail}), halted at its first "
                       "instruction",
                       "gdb can go backwards: reverse-stepi, reverse-to-ring, reverse-to "
                       f"LOCATION; the console goes to {console_path}")
                channel = f"ring-replay-channel {request_w} {answer_r}"
                cmd = debug_machine.interactive_command(socket, init=rec.init,
                                                        kernel=rec.config.kernel,
                                                        ex=[channel, *ex], batch=batch)
                # Ctrl-C belongs to gdb (it interrupts the target); QEMU has a session of
                # its own.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                proc = subprocess.Popen(procs.dying_with_parent([gdb] + cmd[1:]),
                                        pass_fds=(request_w, answer_r))
                os.close(request_w)
                os.close(answer_r)
                request_w = answer_r = -1
                serve_console(replays.session, proc, deadline, replays, request_r, answer_w)
                if proc.poll() is None:
                    ep.error(f"gdb on the replay still ran after {timeout_s:g} s (--timeout): "
                             "gdb and QEMU stopped")
                    timed_out = True
            finally:
                procs.end(proc, C.DEFAULT_STOP_TIMEOUT_S, C.DEFAULT_KILL_TIMEOUT_S)
                replays.stop()
                signal.signal(signal.SIGINT, old_sigint)
                for fd in (request_r, request_w, answer_r, answer_w):
                    if fd >= 0:
                        os.close(fd)
        if timed_out:
            return C.EXIT_TIMEOUT
        return proc.returncode if proc is not None else 1

    return Epilogue("gdb").run(body)


class Replays:
    """The replay QEMU of one ``invoke gdb --replay``, restarted when gdb asks: at most one
    runs at a time; each writes its console to ``console_file``."""

    def __init__(self, config: QemuConfig, console_file: TextIO, ep: Epilogue) -> None:
        self.config, self.console_file, self.ep = config, console_file, ep
        self.session: Optional[lab.Session] = None

    def start(self) -> Path:
        """Start a replay halted at its first instruction; returns its gdbstub socket once
        it listens."""
        self.session = lab.Session(self.config, stream=self.console_file).start()
        return debug_machine.wait_for_gdbstub(self.session.machine)

    def restart(self) -> Path:
        """Stop the current replay (this ends whatever gdb waited for on it), start another."""
        old = self.session.machine.pid
        self.stop()
        socket = self.start()
        self.ep.say(f"the replay stalled: QEMU {old} stopped, a fresh replay (QEMU "
                    f"{self.session.machine.pid}) listens on {socket}")
        return socket

    def stop(self) -> None:
        if self.session is not None:
            self.session.machine.stop()


def serve_console(session: lab.Session, proc: subprocess.Popen, deadline: float,
                  replays: Optional[Replays] = None, requests: int = -1,
                  answers: int = -1) -> None:
    """Keep reading the replay's console (so QEMU never blocks on it) until gdb exits or the
    deadline passes. With ``replays``, also answer gdb's requests for a fresh replay on the
    ``requests`` pipe (``restart``, one line) on ``answers`` (``socket PATH`` or ``error
    MESSAGE``, one line); the console read is then the current replay's."""
    pidfd = os.pidfd_open(proc.pid)
    console_open, requests_open = True, replays is not None
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if replays is not None:
                session = replays.session
            fd = session.console.process.child_fd
            watch = [pidfd] + ([fd] if console_open else []) + \
                ([requests] if requests_open else [])
            ready, _, _ = select.select(watch, [], [], remaining)
            if fd in ready:
                found = session.console.expect([session.console.TIMEOUT,
                                                session.console.EOF], timeout_s=0)
                if found.eof:
                    console_open = False
            if requests_open and requests in ready:
                data = os.read(requests, 4096)
                requests_open = bool(data)
                for _ in range(data.count(b"\n")):
                    try:
                        answer = f"socket {replays.restart()}"
                        console_open = True
                    except RinglabError as err:                 # no replay runs now
                        answer = "error " + str(err).splitlines()[0]
                        console_open = False
                    os.write(answers, (answer + "\n").encode())
            if pidfd in ready:
                return
    finally:
        os.close(pidfd)
