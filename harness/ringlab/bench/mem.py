"""Benchmark: guest time of memory system calls given the largest ranges the ABI allows.

Boots images/user/memrange (R times, on one CPU model) and collects what it prints: the
guest time of a 64 MiB mmap and of its munmap (work in proportion to what is mapped: zeroing,
freeing; a spinner forked beside it takes every other timer tick), and of each largest-range
call (mmap of the whole user half, MAP_FIXED over it, brk to the mmap region and to 16 TiB,
mprotect of the half, munmap from the heap to the stack). Guest time is memrange's TSC,
calibrated against CLOCK_MONOTONIC in ring 3. Usage::

    python -m ringlab.bench.mem [--repeat R] [--cpu MODEL]

Prints one line per call (median and maximum over the runs, in ms of guest time); exit
status 0 when every largest-range call stayed below 50 ms in every run.
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
from collections import defaultdict
from typing import Dict, List, Optional, Tuple

from .. import lab
from ..core import constants as C
from ..machine.qemu import QemuConfig

PROGRAM = "memrange"
LIMIT_MS = 50.0
TIMED_RE = re.compile(r"memrange: (?P<call>.+) -> .+ in (?P<ms>[\d.]+) ms \(.*\)")
WORK_RE = re.compile(r"memrange: (?P<call>(?:long mmap|munmap) of (?:the )?\d+ MiB) returned .* after "
                     r"(?P<ms>[\d.]+) ms")


def one_run(cpu: str) -> Dict[str, Tuple[bool, float]]:
    """call -> (is a largest-range call, guest ms) of one boot of memrange.

    Raises:
        RuntimeError: memrange did not exit 0 (the run's report is the message).
    """
    run = lab.run(QemuConfig(init=lab.program(PROGRAM), cpu=cpu), timeout_s=120)
    if run.status != 0:
        raise RuntimeError(run.report())
    found = {}
    for line in run.user_lines:
        for largest, regex in ((True, TIMED_RE), (False, WORK_RE)):
            m = regex.fullmatch(line)
            if m:
                found[m["call"]] = (largest, float(m["ms"]))
    return found


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="boots of memrange (default 5)")
    ap.add_argument("--cpu", default=C.DEFAULT_CPU, help=f"QEMU CPU model (default {C.DEFAULT_CPU})")
    args = ap.parse_args(argv)
    times: Dict[str, List[float]] = defaultdict(list)
    largest: Dict[str, bool] = {}
    for _ in range(args.repeat):
        for call, (is_largest, ms) in one_run(args.cpu).items():
            times[call].append(ms)
            largest[call] = is_largest
    ok = True
    print(f"{PROGRAM} on -cpu {args.cpu}, {args.repeat} boots: guest ms, median / max")
    for call, ms in times.items():
        over = largest[call] and max(ms) >= LIMIT_MS
        ok &= not over
        print(f"  {call:45s} {statistics.median(ms):9.3f} / {max(ms):9.3f}"
              f"{'  OVER 50 ms' if over else ''}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
