"""``invoke boot --gdb`` (start halted with a gdbstub and say how to attach) and ``invoke boot
--record DIR`` (record the run for a replay under gdb). The rest of ``invoke boot`` is
``harness.cli.boot``; these two load the debug layer."""
from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Optional, Sequence, Union

from .. import lab
from ..core import constants as C
from ..core import outputs
from ..debug import machine as debug_machine
from ..debug import replay
from . import boot
from .epilogue import Epilogue, timeout_or

RECORDING_STEM = "rec"          # invoke boot --record without DIR: images/rec-DATE-TIME-PID


def gdb(init: Optional[str] = None, append: str = "", timeout_s: Optional[float] = None,
        files: Sequence[str] = (), cpu: Optional[str] = None,
        int_log: Union[bool, str] = False, kernel: Optional[str] = None,
        user: Optional[str] = None) -> int:
    """``invoke boot --gdb``: start the machine halted at its first instruction with a
    gdbstub, say how to attach, stream the console; exit with the machine status (and keep
    the -d int log as ``invoke boot --int-log`` does)."""
    timeout_s = timeout_or(timeout_s, C.DEFAULT_GDB_BOOT_TIMEOUT_S)

    def body(ep: Epilogue) -> int:
        cfg = lab.boot_config(init, files, append=append, int_log=bool(int_log), kernel=kernel,
                              cpu=cpu, user=user).replace(gdb=True)
        log_path = boot.int_log_path(int_log) if int_log else None
        socket: Optional[Path] = None
        with lab.Session(cfg, stream=sys.stdout) as session:
            try:
                socket = debug_machine.wait_for_gdbstub(session.machine)
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
        return ep.outcome(run, then=boot.kept_int_log(run, log_path) if log_path else ())

    return Epilogue("boot").run(body)


def record(directory: Optional[str], *, init: Optional[str] = None, append: str = "",
           timeout_s: Optional[float] = None, files: Sequence[str] = (),
           cpu: Optional[str] = None, kernel: Optional[str] = None,
           int_log: Union[bool, str] = False, also: Sequence[str] = (),
           user: Optional[str] = None) -> int:
    """``invoke boot --record DIR``: boot as ``invoke boot`` does, recording the run; say
    how to replay it. Exits with the machine status.

    Args:
        directory: where the recording goes; None: a new folder named for this run
            (images/rec-YYYYmmdd-HHMMSS-PID). A recording already there is replaced, and
            the task says so; one another run is making there now is refused.
        int_log: also keep QEMU's -d int log (in the recording, ``qemu-int.log``).
        also: other ``invoke boot`` options given (``--gdb``...), which recording refuses.
    """
    def body(ep: Epilogue) -> int:
        if also:
            return ep.error(f"--record cannot be combined with {', '.join(also)} (record "
                            "first, then debug the replay: invoke gdb --replay DIR)")
        cfg = lab.boot_config(init, files, append=append, int_log=bool(int_log),
                              kernel=kernel, cpu=cpu, user=user)
        cfg.validate()
        where = Path(directory) if directory else \
            outputs.per_run_path(RECORDING_STEM, is_dir=True)
        replaced = replay.is_recording(where)
        rec, run = replay.record(cfg, where, stream=sys.stdout,
                                 timeout_s=timeout_or(timeout_s, C.DEFAULT_BOOT_TIMEOUT_S))
        notes = [f"recorded in {rec.directory}"
                 + (" (replaced the recording that was there)" if replaced else "")]
        if cfg.int_log:
            notes.append(f"QEMU's -d int log: {rec.directory / replay.INT_LOG_FILE}")
        return ep.outcome(run, then=notes + [
            f"replay it under gdb (reverse-stepi, reverse-to-ring, reverse-to):  "
            f"invoke gdb --replay {shlex.quote(str(where))}"])

    return Epilogue("boot").run(body)
