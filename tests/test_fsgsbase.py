"""FSGSBASE: rdfsbase/wrfsbase/rdgsbase/wrgsbase in ring 3 where the CPU has them, and a kernel
that never runs on a GS base ring 3 chose.

cpu.c sets CR4.FSGSBASE where CPUID.(EAX=7):EBX[0] says the CPU has it: ``-cpu max`` does,
qemu64 does not (there the instructions are #UD, SIGILL, as on Linux). ``fsgsbase`` checks that
arch_prctl and the instructions agree both ways, that a base written by wrgsbase survives
context switches with a non-zero GS selector (Linux's x86_fsgsbase_load), that ARCH_SET_GS
nulls the selector, and, for hostile GS bases (kernel addresses), that system calls, timer
interrupts, a fault (#UD: SIGILL) and a signal (SIGUSR1) leave the base as written, in the
handlers too. Witnesses: the program (compared with the host's Linux, which has FSGSBASE),
QEMU's interrupt log (every event taken at CPL 0 shows the kernel's GS base, ``cpu0``; events
taken at CPL 3 show the hostile bases) and gdb stopped in the kernel at each kind of entry.

A non-canonical base: wrgsbase is #GP on hardware (the host: SIGSEGV, 139); QEMU 7.2's TCG
writes it without the check (as it does for wrmsr, docs/qemu-facts.md), so under ringlab the
child prints it and exits 0; the kernel survives it either way (swapgs and the scheduler's
MSR writes take any value under TCG).
"""
import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.debug.machine import DebugMachine
from ringlab.machine import symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.machine.symbols import symbolizer
from ringlab.observe import qemulog
from ringlab.observe.events import Panic

from tests.parity import Case, assert_same_as_linux

pytestmark = pytest.mark.boot

PROGRAM = "fsgsbase"
TIMEOUT_S = 120
HOSTILE = (0xFFFFFFFF80000000, 0xFFFF888000000000, 0xFFFFFFFFFFFFF000, 0xFFFFFF8000000000)
NONCANONICAL = "fsgsbase: non-canonical"
QEMU_NONCANONICAL = ["fsgsbase: non-canonical base accepted: 0x800000000000",
                     "fsgsbase: non-canonical wrgsbase status=0"]
CR4_FSGSBASE = 1 << 16
TIMER_VECTOR = 0x20


def test_same_as_linux_with_fsgsbase(images, tmp_path):
    assert_same_as_linux(Case(PROGRAM, cpu=C.DEFAULT_CPU, ignore=(NONCANONICAL,)), images, tmp_path)


def test_kernel_runs_on_its_own_gs_base_at_every_event(images):
    run = lab.run(QemuConfig(init=images.program(PROGRAM), cpu=C.DEFAULT_CPU, int_log=True),
                  timeout_s=TIMEOUT_S)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert [l for l in run.user_lines if l.startswith(NONCANONICAL)] == QEMU_NONCANONICAL
    assert all(f"fsgsbase: hostile gs base {b:#x} kept=1" in run.user_lines for b in HOSTILE)
    cpu0 = symbolizer(images.kernel).address("cpu0")
    records = [r for r in qemulog.parse_int_log(run.log) if "gs" in r.dump.segments]
    assert records, run.log[-2000:]
    for r in records:
        if r.cpl == 0:
            assert r.dump.segments["gs"].base == cpu0, r.describe()
    user_bases = {r.dump.segments["gs"].base for r in records if r.cpl == 3}
    assert set(HOSTILE) <= user_bases, sorted(hex(b) for b in user_bases)
    assert not qemulog.parse(run.log).exceptions(cpl=0)


def test_without_fsgsbase_the_instructions_are_sigill(images):
    run = lab.run(QemuConfig(init=images.program(PROGRAM), cpu=C.LEGACY_CPU), timeout_s=TIMEOUT_S)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert run.user_lines == ["fsgsbase: rdgsbase status=132"], run.report()
    assert "cr4=" in run.console and not int(run.console.split("cr4=")[1].split()[0], 16) & CR4_FSGSBASE


@pytest.mark.gdb
def test_gdb_every_entry_from_a_hostile_gs_base_runs_on_cpu0(images):
    """Stopped in ring 3 with the first hostile base live, then in the kernel at a system call
    (syscall_dispatch), an int $0x80 (syscall32_dispatch), a timer interrupt (timer_intr), a fault (signal_fault, for the ud2) and
    the handler's rt_sigreturn (syscall_dispatch again): gs_base is cpu0 at each, and the
    user's hostile base waits in k_gs_base."""
    prog = images.program(PROGRAM)
    cfg = QemuConfig(kernel=images.kernel, init=prog, cpu=C.DEFAULT_CPU)
    with DebugMachine(cfg) as dm:
        g = dm.gdb
        cpu0 = g.address_of("cpu0")
        # First to main's sched_yield, past its spin(): QEMU's TCG runs the code of a page
        # that holds a breakpoint one instruction at a time, unchained (accel/tcg/cpu-exec.c,
        # check_for_breakpoints_slow), and hostile_set shares its page with that loop: with
        # its breakpoint set from the start, reaching it took 4-8 s instead of a tenth of one.
        bp = g.break_at("sys_sched_yield")
        g.cont(timeout_s=TIMEOUT_S, what="sys_sched_yield")
        g.delete(bp)
        bp = g.break_at(symbols.symbol_address(prog, "hostile_set"))
        g.cont(timeout_s=TIMEOUT_S, what="hostile_set")
        r = g.registers(["gs_base", "k_gs_base", "cs"])
        assert r["cs"] & 3 == 3 and r["gs_base"] == HOSTILE[0] and r["k_gs_base"] == cpu0, r
        g.delete(bp)
        for where, users in (("syscall_dispatch", True), ("syscall32_dispatch", True),
                             ("timer_intr", False), ("signal_fault", True),
                             ("syscall_dispatch", True)):
            bp = g.break_at(where)
            g.cont(timeout_s=TIMEOUT_S, what=where)
            r = g.registers(["gs_base", "k_gs_base", "cs"])
            assert r["cs"] & 3 == 0 and r["gs_base"] == cpu0, (where, r)
            if users:                      # (a tick may also come while the scheduler idles)
                assert r["k_gs_base"] == HOSTILE[0], (where, r)
            g.delete(bp)
