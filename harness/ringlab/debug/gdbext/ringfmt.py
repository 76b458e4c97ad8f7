"""What a ring change is, and how ``ring`` / ``step-ring`` print it: shared by both witnesses.

Pure Python (no gdb, no harness imports), so it runs inside gdb's own interpreter (the
``ring`` and ``step-ring`` commands in ringlab.py) and in the harness (harness/ringlab/debug/mi.py),
and the two print and parse the very same lines:

    ring: cpl=3 cs=0x33 mode=user64 ss=0x2b rsp=0x7fffffffee68 cr3=0x137000 rip=0x401030 half=user
    step-ring: 3->0 steps=7 at=0x401046 insn="syscall" rip=0x401046->0xffffffff80106409 \
rsp=0x7fffffffee68->0x7fffffffee68 cs=0x10 ss=0x18 mode=user64->kernel from=<write+22> \
to=<syscall_entry>

``mode`` says what the code selector means (``selector_modes``): ``user32`` for Linux's 32-bit
user CS 0x23 (compatibility mode, CPL 3: a 32-bit program), ``user64`` for the 64-bit user CS
0x33, ``kernel`` for the kernel's CS; it is presentation (left out of comparisons, and out of
the line when the caller knows no selectors).

``from``/``to`` name both sides of the transition (gdb's symbols: the running process's
program and the kernel's); they are left out when nothing names the address.

The CPL is the RPL field of CS (bits 0-1): for the code segment it always equals the
current privilege level (SDM Vol. 3A 5.5).
"""
from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Callable, Dict, Optional

USER_HALF_END = 0x0000_8000_0000_0000       # first address above the lower canonical half
KERNEL_HALF_START = 0xFFFF_8000_0000_0000   # first address of the upper canonical half
SEL_RPL_MASK = 0x3                          # selector bits 0-1: requested privilege level


def cpl_of(cs: int) -> int:
    """The current privilege level, from the CS selector's RPL bits."""
    return cs & SEL_RPL_MASK


def selector_modes(constants: Dict[str, int]) -> Dict[int, str]:
    """CS value -> mode name, from the kernel ABI file's constants (images/kabi.json
    ``constants``: ``USER32_CS``, ``USER_CS``, ``KERNEL_CS``; those it lacks are left out)."""
    names = (("USER32_CS", "user32"), ("USER_CS", "user64"), ("KERNEL_CS", "kernel"))
    return {constants[k]: mode for k, mode in names if k in constants}


def mode_of(cs: int, modes: Dict[int, str]) -> str:
    """The mode ``cs`` runs in (``selector_modes``); for any other selector ``cplN`` (an LDT
    code segment, say: its size is in its descriptor, not in the selector)."""
    return modes.get(cs & 0xFFFF, f"cpl{cpl_of(cs)}")


def half(addr: int) -> str:
    """``"user"`` (lower canonical half), ``"kernel"`` (upper) or ``"non-canonical"``."""
    addr &= 0xFFFF_FFFF_FFFF_FFFF
    if addr < USER_HALF_END:
        return "user"
    if addr >= KERNEL_HALF_START:
        return "kernel"
    return "non-canonical"


@dataclass(frozen=True)
class RingState:
    """What ``ring`` prints: the privilege state of the stopped CPU."""

    cpl: int
    cs: int
    ss: int
    rsp: int
    cr3: int
    rip: int
    mode: str = field(default="", compare=False)     # ``user32``...: presentation only

    @property
    def half(self) -> str:
        return half(self.rip)

    def line(self) -> str:
        mode = f" mode={self.mode}" if self.mode else ""
        return (f"ring: cpl={self.cpl} cs={self.cs:#x}{mode} ss={self.ss:#x} rsp={self.rsp:#x} "
                f"cr3={self.cr3:#x} rip={self.rip:#x} half={self.half}")

    @classmethod
    def parse(cls, text: str) -> "RingState":
        """Parse the first ``ring:`` line in ``text`` (ValueError if there is none)."""
        m = re.search(r"^ring: (.*)$", text, re.M)
        if not m:
            raise ValueError(f"no 'ring:' line in {text!r}")
        f = _fields(m.group(1))
        return cls(cpl=int(f["cpl"]), cs=int(f["cs"], 16), ss=int(f["ss"], 16),
                   rsp=int(f["rsp"], 16), cr3=int(f["cr3"], 16), rip=int(f["rip"], 16),
                   mode=f.get("mode", ""))


