"""What the benchmarks that compare ringlab with the host's Linux share: run one static
program in each and read the ``PROGRAM: name=value ...`` figures it prints."""
from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path
from typing import Dict, Iterable, Sequence

from .. import lab
from ..machine.qemu import QemuConfig

FIGURE_RE = re.compile(r"(\w+)=([\d.]+)")
TIMEOUT_S = 300.0


def figures(program: str, lines: Iterable[str]) -> Dict[str, float]:
    """``PROGRAM: name=value ...`` lines -> {name: value} (every pair on each line)."""
    out: Dict[str, float] = {}
    for line in lines:
        if line.startswith(program + ": "):
            for name, value in FIGURE_RE.findall(line):
                out[name] = float(value)
    return out


def on_ringlab(program: str, cpu: str, timeout_s: float = TIMEOUT_S,
               append: str = "") -> Dict[str, float]:
    """Boot images/user/PROGRAM as init (with the kernel arguments ``append``, e.g.
    ``init.args=N``) and read its figures.

    Raises:
        SystemExit: the program did not exit 0 (with the run's report).
    """
    run = lab.run(QemuConfig(init=lab.program(program), cpu=cpu, append=append),
                  timeout_s=timeout_s)
    if run.status != 0:
        raise SystemExit(run.report())
    return figures(program, run.user_lines)


def on_host(program: str, args: Sequence[str] = (), timeout_s: float = TIMEOUT_S) -> Dict[str, float]:
    """Run the same binary on the host, in a temporary directory, and read its figures.
    ``args`` may name ``{exe}``: the copy's own path.

    Raises:
        subprocess.CalledProcessError: it did not exit 0.
    """
    with tempfile.TemporaryDirectory() as d:
        exe = Path(d) / program
        exe.write_bytes(lab.program(program).read_bytes())
        exe.chmod(0o755)
        argv = [str(exe)] + [a.format(exe=exe) for a in args]
        out = subprocess.run(argv, cwd=d, capture_output=True, text=True, timeout=timeout_s,
                             check=True).stdout
    return figures(program, out.splitlines())
