"""GDB as the second witness: each ring transition proven from the CPU's own registers.

Real QEMU (TCG) and real gdb, never mocked. Every test boots its own machine halted at the
first instruction, with gdb on a unix socket in the machine's temp dir, so these tests run
in parallel with each other and with anything else (one test drives two machines at once).

Selectors (kernel/include/gdt.h, Linux's layout): KERNEL_CS 0x10, KERNEL_SS 0x18, USER_SS 0x2b,
USER_CS 0x33 (tests/test_kabi.py checks kabi.json states them).
"""
from __future__ import annotations

import dataclasses
import os
import re
import select
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.core.errors import BreakpointNotHit, StubNotAnswering, SymbolNotFound, ToolMissing
from ringlab.debug.gdbext.ringfmt import RingState, Transition, half
from ringlab.debug.machine import DebugMachine
from ringlab.debug.mi import GdbSession, started_pids
from ringlab.machine import elfimage, symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe import decode

pytestmark = [pytest.mark.boot, pytest.mark.gdb]

KERNEL_CS, KERNEL_SS, USER_SS, USER_CS = 0x10, 0x18, 0x2B, 0x33
FRAME = 5 * 8              # RIP, CS, RFLAGS, RSP, SS pushed by the CPU (SDM Vol. 3A 6.14.2)
FRAME_WITH_ERROR = 6 * 8   # ... with an error code below them


@pytest.fixture
def debug(images):
    """``debug(program, append=...)`` -> a started DebugMachine (stopped after the test)."""
    machines = []

    def start(program: str, append: str = "", **config) -> DebugMachine:
        cfg = QemuConfig(init=images.program(program), append=append, **config)
        dm = DebugMachine(cfg)
        machines.append(dm)
        return dm.start()

    yield start
    for dm in machines:
        dm.stop()


def sym(program: str, name: str) -> int:
    return symbols.symbol_address(lab.program(program), name)


def tss_rsp0(g) -> int:
    """TSS.RSP0, read from the kernel's TSS in guest memory (the kernel ABI's expression)."""
    return g.evaluate(kabi.load().gdb("tss_rsp0"))


def stop_in_frame_from_ring3(g, where: str, max_stops: int = 50):
    """Continue to ``where`` (a vectorN stub) until the CPU-pushed frame came from ring 3.

    Returns (registers, the frame's words at RSP: [error,] RIP, CS, RFLAGS, RSP, SS). Interrupts taken in ring 0 also pass through
    the same stub; those are skipped.
    """
    for _ in range(max_stops):
        g.cont(timeout_s=30, what=where)
        regs = g.registers()
        has_error = decode.has_error_code(int(where.replace("vector", "")))
        words = g.read_u64s(regs["rsp"], 6 if has_error else 5)
        cs = words[2] if has_error else words[1]
        if cs & 3 == 3:
            return regs, words
    raise AssertionError(f"{where} never entered from ring 3 in {max_stops} stops")


def qemu_major() -> int:
    out = subprocess.run([C.QEMU_BINARY, "--version"], capture_output=True, text=True).stdout
    return int(re.search(r"version (\d+)\.", out).group(1))


# -----------------------------------------------------------------------------------------

def test_stop_at_user_main(debug):
    dm = debug("gdb_write")
    g = dm.gdb
    g.break_at("main")
    stop = g.cont(timeout_s=30, what="main")
    r = g.registers()
    assert stop.rip == r["rip"] == sym("gdb_write", "main")
    assert g.cpl() == 3
    assert r["cs"] == USER_CS and r["cs"] & 3 == 3
    assert r["ss"] == USER_SS
    assert half(r["rsp"]) == "user"
    assert half(r["rip"]) == "user"
    # the 64-bit system state: long mode with NX, paging and protection on
    assert r["efer"] & (1 << 10) and r["efer"] & (1 << 11)  # LMA, NXE
    assert r["cr0"] & 0x80000001 == 0x80000001               # PG, PE
    assert r["cr3"] != 0


