"""User-mode drivers: ioperm(2) and iopl(2) through the TSS I/O permission bitmap.

At CPL 3 with RFLAGS.IOPL 0, every ``in``/``out`` consults the TSS's I/O bitmap (SDM Vol. 1
19.5.2): one bit per port, every byte of the access checked, a base past the TSS limit meaning
"no port". The kernel (kernel/ioperm.c) keeps a bitmap per process, puts the running one's in
the TSS at each switch, and emulates iopl(3) with a bitmap of its own as Linux has since 5.5.
Unlike Linux, whose root may open any port, ringlab gives ring 3 only the ports of devices that
cannot reach memory or control the machine (the kernel's table, read from images/kabi.json):
ioperm refuses every other port with EPERM and iopl(3)'s bitmap opens exactly the table's ports.
``portscan`` tries every one of the 65,536 ports and the attacks an open port would allow.

Witnesses: the programs' own output and statuses; the kernel's ``fault`` events; QEMU's
``-d int`` log (the #GP of the driver's ``outb`` before ioperm, none after); gdb reading the
TSS and the bitmap at the ``outb`` itself, then stepping it.

Reference: Linux's behaviour as its source and man pages define it (ioperm(2), iopl(2),
arch/x86/kernel/ioport.c, fixup_iopl_exception in arch/x86/kernel/traps.c). The host's Linux is
used when it has ioperm (CONFIG_X86_IOPL_IOPERM); this machine's kernel is built without it
(ioperm and iopl return -ENOSYS), so that test skips here and says so.
"""
from __future__ import annotations

import errno
import functools
import gzip
import os
import re
import shutil
import subprocess
from typing import Dict, List, Sequence

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug.machine import DebugMachine
from ringlab.machine import symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import Fault, Kill
from ringlab.observe import qemulog
from ringlab.observe.qemulog import parse_int_log
from ringlab.observe.verdict import Outcome

pytestmark = pytest.mark.boot

TIMEOUT_S = 30.0
GP = 13
SIGSEGV_STATUS = 139
COM1 = 0x3F8
ISA_EXIT = 0xF4
EPERM = -errno.EPERM
CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)


def percpu(name: str) -> int:
    """A percpu.h constant, from the kernel's ABI file."""
    return kabi.load().const(name)


def sym(program: str, name: str) -> int:
    return symbols.symbol_address(lab.program(program), name)


def run_program(images, program: str, append: str = "", **config):
    cfg = QemuConfig(kernel=images.kernel, init=images.program(program), append=append, **config)
    return lab.run(cfg, timeout_s=TIMEOUT_S)


# ---------------------------------------------------------------------------------------------
# The UART driver (writes to the UART only after ioperm; QEMU's log shows the
# #GP before it)

@pytest.mark.parametrize("cpu", CPUS)
def test_uart_driver_writes_com1_itself_only_after_ioperm(images, cpu):
    run = run_program(images, "uart", append="trace=syscall", int_log=True, cpu=cpu)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert "uart: done" in run.user_lines
    outb = sym("uart", "uart_outb_insn")

    # Before ioperm: the child's outb is a #GP(0) at CPL 3 and SIGSEGV kills it; the same after
    # ioperm(.., 0). Nothing else faults.
    faults = run.of(Fault)
    assert [(f.vector, f.error, f.cpl, f.rip) for f in faults] == [(GP, 0, 3, outb)] * 2
    assert [k.fields["signal"] for k in run.of(Kill)] == [11, 11]

    # The driver's lines reached the console through the UART, not through write(2): trace=
    # syscall prints each call's event after it returns, so a write that printed a line would
    # put its event right after it. After each driver line comes another driver line or the
    # event of a call that is not write/writev (wait4 of the child, exit).
    lines = run.console.replace("\r\n", "\n").split("\n")
    thr = [i for i, l in enumerate(lines) if l.startswith("uart-thr: ")]
    assert len(thr) == 3, run.report()
    for i in thr:
        nxt = next(l for l in lines[i + 1:] if not l.startswith("uart-thr: "))
        assert not re.search(r"name=(write|writev) ", nxt), (lines[i], nxt)
    ioperm = [l for l in lines if "name=ioperm " in l]
    assert len(ioperm) == 2 and all(l.endswith("ret=0") for l in ioperm), ioperm
    assert lines.index(ioperm[0]) < thr[0]

    # QEMU's own log: exactly two #GPs from ring 3, both at the driver's outb (before ioperm and
    # after dropping it); the hundreds of inb/outb in between raised nothing.
    gps = [r for r in parse_int_log(run.log) if r.vector == GP]
    assert [(r.cpl, r.error, r.rip) for r in gps] == [(3, 0, outb)] * 2, run.log[-3000:]


