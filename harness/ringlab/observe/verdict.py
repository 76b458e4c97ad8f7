"""Name the outcome of a run from the kernel's events and QEMU's exit status *together*.

Rules (docs/tour.md, Exit status of invoke boot; docs/qemu-facts.md, Exit status and triple
faults):

- a ``sanitizer`` event (the sanitizer kernel found a bug, then panicked): ``sanitizer``, with
  the check, where, and the object as the detail; it comes first: never a pass, and its
  panic (or anything after it) is a consequence;
- success needs the ``halt status=V`` event AND QEMU's rc == ((V << 1) | 1) & 0xff;
  the outcome is then ``killed`` if init was killed by a signal, else ``exited``;
- ``Triple fault`` in QEMU's cpu_reset log, or rc 0 without a halt line: ``triple-fault``
  (QEMU exits 0 then; never success), unless QEMU's stderr says a signal stopped it
  (``terminating on signal N``: it exits 0 then too): ``qemu-failure``;
- a ``bad-arg`` event (the kernel refused its arguments, then panicked): ``panic``, with the
  argument and the reason as the detail;
- a ``no-memory`` event (the modules leave the kernel too little memory; it halts before
  init): ``no-memory``, with what it needs and has, if QEMU's rc matches the halt line;
- a ``panic`` event: ``double-fault`` if the kernel took a #DF (``panic
  reason=kernel-double-fault``, or a ``fault vector=8`` event), else ``panic``;
- no halt before the deadline: ``timeout`` (a timeout only ever makes a run fail);
- anything else (QEMU start-up error, a halt line contradicted by rc, QEMU killed): ``qemu-failure``.
"""
from __future__ import annotations

import enum
import re
import signal as _signal
from dataclasses import dataclass
from typing import Optional, Sequence

from ..core import constants as C
from .decode import VECTOR_DF
from .events import BadArg, Event, Exit, Fault, Halt, Kill, NoMemory, Panic, Sanitizer, of

TRIPLE_FAULT_RE = re.compile(r"Triple fault", re.IGNORECASE)
# QEMU's own line when a signal (say, Ctrl-C passed through) ends it; it then exits 0.
QEMU_SIGNALLED_RE = re.compile(r"terminating on signal (\d+)")
DOUBLE_FAULT_VECTOR = VECTOR_DF  # #DF (SDM Vol. 3A 6.15), decode's table


class Outcome(str, enum.Enum):
    """How a run ended. Only EXITED and KILLED are machine-level successes.

    A str: ``run.outcome == "timeout"`` holds as ``run.outcome is Outcome.TIMEOUT`` does.
    """

    EXITED = "exited"              # init exited; status = its exit status
    KILLED = "killed"              # init killed by a signal; status = 128 + signal
    PANIC = "panic"                # kernel panic
    DOUBLE_FAULT = "double-fault"  # kernel panic after a #DF (e.g. kernel stack overflow)
    TRIPLE_FAULT = "triple-fault"  # CPU reset
    TIMEOUT = "timeout"            # no halt in time
    QEMU_FAILURE = "qemu-failure"  # QEMU failed, or its rc contradicts the halt line
    NO_MEMORY = "no-memory"        # the boot modules leave the kernel too little memory
    SANITIZER = "sanitizer"        # the sanitizer kernel reported a bug (then panicked)

    @property
    def machine_ok(self) -> bool:
        """True if the kernel halted cleanly (the program may still have failed)."""
        return self in (Outcome.EXITED, Outcome.KILLED)


#: ``invoke boot`` exit status for outcomes that have no program status (docs/tour.md).
OUTCOME_EXIT_STATUS = {
    Outcome.PANIC: C.EXIT_PANIC,
    Outcome.DOUBLE_FAULT: C.EXIT_DOUBLE_FAULT,
    Outcome.TRIPLE_FAULT: C.EXIT_TRIPLE_FAULT,
    Outcome.TIMEOUT: C.EXIT_TIMEOUT,
    Outcome.QEMU_FAILURE: C.EXIT_QEMU_FAILURE,
    Outcome.NO_MEMORY: C.EXIT_NO_MEMORY,
    Outcome.SANITIZER: C.EXIT_SANITIZER,
}


