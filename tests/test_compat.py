"""Compatibility mode and the i386 entries: Linux's GDT lets ring 3 run 32-bit code (CS 0x23);
no road from there reaches CPL 0 but the kernel's own entries.

``userland/compat.c`` (a static 64-bit program) far-jumps, far-calls and far-returns between
64-bit code (0x33) and 32-bit code (0x23), makes i386 system calls with ``int $0x80`` from both,
``syscall`` and ``sysenter`` from 32-bit code, and tries the hostile variants (TF, AC/NT/DF, an
unmapped stack for the sixth argument, a far return past 4 GiB, far jumps to data and null TLS
selectors), each case in a child. One boot per CPU model, with QEMU's ``-d int`` log:

- ``max`` and ``qemu64`` report vendor AuthenticAMD, ``kvm64`` GenuineIntel (CPUID leaf 0,
  printed by the program). On AMD, ``syscall`` from compatibility mode goes through MSR_CSTAR
  and ``sysenter`` is #UD in long mode; on Intel ``syscall`` in compatibility mode is #UD and
  ``sysenter`` is valid in 64-bit and compatibility mode (SDM Vol. 2B SYSCALL, SYSENTER; AMD APM
  Vol. 3). QEMU 7.2 TCG runs a compatibility-mode ``syscall`` through CSTAR and a
  compatibility-mode ``sysenter`` through the SYSENTER MSRs on every vendor (it checks the
  vendor only for ``sysenter`` in 64-bit mode), so the kernel sets both, as Linux does.
- Linux returns a compatibility-mode ``syscall``/``sysenter`` to the 32-bit vDSO's landing pad;
  this program is a 64-bit process, which has no 32-bit vDSO (only i386 processes get one), so
  the call runs and the return to the missing landing pad is a ring-3 #PF at RIP 0, SIGSEGV. A
  64-bit process on the host's Linux has no 32-bit vDSO either: its compat ``syscall`` also ends
  in SIGSEGV.

For each case: the status, the kernel's fault event (vector, error code, CS, CPL 3), QEMU's log
(every exception at CPL 3 except the one #DB a ``sysenter`` with TF set raises at the kernel's
entry, which the entry stub handles), and the host's Linux status and lines where the case means
the same there.
"""
import resource
import subprocess
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.machine.qemu import QemuConfig
from ringlab.observe import decode, qemulog
from ringlab.observe.events import Fault, Panic
from ringlab.observe.verdict import Outcome

pytestmark = pytest.mark.boot

INTEL_CPU = "kvm64"            # a TCG model whose CPUID vendor is GenuineIntel
CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU, INTEL_CPU)
VENDOR = {C.DEFAULT_CPU: "AuthenticAMD", C.LEGACY_CPU: "AuthenticAMD", INTEL_CPU: "GenuineIntel"}
SEGV, ILL, RETURNED = 139, 132, 77
GP, UD, PF, DB = decode.VECTOR_GP, decode.VECTOR_UD, decode.VECTOR_PF, 1
USER32_CS, USER_CS, KERNEL_CS = 0x23, 0x33, 0x10
LANDING = (SEGV, PF, 0x14, USER32_CS)    # return to the missing vDSO landing pad: user fetch at 0
# QEMU 7.2 TCG does the stack accesses of a far call and far return as supervisor accesses:
# with SMAP (-cpu max) they fault on the user stack (#PF P=1, U=0; W for the call's push).
SMAP_TCG = "QEMU 7.2 TCG: far call/return stack accesses are supervisor accesses (SMAP #PF)"

Expect = Tuple[int, Optional[int], Optional[int], Optional[int]]   # status, vector, error, cs


@dataclass(frozen=True)
class Case:
    """One case and how it ends.

    Attributes:
        expect: (status, vector, error, CS of the fault) on every model, unless ``per_cpu``.
        per_cpu: model -> expectation where a model differs.
        host: the host's Linux status (an AMD CPU) where the case means the same there; None:
            not compared (``why``).
        why: the reason for anything unusual.
    """

    expect: Expect
    per_cpu: Optional[Dict[str, Expect]] = None
    host: Optional[int] = None
    why: str = ""

    def on(self, cpu: str) -> Expect:
        return (self.per_cpu or {}).get(cpu, self.expect)


