"""ringlab's gdb extension: the ``ring`` and ``step-ring`` commands and ``$cpl()``.

Load it into any gdb attached to a ringlab machine::

    (gdb) source harness/debug/gdbext/ringlab.py
    (gdb) ring
    ring: cpl=3 cs=0x2b ss=0x23 rsp=0x7fffffffee68 cr3=0x137000 rip=0x401030 half=user
    (gdb) step-ring
    step-ring: 3->0 steps=7 at=0x401046 insn="syscall" rip=0x401046->0xffffffff80106409 ...

``invoke gdb`` loads it for you. It runs inside gdb's own Python (no virtual environment):
it imports only the standard library and ringfmt.py, which sits next to it.
"""
import os
import sys

import gdb  # provided by gdb itself

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ringfmt  # noqa: E402  (needs the path above)

DEFAULT_MAX_STEPS = 100000


def _reg(name):
    """A register as an unsigned integer (``$rsp`` is a pointer type, hence the cast)."""
    return int(gdb.parse_and_eval("(unsigned long)$" + name)) & 0xFFFFFFFFFFFFFFFF


def _insn(addr):
    arch = gdb.selected_frame().architecture()
    return ringfmt.normalize_insn(arch.disassemble(addr)[0]["asm"])


def _address(symbol):
    """The address of a kernel function, or None if the loaded symbols lack it."""
    try:
        return int(gdb.parse_and_eval("(unsigned long)&" + symbol))
    except gdb.error:
        return None


def ring_state():
    return ringfmt.RingState(cpl=ringfmt.cpl_of(_reg("cs")), cs=_reg("cs"), ss=_reg("ss"),
                             rsp=_reg("rsp"), cr3=_reg("cr3"), rip=_reg("rip"))


class RingCommand(gdb.Command):
    """Print the CPU's privilege state: CPL, CS, SS, RSP, CR3 and which half RIP is in.

Usage: ring
CPL is CS's RPL field (SDM Vol. 3A 5.5). half=user means RIP is in the lower canonical
half (below 0x0000800000000000), half=kernel the upper half."""

    def __init__(self):
        super().__init__("ring", gdb.COMMAND_STATUS)

    def invoke(self, arg, from_tty):
        gdb.write(ring_state().line() + "\n")


class StepRingCommand(gdb.Command):
    """Single-step (stepi) until the CPL changes; print the transition and its instruction.

Usage: step-ring [MAX-STEPS]   (default 100000)
Prints the direction (3->0 or 0->3), how many instructions it took, the instruction that
changed the ring, RIP and RSP before and after it, and CS and SS after it. A return to ring 3
that enters a signal handler says `event=delivery signal=N` (the kernel ran
signal_delivered on the way); one that ends rt_sigreturn says `event=rt_sigreturn`."""

    def __init__(self):
        super().__init__("step-ring", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        max_steps = int(arg.strip(), 0) if arg.strip() else DEFAULT_MAX_STEPS
        start = ringfmt.cpl_of(_reg("cs"))
        rip, rsp = _reg("rip"), _reg("rsp")
        # Each stepi would print a frame line: say nothing until the ring changes.
        gdb.execute("set suppress-cli-notifications on", to_string=True)
        try:
            self._step(start, rip, rsp, max_steps)
        finally:
            gdb.execute("set suppress-cli-notifications off", to_string=True)

    def _step(self, start, rip, rsp, max_steps):
        delivered, sigreturn = _address("signal_delivered"), _address("sys_rt_sigreturn")
        event, signal = "", 0
        for step in range(0, max_steps + 1):
            if step:                    # step 0 looks at where stepping starts
                gdb.execute("stepi", to_string=True)
            here = _reg("rip")
            if here == delivered:
                event, signal = "delivery", _reg("rsi")
            elif here == sigreturn:
                event, signal = "rt_sigreturn", 0
            if not step:
                continue
            cs = _reg("cs")
            if ringfmt.cpl_of(cs) != start:
                t = ringfmt.Transition(
                    from_cpl=start, to_cpl=ringfmt.cpl_of(cs), steps=step, insn_addr=rip,
                    insn=_insn(rip), rip_before=rip, rsp_before=rsp, rip_after=_reg("rip"),
                    rsp_after=_reg("rsp"), cs_after=cs, ss_after=_reg("ss"),
                    event=event if start == 0 else "", signal=signal if start == 0 else 0)
                gdb.write(t.line() + "\n")
                return
            rip, rsp = _reg("rip"), _reg("rsp")
        raise gdb.GdbError(f"step-ring: CPL stayed {start} for {max_steps} instructions")


class CplFunction(gdb.Function):
    """$cpl() - the current privilege level (CS & 3), e.g. `print $cpl()` or `if $cpl() == 3`."""

    def __init__(self):
        super().__init__("cpl")

    def invoke(self):
        return ringfmt.cpl_of(_reg("cs"))


RingCommand()
StepRingCommand()
CplFunction()
