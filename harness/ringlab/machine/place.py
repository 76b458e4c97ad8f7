"""Where a running guest is when the harness pauses it: what a timeout report shows instead
of QEMU's reset dump.

``where(socket)`` asks QEMU's monitor (QMP, on the socket every QemuMachine opens in its temp
dir) through a child Python running ``ringlab.machine.qmp``: only a boot that times out pays
for importing the QMP client (``qemu.qmp`` and asyncio, some 3 ms of every ``invoke boot``
otherwise). The child prints the place as one JSON object.
"""
from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

log = logging.getLogger(__name__)

SEL_RPL_MASK = 0x3      # CS bits 0-1: the CPL (SDM Vol. 3A 5.5)
#: the module ``where`` runs (``python -m``): the QMP conversation itself
CLIENT_MODULE = f"{__package__}.qmp"
#: what the child Python may take beyond the monitor's own timeout (its start-up, imports)
CHILD_SLACK_S = 30.0


@dataclass(frozen=True)
class GuestPlace:
    """The CPU's state when it was paused.

    Attributes:
        rip: the instruction pointer.
        cs: the code selector (CPL = cs & 3).
        pid: the running process (None before the first, or unreadable).
        program: its program's base name ("" when unknown).
    """

    rip: int
    cs: int
    pid: Optional[int] = None
    program: str = ""

    @property
    def cpl(self) -> int:
        return self.cs & SEL_RPL_MASK


def parse_registers(text: str) -> GuestPlace:
    """RIP and CS from ``info registers`` (``RIP=ffffffff80101234 ...``, ``CS =0008 ...``).

    Raises:
        ValueError: neither is there.
    """
    rip = re.search(r"\bRIP=([0-9a-f]+)", text)
    cs = re.search(r"^CS\s*=([0-9a-f]+)", text, re.M)
    if not rip or not cs:
        raise ValueError("no RIP or CS in info registers")
    return GuestPlace(int(rip.group(1), 16), int(cs.group(1), 16))


def where(socket: Path, timeout_s: float = 2.0) -> Optional[GuestPlace]:
    """Pause the guest and say where it is; None if the monitor does not answer (QEMU
    exiting) or the child fails (logged). Never raises for the guest's state: a failed read
    leaves a field empty. The child gets this interpreter's ``sys.path``, so it imports the
    same ringlab."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    try:
        res = subprocess.run([sys.executable, "-m", CLIENT_MODULE, str(socket), str(timeout_s)],
                             capture_output=True, text=True, stdin=subprocess.DEVNULL,
                             env=env, timeout=timeout_s + CHILD_SLACK_S)
        found = json.loads(res.stdout) if res.returncode == 0 else None
    except (OSError, subprocess.TimeoutExpired, ValueError) as err:
        log.info("QMP at %s: %s", socket, err)
        return None
    if res.returncode != 0:
        log.info("QMP at %s: %s exited %d: %s", socket, CLIENT_MODULE, res.returncode,
                 res.stderr.strip()[-500:])
    return GuestPlace(**found) if found else None
