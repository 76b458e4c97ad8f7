"""Unit tests of the gdb layer's parsers and formats (no QEMU, no gdb process)."""
from __future__ import annotations

import pytest
from pygdbmi import gdbmiparser

from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug import mi as G
from ringlab.debug import mitransport
from ringlab.debug.gdbext import ringfmt
from ringlab.debug.gdbext.ringfmt import RingState, Transition, cpl_of, half, normalize_insn
from ringlab.debug.machine import interactive_command
from ringlab.debug.trace import KernelFacts, Trace
from ringlab.debug.trace import Transition as TraceEntry
from ringlab.debug.trace import cause_of_vector, compare_with_qemu_log, user_symbolizer
from ringlab.catalogue.crashes import PanicReport
from ringlab.machine import symbols

pytestmark = pytest.mark.unit


def test_halves_and_cpl():
    assert half(0x401000) == "user"
    assert half(0x00007FFFFFFFFFFF) == "user"
    assert half(0x0000800000000000) == "non-canonical"
    assert half(0xFFFF7FFFFFFFFFFF) == "non-canonical"
    assert half(0xFFFF800000000000) == "kernel"
    assert half(0xFFFFFFFF80106409) == "kernel"
    assert (cpl_of(0x33), cpl_of(0x10), cpl_of(0x2B)) == (3, 0, 3)
    assert ringfmt.USER_HALF_END == C.USER_HALF_END
    assert ringfmt.KERNEL_HALF_START == C.KERNEL_HALF_START


def test_ring_line_round_trip():
    s = RingState(cpl=3, cs=0x33, ss=0x2b, rsp=0x7FFFFFFFEE68, cr3=0x137000, rip=0x401030)
    line = s.line()
    assert line == ("ring: cpl=3 cs=0x33 ss=0x2b rsp=0x7fffffffee68 cr3=0x137000 "
                    "rip=0x401030 half=user")
    assert RingState.parse("noise\n" + line + "\nmore noise\n") == s
    with pytest.raises(ValueError):
        RingState.parse("nothing here")


def test_step_ring_line_round_trip():
    t = Transition(from_cpl=0, to_cpl=3, steps=738, insn_addr=0xFFFFFFFF8010646D,
                   insn="sysretq", rip_before=0xFFFFFFFF8010646D, rsp_before=0x7FFFFFFFEE68,
                   rip_after=0x401044, rsp_after=0x7FFFFFFFEE68, cs_after=0x33, ss_after=0x2B)
    line = t.line()
    assert line.startswith("step-ring: 0->3 steps=738 at=0xffffffff8010646d insn=\"sysretq\"")
    # gdb prints each step's source line around it: the parser finds the step-ring line
    assert Transition.parse("15\t    if (ret != 4)\n" + line + "\n") == t
    assert t.direction == "0->3" and t.mnemonic == "sysretq"
    t2 = Transition(3, 0, 1, 0x401042, "int $0x80", 0x401042, 1, 2, 3, 8, 0)
    assert Transition.parse(t2.line()) == t2 and t2.mnemonic == "int"


def test_normalize_insn():
    assert normalize_insn("mov    %rsp,0x25bf8(%rip)        # 0xffffffff8012c008") == \
        "mov %rsp,0x25bf8(%rip)"
    assert normalize_insn("int    $0x80") == "int $0x80"


def test_mi_numbers_and_quoting():
    assert G._int("0xffffffff80106409") == 0xFFFFFFFF80106409
    assert G._int("-1") == 0xFFFFFFFFFFFFFFFF           # signed registers wrap to unsigned
    assert G._int("18446744071563142153") == 0xFFFFFFFF80106409
    assert G._int("0x401030 <main>") == 0x401030
    assert G._mi_quote('source "a\\b"') == '"source \\"a\\\\b\\""'


def test_stop_record():
    payload = {"reason": "breakpoint-hit", "disp": "keep", "bkptno": "1",
               "frame": {"addr": "0x0000000000401030", "func": "main", "args": []},
               "thread-id": "1", "stopped-threads": "all"}
    s = G.Stop.of(payload)
    assert (s.reason, s.rip, s.breakpoint, s.func) == ("breakpoint-hit", 0x401030, 1, "main")
    s = G.Stop.of({"reason": "end-stepping-range", "frame": {"addr": "0xffffffff80106409"}})
    assert s.breakpoint is None and s.rip == 0xFFFFFFFF80106409


