"""swapgs at the boundary: the user's GS base stays the user's, the kernel's stays the kernel's.

The kernel keeps its per-CPU struct (``cpu0``, kernel/include/percpu.h) in IA32_GS_BASE while
in ring 0 and the running process's GS base in IA32_KERNEL_GS_BASE, swapping the two on every
entry from and exit to ring 3 (SDM Vol. 2B SWAPGS). Three witnesses:

- the program: images/user/gsbase sets its GS base with arch_prctl(ARCH_SET_GS) and checks
  %gs-relative loads and ARCH_GET_GS after system calls, preemption, children's faults and an
  exec; it prints the same lines and exits 0 on the host's Linux and in ringlab;
- QEMU's ``-d int`` log: the register dump of every interrupt or exception shows the GS base
  of the code it interrupted: a user base for ticks taken at CPL 3 (the program spins long
  enough to be preempted), the kernel's ``cpu0`` for every event taken at CPL 0 (nested
  entries: the scheduler's idle ticks, a kernel #PF, the #DF on IST1);
- gdb at kernel breakpoints: ``gs_base`` is ``&cpu0`` and ``k_gs_base`` the user's value.
"""
from __future__ import annotations

import shutil

import pytest

from ringlab import lab
from ringlab.machine import symbols
from ringlab.observe.events import Fault
from ringlab.debug.machine import DebugMachine
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.qemulog import parse_int_log
from ringlab.machine.symbols import symbolizer
from ringlab.observe.verdict import Outcome
from tests.parity import captured_on_host

pytestmark = pytest.mark.boot

PROGRAM = "gsbase"
SPIN_MS = "150"          # 15 ticks of the 100 Hz timer in ring 3 (the child spins 10 more)
TIMER_VECTOR = 0x20
TIMEOUT_S = 30.0


LAST_USER_PAGE = 0x7FFFFFFFF000   # gsbase.c sets its GS base to the byte below it for a moment


def areas(images):
    prog = images.program(PROGRAM)
    return {symbols.symbol_address(prog, "parent_area"), symbols.symbol_address(prog, "child_area")}


def cpu0(images) -> int:
    return symbolizer(images.kernel).address("cpu0")


def test_same_output_and_status_as_on_linux(images, tmp_path):
    shutil.copy(images.program(PROGRAM), tmp_path / PROGRAM)
    with captured_on_host([PROGRAM, SPIN_MS], cwd=tmp_path, executable=str(tmp_path / PROGRAM)) as host:
        run = lab.run(QemuConfig(kernel=images.kernel, init=images.program(PROGRAM),   # meanwhile
                                 append=f"init.args={SPIN_MS}"), timeout_s=TIMEOUT_S)
        out, err = host.communicate(timeout=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert host.returncode == 0, out + err
    assert run.user_lines == out.splitlines()
    assert "gsbase: all checks passed" in run.user_lines


def test_ticks_from_ring3_see_the_users_base_and_ring0_the_kernels(images):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program(PROGRAM), int_log=True,
                             append=f"init.args={SPIN_MS}"), timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    records = [r for r in parse_int_log(run.log) if "gs" in r.dump.segments]
    user_ticks = [r for r in records if r.vector == TIMER_VECTOR and r.cpl == 3]
    # preempted while spinning with its own base: the parent's, and the child's
    assert {r.dump.segments["gs"].base for r in user_ticks} >= areas(images), run.log[-2000:]
    for r in records:
        gs = r.dump.segments["gs"].base
        if r.cpl == 3:
            # the program's own bases: none yet, the edge test's last user byte, its areas
            assert gs in areas(images) | {0, LAST_USER_PAGE - 1}, r.describe()
        else:
            assert gs == cpu0(images), r.describe()


