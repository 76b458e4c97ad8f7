"""Boot benchmark (issue 2, acceptance 6): prints figures; not a test.

    python -m harness.bench.boot [--runs N]

Wall time, median of N runs, of:
  1. ``invoke boot`` with the default init (Python start-up, harness, QEMU, kernel, init);
  2. ``lab.run()`` in-process (the harness without Python/invoke start-up);
  3. the bare QEMU command printed by ``invoke boot --dry-run``;
  4. the same QEMU command booting a trivial kernel that only prints a line and exits
     (built on the fly from a few lines of assembly: harness.tinykernel).
The goal: (3) within 1.5x of (4).

With ``--cpu A --cpu B ...`` it times the bare QEMU command once per CPU model instead, interleaved
(the comparison behind the default model, README "CPU models"), with each model's ``ringlab:
cpu`` line and the number of warnings QEMU printed.

With ``--suite`` it also runs the test suites once each and prints their wall time and
counts: the quick subset (``invoke test-quick``) and the whole suite (``invoke test``,
which CI runs; CI allows 90 minutes).
"""
from __future__ import annotations

import argparse
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, List

from ..machine import build
from ..core import constants as C
from .. import lab
from ..machine.qemu import QemuConfig
from ..machine.tinykernel import build_tiny_kernel

GOAL_RATIO = 1.5


def _time(fn: Callable[[], None], runs: int) -> List[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _run(argv: List[str], expect_rc: int) -> None:
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, timeout=120, cwd=C.REPO_ROOT)
    if res.returncode != expect_rc:
        raise SystemExit(f"bench: {shlex.join(argv)} exited {res.returncode}, expected "
                         f"{expect_rc}\n{res.stderr}")


def _fmt(name: str, times: List[float]) -> str:
    med = statistics.median(times)
    return (f"{name:<46} median {med * 1000:7.1f} ms   min {min(times) * 1000:7.1f}   "
            f"max {max(times) * 1000:7.1f}")


def main(argv: List[str] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10, help="runs per figure (default 10)")
    ap.add_argument("--cpu", action="append", dest="cpus", metavar="MODEL",
                    help="a CPU model to compare (repeat; times the bare QEMU command)")
    ap.add_argument("--suite", action="store_true",
                    help="also time the quick subset and the whole test suite (once each)")
    args = ap.parse_args(argv)
    n = args.runs

    build.build(capture=True)
    dry = subprocess.run([sys.executable, "-m", "invoke", "boot", "--dry-run"], cwd=C.REPO_ROOT,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60)
    if dry.returncode != 0:
        raise SystemExit(f"bench: invoke boot --dry-run failed: {dry.stderr}")
    qemu_argv = shlex.split(dry.stdout)
    if args.cpus:
        return _compare_cpus(qemu_argv, args.cpus, n)

    with tempfile.TemporaryDirectory(prefix="ringlab-bench-") as tmp:
        tiny = build_tiny_kernel("exit", Path(tmp), status=0)
        tiny_argv = list(qemu_argv)
        tiny_argv[tiny_argv.index("-kernel") + 1] = str(tiny)
        i = tiny_argv.index("-initrd")
        del tiny_argv[i:i + 2]

        print(f"ringlab boot benchmark: {n} runs each, median (TCG, default init)")
        t_invoke = _time(lambda: _run([sys.executable, "-m", "invoke", "boot"], 0), n)
        print(_fmt("invoke boot (default init)", t_invoke), flush=True)

        def in_process() -> None:
            run = lab.run(QemuConfig())
            if run.exit_status != 0:
                raise SystemExit("bench: lab.run failed:\n" + run.report())
        t_lab = _time(in_process, n)
        print(_fmt("lab.run() in-process (harness + QEMU)", t_lab), flush=True)

        t_qemu = _time(lambda: _run(qemu_argv, 1), n)
        print(_fmt("bare QEMU command from --dry-run", t_qemu), flush=True)

        t_tiny = _time(lambda: _run(tiny_argv, 1), n)
        print(_fmt("same QEMU, trivial kernel that only exits", t_tiny), flush=True)

    ratio = statistics.median(t_qemu) / statistics.median(t_tiny)
    verdict = "within" if ratio <= GOAL_RATIO else "OVER"
    print(f"ratio bare QEMU / trivial kernel: {ratio:.2f}x ({verdict} the {GOAL_RATIO}x goal)")
    print(f"harness overhead over bare QEMU: in-process "
          f"{(statistics.median(t_lab) - statistics.median(t_qemu)) * 1000:+.1f} ms, "
          f"invoke CLI {(statistics.median(t_invoke) - statistics.median(t_qemu)) * 1000:+.1f} ms")
    if args.suite:
        for task in ("test-quick", "test"):
            print(_suite(task), flush=True)
    return 0


def _compare_cpus(qemu_argv: List[str], cpus: List[str], runs: int) -> int:
    """Boot the same machine with each ``-cpu`` model, ``runs`` rounds interleaved; print the
    median wall time, what the kernel enabled and how many lines QEMU wrote to stderr."""
    times = {cpu: [] for cpu in cpus}
    seen = {}
    i = qemu_argv.index("-cpu") + 1
    for _ in range(runs):
        for cpu in cpus:
            argv = qemu_argv[:i] + [cpu] + qemu_argv[i + 1:]
            t0 = time.perf_counter()
            res = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                 timeout=120, cwd=C.REPO_ROOT)
            times[cpu].append(time.perf_counter() - t0)
            line = next((l.strip() for l in res.stdout.splitlines() if "ringlab: cpu " in l), "?")
            seen[cpu] = (res.returncode, line, len(res.stderr.splitlines()))
    print(f"ringlab CPU models: {runs} interleaved runs each, bare QEMU command, median")
    for cpu in cpus:
        rc, line, warnings = seen[cpu]
        print(_fmt(f"-cpu {cpu}", times[cpu]) + f"   rc {rc}  stderr lines {warnings}  {line}")
    return 0


def _suite(task: str) -> str:
    """Run ``invoke TASK`` once; its wall time and pytest's closing line."""
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, "-m", "invoke", task], cwd=C.REPO_ROOT,
                         stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=5400)
    wall = time.perf_counter() - t0
    closing = next((l.strip("= ") for l in reversed(res.stdout.splitlines()) if " in " in l), "?")
    return (f"invoke {task:<10} wall {wall:7.1f} s   rc {res.returncode}   pytest: {closing}")


if __name__ == "__main__":
    sys.exit(main())
