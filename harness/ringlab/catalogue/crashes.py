"""Kernel mode: one row per ``crash=KIND`` kernel argument (kernel/crash.c), with the outcome
``invoke boot`` must name; ``PanicReport`` reads the panic lines and symbolizes the backtrace
with images/kernel.elf.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple, Union

from ..core import constants as C
from ..core import kabi
from ..machine.qemu import QemuConfig
from ..machine.symbols import name_address, symbolizer
from ..observe import decode
from ..observe.events import Event, Fault, Panic, of
from ..observe.verdict import OUTCOME_EXIT_STATUS, Outcome
from .faults import pf_error


@dataclass(frozen=True)
class Crash:
    """One ``crash=KIND`` boot (kernel/crash.c) and what it must produce.

    Attributes:
        kind: the crash= value.
        cpu: the CPU model it needs.
        outcome: what ``invoke boot`` names (never a success).
        vector: the ring-0 exception the kernel reports (None: no fault event).
        error: its error code.
        rip: where RIP must be: ``"target"`` (the user address of the crash line), or a
            kernel function name the RIP must be inside.
        cr2: ``"target"``, an int, or ``"guard"`` (pid 1's kernel-stack guard page).
        backtrace: kernel functions the symbolized backtrace must name.
        reason: the panic reason (None: no panic line, e.g. a triple fault).
        what: one line for people.
    """

    kind: str
    cpu: str
    outcome: Outcome
    vector: Optional[int]
    error: Optional[int]
    rip: Optional[str]
    cr2: Union[None, int, str]
    backtrace: Tuple[str, ...]
    reason: Optional[str]
    what: str = ""

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.cpu}"

    @property
    def exit_status(self) -> int:
        return OUTCOME_EXIT_STATUS[self.outcome]


CRASHES: Tuple[Crash, ...] = (
    Crash("null", "qemu64", Outcome.PANIC, decode.VECTOR_PF, pf_error(u=False), "crash_maybe", 0,
          ("syscall_dispatch",), "kernel-fault",
          what="ring-0 read of address 0: #PF error 0x0 (supervisor read, not present)"),
    Crash("stack", "qemu64", Outcome.DOUBLE_FAULT, decode.VECTOR_DF, 0, "recurse", "guard",
          ("recurse",), "kernel-double-fault",
          what="kernel stack overflow into its guard page: the #PF cannot push its frame, "
               "so #DF, taken on the IST1 stack"),
    Crash("smep", "max", Outcome.PANIC, decode.VECTOR_PF, pf_error(p=True, u=False, i=True),
          "target", "target", (), "kernel-fault",
          what="ring 0 calls init's code: SMEP #PF error 0x11 (P, I/D), RIP = CR2 = user page"),
    Crash("smap", "max", Outcome.PANIC, decode.VECTOR_PF, pf_error(p=True, u=False), "crash_maybe",
          "target", ("syscall_dispatch",), "kernel-fault",
          what="ring 0 reads init's stack without stac: SMAP #PF error 0x1 (P, read)"),
    Crash("smep", "qemu64", Outcome.PANIC, None, None, None, None, (), "crash-survived",
          what="no SMEP on qemu64: the call into user code returns; the kernel says so"),
    Crash("smap", "qemu64", Outcome.PANIC, None, None, None, None, (), "crash-survived",
          what="no SMAP on qemu64: the read succeeds; the kernel says so"),
    Crash("triple", "qemu64", Outcome.TRIPLE_FAULT, None, None, None, None, (), None,
          what="empty IDT, then a fault: no gate for the #PF nor the #DF: triple fault, "
               "QEMU exits 0"),
)


def kernel_stack_guard(slot: int = 0) -> Tuple[int, int]:
    """[lo, hi) of the unmapped guard page below process slot ``slot``'s kernel stack
    (the kernel's ABI file: from KSTACK_BASE, each slot is KSTACK_SLOT_PAGES pages, the first
    one a guard)."""
    k = kabi.load()
    page = k.const("PAGE_SIZE")
    lo = k.const("KSTACK_BASE") + slot * k.const("KSTACK_SLOT_PAGES") * page
    return lo, lo + page


@dataclass
class PanicReport:
    """The kernel's panic lines, parsed.

    Attributes:
        crash: ``ringlab: crash kind=K [target=0x..]``.
        fault: the ring-0 ``fault`` event.
        regs: every ``panic-regs`` field (rax..r15, cr0, cr2, cr3, cr4).
        backtrace: the raw return addresses of ``panic-backtrace``.
        panic: the ``panic`` event.
    """

    crash: Optional[Event]
    fault: Optional[Fault]
    regs: Dict[str, int]
    backtrace: List[int]
    panic: Optional[Panic]

    @classmethod
    def from_events(cls, events: Sequence[Event]) -> "PanicReport":
        crash = next(iter(of(events, "crash")), None)
        fault = next(iter(of(events, Fault, cpl=0)), None)
        regs: Dict[str, int] = {}
        bt: List[int] = []
        for e in events:
            if e.kind == "panic-regs":
                regs.update({k: v for k, v in e.fields.items() if isinstance(v, int)})
            elif e.kind == "panic-backtrace":
                bt = [int(w, 16) for w in e.words if w.startswith("0x")]
        panic = next(iter(of(events, Panic)), None)
        return cls(crash, fault, regs, bt, panic)

    @property
    def target(self) -> Optional[int]:
        t = self.crash.get("target") if self.crash else None
        return t if isinstance(t, int) else None

    def symbolized(self, kernel: Path = C.KERNEL_IMAGE) -> List[str]:
        return symbolizer(kernel).backtrace(self.backtrace)

    def describe(self, kernel: Path = C.KERNEL_IMAGE) -> str:
        """The report as a person reads it: fault, decoded error, CR2, RIP's function,
        the symbolized backtrace."""
        out = []
        if self.fault:
            f = self.fault
            out.append(f"{decode.mnemonic(f.vector)} in ring 0 at "
                       f"{name_address(kernel, f.rip)}")
            if decode.has_error_code(f.vector):
                out.append(f"error {f.error:#x}: {decode.describe_error(f.vector, f.error)}")
        if "cr2" in self.regs:
            out.append(f"cr2={self.regs['cr2']:#x}")
        if self.backtrace:
            out.append("backtrace: " + " <- ".join(
                name_address(kernel, a, return_address=True) for a in self.backtrace))
        if self.panic:
            out.append(f"panic reason={self.panic.reason}")
        return "\n".join(out)


def crash_config(crash: Crash) -> QemuConfig:
    return QemuConfig(append=f"crash={crash.kind}", cpu=crash.cpu, int_log=True)
