"""The boundary against a hostile ring-3 program: doors into ring 0 that must stay shut.

Each test boots a real machine (QEMU, TCG) and reads the verdict from the kernel's events and
QEMU's own ``-d int`` log, never from the exit status alone.
"""
import pytest

from ringlab.machine import elfimage
from ringlab import lab
from ringlab.observe.events import Fault, Kill
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.qemulog import parse_int_log
from ringlab.observe.verdict import Outcome

pytestmark = pytest.mark.boot

SIGSEGV = 11


@pytest.mark.parametrize("cpu", ["qemu64", "max"])
def test_ldt_call_gate_never_reaches_cpl0(images, cpu):
    """A DPL-3 call gate written into the reset LDT's memory is unreachable: the kernel loads a
    null LDTR at boot (SDM Vol. 3A 3.5.1), so the far call through a TI=1 selector is #GP with
    the selector's index and TI bit (0x1004) as the error code, SIGSEGV, status 139, on a CPU
    with SMAP or without it. QEMU's register dump at that #GP shows LDTR null."""
    prog = images.program("f_ldt_gate")
    run = lab.run(QemuConfig(init=prog, cpu=cpu, int_log=True))
    assert run.outcome is Outcome.KILLED and run.status == 139, run.report()
    assert not any("reached CPL" in line for line in run.user_lines), run.report()
    fault = run.first(Fault)
    lcall = elfimage.symbol_address(prog, "fault_insn")
    assert (fault.vector, fault.error, fault.cpl, fault.rip) == (13, 0x1004, 3, lcall), run.report()
    assert run.first(Kill).signal == SIGSEGV

    gp = [r for r in parse_int_log(run.log) if r.vector == 13 and r.cpl == 3]
    assert len(gp) == 1 and gp[0].error == 0x1004 and gp[0].rip == lcall, run.report()
    ldt = gp[0].dump.segments["ldt"]
    assert (ldt.selector, ldt.base, ldt.limit) == (0, 0, 0), \
        f"LDTR is not null at the ring-3 #GP: {ldt}\n" + run.report()
