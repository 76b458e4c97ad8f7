"""Compatibility-mode transitions with names (issue 19, acceptance 5): ``invoke trace`` and
gdb's ``ring`` / ``step-ring`` on a 32-bit program show CS 0x23 as ``user32``, the i386
system-call names (images/kabi.json ``syscalls32``) and the program's ELF32 symbols. Real
QEMU and real gdb; the catalogue's compatibility-mode rows are in tests/test_faults.py.
Unit tests of the formats at the end need no QEMU.
"""
from __future__ import annotations

import platform
import re
import subprocess
import sys

import pytest

from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug.gdbext.ringfmt import RingState, Transition, mode_of, selector_modes
from ringlab.debug.machine import DebugMachine
from ringlab.debug.trace import (VSYSCALL_ENTRY, KernelFacts, compare_with_qemu_log, trace)
from ringlab.machine.qemu import QemuConfig
from ringlab.machine.symbols import symbolizer
from ringlab.observe.events import Syscall

PROGRAM = "f_m32badsys-m32"     # int $0x80 with EAX 1000 in main, then printf (the vDSO)
BAD_NR = 1000
HELLO = "m32hello-m32"          # glibc i386: raw int $0x80 at start-up, then the vDSO


def _named(table, address: int) -> str:
    found = table.lookup(address)
    assert found, f"{address:#x} is in no function of {table.path}"
    return f"{found[0]}+{found[1]}" if found[1] else found[0]


@pytest.mark.boot
@pytest.mark.gdb
def test_trace_of_a_32bit_init_names_i386_calls_and_elf32_symbols(images):
    prog = images.program(PROGRAM)
    table = symbolizer(prog)
    tr = trace(QemuConfig(init=prog, append="trace=syscall", int_log=True), timeout_s=60)
    tr.run.check(status=0)
    ev = tr.run.report()
    user32 = kabi.load().const("USER32_CS")
    # every crossing of a 32-bit process is under CS 0x23: no 64-bit `syscall` at all
    assert tr.transitions, ev
    assert all((t.cs, t.mode) == (user32, "user32") for t in tr.transitions), \
        [t.row() for t in tr.transitions if t.cs != user32]
    assert not [t for t in tr.transitions if t.kind in ("syscall", "sysretq")], ev
    gates = [t for t in tr.transitions if t.kind == "int80"]
    # the i386 names, the same calls (and order) as the kernel's own i386 events
    kernel = [e for e in tr.run.of(Syscall)]
    assert all(e.abi == "i386" for e in kernel), [e.line for e in kernel]
    facts = KernelFacts.of(kabi.load())
    assert [g.syscall_nr for g in gates] == [e.nr for e in kernel], ev
    assert [g.syscall_name for g in gates] == [facts.syscalls32.get(e.nr, f"i386:nr{e.nr}")
                                               for e in kernel]
    assert "write" in [g.syscall_name for g in gates] and gates[-1].syscall_name == "exit_group"
    # the bad number: the int $0x80 in main, named from the ELF32's symbols
    bad = next(g for g in gates if g.syscall_nr == BAD_NR)
    assert bad.syscall_name == f"i386:nr{BAD_NR}" and "int 0x80 1000 i386:nr1000" in bad.cause
    assert bad.user_rip == table.address("fault_insn")
    assert bad.user_symbol == _named(table, bad.user_rip) and bad.user_symbol.startswith("main+")
    assert bad.frame_rip == table.address("fault_next")
    ret = tr.transitions[bad.number]             # its return to ring 3: right after the int
    assert (ret.direction, ret.user_rip, ret.mode) == ("0->3", bad.frame_rip, "user32")
    assert ret.user_symbol == _named(table, bad.frame_rip)
    # printf's write goes through the 32-bit vDSO: named there, and its caller in the program
    write = next(g for g in gates if g.syscall_name == "write")
    assert write.user_symbol.startswith(VSYSCALL_ENTRY + "+"), write.row()
    assert write.caller and table.lookup(table.address(write.caller.split("+")[0])), write.row()
    assert f"caller=<{write.caller}>" in write.row() and "0x23 user32" in write.row()
    assert compare_with_qemu_log(tr, tr.qemu_log) == []