def test_syscall_entry_and_sysretq(debug):
    dm = debug("gdb_write")
    g = dm.gdb
    insn = sym("gdb_write", "write1_insn")
    g.break_at(insn)
    g.cont(timeout_s=30, what="write1_insn")
    user = g.registers()
    assert g.instruction_at(insn) == "syscall"

    g.break_at("syscall_entry")
    g.cont(timeout_s=30, what="syscall_entry")
    r = g.registers()
    assert r["rip"] == g.address_of("syscall_entry")
    assert g.cpl() == 0 and r["cs"] == KERNEL_CS and r["ss"] == KERNEL_SS
    assert r["rcx"] == insn + 2                 # the user's return address
    assert r["r11"] == user["rflags"]           # the user's RFLAGS
    assert r["rsp"] == user["rsp"]              # syscall does not switch stacks...
    assert half(r["rsp"]) == "user"
    kstack_top = g.read_u64s(g.address_of("cpu0.kstack_top"), 1)[0]
    g.stepi(3)                                   # ...the kernel does: swapgs, save it, load its own
    r2 = g.registers(["rsp", "rip"])
    assert half(r2["rsp"]) == "kernel"
    assert r2["rsp"] == kstack_top == tss_rsp0(g)

    sysretq, _ = g.find_instruction("sysret_path", "sysretq")
    g.break_at(sysretq)
    g.cont(timeout_s=30, what="sysretq")
    saved = g.registers(["rcx", "r11", "rip"])
    assert g.instruction_at(saved["rip"]) == "sysretq" and g.cpl() == 0
    g.stepi()
    after = g.registers()
    assert g.cpl() == 3 and after["cs"] == USER_CS and after["ss"] == USER_SS
    assert after["rip"] == saved["rcx"] == insn + 2
    assert after["rax"] == 4                     # write's return value: 4 bytes


def test_first_iretq_enters_ring3_at_elf_entry(debug):
    dm = debug("gdb_write")
    g = dm.gdb
    iretq, _ = g.find_instruction("trapret", "iretq")
    g.break_at(iretq)
    for _ in range(50):                          # iretqs back to ring 0 (interrupts) first
        g.cont(timeout_s=30, what="trapret's iretq")
        rip, cs = g.read_u64s(g.register("rsp"), 2)
        if cs & 3 == 3:
            break
    else:
        raise AssertionError("no iretq to ring 3")
    assert g.cpl() == 0
    g.stepi()
    r = g.registers()
    assert g.cpl() == 3 and r["cs"] == USER_CS and r["ss"] == USER_SS
    assert r["rip"] == rip == elfimage.entry_point(lab.program("gdb_write"))


def test_int80_frame_on_tss_rsp0(debug):
    dm = debug("gdb_int80")
    g = dm.gdb
    user_insn = sym("gdb_int80", "int80_write_insn")
    g.break_at(user_insn)
    g.cont(timeout_s=30, what="int80_write_insn")
    user = g.registers()
    assert g.instruction_at(user_insn) == "int $0x80"
    g.break_at("vector128")
    g.cont(timeout_s=30, what="vector128")
    r = g.registers()
    assert g.cpl() == 0 and r["cs"] == KERNEL_CS
    rip, cs, rflags, rsp, ss = g.read_u64s(r["rsp"], 5)
    assert rip == user_insn + 2                  # `int imm8` is two bytes: returns after it
    assert cs == USER_CS and cs & 3 == 3
    assert ss == USER_SS
    assert rsp == user["rsp"] and half(rsp) == "user"
    assert rflags == user["rflags"]
    assert r["rsp"] == tss_rsp0(g) - FRAME       # the CPU switched to TSS.RSP0 and pushed
    assert r["ss"] == 0                          # 64-bit mode loads a null SS
    # i386 write(1, buf, 6): EAX 4, EBX 1, ECX buf, EDX 6 (the int 0x80 table is i386's)
    assert r["rax"] == 4 and r["rbx"] == 1 and r["rcx"] == sym("gdb_int80", "int80_msg") and r["rdx"] == 6


def test_timer_interrupt_in_ring3(debug):
    dm = debug("gdb_spin", append="init.args=0")      # spin forever
    g = dm.gdb
    # Reach the spin loop first: a tick may also land in musl's start-up code before main.
    first = g.break_at(sym("gdb_spin", "spin_step"))
    g.cont(timeout_s=30, what="spin_step")
    g.delete(first)
    g.break_at("vector32")
    regs, (rip, cs, rflags, rsp, ss) = stop_in_frame_from_ring3(g, "vector32")
    assert cs == USER_CS and ss == USER_SS
    assert half(rip) == "user" and half(rsp) == "user"
    assert rflags & (1 << 9)                          # IF: user code runs interruptible
    main, step = sym("gdb_spin", "main"), sym("gdb_spin", "spin_step")
    assert main <= rip < main + 0x100 or step <= rip < step + 0x20
    assert regs["rsp"] == tss_rsp0(g) - FRAME
    assert regs["cs"] == KERNEL_CS and g.cpl() == 0


def test_hlt_is_gp_with_error_0(debug):
    dm = debug("hlt")
    g = dm.gdb
    g.break_at("vector13")
    regs, (error, rip, cs, rflags, rsp, ss) = stop_in_frame_from_ring3(g, "vector13")
    assert error == 0
    assert rip == sym("hlt", "fault_insn")
    assert g.instruction_at(rip) == "hlt"
    assert cs == USER_CS and ss == USER_SS and half(rsp) == "user"
    assert regs["rsp"] == tss_rsp0(g) - FRAME_WITH_ERROR


