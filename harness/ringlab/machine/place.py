"""Where a running guest is when the harness pauses it: what a timeout report shows instead
of QEMU's reset dump.

``where(socket)`` asks QEMU's monitor (QMP, on the socket every QemuMachine opens in its temp
dir) through a child Python running ``ringlab.machine.qmp``: only a boot that times out pays
for importing the QMP client (``qemu.qmp`` and asyncio, some 3 ms of every ``invoke boot``
otherwise). The child prints the place as one JSON object.

``watch_stopped(socket)`` starts such a child that waits until QEMU stops the guest by itself
(a KVM internal error): its stdout becomes readable then, and a run can end on that evidence
instead of waiting out its timeout.
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
        user_rip: paused in ring 0, the RIP the process's trap frame holds from its last
            entry from ring 3 (an interrupt, an exception or a system call), where its
            program resumes; None in ring 3 or when unreadable.
    """

    rip: int
    cs: int
    pid: Optional[int] = None
    program: str = ""
    user_rip: Optional[int] = None

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


def _child_env() -> dict:
    """The child gets this interpreter's ``sys.path``, so it imports the same ringlab."""
    return dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))


def watch_stopped(socket: Path, timeout_s: float) -> subprocess.Popen:
    """Start a child Python that connects to the monitor at ``socket`` and waits (at most
    ``timeout_s``) until QEMU stops the guest by itself (``qmp.wait_stopped``).

    Returns:
        the child: its stdout (a pipe, select-able) gets one JSON line, the run state (a
        string) or ``null``, and reaches its end when the child exits. The caller reaps it
        (``end_watch``).
    """
    return subprocess.Popen([sys.executable, "-m", CLIENT_MODULE, "--until-stopped", str(socket),
                             str(timeout_s)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            stdin=subprocess.DEVNULL, env=_child_env(), text=True)


def end_watch(child: subprocess.Popen) -> Optional[str]:
    """Stop a ``watch_stopped`` child (if still waiting) and reap it; the run state it printed,
    or None (no stop seen, or the child failed)."""
    if child.poll() is None:
        child.terminate()
    try:
        out, _ = child.communicate(timeout=CHILD_SLACK_S)
    except subprocess.TimeoutExpired:
        child.kill()
        out, _ = child.communicate()
    try:
        state = json.loads(out.splitlines()[0]) if out.strip() else None
    except ValueError:
        return None
    return state if isinstance(state, str) else None


def where(socket: Path, timeout_s: float = 2.0) -> Optional[GuestPlace]:
    """Pause the guest and say where it is; None if the monitor does not answer (QEMU
    exiting) or the child fails (logged). Never raises for the guest's state: a failed read
    leaves a field empty. The child gets this interpreter's ``sys.path``, so it imports the
    same ringlab."""
    env = _child_env()
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
