"""``invoke pagetables``: stop a machine at labelled points, walk its page tables from guest
physical memory (ringlab.debug.ptaudit), print the map and every violation."""
from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

from .. import lab
from ..core.errors import BadConfig
from ..debug import ptaudit
from ..machine.qemu import QemuConfig
from ..machine.symbols import name_kernel_addresses, symbolizer
from .epilogue import Epilogue


def main(init: Optional[str] = None, points: Sequence[str] = (), append: str = "",
         cpu: Optional[str] = None, timeout_s: float = ptaudit.DEFAULT_POINT_TIMEOUT_S,
         all_maps: bool = False) -> int:
    """Audit at each point; exit 0 only if every point was reached and nothing was violated.

    Args:
        init: program to run as pid 1 (default images/user/gdb_ptpoints with its points).
        points: symbols to stop at (default: ``ptaudit.DEFAULT_POINTS`` of gdb_ptpoints).
        append: kernel arguments (``test.ukpage=1`` plants a violation).
        cpu: QEMU CPU model (default: the harness's).
        timeout_s: bound for each stop.
        all_maps: print the map of every address space, not only the current one.

    Returns:
        0: clean; 1: a violation, a point never reached, or the machine did not end well;
        2: bad input (one line on stderr).
    """
    def body(ep: Epilogue) -> int:
        program = Path(init) if init else lab.program(ptaudit.DEFAULT_PROGRAM)
        labels = list(points) or ([] if init else list(ptaudit.DEFAULT_POINTS))
        if not labels:
            raise BadConfig("name at least one --point (a symbol of the program or kernel)")
        cfg = QemuConfig(init=program, append=append)
        if cpu:
            cfg = cfg.replace(cpu=cpu)
        cfg.validate()
        for label in labels:
            if label not in symbolizer(program) and label not in symbolizer(cfg.kernel):
                raise BadConfig(f"--point {label}: no such symbol in {program} or {cfg.kernel}")
        audits, run = ptaudit.audit_points(cfg, labels, timeout_s=timeout_s)
        bad = 0
        for a in audits:
            print(name_kernel_addresses(a.report(), cfg.kernel))    # <function+off> file:line
            if all_maps:
                for s in a.spaces[1:]:
                    print(f"   -- {s.name} cr3={s.cr3:#x}")
                    print("\n".join("   " + str(r) for r in s.ranges))
            bad += len(a.violations)
        missed = [p for p in labels if p not in {a.point for a in audits}]
        print(ep.prefix + f"{len(audits)} points audited, {bad} violations"
              + (f", never reached: {' '.join(missed)}" if missed else "")
              + f"; machine: {run.outcome.value}: {run.verdict.detail}", flush=True)
        return 0 if not bad and not missed and run.outcome.machine_ok else 1

    return Epilogue("pagetables", interrupted="QEMU and gdb stopped").run(body)
