"""Symbols on every fault address: a panic's backtrace in ``invoke boot``'s evidence and in
test reports, ``invoke faults``'s rows and ``invoke pagetables``'s violations name each address
``<function+off>`` (and ``file:line`` where the ELF has DWARF), through machine.symbols."""
from __future__ import annotations

import os
import re

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.debug import trace
from ringlab.machine import elfimage, lines, symbols
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.events import parse_console
from ringlab.observe.verdict import judge

PANIC_CONSOLE = """\
ringlab: crash kind=null
ringlab: fault pid=1 vector=14 name=#PF error=0x0 cpl=0 rip={rip:#x} cs=0x10 rsp=0xffffffffc0004ec0 ss=0x18 rflags=0x86 cr2=0x0
ringlab: panic-backtrace {ret:#x}
ringlab: panic reason=kernel-fault vector=14 error=0x0 rip={rip:#x}
"""


def panic_run(source_line=None) -> lab.Run:
    k = symbols.symbolizer(C.KERNEL_IMAGE)
    rip, ret = k.address("crash_maybe") + 4, k.address("syscall_dispatch") + 9
    text = PANIC_CONSOLE.format(rip=rip, ret=ret)
    parsed = parse_console(text)
    cfg = QemuConfig(init=C.USER_IMAGES_DIR / "hlt")
    return lab.Run(config=cfg, command=[], verdict=judge(parsed.events, 255), events=parsed.events,
                   user_lines=[], console=text, raw_console=text, rc=255, qemu_signal=None,
                   log="", stderr="", duration_s=0.1)


@pytest.mark.unit
@pytest.mark.slow                   # the kernel's DWARF line table: about 1 s
def test_name_address_gives_function_offset_and_source_line(images):
    k = symbols.symbolizer(C.KERNEL_IMAGE)
    named = symbols.name_address(C.KERNEL_IMAGE, k.address("crash_maybe") + 4)
    assert re.fullmatch(r"0xffffffff[0-9a-f]{8} <crash_maybe\+4> \w+\.c:\d+", named), named
    # a return address is named by its call (its line), the offset as given
    named = symbols.name_address(C.KERNEL_IMAGE, k.address("syscall_dispatch") + 9,
                                 return_address=True)
    assert "<syscall_dispatch+9>" in named


@pytest.mark.unit
@pytest.mark.slow                   # the kernel's DWARF line table, read once: about 1 s
def test_a_kernels_line_table_is_kept_for_the_next_process(images, tmp_path, monkeypatch):
    monkeypatch.setattr(C, "CACHE_DIR", tmp_path / "cache")
    elf = tmp_path / "kernel.elf"
    elf.write_bytes(C.KERNEL_IMAGE.read_bytes())
    symbols._cached_lines.cache_clear()
    read = symbols.lines_of(elf)
    assert len(read.starts) >= symbols.CACHED_ROWS_MIN
    kept, = (tmp_path / "cache" / "lines").iterdir()
    reads = []
    real_read = symbols._read_line_table
    monkeypatch.setattr(symbols, "_read_line_table", lambda p: reads.append(p) or real_read(p))
    symbols._cached_lines.cache_clear()             # another process: from the kept file
    assert symbols.lines_of(elf) == read and reads == []
    os.utime(elf, ns=(0, elf.stat().st_mtime_ns + 10**9))      # a rebuilt kernel: read anew
    symbols._cached_lines.cache_clear()
    assert symbols.lines_of(elf) == read and reads == [str(elf)]
    kept.write_text('{"path": "broken')                      # a torn or foreign file: read anew
    symbols._cached_lines.cache_clear()
    assert symbols.lines_of(elf) == read and len(reads) == 2
    symbols._cached_lines.cache_clear()


@pytest.mark.unit
@pytest.mark.slow                   # the kernel's DWARF line table: about 1 s
def test_name_kernel_addresses_names_starts_not_range_ends(images):
    start = symbols.symbolizer(C.KERNEL_IMAGE).address("kmain")
    text = f"VIOLATION x: {start:#x}-{start + 4096:#x} urw-"
    named = symbols.name_kernel_addresses(text, C.KERNEL_IMAGE)
    assert named.startswith(f"VIOLATION x: {start:#x} <kmain> ") and \
        named.endswith(f"-{start + 4096:#x} urw-"), named
    assert symbols.name_kernel_addresses("rip=0x401000", C.KERNEL_IMAGE) == "rip=0x401000"


