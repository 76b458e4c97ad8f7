"""Benchmark: what threads cost in ringlab next to the host's Linux.

The guest is images/user/bench_threads (2,000 pthread_create + pthread_join, 20,000
condition-variable round trips between two threads, 4 threads x 200,000 mutex-protected
increments), timed inside each system with CLOCK_MONOTONIC (ringlab's ticks are 10 ms, so
each figure spans many ticks). The same static binary runs on the host. Usage::

    python -m ringlab.bench.threads [--cpu MODEL]

Prints one line per figure: name, ringlab, host.
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Dict

from .. import lab
from ..core import constants as C
from ..machine.qemu import QemuConfig

PROGRAM = "bench_threads"
FIGURE_RE = re.compile(r"(\w+)=([\d.]+)")
TIMEOUT_S = 300.0


def figures(lines) -> Dict[str, float]:
    """``bench_threads: name=value (what)`` lines -> {name: value}."""
    out: Dict[str, float] = {}
    for line in lines:
        if line.startswith(PROGRAM + ": "):
            name, value = FIGURE_RE.search(line).groups()
            out[name] = float(value)
    return out


def on_ringlab(cpu: str) -> Dict[str, float]:
    run = lab.run(QemuConfig(init=lab.program(PROGRAM), cpu=cpu), timeout_s=TIMEOUT_S)
    if run.status != 0:
        raise SystemExit(run.report())
    return figures(run.user_lines)


def on_host() -> Dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        exe = Path(d) / PROGRAM
        exe.write_bytes(lab.program(PROGRAM).read_bytes())
        exe.chmod(0o755)
        out = subprocess.run([str(exe)], cwd=d, capture_output=True, text=True,
                             timeout=TIMEOUT_S, check=True).stdout
    return figures(out.splitlines())


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", default=C.DEFAULT_CPU, help="QEMU CPU model")
    args = ap.parse_args(argv)
    ring, host = on_ringlab(args.cpu), on_host()
    print(f"{'figure':18} {'ringlab':>10} {'host':>10}   (cpu {args.cpu}, TCG)")
    for name in ring:
        print(f"{name:18} {ring[name]:10.1f} {host.get(name, float('nan')):10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
