"""The sanitizer kernel (``invoke build --sanitize``; kernel/Makefile SANITIZE=1).

Each bug that ``test.sanitize=KIND`` plants (kernel/testhook.c: one line each, marked
``TEST-BUG KIND``) must come back as the run's own outcome, ``sanitizer``, naming that line:
clang's UBSan names it itself (``at=``); an object check names the get/put it caught
(``at=``, in the table's file) and the return address of its caller (``used=``), which the
DWARF line table turns into the planting line, as it does the code that freed it (``freed=``,
marked ``TEST-FREE``). The normal kernel runs the same planted code and reports nothing (the
bug goes unseen: the reason for the sanitizer build). The default init runs clean on the
sanitizer kernel, and ``RINGLAB_SANITIZE=1`` makes it the kernel of ``invoke boot``.
"""
from __future__ import annotations

import os
import re

import pytest
import yaml

from ringlab import lab
from ringlab.core import constants as C
from ringlab.core import kabi
from ringlab.debug.machine import DebugMachine
from ringlab.machine.qemu import QemuConfig
from ringlab.machine.symbols import source_line, symbolizer
from ringlab.observe.events import Sanitizer, parse_console
from ringlab.observe.verdict import Outcome, judge
from ringlab.plugin import artifacts

TIMEOUT_S = 30.0
TESTHOOK = C.REPO_ROOT / "kernel" / "testhook.c"

#: KIND of test.sanitize=, the check reported, the object (None: a UBSan check).
PLANTED = [
    ("uaf", "use-after-free", "fsinfo"),
    ("refcount", "refcount-underflow", "inode"),
    ("overflow", "signed-overflow", None),
    ("pagefree", "double-free", "page"),
    ("pagewrite", "write-after-free", "page"),
]


def marked_line(marker: str) -> str:
    """``testhook.c:N`` of the line holding ``/* MARKER``."""
    for n, text in enumerate(TESTHOOK.read_text().splitlines(), 1):
        if re.search(r"/\* " + re.escape(marker) + r"\b", text):
            return f"testhook.c:{n}"
    raise AssertionError(f"no line marked {marker!r} in {TESTHOOK}")