def test_int_0x0e_from_ring3_is_gp(debug):
    dm = debug("gdb_int0e")
    g = dm.gdb
    g.break_at("vector14")                  # the DPL-0 gate must not be taken...
    g.break_at("vector13")                  # ...a #GP naming it must be
    stop = g.cont(timeout_s=30, what="vector13")
    assert stop.func == "vector13"
    regs = g.registers()
    error, rip, cs, _rflags, _rsp, ss = g.read_u64s(regs["rsp"], 6)
    assert rip == sym("gdb_int0e", "fault_insn") and g.instruction_at(rip) == "int $0xe"
    assert cs == USER_CS and ss == USER_SS
    # SDM Vol. 3A 6.13: (0x0e << 3) | 2 = 0x72. QEMU 7.2's TCG pushes 0x0e * 16 + 2 = 0xe2 in
    # 64-bit mode (fixed in QEMU 8.0; harness/ringlab/observe/decode.py idt_error_code): assert what it does.
    sdm = decode.idt_error_code(0x0E)
    assert sdm == 0x72
    expected = decode.idt_error_code(0x0E, qemu72_long_mode=qemu_major() < 8)
    assert error == expected
    assert regs["rsp"] == tss_rsp0(g) - FRAME_WITH_ERROR


def test_step_until_ring_change_across_write(debug):
    dm = debug("gdb_write")
    g = dm.gdb
    g.break_at("main")
    g.cont(timeout_s=30, what="main")
    insn = sym("gdb_write", "write1_insn")
    enter = g.step_until_ring_change()
    assert (enter.from_cpl, enter.to_cpl) == (3, 0)
    assert enter.insn == "syscall" and enter.insn_addr == enter.rip_before == insn
    assert enter.rip_after == g.address_of("syscall_entry")
    assert enter.cs_after == KERNEL_CS and enter.ss_after == KERNEL_SS
    assert enter.rsp_after == enter.rsp_before       # syscall leaves RSP alone
    leave = g.step_until_ring_change()
    assert (leave.from_cpl, leave.to_cpl) == (0, 3)
    assert leave.insn == "sysretq"
    assert leave.rip_after == insn + 2
    assert leave.rsp_after == enter.rsp_before
    assert leave.cs_after == USER_CS and leave.ss_after == USER_SS


def test_ring_commands_agree_with_the_harness(debug):
    """Two machines at once (parallel gdb sessions): the harness steps one over MI, the
    gdb extension's `step-ring` steps the other; `ring` matches the MI registers."""
    a, b = debug("gdb_write"), debug("gdb_write")
    assert a.socket != b.socket
    for dm in (a, b):
        dm.gdb.break_at("main")
        dm.gdb.cont(timeout_s=30, what="main")
    for dm in (a, b):
        assert RingState.parse(dm.gdb.console("ring")) == dm.gdb.ring_state()
    assert a.gdb.ring_state() == b.gdb.ring_state()
    for _ in range(2):                                 # syscall, then sysretq
        ours = a.gdb.step_until_ring_change()
        theirs = Transition.parse(b.gdb.console("step-ring"))
        # Every field, the instruction count included for the user side; the kernel's
        # path length may differ by a few instructions between two machines (it polls
        # device state such as the UART), so only there the count is left out.
        if ours.from_cpl == 0:
            theirs = dataclasses.replace(theirs, steps=ours.steps)
        assert theirs == ours
        assert RingState.parse(b.gdb.console("ring")) == a.gdb.ring_state()
    assert b.gdb.ring_state().cpl == 3


def test_machine_runs_to_its_end_after_gdb(debug):
    dm = debug("gdb_write")
    dm.gdb.break_at("main")
    dm.gdb.cont(timeout_s=30, what="main")
    run = dm.finish(timeout_s=30)
    assert run.check(status=7)
    assert "one" in run.user_lines and "two" in run.user_lines


# -- errors ------------------------------------------------------------------------------------

def test_symbol_not_found(debug):
    dm = debug("gdb_write")
    with pytest.raises(SymbolNotFound) as err:
        dm.gdb.break_at("no_such_symbol_anywhere")
    assert "no_such_symbol_anywhere" in str(err.value)
    assert "kernel.elf" in str(err.value) and "gdb_write" in str(err.value)