def test_bitmap_pages_come_back(images):
    """trace=mem: each ioprobe case's child (most with a bitmap, some forked with one) gives
    back every page: the free count after each reap by ioprobe itself is the same."""
    run = run_program(images, "ioprobe", append="trace=mem")
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    lines = run.console.replace("\r\n", "\n").split("\n")
    after_case: List[int] = []
    last = None
    for line in lines:
        m = re.match(r"ringlab: mem free_pages=(\d+)", line)
        if m:
            last = int(m.group(1))
        elif line.startswith("ioprobe: case="):
            after_case.append(last)
    assert len(after_case) == len(PROBE) and len(set(after_case)) == 1, after_case


# ---------------------------------------------------------------------------------------------
# ioperm/iopl at their edges (images/user/ioprobe): Linux's semantics

EINVAL = -errno.EINVAL
# case -> (status, the lines it prints before its status line)
PROBE: Dict[str, tuple] = {
    "errors": (0, [f"ioperm(0x80, 0, 1) = {EINVAL}",           # num 0: from + num <= from
                   f"ioperm(0xffff, 2, 1) = {EINVAL}",         # past port 0xffff
                   f"ioperm(0x10000, 1, 1) = {EINVAL}",
                   f"ioperm(-1, 2, 1) = {EINVAL}",             # wraps around
                   f"ioperm(0, 0x10001, 0) = {EINVAL}",        # range checked before turn_on
                   "ioperm(0x80, 1, 0) without ioperm = 0",    # nothing to clear: 0
                   "ioperm(0, 0x10000, 0) = 0",
                   f"iopl(4) = {EINVAL}", f"iopl(-1) = {EINVAL}",   # unsigned int level > 3
                   "iopl(0) = 0"]),
    "no_ioperm": (SIGSEGV_STATUS, ["inb 0x80"]),
    "first": (0, ["ioperm(0x3f8, 8, 1) = 0", "inb 0x3fd lsr_thre=1"]),
    "last": (0, ["ioperm(0x3f8, 8, 1) = 0", "inb 0x3ff ok"]),
    "inl_inside": (0, ["ioperm(0x3f8, 8, 1) = 0", "inl 0x3fc ok"]),
    "below": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "inb 0x3f7"]),
    "above": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "inb 0x400"]),
    "straddle": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "inw 0x3ff"]),    # 0x3ff + 0x400
    "isa_exit": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "inb 0xf4"]),
    "turn_on_int": (SIGSEGV_STATUS, ["ioperm(0x80, 1, 1 << 32) = 0", "inb 0x80"]),
    # ringlab's port policy (not Linux's: root there gets every port): only the UARTs' ports,
    # whatever the privilege; a range with one refused port is refused whole and opens nothing
    "refused": (SIGSEGV_STATUS, [f"ioperm(0x80, 1, 1) = {EPERM}", f"ioperm(0xf4, 1, 1) = {EPERM}",
                                 f"ioperm(0x510, 12, 1) = {EPERM}",
                                 f"ioperm(0xcf8, 8, 1) = {EPERM}",
                                 f"ioperm(0xffff, 1, 1) = {EPERM}",
                                 f"ioperm(0x3f0, 16, 1) = {EPERM}", "inb 0x3ff"]),
    "iopl3_table": (SIGSEGV_STATUS, ["iopl(3) = 0", "inb 0x3ff 0x2ef ok", "inb 0x80"]),
    # turning bits off is never refused, refused ports in the range included (Linux: same)
    "drop_wide": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "ioperm(0x3f0, 16, 0) = 0",
                                   "inb 0x3ff"]),
    "dropped": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "ioperm(0x3f8, 8, 0) = 0",
                                 "inb 0x3ff"]),
    "partial_drop": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "ioperm(0x3f8, 4, 0) = 0",
                                      "inb 0x3ff ok", "inb 0x3f8"]),
    # iopl(3) opens ports through a bitmap (ports ioperm was not asked for); RFLAGS.IOPL stays
    # 0 (Linux >= 5.5)
    "iopl3": (0, ["iopl(3) = 0", "inb 0x3ff 0x2ff ok, rflags.iopl=0"]),
    # cli/sti still need CPL <= IOPL: #GP, which Linux turns into a skipped instruction for an
    # iopl(3) process (IF never changes); a prefixed cli is not skipped: SIGSEGV
    "iopl3_cli_sti": (SIGSEGV_STATUS, ["iopl(3) = 0", "after cli: if=1",
                                       "after sti, cli, cli: if=1", "data16 cli"]),
    "cli_without_iopl": (SIGSEGV_STATUS, ["cli"]),
    "iopl1": (SIGSEGV_STATUS, ["iopl(1) = 0", "inb 0x80"]),     # levels 1, 2 grant nothing
    "iopl_back": (SIGSEGV_STATUS, ["ioperm(0x3f8, 8, 1) = 0", "iopl(3) = 0", "iopl(0) = 0",
                                   "inb 0x3ff ok", "inb 0x2ff"]),
    "fork_inherits": (0, ["ioperm(0x3f8, 8, 1) = 0", "iopl(3) = 0", "child: inb 0x2ff ok",
                          "child: iopl(0) = 0", "child: inb 0x3ff ok",
                          "child: ioperm(0x3f8, 8, 0) = 0",
                          "parent: child status 0, inb 0x2ff and 0x3ff still ok"]),
}
# The cases where ringlab differs from Linux by design (the port policy): left out of every
# comparison with Linux.
POLICY_CASES = ("refused", "iopl3_table")
LINUX_CASES = [name for name in PROBE if name not in POLICY_CASES]
# What Linux 6.1 (as root, in QEMU) prints for them: every port granted, iopl(3) opens 0x80.
LINUX_POLICY: Dict[str, tuple] = {
    "refused": (0, [l.replace(f"= {EPERM}", "= 0") for l in PROBE["refused"][1]]),
    "iopl3_table": (0, PROBE["iopl3_table"][1]),
}


