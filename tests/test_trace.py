"""``invoke trace``: the gdb-witnessed timeline of ring transitions, checked against the
program's known system calls, the kernel's own ``trace=syscall`` report and QEMU's
``-d int`` log. Real QEMU and real gdb.
"""
from __future__ import annotations

import re

import pytest

from ringlab.debug.trace import compare_with_qemu_log, trace
from ringlab.machine import elfimage, symbols
from ringlab.machine.qemu import QemuConfig

pytestmark = [pytest.mark.boot, pytest.mark.gdb]

STARTUP = ["arch_prctl", "set_tid_address"]     # musl's static start-up, before main


def run_trace(images, program, append="", **config):
    cfg = QemuConfig(init=images.program(program), append=append, int_log=True, **config)
    return trace(cfg, timeout_s=60)


def check_alternation(tr):
    """Directions alternate, starting with the first iretq to ring 3 at the ELF entry."""
    first = tr.transitions[0]
    assert (first.direction, first.kind, first.first_entry) == ("0->3", "iretq", True)
    for a, b in zip(tr.transitions, tr.transitions[1:]):
        assert a.direction != b.direction, f"#{a.number} and #{b.number} go the same way"


def test_known_syscall_sequence(images):
    tr = run_trace(images, "gdb_write", append="trace=syscall")
    tr.run.check(status=7)
    # exactly the program's calls, after musl's start-up
    assert tr.syscalls() == STARTUP + ["write", "getpid", "write", "exit_group"]
    # the kernel's own report of the same run (a different witness) says the same
    assert tr.syscalls() == [e.fields["name"] for e in tr.run.of("syscall")]
    check_alternation(tr)
    assert tr.transitions[0].user_rip == elfimage.entry_point(images.program("gdb_write"))
    calls = [t for t in tr.transitions if t.kind == "syscall"]
    prog = images.program("gdb_write")
    assert [c.user_rip for c in calls[2:5]] == [symbols.symbol_address(prog, s) for s in
                                                ("write1_insn", "getpid_insn", "write2_insn")]
    assert all(c.kernel_symbol == "syscall_entry" and c.direction == "3->0" for c in calls)
    rets = [t for t in tr.transitions if t.kind == "sysretq"]
    assert [r.user_rip for r in rets] == [c.user_rip + 2 for c in calls[:-1]]
    assert tr.transitions[-1].syscall_name == "exit_group"      # no return from it
    assert compare_with_qemu_log(tr, tr.qemu_log) == []


def test_int80_gate(images):
    tr = run_trace(images, "gdb_int80")
    tr.run.check(status=0)
    assert tr.syscalls() == STARTUP + ["write", "getpid", "exit_group"]
    gates = [t for t in tr.transitions if t.kind == "int80"]
    assert [g.syscall_name for g in gates] == ["write", "getpid"]
    assert all(g.vector == 0x80 and g.kernel_symbol == "vector128" for g in gates)
    prog = images.program("gdb_int80")
    assert gates[0].user_rip == symbols.symbol_address(prog, "int80_write_insn")
    after = [tr.transitions[g.number] for g in gates]     # the transition right after each
    assert all(a.kind == "iretq" and a.user_rip == g.user_rip + 2 for a, g in zip(after, gates))
    check_alternation(tr)
    assert compare_with_qemu_log(tr, tr.qemu_log) == []


@pytest.mark.parametrize("program, vector, error_codes", [
    ("hlt", 13, {0x0}),
    # SDM: 0x72; QEMU 7.2 TCG: 0xe2 (harness/ringlab/observe/decode.py idt_error_code)
    ("gdb_int0e", 13, {0x72, 0xE2}),
])
def test_exception_from_ring3(images, program, vector, error_codes):
    tr = run_trace(images, program)
    last = tr.transitions[-1]
    assert (last.direction, last.kind, last.vector) == ("3->0", "exception", vector)
    assert last.error in error_codes
    assert last.user_rip == symbols.symbol_address(images.program(program), "fault_insn")
    assert tr.run.status == 139                                  # killed by SIGSEGV
    assert compare_with_qemu_log(tr, tr.qemu_log) == []


def test_timer_interrupts_agree_with_qemu_log(images):
    tr = run_trace(images, "gdb_spin", append="init.args=10000000")
    tr.run.check(status=0)
    ticks = [t for t in tr.transitions if t.kind == "interrupt"]
    assert ticks, "no timer interrupt was taken in ring 3"
    assert all(t.vector == 32 and t.kernel_symbol == "vector32" for t in ticks)
    check_alternation(tr)
    assert compare_with_qemu_log(tr, tr.qemu_log) == []


def test_invoke_trace_cli(invoke_cli):
    res = invoke_cli(["trace", "--init", "images/user/gdb_write"])
    assert res.returncode == 7, res.stdout + res.stderr     # the machine status, as invoke boot
    rows = [l for l in res.stdout.splitlines() if re.match(r"^\s+\d+\s+\d+\s+[03]->[03]", l)]
    causes = [re.search(r"syscall \d+ (\w+)", l).group(1) for l in rows if "syscall " in l]
    assert causes == STARTUP + ["write", "getpid", "write", "exit_group"]
    assert "QEMU -d int agrees" in res.stdout
    assert "init exited (status 7)" in res.stdout