def test_breakpoint_not_hit_carries_console(debug):
    dm = debug("gdb_spin", append="init.args=0")
    g = dm.gdb
    g.break_at("vector13")                           # never: the program spins without faults
    g.break_at("main")
    g.cont(timeout_s=30, what="main")
    g.delete(2)
    t0 = time.monotonic()
    with pytest.raises(BreakpointNotHit) as err:
        g.cont(timeout_s=1.0, what="vector13")
    assert time.monotonic() - t0 < 5
    assert any("enter-user" in line for line in err.value.console_tail)
    assert "within 1 s" in str(err.value)
    assert g.cpl() in (0, 3)                         # interrupted: the session still works


def test_stub_not_answering(tmp_path):
    """A socket that accepts but never speaks the remote protocol."""
    path = tmp_path / "silent.sock"
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(1)
    try:
        with GdbSession() as g:
            t0 = time.monotonic()
            with pytest.raises(StubNotAnswering):
                g.connect(str(path), timeout_s=1.0)
            assert time.monotonic() - t0 < 5
    finally:
        server.close()


def test_stub_missing(tmp_path):
    with GdbSession() as g:
        with pytest.raises(StubNotAnswering) as err:
            g.connect(str(tmp_path / "nobody.sock"), timeout_s=1.0)
        assert "nobody.sock" in str(err.value)


def test_gdb_missing_names_the_package(images, monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))       # no gdb (and no QEMU) on PATH
    before = set(started_pids())
    with pytest.raises(ToolMissing) as err:
        DebugMachine(QemuConfig(init=images.program("gdb_write"))).start()
    assert err.value.tool == "gdb" and err.value.package == "gdb"
    assert "apt-get install gdb" in str(err.value)
    assert set(started_pids()) == before


def test_gdb_and_qemu_are_reaped_on_failure(images):
    cfg = QemuConfig(init=images.program("gdb_spin"), append="init.args=0")
    with pytest.raises(BreakpointNotHit):
        with DebugMachine(cfg) as dm:
            pids = (dm.gdb.pid, dm.machine.pid)
            dm.gdb.break_at("vector13")
            dm.gdb.cont(timeout_s=0.5, what="vector13")
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists(), f"pid {pid} still exists"


# -- for people at a terminal ------------------------------------------------------------------

def test_invoke_boot_gdb_then_invoke_gdb(images, invoke_cli, tmp_path):
    """`invoke boot --gdb` waits halted and says where to attach; `invoke gdb` attaches with
    kernel and init symbols and the extension; when gdb detaches the machine runs to its end."""
    boot = subprocess.Popen([sys.executable, "-m", "invoke", "boot", "--gdb", "--init",
                             str(images.program("gdb_write"))], cwd=C.REPO_ROOT,
                            env=dict(os.environ, **{C.RUNTIME_ENV: str(tmp_path)}),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        sock, seen = None, []
        deadline = time.monotonic() + 30
        while sock is None and time.monotonic() < deadline:
            ready, _, _ = select.select([boot.stderr], [], [], deadline - time.monotonic())
            if not ready:
                break
            line = boot.stderr.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"gdbstub on (\S+)", line)
            sock = m.group(1) if m else None
        assert sock, "no attach instructions from invoke boot --gdb:\n" + "".join(seen)
        res = invoke_cli(["gdb", "--target", sock, "--init", str(images.program("gdb_write")),
                          "--batch", "--ex", "break *write1_insn", "--ex", "continue",
                          "--ex", "ring", "--ex", "step-ring", "--ex", "step-ring",
                          "--ex", "ring"])
        assert res.returncode == 0, res.stdout + res.stderr
        rings = [RingState.parse(l) for l in res.stdout.splitlines() if l.startswith("ring:")]
        steps = [Transition.parse(l) for l in res.stdout.splitlines()
                 if l.startswith("step-ring:")]
        insn = sym("gdb_write", "write1_insn")
        assert rings[0].cpl == 3 and rings[0].rip == insn and rings[0].half == "user"
        assert [(t.direction, t.insn) for t in steps] == [("3->0", "syscall"),
                                                          ("0->3", "sysretq")]
        assert rings[1].rip == insn + 2 and rings[1].cpl == 3
        out, err = boot.communicate(timeout=30)
        assert boot.returncode == 7, out + err          # gdb detached: init ran to its end
        assert "one\ntwo\n" in out
    finally:
        if boot.poll() is None:
            boot.terminate()
            boot.communicate(timeout=10)


def test_hardware_breakpoint_on_the_gate(debug):
    dm = debug("gdb_int80")
    bp = dm.gdb.break_at("vector128", hardware=True)
    assert bp.hardware and bp.address == dm.gdb.address_of("vector128")
    stop = dm.gdb.cont(timeout_s=30, what="vector128", read=["rip", "cs"])
    assert stop.breakpoint == bp.number
    assert stop.registers == {"rip": bp.address, "cs": KERNEL_CS}
