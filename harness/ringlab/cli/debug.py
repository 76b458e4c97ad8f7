"""``invoke debug``: one command, one terminal: boot a program halted, attach gdb with the
kernel's and every loaded program's symbols and the ring extension, and stop where asked:

- ``--at-fault``: at the stub of the first exception (vectors 0-31), then ``ring-fault``
  shows the faulting instruction, its source line, the decoded error code and the CPL;
- ``--break SYMBOL``: at a user or kernel symbol (``write``, ``sys_write``, ``*0x401042``);
- ``--at-syscall NAME``: at ``syscall_entry`` when RAX holds that system call's number;
- ``--from DIR``: a failed test's artifacts folder: the same boot, ``--at-fault``.

The console shares the terminal with gdb; QEMU is stopped when gdb exits. The last line
says how gdb and the machine ended (``ringlab-debug: gdb exited (status 0); the machine was
still running: QEMU stopped``); the exit status is gdb's (``--batch``: 1 when its last
command failed), EXIT_TIMEOUT (252) when ``--timeout`` stopped gdb, 2 for bad input.
"""
from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Optional, Sequence

from .. import lab
from ..core import constants as C
from ..core import kabi, procs, tools
from ..core.errors import BadConfig
from ..debug import artifacts
from ..debug import machine as debug_machine
from ..machine.qemu import QemuConfig
from ..machine.symbols import may_define, symbolizer
from .epilogue import Epilogue
from .gdb import serve_console
from . import options

_PLAIN_SYMBOL_RE = re.compile(r"^[A-Za-z_.$][\w.$]*$")


def stop_commands(cfg: QemuConfig, *, at_fault: bool = False, breaks: Sequence[str] = (),
                  at_syscall: Optional[str] = None) -> List[str]:
    """The gdb commands that take the halted machine where the options ask.

    Raises:
        BadConfig: an unknown system call or symbol, or no stop asked for twice.
    """
    k = kabi.load()
    cmds: List[str] = []
    for where in breaks:
        if _PLAIN_SYMBOL_RE.match(where):
            _check_symbol(where, cfg)
        cmds.append(f"break {where}")
    if at_syscall is not None:
        numbers = {name: nr for nr, name in k.syscalls.items()}
        if at_syscall not in numbers:
            raise BadConfig(f"--at-syscall {at_syscall}: not a system call the kernel "
                            f"knows (e.g. {', '.join(sorted(numbers)[:6])}...)")
        cmds.append(f"break *{k.symbol('syscall_entry')} if $rax == {numbers[at_syscall]}")
    if at_fault:
        if cmds:
            raise BadConfig("--at-fault stops at the first exception: give it alone")
        return ["ring-run-to-fault"]
    return cmds + ["continue", "ring"] if cmds else []


def _check_symbol(name: str, cfg: QemuConfig) -> None:
    """A --break name must be the kernel's or init's (gdb holds those symbols at the start).

    Raises:
        BadConfig: naming the programs that have it, if any.
    """
    if name in symbolizer(cfg.kernel) or name in symbolizer(cfg.init):
        return
    others = [m.name for m in cfg.modules()[1:]
              if may_define(m.path, name) and name in symbolizer(m.path)]
    if others:
        raise BadConfig(f"--break {name}: {Path(cfg.init).name} (init) has no {name}; "
                        f"{', '.join(others[:8])} do: --init one of them")
    raise BadConfig(f"--break {name}: no such symbol in {cfg.kernel} or {cfg.init}")


