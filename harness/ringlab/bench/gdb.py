"""Benchmark: gdb stops per second through the harness vs plain ``gdb -batch``.

One stop = continue to a breakpoint + read a register. The guest is images/user/gdb_spin
spinning forever (``init.args=0``) with a breakpoint on ``spin_step``, which it calls once
per iteration, so every continue stops again after a handful of instructions: the figure
measures gdb, the MI plumbing and QEMU's gdbstub, not the guest.

- harness: ``DebugMachine`` + ``GdbSession.cont(read=["rip"])`` (the register read is
  sent right behind the continue: plain gdb reading a command file does the same).
- plain gdb: ``gdb --nx -batch -x CMDS`` where CMDS is N times ``continue`` + ``p/x $rip``
  against a machine started the same way; gdb's own Python prints a monotonic timestamp
  before and after the N stops, so its start-up and symbol loading are not counted (the
  harness figure leaves them out too).

Targets: the harness reaches at least 100 stops/s and takes at most 1.5x the
time plain gdb takes. Usage::

    python -m ringlab.bench.gdb [--stops N] [--repeat R]

Prints one line per run and a summary; exit status 0 when both targets are met.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import List

from .. import lab
from ..core import constants as C
from ..core import tools
from ..debug.machine import DebugMachine
from ..machine.qemu import QemuConfig, QemuMachine
from ..machine.sockets import wait_for_socket

TARGET_STOPS_PER_S = 100.0
TARGET_RATIO = 1.5
PROGRAM = "gdb_spin"
BREAK_AT = "spin_step"


def _config() -> QemuConfig:
    return QemuConfig(init=lab.program(PROGRAM), append="init.args=0")   # spin forever


def harness_stops_per_s(stops: int) -> float:
    """Stops per second through DebugMachine/GdbSession."""
    with DebugMachine(_config(), extension=False) as dm:
        g = dm.gdb
        g.break_at(BREAK_AT)
        g.cont(timeout_s=30, what=BREAK_AT, read=["rip"])   # the first stop: not timed
        t0 = time.monotonic()
        for _ in range(stops):
            stop = g.cont(timeout_s=30, what=BREAK_AT, read=["rip"])
            if stop.registers["rip"] != stop.rip:
                raise RuntimeError(f"rip {stop.registers['rip']:#x} at a stop at {stop.rip:#x}")
        return stops / (time.monotonic() - t0)


def plain_gdb_stops_per_s(stops: int) -> float:
    """Stops per second of ``gdb -batch`` doing the same stops against the same machine."""
    gdb = tools.find_tool(C.GDB_BINARY)
    machine = QemuMachine(_config().replace(gdb=True))
    with machine, tempfile.TemporaryDirectory(prefix="ringlab-bench-") as tmp:
        wait_for_socket(machine.gdb_socket, machine.pid, C.DEFAULT_GDB_CONNECT_TIMEOUT_S)
        cmds = Path(tmp) / "stops.gdb"
        mark = 'python print("RINGLAB-T", __import__("time").monotonic())\n'
        cmds.write_text(
            "set pagination off\nset confirm off\nset architecture i386:x86-64\n"
            f"file {C.KERNEL_IMAGE}\nadd-symbol-file {lab.program(PROGRAM)}\n"
            f"target remote {machine.gdb_socket}\nbreak *{BREAK_AT}\ncontinue\np/x $rip\n"
            + mark + "continue\np/x $rip\n" * stops + mark)
        res = subprocess.run([gdb, "--nx", "--batch", "-x", str(cmds)], capture_output=True,
                             text=True, timeout=300, stdin=subprocess.DEVNULL)
        times = [float(t) for t in re.findall(r"^RINGLAB-T (\S+)$", res.stdout, re.M)]
        hits = len(re.findall(r"^Breakpoint 1, ", res.stdout, re.M))
        if len(times) != 2 or hits != stops + 1:
            raise RuntimeError(f"plain gdb did not make {stops + 1} stops (saw {hits}):\n"
                               + res.stdout[-2000:] + res.stderr[-2000:])
        return stops / (times[1] - times[0])


def main(argv: List[str] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--stops", type=int, default=500, help="stops per run (default 500)")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each (default 3; median)")
    args = ap.parse_args(argv)
    ours: List[float] = []
    plain: List[float] = []
    for i in range(args.repeat):
        ours.append(harness_stops_per_s(args.stops))
        plain.append(plain_gdb_stops_per_s(args.stops))
        print(f"run {i + 1}: harness {ours[-1]:7.1f} stops/s   plain gdb -batch "
              f"{plain[-1]:7.1f} stops/s", flush=True)
    h, p = statistics.median(ours), statistics.median(plain)
    ratio = p / h            # time per stop, harness / plain gdb
    ok = h >= TARGET_STOPS_PER_S and ratio <= TARGET_RATIO
    print(f"median of {args.repeat} x {args.stops} stops (break {BREAK_AT} + continue + "
          f"read rip):")
    print(f"  harness (GdbSession over MI): {h:7.1f} stops/s  ({1000 / h:.2f} ms/stop)")
    print(f"  plain gdb -batch:             {p:7.1f} stops/s  ({1000 / p:.2f} ms/stop)")
    print(f"  harness time / plain time:    {ratio:7.2f}x   (target <= {TARGET_RATIO}x; "
          f">= {TARGET_STOPS_PER_S:g} stops/s): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
