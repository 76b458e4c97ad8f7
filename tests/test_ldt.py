"""The LDT: modify_ldt (read, write_old, read_default, write) as Linux's arch/x86/kernel/ldt.c,
per address space, and every descriptor it accepts used from ring 3; espfix for 16-bit stacks.

``ldtseg`` (x86-64, musl) and ``ldtseg-m32`` (i386 glibc, compatibility mode) print, for every
flag combination of struct user_desc through write_old and write, the raw result and the
descriptor read back, then the bounds (entry 8191/8192/-1, bytecount, bad pointers, unknown
func, read sizes, read_default); then load each accepted descriptor into DS, ES, FS, GS and SS
and (32-bit) reach its code segments with lcall, ljmp and iret; then (32-bit) take int $0x80
and timer ticks on a 16-bit stack with ESP = 0x12340ff0 and print ESP afterwards (espfix: the
user's own upper half, on Linux and here); then the hostile children: the entry SS names
cleared, made not present or read-only by modify_ldt through int $0x80 on that very stack
(SIGSEGV, never a fault in ring 0), DS naming a cleared entry (reloaded as null), fork's copy.
Each is compared with the host's Linux on both CPU models, and QEMU's interrupt log shows no
exception at CPL 0 and the ticks taken with an LDT stack segment.

One difference is QEMU's, not ringlab's: under ``-cpu max`` (SMAP on) QEMU 7.2's TCG reads and
writes the stack of a far call, a far return and an iret with supervisor accesses, so each
faults on the user stack with #PF (P=1, U=0) where hardware pushes and pops it (test_compat.py
meets the same). The 32-bit build's code-segment column is compared there through that rule
(``qemu_smap_quirk``); everything else, and every line under qemu64, as the host printed it.
"""

import pytest

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.machine.qemu import QemuConfig
from ringlab.observe import qemulog
from ringlab.observe.events import Panic

from tests.parity import Case, assert_same_as_linux, captured_on_host

pytestmark = pytest.mark.boot

CPUS = (C.DEFAULT_CPU, C.LEGACY_CPU)
PROGRAMS = ("ldtseg", "ldtseg-m32")
TIMEOUT_S = 240
LDT_SS = 5 << 3 | 7            # ldtseg's entry 5, TI = 1, RPL 3
TIMER_VECTOR = 0x20


USE_LINE = "ldtseg: use "
CODE_COLUMN = "lcall,ljmp,iret="


def qemu_smap_quirk(line: str) -> str:
    """A host ``use`` line as QEMU 7.2 TCG with SMAP gives it: lcall's push and the stub's
    lret pop (after lcall or ljmp) fault unless the segment is not present (#NP comes before
    any stack access: 'B' stays); iret pops its frame first, so it always faults ('S')."""
    head, _, code = line.partition(CODE_COLUMN)
    if not code or code == "---":
        return line
    lcall, ljmp, _ = code
    return head + CODE_COLUMN + lcall.replace("o", "S") + ljmp.replace("o", "S") + "S"


@pytest.mark.parametrize("cpu", CPUS)
@pytest.mark.parametrize("program", PROGRAMS)
def test_modify_ldt_as_on_linux(images, tmp_path, program, cpu):
    quirk = program.endswith("-m32") and cpu == C.DEFAULT_CPU
    assert_same_as_linux(Case(program, cpu=cpu, ignore=(USE_LINE,) if quirk else ()), images, tmp_path)


def test_code_segments_under_smap_as_qemu_gives_linux(images):
    """The 32-bit build's ``use`` lines under -cpu max: the host's, through qemu_smap_quirk."""
    with captured_on_host([str(images.program("ldtseg-m32"))]) as host:
        run = lab.run(QemuConfig(init=images.program("ldtseg-m32"), cpu=C.DEFAULT_CPU),   # meanwhile
                      timeout_s=TIMEOUT_S)
        out, err = host.communicate(timeout=TIMEOUT_S)
    assert host.returncode == 0, err
    want = [qemu_smap_quirk(l) for l in out.splitlines() if l.startswith(USE_LINE)]
    assert run.status == 0 and not run.of(Panic), run.report()
    assert [l for l in run.user_lines if l.startswith(USE_LINE)] == want
    assert any(CODE_COLUMN + "ooo" in l for l in out.splitlines())   # the host did run them


@pytest.mark.parametrize("cpu", CPUS)
def test_no_ldt_descriptor_reaches_cpl0_and_espfix_keeps_esp(images, cpu):
    run = lab.run(QemuConfig(init=images.program("ldtseg-m32"), cpu=cpu, int_log=True),
                  timeout_s=TIMEOUT_S)
    assert run.status == 0 and not run.of(Panic), run.report()
    assert ("ldtseg: 16-bit stack write=0 getpid_ok=1 esp_after_int80=0x12340ff0 "
            "esp_after_ticks=0x12340ff0") in run.user_lines, run.report()
    log = qemulog.parse(run.log)
    assert not log.exceptions(cpl=0), [r.describe() for r in log.exceptions(cpl=0)][:5]
    records = qemulog.parse_int_log(run.log)
    # the int $0x80 and at least one tick were taken with the 16-bit LDT stack segment
    on_ldt_stack = [r for r in records if r.cpl == 3 and r.ss == LDT_SS]
    assert any(r.vector == 0x80 for r in on_ldt_stack), run.log[-3000:]
    assert any(r.vector == TIMER_VECTOR for r in on_ldt_stack), run.log[-3000:]
    # LDTR: the LDT's descriptor in the GDT while the process runs with an LDT; null for one
    # without (init before its first modify_ldt, the exec'd image)
    ldt_sel = kabi.load().const("LDT_SEL")
    assert all(r.dump.segments["ldt"].selector == ldt_sel for r in on_ldt_stack), run.log[-3000:]
    user_events = [r for r in records if r.cpl == 3 and "ldt" in r.dump.segments]
    assert user_events[0].dump.segments["ldt"].selector == 0, user_events[0].describe()