def main(init: Optional[str] = None, append: str = "", files: Sequence[str] = (),
         cpu: Optional[str] = None, at_fault: bool = False, breaks: Sequence[str] = (),
         at_syscall: Optional[str] = None, ex: Sequence[str] = (), batch: bool = False,
         from_dir: Optional[str] = None, timeout: Optional[str] = None,
         kernel: Optional[str] = None) -> int:
    """Boot halted, run gdb on this terminal with the stop commands, then ``ex``.

    ``from_dir``: a failed test's artifacts folder: the machine its machine.json describes
    (its own copies where the originals are gone or changed), ``--at-fault`` unless another
    stop is asked for.

    Returns gdb's exit status (2 for a bad option or file, before QEMU starts).
    """
    def body(ep: Epilogue) -> int:
        nonlocal at_fault
        timeout_s = options.seconds(timeout, C.DEFAULT_GDB_BOOT_TIMEOUT_S)
        if from_dir is not None:
            if init is not None or append or files or cpu is not None or kernel is not None:
                return ep.error("--from DIR boots what the artifacts say: give no --init, "
                                "--append, --file, --cpu or --kernel with it")
            cfg = artifacts.machine_from(from_dir).config.replace(int_log=False)
            at_fault = at_fault or not (breaks or at_syscall)
        else:
            cfg = lab.boot_config(init, files, append=append, cpu=cpu, kernel=kernel)
        cfg = cfg.replace(gdb=True)
        cfg.validate()
        stops = stop_commands(cfg, at_fault=at_fault, breaks=breaks, at_syscall=at_syscall)
        gdb = tools.find_tool(C.GDB_BINARY)
        return _run(ep, gdb, cfg, list(stops) + list(ex), batch, timeout_s)

    return Epilogue("debug", interrupted="QEMU and gdb stopped").run(body)


def _run(ep: Epilogue, gdb: str, cfg: QemuConfig, commands: List[str], batch: bool,
         timeout_s: float) -> int:
    deadline = time.monotonic() + timeout_s
    proc: Optional[subprocess.Popen] = None
    old_sigint = signal.getsignal(signal.SIGINT)
    with lab.Session(cfg, stream=sys.stdout) as session:
        try:
            socket = debug_machine.wait_for_gdbstub(session.machine)
            ep.say(f"machine halted at its first instruction: {lab.invoke_line(cfg)}",
                   "gdb: " + ("; ".join(commands) if commands else "(no stop asked: "
                              "`continue`, or break first)"))
            cmd = debug_machine.interactive_command(
                socket, init=cfg.init, kernel=cfg.kernel, ex=commands, batch=batch,
                programs=[m.path for m in cfg.modules()])
            # Ctrl-C belongs to gdb (it interrupts the target); QEMU has a session of its own.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            proc = subprocess.Popen(procs.dying_with_parent([gdb] + cmd[1:]))
            serve_console(session, proc, deadline)
            timed_out = proc.poll() is None
            if timed_out:
                # QEMU first: gdb sees its target go and ends by itself (a SIGTERM in the
                # middle of a command makes gdb's Python print a traceback on its way out)
                session.machine.stop()
                procs.wait_pid_exit(proc.pid, C.DEFAULT_STOP_TIMEOUT_S)
        finally:
            procs.end(proc, C.DEFAULT_STOP_TIMEOUT_S, C.DEFAULT_KILL_TIMEOUT_S)
            signal.signal(signal.SIGINT, old_sigint)
        return _ended(ep, session, proc.returncode, timed_out, timeout_s)


def _ended(ep: Epilogue, session: lab.Session, gdb_status: int, timed_out: bool,
           timeout_s: float) -> int:
    """Say how gdb and the machine ended; returns invoke debug's exit status: EXIT_TIMEOUT
    when --timeout stopped gdb, else gdb's own status (``--batch``: 1 when its last command
    failed), 1 for a gdb killed by a signal."""
    if session.machine.has_exited() and not session.machine.stopped_by_harness:
        run = session.finish(C.DEFAULT_KILL_TIMEOUT_S)
        machine = f"the machine: {run.outcome.value}: {run.verdict.detail}"
    else:
        machine = "the machine was still running: QEMU stopped"
    if timed_out:
        ep.say(f"timed out: gdb still ran after {timeout_s:g} s (--timeout): gdb stopped; "
               f"{machine}")
        return C.EXIT_TIMEOUT
    status = gdb_status if gdb_status >= 0 else 1
    ep.say(f"gdb exited (status {gdb_status if gdb_status >= 0 else 'signal ' + str(-gdb_status)})"
           f"; {machine}")
    return status
