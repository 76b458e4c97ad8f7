"""Benchmark: pipes, files and process creation in ringlab next to the host's Linux.

The guest is images/user/bench_files (64 MiB through a pipe in 4 KiB writes, 16 x 2 MiB
written and read back, 25 x 200 files created and unlinked, 100 fork+exec+wait), timed inside
each system with CLOCK_MONOTONIC (ringlab's ticks at 10 ms, so each figure spans many
ticks). The same static binary runs on the host in a temporary directory. Also times Debian's
busybox-static running tests/data/busybox_script.sh in both (wall clock, boot included for
ringlab). Usage::

    python -m ringlab.bench.files [--cpu MODEL]

Prints one line per figure: name, ringlab, host.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict

from .. import lab
from ..core import constants as C
from ..machine.qemu import QemuConfig
from . import guest

PROGRAM = "bench_files"
BUSYBOX = Path("/bin/busybox")
SCRIPT = C.REPO_ROOT / "tests" / "data" / "busybox_script.sh"


def busybox_seconds(cpu: str) -> Dict[str, float]:
    """Wall time of the busybox script: ringlab (boot, install, script) and the host."""
    with tempfile.TemporaryDirectory() as d:
        setup = Path(d) / "setup.sh"
        setup.write_text("mkdir -p /bin /tmp/w && /busybox --install /bin && cd /tmp/w && "
                         f"exec sh /{SCRIPT.name}\n")
        t0 = time.monotonic()
        run = lab.run(QemuConfig(init=BUSYBOX, files=[setup, SCRIPT], cpu=cpu,
                                 append="init.args=sh,/setup.sh"), timeout_s=guest.TIMEOUT_S)
        ring = time.monotonic() - t0
        (Path(d) / "w").mkdir()
        t0 = time.monotonic()
        subprocess.run([str(BUSYBOX), "sh", str(SCRIPT)], cwd=Path(d) / "w",
                       capture_output=True, timeout=guest.TIMEOUT_S)
        host = time.monotonic() - t0
    if run.status != 7:
        raise SystemExit(run.report())
    return {"busybox_script_s": ring, "busybox_script_host_s": host}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cpu", default=C.DEFAULT_CPU, help="QEMU CPU model")
    args = ap.parse_args(argv)
    ring, host = guest.on_ringlab(PROGRAM, args.cpu), guest.on_host(PROGRAM, ["{exe}"])
    print(f"{'figure':24} {'ringlab':>10} {'host':>10}   (cpu {args.cpu}, TCG)")
    for name in ring:
        print(f"{name:24} {ring[name]:10.1f} {host.get(name, float('nan')):10.1f}")
    if BUSYBOX.is_file():
        bb = busybox_seconds(args.cpu)
        print(f"{'busybox_script_s':24} {bb['busybox_script_s']:10.2f} "
              f"{bb['busybox_script_host_s']:10.2f}   (wall clock; ringlab includes the boot)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
