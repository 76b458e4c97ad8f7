"""The frame the CPU pushed at each exception stub, read by gdb: the third witness of a
fault (harness.observe.witness holds the other two and compares them)."""
from __future__ import annotations

from typing import Dict, Iterable, List

from ..core.errors import TargetExited
from ..observe.witness import GdbFrame, frame_words
from .mi import GdbSession


def record_frames(gdb: GdbSession, vectors: Iterable[int], *, max_stops: int = 10_000,
                  timeout_s: float = 30.0) -> List[GdbFrame]:
    """Break at the first instruction of each ``vectorN`` stub and continue until the machine
    exits, recording the CPU-pushed frame and CR2 at every stop.

    Args:
        gdb: a connected GdbSession (e.g. ``DebugMachine(...).gdb``), halted.
        vectors: exception vectors to watch (not the timer: it fires 100 times a second).
        max_stops: give up after this many stops (a runaway loop).
        timeout_s: bound for each continue.

    Returns:
        The frames in the order the CPU delivered them.
    """
    by_addr: Dict[int, int] = {}
    for v in vectors:
        bp = gdb.break_at(f"vector{v}")
        by_addr[bp.address] = v
    frames: List[GdbFrame] = []
    for _ in range(max_stops):
        try:
            stop = gdb.cont(timeout_s=timeout_s, what="an exception stub breakpoint")
        except TargetExited:
            return frames
        if stop.reason.startswith("exited"):   # gdb saw the target go (QEMU exited)
            return frames
        vector = by_addr.get(stop.rip)
        if vector is None:
            raise AssertionError(f"gdb stopped at {stop.rip:#x} ({stop.reason}), "
                                 "not at an exception stub")
        regs = gdb.registers(["rsp", "cr2"])
        words = tuple(gdb.read_u64s(regs["rsp"], frame_words(vector)))
        frames.append(GdbFrame(vector, regs["rsp"], words, regs["cr2"]))
        _step_off(gdb, stop.rip)
    raise AssertionError(f"more than {max_stops} exception stops: a fault loop?")


STEP_OFF_ATTEMPTS = 20


def _step_off(gdb: GdbSession, address: int) -> None:
    """``stepi`` until RIP has left the breakpoint at ``address``.

    Measured here (QEMU 7.2 TCG, gdb 13.1, a loaded 2-core host): continuing from a
    breakpoint sometimes reports a second ``breakpoint-hit`` at the SAME address with the
    same frame, CR3 and registers: gdb's step over the breakpoint came back from QEMU's
    stub without executing an instruction, and the re-inserted breakpoint "hit" again. Such a
    phantom stop would look like a second fault. Stepping off explicitly (retrying a step
    that made no progress) before continuing means every stop is a real delivery.
    """

    for _ in range(STEP_OFF_ATTEMPTS):
        try:
            stop = gdb.stepi()
        except TargetExited:
            return
        if stop.reason.startswith("exited") or stop.rip != address:
            return
    raise AssertionError(f"stepi made no progress from {address:#x} "
                         f"in {STEP_OFF_ATTEMPTS} attempts")
