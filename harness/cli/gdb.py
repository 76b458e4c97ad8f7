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
from typing import Optional, Sequence

from .. import lab
from ..core import constants as C
from ..core import procs, tools
from ..debug import machine as debug_machine
from ..debug import replay as rr
from ..machine.sockets import wait_for_socket
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
    QEMU is stopped when gdb exits. Returns gdb's exit status."""
    def body(ep: Epilogue) -> int:
        rec = rr.Recording.load(directory)
        gdb = tools.find_tool(C.GDB_BINARY)
        console_path = rec.directory / rr.REPLAY_CONSOLE_FILE
        deadline = time.monotonic() + timeout_s
        proc: Optional[subprocess.Popen] = None
        old_sigint = signal.getsignal(signal.SIGINT)
        timed_out = False
        with open(console_path, "w") as console_file, \
                lab.Session(rec.replay_config(gdb=True), stream=console_file) as session:
            try:
                socket = session.machine.gdb_socket
                wait_for_socket(socket, session.machine.pid, C.DEFAULT_GDB_CONNECT_TIMEOUT_S)
                ep.say(f"replaying {rec.directory} ({rec.detail}), halted at its first "
                       "instruction",
                       "gdb can go backwards: reverse-stepi, reverse-to-ring, reverse-to "
                       f"LOCATION; the console goes to {console_path}")
                cmd = debug_machine.interactive_command(socket, init=rec.init,
                                                        kernel=rec.config.kernel, ex=ex,
                                                        batch=batch)
                # Ctrl-C belongs to gdb (it interrupts the target); QEMU has a session of
                # its own.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                proc = subprocess.Popen(procs.dying_with_parent([gdb] + cmd[1:]))
                serve_console(session, proc, deadline)
                if proc.poll() is None:
                    ep.error(f"gdb on the replay still ran after {timeout_s:g} s (--timeout): "
                             "gdb and QEMU stopped")
                    timed_out = True
            finally:
                procs.end(proc, C.DEFAULT_STOP_TIMEOUT_S, C.DEFAULT_KILL_TIMEOUT_S)
                signal.signal(signal.SIGINT, old_sigint)
        if timed_out:
            return C.EXIT_TIMEOUT
        return proc.returncode if proc is not None else 1

    return Epilogue("gdb").run(body)


def serve_console(session: lab.Session, proc: subprocess.Popen, deadline: float) -> None:
    """Keep reading the replay's console (so QEMU never blocks on it) until gdb exits or the
    deadline passes."""
    pidfd = os.pidfd_open(proc.pid)
    try:
        fd = session.console.process.child_fd
        watch = [pidfd, fd]
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            ready, _, _ = select.select(watch, [], [], remaining)
            if fd in ready and fd in watch:
                found = session.console.expect([session.console.TIMEOUT,
                                                session.console.EOF], timeout_s=0)
                if found.eof:
                    watch.remove(fd)
            if pidfd in ready:
                return
    finally:
        os.close(pidfd)