@pytest.mark.boot
@pytest.mark.parametrize("kind, check, obj", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_bug_is_reported_at_its_line(images, sanitizer_kernel, kind, check, obj):
    run = lab.run(QemuConfig(kernel=sanitizer_kernel, init=images.program("ret42"),
                             append=f"test.sanitize={kind}"), timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.SANITIZER, run.report()
    assert run.verdict.exit_status == C.EXIT_SANITIZER
    reports = run.of(Sanitizer)
    assert len(reports) == 1, run.report()          # one report, then the panic
    r = reports[0]
    assert r.check == check, run.report()
    assert run.of("panic") and not run.of("enter-user")    # planted before init starts
    here = marked_line(f"TEST-BUG {kind}")
    if obj is None:
        assert r.at == here, run.report()             # UBSan: the faulting expression itself
        assert (r.get("lhs"), r.get("rhs"), r.get("type")) == (2**31 - 1, 1, "int")
        return
    assert r.object == obj
    assert source_line(sanitizer_kernel, r.used, return_address=True) == here, run.report()
    if obj == "page":                                  # kfree's or kalloc's caller
        assert r.get("pa") % 4096 == 0 and r.at == ("kfree" if kind == "pagefree" else "kalloc")
        if kind == "pagewrite":                        # page[100] = 1 on a poisoned page
            assert (r.get("offset"), r.get("value")) == (96, 0x6b6b6b016b6b6b6b)
    elif kind == "uaf":
        freed_at = source_line(sanitizer_kernel, r.freed, return_address=True)
        assert freed_at == marked_line("TEST-FREE uaf"), run.report()
        # what a failed test's report.txt adds; offsets in decimal, as gdb's <func+N>
        assert artifacts.sanitizer_sources(run) == [
            f"  used: plant_uaf+{r.used - symbolizer(sanitizer_kernel).address('plant_uaf')} "
            f"at {here}",
            f"  freed: plant_uaf+{r.freed - symbolizer(sanitizer_kernel).address('plant_uaf')} "
            f"at {freed_at}"]
    else:
        assert r.freed == 0 and r.get("count") == 0      # a live inode nobody held
    assert check in run.verdict.detail and f"object={obj}" in run.verdict.detail


@pytest.mark.boot
@pytest.mark.parametrize("kind", [p[0] for p in PLANTED])
def test_normal_kernel_does_not_see_the_planted_bug(images, normal_kernel, kind):
    """The same planted code on images/kernel.elf: nothing reports it, init runs."""
    run = lab.run(QemuConfig(kernel=normal_kernel, init=images.program("ret42"),
                             append=f"test.sanitize={kind}"), timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 42, run.report()
    assert not run.of(Sanitizer)
    assert [e.get("sanitize") for e in run.of("test")] == [kind]     # "... unreported"


@pytest.mark.boot
def test_default_init_runs_clean_on_the_sanitizer_kernel(images, sanitizer_kernel):
    run = lab.run(lab.boot_config(kernel=sanitizer_kernel), timeout_s=TIMEOUT_S)
    assert run.outcome is Outcome.EXITED and run.status == 0, run.report()
    assert not run.of(Sanitizer)


@pytest.mark.boot
def test_normal_kernel_has_no_sanitizer_code(normal_kernel, sanitizer_kernel):
    """sanitize.h compiles to the plain expressions and ubsan.c/sanitize.c to nothing."""
    normal, san = symbolizer(normal_kernel), symbolizer(sanitizer_kernel)
    for name in ("__ubsan_handle_add_overflow", "san_live", "san_ref", "san_user_return"):
        assert name in san and name not in normal, name


@pytest.mark.boot
def test_environment_makes_it_the_kernel_of_invoke_boot(images, sanitizer_kernel, invoke_cli):
    env = dict(os.environ, **{C.SANITIZE_ENV: "1"})
    res = invoke_cli(["boot", "--init", str(images.program("ret42")),
                      "--append", "test.sanitize=overflow"], env=env)
    assert res.returncode == C.EXIT_SANITIZER, res.stdout + res.stderr
    assert str(C.SANITIZE_KERNEL_IMAGE) in res.stdout        # the boot line's cmdline
    assert "ringlab-boot: sanitizer: signed-overflow at testhook.c:" in res.stderr


# -- the checks at every return to ring 3, tripped from gdb ---------------------------------

def corrupt_canary(dm: DebugMachine, k) -> None:
    """Overwrite the canary, the lowest word of the current kernel stack."""
    top = dm.gdb.evaluate("cpu0.current->kstack_top")
    bottom = top - k.const("KSTACK_PAGES") * k.const("PAGE_SIZE")
    assert dm.gdb.read_u64s(bottom, 1) != [0]
    dm.gdb.console(f"set var *(unsigned long *){bottom:#x} = 0")


def map_page_zero(dm: DebugMachine, k) -> None:
    """Put a 2 MiB user page at address 0 into init's page tables (PD[0] of its first 1 GiB:
    init lives at 4 MiB, so the PML4 and PDPT entries exist and PD[0] is empty)."""
    table = dm.gdb.evaluate("(unsigned long)cpu0.current->pml4")
    for _ in range(2):                               # PML4[0] -> PDPT, PDPT[0] -> PD
        entry = dm.gdb.read_u64s(table, 1)[0]
        assert entry & 1, f"entry 0 of {table:#x} not present"
        table = (entry & 0x000F_FFFF_FFFF_F000) + k.const("KERNBASE")
    assert dm.gdb.read_u64s(table, 1) == [0]
    dm.gdb.console(f"set var *(unsigned long *){table:#x} = 0x85")   # P | U/S | PS


#: what is broken at init's first system call, and the check that must report it.
TRIPPED = [(corrupt_canary, "kernel-stack-canary"), (map_page_zero, "low-mapping")]


@pytest.mark.gdb
@pytest.mark.parametrize("trip, check", TRIPPED, ids=[t[1] for t in TRIPPED])
def test_return_to_ring3_checks(images, sanitizer_kernel, trip, check):
    k = kabi.load(C.SANITIZE_KABI_FILE)
    cfg = QemuConfig(kernel=sanitizer_kernel, init=images.program("ret42"))
    with DebugMachine(cfg) as dm:
        dm.gdb.break_at("syscall_dispatch")
        dm.gdb.cont()
        trip(dm, k)
        run = dm.finish(TIMEOUT_S)
    assert run.outcome is Outcome.SANITIZER, run.report()
    r = run.of(Sanitizer)[0]
    assert r.check == check, run.report()
    assert r.at == "user-return"
    if check == "low-mapping":
        assert r.get("va") == 0 and r.get("level") == 1, run.report()    # the PD entry over 0
    else:
        assert r.get("value") == 0


# -- CI ---------------------------------------------------------------------------------------

@pytest.mark.unit
def test_ci_runs_the_whole_suite_on_the_sanitizer_kernel():
    job = yaml.safe_load((C.REPO_ROOT / ".github" / "workflows" / "ci.yml").read_text())
    runs = [s.get("run", "") for s in job["jobs"]["sanitizer"]["steps"]]
    assert any("bash .ci/setup" in r for r in runs)
    suite = next(r for r in runs if "invoke test" in r)
    assert suite.startswith(f"{C.SANITIZE_ENV}=1 ") and "-m" not in suite.split()   # all of it


# -- the event and the verdict, without QEMU -----------------------------------------------

UAF_CONSOLE = (
    'ringlab: boot cmdline="kernel.elf" mem_kib=1\n'
    "ringlab: sanitizer check=use-after-free object=fsinfo slot=0 at=thread.c:133 "
    "used=0xffffffff801317fb freed=0xffffffff801317f3\n"
    "ringlab: panic-backtrace 0xffffffff801327cf\n"
    "ringlab: panic reason=sanitizer check=use-after-free object=fsinfo\n")


@pytest.mark.unit
def test_sanitizer_event_is_parsed():
    parsed = parse_console(UAF_CONSOLE)
    assert not parsed.errors
    r = parsed.events[1]
    assert isinstance(r, Sanitizer)
    assert (r.check, r.object, r.slot, r.at_file, r.at_line) == ("use-after-free", "fsinfo", 0,
                                                             "thread.c", 133)
    assert (r.used, r.freed) == (0xffffffff801317fb, 0xffffffff801317f3)


@pytest.mark.unit
def test_a_sanitizer_report_is_its_own_outcome_and_never_a_pass():
    events = parse_console(UAF_CONSOLE).events
    v = judge(events, 255)
    assert v.outcome is Outcome.SANITIZER and not v.outcome.machine_ok
    assert v.exit_status == C.EXIT_SANITIZER
    assert v.detail.startswith("use-after-free at thread.c:133 (object=fsinfo slot=0 used=0x")
    # even followed by a clean halt (a report that did not stop the machine) it is no pass
    halted = parse_console(UAF_CONSOLE.replace("ringlab: panic reason", "ringlab: x reason")
                           + "ringlab: halt status=0\n").events
    assert judge(halted, 1).outcome is Outcome.SANITIZER