@pytest.mark.boot
@pytest.mark.gdb
def test_trace_of_mode_switches_and_compat_fast_entries(images):
    """userland/compat (a 64-bit program) far-jumps to CS 0x23 and makes i386 calls with
    `int $0x80`, `syscall` (entry_SYSCALL_compat) and `sysenter` (entry_SYSENTER_compat) from
    32-bit code: the trace shows user64 and user32 side by side, each with its i386 names."""
    prog = images.program("compat")
    tr = trace(QemuConfig(init=prog, append="init.args=int80_32,syscall32,sysenter32",
                          int_log=True), timeout_s=60)
    ev = tr.run.report()
    assert tr.run.exit_status == 0, ev
    user32, user64 = (kabi.load().const(c) for c in ("USER32_CS", "USER_CS"))
    by_mode = {t.mode for t in tr.transitions}
    assert {"user32", "user64"} <= by_mode, ev
    for kind in ("syscall32", "sysenter"):
        calls = [t for t in tr.transitions if t.kind == kind]
        assert calls, f"no {kind} entry traced\n" + "\n".join(t.row() for t in tr.transitions)
        assert all((t.cs, t.mode, t.direction) == (user32, "user32", "3->0") for t in calls)
        assert all(t.syscall_name == KernelFacts.of(kabi.load()).sysname32(t.syscall_nr)
                   for t in calls)
        assert {"getpid", "write"} & {t.syscall_name for t in calls}, [t.row() for t in calls]
    fast = [t for t in tr.transitions if t.kind == "syscall32"]
    assert all(t.user_symbol and t.kernel_symbol == "entry_SYSCALL_compat" for t in fast)
    gates32 = [t for t in tr.transitions if t.kind == "int80" and t.cs == user32]
    assert gates32 and all(t.mode == "user32" for t in gates32), ev
    # the 64-bit parent's calls stay user64
    assert [t for t in tr.transitions if t.kind == "syscall" and t.cs == user64], ev
    assert compare_with_qemu_log(tr, tr.qemu_log) == []


@pytest.mark.boot
@pytest.mark.gdb
def test_invoke_trace_shows_user32(images, invoke_cli):
    res = invoke_cli(["trace", "--init", str(images.program(PROGRAM))])
    assert res.returncode == 0, res.stdout + res.stderr
    header = next(l for l in res.stdout.splitlines() if l.lstrip().startswith("#"))
    assert header.split()[:4] == ["#", "pid", "ring", "cs"], header
    rows = [l for l in res.stdout.splitlines() if re.match(r"^\s+\d+\s+\d+\s+[03]->[03]", l)]
    assert rows and all(" 0x23 user32 " in l for l in rows), res.stdout
    assert any(re.search(r"int 0x80 1000 i386:nr1000 +0x[0-9a-f]+ <main\+\d+>", l)
               for l in rows), res.stdout
    assert "QEMU -d int agrees" in res.stdout, res.stdout


@pytest.mark.skipif(C.SANITIZE, reason="single-steps a whole kernel path: on the sanitizer kernel "
                                       "(RINGLAB_SANITIZE=1) every basic block's coverage hook and "
                                       "the checks at each return to ring 3 make it minutes long")
