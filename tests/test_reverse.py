"""The README's "Step backwards into a fault" walkthrough, ten times in a row: record hlt,
replay it under gdb, stop at the #GP stub, ``reverse-to-ring`` back to the hlt in ring 3,
``reverse-to *syscall_entry`` back to the previous system call (printf's write). Built on
forward replay, ``replay_seek``/``replay_break`` and ``reverse-stepi``, never on
``reverse-continue`` (which now and then never stops on a loaded host, QEMU 7.2)."""
from __future__ import annotations

import os
import re

import pytest

from ringlab import lab
from ringlab.debug import replay
from ringlab.machine.symbols import symbol_address

# Opt-in: under the whole suite on every core, QEMU 7.2's `replay_seek 0` stalled once in four
# suite runs, and the second pass after the watchdog's interrupt then met gdb packet errors.
# The walkthrough runs ten in a row alone (RINGLAB_TEST_REVERSE=1 pytest tests/test_reverse.py).
REVERSE_ENV = "RINGLAB_TEST_REVERSE"
pytestmark = [pytest.mark.gdb,
              pytest.mark.skipif(not os.environ.get(REVERSE_ENV),
                                 reason="QEMU 7.2's replay_seek stalls now and then under load; "
                                        f"set {REVERSE_ENV}=1 to run the ten walkthroughs")]

RUNS = 10
WALKTHROUGH = ["break *vector13", "continue", "reverse-to-ring", "ring",
               "reverse-to *syscall_entry 120", "ring", "info symbol $rcx"]


@pytest.fixture(scope="module")
def recording(tmp_path_factory, images):
    d = tmp_path_factory.mktemp("rec") / "hlt"
    rec, run = replay.record(lab.boot_config(images.program("hlt")), d)
    assert run.status == 139, run.report()
    return d


@pytest.mark.parametrize("attempt", range(RUNS))
def test_reverse_walkthrough(invoke_cli, images, recording, attempt):
    args = ["gdb", "--replay", str(recording), "--batch"]
    for cmd in WALKTHROUGH:
        args += ["--ex", cmd]
    res = invoke_cli(args + ["--timeout", "180"], timeout_s=240)
    out = res.stdout + res.stderr
    hlt = symbol_address(images.program("hlt"), "fault_insn")
    assert re.search(r"^reverse-to-ring: 0->3 going back, 1 instruction\(s\)$", out, re.M), out
    assert re.search(rf"^ring: cpl=3 cs=0x2b .* rip={hlt:#x} half=user", out, re.M), out
    assert re.search(r"^reverse-to: at \*syscall_entry, instruction \d+ \(\d+ instructions "
                     r"back\)$", out, re.M), out
    assert re.search(r"^ring: cpl=0 cs=0x8 .* at=<syscall_entry>", out, re.M), out
    assert re.search(r"^__stdio_write \+ \d+ in section \.text", out, re.M), out
