"""Ring 0: every ``crash=KIND`` (kernel/crash.c) named by its outcome, never success.

Each kind boots once with QEMU's ``-d int`` log and gdb breaking at every exception stub: the
kernel's ring-0 fault event, QEMU's line and the CPU-pushed frame must agree (vector, error,
CPL, RIP, CR2); the panic report carries registers, CR2, the decoded error code and a
backtrace symbolized from images/kernel.elf. ``invoke boot`` (the real CLI) names the
machine-level outcomes with their documented exit statuses.
"""
import pytest

from ringlab.catalogue import crashes
from ringlab.catalogue.crashes import CRASHES, Crash, PanicReport
from ringlab.core import constants as C
from ringlab.debug.frames import record_frames
from ringlab.debug.machine import DebugMachine
from ringlab.machine.symbols import Symbolizer, symbolizer
from ringlab.observe import decode, qemulog, witness
from ringlab.observe.events import Fault, Halt, Panic, parse_console
from ringlab.observe.verdict import OUTCOME_EXIT_STATUS, Outcome, judge
from ringlab.observe.witness import Evidence, expect_fault


class CrashRun:
    """One crash= boot with its witnesses."""

    def __init__(self, crash: Crash) -> None:
        with DebugMachine(crashes.crash_config(crash), extension=False) as dm:
            self.frames = record_frames(dm.gdb, range(decode.FIRST_USER_VECTOR),
                                                timeout_s=20)
            self.run = dm.finish(20)
        self.crash = crash
        self.qlog = qemulog.parse(self.run.log)
        self.report = PanicReport.from_events(self.run.events)
        faults_ = [e for e in self.run.events if isinstance(e, Fault)]
        self.kernel = [witness.from_kernel(f) for f in faults_]
        self.qemu = witness.align(self.kernel, [witness.from_qemu(r) for r in
                                                witness.qemu_fault_records(self.qlog.interrupts)])
        self.gdb = witness.align(self.kernel, [f.sighting() for f in self.frames])

    def evidence(self) -> Evidence:
        return Evidence(self.kernel[0] if self.kernel else None, self.qemu.matched[0],
                        self.gdb.matched[0], collected=(witness.KERNEL, witness.QEMU_LOG,
                                                        witness.GDB),
                        label=f"crash={self.crash.kind} -cpu {self.crash.cpu}")

    def context(self) -> str:
        return self.run.report() + "\n\npanic report:\n" + self.report.describe()


_runs = {}


@pytest.fixture
def crash_run(images, request):
    crash = request.param
    if crash.id not in _runs:
        _runs[crash.id] = CrashRun(crash)
    return _runs[crash.id]


def _params(pred=lambda c: True):
    return [pytest.param(c, id=c.id, marks=[pytest.mark.boot, pytest.mark.gdb])
            for c in CRASHES if pred(c)]


@pytest.mark.parametrize("crash_run", _params(), indirect=True)
def test_outcome_is_named_and_never_success(crash_run):
    c, run = crash_run.crash, crash_run.run
    ev = crash_run.context()
    assert run.outcome is c.outcome, ev
    assert not run.outcome.machine_ok, ev
    assert run.exit_status == c.exit_status == OUTCOME_EXIT_STATUS[c.outcome], ev
    assert not run.of(Halt), ev
    assert crash_run.report.crash is not None and crash_run.report.crash.get("kind") == c.kind, ev
    if c.reason is None:
        assert not run.of(Panic), ev
    else:
        assert crash_run.report.panic is not None and crash_run.report.panic.reason == c.reason, ev
        assert run.rc == 255, ev   # the kernel's port write of 255 after a panic


@pytest.mark.parametrize("crash_run", _params(lambda c: c.vector is not None), indirect=True)
def test_kernel_fault_three_witnesses(crash_run):
    """Vector, error code, CPL 0, RIP and CR2: the kernel's event, QEMU's log and gdb agree."""
    c, rep = crash_run.crash, crash_run.report
    kernel = symbolizer(C.KERNEL_IMAGE)
    ev = crash_run.context()
    assert len(crash_run.kernel) == 1 and rep.fault is not None, ev
    if c.rip == "target":
        rip = rep.target      # ring 0 jumped to a user page: RIP is in the user half
        assert rip is not None and rip < C.USER_HALF_END, ev
    else:
        f = kernel.function_at(rep.fault.rip)
        rip = rep.fault.rip
        assert f is not None and f.name == c.rip, f"RIP {kernel.describe(rip)} not in {c.rip}\n{ev}"
    if c.cr2 == "target":
        cr2 = rep.target
    elif c.cr2 == "guard":
        lo, hi = crashes.kernel_stack_guard(0)
        cr2 = witness.in_range(lo, hi, "pid 1's kernel-stack guard page")
    else:
        cr2 = c.cr2
    if c.vector == decode.VECTOR_PF:
        expect_fault(crash_run.evidence(), vector=c.vector, error=c.error, cpl=0, rip=rip, cr2=cr2)
        assert rep.regs["cr2"] == crash_run.kernel[0].cr2, ev
    else:
        # #DF: its frame carries no CR2; the panic registers show the address that faulted.
        expect_fault(crash_run.evidence(), vector=c.vector, error=c.error, cpl=0, rip=rip)
        assert cr2.matches(rep.regs["cr2"], crash_run.kernel[0]), ev
    assert not crash_run.gdb.unexplained, ev
    assert not crash_run.qlog.triple_fault, ev


