"""The boundary against a hostile ring-3 program: doors into ring 0 that must stay shut.

Each test boots a real machine (QEMU, TCG) and reads the verdict from the kernel's events and
QEMU's own ``-d int`` log, never from the exit status alone.
"""
import subprocess

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug.machine import DebugMachine
from ringlab.machine import symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Fault, Kill
from ringlab.observe.qemulog import parse_int_log
from ringlab.observe.verdict import Outcome

pytestmark = pytest.mark.boot

SIGSEGV = 11
RFLAGS_AC = 1 << 18
# TF, IF, DF, IOPL, NT, AC: what the kernel must never run with after an entry from ring 3
KERNEL_FLAGS_CLEAR = (1 << 8) | (1 << 9) | (1 << 10) | (3 << 12) | (1 << 14) | RFLAGS_AC
USER_SET = RFLAGS_AC | (1 << 14) | (1 << 10)   # AC, NT, DF: what gdb_ac sets before syscall
TF_RFLAGS_OFFSET = 152      # kernel/include/trap.h: struct trapframe.rflags


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
    lcall = symbols.symbol_address(prog, "fault_insn")
    assert (fault.vector, fault.error, fault.cpl, fault.rip) == (13, 0x1004, 3, lcall), run.report()
    assert run.first(Kill).signal == SIGSEGV

    gp = [r for r in parse_int_log(run.log) if r.vector == 13 and r.cpl == 3]
    assert len(gp) == 1 and gp[0].error == 0x1004 and gp[0].rip == lcall, run.report()
    ldt = gp[0].dump.segments["ldt"]
    assert (ldt.selector, ldt.base, ldt.limit) == (0, 0, 0), \
        f"LDTR is not null at the ring-3 #GP: {ldt}\n" + run.report()


@pytest.mark.gdb
@pytest.mark.parametrize("cpu", [C.DEFAULT_CPU, C.LEGACY_CPU])
def test_kernel_runs_with_ac_clear_after_entry_from_ac_user(images, cpu):
    """Ring 3 sets RFLAGS.AC and enters through the int 0x80 interrupt gate, which does not
    clear AC (SDM Vol. 3A 6.12.1.3). With AC=1 at CPL 0 SMAP would not apply (SDM Vol. 3A
    4.6.1), so alltraps loads a fixed RFLAGS: in trap() AC, DF, NT, TF, IF and IOPL are clear,
    while the frame the CPU pushed still holds the user's AC. Then with AC, NT and DF set,
    `syscall` lands at LSTAR (syscall_entry) with CS from STAR and FMASK's bits clear, and
    R11 holds the user's flags."""
    prog = images.program("gdb_ac")
    with DebugMachine(QemuConfig(init=prog, cpu=cpu), extension=False) as dm:
        g = dm.gdb
        g.break_at(symbols.symbol_address(prog, "ac_int80_insn"))
        g.cont(timeout_s=30, what="ac_int80_insn")
        assert g.registers(["eflags"])["eflags"] & RFLAGS_AC
        trap_bp = g.break_at("trap")
        g.cont(timeout_s=30, what="trap")
        kernel_flags = g.registers(["eflags"])["eflags"]
        tf = g.registers(["rdi"])["rdi"]           # trap(struct trapframe *tf)
        user_flags = g.read_u64s(tf + TF_RFLAGS_OFFSET, 1)[0]
        assert user_flags & RFLAGS_AC, hex(user_flags)
        assert kernel_flags & KERNEL_FLAGS_CLEAR == 0, hex(kernel_flags)

        # Later timer ticks must not stop there: the next stops are the two below.
        g.delete(trap_bp)

        # syscall: FMASK (SDM Vol. 2B SYSCALL) clears TF IF DF IOPL NT AC; R11 keeps the user's
        g.break_at("syscall_entry")
        g.break_at(symbols.symbol_address(prog, "ac_syscall_insn"))
        g.cont(timeout_s=30, what="ac_syscall_insn")
        assert g.registers(["eflags"])["eflags"] & USER_SET == USER_SET
        g.cont(timeout_s=30, what="syscall_entry")
        r = g.registers(["eflags", "r11", "cs", "rip"])
        assert r["rip"] == g.address_of("syscall_entry") and r["cs"] == KERNEL_CS   # LSTAR, STAR
        assert r["eflags"] & KERNEL_FLAGS_CLEAR == 0, hex(r["eflags"])
        assert r["r11"] & USER_SET == USER_SET, hex(r["r11"])
        run = dm.finish(30)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()


