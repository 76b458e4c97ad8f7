"""images/kabi.json, the one file the harness learns kernel facts from, checked against the
kernel's headers (compiled with the kernel's own compiler and flags), kernel.elf's symbol
table, and gdb; plus the reader (harness.core.kabi) on its own."""
from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest

from ringlab.catalogue import crashes
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.core.errors import BadImage, KabiError
from ringlab.machine.qemu import DevicePorts, QemuConfig, device_ports
from ringlab.machine.symbols import symbolizer

pytestmark = pytest.mark.unit

KERNEL_DIR = C.REPO_ROOT / "kernel"


def kernel_cc():
    """The kernel's compiler and flags, as its Makefile has them."""
    out = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(KERNEL_DIR),
                          "print-cflags"], capture_output=True, text=True, check=True,
                          stdin=subprocess.DEVNULL).stdout
    return shlex.split(out)


def test_every_value_matches_the_headers(images, tmp_path):
    """Each constant, offset, size and system-call number in kabi.json, asserted at compile
    time against the same headers kabi.c includes: a stale or wrong file fails to compile."""
    k = kabi.load()
    lines = ['#define KABI_MACROS_ONLY', f'#include "{KERNEL_DIR / "kabi.c"}"']
    for name, value in k.constants.items():
        lines.append(f'_Static_assert((uint64_t)({name}) == {value}UL, "{name}");')
    for key, value in k.offsets.items():
        struct, field = key.split(".")
        lines.append(f'_Static_assert(__builtin_offsetof(struct {struct}, {field}) == {value}, '
                     f'"{key}");')
    for struct, value in k.sizes.items():
        lines.append(f'_Static_assert(sizeof(struct {struct}) == {value}, "{struct}");')
    for nr, name in k.syscalls.items():
        lines.append(f'_Static_assert(SYS_{name} == {nr}, "SYS_{name}");')
    for nr, name in k.syscalls32.items():
        lines.append(f'_Static_assert(SYS32_{name} == {nr}, "SYS32_{name}");')
    check = tmp_path / "kabi_check.c"
    check.write_text("\n".join(lines) + "\n")
    res = subprocess.run(kernel_cc() + ["-fsyntax-only", "-Wno-unused-const-variable",
                                        str(check)], cwd=KERNEL_DIR, capture_output=True,
                         text=True, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, f"kabi.json disagrees with the kernel headers:\n{res.stderr}"


def test_the_hardware_layouts_it_states(images):
    k = kabi.load()
    assert k.offset("tss", "rsp") == 4           # SDM Vol. 3A 8.7, Figure 8-11: RSP0
    assert k.size("trapframe") == k.offset("trapframe", "ss") + 8
    # the CPU's frame, in the order SDM Vol. 3A 6.14.2 (Figure 6-9) has it pushed
    cpu = [k.offset("trapframe", f) for f in ("rip", "cs", "rflags", "rsp", "ss")]
    assert cpu == list(range(cpu[0], cpu[0] + 40, 8))


def test_every_syscall_macro_is_in_the_table(images):
    """The syscall table holds every SYS_name the kernel compiles with (none left out)."""
    res = subprocess.run(kernel_cc() + ["-dM", "-E", "-DKABI_MACROS_ONLY", "kabi.c"],
                         cwd=KERNEL_DIR, capture_output=True, text=True, check=True,
                         stdin=subprocess.DEVNULL)
    macros, macros32 = {}, {}
    for line in res.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].startswith("SYS_") and parts[2].isdigit():
            macros[int(parts[2])] = parts[1][len("SYS_"):]
        if len(parts) == 3 and parts[1].startswith("SYS32_") and parts[2].isdigit():
            macros32[int(parts[2])] = parts[1][len("SYS32_"):]
    assert macros and dict(kabi.load().syscalls) == macros
    assert macros32 and dict(kabi.load().syscalls32) == macros32


def test_linux_gdt_selectors(images):
    """The selectors Linux's x86-64 GDT has (arch/x86/include/asm/segment.h), which programs
    hard-code for far transfers between 32- and 64-bit code and for i386 TLS."""
    k = kabi.load()
    assert {n: k.const(n) for n in ("KERNEL_CS", "KERNEL_SS", "USER32_CS", "USER_SS", "USER_CS",
                                    "TSS_SEL", "TLS_SEL0", "CPUNODE_SEL")} == {
        "KERNEL_CS": 0x10, "KERNEL_SS": 0x18, "USER32_CS": 0x23, "USER_SS": 0x2B,
        "USER_CS": 0x33, "TSS_SEL": 0x40, "TLS_SEL0": 0x63, "CPUNODE_SEL": 0x7B}