@dataclass
class Verdict:
    """The judged outcome.

    Attributes:
        outcome: see Outcome.
        status: machine status (init's exit status, or 128+signal) when the kernel halted.
        signal: the signal that killed init, for KILLED.
        detail: one line explaining the outcome (what ``invoke boot`` prints).
    """

    outcome: Outcome
    status: Optional[int]
    signal: Optional[int]
    detail: str

    @property
    def exit_status(self) -> int:
        """What ``invoke boot`` exits with: the machine status, or a documented code."""
        if self.outcome.machine_ok and self.status is not None:
            return self.status
        return OUTCOME_EXIT_STATUS[self.outcome]


def expected_rc(status: int) -> int:
    """QEMU's exit status after the kernel writes ``status`` to isa-debug-exit."""
    return ((status << 1) | 1) & 0xFF


def signal_name(signo: int) -> str:
    try:
        return _signal.Signals(signo).name
    except ValueError:
        return f"signal {signo}"


#: what QEMU 7.2's gdbstub prints on stderr before exit(0) when gdb sends `k` (gdb's kill)
GDB_KILL_RE = re.compile(r"QEMU: Terminated via GDBstub")
#: what QEMU 7.2 prints on stderr when KVM cannot run the guest on (accel/kvm/kvm-all.c,
#: kvm_handle_internal_error): it then stops the guest and keeps running ("emulation
#: failure" follows for suberror 1, then a register dump)
KVM_INTERNAL_ERROR_RE = re.compile(r"^KVM internal error\. Suberror: \d+$", re.M)


#: sanitizer event fields that are addresses or bit patterns (the kernel prints them in hex)
SANITIZER_HEX_FIELDS = {"used", "freed", "va", "pa", "entry", "stack", "value", "ptr", "base",
                        "result"}


def sanitizer_detail(report: Sanitizer) -> str:
    """One line for a sanitizer report: the check, where, and the rest of its fields
    (``use-after-free at thread.c:133 (object=fsinfo slot=0 used=0x... freed=0x...)``)."""
    rest = " ".join(f"{k}={v:#x}" if k in SANITIZER_HEX_FIELDS and isinstance(v, int) else f"{k}={v}"
                    for k, v in report.fields.items() if k not in ("check", "at"))
    return f"{report.check} at {report.at}" + (f" ({rest})" if rest else "")