@pytest.mark.unit
def test_a_panic_backtrace_is_named_in_the_evidence(images):
    run = panic_run()
    lines = run.fault_lines()
    assert any(re.search(r"called from 0x[0-9a-f]+ <syscall_dispatch\+9>$", l) for l in lines), \
        lines
    # with the DWARF reader (tests, the plugin): file:line too
    lines = run.fault_lines(lambda p, a: symbols.source_line(p, a))
    assert any(re.search(r"called from 0x[0-9a-f]+ <syscall_dispatch\+9> \w+\.c:\d+$", l)
               for l in lines), lines
    # what `invoke boot` prints after a failed machine: the run's error evidence
    assert "called from" in run.error().report()


@pytest.mark.boot
def test_invoke_boot_names_the_panic_backtrace(invoke_cli, images):
    res = invoke_cli(["boot", "--append", "crash=null", "--init", "images/user/hlt"])
    assert res.returncode == C.EXIT_PANIC, res.stderr
    assert re.search(r"^fault: pid 1 #PF \(vector 14\) error=0x0 at 0xffff\w+ <crash_maybe\+\d+>",
                     res.stderr, re.M), res.stderr
    # file:line from a child process (a plain boot does not load pyelftools itself)
    assert re.search(r"^  called from 0xffff\w+ <syscall_\w+\+\d+> syscall\.c:\d+$",
                     res.stderr, re.M), res.stderr


@pytest.mark.boot
@pytest.mark.gdb
def test_invoke_pagetables_names_kernel_addresses(invoke_cli, images):
    res = invoke_cli(["pagetables", "--append", "test.ukpage=1", "--point", "pt_boot"])
    assert res.returncode == 1, res.stderr
    assert re.search(r"VIOLATION .*: 0xffff\w+ <ukpage>-0xffff\w+ ", res.stdout), res.stdout


@pytest.mark.boot
def test_invoke_boot_names_a_programs_fault_before_the_outcome_line(invoke_cli, images):
    res = invoke_cli(["boot", "--init", "images/user/hlt"])
    assert res.returncode == 139, res.stderr
    lines = res.stderr.strip().splitlines()
    assert re.fullmatch(r"ringlab-boot: fault: pid 1 #GP \(vector 13\) error=0x0 at 0x[0-9a-f]+ "
                        r"<\w+(\+\d+)?> hlt\.c:12 from CPL 3", lines[-2]), lines
    assert lines[-1].startswith("ringlab-boot: killed: init killed by SIGSEGV"), lines


@pytest.mark.slow
@pytest.mark.unit
def test_the_child_process_reader_gives_the_same_lines(images):
    k = symbols.symbolizer(C.KERNEL_IMAGE)
    addrs = [k.address(n) for n in ("kmain", "syscall_dispatch", "trap")]
    reader = lines.ProcessLineReader()
    reader.prefetch([(C.KERNEL_IMAGE, a, False) for a in addrs])
    assert [reader(C.KERNEL_IMAGE, a) for a in addrs] == \
        [symbols.source_line(C.KERNEL_IMAGE, a) for a in addrs]
    assert reader("/nonexistent", 1) is None


@pytest.mark.unit
def test_every_report_names_an_address_as_gdb_does(images):
    """One rule everywhere (reports, invoke boot, trace, invoke faults, ring): the function
    holding the address and the decimal offset, not an assembly label inside it."""
    hlt = C.USER_IMAGES_DIR / "hlt"
    table = symbols.symbolizer(hlt)
    fault = table.address("fault_insn")                  # a label inside main
    main = table.address("main")
    expected = f"main+{fault - main}"
    assert elfimage.function_symbol(hlt, fault) == ("main", fault - main)
    assert symbols.name_address(hlt, fault).split()[1] == f"<{expected}>"
    assert trace.user_symbolizer(hlt)(fault) == expected


@pytest.mark.unit
def test_may_define_rules_out_only_files_without_the_name(images, tmp_path):
    """invoke debug's prefilter before it parses a module's symbols: never "no" for a file that
    defines the name."""
    assert symbols.may_define(C.KERNEL_IMAGE, "kmain")
    assert "kmain" in symbols.symbolizer(C.KERNEL_IMAGE)
    assert not symbols.may_define(C.KERNEL_IMAGE, "no_such_symbol_anywhere")
    assert not symbols.may_define(C.KERNEL_IMAGE, "kmai")        # a name's prefix is not it
    assert symbols.may_define(tmp_path / "missing", "kmain")     # unreadable: maybe