@pytest.mark.parametrize("kind, vector", [("null", 14), ("stack", 8)])
def test_nested_kernel_faults_keep_the_kernels_base(images, kind, vector):
    """A #PF in ring 0 and the #DF on IST1 arrive with the kernel's GS base: no swapgs
    (the CS in their frames has RPL 0), and the report can still name the process."""
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program(PROGRAM),
                             append=f"crash={kind}", int_log=True), timeout_s=TIMEOUT_S)
    assert run.outcome in (Outcome.PANIC, Outcome.DOUBLE_FAULT), run.report()
    kernel = [r for r in parse_int_log(run.log) if r.cpl == 0 and r.vector == vector]
    assert kernel, run.log[-2000:]
    assert all(r.dump.segments["gs"].base == cpu0(images) for r in kernel)
    faults = [e for e in run.of(Fault) if e.cpl == 0]
    assert faults and faults[0].pid == 1, run.report()   # myproc() through %gs worked


@pytest.mark.gdb
def test_gdb_kernel_runs_with_cpu0_and_keeps_the_users_base_aside(images):
    parent_area = symbols.symbol_address(images.program(PROGRAM), "parent_area")
    cfg = QemuConfig(kernel=images.kernel, init=images.program(PROGRAM))
    with DebugMachine(cfg) as dm:
        g = dm.gdb
        base = g.address_of("cpu0")
        # in ring 3, after ARCH_SET_GS: the user's base is live, the kernel's set aside
        g.break_at(symbols.symbol_address(images.program(PROGRAM), "spin"))
        g.cont(timeout_s=TIMEOUT_S, what="spin")
        r = g.registers(["gs_base", "k_gs_base", "cs"])
        assert r["cs"] & 3 == 3
        assert r["gs_base"] == parent_area and r["k_gs_base"] == base
        for where in ("syscall_dispatch", "timer_intr"):
            bp = g.break_at(where)
            g.cont(timeout_s=TIMEOUT_S, what=where)
            r = g.registers(["gs_base", "k_gs_base", "cs"])
            assert r["cs"] & 3 == 0
            assert r["gs_base"] == base, where
            assert r["k_gs_base"] == parent_area, where
            g.delete(bp)


@pytest.mark.gdb
def test_a_faulting_iretq_to_ring3_swaps_back(images):
    """An iretq to ring 3 that faults does so in ring 0, after its swapgs: a data selector as
    the frame's CS is #GP(selector) (SDM Vol. 2A IRET, "IA-32e mode" exceptions). The new
    frame's CS has RPL 0, so alltraps recognises ``iret_insn`` as the faulting RIP and swaps
    back; the kernel then reports the fault with the current pid, which it reads through
    %gs (on the user's base 0 that read would itself fault)."""
    user_ss = 0x2B                                 # user data selector, RPL 3
    cfg = QemuConfig(kernel=images.kernel, init=images.program("gdb_spin"), append="init.args=0")
    with DebugMachine(cfg) as dm:
        g = dm.gdb
        iret = g.address_of("iret_insn")
        g.break_at(iret)
        for _ in range(50):                        # iretqs back to ring 0 (interrupts) first
            g.cont(timeout_s=TIMEOUT_S, what="iret_insn")
            rsp = g.register("rsp")
            rip, cs = g.read_u64s(rsp, 2)
            if cs & 3 == 3:
                break
        else:
            raise AssertionError("no iretq to ring 3")
        r = g.registers(["gs_base", "k_gs_base"])
        assert r["gs_base"] == 0 and r["k_gs_base"] == g.address_of("cpu0")   # swapped already
        g.console(f"set var *(unsigned long *){rsp + 8:#x} = {user_ss:#x}")
        run = dm.finish(TIMEOUT_S)
    assert run.outcome is Outcome.PANIC, run.report()
    faults = [e for e in run.of(Fault) if e.cpl == 0]
    assert faults, run.report()
    fault = faults[0]
    assert (fault.vector, fault.error, fault.rip, fault.pid) == (13, user_ss & ~3, iret, 1)
    assert "kernel-fault-in-fault-report" not in run.console
