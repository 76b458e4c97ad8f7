"""Boot benchmark: prints figures; not a test.

    python -m ringlab.bench.boot [--runs N]

Wall time, median of N runs, of:
  1. ``invoke boot`` with the default init (Python start-up, harness, QEMU, kernel, init);
  2. ``lab.run(lab.boot_config())`` in-process (the harness without Python/invoke start-up);
  3. the bare QEMU command printed by ``invoke boot --dry-run``;
  4. the same QEMU command booting a trivial kernel that only prints a line and exits
     (built on the fly from a few lines of assembly: harness.machine.tinykernel);
  5. an empty invoke task (Python and invoke start-up, nothing of ringlab).
The goals: (3) within 1.5x of (4); the harness's own overhead, (1) - (3) - (5), printed as
``harness overhead: N ms``, at most 20 ms. The runs of (1), (3) and (5) are interleaved so
that a load change on the host shifts all three alike.

With ``--cpu A --cpu B ...`` it times the bare QEMU command once per CPU model instead, interleaved
(the comparison behind the default model, docs/kernel.md "CPU models"), with each model's ``ringlab:
cpu`` line and the number of warnings QEMU printed.

With ``--suite`` it also runs the test suites once each and prints their wall time and
counts: the quick subset (``invoke test-quick``) and the whole suite (``invoke test``,
which CI runs; CI allows 90 minutes).
"""
from __future__ import annotations

import argparse
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional

from .. import lab
from . import suite
from ..core import constants as C
from ..machine import build
from ..machine.tinykernel import build_tiny_kernel

GOAL_RATIO = 1.5
GOAL_OVERHEAD_MS = 20.0
EMPTY_TASKS = "from invoke import task\n\n\n@task\ndef empty(c):\n    pass\n"


def _time(fn: Callable[[], None], runs: int) -> List[float]:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return times


def _child_cpu() -> float:
    """CPU seconds (user + system) of every child process reaped so far, grandchildren
    included (QEMU under ``invoke boot``)."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def _cpu(fn: Callable[[], None]) -> float:
    c0 = _child_cpu()
    fn()
    return _child_cpu() - c0


def _run(argv: List[str], expect_rc: int, env: Optional[Dict[str, str]] = None) -> None:
    res = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, timeout=120, cwd=C.REPO_ROOT,
                         env=env)
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

        empty_dir = Path(tmp) / "empty"
        empty_dir.mkdir()
        (empty_dir / "tasks.py").write_text(EMPTY_TASKS)
        # Python as people run it: bytecode cached (here in a directory of our own, after a
        # warm-up run), whatever PYTHONDONTWRITEBYTECODE says in this environment.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        invoke_boot = [sys.executable, "-m", "invoke", "boot"]
        empty_task = [sys.executable, "-m", "invoke", "-r", str(empty_dir), "empty"]
        for argv in (invoke_boot, empty_task):
            _run(argv, 0, env)
        print(f"ringlab boot benchmark: {n} runs each, median (TCG, default init)")
        t_invoke, t_qemu, t_empty = [], [], []
        c_invoke, c_qemu, c_empty = [], [], []
        for _ in range(n):        # interleaved: the host's load shifts the three alike
            c_invoke.append(_cpu(lambda: t_invoke.extend(
                _time(lambda: _run(invoke_boot, 0, env), 1))))
            c_qemu.append(_cpu(lambda: t_qemu.extend(_time(lambda: _run(qemu_argv, 1), 1))))
            c_empty.append(_cpu(lambda: t_empty.extend(
                _time(lambda: _run(empty_task, 0, env), 1))))
        print(_fmt("invoke boot (default init)", t_invoke), flush=True)

        def in_process() -> None:
            run = lab.run(lab.boot_config())     # the machine invoke boot starts
            if run.exit_status != 0:
                raise SystemExit("bench: lab.run failed:\n" + run.report())
        t_lab = _time(in_process, n)
        print(_fmt("lab.run() in-process (harness + QEMU)", t_lab), flush=True)

        print(_fmt("bare QEMU command from --dry-run", t_qemu), flush=True)
        print(_fmt("empty invoke task", t_empty), flush=True)

        t_tiny = _time(lambda: _run(tiny_argv, 1), n)
        print(_fmt("same QEMU, trivial kernel that only exits", t_tiny), flush=True)

    ratio = statistics.median(t_qemu) / statistics.median(t_tiny)
    verdict = "within" if ratio <= GOAL_RATIO else "OVER"
    print(f"ratio bare QEMU / trivial kernel: {ratio:.2f}x ({verdict} the {GOAL_RATIO}x goal)")
    print(f"harness overhead over bare QEMU: in-process "
          f"{(statistics.median(t_lab) - statistics.median(t_qemu)) * 1000:+.1f} ms, "
          f"invoke CLI {(statistics.median(t_invoke) - statistics.median(t_qemu)) * 1000:+.1f} ms")
    # Each interleaved run gives one difference; their median cancels the load drift that
    # a difference of three separate medians picks up on a busy host.
    paired = statistics.median((i - q - e) * 1000 for i, q, e in zip(t_invoke, t_qemu, t_empty))
    of_medians = (statistics.median(t_invoke) - statistics.median(t_qemu)
                  - statistics.median(t_empty)) * 1000
    cpu = (statistics.median(c_invoke) - statistics.median(c_qemu)
           - statistics.median(c_empty)) * 1000
    print(f"harness overhead: {paired:.1f} ms (invoke boot - its QEMU command - an empty invoke "
          f"task, median of {n} interleaved runs; goal <= {GOAL_OVERHEAD_MS:g} ms: "
          f"{'met' if paired <= GOAL_OVERHEAD_MS else 'MISSED'})")
    print(f"  difference of the medians {of_medians:.1f} ms; in CPU time (user + system, QEMU "
          f"included) {cpu:.1f} ms; load average {os.getloadavg()[0]:.2f}")
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
    """Run ``invoke TASK`` once; its wall and CPU time and pytest's counts (bench.suite)."""
    return suite.run(task).line()


if __name__ == "__main__":
    sys.exit(main())
