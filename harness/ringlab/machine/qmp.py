"""The QMP side of ``place.where``: pause a guest and read where it is, through QEMU's
monitor (QMP, the ``qemu.qmp`` library).

Run as ``python -m ringlab.machine.qmp SOCKET [TIMEOUT-SECONDS]`` (``place.where`` does):
prints the place as one JSON object (``null`` when the monitor does not answer). With
``--until-stopped`` first (``place.watch_stopped``): waits until QEMU stops the guest by itself
(``wait_stopped``) and prints its run state as one JSON string (``null``: no such stop). ``read``
pauses the CPU (``stop``), reads the registers with the human monitor's ``info registers``
and the running process (pid and program name) from the kernel's ``struct cpu`` through
``x`` (virtual addresses, the CPU's current page tables: the kernel half is mapped in every
address space).
"""
from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import sys
import time
from pathlib import Path
from typing import List, Optional

from qemu.qmp import QMPError
from qemu.qmp.legacy import QEMUMonitorProtocol

from ..core import kabi
from ..core.errors import RinglabError
from .place import SEL_RPL_MASK, GuestPlace, parse_registers

log = logging.getLogger(__name__)


def _close(qmp: QEMUMonitorProtocol) -> None:
    """Close a monitor connection; one QEMU already closed is no error."""
    try:
        qmp.close()
    except (OSError, QMPError):
        pass


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


def read(socket: Path, timeout_s: float = 2.0) -> Optional[GuestPlace]:
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
                user_rip = None
                tf = _read_u64(qmp, current + k.offset("proc", "tf")) if place.cpl == 0 else 0
                if tf and _read_u64(qmp, tf + k.offset("trapframe", "cs")) & SEL_RPL_MASK == 3:
                    user_rip = _read_u64(qmp, tf + k.offset("trapframe", "rip"))
                place = GuestPlace(place.rip, place.cs, pid, name, user_rip)
        except (ValueError, RinglabError) as err:
            log.info("no process read: %s", err)
        return place
    except (OSError, QMPError, ValueError) as err:
        log.info("QMP at %s: %s", socket, err)
        return None
    finally:
        _close(qmp)


#: run states in which QEMU has stopped the guest by itself (qapi/run-state.json); a STOP
#: event for any other (``paused`` by a monitor, ``debug`` by gdb) is not one
STOPPED_BY_QEMU = ("internal-error", "guest-panicked", "io-error", "watchdog")


def wait_stopped(socket: Path, timeout_s: float) -> Optional[str]:
    """Wait (at most ``timeout_s``) until QEMU stops the guest by itself - a KVM internal error
    leaves QEMU running with the guest stopped in ``internal-error`` (accel/kvm/kvm-all.c:
    ``vm_stop(RUN_STATE_INTERNAL_ERROR)``), so its console never ends. Asks ``query-status``
    once connected (a stop before that), then takes QMP's STOP events.

    Returns:
        the run state (one of ``STOPPED_BY_QEMU``); None if the monitor does not answer, QEMU
        went away, or ``timeout_s`` passed without such a stop.
    """
    qmp = QEMUMonitorProtocol(str(socket))
    deadline = time.monotonic() + timeout_s
    try:
        qmp.settimeout(timeout_s)
        qmp.connect()
        while True:
            status = qmp.cmd("query-status").get("status")
            if status in STOPPED_BY_QEMU:
                return status
            while True:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return None
                event = qmp.pull_event(wait=float(remaining))
                if event and event.get("event") == "STOP":
                    break
    except (OSError, EOFError, QMPError, asyncio.TimeoutError) as err:
        log.info("QMP at %s: %s", socket, err)
        return None
    finally:
        _close(qmp)


def main(argv: Optional[List[str]] = None) -> int:
    """``SOCKET [TIMEOUT-SECONDS]``: print ``read``'s place as JSON; ``--until-stopped SOCKET
    TIMEOUT-SECONDS``: print ``wait_stopped``'s run state as JSON. Exit status 0."""
    args = sys.argv[1:] if argv is None else argv
    if args and args[0] == "--until-stopped":
        print(json.dumps(wait_stopped(Path(args[1]), float(args[2]))), flush=True)
        return 0
    place = read(Path(args[0]), float(args[1]) if len(args) > 1 else 2.0)
    print(json.dumps(dataclasses.asdict(place) if place else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
