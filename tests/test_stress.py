"""Stress: 1,000 ring-3 faults in one boot, no panic, no page leak.

``stress_faults`` (pid 1) forks 1,000 children; each takes one fault chosen among catalogue
rows and is reaped. Booted with ``trace=mem`` the kernel prints ``mem free_pages=N`` after
every reap: the count must be the same after the first reap and after the last (and never
drift in between). QEMU's ``-d int`` log is the second witness: it delivered exactly the
faults the kernel reported, in the same order, with the same vectors.
"""
import re
from collections import Counter

import pytest

from ringlab import lab
from ringlab.machine.qemu import QemuConfig
from ringlab.observe import decode, qemulog, witness
from ringlab.observe.events import Fault, Kill, Mem, Panic
from ringlab.observe.verdict import Outcome

pytestmark = pytest.mark.boot

CHILDREN = 1000
SUMMARY_RE = re.compile(r"^stress_faults: children=(\d+) expected=(\d+) unexpected=(\d+) "
                        r"seed=\d+ (.*)$")

# stress_faults.c's rows: the vector each one raises (and so the signal it dies of).
ROW_VECTOR = {"hlt": 13, "cli": 13, "out": 13, "int0e": 13, "noncanon": 13, "int3": 3, "ud2": 6,
              "div0": 0, "popf_tf": 1, "null": 14, "kwrite": 14, "wcode": 14, "kjump": 14,
              "stack": 14, "nxstack": 14}


@pytest.fixture(scope="module")
def stress(images):
    cfg = QemuConfig(init=lab.program("stress_faults"), append=f"trace=mem init.args={CHILDREN}",
                     int_log=True)
    return lab.run(cfg, timeout_s=120)


def test_thousand_faults_no_panic(stress):
    ev = stress.report()
    assert stress.outcome is Outcome.EXITED and stress.status == 0, ev
    assert not stress.of(Panic) and not stress.parse_errors, ev
    summary = [m for m in map(SUMMARY_RE.match, stress.user_lines) if m]
    assert len(summary) == 1, ev
    n, ok, bad, counts = summary[0].groups()
    assert (int(n), int(ok), int(bad)) == (CHILDREN, CHILDREN, 0), summary[0].group(0)
    per_row = {k: int(v) for k, v in (kv.split("=") for kv in counts.split())}
    assert set(per_row) == set(ROW_VECTOR) and sum(per_row.values()) == CHILDREN
    # The kernel reported one ring-3 fault per child, of the vector its row raises.
    faults = [e for e in stress.events if isinstance(e, Fault)]
    assert len(faults) == CHILDREN and all(f.cpl == 3 and f.pid != 1 for f in faults), ev
    want = Counter()
    for row, count in per_row.items():
        want[ROW_VECTOR[row]] += count
    assert Counter(f.vector for f in faults) == want
    kills = [e for e in stress.events if isinstance(e, Kill)]
    assert len(kills) == CHILDREN
    assert all(k.signal == decode.vector_info(f.vector).signal for k, f in zip(kills, faults))


def test_no_page_leak(stress):
    mem = [e.free_pages for e in stress.events if isinstance(e, Mem)]
    # One line at boot (before init), then one per reap.
    reaps = mem[1:]
    assert len(reaps) == CHILDREN, stress.report()
    assert reaps[0] == reaps[-1], f"free pages after the first reap {reaps[0]}, after the last {reaps[-1]}"
    assert min(reaps) == max(reaps), f"free pages drift between reaps: {min(reaps)}..{max(reaps)}"


def test_qemu_log_saw_the_same_thousand_faults(stress):
    log = qemulog.parse(stress.log)
    assert not log.triple_fault and not log.double_faults and not log.truncated
    kernel = [witness.from_kernel(f) for f in stress.events if isinstance(f, Fault)]
    qemu = [witness.from_qemu(r) for r in witness.qemu_fault_records(log.interrupts)]
    a = witness.align(kernel, qemu)
    assert None not in a.matched and not a.unexplained, (
        f"{sum(m is None for m in a.matched)} kernel faults without a QEMU line, "
        f"{len(a.unexplained)} QEMU faults the kernel did not report")
    # QEMU logs int3 at the int3 itself; the frame the kernel reports holds the next
    # instruction (int3 is one byte): tests/data/qemulog/README.md.
    mismatched = [(k.source, q.source) for k, q in zip(kernel, a.matched)
                  if (k.error, k.rip - (1 if q.software else 0), k.cr2) != (q.error, q.rip, q.cr2)]
    assert not mismatched, mismatched[:5]