def expected_transcript(cases) -> List[str]:
    out: List[str] = []
    for name in cases:
        status, lines = PROBE[name]
        out += [f"ioprobe: {l}" for l in lines] + [f"ioprobe: case={name} status={status}"]
    return out


def by_case(lines: Sequence[str]) -> Dict[str, List[str]]:
    """ioprobe's lines, cut after each ``case=NAME status=S`` line: NAME -> its lines."""
    cases: Dict[str, List[str]] = {}
    cur: List[str] = []
    for line in lines:
        cur.append(line)
        m = re.match(r"ioprobe: case=(\w+) status=", line)
        if m:
            cases[m.group(1)] = cur
            cur = []
    return cases


@pytest.fixture(scope="module", params=CPUS)
def probe_run(request, images):
    run = run_program(images, "ioprobe", int_log=True, cpu=request.param)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    return run


def test_probe_transcript_is_linuxs(probe_run):
    """Linux's transcript for every case but POLICY_CASES, whose lines are ringlab's policy."""
    assert probe_run.user_lines == expected_transcript(PROBE), probe_run.report()
    assert list(by_case(probe_run.user_lines)) == list(PROBE)


def test_probe_faults_are_gp0_at_cpl3_and_cli_is_skipped_once(probe_run):
    faults = probe_run.of(Fault)
    assert len(faults) == sum(1 for s, _ in PROBE.values() if s == SIGSEGV_STATUS)
    assert {(f.vector, f.error, f.cpl) for f in faults} == {(GP, 0, 3)}
    skips = probe_run.of("iopl-skip")
    assert [s.fields["insn"] for s in skips] == ["cli"], skips   # once per process, as Linux
    # QEMU saw every cli/sti of that process fault (4), the kernel skipped them
    gp = [r for r in parse_int_log(probe_run.log) if r.vector == GP]
    assert all(r.cpl == 3 for r in gp)
    assert len(gp) == len(faults) + 4