@pytest.mark.parametrize("cpu", [C.DEFAULT_CPU, C.LEGACY_CPU])
def test_data_selectors_are_per_process_as_on_linux(images, cpu):
    """DS/ES a process loads stay its own across context switches, never show up in another
    process, are inherited by fork and are null after execve: segkeep prints the same
    transcript on the host's Linux and in ringlab."""
    prog = images.program("segkeep")
    host = subprocess.run([str(prog)], capture_output=True, text=True, timeout=30,
                          stdin=subprocess.DEVNULL)
    run = lab.run(QemuConfig(init=prog, cpu=cpu))
    want = ["segkeep: sibling stayed null=1", "segkeep: parent kept=1",
            "segkeep: child inherited=1", "segkeep: after execve null=1"]
    assert host.returncode == 0 and host.stdout.splitlines() == want, host.stdout
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert run.user_lines == want, run.report()


# The CPU state kernel/cpu.c and gdt.c set at boot, as QEMU's register dump shows it at a
# ring-3 #GP (SDM Vol. 3A 2.5 for CR0/CR4, 2.2.1 for EFER, 18.2 for DR6/DR7).
CR0_AUDITED = 0x80050033   # PG AM WP NE ET MP PE
CR4_BASE = 0x620           # OSXMMEXCPT OSFXSR PAE
CR4_PROTECTIONS = {C.DEFAULT_CPU: 0x310800, C.LEGACY_CPU: 0}   # SMAP SMEP FSGSBASE UMIP / none
CR4_XSAVE = {C.DEFAULT_CPU: 0x40000, C.LEGACY_CPU: 0}   # OSXSAVE where CPUID has XSAVE (fpu.c)
EFER_AUDITED = 0xD01       # NXE LMA LME SCE
GDT_LIMIT = 16 * 8 - 1     # kernel/include/gdt.h GDT_NENTRIES (Linux's GDT_ENTRIES)
TSS_SEL = 0x40             # Linux's GDT_ENTRY_TSS 8 (tests/test_kabi.py: kabi.json agrees)
KERNEL_CS = 0x10           # Linux's __KERNEL_CS
# The TSS's limit covers the TSS and the two I/O permission bitmaps after it (percpu.h's
# TSS_LIMIT, from the kernel's ABI file); a process that never called ioperm/iopl runs with
# the bitmap base past this limit.


@pytest.mark.parametrize("cpu", [C.DEFAULT_CPU, C.LEGACY_CPU])
def test_inherited_cpu_state_is_the_audited_one(images, cpu):
    """At a ring-3 fault (hlt: #GP) QEMU's own dump shows exactly the state the kernel set:
    CR0, CR4, EFER, DR6/DR7, RFLAGS without IOPL/NT/AC, null DS/ES/FS/GS and LDTR, TR = the
    TSS (its limit covers the TSS and the I/O bitmaps), the 8-entry GDT."""
    run = lab.run(QemuConfig(init=images.program("hlt"), cpu=cpu, int_log=True))
    gp = [r for r in parse_int_log(run.log) if r.vector == 13 and r.cpl == 3]
    assert len(gp) == 1, run.report()
    d = gp[0].dump
    assert d["cr0"] == CR0_AUDITED, hex(d["cr0"])
    assert d["cr4"] == CR4_BASE | CR4_PROTECTIONS[cpu] | CR4_XSAVE[cpu], hex(d["cr4"])
    assert d["efer"] == EFER_AUDITED, hex(d["efer"])
    assert (d["dr7"], d["dr6"]) == (0x400, 0xFFFF0FF0)
    assert all(d[f"dr{i}"] == 0 for i in range(4))
    assert d["rflags"] & ((3 << 12) | (1 << 14) | (1 << 18)) == 0, hex(d["rflags"])
    for seg in ("ds", "es", "gs"):
        assert d.segments[seg].selector == 0, (seg, d.segments[seg])
    assert d.segments["fs"].selector == 0        # musl set the FS *base* with arch_prctl
    assert d.segments["ldt"].selector == 0
    tr = d.segments["tr"]
    tss_limit = kabi.load().const("TSS_LIMIT")
    assert (tr.selector, tr.limit) == (TSS_SEL, tss_limit) and tr.base >= C.KERNEL_HALF_START
    assert d.tables["gdt"][1] == GDT_LIMIT
