"""Kernel arguments: parsed once at boot, exact matches, anything unknown refused.

The kernel prints ``ringlab: bad-arg key=K value=V reason=R`` after its boot line and panics
before any process exists; the verdict names the argument. crash= itself is tested with the
crash table (tests/test_crash.py); here, that it still takes every KIND and nothing else.
"""
from __future__ import annotations

import pytest

from ringlab import lab
from ringlab.observe.events import BadArg, Panic, parse_console
from ringlab.machine.qemu import QemuConfig
from ringlab.observe.verdict import Outcome, judge

pytestmark = pytest.mark.boot

TIMEOUT_S = 30.0

REFUSED = [
    ("foo=1", "foo", 1, "unknown-key"),
    ("trace=syscalls", "trace", "syscalls", "unknown-value"),
    ("trace=syscall,nope", "trace", "syscall,nope", "unknown-value"),
    ("crash=nul", "crash", "nul", "unknown-value"),
    ("crash=", "crash", "", "unknown-value"),
    ("trace=mem trace=syscall", "trace", "syscall", "duplicate"),
    ("trace=mem verbose", "verbose", "", "not-key-value"),
    ("init.args=" + ",".join("a" * 17), "init.args", ",".join("a" * 17), "too-many"),
    ("Trace=mem", "Trace", "mem", "unknown-key"),
    ("test.ukpage=2", "test.ukpage", 2, "unknown-value"),
    ("console.echo=off", "console.echo", "off", "unknown-value"),
    ("init.args=" + "a" * 256, "init.args", "a" * 255, "too-long"),
    (f"init.args={'a' * 255} trace={','.join(['syscall'] * 31)}", "cmdline", "", "too-long"),
    ("init.uid=root", "init.uid", "root", "not-a-number"),
    ("init.uid=", "init.uid", "", "not-a-number"),
    ("init.uid=4294967295", "init.uid", 4294967295, "out-of-range"),
    ("init.gid=-1", "init.gid", -1, "out-of-range"),
]


@pytest.mark.parametrize("append, key, value, reason", REFUSED, ids=[r[0][:24] for r in REFUSED])
def test_bad_arguments_are_refused_with_a_clear_message(images, append, key, value, reason):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("ret42"), append=append),
                  timeout_s=TIMEOUT_S)
    bad = run.of(BadArg)
    assert len(bad) == 1, run.report()
    assert (bad[0].key, bad[0].value, bad[0].reason) == (key, value, reason)
    assert run.outcome is Outcome.PANIC
    assert run.verdict.detail.startswith(f"bad kernel argument {key}=")
    assert reason in run.verdict.detail
    assert not run.of("enter-user")              # refused before any process exists
    assert run.events[0].kind == "boot"          # the boot line still comes first


GOOD = ["", "trace=syscall,mem", "trace=mem init.args=1,2", "init.args=",
        "init.args=" + ",".join("a" * 16), "console.echo=0", "console.echo=1 trace=mem"]


@pytest.mark.parametrize("append", GOOD)
def test_good_arguments_boot(images, append):
    run = lab.run(QemuConfig(kernel=images.kernel, init=images.program("ret42"), append=append),
                  timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 42, run.report()
    assert not run.of(BadArg)


@pytest.mark.unit
def test_verdict_names_the_refused_argument():
    console = ('ringlab: boot cmdline="kernel.elf foo=1" mem_kib=1\n'
               "ringlab: bad-arg key=foo value=1 reason=unknown-key\n"
               "ringlab: panic reason=bad-kernel-argument key=foo\n")
    events = parse_console(console).events
    assert isinstance(events[1], BadArg) and isinstance(events[2], Panic)
    v = judge(events, 255)
    assert v.outcome is Outcome.PANIC
    assert v.detail == "bad kernel argument foo=1: unknown-key (kernel refused to boot)"
