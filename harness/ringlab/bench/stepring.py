"""Benchmark: instructions per second of the gdb extension's ``step-ring`` against plain gdb's
``stepi N``, on the same stretch of code, in the same conditions (one machine each, run
back to back).

Two paths:

- ``user``: images/user/spin (a ring-3 loop: every instruction is a user one until a timer
  interrupt takes it to ring 0). gdb stops at ``main``, then steps N instructions: ``stepi
  N`` (gdb's own loop) and ``step-ring N`` (ours; it ends at the first ring change, its
  ``steps=`` says how many it made).
- ``kernel``: images/user/gdb_write's ``write`` system call: from the kernel entry
  (``syscall_entry``, one ``stepi`` after ``write1_insn``) back to ring 3: ``step-ring``
  (naming the kernel functions on the way) and ``stepi N`` over the count step-ring made.

gdb (``gdb --nx -batch`` with the kernel's and the program's symbols and the ring
extension, as ``invoke gdb`` loads them) prints a monotonic timestamp from its own Python
around the measured command, so start-up and symbol loading are not counted.

Target: step-ring makes at least 1,000 instructions/s on each path. Usage::

    python -m ringlab.bench.stepring [--steps N] [--repeat R] [--path user|kernel|both]

Prints one line per run and the medians; exit status 0 when the target is met.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
from typing import List, Tuple

from .. import lab
from ..core import constants as C
from ..core import tools
from ..debug.machine import interactive_command, wait_for_gdbstub
from ..machine.qemu import QemuConfig, QemuMachine

TARGET_STEPS_PER_S = 1000.0
MARK = 'python print("RINGLAB-T", __import__("time").monotonic())'
RUN_TIMEOUT_S = 600.0


#: path -> (program, gdb commands that reach its start)
PATHS = {"user": ("spin", ["break main", "continue", "delete"]),
         "kernel": ("gdb_write", ["break *write1_insn", "continue", "delete", "stepi"])}


def one_run(steps: int, path: str = "user") -> Tuple[float, float]:
    """(plain stepi, step-ring) instructions per second on ``path``, one machine each."""
    ours, made = _rate(path, f"step-ring {steps}", r"steps=(\d+)", steps)
    return _rate(path, f"stepi {made}", None, made)[0], ours


def _rate(path: str, command: str, count_re, steps: int) -> Tuple[float, int]:
    """(instructions per second, instructions made) of ``command`` from ``path``'s start."""
    program, setup = PATHS[path]
    gdb = tools.find_tool(C.GDB_BINARY)
    cfg = QemuConfig(init=lab.program(program), gdb=True)
    with QemuMachine(cfg) as machine:
        socket = wait_for_gdbstub(machine)
        # -ex commands: an error (step-ring's "CPL stayed 3") does not stop the ones after it
        cmd = interactive_command(socket, init=cfg.init, kernel=cfg.kernel, batch=True,
                                  ex=setup + [MARK, command, MARK])
        res = subprocess.run([gdb] + cmd[1:], capture_output=True, text=True,
                             timeout=RUN_TIMEOUT_S, stdin=subprocess.DEVNULL)
    out = res.stdout + res.stderr
    times = [float(t) for t in re.findall(r"^RINGLAB-T (\S+)$", out, re.M)]
    if len(times) != 2:
        raise RuntimeError(f"{command}: no timestamps:\n{out[-3000:]}")
    made = steps
    if count_re is not None:
        m = re.search(count_re, out)
        made = int(m.group(1)) if m else steps      # no ring change: all N were made
    return made / (times[1] - times[0]), made


def main(argv: List[str] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=3000,
                    help="instructions per run on the user path (default 3000)")
    ap.add_argument("--repeat", type=int, default=3, help="runs (default 3; median)")
    ap.add_argument("--path", choices=("user", "kernel", "both"), default="both",
                    help="which code to step (default both)")
    args = ap.parse_args(argv)
    ok = True
    for path in (("user", "kernel") if args.path == "both" else (args.path,)):
        plain: List[float] = []
        ours: List[float] = []
        for i in range(args.repeat):
            p, o = one_run(args.steps, path)
            plain.append(p)
            ours.append(o)
            print(f"{path} run {i + 1}: stepi {p:7.0f} insn/s   step-ring {o:7.0f} insn/s",
                  flush=True)
        p, o = statistics.median(plain), statistics.median(ours)
        met = o >= TARGET_STEPS_PER_S
        ok = ok and met
        program = PATHS[path][0]
        print(f"median of {args.repeat} runs ({path} path, images/user/{program}):")
        print(f"  plain gdb stepi N: {p:7.0f} instructions/s")
        print(f"  step-ring N:       {o:7.0f} instructions/s  ({o / p:.2f}x stepi; target >= "
              f"{TARGET_STEPS_PER_S:g}/s): {'OK' if met else 'MISSED'}", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
