"""``invoke boot --gdb`` (start halted with a gdbstub and say how to attach) and ``invoke boot
--record DIR`` (record the run for a replay under gdb). The rest of ``invoke boot`` is
``harness.cli.boot``; these two load the debug layer."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional, Sequence

from .. import lab
from ..core import constants as C
from ..debug import machine as debug_machine
from ..debug import replay
from ..machine.sockets import wait_for_socket
from .epilogue import Epilogue, timeout_or


def gdb(init: Optional[str] = None, append: str = "", timeout_s: Optional[float] = None,
        files: Sequence[str] = (), cpu: Optional[str] = None, int_log: bool = False,
        kernel: Optional[str] = None, user: Optional[str] = None) -> int:
    """``invoke boot --gdb``: start the machine halted at its first instruction with a
    gdbstub, say how to attach, stream the console; exit with the machine status."""
    timeout_s = timeout_or(timeout_s, C.DEFAULT_GDB_BOOT_TIMEOUT_S)

    def body(ep: Epilogue) -> int:
        cfg = lab.boot_config(init, files, append=append, int_log=int_log, kernel=kernel,
                              cpu=cpu, user=user).replace(gdb=True)
        socket: Optional[Path] = None
        with lab.Session(cfg, stream=sys.stdout) as session:
            try:
                socket = session.machine.gdb_socket
                wait_for_socket(socket, session.machine.pid, C.DEFAULT_GDB_CONNECT_TIMEOUT_S)
                debug_machine.write_target_file(socket, cfg)
                hand = shlex.join(debug_machine.interactive_command(socket, init=cfg.init,
                                                                    kernel=cfg.kernel))
                ep.say(f"machine halted at its first instruction; gdbstub on {socket}",
                       "attach from another terminal:  invoke gdb",
                       f"(or by hand: {hand})")
                run = session.finish(timeout_s)
            finally:
                if socket is not None:
                    debug_machine.remove_target_file(socket)
        return ep.outcome(run)

    return Epilogue("boot").run(body)


def record(directory: str, *, init: Optional[str] = None, append: str = "",
           timeout_s: Optional[float] = None, files: Sequence[str] = (),
           cpu: Optional[str] = None, kernel: Optional[str] = None,
           int_log: bool = False, also: Sequence[str] = (), user: Optional[str] = None) -> int:
    """``invoke boot --record DIR``: boot as ``invoke boot`` does, recording the run; say
    how to replay it. Exits with the machine status.

    Args:
        also: other ``invoke boot`` options given (``--gdb``...), which recording refuses.
    """
    def body(ep: Epilogue) -> int:
        if also:
            return ep.error(f"--record cannot be combined with {', '.join(also)} (record "
                            "first, then debug the replay: invoke gdb --replay DIR)")
        cfg = lab.boot_config(init, files, append=append, int_log=int_log, kernel=kernel,
                              cpu=cpu, user=user)
        rec, run = replay.record(cfg, directory, stream=sys.stdout,
                                 timeout_s=timeout_or(timeout_s, C.DEFAULT_BOOT_TIMEOUT_S))
        return ep.outcome(run, then=[
            f"recorded in {rec.directory}",
            f"replay it under gdb (reverse-stepi, reverse-to-ring, reverse-to):  "
            f"invoke gdb --replay {directory}"])

    return Epilogue("boot").run(body)