OK = (RETURNED, None, None, None)
CASES: Dict[str, Case] = {
    # 64 -> 32 -> 64 (SDM Vol. 2A JMP, CALL, RET: far transfers to a code segment of the same
    # privilege; L=0 D=1 selects compatibility mode, Vol. 3A 5.2.1).
    "ljmp": Case(OK, host=RETURNED),
    "lret32": Case(OK, {C.DEFAULT_CPU: (SEGV, PF, 0x1, USER32_CS)}, host=RETURNED, why=SMAP_TCG),
    "far_call": Case(OK, {C.DEFAULT_CPU: (SEGV, PF, 0x3, USER_CS)}, host=RETURNED, why=SMAP_TCG),
    "lretq": Case(OK, {C.DEFAULT_CPU: (SEGV, PF, 0x1, USER_CS)}, host=RETURNED, why=SMAP_TCG),
    # int $0x80: the i386 table from 32-bit and from 64-bit code.
    "int80_32": Case(OK, host=RETURNED),
    "int80_exit32": Case((5, None, None, None), host=5),
    "int80_64": Case((7, None, None, None), host=7),
    # syscall/sysenter from compatibility mode: the call runs, then the landing pad.
    "syscall32": Case(LANDING, host=SEGV),
    "sysenter32": Case(LANDING, why="AMD hardware: #UD (host 132); QEMU runs it on every vendor"),
    "sysenter_tf": Case(LANDING, why="the #DB at the entry is handled there (QEMU log: CPL 0)"),
    "sysenter_flags": Case(LANDING, why="AC, NT and DF: the entry sets its own RFLAGS"),
    "sysenter_badstack": Case(LANDING, why="the sixth argument's read fails: -EFAULT"),
    "syscall_badstack": Case(LANDING, host=SEGV),
    # Exceptions in compatibility mode are reported with CS 0x23.
    "ud2_32": Case((ILL, UD, None, USER32_CS), host=ILL),
    "gp32": Case((SEGV, GP, 0x10, USER32_CS), host=SEGV),
    # A far return to 0x23 past 4 GiB: #GP(0) on hardware (the CS limit, SDM Vol. 2A RET).
    "lretq_above_4g": Case(OK, {C.DEFAULT_CPU: (SEGV, PF, 0x1, USER_CS)}, host=SEGV,
                           why="QEMU 7.2 TCG does not check the limit (hardware: #GP(0)); "
                               + SMAP_TCG),
    # Far jumps to selectors that are not code: #GP(selector).
    "ljmp_data": Case((SEGV, GP, 0x28, USER_CS), host=SEGV),
    "ljmp_tls": Case((SEGV, GP, 0x60, USER_CS), host=SEGV),
    # sysenter in 64-bit mode: #UD on AMD; on Intel the kernel's entry takes an i386 call.
    "sysenter64": Case((ILL, UD, None, USER_CS), {INTEL_CPU: LANDING}, host=ILL),
    "sysenter64_tf": Case((ILL, UD, None, USER_CS), {INTEL_CPU: LANDING}, host=ILL),
}
# Lines the programs print that the host prints the same (pids and addresses never appear).
SAME_LINES = ("compat: ljmp ", "compat: int80_32 ", "compat: int80_64 ", "compat: int80_64_time ",
              "compat: int80 from ", "compat: syscall from ")


def _no_core() -> None:
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def parse(lines):
    cases, vendor, other = {}, None, []
    for line in lines:
        words = line.split()
        if len(words) < 2 or words[0] != "compat:":
            continue
        kv = dict(w.split("=", 1) for w in words[1:] if "=" in w)
        if "case" in kv:
            cases[kv["case"]] = (int(kv["pid"]), int(kv["status"]))
        elif "vendor" in kv:
            vendor = kv["vendor"]
        else:
            other.append(line)
    return cases, vendor, other