def test_interactive_command_order():
    cmd = interactive_command("/tmp/x/gdb.sock", init="/tmp/prog", kernel="/k.elf",
                                ex=["ring"], batch=True)
    assert cmd[:4] == [C.GDB_BINARY, "--nx", "--quiet", "--batch"]
    ex = [cmd[i + 1] for i, a in enumerate(cmd) if a == "-ex"]
    # docs/qemu-facts.md: the architecture before `target remote`; symbols loaded before attaching
    assert ex.index("set architecture i386:x86-64") < ex.index("target remote /tmp/x/gdb.sock")
    assert ex.index("add-symbol-file /tmp/prog") < ex.index("target remote /tmp/x/gdb.sock")
    assert ex[-1] == "ring"
    assert any(e.startswith("source ") and e.endswith("gdbext/ringlab.py") for e in ex)


def test_cause_of_vector():
    kw = dict(int80=0x80, irqs={32: "timer"})
    assert cause_of_vector(0x80, 0, "1 write", **kw) == ("int80", "int 0x80 1 write")
    assert cause_of_vector(13, 0xE2, **kw) == ("exception", "exception 13 #GP error=0xe2")
    assert cause_of_vector(6, 0, **kw) == ("exception", "exception 6 #UD")
    assert cause_of_vector(32, 0, **kw) == ("interrupt", "interrupt 32 timer")
    assert cause_of_vector(40, 0, **kw) == ("interrupt", "interrupt 40 irq")


def _entry(n, vector, error, rip):
    return TraceEntry(number=n, direction="3->0", kind="x", cause="", user_rip=rip,
                      vector=vector, error=error)


LOG = """\
     0: v=20 e=0000 i=0 cpl=0 IP=0010:ffffffff80101234 pc=ffffffff80101234 SP=0018:ffffffff80200000 env->regs[R_EAX]=0000000000000000
     1: v=80 e=0000 i=1 cpl=3 IP=0033:0000000000401042 pc=0000000000401042 SP=002b:00007fffffffee68 env->regs[R_EAX]=0000000000000001
     2: v=0e e=0000 i=1 cpl=3 IP=0033:0000000000401030 pc=0000000000401030 SP=002b:00007fffffffee68 CR2=0000000000000000
check_exception old: 0xffffffff new 0xd
     3: v=0d e=00e2 i=0 cpl=3 IP=0033:0000000000401030 pc=0000000000401030 SP=002b:00007fffffffee68 env->regs[R_EAX]=0000000000000000
"""


def test_compare_with_qemu_log():
    ours = [_entry(1, 0x80, 0, 0x401042), _entry(2, 13, 0xE2, 0x401030)]
    tr = Trace(transitions=ours, run=None)
    # the ring-0 timer line is not a ring change; the rejected `int $0x0e` attempt is not an entry
    assert compare_with_qemu_log(tr, LOG) == []
    bad = Trace(transitions=[_entry(1, 0x80, 0, 0x401044), _entry(2, 13, 0xE2, 0x401030)],
                run=None)
    problems = compare_with_qemu_log(bad, LOG)
    assert len(problems) == 1 and "rip=0x401044" in problems[0]
    short = Trace(transitions=ours[:1], run=None)
    assert "1 IDT entries" in compare_with_qemu_log(short, LOG)[0]


def test_kernel_facts_and_user_symbols(images):
    facts = KernelFacts.of(kabi.load())
    assert (facts.sysname(1), facts.sysname(39), facts.sysname(231)) == \
        ("write", "getpid", "exit_group")
    assert facts.sysname(100000) == "nr100000"
    assert facts.int80 == 0x80 and facts.irqs[32] == "timer"
    # alltraps finds vector, error, then the CPU's frame; iretq pops rip, cs, rflags, rsp, ss
    assert [facts.stub_frame[f] for f in ("vector", "error", "rip", "cs", "rsp")] == \
        [0, 1, 2, 3, 5]
    assert [facts.cpu_frame[f] for f in ("rip", "cs", "rflags", "rsp", "ss")] == [0, 1, 2, 3, 4]
    sym = user_symbolizer(images.program("gdb_write"))
    insn = symbols.symbol_address(images.program("gdb_write"), "write1_insn")
    # named as gdb names it (ring, step-ring, bt): the function, not the label inside it
    main = symbols.symbol_address(images.program("gdb_write"), "main")
    assert sym(insn) == f"main+{insn - main}"
    assert sym(insn + 2) == f"main+{insn + 2 - main}"
    assert sym(0x10) == ""