def test_symbols_are_kernel_elf_s(images):
    k = kabi.load()
    syms = symbolizer(images.kernel)
    for name, address in k.symbols.items():
        assert syms.address(name) == address, name
    assert {f"vector{v}" for v in range(k.const("NVECTORS"))} <= set(k.symbols)


def test_gdb_expressions_evaluate_against_kernel_elf(images):
    """Each expression names real symbols and fields (``whatis``: types, no running kernel)."""
    k = kabi.load()
    cmd = ["gdb", "--nx", "--batch", "-ex", f"file {images.kernel}"]
    for expr in k.gdb_expressions.values():
        cmd += ["-ex", f"whatis {expr}"]
    res = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL,
                         timeout=60)
    types = [l for l in res.stdout.splitlines() if l.startswith("type = ")]
    assert len(types) == len(k.gdb_expressions), res.stdout + res.stderr


def test_the_harness_names_only_symbols_the_kernel_vouches_for(images):
    k = kabi.load()
    for crash in crashes.CRASHES:
        names = list(crash.backtrace)
        if crash.rip not in (None, "target"):
            names.append(crash.rip)
        for name in names:
            k.symbol(name)


# -- the reader ------------------------------------------------------------------------------

SAMPLE = {"format": 1, "kernel": "kernel.elf", "constants": {"PAGE_SIZE": 4096},
          "offsets": {"trapframe.rip": 136}, "sizes": {"trapframe": 176},
          "syscalls": {"1": "write"}, "symbols": {"trap": 0xFFFFFFFF80100000},
          "gdb": {"current_pid": "current->pid"}}


def test_reader(tmp_path):
    p = tmp_path / "kabi.json"
    p.write_text(json.dumps(SAMPLE))
    k = kabi.load(p)
    assert k.const("PAGE_SIZE") == 4096 and k.offset("trapframe", "rip") == 136
    assert k.size("trapframe") == 176 and k.syscall_name(1) == "write"
    assert k.syscall_name(2) is None and k.symbol("trap") == "trap"
    assert k.address("trap") == 0xFFFFFFFF80100000 and k.gdb("current_pid") == "current->pid"
    with pytest.raises(KabiError, match="no constant 'NOPE'.*kernel/kabi.c"):
        k.const("NOPE")
    with pytest.raises(KabiError, match="no symbol"):
        k.symbol("nosuch")


def test_reader_refuses_what_it_cannot_trust(tmp_path):
    with pytest.raises(BadImage, match="no such file"):
        kabi.load(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(KabiError, match="not a kernel ABI file"):
        kabi.load(bad)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(dict(SAMPLE, format=0)))
    with pytest.raises(KabiError, match="format 0"):
        kabi.load(old)


def test_debug_exit_port_is_where_qemu_puts_the_device(images):
    """The kernel writes its status to DEBUG_EXIT_PORT; the harness puts QEMU's isa-debug-exit
    device at C.DEBUG_EXIT_IOBASE. They must be the same port, or every run ends without it."""
    assert kabi.load().const("DEBUG_EXIT_PORT") == C.DEBUG_EXIT_IOBASE
    assert kabi.load().const("COVER_PORT") == C.COVER_IOBASE


def test_qemu_devices_sit_at_the_ports_of_the_kernel_abi(images):
    """QEMU's isa-debug-exit and isa-debugcon go where images/kabi.json says our kernel writes
    (DEBUG_EXIT_PORT, COVER_PORT); another kernel gets the harness's ports."""
    k = kabi.load()
    ours = QemuConfig().command(cover_file=Path("/tmp/cover"))
    assert f"isa-debug-exit,iobase={k.const('DEBUG_EXIT_PORT'):#x},iosize=0x04" in ours
    assert f"isa-debugcon,iobase={k.const('COVER_PORT'):#x},chardev=cover" in ours
    assert device_ports(Path("/nonexistent/other.elf")) == DevicePorts(C.DEBUG_EXIT_IOBASE,
                                                                       C.COVER_IOBASE)
