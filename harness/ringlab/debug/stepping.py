"""Ring stepping over GDB/MI: ``stepi`` until the CPL changes.

Each stop is classified by ``ringfmt.RingStepper``, the classifier gdb's own ``step-ring``
uses (harness/ringlab/debug/gdbext/ringlab.py), so the harness and the extension agree on what a
transition is, on its instruction count, and on the signal events on the way back to ring
3. The session is any object with GdbSession's public register and stepping methods
(``registers``, ``register``, ``address_of``, ``instruction_at``, ``stepi_reading``,
``evidence``); GdbSession.step_until_ring_change is this function.
"""
from __future__ import annotations

from typing import Any, Dict

from ..core import constants as C
from ..core.errors import GdbError, SymbolNotFound
from .gdbext.ringfmt import STEP_MARKS, RingStepper, Transition

#: registers read behind each step (one pipelined round trip: stepi, then these)
STEP_REGISTERS = ("cs", "rip", "rsp", "ss")


def step_marks(session: Any) -> Dict[int, str]:
    """Address -> symbol of the ``STEP_MARKS`` functions the kernel has (a kernel without
    signals has none)."""
    marks = {}
    for symbol in STEP_MARKS:
        try:
            marks[session.address_of(symbol)] = symbol
        except SymbolNotFound:
            pass
    return marks


def step_until_ring_change(session: Any, max_steps: int = C.DEFAULT_STEP_LIMIT) -> Transition:
    """``stepi`` until the CPL changes; return the transition.

    Each step is one pipelined round trip (stepi, then CS/RIP/RSP/SS), so a few thousand
    kernel instructions take a few seconds. A return to ring 3 on which the kernel passed
    ``signal_delivered`` (RSI = the signal) is ``event="delivery"``; one that passed
    ``sys_rt_sigreturn`` is ``event="rt_sigreturn"`` (as the ``step-ring`` command says).

    Raises:
        GdbError: the CPL did not change within ``max_steps`` instructions.
    """
    regs = session.registers(list(STEP_REGISTERS))
    stepper = RingStepper(regs["rip"], regs["cs"], regs["rsp"], step_marks(session),
                          lambda: session.register("rsi"))
    for _ in range(max_steps):
        regs = session.stepi_reading(STEP_REGISTERS)
        if stepper.step(regs["rip"], regs["cs"], regs["rsp"]):
            return stepper.transition(session.instruction_at(stepper.before[0]), regs["ss"])
    raise GdbError(f"CPL stayed {stepper.start} for {max_steps} instructions",
                   **session.evidence())