@pytest.fixture(scope="module", params=CPUS)
def compat_run(request, images):
    cpu = request.param
    run = lab.run(QemuConfig(init=images.program("compat"), append="init.args=all", cpu=cpu,
                             int_log=True), timeout_s=120)
    return cpu, run, parse(run.user_lines)


@pytest.fixture(scope="module")
def host_run(images):
    names = [n for n, c in CASES.items() if c.host is not None]
    res = subprocess.run([str(images.program("compat"))] + names, capture_output=True, text=True,
                         timeout=120, preexec_fn=_no_core, stdin=subprocess.DEVNULL)
    assert res.returncode == 0, res.stderr
    return parse(res.stdout.splitlines())


def test_cpu_vendor_of_each_model(compat_run):
    cpu, run, (_, vendor, _) = compat_run
    assert vendor == VENDOR[cpu], run.report()


def test_every_case_ends_as_expected_at_cpl3(compat_run):
    cpu, run, (cases, _, _) = compat_run
    ev = run.report()
    assert run.outcome is Outcome.EXITED and run.status == 0, ev
    assert not run.of(Panic), ev
    assert sorted(cases) == sorted(CASES), ev
    faults = {e.pid: e for e in run.of(Fault)}
    wrong = []
    for name, case in CASES.items():
        pid, status = cases[name]
        f = faults.get(pid)
        want = case.on(cpu)
        got = (status, f.vector if f else None,
               f.error if f and decode.has_error_code(f.vector) else None, f.cs if f else None)
        if got != want or (f is not None and f.cpl != 3):
            wrong.append(f"{name}: got {got}, want {want}" + (f"; {case.why}" if case.why else ""))
    assert not wrong, "\n".join(wrong) + "\n\n" + ev
    assert all(f.cpl == 3 for f in run.of(Fault)), ev


def test_the_calls_ran_before_the_landing_pad(compat_run):
    """The i386 write through syscall and sysenter (from 32-bit code) printed its line before
    the return to the missing landing pad."""
    cpu, run, (_, _, other) = compat_run
    assert "compat: syscall from 32-bit code wrote this" in other, run.report()
    assert "compat: sysenter from 32-bit code wrote this" in other, run.report()


def test_qemu_log_only_the_sysenter_tf_debug_trap_at_cpl0(compat_run):
    """QEMU's own log: every exception came from CPL 3 but the single-step trap of a sysenter
    with TF set, which arrives at the first instruction of entry_SYSENTER_compat in ring 0
    (SDM Vol. 2B SYSENTER leaves TF set); the stub clears TF and goes on (Linux's exc_debug
    does the same for its SYSENTER entry). One per such sysenter: 1 on the AMD-vendor models,
    2 on the Intel one (sysenter64_tf enters too)."""
    cpu, run, _ = compat_run
    log = qemulog.parse(run.log)
    assert not log.truncated
    entry = kabi.load().address("entry_SYSENTER_compat")
    cpl0 = log.exceptions(cpl=0)
    assert [(r.vector, r.cs, r.rip) for r in cpl0] == \
        [(DB, KERNEL_CS, entry)] * (2 if cpu == INTEL_CPU else 1), [r.describe() for r in cpl0]
    assert len(log.exceptions(cpl=3)) >= len(run.of(Fault))


def test_same_as_linux(compat_run, host_run):
    """The same binary on the host's Linux (an AMD CPU, IA32 emulation on): statuses where the
    case means the same there, and the lines the i386 calls printed."""
    cpu, run, (cases, _, other) = compat_run
    host_cases, _, host_other = host_run
    for name, case in CASES.items():
        if case.host is None:
            continue
        assert host_cases[name][1] == case.host, (name, host_cases[name])
        if case.on(cpu)[0] == case.host:
            assert cases[name][1] == case.host, (name, cases[name])
    mine = [l for l in other if l.startswith(SAME_LINES)]
    theirs = [l for l in host_other if l.startswith(SAME_LINES)]
    assert mine == theirs, (mine, theirs)