@pytest.mark.boot
@pytest.mark.gdb
def test_ring_and_step_ring_say_user32_and_name_elf32_symbols(images):
    """m32hello (glibc i386) from main: `ring` says user32 and names main from the ELF32;
    `step-ring` crosses at the 32-bit vDSO's int $0x80 (named from vdso32.so) and back."""
    prog = images.program(HELLO)
    table = symbolizer(prog)
    with DebugMachine(QemuConfig(init=prog)) as dm:
        g = dm.gdb
        g.break_at("main")
        g.cont(timeout_s=60, what="main")
        ring = g.console("ring")
        state = RingState.parse(ring)
        assert (state.cpl, state.cs, state.mode) == (3, 0x23, "user32"), ring
        assert state.rip == table.address("main") and " at=<main> " in ring + " ", ring
        assert state == g.ring_state()                 # the same registers over MI
        into = Transition.parse(g.console("step-ring"))
        assert (into.direction, into.mnemonic) == ("3->0", "int"), into
        assert (into.mode_before, into.mode_after) == ("user32", "kernel"), into
        assert into.sym_before.startswith(f"<{VSYSCALL_ENTRY}+"), into
        assert into.sym_after == "<vector128>", into
        back = Transition.parse(g.console("step-ring"))
        assert (back.direction, back.mnemonic) == ("0->3", "iretq"), back
        assert (back.cs_after, back.mode_before, back.mode_after) == (0x23, "kernel", "user32")
        assert back.rip_after == into.rip_before + 2, (into, back)
        assert back.sym_after.startswith(f"<{VSYSCALL_ENTRY}+"), back
        assert RingState.parse(g.console("ring")).mode == "user32"


@pytest.mark.boot
@pytest.mark.skipif(platform.machine() != "x86_64" or sys.platform != "linux",
                    reason="runs the i386 Linux binary on the host (IA32 emulation)")
def test_bad_int80_number_is_enosys_on_host_linux_too(images):
    """The catalogue's m32badsys row against the host's Linux: -ENOSYS, status 0."""
    res = subprocess.run([str(images.program(PROGRAM))], stdin=subprocess.DEVNULL,
                         capture_output=True, text=True, timeout=30)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"int $0x80 eax={BAD_NR} returned -38" in res.stdout


# ---------------------------------------------------------------------------------------------
# Unit tests: no QEMU

def test_selector_modes_from_the_kernel_abi():
    k = kabi.load()
    modes = selector_modes(k.constants)
    assert modes == {0x23: "user32", 0x33: "user64", 0x10: "kernel"}
    assert [mode_of(cs, modes) for cs in (0x23, 0x33, 0x10, 0x0F, 0x8)] == \
        ["user32", "user64", "kernel", "cpl3", "cpl0"]
    assert selector_modes({}) == {}


def test_mode_in_ring_and_step_ring_lines_round_trips():
    s = RingState(cpl=3, cs=0x23, ss=0x2B, rsp=0xFFFFDD80, cr3=0x712000, rip=0x80495DC,
                  mode="user32")
    assert s.line().startswith("ring: cpl=3 cs=0x23 mode=user32 ss=0x2b ")
    back = RingState.parse(s.line())
    assert back == s and back.mode == "user32"
    t = Transition(3, 0, 1, 0x80495DC, "int $0x80", 0x80495DC, 0xFFFFDD80,
                   0xFFFFFFFF80101000, 0xFFFFFFFFC000CFD8, 0x10, 0, mode_before="user32",
                   mode_after="kernel", sym_before="<main+20>", sym_after="<vector128>")
    line = t.line()
    assert " cs=0x10 ss=0x0 mode=user32->kernel from=<main+20> to=<vector128>" in line
    p = Transition.parse(line)
    assert p == t and (p.mode_before, p.mode_after) == ("user32", "kernel")
    # no modes known (a caller without the kernel's ABI): the line is as before
    assert "mode=" not in Transition(0, 3, 2, 1, "iretq", 1, 2, 3, 4, 0x33, 0x2B).line()


def test_trace_row_has_the_cs_column():
    facts = KernelFacts.of(kabi.load())
    assert facts.mode(0x23) == "user32" and facts.mode(0x33) == "user64"
    assert facts.mode(None) == "" and facts.user_cs == 0x33
    assert facts.vdso32[0] == kabi.load().const("VDSO32_ADDR") and facts.vdso32[1] > facts.vdso32[0]
    assert facts.sysname32(BAD_NR) == f"i386:nr{BAD_NR}" and facts.sysname32(4) == "write"