@dataclass(frozen=True)
class Transition:
    """One privilege change, seen by single-stepping.

    Attributes:
        from_cpl, to_cpl: the CPL before and after the instruction.
        steps: how many ``stepi`` it took to get there.
        insn_addr: address of the instruction that changed the ring.
        insn: that instruction as gdb disassembles it (``"syscall"``, ``"iretq"``...).
        rip_before, rsp_before: RIP and RSP just before it executed (rip_before == insn_addr).
        rip_after, rsp_after: RIP and RSP right after.
        cs_after, ss_after: the selectors after (SS may be 0 in ring 0: 64-bit mode loads a
            null SS on an interrupt from ring 3, docs/qemu-facts.md).
        sym_before, sym_after: ``rip_before``/``rip_after`` as ``<symbol+offset>``, or "".
        event: what the kernel did on the way, for a 0->3 change: ``delivery`` (it pushed a
            signal frame: ring 3 resumes in the handler) or ``rt_sigreturn`` (it restored
            one); "" otherwise.
        signal: the signal delivered, for ``delivery``.
        mode_before, mode_after: what CS meant before and after (``user32``, ``user64``,
            ``kernel``: ``selector_modes``), or "" when not known.
    """

    from_cpl: int
    to_cpl: int
    steps: int
    insn_addr: int
    insn: str
    rip_before: int
    rsp_before: int
    rip_after: int
    rsp_after: int
    cs_after: int
    ss_after: int
    event: str = ""
    signal: int = 0
    sym_before: str = field(default="", compare=False)    # names: presentation only
    sym_after: str = field(default="", compare=False)
    mode_before: str = field(default="", compare=False)
    mode_after: str = field(default="", compare=False)

    @property
    def direction(self) -> str:
        return f"{self.from_cpl}->{self.to_cpl}"

    @property
    def mnemonic(self) -> str:
        """The first word of the instruction (``"int"`` for ``int $0x80``)."""
        return self.insn.split()[0] if self.insn else ""

    def line(self) -> str:
        return (f"step-ring: {self.direction} steps={self.steps} at={self.insn_addr:#x} "
                f"insn=\"{self.insn}\" rip={self.rip_before:#x}->{self.rip_after:#x} "
                f"rsp={self.rsp_before:#x}->{self.rsp_after:#x} "
                f"cs={self.cs_after:#x} ss={self.ss_after:#x}"
                + (f" mode={self.mode_before}->{self.mode_after}"
                   if self.mode_before or self.mode_after else "")
                + (f" event={self.event}" if self.event else "")
                + (f" signal={self.signal}" if self.signal else "")
                + (f" from={self.sym_before}" if self.sym_before else "")
                + (f" to={self.sym_after}" if self.sym_after else ""))

    def as_dict(self) -> Dict[str, object]:
        return asdict(self)

    @classmethod
    def parse(cls, text: str) -> "Transition":
        """Parse the first ``step-ring:`` line in ``text`` (ValueError if there is none)."""
        m = re.search(r"^step-ring: (\d)->(\d) (.*)$", text, re.M)
        if not m:
            raise ValueError(f"no 'step-ring:' line in {text!r}")
        f = _fields(m.group(3))
        rip_b, rip_a = f["rip"].split("->")
        rsp_b, rsp_a = f["rsp"].split("->")
        mode_b, _, mode_a = f.get("mode", "").partition("->")
        return cls(from_cpl=int(m.group(1)), to_cpl=int(m.group(2)), steps=int(f["steps"]),
                   insn_addr=int(f["at"], 16), insn=f["insn"],
                   rip_before=int(rip_b, 16), rsp_before=int(rsp_b, 16),
                   rip_after=int(rip_a, 16), rsp_after=int(rsp_a, 16),
                   cs_after=int(f["cs"], 16), ss_after=int(f["ss"], 16),
                   event=f.get("event", ""), signal=int(f.get("signal", "0")),
                   sym_before=f.get("from", ""), sym_after=f.get("to", ""),
                   mode_before=mode_b, mode_after=mode_a)