@pytest.mark.parametrize("crash_run", _params(lambda c: c.vector is not None), indirect=True)
def test_panic_report_is_complete_and_symbolized(crash_run):
    c, rep = crash_run.crash, crash_run.report
    ev = crash_run.context()
    for reg in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r15",
                "cr0", "cr2", "cr3", "cr4"):
        assert reg in rep.regs, f"panic-regs lacks {reg}\n{ev}"
    assert rep.backtrace, ev
    names = rep.symbolized()
    assert all(not n.startswith("0x") for n in names), names
    for fn in c.backtrace:
        assert any(n.split("+")[0] == fn for n in names), f"{fn} not in {names}\n{ev}"
    text = rep.describe()
    assert decode.describe_error(c.vector, c.error) in text, text
    assert f"cr2={rep.regs['cr2']:#x}" in text and "backtrace: " in text, text
    if c.kind == "smep":
        assert rep.regs["cr4"] & (1 << 20), "SMEP (CR4 bit 20) must be on"
    if c.kind == "smap":
        assert rep.regs["cr4"] & (1 << 21), "SMAP (CR4 bit 21) must be on"


@pytest.mark.parametrize("crash_run", _params(lambda c: c.kind == "stack"), indirect=True)
def test_stack_overflow_double_fault_on_ist(crash_run):
    """The #PF on the guard page cannot push its frame, so QEMU escalates it to #DF
    (SDM Vol. 3A 6.15, Table 6-5: page fault + page fault), delivered on the IST1 stack."""
    ev = crash_run.context()
    q = crash_run.qlog
    assert len(q.double_faults) == 1 and q.double_faults[0].escalated_from == decode.VECTOR_PF, ev
    assert [(s.vector, s.cpl) for s in crash_run.qemu.unexplained] == [(14, 0)], ev
    kernel = Symbolizer(C.KERNEL_IMAGE)
    sym = next(s for s in kernel.symbols if s.name == "df_stack")
    df = [f for f in crash_run.frames if f.vector == decode.VECTOR_DF]
    assert len(df) == 1, ev
    assert sym.address <= df[0].rsp < sym.address + sym.size, \
        f"#DF handler RSP {df[0].rsp:#x} is not on the IST stack df_stack\n{ev}"
    lo, hi = crashes.kernel_stack_guard(0)
    assert not lo <= df[0].rsp < hi + 4 * 4096, ev


@pytest.mark.parametrize("crash_run", _params(lambda c: c.kind == "triple"), indirect=True)
def test_triple_fault_in_qemu_log(crash_run):
    """Empty IDT: the #PF's gate is past the IDT limit (#GP), the #DF's too: triple fault.
    QEMU exits 0 (-no-reboot); only the log's 'Triple fault' and the verdict say so."""
    ev = crash_run.context()
    q = crash_run.qlog
    assert q.triple_fault and crash_run.run.rc == 0, ev
    assert [(e.old, e.new) for e in q.escalations if e.old is not None] == \
           [(decode.VECTOR_PF, decode.VECTOR_GP), (decode.VECTOR_DF, decode.VECTOR_GP)], ev
    assert crash_run.frames == [], ev    # no handler ever ran
    assert not crash_run.run.of(Fault), ev


@pytest.mark.parametrize("crash_run", _params(lambda c: c.reason == "crash-survived"),
                         indirect=True)
def test_without_smep_smap_the_kernel_says_it_survived(crash_run):
    run = crash_run.run
    cpu = [e for e in run.events if e.kind == "cpu"][0]
    assert cpu.get("smep") == 0 and cpu.get("smap") == 0, run.report()
    assert not crash_run.frames and not run.of(Fault), run.report()


