"""Benchmark: what switching the TSS I/O bitmap costs a process switch (prints figures).

    python -m ringlab.bench.ioperm [--runs N] [--ticks T]

Boots images/user/iobench once per mode and run (interleaved), each measuring sched_yield
round trips between two processes for T ticks of the guest's 100 Hz clock, and prints the
median nanoseconds per process switch (wall time under QEMU TCG: compare the rows, not the
absolute numbers). The modes (userland/iobench.c): ``none`` and ``iopl`` store TSS.iomap_base
only; ``shared`` (a bitmap inherited by fork, same contents) copies nothing; ``uart`` copies
128 bytes per switch (ports up to 0x3ff), the most any process can cause: ioperm gives no port
above 0x3ff (kernel/ioperm.c's policy; an earlier ``ffff`` mode copied 8 KiB for port 0xffff).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
from typing import Dict, List

from .. import lab
from ..machine import build

MODES = ("none", "iopl", "shared", "uart")
_LINE = re.compile(r"iobench: mode=(\w+) round_trips=(\d+) ns_per_switch=(\d+)")


def measure(mode: str, ticks: int) -> int:
    """One boot: nanoseconds per switch in ``mode``.

    Raises:
        SystemExit: the program did not print its line (the run's report is the message).
    """
    run = lab.run(lab.boot_config(lab.program("iobench"),
                                  append=lab.with_init_args("", mode, str(ticks))))
    for line in run.user_lines:
        m = _LINE.match(line)
        if m and m.group(1) == mode:
            return int(m.group(3))
    raise SystemExit(f"bench: iobench {mode} printed no figure\n{run.report()}")


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(prog="python -m ringlab.bench.ioperm")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--ticks", type=int, default=50)
    args = ap.parse_args(argv)
    build.build()
    ns: Dict[str, List[int]] = {m: [] for m in MODES}
    for _ in range(args.runs):
        for m in MODES:
            ns[m].append(measure(m, args.ticks))
    base = statistics.median(ns["none"])
    print(f"{'mode':8} {'median ns/switch':>17} {'vs none':>8}   runs")
    for m in MODES:
        med = statistics.median(ns[m])
        print(f"{m:8} {med:17.0f} {med / base:7.2f}x   {' '.join(map(str, ns[m]))}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