#: kernel symbols a return to ring 3 may pass, and what passing them says (``RingStepper``)
STEP_MARKS = {"signal_delivered": "delivery", "sys_rt_sigreturn": "rt_sigreturn"}


class RingStepper:
    """The one classifier of single steps, shared by gdb's ``step-ring`` (ringlab.py) and the
    harness's ``GdbSession.step_until_ring_change`` (harness/ringlab/debug/stepping.py): fed the
    registers after each step, it says when the CPL changed and builds the Transition.

    Args:
        rip, cs, rsp: where stepping starts (before the first step).
        marks: kernel address -> symbol of ``STEP_MARKS`` (those the kernel has).
        read_signal: returns RSI (the signal ``signal_delivered`` is called with), read only
            when a step stops there.

    A step costs a comparison and two assignments; nothing is named until the ring changes
    (``transition`` is given the instruction text and SS then).
    """

    __slots__ = ("start", "rip", "rsp", "before", "steps", "event", "signal", "marks",
                 "read_signal", "cs")

    def __init__(self, rip: int, cs: int, rsp: int, marks: Dict[int, str],
                 read_signal: Callable[[], int]) -> None:
        self.start = cpl_of(cs)
        self.rip, self.rsp, self.cs = rip, rsp, cs
        self.before = (rip, rsp)
        self.steps = 0
        self.marks = marks
        self.read_signal = read_signal
        self.event, self.signal = "", 0
        self._mark(rip)

    def _mark(self, rip: int) -> None:
        mark = self.marks.get(rip)
        if mark is not None:
            self.event = STEP_MARKS[mark]
            self.signal = self.read_signal() if self.event == "delivery" else 0

    def step(self, rip: int, cs: int, rsp: int) -> bool:
        """One instruction was executed; now RIP, CS, RSP are these. True when the CPL
        differs from the start's (the previous RIP/RSP are kept as ``before``)."""
        self.steps += 1
        self.before = (self.rip, self.rsp)
        self.rip, self.rsp, self.cs = rip, rsp, cs
        if rip in self.marks:
            self._mark(rip)
        return cs & SEL_RPL_MASK != self.start

    def transition(self, insn: str, ss: int, *, sym_before: str = "", sym_after: str = "",
                   modes: Optional[Dict[int, str]] = None,
                   start_cs: Optional[int] = None) -> "Transition":
        """The Transition of the last step (after ``step`` returned True). ``insn``: the
        instruction at ``before``'s RIP; ``ss``: SS now; ``modes`` and ``start_cs`` name the
        modes (``mode_of``) when given."""
        back = self.start == 0                  # a return to ring 3 (from 0: the only way)
        return Transition(
            from_cpl=self.start, to_cpl=cpl_of(self.cs), steps=self.steps,
            insn_addr=self.before[0], insn=insn, rip_before=self.before[0],
            rsp_before=self.before[1], rip_after=self.rip, rsp_after=self.rsp,
            cs_after=self.cs, ss_after=ss, event=self.event if back else "",
            signal=self.signal if back else 0, sym_before=sym_before, sym_after=sym_after,
            mode_before=mode_of(start_cs, modes) if modes and start_cs is not None else "",
            mode_after=mode_of(self.cs, modes) if modes else "")


def normalize_insn(text: str) -> str:
    """One space between the words of a disassembled instruction, no comment."""
    text = text.split("#", 1)[0]
    return " ".join(text.split())


def _fields(text: str) -> Dict[str, str]:
    return {m.group(1): (m.group(2) if m.group(2) is not None else m.group(3))
            for m in re.finditer(r'(\w+)=(?:"([^"]*)"|(\S+))', text)}
