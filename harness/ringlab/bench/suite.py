"""Benchmark: how long the test suite takes. Prints figures; not a test.

    python -m ringlab.bench.suite [--whole] [--runs N]

Runs ``invoke test-quick`` (and with ``--whole`` the whole ``invoke test``: the suite and,
beside it, its sanitizer pass) from this checkout, each ``--runs`` times, and prints for
each run: the wall time, the CPU time (user + system of every process it started and
reaped: pytest, its workers, QEMU, gdb, compilers), the tests pytest counted (its closing
lines: passed, failed, skipped, deselected) and its exit status; then the host's load
average, which says how far the wall time is the suite's own.

The goals (issue 21): ``invoke test-quick`` at most 10 s and ``invoke test`` at most 60 s of
wall time on 2 cores. On a host whose cores other work shares, the CPU time is the steadier
figure: ``CPU / cores`` is the least wall time the suite could take here.

Python's byte-code cache is on for the runs (``PYTHONDONTWRITEBYTECODE`` is dropped from
their environment, as bench.boot does): with it off every pytest worker and every ``invoke``
a test starts compiles the harness and the tests again (seconds each time), which no
developer's or CI's checkout does. Exit status 0 when every run's pytest passed.
"""
from __future__ import annotations

import argparse
import os
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Dict, List, Optional

from ..core import constants as C

GOALS_S = {"test-quick": 10.0, "test": 60.0}
TIMEOUT_S = 5400.0                  # CI allows 90 minutes
#: pytest's closing line: ``== 3 failed, 1215 passed, 5 skipped in 528.29s (0:08:48) ==``
CLOSING_RE = re.compile(r"^=+ (?P<counts>(?:\d+ \w+(?:, )?)+) in (?P<secs>[\d.]+)s")


@dataclass
class SuiteRun:
    """One ``invoke TASK``: wall and CPU seconds, pytest's counts (summed over its closing
    lines: the whole suite has two, the sanitizer pass's too) and the exit status."""

    task: str
    wall_s: float
    cpu_s: float
    counts: Dict[str, int]
    rc: int

    def line(self) -> str:
        counts = ", ".join(f"{n} {k}" for k, n in sorted(self.counts.items())) or "no counts"
        goal = GOALS_S.get(self.task)
        verdict = "" if goal is None else \
            f"   goal <= {goal:g} s: {'met' if self.wall_s <= goal else 'MISSED'}"
        return (f"invoke {self.task:<10} wall {self.wall_s:7.1f} s   CPU {self.cpu_s:7.1f} s   "
                f"rc {self.rc}   {counts}{verdict}")


def counts_of(output: str) -> Dict[str, int]:
    """pytest's counts from every closing line in ``output`` (``{"passed": 1215, ...}``)."""
    out: Dict[str, int] = {}
    for line in output.splitlines():
        m = CLOSING_RE.match(line.strip())
        if m:
            for part in m.group("counts").split(", "):
                n, kind = part.split(" ", 1)
                out[kind] = out.get(kind, 0) + int(n)
    return out


def _child_cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run(task: str) -> SuiteRun:
    """Run ``invoke TASK`` once in the repository (byte-code cache on); its figures."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    cpu0, t0 = _child_cpu(), time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "invoke", task], cwd=C.REPO_ROOT, env=env,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True,
                         timeout=TIMEOUT_S)
    wall, cpu = time.perf_counter() - t0, _child_cpu() - cpu0
    return SuiteRun(task, wall, cpu, counts_of(res.stdout), res.returncode)


def main(argv: Optional[List[str]] = None) -> int:
    """Parse ``argv`` (default sys.argv), run the tasks, print; 0 when every run passed."""
    ap = argparse.ArgumentParser(prog="python -m ringlab.bench.suite", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--whole", action="store_true",
                    help="also the whole `invoke test` (minutes of every core)")
    ap.add_argument("--runs", type=int, default=1, help="runs of each task (default 1)")
    args = ap.parse_args(argv)
    tasks = ["test-quick"] + (["test"] if args.whole else [])
    print(f"ringlab suite benchmark: {os.cpu_count()} cores, load average "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} before", flush=True)
    ok = True
    for _ in range(args.runs):
        for task in tasks:
            r = run(task)
            ok = ok and r.rc == 0
            print(r.line(), flush=True)
            print(f"  CPU / {os.cpu_count()} cores = {r.cpu_s / (os.cpu_count() or 1):.1f} s "
                  f"(the least wall time here); load average "
                  f"{' '.join(f'{x:.2f}' for x in os.getloadavg())} after", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
