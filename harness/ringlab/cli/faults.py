"""``invoke faults``: run every ring-3 fault catalogue row in one boot per CPU model and print,
per row, what the four witnesses (kernel event, QEMU's -d int log, gdb's view of the pushed
frame, the program's own signal handler) saw. Exit 0 if every row holds, else 1."""
from __future__ import annotations

from typing import Optional

from ..catalogue import faults, runner
from ..core import constants as C
from ..machine.symbols import name_kernel_addresses
from .epilogue import Epilogue


def main(cpu: Optional[str] = None, gdb: bool = True, verbose: bool = False) -> int:
    ep = Epilogue("faults", interrupted="QEMU and gdb stopped")

    def body(ep: Epilogue) -> int:
        if cpu is not None and cpu not in faults.CPUS:
            return ep.error(f"--cpu {cpu}: the catalogue runs on {' or '.join(faults.CPUS)}")
        failed = 0
        for c in (cpu,) if cpu else faults.CPUS:
            lines, n = runner.summarize(runner.boot_catalogue(c, gdb=gdb), verbose=verbose)
            # every kernel address named: <function+off> file:line
            print(name_kernel_addresses("\n".join(lines), C.KERNEL_IMAGE), flush=True)
            failed += n
        ep.say(f"{failed} catalogue row(s) failed" if failed else "every catalogue row holds")
        return 1 if failed else 0

    return ep.run(body)