CLI = [("null", "qemu64", C.EXIT_PANIC, "panic"),
       ("stack", "qemu64", C.EXIT_DOUBLE_FAULT, "double-fault"),
       ("triple", "qemu64", C.EXIT_TRIPLE_FAULT, "triple-fault"),
       ("smep", "max", C.EXIT_PANIC, "panic")]


@pytest.mark.boot
@pytest.mark.parametrize("kind,cpu,status,name", CLI, ids=[k for k, *_ in CLI])
def test_invoke_boot_names_the_outcome(images, invoke_cli, kind, cpu, status, name):
    res = invoke_cli(["boot", "--append", f"crash={kind}", "--cpu", cpu])
    assert res.returncode == status, res.stdout + res.stderr
    outcome_lines = [l for l in res.stderr.splitlines() if l.startswith("ringlab-boot: ")]
    assert len(outcome_lines) == 1 and outcome_lines[0].startswith(f"ringlab-boot: {name}: "), \
        res.stderr


# ---------------------------------------------------------------------------------------------
# Unit tests: no QEMU

PANIC_DF = """ringlab: crash kind=stack
ringlab: fault pid=1 vector=8 name=#DF error=0x0 cpl=0 rip=0xffffffff801007d6 cs=0x10 rsp=0xffffffffc0001000 ss=0x18 rflags=0x2
ringlab: panic-regs rax=0x1 rbx=0x2 rcx=0x3 rdx=0x4 rsi=0x5 rdi=0x6 rbp=0xffffffffc0001010
ringlab: panic-regs r8=0x8 r9=0x9 r10=0xa r11=0xb r12=0xc r13=0xd r14=0xe r15=0xf
ringlab: panic-regs cr0=0x80050013 cr2=0xffffffffc0000ff8 cr3=0x13e000 cr4=0x620
ringlab: panic-backtrace 0xffffffff801007db 0xffffffff801007db
ringlab: panic reason=kernel-double-fault vector=8 error=0x0 rip=0xffffffff801007d6
"""


def test_verdict_double_fault_is_its_own_outcome():
    events = parse_console(PANIC_DF).events
    v = judge(events, 255)
    assert v.outcome is Outcome.DOUBLE_FAULT and v.exit_status == C.EXIT_DOUBLE_FAULT == 254
    assert not v.outcome.machine_ok and "double fault" in v.detail
    # A plain panic stays a panic.
    plain = [e for e in events if not (isinstance(e, Fault) or e.kind == "panic")]
    plain += parse_console("ringlab: panic reason=kernel-fault vector=14\n").events
    assert judge(plain, 255).outcome is Outcome.PANIC
    statuses = set(OUTCOME_EXIT_STATUS.values())
    assert len(statuses) == len(OUTCOME_EXIT_STATUS), "every machine-level outcome is distinct"


def test_panic_report_parses_registers_and_backtrace():
    rep = PanicReport.from_events(parse_console(PANIC_DF).events)
    assert rep.crash.get("kind") == "stack" and rep.fault.vector == 8
    assert rep.regs["rax"] == 1 and rep.regs["r15"] == 0xF and rep.regs["cr2"] == 0xFFFFFFFFC0000FF8
    assert rep.backtrace == [0xFFFFFFFF801007DB] * 2
    assert rep.panic.reason == "kernel-double-fault"


def test_crash_table_outcomes():
    kinds = {(c.kind, c.cpu): c for c in CRASHES}
    assert kinds[("null", "qemu64")].outcome is Outcome.PANIC
    assert kinds[("stack", "qemu64")].outcome is Outcome.DOUBLE_FAULT
    assert kinds[("triple", "qemu64")].outcome is Outcome.TRIPLE_FAULT
    assert kinds[("smep", "max")].error == 0x11 and kinds[("smap", "max")].error == 0x1
    assert all(not c.outcome.machine_ok for c in CRASHES)


def test_symbolizer_on_the_kernel(images):
    kernel = symbolizer(C.KERNEL_IMAGE)
    for name in ("kmain", "trap", "syscall_entry", "vector14", "crash_maybe"):
        a = kernel.address(name)
        assert kernel.describe(a) == name
    # A return address right after a call that ends a function belongs to the caller.
    sysret = kernel.address("sysret_path")
    assert kernel.describe(sysret, return_address=True).startswith("syscall_entry+")
    assert kernel.describe(sysret) == "sysret_path"
    assert kernel.describe(0x401000) == "0x401000"          # user addresses are not kernel code
    with pytest.raises(KeyError):
        kernel.address("no_such_symbol")
    prog = symbolizer(C.USER_IMAGES_DIR / "f_hlt")
    assert prog.describe(prog.address("fault_insn")).startswith("main+")
