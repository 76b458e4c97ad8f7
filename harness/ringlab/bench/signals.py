"""Benchmark: signals delivered to a handler and returned from (rt_sigreturn) per second,
measured inside the guest.

The guest is images/user/bench_signals: N signals sent to itself with each of
``kill(getpid())`` (SI_USER), ``raise()`` (tgkill between two rt_sigprocmask calls in musl)
and ``tgkill`` (SI_TKILL); a handler counts them (the program fails if a count is wrong). A
signal sent to oneself, unblocked, is delivered before the sending call returns, so each one
is a delivery and a return; CLOCK_MONOTONIC inside the program times each loop (ringlab's
clock ticks at 10 ms: the default N spans many ticks). For scale the program first times 10 N
getpid calls. The same binary runs on the host's Linux. ``--trace`` boots ringlab with
``trace=signal`` as well, to show what the delivery and return lines cost.

Target: at least 20,000 signals per second in ringlab under TCG for every sender. Usage::

    python -m ringlab.bench.signals [--signals N] [--cpu MODEL] [--trace]

Prints one line per figure (name, ringlab, host), the share of a CPU QEMU had (the guest's
clock is the host's: a busy host slows the figures) with the host's load average, and a
summary line; exit status 0 when every sender meets the target (the default kernel
arguments), 1 otherwise.
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from typing import Dict, List, Tuple

from .. import lab
from ..core import constants as C
from . import guest

PROGRAM = "bench_signals"
TARGET_PER_S = 20_000
DEFAULT_SIGNALS = 30_000
SENDERS = ("kill_per_s", "raise_per_s", "tgkill_per_s")
TRACED_SIGNALS = 3_000          # with trace=signal: two console lines per signal, far slower


def cpu_share(run) -> Tuple[Dict[str, float], float]:
    """Call ``run()`` (a boot); returns its figures and the share of one CPU its child
    processes (QEMU) used over the call's wall time: the guest's clock is the host's, so a
    share well below 1 means the host's other load slowed the figures down."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    figures = run()
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return figures, cpu / wall if wall > 0 else float("nan")


def main(argv: List[str] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--signals", type=int, default=DEFAULT_SIGNALS,
                    help=f"signals per sender (default {DEFAULT_SIGNALS})")
    ap.add_argument("--cpu", default=C.DEFAULT_CPU, help="QEMU CPU model")
    ap.add_argument("--trace", action="store_true",
                    help=f"also boot with trace=signal ({TRACED_SIGNALS} signals per sender)")
    args = ap.parse_args(argv)
    if args.signals < 1:
        print("bench_signals: need --signals >= 1", file=sys.stderr)
        return 2
    ring, share = cpu_share(lambda: guest.on_ringlab(PROGRAM, args.cpu,
                                                     append=f"init.args={args.signals}"))
    host = guest.on_host(PROGRAM, [str(args.signals)])
    traced = (guest.on_ringlab(PROGRAM, args.cpu, append=lab.with_trace(
        f"init.args={TRACED_SIGNALS}", "signal")) if args.trace else {})
    print(f"{'per second':16} {'ringlab':>10} {'host':>10}"
          + (f" {'trace=signal':>13}" if args.trace else "")
          + f"   ({args.signals} each; cpu {args.cpu}, TCG)")
    for name in ("getpid_per_s",) + SENDERS:
        print(f"{name:16} {ring.get(name, float('nan')):10.0f} {host.get(name, float('nan')):10.0f}"
              + (f" {traced.get(name, float('nan')):13.0f}" if args.trace else ""))
    print(f"(QEMU used {share:.0%} of a CPU during the ringlab boot; the host's load average: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())})")
    worst = min(ring.get(name, 0.0) for name in SENDERS)
    ok = worst >= TARGET_PER_S
    print(f"signals: {worst:.0f} deliveries and returns per second (slowest sender; target >= "
          f"{TARGET_PER_S}): {'OK' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