def test_one_naming_rule_for_ring_step_ring_trace_reports_and_panics(images):
    """An address has one name everywhere, gdb's own form (<function+decimal offset>):
    the gdb extension (ring, step-ring: observe/symname.py, loaded by path), trace,
    fault reports and the panic report (harness/ringlab/machine/symbols.py)."""
    k = symbols.symbolizer(C.KERNEL_IMAGE)
    addr = k.address("syscall_dispatch") + 9
    assert k.describe(addr) == "syscall_dispatch+9"
    assert user_symbolizer(C.KERNEL_IMAGE)(addr) == "syscall_dispatch+9"
    assert " <syscall_dispatch+9>" in symbols.name_address(C.KERNEL_IMAGE, addr)
    assert k.describe(k.address("syscall_dispatch")) == "syscall_dispatch"
    report = PanicReport(crash=None, fault=None, regs={}, backtrace=[addr], panic=None)
    assert report.symbolized() == ["syscall_dispatch+9"]
    assert "backtrace: " + f"{addr:#x} <syscall_dispatch+9>" in report.describe()
    # the extension formats what gdb's `info symbol` says with the same function
    extension = C.REPO_ROOT / "harness/ringlab/debug/gdbext/ringlab.py"
    assert "symname.symbol_text(" in extension.read_text()


def test_ring_stepper_classifies_like_both_witnesses():
    """ringfmt.RingStepper, the one classifier of step-ring and step_until_ring_change:
    the transition is the step whose CS has another CPL; RIP/RSP before it are the
    previous step's; signal_delivered on the way back to ring 3 is a delivery."""
    reads = []
    st = ringfmt.RingStepper(0xFFFFFFFF80100000, 0x10, 0xFFFFFFFFC0004000,
                             {0xFFFFFFFF80100010: "signal_delivered"},
                             lambda: reads.append(1) or 10)
    assert not st.step(0xFFFFFFFF80100010, 0x10, 0xFFFFFFFFC0003FF8)
    assert reads == [1] and (st.event, st.signal) == ("delivery", 10)
    assert not st.step(0xFFFFFFFF80100020, 0x10, 0xFFFFFFFFC0003FF0)
    assert st.step(0x401000, 0x33, 0x7FFFFFFFE000)
    t = st.transition("iretq", 0x2B, modes={0x33: "user64", 0x10: "kernel"}, start_cs=0x10)
    assert (t.direction, t.steps, t.insn_addr, t.rsp_before) == \
        ("0->3", 3, 0xFFFFFFFF80100020, 0xFFFFFFFFC0003FF0)
    assert (t.rip_after, t.rsp_after, t.cs_after, t.ss_after) == (0x401000, 0x7FFFFFFFE000,
                                                                   0x33, 0x2B)
    assert (t.event, t.signal, t.mode_before, t.mode_after) == ("delivery", 10, "kernel",
                                                                "user64")
    up = ringfmt.RingStepper(0x401000, 0x33, 0x7000, {}, lambda: 0)
    assert up.step(0xFFFFFFFF80100000, 0x10, 0x7000)
    assert up.transition("syscall", 0x18).event == ""       # events only on the way back


@pytest.mark.parametrize("line", [
    '12^done,memory=[{begin="0xffffffff80100000",offset="0x0000000000000000",'
    'end="0xffffffff80100010",contents="00112233445566778899aabbccddeeff"}]',
    '3^done,memory=[{begin="0x1000",offset="0x0",end="0x1000",contents=""}]',
    '7^done,register-values=[{number="16",value="0x401075"},{number="43",value="0x33"}]',
    '8^done,register-values=[{number="0",value="-1"}]',
    '9^done,register-values=[]',
    '4^done', '5^running', '6^connected',
    # what the fast paths leave to pygdbmi: two ranges, a vector register, an error
    '10^done,memory=[{begin="0x0",offset="0x0",end="0x1",contents="00"},'
    '{begin="0x2",offset="0x0",end="0x3",contents="11"}]',
    '11^done,register-values=[{number="40",value="{v4_float = {0x0, 0x0}}"}]',
    '13^error,msg="Cannot access memory at address 0x0"',
    '*stopped,reason="end-stepping-range",frame={addr="0x401075",func="main",args=[]},'
    'thread-id="1",stopped-threads="all"',
])
def test_mi_lines_parse_as_pygdbmi_parses_them(line):
    """The transport's fast paths for memory and register answers give pygdbmi's records."""
    assert mitransport.parse_line(line) == gdbmiparser.parse_response(line)
