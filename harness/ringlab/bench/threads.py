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
import sys

from ..core import constants as C
from . import guest

PROGRAM = "bench_threads"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", default=C.DEFAULT_CPU, help="QEMU CPU model")
    args = ap.parse_args(argv)
    ring, host = guest.on_ringlab(PROGRAM, args.cpu), guest.on_host(PROGRAM)
    print(f"{'figure':18} {'ringlab':>10} {'host':>10}   (cpu {args.cpu}, TCG)")
    for name in ring:
        print(f"{name:18} {ring[name]:10.1f} {host.get(name, float('nan')):10.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