@pytest.mark.parametrize("cpu", CPUS)
def test_isa_debug_exit_is_refused_to_ring_3(images, cpu):
    """A deliberate difference from Linux (whose root may open 0xf4 and power off): ioexit's
    ioperm(0xf4) is EPERM, and after iopl(3) its child's outb to 0xf4 is still a #GP(0) at
    CPL 3; the machine keeps running and halts normally."""
    run = run_program(images, "ioexit", int_log=True, cpu=cpu)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert run.user_lines == ["ioexit: ioperm(0xf4, 1, 1) = -1 EPERM", "ioexit: iopl(3) = 0",
                              "ioexit: child writing 7 to 0xf4: status 139",
                              "ioexit: still running"], run.report()
    assert [(f.vector, f.error, f.cpl) for f in run.of(Fault)] == [(GP, 0, 3)]
    assert run.of("halt")
    log = qemulog.parse(run.log)
    assert not log.exceptions(cpl=0)


# Cases that touch no host port but 0x80 (or none): safe to run as root on a real machine.
HOST_CASES = ["errors", "no_ioperm", "turn_on_int", "iopl1", "cli_without_iopl", "iopl3_cli_sti"]


def test_same_transcript_on_the_hosts_linux(images, tmp_path):
    prog = tmp_path / "ioprobe"
    shutil.copy(images.program("ioprobe"), prog)
    host = subprocess.run([str(prog), *HOST_CASES], capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    if f"iopl(0) = {-errno.ENOSYS}" in host.stdout or f"= {-errno.EPERM}" in host.stdout:
        pytest.skip("the host's Linux has no ioperm/iopl here (CONFIG_X86_IOPL_IOPERM unset: "
                    "-ENOSYS) or no CAP_SYS_RAWIO")
    assert not set(HOST_CASES) & set(POLICY_CASES)
    run = run_program(images, "ioprobe", append="init.args=" + ",".join(HOST_CASES))
    assert host.returncode == 0 and run.status == 0
    assert run.user_lines == host.stdout.splitlines() == expected_transcript(HOST_CASES)


# A real Linux kernel in QEMU as the reference (the host's has no ioperm): set
# RINGLAB_LINUX_KERNEL to a bzImage built with CONFIG_X86_IOPL_IOPERM=y, e.g. Debian 12's:
#   apt-get download linux-image-6.1.0-57-amd64 && dpkg-deb -x linux-image-*.deb linux
#   RINGLAB_LINUX_KERNEL=linux/boot/vmlinuz-6.1.0-57-amd64 .venv/bin/pytest tests/test_ioperm.py
LINUX_KERNEL_ENV = "RINGLAB_LINUX_KERNEL"
LINUX_TIMEOUT_S = 120.0          # a Debian kernel boots in ~15 s under TCG
LINUX_DONE_RC = (0x10 << 1) | 1  # linuxinit's isa-debug-exit write: it ran to the end


def newc_cpio(files: Dict[str, bytes], dirs: Sequence[str] = ()) -> bytes:
    """An initramfs archive in the "newc" cpio format (Linux's
    Documentation/driver-api/early-userspace/buffer-format.rst): executables and directories."""
    out = bytearray()
    entries = [(d, 0o040755, b"") for d in dirs] + [(n, 0o100755, d) for n, d in files.items()]
    for ino, (name, mode, data) in enumerate(entries + [("TRAILER!!!", 0, b"")], start=1):
        nb = name.encode() + b"\0"
        fields = (ino, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(nb), 0)
        out += b"070701" + "".join(f"{x:08x}" for x in fields).encode() + nb
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def test_same_transcripts_as_linux_in_qemu(images, tmp_path, probe_run):
    kernel = os.environ.get(LINUX_KERNEL_ENV)
    if not kernel:
        pytest.skip(f"{LINUX_KERNEL_ENV} unset: no Linux kernel with ioperm to compare with "
                    "(see the comment above this test)")
    progs = {n: images.program(n).read_bytes() for n in ("ioprobe", "uart")}
    initrd = tmp_path / "initrd.gz"
    initrd.write_bytes(gzip.compress(newc_cpio(
        {"init": images.program("linuxinit").read_bytes(), **progs}, dirs=["dev"])))
    cmd = [C.QEMU_BINARY, "-machine", "pc", "-cpu", "max", "-m", "256M", "-nodefaults",
           "-display", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
           "-serial", "stdio", "-monitor", "none", "-kernel", kernel, "-initrd", str(initrd),
           "-append", "console=ttyS0 panic=-1 loglevel=3"]
    res = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True,
                         timeout=LINUX_TIMEOUT_S)
    out = res.stdout.decode(errors="replace").replace("\r", "").split("\n")
    assert res.returncode == LINUX_DONE_RC, "\n".join(out[-30:]) + res.stderr.decode()
    assert "linuxinit: ioprobe status=0" in out and "linuxinit: uart status=0" in out

    # Linux runs every case; the policy cases differ by design and are left out
    linux_probe = by_case([l for l in out if l.startswith("ioprobe: ")])
    ours = by_case(probe_run.user_lines)
    assert set(linux_probe) == set(PROBE)
    for name in LINUX_CASES:
        assert linux_probe[name] == ours[name] == expected_transcript([name]), name
    for name, (status, lines) in LINUX_POLICY.items():
        assert linux_probe[name] == [f"ioprobe: {l}" for l in lines] + \
            [f"ioprobe: case={name} status={status}"], linux_probe[name]
        assert ours[name] == expected_transcript([name]) != linux_probe[name]

    pid = functools.partial(re.sub, r"pid=\d+", "pid=N")
    uart = run_program(images, "uart")
    assert uart.outcome is Outcome.EXITED and uart.status == 0, uart.report()
    linux_uart = [pid(l) for l in out if l.startswith("uart")]
    assert linux_uart == [pid(l) for l in uart.user_lines]


