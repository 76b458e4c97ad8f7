"""Where a running guest is, read through QEMU's monitor (QMP, the ``qemu.qmp`` library)
before the harness stops it: what a timeout report shows instead of QEMU's reset dump.

Every QemuMachine has a QMP socket in its temp dir. ``where`` pauses the CPU (``stop``),
reads the registers with the human monitor's ``info registers`` and the running process
(pid and program name) from the kernel's ``struct cpu`` through ``x`` (virtual addresses,
the CPU's current page tables: the kernel half is mapped in every address space).
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

from qemu.qmp import QMPError
from qemu.qmp.legacy import QEMUMonitorProtocol

from ..core import kabi
from ..core.errors import RinglabError

log = logging.getLogger(__name__)

SEL_RPL_MASK = 0x3      # CS bits 0-1: the CPL (SDM Vol. 3A 5.5)


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


def _hmp(qmp: QEMUMonitorProtocol, line: str) -> str:
    out = qmp.cmd("human-monitor-command", **{"command-line": line})
    return out if isinstance(out, str) else ""


def _read_u64(qmp: QEMUMonitorProtocol, addr: int) -> int:
    m = re.search(r":\s*0x([0-9a-f]+)", _hmp(qmp, f"x /1gx {addr:#x}"))
    if not m:
        raise ValueError(f"x /1gx {addr:#x}: no value")
    return int(m.group(1), 16)


def _read_string(qmp: QEMUMonitorProtocol, addr: int, size: int) -> str:
    raw = bytearray()
    for line in _hmp(qmp, f"x /{size}bx {addr:#x}").splitlines():
        raw += bytes(int(b, 16) for b in re.findall(r"0x([0-9a-f]{2})\b", line.split(":", 1)[-1]))
    return raw.split(b"\0", 1)[0].decode("ascii", "replace")


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
    exiting). Never raises for the guest's state: a failed read leaves a field empty."""
    qmp = QEMUMonitorProtocol(str(socket))
    try:
        qmp.settimeout(timeout_s)
        qmp.connect()
        qmp.cmd("stop")
        place = parse_registers(_hmp(qmp, "info registers"))
        try:
            k = kabi.load()
            current = _read_u64(qmp, k.address("cpu0") + k.offset("cpu", "current"))
            if current:
                pid = _read_u64(qmp, current + k.offset("proc", "pid")) & 0xFFFFFFFF
                name = _read_string(qmp, current + k.offset("proc", "name"), 32)
                place = GuestPlace(place.rip, place.cs, pid, name)
        except (ValueError, RinglabError) as err:
            log.info("no process read: %s", err)
        return place
    except (OSError, QMPError, ValueError) as err:
        log.info("QMP at %s: %s", socket, err)
        return None
    finally:
        try:
            qmp.close()
        except (OSError, QMPError):
            pass
