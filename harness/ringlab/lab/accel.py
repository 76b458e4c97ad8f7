"""``--accel kvm`` only where KVM runs ring 3 correctly: a probe boot decides, else the refusal
names the reason.

The probe boots ringlab's own kernel with images/user/hlt under KVM: its printf is a
``syscall`` (ring 3 -> 0 -> 3) and its ``hlt`` must raise #GP(0) at CPL 3 (SDM Vol. 2A HLT),
which the kernel reports and answers with SIGSEGV (status 139). That is the boundary the lab
exists to show, so the probe checks exactly it, on the kernel that will run. On the nested
KVM of the machines this was built on, ``syscall`` stayed at CPL 3 (the first fault a #PF
at CPL 3 on syscall_entry), ``-cpu max`` makes QEMU abort, and with ``-cpu qemu64`` KVM
fails to emulate the ``xrstor`` in fpu_init (emulation failure at fpu_init+270): a KVM
internal error, after which QEMU keeps running with the guest stopped. The probe's run ends as soon as QEMU's
monitor reports that stop (``Session.finish``), not at PROBE_TIMEOUT_S (docs/qemu-facts.md).
"""
from __future__ import annotations

import os
from typing import Optional

from ..core import constants as C
from ..core.errors import BadConfig
from ..machine.elfimage import symbols
from ..observe.decode import VECTOR_GP, Signal
from ..observe.events import Fault
from ..observe.verdict import Outcome
from .session import boot_config, program, run

ACCELS = ("tcg", "kvm")
KVM_DEVICE = "/dev/kvm"
PROBE_PROGRAM = "hlt"
PROBE_STATUS = 128 + Signal.SIGSEGV   # killed by SIGSEGV (the shell convention)
PROBE_TIMEOUT_S = 30.0       # KVM starts slowly here (1.4 s for a trivial kernel)
GP_VECTOR = VECTOR_GP          # #GP, decode's table


def kvm_refusal(cpu: str = C.DEFAULT_CPU) -> Optional[str]:
    """Why KVM cannot run ringlab here (None: the probe boot behaved as under TCG)."""
    if not os.path.exists(KVM_DEVICE):
        return f"no {KVM_DEVICE} (no hardware virtualisation on this machine)"
    if not os.access(KVM_DEVICE, os.R_OK | os.W_OK):
        return f"{KVM_DEVICE} is not readable and writable by you (join the kvm group)"
    prog = program(PROBE_PROGRAM)
    r = run(boot_config(prog, cpu=cpu).replace(accel="kvm"), timeout_s=PROBE_TIMEOUT_S)
    what = f"the probe boot ({PROBE_PROGRAM} under KVM, -cpu {cpu})"
    if r.outcome is not Outcome.KILLED or r.status != PROBE_STATUS:
        first = next((l for l in r.stderr.splitlines() if l.strip()), "")
        return f"{what} ended {r.outcome.value}: {r.verdict.detail}" + (
            f" ({first})" if first else "")
    fault = next(iter(r.of(Fault)), None)
    want = dict((n, v) for v, n in symbols(prog)).get("fault_insn")
    if fault is None or fault.vector != GP_VECTOR or fault.cpl != 3 or fault.rip != want:
        got = (f"vector {fault.vector} at CPL {fault.cpl}, rip {fault.rip:#x}" if fault
               else "no fault")
        hint = ("; `syscall` stayed at CPL 3" if fault is not None and fault.cpl == 3
                and fault.rip >= 1 << 63 else "")
        return f"{what}: first fault {got}, want #GP at CPL 3 on hlt at {want:#x}{hint}"
    return None


def check_accel(accel: Optional[str], cpu: Optional[str] = None) -> Optional[str]:
    """The ``-accel`` value for ``--accel`` (None: TCG, QEMU's default).

    Raises:
        BadConfig: not tcg or kvm, or kvm refused (the reason in the message).
        BadImage: the probe program is not built.
    """
    if accel is None or accel == "tcg":
        return None
    if accel not in ACCELS:
        raise BadConfig(f"--accel {accel}: want one of {', '.join(ACCELS)}")
    reason = kvm_refusal(cpu or C.DEFAULT_CPU)
    if reason:
        raise BadConfig(f"--accel kvm refused: {reason}")
    return "kvm"