# ---------------------------------------------------------------------------------------------
# gdb: the bitmap check at the moment of the out

def test_gdb_sees_the_tss_bitmap_decide_the_outb(images):
    outb = sym("uart", "uart_outb_insn")
    with DebugMachine(QemuConfig(kernel=images.kernel, init=images.program("uart"))) as dm:
        g = dm.gdb
        g.break_at(outb)
        # 1. before ioperm: the child's outb, with no bitmap in the TSS
        g.cont(timeout_s=TIMEOUT_S, what="uart_outb_insn (before ioperm)")
        # the TSS descriptor's limit covers the TSS and both bitmaps with their closing bytes
        low, high = g.read_u64s(g.address_of("gdt") + percpu("TSS_SEL"), 2)   # selector = offset
        limit = (low & 0xFFFF) | ((low >> 48 & 0xF) << 16)
        base = (low >> 16 & 0xFFFFFF) | ((low >> 56 & 0xFF) << 24) | ((high & 0xFFFFFFFF) << 32)
        assert limit == percpu("TSS_LIMIT") and base == g.address_of("cpu0.tss")
        assert g.evaluate("sizeof(cpu0.iomap)") == 8192 + 1
        assert g.cpl() == 3 and g.instruction_at(outb).startswith("out ")
        assert g.evaluate("cpu0.current->pid") == 2
        iomap_base = g.evaluate("cpu0.tss.iomap_base")
        assert iomap_base == percpu("IOMAP_OFF_NONE") > limit    # no bitmap: every port #GP
        assert g.register("rdx") & 0xFFFF == COM1
        g.stepi()
        assert g.cpl() == 0 and g.register("rip") == g.address_of("vector13")
        error, rip, cs = g.read_u64s(g.register("rsp"), 3)
        assert (error, rip, cs & 3) == (0, outb, 3)

        # 2. after ioperm(0x3f8, 8, 1): the parent's outb, its bitmap in the TSS
        g.cont(timeout_s=TIMEOUT_S, what="uart_outb_insn (after ioperm)")
        assert g.cpl() == 3 and g.evaluate("cpu0.current->pid") == 1
        assert g.evaluate("cpu0.tss.iomap_base") == percpu("IOMAP_OFF_PROC")
        iomap = g.read_memory(g.address_of("cpu0.iomap"), 8192 + 1)
        bit = lambda port: iomap[port >> 3] >> (port & 7) & 1      # noqa: E731
        assert [bit(p) for p in range(COM1, COM1 + 8)] == [0] * 8
        assert bit(COM1 - 1) == bit(COM1 + 8) == bit(ISA_EXIT) == 1
        assert iomap[8192] == 0xFF                                 # the closing byte
        assert sum(bin(b ^ 0xFF).count("1") for b in iomap) == 8   # exactly those 8 ports
        g.stepi()
        assert g.cpl() == 3 and g.register("rip") == outb + 1       # no fault: next insn
        run = dm.finish(timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()


# ---------------------------------------------------------------------------------------------
# The port policy: ring 3 gets only the ports of the kernel's table (images/kabi.json), never
# a device that reaches memory or controls the machine; every one of the 65,536 ports tried

# Devices that must never be open to ring 3: first, last port (inclusive), and why.
FORBIDDEN = {
    "dma_controller": (0x00, 0x1F, "8237 DMA: moves memory"),
    "pic": (0x20, 0x21, "masks the timer"), "pic_slave": (0xA0, 0xA1, "masks interrupts"),
    "pit": (0x40, 0x43, "the scheduler's timer"),
    "kbc": (0x60, 0x64, "0x64 pulses the reset line"),
    "cmos_rtc": (0x70, 0x71, "0x70 gates NMIs"),
    "dma_page": (0x80, 0x9F, "DMA page registers"),
    "dma_controller2": (0xC0, 0xDF, "8237 DMA, 16-bit channels"),
    "isa_debug_exit": (0xF4, 0xF7, "stops QEMU"),
    "ide": (0x170, 0x177, "IDE, secondary"), "ide_primary": (0x1F0, 0x1F7, "IDE, primary"),
    "ide_ctl": (0x376, 0x376, "IDE control"), "ide_ctl_primary": (0x3F6, 0x3F6, "IDE control"),
    "fw_cfg": (0x510, 0x51B, "fw_cfg: DMA into guest-physical memory at 0x514"),
    "pci_config": (0xCF8, 0xCFF, "PCI configuration: bus-master enable; 0xcf9 resets"),
}
# The attacks portscan tries (its `devices`): each must end EPERM and in #GP at every access.
ATTACKS = ("fw_cfg_dma", "pci_config", "reset_control", "isa_debug_exit", "kbc_reset",
           "pic_mask", "pic_slave", "pit", "cmos_nmi", "dma_controller", "dma_page",
           "dma_controller2", "ide_primary", "ide_secondary")
PS = "portscan: "


def table_ports() -> set:
    return {p for first, last in kabi.load().user_ports() for p in range(first, last + 1)}


def ranges_text(ranges) -> str:
    return " ".join(f"{first:#x}-{last:#x}" for first, last in sorted(ranges)) or "none"


def test_the_table_has_the_uarts_and_no_device_that_reaches_memory(images):
    """The build's table: the four PC UARTs (the user-mode driver's COM1 among them), and not
    one port of a device listed in FORBIDDEN (nor, since those are all that QEMU's pc machine
    puts below 0x400 besides the UARTs, anything else the issue names)."""
    k = kabi.load()
    assert k.user_ports() == ((0x2E8, 0x2EF), (0x2F8, 0x2FF), (0x3E8, 0x3EF), (0x3F8, 0x3FF))
    assert k.ioports["com1"] == (COM1, COM1 + 7)
    allowed = table_ports()
    for name, (first, last, why) in FORBIDDEN.items():
        assert not allowed & set(range(first, last + 1)), (name, why)
    assert k.const("IOMAP_OFF_ALL") not in (k.const("IOMAP_OFF_PROC"), k.const("IOMAP_OFF_NONE"))


def parse_portscan(lines: Sequence[str]) -> Dict[str, str]:
    """portscan's lines by their first words: ``ioperm granted``, ``attack NAME``, ..."""
    out: Dict[str, str] = {}
    for line in lines:
        if not line.startswith(PS):
            continue
        rest = line[len(PS):]
        if rest.startswith("attack "):
            name, text = rest[len("attack "):].split(" ", 1)
            out[f"attack {name}"] = text
        else:
            out[" ".join(rest.split()[:2])] = rest
    return out


@pytest.fixture(scope="module", params=CPUS)
def portscan_run(request, images):
    cpu = request.param
    run = run_program(images, "portscan", cpu=cpu, int_log=True)
    return cpu, run, parse_portscan(run.user_lines)


def test_portscan_root_gets_exactly_the_table(portscan_run):
    """ioperm(port, 1, 1) for each of the 65,536 ports: 0 for the table's, EPERM for every
    other (no other error); ranges with a refused port are refused whole; the granted ports,
    dropped again, fault before iopl(3); after iopl(3) exactly the table's ports read without
    a fault and every other port probed is a #GP."""
    cpu, run, ps = portscan_run
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert run.user_lines[-1] == "portscan: ok", run.report()
    table = kabi.load().user_ports()
    n = len(table_ports())
    assert ps["ioperm granted"] == (f"ioperm granted {ranges_text(table)} ({n} ports), "
                                    f"EPERM {65536 - n}, other 0"), ps
    assert ps["ioperm(0, 0x10000,"] == "ioperm(0, 0x10000, 1) = EPERM, ioperm(0x3f0, 16, 1) = EPERM"
    assert ps["before iopl(3),"].endswith(f"#GP at {n} of {n}")
    assert ps["iopl(3) ="] == "iopl(3) = 0"
    m = re.fullmatch(r"after iopl\(3\), inb without a fault at (.*) \((\d+) ports\); "
                     r"#GP at (\d+) of (\d+) probed \(.*\)", ps["after iopl(3),"])
    assert m, ps["after iopl(3),"]
    assert m.group(1) == ranges_text(table) and int(m.group(2)) == n
    probed, gp = int(m.group(4)), int(m.group(3))
    assert gp == probed - n and probed > 65536 // 61, (gp, probed)


def test_portscan_every_attack_is_refused_and_the_kernel_lives(portscan_run):
    """fw_cfg's DMA registers, PCI configuration, 0xcf9, isa-debug-exit, the keyboard
    controller's reset, PIC, PIT, CMOS, DMA controllers, IDE: ioperm EPERM and a #GP at every
    access even after iopl(3); afterwards getppid and fork + wait work, the machine halts
    normally (no reset, no QEMU exit from 0xf4)."""
    cpu, run, ps = portscan_run
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    for name in ATTACKS:
        text = ps[f"attack {name}"]
        assert " = EPERM " in text and "WENT-THROUGH" not in text, (name, text)
        assert text.count("#GP") == len(re.findall(r" (?:in|out)\d+ 0x", text)) >= 1, text
    fw = ps["attack fw_cfg_dma"]
    assert "out32 0x514 #GP" in fw and "out32 0x518 #GP" in fw, fw
    assert "out32 0xcf8 #GP" in ps["attack pci_config"]
    assert "out8 0xf4 #GP" in ps["attack isa_debug_exit"]
    assert "out8 0x64 #GP" in ps["attack kbc_reset"]
    assert "out8 0xcf9 #GP" in ps["attack reset_control"]
    assert ps["kernel alive:"] == "kernel alive: getppid() = 0, fork + wait ok"
    assert run.of("halt")


def test_portscan_faults_are_ring_3_gps_only(portscan_run):
    """Every fault the program caught is a kernel ``fault`` event #GP(0) at CPL 3 and one line
    of QEMU's own log; QEMU saw no exception at CPL 0 (no port access reached the kernel's
    memory or made it fault)."""
    cpu, run, ps = portscan_run
    caught = int(ps["faults caught"].split()[-1])
    faults = run.of(Fault)
    assert len(faults) == caught > 1000, (len(faults), caught)
    assert {(f.vector, f.error, f.cpl) for f in faults} == {(GP, 0, 3)}
    log = qemulog.parse(run.log)
    assert not log.truncated
    assert not log.exceptions(cpl=0), [r.describe() for r in log.exceptions(cpl=0)][:5]
    assert len([r for r in log.exceptions(cpl=3) if r.vector == GP]) == caught


@pytest.mark.parametrize("cpu", CPUS)
def test_portscan_unprivileged_gets_no_port(cpu, images):
    """The same scan from an init run as uid 1000 (``invoke boot --user 1000``: no
    CAP_SYS_RAWIO): every one of the 65,536 ports EPERM, iopl(3) EPERM, every probed port a
    #GP at CPL 3 (QEMU's log: none at CPL 0), every attack refused, the kernel alive."""
    cfg = QemuConfig(kernel=images.kernel, init=images.program("portscan"), cpu=cpu,
                     append="init.args=user", user=(1000, 1000), int_log=True)
    run = lab.run(cfg, timeout_s=TIMEOUT_S)
    ps = parse_portscan(run.user_lines)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert run.user_lines[-1] == "portscan: ok", run.report()
    assert ps["ioperm granted"] == "ioperm granted none (0 ports), EPERM 65536, other 0", ps
    assert ps["iopl(3) ="] == "iopl(3) = EPERM"
    m = re.fullmatch(r"after iopl\(3\), inb without a fault at none \(0 ports\); "
                     r"#GP at (\d+) of (\d+) probed \(.*\)", ps["after iopl(3),"])
    assert m and m.group(1) == m.group(2), ps["after iopl(3),"]
    for name in ATTACKS:
        text = ps[f"attack {name}"]
        assert " = EPERM " in text and "WENT-THROUGH" not in text, (name, text)
    caught = int(ps["faults caught"].split()[-1])
    assert {(f.vector, f.error, f.cpl) for f in run.of(Fault)} == {(GP, 0, 3)}
    log = qemulog.parse(run.log)
    assert not log.exceptions(cpl=0), [r.describe() for r in log.exceptions(cpl=0)][:5]
    assert len([r for r in log.exceptions(cpl=3) if r.vector == GP]) == caught


def test_gdb_reads_iopl3_bitmap_is_exactly_the_table(images):
    """gdb, stopped at the #GP of ioprobe's iopl3_table case (inb 0x80 after iopl(3)): the TSS
    points at IOMAP_OFF_ALL, and that bitmap's 65,536 bits are clear for exactly the table's
    ports, its closing byte 0xff: all ports checked, not a sample."""
    cfg = QemuConfig(kernel=images.kernel, init=images.program("ioprobe"),
                     append="init.args=iopl3_table")
    with DebugMachine(cfg) as dm:
        g = dm.gdb
        g.break_at("ioperm_fixup_cli_sti")
        g.cont(timeout_s=TIMEOUT_S, what="the #GP of inb 0x80 after iopl(3)")
        assert g.evaluate("cpu0.current->pid") == 2
        base = g.evaluate("cpu0.tss.iomap_base")
        assert base == percpu("IOMAP_OFF_ALL")
        bitmap = g.read_memory(g.address_of("cpu0.tss") + base, 8192 + 1)
        run = dm.finish(timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    clear = {p for p in range(65536) if not bitmap[p >> 3] >> (p & 7) & 1}
    assert clear == table_ports()
    assert bitmap[8192] == 0xFF
