"""The frame the CPU pushed at each exception stub, read by gdb: the third witness of a
fault (harness.observe.witness holds the other two and compares them)."""
from __future__ import annotations

from typing import Dict, Iterable, List

from ..core import kabi
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

    Raises:
        BadImage, KabiError: no kernel ABI file, or it names no such stub.
    """
    k = kabi.load()
    by_addr: Dict[int, int] = {}
    for v in vectors:
        bp = gdb.break_at(k.symbol(f"vector{v}"))
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
    raise AssertionError(f"more than {max_stops} exception stops: a fault loop?")