def judge(events: Sequence[Event], rc: Optional[int], *, qemu_signal: Optional[int] = None,
          timed_out: bool = False, timeout_s: Optional[float] = None, reset_log: str = "",
          stderr: str = "") -> Verdict:
    """Decide the outcome of one run.

    Args:
        events: the kernel events, in console order.
        rc: QEMU's exit status (None if it did not exit by itself).
        qemu_signal: the signal that ended QEMU, if any (e.g. the harness's SIGTERM).
        timed_out: the harness gave up waiting for the halt line.
        timeout_s: the deadline it had (only quoted in the detail).
        reset_log: QEMU's ``-d cpu_reset`` (and int) log.
        stderr: QEMU's stderr (a KVM internal error there is a ``qemu-failure``, whether
            the harness stopped QEMU at once or at its deadline).
    """
    halts = of(events, Halt)
    panics = of(events, Panic)
    init_end = of(events, Exit, Kill, pid=1)

    reports = of(events, Sanitizer)
    if reports:
        return Verdict(Outcome.SANITIZER, None, None, sanitizer_detail(reports[0]))
    if TRIPLE_FAULT_RE.search(reset_log):
        return Verdict(Outcome.TRIPLE_FAULT, None, None,
                       "triple fault: QEMU's cpu_reset log shows 'Triple fault' (CPU reset)")
    bad_args = of(events, BadArg)
    if bad_args:
        b = bad_args[0]
        return Verdict(Outcome.PANIC, None, None,
                       f"bad kernel argument {b.key}={b.value}: {b.reason} (kernel refused to boot)")
    no_memory = of(events, NoMemory)
    if no_memory and halts and rc is not None and rc == expected_rc(halts[-1].status):
        n = no_memory[0]
        return Verdict(Outcome.NO_MEMORY, None, None,
                       f"too little memory: the kernel needs {n.need_kib} KiB of RAM for its "
                       f"modules ({n.modules_kib} KiB) and init, the machine has {n.mem_kib} KiB "
                       "(init never ran; give the machine more memory or smaller files)")
    if panics:
        p = panics[0]
        why = p.reason or " ".join(p.words) or "?"
        extra = f", QEMU rc={rc}" if rc is not None else ""
        double = "double-fault" in why or bool(of(events, Fault, vector=DOUBLE_FAULT_VECTOR))
        if double:
            return Verdict(Outcome.DOUBLE_FAULT, None, None,
                           f"double fault: kernel panic after #DF: reason={why}{extra}")
        return Verdict(Outcome.PANIC, None, None, f"kernel panic: reason={why}{extra}")
    if halts:
        v = halts[-1].status
        if rc is not None and rc == expected_rc(v):
            if init_end and isinstance(init_end[-1], Kill):
                k = init_end[-1]
                name = k.name or signal_name(k.signal)
                return Verdict(Outcome.KILLED, v, k.signal,
                               f"init killed by {name} (status {v})")
            return Verdict(Outcome.EXITED, v, None, f"init exited (status {v})")
        if timed_out or rc is None:
            return Verdict(Outcome.TIMEOUT if timed_out else Outcome.QEMU_FAILURE, None, None,
                           f"halt status={v} printed but QEMU did not exit"
                           + (f" (ended by {signal_name(qemu_signal)})" if qemu_signal else ""))
        return Verdict(Outcome.QEMU_FAILURE, None, None,
                       f"halt status={v} printed but QEMU rc={rc} (expected {expected_rc(v)})")
    kvm_error = KVM_INTERNAL_ERROR_RE.search(stderr)
    if kvm_error:
        failure = "emulation failure, " if "\nemulation failure\n" in stderr else ""
        return Verdict(Outcome.QEMU_FAILURE, None, None,
                       f"QEMU stopped the guest: '{kvm_error.group(0)}' ({failure}its "
                       "register dump is on QEMU's stderr)")
    if timed_out:
        within = f" within {timeout_s:g} s" if timeout_s is not None else ""
        return Verdict(Outcome.TIMEOUT, None, None, f"timeout: no halt line{within}")
    stopped = QEMU_SIGNALLED_RE.search(stderr)
    if stopped and qemu_signal is None:
        return Verdict(Outcome.QEMU_FAILURE, None, None,
                       f"QEMU stopped by {signal_name(int(stopped.group(1)))} without a halt line "
                       f"(stderr: {stopped.group(0)})")
    if GDB_KILL_RE.search(stderr):
        return Verdict(Outcome.QEMU_FAILURE, None, None,
                       "killed from gdb (`kill`): QEMU said 'Terminated via GDBstub'")
    if rc == 0 and qemu_signal is None:
        return Verdict(Outcome.TRIPLE_FAULT, None, None,
                       "QEMU exited 0 without a halt line (with -no-reboot: a triple fault)")
    first_err = next((l for l in stderr.splitlines() if l.strip()), "")
    if qemu_signal is not None:
        return Verdict(Outcome.QEMU_FAILURE, None, None,
                       f"QEMU ended by {signal_name(qemu_signal)} without a halt line")
    return Verdict(Outcome.QEMU_FAILURE, None, None,
                   f"QEMU exited rc={rc} without a halt line" + (f": {first_err}" if first_err else ""))
